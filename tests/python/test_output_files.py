"""The result file as Python users meet it: h5py and xarray (h5netcdf engine)
see named dimensions with coordinates and units, and the built-in example
(the paper's model) holds the closed-form solution (DESIGN sections 1.2, 3.3).

Paper model: beta = lambda g, F = A / g, flow from g0 on the HJ manifold over
ell in [0, ell_end]:
    g(ell) = g0 exp(lambda ell),  p = -A / (lambda g^2),
    S(ell) - S(0) = A / (lambda g(ell)) - A / (lambda g0),
and the quadrature action between g0 and g_end is the same difference.
"""
import subprocess
import tomllib

import numpy as np
import pytest

from conftest import REPO

h5py = pytest.importorskip("h5py")
xr = pytest.importorskip("xarray")
pytest.importorskip("h5netcdf")

RTOL = 1e-8
AXES = ("lambda", "A")


@pytest.fixture(scope="module")
def example_file(scaleham_bin, tmp_path_factory):
    """The built-in example, run once for the module."""
    directory = tmp_path_factory.mktemp("example")
    path = directory / "example.h5"
    result = subprocess.run([scaleham_bin, "run", "-o", str(path), "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["example.h5"], "no .partial left over"
    return path


def open_group(path, group):
    return xr.open_dataset(path, group=group, engine="h5netcdf", phony_dims="access")


@pytest.fixture(scope="module")
def flow_settings(example_file):
    """g0 and ell of the example, from the config text stored in the file."""
    with h5py.File(example_file, "r") as f:
        config = tomllib.loads(f.attrs["config"])
    return config["flow"]["g0"], config["flow"]["ell"]


def closed_form(example_file, flow_settings):
    """lambda and A at every grid point (arrays of the grid's shape), g0, g_end."""
    g0, ell = flow_settings
    with h5py.File(example_file, "r") as f:
        lam, A = np.meshgrid(f["lambda"][...], f["A"][...], indexing="ij")
    g_end = g0 * np.exp(lam * ell)
    return lam, A, g0, g_end


def test_root_attributes(example_file):
    with h5py.File(example_file, "r") as f:
        attrs = f.attrs
        for name in ("config", "config_source", "version", "backend", "device", "precision",
                     "seconds_compute", "seconds_total", "points", "created"):
            assert name in attrs, name
        assert attrs["complete"] == 1
        assert attrs["points"] == f["flow/g"].size
        # Temperature mapping g = c (T - T0): scalar doubles with their units.
        assert np.isscalar(attrs["T0"]) and np.isscalar(attrs["c"])
        assert float(attrs["T0"]) > 0 and float(attrs["c"]) > 0
        assert attrs["T0_units"] == "K"
        assert "c_units" in attrs


def test_h5py_sees_dimension_scales_with_units(example_file):
    with h5py.File(example_file, "r") as f:
        assert f["lambda"].attrs["units"] == "1"
        assert f["A"].attrs["units"] == "K"
        for group in ("flow", "hj"):
            for name, dataset in f[group].items():
                if name in AXES:
                    continue
                assert dataset.shape == (f["lambda"].size, f["A"].size), name
                assert "units" in dataset.attrs and "long_name" in dataset.attrs, name
                for axis, dim in zip(AXES, dataset.dims):
                    assert dim.label == axis
                    assert len(dim) == 1 and dim[0].name == f"/{group}/{axis}"
                    np.testing.assert_array_equal(dim[0][...], f[axis][...])


@pytest.mark.parametrize("group", ["flow", "hj"])
def test_xarray_shows_named_dimensions_and_coordinates(example_file, group):
    with h5py.File(example_file, "r") as f:
        coordinates = {axis: f[axis][...] for axis in AXES}
    with open_group(example_file, group) as ds:
        for name, variable in ds.data_vars.items():
            assert variable.dims == AXES, name
        for axis in AXES:
            assert axis in ds.coords, f"{axis} is a dimension without coordinates"
            np.testing.assert_array_equal(ds[axis].values, coordinates[axis])
        assert ds["lambda"].attrs["units"] == "1"
        assert ds["A"].attrs["units"] == "K"
        status = ds["status"]
        assert status.dtype == np.uint8, "no fill-value masking may turn codes into floats"
        assert status.attrs["flag_meanings"].split()[0] == "ok"
        np.testing.assert_array_equal(status.attrs["flag_values"],
                                      np.arange(len(status.attrs["flag_meanings"].split())))


def test_flow_matches_the_closed_form(example_file, flow_settings):
    lam, A, g0, g_end = closed_form(example_file, flow_settings)
    with open_group(example_file, "flow") as ds:
        assert (ds["status"].values == 0).all(), "every path of the example ends ok"
        np.testing.assert_allclose(ds["g"].values, g_end, rtol=RTOL)
        np.testing.assert_allclose(ds["p"].values, -A / (lam * g_end**2), rtol=RTOL)
        np.testing.assert_allclose(ds["S"].values, A / (lam * g_end) - A / (lam * g0), rtol=RTOL)
        # Selecting by coordinate works: the point of named dimensions.
        point = ds["g"].sel({"lambda": float(lam[0, 0]), "A": float(A[0, -1])})
        np.testing.assert_allclose(float(point), float(g_end[0, 0]), rtol=RTOL)


def test_hj_action_matches_the_closed_form(example_file, flow_settings):
    lam, A, g0, g_end = closed_form(example_file, flow_settings)
    with open_group(example_file, "hj") as ds:
        assert (ds["status"].values == 0).all()
        np.testing.assert_allclose(ds["action"].values, A / (lam * g_end) - A / (lam * g0),
                                   rtol=RTOL)


def test_datatree_inherits_the_root_coordinates(example_file):
    if not hasattr(xr, "open_datatree"):
        pytest.skip("this xarray has no open_datatree")
    tree = xr.open_datatree(example_file, engine="h5netcdf", phony_dims="access")
    try:
        flow = tree["flow"].to_dataset()
        assert flow["g"].dims == AXES
        np.testing.assert_array_equal(flow["lambda"].values, tree["lambda"].values)
    finally:
        tree.close()


def test_random_grid_stores_the_parameters_of_every_point(scaleham_bin, tmp_path):
    """Halton example: one `point` dimension, /parameters/<axis> per point, and
    the stored parameters are the ones each point was computed with (the flow
    of every point matches the closed form at ITS parameters)."""
    config = REPO / "examples" / "halton-random.toml"
    out = tmp_path / "halton.h5"
    result = subprocess.run([scaleham_bin, "run", str(config), "-o", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    settings = tomllib.loads(config.read_text())
    axes = {axis["name"]: axis for axis in settings["grid"]["axis"]}
    n = settings["grid"]["points"]

    with open_group(out, "parameters") as parameters, open_group(out, "flow") as flow:
        for ds in (parameters, flow):
            assert dict(ds.sizes) == {"point": n}
            np.testing.assert_array_equal(ds["point"].values, np.arange(n))
        for name, axis in axes.items():
            lo, hi = axis.get("linspace", axis.get("logspace"))
            values = parameters[name].values
            assert ((values >= lo) & (values <= hi)).all(), name
            assert len(np.unique(values)) == n, f"{name}: Halton samples are distinct"
        lam = parameters["lambda"].values
        g0 = parameters["g0"].values
        ell = settings["flow"]["ell"]
        assert (flow["status"].values == 0).all()
        np.testing.assert_allclose(flow["g"].values, g0 * np.exp(lam * ell), rtol=RTOL)
