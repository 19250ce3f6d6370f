// Property tests (rapidcheck) over random coefficients, couplings and spans.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>

#include "paper_closed_form.hpp"
#include "scaleham/action.hpp"
#include "scaleham/steppers.hpp"

namespace {

using scaleham::phase_point;
using scaleham::status;
using scaleham::testing::paper_solution;
using scaleham::testing::relative_error;

// A double drawn uniformly from [lo, hi] on a grid of 10^6 points (shrinks toward lo).
double uniform(double lo, double hi) {
  const int i = *rc::gen::inRange(0, 1000001);
  return lo + (hi - lo) * (i / 1e6);
}

// Log-uniform in [lo, hi], lo > 0.
double log_uniform(double lo, double hi) { return std::exp(uniform(std::log(lo), std::log(hi))); }

scaleham::model<double> random_model(double coefficient_size) {
  scaleham::model<double> m;
  for (double& b : m.beta.b) b = uniform(-coefficient_size, coefficient_size);
  for (double& f : m.F.f) f = uniform(-coefficient_size, coefficient_size);
  return m;
}

RC_GTEST_PROP(Properties, PaperModelFlowMatchesClosedFormEverywhere, ()) {
  const double lambda = log_uniform(1e-2, 2.0), A = log_uniform(0.1, 100.0);
  const double g0 = log_uniform(0.05, 20.0), span = uniform(-3.0, 3.0);
  const bool on_manifold = *rc::gen::arbitrary<bool>();
  const auto m = scaleham::paper_model(lambda, A);
  const double p0 = on_manifold ? scaleham::on_manifold_momentum(m, g0) : uniform(-50.0, 50.0);
  scaleham::dopri5_options<double> opt;
  opt.rtol = 1e-12;
  opt.atol = 1e-14;
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{g0, p0, 0.0}, span, opt);
  RC_ASSERT(r.code == status::ok);
  const paper_solution ref{lambda, A, g0, p0, 0.0};
  RC_ASSERT(relative_error(r.end.g, ref.g(span)) <= 1e-9);
  // p may pass through zero off the manifold: compare against the size of its
  // two terms |C| e^{−λℓ} and k e^{−2λℓ} at the end.
  const double k = A / (lambda * g0 * g0);
  const double p_scale =
      std::fabs(p0 + k) * std::exp(-lambda * span) + k * std::exp(-2 * lambda * span);
  RC_ASSERT(std::fabs(r.end.p - ref.p(span)) <= 1e-9 * p_scale);
  RC_ASSERT(std::fabs(r.end.S - ref.S(span)) <= 1e-9 * (A / (lambda * std::fmin(g0, ref.g(span)))));
}

RC_GTEST_PROP(Properties, AnyModelEndsFiniteWithAValidStatus, ()) {
  // Wild coefficients, any sign of g0, long spans: never a NaN end state.
  const auto m = random_model(5.0);
  const double g0 = uniform(-5.0, 5.0), p0 = uniform(-5.0, 5.0), span = uniform(-20.0, 20.0);
  scaleham::stop_events<double> ev;
  ev.g_min = -1e6;
  ev.g_max = 1e6;
  const phase_point<double> y0{g0, p0, 0.0};
  const auto adaptive = scaleham::integrate_dopri5(m, y0, span, {}, ev);
  const auto fixed = scaleham::integrate_rk4(m, y0, span, 500, ev);
  for (const auto& r : {adaptive, fixed}) {
    RC_ASSERT(static_cast<int>(r.code) < scaleham::status_count);
    RC_ASSERT(scaleham::is_finite(r.end));
    RC_ASSERT(std::isfinite(r.ell));
    if (r.code == status::ok) RC_ASSERT(r.ell == span);
  }
  const auto action = scaleham::hj_action(m, g0, g0 + uniform(-3.0, 3.0));
  RC_ASSERT(static_cast<int>(action.code) < scaleham::status_count);
  if (action.code == status::ok) RC_ASSERT(std::isfinite(action.value));
}

RC_GTEST_PROP(Properties, ActionIsAntisymmetricAndAdditive, ()) {
  // β > 0 and F regular on g > 0: S(a→b) = −S(b→a), S(a→b) + S(b→c) = S(a→c).
  scaleham::model<double> m;
  m.beta.b[0] = log_uniform(1e-2, 1.0);
  m.beta.b[1] = log_uniform(1e-2, 1.0);
  m.beta.b[2] = log_uniform(1e-3, 0.1);
  for (int k = -2; k <= 2; ++k) m.F.coeff(k) = uniform(-2.0, 2.0);
  const double a = log_uniform(0.01, 10.0), b = log_uniform(0.01, 10.0),
               c = log_uniform(0.01, 10.0);
  const auto ab = scaleham::hj_action(m, a, b), ba = scaleham::hj_action(m, b, a);
  const auto bc = scaleham::hj_action(m, b, c), ac = scaleham::hj_action(m, a, c);
  RC_ASSERT(ab.code == status::ok && ba.code == status::ok);
  RC_ASSERT(bc.code == status::ok && ac.code == status::ok);
  const double scale = std::fabs(ab.value) + std::fabs(bc.value) + std::fabs(ac.value) + 1e-300;
  RC_ASSERT(std::fabs(ab.value + ba.value) <= 1e-10 * scale);
  RC_ASSERT(std::fabs(ab.value + bc.value - ac.value) <= 1e-9 * scale);
}

RC_GTEST_PROP(Properties, OnManifoldFlowActionEqualsQuadrature, ()) {
  // β = λg + b g² (b ≥ 0), F with a 1/g term and a polynomial part, g0 > 0.
  auto m = scaleham::paper_model(log_uniform(0.05, 1.0), log_uniform(0.5, 50.0));
  m.beta.b[2] = uniform(0.0, 0.2);
  m.F.coeff(0) = uniform(-1.0, 1.0);
  m.F.coeff(1) = uniform(-1.0, 1.0);
  const double g0 = log_uniform(0.05, 2.0), span = uniform(-2.0, 2.0);
  scaleham::dopri5_options<double> opt;
  opt.rtol = 1e-12;
  opt.atol = 1e-14;
  scaleham::stop_events<double> ev;
  ev.g_min = 0.0;
  ev.g_max = 1e3;
  const auto path = scaleham::integrate_dopri5(
      m, phase_point<double>{g0, scaleham::on_manifold_momentum(m, g0), 0.0}, span, opt, ev);
  RC_PRE(path.code == status::ok);
  const auto quad = scaleham::hj_action(m, g0, path.end.g);
  RC_ASSERT(quad.code == status::ok);
  const double scale = std::fabs(quad.value) + std::fabs(m.F.eval(g0).value / m.beta.eval(g0).value) * std::fabs(path.end.g - g0) + 1e-12;
  RC_ASSERT(std::fabs(path.end.S - quad.value) <= 1e-8 * scale);
  // Conservation on the manifold: H stays at zero relative to its terms.
  RC_ASSERT(path.h_drift <= 1e-8);
}

RC_GTEST_PROP(Properties, ExactDerivativesAgreeWithCentralDifferences, ()) {
  const auto m = random_model(2.0);
  const double g = (*rc::gen::arbitrary<bool>() ? 1.0 : -1.0) * log_uniform(0.2, 3.0);
  const double h = 1e-5 * std::fabs(g);
  const auto fd = [&](auto&& f) { return (f(g + h) - f(g - h)) / (2 * h); };
  const double dbeta = fd([&](double x) { return m.beta.eval(x).value; });
  const double dF = fd([&](double x) { return m.F.eval(x).value; });
  const double beta_scale = std::fabs(dbeta) + 1.0;
  const double F_scale = std::fabs(dF) + 10.0 / (g * g * g * g * g);
  RC_ASSERT(std::fabs(m.beta.eval(g).slope - dbeta) <= 1e-6 * beta_scale);
  RC_ASSERT(std::fabs(m.F.eval(g).slope - dF) <= 1e-5 * std::fabs(F_scale));
}

}  // namespace
