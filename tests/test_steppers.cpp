// RK4 and DOPRI5 against the paper's closed form; convergence orders; H
// conservation; stop events; bad inputs end in a status, never in NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "paper_closed_form.hpp"
#include "scaleham/steppers.hpp"

namespace {

using scaleham::dopri5_options;
using scaleham::phase_point;
using scaleham::status;
using scaleham::stop_events;
using scaleham::testing::paper_solution;
using scaleham::testing::relative_error;

constexpr double lambda = 0.1, A = 50.0;

dopri5_options<double> tight() {
  dopri5_options<double> opt;
  opt.rtol = 1e-13;
  opt.atol = 1e-15;
  return opt;
}

void expect_matches_closed_form(const scaleham::path_result<double>& r, const paper_solution& ref,
                                double tolerance) {
  ASSERT_EQ(r.code, status::ok) << scaleham::status_name(r.code);
  EXPECT_LE(relative_error(r.end.g, ref.g(r.ell)), tolerance);
  EXPECT_LE(relative_error(r.end.p, ref.p(r.ell)), tolerance);
  EXPECT_LE(relative_error(r.end.S - ref.S0, ref.S(r.ell) - ref.S0), tolerance);
}

TEST(Dopri5, PaperModelOnManifoldMatchesClosedForm) {
  const auto m = scaleham::paper_model(lambda, A);
  const double g0 = 1.0, p0 = scaleham::on_manifold_momentum(m, g0);
  const paper_solution ref{lambda, A, g0, p0, 0.0};
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{g0, p0, 0.0}, 5.0, tight());
  EXPECT_EQ(r.ell, 5.0);
  expect_matches_closed_form(r, ref, 1e-10);
  // On the manifold p = −A/(λ g²) along the whole path.
  EXPECT_LE(relative_error(r.end.p, -A / (lambda * r.end.g * r.end.g)), 1e-10);
}

TEST(Dopri5, PaperModelOffManifoldMatchesClosedForm) {
  const auto m = scaleham::paper_model(lambda, A);
  const paper_solution ref{lambda, A, 2.0, 3.0, 1.5};
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{2.0, 3.0, 1.5}, 12.0, tight());
  expect_matches_closed_form(r, ref, 1e-10);
}

TEST(Dopri5, IntegratesBackwardInEll) {
  const auto m = scaleham::paper_model(lambda, A);
  const paper_solution ref{lambda, A, 1.0, -200.0, 0.0};
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{1.0, -200.0, 0.0}, -10.0, tight());
  EXPECT_EQ(r.ell, -10.0);
  expect_matches_closed_form(r, ref, 1e-10);
}

TEST(Rk4, PaperModelMatchesClosedFormWithFineSteps) {
  const auto m = scaleham::paper_model(lambda, A);
  const paper_solution ref{lambda, A, 1.0, 0.5, 0.0};
  const auto r = scaleham::integrate_rk4(m, phase_point<double>{1.0, 0.5, 0.0}, 5.0, 2000);
  EXPECT_EQ(r.steps, 2000);
  EXPECT_EQ(r.evaluations, 8000);
  expect_matches_closed_form(r, ref, 1e-11);
}

// Observed order from the errors at steps h, h/2, h/4 of a fixed-step method.
template <class Advance>
double observed_order(Advance advance, int n_coarse) {
  const double l = 1.0, a = 1.0, g0 = 1.0, p0 = 0.5, ell_end = 2.0;
  const auto m = scaleham::paper_model(l, a);
  const paper_solution ref{l, a, g0, p0, 0.0};
  double errors[3];
  for (int level = 0; level < 3; ++level) {
    const int n = n_coarse << level;
    const double h = ell_end / n;
    phase_point<double> y{g0, p0, 0.0};
    for (int i = 0; i < n; ++i) y = advance(m, y, h);
    errors[level] = std::fmax(std::fabs(y.g - ref.g(ell_end)), std::fabs(y.p - ref.p(ell_end)));
  }
  // Average the two successive ratios' log2.
  return 0.5 * (std::log2(errors[0] / errors[1]) + std::log2(errors[1] / errors[2]));
}

TEST(Rk4, ConvergesWithOrderFour) {
  const double order = observed_order(
      [](const auto& m, const auto& y, double h) { return scaleham::rk4_step(m, y, h); }, 8);
  EXPECT_NEAR(order, 4.0, 0.3);
}

TEST(Dopri5, FixedStepSolutionConvergesWithOrderFive) {
  const double order = observed_order(
      [](const auto& m, const auto& y, double h) {
        return scaleham::dopri5_step(m, y, scaleham::flow_rhs(m, y), h).y;
      },
      16);
  EXPECT_NEAR(order, 5.0, 0.3);
}

TEST(Dopri5, EmbeddedErrorEstimateShrinksWithOrderFive) {
  // The local error estimate of one step is O(h^5): halving h divides it by ≈ 32.
  const auto m = scaleham::paper_model(1.0, 1.0);
  const phase_point<double> y{1.0, 0.5, 0.0};
  const auto f = scaleham::flow_rhs(m, y);
  const double e1 = std::fabs(scaleham::dopri5_step(m, y, f, 0.1).error.g);
  const double e2 = std::fabs(scaleham::dopri5_step(m, y, f, 0.05).error.g);
  EXPECT_NEAR(std::log2(e1 / e2), 5.0, 0.3);
}

TEST(Dopri5, ConservesHamiltonianToTolerance) {
  // Stated bound: relative H drift ≤ 100·rtol over the span, on and off the manifold.
  auto m = scaleham::paper_model(0.2, 3.0);
  m.beta.b[2] = 0.01;
  m.F.coeff(1) = 0.5;
  for (double p0 : {scaleham::on_manifold_momentum(m, 1.0), 0.0, 4.0}) {
    dopri5_options<double> opt;
    opt.rtol = 1e-10;
    opt.atol = 1e-12;
    const auto r = scaleham::integrate_dopri5(m, phase_point<double>{1.0, p0, 0.0}, 8.0, opt);
    ASSERT_EQ(r.code, status::ok);
    EXPECT_LE(r.h_drift, 100 * opt.rtol) << "p0 = " << p0;
  }
}

TEST(Dopri5, RecoversQuicklyFromAFarTooLargeFirstStep) {
  // Rejections shrink the step by the controller's factor (down to 0.2×), so a
  // first step 10^4 times too large costs a handful of rejections, not hundreds.
  const auto m = scaleham::paper_model(1.0, 1.0);
  dopri5_options<double> opt = tight();
  opt.h_initial = 50.0;
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{1.0, 0.0, 0.0}, 50.0, opt);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_LE(r.rejected, 12);
}

TEST(Rk4, HamiltonianDriftFallsWithStepSize) {
  const auto m = scaleham::paper_model(1.0, 1.0);
  const phase_point<double> y0{1.0, 2.0, 0.0};
  const auto coarse = scaleham::integrate_rk4(m, y0, 2.0, 10);
  const auto fine = scaleham::integrate_rk4(m, y0, 2.0, 20);
  EXPECT_GT(coarse.h_drift, 8.0 * fine.h_drift);  // ≈ 16 for a 4th-order method
  EXPECT_LT(fine.h_drift, 1e-4);
}

TEST(Events, StopsWhereGReachesTheTarget) {
  const auto m = scaleham::paper_model(lambda, A);
  const paper_solution ref{lambda, A, 1.0, 0.0, 0.0};
  stop_events<double> ev;
  ev.use_target = true;
  ev.g_target = 2.0;
  for (int stepper = 0; stepper < 2; ++stepper) {
    const auto r = stepper == 0
                       ? scaleham::integrate_dopri5(m, phase_point<double>{1.0, 0.0, 0.0}, 100.0,
                                                    tight(), ev)
                       : scaleham::integrate_rk4(m, phase_point<double>{1.0, 0.0, 0.0}, 100.0,
                                                 20000, ev);
    ASSERT_EQ(r.code, status::target_reached) << stepper;
    EXPECT_EQ(r.end.g, 2.0);
    EXPECT_NEAR(r.ell, std::log(2.0) / lambda, 1e-9) << stepper;
    EXPECT_LE(relative_error(r.end.p, ref.p(r.ell)), 1e-9) << stepper;
  }
}

TEST(Events, StopsAtTheDomainEdgeBeforeABlowUp) {
  // β = g² blows up at ℓ = 1/g0; with g_max = 100 the path stops at g = 100,
  // ℓ = 1/g0 − 1/100.
  scaleham::model<double> m;
  m.beta.b[2] = 1.0;
  m.F.coeff(0) = 1.0;
  stop_events<double> ev;
  ev.g_max = 100.0;
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{1.0, 0.0, 0.0}, 2.0, tight(), ev);
  ASSERT_EQ(r.code, status::left_domain);
  EXPECT_EQ(r.end.g, 100.0);
  EXPECT_NEAR(r.ell, 0.99, 1e-9);
  EXPECT_TRUE(scaleham::is_finite(r.end));
}

TEST(Events, BlowUpWithoutDomainEndsInAStatusNotNaN) {
  scaleham::model<double> m;
  m.beta.b[2] = 1.0;
  m.F.coeff(0) = 1.0;
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{1.0, 0.0, 0.0}, 2.0, tight());
  EXPECT_FALSE(scaleham::succeeded(r.code)) << scaleham::status_name(r.code);
  EXPECT_TRUE(scaleham::is_finite(r.end));
  EXPECT_LT(r.ell, 1.0);
  const auto fixed = scaleham::integrate_rk4(m, phase_point<double>{1.0, 0.0, 0.0}, 2.0, 64);
  EXPECT_FALSE(scaleham::succeeded(fixed.code));
  EXPECT_TRUE(scaleham::is_finite(fixed.end));
}

TEST(BadInput, GZeroWithInverseFIsNonFinite) {
  const auto m = scaleham::paper_model(lambda, A);
  const auto r = scaleham::integrate_dopri5(m, phase_point<double>{0.0, 1.0, 0.0}, 1.0);
  EXPECT_EQ(r.code, status::non_finite);
  EXPECT_TRUE(scaleham::is_finite(r.end));
  const auto fixed = scaleham::integrate_rk4(m, phase_point<double>{0.0, 1.0, 0.0}, 1.0, 10);
  EXPECT_EQ(fixed.code, status::non_finite);
  // And on the manifold the initial momentum itself is not finite.
  const double p0 = scaleham::on_manifold_momentum(m, 0.0);
  EXPECT_EQ(scaleham::integrate_dopri5(m, phase_point<double>{0.0, p0, 0.0}, 1.0).code,
            status::invalid_initial_state);
}

TEST(BadInput, NegativeGOutsidePhysicalDomain) {
  const auto m = scaleham::paper_model(lambda, A);
  stop_events<double> physical;
  physical.g_min = 0.0;  // g = c (T − T0) > 0
  EXPECT_EQ(scaleham::integrate_dopri5(m, phase_point<double>{-1.0, 0.0, 0.0}, 1.0, {}, physical).code,
            status::invalid_initial_state);
  EXPECT_EQ(scaleham::integrate_rk4(m, phase_point<double>{-1.0, 0.0, 0.0}, 1.0, 5, physical).code,
            status::invalid_initial_state);
}

TEST(BadInput, AbsurdTolerancesAreRejected) {
  const auto m = scaleham::paper_model(lambda, A);
  const phase_point<double> y0{1.0, 0.0, 0.0};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (auto [rtol, atol] : {std::pair{-1e-6, 0.0}, std::pair{nan, 1e-9}, std::pair{1e-30, 0.0},
                            std::pair{0.0, 0.0}, std::pair{2.0, 0.0}, std::pair{1e-8, -1.0}}) {
    dopri5_options<double> opt;
    opt.rtol = rtol;
    opt.atol = atol;
    const auto r = scaleham::integrate_dopri5(m, y0, 1.0, opt);
    EXPECT_EQ(r.code, status::invalid_options) << rtol << " " << atol;
    EXPECT_TRUE(scaleham::is_finite(r.end));
  }
  EXPECT_EQ(scaleham::integrate_rk4(m, y0, 1.0, 0).code, status::invalid_options);
  EXPECT_EQ(scaleham::integrate_rk4(m, y0, std::numeric_limits<double>::infinity(), 10).code,
            status::invalid_options);
}

TEST(BadInput, StepBudgetAndStepFloorEndInTheirStatus) {
  const auto m = scaleham::paper_model(1.0, 1.0);
  const phase_point<double> y0{1.0, 0.0, 0.0};
  dopri5_options<double> few = tight();
  few.max_steps = 5;
  const auto budget = scaleham::integrate_dopri5(m, y0, 10.0, few);
  EXPECT_EQ(budget.code, status::max_steps);
  EXPECT_EQ(budget.steps + budget.rejected, 5);
  EXPECT_GT(budget.ell, 0.0);
  dopri5_options<double> floor = tight();
  floor.h_min = 0.5;
  floor.h_initial = 0.01;
  EXPECT_EQ(scaleham::integrate_dopri5(m, y0, 10.0, floor).code, status::step_size_underflow);
}

TEST(Dopri5, FloatPrecisionMatchesClosedFormToFloatAccuracy) {
  const auto m = scaleham::paper_model(0.1f, 50.0f);
  const float g0 = 1.0f, p0 = scaleham::on_manifold_momentum(m, g0);
  dopri5_options<float> opt;
  opt.rtol = 2e-6f;  // just above the float floor of 10 ε ≈ 1.2e-6
  opt.atol = 1e-7f;
  const auto r = scaleham::integrate_dopri5(m, phase_point<float>{g0, p0, 0.0f}, 5.0f, opt);
  ASSERT_EQ(r.code, status::ok);
  const paper_solution ref{0.1, 50.0, g0, p0, 0.0};
  EXPECT_LE(relative_error(r.end.g, ref.g(5.0)), 5e-5);
  EXPECT_LE(relative_error(r.end.p, ref.p(5.0)), 5e-5);
  EXPECT_LE(relative_error(r.end.S, ref.S(5.0)), 5e-5);
  const auto fixed = scaleham::integrate_rk4(m, phase_point<float>{g0, p0, 0.0f}, 5.0f, 200);
  EXPECT_LE(relative_error(fixed.end.p, ref.p(5.0)), 2e-5);
}

TEST(Dopri5, FloatWithDefaultTolerancesAndZeroActionTakesSteps) {
  // Hairer's first-step estimate can fall below the rounding floor of ℓ in
  // float (S0 = 0 and the default atol): the path must still run.
  const auto m = scaleham::paper_model(0.1f, 50.0f);
  dopri5_options<float> opt;
  opt.rtol = 1e-5f;
  const auto r = scaleham::integrate_dopri5(m, phase_point<float>{1.0f, -500.0f, 0.0f}, 5.0f, opt);
  ASSERT_EQ(r.code, status::ok) << scaleham::status_name(r.code);
  const paper_solution ref{0.1, 50.0, 1.0, -500.0, 0.0};
  EXPECT_LE(relative_error(r.end.p, ref.p(5.0)), 1e-4);
}

}  // namespace

// The step controller's x^(−1/5) (no pow per step) against pow over its range,
// and the controller's factor against the pow formula it replaces.
TEST(StepController, InverseFifthRootMatchesPowOverItsRange) {
  double worst = 0;
  for (double x = 5e-6; x <= 2000; x *= 1.0007) {
    const double exact = std::pow(x, -0.2);
    worst = std::max(worst, std::fabs(scaleham::inverse_fifth_root(x) / exact - 1));
  }
  EXPECT_LT(worst, 2e-10);
  float worst_f = 0;
  for (float x = 5e-6f; x <= 2000; x *= 1.003f)
    worst_f = std::max(worst_f, std::fabs(scaleham::inverse_fifth_root(x) / std::pow(x, -0.2f) - 1));
  EXPECT_LT(worst_f, 8 * FLT_EPSILON);
}

TEST(StepController, FactorIsTheClampedPowFormula) {
  auto reference = [](double err) {
    const double f = err > 0 ? 0.9 * std::pow(err, -0.2) : 10.0;
    return std::fmin(10.0, std::fmax(0.2, f));
  };
  for (double err = 1e-12; err < 1e6; err *= 1.01)
    EXPECT_NEAR(scaleham::dopri5_step_factor(err), reference(err), 3e-10 * reference(err)) << err;
  EXPECT_EQ(scaleham::dopri5_step_factor(0.0), 10.0);
  EXPECT_EQ(scaleham::dopri5_step_factor(std::nan("")), 10.0);
  EXPECT_EQ(scaleham::dopri5_step_factor(1e300), 0.2);
}
