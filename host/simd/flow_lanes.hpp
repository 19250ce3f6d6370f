// The flows of many grid points on SIMD lanes: the CPU backend's stage 2
// (point.hpp) for a whole chunk of points at once.
//
// Each lane runs the core's own step formulas (rk4_step, dopri5_step,
// error_norm, instantiated with an xsimd batch as Real) on one point. Those use
// only +, −, ×, ÷ and sqrt, which round per lane exactly as the scalar code,
// and the build never contracts them into FMAs, so every lane's path is
// bitwise the scalar path. Whatever is not a plain step — a stop event, a
// non-finite state, a step-size floor, the step budget, an invalid start — is
// handed over to the scalar loop of steppers.hpp with the lane's state as it
// stood before that step, so it is decided there, exactly as without lanes.
//
// The instruction set is chosen at run time (AVX2 where the CPU has it, SSE2
// otherwise), so one binary runs on every x86-64 and uses what it finds.
#pragma once

#include <cstddef>

#include "scaleham/point.hpp"

namespace scaleham {

/// Instruction sets the lanes can run on.
enum class simd_level { scalar = 0, sse2 = 1, avx2 = 2 };

/// Name of a level ("scalar", "sse2", "avx2").
const char* simd_level_name(simd_level level);

/// The level the lanes use: the best the CPU supports, unless the environment
/// variable SCALEHAM_SIMD (scalar, sse2 or avx2) asks for a lower one (tests
/// and benchmarks compare them; an unknown or unsupported value is an error).
simd_level active_simd_level();

/// The best level this CPU supports.
simd_level best_simd_level();

/// out[i] = integrate_flow(starts[i], settings) for i < count, bitwise, at
/// the given level (default: active_simd_level()).
template <class Real>
void integrate_flows(const flow_start<Real>* starts, std::size_t count,
                     const point_settings<Real>& settings, path_result<Real>* out);
template <class Real>
void integrate_flows(const flow_start<Real>* starts, std::size_t count,
                     const point_settings<Real>& settings, path_result<Real>* out, simd_level level);

namespace lanes {

/// Most lanes of any level (AVX2 float: 8).
inline constexpr int max_lanes = 8;

/// Points whose flows run together, one per lane, prepared by the scalar code:
/// all have valid starts and one model shape. Lanes beyond `count` repeat
/// lane 0 and their results are dropped.
template <class Real>
struct group {
  int count;
  model_shape shape;
  const flow_start<Real>* start[max_lanes];
  path_result<Real>* out[max_lanes];
  dopri5_state<Real> state[max_lanes];  ///< DOPRI5: after begin_dopri5
};

/// The scalar loops a lane is handed over to. They are compiled for the
/// baseline instruction set only and called through these pointers, so no
/// scalar function is ever compiled with AVX2 (a shared copy of it could be
/// picked by the linker for every caller, and fault on an older CPU).
template <class Real>
struct handover {
  const point_settings<Real>* settings;
  /// RK4 from step `first` with the state after `first` steps.
  path_result<Real> (*rk4_from)(const flow_start<Real>&, const point_settings<Real>&, int first,
                                const phase_point<Real>& y);
  /// DOPRI5 from a loop state.
  path_result<Real> (*dopri5_from)(const flow_start<Real>&, const point_settings<Real>&,
                                   const dopri5_state<Real>&);
  /// The result of a DOPRI5 path whose last step landed on ℓ_end.
  path_result<Real> (*dopri5_done)(const flow_start<Real>&, const dopri5_state<Real>&);
};

// One function per instruction set and precision (lanes_<isa>.cpp).
template <class Real>
void rk4_group_sse2(const group<Real>&, const handover<Real>&);
template <class Real>
void rk4_group_avx2(const group<Real>&, const handover<Real>&);
template <class Real>
void dopri5_group_sse2(group<Real>&, const handover<Real>&);
template <class Real>
void dopri5_group_avx2(group<Real>&, const handover<Real>&);

/// Lanes per group at a level for Real.
template <class Real>
int width(simd_level level);

}  // namespace lanes
}  // namespace scaleham
