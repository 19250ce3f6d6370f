/// \file numeric.hpp
/// Floating-point constants usable in device code (std::numeric_limits members
/// are host-only constexpr functions under nvcc without --expt-relaxed-constexpr).
#pragma once

#include <cfloat>

#include "scaleham/config.hpp"

namespace scaleham {

template <class Real>
struct real_limits;

template <>
struct real_limits<double> {
  SCALEHAM_HD static constexpr double epsilon() { return DBL_EPSILON; }
  SCALEHAM_HD static constexpr double min_normal() { return DBL_MIN; }
  SCALEHAM_HD static constexpr double max_finite() { return DBL_MAX; }
  SCALEHAM_HD static constexpr double infinity() { return __builtin_huge_val(); }
  SCALEHAM_HD static constexpr double quiet_nan() { return __builtin_nan(""); }
};

template <>
struct real_limits<float> {
  SCALEHAM_HD static constexpr float epsilon() { return FLT_EPSILON; }
  SCALEHAM_HD static constexpr float min_normal() { return FLT_MIN; }
  SCALEHAM_HD static constexpr float max_finite() { return FLT_MAX; }
  SCALEHAM_HD static constexpr float infinity() { return __builtin_huge_valf(); }
  SCALEHAM_HD static constexpr float quiet_nan() { return __builtin_nanf(""); }
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
