#!/usr/bin/env bash
# Installs what scaleham needs on a fresh Debian 12 machine; a fast no-op (one
# line of output) when everything is already there. Safe to run repeatedly.
#   scripts/bootstrap.sh           what the build and its example need
#   scripts/bootstrap.sh --tests   also what only the test suite uses: Open MPI
#                                  (the MPI ranks, built where it is found) and a
#                                  one-node Slurm (scripts/slurm-local.sh)
set -euo pipefail

debian_packages=(
  cmake ninja-build g++
  libhdf5-dev hdf5-tools
  # Optional, found by host/CMakeLists.txt: the writer deflates chunks with it
  # at about twice zlib's speed (zlib-format streams, read by any HDF5).
  libdeflate-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libcli11-dev libtomlplusplus-dev libfmt-dev libboost-dev nlohmann-json3-dev
  libxsimd-dev  # SIMD lanes of the CPU backend (header-only)
  python3-pip
  # The Python binding (scaleham._engine, built where found): headers of
  # pybind11 and of Debian's python3.
  pybind11-dev python3-dev
  # The fuzz preset (scripts/test.sh): clang with libFuzzer and the sanitizer
  # runtimes, OpenMP for clang, llvm-symbolizer for readable sanitizer stacks.
  clang-14 libclang-rt-14-dev libomp-14-dev llvm-14
)
python_modules=(numpy scipy h5py xarray h5netcdf matplotlib tomli_w tqdm pytest)
if [[ ${1:-} == --tests ]]; then
  # Optional for users (a build without MPI runs as one process; Slurm is the
  # cluster's): the suite runs real mpirun jobs and a real job array.
  debian_packages+=(libopenmpi-dev openmpi-bin slurmctld slurmd slurm-client munge)
elif [[ $# -gt 0 ]]; then
  echo "bootstrap: unknown option $1 (only --tests)" >&2
  exit 2
fi

# --- Debian packages: dpkg-query is cheap, apt-get update only when needed ----
missing_packages=()
for package in "${debian_packages[@]}"; do
  # "install ok installed" rules out packages that were removed but left config behind.
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing_packages+=("$package")
  fi
done

if ((${#missing_packages[@]} > 0)); then
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      echo "bootstrap: missing Debian packages (${missing_packages[*]}) and not root, no sudo" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing Debian packages: ${missing_packages[*]}"
  "${as_root[@]}" apt-get update
  # env, not a plain assignment: sudo would drop the variable.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_packages[@]}"
fi

# --- Python modules, for the python3 on PATH (tests read output files with them)
# One interpreter start for all of them: each import that fails is printed.
missing_modules=()
if command -v python3 >/dev/null 2>&1; then
  mapfile -t missing_modules < <(python3 - "${python_modules[@]}" <<'PY' 2>/dev/null
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        print(name)
PY
  )
else
  missing_modules=("${python_modules[@]}")
fi

# Debian's own python3 is marked externally managed (PEP 668): pip refuses to
# install into it without this flag. Interpreters without the marker (pyenv,
# venvs) must not get the flag, older pips do not know it.
pip_flags=()
stdlib_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
in_venv=$(python3 -c 'import sys; print(int(sys.prefix != sys.base_prefix))')
if [[ -f "$stdlib_dir/EXTERNALLY-MANAGED" && "$in_venv" == 0 ]]; then
  pip_flags+=(--break-system-packages)
fi

if ((${#missing_modules[@]} > 0)); then
  echo "bootstrap: installing Python modules: ${missing_modules[*]}"
  python3 -m pip install "${pip_flags[@]}" "${missing_modules[@]}"
fi

# The Python package of this repository (python/scaleham), installed editable
# so that `import scaleham` is this tree's: from notebooks, and `scaleham plot`.
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
package_missing=0
installed_at=$(cd / && python3 -c 'import os, scaleham; print(os.path.dirname(os.path.dirname(scaleham.__file__)))' \
               2>/dev/null || true)
if [[ "$installed_at" != "$repo_root/python" ]]; then
  package_missing=1
  echo "bootstrap: installing the scaleham Python package (pip install -e python)"
  python3 -m pip install --quiet "${pip_flags[@]}" --no-deps -e "$repo_root/python"
fi

if ((${#missing_packages[@]} == 0 && ${#missing_modules[@]} == 0 && package_missing == 0)); then
  echo "bootstrap: all dependencies present"
else
  echo "bootstrap: done"
fi
