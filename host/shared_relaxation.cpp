#include "shared_relaxation.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace scaleham {

template <class Real>
bool shared_relaxation<Real>::applies(const sweep_spec<Real>& spec) {
  return shares_relaxation(spec);
}

template <class Real>
shared_relaxation<Real>::shared_relaxation(const sweep_spec<Real>& spec, std::uint64_t first,
                                           std::uint64_t count, bool curves)
    : spec_(spec), first_(first), n_T_(std::uint64_t(spec.settings.relaxation.n_T)), row_(count) {
  if (count > std::uint64_t(UINT32_MAX)) throw std::length_error("batch too large for shared_relaxation");
  // The batch's projections, sorted with their positions: equal projections
  // are then adjacent, one row each.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keys(count);
  const auto n = static_cast<std::int64_t>(count);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    keys[i] = {spec.grid.projection(first + std::uint64_t(i), relaxation_slots), std::uint32_t(i)};
  std::sort(keys.begin(), keys.end());
  std::vector<std::uint64_t> distinct_keys;
  for (std::uint64_t k = 0; k < count; ++k) {
    if (k == 0 || keys[k].first != keys[k - 1].first) distinct_keys.push_back(keys[k].first);
    row_[keys[k].second] = std::uint32_t(distinct_keys.size() - 1);
  }
  results_.resize(distinct_keys.size());
  if (curves) curves_.resize(distinct_keys.size() * n_T_);
  // Each from the parameters of the first grid point of its projection: the
  // same bits, in every slot the relaxation reads, as every point sharing it.
  const auto rows = static_cast<std::int64_t>(distinct_keys.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t r = 0; r < rows; ++r) {
    Real params[param_count];
    const std::uint64_t index = spec.grid.first_of_projection(distinct_keys[r], relaxation_slots);
    spec.grid.parameters(index, params);
    const point_settings<Real> settings = spec.settings_of(index);
    Real* curve = curves ? curves_.data() + std::uint64_t(r) * n_T_ : nullptr;
    results_[r] = spec.with_models(
        [&](const auto& models) { return evaluate_relaxation(params, settings, curve, models); });
  }
}

template <class Real>
void shared_relaxation<Real>::apply(std::uint64_t i, point_result<Real>& r, Real* curve_out) const {
  set_relaxation(r, of(i));
  if (curve_out != nullptr) {
    const Real* curve = curve_of(i);
    if (curve == nullptr) throw std::logic_error("shared_relaxation built without curves");
    std::copy(curve, curve + n_T_, curve_out);
  }
}

template <class Real>
point_result<Real> shared_relaxation<Real>::evaluate(std::uint64_t i, Real* curve_out) const {
  Real params[param_count];
  spec_.grid.parameters(first_ + i, params);
  const point_settings<Real> settings = spec_.settings_of(first_ + i);
  point_result<Real> r = spec_.with_models([&](const auto& models) {
    const auto start = start_of_flow(models, params, settings);
    return flow_and_action(start, integrate_flow(start, settings), settings.quadrature, settings.compute_action);
  });
  apply(i, r, curve_out);
  return r;
}

template class shared_relaxation<double>;
template class shared_relaxation<float>;

}  // namespace scaleham
