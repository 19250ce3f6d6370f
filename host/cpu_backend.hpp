// The CPU backend: the same per-point function as the GPU (point.hpp), over
// all cores with OpenMP. It is the oracle the CUDA backend is tested against.
#pragma once

#include <cstdint>
#include <future>
#include <vector>

#include "scaleham/point.hpp"

namespace scaleham {

/// Evaluates grid points first .. first+count−1 of `spec` into out[0 .. count)
/// on all cores, and their ln τ curves into curves[i·n_T ..] when curves is not
/// null. The loop is the only thing the CPU backend adds to the core.
template <class Real>
void evaluate_points(const sweep_spec<Real>& spec, std::uint64_t first, std::uint64_t count,
                     point_result<Real>* out, Real* curves = nullptr);

/// Batches of a sweep on the CPU with the interface of cuda::sweep_runner:
/// start(slot) computes on a worker thread (which runs the OpenMP loop) and
/// returns at once, so the caller can write the previous batch meanwhile;
/// finish(slot) waits and returns the results (valid until the slot restarts);
/// curves(slot) then holds their ln τ curves when the config asks for them.
template <class Real>
class cpu_runner {
 public:
  /// `spec` (its values tables too) must outlive the runner; curves are kept
  /// when write_curves and the spec's relaxation curve is enabled.
  cpu_runner(const sweep_spec<Real>& spec, std::uint64_t batch_capacity, bool write_curves);
  ~cpu_runner();
  cpu_runner(const cpu_runner&) = delete;
  cpu_runner& operator=(const cpu_runner&) = delete;

  void start(int slot, std::uint64_t first, std::uint64_t count);
  const point_result<Real>* finish(int slot);
  /// n_T values per point, point-major; nullptr unless config.output.curves.
  const Real* curves(int slot) const;

 private:
  sweep_spec<Real> spec_;
  std::uint64_t capacity_;
  std::vector<point_result<Real>> results_[2];
  std::vector<Real> curves_[2];
  std::future<void> pending_[2];
};

}  // namespace scaleham
