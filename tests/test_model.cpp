// The model families: values and exact derivatives against explicit power sums.
#include <gtest/gtest.h>

#include <cmath>

#include "scaleham/model.hpp"

namespace {

using scaleham::laurent;
using scaleham::max_beta_degree;
using scaleham::max_laurent_order;
using scaleham::polynomial;

// Σ c_k g^k and Σ k c_k g^(k−1) summed term by term with std::pow.
double power_sum(const polynomial<double>& p, double g, bool derivative) {
  double s = 0;
  for (int k = 0; k <= max_beta_degree; ++k)
    s += derivative ? (k == 0 ? 0.0 : k * p.b[k] * std::pow(g, k - 1)) : p.b[k] * std::pow(g, k);
  return s;
}

double power_sum(const laurent<double>& F, double g, bool derivative) {
  double s = 0;
  for (int k = -max_laurent_order; k <= max_laurent_order; ++k)
    s += derivative ? (k == 0 ? 0.0 : k * F.coeff(k) * std::pow(g, k - 1))
                    : F.coeff(k) * std::pow(g, k);
  return s;
}

TEST(Model, PolynomialValueAndSlopeMatchPowerSums) {
  polynomial<double> beta;
  const double b[] = {0.3, -1.2, 0.7, 0.05, -0.02};
  for (int k = 0; k <= max_beta_degree; ++k) beta.b[k] = b[k];
  for (double g : {-2.5, -0.3, 0.0, 0.4, 1.0, 3.7}) {
    const auto r = beta.eval(g);
    EXPECT_NEAR(r.value, power_sum(beta, g, false), 1e-13 * (1 + std::fabs(r.value))) << g;
    EXPECT_NEAR(r.slope, power_sum(beta, g, true), 1e-13 * (1 + std::fabs(r.slope))) << g;
  }
}

TEST(Model, LaurentValueAndSlopeMatchPowerSums) {
  laurent<double> F;
  const double f[] = {0.01, -0.2, 1.5, 2.0, -0.7, 0.3, 0.9, -0.04, 0.002};  // f_-4 .. f_4
  for (int k = -max_laurent_order; k <= max_laurent_order; ++k) F.coeff(k) = f[k + max_laurent_order];
  for (double g : {-3.0, -0.5, 0.25, 1.0, 2.2}) {
    const auto r = F.eval(g);
    EXPECT_NEAR(r.value, power_sum(F, g, false), 1e-12 * (1 + std::fabs(r.value))) << g;
    EXPECT_NEAR(r.slope, power_sum(F, g, true), 1e-12 * (1 + std::fabs(r.slope))) << g;
  }
}

TEST(Model, LaurentWithoutNegativePowersIsFiniteAtZero) {
  laurent<double> F;
  F.coeff(0) = 2.0;
  F.coeff(1) = -3.0;
  EXPECT_FALSE(F.singular_at_zero());
  const auto r = F.eval(0.0);
  EXPECT_EQ(r.value, 2.0);
  EXPECT_EQ(r.slope, -3.0);
  F.coeff(-2) = 1e-30;
  EXPECT_TRUE(F.singular_at_zero());
  EXPECT_FALSE(std::isfinite(F.eval(0.0).value));
}

TEST(Model, PaperModelIsLinearBetaAndInverseF) {
  const auto m = scaleham::paper_model(0.1, 50.0);
  for (double g : {0.2, 1.0, 7.5}) {
    EXPECT_DOUBLE_EQ(m.beta.eval(g).value, 0.1 * g);
    EXPECT_DOUBLE_EQ(m.beta.eval(g).slope, 0.1);
    EXPECT_DOUBLE_EQ(m.F.eval(g).value, 50.0 / g);
    EXPECT_DOUBLE_EQ(m.F.eval(g).slope, -50.0 / (g * g));
  }
}

TEST(Model, FloatEvaluationAgreesWithDouble) {
  const auto md = scaleham::paper_model(0.1, 50.0);
  const auto mf = scaleham::paper_model(0.1f, 50.0f);
  for (float g : {0.3f, 1.0f, 4.0f}) {
    EXPECT_NEAR(mf.F.eval(g).slope, md.F.eval(double(g)).slope,
                1e-6 * std::fabs(md.F.eval(double(g)).slope));
  }
}

}  // namespace
