/// \file action.hpp
/// The Hamilton–Jacobi action of the scale Hamiltonian.
///
/// With S independent of ℓ the HJ equation reduces to β S' + F = 0, so
///
///   S(g) − S(g_ref) = −∫_{g_ref}^{g} F(x)/β(x) dx.
///
/// For the paper's model (β = λg, F = A/g): S(g) − S(g_ref) = A/(λg) − A/(λ g_ref).
#pragma once

#include <cmath>

#include "scaleham/config.hpp"
#include "scaleham/model.hpp"
#include "scaleham/quadrature.hpp"
#include "scaleham/status.hpp"

namespace scaleham {

namespace detail {

/// The integrand −F/β, either in x itself or in u = ln(x/sign) (x = sign·e^u,
/// dx = x du). The log variable is used whenever the interval does not contain
/// 0: power laws in x become exponentials in u, so steep integrands near g → 0
/// need few subintervals. Remembers whether β vanished or changed sign at any
/// node, which means a pole inside the interval.
template <class Model, class Real>
struct action_integrand {
  const Model& m;
  bool log_variable;
  Real sign;
  int beta_sign = 0;
  bool beta_crossed_zero = false;

  SCALEHAM_HD Real operator()(Real t) {
    const Real x = log_variable ? sign * std::exp(t) : t;
    const Real beta = m.beta_at(x).value;
    const int s = beta > Real(0) ? 1 : (beta < Real(0) ? -1 : 0);
    if (s == 0 || (beta_sign != 0 && s != beta_sign)) beta_crossed_zero = true;
    beta_sign = s;
    const Real dx_dt = log_variable ? x : Real(1);
    return -m.F_at(x).value / beta * dx_dt;
  }
};

}  // namespace detail

/// S(g) − S(g_ref) = −∫_{g_ref}^{g} F/β dx by adaptive Gauss–Kronrod in ln|x|.
///
/// Status: ok; singular_integrand when the interval reaches g = 0 (or crosses
/// it) while F has negative powers, or β is zero at an end or changes sign
/// inside (a pole of F/β: the action diverges); not_converged (e.g. a double
/// zero of β, where the integral diverges without a sign change); non_finite;
/// invalid_options (non-finite ends or bad tolerances).
template <class Model, class Real>
SCALEHAM_HD quadrature_result<Real> hj_action(const Model& m, Real g_ref, Real g,
                                              const quadrature_options<Real>& opt = {}) {
  if (!valid_options(opt) || !std::isfinite(g_ref) || !std::isfinite(g))
    return {Real(0), Real(0), 0, 0, status::invalid_options};
  if (g == g_ref) return {Real(0), Real(0), 0, 0, status::ok};
  const Real zero = Real(0);
  // An interval that touches or crosses g = 0 cannot use ln|x|; the action only
  // converges there if neither F nor F/β has a pole at 0, which needs F(0) finite
  // and β(0) != 0 — otherwise the integral diverges.
  const bool touches_zero = (g_ref <= zero && g >= zero) || (g_ref >= zero && g <= zero);
  if (touches_zero) {
    if (m.F_singular_at_zero() || m.beta_at(zero).value == zero)
      return {Real(0), Real(0), 0, 0, status::singular_integrand};
  }
  if (m.beta_at(g_ref).value == zero || m.beta_at(g).value == zero)
    return {Real(0), Real(0), 0, 0, status::singular_integrand};
  // Rare (β(0) != 0 and polynomial F) intervals through 0 are integrated in x.
  const Real sign = g > zero ? Real(1) : Real(-1);
  detail::action_integrand<Model, Real> f{m, !touches_zero, sign};
  quadrature_result<Real> r =
      touches_zero ? integrate_adaptive(f, g_ref, g, opt)
                   : integrate_adaptive(f, std::log(sign * g_ref), std::log(sign * g), opt);
  if (f.beta_crossed_zero) r.code = status::singular_integrand;
  return r;
}

}  // namespace scaleham
