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
  SCALEHAM_HD static constexpr double infinity() { return __builtin_huge_val(); }
  SCALEHAM_HD static constexpr double quiet_nan() { return __builtin_nan(""); }
};

template <>
struct real_limits<float> {
  SCALEHAM_HD static constexpr float epsilon() { return FLT_EPSILON; }
  SCALEHAM_HD static constexpr float min_normal() { return FLT_MIN; }
  SCALEHAM_HD static constexpr float infinity() { return __builtin_huge_valf(); }
  SCALEHAM_HD static constexpr float quiet_nan() { return __builtin_nanf(""); }
};

}  // namespace scaleham
