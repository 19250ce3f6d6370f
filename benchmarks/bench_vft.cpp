// Throughput of the VFT fitter and of the fused per-point pipeline (flow + HJ
// curve + fit), on the CPU:
//  - one fit of a 64-temperature curve (single thread): fits/s;
//  - one fit of the fused sweep point's 32-temperature ln τ curve (the
//    paper's model, exact VFT to the quadrature) and of a 25-row noisy
//    measured-style dataset, each by the fitter and by the one before issue 10
//    (tests/vft_reference.hpp, `_reference`): the same data, one process;
//  - a batch of datasets × bootstrap replicas through fit_datasets_cpu (all
//    cores, the path `scaleham fit --bootstrap` takes): fits/s;
//  - evaluate_point of the paper's model with the curve and its fit (single
//    thread): points/s.
// The binary exits 1 if a fit or a point does not succeed, so its smoke run in
// CTest checks something.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "fit_batch.hpp"
#include "scaleham/point.hpp"
#include "scaleham/vft.hpp"
#include "../tests/vft_reference.hpp"

namespace {

bool failed = false;

// A noisy VFT curve: B = 500 K, T_vf = 400 K, a = −30, σ = 0.02 in ln τ.
scaleham::fit_dataset noisy_curve(int n_T, std::uint64_t seed) {
  scaleham::fit_dataset d;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (int j = 0; j < n_T; ++j) {
    const double T = 420.0 + 280.0 * j / (n_T - 1);
    d.T.push_back(T);
    d.y.push_back(scaleham::vft_log_tau(-30.0, 500.0, 400.0, T) + noise(rng));
  }
  return d;
}

void single_fit(benchmark::State& state) {
  const scaleham::fit_dataset d = noisy_curve(64, 1);
  const scaleham::array_rows<double> rows{d.T.data(), d.y.data(), 64};
  long long iterations = 0;
  for (auto _ : state) {
    const auto fit = scaleham::fit_vft(rows);
    benchmark::DoNotOptimize(fit);
    failed |= fit.code != scaleham::status::ok;
    iterations += fit.iterations;
  }
  state.counters["fits/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["LM_iterations/fit"] = double(iterations) / double(state.iterations());
}
BENCHMARK(single_fit)->Unit(benchmark::kMicrosecond);

// The fused point's curve: evaluate_point's 32 temperatures and ln τ values.
struct curve_data {
  std::vector<double> T, y;
};

curve_data sweep_point_curve() {
  scaleham::point_settings<double> settings;
  settings.relaxation.n_T = 32;
  double params[scaleham::param_count] = {};
  params[scaleham::param_b1] = 0.1;
  params[scaleham::param_f_m1] = 50.0;
  params[scaleham::param_g0] = 100.0;
  params[scaleham::param_ell] = -10.0;
  params[scaleham::param_T0] = 400.0;
  params[scaleham::param_c] = 1.0;
  curve_data c;
  c.y.resize(scaleham::max_curve_points);
  scaleham::evaluate_point(params, settings, c.y.data());
  c.y.resize(32);
  for (int j = 0; j < 32; ++j) c.T.push_back(settings.relaxation.temperature(j));
  return c;
}

// Measured-style: 25 shuffled rows, σ = 0.05 in ln τ, B = 2000 K, T_vf = 200 K
// (tests/python/test_fit_command.py's synthetic data).
curve_data measured_style() {
  curve_data c;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (int j = 0; j < 25; ++j) c.T.push_back(250.0 + 150.0 * ((j * 7) % 25) / 24.0);
  for (double T : c.T) c.y.push_back(scaleham::vft_log_tau(std::log(1e-14), 2000.0, 200.0, T) + noise(rng));
  return c;
}

template <bool reference>
void fit_of(benchmark::State& state, const curve_data& c) {
  const scaleham::array_rows<double> rows{c.T.data(), c.y.data(), int(c.T.size())};
  long long iterations = 0;
  for (auto _ : state) {
    const auto fit = reference ? scaleham::reference::fit_vft(rows) : scaleham::fit_vft(rows);
    benchmark::DoNotOptimize(fit);
    failed |= fit.code != scaleham::status::ok;
    iterations += fit.iterations;
  }
  state.counters["fits/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["LM_iterations/fit"] = double(iterations) / double(state.iterations());
}
void curve32_fit(benchmark::State& state) { fit_of<false>(state, sweep_point_curve()); }
void curve32_fit_reference(benchmark::State& state) { fit_of<true>(state, sweep_point_curve()); }
void measured25_fit(benchmark::State& state) { fit_of<false>(state, measured_style()); }
void measured25_fit_reference(benchmark::State& state) { fit_of<true>(state, measured_style()); }
BENCHMARK(curve32_fit)->Unit(benchmark::kMicrosecond);
BENCHMARK(curve32_fit_reference)->Unit(benchmark::kMicrosecond);
BENCHMARK(measured25_fit)->Unit(benchmark::kMicrosecond);
BENCHMARK(measured25_fit_reference)->Unit(benchmark::kMicrosecond);

void single_fit_reference(benchmark::State& state) {
  const scaleham::fit_dataset d = noisy_curve(64, 1);
  fit_of<true>(state, curve_data{d.T, d.y});
}
BENCHMARK(single_fit_reference)->Unit(benchmark::kMicrosecond);

void batched_bootstrap(benchmark::State& state) {
  std::vector<scaleham::fit_dataset> datasets;
  for (int d = 0; d < 64; ++d) datasets.push_back(noisy_curve(64, std::uint64_t(d) + 1));
  const std::uint64_t replicas = 63;  // 64 datasets × 64 fits
  for (auto _ : state) {
    const auto fits = scaleham::fit_datasets_cpu(datasets, scaleham::relaxation_model::vft, replicas, 7, {});
    benchmark::DoNotOptimize(fits.data());
    for (const auto& f : fits) failed |= !scaleham::succeeded(f.code);
  }
  state.counters["fits/s"] = benchmark::Counter(double(state.iterations()) * 64 * 64,
                                                benchmark::Counter::kIsRate);
}
// Wall time: the batch runs on all cores.
BENCHMARK(batched_bootstrap)->Unit(benchmark::kMillisecond)->UseRealTime();

void fused_point(benchmark::State& state) {
  scaleham::point_settings<double> settings;
  settings.relaxation.n_T = static_cast<int>(state.range(0));
  double params[scaleham::param_count] = {};
  params[scaleham::param_b1] = 0.1;
  params[scaleham::param_f_m1] = 50.0;
  params[scaleham::param_g0] = 100.0;
  params[scaleham::param_ell] = -10.0;
  params[scaleham::param_T0] = 400.0;
  params[scaleham::param_c] = 1.0;
  for (auto _ : state) {
    const auto r = scaleham::evaluate_point(params, settings);
    benchmark::DoNotOptimize(r);
    failed |= r.fit.code != scaleham::status::ok || r.flow_status != scaleham::status::ok;
  }
  state.counters["points/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(fused_point)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (failed) std::fprintf(stderr, "bench_vft: a fit or a point did not succeed\n");
  return failed ? 1 : 0;
}
