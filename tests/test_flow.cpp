// Hamilton's equations, H and the on-manifold momentum.
#include <gtest/gtest.h>

#include <cmath>

#include "scaleham/flow.hpp"

namespace {

using scaleham::phase_point;

TEST(Flow, RightHandSideOfThePaperModel) {
  const double lambda = 0.3, A = 2.0;
  const auto m = scaleham::paper_model(lambda, A);
  const phase_point<double> y{1.5, -0.7, 4.0};
  const auto f = scaleham::flow_rhs(m, y);
  EXPECT_DOUBLE_EQ(f.g, lambda * 1.5);                      // β
  EXPECT_DOUBLE_EQ(f.p, -(-0.7) * lambda + A / (1.5 * 1.5)); // −pβ' − F'
  EXPECT_DOUBLE_EQ(f.S, -A / 1.5);                          // −F
}

TEST(Flow, ActionRateIsPBetaMinusH) {
  auto m = scaleham::paper_model(0.2, 1.0);
  m.beta.b[2] = 0.05;
  m.F.coeff(1) = 0.3;
  const phase_point<double> y{0.8, 1.7, 0.0};
  const double H = scaleham::hamiltonian(m, y.g, y.p);
  EXPECT_NEAR(scaleham::flow_rhs(m, y).S, y.p * m.beta.eval(y.g).value - H, 1e-14);
}

TEST(Flow, OnManifoldMomentumMakesHZero) {
  auto m = scaleham::paper_model(0.1, 50.0);
  m.beta.b[3] = -0.01;
  m.F.coeff(-2) = 3.0;
  for (double g : {0.1, 0.5, 2.0}) {
    const double p = scaleham::on_manifold_momentum(m, g);
    EXPECT_NEAR(scaleham::hamiltonian(m, g, p), 0.0, 1e-12 * scaleham::hamiltonian_scale(m, g, p));
  }
  // Paper: p = −A/(λ g²).
  EXPECT_DOUBLE_EQ(scaleham::on_manifold_momentum(scaleham::paper_model(0.1, 50.0), 2.0),
                   -50.0 / (0.1 * 4.0));
}

TEST(Flow, OnManifoldMomentumIsNonFiniteWhereBetaVanishes) {
  const auto m = scaleham::paper_model(0.1, 50.0);
  EXPECT_FALSE(std::isfinite(scaleham::on_manifold_momentum(m, 0.0)));
}

}  // namespace
