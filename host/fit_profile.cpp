#include "fit_profile.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace scaleham {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

struct profile_problem {
  weighted_rows<double> rows;
  relaxation_model model;
  double lower, ceiling;  ///< bounds of p[2]
  int k;                  ///< parameter count
};

/// Least χ² with parameter `fixed` held at p[fixed], from p (updated to the
/// minimiser): Levenberg–Marquardt over the other parameters, p[2] projected
/// onto its bounds. On the lower bound with the undamped step pointing below
/// it, p[2] is held too (a projected step there would not lower χ², and LM
/// would stall short of the minimum along the other parameters).
double constrained_minimum(const profile_problem& pr, int fixed, double p[3]) {
  double cost = detail::model_chi2(pr.rows, pr.model, p);
  if (!std::isfinite(cost)) return inf;
  double mu = 1e-3;
  for (int iteration = 0; iteration < 500; ++iteration) {
    int order[3], free = 0;
    detail::givens_system<double> qr;
    for (bool hold_bounded : {false, true}) {
      const auto held = [&](int j) { return j == fixed || j >= pr.k || (hold_bounded && j == 2); };
      int at = 0;
      for (int j = 0; j < 3; ++j)
        if (!held(j)) order[at++] = j;
      free = at;
      for (int j = 0; j < 3; ++j)
        if (held(j)) order[at++] = j;
      qr = detail::model_system(pr.rows, pr.model, p, order);
      if (hold_bounded || pr.k < 3 || fixed == 2 || p[2] > pr.lower) break;
      double step[3], reducible;
      if (!qr.gauss_newton(step, free, reducible) || step[free - 1] >= 0) break;  // order[free − 1] is 2
    }
    if (free == 0) return cost;
    double step[3], reducible;
    if (!qr.gauss_newton(step, free, reducible)) return cost;
    bool small = true;
    for (int i = 0; i < free; ++i) small = small && std::fabs(step[i]) <= 1e-13 * (std::fabs(p[order[i]]) + 1e-13);
    if (small || reducible <= 1e-15 * cost) return cost;
    bool accepted = false;
    while (!accepted) {
      double delta[3];
      if (!detail::damped_model_step(qr, mu, free, delta)) return cost;
      double trial[3] = {p[0], p[1], p[2]};
      for (int i = 0; i < free; ++i) trial[order[i]] += delta[i];
      if (pr.k == 3) trial[2] = std::max(trial[2], pr.lower);
      const double trial_cost =
          pr.k == 2 || trial[2] < pr.ceiling ? detail::model_chi2(pr.rows, pr.model, trial) : inf;
      if (trial_cost < cost) {
        std::copy(trial, trial + 3, p);
        cost = trial_cost;
        mu = std::max(mu * 0.1, 1e-12);
        accepted = true;
      } else {
        mu *= 10;
        if (mu > 1e16) return cost;  // no step lowers χ²: a minimum to working precision
      }
    }
  }
  return cost;
}

/// The end of parameter j's interval on one side (direction ±1).
double interval_end(const profile_problem& pr, const model_fit<double>& fit, int j, double direction, double level) {
  double inside[3] = {fit.p[0], fit.p[1], fit.p[2]};
  // The parameter's own bound, where the walk stops: p[2]'s bounds, and a
  // positive amplitude p[1] (at 0 the law is flat).
  double bound = direction > 0 ? inf : -inf;
  if (j == 2) bound = direction > 0 ? (pr.model == relaxation_model::vft ? pr.ceiling : inf) : pr.lower;
  if (j == 1) bound = direction > 0 ? inf : 0.0;
  double step = std::isfinite(fit.stderr_[j]) && fit.stderr_[j] > 0 ? fit.stderr_[j]
                                                                     : 1e-3 * std::max(std::fabs(fit.p[j]), 1.0);
  double v_in = fit.p[j], v_out = nan;
  for (int doubling = 0; doubling < 80 && std::isnan(v_out); ++doubling, step *= 2) {
    double v = v_in + direction * step;
    const bool at_bound = direction > 0 ? v >= bound : v <= bound;
    if (at_bound) v = bound;
    if (!std::isfinite(v)) return v;  // unbounded on this side
    double p[3] = {inside[0], inside[1], inside[2]};
    p[j] = v;
    const double chi2 = constrained_minimum(pr, j, p);
    if (chi2 > level) {
      v_out = v;
    } else {
      if (at_bound) return bound;  // the whole side up to the bound is inside
      v_in = v;
      std::copy(p, p + 3, inside);
    }
  }
  if (std::isnan(v_out)) return direction > 0 ? inf : -inf;
  // Bisection between the last value inside and the first outside.
  for (int i = 0; i < 100 && std::fabs(v_out - v_in) > 1e-10 * std::max(std::fabs(v_in), 1e-300); ++i) {
    const double v = 0.5 * (v_in + v_out);
    double p[3] = {inside[0], inside[1], inside[2]};
    p[j] = v;
    if (constrained_minimum(pr, j, p) > level) v_out = v;
    else v_in = v, std::copy(p, p + 3, inside);
  }
  return 0.5 * (v_in + v_out);
}

}  // namespace

std::array<interval, 3> profile_intervals(const fit_dataset& data, relaxation_model model,
                                          const model_fit<double>& fit, const model_options<double>& options) {
  std::array<interval, 3> out;
  out.fill({nan, nan});
  const int k = model_parameter_count(model), n = static_cast<int>(data.T.size());
  if (!succeeded(fit.code) || n <= k || !std::isfinite(fit.chi2)) return out;
  const double T_min = *std::min_element(data.T.begin(), data.T.end());
  const profile_problem pr{{data.T.data(), data.y.data(), data.w.empty() ? nullptr : data.w.data(), n},
                           model,
                           detail::model_lower_bound<double>(model),
                           model == relaxation_model::vft ? T_min * (1 - 16 * std::numeric_limits<double>::epsilon())
                                                          : inf,
                           k};
  const int dof = n - k;
  double delta = 3.841458820694124;  // χ²₁ at 0.95
  if (!options.absolute_sigma) {
    const double t = boost::math::quantile(boost::math::students_t(dof), 0.975);
    delta = fit.chi2 * t * t / dof;
  }
  // Exact data (χ² = 0) have intervals of zero width in the F form.
  const double level = fit.chi2 + delta;
  for (int j = 0; j < k; ++j) {
    if (delta == 0) {
      out[j] = {fit.p[j], fit.p[j]};
      continue;
    }
    out[j] = {interval_end(pr, fit, j, -1, level), interval_end(pr, fit, j, +1, level)};
  }
  return out;
}

}  // namespace scaleham
