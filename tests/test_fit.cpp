// The VFT fitter on measured-style data (include/scaleham/vft.hpp), its
// batched backends (host/fit_batch.hpp, kernels/cuda_backend.hpp), and what
// `scaleham fit` builds on them (host/fit_command.hpp): exact recovery,
// bootstrap coverage, covariance errors against the bootstrap spread, hard
// data that must end in a result or a status (never a crash or a NaN passed
// off as a result), and CPU = CUDA.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "equivalence.hpp"
#include "fit_batch.hpp"
#include "fit_command.hpp"
#include "scaleham/vft.hpp"
#include "vft_reference.hpp"

namespace {

using scaleham::fit_dataset;
using scaleham::status;
using scaleham::vft_fit;

struct truth {
  double a, B, T_vf;
};

fit_dataset vft_data(const truth& t, std::vector<double> T, double noise = 0, std::uint64_t seed = 0,
                     const char* name = "synthetic") {
  fit_dataset d{name, std::move(T), {}, {}, {}};
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double temperature : d.T) d.y.push_back(t.a + t.B / (temperature - t.T_vf) + noise * normal(generator));
  return d;
}

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = lo + (hi - lo) * i / (n - 1);
  return v;
}

/// A model_fit of the VFT law back in vft_fit's form (D and the correlation
/// from the parameters and covariance), for the checks written for fit_vft.
vft_fit<double> as_vft(const scaleham::model_fit<double>& f) {
  vft_fit<double> v;
  v.a = f.p[0], v.B = f.p[1], v.T_vf = f.p[2];
  v.a_stderr = f.stderr_[0], v.B_stderr = f.stderr_[1], v.T_vf_stderr = f.stderr_[2];
  v.cov_a_B = f.cov01, v.cov_a_T_vf = f.cov02, v.cov_B_T_vf = f.cov12;
  v.B_T_vf_correlation = f.correlation12;
  v.rms = f.rms, v.D = f.p[1] / f.p[2], v.Tg = f.Tg, v.m = f.m;
  v.iterations = f.iterations, v.n_points = f.n_points, v.code = f.code;
  return v;
}

/// VFT fits of every dataset and its replicas by the batched CPU backend.
std::vector<vft_fit<double>> vft_batch(const std::vector<fit_dataset>& sets, std::uint64_t replicas,
                                       std::uint64_t seed, const scaleham::vft_options<double>& options = {}) {
  scaleham::model_options<double> o;
  o.base = options;
  std::vector<vft_fit<double>> out;
  for (const auto& f : scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, replicas, seed, o))
    out.push_back(as_vft(f));
  return out;
}

vft_fit<double> fit(const fit_dataset& d, const scaleham::vft_options<double>& options = {}) {
  return scaleham::fit_vft(scaleham::array_rows<double>{d.T.data(), d.y.data(), int(d.T.size())}, options);
}

double relative(double value, double expected) { return std::fabs(value - expected) / std::fabs(expected); }

bool all_finite(const vft_fit<double>& f) {
  for (double v : {f.a, f.B, f.T_vf, f.a_stderr, f.B_stderr, f.T_vf_stderr, f.cov_a_B, f.cov_a_T_vf, f.cov_B_T_vf,
                   f.B_T_vf_correlation, f.rms, f.D, f.Tg, f.m})
    if (!std::isfinite(v)) return false;
  return true;
}

// --- exact data ----------------------------------------------------------------

TEST(FitExact, RecoversParametersToNearMachinePrecision) {
  // Strong and fragile liquids, relaxation times and viscosities, ordered and not.
  const std::vector<truth> truths = {
      {std::log(1e-14), 2000.0, 200.0},  // fragile: T_vf close to the data
      {std::log(1e-13), 500.0, 150.0},   // the paper's worked example (D·T0 ≈ 500 K)
      {std::log(1e-5), 8000.0, 700.0},   // viscosity in Pa·s of a silicate
      {-30.0, 20000.0, 50.0},            // strong: nearly Arrhenius, T_vf well inside the bound
  };
  for (const truth& t : truths) {
    std::vector<double> T = linspace(t.T_vf + 0.25 * t.B / 20.0 + 40.0, t.T_vf + t.B / 4.0 + 200.0, 25);
    std::reverse(T.begin() + 5, T.begin() + 15);  // unordered rows are fine
    const fit_dataset d = vft_data(t, T);
    const vft_fit<double> f = fit(d);
    SCOPED_TRACE("B = " + std::to_string(t.B) + ", T_vf = " + std::to_string(t.T_vf));
    EXPECT_EQ(f.code, status::ok);
    EXPECT_LT(relative(f.a, t.a), 1e-9) << f.a;
    EXPECT_LT(relative(f.B, t.B), 1e-9) << f.B;
    EXPECT_LT(relative(f.T_vf, t.T_vf), 1e-9) << f.T_vf;
    EXPECT_LT(f.rms, 1e-9);
    EXPECT_TRUE(all_finite(f));
    // Derived quantities follow from the parameters (docs/design.md §1.4).
    const double Tg = t.T_vf + t.B / (std::log(100.0) - t.a);
    EXPECT_LT(relative(f.Tg, Tg), 1e-9);
    EXPECT_LT(relative(f.D, t.B / t.T_vf), 1e-9);
    EXPECT_LT(relative(f.m, t.B * Tg / (std::log(10.0) * (Tg - t.T_vf) * (Tg - t.T_vf))), 1e-9);
    // The batched CPU backend gives the same fit for the data itself (r = 0).
    const auto batch = vft_batch({d}, 0, 1);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].B, f.B);
    EXPECT_EQ(batch[0].T_vf, f.T_vf);
  }
}

TEST(FitExact, TgLevelIsTheValueOfYAtTg) {
  const truth t{std::log(1e-5), 8000.0, 700.0};
  const fit_dataset d = vft_data(t, linspace(950, 1700, 30));
  scaleham::vft_options<double> options;
  options.tg_log_level = std::log(1e12);  // viscosity in Pa·s
  const vft_fit<double> f = fit(d, options);
  ASSERT_EQ(f.code, status::ok);
  EXPECT_NEAR(scaleham::vft_log_tau(f.a, f.B, f.T_vf, f.Tg), std::log(1e12), 1e-9);
}

// --- noisy data: bootstrap coverage and covariance errors ---------------------------

TEST(FitBootstrap, PercentileIntervalsCoverTheTruthAndMatchTheCovariance) {
  // 200 independent noisy datasets of one VFT law (60 points), 400
  // bootstrap replicas each: 80 400 fits in one batched call.
  //  - The 95% percentile intervals of B and T_vf cover the true values in
  //    90–98% of the datasets (binomial sd at 95% and 200 trials: 1.5%).
  //  - The covariance standard error agrees with the bootstrap spread (sd of
  //    the replicas) within a factor [0.7, 1.4] for the central 90% of the
  //    datasets, [0.5, 2] for all, with a median ratio in [0.85, 1.15]. (The
  //    ratio scatters from dataset to dataset: both are estimates from 60
  //    points, and the pairs bootstrap feels the leverage of the coldest
  //    points; measured 5–95% range ≈ 0.78–1.16.)
  //  - The mean standard error matches the actual spread of the 200
  //    estimates within [0.85, 1.15].
  const truth t{std::log(1e-14), 2000.0, 200.0};
  const int n_sets = 200;
  const std::uint64_t replicas = 400;
  const double noise = 0.05;  // in ln τ (≈ 0.02 decades)
  std::vector<fit_dataset> sets;
  for (int s = 0; s < n_sets; ++s) sets.push_back(vft_data(t, linspace(250, 400, 60), noise, 1000 + s));

  const auto start = std::chrono::steady_clock::now();
  const std::vector<scaleham::model_fit<double>> fits =
      scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, replicas, 7, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto results = scaleham::summarize_fits(scaleham::relaxation_model::vft, fits, sets.size(), replicas);
  ASSERT_EQ(results.size(), std::size_t(n_sets));

  int cover_B = 0, cover_T = 0;
  std::vector<double> ratio_B, ratio_T, B_hat, T_hat;
  double se_B = 0, se_T = 0;
  for (int s = 0; s < n_sets; ++s) {
    const auto& r = results[s];
    ASSERT_EQ(r.fit.code, status::ok) << s;
    EXPECT_TRUE(all_finite(as_vft(r.fit)));
    EXPECT_GE(r.replicas_used, replicas * 99 / 100) << "replicas must fit, dataset " << s;
    cover_B += r.ci[1].lo <= t.B && t.B <= r.ci[1].hi;
    cover_T += r.ci[2].lo <= t.T_vf && t.T_vf <= r.ci[2].hi;
    // The bootstrap spread: std of the replicas that succeeded.
    std::vector<double> Bs, Ts;
    for (std::uint64_t k = 1; k <= replicas; ++k) {
      const vft_fit<double> f = as_vft(fits[s * (replicas + 1) + k]);
      if (!scaleham::succeeded(f.code)) continue;
      Bs.push_back(f.B);
      Ts.push_back(f.T_vf);
    }
    const auto sd = [](const std::vector<double>& v) {
      const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
      double sum = 0;
      for (double x : v) sum += (x - mean) * (x - mean);
      return std::sqrt(sum / double(v.size() - 1));
    };
    ratio_B.push_back(r.fit.stderr_[1] / sd(Bs));
    ratio_T.push_back(r.fit.stderr_[2] / sd(Ts));
    B_hat.push_back(r.fit.p[1]);
    T_hat.push_back(r.fit.p[2]);
    se_B += r.fit.stderr_[1] / n_sets;
    se_T += r.fit.stderr_[2] / n_sets;
  }
  const auto sd_of = [](const std::vector<double>& v) {
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    double sum = 0;
    for (double x : v) sum += (x - mean) * (x - mean);
    return std::sqrt(sum / double(v.size() - 1));
  };
  std::sort(ratio_B.begin(), ratio_B.end());
  std::sort(ratio_T.begin(), ratio_T.end());
  const auto quantile = [](const std::vector<double>& sorted, int percent) {
    return sorted[std::size_t(percent) * (sorted.size() - 1) / 100];
  };
  std::printf(
      "[ bootstrap ] %d datasets x %llu replicas in %.2f s: coverage B %.1f%%, T_vf %.1f%%; "
      "stderr / bootstrap sd: B median %.3f, 5-95%% %.3f..%.3f, all %.3f..%.3f; "
      "T_vf median %.3f, 5-95%% %.3f..%.3f, all %.3f..%.3f; "
      "mean stderr / sd of estimates: B %.3f, T_vf %.3f\n",
      n_sets, static_cast<unsigned long long>(replicas), seconds, 100.0 * cover_B / n_sets,
      100.0 * cover_T / n_sets, quantile(ratio_B, 50), quantile(ratio_B, 5), quantile(ratio_B, 95),
      ratio_B.front(), ratio_B.back(), quantile(ratio_T, 50), quantile(ratio_T, 5), quantile(ratio_T, 95),
      ratio_T.front(), ratio_T.back(), se_B / sd_of(B_hat), se_T / sd_of(T_hat));
  EXPECT_GE(cover_B, n_sets * 90 / 100);
  EXPECT_LE(cover_B, n_sets * 98 / 100);
  EXPECT_GE(cover_T, n_sets * 90 / 100);
  EXPECT_LE(cover_T, n_sets * 98 / 100);
  for (const std::vector<double>* ratio : {&ratio_B, &ratio_T}) {
    EXPECT_NEAR(quantile(*ratio, 50), 1.0, 0.15);
    EXPECT_GE(quantile(*ratio, 5), 0.7);
    EXPECT_LE(quantile(*ratio, 95), 1.4);
    EXPECT_GE(ratio->front(), 0.5);
    EXPECT_LE(ratio->back(), 2.0);
  }
  EXPECT_NEAR(se_B / sd_of(B_hat), 1.0, 0.15);
  EXPECT_NEAR(se_T / sd_of(T_hat), 1.0, 0.15);
}

TEST(FitBootstrap, ReplicasAreReproducibleAndDifferBySeed) {
  const truth t{std::log(1e-14), 2000.0, 200.0};
  const std::vector<fit_dataset> sets = {vft_data(t, linspace(250, 400, 20), 0.05, 3)};
  const auto a = vft_batch(sets, 50, 11);
  const auto b = vft_batch(sets, 50, 11);
  const auto c = vft_batch(sets, 50, 12);
  ASSERT_EQ(a.size(), 51u);
  int differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].B, b[i].B);
    differ += a[i].B != c[i].B;
  }
  EXPECT_EQ(a[0].B, c[0].B) << "replica 0 is the data itself";
  EXPECT_GE(differ, 45);
}

// --- hard data: a converged fit or a status, never a crash or a NaN passed off ----

void expect_result_or_status(const vft_fit<double>& f, const std::vector<status>& allowed, const char* what) {
  SCOPED_TRACE(what);
  EXPECT_NE(std::find(allowed.begin(), allowed.end(), f.code), allowed.end())
      << "status " << scaleham::status_name(f.code);
  if (f.code == status::ok) {
    EXPECT_TRUE(all_finite(f)) << "ok but not finite";
  }
  if (scaleham::succeeded(f.code)) {
    for (double v : {f.a, f.B, f.T_vf, f.a_stderr, f.B_stderr, f.T_vf_stderr, f.rms}) EXPECT_TRUE(std::isfinite(v));
    EXPECT_GT(f.B, 0);
    EXPECT_GE(f.T_vf, 0);
    EXPECT_GE(f.iterations, 0);
  }
}

TEST(FitHardData, FewPoints) {
  const truth t{std::log(1e-14), 2000.0, 200.0};
  for (int n : {4, 5}) {
    const vft_fit<double> exact = fit(vft_data(t, linspace(250, 400, n)));
    expect_result_or_status(exact, {status::ok}, "few exact points");
    EXPECT_LT(relative(exact.B, t.B), 1e-7) << n;
    EXPECT_EQ(exact.n_points, n);
    for (std::uint64_t seed = 0; seed < 50; ++seed)
      expect_result_or_status(fit(vft_data(t, linspace(250, 400, n), 0.1, seed)),
                              {status::ok, status::at_bound, status::no_vft_minimum, status::not_converged},
                              "few noisy points");
  }
  const fit_dataset three = vft_data(t, linspace(250, 400, 3));
  expect_result_or_status(fit(three), {status::too_few_points}, "three points");
}

TEST(FitHardData, NearlyArrheniusEndsOnTheLowerBound) {
  // ln τ = a + E/T: the best VFT curve has T_vf = 0 (unbounded it would go below).
  const std::vector<double> T = linspace(1000, 1700, 25);
  fit_dataset d = vft_data({-20.0, 45000.0, 0.0}, T);
  for (std::size_t i = 0; i < T.size(); ++i) d.y[i] -= 1e-3 * std::pow((T[i] - 1350) / 350, 2);  // concave: T_vf < 0
  const vft_fit<double> f = fit(d);
  expect_result_or_status(f, {status::at_bound}, "Arrhenius");
  EXPECT_EQ(f.T_vf, 0.0);
  EXPECT_GT(f.T_vf_stderr, 0.0);  // the curvature along T_vf too (every parameter free)
  EXPECT_TRUE(std::isinf(f.D));
  // Within the bound it is the Arrhenius least-squares fit.
  EXPECT_NEAR(f.B, 45000.0, 45000.0 * 1e-2);
  // Exactly Arrhenius data too.
  expect_result_or_status(fit(vft_data({-20.0, 45000.0, 0.0}, T)), {status::ok, status::at_bound}, "exact Arrhenius");
}

TEST(FitHardData, ErrorsOnTheLowerBoundAreTheFullCovariance) {
  // At T_vf = 0 the errors are s²·(JᵀJ)⁻¹ with all three columns (1, 1/T,
  // B/T²) free, s² = Σr²/(n − 3): written out here with the normal equations
  // and Cramer's rule, independently of the fitter's QR.
  const std::vector<double> T = linspace(1000, 1700, 25);
  fit_dataset d = vft_data({-20.0, 45000.0, 0.0}, T, 0.002, 9);
  for (std::size_t i = 0; i < T.size(); ++i) d.y[i] -= 2e-2 * std::pow((T[i] - 1350) / 350, 2);  // T_vf < 0
  const vft_fit<double> f = fit(d);
  ASSERT_EQ(f.code, status::at_bound);
  ASSERT_EQ(f.T_vf, 0.0);
  double N[3][3] = {}, sse = 0;
  for (std::size_t i = 0; i < T.size(); ++i) {
    const double j[3] = {1.0, 1.0 / T[i], f.B / (T[i] * T[i])};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) N[r][c] += j[r] * j[c];
    const double residual = f.a + f.B / T[i] - d.y[i];
    sse += residual * residual;
  }
  const auto det3 = [](const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  };
  const double det = det3(N), s2 = sse / (T.size() - 3);
  const auto inverse_diagonal = [&](int k) {  // cofactor of (k, k) over det
    const int a = (k + 1) % 3, b = (k + 2) % 3;
    return (N[a][a] * N[b][b] - N[a][b] * N[b][a]) / det;
  };
  EXPECT_LT(relative(f.a_stderr, std::sqrt(s2 * inverse_diagonal(0))), 1e-6);
  EXPECT_LT(relative(f.B_stderr, std::sqrt(s2 * inverse_diagonal(1))), 1e-6);
  EXPECT_LT(relative(f.T_vf_stderr, std::sqrt(s2 * inverse_diagonal(2))), 1e-6);
  EXPECT_LT(f.B_T_vf_correlation, -0.9);  // B and T_vf trade off along the bound
}

TEST(FitHardData, ExactlyArrheniusDataAreAlwaysOnTheLowerBound) {
  // Exactly Arrhenius data end LM at T_vf = 0 or a few ulp above it, by
  // rounding. The rule (docs/numerics.md): T_vf within 1e-6 of min T of zero
  // is the lower bound, as within 1e-6 of min T is the upper one. So every
  // such fit is at_bound with T_vf = 0 and the Arrhenius slope, never `ok`
  // with T_vf = 1e-14 K and D = 1e16.
  int fits = 0;
  for (double E : {5000.0, 45000.0, 120000.0})
    for (double a : {-40.0, -20.0, -5.0})
      for (int n : {6, 13, 25}) {
        const std::vector<double> T = linspace(700 + 10 * n, 1700, n);
        const vft_fit<double> f = fit(vft_data({a, E, 0.0}, T));
        ++fits;
        EXPECT_EQ(f.code, status::at_bound) << E << " " << a << " " << n << ": T_vf " << f.T_vf;
        EXPECT_EQ(f.T_vf, 0.0) << E << " " << a << " " << n;
        EXPECT_TRUE(std::isfinite(f.T_vf_stderr));
        EXPECT_NEAR(f.B, E, E * 1e-9) << E << " " << a << " " << n;
        EXPECT_NEAR(f.a, a, 1e-8 * std::fabs(a) + 1e-9);
      }
  EXPECT_EQ(fits, 27);
}

TEST(FitHardData, TVfCloseToTheLowestTemperature) {
  for (double gap : {10.0, 1.0, 0.1}) {
    const truth t{std::log(1e-12), 300.0, 250.0 - gap};
    const vft_fit<double> exact = fit(vft_data(t, linspace(250, 320, 20)));
    expect_result_or_status(exact, {status::ok, status::at_bound}, "exact, T_vf near min T");
    if (exact.code == status::ok) {
      EXPECT_LT(relative(exact.T_vf, t.T_vf), 1e-6) << gap;
    }
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      const vft_fit<double> noisy = fit(vft_data(t, linspace(250, 320, 20), 0.05, seed));
      expect_result_or_status(noisy, {status::ok, status::at_bound, status::not_converged}, "noisy, T_vf near min T");
      if (scaleham::succeeded(noisy.code)) {
        EXPECT_LT(noisy.T_vf, 250.0);
      }
    }
  }
}

TEST(FitHardData, NoisyUnorderedRows) {
  const truth t{std::log(1e-14), 2000.0, 200.0};
  std::vector<double> T = linspace(250, 400, 40);
  std::shuffle(T.begin(), T.end(), std::mt19937_64(5));
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const fit_dataset d = vft_data(t, T, 0.2, seed);
    const vft_fit<double> f = fit(d);
    expect_result_or_status(f, {status::ok}, "noisy unordered");
    // Row order does not matter.
    std::vector<std::size_t> order(T.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto i, auto j) { return d.T[i] < d.T[j]; });
    fit_dataset sorted{"sorted", {}, {}, {}, {}};
    for (std::size_t i : order) sorted.T.push_back(d.T[i]), sorted.y.push_back(d.y[i]);
    const vft_fit<double> g = fit(sorted);
    EXPECT_LT(relative(g.B, f.B), 1e-6);
    EXPECT_LT(relative(g.T_vf, f.T_vf), 1e-6);
  }
}

TEST(FitHardData, ConstantAndRisingY) {
  fit_dataset constant{"constant", linspace(250, 400, 10), std::vector<double>(10, 3.0), {}, {}};
  expect_result_or_status(fit(constant), {status::no_vft_minimum, status::at_bound}, "constant y");
  fit_dataset rising = vft_data({0.0, -500.0, 100.0}, linspace(250, 400, 10));  // speeds up on cooling
  expect_result_or_status(fit(rising), {status::no_vft_minimum}, "rising y");
}

TEST(FitHardData, DuplicateTemperatures) {
  const truth t{std::log(1e-14), 2000.0, 200.0};
  std::vector<double> T;
  for (double x : linspace(250, 400, 8)) T.insert(T.end(), {x, x, x});
  expect_result_or_status(fit(vft_data(t, T)), {status::ok}, "duplicates, exact");
  for (std::uint64_t seed = 0; seed < 20; ++seed)
    expect_result_or_status(fit(vft_data(t, T, 0.05, seed)), {status::ok, status::at_bound}, "duplicates, noisy");
}

TEST(FitHardData, ThreeDistinctTemperatures) {
  const truth t{std::log(1e-14), 2000.0, 200.0};
  const std::vector<double> T = {250, 300, 400, 250, 300, 400, 300};
  for (double noise : {0.0, 0.05})
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
      const vft_fit<double> f = fit(vft_data(t, T, noise, seed));
      // Three parameters through three distinct points: the fitter may
      // interpolate them (ok, at_bound) or say the data cannot fix three.
      expect_result_or_status(f, {status::ok, status::at_bound, status::too_few_points, status::no_vft_minimum},
                              "three distinct temperatures");
    }
}

TEST(FitHardData, BadRowsAreNonFinite) {
  fit_dataset d = vft_data({-30, 2000, 200}, linspace(250, 400, 10));
  d.y[3] = std::nan("");
  expect_result_or_status(fit(d), {status::non_finite}, "NaN row");
  d = vft_data({-30, 2000, 200}, linspace(250, 400, 10));
  d.T[0] = 0;
  expect_result_or_status(fit(d), {status::non_finite}, "T = 0");
}

TEST(FitHardData, BootstrapReplicasOfHardDataAreResultsOrStatuses) {
  // Resamples of few points repeat rows: fewer distinct temperatures, often.
  const truth t{std::log(1e-14), 2000.0, 200.0};
  const std::vector<fit_dataset> sets = {
      vft_data(t, linspace(250, 400, 4), 0.05, 1), vft_data(t, linspace(250, 400, 5), 0.05, 2),
      vft_data({-20.0, 45000.0, 0.0}, linspace(1000, 1700, 12), 0.05, 3),
      fit_dataset{"constant", linspace(250, 400, 6), std::vector<double>(6, 1.0), {}, {}}};
  const auto model_fits = scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, 300, 1, {});
  std::vector<vft_fit<double>> fits;
  for (const auto& f : model_fits) fits.push_back(as_vft(f));
  for (const auto& f : fits)
    expect_result_or_status(f,
                            {status::ok, status::at_bound, status::too_few_points, status::no_vft_minimum,
                             status::not_converged},
                            "bootstrap replica");
  const auto results = scaleham::summarize_fits(scaleham::relaxation_model::vft, model_fits, sets.size(), 300);
  for (std::size_t d = 0; d < results.size(); ++d)
    for (const auto& ci : results[d].ci)
      if (!std::isnan(ci.lo)) {
        EXPECT_LE(ci.lo, ci.hi) << sets[d].name;
      }
  EXPECT_EQ(results[3].replicas_used, 0u);
  EXPECT_TRUE(std::isnan(results[3].ci[1].lo));
}

// --- Where the fitter stops --------------------------------------------------------

// docs/numerics.md §6.2 bounds how far a fit stops from the minimum: within
// sqrt(ftol·cost + 2δcost) in the metric of J (δcost the rounding of the cost),
// c_k times that in parameter k (c_k = stderr_k / s), plus the xtol step. The
// bootstrap replicas of strongly correlated datasets (|ρ(B, T_vf)| > 0.99) are
// where a stop judged by the damped step was further away (one replica in
// 13266 on a GPU, 10 % beyond the bound). Each replica's fit with the default
// tolerances must lie within that bound of the fit with both at 0 (which
// stops only when no step lowers the cost, itself within sqrt(2δcost)).
TEST(VftStopping, DefaultTolerancesStopWithinTheDerivedDistanceOfTheMinimum) {
  std::vector<fit_dataset> sets;
  for (int s = 0; s < 64; ++s) {
    const truth t{std::log(1e-14) + 0.1 * s, 1000.0 + 50.0 * s, 100.0 + 2.0 * s};
    sets.push_back(vft_data(t, linspace(t.T_vf + 40, t.T_vf + 250, 6 + s % 30), s % 3 ? 0.05 : 0.0, s));
  }
  const scaleham::packed_datasets packed(sets);
  const scaleham::model_options<double> loose;  // the defaults: xtol = ftol = 100 ε
  scaleham::model_options<double> tight;
  tight.base.xtol = tight.base.ftol = 0.0;  // run until no step lowers the cost
  tight.base.max_iterations = 10000;
  const std::uint64_t replicas = 40;  // ~2.5k fits each way: seconds, also under ASan
  int checked = 0, beyond = 0;
  for (std::uint64_t job = 0; job < sets.size() * (replicas + 1); ++job) {
    const vft_fit<double> f =
        as_vft(scaleham::model_fit_job(packed.table(), scaleham::relaxation_model::vft, replicas, 5, job, loose));
    const vft_fit<double> m =
        as_vft(scaleham::model_fit_job(packed.table(), scaleham::relaxation_model::vft, replicas, 5, job, tight));
    if (f.code != status::ok || m.code != status::ok) continue;
    const double n = f.n_points, s = m.rms * std::sqrt(n / (n - 3));
    if (!(s > 0)) continue;
    ++checked;
    // y_max: the largest |ln τ| of the law over the rows, from its two ends.
    const std::uint64_t d = job / (replicas + 1);
    const auto [T_lo, T_hi] = std::minmax_element(sets[d].T.begin(), sets[d].T.end());
    const double y_max = std::max(std::fabs(m.a + m.B / (*T_lo - m.T_vf)), std::fabs(m.a + m.B / (*T_hi - m.T_vf)));
    const double eps = std::numeric_limits<double>::epsilon();
    const double two_rounding = 16 * eps * (2 * y_max + std::fabs(m.a));
    const double stop = std::sqrt(n * m.rms * (loose.base.ftol * m.rms + two_rounding)) +
                        std::sqrt(n * m.rms * two_rounding);  // the default stop, and the reference's own
    const auto within = [&](double got, double minimum, double stderr_) {
      const double c = stderr_ / s, xtol = loose.base.xtol;
      const double bound = c * stop + xtol * (std::fabs(minimum) + xtol) + 4 * eps * std::fabs(minimum);
      return std::fabs(got - minimum) <= bound;
    };
    const bool ok = within(f.a, m.a, m.a_stderr) && within(f.B, m.B, m.B_stderr) &&
                    within(f.T_vf, m.T_vf, m.T_vf_stderr);
    if (!ok && ++beyond <= 3)
      ADD_FAILURE() << "job " << job << ": stopped at B " << f.B << " T_vf " << f.T_vf << ", minimum B " << m.B
                    << " T_vf " << m.T_vf << " (stderr " << m.B_stderr << ", " << m.T_vf_stderr << ")";
  }
  EXPECT_EQ(beyond, 0) << "of " << checked;
  EXPECT_GT(checked, 2000);
}

// --- The fast fitter against the one before issue 10 ------------------------------

// The centred normal sums, the coarse-to-fine scan and the QR fallback
// (vft_systems.hpp, vft_start.hpp) must give the fits of the pre-issue-10
// fitter (tests/vft_reference.hpp: full scan, Givens QR at every step) within
// docs/numerics.md §6 for measured rows (tests/equivalence.hpp: the same rules
// as CPU against GPU), with the same status. Data: the VftStopping family
// (6–35 rows, exact and noisy, |ρ(B, T_vf)| up to > 0.999) and its bootstrap
// replicas, and every kind of hard data the fitter has a branch for.
struct reference_case {
  fit_dataset data;
  std::uint64_t replicas;
};

std::vector<reference_case> reference_cases() {
  std::vector<reference_case> cases;
  for (int s = 0; s < 64; ++s) {
    const truth t{std::log(1e-14) + 0.1 * s, 1000.0 + 50.0 * s, 100.0 + 2.0 * s};
    cases.push_back({vft_data(t, linspace(t.T_vf + 40, t.T_vf + 250, 6 + s % 30), s % 3 ? 0.05 : 0.0, s), 20});
  }
  const truth fragile{std::log(1e-14), 2000.0, 200.0};
  for (int n : {4, 5, 7})
    for (std::uint64_t seed = 0; seed < 10; ++seed)
      cases.push_back({vft_data(fragile, linspace(250, 400, n), 0.1, seed), 5});
  // Nearly and exactly Arrhenius: the T_vf = 0 bound.
  fit_dataset concave = vft_data({-20.0, 45000.0, 0.0}, linspace(1000, 1700, 25));
  for (std::size_t i = 0; i < concave.T.size(); ++i) concave.y[i] -= 1e-3 * std::pow((concave.T[i] - 1350) / 350, 2);
  cases.push_back({concave, 10});
  cases.push_back({vft_data({-20.0, 45000.0, 0.0}, linspace(1000, 1700, 25)), 10});
  cases.push_back({vft_data({-20.0, 45000.0, 0.0}, linspace(1000, 1700, 12), 0.05, 3), 30});
  // T_vf against min T: the upper bound.
  for (double gap : {10.0, 1.0, 0.1, 1e-3})
    for (std::uint64_t seed = 0; seed < 5; ++seed)
      cases.push_back({vft_data({std::log(1e-12), 300.0, 250.0 - gap}, linspace(250, 320, 20), seed ? 0.05 : 0.0,
                                seed),
                       5});
  // Narrow temperature ranges far above T_vf: 1 − ρ² from 3e-4 down to 1e-12,
  // across the boundary between the centred path and the QR fallback (ε^(1/3)).
  for (double width : {100.0, 10.0, 1.0, 0.1, 0.01})
    for (double noise : {0.0, 1e-6})
      cases.push_back({vft_data({-25.0, 3000.0, 300.0}, linspace(1000, 1000 + width, 16), noise, 9), 5});
  // Duplicates, three distinct temperatures, constant and falling y, bad rows.
  std::vector<double> triples;
  for (double x : linspace(250, 400, 8)) triples.insert(triples.end(), {x, x, x});
  cases.push_back({vft_data(fragile, triples, 0.05, 4), 10});
  cases.push_back({vft_data(fragile, {250, 300, 400, 250, 300, 400, 300}, 0.05, 5), 10});
  cases.push_back({fit_dataset{"constant", linspace(250, 400, 10), std::vector<double>(10, 3.0), {}, {}}, 5});
  cases.push_back({vft_data({0.0, -500.0, 100.0}, linspace(250, 400, 10)), 0});
  fit_dataset nan_row = vft_data(fragile, linspace(250, 400, 10));
  nan_row.y[3] = std::nan("");
  cases.push_back({nan_row, 3});
  cases.push_back({vft_data({-30.0, 2000.0, 200.0}, linspace(250, 400, 10), 0.0, 0), 0});
  return cases;
}

TEST(VftReference, FastFitterMatchesTheOldFitterWithinTheToleranceTable) {
  // Where the two differ by more than the table allows, the old fitter must
  // be the one that stopped too early: then the new fit must be within the
  // table of the minimum itself (the old fitter run with xtol = ftol = 0, as
  // VftStopping defines it) and the old one must not.
  scaleham::vft_options<double> tight;
  tight.xtol = tight.ftol = 0.0;
  tight.max_iterations = 10000;
  int compared = 0, succeeded = 0, mismatched = 0, old_stopped_early = 0, relabelled = 0;
  for (const reference_case& c : reference_cases()) {
    const scaleham::array_rows<double> rows{c.data.T.data(), c.data.y.data(), int(c.data.T.size())};
    double y_max = 0;
    for (double y : c.data.y) y_max = std::max(y_max, std::fabs(y));
    const double T_min = *std::min_element(c.data.T.begin(), c.data.T.end());
    for (std::uint64_t r = 0; r <= c.replicas; ++r) {
      const scaleham::bootstrap_rows<scaleham::array_rows<double>> replica{rows, 17, r};
      const auto old_fit = [&](const scaleham::vft_options<double>& o) {
        return r == 0 ? scaleham::reference::fit_vft(rows, o) : scaleham::reference::fit_vft(replica, o);
      };
      const vft_fit<double> got = r == 0 ? scaleham::fit_vft(rows) : scaleham::fit_vft(replica);
      vft_fit<double> want = old_fit({});
      // The old fitter called only T_vf == 0 the lower bound; the rule now
      // (docs/numerics.md) takes T_vf <= 1e-6·min T as on it: its `ok` fit
      // there becomes the Arrhenius fit at T_vf = 0, what the new one gives.
      if (want.code == status::ok && want.T_vf <= 1e-6 * T_min && got.code == status::at_bound && got.T_vf == 0) {
        ++relabelled;
        want = got;
      }
      // On the lower bound the old fitter gave conditional errors (T_vf held
      // at 0: T_vf_stderr 0, correlation 0); now they are those of all three
      // parameters free there (docs/numerics.md §6.6), checked against their
      // closed form in FitHardData.ErrorsOnTheLowerBoundAreTheFullCovariance.
      if (want.code == status::at_bound && want.T_vf == 0 && got.code == status::at_bound && got.T_vf == 0) {
        want.a_stderr = got.a_stderr, want.B_stderr = got.B_stderr, want.T_vf_stderr = got.T_vf_stderr;
        want.cov_a_B = got.cov_a_B, want.cov_a_T_vf = got.cov_a_T_vf, want.cov_B_T_vf = got.cov_B_T_vf;
        want.B_T_vf_correlation = got.B_T_vf_correlation;
      }
      ++compared;
      succeeded += scaleham::succeeded(want.code);
      // not_converged fits stop wherever the budget ran out: only the status is compared.
      const bool stopped = want.code == status::not_converged && got.code == want.code;
      auto verdict = stopped ? ::testing::AssertionSuccess() : scaleham::testing::equivalent(got, want, y_max, T_min);
      if (!verdict && got.code == want.code && got.rms == 0 && want.rms == 0 &&
          relative(got.B, want.B) < 1e-9 && relative(got.T_vf, want.T_vf) < 1e-9) {
        // Every residual rounds to 0 at both ends: both are minima (the cost
        // is 0 on a set of points), and rms = stderr = 0 leaves the table no
        // conditioning to scale with. Seen on 16 exact rows, |ρ| = 0.99994:
        // B = 3000 + 4e-11 (new), 3000 − 3e-10 (old), each of cost 0.
        verdict = ::testing::AssertionSuccess();
      }
      if (!verdict && got.code == want.code && want.code == status::ok) {
        const vft_fit<double> minimum = old_fit(tight);
        if (minimum.code == status::ok && scaleham::testing::equivalent(got, minimum, y_max, T_min) &&
            !scaleham::testing::equivalent(want, minimum, y_max, T_min)) {
          verdict = ::testing::AssertionSuccess();
          ++old_stopped_early;
        }
      }
      if (!verdict && ++mismatched <= 5)
        ADD_FAILURE() << c.data.name << " (" << c.data.T.size() << " rows, T " << T_min << "..), replica " << r
                      << ": " << verdict.message();
    }
  }
  EXPECT_EQ(mismatched, 0) << "of " << compared;
  EXPECT_GT(succeeded, compared / 2);
  EXPECT_LE(old_stopped_early, compared / 100) << "of " << compared;
  EXPECT_LE(relabelled, compared / 50) << "of " << compared;  // exactly Arrhenius cases only
  std::printf("[ reference ] %d fits, %d successful, %d where the old fitter stopped beyond the bound, %d "
              "relabelled at_bound (T_vf <= 1e-6 min T)\n",
              compared, succeeded, old_stopped_early, relabelled);
}

TEST(VftReference, QrFallbackCoversDataTooCorrelatedForTheCentredSums) {
  // 16 rows over 1000..1001 K with T_vf = 300 K: 1 − ρ² ≈ 3e-8, below the
  // centred path's ε^(1/3) = 6e-6 (there it stalled: 200 iterations where
  // the QR needs 4). The fit must come from the QR, as before issue 10.
  const fit_dataset d = vft_data({-25.0, 3000.0, 300.0}, linspace(1000, 1001, 16));
  const scaleham::array_rows<double> rows{d.T.data(), d.y.data(), 16};
  const auto system = scaleham::detail::centred_system<double>::build(rows, -25.0, 3000.0, 300.0);
  EXPECT_LT(system.decorrelation(), 1e-7);
  EXPECT_FALSE(system.conditioned());
  for (std::uint64_t r = 0; r < 20; ++r) {
    const scaleham::bootstrap_rows<scaleham::array_rows<double>> replica{rows, 17, r};
    const vft_fit<double> f = scaleham::fit_vft(replica), old = scaleham::reference::fit_vft(replica);
    ASSERT_EQ(f.code, old.code) << r;
    EXPECT_EQ(f.iterations, old.iterations) << r;
    if (scaleham::succeeded(f.code)) {
      EXPECT_TRUE(scaleham::testing::equivalent(f, old, 30.0, 1000.0)) << r;
      EXPECT_GT(std::fabs(f.B_T_vf_correlation), 1 - 1e-7) << r;
    }
  }
}

TEST(VftReference, HugeScalesAreFittedWhereTheOldSingularityTestFailed) {
  // y ≈ 1e72 over T = 1..2 K: an exact law, inside vft_data_limit. The old
  // fitter's damped solve compared R's diagonal across columns of different
  // units (√n against B·x²·√n) and called it singular (too_few_points); the
  // centred path is scale-free and recovers the law.
  const fit_dataset d = vft_data({1e70, 1e72, 0.5}, linspace(1, 2, 10));
  const scaleham::array_rows<double> rows{d.T.data(), d.y.data(), 10};
  EXPECT_EQ(scaleham::reference::fit_vft(rows).code, status::too_few_points);
  const vft_fit<double> f = fit(d);
  ASSERT_EQ(f.code, status::ok);
  EXPECT_LT(relative(f.B, 1e72), 1e-12);
  EXPECT_LT(relative(f.a, 1e70), 1e-12);
  EXPECT_LT(relative(f.T_vf, 0.5), 1e-12);
}

TEST(VftReference, CoarseToFineScanFindsTheFullScansGridPoint) {
  // The scan tries 19 of 48 points; on every dataset above (and its
  // replicas) it must pick the point a scan of all 48 picks, or one of
  // equal cost to rounding.
  int checked = 0;
  for (const reference_case& c : reference_cases()) {
    const scaleham::array_rows<double> rows{c.data.T.data(), c.data.y.data(), int(c.data.T.size())};
    bool finite = true;
    for (std::size_t i = 0; i < c.data.T.size(); ++i) finite = finite && std::isfinite(c.data.y[i]);
    if (!finite || c.data.T.size() < 4) continue;
    for (int N : {48, 12, 100}) {
      const double T_min = *std::min_element(c.data.T.begin(), c.data.T.end());
      scaleham::detail::vft_scan<double> scan;
      scan.run(rows, T_min, N);
      double best = INFINITY;
      int best_k = -1;
      std::vector<double> cost(N, INFINITY);
      for (int k = 0; k < N; ++k) {
        double a, B;
        const double sse = scaleham::detail::linear_vft(rows, scan.grid(k), a, B);
        if (B > 0) cost[k] = sse;
        if (B > 0 && sse < best) best = sse, best_k = k;
      }
      ++checked;
      if (best_k < 0) {
        EXPECT_LT(scan.best_k, 0) << c.data.name;
        continue;
      }
      ASSERT_GE(scan.best_k, 0) << c.data.name;
      EXPECT_LE(cost[scan.best_k], best * (1 + 1e-9) + 1e-300)
          << c.data.name << " N " << N << ": picked " << scan.best_k << ", full scan " << best_k;
    }
  }
  EXPECT_GT(checked, 100);
}

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

TEST(FitCommand, SummaryTakesTheDataFitAndIntervalsOfTheReplicasThatSucceeded) {
  const truth t{std::log(1e-13), 500.0, 150.0};
  const std::vector<fit_dataset> sets = {vft_data(t, linspace(180, 300, 12), 0.02, 4)};
  auto fits = scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, 40, 1, {});
  fits[7].code = status::too_few_points;  // a failed replica is left out
  const auto results = scaleham::summarize_fits(scaleham::relaxation_model::vft, fits, 1, 40);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].fit.p[1], fits[0].p[1]);
  EXPECT_EQ(results[0].replicas_used, 39u);
  std::vector<double> B;
  for (std::size_t r = 1; r < fits.size(); ++r)
    if (r != 7) B.push_back(fits[r].p[1]);
  EXPECT_EQ(results[0].ci[1].lo, scaleham::percentile(B, 0.025));
  EXPECT_EQ(results[0].ci[1].hi, scaleham::percentile(B, 0.975));
  EXPECT_TRUE(std::isnan(results[0].ci[5].lo) == false);  // m
  EXPECT_THROW(scaleham::summarize_fits(scaleham::relaxation_model::vft, fits, 1, 3), std::logic_error);
}

}  // namespace
