// Sweep kernels compiled at run time for formula models (issue 14): the
// per-point code of sweep_kernels.cuh, instantiated for the family of models
// a sweep's formulas make (formula_source.hpp), compiled by NVRTC to machine
// code for the GPU at hand and kept in a cache on disk, keyed by everything
// that goes into the compile (the program with its formulas, the core's
// headers as built into this binary, the options and NVRTC's version), so a
// formula costs one compile per build and GPU architecture.
//
// NVRTC is loaded when first needed (dlopen of libnvrtc.so.<CUDA major>), so
// the binary starts, and runs everything else, where it is missing. Plain C++:
// nothing here needs a GPU; cuda_backend.cu loads what it returns.
#pragma once

#include <stdexcept>
#include <string>

namespace scaleham::cuda {

/// The compile of a formula kernel failed (NVRTC's log in what()), or NVRTC
/// cannot be loaded.
struct compile_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A file the run-time compiler gives NVRTC (embed_sources.cmake).
struct embedded_source {
  const char* name;  ///< as included: "scaleham/point.hpp", "cmath", ...
  const char* text;
};
extern const embedded_source embedded_sources[];
extern const int embedded_source_count;

/// The names of the compiled kernels (extern "C"): the counterparts of
/// evaluate_relaxations<Real> and evaluate_batch<Real> (cuda_backend.cu),
/// with the same parameters.
inline constexpr const char* relaxations_kernel_name = "scaleham_evaluate_relaxations";
inline constexpr const char* batch_kernel_name = "scaleham_evaluate_batch";

/// A compiled kernel image (a cubin for one GPU architecture).
struct kernel_image {
  std::string cubin;
  bool from_cache = false;     ///< read from the cache (no compile)
  double compile_seconds = 0;  ///< NVRTC's time when compiled now
  std::string cache_file;      ///< where the image is cached ("" when it could not be)
  std::string cache_note;      ///< why it is not cached, when it is not
};

/// How formula kernels are optimised: `fast` (the default) compiles in
/// seconds (NVRTC's -Ofast-compile=min); `full` is nvcc's default
/// optimisation, as for the built-in kernels, and takes minutes. From
/// SCALEHAM_FORMULA_OPTIMIZATION (fast or full); anything else is refused.
std::string formula_optimization();

/// The source of the sweep kernels for the family of models `models_source`
/// defines (formula_source.hpp), in precision Real (double or float).
template <class Real>
std::string sweep_kernels_program(const std::string& models_source);

/// The cubin of sweep_kernels_program(models_source) for sm_<compute_capability>
/// (90 for an H100/H200): from the cache when there, else compiled by NVRTC
/// and stored. Throws compile_error.
template <class Real>
kernel_image compile_sweep_kernels(const std::string& models_source, int compute_capability);

/// The cache's directory: $SCALEHAM_KERNEL_CACHE, else
/// $XDG_CACHE_HOME/scaleham/kernels, else ~/.cache/scaleham/kernels ("" when
/// none can be named).
std::string kernel_cache_directory();

}  // namespace scaleham::cuda
