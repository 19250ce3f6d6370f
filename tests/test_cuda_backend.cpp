// The CUDA backend on the paths a real sweep takes: many batches through both
// slots, curves, grid-stride wrap, point indices beyond 2^32, batch-size
// independence, float and double, RK4 and DOPRI5, destruction with work in
// flight, the probe and the memory cap. Each GPU result is checked against the
// CPU oracle with the rules of docs/numerics.md (tests/equivalence.hpp), or
// bitwise against another GPU run where the same code on the same device must
// give the same bits. Every test skips cleanly where no GPU is usable.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cpu_backend.hpp"
#include "config.hpp"
#include "cuda_backend.hpp"
#include "equivalence.hpp"
#include "scoped_env.hpp"
#include "sweep.hpp"

namespace {

using scaleham::axis_kind;
using scaleham::integrator;
using scaleham::point_result;
using scaleham::sweep_config;
using scaleham::sweep_plan;

#define SKIP_WITHOUT_GPU()                                                 \
  do {                                                                     \
    const scaleham::cuda::probe_result gpu = scaleham::cuda::probe();      \
    if (!gpu.usable) GTEST_SKIP() << "no usable GPU: " << gpu.reason;      \
  } while (0)

/// The paper's model over (λ, A), g0 = 100, ℓ = −10, with the relaxation
/// curve and its fit (16 temperatures), as a user's first sweep looks.
sweep_config paper_sweep(integrator method, bool float_tolerances, std::int64_t n_lambda = 40,
                         std::int64_t n_A = 25) {
  sweep_config c;
  c.base[scaleham::param_b1] = 0.1;
  c.base[scaleham::param_f_m1] = 50.0;
  c.base[scaleham::param_g0] = 100.0;
  c.base[scaleham::param_ell] = -10.0;
  c.base[scaleham::param_T0] = 400.0;
  c.base[scaleham::param_c] = 1.0;
  c.axes = {{"lambda", scaleham::param_b1, axis_kind::linspace, n_lambda, 0.05, 0.15, {}, "1"},
            {"A", scaleham::param_f_m1, axis_kind::logspace, n_A, 10.0, 100.0, {}, "K"}};
  c.settings.method = method;
  c.settings.rk4_steps = 200;
  c.settings.events.g_min = 0.0;
  c.settings.events.g_max = 1e9;
  c.settings.relaxation.n_T = 16;
  if (float_tolerances) {  // what float can reach (README: rtol >= 1.2e-6)
    c.settings.dopri5.rtol = 1e-5;
    c.settings.dopri5.atol = 1e-7;
    c.settings.quadrature.rtol = 1e-5;
    c.settings.quadrature.atol = 1e-7;
  }
  c.output.curves = true;
  return c;
}

/// A Halton sweep with some failing corners (β zeros, g0 <= 0).
sweep_config halton_sweep(std::uint64_t n_points) {
  sweep_config c = paper_sweep(integrator::dopri5, false);
  c.axes = {{"lambda", scaleham::param_b1, axis_kind::linspace, 0, -0.05, 0.2, {}, "1"},
            {"A", scaleham::param_f_m1, axis_kind::logspace, 0, 1.0, 100.0, {}, "K"},
            {"g0", scaleham::param_g0, axis_kind::linspace, 0, -5.0, 200.0, {}, "K"}};
  c.random = true;
  c.random_points = n_points;
  c.output.curves = false;
  return c;
}

template <class Real>
struct batch_results {
  std::vector<point_result<Real>> points;
  std::vector<Real> curves;
};

/// Points first .. first+count−1 through a runner the way the driver does it:
/// batch k+1 is started before batch k is read, alternating the two slots.
template <class Real, class Runner>
batch_results<Real> run_batches(Runner& runner, std::uint64_t first, std::uint64_t count, std::uint64_t batch,
                                std::uint64_t n_T) {
  batch_results<Real> all;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> batches;
  for (std::uint64_t b = first; b < first + count; b += batch)
    batches.emplace_back(b, std::min(batch, first + count - b));
  runner.start(0, batches[0].first, batches[0].second);
  for (std::size_t k = 0; k < batches.size(); ++k) {
    const int slot = int(k % 2);
    const point_result<Real>* r = runner.finish(slot);
    // Copy before the next start: starting reuses the other slot only, but a
    // third batch would overwrite this one.
    all.points.insert(all.points.end(), r, r + batches[k].second);
    if (const Real* curves = runner.curves(slot))
      all.curves.insert(all.curves.end(), curves, curves + batches[k].second * n_T);
    if (k + 1 < batches.size()) runner.start(int((k + 1) % 2), batches[k + 1].first, batches[k + 1].second);
  }
  return all;
}

template <class Real>
batch_results<Real> on_gpu(const sweep_config& c, std::uint64_t first, std::uint64_t count, std::uint64_t batch,
                           int max_blocks = 0) {
  const sweep_plan<Real> plan(c);
  scaleham::cuda::sweep_runner<Real> runner(plan.spec(), batch, c.output.curves, 0, max_blocks);
  return run_batches<Real>(runner, first, count, batch, std::uint64_t(c.settings.relaxation.n_T));
}

template <class Real>
batch_results<Real> on_cpu(const sweep_config& c, std::uint64_t first, std::uint64_t count) {
  const sweep_plan<Real> plan(c);
  scaleham::cpu_runner<Real> runner(plan.spec(), count, c.output.curves);
  return run_batches<Real>(runner, first, count, count, std::uint64_t(c.settings.relaxation.n_T));
}

/// Every GPU point within the numerics.md bounds of the CPU oracle; points
/// whose β sign rounding decides (numerics.md §7) are counted, not compared.
template <class Real>
void expect_equivalent(const sweep_config& c, std::uint64_t first, const batch_results<Real>& gpu,
                       const batch_results<Real>& cpu) {
  ASSERT_EQ(gpu.points.size(), cpu.points.size());
  const sweep_plan<Real> plan(c);
  std::uint64_t skipped = 0, failures = 0;
  for (std::size_t i = 0; i < gpu.points.size(); ++i) {
    Real params[scaleham::param_count];
    plan.spec().grid.parameters(first + i, params);
    if (scaleham::testing::rounding_decided(params, c.settings)) {
      ++skipped;
      continue;
    }
    const ::testing::AssertionResult same = scaleham::testing::equivalent(gpu.points[i], cpu.points[i], c.settings);
    if (!same && ++failures <= 5) ADD_FAILURE() << "point " << first + i << ": " << same.message();
  }
  EXPECT_EQ(failures, 0u);
  EXPECT_LE(skipped * 10, gpu.points.size()) << "most points must be compared";
}

template <class Real>
bool bitwise_equal(const batch_results<Real>& a, const batch_results<Real>& b) {
  if (a.points.size() != b.points.size() || a.curves.size() != b.curves.size()) return false;
  // point_result has no padding in either precision? Compare field blocks to be safe.
  for (std::size_t i = 0; i < a.points.size(); ++i) {
    const point_result<Real>& x = a.points[i];
    const point_result<Real>& y = b.points[i];
    if (std::memcmp(&x.g, &y.g, 9 * sizeof(Real)) != 0 || x.steps != y.steps || x.rejected != y.rejected ||
        x.flow_status != y.flow_status || x.action_status != y.action_status || x.curve_status != y.curve_status ||
        std::memcmp(&x.fit, &y.fit, offsetof(scaleham::vft_fit<Real>, iterations)) != 0 ||
        x.fit.iterations != y.fit.iterations || x.fit.code != y.fit.code ||
        std::memcmp(&x.B_rel_err, &y.B_rel_err, sizeof(Real)) != 0)
      return false;
  }
  return a.curves.empty() || std::memcmp(a.curves.data(), b.curves.data(), a.curves.size() * sizeof(Real)) == 0;
}

TEST(CudaRunner, SevenBatchesThroughBothSlotsMatchTheCpuDouble) {
  SKIP_WITHOUT_GPU();
  const sweep_config c = paper_sweep(integrator::dopri5, false);
  const auto gpu = on_gpu<double>(c, 0, c.size(), 150);  // 1000 points: 7 batches, both slots reused
  expect_equivalent(c, 0, gpu, on_cpu<double>(c, 0, c.size()));
  ASSERT_EQ(gpu.curves.size(), c.size() * 16);
}

TEST(CudaRunner, FloatAndRk4MatchTheCpu) {
  SKIP_WITHOUT_GPU();
  for (const integrator method : {integrator::dopri5, integrator::rk4}) {
    const sweep_config f = paper_sweep(method, true, 20, 10);
    expect_equivalent(f, 0, on_gpu<float>(f, 0, f.size(), 64), on_cpu<float>(f, 0, f.size()));
    const sweep_config d = paper_sweep(method, false, 20, 10);
    expect_equivalent(d, 0, on_gpu<double>(d, 0, d.size(), 64), on_cpu<double>(d, 0, d.size()));
  }
}

TEST(CudaRunner, ResultsDoNotDependOnTheBatchSizeOrTheGrid) {
  SKIP_WITHOUT_GPU();
  const sweep_config c = paper_sweep(integrator::dopri5, false);
  const auto one_batch = on_gpu<double>(c, 0, c.size(), c.size());
  EXPECT_TRUE(bitwise_equal(one_batch, on_gpu<double>(c, 0, c.size(), 97)));
  // Two blocks of 128 threads for 1000 points: the grid-stride loop wraps 4 times.
  EXPECT_TRUE(bitwise_equal(one_batch, on_gpu<double>(c, 0, c.size(), c.size(), 2)));
  const sweep_config f = paper_sweep(integrator::rk4, true);
  EXPECT_TRUE(bitwise_equal(on_gpu<float>(f, 0, f.size(), f.size()), on_gpu<float>(f, 0, f.size(), 333, 1)));
}

TEST(CudaRunner, PointIndicesBeyondTwoToThe32) {
  SKIP_WITHOUT_GPU();
  // A Halton sweep of 2^34 points, evaluated only in two windows (no allocation
  // of the whole sweep): indices must travel as 64-bit values end to end.
  const sweep_config c = halton_sweep(std::uint64_t(1) << 34);
  for (const std::uint64_t first : {(std::uint64_t(1) << 32) + 7, (std::uint64_t(1) << 33) + 12345}) {
    const auto gpu = on_gpu<double>(c, first, 300, 128);
    expect_equivalent(c, first, gpu, on_cpu<double>(c, first, 300));
    // Not the points 2^32 lower (a truncated index would give exactly those).
    EXPECT_FALSE(bitwise_equal(gpu, on_gpu<double>(c, first - (std::uint64_t(1) << 32), 300, 128)));
  }
}

TEST(CudaRunner, HaltonAndValuesAxesMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const sweep_config h = halton_sweep(2000);
  expect_equivalent(h, 0, on_gpu<double>(h, 0, h.size(), 500), on_cpu<double>(h, 0, h.size()));
  sweep_config v = paper_sweep(integrator::dopri5, false, 10, 5);
  v.axes.push_back({"b0", scaleham::param_b0, axis_kind::values, 4, 0, 0, {-0.5, 0.0, 0.1, 2.0}, "K"});
  v.settings.dopri5.max_steps = 60;  // some points run out of steps
  expect_equivalent(v, 0, on_gpu<double>(v, 0, v.size(), 64), on_cpu<double>(v, 0, v.size()));
}

/// A sweep over g0 and ℓ around λ (issue 10, goal 3): points share their
/// relaxation with every point of the same λ, computed once per batch on the
/// GPU (sorted distinct projections, a relaxation table the point kernel reads).
sweep_config shared_relaxation_sweep(bool float_tolerances) {
  sweep_config c = paper_sweep(integrator::dopri5, float_tolerances);
  c.axes = {{"g0", scaleham::param_g0, axis_kind::logspace, 12, 5.0, 300.0, {}, "K"},
            {"lambda", scaleham::param_b1, axis_kind::linspace, 5, 0.05, 0.15, {}, "1"},
            {"ell", scaleham::param_ell, axis_kind::linspace, 9, -10.0, 2.0, {}, "1"}};
  return c;
}

TEST(CudaRunner, SharedRelaxationsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const sweep_config c = shared_relaxation_sweep(false);  // 540 points, 5 relaxations
  const auto gpu = on_gpu<double>(c, 0, c.size(), 100);   // 6 batches through both slots
  const auto cpu = on_cpu<double>(c, 0, c.size());
  expect_equivalent(c, 0, gpu, cpu);
  // Points of one λ carry one relaxation: bitwise the same fit and curve.
  ASSERT_EQ(gpu.curves.size(), c.size() * 16);
  for (std::size_t i = 0; i < c.size(); ++i) {
    const std::size_t same_lambda = (i % 45) + 45 * ((i / 45 + 1) % 12);  // another g0, same λ and ℓ
    EXPECT_EQ(std::memcmp(&gpu.points[i].fit, &gpu.points[same_lambda].fit,
                          offsetof(scaleham::vft_fit<double>, iterations)), 0) << i;
    EXPECT_EQ(std::memcmp(&gpu.curves[i * 16], &gpu.curves[same_lambda * 16], 16 * sizeof(double)), 0) << i;
  }
  // Batch size and grid do not change a bit; float too.
  EXPECT_TRUE(bitwise_equal(gpu, on_gpu<double>(c, 0, c.size(), c.size(), 1)));
  EXPECT_TRUE(bitwise_equal(gpu, on_gpu<double>(c, 0, c.size(), 37)));
  const sweep_config f = shared_relaxation_sweep(true);
  const auto gpu_f = on_gpu<float>(f, 0, f.size(), 128);
  expect_equivalent(f, 0, gpu_f, on_cpu<float>(f, 0, f.size()));
  EXPECT_TRUE(bitwise_equal(gpu_f, on_gpu<float>(f, 0, f.size(), f.size())));
}

TEST(CudaRunner, QuadraturesBeyondTheLocalIntervalsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  // Tight action tolerances and a wide temperature range: quadratures that
  // bisect beyond the device's local intervals continue in the scratch.
  sweep_config c = paper_sweep(integrator::dopri5, false, 10, 6);
  c.settings.quadrature.rtol = 1e-14;
  c.settings.relaxation.T_min = 401.0;
  c.base[scaleham::param_g0] = 0.5;
  expect_equivalent(c, 0, on_gpu<double>(c, 0, c.size(), 32), on_cpu<double>(c, 0, c.size()));
}

/// Every GPU point within the numerics.md bounds of the CPU's, each under its
/// own settings (sweep_spec::settings_of: the sweep's, with its setting axes
/// applied); none is skipped, so the sweep must keep β away from rounding.
template <class Real>
void expect_every_point_equivalent(const sweep_config& c, const batch_results<Real>& gpu,
                                   const batch_results<Real>& cpu) {
  ASSERT_EQ(gpu.points.size(), cpu.points.size());
  const sweep_plan<double> plan(c);
  int failures = 0;
  for (std::size_t i = 0; i < gpu.points.size(); ++i) {
    const ::testing::AssertionResult same =
        scaleham::testing::equivalent(gpu.points[i], cpu.points[i], plan.spec().settings_of(i));
    if (!same && ++failures <= 5) ADD_FAILURE() << "point " << i << ": " << same.message();
  }
}

/// The kernels these tests compile at run time: `fast` (seconds, not the
/// default's minute or two each), into the kernel cache the environment names
/// or a test directory; the environment is restored afterwards. numerics.md
/// §12 holds at both levels; gpu-check's formula_cuda step runs both end to end.
struct fast_runtime_kernels {
  scaleham::testing::scoped_env level{"SCALEHAM_FORMULA_OPTIMIZATION", "fast"};
  scaleham::testing::scoped_env cache{
      "SCALEHAM_KERNEL_CACHE", std::getenv("SCALEHAM_KERNEL_CACHE") != nullptr
                                   ? std::string(std::getenv("SCALEHAM_KERNEL_CACHE"))
                                   : (std::filesystem::temp_directory_path() / "scaleham-test-kernels").string()};
};

/// β and F as formulas, compiled into the kernels at run time (NVRTC), over
/// two of their parameters with curves and fits: every point within the
/// numerics.md bounds of the CPU's interpreter (§2–§6, §12), in double and
/// float. β = λg + b2·g² stays away from 0 (g > 0, λ, b2 > 0), so no point is
/// rounding-decided.
sweep_config formula_sweep(bool float_tolerances) {
  sweep_config c = scaleham::parse_config_text(R"toml(
[model]
beta = "lambda*g + b2*g^2"
F = "A/g + f0 + B1*exp(-g/g1)"
interpret = true
[model.parameters]
lambda = 0.1
b2 = 1e-4
A = 50.0
f0 = 2.0
B1 = 0.5
g1 = 30.0
[flow]
g0 = 100.0
ell = -10.0
[temperature]
T0 = 400.0
T_max = 700.0
n_T = 16
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 20]
[[grid.axis]]
name = "A"
logspace = [10.0, 100.0, 15]
[output]
curves = true
)toml",
                                               "formula_sweep");
  if (float_tolerances) {
    c.settings.dopri5.rtol = 1e-5;
    c.settings.dopri5.atol = 1e-7;
    c.settings.quadrature.rtol = 1e-5;
    c.settings.quadrature.atol = 1e-7;
  }
  return c;
}

template <class Real>
void expect_formula_kernels_match_the_interpreter(bool float_tolerances) {
  const sweep_config c = formula_sweep(float_tolerances);
  ASSERT_TRUE(c.interprets_formulas());
  const auto gpu = on_gpu<Real>(c, 0, c.size(), 128);  // 300 points: 3 batches
  const auto cpu = on_cpu<Real>(c, 0, c.size());
  for (std::size_t i = 0; i < cpu.points.size(); ++i)
    EXPECT_TRUE(scaleham::succeeded(cpu.points[i].fit.code)) << "point " << i;
  expect_every_point_equivalent(c, gpu, cpu);
}

TEST(CudaRunner, FormulaKernelsCompiledAtRunTimeMatchTheCpuInterpreter) {
  SKIP_WITHOUT_GPU();
  const fast_runtime_kernels fast;
  expect_formula_kernels_match_the_interpreter<double>(false);
  expect_formula_kernels_match_the_interpreter<float>(true);
  // A second runner of the same formulas uses the kernels loaded by the first.
  const sweep_config c = formula_sweep(false);
  const sweep_plan<double> plan(c);
  const scaleham::cuda::runtime_kernels_report again = scaleham::cuda::prepare_runtime_kernels(plan.spec());
  EXPECT_FALSE(again.compiled);
  EXPECT_EQ(again.architecture, "sm_" + std::to_string(scaleham::cuda::probe().compute_capability));
}

/// Axes over settings on the GPU (kernels compiled at run time with
/// per-point settings): T_min and τ0 (the relaxation's), the flow's rtol and
/// g0 (so points share relaxations over the last two), against the CPU with
/// each point's own settings for the bounds.
template <class Real>
void expect_setting_axes_match_the_cpu(bool float_tolerances) {
  sweep_config c = paper_sweep(integrator::dopri5, float_tolerances, 8, 1);
  const double rtol = float_tolerances ? 1e-5 : 1e-10;
  c.axes = {{"lambda", scaleham::param_b1, axis_kind::linspace, 8, 0.05, 0.15, {}, "1"},
            {"T_min", scaleham::setting_T_min, axis_kind::values, 2, 0, 0, {410.0, 430.0}, "K"},
            {"tau0", scaleham::setting_tau0, axis_kind::values, 2, 0, 0, {1e-14, 1e-12}, "s"},
            {"flow_rtol", scaleham::setting_flow_rtol, axis_kind::values, 2, 0, 0, {rtol, 10 * rtol}, "1"},
            {"g0", scaleham::param_g0, axis_kind::values, 2, 0, 0, {80.0, 100.0}, "K"}};
  const sweep_plan<Real> plan(c);
  ASSERT_TRUE(plan.spec().sweeps_settings());
  ASSERT_TRUE(scaleham::shares_relaxation(plan.spec()));
  expect_every_point_equivalent(c, on_gpu<Real>(c, 0, c.size(), 50),  // 128 points: 3 batches
                                on_cpu<Real>(c, 0, c.size()));
}

TEST(CudaRunner, AxesOverSettingsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  const fast_runtime_kernels fast;
  expect_setting_axes_match_the_cpu<double>(false);
  expect_setting_axes_match_the_cpu<float>(true);
}

TEST(CudaRunner, DestroyedWithWorkInFlight) {
  SKIP_WITHOUT_GPU();
  const sweep_config c = paper_sweep(integrator::dopri5, false);
  const sweep_plan<double> plan(c);
  {
    scaleham::cuda::sweep_runner<double> runner(plan.spec(), 500, true);
    runner.start(0, 0, 500);
    runner.start(1, 500, 500);
  }  // the destructor waits for both slots before freeing their memory
  scaleham::cuda::sweep_runner<double> again(plan.spec(), 500, false);
  again.start(0, 0, 10);
  EXPECT_EQ(again.finish(0)[0].flow_status, on_cpu<double>(c, 0, 1).points[0].flow_status);
}

TEST(CudaProbe, KernelsLoadAndTheArchitecturesAreNamed) {
  SKIP_WITHOUT_GPU();
  const scaleham::cuda::probe_result gpu = scaleham::cuda::probe();
  EXPECT_GT(gpu.compute_capability, 0);
  EXPECT_FALSE(gpu.device_name.empty());
  EXPECT_FALSE(scaleham::cuda::compiled_architectures().empty());
  const scaleham::cuda::probe_result missing = scaleham::cuda::probe(gpu.device_count);
  EXPECT_FALSE(missing.usable);
  EXPECT_NE(missing.reason.find("does not exist"), std::string::npos) << missing.reason;
}

TEST(CudaProbe, BatchesFitInFortyPercentOfTheFreeMemory) {
  SKIP_WITHOUT_GPU();
  const sweep_config c = paper_sweep(integrator::dopri5, false);
  const sweep_plan<double> plan(c);
  const std::uint64_t points = scaleham::cuda::max_batch_points(plan.spec(), true, 0);
  const std::uint64_t per_point = sizeof(point_result<double>) + 16 * sizeof(double);
  EXPECT_GT(points, 1000u);
  EXPECT_LE(2 * points * per_point, scaleham::cuda::probe().free_memory * 2 / 5);
}

}  // namespace
