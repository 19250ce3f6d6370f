/// \file point.hpp
/// The whole computation of one grid point, fused over registers: the one
/// function the CPU and CUDA backends both call (they differ only in the loop).
///
/// Per point: the flow of Hamilton's equations from (g0, p0) over ℓ ∈ [0, ell]
/// (p0 given, or on the HJ manifold p0 = −F(g0)/β(g0)); then the HJ action
/// between g0 and the end of the path by quadrature, and its consistency with
/// the action accumulated along the flow. Since dS/dℓ = −F and dg/dℓ = β on
/// every path, S_end − S_0 = −∫_{g0}^{g_end} F/β dg holds on and off the
/// manifold, so the check applies to every point.
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/action.hpp"
#include "scaleham/config.hpp"
#include "scaleham/grid.hpp"
#include "scaleham/parameters.hpp"
#include "scaleham/status.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham {

enum class integrator : int { dopri5 = 0, rk4 = 1 };

/// Settings shared by every point of a sweep.
template <class Real>
struct point_settings {
  integrator method = integrator::dopri5;
  int rk4_steps = 1000;                 ///< RK4 only: fixed steps over the span
  dopri5_options<Real> dopri5;          ///< DOPRI5 only
  stop_events<Real> events;             ///< domain (g_min, g_max) and optional target
  bool p0_on_manifold = true;           ///< else p0 comes from the parameter slot
  quadrature_options<Real> quadrature;  ///< HJ action
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
  Real hj_consistency;   ///< |S_flow − action| / max(|action|, ε) (NaN where either failed)
  std::int32_t steps;    ///< accepted steps
  std::int32_t rejected; ///< rejected steps
  status flow_status;
  status action_status;
};

/// Runs the fused per-point pipeline for the parameter vector `params`.
template <class Real>
SCALEHAM_HD point_result<Real> evaluate_point(const Real* params,
                                              const point_settings<Real>& settings) {
  const model<Real> m = model_from(params);
  const Real g0 = params[param_g0];
  const Real p0 = settings.p0_on_manifold ? on_manifold_momentum(m, g0) : params[param_p0];
  const phase_point<Real> y0{g0, p0, Real(0)};
  const Real ell_end = params[param_ell];
  const path_result<Real> path =
      settings.method == integrator::rk4
          ? integrate_rk4(m, y0, ell_end, settings.rk4_steps, settings.events)
          : integrate_dopri5(m, y0, ell_end, settings.dopri5, settings.events);

  point_result<Real> r;
  r.g = path.end.g;
  r.p = path.end.p;
  r.S = path.end.S;
  r.ell = path.ell;
  r.h_drift = path.h_drift;
  r.p0 = p0;
  r.steps = path.steps;
  r.rejected = path.rejected;
  r.flow_status = path.code;

  const Real nan = real_limits<Real>::quiet_nan();
  if (path.code == status::invalid_initial_state || path.code == status::invalid_options) {
    r.action = r.action_error = r.hj_consistency = nan;
    r.action_status = path.code;
    return r;
  }
  const quadrature_result<Real> action = hj_action(m, g0, path.end.g, settings.quadrature);
  r.action = action.value;
  r.action_error = action.error;
  r.action_status = action.code;
  r.hj_consistency =
      succeeded(path.code) && succeeded(action.code)
          ? std::fabs(path.end.S - action.value) /
                std::fmax(std::fabs(action.value), real_limits<Real>::epsilon())
          : nan;
  return r;
}

/// A sweep as the backends see it: the grid and the per-point settings.
/// Trivially copyable: passed by value to kernels.
template <class Real>
struct sweep_spec {
  grid_spec<Real> grid;
  point_settings<Real> settings;

  /// Point `index` of the grid, computed from scratch.
  SCALEHAM_HD point_result<Real> evaluate(std::uint64_t index) const {
    Real params[param_count];
    grid.parameters(index, params);
    return evaluate_point(params, settings);
  }
};

}  // namespace scaleham
