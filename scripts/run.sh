#!/usr/bin/env bash
# The one "main job" command: install what is missing, configure and build, then
# run `scaleham run` on its built-in example (the paper's worked example) into
# scaleham-example.h5 and describe the file. Arguments are passed on to
# `scaleham run` (e.g. a CONFIG.toml, -o OUT.h5, --backend cpu). Works from any
# directory; the output lands in the directory you called it from.
set -euo pipefail

caller_dir=$(pwd)
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Set-up output goes to stderr so that stdout holds only what scaleham prints.
{
  "$repo_root/scripts/bootstrap.sh"
  cmake -S "$repo_root" --preset default
  cmake --build "$repo_root/build/default" -j"$(nproc)" --target scaleham
} 1>&2

scaleham="$repo_root/build/default/host/scaleham"
cd "$caller_dir"
if [ "$#" -eq 0 ]; then
  # The built-in example; --force so that running the main job twice just works.
  "$scaleham" run -o scaleham-example.h5 --force
  "$scaleham" inspect scaleham-example.h5
else
  "$scaleham" run "$@"
fi
