/// \file flow.hpp
/// Hamilton's equations of the scale Hamiltonian, the state they evolve, and H.
///
/// RG time is ℓ = ln(μ/μ0) (never called `tau`, which is the relaxation time).
/// The state is y = (g, p, S):
///
///   dg/dℓ = ∂H/∂p = β(g)
///   dp/dℓ = −∂H/∂g = −p β'(g) − F'(g)
///   dS/dℓ = p·β(g) − H = −F(g)      (Hamilton's principal function along the path)
#pragma once

#include <cmath>

#include "scaleham/config.hpp"
#include "scaleham/model.hpp"

namespace scaleham {

/// A point of the extended phase space: coupling g, momentum p, action S.
template <class Real>
struct phase_point {
  Real g;
  Real p;
  Real S;
};

// Vector-space operations used by the steppers (component-wise on g, p, S).
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> operator+(phase_point<Real> x, phase_point<Real> y) {
  return {x.g + y.g, x.p + y.p, x.S + y.S};
}
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> operator-(phase_point<Real> x, phase_point<Real> y) {
  return {x.g - y.g, x.p - y.p, x.S - y.S};
}
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> operator*(Real a, phase_point<Real> x) {
  return {a * x.g, a * x.p, a * x.S};
}

/// True when g, p and S are all finite.
template <class Real>
SCALEHAM_HD bool is_finite(const phase_point<Real>& y) {
  return std::isfinite(y.g) && std::isfinite(y.p) && std::isfinite(y.S);
}

/// Right-hand side dy/dℓ of Hamilton's equations at y, for a model of known
/// shape. Real may be a SIMD batch of lanes (the CPU backend): only +, −, ×, ÷
/// are used, so each lane rounds exactly as the scalar code does.
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> flow_rhs(const model<Real>& m, const model_shape& shape,
                                                       const phase_point<Real>& y) {
  const value_slope<Real> beta = m.beta.eval(y.g, shape.beta_degree);
  const value_slope<Real> F = m.F.eval(y.g, shape.F_positive, shape.F_negative);
  return {beta.value, -y.p * beta.slope - F.slope, -F.value};
}

/// Right-hand side dy/dℓ of Hamilton's equations at y.
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> flow_rhs(const model<Real>& m, const phase_point<Real>& y) {
  return flow_rhs(m, shape_of(m), y);
}

/// The vector field of one model with its shape found once: what the
/// steppers evaluate (a path never changes model, so the coefficient scan of
/// model.hpp runs once per path instead of once per evaluation).
template <class Real>
struct flow_field {
  const model<Real>& m;
  model_shape shape;
  SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> operator()(const phase_point<Real>& y) const {
    return flow_rhs(m, shape, y);
  }
};

/// The scale Hamiltonian H(g, p) = p·β(g) + F(g); conserved along every path.
template <class Real>
SCALEHAM_HD Real hamiltonian(const model<Real>& m, Real g, Real p) {
  return p * m.beta.eval(g).value + m.F.eval(g).value;
}

/// Size of the two terms of H at (g, p): |p·β| + |F|. Relative H drift is
/// measured against this, because on the HJ manifold H itself is zero.
template <class Real>
SCALEHAM_HD Real hamiltonian_scale(const model<Real>& m, Real g, Real p) {
  return std::fabs(p * m.beta.eval(g).value) + std::fabs(m.F.eval(g).value);
}

/// The momentum that puts a path on the HJ solution (H = 0): p0 = S'(g0) = −F(g0)/β(g0).
/// Inf/NaN where β(g0) = 0 or F is singular at g0; callers check with is_finite.
template <class Real>
SCALEHAM_HD Real on_manifold_momentum(const model<Real>& m, Real g) {
  return -m.F.eval(g).value / m.beta.eval(g).value;
}

}  // namespace scaleham
