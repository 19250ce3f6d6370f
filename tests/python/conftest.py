"""Shared fixtures: the scaleham CLI under test (path from SCALEHAM_BIN, set by ctest)."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def scaleham_bin():
    path = os.environ.get("SCALEHAM_BIN")
    if not path:
        pytest.skip("SCALEHAM_BIN is not set (ctest sets it to the built scaleham binary)")
    return path


@pytest.fixture
def run_cli(scaleham_bin):
    """Runs `scaleham ARGS...`, returns the CompletedProcess (text mode)."""

    def run(*args, cwd=None, timeout=600):
        return subprocess.run([scaleham_bin, *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, timeout=timeout)

    return run


def datasets(path):
    """Every dataset of an HDF5 file: name -> (shape, dtype, raw bytes); two
    files hold the same data exactly when these are equal."""
    import h5py
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = (obj.shape, obj.dtype.str, obj[...].tobytes())
        f.visititems(visit)
    return found
