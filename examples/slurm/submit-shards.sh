#!/bin/bash
# Submits a sweep as a Slurm job array of N shards and a merge job that runs
# when all of them succeeded:
#
#   examples/slurm/submit-shards.sh CONFIG.toml OUT.h5 N [sbatch options for the shards...]
#
# e.g. examples/slurm/submit-shards.sh sweep.toml sweep.h5 64 --cpus-per-task=16 --time=02:00:00
# (the options go to the merge job too). The parts go to OUT.parts/ (kept
# after the merge; remove them when done: a later sweep into the same OUT
# would otherwise find them complete and merge them).
# Prints the two job ids. SCALEHAM names the binary (default: scaleham on PATH,
# as the compute nodes see it).
set -euo pipefail
if (($# < 3)); then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
config=$(realpath "$1")
out=$(realpath -m "$2")
shards=$3
shift 3
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit-shards: N must be a positive integer, not '$shards'" >&2; exit 2; }
here=$(dirname "$(realpath "$0")")
# The jobs run in the parts' directory: a binary given by a path must be absolute.
scaleham=${SCALEHAM:-scaleham}
[[ $scaleham == */* ]] && scaleham=$(realpath "$scaleham")
parts="${out%.h5}.parts"
mkdir -p "$parts"
environment="ALL,CONFIG=$config,PARTS=$parts,SHARDS=$shards,OUT=$out,SCALEHAM=$scaleham"
array=$(sbatch --parsable --array="0-$((shards - 1))" --chdir="$parts" --export="$environment" "$@" \
  "$here/shards.sbatch")
array=${array%%;*}
# The same options (account, partition, time, ...) for the merge job.
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --chdir="$parts" \
  --export="$environment" "$@" "$here/merge.sbatch")
merge=${merge%%;*}
echo "$array $merge"
