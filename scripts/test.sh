#!/usr/bin/env bash
# The one test command: install what is missing, configure (CUDA auto-detected),
# build, and run the whole test suite. Works from any directory.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

./scripts/bootstrap.sh
cmake --preset default
cmake --build --preset default -j"$(nproc)"
ctest --preset default -j"$(nproc)"
