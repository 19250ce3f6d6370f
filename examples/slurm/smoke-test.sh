#!/usr/bin/env bash
# Smoke test for scripts/slurm-local.sh: job array + afterok dependency.
# Usage: examples/slurm/smoke-test.sh [DIR]   (root; needs slurmctld slurmd slurm-client munge)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-/tmp/scaleham-slurm}
out=$(mktemp -d /tmp/slurm-test.XXXXXX)
trap '"$root/scripts/slurm-local.sh" stop "$dir"' EXIT
eval "$("$root/scripts/slurm-local.sh" start "$dir")"

wait_job() {  # JOBID TIMEOUT_S; fails unless every record ends COMPLETED
    local id=$1 to=$2 s=$SECONDS
    while [[ -n $(squeue -h -j "$id" 2>/dev/null) ]]; do
        ((SECONDS - s > to)) && { echo "timeout waiting for job $id" >&2; scontrol show job "$id" >&2; return 1; }
        sleep 0.5
    done
    # records stay visible for MinJobAge (30 s) after leaving the queue
    ! scontrol show job "$id" | grep -o 'JobState=[A-Z_]*' | grep -qv 'JobState=COMPLETED'
}

arr=$(sbatch --parsable --array=0-2 -o "$out/arr-%A_%a.log" \
    --wrap "echo task \$SLURM_ARRAY_TASK_ID > $out/out-\$SLURM_ARRAY_TASK_ID")
arr=${arr%%;*}
dep=$(sbatch --parsable --dependency="afterok:$arr" -o "$out/dep-%j.log" \
    --wrap "cat $out/out-* > $out/all")
dep=${dep%%;*}
wait_job "$arr" 60
wait_job "$dep" 60
diff <(printf 'task 0\ntask 1\ntask 2\n') "$out/all"
rm -rf "$out"
echo "slurm smoke test OK (array $arr, dependent $dep)"
