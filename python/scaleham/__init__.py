"""scaleham from Python.

    import scaleham
    tree = scaleham.run({"model": {"lambda": 0.1}})  # a sweep, results in memory (the C++ engine, bound in)
    plan = scaleham.estimate({"grid": {...}})        # points, bytes and time before running (no file)
    fits = scaleham.fit("melt.csv", models="all")
    tree = scaleham.open("scaleham-example.h5")    # an xarray.DataTree, one node per group
    tree["fit"].ds.B.sel(lam=0.1)                  # `lam`: the λ axis (lambda is a Python keyword)
    scaleham.status_names(tree["fit"].ds.status)   # status codes as names
    scaleham.plot.parameter_map(tree, "fit/B")     # the usual plots: scaleham.plot

The files themselves open in plain xarray/netCDF tools too; `open` adds what
analysis needs on top (docs in the README, "Python").
"""
from .engine import ScalehamError, binding, estimate, executable, fit, run
from .files import open, status_names, LAMBDA_ALIAS

__all__ = ["open", "status_names", "LAMBDA_ALIAS", "run", "estimate", "fit", "binding", "executable", "ScalehamError", "plot"]


def __getattr__(name):
    # matplotlib is optional: scaleham.plot imports it when first used.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'scaleham' has no attribute {name!r}")
