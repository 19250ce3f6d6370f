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
#include <type_traits>

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

/// Right-hand side dy/dℓ of Hamilton's equations at y, for any model
/// (model.hpp). Real may be a SIMD batch of lanes (the CPU backend, built-in
/// models): only +, −, ×, ÷ are used, so each lane rounds exactly as the
/// scalar code does.
template <class Model, class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> flow_rhs(const Model& m, const phase_point<Real>& y) {
  const value_slope<Real> beta = m.beta_at(y.g);
  const value_slope<Real> F = m.F_at(y.g);
  return {beta.value, -y.p * beta.slope - F.slope, -F.value};
}

/// The vector field of one model in its evaluation form (a built-in model
/// with its shape found once: a path never changes model, so the coefficient
/// scan of model.hpp runs once per path instead of once per evaluation). What
/// the steppers evaluate; `m` is also what they measure H with.
template <class Real, class Model = shaped_model<Real>>
struct flow_field {
  Model m;
  SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> operator()(const phase_point<Real>& y) const {
    return flow_rhs(m, y);
  }
};

/// The field of a model: flow_field_of(m)(y) = flow_rhs(m, y), bitwise.
template <class Model>
SCALEHAM_HD auto flow_field_of(const Model& m) {
  using form = std::decay_t<decltype(evaluation_form(m))>;
  return flow_field<typename Model::real_type, form>{evaluation_form(m)};
}

/// The scale Hamiltonian H(g, p) = p·β(g) + F(g); conserved along every path.
template <class Model, class Real>
SCALEHAM_HD Real hamiltonian(const Model& m, Real g, Real p) {
  return p * m.beta_at(g).value + m.F_at(g).value;
}

/// Size of the two terms of H at (g, p): |p·β| + |F|. Relative H drift is
/// measured against this, because on the HJ manifold H itself is zero.
template <class Model, class Real>
SCALEHAM_HD Real hamiltonian_scale(const Model& m, Real g, Real p) {
  return std::fabs(p * m.beta_at(g).value) + std::fabs(m.F_at(g).value);
}

/// The momentum that puts a path on the HJ solution (H = 0): p0 = S'(g0) = −F(g0)/β(g0).
/// Inf/NaN where β(g0) = 0 or F is singular at g0; callers check with is_finite.
template <class Model, class Real>
SCALEHAM_HD Real on_manifold_momentum(const Model& m, Real g) {
  return -m.F_at(g).value / m.beta_at(g).value;
}

}  // namespace scaleham
