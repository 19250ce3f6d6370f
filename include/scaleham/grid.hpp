/// \file grid.hpp
/// Grid points generated from their index, on the host or the device: no
/// N×P parameter table is ever materialised.
///
/// A cartesian grid has up to max_axes axes; point index i maps to one
/// coordinate per axis in C order (the last axis varies fastest), which is the
/// order of the N-dimensional output datasets. A random grid draws n_points
/// from the box spanned by the axes with the Halton low-discrepancy sequence
/// (bases 2, 3, 5, ...; index 0 skipped), uniform or log-uniform per axis.
///
/// A point's parameters are bitwise the same on every backend and equal to
/// what the output file records (docs/numerics.md). Coordinates are computed
/// in double from integers with correctly rounded operations only: explicit
/// fused multiply-adds (nvcc contracts a·b + c into an FMA, g++ does not, so
/// nothing is left to the compiler) and no libm function whose last bit
/// differs between glibc and CUDA (portable_exp); Real is applied last. The host writes the coordinate datasets with these same
/// functions; no per-axis table is needed (a 1-D axis may have 10^9 values).
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/parameters.hpp"

namespace scaleham {

inline constexpr int max_axes = 8;

enum class axis_kind : int {
  linspace = 0,  ///< count points from lo to hi, both included (random grids: uniform in [lo, hi))
  logspace = 1,  ///< count points from lo to hi in geometric progression (random: log-uniform)
  values = 2,    ///< count explicit values (cartesian grids only)
};

/// e^x from correctly rounded IEEE operations (fma, multiply, rint, ldexp)
/// only, so it gives the same bits on every compiler and device, unlike libm's
/// exp (glibc and CUDA differ by an ulp here and there). About 1 ulp accurate
/// for |x| < 700; used where reproducibility across backends matters more than
/// speed (Halton sampling of log-uniform axes).
SCALEHAM_HD inline double portable_exp(double x) {
  // Outside (−746, 710) e^x is 0 or inf in double; NaN stays NaN. (Converting
  // an infinite k to int below would be undefined.)
  if (!(x < 710.0)) return x != x ? x : real_limits<double>::infinity();
  if (!(x > -746.0)) return 0.0;
  // x = k ln 2 + r with |r| <= ln 2 / 2; ln 2 split in two so k·ln2 is exact enough.
  const double k = std::rint(x * 1.4426950408889634074);
  double r = std::fma(-k, 6.93147180369123816490e-01, x);
  r = std::fma(-k, 1.90821492927058770002e-10, r);
  // Taylor series of e^r to degree 13: the remainder r^14/14! < 5e-18 < ulp(1)/2.
  constexpr double inverse_factorial[14] = {
      1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
      1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
  double p = inverse_factorial[13];
  for (int j = 12; j >= 0; --j) p = std::fma(p, r, inverse_factorial[j]);
  return std::ldexp(p, static_cast<int>(k));
}

/// Radical inverse of n in the given base: the n-th Halton coordinate in
/// [0, 1), in double whatever the sweep's precision (a float would map indices
/// beyond 2^24 onto duplicate points). The digits are reversed in integer
/// arithmetic and divided once, so the result is the exact fraction rounded
/// once, identical everywhere. Digits of weight below 2^-53 are dropped: the
/// numerator and denominator then convert to double exactly, so the result
/// stays below 1, and two indices that differ only there (n >= 2^53) are
/// beyond any sweep's reach.
SCALEHAM_HD inline double radical_inverse(std::uint64_t n, std::uint64_t base) {
  std::uint64_t reversed = 0, denominator = 1;
  while (n > 0 && denominator <= (std::uint64_t(1) << 53) / base) {
    reversed = reversed * base + n % base;
    denominator *= base;
    n /= base;
  }
  return static_cast<double>(reversed) / static_cast<double>(denominator);
}

/// The first max_axes primes: the Halton bases of the random axes.
SCALEHAM_HD inline std::uint64_t halton_base(int axis) {
  constexpr std::uint64_t primes[max_axes] = {2, 3, 5, 7, 11, 13, 17, 19};
  return primes[axis];
}

/// ln(hi / lo) of a logspace axis: computed once on the host (libm's log
/// differs between backends) and carried in axis_spec::log_ratio.
inline double log_ratio_of(double lo, double hi) { return std::log(hi / lo); }

/// One sweep axis: which parameter slot it sets and where its coordinates lie.
/// Positions are in double whatever Real is (a float would map indices beyond
/// 2^24 onto duplicates).
template <class Real>
struct axis_spec {
  int slot;
  axis_kind kind;
  std::int64_t count;  ///< cartesian: number of coordinates
  double lo, hi;       ///< linspace/logspace ends; for random grids the sampled interval
  double log_ratio;    ///< logspace: log_ratio_of(lo, hi)
  const Real* values;  ///< kind == values only: count values (host or device memory, whichever evaluates)

  /// Coordinate i (0 <= i < count) of a cartesian axis, in double. The ends are exact.
  SCALEHAM_HD double position(std::int64_t i) const {
    if (kind == axis_kind::values) return double(values[i]);
    if (count <= 1 || i == 0) return lo;
    if (i == count - 1) return hi;
    return at(double(i) / double(count - 1));
  }

  /// Coordinate i of a cartesian axis in the sweep's precision.
  SCALEHAM_HD Real coordinate(std::int64_t i) const {
    return kind == axis_kind::values ? values[i] : static_cast<Real>(position(i));
  }

  /// The point at fraction t of a linspace/logspace axis: lo + (hi − lo)·t, or
  /// lo·(hi/lo)^t. Random grids draw t = u in [0, 1) from the Halton sequence.
  SCALEHAM_HD double at(double t) const {
    return kind == axis_kind::logspace ? lo * portable_exp(t * log_ratio)
                                       : std::fma(hi - lo, t, lo);
  }
};

/// A whole sweep grid: base parameter values plus the axes that override them.
template <class Real>
struct grid_spec {
  Real base[param_count];
  axis_spec<Real> axes[max_axes];
  int n_axes;
  /// One point per sample instead of the cartesian product: n_points of
  /// them, the axes' coordinates drawn from the Halton sequence or, when
  /// `paired`, point i taking coordinate i of every axis.
  bool random;
  bool paired = false;
  std::uint64_t n_points;   ///< random grids only

  /// Number of grid points.
  SCALEHAM_HD std::uint64_t size() const {
    if (random) return n_points;
    std::uint64_t n = 1;
    for (int a = 0; a < n_axes; ++a) n *= static_cast<std::uint64_t>(axes[a].count);
    return n;
  }

  /// The index of point `index` projected onto the axes that set a slot in
  /// `slots` (bit s for slot s): on a cartesian grid the mixed-radix number
  /// (C order) of those axes' coordinate indices, so two points have the same
  /// projection exactly when every such axis gives them the same coordinate,
  /// and so the same bits in every slot of `slots`. A random grid has no
  /// structure to share: the projection is the index itself when an axis sets
  /// a slot of `slots`, else 0 (every point has the base values there).
  /// Derived from the grid's structure, never from comparing values.
  SCALEHAM_HD std::uint64_t projection(std::uint64_t index, slot_mask slots) const {
    if (random) return sets_any(slots) ? index : 0;
    std::uint64_t key = 0, weight = 1;
    for (int a = n_axes - 1; a >= 0; --a) {
      const std::uint64_t count = static_cast<std::uint64_t>(axes[a].count);
      if (slots >> axes[a].slot & 1u) key += (index % count) * weight, weight *= count;
      index /= count;
    }
    return key;
  }

  /// The first grid point (lowest index) whose projection onto `slots` is
  /// `key`: its parameters in `slots` are those of every point of that
  /// projection.
  SCALEHAM_HD std::uint64_t first_of_projection(std::uint64_t key, slot_mask slots) const {
    if (random) return key;
    std::uint64_t index = 0, weight = 1;
    for (int a = n_axes - 1; a >= 0; --a) {
      const std::uint64_t count = static_cast<std::uint64_t>(axes[a].count);
      if (slots >> axes[a].slot & 1u) index += (key % count) * weight, key /= count;
      weight *= count;
    }
    return index;
  }

  /// True when some axis sets a slot of `slots`.
  SCALEHAM_HD bool sets_any(slot_mask slots) const {
    for (int a = 0; a < n_axes; ++a)
      if (slots >> axes[a].slot & 1u) return true;
    return false;
  }

  /// out[slot] = v for a slot of the parameter vector (an axis over a
  /// setting slot writes nothing here: settings_of_point, point.hpp). In
  /// device code by constant indices (an unrolled select), so that a
  /// parameter vector can stay in registers instead of the stack.
  SCALEHAM_HD static void set_slot(Real* out, int slot, Real v) {
#if defined(__CUDA_ARCH__)
    SCALEHAM_UNROLL
    for (int s = 0; s < param_count; ++s)
      if (s == slot) out[s] = v;
#else
    if (slot < param_count) out[slot] = v;
#endif
  }

  /// The coordinate axis `a` gives point `index`.
  SCALEHAM_HD Real coordinate_of(std::uint64_t index, int a) const {
    if (random)
      return paired ? axes[a].coordinate(static_cast<std::int64_t>(index))
                    : static_cast<Real>(axes[a].at(radical_inverse(index + 1, halton_base(a))));
    for (int b = n_axes - 1; b > a; --b) index /= static_cast<std::uint64_t>(axes[b].count);
    return axes[a].coordinate(static_cast<std::int64_t>(index % static_cast<std::uint64_t>(axes[a].count)));
  }

  /// Writes the parameter vector of point `index` into out[0 .. param_count).
  SCALEHAM_HD void parameters(std::uint64_t index, Real* out) const {
    SCALEHAM_UNROLL
    for (int s = 0; s < param_count; ++s) out[s] = base[s];
    if (random) {
      for (int a = 0; a < n_axes; ++a)
        set_slot(out, axes[a].slot,
                 paired ? axes[a].coordinate(static_cast<std::int64_t>(index))
                        : static_cast<Real>(axes[a].at(radical_inverse(index + 1, halton_base(a)))));
      return;
    }
    for (int a = n_axes - 1; a >= 0; --a) {  // C order: last axis fastest
      const std::uint64_t count = static_cast<std::uint64_t>(axes[a].count);
      set_slot(out, axes[a].slot, axes[a].coordinate(static_cast<std::int64_t>(index % count)));
      index /= count;
    }
  }
};

}  // namespace scaleham
