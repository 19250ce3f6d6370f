#include "cpu_backend.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "shared_relaxation.hpp"
#include "simd/flow_lanes.hpp"


namespace scaleham {

namespace {

/// Point by point, for what the SIMD lanes do not run: formulas (their
/// functions have no lane form) and sweeps over the flow's settings (a lane
/// group shares its settings), each flow by the scalar steppers.
template <class Real, class Models>
void evaluate_points_scalar(const sweep_spec<Real>& spec, const Models& models, std::uint64_t first,
                            std::uint64_t count, point_result<Real>* out, Real* curves,
                            const shared_relaxation<Real>* shared) {
  const auto n = static_cast<std::int64_t>(count);
  const std::int64_t n_T = spec.settings.relaxation.n_T;
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = 0; i < n; ++i) {
    Real params[param_count];
    spec.grid.parameters(first + std::uint64_t(i), params);
    const point_settings<Real> settings = spec.settings_of(first + std::uint64_t(i));
    const auto start = start_of_flow(models, params, settings);
    point_result<Real>& r = out[i];
    r = flow_and_action(start, integrate_flow(start, settings), settings.quadrature, settings.compute_action);
    Real* curve = curves ? curves + i * n_T : nullptr;
    if (shared)
      shared->apply(std::uint64_t(i), r, curve);
    else
      set_relaxation(r, evaluate_relaxation(params, settings, curve, models));
  }
}

}  // namespace

template <class Real>
void evaluate_points(const sweep_spec<Real>& spec, std::uint64_t first, std::uint64_t count,
                     point_result<Real>* out, Real* curves) {
  // The curve and its fit once per distinct (model, T0, c) of the batch when
  // points share them (a sweep over g0, p0 or ℓ): shared_relaxation.hpp.
  std::unique_ptr<const shared_relaxation<Real>> shared;
  if (shared_relaxation<Real>::applies(spec))
    shared = std::make_unique<const shared_relaxation<Real>>(spec, first, count, curves != nullptr);
  if (spec.formulas != nullptr || spec.grid.sets_any(flow_setting_slots)) {
    spec.with_models([&](const auto& models) {
      evaluate_points_scalar(spec, models, first, count, out, curves, shared.get());
    });
    return;
  }
  const auto n = static_cast<std::int64_t>(count);
  const std::int64_t n_T = spec.settings.relaxation.n_T;
  const point_settings<Real>& settings = spec.settings;
  // Axes over settings the flow does not read (temperatures, τ0, the action's
  // tolerances): the flows run on the lanes with the sweep's settings, the
  // action and the curve with each point's own.
  const bool own_settings = spec.sweeps_settings();
  const simd_level level = active_simd_level();  // once: it may throw, never inside the parallel loop
  // Chunks of consecutive points: their flows run together on SIMD lanes
  // (simd/flow_lanes.hpp), then each point's action and relaxation curve.
  // Dynamic chunks: points differ widely in cost (adaptive steps, quadrature
  // subdivisions, early stops), so static shares would leave cores idle.
  constexpr std::int64_t chunk = 64;
  const std::int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = c * chunk;
    const std::int64_t size = std::min(chunk, n - begin);
    Real params[chunk][param_count];
    flow_start<Real> starts[chunk];
    path_result<Real> paths[chunk];
    for (std::int64_t i = 0; i < size; ++i) {
      spec.grid.parameters(first + std::uint64_t(begin + i), params[i]);
      starts[i] = start_of_flow(params[i], settings);
    }
    integrate_flows(starts, std::size_t(size), settings, paths, level);
    for (std::int64_t i = 0; i < size; ++i) {
      point_settings<Real> own;
      const point_settings<Real>& s = own_settings ? (own = spec.settings_of(first + std::uint64_t(begin + i))) : settings;
      point_result<Real>& r = out[begin + i];
      r = flow_and_action(starts[i], paths[i], s.quadrature, s.compute_action);
      Real* curve = curves ? curves + (begin + i) * n_T : nullptr;
      if (shared)
        shared->apply(std::uint64_t(begin + i), r, curve);
      else
        set_relaxation(r, evaluate_relaxation(params[i], s, curve));
    }
  }
}

template <class Real>
cpu_runner<Real>::cpu_runner(const sweep_spec<Real>& spec, std::uint64_t batch_capacity, bool write_curves)
    : spec_(spec), capacity_(batch_capacity) {
  for (auto& r : results_) r.resize(capacity_);
  if (write_curves && spec.settings.relaxation.enabled)
    for (auto& c : curves_) c.resize(capacity_ * std::uint64_t(spec.settings.relaxation.n_T));
}

template <class Real>
cpu_runner<Real>::~cpu_runner() {
  // Never leave a worker writing into freed buffers.
  for (auto& p : pending_)
    if (p.valid()) p.wait();
}

template <class Real>
void cpu_runner<Real>::start(int slot, std::uint64_t first, std::uint64_t count) {
  if (count > capacity_) throw std::logic_error("batch larger than the capacity of the CPU runner");
  point_result<Real>* out = results_[slot].data();
  Real* curves = curves_[slot].empty() ? nullptr : curves_[slot].data();
  pending_[slot] = std::async(std::launch::async, [this, first, count, out, curves] {
    evaluate_points(spec_, first, count, out, curves);
  });
}

template <class Real>
const Real* cpu_runner<Real>::curves(int slot) const {
  return curves_[slot].empty() ? nullptr : curves_[slot].data();
}

template <class Real>
const point_result<Real>* cpu_runner<Real>::finish(int slot) {
  if (pending_[slot].valid()) pending_[slot].get();  // rethrows what the worker threw
  return results_[slot].data();
}

template void evaluate_points(const sweep_spec<double>&, std::uint64_t, std::uint64_t,
                              point_result<double>*, double*);
template void evaluate_points(const sweep_spec<float>&, std::uint64_t, std::uint64_t,
                              point_result<float>*, float*);
template class cpu_runner<double>;
template class cpu_runner<float>;

}  // namespace scaleham
