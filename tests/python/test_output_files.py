"""The result file as Python users meet it: h5py and xarray (h5netcdf engine)
see named dimensions with coordinates and units, and the built-in example
(the paper's model) holds the closed-form solution (docs/design.md sections 1.2, 3.3).

Paper model: beta = lambda g, F = A / g, flow from g0 on the HJ manifold over
ell in [0, ell_end]:
    g(ell) = g0 exp(lambda ell),  p = -A / (lambda g^2),
    S(ell) - S(0) = A / (lambda g(ell)) - A / (lambda g0),
and the quadrature action between g0 and g_end is the same difference.

Relaxation time (docs/design.md section 1.4): g = c (T - T0), S(g) = A / (lambda g)
measured from g_ref = c (T_ref - T0), so
    ln tau(T) = ln tau0 + A / (lambda c (T - T0)) - A / (lambda c (T_ref - T0)),
exactly the VFT law with B = A / (lambda c), T_vf = T0,
a = ln tau0 - A / (lambda c (T_ref - T0)).
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
FIT_RTOL = 1e-9
AXES = ("lambda", "A")
GROUPS = ("flow", "hj", "fit")


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


@pytest.fixture(scope="module")
def example_config(example_file):
    """The example's configuration, from the text stored in the file."""
    with h5py.File(example_file, "r") as f:
        return tomllib.loads(f.attrs["config"])


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
        for group in GROUPS:
            for name, dataset in f[group].items():
                if name in AXES:
                    continue
                assert dataset.shape == (f["lambda"].size, f["A"].size), name
                assert "units" in dataset.attrs and "long_name" in dataset.attrs, name
                for axis, dim in zip(AXES, dataset.dims):
                    assert dim.label == axis
                    assert len(dim) == 1 and dim[0].name == f"/{group}/{axis}"
                    np.testing.assert_array_equal(dim[0][...], f[axis][...])


@pytest.mark.parametrize("group", GROUPS)
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


def paper_vft(lam, A, temperature):
    """B, T_vf and a of the paper's model at every grid point."""
    T0, c, T_ref = temperature["T0"], temperature["c"], temperature["T_ref"]
    B = A / (lam * c)
    a = np.log(temperature["tau0"]) - A / (lam * c * (T_ref - T0))
    return B, T0, a


def test_fit_recovers_the_papers_vft_law(example_file, flow_settings, example_config):
    """For the paper's model ln tau(T) is exactly VFT: the fit of every point
    returns B = A/(lambda c), T_vf = T0 and a = ln tau0 - B/(T_ref - T0)."""
    lam, A, _, _ = closed_form(example_file, flow_settings)
    B, T_vf, a = paper_vft(lam, A, example_config["temperature"])
    with open_group(example_file, "fit") as ds:
        assert (ds["status"].values == 0).all(), "every fit of the example converges"
        assert (ds["curve_status"].values == 0).all()
        assert ds["B"].attrs["units"] == "K" and ds["T_vf"].attrs["units"] == "K"
        np.testing.assert_allclose(ds["B"].values, B, rtol=FIT_RTOL)
        np.testing.assert_allclose(ds["T_vf"].values, T_vf, rtol=FIT_RTOL)
        np.testing.assert_allclose(ds["a"].values, a, rtol=0, atol=1e-9)
        assert (np.abs(ds["B_rel_err"].values) < 1e-9).all()
        np.testing.assert_allclose(ds["D"].values, B / T_vf, rtol=FIT_RTOL)
        # Tg where tau = tg_tau, and the fragility at Tg, from the fitted law.
        tg_tau = example_config["fit"]["tg_tau"]
        Tg = T_vf + B / (np.log(tg_tau) - a)
        np.testing.assert_allclose(ds["Tg"].values, Tg, rtol=1e-8)
        np.testing.assert_allclose(ds["m"].values, B * Tg / (np.log(10) * (Tg - T_vf) ** 2), rtol=1e-7)
        assert (ds["rms"].values < 1e-9).all()
        assert (ds["iterations"].values >= 1).all()
        assert ds["iterations"].dtype == np.int32


def test_curves_hold_ln_tau_on_the_temperature_grid(scaleham_bin, tmp_path):
    """[output] curves = true adds /curves/log_tau over (lambda, A, T), with T
    the temperature grid as a coordinate in K, and the closed form on it."""
    text = (REPO / "examples" / "paper.toml").read_text()
    assert "curves = false" in text
    config = tmp_path / "curves.toml"
    config.write_text(text.replace("curves = false", "curves = true", 1))
    out = tmp_path / "curves.h5"
    result = subprocess.run([scaleham_bin, "run", str(config), "-o", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    settings = tomllib.loads(config.read_text())
    temperature = settings["temperature"]
    T0, c, T_ref = temperature["T0"], temperature["c"], temperature["T_ref"]

    with open_group(out, "curves") as ds:
        log_tau = ds["log_tau"]
        assert log_tau.dims == AXES + ("T",)
        assert log_tau.shape == (21, 21, temperature["points"])
        assert ds["T"].attrs["units"] == "K"
        T = ds["T"].values
        np.testing.assert_allclose(T, np.linspace(temperature["T_min"], temperature["T_max"],
                                                  temperature["points"]), rtol=1e-15)
        assert T[0] == temperature["T_min"] and T[-1] == temperature["T_max"]
        lam = ds["lambda"].values[:, None, None]
        A = ds["A"].values[None, :, None]
        expected = (np.log(temperature["tau0"]) + A / (lam * c * (T - T0))
                    - A / (lam * c * (T_ref - T0)))
        np.testing.assert_allclose(log_tau.values, expected, rtol=FIT_RTOL)
        # Selecting a curve by its coordinates.
        curve = log_tau.sel({"lambda": 0.1, "A": 50.0}, method="nearest")
        assert curve.dims == ("T",)
    with h5py.File(out, "r") as f:
        assert f["curves/T"].attrs["units"] == "K"
        dims = f["curves/log_tau"].dims
        assert [d.label for d in dims] == ["lambda", "A", "T"]
        assert dims[2][0].name == "/curves/T"
        # The fits are there too, and agree with the curves they were fitted to.
        np.testing.assert_allclose(f["fit/T_vf"][...], T0, rtol=FIT_RTOL)


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


def test_float32_and_field_lists_open_in_h5py_and_xarray(scaleham_bin, example_file, tmp_path):
    """[output] float32 = true with field lists: only the listed fields, real
    ones as float32 holding exactly the double run's values rounded, integers
    and codes as before, coordinates still double; xarray opens every group."""
    text = (REPO / "examples" / "paper.toml").read_text()
    text = text.replace("flow = true", 'flow = ["g", "steps", "status"]', 1)
    text = text.replace("hj = true", "hj = false", 1)
    text = text.replace("fit = true ", 'fit = ["B", "T_vf", "status"] ', 1)
    text = text.replace("curves = false", "curves = true", 1)
    config = tmp_path / "lean.toml"
    config.write_text(text + "float32 = true\n")
    out = tmp_path / "lean.h5"
    result = subprocess.run([scaleham_bin, "run", str(config), "-o", str(out), "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as lean, h5py.File(example_file, "r") as full:
        assert sorted(k for k in lean["flow"] if k not in AXES) == ["g", "status", "steps"]
        assert sorted(k for k in lean["fit"] if k not in AXES) == ["B", "T_vf", "status"]
        assert "hj" not in lean
        assert lean["flow/g"].dtype == np.float32 and lean["curves/log_tau"].dtype == np.float32
        assert lean["flow/steps"].dtype == np.int32 and lean["flow/status"].dtype == np.uint8
        assert lean["lambda"].dtype == np.float64 and lean["flow/lambda"].dtype == np.float64
        for name in ("flow/g", "fit/B", "fit/T_vf"):
            np.testing.assert_array_equal(lean[name][...], full[name][...].astype(np.float32), err_msg=name)
        for name in ("flow/steps", "flow/status", "fit/status"):
            np.testing.assert_array_equal(lean[name][...], full[name][...], err_msg=name)
    for group in ("flow", "fit", "curves"):
        with open_group(out, group) as ds:
            assert ds["lambda"].dims == ("lambda",)
            assert ds.sizes["lambda"] == 21 and ds.sizes["A"] == 21
