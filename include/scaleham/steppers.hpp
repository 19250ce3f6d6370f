/// \file steppers.hpp
/// Integrators of the flow: classic RK4 (fixed step) and Dormand–Prince 5(4)
/// with error control, both with the same stop events.
///
/// Every path ends with a status code (status.hpp), never a crash and never a
/// silent NaN: a non-finite state stops the path (RK4) or forces a smaller step
/// (DOPRI5), and the returned end state is always the last finite one.
///
/// Stop events, checked after every accepted step:
///  - g reaches `g_target` (if `use_target`): status::target_reached;
///  - g leaves the open interval (g_min, g_max): status::left_domain.
/// The crossing is located by regula falsi on the fraction of the last step, so
/// the end state lies on the target or boundary to within rounding, at the
/// stepper's own accuracy.
#pragma once

#include <cmath>
#include "scaleham/numeric.hpp"

#include "scaleham/config.hpp"
#include "scaleham/flow.hpp"
#include "scaleham/model.hpp"
#include "scaleham/status.hpp"

namespace scaleham {

/// Where a path must stop before the end of its ℓ span.
template <class Real>
struct stop_events {
  Real g_min = -real_limits<Real>::infinity();  ///< lower edge of the open g domain
  Real g_max = real_limits<Real>::infinity();   ///< upper edge of the open g domain
  bool use_target = false;                              ///< stop when g reaches g_target
  Real g_target = Real(0);
};

/// Error-control settings of the adaptive integrator.
template <class Real>
struct dopri5_options {
  Real rtol = Real(1e-8);   ///< relative tolerance, 0 or in [10 ε, 1)
  Real atol = Real(1e-10);  ///< absolute tolerance, >= 0 (rtol + atol > 0)
  Real h_initial = Real(0); ///< first step; 0 chooses it automatically (Hairer's estimate)
  Real h_min = Real(0);     ///< smallest |step|; a floor of 16 ε·|ℓ| always applies
  int max_steps = 100000;   ///< budget of step attempts (accepted + rejected)
};

/// How a path ended.
template <class Real>
struct path_result {
  phase_point<Real> end;  ///< state at the end (last finite state if the path failed)
  Real ell;               ///< RG time ℓ reached
  int steps;              ///< accepted steps
  int rejected;           ///< rejected step attempts (always 0 for RK4)
  int evaluations;        ///< right-hand-side evaluations, event location included
  Real h_drift;           ///< |H(end) − H(start)| / (|p0 β(g0)| + |F(g0)|)
  status code;
};

/// Relative drift of H between two states, measured against the size of H's
/// terms at the first (H itself is zero on the HJ manifold).
///
/// Where p·β overflows (|p| near the top of the range) the ratio is taken
/// again with p and F divided by 4·max(|p_start|, |p_end|, 1): the same ratio,
/// with every term below a quarter of the range. It is non-finite only when β
/// or F is itself Inf/NaN at one of the two states.
template <class Model, class Real>
SCALEHAM_HD Real relative_h_drift(const Model& m, const phase_point<Real>& start,
                                  const phase_point<Real>& end) {
  const Real change = std::fabs(hamiltonian(m, end.g, end.p) - hamiltonian(m, start.g, start.p));
  const Real scale = hamiltonian_scale(m, start.g, start.p);
  const Real drift = scale > Real(0) ? change / scale : change;
  if (std::isfinite(drift)) return drift;
  const Real shrink = Real(4) * std::fmax(std::fmax(std::fabs(start.p), std::fabs(end.p)), Real(1));
  const Real beta0 = m.beta_at(start.g).value, beta1 = m.beta_at(end.g).value;
  const Real F0 = m.F_at(start.g).value / shrink, F1 = m.F_at(end.g).value / shrink;
  const Real t0 = (start.p / shrink) * beta0, t1 = (end.p / shrink) * beta1;
  const Real scaled_change = std::fabs((t1 - t0) + (F1 - F0));
  const Real scaled_scale = std::fabs(t0) + std::fabs(F0);
  return scaled_scale > Real(0) ? scaled_change / scaled_scale : scaled_change;
}

/// One classic Runge–Kutta step of size h (4 evaluations of the field f, a
/// flow_field; Real may be a SIMD batch of lanes, rounding as the scalar code).
template <class Real, class Field>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> rk4_step(const Field& f, const phase_point<Real>& y, Real h) {
  const Real half = Real(0.5) * h;
  const phase_point<Real> k1 = f(y);
  const phase_point<Real> k2 = f(y + half * k1);
  const phase_point<Real> k3 = f(y + half * k2);
  const phase_point<Real> k4 = f(y + h * k3);
  return y + (h / Real(6)) * (k1 + Real(2) * (k2 + k3) + k4);
}

/// The same for a model (its shape found at each call).
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD phase_point<Real> rk4_step(const model<Real>& m, const phase_point<Real>& y, Real h) {
  return rk4_step(flow_field_of(m), y, h);
}

/// Result of one Dormand–Prince step: the 5th-order solution, the embedded
/// error estimate y5 − y4, and f(y5) (first stage of the next step: FSAL).
template <class Real>
struct dopri5_step_result {
  phase_point<Real> y;
  phase_point<Real> error;
  phase_point<Real> f_end;
};

/// One Dormand–Prince 5(4) step of size h from y, given f0 = f(y) (6 new
/// evaluations of the field f; Real may be a SIMD batch of lanes).
template <class Real, class Field>
SCALEHAM_INLINE SCALEHAM_HD dopri5_step_result<Real> dopri5_step(const Field& f, const phase_point<Real>& y,
                                                 const phase_point<Real>& f0, Real h) {
  using R = Real;
  const phase_point<Real> k1 = f0;
  const phase_point<Real> k2 = f(y + (h * (R(1) / R(5))) * k1);
  const phase_point<Real> k3 =
      f(y + h * ((R(3) / R(40)) * k1 + (R(9) / R(40)) * k2));
  const phase_point<Real> k4 = f(
      y + h * ((R(44) / R(45)) * k1 - (R(56) / R(15)) * k2 + (R(32) / R(9)) * k3));
  const phase_point<Real> k5 =
      f(y + h * ((R(19372) / R(6561)) * k1 - (R(25360) / R(2187)) * k2 +
                           (R(64448) / R(6561)) * k3 - (R(212) / R(729)) * k4));
  const phase_point<Real> k6 =
      f(y + h * ((R(9017) / R(3168)) * k1 - (R(355) / R(33)) * k2 +
                           (R(46732) / R(5247)) * k3 + (R(49) / R(176)) * k4 -
                           (R(5103) / R(18656)) * k5));
  const phase_point<Real> y5 =
      y + h * ((R(35) / R(384)) * k1 + (R(500) / R(1113)) * k3 + (R(125) / R(192)) * k4 -
               (R(2187) / R(6784)) * k5 + (R(11) / R(84)) * k6);
  const phase_point<Real> k7 = f(y5);
  // Difference of the 5th- and embedded 4th-order weights.
  const phase_point<Real> error =
      h * ((R(71) / R(57600)) * k1 - (R(71) / R(16695)) * k3 + (R(71) / R(1920)) * k4 -
           (R(17253) / R(339200)) * k5 + (R(22) / R(525)) * k6 - (R(1) / R(40)) * k7);
  return {y5, error, k7};
}

/// The same for a model (its shape found at each call).
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD dopri5_step_result<Real> dopri5_step(const model<Real>& m, const phase_point<Real>& y,
                                                 const phase_point<Real>& f0, Real h) {
  return dopri5_step(flow_field_of(m), y, f0, h);
}

namespace detail {

// Step functors: "advance y by h" for the event locator.
template <class Real, class Model>
struct rk4_advance {
  flow_field<Real, Model> f;
  SCALEHAM_HD phase_point<Real> operator()(const phase_point<Real>& y, Real h) const {
    return rk4_step(f, y, h);
  }
  static constexpr int evaluations = 4;
};

template <class Real, class Model>
struct dopri5_advance {
  flow_field<Real, Model> f;
  phase_point<Real> f0;
  SCALEHAM_HD phase_point<Real> operator()(const phase_point<Real>& y, Real h) const {
    return dopri5_step(f, y, f0, h).y;
  }
  static constexpr int evaluations = 6;
};

/// Finds θ in (0, 1] with g(advance(y, θh)) = level, given that g crosses level
/// between y (θ = 0) and y_next (θ = 1), by the Illinois variant of regula falsi.
/// Returns the state at the crossing with its g set exactly to level.
template <class Real, class Advance>
SCALEHAM_HD phase_point<Real> locate_crossing(const Advance& advance, const phase_point<Real>& y,
                                              const phase_point<Real>& y_next, Real h, Real level,
                                              Real& theta_out, int& evaluations) {
  Real lo = Real(0), hi = Real(1);
  Real f_lo = y.g - level, f_hi = y_next.g - level;
  phase_point<Real> at = y_next;
  Real theta = Real(1);
  int side = 0;
  const Real tol = Real(4) * real_limits<Real>::epsilon() *
                   (std::fabs(level) + std::fabs(y.g - y_next.g));
  for (int iter = 0; iter < 60 && std::fabs(f_hi - f_lo) > Real(0); ++iter) {
    theta = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
    at = advance(y, theta * h);
    evaluations += Advance::evaluations;
    const Real f = at.g - level;
    if (std::fabs(f) <= tol || hi - lo <= real_limits<Real>::epsilon()) break;
    if ((f < Real(0)) == (f_lo < Real(0))) {
      lo = theta, f_lo = f;
      if (side == -1) f_hi *= Real(0.5);  // Illinois: halve the stale end
      side = -1;
    } else {
      hi = theta, f_hi = f;
      if (side == +1) f_lo *= Real(0.5);
      side = +1;
    }
  }
  theta_out = theta;
  at.g = level;
  return at;
}

/// Which stop event (if any) the step y -> y_next triggers, and at what level.
template <class Real>
SCALEHAM_HD status crossed_event(const stop_events<Real>& ev, Real g, Real g_next, Real& level) {
  if (ev.use_target && (g - ev.g_target) * (g_next - ev.g_target) <= Real(0) &&
      g != ev.g_target) {
    level = ev.g_target;
    return status::target_reached;
  }
  if (!(g_next > ev.g_min)) {
    level = ev.g_min;
    return status::left_domain;
  }
  if (!(g_next < ev.g_max)) {
    level = ev.g_max;
    return status::left_domain;
  }
  return status::ok;
}

/// Checks the initial state: finite and strictly inside the domain.
template <class Real>
SCALEHAM_HD bool valid_start(const phase_point<Real>& y0, const stop_events<Real>& ev) {
  return is_finite(y0) && y0.g > ev.g_min && y0.g < ev.g_max && !(ev.g_min >= ev.g_max);
}


/// Hairer's weighted RMS norm of an error vector against the tolerances.
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD Real error_norm(const phase_point<Real>& e, const phase_point<Real>& y0,
                            const phase_point<Real>& y1, Real rtol, Real atol) {
  // Unqualified fabs, sqrt and larger_of: for SIMD lanes (Real a batch) the
  // lane library's versions are found by argument-dependent lookup; all three
  // are exact per lane, so lanes round as the scalar code.
  using std::fabs;
  using std::sqrt;
  const Real sg = atol + rtol * larger_of(fabs(y0.g), fabs(y1.g));
  const Real sp = atol + rtol * larger_of(fabs(y0.p), fabs(y1.p));
  const Real sS = atol + rtol * larger_of(fabs(y0.S), fabs(y1.S));
  const Real rg = e.g / sg, rp = e.p / sp, rS = e.S / sS;
  return sqrt((rg * rg + rp * rp + rS * rS) / Real(3));
}

/// The path's result. A path that claims success has a finite H drift: H
/// itself Inf/NaN at the start or the end (F or β infinite there, e.g. g
/// stopped exactly on a pole) makes it non_finite.
template <class Model, class Real>
SCALEHAM_HD path_result<Real> finish(const Model& m, const phase_point<Real>& y0,
                                     const phase_point<Real>& end, Real ell, int steps,
                                     int rejected, int evaluations, status code) {
  const Real drift = relative_h_drift(m, y0, end);
  if (succeeded(code) && !std::isfinite(drift)) code = status::non_finite;
  return {end, ell, steps, rejected, evaluations, drift, code};
}

}  // namespace detail

namespace detail {

/// The RK4 loop from step `first` on, y being the state after `first` steps
/// (bitwise what the loop had there). integrate_rk4 starts it at step 0; the
/// CPU backend's SIMD lanes hand a lane over to it at the step where that lane
/// stops, so the stop is located exactly as here.
template <class Real, class Model>
SCALEHAM_HD path_result<Real> continue_rk4(const flow_field<Real, Model>& f, const phase_point<Real>& y0,
                                           Real ell_end, int n_steps, const stop_events<Real>& events,
                                           int first, phase_point<Real> y) {
  const Real h = ell_end / Real(n_steps);
  const rk4_advance<Real, Model> advance{f};
  int evaluations = 4 * first;
  for (int i = first; i < n_steps; ++i) {
    const Real ell = h * Real(i);
    const phase_point<Real> y_next = advance(y, h);
    evaluations += 4;
    if (!is_finite(y_next)) return finish(f.m, y0, y, ell, i, 0, evaluations, status::non_finite);
    Real level;
    const status event = crossed_event(events, y.g, y_next.g, level);
    if (event != status::ok) {
      Real theta;
      const phase_point<Real> at = locate_crossing(advance, y, y_next, h, level, theta, evaluations);
      return finish(f.m, y0, at, ell + theta * h, i + 1, 0, evaluations, event);
    }
    y = y_next;
  }
  return finish(f.m, y0, y, ell_end, n_steps, 0, evaluations, status::ok);
}

}  // namespace detail

/// Why an RK4 path cannot start (invalid_options: n_steps <= 0 or ell_end
/// not finite; invalid_initial_state), or ok.
template <class Real>
SCALEHAM_HD status rk4_start_status(const phase_point<Real>& y0, Real ell_end, int n_steps,
                                    const stop_events<Real>& events) {
  if (n_steps <= 0 || !std::isfinite(ell_end)) return status::invalid_options;
  if (!detail::valid_start(y0, events)) return status::invalid_initial_state;
  return status::ok;
}

/// Integrates the flow from y0 at ℓ = 0 to ℓ = ell_end (either sign) in
/// n_steps equal RK4 steps, stopping early on an event or a non-finite state.
/// Status: ok, target_reached, left_domain, non_finite, invalid_options
/// (n_steps <= 0 or ell_end not finite), invalid_initial_state.
template <class Model, class Real>
SCALEHAM_HD path_result<Real> integrate_rk4(const Model& m, const phase_point<Real>& y0,
                                            Real ell_end, int n_steps,
                                            const stop_events<Real>& events = {}) {
  const status start = rk4_start_status(y0, ell_end, n_steps, events);
  if (start != status::ok) return {y0, Real(0), 0, 0, 0, Real(0), start};
  return detail::continue_rk4(flow_field_of(m), y0, ell_end, n_steps, events, 0, y0);
}

/// True when the tolerances and budgets of `opt` make sense for precision Real.
template <class Real>
SCALEHAM_HD bool valid_options(const dopri5_options<Real>& opt) {
  const Real eps = real_limits<Real>::epsilon();
  const bool finite = std::isfinite(opt.rtol) && std::isfinite(opt.atol) &&
                      std::isfinite(opt.h_initial) && std::isfinite(opt.h_min);
  return finite && opt.rtol >= Real(0) && opt.rtol < Real(1) && opt.atol >= Real(0) &&
         opt.rtol + opt.atol > Real(0) && (opt.rtol == Real(0) || opt.rtol >= Real(10) * eps) &&
         opt.h_initial >= Real(0) && opt.h_min >= Real(0) && opt.max_steps > 0;
}

/// Where a Dormand–Prince path stands between two step attempts: everything
/// its loop carries, so the loop can be continued from it (see continue_dopri5).
template <class Real>
struct dopri5_state {
  phase_point<Real> y;  ///< state at ℓ
  phase_point<Real> f;  ///< f(y) (first stage of the next attempt: FSAL)
  Real h;               ///< next step to try (signed)
  Real ell;
  int steps, rejected, evaluations;
  bool last_rejected;
};

/// x^(−1/5) for x in [5e-6, 2000], to 2e-10 relative, for the step controller
/// without a pow per step (a pow cost as much as the rest of a SIMD step):
/// x is brought into [1, 32) by exact powers of 32 (x^(−1/5) by the matching
/// powers of 2), a rational function (max error 1.6e-3 there) gives a first
/// guess, and two Newton steps for y^(−5) = x square its error twice. Only
/// +, −, ×, ÷ and selections, so every backend and SIMD lane computes the same
/// value up to the contraction of a·b + c into FMAs on the GPU.
template <class Real>
SCALEHAM_HD Real inverse_fifth_root(Real x) {
  Real scale = Real(1);
  auto reduce = [&](bool_of<Real> when, Real by, Real root) {
    x = choose(when, x * by, x);
    scale = choose(when, scale * root, scale);
  };
  reduce(x < Real(1) / Real(1024), Real(1024), Real(4));
  reduce(x < Real(1) / Real(32), Real(32), Real(2));
  reduce(x < Real(1), Real(32), Real(2));
  reduce(x >= Real(1024), Real(1) / Real(1024), Real(0.25));
  reduce(x >= Real(32), Real(1) / Real(32), Real(0.5));
  Real y = (Real(1.34402612) + x * (Real(0.66014711) + x * Real(0.01300591))) /
           (Real(1) + x * (Real(0.98204752) + x * Real(0.03828144)));
  for (int i = 0; i < 2; ++i) {
    const Real y2 = y * y;
    y = y * (Real(1.2) - Real(0.2) * x * (y2 * y2 * y));
  }
  return scale * y;
}

/// The step controller: the factor for the next step from the error norm of
/// the last attempt (safety 0.9, exponent 1/5, growth clamped to [0.2, 10]).
/// Outside [5e-6, 2000] the clamp decides (0.9·err^(−1/5) ≥ 10 below
/// 0.09^5 = 5.9e-6, ≤ 0.2 above 4.5^5 = 1845); err 0 or NaN gives 10.
/// Branch-free, so SIMD lanes take it too (Real a batch).
template <class Real>
SCALEHAM_HD Real dopri5_step_factor(Real err) {
  const bool_of<Real> low = !(err > Real(5e-6)), high = err > Real(2000);
  const Real inside = choose(low || high, Real(1), err);
  const Real factor = smaller_of(Real(10), larger_of(Real(0.2), Real(0.9) * inverse_fifth_root(inside)));
  return choose(low, Real(10), choose(high, Real(0.2), factor));
}

/// The smallest step allowed at ℓ: opt.h_min, and a floor of 16 ε·max(|ℓ|, 1)
/// below which ℓ + h rounds back to ℓ.
/// (larger_of, not fmax, which g++ leaves as a library call: both are finite
/// and positive here, so the result is the same.)
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD Real dopri5_step_floor(const dopri5_options<Real>& opt, Real ell) {
  return larger_of(opt.h_min, Real(16) * real_limits<Real>::epsilon() * larger_of(std::fabs(ell), Real(1)));
}

/// Starts a Dormand–Prince path: checks, f(y0) and the first step. Returns
/// true with `state` ready for the loop, or false with the path already
/// finished in `done` (invalid input, ℓ span 0, f(y0) not finite).
template <class Real, class Model>
SCALEHAM_HD bool begin_dopri5(const flow_field<Real, Model>& field, const phase_point<Real>& y0, Real ell_end,
                              const dopri5_options<Real>& opt, const stop_events<Real>& events,
                              dopri5_state<Real>& state, path_result<Real>& done) {
  using std::fabs;
  using std::fmax;
  using std::fmin;
  const Model& m = field.m;
  const Real eps = real_limits<Real>::epsilon();
  if (!valid_options(opt) || !std::isfinite(ell_end)) {
    done = {y0, Real(0), 0, 0, 0, Real(0), status::invalid_options};
    return false;
  }
  if (!detail::valid_start(y0, events)) {
    done = {y0, Real(0), 0, 0, 0, Real(0), status::invalid_initial_state};
    return false;
  }
  if (ell_end == Real(0)) {
    done = detail::finish(m, y0, y0, Real(0), 0, 0, 0, status::ok);
    return false;
  }

  const Real direction = ell_end > Real(0) ? Real(1) : Real(-1);
  const phase_point<Real>& y = y0;
  const phase_point<Real> f = field(y);
  int evaluations = 1;
  if (!is_finite(f)) {
    done = detail::finish(m, y0, y, Real(0), 0, 0, evaluations, status::non_finite);
    return false;
  }

  // First step: user's, or Hairer's estimate from |y|, |f| and one Euler step.
  Real h = opt.h_initial;
  if (h == Real(0)) {
    const phase_point<Real> zero{Real(0), Real(0), Real(0)};
    const Real d0 = detail::error_norm(y, zero, y, opt.rtol, opt.atol);
    const Real d1 = detail::error_norm(f, zero, y, opt.rtol, opt.atol);
    Real h0 = (d0 < Real(1e-5) || d1 < Real(1e-5)) ? Real(1e-6) : Real(0.01) * d0 / d1;
    h0 = fmin(h0, fabs(ell_end));
    const phase_point<Real> f1 = field(y + (direction * h0) * f);
    ++evaluations;
    const Real d2 = detail::error_norm(f1 - f, zero, y, opt.rtol, opt.atol) / h0;
    const Real d = fmax(d1, d2);
    const Real h1 = (d <= Real(1e-15)) ? fmax(Real(1e-6), h0 * Real(1e-3))
                                       : std::pow(Real(0.01) / d, Real(1) / Real(5));
    h = fmin(Real(100) * h0, h1);
    if (!(h > Real(0)) || !std::isfinite(h)) h = Real(1e-6);
  }
  // The estimate can fall below the rounding floor of ℓ (float, S0 = 0, tiny
  // atol): start at the floor and let the controller take over from there.
  h = direction * fmin(fmax(fabs(h), Real(16) * eps), fabs(ell_end));
  state = {y, f, h, Real(0), 0, 0, evaluations, false};
  return true;
}

/// The Dormand–Prince loop from `st` on: integrate_dopri5 runs it from
/// begin_dopri5's state; the CPU backend's SIMD lanes hand a lane over to it
/// (with bitwise the state this loop had there) when the lane's next attempt
/// is anything but a plain accepted or rejected step.
template <class Real, class Model>
SCALEHAM_HD path_result<Real> continue_dopri5(const flow_field<Real, Model>& field, const phase_point<Real>& y0,
                                              Real ell_end, const dopri5_options<Real>& opt,
                                              const stop_events<Real>& events, dopri5_state<Real> st) {
  using std::fabs;
  using std::fmin;
  const Model& m = field.m;
  const Real direction = ell_end > Real(0) ? Real(1) : Real(-1);
  phase_point<Real> y = st.y, f = st.f;
  Real h = st.h, ell = st.ell;
  int steps = st.steps, rejected = st.rejected, evaluations = st.evaluations;
  bool last_rejected = st.last_rejected;
  while (true) {
    if (steps + rejected >= opt.max_steps)
      return detail::finish(m, y0, y, ell, steps, rejected, evaluations, status::max_steps);
    const Real h_floor = dopri5_step_floor(opt, ell);
    // Do not step past the end: the last step lands on ell_end exactly.
    const bool final_step = direction * (ell + h - ell_end) >= Real(0);
    if (final_step) h = ell_end - ell;
    if (fabs(h) < h_floor && !final_step)
      return detail::finish(m, y0, y, ell, steps, rejected, evaluations,
                            status::step_size_underflow);

    const dopri5_step_result<Real> trial = dopri5_step(field, y, f, h);
    evaluations += 6;
    if (!is_finite(trial.y) || !is_finite(trial.f_end)) {
      // Overflow or a pole inside the step: retry much smaller.
      ++rejected;
      last_rejected = true;
      if (fabs(h) <= h_floor)
        return detail::finish(m, y0, y, ell, steps, rejected, evaluations, status::non_finite);
      h *= Real(0.25);
      continue;
    }
    const Real err = detail::error_norm(trial.error, y, trial.y, opt.rtol, opt.atol);
    // No growth right after a rejection.
    Real factor = dopri5_step_factor(err);
    if (!(err <= Real(1))) {
      ++rejected;
      last_rejected = true;
      if (fabs(h) <= h_floor)
        return detail::finish(m, y0, y, ell, steps, rejected, evaluations,
                              status::step_size_underflow);
      h *= smaller_of(factor, Real(1));  // factor is in [0.2, 10]: fmin without the library call
      continue;
    }

    ++steps;
    Real level;
    const status event = detail::crossed_event(events, y.g, trial.y.g, level);
    if (event != status::ok) {
      Real theta;
      const detail::dopri5_advance<Real, Model> advance{field, f};
      const phase_point<Real> at =
          detail::locate_crossing(advance, y, trial.y, h, level, theta, evaluations);
      return detail::finish(m, y0, at, ell + theta * h, steps, rejected, evaluations, event);
    }
    y = trial.y;
    f = trial.f_end;
    ell = final_step ? ell_end : ell + h;
    if (final_step)
      return detail::finish(m, y0, y, ell, steps, rejected, evaluations, status::ok);
    if (last_rejected) factor = smaller_of(factor, Real(1));
    last_rejected = false;
    h *= factor;
  }
}

/// Integrates the flow from y0 at ℓ = 0 to ℓ = ell_end (either sign) with
/// Dormand–Prince 5(4), error per step held below rtol·|y| + atol (Hairer's
/// RMS norm over g, p, S), rejected steps retried smaller.
/// Status: ok, target_reached, left_domain, non_finite (no finite step could be
/// found), max_steps, step_size_underflow, invalid_options, invalid_initial_state.
template <class Model, class Real>
SCALEHAM_HD path_result<Real> integrate_dopri5(const Model& m, const phase_point<Real>& y0,
                                               Real ell_end, const dopri5_options<Real>& opt = {},
                                               const stop_events<Real>& events = {}) {
  const auto field = flow_field_of(m);
  dopri5_state<Real> state;
  path_result<Real> done;
  if (!begin_dopri5(field, y0, ell_end, opt, events, state, done)) return done;
  return continue_dopri5(field, y0, ell_end, opt, events, state);
}

}  // namespace scaleham
