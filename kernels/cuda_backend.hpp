// The CUDA backend as the host sees it: plain C++, no CUDA types, so host code
// compiles and links the same with or without nvcc. It takes the core's
// trivially copyable views (sweep_spec, dataset_table) and nothing of the host
// layer, so dependencies run one way: host/ → kernels/ → include/scaleham/.
// Without the CUDA backend (SCALEHAM_ENABLE_CUDA=OFF) cuda_stub.cpp provides
// these symbols: probe() says why no GPU can be used, the rest throws
// `unavailable`.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "scaleham/point.hpp"
#include "scaleham/relaxation_models.hpp"

namespace scaleham::cuda {

/// No usable GPU here (not compiled in, no device, no kernel image for it):
/// `--backend auto` falls back to the CPU and says why.
struct unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A CUDA call failed while running (out of memory, a kernel fault, a lost
/// device): the run stops with CUDA's own error text (exit 1), no fallback.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct probe_result {
  bool usable = false;            ///< the device can run our kernels
  int device_count = 0;
  int device = 0;                 ///< the device probed
  std::string device_name;        ///< its name, when it exists
  int compute_capability = 0;     ///< e.g. 90 for sm_90
  std::uint64_t free_memory = 0;  ///< bytes of device memory free when probed
  std::string reason;             ///< why not, when !usable
};

/// Whether the CUDA backend was compiled in and `device` (an index among the
/// devices CUDA_VISIBLE_DEVICES leaves visible) can run its kernels: it must
/// exist and the binary must hold code for its architecture (checked by
/// loading the kernels, so a GPU we did not build for is "unusable", not a
/// failure at the first launch). Never throws.
probe_result probe(int device = 0);

/// The CUDA architectures this binary carries code for ("80-real;90", say);
/// empty without the CUDA backend.
std::string compiled_architectures();

/// Most points per batch that `device` can hold: two slots of results (and
/// curves) within 40 % of the device memory free now, after the local memory
/// (stack) the runtime reserves for every thread the kernel can keep resident.
/// Throws `error` if the device cannot be queried.
template <class Real>
std::uint64_t max_batch_points(const sweep_spec<Real>& spec, bool write_curves, int device = 0);

/// Whether `spec` runs kernels compiled at run time (runtime_compiler.hpp)
/// rather than those built with the program: formula models, and axes over
/// settings (each point with its own settings).
template <class Real>
bool needs_runtime_kernels(const sweep_spec<Real>& spec) {
  return spec.formulas != nullptr || spec.sweeps_settings();
}

/// Why kernels cannot be compiled at run time here (no CUDA backend, or NVRTC
/// cannot be loaded), or "" when they can.
std::string runtime_compiler_unavailable();

/// What prepare_runtime_kernels did.
struct runtime_kernels_report {
  bool compiled = false;       ///< compiled now (else read from the cache, or loaded before)
  double compile_seconds = 0;  ///< NVRTC's time, when compiled now
  std::string architecture;    ///< "sm_90"
  std::string cache_file;      ///< the cached kernels ("" when they could not be cached)
  std::string cache_note;      ///< why not, then
};

/// Makes the kernels compiled at run time for `spec` ready on `device`
/// (needs_runtime_kernels(spec) must hold): compiled by NVRTC, or read from
/// the cache of compiled kernels (runtime_compiler.hpp), and loaded, once per
/// process. `before_compile`, when given, is called with a line saying what
/// is compiled just before a compile starts (not when the cache has it).
/// sweep_runner and max_batch_points call this themselves; a driver calls it
/// first to report on a compile. Throws compile_error (runtime_compiler.hpp)
/// when NVRTC is missing or fails, `error` when the kernels cannot be loaded.
template <class Real>
runtime_kernels_report prepare_runtime_kernels(const sweep_spec<Real>& spec, int device = 0,
                                               const std::function<void(const std::string&)>& before_compile = {});

/// Evaluates batches of a sweep on the GPU with two slots, so the host can
/// write one batch while the next computes: start(slot) launches the kernel and
/// the copy back on that slot's stream and returns at once; finish(slot) waits
/// for them and returns the results in pinned host memory (valid until that
/// slot is started again). Owns its device and pinned memory (move-only); the
/// destructor waits for work in flight before freeing anything. Formula
/// models and sweeps over settings run kernels compiled for them at run time
/// (prepare_runtime_kernels); the others, the kernels built with the program.
template <class Real>
class sweep_runner {
 public:
  /// `spec`'s `values` axes point to host memory; they are copied to the
  /// device. `max_blocks` > 0 caps the grid (tests of the grid-stride loop);
  /// 0 launches enough blocks to fill the device.
  sweep_runner(const sweep_spec<Real>& spec, std::uint64_t batch_capacity, bool write_curves,
               int device = 0, int max_blocks = 0);
  ~sweep_runner();
  sweep_runner(sweep_runner&&) noexcept;
  sweep_runner& operator=(sweep_runner&&) noexcept;

  void start(int slot, std::uint64_t first, std::uint64_t count);
  const point_result<Real>* finish(int slot);
  /// n_T values per point, point-major, after finish(slot); nullptr unless curves are written.
  const Real* curves(int slot) const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// One law fitted to every dataset of `host_table` (host memory) and
/// `replicas` bootstrap resamples of each, in one launch: result
/// d·(replicas+1) + r is replica r of dataset d (r = 0: the data itself), as
/// model_fit_job (relaxation_models.hpp) defines.
std::vector<model_fit<double>> fit_datasets(const weighted_table<double>& host_table, relaxation_model model,
                                            std::uint64_t replicas, std::uint64_t seed,
                                            const model_options<double>& options, int device = 0);

}  // namespace scaleham::cuda
