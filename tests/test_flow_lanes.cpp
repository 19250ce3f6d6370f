// The CPU backend's SIMD lanes (host/simd/flow_lanes.hpp) against the scalar
// loops of steppers.hpp: every field of every path bitwise equal, at every
// instruction set this CPU has, for RK4 and DOPRI5 in double and float, over
// starts that reach every way a path can end (stop events, non-finite states,
// the step budget, the step floor, invalid starts) and models of mixed shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "simd/flow_lanes.hpp"

namespace scaleham {
namespace {

template <class T>
bool same_bits(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class Real>
::testing::AssertionResult same_path(const path_result<Real>& a, const path_result<Real>& b) {
  if (same_bits(a.end.g, b.end.g) && same_bits(a.end.p, b.end.p) && same_bits(a.end.S, b.end.S) &&
      same_bits(a.ell, b.ell) && a.steps == b.steps && a.rejected == b.rejected &&
      a.evaluations == b.evaluations && same_bits(a.h_drift, b.h_drift) && a.code == b.code)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "lanes: g " << a.end.g << " p " << a.end.p << " S " << a.end.S << " ell " << a.ell << " steps "
         << a.steps << "/" << a.rejected << " status " << int(a.code) << "; scalar: g " << b.end.g << " p "
         << b.end.p << " S " << b.end.S << " ell " << b.ell << " steps " << b.steps << "/" << b.rejected
         << " status " << int(b.code);
}

/// Starts of every kind: the paper's model and shapes with b0, b2 and f0 terms
/// (so consecutive starts change shape), β zeros inside the path (left_domain),
/// g0 outside the domain, p0 = ±inf where β(g0) = 0, and both ℓ directions.
template <class Real>
std::vector<flow_start<Real>> mixed_starts(bool on_manifold) {
  std::vector<flow_start<Real>> starts;
  const double lambdas[] = {-0.2, -0.05, 0.0, 0.1, 0.4};
  const double b0s[] = {-0.5, 0.0, 0.1, 2.0};
  const double b2s[] = {0.0, 0.0, 0.01};
  const double ells[] = {8.0, -6.0};
  for (double ell : ells)
    for (double b2 : b2s)
      for (double lambda : lambdas)
        for (double b0 : b0s)
          for (int k = 0; k < 17; ++k) {  // 17 points of one shape: full groups and a rest
            const double g0 = -0.5 + 0.25 * k;
            Real params[param_count] = {};
            params[param_b0] = Real(b0), params[param_b1] = Real(lambda), params[param_b2] = Real(b2);
            params[param_f_m1] = Real(50), params[param_f0] = Real(b2 > 0 ? 1.5 : 0.0);
            params[param_g0] = Real(g0), params[param_p0] = Real(-3.0 + 0.5 * k);
            params[param_ell] = Real(ell);
            point_settings<Real> s;
            s.p0_on_manifold = on_manifold;
            starts.push_back(start_of_flow(params, s));
          }
  return starts;
}

template <class Real>
void expect_lanes_equal_scalar(const std::vector<flow_start<Real>>& starts, const point_settings<Real>& s) {
  std::vector<path_result<Real>> scalar(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) scalar[i] = integrate_flow(starts[i], s);
  for (simd_level level : {simd_level::sse2, simd_level::avx2}) {
    if (int(level) > int(best_simd_level())) continue;
    // Every count from 1 to a few groups, so partial groups are covered too.
    for (std::size_t count : {std::size_t(1), std::size_t(3), std::size_t(7), std::size_t(17), starts.size()}) {
      std::vector<path_result<Real>> lanes(count);
      integrate_flows(starts.data(), count, s, lanes.data(), level);
      for (std::size_t i = 0; i < count; ++i)
        ASSERT_TRUE(same_path(lanes[i], scalar[i])) << simd_level_name(level) << " point " << i << " of " << count;
    }
  }
}

template <class Real>
class FlowLanes : public ::testing::Test {};
using Precisions = ::testing::Types<double, float>;
TYPED_TEST_SUITE(FlowLanes, Precisions);

TYPED_TEST(FlowLanes, Rk4EqualsTheScalarLoop) {
  using Real = TypeParam;
  point_settings<Real> s;
  s.method = integrator::rk4;
  s.rk4_steps = 120;
  s.events.g_min = Real(0);
  s.events.g_max = Real(1e6);
  for (bool manifold : {true, false}) expect_lanes_equal_scalar(mixed_starts<Real>(manifold), s);
  s.events.use_target = true;  // some paths cross g = 1.7, some start on the other side
  s.events.g_target = Real(1.7);
  expect_lanes_equal_scalar(mixed_starts<Real>(true), s);
}

TYPED_TEST(FlowLanes, Dopri5EqualsTheScalarLoop) {
  using Real = TypeParam;
  point_settings<Real> s;
  s.method = integrator::dopri5;
  s.dopri5.rtol = Real(std::is_same_v<Real, float> ? 1e-5 : 1e-9);
  s.dopri5.atol = Real(std::is_same_v<Real, float> ? 1e-7 : 1e-11);
  s.events.g_min = Real(0);
  s.events.g_max = Real(1e6);
  for (bool manifold : {true, false}) expect_lanes_equal_scalar(mixed_starts<Real>(manifold), s);
  s.dopri5.max_steps = 12;  // the budget ends some paths mid-way
  expect_lanes_equal_scalar(mixed_starts<Real>(true), s);
  s.dopri5.max_steps = 100000;
  s.dopri5.h_min = Real(0.05);  // and the step floor others
  expect_lanes_equal_scalar(mixed_starts<Real>(true), s);
  s.dopri5.h_min = Real(0);
  s.events.use_target = true;
  s.events.g_target = Real(1.7);
  expect_lanes_equal_scalar(mixed_starts<Real>(false), s);
}

TYPED_TEST(FlowLanes, InvalidSettingsEndEveryPathAsTheScalarLoopDoes) {
  using Real = TypeParam;
  point_settings<Real> s;
  s.method = integrator::rk4;
  s.rk4_steps = 0;
  expect_lanes_equal_scalar(mixed_starts<Real>(true), s);
  s.method = integrator::dopri5;
  s.dopri5.rtol = Real(-1);
  expect_lanes_equal_scalar(mixed_starts<Real>(true), s);
  s.dopri5.rtol = Real(1e-6);
  std::vector<flow_start<Real>> starts = mixed_starts<Real>(true);
  for (std::size_t i = 0; i < starts.size(); i += 5) starts[i].ell_end = std::numeric_limits<Real>::quiet_NaN();
  for (std::size_t i = 2; i < starts.size(); i += 7) starts[i].ell_end = Real(0);
  expect_lanes_equal_scalar(starts, s);
}

TEST(SimdLevel, EnvironmentChoosesALevelAndRefusesUnknownOnes) {
  EXPECT_STREQ(simd_level_name(simd_level::avx2), "avx2");
  ::setenv("SCALEHAM_SIMD", "scalar", 1);
  EXPECT_EQ(active_simd_level(), simd_level::scalar);
  ::setenv("SCALEHAM_SIMD", "sse2", 1);
  EXPECT_EQ(active_simd_level(), simd_level::sse2);
  ::setenv("SCALEHAM_SIMD", "avx512", 1);
  EXPECT_THROW(active_simd_level(), std::runtime_error);
  ::unsetenv("SCALEHAM_SIMD");
  EXPECT_EQ(active_simd_level(), best_simd_level());
}

}  // namespace
}  // namespace scaleham
