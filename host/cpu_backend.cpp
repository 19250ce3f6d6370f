#include "cpu_backend.hpp"

#include "shared_relaxation.hpp"

#include <stdexcept>


namespace scaleham {

template <class Real>
void evaluate_points(const sweep_spec<Real>& spec, std::uint64_t first, std::uint64_t count,
                     point_result<Real>* out, Real* curves) {
  const auto n = static_cast<std::int64_t>(count);
  const std::int64_t n_T = spec.settings.relaxation.n_T;
  // Dynamic chunks: points differ widely in cost (adaptive steps, quadrature
  // subdivisions, early stops), so static shares would leave cores idle.
  if (shared_relaxation<Real>::applies(spec)) {  // curve and fit once per (model, T0, c)
    const shared_relaxation<Real> shared(spec, first, count, curves != nullptr);
#pragma omp parallel for schedule(dynamic, 64)
    for (std::int64_t i = 0; i < n; ++i)
      out[i] = shared.evaluate(std::uint64_t(i), curves ? curves + i * n_T : nullptr);
    return;
  }
#pragma omp parallel for schedule(dynamic, 64)
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = spec.evaluate(first + std::uint64_t(i), curves ? curves + i * n_T : nullptr);
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
