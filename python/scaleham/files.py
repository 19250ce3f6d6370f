"""scaleham's HDF5 files as xarray trees, made ready for analysis.

What `open` adds to `xarray.open_datatree(path, engine="h5netcdf")`:
- Halton and paired sweeps: the sampled parameters (`/parameters/<axis>`)
  become coordinates along `point` in every node, and the `parameters` node
  goes (its variables are those coordinates).
- The λ axis: `lambda` is a Python keyword, so `ds.sel(lambda=0.1)` cannot be
  written. Its dimension is renamed `lam` (LAMBDA_ALIAS), with `lam` as the
  index and `lambda` kept as a coordinate beside it: `ds.sel(lam=0.1)`,
  `ds["lambda"]` both work. On Halton/paired grids `lam` is a plain copy.
- Plot labels: every variable's `long_name` becomes a short label ("B",
  "T_vf", "λ") and the file's long text moves to `description`, so colour
  bars and axes read "B [K]" rather than a sentence.
- `/curves/log_tau` holds ln τ (natural log of seconds): it is called
  `ln_tau` here.
- The netCDF reader's `DIMENSION_LABELS` attributes (HDF5 bookkeeping) go.
"""
import builtins

import numpy as np
import xarray as xr

LAMBDA_ALIAS = "lam"

# Short labels for plots; anything else is labelled by its own name.
SHORT_NAMES = {
    "lambda": "λ", LAMBDA_ALIAS: "λ", "b1": "λ (b1)", "f_m1": "A (f_m1)", "ell": "ℓ", "T0": "T0",
    "a": "a = ln τ∞", "B_rel_err": "B/(A/(λc)) − 1", "rms": "rms of ln τ", "m": "fragility m", "ln_tau": "ln τ",
    "T": "T", "Tg": "Tg", "D": "D", "B_T_vf_correlation": "ρ(B, T_vf)", "h_drift": "H drift",
    "consistency": "|S − action|/|action|", "action": "HJ action", "S": "S", "g": "g", "p": "p",
}


def _short_labels(ds):
    for name, var in ds.variables.items():
        if "long_name" in var.attrs:
            var.attrs.setdefault("description", var.attrs["long_name"])
            var.attrs["long_name"] = SHORT_NAMES.get(name, name)
        var.attrs.pop("DIMENSION_LABELS", None)
    return ds


def _alias_lambda(ds):
    if "lambda" in ds.dims:
        # A child node's datasets use the dimension; its coordinate is the
        # root's (inherited), which gets the alias once.
        has_coordinate = "lambda" in ds.variables
        values = ds["lambda"].variable if has_coordinate else None
        ds = ds.drop_indexes("lambda", errors="ignore").rename_dims({"lambda": LAMBDA_ALIAS})
        if has_coordinate:
            ds = ds.assign_coords({LAMBDA_ALIAS: (LAMBDA_ALIAS, values.values, dict(values.attrs))})
    elif "lambda" in ds.coords:
        ds = ds.assign_coords({LAMBDA_ALIAS: ds["lambda"]})
    return ds


def open(path):
    """The file at `path` (a sweep, a merge, or a `scaleham fit` file; a path
    or a binary file-like object such as io.BytesIO of a file's bytes) as an
    xarray.DataTree with one node per group, made ready for analysis (module
    docstring). Lazy: values are read when used."""
    tree = xr.open_datatree(path, engine="h5netcdf")
    nodes = {node.path: node.to_dataset(inherit=False) for node in tree.subtree}
    sampled = nodes.pop("/parameters", None)
    if sampled is not None:
        # On every node over `point` (a DataTree inherits only indexed coordinates).
        coords = {name: sampled[name].variable for name in sampled.data_vars}
        for path_ in nodes:
            if "point" in nodes[path_].dims:
                nodes[path_] = nodes[path_].assign_coords(coords)
    if "/curves" in nodes and "log_tau" in nodes["/curves"]:
        nodes["/curves"] = nodes["/curves"].rename({"log_tau": "ln_tau"})
        # T_min or T_max swept: /curves/T spans their axes and T_index; it is
        # still the curves' temperature coordinate.
        if "T" in nodes["/curves"].data_vars:
            nodes["/curves"] = nodes["/curves"].set_coords("T")
    for path_ in nodes:
        nodes[path_] = _alias_lambda(nodes[path_])
    # `lambda` beside the `lam` index in every node that has the dimension
    # (not inherited: it is not an index).
    lam = nodes["/"].get("lambda")
    if lam is not None and LAMBDA_ALIAS in lam.dims:
        for path_ in nodes:
            if LAMBDA_ALIAS in nodes[path_].dims and "lambda" not in nodes[path_].variables:
                nodes[path_] = nodes[path_].assign_coords({"lambda": lam.variable})
    return xr.DataTree.from_dict({path_: _short_labels(ds) for path_, ds in nodes.items()})


def status_names(status):
    """A status DataArray (uint8 codes with CF flag attributes) as names
    ("ok", "at_bound", ...), same shape and coordinates."""
    meanings = status.attrs.get("flag_meanings")
    values = status.attrs.get("flag_values")
    if meanings is None or values is None:
        raise ValueError(f"{status.name!r} has no flag_meanings/flag_values: not a status variable")
    if isinstance(meanings, bytes):
        meanings = meanings.decode()
    lookup = dict(zip(np.asarray(values).tolist(), meanings.split()))
    names = np.vectorize(lambda code: lookup.get(int(code), f"unknown({int(code)})"), otypes=[object])
    out = xr.apply_ufunc(names, status)
    out.attrs = {"long_name": builtins.str(status.attrs.get("long_name", status.name))}
    return out.rename(status.name)
