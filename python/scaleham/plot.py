"""The usual plots of scaleham results, one call each (matplotlib).

    from scaleham import plot
    plot.parameter_map(tree, "fit/B")         # a map over two grid axes, with the paper's B = A/(λc)
    plot.angell(tree, color_by="lam")         # log10 τ against Tg/T, one curve per point
    plot.departure(tree, "b2")                # B_rel_err and rms against a parameter
    plot.fit_curves(fit_tree, "B2O3")         # measured data, every fitted law, residuals

Each returns the matplotlib Figure and takes `ax=` (or `axes=`) to draw into
existing axes. `tree` is what scaleham.open returns (a path works too).
"""
import math

import numpy as np

from .files import LAMBDA_ALIAS, open as open_file

LN10 = math.log(10.0)


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _tree(tree):
    return open_file(tree) if isinstance(tree, (str, bytes)) or hasattr(tree, "__fspath__") else tree


def _variable(tree, path):
    group, _, name = path.rpartition("/")
    node = tree[group] if group else tree
    if name not in node.ds:
        raise KeyError(f"no variable {path!r} in the file (groups: {[c for c in tree.children]})")
    return node.ds[name]


def _label(da):
    name = da.attrs.get("long_name", da.name)
    units = da.attrs.get("units")
    return f"{name} [{units}]" if units and units != "1" else name


def _new_axes(ax, **kwargs):
    if ax is not None:
        return ax.figure, ax
    return _plt().subplots(**kwargs)


def parameter_map(tree, var="fit/B", x=None, y=None, ax=None, prediction=True, **kwargs):
    """`var` over two grid axes (default: the first two dimensions, the slowest
    as y). For B on a grid over λ and A, with prediction=True, contours of the
    paper's prediction B = A/(λc) over the map (dashed), labelled."""
    tree = _tree(tree)
    da = _variable(tree, var)
    dims = [d for d in da.dims if da.sizes[d] > 1]
    if len(dims) < 2:
        raise ValueError(f"{var} varies along {dims}: a map needs two grid axes (a cartesian sweep)")
    y = y or dims[0]
    x = x or dims[1]
    other = [d for d in da.dims if d not in (x, y)]
    if other:
        da = da.isel({d: 0 for d in other})
    fig, ax = _new_axes(ax, figsize=(6, 4.5))
    mesh = da.transpose(y, x).plot.pcolormesh(ax=ax, x=x, y=y, add_colorbar=True, **kwargs)
    mesh.colorbar.set_label(_label(da))
    if prediction and da.name == "B":
        # The axes that set b1 (λ) and f_m1 (A), by their slot: formula models
        # may name other parameters lambda and A (or these ones otherwise).
        coords = {c: da[c] for c in (x, y)}
        slot = {c: str(v.attrs.get("slot", v.attrs.get("parameter", c))) for c, v in coords.items()}
        lam = next((coords[c] for c in coords if slot[c] == "b1"), None)
        A = next((coords[c] for c in coords if slot[c] == "f_m1"), None)
        if lam is not None and A is not None:
            c = float(tree.attrs.get("c", 1.0))
            predicted = (A / (lam * c)).transpose(y, x)
            lines = ax.contour(da[x].values, da[y].values, predicted.values, colors="white", linestyles="dashed",
                               linewidths=0.8)
            ax.clabel(lines, fontsize=7, fmt="%g")
            ax.plot([], [], color="white", linestyle="dashed", label="paper: B = A/(λc)")
            ax.legend(loc="upper right", fontsize=8, facecolor="0.3", labelcolor="white")
    ax.set_title(f"{da.attrs.get('long_name', da.name)} ({var.rpartition('/')[0] or '/'})")
    return fig


def angell(tree, color_by=None, ax=None, max_curves=64, cmap="viridis"):
    """Angell plot: log10 τ against Tg/T for every point's curve (/curves,
    written with [output] curves = true), coloured by a grid parameter (default:
    the first grid axis). At most `max_curves` curves, evenly chosen."""
    tree = _tree(tree)
    if "curves" not in tree.children:
        raise KeyError("no /curves in the file: run the sweep with [output] curves = true")
    ln_tau = tree["curves"].ds["ln_tau"]
    Tg = tree["fit"].ds["Tg"]
    # The curves' own dimension: T, or T_index when T_min or T_max is swept
    # (then T is a coordinate over those axes too, one grid per point).
    along = ln_tau.dims[-1]
    T_of_curve = ln_tau["T"].broadcast_like(ln_tau)
    grid_dims = [d for d in ln_tau.dims if d != along]
    stacked = ln_tau.stack(curve=grid_dims).transpose("curve", along)
    T_stacked = T_of_curve.stack(curve=grid_dims).transpose("curve", along).values
    Tg_flat = Tg.stack(curve=grid_dims)
    color_by = color_by or (grid_dims[0] if grid_dims[0] != "point" else
                            next(c for c in tree.ds.coords if c not in ("point", LAMBDA_ALIAS)))
    colour_values = stacked[color_by].values if color_by in stacked.coords else tree.ds[color_by].values
    n = stacked.sizes["curve"]
    chosen = np.unique(np.linspace(0, n - 1, min(n, max_curves)).round().astype(int))
    fig, ax = _new_axes(ax, figsize=(6, 4.5))
    plt = _plt()
    norm = plt.Normalize(np.nanmin(colour_values), np.nanmax(colour_values))
    colormap = plt.get_cmap(cmap)
    drawn = 0
    for i in chosen:
        tg = float(Tg_flat.values[i])
        if not np.isfinite(tg):
            continue
        ax.plot(tg / T_stacked[i], stacked.values[i] / LN10, color=colormap(norm(colour_values[i])), linewidth=0.9)
        drawn += 1
    ax.set_xlabel("Tg / T")
    ax.set_ylabel("log10 τ [s]")
    # The Tg level: one line, unless tg_tau is swept (each curve its own level).
    if "tg_tau" not in str(tree.attrs.get("swept_settings", "")).split():
        level = float(tree.attrs.get("ln_tg_tau", math.log(100.0))) / LN10
        ax.axhline(level, color="0.5", linewidth=0.6, linestyle=":")
    ax.axvline(1.0, color="0.5", linewidth=0.6, linestyle=":")
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax)
    coordinate = tree.ds[color_by] if color_by in tree.ds.coords else stacked[color_by]
    bar.set_label(_label(coordinate))
    ax.set_title(f"Angell plot: {drawn} curves")
    return fig


def departure(tree, x, variables=("fit/B_rel_err", "fit/rms"), axes=None):
    """How far the theory departs from the VFT law, against a grid parameter
    `x`: one panel per variable, one line per value of the other grid axes
    (at most 8), or points for Halton/paired sweeps."""
    tree = _tree(tree)
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(len(variables), 1, figsize=(6, 2.6 * len(variables)), sharex=True, squeeze=False)
        axes = axes[:, 0]
    else:
        fig = axes[0].figure
    for ax, path in zip(axes, variables):
        da = _variable(tree, path)
        if x in da.dims:
            others = [d for d in da.dims if d != x]
            flat = da.stack(line=others) if others else da.expand_dims(line=[0])
            flat = flat.transpose("line", x)
            lines = np.unique(np.linspace(0, flat.sizes["line"] - 1, min(8, flat.sizes["line"])).round().astype(int))
            for i in lines:
                label = None
                if len(others) == 1:
                    value = np.ravel(flat["line"].values[i])[0]  # a 1-tuple from stack()
                    label = f"{da[others[0]].attrs.get('long_name', others[0])} = {value:g}"
                ax.plot(da[x].values, flat.values[i], marker=".", linewidth=0.9, label=label)
            ax.set_xlabel(_label(da[x]))
            if len(others) == 1 and ax is axes[0]:
                ax.legend(fontsize=7, ncol=2)
        else:  # a sampled parameter along `point`
            ax.plot(da[x].values, da.values, ".", markersize=3)
            ax.set_xlabel(_label(tree.ds[x]))
        ax.set_ylabel(_label(da))
        ax.axhline(0.0, color="0.5", linewidth=0.6)
    fig.suptitle(f"departure from the VFT law against {x}")
    return fig


def fit_curves(tree, dataset=0, axes=None):
    """A `scaleham fit -o` file: the measured rows of one dataset (by name or
    index; rows left out hollow), every fitted law's curve with its 95%
    bootstrap band (when fitted with --bootstrap), and the residuals below.
    y in the file's units (ln or log10 of y)."""
    tree = _tree(tree)
    names = [str(n) for n in tree.ds["dataset"].values]
    index = names.index(dataset) if isinstance(dataset, str) else int(dataset)
    points = tree["points"].ds
    mine = points["dataset_index"].values == index
    T, y, used = points["T"].values[mine], points["y"].values[mine], points["used"].values[mine].astype(bool)
    units = str(tree.attrs.get("units", "ln"))
    scale = 1.0 if units == "ln" else 1 / LN10
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        fig = axes[0].figure
    top, bottom = axes
    top.plot(T[used], y[used], "ko", markersize=4, label="measured")
    if (~used).any():
        top.plot(T[~used], y[~used], "o", markerfacecolor="none", markeredgecolor="k", markersize=4, label="left out")
    grid = np.linspace(T.min(), T.max(), 200)
    laws = [m for m in str(tree.attrs.get("models", "vft")).split(",") if m in tree.children]
    for law in laws:
        ds = tree[law].ds
        p = [float(ds[name].values[index] / (scale if name in ("a", "B", "K", "E") else 1.0))
             for name in _parameters(law) if name in ds]
        if any(not np.isfinite(v) for v in p):
            continue
        curve = _law(law, grid, p) * scale
        status = "" if int(ds["status"].values[index]) == 0 else " (at bound)"
        line, = top.plot(grid, curve, linewidth=1.2, label=f"{law}{status}, ΔAIC {float(ds['delta_aic'].values[index]):.1f}")
        if "band" in ds and np.isfinite(ds["band"].values[index]).all():  # with --bootstrap
            top.fill_between(ds["band_T"].values[index], ds["band"].values[index, :, 0], ds["band"].values[index, :, 1],
                             color=line.get_color(), alpha=0.2, linewidth=0)
        residual = ds["residual"].values[mine]
        bottom.plot(T, residual, "o", color=line.get_color(), markersize=3)
    top.set_ylabel(f"{units} y")
    top.legend(fontsize=8)
    top.set_title(names[index])
    bottom.axhline(0.0, color="0.5", linewidth=0.6)
    bottom.set_xlabel("T [K]")
    bottom.set_ylabel("residual")
    return fig


def _parameters(law):
    return {"vft": ("a", "B", "T_vf"), "myega": ("a", "K", "C"), "avramov_milchev": ("a", "T_A", "alpha"),
            "arrhenius": ("a", "E")}[law]


def _law(law, T, p):
    """ln y of a law (natural-log parameters), as relaxation_laws.hpp writes it."""
    if law == "vft":
        return p[0] + p[1] / (T - p[2])
    if law == "myega":
        return p[0] + p[1] / T * np.exp(p[2] / T)
    if law == "avramov_milchev":
        return p[0] + (p[1] / T) ** p[2]
    return p[0] + p[1] / T
