#!/usr/bin/env python3
"""Compares two `scaleham run` output files with the cross-backend rules of
docs/numerics.md (the same tolerance table as tests/equivalence.hpp).

    compare_outputs.py GOT.h5 WANT.h5 [--verbose] [--formula-model]

GOT is the file under test (GPU, FMA build), WANT the CPU oracle; both must be
runs of the same configuration at the same precision. The bounds follow from
the file's root attributes `config` (TOML) and `precision`. Exit status 0 when
every dataset is equivalent, 1 otherwise (a report per dataset on stdout),
2 on bad usage. Needs Python >= 3.11 (tomllib), numpy and h5py.

--formula-model: GOT is the same sweep with β and F written as formulas
(numerics.md §11); the configurations may differ in [model] only. GOT's
B_rel_err (the departure from the paper's prediction A/(λc)) is NaN
throughout when its formulas are interpreted (they have no b1, f_m1): then
not compared.
"""
import argparse
import sys
import tomllib

import h5py
import numpy as np

EPS = {"double": np.finfo(np.float64).eps, "float": np.finfo(np.float32).eps}
STATUS = {"ok": 0, "target_reached": 1, "left_domain": 2, "max_steps": 4, "invalid_options": 6,
          "invalid_initial_state": 7}
BETA = ["b0", "b1", "b2", "b3", "b4"]
ALIASES = {"lambda": "b1", "A": "f_m1"}


class Settings:
    """The parts of the configuration the bounds need (docs/config.md defaults)."""

    def __init__(self, text):
        cfg = tomllib.loads(text)
        flow, action = cfg.get("flow", {}), cfg.get("action", {})
        temperature, fit = cfg.get("temperature", {}), cfg.get("fit", {})
        self.method = flow.get("integrator", "dopri5")
        self.rtol = float(flow.get("rtol", 1e-10))
        self.atol = float(flow.get("atol", 1e-12))
        self.on_manifold = flow.get("p0", "on_manifold") == "on_manifold"
        self.q_rtol = float(action.get("rtol", 1e-11))
        self.q_atol = float(action.get("atol", 0.0))
        self.fit_enabled = bool(fit.get("enabled", True))
        self.n_T = int(temperature.get("points", 32))
        self.T_min = float(temperature.get("T_min", 420.0))
        self.T_max = float(temperature.get("T_max", 700.0))
        self.T_ref = float(temperature.get("T_ref", self.T_max))
        self.log_tau0 = float(np.log(float(temperature.get("tau0", 1e-14))))
        self.tg_level = float(np.log(float(fit.get("tg_tau", 100.0))))
        model = {ALIASES.get(k, k): v for k, v in cfg.get("model", {}).items()}
        self.base = {"b0": 0.0, "b1": 0.1, "b2": 0.0, "b3": 0.0, "b4": 0.0, "g0": float(flow.get("g0", 1.0)),
                     "T0": float(temperature.get("T0", 400.0)), "c": float(temperature.get("c", 1.0))}
        self.base.update({k: float(v) for k, v in model.items() if k in self.base})
        grid = cfg.get("grid", {})
        self.halton = grid.get("sampling", "cartesian") == "halton"
        self.axes = [ALIASES.get(a["name"], a["name"]) for a in grid.get("axis", [])]
        self.axis_names = [a["name"] for a in grid.get("axis", [])]


def close(got, want, rel, abs_):
    """Element-wise close() of tests/equivalence.hpp: equal (infinities too), NaN
    in the same place, or |got − want| <= abs + rel·max(|got|, |want|)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = abs_ + rel * np.maximum(np.abs(got), np.abs(want))
        ok = (got == want) | (np.isnan(got) & np.isnan(want))
        finite = np.isfinite(got) & np.isfinite(want)
        diff = np.where(finite, np.abs(got - want), np.inf)
        ok |= finite & (diff <= bound)
    return ok, diff, bound


def point_parameters(f, s, dtype):
    """β coefficients, g0, T0 and c of every point, in the file's precision."""
    shape = f["flow/status"].shape if "flow" in f else f["fit/status"].shape
    values = {}
    for name in BETA + ["g0", "T0", "c"]:
        v = np.full(shape, s.base[name], dtype=dtype)
        if name in s.axes:
            axis = s.axis_names[s.axes.index(name)]
            if s.halton:
                v = f["parameters/" + axis][...].astype(dtype)
            else:
                coord = f[axis][...].astype(dtype)
                dim = s.axes.index(name)
                v = np.broadcast_to(coord.reshape([-1 if d == dim else 1 for d in range(len(shape))]), shape)
        values[name] = np.asarray(v, dtype)
    return values


def rounding_decided(params, s, eps, dtype):
    """numerics.md §7: β within rounding of 0 at g0 or at a curve coupling."""
    def near_zero(x):
        x = x.astype(np.float64)
        value = np.zeros_like(x)
        magnitude = np.zeros_like(x)
        for k in range(4, -1, -1):
            b = params[BETA[k]].astype(np.float64)
            value = value * x + b
            magnitude = magnitude * np.abs(x) + np.abs(b)
        return np.abs(value) <= 10.0 * eps * magnitude

    decided = near_zero(params["g0"]) if s.on_manifold else np.zeros(params["g0"].shape, bool)
    if s.fit_enabled:
        T0, c = params["T0"], params["c"]
        n = s.n_T
        for j in range(n):
            T = dtype(s.T_max) if j == n - 1 else dtype(s.T_min) + (dtype(s.T_max) - dtype(s.T_min)) * (
                dtype(j) / dtype(n - 1))
            decided |= near_zero(c * (dtype(T) - T0))
        decided |= near_zero(c * (dtype(s.T_ref) - T0))
    return decided


def same_sweep(got_text, want_text, formula_model):
    """Whether two configurations describe the same sweep: equal texts, or with
    formula_model the same TOML apart from [model]."""
    if got_text == want_text:
        return True
    if not formula_model:
        return False
    got, want = tomllib.loads(got_text), tomllib.loads(want_text)
    got.pop("model", None)
    want.pop("model", None)
    return got == want


def compare(got_path, want_path, verbose=False, formula_model=False):
    report = []
    with h5py.File(got_path, "r") as g, h5py.File(want_path, "r") as w:
        text = w.attrs["config"]
        text = text.decode() if isinstance(text, bytes) else str(text)
        precision = str(w.attrs["precision"])
        if str(g.attrs["precision"]) != precision:
            return [f"precision differs: {g.attrs['precision']} vs {precision}"], 0
        got_text = g.attrs["config"]
        if not same_sweep(got_text.decode() if isinstance(got_text, bytes) else str(got_text), text, formula_model):
            return ["the two files were computed from different configurations"], 0
        s = Settings(text)
        eps = float(EPS[precision])
        dtype = np.float64 if precision == "double" else np.float32
        params = point_parameters(w, s, dtype)
        skip = rounding_decided(params, s, eps, dtype)
        n_points = skip.size

        def get(path, f):
            return f[path][...] if path in f else None

        failures = {}

        worst = {}  # dataset -> largest |diff|/bound over the compared points (--verbose)

        def check(name, ok_mask, diff=None, bound=None):
            bad = ~ok_mask & ~skip
            if diff is not None:
                with np.errstate(all="ignore"):
                    ratio = np.where(np.isfinite(diff) & ~skip & (diff > 0), diff / np.maximum(bound, 1e-300), 0)
                if ratio.size:
                    worst[name] = max(worst.get(name, 0.0), float(np.max(ratio)))
            if bad.any():
                idx = np.argwhere(bad)[:5].tolist()
                line = f"{name}: {int(bad.sum())} of {n_points} points outside bound, first at {idx}"
                if diff is not None:
                    ratio = np.where(bad, diff / np.maximum(bound, 1e-300), 0)
                    line += f", worst |diff|/bound {float(np.max(ratio)):.3g}"
                failures[name] = line

        def check_close(name, where, rel, abs_):
            a, b = get(name, g), get(name, w)
            if a is None and b is None:
                return None
            if a is None or b is None or a.shape != b.shape:
                failures[name] = f"{name}: present or shaped differently in one file only"
                return None
            ok, diff, bound = close(a, b, rel, abs_)
            check(name, ok | ~where, np.where(where, diff, 0), bound)
            return diff, bound

        # Coordinates, Halton parameters and the temperature grid: bitwise (§1).
        bitwise = [f"parameters/{a}" for a in s.axis_names] if s.halton else list(s.axis_names)
        for name in bitwise + ["curves/T"]:
            if name in w:
                a, b = g[name][...], w[name][...]
                if a.shape != b.shape or not np.array_equal(a, b):
                    failures[name] = f"{name}: not bitwise equal"

        # Statuses (§7).
        for name in ["flow/status", "hj/status", "fit/status", "fit/curve_status"]:
            a, b = get(name, g), get(name, w)
            if a is not None and b is not None:
                check(name, a == b)
        flow = get("flow/status", w)
        if flow is not None:
            statuses_equal = flow == get("flow/status", g)
            steps = np.maximum(get("flow/steps", g), get("flow/steps", w)).astype(np.float64)
            n = np.maximum(steps, 1.0)
            rounding = 4.0 * eps * n
            if s.method == "rk4":
                rel, abs_ = rounding, 0.0
            else:
                k = 2.0 * np.sqrt(3.0) * n
                rel, abs_ = k * s.rtol + rounding, k * s.atol
            done = statuses_equal & np.isin(flow, [0, 1, 2])
            event = done & (flow != 0)
            start = statuses_equal & np.isin(flow, [6, 7])
            check_close("flow/p0_used", statuses_equal, 32.0 * eps if s.on_manifold else 0.0, 0.0)
            check_close("flow/g", done & ~event, rel, abs_)
            check_close("flow/g", event | start, 0.0, 0.0)
            check_close("flow/p", done, rel, abs_)
            check_close("flow/S", done, rel, abs_)
            check_close("flow/S", start, 0.0, 0.0)
            check_close("flow/ell_end", done & ~event, 0.0, 0.0)
            check_close("flow/ell_end", event, rel, abs_)
            check_close("flow/h_drift", done, 0.0, 5.0 * rel + 32.0 * eps)
            hj = get("hj/status", w)
            if hj is not None:
                ok_action = done & (hj == 0) & (get("hj/status", g) == 0)
                errors = np.nan_to_num(get("hj/action_error", g).astype(np.float64), posinf=0, neginf=0) + \
                    np.nan_to_num(get("hj/action_error", w).astype(np.float64), posinf=0, neginf=0)
                check_close("hj/action", ok_action, rel, abs_ + errors)
                size = np.maximum(np.abs(get("hj/action", g).astype(np.float64)),
                                  np.abs(get("hj/action", w).astype(np.float64)))
                q_bound = np.maximum(s.q_atol, s.q_rtol * size) + 100.0 * eps * size
                check_close("hj/action_error", ok_action, 0.0, q_bound)
                S = np.maximum(np.abs(get("flow/S", g).astype(np.float64)), np.abs(get("flow/S", w).astype(np.float64)))
                with np.errstate(divide="ignore", invalid="ignore"):
                    c_bound = ((abs_ + rel * S) + (abs_ + errors + rel * size)) / size + 4.0 * eps
                check_close("hj/consistency", ok_action & (size > 0), 0.0, np.nan_to_num(c_bound))

        code = get("fit/status", w)
        if code is not None:
            # Succeeded fits: ok (0) or at_bound; status names from the file's flag attributes.
            meanings = w["fit/status"].attrs.get("flag_meanings", b"")
            meanings = (meanings.decode() if isinstance(meanings, bytes) else str(meanings)).split()
            values = list(w["fit/status"].attrs.get("flag_values", range(len(meanings))))
            success = [int(v) for v, m in zip(values, meanings) if m in ("ok", "at_bound", "target_reached")]
            fitted = (code == get("fit/status", g)) & np.isin(code, success)
            wf = {k: get("fit/" + k, w).astype(np.float64) for k in
                  ["a", "B", "T_vf", "a_stderr", "B_stderr", "T_vf_stderr", "rms", "B_T_vf_correlation", "Tg"]}
            gf_rms = get("fit/rms", g).astype(np.float64)
            nT = float(s.n_T)
            with np.errstate(all="ignore"):
                a, B, T_vf = wf["a"], wf["B"], wf["T_vf"]
                y_lo, y_hi = a + B / (s.T_min - T_vf), a + B / (s.T_max - T_vf)
                y_max = np.maximum(np.abs(y_lo), np.abs(y_hi))
                pieces = np.abs(y_lo - s.log_tau0) + np.abs(y_hi - s.log_tau0)
                dy = 2.0 * (nT * s.q_atol + (s.q_rtol + 100.0 * eps) * pieces) + (nT + 2.0) * eps * y_max
                fixed = T_vf == 0
                free = np.where(fixed, 2.0, 3.0)
                rms = np.maximum(np.nan_to_num(gf_rms), np.nan_to_num(wf["rms"]))
                s_got = np.nan_to_num(gf_rms) * np.sqrt(nT / (nT - free))
                s_want = np.nan_to_num(wf["rms"]) * np.sqrt(nT / (nT - free))
                xtol = ftol = 100.0 * eps

                def cond(k):
                    # c_k = stderr_k / s from whichever side has s > 0 (equivalence.hpp).
                    se_g = np.abs(np.nan_to_num(get(f"fit/{k}_stderr", g).astype(np.float64)))
                    se_w = np.abs(np.nan_to_num(wf[f"{k}_stderr"]))
                    c_g = np.where(s_got > 0, se_g / np.where(s_got > 0, s_got, 1), 0.0)
                    c_w = np.where(s_want > 0, se_w / np.where(s_want > 0, s_want, 1), 0.0)
                    return np.maximum(c_g, c_w)

                def bound(value, c):
                    # Where LM stops: within sqrt(ftol·cost + 2 δcost) of the minimum in
                    # the metric of J, δcost = 8 ε n rms (2 y_max + |a|) the rounding of
                    # the cost itself (numerics.md §6.2).
                    stop = np.sqrt(nT * rms * (ftol * rms + 16 * eps * (2 * y_max + np.abs(a))))
                    return (np.sqrt(nT) * dy * c + 2 * xtol * (np.abs(value) + xtol) + 2 * c * stop
                            + 4 * eps * np.abs(value))

                c_k = {k: cond(k) for k in ["a", "B", "T_vf"]}
                da, dB = bound(a, c_k["a"]), bound(B, c_k["B"])
                dT = np.where(fixed, 0.0, bound(T_vf, c_k["T_vf"]))
                derived = 8.0 * eps
                check_close("fit/a", fitted, 0.0, da)
                check_close("fit/B", fitted, 0.0, dB)
                check_close("fit/T_vf", fitted, 0.0, dT)
                check_close("fit/D", fitted, dB / np.abs(B) + np.where(T_vf != 0, dT / np.abs(T_vf), 0) + derived, 0.0)
                gap = np.abs(s.tg_level - a)
                dTg = dT + dB / gap + np.abs(B) * da / gap**2
                check_close("fit/Tg", fitted, derived, dTg)
                check_close("fit/m", fitted,
                            dB / np.abs(B) + dTg / np.abs(wf["Tg"]) + 2 * (dTg + dT) / np.abs(wf["Tg"] - T_vf) + derived,
                            0.0)
                rel_err = get("fit/B_rel_err", w)
                if rel_err is not None and formula_model and np.isnan(get("fit/B_rel_err", g)).all():
                    pass  # interpreted formulas have no b1, f_m1: no paper prediction
                elif rel_err is not None:
                    check_close("fit/B_rel_err", fitted, 0.0,
                                dB / np.abs(B) * np.abs(1.0 + rel_err.astype(np.float64)) + derived)
                d_rms = dy + 4.0 * eps * y_max
                check_close("fit/rms", fitted, 0.0, d_rms)
                rho = np.abs(np.nan_to_num(wf["B_T_vf_correlation"]))
                dJ = dB / np.abs(B) + 2.0 * dT / np.abs(s.T_min - T_vf)
                d_c = 2.0 * dJ / np.maximum(1.0 - rho * rho, 4.0 * eps) + derived
                d_s = np.sqrt(nT / (nT - free)) * d_rms
                for k in ["a", "B", "T_vf"]:
                    check_close(f"fit/{k}_stderr", fitted, d_c, c_k[k] * d_s)
                check_close("fit/B_T_vf_correlation", fitted, 0.0, d_c)
                if "curves/log_tau" in w:
                    # The curve itself: within dy of each other at every temperature (§6.1).
                    curve_ok = (get("fit/curve_status", w) == 0) & (get("fit/curve_status", g) == 0)
                    cg, cw = g["curves/log_tau"][...], w["curves/log_tau"][...]
                    lt = cw.astype(np.float64)
                    c_pieces = np.abs(lt[..., 0] - s.log_tau0) + np.abs(lt[..., -1] - s.log_tau0)
                    c_dy = 2.0 * (nT * s.q_atol + (s.q_rtol + 100.0 * eps) * c_pieces) + \
                        (nT + 2.0) * eps * np.max(np.abs(lt), axis=-1)
                    ok, diff, bnd = close(cg, cw, 0.0, c_dy[..., None])
                    # A failed curve holds partial sums up to the failure: not compared.
                    check("curves/log_tau", np.all(ok, axis=-1) | ~curve_ok,
                          np.where(curve_ok, np.max(diff / bnd, axis=-1), 0), np.ones(curve_ok.shape))

        for name, line in sorted(failures.items()):
            report.append(line)
        if verbose:
            for name in sorted(worst):
                report.append(f"  {name}: largest |diff|/bound {worst[name]:.3g}")
            report.append(f"{int(skip.sum())} of {n_points} points rounding-decided (numerics.md §7), not compared")
        return report, int(skip.sum())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("got")
    parser.add_argument("want")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--formula-model", action="store_true",
                        help="GOT computes WANT's model written as formulas (numerics.md §11)")
    args = parser.parse_args(argv)
    report, skipped = compare(args.got, args.want, args.verbose, args.formula_model)
    failed = [line for line in report if "rounding-decided" not in line and not line.startswith("  ")]
    for line in report:
        print(line)
    print(f"compare_outputs: {args.got} vs {args.want}: "
          f"{'EQUIVALENT' if not failed else 'NOT EQUIVALENT'} ({skipped} rounding-decided points skipped)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
