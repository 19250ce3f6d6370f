// Sweep kernels compiled at run time (issue 14): the per-point code of
// sweep_kernels.cuh, instantiated for the family of models a sweep's formulas
// make (formula_source.hpp), or with per-point settings for sweeps over
// settings, compiled by NVRTC to machine code for the GPU at hand and kept in
// a cache on disk, keyed by everything that goes into the compile (the
// program with its formulas, the core's headers as built into this binary,
// the options and NVRTC's version), so a variant costs one compile per build
// and GPU architecture. Variants the program is built with (the built-in
// models, one set of settings) are compiled by nvcc with it instead.
//
// NVRTC is loaded when first needed (dlopen of libnvrtc.so.<CUDA major>), so
// the binary starts, and runs everything else, where it is missing. Plain C++:
// nothing here needs a GPU; cuda_backend.cu loads what it returns.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "formula_source.hpp"
#include "scaleham/point.hpp"

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

/// How kernels compiled at run time are optimised: `full` (the default) as
/// nvcc optimises the built-in kernels; `fast` with NVRTC's
/// -Ofast-compile=min (about 4x quicker to compile, for trying formulas
/// out). From SCALEHAM_FORMULA_OPTIMIZATION (full or fast); anything else is
/// refused with compile_error.
std::string formula_optimization();

/// Which sweep kernels to compile: the family of models `models_source`
/// defines (formula_source.hpp), and whether each point has its own settings
/// (axes over settings: sweep_spec::sweeps_settings).
struct kernel_variant {
  std::string models_source;
  bool per_point_settings = false;
};

/// The variant `spec` needs: its formulas' family (or the built-in models)
/// and whether axes sweep its settings. (Only for specs that need kernels
/// compiled at run time: formulas, or axes over settings.)
template <class Real>
kernel_variant variant_of(const sweep_spec<Real>& spec) {
  return {spec.formulas != nullptr ? runtime_models_source(*spec.formulas) : builtin_models_source(),
          spec.sweeps_settings()};
}

/// The source of the sweep kernels of `variant` in precision Real (double or float).
template <class Real>
std::string sweep_kernels_program(const kernel_variant& variant);

/// The cubin of sweep_kernels_program(variant) for sm_<compute_capability>
/// (90 for an H100/H200): from the cache when there, else compiled by NVRTC
/// (before_compile, when given, called just before) and stored. Throws
/// compile_error.
template <class Real>
kernel_image compile_sweep_kernels(const kernel_variant& variant, int compute_capability,
                                   const std::function<void()>& before_compile = {});

/// The cache's directory: $SCALEHAM_KERNEL_CACHE, else
/// $XDG_CACHE_HOME/scaleham/kernels, else ~/.cache/scaleham/kernels ("" when
/// none can be named).
std::string kernel_cache_directory();

}  // namespace scaleham::cuda
