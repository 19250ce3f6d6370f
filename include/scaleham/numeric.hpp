/// \file numeric.hpp
/// Floating-point constants usable in device code (std::numeric_limits members
/// are host-only constexpr functions under nvcc without --expt-relaxed-constexpr).
#pragma once

#include <cfloat>

#include "scaleham/config.hpp"

// NVRTC (the run-time compiler of formula kernels) has no __builtin_huge_val
// or __builtin_nan; the same bits by __builtin_bit_cast.
#if defined(__CUDACC_RTC__)
#define SCALEHAM_INFINITY_DOUBLE __builtin_bit_cast(double, 0x7ff0000000000000ull)
#define SCALEHAM_NAN_DOUBLE __builtin_bit_cast(double, 0x7ff8000000000000ull)
#define SCALEHAM_INFINITY_FLOAT __builtin_bit_cast(float, 0x7f800000u)
#define SCALEHAM_NAN_FLOAT __builtin_bit_cast(float, 0x7fc00000u)
#else
#define SCALEHAM_INFINITY_DOUBLE __builtin_huge_val()
#define SCALEHAM_NAN_DOUBLE __builtin_nan("")
#define SCALEHAM_INFINITY_FLOAT __builtin_huge_valf()
#define SCALEHAM_NAN_FLOAT __builtin_nanf("")
#endif

namespace scaleham {

template <class Real>
struct real_limits;

template <>
struct real_limits<double> {
  SCALEHAM_HD static constexpr double epsilon() { return DBL_EPSILON; }
  SCALEHAM_HD static constexpr double min_normal() { return DBL_MIN; }
  SCALEHAM_HD static constexpr double max_finite() { return DBL_MAX; }
  SCALEHAM_HD static constexpr double infinity() { return SCALEHAM_INFINITY_DOUBLE; }
  SCALEHAM_HD static constexpr double quiet_nan() { return SCALEHAM_NAN_DOUBLE; }
};

template <>
struct real_limits<float> {
  SCALEHAM_HD static constexpr float epsilon() { return FLT_EPSILON; }
  SCALEHAM_HD static constexpr float min_normal() { return FLT_MIN; }
  SCALEHAM_HD static constexpr float max_finite() { return FLT_MAX; }
  SCALEHAM_HD static constexpr float infinity() { return SCALEHAM_INFINITY_FLOAT; }
  SCALEHAM_HD static constexpr float quiet_nan() { return SCALEHAM_NAN_FLOAT; }
};

/// max(a, b) and min(a, b) for finite a, b (plain comparisons: fmax and fmin
/// also order ±0 and NaN, and g++ leaves them as library calls), and
/// cond ? a : b. SIMD lanes (Real a batch) have lane-wise versions, found by
/// argument-dependent lookup (host/simd/lanes_impl.hpp).
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD Real larger_of(Real a, Real b) {
  return a > b ? a : b;
}
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD Real smaller_of(Real a, Real b) {
  return a < b ? a : b;
}
template <class Real>
SCALEHAM_INLINE SCALEHAM_HD Real choose(bool cond, Real a, Real b) {
  return cond ? a : b;
}

/// The type of a comparison of two Reals: bool, or a SIMD batch's lane mask.
template <class Real>
using bool_of = decltype(Real() < Real());

/// a·b + c with the product rounded before the sum, on every backend. nvcc
/// contracts a plain `a * b + c` into one FMA (a different rounding), so the
/// device would evaluate another number than the host writes into a file (the
/// temperature grid of the relaxation curves); on the host it is kept unfused
/// even where g++ is told to contract (-ffp-contract=fast).
template <class Real>
SCALEHAM_HD inline Real unfused_mul_add(Real a, Real b, Real c) {
#if defined(__CUDA_ARCH__)
  if constexpr (sizeof(Real) == sizeof(double))
    return __dmul_rn(a, b) + c;  // __dmul_rn is never merged into an FMA
  else
    return __fmul_rn(a, b) + c;
#elif defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  // An empty asm makes the product opaque to the optimizer, so even
  // -ffp-contract=fast (the `fma` preset, which rounds like the GPU) cannot
  // fuse it with the sum; it costs no instruction.
  Real product = a * b;
  asm("" : "+x"(product));
  return product + c;
#else
  return a * b + c;
#endif
}

}  // namespace scaleham
