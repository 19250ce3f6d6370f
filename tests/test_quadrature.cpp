// The adaptive Gauss–Kronrod integrator on integrals with known values.
#include <gtest/gtest.h>

#include <cmath>

#include "scaleham/quadrature.hpp"

namespace {

using scaleham::quadrature_options;
using scaleham::status;

template <class Function>
struct counted {
  Function f;
  int calls = 0;
  double operator()(double x) {
    ++calls;
    return f(x);
  }
};
template <class Function>
counted(Function) -> counted<Function>;

TEST(Quadrature, PolynomialOfDegree22IsExactInOneInterval) {
  // G7K15 integrates degree ≤ 22 exactly (Kronrod rule of 15 points).
  counted f{[](double x) { return std::pow(x, 22); }};
  const auto r = scaleham::integrate_adaptive(f, -1.0, 2.0);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_NEAR(r.value, (std::pow(2.0, 23) + 1.0) / 23.0, 1e-9);
  EXPECT_EQ(r.evaluations, f.calls);
}

TEST(Quadrature, OscillatoryIntegralNeedsSubdivisionAndConverges) {
  counted f{[](double x) { return std::sin(x) * std::exp(-0.1 * x); }};
  quadrature_options<double> opt;
  opt.rtol = 1e-12;
  const auto r = scaleham::integrate_adaptive(f, 0.0, 60.0, opt);
  ASSERT_EQ(r.code, status::ok);
  // ∫ e^{−ax} sin x = (1 − e^{−aT}(a sin T + cos T)) / (1 + a²)
  const double a = 0.1, T = 60.0;
  const double exact = (1.0 - std::exp(-a * T) * (a * std::sin(T) + std::cos(T))) / (1.0 + a * a);
  EXPECT_NEAR(r.value, exact, 1e-11);
  EXPECT_GT(r.intervals, 1);
  EXPECT_LE(r.error, 1e-12 * std::fabs(r.value) + 1e-300);
}

TEST(Quadrature, ReversedLimitsChangeTheSign) {
  auto f = [](double x) { return std::exp(x); };
  const auto forward = scaleham::integrate_adaptive(f, 0.0, 1.0);
  const auto backward = scaleham::integrate_adaptive(f, 1.0, 0.0);
  EXPECT_NEAR(forward.value, std::exp(1.0) - 1.0, 1e-13);
  EXPECT_DOUBLE_EQ(backward.value, -forward.value);
}

TEST(Quadrature, IntegrableEndpointSingularityConverges) {
  auto f = [](double x) { return 1.0 / std::sqrt(x); };
  quadrature_options<double> opt;
  opt.rtol = 1e-8;
  const auto r = scaleham::integrate_adaptive(f, 0.0, 1.0, opt);
  ASSERT_EQ(r.code, status::ok);
  EXPECT_NEAR(r.value, 2.0, 1e-7);
}

TEST(Quadrature, BudgetExhaustedIsNotConvergedWithFiniteEstimate) {
  auto f = [](double x) { return std::sin(1.0 / x); };
  quadrature_options<double> opt;
  opt.rtol = 1e-14;
  opt.max_intervals = 8;
  const auto r = scaleham::integrate_adaptive(f, 1e-4, 1.0, opt);
  EXPECT_EQ(r.code, status::not_converged);
  EXPECT_EQ(r.intervals, 8);
  EXPECT_TRUE(std::isfinite(r.value));
}

TEST(Quadrature, NonFiniteIntegrandIsReported) {
  auto f = [](double x) { return 1.0 / (x - 0.5); };  // pole at a Kronrod node (the centre)
  const auto r = scaleham::integrate_adaptive(f, 0.0, 1.0);
  EXPECT_EQ(r.code, status::non_finite);
}

TEST(Quadrature, BadOptionsAreRejected) {
  auto f = [](double x) { return x; };
  quadrature_options<double> opt;
  opt.max_intervals = scaleham::quadrature_capacity + 1;
  EXPECT_EQ(scaleham::integrate_adaptive(f, 0.0, 1.0, opt).code, status::invalid_options);
  opt = {};
  opt.rtol = 0.0;
  opt.atol = 0.0;
  EXPECT_EQ(scaleham::integrate_adaptive(f, 0.0, 1.0, opt).code, status::invalid_options);
  EXPECT_EQ(scaleham::integrate_adaptive(f, 0.0, std::nan(""), {}).code, status::invalid_options);
}

}  // namespace
