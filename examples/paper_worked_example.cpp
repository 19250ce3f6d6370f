// The paper's worked example, end to end on the physics core, as a self-check.
//
// Paper: D·T0 ≈ 500 K and λ ≈ 0.1 give A = λ·D·T0 ≈ 50. The paper fixes only
// the product D·T0 and the proportionality g ∝ (T − T0), so this program picks
// T0 = 400 K and c = 1 (dimensionless: g = c·(T − T0) is in kelvin); with them
// B = A/(λc) = 500 K and D = B/T0 = 1.25.
//
// For every temperature it computes the Hamilton–Jacobi action two ways and
// compares them with the closed form:
//   1. quadrature:  S(g) − S(g_ref) = −∫_{g_ref}^{g} F/β dx   (hj_action)
//   2. flow:        an on-manifold path (p0 = −F(g)/β(g), H = 0) integrated by
//                   DOPRI5 from g until g reaches g_ref; along it
//                   S_end − S0 = S(g_ref) − S(g) = −[S(g) − S(g_ref)],
//                   and the path must end at ℓ = ln(g_ref/g)/λ (g = g0 e^{λℓ}).
// closed form:      S(g) − S(g_ref) = A/(λg) − A/(λ g_ref).
// g_ref = c·10^6 K stands in for g → ∞ (where the paper's S vanishes), so the
// action is ln τ − ln τ0 = B/(T − T0) up to B/10^6 K = 5e-4.
//
// Exit code: 0 when every comparison agrees to 1e-9 relative and every status
// is a success, 1 otherwise, 2 on bad arguments.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "scaleham/scaleham.hpp"

namespace {

constexpr double lambda_ = 0.1;  // β = λg (paper: λ ≈ 0.1)
constexpr double A = 50.0;       // F = A/g (A = λ·D·T0 = 0.1 × 500)
constexpr double t0 = 400.0;     // K; our choice, the paper fixes only D·T0
constexpr double c = 1.0;        // dimensionless (g in K); our choice
constexpr double t_ref_offset = 1.0e6;  // K above T0 where the action is referenced
constexpr double tolerance = 1e-9;      // relative, for every comparison

// The ℓ span is only an upper bound: the target event g = g_ref ends the path
// long before (ℓ ≈ ln(g_ref/g)/λ ≈ 80..110 here).
constexpr double ell_max = 1000.0;

const double default_temperatures[] = {420.0, 450.0, 500.0, 550.0, 600.0, 700.0};

double relative_difference(double value, double reference) {
  const double diff = std::fabs(value - reference);
  // Both zero (g = g_ref) counts as agreement, not 0/0.
  return diff == 0.0 ? 0.0 : diff / std::fabs(reference);
}

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: scaleham_paper_example [T ...]\n"
               "  Checks the HJ action of the paper's model (lambda = %.2g, A = %.3g,\n"
               "  g = c(T - T0), T0 = %.0f K, c = %.0f) by quadrature, by an on-manifold\n"
               "  DOPRI5 flow and against the closed form, at the temperatures T in kelvin\n"
               "  (default 420 450 500 550 600 700; each must lie in (T0, T0 + 1e6 K)).\n"
               "  Exit code 0: all agree to %.0e relative; 1: a check failed; 2: bad arguments.\n",
               lambda_, A, t0, c, tolerance);
}

// Parses the temperatures from the command line; false (after a message) on bad input.
bool parse_temperatures(int argc, char** argv, std::vector<double>& temperatures) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      print_usage(stdout);
      std::exit(0);
    }
    char* end = nullptr;
    const double t = std::strtod(argv[i], &end);
    if (end == argv[i] || *end != '\0' || !std::isfinite(t) || !(t > t0) ||
        !(t < t0 + t_ref_offset)) {
      std::fprintf(stderr,
                   "scaleham_paper_example: argument %d ('%s') is not a temperature in "
                   "(%.0f K, %.0f K)\n",
                   i, argv[i], t0, t0 + t_ref_offset);
      return false;
    }
    temperatures.push_back(t);
  }
  if (temperatures.empty())
    temperatures.assign(std::begin(default_temperatures), std::end(default_temperatures));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> temperatures;
  if (!parse_temperatures(argc, argv, temperatures)) {
    print_usage(stderr);
    return 2;
  }

  const scaleham::model<double> m = scaleham::paper_model(lambda_, A);
  const double g_ref = c * t_ref_offset;
  const double b_vft = A / (lambda_ * c);

  std::printf("scaleham %s: the paper's worked example (double precision)\n",
              SCALEHAM_VERSION_STRING);
  std::printf("  model     beta(g) = lambda*g, F(g) = A/g, lambda = %g, A = %g\n", lambda_, A);
  std::printf("  mapping   g = c*(T - T0), T0 = %g K, c = %g (our choice: the paper fixes D*T0 only)\n",
              t0, c);
  std::printf("  VFT       B = D*T0 = A/(lambda*c) = %g K, D = B/T0 = %g\n", b_vft, b_vft / t0);
  std::printf("  reference g_ref = c*(%g K) = %g, standing in for g -> infinity\n", t_ref_offset,
              g_ref);
  std::printf("  checks    relative tolerance %.0e; every status must be a success\n\n",
              tolerance);

  int failures = 0;
  int checks = 0;
  auto check = [&](bool passed) {
    ++checks;
    if (!passed) ++failures;
    return passed ? "" : "  <-- FAIL";
  };

  std::printf("HJ action by adaptive Gauss-Kronrod quadrature vs the closed form\n");
  std::printf("%7s %10s %22s %22s %10s %6s  %s\n", "T [K]", "g", "S(g)-S(g_ref) quad",
              "A/(lg)-A/(lg_ref)", "rel.diff", "evals", "status");
  std::vector<double> quadrature_actions;
  for (const double t : temperatures) {
    const double g = c * (t - t0);
    const scaleham::quadrature_result<double> q = scaleham::hj_action(m, g_ref, g);
    const double closed = A / (lambda_ * g) - A / (lambda_ * g_ref);
    const double rel = relative_difference(q.value, closed);
    const char* verdict = check(rel <= tolerance && q.code == scaleham::status::ok);
    std::printf("%7.1f %10.4g %22.15e %22.15e %10.2e %6d  %s%s\n", t, g, q.value, closed, rel,
                q.evaluations, scaleham::status_name(q.code), verdict);
    quadrature_actions.push_back(q.value);
  }

  std::printf("\nOn-manifold DOPRI5 flow (rtol 1e-12) from g to g_ref vs the quadrature action\n");
  std::printf("%7s %9s %9s %22s %22s %10s %9s %5s %4s %5s  %s\n", "T [K]", "ell_end",
              "ell rel.d", "S_end-S0 (flow)", "-(S(g)-S(g_ref)) quad", "rel.diff", "H drift",
              "steps", "rej", "rhs", "status");
  scaleham::dopri5_options<double> options;
  options.rtol = 1e-12;
  // S starts at 0: a small atol keeps its error weight finite on the first step.
  options.atol = 1e-14;
  scaleham::stop_events<double> events;
  events.g_min = 0.0;  // F = A/g has a pole at 0: the physical domain is g > 0
  events.use_target = true;
  events.g_target = g_ref;
  for (std::size_t i = 0; i < temperatures.size(); ++i) {
    const double g = c * (temperatures[i] - t0);
    const scaleham::phase_point<double> y0{g, scaleham::on_manifold_momentum(m, g), 0.0};
    const scaleham::path_result<double> r =
        scaleham::integrate_dopri5(m, y0, ell_max, options, events);
    const double flow_action = r.end.S - y0.S;
    const double expected = -quadrature_actions[i];
    const double rel = relative_difference(flow_action, expected);
    const double ell_rel = relative_difference(r.ell, std::log(g_ref / g) / lambda_);
    const bool passed = rel <= tolerance && ell_rel <= tolerance && r.h_drift <= tolerance &&
                        r.code == scaleham::status::target_reached;
    const char* verdict = check(passed);
    std::printf("%7.1f %9.4f %9.2e %22.15e %22.15e %10.2e %9.2e %5d %4d %5d  %s%s\n",
                temperatures[i], r.ell, ell_rel, flow_action, expected, rel, r.h_drift, r.steps,
                r.rejected, r.evaluations, scaleham::status_name(r.code), verdict);
  }

  if (failures == 0) {
    std::printf("\nall %d checks passed\n", checks);
    return 0;
  }
  std::printf("\n%d of %d checks FAILED\n", failures, checks);
  return 1;
}
