/// \file point.hpp
/// The whole computation of one grid point, fused over registers: the one
/// function the CPU and CUDA backends both call (they differ only in the loop).
///
/// Per point:
///  1. the flow of Hamilton's equations from (g0, p0) over ℓ ∈ [0, ell] (p0
///     given, or on the HJ manifold p0 = −F(g0)/β(g0));
///  2. the HJ action between g0 and the end of the path by quadrature, and its
///     consistency with the action accumulated along the flow. Since dS/dℓ = −F
///     and dg/dℓ = β on every path, S_end − S_0 = −∫_{g0}^{g_end} F/β dg holds
///     on and off the manifold, so the check applies to every point;
///  3. the relaxation-time curve ln τ(T_j) = ln τ0 + S(c (T_j − T0)) on the
///     temperature grid, with S(g) = −∫_{g_ref}^{g} F/β and g_ref = c (T_ref − T0),
///     kept in registers (max_curve_points), and its VFT fit (vft.hpp).
///     For the paper's model the fit is exact: B = A/(λc), T_vf = T0,
///     a = ln τ0 − A/(λ g_ref).
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "scaleham/action.hpp"
#include "scaleham/expression.hpp"
#include "scaleham/config.hpp"
#include "scaleham/grid.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/parameters.hpp"
#include "scaleham/status.hpp"
#include "scaleham/steppers.hpp"
#include "scaleham/vft.hpp"

namespace scaleham {

enum class integrator : int { dopri5 = 0, rk4 = 1 };

/// Most temperatures of a per-point relaxation-time curve (held in registers / local memory).
inline constexpr int max_curve_points = 64;

/// The relaxation-time curve of every point and its VFT fit.
template <class Real>
struct relaxation_settings {
  bool enabled = true;
  int n_T = 32;               ///< temperatures, 4 .. max_curve_points
  Real T_min = Real(420);     ///< K, lowest temperature of the grid
  Real T_max = Real(700);     ///< K, highest
  Real T_ref = Real(700);     ///< K, where S = 0 (g_ref = c (T_ref − T0))
  Real log_tau0 = Real(-32.236191301916641);  ///< ln(τ0 / s); default τ0 = 1e-14 s
  bool T_ref_is_T_max = true;  ///< T_ref was not given: it follows T_max (also when T_max is swept)
  vft_options<Real> fit;

  /// Temperature j of the grid (linspace, both ends exact), rounded alike on
  /// every backend (it is also the /curves/T coordinate in the output).
  SCALEHAM_HD Real temperature(int j) const {
    return j == n_T - 1 ? T_max : unfused_mul_add(T_max - T_min, Real(j) / Real(n_T - 1), T_min);
  }
};

/// Settings shared by every point of a sweep.
template <class Real>
struct point_settings {
  integrator method = integrator::dopri5;
  int rk4_steps = 1000;                 ///< RK4 only: fixed steps over the span
  dopri5_options<Real> dopri5;          ///< DOPRI5 only
  stop_events<Real> events;             ///< domain (g_min, g_max) and optional target
  bool p0_on_manifold = true;           ///< else p0 comes from the parameter slot
  quadrature_options<Real> quadrature;  ///< HJ action
  bool compute_action = true;           ///< false: the HJ action is not computed (no /hj field is
                                        ///< written); its fields are NaN, its status ok
  relaxation_settings<Real> relaxation; ///< ln τ(T) curve and VFT fit
};

/// Everything one grid point produces. Plain data, written as-is by the backends.
template <class Real>
struct point_result {
  Real g, p, S;          ///< end state of the flow (S starts at 0)
  Real ell;              ///< RG time reached
  Real h_drift;          ///< relative H drift (steppers.hpp)
  Real p0;               ///< initial momentum used
  Real action;           ///< S(g_end) − S(g0) = −∫ F/β dg by quadrature
  Real action_error;     ///< its error estimate
  Real hj_consistency;   ///< |S_flow − action| / max(|action|, ε); NaN unless flow and action both succeeded
                         ///< (a ratio beyond the range of Real makes the action out_of_range)
  std::int32_t steps;    ///< accepted steps
  std::int32_t rejected; ///< rejected steps
  status flow_status;
  status action_status;
  status curve_status;   ///< worst quadrature status along the ln τ(T) curve
  vft_fit<Real> fit;     ///< VFT fit of the curve (code = curve_status when the curve failed)
  Real B_rel_err;        ///< B / (A/(λc)) − 1: departure from the paper's prediction (f_m1, b1);
                         ///< NaN unless the fit succeeded and A/(λc) and the ratio are finite and nonzero
};

/// ln τ(T_j) of the point's model on the temperature grid, into log_tau[0 .. n_T).
/// Returns the first failing quadrature status (ok when all succeeded), or
/// out_of_range when every piece succeeded but the chained sum ln τ0 + S
/// overflowed (a curve with a succeeded status is finite throughout).
/// S is chained from the top of the grid down: S(T_j) = S(T_{j+1}) + ∫ over
/// [g_{j+1}, g_j] alone, so each quadrature spans one grid step.
/// Device code inlines the pipeline's stages: called out of line, their
/// reference arguments (settings in kernel parameter space) are copied into
/// the thread's stack (ptxas sm_90: 1432 B stack and 268/320 B spills in
/// evaluate_relaxations<double>; flow_and_action<float> spilled 32/36 B in
/// its own frame). Host code as the compiler sees fit.
#if defined(__CUDA_ARCH__)
#define SCALEHAM_STAGE_INLINE __forceinline__
#else
#define SCALEHAM_STAGE_INLINE
#endif

template <class Model, class Real>
SCALEHAM_HD SCALEHAM_STAGE_INLINE status relaxation_curve(const Model& m, Real T0, Real c,
                                    const relaxation_settings<Real>& rs,
                                    const quadrature_options<Real>& quadrature, Real* log_tau) {
  const int n = rs.n_T;
  const quadrature_result<Real> top = hj_action(m, c * (rs.T_ref - T0), c * (rs.T_max - T0), quadrature);
  Real S = top.value;
  status worst = top.code;
  log_tau[n - 1] = rs.log_tau0 + S;
  Real g_upper = c * (rs.T_max - T0);  // g of temperature j + 1
  for (int j = n - 2; j >= 0; --j) {
    const Real g = c * (rs.temperature(j) - T0);
    const quadrature_result<Real> piece = hj_action(m, g_upper, g, quadrature);
    if (succeeded(worst) && !succeeded(piece.code)) worst = piece.code;
    S += piece.value;
    log_tau[j] = rs.log_tau0 + S;
    g_upper = g;
  }
  if (succeeded(worst))
    for (int j = 0; j < n; ++j)
      if (!std::isfinite(log_tau[j])) worst = status::out_of_range;
  return worst;
}

/// Row source over the temperature grid and a curve held by the caller.
template <class Real>
struct curve_rows {
  using real_type = Real;
  const relaxation_settings<Real>& grid;
  const Real* log_tau;
  SCALEHAM_HD int size() const { return grid.n_T; }
  SCALEHAM_HD void row(int i, Real& T, Real& y) const { T = grid.temperature(i), y = log_tau[i]; }
};

/// What a point's flow starts from: its model, initial state and ℓ span.
template <class Real, class Model = model<Real>>
struct flow_start {
  Model m;
  phase_point<Real> y0;
  Real ell_end;
};

/// The model type a family of models (builtin_models, formula_models) makes for Real.
template <class Models, class Real>
using model_of = decltype(std::declval<const Models&>()(static_cast<const Real*>(nullptr)));

/// Stage 1 of a point: the model (made by `models` from the parameter vector,
/// which a formula model keeps pointing to: it must outlive the start) and the
/// initial state (p0 given, or on the HJ manifold).
template <class Models, class Real>
SCALEHAM_HD flow_start<Real, model_of<Models, Real>> start_of_flow(const Models& models, const Real* params,
                                                                   const point_settings<Real>& settings) {
  const model_of<Models, Real> m = models(params);
  const Real g0 = params[param_g0];
  const Real p0 = settings.p0_on_manifold ? on_manifold_momentum(m, g0) : params[param_p0];
  return {m, phase_point<Real>{g0, p0, Real(0)}, params[param_ell]};
}

/// The same for the built-in models.
template <class Real>
SCALEHAM_HD flow_start<Real> start_of_flow(const Real* params, const point_settings<Real>& settings) {
  return start_of_flow(builtin_models{}, params, settings);
}

/// Stage 2: the path, by the sweep's integrator. (The CPU backend may instead
/// integrate several starts at once on SIMD lanes, bitwise alike.)
template <class Real, class Model>
SCALEHAM_HD path_result<Real> integrate_flow(const flow_start<Real, Model>& start,
                                             const point_settings<Real>& settings) {
  return settings.method == integrator::rk4
             ? integrate_rk4(start.m, start.y0, start.ell_end, settings.rk4_steps, settings.events)
             : integrate_dopri5(start.m, start.y0, start.ell_end, settings.dopri5, settings.events);
}

/// Stage 3: the point's flow fields from its path, and the HJ action between
/// g0 and the end of the path with its consistency check (skipped when
/// compute_action is false: a sweep that writes no /hj field does not pay for the
/// quadrature). Leaves the relaxation fields (curve_status, fit, B_rel_err) unset.
template <class Real, class Model>
SCALEHAM_HD SCALEHAM_STAGE_INLINE point_result<Real> flow_and_action(const flow_start<Real, Model>& start,
                                                                     const path_result<Real>& path,
                                                                     const quadrature_options<Real>& quadrature,
                                                                     bool compute_action = true) {
  point_result<Real> r;
  r.g = path.end.g;
  r.p = path.end.p;
  r.S = path.end.S;
  r.ell = path.ell;
  r.h_drift = path.h_drift;
  r.p0 = start.y0.p;
  r.steps = path.steps;
  r.rejected = path.rejected;
  r.flow_status = path.code;

  const Real nan = real_limits<Real>::quiet_nan();
  if (!compute_action || path.code == status::invalid_initial_state || path.code == status::invalid_options) {
    r.action = r.action_error = r.hj_consistency = nan;
    r.action_status = compute_action ? path.code : status::ok;
    return r;
  }
  const quadrature_result<Real> action = hj_action(start.m, start.y0.g, path.end.g, quadrature);
  r.action = action.value;
  r.action_error = action.error;
  r.action_status = action.code;
  r.hj_consistency = nan;
  if (succeeded(path.code) && succeeded(action.code)) {
    const Real size = std::fmax(std::fabs(action.value), real_limits<Real>::epsilon());
    r.hj_consistency = std::fabs(path.end.S - action.value) / size;
    // S and the action of opposite signs near the top of the range: halve
    // both before the difference. A ratio still beyond the range is a
    // disagreement the type cannot express: the action is then out_of_range.
    if (!std::isfinite(r.hj_consistency)) {
      const Real half = std::fabs(Real(0.5) * path.end.S - Real(0.5) * action.value) / size;
      r.hj_consistency = half < real_limits<Real>::max_finite() / Real(2) ? Real(2) * half : nan;
      if (!std::isfinite(r.hj_consistency)) r.action_status = status::out_of_range;
    }
  }
  return r;
}

/// The relaxation part of a point: its ln τ curve's status, the VFT fit and
/// the departure from the paper's prediction. It depends on the model, T0 and
/// c only (not on g0, p0 or ℓ), so points that share them share it.
template <class Real>
struct relaxation_result {
  status curve_status;
  vft_fit<Real> fit;
  Real B_rel_err;
};

/// The parameter slots evaluate_relaxation reads (bit s for slot s): every
/// slot but g0, p0 and ell. Points whose parameters agree in these slots have
/// bitwise the same relaxation result and curve; a backend computes it once per
/// distinct projection of the grid onto these slots (grid_spec::projection).
/// The settings the flow's integration reads (domain, target, tolerances).
inline constexpr slot_mask flow_setting_slots = slot_range(setting_g_min, setting_flow_atol);
inline constexpr slot_mask flow_only_slots =
    (slot_mask(1) << param_g0) | (slot_mask(1) << param_p0) | (slot_mask(1) << param_ell) | flow_setting_slots;
inline constexpr slot_mask relaxation_slots = slot_range(0, slot_count - 1) & ~flow_only_slots;

/// Writes what the axes over setting slots (parameters.hpp) give point
/// `index` into its settings `s` (a copy of the sweep's): a sweep over T_min,
/// τ0 or a tolerance is a sweep over the points' settings. ln τ0 and the Tg
/// level are taken in double, as the configuration takes them.
template <class Real>
SCALEHAM_HD void apply_setting_axes(const grid_spec<Real>& grid, std::uint64_t index, point_settings<Real>& s) {
  for (int a = 0; a < grid.n_axes; ++a) {
    const int slot = grid.axes[a].slot;
    if (slot < param_count) continue;
    const Real v = grid.coordinate_of(index, a);
    relaxation_settings<Real>& r = s.relaxation;
    switch (slot) {
      case setting_T_min: r.T_min = v; break;
      case setting_T_max:
        r.T_max = v;
        if (r.T_ref_is_T_max) r.T_ref = v;
        break;
      case setting_T_ref: r.T_ref = v; break;
      case setting_tau0: r.log_tau0 = Real(std::log(double(v))); break;
      case setting_tg_tau: r.fit.tg_log_level = Real(std::log(double(v))); break;
      case setting_g_min: s.events.g_min = v; break;
      case setting_g_max: s.events.g_max = v; break;
      case setting_g_target:
        s.events.g_target = v;
        s.events.use_target = true;
        break;
      case setting_flow_rtol: s.dopri5.rtol = v; break;
      case setting_flow_atol: s.dopri5.atol = v; break;
      case setting_action_rtol: s.quadrature.rtol = v; break;
      case setting_action_atol: s.quadrature.atol = v; break;
      default: break;
    }
  }
}

/// The relaxation result of a sweep without curves: status ok, an unfitted fit.
template <class Real>
SCALEHAM_HD relaxation_result<Real> disabled_relaxation() {
  relaxation_result<Real> r;
  r.curve_status = status::ok;
  r.fit = unfitted_vft<Real>(status::ok, 0);
  r.B_rel_err = real_limits<Real>::quiet_nan();
  return r;
}

/// Stage 4 with the curve in storage the caller provides (n_T values, which
/// the fit then reads): on the GPU a table in device memory, so that no
/// per-thread array holds it; `quadrature` is settings.quadrature, on the GPU
/// with the thread's scratch. The relaxation must be enabled. Reads only the
/// slots in relaxation_slots. B_rel_err compares with the paper's prediction
/// from slots b1 and f_m1, so it is NaN for formula models (whose slots are 0).
template <class Real, class Models = builtin_models>
SCALEHAM_HD SCALEHAM_STAGE_INLINE relaxation_result<Real> evaluate_relaxation_into(const Real* params,
                                                             const point_settings<Real>& settings,
                                                             const quadrature_options<Real>& quadrature,
                                                             Real* log_tau,
                                                             const Models& models = {}) {
  const relaxation_settings<Real>& rs = settings.relaxation;
  const Real nan = real_limits<Real>::quiet_nan();
  relaxation_result<Real> r;
  const Real c = params[param_c];
  r.curve_status =
      relaxation_curve(models(params), params[param_T0], c, rs, quadrature, log_tau);
  r.fit = succeeded(r.curve_status) ? fit_vft(curve_rows<Real>{rs, log_tau}, rs.fit)
                                     : unfitted_vft<Real>(r.curve_status, rs.n_T);
  const Real predicted_B = params[param_f_m1] / (params[param_b1] * c);
  const Real ratio = r.fit.B / predicted_B;
  r.B_rel_err = succeeded(r.fit.code) && std::isfinite(predicted_B) && predicted_B != Real(0) &&
                        std::isfinite(ratio)
                    ? ratio - Real(1)
                    : nan;
  return r;
}

/// Stage 4: the ln τ curve of the point's model (into curve_out when given,
/// n_T values), its VFT fit and B_rel_err. Disabled curves give status ok and
/// an unfitted fit. Reads only the slots in relaxation_slots.
template <class Real, class Models = builtin_models>
SCALEHAM_HD relaxation_result<Real> evaluate_relaxation(const Real* params,
                                                        const point_settings<Real>& settings,
                                                        Real* curve_out = nullptr, const Models& models = {}) {
  if (!settings.relaxation.enabled) return disabled_relaxation<Real>();
  Real log_tau[max_curve_points];
  const relaxation_result<Real> r =
      evaluate_relaxation_into(params, settings, settings.quadrature, log_tau, models);
  if (curve_out != nullptr)
    for (int j = 0; j < settings.relaxation.n_T; ++j) curve_out[j] = log_tau[j];
  return r;
}

/// Writes a relaxation result into a point's result.
template <class Real>
SCALEHAM_HD void set_relaxation(point_result<Real>& r, const relaxation_result<Real>& x) {
  r.curve_status = x.curve_status;
  r.fit = x.fit;
  r.B_rel_err = x.B_rel_err;
}

/// Runs the fused per-point pipeline for the parameter vector `params`. When
/// `curve_out` is given, the ln τ curve (n_T values) is written there too.
/// `models` makes the point's model from params (builtin_models or formula_models).
template <class Real, class Models = builtin_models>
SCALEHAM_HD point_result<Real> evaluate_point(const Real* params,
                                              const point_settings<Real>& settings,
                                              Real* curve_out = nullptr, const Models& models = {}) {
  const auto start = start_of_flow(models, params, settings);
  point_result<Real> r = flow_and_action(start, integrate_flow(start, settings), settings.quadrature,
                                                settings.compute_action);
  set_relaxation(r, evaluate_relaxation(params, settings, curve_out, models));
  return r;
}

/// A sweep as the backends see it: the grid and the per-point settings.
/// Trivially copyable: passed by value to kernels.
template <class Real>
struct sweep_spec {
  grid_spec<Real> grid;
  point_settings<Real> settings;
  /// β and F as formulas (host memory, owned by the configuration), or
  /// nullptr for the built-in models of slots b0..f4. The CPU backend
  /// interprets them; the CUDA backend compiles kernels for them at run time
  /// (kernels/runtime_compiler.hpp).
  const model_formulas* formulas = nullptr;

  /// Calls f(models) with the sweep's family of models (builtin_models or
  /// formula_models), so that one instantiation serves each. Host only.
  template <class F>
  decltype(auto) with_models(F&& f) const {
    if (formulas != nullptr) return f(formula_models{formulas});
    return f(builtin_models{});
  }

  /// Whether axes sweep settings (setting slots): then each point has its
  /// own settings (settings_of).
  SCALEHAM_HD bool sweeps_settings() const { return grid.sets_any(setting_slots); }

  /// The settings of point `index`: the sweep's, with its setting axes applied.
  SCALEHAM_HD point_settings<Real> settings_of(std::uint64_t index) const {
    point_settings<Real> s = settings;
    apply_setting_axes(grid, index, s);
    return s;
  }

  /// Point `index` of the grid, computed from scratch (curve into curve_out
  /// if given). Host only: the GPU's kernels take the stages one by one.
  point_result<Real> evaluate(std::uint64_t index, Real* curve_out = nullptr) const {
    Real params[param_count];
    grid.parameters(index, params);
    const point_settings<Real> s = settings_of(index);
    return with_models([&](const auto& models) { return evaluate_point(params, s, curve_out, models); });
  }
};

/// Whether sharing relaxations among points saves work on `spec` (issue 10,
/// goal 3): the relaxation is on and some points of the grid differ only in
/// g0, p0 or ell, so that several points have the same projection onto
/// relaxation_slots (grid_spec::projection).
template <class Real>
SCALEHAM_HD bool shares_relaxation(const sweep_spec<Real>& spec) {
  const grid_spec<Real>& g = spec.grid;
  if (!spec.settings.relaxation.enabled) return false;
  if (g.random) return g.n_points > 1 && !g.sets_any(relaxation_slots);
  for (int a = 0; a < g.n_axes; ++a)
    if (!(relaxation_slots >> g.axes[a].slot & 1u) && g.axes[a].count > 1) return true;
  return false;
}

}  // namespace scaleham
