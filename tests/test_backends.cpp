// The backends against the core: the CPU backend must equal the core's direct
// per-point call bitwise; the CUDA backend must match the CPU oracle within a
// stated tolerance (skipped where no GPU is usable).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu_backend.hpp"
#include "cuda_backend.hpp"
#include "equivalence.hpp"
#include "mixed_sweep.hpp"
#include "sweep.hpp"

namespace {

using scaleham::axis_kind;
using scaleham::point_result;
using scaleham::status;

using scaleham::testing::mixed_sweep;

template <class Real>
bool bitwise_equal(const point_result<Real>& a, const point_result<Real>& b) {
  // Compare field by field (padding bytes are unspecified), NaN == NaN bitwise.
  auto same = [](Real x, Real y) { return std::memcmp(&x, &y, sizeof(Real)) == 0; };
  return same(a.g, b.g) && same(a.p, b.p) && same(a.S, b.S) && same(a.ell, b.ell) &&
         same(a.h_drift, b.h_drift) && same(a.p0, b.p0) && same(a.action, b.action) &&
         same(a.action_error, b.action_error) && same(a.hj_consistency, b.hj_consistency) &&
         a.steps == b.steps && a.rejected == b.rejected && a.flow_status == b.flow_status &&
         a.action_status == b.action_status && a.curve_status == b.curve_status &&
         same(a.fit.a, b.fit.a) && same(a.fit.B, b.fit.B) && same(a.fit.T_vf, b.fit.T_vf) &&
         same(a.fit.B_stderr, b.fit.B_stderr) && same(a.fit.Tg, b.fit.Tg) &&
         same(a.fit.rms, b.fit.rms) && a.fit.iterations == b.fit.iterations &&
         a.fit.code == b.fit.code && same(a.B_rel_err, b.B_rel_err);
}

template <class Real>
std::vector<point_result<Real>> run_cpu(const scaleham::sweep_config& c, std::uint64_t batch,
                                        std::vector<Real>* curves = nullptr) {
  const scaleham::sweep_plan<Real> plan(c);
  scaleham::cpu_runner<Real> runner(plan.spec(), batch, c.output.curves);
  std::vector<point_result<Real>> all;
  for (std::uint64_t first = 0; first < c.size(); first += batch) {
    const std::uint64_t n = std::min(batch, c.size() - first);
    runner.start(0, first, n);
    const point_result<Real>* r = runner.finish(0);
    all.insert(all.end(), r, r + n);
    if (curves != nullptr && runner.curves(0) != nullptr)
      curves->insert(curves->end(), runner.curves(0),
                     runner.curves(0) + n * std::uint64_t(c.settings.relaxation.n_T));
  }
  return all;
}

TEST(CpuBackend, EqualsTheCoreDirectCallBitwise) {
  for (bool random : {false, true}) {
    const auto c = mixed_sweep(random);
    const scaleham::sweep_plan<double> plan(c);
    const auto& spec = plan.spec();
    const auto results = run_cpu<double>(c, 37);  // odd batch size: batch edges everywhere
    ASSERT_EQ(results.size(), c.size());
    int failing = 0;
    for (std::uint64_t i = 0; i < c.size(); ++i) {
      ASSERT_TRUE(bitwise_equal(results[i], spec.evaluate(i))) << "point " << i;
      failing += !scaleham::succeeded(results[i].flow_status);
    }
    EXPECT_GT(failing, 0) << "the sweep must include failing points";
    EXPECT_LT(failing, int(c.size()));
  }
}

TEST(CpuBackend, CurvesEqualTheCoreDirectCall) {
  auto c = mixed_sweep(false);
  c.output.curves = true;
  c.settings.relaxation.n_T = 8;
  const scaleham::sweep_plan<double> plan(c);
  const auto& spec = plan.spec();
  std::vector<double> curves;
  const auto results = run_cpu<double>(c, 50, &curves);
  ASSERT_EQ(curves.size(), c.size() * 8);
  int fitted = 0;
  for (std::uint64_t i = 0; i < c.size(); ++i) {
    double curve[scaleham::max_curve_points];
    const auto direct = spec.evaluate(i, curve);
    ASSERT_TRUE(bitwise_equal(results[i], direct)) << i;
    for (int j = 0; j < 8; ++j)
      ASSERT_EQ(std::memcmp(&curves[i * 8 + j], &curve[j], sizeof(double)), 0) << i << " " << j;
    fitted += direct.fit.code == status::ok;
  }
  EXPECT_GT(fitted, 0);
}

// A sweep that writes no /hj does not compute the action: its action fields
// are NaN with status ok, and every other field is bitwise what it was.
TEST(CpuBackend, WithoutHjTheActionIsSkippedAndTheRestIsUnchanged) {
  auto with = mixed_sweep(false);
  auto without = with;
  without.output.hj = false;
  without.settings.compute_action = false;
  const auto a = run_cpu<double>(with, 64);
  const auto b = run_cpu<double>(without, 64);
  ASSERT_EQ(a.size(), b.size());
  int computed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(std::isnan(b[i].action) && std::isnan(b[i].action_error) && std::isnan(b[i].hj_consistency)) << i;
    EXPECT_EQ(b[i].action_status, status::ok) << i;
    computed += std::isfinite(a[i].action);
    point_result<double> same = b[i];
    same.action = a[i].action;
    same.action_error = a[i].action_error;
    same.hj_consistency = a[i].hj_consistency;
    same.action_status = a[i].action_status;
    ASSERT_TRUE(bitwise_equal(same, a[i])) << "point " << i;
  }
  EXPECT_GT(computed, 0) << "the sweep with /hj must compute actions";
}

TEST(CpuBackend, FloatPrecisionRunsTheSameCore) {
  const auto c = mixed_sweep(false);
  const scaleham::sweep_plan<float> plan(c);
  const auto& spec = plan.spec();
  const auto results = run_cpu<float>(c, 100);
  for (std::uint64_t i = 0; i < c.size(); ++i)
    ASSERT_TRUE(bitwise_equal(results[i], spec.evaluate(i))) << "point " << i;
}

TEST(CudaBackend, WithoutAUsableGpuProbeSaysWhy) {
  const auto probe = scaleham::cuda::probe();
  if (probe.usable) GTEST_SKIP() << "a GPU is present: " << probe.device_name;
  EXPECT_FALSE(probe.reason.empty());
  // Built without CUDA: `unavailable`; built with it but no GPU here: CUDA's own error.
  const scaleham::sweep_plan<double> plan(mixed_sweep(false));
  EXPECT_THROW(scaleham::cuda::sweep_runner<double>(plan.spec(), 16, false), std::runtime_error);
}

// GPU against the CPU oracle with the rules of docs/numerics.md, kept in one
// place (tests/equivalence.hpp): statuses equal and every field within the
// bound derived for it. Points where rounding alone decides the sign of β
// (numerics.md §7) have no such bound and are skipped, at most a tenth.
template <class Real>
void expect_equivalent_to_cpu(const scaleham::sweep_config& c) {
  const auto cpu = run_cpu<Real>(c, 1000);
  const scaleham::sweep_plan<Real> plan(c);
  scaleham::cuda::sweep_runner<Real> gpu(plan.spec(), 1000, false);
  std::uint64_t skipped = 0;
  for (std::uint64_t first = 0; first < c.size(); first += 1000) {
    const std::uint64_t n = std::min<std::uint64_t>(1000, c.size() - first);
    gpu.start(0, first, n);
    const point_result<Real>* r = gpu.finish(0);
    for (std::uint64_t i = 0; i < n; ++i) {
      Real params[scaleham::param_count];
      plan.spec().grid.parameters(first + i, params);
      if (scaleham::testing::rounding_decided(params, c.settings)) {
        ++skipped;
        continue;
      }
      EXPECT_TRUE(scaleham::testing::equivalent(r[i], cpu[first + i], c.settings)) << "point " << first + i;
    }
  }
  EXPECT_LE(skipped, c.size() / 10);
}

// The mixed sweep at float-valid flow tolerances: the default rtol 1e-8 is
// below 10 ε of float (1.2e-6), which makes every float flow invalid_options.
scaleham::sweep_config float_mixed_sweep() {
  scaleham::sweep_config c = mixed_sweep(false);
  c.settings.dopri5.rtol = 1e-5;
  c.settings.dopri5.atol = 1e-7;  // g is O(1) K here: atol matters below 0.01 K
  return c;
}

TEST(CpuBackend, FloatTestSweepIntegratesItsFlows) {
  // What the float GPU test compares must be flows, not invalid_options everywhere.
  const auto c = float_mixed_sweep();
  const auto results = run_cpu<float>(c, 100);
  int invalid = 0, integrated = 0;
  for (const auto& r : results) {
    invalid += r.flow_status == status::invalid_options;
    integrated += r.flow_status == status::ok;
  }
  EXPECT_EQ(invalid, 0);
  EXPECT_GT(integrated, int(c.size() / 2));
}

TEST(CudaBackend, SweepIsEquivalentToCpuOracle) {
  if (!scaleham::cuda::probe().usable) GTEST_SKIP() << scaleham::cuda::probe().reason;
  expect_equivalent_to_cpu<double>(mixed_sweep(false));
  expect_equivalent_to_cpu<double>(mixed_sweep(true));
}

TEST(CudaBackend, SweepWithoutHjIsEquivalentToCpuOracle) {
  if (!scaleham::cuda::probe().usable) GTEST_SKIP() << scaleham::cuda::probe().reason;
  auto c = mixed_sweep(false);
  c.output.hj = false;
  c.settings.compute_action = false;
  expect_equivalent_to_cpu<double>(c);
}

TEST(CudaBackend, FloatSweepIsEquivalentToCpuOracle) {
  if (!scaleham::cuda::probe().usable) GTEST_SKIP() << scaleham::cuda::probe().reason;
  expect_equivalent_to_cpu<float>(float_mixed_sweep());
}

}  // namespace
