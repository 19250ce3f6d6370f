/// \file quadrature.hpp
/// Adaptive Gauss–Kronrod (7/15-point) quadrature that runs per grid point on
/// the GPU: no recursion, no heap, a fixed-capacity list of subintervals.
///
/// Globally adaptive (QUADPACK QAG strategy): the subinterval with the largest
/// error estimate is bisected until the summed error is below
/// max(atol, rtol·|integral|) or the interval budget is spent. An integral that
/// cancels (|∫f| ≪ ∫|f|) is accepted once its error is at the rounding floor
/// 50 ε ∫|f|, which subdivision cannot lower; the error estimate says so.
#pragma once

#include <cmath>
#include "scaleham/numeric.hpp"

#include "scaleham/config.hpp"
#include "scaleham/status.hpp"

namespace scaleham {

/// Most subintervals one quadrature may hold (sets the per-thread memory).
inline constexpr int quadrature_capacity = 64;

template <class Real>
struct quadrature_options {
  Real rtol = Real(1e-11);               ///< relative tolerance on the integral
  Real atol = Real(0);                   ///< absolute tolerance on the integral
  int max_intervals = quadrature_capacity; ///< subinterval budget, 1..quadrature_capacity
};

template <class Real>
struct quadrature_result {
  Real value;       ///< the integral
  Real error;       ///< its estimated absolute error
  int evaluations;  ///< integrand evaluations
  int intervals;    ///< subintervals at the end
  status code;      ///< ok, not_converged, non_finite or invalid_options
};

/// True when the tolerances and the budget make sense for precision Real.
template <class Real>
SCALEHAM_HD bool valid_options(const quadrature_options<Real>& opt) {
  return std::isfinite(opt.rtol) && std::isfinite(opt.atol) && opt.rtol >= Real(0) &&
         opt.rtol < Real(1) && opt.atol >= Real(0) && opt.rtol + opt.atol > Real(0) &&
         opt.max_intervals >= 1 && opt.max_intervals <= quadrature_capacity;
}

namespace detail {

template <class Real>
struct gk15_estimate {
  Real value;
  Real error;
  Real roundoff;  ///< 50 ε ∫|f|: the error no subdivision can get below
};

/// Kronrod 15-point estimate of ∫_a^b f and QUADPACK's error estimate from the
/// embedded 7-point Gauss rule. b < a is allowed (the integral changes sign).
template <class Real, class Integrand>
SCALEHAM_HD gk15_estimate<Real> gk15(Integrand& f, Real a, Real b) {
  // Nodes (positive half, descending) and weights from QUADPACK's qk15.
  const Real xgk[8] = {Real(0.991455371120812639206854697526329),
                       Real(0.949107912342758524526189684047851),
                       Real(0.864864423359769072789712788640926),
                       Real(0.741531185599394439863864773280788),
                       Real(0.586087235467691130294144845693013),
                       Real(0.405845151377397166906606412076961),
                       Real(0.207784955007898467600689403773245),
                       Real(0)};
  const Real wgk[8] = {Real(0.022935322010529224963732008058970),
                       Real(0.063092092629978553290700663189204),
                       Real(0.104790010322250183839876322541518),
                       Real(0.140653259715525918745189590510238),
                       Real(0.169004726639267902826583426598550),
                       Real(0.190350578064785409913256402421014),
                       Real(0.204432940075298892414161999234649),
                       Real(0.209482141084727828012999174891714)};
  // Gauss weights of the nodes xgk[1], xgk[3], xgk[5], xgk[7].
  const Real wg[4] = {Real(0.129484966168869693270611432679082),
                      Real(0.279705391489276667901467771423780),
                      Real(0.381830050505118944950369775488975),
                      Real(0.417959183673469387755102040816327)};
  const Real center = Real(0.5) * (a + b);
  const Real half = Real(0.5) * (b - a);
  const Real f_center = f(center);
  Real kronrod = wgk[7] * f_center;
  Real gauss = wg[3] * f_center;
  Real abs_sum = std::fabs(kronrod);
  Real f_left[7], f_right[7];
  // Unrolled on the GPU: with constant indices the node and weight tables
  // become immediates and f_left/f_right stay in registers instead of local
  // memory, rebuilt and reloaded on every call (ptxas: stack frame 3648 →
  // 3360 bytes in double, 3328 → 2368 in float, spills a quarter). The
  // arithmetic, and so every result, is unchanged.
  SCALEHAM_UNROLL
  for (int j = 0; j < 7; ++j) {
    const Real dx = half * xgk[j];
    f_left[j] = f(center - dx);
    f_right[j] = f(center + dx);
    const Real pair = f_left[j] + f_right[j];
    kronrod += wgk[j] * pair;
    abs_sum += wgk[j] * (std::fabs(f_left[j]) + std::fabs(f_right[j]));
    if (j % 2 == 1) gauss += wg[j / 2] * pair;
  }
  const Real mean = kronrod * Real(0.5);
  Real spread = wgk[7] * std::fabs(f_center - mean);  // ∫|f − mean|, QUADPACK's resasc
  SCALEHAM_UNROLL
  for (int j = 0; j < 7; ++j)
    spread += wgk[j] * (std::fabs(f_left[j] - mean) + std::fabs(f_right[j] - mean));
  const Real abs_half = std::fabs(half);
  Real error = std::fabs((kronrod - gauss) * half);
  spread *= abs_half;
  abs_sum *= abs_half;
  // QUADPACK's scaling: |K − G| overestimates the Kronrod error for smooth f.
  if (spread != Real(0) && error != Real(0)) {
    const Real ratio = Real(200) * error / spread;
    error = spread * std::fmin(Real(1), ratio * std::sqrt(ratio));
  }
  const Real roundoff = Real(50) * real_limits<Real>::epsilon() * abs_sum;
  if (abs_sum > real_limits<Real>::min_normal() / (Real(50) * real_limits<Real>::epsilon()))
    error = std::fmax(roundoff, error);
  return {kronrod * half, error, roundoff};
}

}  // namespace detail

/// ∫_a^b f(x) dx for a callable `f` (Real -> Real; it may keep state, e.g. to
/// watch for poles). Either order of a and b. Status: ok; not_converged (budget
/// spent or subintervals at the rounding limit, best estimate returned);
/// non_finite (f returned Inf/NaN); invalid_options.
template <class Real, class Integrand>
SCALEHAM_HD quadrature_result<Real> integrate_adaptive(Integrand& f, Real a, Real b,
                                                       const quadrature_options<Real>& opt = {}) {
  if (!valid_options(opt) || !std::isfinite(a) || !std::isfinite(b))
    return {Real(0), Real(0), 0, 0, status::invalid_options};
  if (a == b) return {Real(0), Real(0), 0, 0, status::ok};

  Real lo[quadrature_capacity], hi[quadrature_capacity];
  Real value[quadrature_capacity], error[quadrature_capacity], roundoff[quadrature_capacity];
  int count = 1;
  int evaluations = 15;
  {
    const detail::gk15_estimate<Real> first = detail::gk15(f, a, b);
    lo[0] = a, hi[0] = b, value[0] = first.value, error[0] = first.error;
    roundoff[0] = first.roundoff;
  }
  const Real eps = real_limits<Real>::epsilon();
  while (true) {
    Real total = Real(0), total_error = Real(0), total_roundoff = Real(0);
    int worst = 0;
    for (int i = 0; i < count; ++i) {
      total += value[i];
      total_error += error[i];
      total_roundoff += roundoff[i];
      if (error[i] > error[worst]) worst = i;
    }
    if (!std::isfinite(total) || !std::isfinite(total_error))
      return {total, total_error, evaluations, count, status::non_finite};
    const Real tolerance = std::fmax(opt.atol, opt.rtol * std::fabs(total));
    if (total_error <= std::fmax(tolerance, Real(2) * total_roundoff))
      return {total, total_error, evaluations, count, status::ok};
    const Real mid = Real(0.5) * (lo[worst] + hi[worst]);
    const bool at_rounding_limit =
        std::fabs(hi[worst] - lo[worst]) <= Real(100) * eps * std::fabs(mid) ||
        mid == lo[worst] || mid == hi[worst];
    if (count >= opt.max_intervals || at_rounding_limit)
      return {total, total_error, evaluations, count, status::not_converged};
    const detail::gk15_estimate<Real> left = detail::gk15(f, lo[worst], mid);
    const detail::gk15_estimate<Real> right = detail::gk15(f, mid, hi[worst]);
    evaluations += 30;
    lo[count] = mid, hi[count] = hi[worst], value[count] = right.value, error[count] = right.error;
    roundoff[count] = right.roundoff;
    hi[worst] = mid, value[worst] = left.value, error[worst] = left.error;
    roundoff[worst] = left.roundoff;
    ++count;
  }
}

}  // namespace scaleham
