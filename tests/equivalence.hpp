// Cross-backend comparison rules (CPU, FMA CPU build, CUDA): the one C++
// copy of docs/numerics.md, section "Tolerance table". Every bound below is
// derived there; the section numbers in the comments point to it. Change a
// bound here only together with the derivation in docs/numerics.md (and
// tests/python/compare_outputs.py, which applies the same table to files).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "scaleham/numeric.hpp"
#include "scaleham/point.hpp"
#include "scaleham/status.hpp"

namespace scaleham::testing {

/// |got − want| <= abs + rel·max(|got|, |want|).
struct tolerance {
  double rel;
  double abs;
};

/// Equal values (equal infinities included: inf − inf is NaN, so they are
/// compared before the difference), NaN on both sides, or within the bound.
/// NaN against a number and +inf against −inf or a number are never close.
inline bool close(double got, double want, tolerance t) {
  if (got == want) return true;  // also +inf == +inf, −inf == −inf, +0 == −0
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (std::isinf(got) || std::isinf(want)) return false;
  return std::fabs(got - want) <= t.abs + t.rel * std::max(std::fabs(got), std::fabs(want));
}

namespace detail {

/// Collects the fields that are not close, with the bound each one missed.
class field_report {
 public:
  void check(const char* field, double got, double want, tolerance t) {
    if (close(got, want, t)) return;
    std::ostringstream line;
    line.precision(17);
    line << "  " << field << ": got " << got << ", want " << want << ", |diff| " << std::fabs(got - want)
         << " > bound " << t.abs + t.rel * std::max(std::fabs(got), std::fabs(want)) << " (rel " << t.rel
         << ", abs " << t.abs << ")\n";
    text_ += line.str();
  }
  void check_status(const char* field, status got, status want) {
    if (got == want) return;
    text_ += std::string("  ") + field + ": got " + status_name(got) + ", want " + status_name(want) + "\n";
  }
  bool failed() const { return !text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

inline double finite_or_zero(double x) { return std::isfinite(x) ? x : 0.0; }

}  // namespace detail

/// The flow's end-state bound, numerics.md §3 (DOPRI5) and §4 (RK4), for a
/// path of `steps` accepted steps in precision with machine epsilon `eps`.
/// rel and abs apply per component, measured against that component's size.
inline tolerance flow_state_tolerance(const point_settings<double>& s, double eps, int steps) {
  const double n = std::max(steps, 1);
  // Rounding: one differently rounded final addition per step and side, plus the
  // increment's own roundings (a small fraction of |y|): 4 ε per step (§4).
  const double rounding = 4.0 * eps * n;
  if (s.method == integrator::rk4) return {rounding, 0.0};
  // Each backend's global error is at most the sum of its accepted local errors,
  // and a local error passes the RMS test only if every component is within
  // √3 (atol + rtol·|y|); two backends: factor 2 (§3).
  const double k = 2.0 * std::sqrt(3.0) * n;
  return {k * s.dopri5.rtol + rounding, k * s.dopri5.atol};
}

/// numerics.md §6: two VFT fits of n rows whose data differ by at most dy
/// per row, compared from the conditioning the fits report themselves.
/// T_min is the lowest temperature of the rows, tg_log_level the fit's Tg level.
template <class Real>
double check_vft(detail::field_report& report, const vft_fit<Real>& g, const vft_fit<Real>& w, double n, double dy,
               double y_max, double T_min, double tg_log_level, double eps) {
  const double a = w.a, B = w.B, T_vf = w.T_vf;
  const bool fixed_T_vf = w.T_vf == Real(0);
  const double free = fixed_T_vf ? 2.0 : 3.0;
  const double rms = std::max(detail::finite_or_zero(g.rms), detail::finite_or_zero(w.rms));
  // The residual scale s behind each side's stderr: stderr_k = s·c_k with
  // c_k = sqrt([(JᵀJ)⁻¹]_kk), how much parameter k moves per unit of data
  // change (§6.2). c_k is read off whichever side has s > 0: an exact curve
  // can fit with rms = 0 on one side (stderr 0) and rounding noise on the other.
  const double s_got = detail::finite_or_zero(g.rms) * std::sqrt(n / (n - free));
  const double s_want = detail::finite_or_zero(w.rms) * std::sqrt(n / (n - free));
  const auto conditioning = [&](Real se_got, Real se_want) {
    double c = 0.0;
    if (s_got > 0.0) c = std::max(c, std::fabs(detail::finite_or_zero(se_got)) / s_got);
    if (s_want > 0.0) c = std::max(c, std::fabs(detail::finite_or_zero(se_want)) / s_want);
    return c;
  };
  const vft_options<Real> fit_options;  // xtol/ftol are the Real defaults (host/sweep.hpp)
  const double xtol = double(fit_options.xtol), ftol = double(fit_options.ftol);
  // Where each side's LM stopped (§6.2): within its Gauss–Newton xtol step,
  // or within sqrt(ftol·cost + 2 δcost) of the minimum in the metric of J,
  // δcost = 8 ε n rms (2 y_max + |a|) being the rounding of the cost itself.
  const double stop = std::sqrt(n * rms * (ftol * rms + 16.0 * eps * (2.0 * y_max + std::fabs(a))));
  const auto parameter_bound = [&](double value, double c) {
    return std::sqrt(n) * dy * c + 2.0 * xtol * (std::fabs(value) + xtol) + 2.0 * c * stop +
           4.0 * eps * std::fabs(value);
  };
  const double c_a = conditioning(g.a_stderr, w.a_stderr);
  const double c_B = conditioning(g.B_stderr, w.B_stderr);
  const double c_T = conditioning(g.T_vf_stderr, w.T_vf_stderr);
  const double da = parameter_bound(a, c_a);
  const double dB = parameter_bound(B, c_B);
  const double dT = fixed_T_vf ? 0.0 : parameter_bound(T_vf, c_T);
  report.check("fit.a", g.a, w.a, {0.0, da});
  report.check("fit.B", g.B, w.B, {0.0, dB});
  report.check("fit.T_vf", g.T_vf, w.T_vf, {0.0, dT});

  // Derived quantities, first order in (da, dB, dT), plus their own roundings.
  const double derived = 8.0 * eps;
  report.check("fit.D", g.D, w.D, {dB / std::fabs(B) + (T_vf != 0 ? dT / std::fabs(T_vf) : 0.0) + derived, 0.0});
  const double gap_level = std::fabs(tg_log_level - a);
  const double dTg = dT + dB / gap_level + std::fabs(B) * da / (gap_level * gap_level);
  report.check("fit.Tg", g.Tg, w.Tg, {derived, dTg});
  const double gap_Tg = std::fabs(w.Tg - T_vf);
  report.check("fit.m", g.m, w.m,
               {dB / std::fabs(B) + dTg / std::fabs(w.Tg) + 2.0 * (dTg + dT) / gap_Tg + derived, 0.0});
  // rms = ‖P⊥ y‖/√n: the projected residual moves by at most the data change (§6.3).
  const double d_rms = dy + 4.0 * eps * y_max;
  report.check("fit.rms", g.rms, w.rms, {0.0, d_rms});
  // stderr_k = s·c_k: the noise part moves with s, c_k moves with J(θ); J's
  // columns 1/(T − T_vf) and B/(T − T_vf)² change relatively by dB/B +
  // 2 dT/(T_min − T_vf), amplified by the B–T_vf correlation (§6.4).
  const double rho = std::fabs(detail::finite_or_zero(w.B_T_vf_correlation));
  const double dJ = dB / std::fabs(B) + 2.0 * dT / std::fabs(T_min - T_vf);
  const double d_c = 2.0 * dJ / std::max(1.0 - rho * rho, 4.0 * eps) + derived;
  const double d_s = std::sqrt(n / (n - free)) * d_rms;
  report.check("fit.a_stderr", g.a_stderr, w.a_stderr, {d_c, c_a * d_s});
  report.check("fit.B_stderr", g.B_stderr, w.B_stderr, {d_c, c_B * d_s});
  report.check("fit.T_vf_stderr", g.T_vf_stderr, w.T_vf_stderr, {d_c, c_T * d_s});
  report.check("fit.B_T_vf_correlation", g.B_T_vf_correlation, w.B_T_vf_correlation, {0.0, d_c});
  return dB;
}

/// The fit of a grid point's relaxation curve (§6.1: how far two backends'
/// curves may differ), then check_vft.
template <class Real>
void check_fit(detail::field_report& report, const point_result<Real>& got, const point_result<Real>& want,
               const point_settings<double>& settings, double eps) {
  const relaxation_settings<double>& rs = settings.relaxation;
  const double n = rs.n_T;
  const double a = want.fit.a, B = want.fit.B, T_vf = want.fit.T_vf;
  // The curve's size from the fitted law: VFT is monotone in T, so its extremes
  // lie at the ends of the temperature grid.
  const double y_lo = a + B / (rs.T_min - T_vf), y_hi = a + B / (rs.T_max - T_vf);
  const double y_max = std::max(std::fabs(y_lo), std::fabs(y_hi));
  // Σ|quadrature pieces| of the chained curve: |S| at both ends (S monotone).
  const double pieces = std::fabs(y_lo - rs.log_tau0) + std::fabs(y_hi - rs.log_tau0);
  // Each side's pieces are within their termination test (atol, rtol·|piece|,
  // or the 2·50 ε ∫|f| rounding floor), twice for two sides; plus the
  // roundings of the chained sum.
  const double q_rtol = settings.quadrature.rtol, q_atol = settings.quadrature.atol;
  const double dy = 2.0 * (n * q_atol + (q_rtol + 100.0 * eps) * pieces) + (n + 2.0) * eps * y_max;
  const double dB = check_vft(report, got.fit, want.fit, n, dy, y_max, rs.T_min, rs.fit.tg_log_level, eps);
  report.check("B_rel_err", got.B_rel_err, want.B_rel_err,
               {0.0, dB / std::fabs(B) * std::fabs(1.0 + double(want.B_rel_err)) + 8.0 * eps});
}

/// Two fits of the same measured rows (scaleham fit, bootstrap replicas): the
/// data are bitwise equal, so only the rounding of the residuals a + B/(T −
/// T_vf) − y (three operations: 4 ε·max|y| for both sides) moves the minimum.
template <class Real>
::testing::AssertionResult equivalent(const vft_fit<Real>& got, const vft_fit<Real>& want, double y_max,
                                      double T_min, double tg_log_level = double(vft_options<Real>{}.tg_log_level)) {
  const double eps = real_limits<Real>::epsilon();
  detail::field_report report;
  report.check_status("code", got.code, want.code);
  if (got.n_points != want.n_points) report.check("n_points", got.n_points, want.n_points, {0, 0});
  if (!report.failed() && succeeded(want.code))
    check_vft(report, got, want, want.n_points, 4.0 * eps * y_max, y_max, T_min, tg_log_level, eps);
  else if (!report.failed())
    report.check("B", got.B, want.B, {0.0, 0.0});  // unfitted: NaN on both sides
  if (report.failed()) return ::testing::AssertionFailure() << "VFT fits differ:\n" << report.text();
  return ::testing::AssertionSuccess();
}

/// True when rounding alone decides the sign of β somewhere the point uses
/// it (numerics.md §7): at g0 (p0 = −F/β on the manifold) or at a temperature
/// of the relaxation curve (a zero of β at a quadrature end is a pole). There
/// |β(x)| is within the Horner error bound γ_2d·Σ|b_k||x|^k of either backend's
/// evaluation (fused or not), so one backend may see β = 0 and the other a
/// rounding-sized β of either sign. Such points have no a-priori bound; the
/// test grids contain a few on purpose (exact zeros λ·g = −b0 of decimal inputs).
template <class Real>
bool rounding_decided(const Real* params, const point_settings<double>& settings) {
  const double eps = real_limits<Real>::epsilon();
  const auto near_zero = [&](double x) {
    double value = 0.0, magnitude = 0.0;
    for (int k = max_beta_degree; k >= 0; --k) {
      value = value * x + double(params[param_b0 + k]);
      magnitude = magnitude * std::fabs(x) + std::fabs(double(params[param_b0 + k]));
    }
    // Two backends, each within γ_2d ≈ 2d·u = d·ε of the exact value (d <= 4),
    // plus the rounding of this evaluation itself: 2·(4ε + ε)·Σ|b_k x^k|.
    return std::fabs(value) <= 10.0 * eps * magnitude;
  };
  if (settings.p0_on_manifold && near_zero(double(params[param_g0]))) return true;
  const relaxation_settings<double>& rs = settings.relaxation;
  if (!rs.enabled) return false;
  // The curve's couplings as the core computes them, in Real (point.hpp).
  const Real T0 = params[param_T0], c = params[param_c];
  const relaxation_settings<Real> grid = [&] {
    relaxation_settings<Real> r;
    r.n_T = rs.n_T, r.T_min = Real(rs.T_min), r.T_max = Real(rs.T_max);
    return r;
  }();
  for (int j = 0; j < rs.n_T; ++j)
    if (near_zero(double(c * (grid.temperature(j) - T0)))) return true;
  return near_zero(double(c * (Real(rs.T_ref) - T0)));
}

/// Every field of a grid point's result against the rules of docs/numerics.md
/// for precision Real and the sweep's settings. Statuses must be equal
/// (§7: the test grids keep away from decision thresholds); counts of steps,
/// rejections and LM iterations are not compared (they count decisions, §7).
template <class Real>
::testing::AssertionResult equivalent(const point_result<Real>& got, const point_result<Real>& want,
                                      const point_settings<double>& settings) {
  const double eps = real_limits<Real>::epsilon();
  detail::field_report report;
  report.check_status("flow_status", got.flow_status, want.flow_status);
  report.check_status("action_status", got.action_status, want.action_status);
  report.check_status("curve_status", got.curve_status, want.curve_status);
  report.check_status("fit.code", got.fit.code, want.fit.code);
  if (report.failed()) return ::testing::AssertionFailure() << "statuses differ:\n" << report.text();

  // §2: p0 = −F(g0)/β(g0), about 27 roundings on each side.
  const tolerance rounding_p0{32.0 * eps, 0.0};
  report.check("p0", got.p0, want.p0, settings.p0_on_manifold ? rounding_p0 : tolerance{0.0, 0.0});

  const status flow = want.flow_status;
  const tolerance state = flow_state_tolerance(settings, eps, std::max(got.steps, want.steps));
  if (flow == status::invalid_initial_state || flow == status::invalid_options) {
    // §1: nothing was integrated; the end is the initial state.
    report.check("g", got.g, want.g, {0.0, 0.0});
    report.check("p", got.p, want.p, rounding_p0);
    report.check("S", got.S, want.S, {0.0, 0.0});
  } else if (succeeded(flow) || flow == status::left_domain) {
    const bool event = flow != status::ok;
    // §3.3: an event puts g exactly on the level (the same number everywhere).
    report.check("g", got.g, want.g, event ? tolerance{0.0, 0.0} : state);
    report.check("p", got.p, want.p, state);
    report.check("S", got.S, want.S, state);
    // ok: both land on ell_end exactly; an event: ℓ at the crossing (§3.3).
    report.check("ell", got.ell, want.ell, event ? state : tolerance{0.0, 0.0});
    // §3.4: H drift is an error measure; it moves with the state's relative change.
    report.check("h_drift", got.h_drift, want.h_drift, {0.0, 5.0 * state.rel + 32.0 * eps});
  }
  // Failed paths (non_finite, max_steps, step_size_underflow) end where the
  // budget ran out, which a flipped decision moves by a whole step: their end
  // state, action and consistency are not compared (§3.5).

  const bool flow_done = succeeded(flow) || flow == status::left_domain;
  if (flow_done && want.action_status == status::ok) {
    // §5: both within their error estimates of the integral to the end of the
    // path; moving that end moves the action as much as the flow's S.
    const double errors = detail::finite_or_zero(got.action_error) + detail::finite_or_zero(want.action_error);
    const tolerance action{state.rel, state.abs + errors};
    report.check("action", got.action, want.action, action);
    const double size = std::max(std::fabs(double(got.action)), std::fabs(double(want.action)));
    const double q_bound = std::max(settings.quadrature.atol, settings.quadrature.rtol * size) + 100.0 * eps * size;
    report.check("action_error", got.action_error, want.action_error, {0.0, q_bound});
    if (size > 0.0) {
      const double S = std::max(std::fabs(double(got.S)), std::fabs(double(want.S)));
      const double d_S = state.abs + state.rel * S;
      const double d_action = action.abs + action.rel * size;
      report.check("hj_consistency", got.hj_consistency, want.hj_consistency,
                   {0.0, (d_S + d_action) / size + 4.0 * eps});
    }
  } else if (!flow_done && !succeeded(want.action_status)) {
    report.check("action", got.action, want.action, {0.0, 0.0});  // NaN on both sides
  }

  if (settings.relaxation.enabled && succeeded(want.fit.code)) check_fit(report, got, want, settings, eps);
  else if (settings.relaxation.enabled) {
    // Unfitted: every number NaN on both sides (vft.hpp unfitted_vft).
    report.check("fit.B", got.fit.B, want.fit.B, {0.0, 0.0});
    report.check("fit.T_vf", got.fit.T_vf, want.fit.T_vf, {0.0, 0.0});
  }

  if (report.failed()) return ::testing::AssertionFailure() << "fields outside docs/numerics.md bounds:\n" << report.text();
  return ::testing::AssertionSuccess();
}

}  // namespace scaleham::testing
