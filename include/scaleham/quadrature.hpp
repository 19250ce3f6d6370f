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
#include <cstdint>
#include "scaleham/numeric.hpp"

#include "scaleham/config.hpp"
#include "scaleham/status.hpp"

namespace scaleham {

/// Most subintervals one quadrature may hold (sets the per-thread memory).
inline constexpr int quadrature_capacity = 64;

/// Subintervals a device thread keeps in its own (local) memory; a quadrature
/// that needs more continues in quadrature_options::scratch. On the host every
/// quadrature keeps all quadrature_capacity of them in its own frame.
#ifndef SCALEHAM_DEVICE_QUADRATURE_INTERVALS
#define SCALEHAM_DEVICE_QUADRATURE_INTERVALS 4
#endif
inline constexpr int device_quadrature_intervals = SCALEHAM_DEVICE_QUADRATURE_INTERVALS;

template <class Real>
struct quadrature_options {
  Real rtol = Real(1e-11);               ///< relative tolerance on the integral
  Real atol = Real(0);                   ///< absolute tolerance on the integral
  int max_intervals = quadrature_capacity; ///< subinterval budget, 1..quadrature_capacity
  /// Device code only: this thread's overflow storage for subintervals beyond
  /// device_quadrature_intervals, 5 × quadrature_capacity values at
  /// scratch[k · scratch_stride] (k = 0, 1, ...; interleaved across threads so
  /// that a warp's accesses coalesce). Without it a device quadrature that
  /// needs more subintervals ends not_converged there. Ignored on the host.
  Real* scratch = nullptr;
  std::uint64_t scratch_stride = 1;
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

namespace detail {

/// The subinterval list in a thread's own arrays (registers or local memory).
template <class Real, int N>
struct local_intervals {
  Real lo_[N], hi_[N], value_[N], error_[N], roundoff_[N];
  SCALEHAM_HD Real& lo(int i) { return lo_[i]; }
  SCALEHAM_HD Real& hi(int i) { return hi_[i]; }
  SCALEHAM_HD Real& value(int i) { return value_[i]; }
  SCALEHAM_HD Real& error(int i) { return error_[i]; }
  SCALEHAM_HD Real& roundoff(int i) { return roundoff_[i]; }
};

/// The subinterval list in caller-provided memory, entry k at base[k · stride].
template <class Real>
struct strided_intervals {
  Real* base;
  std::uint64_t stride;
  SCALEHAM_HD Real& at(int field, int i) const {
    return base[std::uint64_t(field * quadrature_capacity + i) * stride];
  }
  SCALEHAM_HD Real& lo(int i) const { return at(0, i); }
  SCALEHAM_HD Real& hi(int i) const { return at(1, i); }
  SCALEHAM_HD Real& value(int i) const { return at(2, i); }
  SCALEHAM_HD Real& error(int i) const { return at(3, i); }
  SCALEHAM_HD Real& roundoff(int i) const { return at(4, i); }
};

/// The globally adaptive loop over `count` subintervals held in `list`, which
/// has room for `room`. Returns true with `out` set when the quadrature ends;
/// false, with the list untouched since the last bisection, when it must
/// bisect but the list is full although the budget allows more (the caller
/// then moves the list somewhere larger and calls again).
template <class Real, class Integrand, class List>
SCALEHAM_HD bool adaptive_loop(Integrand& f, const quadrature_options<Real>& opt, List& list, int room,
                               int& count, int& evaluations, quadrature_result<Real>& out) {
  const Real eps = real_limits<Real>::epsilon();
  while (true) {
    Real total = Real(0), total_error = Real(0), total_roundoff = Real(0);
    int worst = 0;
    for (int i = 0; i < count; ++i) {
      total += list.value(i);
      total_error += list.error(i);
      total_roundoff += list.roundoff(i);
      if (list.error(i) > list.error(worst)) worst = i;
    }
    if (!std::isfinite(total) || !std::isfinite(total_error)) {
      out = {total, total_error, evaluations, count, status::non_finite};
      return true;
    }
    const Real tolerance = std::fmax(opt.atol, opt.rtol * std::fabs(total));
    if (total_error <= std::fmax(tolerance, Real(2) * total_roundoff)) {
      out = {total, total_error, evaluations, count, status::ok};
      return true;
    }
    const Real lo = list.lo(worst), hi = list.hi(worst);
    const Real mid = Real(0.5) * (lo + hi);
    const bool at_rounding_limit =
        std::fabs(hi - lo) <= Real(100) * eps * std::fabs(mid) || mid == lo || mid == hi;
    if (count >= opt.max_intervals || at_rounding_limit) {
      out = {total, total_error, evaluations, count, status::not_converged};
      return true;
    }
    if (count >= room) return false;
    const gk15_estimate<Real> left = gk15(f, lo, mid);
    const gk15_estimate<Real> right = gk15(f, mid, hi);
    evaluations += 30;
    list.lo(count) = mid, list.hi(count) = hi, list.value(count) = right.value, list.error(count) = right.error;
    list.roundoff(count) = right.roundoff;
    list.hi(worst) = mid, list.value(worst) = left.value, list.error(worst) = left.error;
    list.roundoff(worst) = left.roundoff;
    ++count;
  }
}

}  // namespace detail

/// integrate_adaptive with the first `Room` subintervals in this frame and the
/// rest in opt.scratch (all of them in this frame when Room is
/// quadrature_capacity): the same operations in the same order as with every
/// subinterval here, so the same result. Without scratch, a quadrature that
/// needs more than Room subintervals ends not_converged with the best estimate.
template <int Room, class Real, class Integrand>
SCALEHAM_HD quadrature_result<Real> integrate_adaptive_in(Integrand& f, Real a, Real b,
                                                          const quadrature_options<Real>& opt) {
  static_assert(Room >= 1 && Room <= quadrature_capacity, "room for 1 .. quadrature_capacity subintervals");
  if (!valid_options(opt) || !std::isfinite(a) || !std::isfinite(b))
    return {Real(0), Real(0), 0, 0, status::invalid_options};
  if (a == b) return {Real(0), Real(0), 0, 0, status::ok};

  detail::local_intervals<Real, Room> list;
  int count = 1;
  int evaluations = 15;
  {
    const detail::gk15_estimate<Real> first = detail::gk15(f, a, b);
    list.lo(0) = a, list.hi(0) = b, list.value(0) = first.value, list.error(0) = first.error;
    list.roundoff(0) = first.roundoff;
  }
  quadrature_result<Real> out;
  if (detail::adaptive_loop(f, opt, list, Room, count, evaluations, out)) return out;
  if (opt.scratch != nullptr) {  // move the list to the scratch and go on there
    detail::strided_intervals<Real> wide{opt.scratch, opt.scratch_stride};
    for (int i = 0; i < count; ++i) {
      wide.lo(i) = list.lo(i), wide.hi(i) = list.hi(i), wide.value(i) = list.value(i);
      wide.error(i) = list.error(i), wide.roundoff(i) = list.roundoff(i);
    }
    if (detail::adaptive_loop(f, opt, wide, quadrature_capacity, count, evaluations, out)) return out;
  }
  Real total = Real(0), total_error = Real(0);
  for (int i = 0; i < count; ++i) total += list.value(i), total_error += list.error(i);
  return {total, total_error, evaluations, count, status::not_converged};
}

/// ∫_a^b f(x) dx for a callable `f` (Real -> Real; it may keep state, e.g. to
/// watch for poles). Either order of a and b. Status: ok; not_converged (budget
/// spent or subintervals at the rounding limit, best estimate returned);
/// non_finite (f returned Inf/NaN); invalid_options.
///
/// On the host every subinterval lives in this frame (quadrature_capacity of
/// them). In device code the first device_quadrature_intervals do, and the
/// list continues in opt.scratch beyond them (integrate_adaptive_in): the same
/// result with a small stack.
template <class Real, class Integrand>
SCALEHAM_HD quadrature_result<Real> integrate_adaptive(Integrand& f, Real a, Real b,
                                                       const quadrature_options<Real>& opt = {}) {
#if defined(__CUDA_ARCH__)
  constexpr int room = device_quadrature_intervals < quadrature_capacity ? device_quadrature_intervals
                                                                          : quadrature_capacity;
#else
  constexpr int room = quadrature_capacity;
#endif
  return integrate_adaptive_in<room>(f, a, b, opt);
}

}  // namespace scaleham
