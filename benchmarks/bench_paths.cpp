// Throughput of one flow path of the paper's model (β = λg, F = A/g, λ = 0.1,
// A = 50, g0 = 1, on-manifold p0) on one CPU core: fixed-step RK4 and adaptive
// DOPRI5, in double and float. This is the inner loop of every grid point.
//
// Counters: steps/s (accepted steps), rhs/s (right-hand-side evaluations) and
// FLOP/s from the count below (its derivation is in RESULTS.md). A path that
// does not end successfully fails the run (exit code 1), so the CTest smoke run
// of this binary also guards the numbers it times; so does a startup check that
// the FLOP constants still match the core's code (count_check below).
#include <benchmark/benchmark.h>

#include <cstdio>

#include "scaleham/scaleham.hpp"

namespace {

// --- FLOP count -------------------------------------------------------------------
// FMA = 2 FLOP; add, sub, mul and div 1 each; sign flips, fabs, fmin/fmax,
// comparisons, sqrt and pow not counted. Read from model.hpp, flow.hpp and
// steppers.hpp for the model benchmarked here; the evaluations skip leading zero
// coefficients, so the paper's model costs its non-zero terms, not 14 slots.
// "Written" counts are checked against the code at startup (count_check below);
// the step counts used for FLOP/s are what g++ 12 -O3 executes, counted per
// instruction with callgrind (RESULTS.md): it drops the S component of the
// inner stage points, which the RHS never reads.

// One flow_rhs of β = λg, F = A/g: 14 FLOP, one of them a division.
//   β, β': one Horner step (degree 1): slope = 0·g + λ, value = λ·g + 0       4
//   F, F': no g^k>=0 terms; u = 1/g (division); N = A·u; N' = 0·u + A;
//          F = 0 + N; F' = 0 − u·u·N'                                        8
//   dp/dℓ = −p β' − F'                                                        2
constexpr double flop_per_rhs = 14.0;
// RK4 step as written, on top of its 4 RHS: h/2 (1), three stage points (3 × 6),
// k1 + 2(k2 + k3) + k4 (12), h/6 (1 division), y + (h/6)·sum (6).
constexpr double flop_rk4_stages_written = 38.0;
// Executed: less the S component of the three stage points (6), plus ℓ = h·i
// in integrate_rk4's loop (1): 89.
constexpr double flop_per_rk4_step = 4.0 * flop_per_rhs + flop_rk4_stages_written - 6.0 + 1.0;
// Per RK4 path: h = ℓ_end/n and the relative H drift at the end (executed).
constexpr double flop_rk4_per_path = 23.0;
// DOPRI5 attempt as written, on top of its 6 RHS (FSAL): stage points, the
// 5th-order solution and the error estimate (172).
constexpr double flop_dopri5_stages_written = 172.0;
// Executed per attempt: 6 RHS (84) + stage sums less the S components of the
// five inner stage points (172 − 34 = 138) + Hairer's RMS error norm (15, four
// of them divisions, plus a sqrt) + step control (7, plus a pow) = 244 by
// reading; callgrind counts 242 (g++ saves two more).
constexpr double flop_per_dopri5_step = 242.0;
// Per DOPRI5 path: f(y0), Hairer's first-step estimate (one more RHS, three
// error norms, a pow) and the relative H drift at the end (executed).
constexpr double flop_dopri5_per_path = 98.0;

// A number that counts the arithmetic done on it. Values known at compile time
// (literals, R(1)/R(5)) fold without a count, as they do in the compiled code.
struct counted {
  double v = 0.0;
  bool constant = true;
  static inline long long flop = 0;
  counted() = default;
  counted(double x) : v(x) {}  // NOLINT: implicit, like a literal
  static counted runtime(double x) {
    counted c(x);
    c.constant = false;
    return c;
  }
};
counted op(double v, const counted& a, const counted& b) {
  counted c(v);
  c.constant = a.constant && b.constant;
  if (!c.constant) ++counted::flop;
  return c;
}
counted operator+(const counted& a, const counted& b) { return op(a.v + b.v, a, b); }
counted operator-(const counted& a, const counted& b) { return op(a.v - b.v, a, b); }
counted operator*(const counted& a, const counted& b) { return op(a.v * b.v, a, b); }
counted operator/(const counted& a, const counted& b) { return op(a.v / b.v, a, b); }
counted operator-(const counted& a) {
  counted c = a;
  c.v = -a.v;
  return c;
}
bool operator==(const counted& a, const counted& b) { return a.v == b.v; }

// Runs flow_rhs, rk4_step and dopri5_step of the benchmarked model on `counted`
// and compares with the constants above: if the core changes what a step costs,
// the benchmark (and its CTest smoke run) fails instead of reporting stale FLOP/s.
bool count_check() {
  scaleham::model<counted> m = scaleham::paper_model(counted(0.1), counted(50.0));
  for (counted& b : m.beta.b) b.constant = false;  // the benchmark hides the model
  for (counted& f : m.F.f) f.constant = false;     // from the optimiser too
  const scaleham::phase_point<counted> y{counted::runtime(1.0), counted::runtime(-500.0),
                                         counted::runtime(0.0)};
  const counted h = counted::runtime(0.01);
  auto flop_of = [](auto&& f) {
    counted::flop = 0;
    f();
    return double(counted::flop);
  };
  const double rhs = flop_of([&] { scaleham::flow_rhs(m, y); });
  const double rk4 = flop_of([&] { scaleham::rk4_step(m, y, h); });
  const scaleham::phase_point<counted> f0 = scaleham::flow_rhs(m, y);
  const double dopri5 = flop_of([&] { scaleham::dopri5_step(m, y, f0, h); });
  const bool ok = rhs == flop_per_rhs && rk4 == 4.0 * flop_per_rhs + flop_rk4_stages_written &&
                  dopri5 == 6.0 * flop_per_rhs + flop_dopri5_stages_written;
  if (!ok)
    std::fprintf(stderr,
                 "bench_paths: FLOP constants are stale: counted %g per RHS, %g per rk4_step, "
                 "%g per dopri5_step; update them (and RESULTS.md)\n",
                 rhs, rk4, dopri5);
  return ok;
}

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
  // Read through a volatile each iteration, not DoNotOptimize: Debian's Google
  // Benchmark 1.7 gives a scalar the asm constraint "+m,r", with which g++ 12
  // at -O2 miscompiled the comparison ell_end > 0 of the inlined path (the
  // DOPRI5 path stepped the wrong way and ended in one step).
  const volatile Real ell_source = Real(rk4_ell_span);
  long long steps = 0, evaluations = 0;
  scaleham::status code = scaleham::status::ok;
  for (auto _ : state) {
    // Hide the inputs from the optimiser so the path cannot be folded at compile time.
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(y0);
    const Real ell_end = ell_source;
    const scaleham::path_result<Real> r = scaleham::integrate_rk4(m, y0, ell_end, rk4_steps);
    benchmark::DoNotOptimize(r);
    steps += r.steps;
    evaluations += r.evaluations;
    code = r.code;
  }
  check(state, code);
  report(state, steps, evaluations,
         double(steps) * flop_per_rk4_step + double(state.iterations()) * flop_rk4_per_path);
}

template <class Real>
void dopri5_path(benchmark::State& state) {
  scaleham::model<Real> m = scaleham::paper_model(Real(0.1), Real(50));
  scaleham::phase_point<Real> y0 = paper_start(m);
  // Read through a volatile each iteration, not DoNotOptimize: Debian's Google
  // Benchmark 1.7 gives a scalar the asm constraint "+m,r", with which g++ 12
  // at -O2 miscompiled the comparison ell_end > 0 of the inlined path (the
  // DOPRI5 path stepped the wrong way and ended in one step).
  const volatile Real ell_source = Real(dopri5_ell_span);
  const scaleham::dopri5_options<Real> options = bench_options<Real>();
  long long steps = 0, rejected = 0, evaluations = 0;
  scaleham::status code = scaleham::status::ok;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m);
    benchmark::DoNotOptimize(y0);
    const Real ell_end = ell_source;
    const scaleham::path_result<Real> r = scaleham::integrate_dopri5(m, y0, ell_end, options);
    benchmark::DoNotOptimize(r);
    steps += r.steps;
    rejected += r.rejected;
    evaluations += r.evaluations;
    code = r.code;
  }
  check(state, code);
  // A rejected attempt costs as much as an accepted step.
  const double paths = double(state.iterations());
  const double flop = double(steps + rejected) * flop_per_dopri5_step + paths * flop_dopri5_per_path;
  report(state, steps, evaluations, flop);
  state.counters["rejected/path"] = benchmark::Counter(double(rejected) / paths);
}

}  // namespace

BENCHMARK_TEMPLATE(rk4_path, double);
BENCHMARK_TEMPLATE(rk4_path, float);
BENCHMARK_TEMPLATE(dopri5_path, double);
BENCHMARK_TEMPLATE(dopri5_path, float);

int main(int argc, char** argv) {
  if (!count_check()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return any_path_failed ? 1 : 0;
}
