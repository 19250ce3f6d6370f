#include "simd/flow_lanes.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace scaleham {

const char* simd_level_name(simd_level level) {
  switch (level) {
    case simd_level::scalar: return "scalar";
    case simd_level::sse2: return "sse2";
    case simd_level::avx2: return "avx2";
  }
  return "unknown";
}

simd_level best_simd_level() {
  // SSE2 is part of x86-64; AVX2 is asked of the CPU (and of the OS, which
  // must save the ymm registers: __builtin_cpu_supports checks both).
  static const simd_level best =
      __builtin_cpu_supports("avx2") ? simd_level::avx2 : simd_level::sse2;
  return best;
}

simd_level active_simd_level() {
  const char* asked = std::getenv("SCALEHAM_SIMD");
  if (asked == nullptr || *asked == '\0') return best_simd_level();
  for (simd_level level : {simd_level::scalar, simd_level::sse2, simd_level::avx2})
    if (std::strcmp(asked, simd_level_name(level)) == 0) {
      if (static_cast<int>(level) > static_cast<int>(best_simd_level()))
        throw std::runtime_error(std::string("SCALEHAM_SIMD=") + asked + ": this CPU supports at most " +
                                 simd_level_name(best_simd_level()));
      return level;
    }
  throw std::runtime_error(std::string("SCALEHAM_SIMD=") + asked +
                           ": expected scalar, sse2 or avx2 (or unset: the best the CPU has)");
}

namespace lanes {

template <class Real>
int width(simd_level level) {
  const int register_bytes = level == simd_level::avx2 ? 32 : level == simd_level::sse2 ? 16 : 0;
  return register_bytes / int(sizeof(Real));
}

}  // namespace lanes

namespace {

// The scalar loops behind the handover pointers: compiled here, for the
// baseline instruction set.
template <class Real>
path_result<Real> rk4_from(const flow_start<Real>& start, const point_settings<Real>& s, int first,
                           const phase_point<Real>& y) {
  return detail::continue_rk4(flow_field_of(start.m), start.y0, start.ell_end,
                              s.rk4_steps, s.events, first, y);
}

template <class Real>
path_result<Real> dopri5_from(const flow_start<Real>& start, const point_settings<Real>& s,
                              const dopri5_state<Real>& state) {
  return continue_dopri5(flow_field_of(start.m), start.y0, start.ell_end, s.dopri5,
                         s.events, state);
}

template <class Real>
path_result<Real> dopri5_done(const flow_start<Real>& start, const dopri5_state<Real>& x) {
  return detail::finish(start.m, start.y0, x.y, x.ell, x.steps, x.rejected, x.evaluations, status::ok);
}

template <class Real>
void run_group(lanes::group<Real>& g, const lanes::handover<Real>& ho, integrator method,
               simd_level level) {
  const bool avx2 = level == simd_level::avx2;
  if (method == integrator::rk4)
    avx2 ? lanes::rk4_group_avx2(g, ho) : lanes::rk4_group_sse2(g, ho);
  else
    avx2 ? lanes::dopri5_group_avx2(g, ho) : lanes::dopri5_group_sse2(g, ho);
}

}  // namespace

template <class Real>
void integrate_flows(const flow_start<Real>* starts, std::size_t count,
                     const point_settings<Real>& settings, path_result<Real>* out, simd_level level) {
  const int width = lanes::width<Real>(level);
  if (width < 2) {
    for (std::size_t i = 0; i < count; ++i) out[i] = integrate_flow(starts[i], settings);
    return;
  }
  const lanes::handover<Real> ho{&settings, rk4_from<Real>, dopri5_from<Real>, dopri5_done<Real>};
  const bool rk4 = settings.method == integrator::rk4;
  lanes::group<Real> g;
  g.count = 0;
  auto flush = [&] {
    if (g.count == 1) {  // a lone lane: the scalar loop costs less than a group
      if (rk4)
        *g.out[0] = ho.rk4_from(*g.start[0], settings, 0, g.start[0]->y0);
      else
        *g.out[0] = ho.dopri5_from(*g.start[0], settings, g.state[0]);
    } else if (g.count > 1) {
      run_group(g, ho, settings.method, level);
    }
    g.count = 0;
  };
  for (std::size_t i = 0; i < count; ++i) {
    const flow_start<Real>& start = starts[i];
    // Starts that end at once (invalid input, ℓ span 0, f(y0) not finite) never take a lane.
    dopri5_state<Real> state{};
    if (rk4) {
      const status why = rk4_start_status(start.y0, start.ell_end, settings.rk4_steps, settings.events);
      if (why != status::ok) {
        out[i] = {start.y0, Real(0), 0, 0, 0, Real(0), why};
        continue;
      }
    } else if (!begin_dopri5(flow_field_of(start.m), start.y0, start.ell_end,
                             settings.dopri5, settings.events, state, out[i])) {
      continue;
    }
    // One group, one model shape: the lanes share the Horner loops' lengths.
    const model_shape shape = shape_of(start.m);
    if (g.count > 0 && !(shape == g.shape)) flush();
    if (g.count == 0) g.shape = shape;
    g.start[g.count] = &start;
    g.out[g.count] = &out[i];
    g.state[g.count] = state;
    if (++g.count == width) flush();
  }
  flush();
}

template <class Real>
void integrate_flows(const flow_start<Real>* starts, std::size_t count,
                     const point_settings<Real>& settings, path_result<Real>* out) {
  integrate_flows(starts, count, settings, out, active_simd_level());
}

template void integrate_flows(const flow_start<double>*, std::size_t, const point_settings<double>&,
                              path_result<double>*);
template void integrate_flows(const flow_start<float>*, std::size_t, const point_settings<float>&,
                              path_result<float>*);
template void integrate_flows(const flow_start<double>*, std::size_t, const point_settings<double>&,
                              path_result<double>*, simd_level);
template void integrate_flows(const flow_start<float>*, std::size_t, const point_settings<float>&,
                              path_result<float>*, simd_level);

}  // namespace scaleham
