#!/usr/bin/env bash
# The one "main job" command: install what is missing, configure and build, then
# run the built-in example (the paper's worked example). Arguments are passed on
# to the example program. Works from any directory.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# Set-up output goes to stderr so that stdout holds only the example's table.
{
  ./scripts/bootstrap.sh
  cmake --preset default
  cmake --build --preset default -j"$(nproc)" --target scaleham_paper_example
} 1>&2

exec ./build/default/examples/scaleham_paper_example "$@"
