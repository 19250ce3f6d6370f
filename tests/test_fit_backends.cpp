// The batched fits of measured data on CPU and CUDA (the same fits, within
// docs/numerics.md §6), and what `scaleham fit` builds on them: percentiles,
// λ lists, summaries (host/fit_command.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "equivalence.hpp"
#include "fit_command.hpp"
#include "fit_test_data.hpp"

namespace {

using namespace fit_testing;

// --- CPU and CUDA: the same fits ------------------------------------------------------

TEST(FitBackends, CudaEqualsCpu) {
  const scaleham::cuda::probe_result gpu = scaleham::cuda::probe();
  if (!gpu.usable) GTEST_SKIP() << gpu.reason;
  std::vector<fit_dataset> sets;
  for (int s = 0; s < 64; ++s) {
    const truth t{std::log(1e-14) + 0.1 * s, 1000.0 + 50.0 * s, 100.0 + 2.0 * s};
    sets.push_back(vft_data(t, linspace(t.T_vf + 40, t.T_vf + 250, 6 + s % 30), s % 3 ? 0.05 : 0.0, s));
  }
  sets.push_back(vft_data({-20.0, 45000.0, 0.0}, linspace(1000, 1700, 12), 0.05, 3));  // at_bound
  sets.push_back(fit_dataset{"constant", linspace(250, 400, 6), std::vector<double>(6, 1.0), {}, {}});
  const std::uint64_t replicas = 200;
  const auto cpu = vft_batch(sets, replicas, 5);
  const scaleham::packed_datasets packed(sets);
  std::vector<vft_fit<double>> gpu_fits;
  for (const auto& f : scaleham::cuda::fit_datasets(packed.table(), scaleham::relaxation_model::vft, replicas, 5, {}))
    gpu_fits.push_back(as_vft(f));
  ASSERT_EQ(cpu.size(), gpu_fits.size());
  // The rules of docs/numerics.md §6 (tests/equivalence.hpp): the rows are the
  // same bits on both backends, so the fits differ by rounding inside the
  // fitter, bounded through the conditioning each fit reports (stderr / s).
  // rms and stderr of exact data are rounding noise: absolute bounds there.
  int mismatched = 0, ok = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const fit_dataset& d = sets[i / (replicas + 1)];
    double y_max = 0;
    for (double y : d.y) y_max = std::max(y_max, std::fabs(y));
    ok += cpu[i].code == status::ok;
    const auto verdict =
        scaleham::testing::equivalent(gpu_fits[i], cpu[i], y_max, *std::min_element(d.T.begin(), d.T.end()));
    if (!verdict && ++mismatched <= 5) ADD_FAILURE() << "fit " << i << ": " << verdict.message();
  }
  EXPECT_EQ(mismatched, 0) << "of " << cpu.size();
  EXPECT_GT(ok, int(cpu.size() / 2));
}

TEST(FitBackends, EveryLawWithWeightsCudaEqualsCpu) {
  // The four laws with σ weights and their bootstrap replicas, one launch
  // each. Parameters within docs/numerics.md §6.2 (the same LM stop on both
  // sides; c_k = stderr_k / s with s² = χ²/(n − k), the rows the same bits).
  const scaleham::cuda::probe_result gpu = scaleham::cuda::probe();
  if (!gpu.usable) GTEST_SKIP() << gpu.reason;
  std::vector<fit_dataset> sets;
  for (int s = 0; s < 32; ++s) {
    fit_dataset d = vft_data({std::log(1e-5) + 0.1 * s, 8000.0 + 100.0 * s, 600.0 + 5.0 * s},
                             linspace(900, 1600, 12 + s % 20), 0.03, s);
    for (std::size_t i = 0; i < d.T.size(); ++i) d.w.push_back(1.0 / (0.02 + 0.01 * (i % 4)));
    sets.push_back(d);
  }
  const scaleham::packed_datasets packed(sets);
  const std::uint64_t replicas = 50;
  const double eps = std::numeric_limits<double>::epsilon(), tol = 100 * eps;
  for (int law = 0; law < scaleham::relaxation_model_count; ++law) {
    const auto model = static_cast<scaleham::relaxation_model>(law);
    const auto cpu = scaleham::fit_datasets_cpu(sets, model, replicas, 3, {});
    const auto gpu_fits = scaleham::cuda::fit_datasets(packed.table(), model, replicas, 3, {});
    ASSERT_EQ(cpu.size(), gpu_fits.size());
    int mismatched = 0;
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      const auto &want = cpu[i], &got = gpu_fits[i];
      if (got.code != want.code) {
        if (++mismatched <= 5) ADD_FAILURE() << scaleham::model_name(model) << " fit " << i << ": status";
        continue;
      }
      if (!scaleham::succeeded(want.code)) continue;
      const fit_dataset& d = sets[i / (replicas + 1)];
      double y_max = 0;
      for (double y : d.y) y_max = std::max(y_max, std::fabs(y));
      const double w_max = *std::max_element(d.w.begin(), d.w.end());
      const int k = scaleham::model_parameter_count(model);
      const double n = want.n_points, s = std::sqrt(want.chi2 / (n - k)), chi = std::sqrt(want.chi2);
      // §6.2 in the weighted metric: residual roundings w·4ε(2y_max + |a|),
      // the cost's rounding 2‖r_w‖·√n·that.
      const double delta_y = w_max * 4 * eps * y_max;
      const double cost_rounding = 16 * eps * w_max * std::sqrt(n) * chi * (2 * y_max + std::fabs(want.p[0]));
      for (int j = 0; j < k; ++j) {
        const double c = s > 0 ? want.stderr_[j] / s : 0;
        const double bound = std::sqrt(n) * delta_y * c + 2 * tol * (std::fabs(want.p[j]) + tol) +
                             2 * c * std::sqrt(tol * want.chi2 + cost_rounding) + 4 * eps * std::fabs(want.p[j]);
        if (!(std::fabs(got.p[j] - want.p[j]) <= bound) && ++mismatched <= 5)
          ADD_FAILURE() << scaleham::model_name(model) << " fit " << i << " p" << j << ": " << got.p[j] << " vs "
                        << want.p[j] << ", bound " << bound;
      }
    }
    EXPECT_EQ(mismatched, 0) << scaleham::model_name(model);
  }
}

// --- what `scaleham fit` adds: percentiles, λ lists, summaries --------------------------

TEST(FitCommand, PercentileInterpolatesLikeNumpy) {
  EXPECT_DOUBLE_EQ(scaleham::percentile({1, 2, 3, 4, 5}, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(scaleham::percentile({5, 1, 4, 2, 3}, 0.025), 1.1);  // numpy: 1.1
  EXPECT_DOUBLE_EQ(scaleham::percentile({5, 1, 4, 2, 3}, 0.975), 4.9);
  EXPECT_DOUBLE_EQ(scaleham::percentile({7}, 0.975), 7.0);
  EXPECT_DOUBLE_EQ(scaleham::percentile({1, std::nan(""), 3}, 1.0), 3.0);
  EXPECT_TRUE(std::isnan(scaleham::percentile({}, 0.5)));
  EXPECT_EQ(scaleham::percentile({1, INFINITY, INFINITY}, 0.975), INFINITY);
}

TEST(FitCommand, LambdaSpecs) {
  EXPECT_EQ(scaleham::parse_lambda_spec("0.05,0.1, 0.2"), (std::vector<double>{0.05, 0.1, 0.2}));
  EXPECT_EQ(scaleham::parse_lambda_spec("0.1"), (std::vector<double>{0.1}));
  const std::vector<double> range = scaleham::parse_lambda_spec("0.05:0.2:4");
  ASSERT_EQ(range.size(), 4u);
  EXPECT_DOUBLE_EQ(range[1], 0.1);
  EXPECT_EQ(range.back(), 0.2);
  EXPECT_EQ(scaleham::parse_lambda_spec("0.3:0.3:1"), (std::vector<double>{0.3}));
  for (const char* bad : {"", "a", "0.1,,0.2", "0.1:0.2", "0.1:0.2:0", "0.1:0.2:x", "0.1:0.2:3:4", "-0.1", "0",
                          "0.1:0.2:1", "inf", "0.1;0.2"})
    EXPECT_THROW(scaleham::parse_lambda_spec(bad), std::invalid_argument) << bad;
}

TEST(FitCommand, SummaryTakesTheDataFitAndIntervalsAndBandOfTheReplicasThatSucceeded) {
  const truth t{std::log(1e-13), 500.0, 150.0};
  const std::vector<fit_dataset> sets = {vft_data(t, linspace(180, 300, 12), 0.02, 4)};
  auto fits = scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, 40, 1, {});
  fits[7].code = status::too_few_points;  // a failed replica is left out
  const auto results = scaleham::summarize_fits(scaleham::relaxation_model::vft, fits, sets, 40);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].fit.p[1], fits[0].p[1]);
  EXPECT_EQ(results[0].replicas_used, 39u);
  std::vector<double> B;
  for (std::size_t r = 1; r < fits.size(); ++r)
    if (r != 7) B.push_back(fits[r].p[1]);
  EXPECT_EQ(results[0].ci[1].lo, scaleham::percentile(B, 0.025));
  EXPECT_EQ(results[0].ci[1].hi, scaleham::percentile(B, 0.975));
  EXPECT_TRUE(std::isnan(results[0].ci[5].lo) == false);  // m
  // The band: at each of its temperatures the percentiles of the replicas' curves.
  ASSERT_EQ(results[0].band_T.size(), std::size_t(scaleham::band_points));
  EXPECT_EQ(results[0].band_T.front(), 180.0);
  EXPECT_EQ(results[0].band_T.back(), 300.0);
  for (int j : {0, 17, scaleham::band_points - 1}) {
    const double t = results[0].band_T[j];
    std::vector<double> curve;
    for (std::size_t r = 1; r < fits.size(); ++r)
      if (r != 7) curve.push_back(fits[r].p[0] + fits[r].p[1] / (t - fits[r].p[2]));
    EXPECT_NEAR(results[0].band[j].lo, scaleham::percentile(curve, 0.025), 1e-12 * std::fabs(curve[0]));
    EXPECT_NEAR(results[0].band[j].hi, scaleham::percentile(curve, 0.975), 1e-12 * std::fabs(curve[0]));
    const double fitted = fits[0].p[0] + fits[0].p[1] / (t - fits[0].p[2]);
    EXPECT_LE(results[0].band[j].lo, fitted);
    EXPECT_GE(results[0].band[j].hi, fitted);
  }
  EXPECT_THROW(scaleham::summarize_fits(scaleham::relaxation_model::vft, fits, {sets[0], sets[0]}, 40),
               std::logic_error);
}

}  // namespace
