#!/usr/bin/env bash
# The one test command: install what is missing, configure (CUDA auto-detected),
# build, and run the whole test suite; then the same suite built with
# AddressSanitizer + UndefinedBehaviorSanitizer (preset asan), and the libFuzzer
# harnesses of the config parser and the CSV reader for a bounded time each
# (preset fuzz, on a copy of the committed seed corpus). Any failure, sanitizer
# report or fuzzer crash fails the script. Works from any directory.
#
#   SCALEHAM_QUICK_TEST=1     only the normal suite (quick local runs; CI runs all)
#
# After the normal suite: the FMA build's sweep results against the normal
# CPU build's (preset fma, tests/python/compare_outputs.py, docs/numerics.md).
#   SCALEHAM_FUZZ_SECONDS=N   time per fuzzer (default 45)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
jobs=$(nproc)

# Stage timings, printed at the end (and when a stage fails).
timings=()
stage_name="" stage_start=0
begin_stage() {
  stage_name=$1 stage_start=$SECONDS
  echo "=== test.sh: $stage_name"
}
end_stage() { timings+=("$(printf '%-28s %5d s' "$stage_name" $((SECONDS - stage_start)))"); stage_name=""; }
report() {
  local status=$?
  if [[ -n "$stage_name" ]]; then
    timings+=("$(printf '%-28s %5d s  FAILED' "$stage_name" $((SECONDS - stage_start)))")
  fi
  if ((${#timings[@]} > 0)); then
    echo "=== test.sh: stage timings"
    printf '  %s\n' "${timings[@]}"
    printf '  %-28s %5d s\n' "total" "$SECONDS"
  fi
  exit "$status"
}
trap report EXIT

begin_stage "bootstrap"
./scripts/bootstrap.sh --tests
end_stage

begin_stage "default: build"
cmake --preset default
cmake --build --preset default -j"$jobs"
end_stage
begin_stage "default: tests"
ctest --preset default -j"$jobs"
end_stage

if [[ "${SCALEHAM_QUICK_TEST:-0}" == 1 ]]; then
  echo "test.sh: SCALEHAM_QUICK_TEST=1: FMA comparison, sanitizer build and fuzzers skipped"
  exit 0
fi

# --- a CPU build that rounds like the GPU (preset fma: a*b+c fused) -----------
# The same sweeps from the default build's CPU backend and from the fma build
# must be equivalent under the bounds of docs/numerics.md (compare_outputs.py,
# which the GPU check uses too). Only the scaleham binary is built.
begin_stage "fma: build"
cmake --preset fma
cmake --build --preset fma -j"$jobs" --target scaleham
end_stage
begin_stage "fma: compare with cpu"
fma_dir="$repo_root/build/fma/equivalence"
rm -rf "$fma_dir" && mkdir -p "$fma_dir"
fma_failed=0
for run in cartesian_dopri5:double cartesian_dopri5_float:float halton_dopri5:double \
           halton_rk4:double halton_rk4:float; do
  name=${run%%:*} precision=${run##*:}
  for build in default fma; do
    "$repo_root/build/$build/host/scaleham" run "tests/python/equivalence/$name.toml" --backend cpu \
      --precision "$precision" --quiet --force -o "$fma_dir/$name-$precision-$build.h5"
  done
  python3 tests/python/compare_outputs.py --verbose \
    "$fma_dir/$name-$precision-fma.h5" "$fma_dir/$name-$precision-default.h5" || fma_failed=1
done
((fma_failed == 0))
end_stage

# --- the whole suite under ASan + UBSan (CPU only: see the asan preset) -------
# The test preset sets ASAN_OPTIONS, UBSAN_OPTIONS and SCALEHAM_SANITIZED=1.
begin_stage "asan: build"
cmake --preset asan
cmake --build --preset asan -j"$jobs"
end_stage
begin_stage "asan: tests"
ctest --preset asan -j"$jobs"
end_stage

# --- fuzzers: bounded time each, both at once (one process each) --------------
begin_stage "fuzz: build"
cmake --preset fuzz
cmake --build --preset fuzz -j"$jobs"
end_stage

begin_stage "fuzz: run"
fuzz_dir="$repo_root/build/fuzz"
fuzz_seconds=${SCALEHAM_FUZZ_SECONDS:-45}
# Readable stacks from clang's sanitizer runtimes (llvm-14 has no unversioned
# llvm-symbolizer on PATH).
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

declare -A fuzz_pid=()
for name in config csv; do
  # A fresh copy of the committed seeds: the fuzzer adds what it finds there,
  # and the committed corpus stays as it is.
  corpus="$fuzz_dir/corpus-$name"
  rm -rf "$corpus" "$fuzz_dir/artifacts-$name"
  mkdir -p "$corpus" "$fuzz_dir/artifacts-$name"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  extra=()
  [[ -f tests/fuzz/$name.dict ]] && extra+=("-dict=tests/fuzz/$name.dict")
  # One in-process fuzzing loop per fuzzer: no -jobs/-workers (-jobs=1 would fork
  # a child that logs to ./fuzz-0.log).
  "$fuzz_dir/tests/fuzz/fuzz_$name" "${extra[@]}" \
    -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$fuzz_dir/artifacts-$name/" "$corpus" >"$fuzz_dir/fuzz_$name.log" 2>&1 &
  fuzz_pid[$name]=$!
done
fuzz_failed=0
for name in config csv; do
  if wait "${fuzz_pid[$name]}"; then
    echo "fuzz_$name: no crash in ${fuzz_seconds} s: $(grep -E '^#[0-9]+' "$fuzz_dir/fuzz_$name.log" | tail -1)"
  else
    fuzz_failed=1
    echo "fuzz_$name FAILED (log: build/fuzz/fuzz_$name.log, input: build/fuzz/artifacts-$name/):" >&2
    tail -n 60 "$fuzz_dir/fuzz_$name.log" >&2
    echo "Reproduce: build/fuzz/tests/fuzz/fuzz_$name build/fuzz/artifacts-$name/<crash-file>;" \
         "after the fix add the input to tests/fuzz/corpus/$name/ as a regression seed" >&2
  fi
done
((fuzz_failed == 0))
end_stage

# --- the prepared GPU check, without a GPU (scripts/gpu-check.sh --dry-run) ----
# Syntax, arguments, staging and library closure of build/default's binaries,
# and the whole --run at tiny sizes (the peers on the CPU: jax[cpu] and diffrax
# are installed into build/peer-site on first use, ~30 s; torch is not).
begin_stage "gpu-check: dry run"
./scripts/gpu-check.sh --dry-run --install-peers
end_stage
