/// \file vft.hpp
/// The Vogel–Fulcher–Tammann law and its bounded Levenberg–Marquardt fit.
///
///   ln τ(T) = a + B / (T − T_vf),   a = ln τ0,  B = D·T_vf,  0 <= T_vf < min T,  B > 0.
///
/// The fitter runs per grid point on the GPU and on measured data on the host,
/// from one source. Data come from a *row source* (size() and row(i, T, y)), so
/// a curve in registers, a measured table and a bootstrap resample of it are
/// all fitted without copying: rows are streamed, never stored. A row source
/// names its floating type `real_type`.
///
/// Method: a scan over T_vf (with the linear least-squares a, B at each value;
/// vft_start.hpp) gives a start that needs no user guess; Levenberg–Marquardt
/// with Marquardt's diagonal scaling then refines all three parameters. B and
/// T_vf are strongly correlated (|ρ| > 0.99 is common), so the linearised
/// problems are solved where that costs no accuracy (vft_systems.hpp): the
/// column of a is eliminated in closed form from centred sums and the (B,
/// T_vf) block solved in correlation form while 1 − ρ² >= ε^(1/3); for data
/// more correlated than that, the fit runs again from the same start on a QR
/// built row by row with Givens rotations (the normal equations would lose
/// what the data still determine). The covariance is s² (JᵀJ)⁻¹ at the end
/// point, from the same system.
///
/// Cost (issue 10): each LM trial is one pass over the rows with one division
/// per row that yields its cost and, if accepted, the next system; the scan
/// tries 19 of its 48 grid points in 5 passes (four per pass).
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/status.hpp"
#include "scaleham/vft_law.hpp"
#include "scaleham/vft_start.hpp"
#include "scaleham/vft_systems.hpp"

namespace scaleham {
namespace detail {

/// Where Levenberg–Marquardt ended.
template <class Real, class System>
struct lm_state {
  Real a, B, T_vf, cost;
  System system;  ///< the linearised problem at (a, B, T_vf)
  int iterations = 0;
  bool converged = false;
  bool singular = false;    ///< a damped step had no solution: the Jacobian has rank < 3
  bool give_up = false;     ///< System cannot represent this fit (not conditioned()): use another
  bool out_of_range = false;  ///< the start over- or underflowed
};

/// Levenberg–Marquardt with Marquardt scaling (damping rows √μ·‖J e_j‖ e_j)
/// from (a, B, T_vf), T_vf projected onto [0, T_ceiling). A fused System
/// (centred_system) builds its next system in the same pass that gives a
/// trial's cost (one division per row for both), and ends the run with
/// give_up where it is not conditioned(); givens_system builds its system
/// only for an accepted trial (its rows cost 3–4× a cost pass) and is exact
/// wherever it is finite.
template <class System, class Rows, class Real>
SCALEHAM_HD lm_state<Real, System> levenberg_marquardt(const Rows& rows, Real a, Real B, Real T_vf, Real T_ceiling,
                                                       const vft_options<Real>& opt) {
  constexpr bool fused = System::fused;
  lm_state<Real, System> s{a, B, T_vf, Real(0), System::build(rows, a, B, T_vf)};
  s.cost = s.system.sse;
  if (!std::isfinite(s.cost) || !(fused || s.system.finite())) {
    s.out_of_range = true;
    return s;
  }
  if constexpr (fused) {
    if (!s.system.conditioned()) {
      s.give_up = true;
      return s;
    }
  }
  Real mu = Real(1e-3);
  while (s.iterations < opt.max_iterations && !s.converged) {
    ++s.iterations;
    bool accepted = false;
    while (!accepted) {
      Real delta[3];
      if (!s.system.damped_step(mu, delta)) {
        s.singular = true;  // the Jacobian has rank < 3: too few distinct T
        return s;
      }
      const Real a_new = s.a + delta[0], B_new = s.B + delta[1];
      // Lower bound: project onto T_vf = 0. Upper bound: T_vf < min T, else damp more.
      const Real T_new = std::fmax(s.T_vf + delta[2], Real(0));
      System next{};
      Real cost_new = real_limits<Real>::infinity();
      if (T_new < T_ceiling) {
        if constexpr (fused) {
          next = System::build(rows, a_new, B_new, T_new);
          cost_new = next.sse;
        } else {
          cost_new = vft_cost(rows, a_new, B_new, T_new);
        }
      }
      if (cost_new < s.cost || (cost_new == s.cost && s.cost == Real(0))) {
        s.a = a_new, s.B = B_new, s.T_vf = T_new, s.cost = cost_new;
        s.system = fused ? next : System::build(rows, s.a, s.B, s.T_vf);
        if constexpr (fused) {
          if (!s.system.conditioned()) {
            s.give_up = true;
            return s;
          }
        }
        s.converged = at_minimum(s.system, s.a, s.B, s.T_vf, s.cost, opt);
        mu = std::fmax(mu * Real(0.1), Real(1e-12));
        accepted = true;
      } else {
        mu *= Real(10);
        // No step lowers the cost even when tiny: a minimum to working precision.
        if (mu > Real(1e16)) {
          s.converged = true;
          break;
        }
      }
    }
  }
  return s;
}

/// The fit's numbers from where LM ended: the bound and rank decisions, the
/// covariance s² (JᵀJ)⁻¹, the derived D, Tg, m.
template <class Real, class System, class Rows>
SCALEHAM_HD void finish_fit(const Rows& rows, lm_state<Real, System> s, const vft_options<Real>& opt, Real T_min,
                            vft_fit<Real>& fit) {
  const int n = rows.size();
  const Real nan = real_limits<Real>::quiet_nan();
  fit.iterations = s.iterations;
  if (s.singular) {
    fit.code = status::too_few_points;
    return;
  }
  status code = s.converged ? status::ok : status::not_converged;
  int free_parameters = 3;
  Real a = s.a, B = s.B;
  Real T_vf = s.T_vf;
  // The bounds, each with the same relative margin of min T: T_vf within
  // 1e-6·min T of 0 is the lower bound (exactly Arrhenius data end LM at 0 or
  // a few ulp above it, by rounding), within 1e-6·min T of min T the upper.
  if (T_vf <= T_min * Real(1e-6)) {
    // On the lower bound: the best fit within it is the Arrhenius law, T_vf fixed at 0.
    T_vf = Real(0);
    linear_vft(rows, Real(0), a, B);
    s.system = System::build(rows, a, B, Real(0));
    code = status::at_bound;
  } else if (T_vf >= T_min * (Real(1) - Real(1e-6))) {
    code = status::at_bound;
  }
  if (!(B > Real(0))) {
    fit.code = std::isfinite(B) ? status::no_vft_minimum : status::out_of_range;
    return;
  }
  if (!s.system.finite() || !std::isfinite(a)) {
    fit.code = status::out_of_range;
    return;
  }
  // Rank and covariance s² (JᵀJ)⁻¹ over the free parameters. The correlation
  // comes from (JᵀJ)⁻¹ itself, so it is defined for exact data too.
  // On a bound as inside: every parameter free, so the errors show the
  // curvature along the bounded one too (holding T_vf at 0 gave B an error
  // far below what the data determine; docs/numerics.md §6.6). Where the full
  // system is singular on the lower bound, the conditional errors of (a, B).
  Real inverse_normal[3][3] = {};
  bool inverted = s.system.inverse_normal(inverse_normal, free_parameters);
  if (!inverted && T_vf == Real(0)) inverted = s.system.inverse_normal(inverse_normal, free_parameters = 2);
  if (!inverted) {
    // A free parameter whose Jacobian column is (to rounding) a combination
    // of the others is not determined by the data (fewer than 3 distinct T).
    fit.code = status::too_few_points;
    return;
  }
  const Real sse = s.system.sse;
  const Real s2 = n > free_parameters ? sse / Real(n - free_parameters) : nan;
  fit.a = a, fit.B = B, fit.T_vf = T_vf;
  fit.a_stderr = std::sqrt(s2 * inverse_normal[0][0]);
  fit.B_stderr = std::sqrt(s2 * inverse_normal[1][1]);
  fit.T_vf_stderr = std::sqrt(s2 * inverse_normal[2][2]);
  fit.cov_a_B = s2 * inverse_normal[0][1];
  fit.cov_a_T_vf = s2 * inverse_normal[0][2];
  fit.cov_B_T_vf = s2 * inverse_normal[1][2];
  fit.B_T_vf_correlation =
      free_parameters == 3 ? inverse_normal[1][2] / std::sqrt(inverse_normal[1][1] * inverse_normal[2][2]) : Real(0);
  fit.rms = std::sqrt(sse / Real(n));
  fit.D = B / T_vf;
  fit.Tg = vft_temperature_at(a, B, T_vf, opt.tg_log_level);
  fit.m = vft_fragility(B, T_vf, fit.Tg);
  fit.code = code;
  // A number of a fit that claims success is finite, but for the documented
  // D = +inf on the T_vf = 0 bound and Tg, m = NaN out of reach of the level.
  const Real numbers[] = {fit.a, fit.B, fit.T_vf, fit.a_stderr, fit.B_stderr, fit.T_vf_stderr,
                          fit.cov_a_B, fit.cov_a_T_vf, fit.cov_B_T_vf, fit.B_T_vf_correlation, fit.rms};
  bool all_finite = std::isfinite(fit.D) || T_vf == Real(0);
  all_finite = all_finite && (std::isfinite(fit.m) || !std::isfinite(fit.Tg));
  for (const Real x : numbers) all_finite = all_finite && std::isfinite(x);
  if (!all_finite) {
    const int iterations = fit.iterations;
    fit = unfitted_vft<Real>(status::out_of_range, n);
    fit.iterations = iterations;
  }
}

}  // namespace detail

/// Fits ln τ = a + B/(T − T_vf) to the rows by bounded Levenberg–Marquardt.
///
/// Status: ok; at_bound (the best fit has T_vf = 0 — nearly Arrhenius data —
/// or T_vf pressed against min T, each within 1e-6·min T; the parameters are
/// the best within the bounds: on the lower one T_vf = 0 exactly and the
/// Arrhenius fit; the standard errors are those of all three parameters
/// free at that point); not_converged (iteration
/// budget spent; best parameters so far); too_few_points (n < 4, fewer than
/// 3 distinct temperatures, or a Jacobian of rank < 3: fewer than 3
/// temperatures that working precision tells apart); no_vft_minimum (no B > 0
/// fits); non_finite (a row with T <= 0 or a non-finite value); out_of_range
/// (finite rows beyond vft_data_limit, or any other over- or underflow on the
/// way: every number of such a fit is NaN).
template <class Rows, class Real = typename Rows::real_type>
SCALEHAM_HD vft_fit<Real> fit_vft(const Rows& rows, const vft_options<Real>& opt = {}) {
  vft_fit<Real> fit = unfitted_vft<Real>(status::ok, rows.size());
  const int n = rows.size();
  if (n < 4) {
    fit.code = status::too_few_points;
    return fit;
  }
  Real T_min = real_limits<Real>::infinity();
  bool out_of_range = false;
  Real distinct[3];  // the first three distinct temperatures seen
  int n_distinct = 0;
  for (int i = 0; i < n; ++i) {
    Real t, y;
    rows.row(i, t, y);
    if (!(std::isfinite(t) && std::isfinite(y) && t > Real(0))) {
      fit.code = status::non_finite;
      return fit;
    }
    if (!(std::fabs(y) <= vft_data_limit<Real>() && t <= vft_data_limit<Real>() &&
          t * vft_data_limit<Real>() >= Real(1)))
      out_of_range = true;  // reported after the scan for non-finite rows

    T_min = std::fmin(T_min, t);
    bool seen = false;
    for (int k = 0; k < n_distinct; ++k) seen = seen || distinct[k] == t;
    if (!seen && n_distinct < 3) distinct[n_distinct++] = t;
  }
  if (out_of_range) {
    fit.code = status::out_of_range;
    return fit;
  }
  if (n_distinct < 3) {  // three parameters need three temperatures
    fit.code = status::too_few_points;
    return fit;
  }

  detail::vft_scan<Real> scan;
  scan.run(rows, T_min, opt.scan_points);
  if (!(scan.best < real_limits<Real>::infinity())) {
    fit.code = status::no_vft_minimum;
    return fit;
  }
  if (!std::isfinite(scan.a) || !std::isfinite(scan.B)) {  // the start itself over- or underflowed
    fit.code = status::out_of_range;
    return fit;
  }

  const Real T_ceiling = T_min * (Real(1) - Real(16) * real_limits<Real>::epsilon());
#if defined(__CUDA_ARCH__)
  // On the device the QR alone: the centred path beside it raised
  // evaluate_batch<double>'s spills from 394 to 1296 B (ptxas sm_90; float
  // 148 -> 720 B), and registers are goal 4's budget. The two paths agree
  // within docs/numerics.md §6 (tests/test_fit.cpp, VftReference).
  constexpr bool centred = false;
#else
  const bool centred = detail::centred_system<Real>::min_decorrelation() <= Real(1);  // not in float
#endif
  if (centred) {
    const auto lm = detail::levenberg_marquardt<detail::centred_system<Real>>(rows, scan.a, scan.B, scan.T_vf,
                                                                              T_ceiling, opt);
    if (lm.out_of_range) {
      fit.code = status::out_of_range;
      return fit;
    }
    if (!lm.give_up) {
      detail::finish_fit(rows, lm, opt, T_min, fit);
      return fit;
    }
  }
  // B and T_vf too correlated for the centred sums: again from the same
  // start on the QR.
  const auto lm = detail::levenberg_marquardt<detail::givens_system<Real>>(rows, scan.a, scan.B, scan.T_vf,
                                                                           T_ceiling, opt);
  if (lm.out_of_range) {
    fit.code = status::out_of_range;
    return fit;
  }
  detail::finish_fit(rows, lm, opt, T_min, fit);
  return fit;
}

}  // namespace scaleham
