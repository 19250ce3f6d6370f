// The cross-backend comparison rules of docs/numerics.md (tests/equivalence.hpp):
// close() on the special values, and equivalent() on the mixed sweep of
// test_backends.cpp, whose ±inf momenta made the old comparison fail even
// CPU against CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cpu_backend.hpp"
#include "equivalence.hpp"
#include "mixed_sweep.hpp"
#include "sweep.hpp"

namespace {

using scaleham::testing::close;
using scaleham::testing::tolerance;

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan = std::nan("");

TEST(Close, EqualInfinitiesAreClose) {
  EXPECT_TRUE(close(inf, inf, {0, 0}));
  EXPECT_TRUE(close(-inf, -inf, {1e-3, 1e-3}));
}

TEST(Close, OppositeInfinitiesOrInfinityAgainstANumberAreNot) {
  EXPECT_FALSE(close(-inf, inf, {1, 1}));
  EXPECT_FALSE(close(inf, 1e308, {1, 1}));
  EXPECT_FALSE(close(1.0, -inf, {1, 1}));
}

TEST(Close, NanOnlyMatchesNan) {
  EXPECT_TRUE(close(nan, nan, {0, 0}));
  EXPECT_FALSE(close(nan, 1.0, {1, 1e300}));
  EXPECT_FALSE(close(1.0, nan, {1, 1e300}));
  EXPECT_FALSE(close(nan, inf, {1, 1}));
}

TEST(Close, BoundIsAbsPlusRelTimesTheLargerMagnitude) {
  const tolerance t{1e-6, 1e-9};
  // bound = 1e-9 + 1e-6 · 2 = 2.001e-6
  EXPECT_TRUE(close(2.0, 2.0 - 2.0e-6, t));
  EXPECT_FALSE(close(2.0, 2.0 - 2.1e-6, t));
  EXPECT_TRUE(close(0.0, 0.9e-9, t));
  EXPECT_FALSE(close(0.0, 1.1e-9, t));
  EXPECT_TRUE(close(-0.0, 0.0, {0, 0}));
  EXPECT_FALSE(close(1.0, std::nextafter(1.0, 2.0), {0, 0}));
}

using scaleham::testing::mixed_sweep;

template <class Real>
std::vector<scaleham::point_result<Real>> run_cpu(const scaleham::sweep_config& c) {
  const scaleham::sweep_plan<Real> plan(c);
  scaleham::cpu_runner<Real> runner(plan.spec(), c.size(), false);
  runner.start(0, 0, c.size());
  const scaleham::point_result<Real>* r = runner.finish(0);
  return {r, r + c.size()};
}

/// Returns how many points end with p = ±inf.
template <class Real>
int expect_cpu_equivalent_to_itself(const scaleham::sweep_config& c) {
  const auto a = run_cpu<Real>(c);
  const auto b = run_cpu<Real>(c);
  int infinite_p = 0;
  for (std::uint64_t i = 0; i < c.size(); ++i) {
    infinite_p += std::isinf(a[i].p);
    EXPECT_TRUE(scaleham::testing::equivalent(a[i], b[i], c.settings)) << "point " << i;
  }
  return infinite_p;
}

TEST(Equivalent, CpuAgainstItselfOnTheMixedSweep) {
  // The cartesian grid must keep the points that broke the old comparison.
  EXPECT_GT(expect_cpu_equivalent_to_itself<double>(mixed_sweep(false)), 0);
  expect_cpu_equivalent_to_itself<double>(mixed_sweep(true));
  auto c = mixed_sweep(false);
  c.settings.dopri5.rtol = 1e-5;  // float needs rtol >= 10 ε = 1.2e-6
  c.settings.dopri5.atol = 1e-7;
  EXPECT_GT(expect_cpu_equivalent_to_itself<float>(c), 0);
}

TEST(Equivalent, NamesTheFieldOutsideItsBound) {
  const auto c = mixed_sweep(false);
  const auto results = run_cpu<double>(c);
  std::uint64_t i = 0;
  while (results[i].flow_status != scaleham::status::ok || results[i].fit.code != scaleham::status::ok) ++i;
  auto moved = results[i];
  moved.g *= 1.0 + 1e-3;  // far above the DOPRI5 bound (~1e-6 relative at rtol 1e-8)
  const auto verdict = scaleham::testing::equivalent(moved, results[i], c.settings);
  EXPECT_FALSE(verdict);
  EXPECT_NE(std::string(verdict.message()).find("g:"), std::string::npos) << verdict.message();
  moved = results[i];
  moved.fit.B *= 1.0 + 1e-6;
  EXPECT_FALSE(scaleham::testing::equivalent(moved, results[i], c.settings));
  moved = results[i];
  moved.flow_status = scaleham::status::max_steps;
  EXPECT_FALSE(scaleham::testing::equivalent(moved, results[i], c.settings));
  // Rounding-sized changes pass.
  moved = results[i];
  moved.g = std::nextafter(moved.g, 0.0);
  moved.fit.rms += 1e-15;
  EXPECT_TRUE(scaleham::testing::equivalent(moved, results[i], c.settings));
}

}  // namespace

namespace {

// The fit rules for measured rows (the same bits on both sides): a fit equals
// itself, and moving the data by more than rounding is caught.
TEST(EquivalentFit, SameRowsPassMovedRowsFail) {
  std::vector<double> T, y;
  for (int i = 0; i < 20; ++i) {
    T.push_back(250.0 + 150.0 * i / 19);
    y.push_back(std::log(1e-14) + 2000.0 / (T.back() - 200.0) + 0.05 * std::sin(3.0 * i));  // "noise"
  }
  const auto fit = [&](const std::vector<double>& values) {
    return scaleham::fit_vft(scaleham::array_rows<double>{T.data(), values.data(), int(T.size())});
  };
  const auto reference = fit(y);
  ASSERT_EQ(reference.code, scaleham::status::ok);
  double y_max = 0;
  for (double v : y) y_max = std::max(y_max, std::fabs(v));
  EXPECT_TRUE(scaleham::testing::equivalent(fit(y), reference, y_max, T.front()));
  std::vector<double> moved = y;
  moved[7] += 1e-9;  // ~1e11 ε: far above the residuals' rounding
  EXPECT_FALSE(scaleham::testing::equivalent(fit(moved), reference, y_max, T.front()));
}

}  // namespace
