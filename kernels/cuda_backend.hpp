// The CUDA backend as the host sees it: plain C++, no CUDA types, so host code
// compiles and links the same with or without nvcc. Without the CUDA backend
// (SCALEHAM_ENABLE_CUDA=OFF) cuda_stub.cpp provides these symbols: probe()
// says why no GPU can be used, and sweep_runner throws `unavailable`.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "scaleham/point.hpp"
#include "fit_batch.hpp"
#include "sweep_config.hpp"

namespace scaleham::cuda {

/// The CUDA backend cannot run here (not compiled, no device, driver error).
struct unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct probe_result {
  bool usable = false;      ///< a device can run sweeps
  int device_count = 0;
  std::string device_name;  ///< name of device 0 when usable
  std::uint64_t free_memory = 0;  ///< bytes of device memory free when probed
  std::string reason;       ///< why not, when !usable
};

/// Whether the CUDA backend was compiled in and a GPU is present. Never throws.
probe_result probe();

/// Evaluates batches of a sweep on the GPU with two slots, so the host can
/// write one batch while the next computes: start(slot) launches the kernel and
/// the copy back on that slot's stream and returns at once; finish(slot) waits
/// for them and returns the results in pinned host memory (valid until that
/// slot is started again). Owns its device and pinned memory (move-only).
template <class Real>
class sweep_runner {
 public:
  sweep_runner(const sweep_config& config, std::uint64_t batch_capacity);
  ~sweep_runner();
  sweep_runner(sweep_runner&&) noexcept;
  sweep_runner& operator=(sweep_runner&&) noexcept;

  void start(int slot, std::uint64_t first, std::uint64_t count);
  const point_result<Real>* finish(int slot);
  /// n_T values per point, point-major, after finish(slot); nullptr unless config.output.curves.
  const Real* curves(int slot) const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// fit_datasets_cpu on the GPU: all datasets × (replicas + 1) fits in one launch.
std::vector<vft_fit<double>> fit_datasets(const std::vector<fit_dataset>& datasets,
                                          std::uint64_t replicas, std::uint64_t seed,
                                          const vft_options<double>& options);

}  // namespace scaleham::cuda
