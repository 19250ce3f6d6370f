// Closed-form solution of the paper's model (β = λg, F = A/g), docs/design.md §1.2,
// written independently of the core's formulas: the reference the tests check
// the integrators and the quadrature against.
#pragma once

#include <cmath>

namespace scaleham::testing {

struct paper_solution {
  double lambda, A, g0, p0, S0;

  double g(double ell) const { return g0 * std::exp(lambda * ell); }
  // p(ℓ) = C e^{−λℓ} − (A/(λ g0²)) e^{−2λℓ}, C fixed by p(0) = p0.
  double p(double ell) const {
    const double k = A / (lambda * g0 * g0);
    return (p0 + k) * std::exp(-lambda * ell) - k * std::exp(-2.0 * lambda * ell);
  }
  // dS/dℓ = −F(g) = −A/g  ⇒  S(ℓ) − S0 = A/(λ g(ℓ)) − A/(λ g0), on or off the manifold.
  double S(double ell) const { return S0 + A / (lambda * g(ell)) - A / (lambda * g0); }
};

// S(g) − S(g_ref) of the HJ equation for the paper's model.
inline double paper_action(double lambda, double A, double g_ref, double g) {
  return A / (lambda * g) - A / (lambda * g_ref);
}

inline double relative_error(double got, double want) {
  return std::fabs(got - want) / std::fabs(want);
}

}  // namespace scaleham::testing
