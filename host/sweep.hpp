// From the host-side sweep_config to the trivially copyable sweep_spec<Real>
// that backends evaluate (on the CPU directly, on the GPU by value in a kernel).
#pragma once

#include <cstdint>
#include <vector>

#include "scaleham/point.hpp"
#include "sweep_config.hpp"

namespace scaleham {

/// Converts the settings of a config to precision Real.
template <class Real>
point_settings<Real> settings_as(const point_settings<double>& s) {
  point_settings<Real> out;
  out.method = s.method;
  out.rk4_steps = s.rk4_steps;
  out.dopri5.rtol = Real(s.dopri5.rtol);
  out.dopri5.atol = Real(s.dopri5.atol);
  out.dopri5.h_initial = Real(s.dopri5.h_initial);
  out.dopri5.h_min = Real(s.dopri5.h_min);
  out.dopri5.max_steps = s.dopri5.max_steps;
  out.events.g_min = Real(s.events.g_min);
  out.events.g_max = Real(s.events.g_max);
  out.events.use_target = s.events.use_target;
  out.events.g_target = Real(s.events.g_target);
  out.p0_on_manifold = s.p0_on_manifold;
  out.quadrature.rtol = Real(s.quadrature.rtol);
  out.quadrature.atol = Real(s.quadrature.atol);
  out.quadrature.max_intervals = s.quadrature.max_intervals;
  const relaxation_settings<double>& r = s.relaxation;
  out.relaxation.enabled = r.enabled;
  out.relaxation.n_T = r.n_T;
  out.relaxation.T_min = Real(r.T_min);
  out.relaxation.T_max = Real(r.T_max);
  out.relaxation.T_ref = Real(r.T_ref);
  out.relaxation.log_tau0 = Real(r.log_tau0);
  out.relaxation.fit.max_iterations = r.fit.max_iterations;
  out.relaxation.fit.scan_points = r.fit.scan_points;
  out.relaxation.fit.tg_log_level = Real(r.fit.tg_log_level);
  // xtol/ftol keep their defaults for Real: they scale with its epsilon.
  return out;
}

/// The explicit values of `values` axes converted to Real, one vector per axis
/// (empty for linspace/logspace). Their storage must outlive every spec that
/// points into it; the CUDA backend copies them to the device.
template <class Real>
std::vector<std::vector<Real>> axis_values_as(const sweep_config& config) {
  std::vector<std::vector<Real>> values;
  for (const axis_config& a : config.axes) values.emplace_back(a.values.begin(), a.values.end());
  return values;
}

/// The sweep as the backends see it; `values_per_axis[a]` is where the
/// explicit values of axis a live in the memory of the evaluating device
/// (nullptr for linspace/logspace axes).
template <class Real>
sweep_spec<Real> make_sweep_spec(const sweep_config& config,
                                 const std::vector<const Real*>& values_per_axis) {
  sweep_spec<Real> spec{};
  for (int s = 0; s < param_count; ++s) spec.grid.base[s] = Real(config.base[s]);
  spec.grid.n_axes = static_cast<int>(config.axes.size());
  for (int a = 0; a < spec.grid.n_axes; ++a) {
    const axis_config& in = config.axes[a];
    axis_spec<Real>& out = spec.grid.axes[a];
    out.slot = in.slot;
    out.kind = in.kind;
    out.count = in.kind == axis_kind::values ? static_cast<std::int64_t>(in.values.size()) : in.count;
    out.lo = Real(in.lo);
    out.hi = Real(in.hi);
    out.values = values_per_axis.at(a);
  }
  spec.grid.random = config.random;
  spec.grid.n_points = config.random_points;
  spec.settings = settings_as<Real>(config.settings);
  return spec;
}

/// Host pointers into `storage` (from axis_values_as), for make_sweep_spec on the CPU.
template <class Real>
std::vector<const Real*> host_pointers(const std::vector<std::vector<Real>>& storage) {
  std::vector<const Real*> pointers;
  for (const auto& v : storage) pointers.push_back(v.empty() ? nullptr : v.data());
  return pointers;
}

}  // namespace scaleham
