// Goal 3 of issue 10: the ln τ curve and its fit computed once per distinct
// (model, T0, c) of a batch (host/shared_relaxation.hpp) must give every point
// bitwise what the core's direct per-point call gives, curves included, on
// cartesian grids (linspace, logspace, values axes) and Halton grids; and the
// sharing must follow the grid's structure (grid_spec::projection).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <set>
#include <vector>

#include "cpu_backend.hpp"
#include "mixed_sweep.hpp"
#include "shared_relaxation.hpp"
#include "sweep.hpp"

namespace {

using namespace scaleham;

/// Every field of two results compared by its bytes (padding excluded).
template <class Real>
::testing::AssertionResult same_bits(const point_result<Real>& a, const point_result<Real>& b) {
  const bool same =
      std::memcmp(&a.g, &b.g, 9 * sizeof(Real)) == 0 && a.steps == b.steps && a.rejected == b.rejected &&
      a.flow_status == b.flow_status && a.action_status == b.action_status &&
      a.curve_status == b.curve_status &&
      std::memcmp(&a.fit, &b.fit, offsetof(vft_fit<Real>, iterations)) == 0 &&
      a.fit.iterations == b.fit.iterations && a.fit.n_points == b.fit.n_points && a.fit.code == b.fit.code &&
      std::memcmp(&a.B_rel_err, &b.B_rel_err, sizeof(Real)) == 0;
  if (same) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "g " << a.g << " vs " << b.g << ", B " << a.fit.B << " vs " << b.fit.B;
}

/// Points first .. first+count−1 through evaluate_points (shared when the
/// grid allows) and through shared_relaxation directly, against spec.evaluate.
template <class Real>
void expect_bitwise(const sweep_spec<Real>& spec, std::uint64_t first, std::uint64_t count,
                    std::uint64_t expected_distinct) {
  const int n_T = spec.settings.relaxation.n_T;
  std::vector<point_result<Real>> out(count);
  std::vector<Real> curves(count * n_T);
  evaluate_points(spec, first, count, out.data(), curves.data());
  const shared_relaxation<Real> shared(spec, first, count, true);
  EXPECT_EQ(shared.distinct(), expected_distinct);
  std::vector<Real> want_curve(n_T), got_curve(n_T);
  for (std::uint64_t i = 0; i < count; ++i) {
    const point_result<Real> want = spec.evaluate(first + i, want_curve.data());
    ASSERT_TRUE(same_bits(out[i], want)) << "evaluate_points, point " << first + i;
    ASSERT_EQ(std::memcmp(&curves[i * n_T], want_curve.data(), n_T * sizeof(Real)), 0) << "point " << first + i;
    ASSERT_TRUE(same_bits(shared.evaluate(i, got_curve.data()), want)) << "shared, point " << first + i;
    ASSERT_EQ(std::memcmp(got_curve.data(), want_curve.data(), n_T * sizeof(Real)), 0) << "point " << first + i;
  }
}

sweep_config paper_sweep() {
  sweep_config c;
  c.base[param_b1] = 0.1;
  c.base[param_f_m1] = 50.0;
  c.base[param_g0] = 100.0;
  c.base[param_ell] = -10.0;
  c.base[param_T0] = 300.0;
  c.base[param_c] = 1.0;
  c.settings.events.g_min = 0.0;
  c.settings.events.g_max = 1e12;
  c.settings.relaxation.n_T = 12;
  c.output.curves = true;
  return c;
}

// g0 × ℓ × λ: λ (the only relaxation axis) in the middle, so a batch meets
// each λ several times, and batches that start and end mid-axis.
TEST(SharedRelaxation, CartesianG0EllLambdaBitwise) {
  sweep_config c = paper_sweep();
  c.axes = {{"g0", param_g0, axis_kind::logspace, 5, 1.0, 300.0, {}, "K"},
            {"lambda", param_b1, axis_kind::linspace, 4, 0.05, 0.15, {}, "1"},
            {"ell", param_ell, axis_kind::linspace, 3, -10.0, 2.0, {}, "1"}};
  const sweep_plan<double> plan(c);
  ASSERT_TRUE(shared_relaxation<double>::applies(plan.spec()));
  expect_bitwise(plan.spec(), 0, c.size(), 4);
  expect_bitwise(plan.spec(), 7, 10, 4);  // 7 .. 16: λ indices 2, 3, 0, 1 (g0 0 and 1)
  expect_bitwise(plan.spec(), 13, 1, 1);
  const sweep_plan<float> plan_f(c);
  expect_bitwise(plan_f.spec(), 0, c.size(), 4);
}

// Two relaxation axes (A as explicit values, T0) around g0 and p0 off the
// manifold; values repeated on an axis are still distinct coordinates (the
// structure decides, not the values), and still bitwise.
TEST(SharedRelaxation, ValuesAxesAndSeveralRelaxationAxes) {
  sweep_config c = paper_sweep();
  c.settings.p0_on_manifold = false;
  c.axes = {{"A", param_f_m1, axis_kind::values, 3, 0, 0, {40.0, 60.0, 40.0}, "K"},
            {"p0", param_p0, axis_kind::values, 2, 0, 0, {-0.5, 0.25}, "1/K"},
            {"T0", param_T0, axis_kind::linspace, 2, 250.0, 350.0, {}, "K"},
            {"g0", param_g0, axis_kind::linspace, 3, 10.0, 200.0, {}, "K"}};
  const sweep_plan<double> plan(c);
  ASSERT_TRUE(shared_relaxation<double>::applies(plan.spec()));
  expect_bitwise(plan.spec(), 0, c.size(), 6);
  expect_bitwise(plan.spec(), 5, 20, 5);  // A 0: T0 1, 0, 1; A 1: both; A 2: T0 0
}

// The mixed test sweep (failing points, a values axis, b0 zeros of β).
TEST(SharedRelaxation, MixedSweepWithFailingPoints) {
  sweep_config c = scaleham::testing::mixed_sweep(false);
  c.settings.relaxation.n_T = 8;
  const sweep_plan<double> plan(c);
  ASSERT_TRUE(shared_relaxation<double>::applies(plan.spec()));
  expect_bitwise(plan.spec(), 0, c.size(), 28);
  const sweep_plan<float> plan_f(c);
  expect_bitwise(plan_f.spec(), 3, 200, 23);  // 3 .. 202: λ 0 (4 b0), 1..4 (16), 5 (b0 0..2)
}

// Halton: over g0 and ℓ only every point shares the base relaxation; with a
// relaxation axis no two points share (each is its own projection).
TEST(SharedRelaxation, HaltonAxes) {
  sweep_config c = paper_sweep();
  c.random = true;
  c.random_points = 40;
  c.axes = {{"g0", param_g0, axis_kind::logspace, 0, 1.0, 300.0, {}, "K"},
            {"ell", param_ell, axis_kind::linspace, 0, -10.0, 2.0, {}, "1"}};
  const sweep_plan<double> plan(c);
  ASSERT_TRUE(shared_relaxation<double>::applies(plan.spec()));
  expect_bitwise(plan.spec(), 0, 40, 1);
  expect_bitwise(plan.spec(), 11, 17, 1);

  c.axes.push_back({"lambda", param_b1, axis_kind::linspace, 0, 0.05, 0.15, {}, "1"});
  const sweep_plan<double> with_lambda(c);
  EXPECT_FALSE(shared_relaxation<double>::applies(with_lambda.spec()));
  expect_bitwise(with_lambda.spec(), 0, 40, 40);
}

TEST(SharedRelaxation, NotAppliedWithoutAnAxisToShareOrWithoutCurves) {
  sweep_config c = paper_sweep();
  c.axes = {{"lambda", param_b1, axis_kind::linspace, 4, 0.05, 0.15, {}, "1"},
            {"g0", param_g0, axis_kind::linspace, 1, 10.0, 10.0, {}, "K"}};
  EXPECT_FALSE(shared_relaxation<double>::applies(sweep_plan<double>(c).spec()));
  c.axes[1].count = 2;
  EXPECT_TRUE(shared_relaxation<double>::applies(sweep_plan<double>(c).spec()));
  c.settings.relaxation.enabled = false;
  EXPECT_FALSE(shared_relaxation<double>::applies(sweep_plan<double>(c).spec()));
}

// The projection is the mixed-radix index of the relaxation axes' coordinate
// indices: equal exactly when those indices are, and first_of_projection is
// the lowest point with it.
TEST(SharedRelaxation, ProjectionFollowsTheGridStructure) {
  sweep_config c = paper_sweep();
  c.axes = {{"T0", param_T0, axis_kind::linspace, 3, 250.0, 350.0, {}, "K"},
            {"g0", param_g0, axis_kind::linspace, 4, 10.0, 200.0, {}, "K"},
            {"A", param_f_m1, axis_kind::values, 2, 0, 0, {40.0, 60.0}, "K"},
            {"ell", param_ell, axis_kind::linspace, 5, -10.0, 2.0, {}, "1"}};
  const sweep_plan<double> plan(c);
  const grid_spec<double>& g = plan.spec().grid;
  std::set<std::uint64_t> keys;
  for (std::uint64_t i = 0; i < g.size(); ++i) {
    const std::uint64_t T0 = i / 40, A = i / 5 % 2;
    const std::uint64_t key = g.projection(i, relaxation_slots);
    EXPECT_EQ(key, T0 * 2 + A) << i;
    keys.insert(key);
    EXPECT_EQ(g.first_of_projection(key, relaxation_slots), T0 * 40 + A * 5) << i;
  }
  EXPECT_EQ(keys.size(), 6u);
}

}  // namespace
