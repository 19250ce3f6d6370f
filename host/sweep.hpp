// From the host-side sweep_config to the trivially copyable sweep_spec<Real>
// that backends evaluate (on the CPU directly, on the GPU by value in a kernel).
#pragma once

#include <cstdint>
#include <memory>
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
  out.compute_action = s.compute_action;
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
  out.relaxation.T_ref_is_T_max = r.T_ref_is_T_max;
  out.relaxation.fit.max_iterations = r.fit.max_iterations;
  out.relaxation.fit.scan_points = r.fit.scan_points;
  out.relaxation.fit.tg_log_level = Real(r.fit.tg_log_level);
  // xtol/ftol keep their defaults for Real: they scale with its epsilon.
  return out;
}

/// A sweep as the backends see it, with the storage its spec points into: the
/// explicit values of `values` axes converted to Real (host memory; the CUDA
/// backend copies them to the device). Movable (vectors keep their buffers),
/// not copyable (a copy's spec would point into the original).
template <class Real>
class sweep_plan {
 public:
  explicit sweep_plan(const sweep_config& config) {
    spec_ = sweep_spec<Real>{};
    for (int s = 0; s < param_count; ++s) spec_.grid.base[s] = Real(config.base[s]);
    spec_.grid.n_axes = static_cast<int>(config.axes.size());
    values_.reserve(config.axes.size());  // no reallocation: the spec points into the elements
    for (int a = 0; a < spec_.grid.n_axes; ++a) {
      const axis_config& in = config.axes[a];
      values_.emplace_back(in.values.begin(), in.values.end());
      axis_spec<Real>& out = spec_.grid.axes[a];
      out.slot = in.slot;
      out.kind = in.kind;
      out.count = in.kind == axis_kind::values ? static_cast<std::int64_t>(in.values.size()) : in.count;
      out.lo = in.lo;
      out.hi = in.hi;
      out.log_ratio = in.kind == axis_kind::logspace ? log_ratio_of(in.lo, in.hi) : 0.0;
      out.values = values_.back().empty() ? nullptr : values_.back().data();
    }
    spec_.grid.random = config.random;
    spec_.grid.paired = config.paired;
    spec_.grid.n_points = config.random_points;
    spec_.settings = settings_as<Real>(config.settings);
    if (config.interprets_formulas()) formulas_ = config.formulas.programs;
    spec_.formulas = formulas_.get();
  }
  sweep_plan(sweep_plan&&) noexcept = default;
  sweep_plan& operator=(sweep_plan&&) noexcept = default;
  sweep_plan(const sweep_plan&) = delete;
  sweep_plan& operator=(const sweep_plan&) = delete;

  const sweep_spec<Real>& spec() const { return spec_; }

 private:
  std::vector<std::vector<Real>> values_;
  std::shared_ptr<const model_formulas> formulas_;  // what spec_.formulas points to
  sweep_spec<Real> spec_;
};

}  // namespace scaleham
