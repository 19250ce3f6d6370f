// Goal 3 of issue 10 on the CPU: the ln τ curve and its VFT fit depend only on
// the model, T0 and c (point.hpp, relaxation_slots), so a sweep over g0, p0 or
// ell computes them once per distinct combination and every point of it takes
// a copy. Which points share is derived from the grid's structure
// (grid_spec::projection: a mixed-radix index over the axes that set a
// relaxation slot), never from comparing values, so results are bitwise those
// of evaluate_point.
#pragma once

#include <cstdint>
#include <vector>

#include "scaleham/point.hpp"

namespace scaleham {

/// The distinct relaxation results of one batch of points, first ..
/// first+count−1 of a sweep, computed once each on all cores (OpenMP).
template <class Real>
class shared_relaxation {
 public:
  /// True when sharing saves work on `spec`: the relaxation is on and some
  /// points of the grid differ only in g0, p0 or ell.
  static bool applies(const sweep_spec<Real>& spec);

  /// Computes each distinct relaxation of the batch once, with its curve when
  /// `curves` is set. `spec` must outlive the object.
  shared_relaxation(const sweep_spec<Real>& spec, std::uint64_t first, std::uint64_t count, bool curves);

  /// Distinct relaxations in the batch.
  std::uint64_t distinct() const { return results_.size(); }
  /// The relaxation of point first + i (0 <= i < count).
  const relaxation_result<Real>& of(std::uint64_t i) const { return results_[row_[i]]; }
  /// Its ln τ curve (n_T values); nullptr unless constructed with curves.
  const Real* curve_of(std::uint64_t i) const {
    return curves_.empty() ? nullptr : curves_.data() + std::uint64_t(row_[i]) * n_T_;
  }
  /// Sets r's relaxation fields to point first + i's and copies its curve
  /// into curve_out (n_T values) when given: evaluate_relaxation's part of
  /// evaluate_point, bitwise.
  void apply(std::uint64_t i, point_result<Real>& r, Real* curve_out) const;
  /// Point first + i in full, the relaxation shared: bitwise spec.evaluate(first + i, curve_out).
  point_result<Real> evaluate(std::uint64_t i, Real* curve_out) const;

 private:
  const sweep_spec<Real>& spec_;
  std::uint64_t first_;
  std::uint64_t n_T_;
  std::vector<std::uint32_t> row_;  // per point of the batch: its row in results_
  std::vector<relaxation_result<Real>> results_;
  std::vector<Real> curves_;        // n_T per row when curves are kept
};

}  // namespace scaleham
