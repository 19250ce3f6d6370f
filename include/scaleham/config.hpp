/// \file config.hpp
/// The one portability macro of scaleham, and the library version.
///
/// Every function that runs per grid point carries `SCALEHAM_HD`: under nvcc it
/// becomes `__host__ __device__`, under a plain C++ compiler it is empty, so the
/// same source serves the CPU backend (the oracle) and the CUDA backend.
#pragma once

#if defined(__CUDACC__)
#define SCALEHAM_HD __host__ __device__
#else
#define SCALEHAM_HD
#endif

/// For the few small functions on the hot path of every step (the flow's
/// right-hand side, the model evaluation, the error norm): g++ otherwise keeps
/// them out of line and passes results through memory (measured: 72 % of an
/// RK4 path in the call). nvcc inlines device code on its own.
#if defined(__CUDA_ARCH__)
#define SCALEHAM_INLINE __forceinline__
#elif defined(__GNUC__)
#define SCALEHAM_INLINE inline __attribute__((always_inline))
#else
#define SCALEHAM_INLINE inline
#endif

/// Unrolls the short loop that follows in device code, where local arrays
/// indexed by a loop counter otherwise live in local memory (nvcc honours
/// `#pragma unroll`; host compilers, nvcc's host pass included, unroll on
/// their own and would warn about the pragma).
#if defined(__CUDA_ARCH__)
#define SCALEHAM_UNROLL _Pragma("unroll")
#else
#define SCALEHAM_UNROLL
#endif

#define SCALEHAM_VERSION_MAJOR 0
#define SCALEHAM_VERSION_MINOR 1
#define SCALEHAM_VERSION_PATCH 0
#define SCALEHAM_VERSION_STRING "0.1.0"
