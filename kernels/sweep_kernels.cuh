// The per-point work of the sweep kernels, for any family of models
// (point.hpp): the CUDA backend's kernels run it for the built-in models
// (cuda_backend.cu, compiled by nvcc with the program), and for formula
// models the same code is compiled at run time by NVRTC with the formulas
// as straight-line code (runtime_compiler.hpp). So this header, like the
// core it includes, must compile under NVRTC: no CUDA runtime, no host
// library beyond what kernels/nvrtc_std.h provides there.
#pragma once

#include "scaleham/point.hpp"

namespace scaleham::cuda {

/// Threads per block of every sweep kernel.
inline constexpr int threads_per_block = 128;

/// This thread's quadrature options: the sweep's, with its slice of the
/// overflow scratch (interleaved: thread t's value k at scratch[k·threads + t]).
template <class Real>
__device__ quadrature_options<Real> thread_quadrature(const quadrature_options<Real>& sweep, Real* scratch,
                                                      std::uint64_t thread, std::uint64_t threads) {
  quadrature_options<Real> q = sweep;
  q.scratch = scratch != nullptr ? scratch + thread : nullptr;
  q.scratch_stride = threads;
  return q;
}

/// The row of `key` in the sorted distinct keys[0 .. n) (it is there).
__device__ inline std::uint64_t row_of(const std::uint64_t* keys, std::uint64_t n, std::uint64_t key) {
  std::uint64_t lo = 0, hi = n;
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (keys[mid] <= key) lo = mid; else hi = mid;
  }
  return lo;
}

/// Point `index`'s settings: the sweep's own when no axis sweeps a setting
/// (PerPointSettings false: `own` is left alone, and the kernel reads the
/// settings from its parameter space), else the sweep's with the point's
/// setting axes applied (sweep_spec::settings_of), written into `own`, a
/// per-thread copy. (Plain references, no lambda: a closure capturing the
/// point's arrays by reference put them on the stack, 416 → 1728 B.)
template <bool PerPointSettings, class Real>
__device__ __forceinline__ const point_settings<Real>& settings_of_point(const sweep_spec<Real>& spec,
                                                                         std::uint64_t index,
                                                                         point_settings<Real>& own) {
  if constexpr (PerPointSettings) {
    own = spec.settings_of(index);
    return own;
  } else {
    return spec.settings;
  }
}

/// The relaxation table of a batch (issue 10, goal 3): row r is the
/// relaxation (curve into table_curves[r·n_T ..], which its fit reads, and
/// result) of the r-th distinct projection keys[r] when keys is given (rows:
/// *n_keys), else of point first + r (rows: count). A grid-stride loop: the
/// kernel calling it is launched with any number of threads.
template <bool PerPointSettings, class Real, class Models>
__device__ __forceinline__ void evaluate_relaxations_of(const Models& models, const sweep_spec<Real>& spec,
                                                        std::uint64_t first, std::uint64_t count,
                                                        const std::uint64_t* keys, const std::uint32_t* n_keys,
                                                        relaxation_result<Real>* table, Real* table_curves,
                                                        Real* scratch) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  const std::uint64_t thread = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::uint64_t rows = keys != nullptr ? std::uint64_t(*n_keys) : count;
  const std::uint64_t n_T = std::uint64_t(spec.settings.relaxation.n_T);
  for (std::uint64_t r = thread; r < rows; r += stride) {
    const std::uint64_t index =
        keys != nullptr ? spec.grid.first_of_projection(keys[r], relaxation_slots) : first + r;
    Real params[param_count];
    spec.grid.parameters(index, params);
    point_settings<Real> own;
    const point_settings<Real>& settings = settings_of_point<PerPointSettings>(spec, index, own);
    const quadrature_options<Real> q = thread_quadrature(settings.quadrature, scratch, thread, stride);
    table[r] = evaluate_relaxation_into(params, settings, q, table_curves + r * n_T, models);
  }
}

/// Evaluates grid points first .. first+count−1 into out[0 .. count): flow and
/// action here, the relaxation (and curve) read from the batch's table
/// (evaluate_relaxations_of; row by projection when keys is given, else row
/// i), or the disabled relaxation when table is null. Grid points are
/// generated from their index; a grid-stride loop, as above.
template <bool PerPointSettings, class Real, class Models>
__device__ __forceinline__ void evaluate_batch_of(const Models& models, const sweep_spec<Real>& spec,
                                                  std::uint64_t first, std::uint64_t count,
                                                  const std::uint64_t* keys, const std::uint32_t* n_keys,
                                                  const relaxation_result<Real>* table, const Real* table_curves,
                                                  point_result<Real>* out, Real* curves, Real* scratch) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  const std::uint64_t thread = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::uint64_t n_T = std::uint64_t(spec.settings.relaxation.n_T);
  for (std::uint64_t i = thread; i < count; i += stride) {
    Real params[param_count];
    spec.grid.parameters(first + i, params);
    point_settings<Real> own;
    const point_settings<Real>& settings = settings_of_point<PerPointSettings>(spec, first + i, own);
    const quadrature_options<Real> q = thread_quadrature(settings.quadrature, scratch, thread, stride);
    const auto start = start_of_flow(models, params, settings);
    point_result<Real> r = flow_and_action(start, integrate_flow(start, settings), q, settings.compute_action);
    if (table != nullptr) {
      const std::uint64_t row =
          keys != nullptr ? row_of(keys, *n_keys, spec.grid.projection(first + i, relaxation_slots)) : i;
      set_relaxation(r, table[row]);
      if (curves != nullptr)
        for (std::uint64_t j = 0; j < n_T; ++j) curves[i * n_T + j] = table_curves[row * n_T + j];
    } else {
      set_relaxation(r, disabled_relaxation<Real>());
    }
    out[i] = r;
  }
}

}  // namespace scaleham::cuda
