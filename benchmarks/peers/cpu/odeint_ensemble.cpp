// A standalone Boost.Odeint peer of `scaleham run --backend cpu` (issue 10,
// goal 1): the paper ensemble integrated with Boost's own steppers and a
// hand-written right-hand side, OpenMP over the trajectories. No scaleham code
// is used, so the comparison is against what a user would write with Boost.
//
//   odeint_ensemble rk4|dopri5 [--lambda-count N] [--A-count N] [--g0 X] [--ell X]
//                   [--rk4-steps N] [--rtol X] [--atol X] [--dt0 X] [--max-error X]
//
// The model: beta = lambda g, F = A / g, so for the state x = (g, p, S)
//   dg/dl = lambda g,  dp/dl = -lambda p + A / g^2,  dS/dl = -A / g,
// from g0, p0 = -A / (lambda g0^2) (the HJ manifold), S0 = 0, over l in [0, ell].
// The grid: lambda = linspace(0.05, 0.15, lambda-count) (slowest) x
// A = linspace(25, 75, A-count) (fastest), as the scaleham config of
// benchmarks/cpu_peers.py. Closed form: g = g0 e^{lambda l},
// p = -A / (lambda g^2), S = A / (lambda g) - A / (lambda g0).
//
// rk4: runge_kutta4, rk4-steps equal do_step calls. dopri5:
// integrate_adaptive(make_controlled(atol, rtol, runge_kutta_dopri5), ...)
// from dt0 (Boost's default error checker: max norm of
// err_i / (atol + rtol (|x_i| + |dt| |dxdt_i|)); its step-size controller).
//
// Prints one JSON object: trajectories, steps per trajectory (mean; for dopri5
// the accepted steps that integrate_adaptive returns, rejected attempts are not
// counted by Boost), the largest relative end error against the closed form
// over g, p and S (each |x - exact| / |exact|), and the seconds of the
// integration loop alone (wall). Exit status 1 when --max-error is given and
// the error exceeds it (the CTest smoke test), 2 on bad arguments.
#include <array>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <boost/numeric/odeint.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using state = std::array<double, 3>;
namespace odeint = boost::numeric::odeint;

struct paper_rhs {
  double lambda, A;
  void operator()(const state& x, state& dxdt, double /*l*/) const {
    const double inv_g = 1.0 / x[0];
    const double F = A * inv_g;
    dxdt[0] = lambda * x[0];
    dxdt[1] = -lambda * x[1] + F * inv_g;
    dxdt[2] = -F;
  }
};

double linspace(double lo, double hi, long n, long i) {
  if (n == 1) return lo;
  if (i == n - 1) return hi;
  return lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "odeint_ensemble: %s\nusage: odeint_ensemble rk4|dopri5 [--lambda-count N] "
               "[--A-count N] [--g0 X] [--ell X] [--rk4-steps N] [--rtol X] [--atol X] "
               "[--dt0 X] [--max-error X]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no method");
  const std::string method = argv[1];
  if (method != "rk4" && method != "dopri5") usage("method must be rk4 or dopri5");
  long n_lambda = 200, n_A = 250, rk4_steps = 1000;
  double g0 = 100.0, ell = -10.0, rtol = 1e-8, atol = 1e-10, dt0 = 0.0, max_error = -1.0;
  for (int i = 2; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("option without a value");
    const char* value = argv[++i];
    char* end = nullptr;
    const double x = std::strtod(value, &end);
    if (end == value || *end != '\0') usage("not a number");
    if (key == "--lambda-count") n_lambda = static_cast<long>(x);
    else if (key == "--A-count") n_A = static_cast<long>(x);
    else if (key == "--g0") g0 = x;
    else if (key == "--ell") ell = x;
    else if (key == "--rk4-steps") rk4_steps = static_cast<long>(x);
    else if (key == "--rtol") rtol = x;
    else if (key == "--atol") atol = x;
    else if (key == "--dt0") dt0 = x;
    else if (key == "--max-error") max_error = x;
    else usage("unknown option");
  }
  if (n_lambda < 1 || n_A < 1 || rk4_steps < 1 || !(g0 > 0) || ell == 0) usage("bad value");
  // Default first step of the controlled stepper: 1/100 of the span (the
  // controller grows it by up to 5x per step).
  if (dt0 == 0.0) dt0 = ell / 100.0;
  if (dt0 * ell < 0) dt0 = -dt0;

  const long n = n_lambda * n_A;
  std::vector<state> end_state(static_cast<size_t>(n));
  std::vector<long> steps(static_cast<size_t>(n));
  const bool rk4 = method == "rk4";
  const double h = ell / static_cast<double>(rk4_steps);

  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
#pragma omp parallel for schedule(dynamic, 64)
  for (long k = 0; k < n; ++k) {
    const paper_rhs rhs{linspace(0.05, 0.15, n_lambda, k / n_A), linspace(25.0, 75.0, n_A, k % n_A)};
    state x{g0, -rhs.A / (rhs.lambda * g0 * g0), 0.0};
    long taken = 0;
    if (rk4) {
      odeint::runge_kutta4<state> stepper;
      for (long i = 0; i < rk4_steps; ++i) stepper.do_step(rhs, x, h * static_cast<double>(i), h);
      taken = rk4_steps;
    } else {
      auto stepper = odeint::make_controlled(atol, rtol, odeint::runge_kutta_dopri5<state>());
      taken = static_cast<long>(odeint::integrate_adaptive(stepper, rhs, x, 0.0, ell, dt0));
    }
    end_state[static_cast<size_t>(k)] = x;
    steps[static_cast<size_t>(k)] = taken;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  double err_g = 0, err_p = 0, err_S = 0, total_steps = 0;
  for (long k = 0; k < n; ++k) {
    const double lambda = linspace(0.05, 0.15, n_lambda, k / n_A);
    const double A = linspace(25.0, 75.0, n_A, k % n_A);
    const double g = g0 * std::exp(lambda * ell);
    const double p = -A / (lambda * g * g);
    const double S = A / (lambda * g) - A / (lambda * g0);
    const state& x = end_state[static_cast<size_t>(k)];
    err_g = std::fmax(err_g, std::fabs(x[0] - g) / std::fabs(g));
    err_p = std::fmax(err_p, std::fabs(x[1] - p) / std::fabs(p));
    err_S = std::fmax(err_S, std::fabs(x[2] - S) / std::fabs(S));
    if (!std::isfinite(x[0]) || !std::isfinite(x[1]) || !std::isfinite(x[2])) err_g = INFINITY;
    total_steps += static_cast<double>(steps[static_cast<size_t>(k)]);
  }
  const double err = std::fmax(err_g, std::fmax(err_p, err_S));
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  std::printf(
      "{\"peer\": \"boost-odeint\", \"method\": \"%s\", \"trajectories\": %ld, "
      "\"steps_per_trajectory\": %.6g, \"max_rel_error\": %.3e, \"max_rel_error_g\": %.3e, "
      "\"max_rel_error_p\": %.3e, \"max_rel_error_S\": %.3e, \"seconds_compute\": %.6f, \"cpu_seconds_compute\": %.6f, "
      "\"threads\": %d, \"rtol\": %g, \"atol\": %g, \"dt0\": %g, \"boost_version\": %d}\n",
      method.c_str(), n, total_steps / static_cast<double>(n), err, err_g, err_p, err_S, seconds, cpu_seconds,
      threads, rtol, atol, dt0, BOOST_VERSION);
  if (max_error >= 0 && !(err <= max_error)) {
    std::fprintf(stderr, "odeint_ensemble: max relative error %.3e above the bound %.3e\n", err,
                 max_error);
    return 1;
  }
  return 0;
}
