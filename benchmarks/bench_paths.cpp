// Throughput of one flow path of the paper's model (β = λg, F = A/g, λ = 0.1,
// A = 50, g0 = 1, on-manifold p0) on one CPU core: fixed-step RK4 and adaptive
// DOPRI5, in double and float. This is the inner loop of every grid point.
//
// Counters: steps/s (accepted steps), rhs/s (right-hand-side evaluations) and
// FLOP/s from the hand count below (see RESULTS.md for its derivation).
// A path that does not end successfully fails the run (exit code 1), so the
// CTest smoke run of this binary also guards the numbers it times.
#include <benchmark/benchmark.h>

#include "scaleham/scaleham.hpp"

namespace {

// FLOP per flow_rhs of the paper model, counting an FMA as 2: β by Horner over
// degree 4 (8 FMA), the g^0..g^4 part of F (8 FMA), one reciprocal, the
// g^-1..g^-4 part (6 FMA), assembly of F and F' (6) and of dp/dℓ (2).
constexpr double flop_per_rhs = 54.0;
// Stage combinations and the final update of one step, on top of its RHS calls.
constexpr double flop_per_rk4_step = 4.0 * flop_per_rhs + 38.0;
// DOPRI5: 6 RHS, ~172 FLOP of stage sums and ~20 of the error norm (the pow()
// of the step-size controller is not counted).
constexpr double flop_per_dopri5_step = 6.0 * flop_per_rhs + 192.0;

constexpr double rk4_ell_span = 10.0;  // g grows from 1 to e^1
constexpr int rk4_steps = 1000;
constexpr double dopri5_ell_span = 10.0;

bool any_path_failed = false;

template <class Real>
scaleham::phase_point<Real> paper_start(const scaleham::model<Real>& m) {
  const Real g0 = Real(1);
  return {g0, scaleham::on_manifold_momentum(m, g0), Real(0)};
}

// DOPRI5 tolerances: rtol 1e-10 in double (default atol 1e-10). Float cannot go
// below rtol = 10 ε ≈ 1.2e-6 (valid_options), so it runs at 1e-5 (default atol).
template <class Real>
scaleham::dopri5_options<Real> bench_options();
template <>
scaleham::dopri5_options<double> bench_options<double>() {
  scaleham::dopri5_options<double> options;
  options.rtol = 1e-10;
  return options;
}
template <>
scaleham::dopri5_options<float> bench_options<float>() {
  scaleham::dopri5_options<float> options;
  options.rtol = 1e-5f;
  return options;
}

void report(benchmark::State& state, long long steps, long long evaluations, double flop) {
  using benchmark::Counter;
  state.counters["steps/s"] = Counter(double(steps), Counter::kIsRate);
  state.counters["rhs/s"] = Counter(double(evaluations), Counter::kIsRate);
  state.counters["FLOP/s"] = Counter(flop, Counter::kIsRate);
  state.counters["steps/path"] = Counter(double(steps) / double(state.iterations()));
}

void check(benchmark::State& state, scaleham::status code) {
  if (!scaleham::succeeded(code)) {
    any_path_failed = true;
    state.SkipWithError(scaleham::status_name(code));
  }
}

template <class Real>
void rk4_path(benchmark::State& state) {
  scaleham::model<Real> m = scaleham::paper_model(Real(0.1), Real(50));
  scaleham::phase_point<Real> y0 = paper_start(m);
  Real ell_end = Real(rk4_ell_span);
  long long steps = 0, evaluations = 0;
  scaleham::status code = scaleham::status::ok;
  for (auto _ : state) {
    // Hide the inputs from the optimiser so the path cannot be folded at compile time.
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(y0);
    benchmark::DoNotOptimize(ell_end);
    const scaleham::path_result<Real> r = scaleham::integrate_rk4(m, y0, ell_end, rk4_steps);
    benchmark::DoNotOptimize(r);
    steps += r.steps;
    evaluations += r.evaluations;
    code = r.code;
  }
  check(state, code);
  report(state, steps, evaluations, double(steps) * flop_per_rk4_step);
}

template <class Real>
void dopri5_path(benchmark::State& state) {
  scaleham::model<Real> m = scaleham::paper_model(Real(0.1), Real(50));
  scaleham::phase_point<Real> y0 = paper_start(m);
  Real ell_end = Real(dopri5_ell_span);
  const scaleham::dopri5_options<Real> options = bench_options<Real>();
  long long steps = 0, rejected = 0, evaluations = 0;
  scaleham::status code = scaleham::status::ok;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(y0);
    benchmark::DoNotOptimize(ell_end);
    const scaleham::path_result<Real> r = scaleham::integrate_dopri5(m, y0, ell_end, options);
    benchmark::DoNotOptimize(r);
    steps += r.steps;
    rejected += r.rejected;
    evaluations += r.evaluations;
    code = r.code;
  }
  check(state, code);
  // A rejected attempt costs as much as an accepted step; the two RHS calls of
  // the start (f(y0) and the initial-step estimate) are added as plain RHS.
  const double paths = double(state.iterations());
  const double flop = double(steps + rejected) * flop_per_dopri5_step + 2.0 * paths * flop_per_rhs;
  report(state, steps, evaluations, flop);
  state.counters["rejected/path"] = benchmark::Counter(double(rejected) / paths);
}

}  // namespace

BENCHMARK_TEMPLATE(rk4_path, double);
BENCHMARK_TEMPLATE(rk4_path, float);
BENCHMARK_TEMPLATE(dopri5_path, double);
BENCHMARK_TEMPLATE(dopri5_path, float);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return any_path_failed ? 1 : 0;
}
