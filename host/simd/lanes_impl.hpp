// The lane loops of flow_lanes.hpp, generic over the xsimd instruction set.
// Included only by lanes_<isa>.cpp, each compiled for its instruction set.
//
// Everything here is either arithmetic on batches (whose functions are
// instantiated with the batch type, so their symbols cannot be shared with
// baseline code) or bookkeeping on plain arrays; the scalar loops are reached
// only through the handover pointers.
#pragma once

#include <xsimd/xsimd.hpp>

#include "simd/flow_lanes.hpp"

// The core's larger_of, smaller_of and choose (steppers.hpp) lane by lane,
// found there by argument-dependent lookup: the same comparisons and
// selections as the scalar code, per lane.
namespace xsimd {
template <class T, class A>
inline batch<T, A> larger_of(const batch<T, A>& a, const batch<T, A>& b) {
  return select(a > b, a, b);
}
template <class T, class A>
inline batch<T, A> smaller_of(const batch<T, A>& a, const batch<T, A>& b) {
  return select(a < b, a, b);
}
template <class T, class A>
inline batch<T, A> choose(const batch_bool<T, A>& cond, const batch<T, A>& a, const batch<T, A>& b) {
  return select(cond, a, b);
}
}  // namespace xsimd

namespace scaleham::lanes {

template <class Real, class Arch>
struct lane_types {
  using vec = xsimd::batch<Real, Arch>;
  static constexpr int width = static_cast<int>(vec::size);
  static_assert(width <= max_lanes, "more lanes than a group holds");
};

/// Builds a batch from one value per lane; lanes at or beyond g.count repeat lane 0.
template <class V, class Real, class Get>
V gather(const group<Real>& g, Get get) {
  alignas(64) Real v[V::size];
  for (int l = 0; l < int(V::size); ++l) v[l] = get(l < g.count ? l : 0);
  return V::load_aligned(v);
}

template <class Real, class Arch>
model<xsimd::batch<Real, Arch>> gather_model(const group<Real>& g) {
  using V = xsimd::batch<Real, Arch>;
  model<V> m;
  for (int k = 0; k <= max_beta_degree; ++k)
    m.beta.b[k] = gather<V>(g, [&](int l) { return g.start[l]->m.beta.b[k]; });
  for (int k = 0; k < 2 * max_laurent_order + 1; ++k)
    m.F.f[k] = gather<V>(g, [&](int l) { return g.start[l]->m.F.f[k]; });
  return m;
}

/// Lane l of a batch state.
template <class V, class Real = typename V::value_type>
phase_point<Real> lane_of(const phase_point<V>& y, int l) {
  return {y.g.get(std::size_t(l)), y.p.get(std::size_t(l)), y.S.get(std::size_t(l))};
}

/// Lanes (below `count`) where the batch condition holds, as bits.
template <class B>
unsigned lanes_where(const B& condition, int count) {
  if (!xsimd::any(condition)) return 0;
  alignas(64) bool b[B::size];
  condition.store_aligned(b);
  unsigned bits = 0;
  for (int l = 0; l < count; ++l) bits |= unsigned(b[l]) << l;
  return bits;
}

/// True where the step y → y_next may trigger a stop event or is not finite: a
/// superset of what the scalar loop stops for (it decides, after the handover).
template <class V, class Real>
auto may_stop(const stop_events<Real>& ev, const phase_point<V>& y, const phase_point<V>& y_next) {
  auto stop = !(xsimd::isfinite(y_next.g) && xsimd::isfinite(y_next.p) && xsimd::isfinite(y_next.S)) ||
              !(y_next.g > V(ev.g_min)) || !(y_next.g < V(ev.g_max));
  if (ev.use_target) {
    const V t(ev.g_target);
    stop = stop || ((y.g - t) * (y_next.g - t) <= V(Real(0)));
  }
  return stop;
}

/// RK4 on the lanes of one group: the loop of continue_rk4 with every lane in
/// step; a lane that may stop is handed over at that step.
template <class Real, class Arch>
void rk4_group(const group<Real>& g, const handover<Real>& ho) {
  using V = xsimd::batch<Real, Arch>;
  const point_settings<Real>& s = *ho.settings;
  const model<V> m = gather_model<Real, Arch>(g);
  const flow_field<V> field{{m, g.shape}};
  phase_point<V> y{gather<V>(g, [&](int l) { return g.start[l]->y0.g; }),
                   gather<V>(g, [&](int l) { return g.start[l]->y0.p; }),
                   gather<V>(g, [&](int l) { return g.start[l]->y0.S; })};
  const V ell_end = gather<V>(g, [&](int l) { return g.start[l]->ell_end; });
  const int n = s.rk4_steps;
  const V h = ell_end / V(Real(n));  // as continue_rk4: ell_end / Real(n_steps)
  unsigned running = (1u << g.count) - 1;
  for (int i = 0; i < n && running != 0; ++i) {
    const phase_point<V> y_next = rk4_step(field, y, h);
    if (const unsigned stopping = lanes_where(may_stop(s.events, y, y_next), g.count) & running) {
      for (int l = 0; l < g.count; ++l)
        if (stopping >> l & 1u) *g.out[l] = ho.rk4_from(*g.start[l], s, i, lane_of(y, l));
      running &= ~stopping;
    }
    y = y_next;
  }
  // The lanes that took every step: the scalar loop only finishes them.
  for (int l = 0; l < g.count; ++l)
    if (running >> l & 1u) *g.out[l] = ho.rk4_from(*g.start[l], s, n, lane_of(y, l));
}

/// DOPRI5 on the lanes of one group. Every running lane attempts one step per
/// pass, each with its own step size; the bookkeeping of continue_dopri5
/// (accept, reject, the next step) runs per lane on plain values. A lane whose
/// attempt is anything else — step budget spent, step below the floor, a
/// non-finite trial, a rejection at the floor, a possible stop event — is
/// handed over with the state it had before that attempt. The per-lane states
/// hold everything but y and f, which stay in the batches.
template <class Real, class Arch>
void dopri5_group(group<Real>& g, const handover<Real>& ho) {
  using V = xsimd::batch<Real, Arch>;
  constexpr int W = int(V::size);
  const point_settings<Real>& s = *ho.settings;
  const dopri5_options<Real>& opt = s.dopri5;
  const model<V> m = gather_model<Real, Arch>(g);
  const flow_field<V> field{{m, g.shape}};
  dopri5_state<Real>* st = g.state;
  auto y_of = [&] {
    return phase_point<V>{gather<V>(g, [&](int l) { return st[l].y.g; }),
                          gather<V>(g, [&](int l) { return st[l].y.p; }),
                          gather<V>(g, [&](int l) { return st[l].y.S; })};
  };
  auto f_of = [&] {
    return phase_point<V>{gather<V>(g, [&](int l) { return st[l].f.g; }),
                          gather<V>(g, [&](int l) { return st[l].f.p; }),
                          gather<V>(g, [&](int l) { return st[l].f.S; })};
  };
  phase_point<V> y = y_of(), f = f_of();
  unsigned running = (1u << g.count) - 1;
  alignas(64) Real h_try[W], h_floor[W];
  bool final_step[W];
  while (running != 0) {
    unsigned handed = 0;
    for (int l = 0; l < W; ++l) {
      const int k = l < g.count ? l : 0;
      const Real ell_end = g.start[k]->ell_end;
      const Real direction = ell_end > Real(0) ? Real(1) : Real(-1);
      h_floor[l] = dopri5_step_floor(opt, st[k].ell);
      final_step[l] = direction * (st[k].ell + st[k].h - ell_end) >= Real(0);
      h_try[l] = final_step[l] ? ell_end - st[k].ell : st[k].h;
      if (l < g.count && (st[l].steps + st[l].rejected >= opt.max_steps ||
                          (std::fabs(h_try[l]) < h_floor[l] && !final_step[l])))
        handed |= 1u << l;
    }
    const V h = V::load_aligned(h_try);
    const dopri5_step_result<V> trial = dopri5_step(field, y, f, h);
    const V err = detail::error_norm(trial.error, y, trial.y, V(opt.rtol), V(opt.atol));
    const auto accepted = err <= V(Real(1));
    handed |= lanes_where(!(xsimd::isfinite(trial.y.g) && xsimd::isfinite(trial.y.p) &&
                            xsimd::isfinite(trial.y.S) && xsimd::isfinite(trial.f_end.g) &&
                            xsimd::isfinite(trial.f_end.p) && xsimd::isfinite(trial.f_end.S)) ||
                              (accepted && may_stop(s.events, y, trial.y)) ||
                              (!accepted && xsimd::abs(h) <= V::load_aligned(h_floor)),
                          g.count);
    handed &= running;
    if (handed != 0) {
      for (int l = 0; l < g.count; ++l)
        if (handed >> l & 1u) {
          st[l].y = lane_of(y, l), st[l].f = lane_of(f, l);
          *g.out[l] = ho.dopri5_from(*g.start[l], s, st[l]);
        }
      running &= ~handed;
    }
    // The others: an accepted or a rejected step, as continue_dopri5 takes them.
    alignas(64) Real errs[W], factors[W];
    err.store_aligned(errs);
    dopri5_step_factor(err).store_aligned(factors);
    for (int l = 0; l < g.count; ++l) {
      if (!(running >> l & 1u)) continue;
      dopri5_state<Real>& x = st[l];
      Real factor = factors[l];
      x.evaluations += 6;
      if (!(errs[l] <= Real(1))) {
        ++x.rejected;
        x.last_rejected = true;
        x.h = h_try[l] * (factor < Real(1) ? factor : Real(1));  // fmin(factor, 1): factor is in [0.2, 10]
        continue;
      }
      ++x.steps;
      x.ell = final_step[l] ? g.start[l]->ell_end : x.ell + h_try[l];
      if (final_step[l]) {
        x.y = lane_of(trial.y, l);
        *g.out[l] = ho.dopri5_done(*g.start[l], x);
        running &= ~(1u << l);
        continue;
      }
      if (x.last_rejected && !(factor < Real(1))) factor = Real(1);  // fmin(factor, 1)
      x.last_rejected = false;
      x.h = h_try[l] * factor;
    }
    // y and f stay in registers: accepted lanes move on, rejected ones stay
    // (the per-lane states get them only when a lane is handed over or done).
    y = {xsimd::select(accepted, trial.y.g, y.g), xsimd::select(accepted, trial.y.p, y.p),
         xsimd::select(accepted, trial.y.S, y.S)};
    f = {xsimd::select(accepted, trial.f_end.g, f.g), xsimd::select(accepted, trial.f_end.p, f.p),
         xsimd::select(accepted, trial.f_end.S, f.S)};
  }
}

}  // namespace scaleham::lanes
