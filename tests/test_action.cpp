// The HJ action by quadrature: closed form, agreement with the flow action,
// and the singular cases (g → 0, zeros of β).
#include <gtest/gtest.h>

#include <cmath>

#include "paper_closed_form.hpp"
#include "scaleham/action.hpp"
#include "scaleham/steppers.hpp"

namespace {

using scaleham::phase_point;
using scaleham::status;
using scaleham::testing::paper_action;
using scaleham::testing::relative_error;

TEST(Action, PaperModelMatchesClosedForm) {
  const double lambda = 0.1, A = 50.0;
  const auto m = scaleham::paper_model(lambda, A);
  for (double g_ref : {1e-3, 1.0, 1e6}) {
    for (double g : {1e-6, 0.02, 0.5, 3.0, 400.0}) {
      const auto r = scaleham::hj_action(m, g_ref, g);
      ASSERT_EQ(r.code, status::ok) << g_ref << " " << g;
      EXPECT_LE(relative_error(r.value, paper_action(lambda, A, g_ref, g)), 1e-10)
          << "g_ref=" << g_ref << " g=" << g;
    }
  }
}

TEST(Action, NegativeCouplingsWithAFixedSignOfBeta) {
  // β = λg < 0 and F = A/g < 0 for g < 0: −F/β = −A/(λg²) still; S closed form holds.
  const auto m = scaleham::paper_model(0.5, 2.0);
  const auto r = scaleham::hj_action(m, -4.0, -0.1);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_LE(relative_error(r.value, paper_action(0.5, 2.0, -4.0, -0.1)), 1e-10);
}

TEST(Action, FlowActionOnManifoldEqualsQuadratureAction) {
  // Along an on-manifold path dS = −F dℓ = −(F/β) dg: the two actions agree.
  auto m = scaleham::paper_model(0.1, 50.0);
  m.beta.b[2] = 0.03;   // nonlinear β: no closed form, the check is the agreement
  m.F.coeff(-2) = 2.0;
  m.F.coeff(1) = 0.4;
  const double g0 = 0.5;
  scaleham::dopri5_options<double> opt;
  opt.rtol = 1e-12;
  opt.atol = 1e-14;
  const auto path = scaleham::integrate_dopri5(
      m, phase_point<double>{g0, scaleham::on_manifold_momentum(m, g0), 0.0}, 10.0, opt);
  ASSERT_EQ(path.code, status::ok);
  const auto quad = scaleham::hj_action(m, g0, path.end.g);
  ASSERT_EQ(quad.code, status::ok);
  EXPECT_LE(relative_error(path.end.S, quad.value), 1e-9);
  // And p stays equal to S'(g) = −F/β at the end.
  EXPECT_LE(relative_error(path.end.p, scaleham::on_manifold_momentum(m, path.end.g)), 1e-9);
}

TEST(Action, IntervalReachingZeroWithInverseFIsSingular) {
  const auto m = scaleham::paper_model(0.1, 50.0);
  EXPECT_EQ(scaleham::hj_action(m, 1.0, 0.0).code, status::singular_integrand);
  EXPECT_EQ(scaleham::hj_action(m, 1.0, -1.0).code, status::singular_integrand);
  EXPECT_EQ(scaleham::hj_action(m, 0.0, 2.0).code, status::singular_integrand);
}

TEST(Action, SimpleZeroOfBetaInsideTheIntervalIsSingular) {
  scaleham::model<double> m;  // β = g − 1, F = 1: pole of F/β at g = 1
  m.beta.b[0] = -1.0;
  m.beta.b[1] = 1.0;
  m.F.coeff(0) = 1.0;
  const auto r = scaleham::hj_action(m, 0.5, 2.0);
  EXPECT_EQ(r.code, status::singular_integrand);
  EXPECT_EQ(scaleham::hj_action(m, 0.5, 1.0).code, status::singular_integrand);  // zero at the end
}

TEST(Action, DoubleZeroOfBetaDoesNotConverge) {
  scaleham::model<double> m;  // β = (g − 1)² ≥ 0: no sign change, the integral diverges
  m.beta.b[0] = 1.0;
  m.beta.b[1] = -2.0;
  m.beta.b[2] = 1.0;
  m.F.coeff(0) = 1.0;
  const auto r = scaleham::hj_action(m, 0.5, 2.0);
  EXPECT_FALSE(scaleham::succeeded(r.code)) << scaleham::status_name(r.code);
  EXPECT_NE(r.code, status::ok);
}

TEST(Action, PolynomialFThroughZeroIsIntegratedDirectly) {
  scaleham::model<double> m;  // β = 2 (constant), F = 3 g²: S = −∫ 3x²/2 = −x³/2
  m.beta.b[0] = 2.0;
  m.F.coeff(2) = 3.0;
  const auto r = scaleham::hj_action(m, -1.0, 2.0);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_NEAR(r.value, -(8.0 + 1.0) / 2.0, 1e-12);
}

TEST(Action, FloatPrecisionMatchesClosedForm) {
  const auto m = scaleham::paper_model(0.1f, 50.0f);
  scaleham::quadrature_options<float> opt;
  opt.rtol = 1e-5f;
  const auto r = scaleham::hj_action(m, 1000.0f, 0.05f, opt);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_LE(relative_error(r.value, paper_action(0.1, 50.0, 1000.0, 0.05)), 1e-5);
}

}  // namespace
