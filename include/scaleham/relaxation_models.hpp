/// \file relaxation_models.hpp
/// One weighted, bounded Levenberg–Marquardt fit for the four laws of
/// relaxation_laws.hpp:
///
///   vft               ln y = a + B / (T − T_vf)            0 <= T_vf < min T, B > 0
///   myega             ln y = a + (K / T) · exp(C / T)      C >= 0, K > 0   (Mauro et al. 2009)
///   avramov_milchev   ln y = a + (T_A / T)^α               α >= 1, T_A > 0
///   arrhenius         ln y = a + E / T                     E > 0
///
/// y in its own units (τ in s, η in Pa·s), a = ln y∞. Each law is a + the
/// model's *term*, and each reaches the Arrhenius law on its lower bound
/// (T_vf = 0, C = 0, α = 1: the term is then E/T with E = B, K, T_A), which
/// is why those are the bounds: at them the fragility is the least any of
/// these laws allows, m = (ln y_g − a)/ln 10.
///
/// Rows carry a weight w = 1/σ (σ of ln y); χ² = Σ (w (model − ln y))².
/// The start is a scan over the bounded parameter (for each value the other
/// two follow by weighted linear least squares, the laws being a + b·φ(T)),
/// and LM runs on the QR of the weighted Jacobian (vft_systems.hpp's
/// givens_system). Standard errors come from the covariance s²·(JᵀWJ)⁻¹ with
/// every parameter free, also on a bound (the curvature there, not a
/// conditional error with the bounded parameter held: docs/numerics.md §6.6);
/// s² = 1 when σ are absolute uncertainties, χ²/(n − k) otherwise.
///
/// `fit_vft` (vft.hpp) remains the fitter of the sweep's grid points and of
/// unweighted VFT fits of measured data; model_fit_job chooses.
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/relaxation_laws.hpp"
#include "scaleham/status.hpp"
#include "scaleham/vft.hpp"

namespace scaleham {

/// What one fit of one law gives.
template <class Real>
struct model_fit {
  Real p[3];        ///< parameters, in model_parameter_name order (NaN beyond the count)
  Real stderr_[3];  ///< standard errors
  Real cov01, cov02, cov12;  ///< off-diagonal covariance
  /// ρ(p1, p2), from (JᵀWJ)⁻¹ itself: defined for exact data too (0 for arrhenius).
  Real correlation12;
  Real chi2;        ///< Σ (w r)²; r = model − ln y
  Real rms;         ///< sqrt(Σ r² / n), unweighted, in ln y
  Real aic, bic;    ///< n ln(χ²/n) + 2k,  n ln(χ²/n) + k ln n
  Real Tg, m;       ///< where the law reaches the Tg level; fragility there
  std::int32_t iterations, n_points;
  status code;      ///< as fit_vft's; no_vft_minimum: no fit with a positive amplitude
};

/// Akaike and Bayesian information criteria of a least-squares fit in the
/// convention of lmfit: n ln(χ²/n) + 2k and n ln(χ²/n) + k ln n.
template <class Real>
SCALEHAM_HD void information_criteria(Real chi2, int n, int k, Real& aic, Real& bic) {
  const Real core = Real(n) * std::log(chi2 / Real(n));
  aic = core + Real(2 * k);
  bic = core + Real(k) * std::log(Real(n));
}

/// The law's term (ln y − a) at T, and −T·∂term/∂T = ∂term/∂ln(1/T): the
/// of ln y (w null: every weight 1). Also a source for fit_vft (weights unread).
template <class Real>
struct weighted_rows {
  using real_type = Real;
  const Real* T;
  const Real* y;
  const Real* w;
  int n;
  SCALEHAM_HD int size() const { return n; }
  SCALEHAM_HD void row(int i, Real& t, Real& v) const { t = T[i], v = y[i]; }
  SCALEHAM_HD Real weight(int i) const { return w ? w[i] : Real(1); }
};

template <class Real>
struct model_options {
  vft_options<Real> base;       ///< iterations, scan points, tolerances, Tg level
  bool absolute_sigma = false;  ///< weights are 1/σ of known σ: covariance not rescaled by χ²/(n − k)
};

namespace detail {


/// Weighted linear least squares of ln y on (1, φ(T; θ)): a, b and χ².
template <class Rows, class Real>
SCALEHAM_HD Real linear_model(const Rows& rows, relaxation_model m, Real theta, Real T_ref, Real& a, Real& b) {
  givens_system<Real> qr;
  for (int i = 0; i < rows.size(); ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real w = rows.weight(i);
    qr.add_row(w, w * model_basis(m, t, theta, T_ref), Real(0), -w * y);
  }
  Real delta[3];
  if (!qr.solve(delta, 2)) {
    a = b = real_limits<Real>::quiet_nan();
    return real_limits<Real>::infinity();
  }
  a = delta[0], b = delta[1];
  return qr.rest;
}

/// them with the others held (δ[i] belongs to column order[i]).
template <class Rows, class Real>
SCALEHAM_HD givens_system<Real> model_system(const Rows& rows, relaxation_model m, const Real p[3],
                                             const int order[3] = nullptr) {
  givens_system<Real> qr;
  for (int i = 0; i < rows.size(); ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real w = rows.weight(i);
    Real d[3] = {Real(1), Real(0), Real(0)};
    const Real term = model_gradient(m, t, p, d[1], d[2]);
    const Real r = w * (p[0] + term - y);
    qr.sse += r * r;
    if (order)
      qr.add_row(w * d[order[0]], w * d[order[1]], w * d[order[2]], r);
    else
      qr.add_row(w, w * d[1], w * d[2], r);
  }
  return qr;
}

/// χ² at p (infinity where the law is not finite there).
template <class Rows, class Real>
SCALEHAM_HD Real model_chi2(const Rows& rows, relaxation_model m, const Real p[3]) {
  Real sum = Real(0);
  for (int i = 0; i < rows.size(); ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real r = rows.weight(i) * (model_log_y(m, t, p) - y);
    sum += r * r;
  }
  return std::isfinite(sum) ? sum : real_limits<Real>::infinity();
}

/// The LM step with Marquardt's damping rows √μ·‖J e_j‖ e_j over the first `free` columns.
template <class Real>
SCALEHAM_HD bool damped_model_step(const givens_system<Real>& qr, Real mu, int free, Real delta[3]) {
  givens_system<Real> damped = qr;
  for (int j = 0; j < free; ++j) {
    const Real d = std::sqrt(mu) * qr.column_norm(j);
    damped.add_row(j == 0 ? d : Real(0), j == 1 ? d : Real(0), j == 2 ? d : Real(0), Real(0));
  }
  return damped.solve(delta, free);
}

}  // namespace detail

/// Fits one law to weighted rows (weighted_rows, or a bootstrap_rows over
/// them). Status as fit_vft's: at_bound when the bounded parameter ends
/// within 1e-6 (·min T for T_vf and C) of its bound, where the law is the
/// Arrhenius one; fit there with that parameter at the bound.
template <class Rows, class Real = typename Rows::real_type>
SCALEHAM_HD model_fit<Real> fit_model(const Rows& rows, relaxation_model model, const model_options<Real>& opt) {
  const Real nan = real_limits<Real>::quiet_nan();
  const int n = rows.size(), k = model_parameter_count(model);
  model_fit<Real> fit;
  for (int j = 0; j < 3; ++j) fit.p[j] = fit.stderr_[j] = nan;
  fit.cov01 = fit.cov02 = fit.cov12 = fit.correlation12 = nan;
  fit.chi2 = fit.rms = fit.aic = fit.bic = fit.Tg = fit.m = nan;
  fit.iterations = 0;
  fit.n_points = n;
  fit.code = status::ok;

  // The rows: finite, T > 0, w > 0; the temperature range; distinct temperatures.
  Real T_min = real_limits<Real>::infinity(), T_max = Real(0);
  Real distinct[3];
  int n_distinct = 0;
  for (int i = 0; i < n; ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real w = rows.weight(i);
    if (!(std::isfinite(t) && std::isfinite(y) && t > Real(0) && std::isfinite(w) && w > Real(0))) {
      fit.code = status::non_finite;
      return fit;
    }
    if (!(std::fabs(y) <= vft_data_limit<Real>() && t <= vft_data_limit<Real>() && t * vft_data_limit<Real>() >= 1)) {
      fit.code = status::out_of_range;
      return fit;
    }
    T_min = std::fmin(T_min, t), T_max = std::fmax(T_max, t);
    bool seen = false;
    for (int j = 0; j < n_distinct; ++j) seen = seen || distinct[j] == t;
    if (!seen && n_distinct < 3) distinct[n_distinct++] = t;
  }
  if (n <= k || n_distinct < k) {
    fit.code = status::too_few_points;
    return fit;
  }

  // Start: the bounded parameter on a grid from its bound, the rest linear.
  const Real lower = detail::model_lower_bound<Real>(model);
  const Real T_ceiling = T_min * (Real(1) - Real(16) * real_limits<Real>::epsilon());
  const int N = model == relaxation_model::arrhenius ? 1 : (opt.base.scan_points > 2 ? opt.base.scan_points : 2);
  Real best = real_limits<Real>::infinity(), p[3] = {nan, nan, lower};
  for (int j = 0; j < N; ++j) {
    const Real s = N > 1 ? Real(j) / Real(N - 1) : Real(0);
    Real theta = lower;
    if (model == relaxation_model::vft) theta = j == 0 ? Real(0) : T_min * (Real(1) - std::pow(Real(10), Real(-6) * s));
    if (model == relaxation_model::myega) theta = Real(40) * T_min * s * s;
    if (model == relaxation_model::avramov_milchev) theta = Real(1) + Real(30) * s * s;
    Real a, b;
    const Real chi2 = detail::linear_model(rows, model, theta, T_max, a, b);
    if (b > Real(0) && chi2 < best) best = chi2, p[0] = a, p[1] = b, p[2] = theta;
  }
  if (!(best < real_limits<Real>::infinity())) {
    fit.code = status::no_vft_minimum;
    return fit;
  }
  if (model == relaxation_model::avramov_milchev) p[1] = T_max * std::pow(p[1], Real(1) / p[2]);
  if (model == relaxation_model::arrhenius) p[2] = nan;

  // Levenberg–Marquardt, the bounded parameter projected onto [lower, ceiling).
  const Real ceiling = model == relaxation_model::vft ? T_ceiling : real_limits<Real>::infinity();
  detail::givens_system<Real> qr = detail::model_system(rows, model, p);
  Real cost = qr.sse;
  if (!std::isfinite(cost) || !qr.finite()) {
    fit.code = status::out_of_range;
    return fit;
  }
  Real mu = Real(1e-3);
  bool converged = false;
  while (fit.iterations < opt.base.max_iterations && !converged) {
    ++fit.iterations;
    bool accepted = false;
    while (!accepted) {
      Real delta[3];
      if (!detail::damped_model_step(qr, mu, k, delta)) {
        fit.code = status::too_few_points;
        return fit;
      }
      Real trial[3] = {p[0] + delta[0], p[1] + delta[1], p[2]};
      if (k == 3) trial[2] = std::fmax(p[2] + delta[2], lower);
      const Real trial_cost = trial[2] < ceiling || k == 2 ? detail::model_chi2(rows, model, trial)
                                                           : real_limits<Real>::infinity();
      if (trial_cost < cost || (trial_cost == cost && cost == Real(0))) {
        for (int j = 0; j < 3; ++j) p[j] = trial[j];
        cost = trial_cost;
        qr = detail::model_system(rows, model, p);
        // Converged: the undamped step is negligible, or so is what it gains
        // (on the lower bound with the step pointing below it, the bounded
        // parameter held), as at_minimum judges fit_vft's.
        Real step[3], reducible;
        int free = k;
        bool judged = qr.gauss_newton(step, free, reducible);
        if (judged && k == 3 && p[2] == lower && step[2] < Real(0)) judged = qr.gauss_newton(step, free = 2, reducible);
        if (judged) {
          bool small = true;
          for (int j = 0; j < free; ++j)
            small = small && std::fabs(step[j]) <= opt.base.xtol * (std::fabs(p[j]) + opt.base.xtol);
          converged = small || reducible <= opt.base.ftol * cost;
        }
        mu = std::fmax(mu * Real(0.1), Real(1e-12));
        accepted = true;
      } else {
        mu *= Real(10);
        if (mu > Real(1e16)) {  // no step lowers χ², however short: a minimum to working precision
          converged = true;
          break;
        }
      }
    }
  }
  status code = converged ? status::ok : status::not_converged;
  if (k == 3) {
    const Real margin = Real(1e-6) * (model == relaxation_model::avramov_milchev ? Real(1) : T_min);
    if (p[2] <= lower + margin) {
      // On the lower bound the law is Arrhenius in E = p[1]: the best fit there.
      p[2] = lower;
      detail::linear_model(rows, relaxation_model::arrhenius, Real(0), T_max, p[0], p[1]);
      qr = detail::model_system(rows, model, p);
      code = status::at_bound;
    } else if (model == relaxation_model::vft && p[2] >= T_min * (Real(1) - Real(1e-6))) {
      code = status::at_bound;
    }
  }
  if (!(p[1] > Real(0))) {
    fit.code = std::isfinite(p[1]) ? status::no_vft_minimum : status::out_of_range;
    return fit;
  }
  Real inverse[3][3];
  if (!qr.finite() || !qr.inverse_normal(inverse, k)) {
    fit.code = qr.finite() ? status::too_few_points : status::out_of_range;
    return fit;
  }
  fit.chi2 = qr.sse;
  const Real s2 = opt.absolute_sigma ? Real(1) : (n > k ? fit.chi2 / Real(n - k) : nan);
  Real sum_r2 = Real(0);
  for (int i = 0; i < n; ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real r = model_log_y(model, t, p) - y;
    sum_r2 += r * r;
  }
  for (int j = 0; j < k; ++j) fit.p[j] = p[j], fit.stderr_[j] = std::sqrt(s2 * inverse[j][j]);
  fit.cov01 = s2 * inverse[0][1];
  fit.correlation12 = Real(0);
  if (k == 3) {
    fit.cov02 = s2 * inverse[0][2], fit.cov12 = s2 * inverse[1][2];
    fit.correlation12 = inverse[1][2] / std::sqrt(inverse[1][1] * inverse[2][2]);
  }
  fit.rms = std::sqrt(sum_r2 / Real(n));
  information_criteria(fit.chi2, n, k, fit.aic, fit.bic);
  fit.Tg = model_temperature_at(model, fit.p, opt.base.tg_log_level);
  Real slope = nan;
  if (std::isfinite(fit.Tg)) model_term(model, fit.Tg, fit.p, &slope);
  fit.m = slope / Real(2.302585092994045684);
  fit.code = code;
  bool finite = std::isfinite(fit.chi2) && std::isfinite(fit.rms);
  for (int j = 0; j < k; ++j) finite = finite && std::isfinite(fit.p[j]) && std::isfinite(fit.stderr_[j]);
  if (!finite) {
    model_fit<Real> failed = fit;
    for (int j = 0; j < 3; ++j) failed.p[j] = failed.stderr_[j] = nan;
    failed.cov01 = failed.cov02 = failed.cov12 = failed.correlation12 = failed.chi2 = failed.rms = nan;
    failed.aic = failed.bic = failed.Tg = failed.m = nan;
    failed.code = status::out_of_range;
    return failed;
  }
  return fit;
}

/// A fit_vft result in model_fit's form (χ² = n·rms², unit weights).
template <class Real>
SCALEHAM_HD model_fit<Real> as_model_fit(const vft_fit<Real>& v) {
  model_fit<Real> f;
  f.p[0] = v.a, f.p[1] = v.B, f.p[2] = v.T_vf;
  f.stderr_[0] = v.a_stderr, f.stderr_[1] = v.B_stderr, f.stderr_[2] = v.T_vf_stderr;
  f.cov01 = v.cov_a_B, f.cov02 = v.cov_a_T_vf, f.cov12 = v.cov_B_T_vf;
  f.correlation12 = v.B_T_vf_correlation;
  f.rms = v.rms;
  f.chi2 = v.rms * v.rms * Real(v.n_points);
  information_criteria(f.chi2, v.n_points, 3, f.aic, f.bic);
  if (!std::isfinite(f.chi2)) f.aic = f.bic = f.chi2;
  f.Tg = v.Tg, f.m = v.m;
  f.iterations = v.iterations, f.n_points = v.n_points;
  f.code = v.code;
  return f;
}

/// Many weighted datasets back to back (dataset_table with w; w null: unit weights).
template <class Real>
struct weighted_table {
  const Real* T;
  const Real* y;
  const Real* w;
  const std::uint64_t* offset;  ///< n_datasets + 1 entries
  std::uint64_t n_datasets;
};

/// Fit number `job` of a batch of one law over a table, as fit_job lays the
/// jobs out (dataset d, replica r = job mod (replicas + 1); r = 0 the data).
/// Unweighted VFT fits are fit_vft's (the sweep's fitter); the rest fit_model's.
/// The one function both batched backends call.
template <class Real>
SCALEHAM_HD model_fit<Real> model_fit_job(const weighted_table<Real>& table, relaxation_model model,
                                          std::uint64_t replicas, std::uint64_t seed, std::uint64_t job,
                                          const model_options<Real>& opt) {
  const std::uint64_t d = job / (replicas + 1), r = job % (replicas + 1);
  const std::uint64_t begin = table.offset[d];
  const int n = static_cast<int>(table.offset[d + 1] - begin);
  const weighted_rows<Real> rows{table.T + begin, table.y + begin, table.w ? table.w + begin : nullptr, n};
  const bootstrap_rows<weighted_rows<Real>> replica{rows, splitmix64(seed + d), r};
  if (model == relaxation_model::vft && !table.w)
    return as_model_fit(r == 0 ? fit_vft(rows, opt.base) : fit_vft(replica, opt.base));
  return r == 0 ? fit_model(rows, model, opt) : fit_model(replica, model, opt);
}

}  // namespace scaleham
