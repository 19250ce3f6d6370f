// Profile-likelihood intervals of a law's parameters (docs/numerics.md §6.6):
// the honest uncertainty where a fit ends on a bound, and where the
// covariance's symmetric ± misdescribes a curved valley (B and T_vf of VFT).
#pragma once

#include <array>

#include "fit_batch.hpp"

namespace scaleham {

/// A 95% interval [lo, hi] (NaN when it could not be found).
struct interval {
  double lo, hi;
};

/// The 95% profile-likelihood interval of each parameter of `fit` (a fit of
/// `model` to `data` that succeeded): the values v for which the least χ²
/// with that parameter held at v, every other one free within its bounds,
/// stays within Δ of the best: Δ = 3.841 (χ²₁ at 95%) when σ are absolute,
/// else χ²_min · t²(0.975, n − k)/(n − k) (the F test of one parameter,
/// which for a linear law gives the classical t interval exactly). An end
/// on a bound (T_vf = 0, C = 0, α = 1, a zero amplitude) is that bound.
/// Entries beyond the law's parameter count, and all of a fit that did not
/// succeed, are NaN.
std::array<interval, 3> profile_intervals(const fit_dataset& data, relaxation_model model,
                                          const model_fit<double>& fit, const model_options<double>& options);

}  // namespace scaleham
