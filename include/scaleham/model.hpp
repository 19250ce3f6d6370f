/// \file model.hpp
/// Model families of the scale Hamiltonian H(g, p) = p·β(g) + F(g).
///
///   β(g) = Σ_{k=0..4}  b_k g^k   (polynomial; the paper: β = λ g, so b_1 = λ)
///   F(g) = Σ_{k=-4..4} f_k g^k   (Laurent;    the paper: F = A / g, so f_{-1} = A)
///
/// Both families carry their exact derivatives (evaluated together with the
/// value, never by finite differences). Coefficients live in fixed-size arrays
/// so a model is trivially copyable and fits in registers on the GPU.
///
/// The core's per-point functions (flow.hpp, steppers.hpp, action.hpp,
/// point.hpp) take any *model*: a type with
///
///   using real_type = Real;
///   value_slope<Real> beta_at(Real g) const;   // β(g) and β'(g)
///   value_slope<Real> F_at(Real g) const;      // F(g) and F'(g)
///   bool F_singular_at_zero() const;           // F has a pole at g = 0
///
/// model<Real> (the built-in families, coefficients scanned at each call),
/// shaped_model<Real> (the same with its shape found once: what integrators
/// evaluate) and expression_model<Real> (formulas, expression.hpp) are models.
#pragma once

#include "scaleham/config.hpp"

namespace scaleham {

/// Highest power of g in β.
inline constexpr int max_beta_degree = 4;
/// Highest |power| of g in F: F has terms g^-4 .. g^4.
inline constexpr int max_laurent_order = 4;

/// A function value together with its derivative at the same point.
template <class Real>
struct value_slope {
  Real value;
  Real slope;
};

/// β(g) = Σ b_k g^k, k = 0..max_beta_degree.
template <class Real>
struct polynomial {
  Real b[max_beta_degree + 1] = {};

  /// Highest power with a non-zero coefficient (0 for a constant or zero β).
  SCALEHAM_INLINE SCALEHAM_HD int degree() const {
    int d = max_beta_degree;
    while (d > 0 && b[d] == Real(0)) --d;
    return d;
  }

  /// Value and exact derivative by Horner's scheme (one pass, 2 FMA per term).
  /// Leading zero coefficients are skipped: the paper's β = λg costs one step,
  /// not four (the scan is cheap, the Horner chain is the latency).
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> eval(Real g) const { return eval(g, degree()); }

  /// The same with the degree known (model_shape): no scan. Real may be a
  /// SIMD batch of lanes (the CPU backend): the arithmetic is the same per lane.
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> eval(Real g, int d) const {
    Real value = b[d];
    Real slope = Real(0);
    for (int k = d - 1; k >= 0; --k) {
      slope = slope * g + value;
      value = value * g + b[k];
    }
    return {value, slope};
  }
};

/// F(g) = Σ f_k g^k, k = -max_laurent_order..max_laurent_order.
/// Coefficient f_k is stored at index k + max_laurent_order.
template <class Real>
struct laurent {
  Real f[2 * max_laurent_order + 1] = {};

  SCALEHAM_HD Real& coeff(int k) { return f[k + max_laurent_order]; }
  SCALEHAM_HD Real coeff(int k) const { return f[k + max_laurent_order]; }

  /// Highest power k >= 0 with a non-zero f_k (0 when there is none).
  SCALEHAM_INLINE SCALEHAM_HD int positive_order() const {
    int d = max_laurent_order;
    while (d > 0 && coeff(d) == Real(0)) --d;
    return d;
  }

  /// Highest n >= 1 with a non-zero f_{-n}, or 0 when F has no negative powers.
  SCALEHAM_INLINE SCALEHAM_HD int negative_order() const {
    int n = max_laurent_order;
    while (n > 0 && coeff(-n) == Real(0)) --n;
    return n;
  }

  /// True if some negative power has a non-zero coefficient, i.e. F has a pole at g = 0.
  SCALEHAM_HD bool singular_at_zero() const { return negative_order() > 0; }

  /// Value and exact derivative. F = P(g) + N(u) with u = 1/g, where P holds the
  /// powers k >= 0 and N(u) = Σ_{k>=1} f_{-k} u^k; dF/dg = P'(g) − u² N'(u).
  /// Leading zero coefficients on either side are skipped, and the reciprocal is
  /// taken only when F has negative powers, so polynomial F stays finite at g = 0.
  /// At g = 0 with negative powers the result is Inf/NaN, which the callers
  /// turn into a status.
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> eval(Real g) const {
    return eval(g, positive_order(), negative_order());
  }

  /// The same with the orders known (model_shape): no scan; Real may be a SIMD batch.
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> eval(Real g, int d, int n) const {
    Real value = coeff(d);
    Real slope = Real(0);
    for (int k = d - 1; k >= 0; --k) {
      slope = slope * g + value;
      value = value * g + coeff(k);
    }
    if (n == 0) return {value, slope};
    const Real u = Real(1) / g;
    Real n_value = coeff(-n);
    Real n_slope = Real(0);
    for (int k = n - 1; k >= 1; --k) {
      n_slope = n_slope * u + n_value;
      n_value = n_value * u + coeff(-k);
    }
    // N(u) = u · (Horner polynomial in u); its derivative by the product rule.
    const Real n_full = n_value * u;
    const Real n_full_slope = n_slope * u + n_value;
    return {value + n_full, slope - u * u * n_full_slope};
  }
};

/// One scale-Hamiltonian model: the β function and the F function.
template <class Real>
struct model {
  using real_type = Real;
  polynomial<Real> beta;
  laurent<Real> F;

  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> beta_at(Real g) const { return beta.eval(g); }
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> F_at(Real g) const { return F.eval(g); }
  SCALEHAM_HD bool F_singular_at_zero() const { return F.singular_at_zero(); }
};

/// Which powers a model has: the highest power of β, and the highest positive
/// and negative powers of F. Constant along a path, so integrators find it
/// once instead of scanning the coefficients at every evaluation.
struct model_shape {
  int beta_degree;
  int F_positive;
  int F_negative;
  SCALEHAM_HD bool operator==(const model_shape& o) const {
    return beta_degree == o.beta_degree && F_positive == o.F_positive && F_negative == o.F_negative;
  }
};

template <class Real>
SCALEHAM_HD model_shape shape_of(const model<Real>& m) {
  return {m.beta.degree(), m.F.positive_order(), m.F.negative_order()};
}

/// A built-in model with its shape found once: the evaluations skip the
/// coefficient scan and equal model<Real>'s bit for bit. Holds a reference:
/// the model must outlive it (a path's integrator holds both). Real may be a
/// SIMD batch of lanes (the CPU backend), one shape for all lanes.
template <class Real>
struct shaped_model {
  using real_type = Real;
  const model<Real>& m;
  model_shape shape;

  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> beta_at(Real g) const {
    return m.beta.eval(g, shape.beta_degree);
  }
  SCALEHAM_INLINE SCALEHAM_HD value_slope<Real> F_at(Real g) const {
    return m.F.eval(g, shape.F_positive, shape.F_negative);
  }
  SCALEHAM_HD bool F_singular_at_zero() const { return shape.F_negative > 0; }
};

/// The form of a model its integrators evaluate: a built-in model with its
/// shape, any other model as it is.
template <class Real>
SCALEHAM_HD shaped_model<Real> evaluation_form(const model<Real>& m) {
  return {m, shape_of(m)};
}
template <class Model>
SCALEHAM_HD const Model& evaluation_form(const Model& m) {
  return m;
}

/// The paper's model: β = λ g, F = A / g.
template <class Real>
SCALEHAM_HD model<Real> paper_model(Real lambda, Real A) {
  model<Real> m;
  m.beta.b[1] = lambda;
  m.F.coeff(-1) = A;
  return m;
}

}  // namespace scaleham
