/// \file grid.hpp
/// Grid points generated from their index, on the host or the device: no
/// N×P parameter table is ever materialised.
///
/// A cartesian grid has up to max_axes axes; point index i maps to one
/// coordinate per axis in C order (the last axis varies fastest), which is the
/// order of the N-dimensional output datasets. A random grid draws n_points
/// from the box spanned by the axes with the Halton low-discrepancy sequence
/// (bases 2, 3, 5, ...; index 0 skipped), uniform or log-uniform per axis.
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/parameters.hpp"

namespace scaleham {

inline constexpr int max_axes = 8;

enum class axis_kind : int {
  linspace = 0,  ///< count points from lo to hi, both included
  logspace = 1,  ///< count points from lo to hi in geometric progression (lo, hi > 0)
  values = 2,    ///< count explicit values (pointer valid where the grid is evaluated)
};

/// One sweep axis: which parameter slot it sets and where its coordinates lie.
template <class Real>
struct axis_spec {
  int slot;
  axis_kind kind;
  std::int64_t count;
  Real lo, hi;
  const Real* values;  ///< kind == values only: host or device array of count values

  /// Coordinate i (0 <= i < count) of a cartesian axis. The ends are exact.
  SCALEHAM_HD Real coordinate(std::int64_t i) const {
    if (kind == axis_kind::values) return values[i];
    if (count <= 1 || i == 0) return lo;
    if (i == count - 1) return hi;
    const Real t = Real(i) / Real(count - 1);
    return kind == axis_kind::logspace ? lo * std::pow(hi / lo, t) : lo + (hi - lo) * t;
  }

  /// A coordinate from u in [0, 1): uniform (linspace) or log-uniform (logspace).
  SCALEHAM_HD Real sample(Real u) const {
    return kind == axis_kind::logspace ? lo * std::pow(hi / lo, u) : lo + (hi - lo) * u;
  }
};

/// Radical inverse of n in the given base: the n-th Halton coordinate in [0, 1).
template <class Real>
SCALEHAM_HD Real radical_inverse(std::uint64_t n, std::uint64_t base) {
  Real inverse_base = Real(1) / Real(base), scale = inverse_base, result = Real(0);
  while (n > 0) {
    result += Real(n % base) * scale;
    n /= base;
    scale *= inverse_base;
  }
  return result;
}

/// The first max_axes primes: the Halton bases of the random axes.
SCALEHAM_HD inline std::uint64_t halton_base(int axis) {
  constexpr std::uint64_t primes[max_axes] = {2, 3, 5, 7, 11, 13, 17, 19};
  return primes[axis];
}

/// A whole sweep grid: base parameter values plus the axes that override them.
template <class Real>
struct grid_spec {
  Real base[param_count];
  axis_spec<Real> axes[max_axes];
  int n_axes;
  bool random;              ///< Halton sampling of n_points instead of the cartesian product
  std::uint64_t n_points;   ///< random grids only

  /// Number of grid points.
  SCALEHAM_HD std::uint64_t size() const {
    if (random) return n_points;
    std::uint64_t n = 1;
    for (int a = 0; a < n_axes; ++a) n *= static_cast<std::uint64_t>(axes[a].count);
    return n;
  }

  /// Writes the parameter vector of point `index` into out[0 .. param_count).
  SCALEHAM_HD void parameters(std::uint64_t index, Real* out) const {
    for (int s = 0; s < param_count; ++s) out[s] = base[s];
    if (random) {
      for (int a = 0; a < n_axes; ++a)
        out[axes[a].slot] = axes[a].sample(radical_inverse<Real>(index + 1, halton_base(a)));
      return;
    }
    for (int a = n_axes - 1; a >= 0; --a) {  // C order: last axis fastest
      const std::uint64_t count = static_cast<std::uint64_t>(axes[a].count);
      out[axes[a].slot] = axes[a].coordinate(static_cast<std::int64_t>(index % count));
      index /= count;
    }
  }
};

}  // namespace scaleham
