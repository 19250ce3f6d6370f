/// \file vft_law.hpp
/// The Vogel–Fulcher–Tammann law, the fit's options and result, and the row
/// sources it reads (part of vft.hpp, which includes it; see there).
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/status.hpp"

namespace scaleham {

/// ln τ (or ln η) of the VFT law at temperature T.
template <class Real>
SCALEHAM_HD Real vft_log_tau(Real a, Real B, Real T_vf, Real T) {
  return a + B / (T - T_vf);
}

/// The temperature where the VFT law reaches log_level (e.g. Tg where τ = 100 s:
/// log_level = ln 100). NaN when the law never reaches that level at a finite
/// temperature above T_vf: log_level <= a (the law stays above the level), or
/// a temperature beyond the range of Real.
template <class Real>
SCALEHAM_HD Real vft_temperature_at(Real a, Real B, Real T_vf, Real log_level) {
  const Real T = log_level > a ? T_vf + B / (log_level - a) : real_limits<Real>::quiet_nan();
  return std::isfinite(T) ? T : real_limits<Real>::quiet_nan();
}

/// Fragility m = d log10 τ / d(Tg/T) at Tg = B·Tg / (ln 10 · (Tg − T_vf)²).
/// (B/gap)·(Tg/gap)/ln 10 where the plain form over- or underflows on the way.
template <class Real>
SCALEHAM_HD Real vft_fragility(Real B, Real T_vf, Real Tg) {
  const Real gap = Tg - T_vf;
  const Real m = B * Tg / (Real(2.302585092994045684) * gap * gap);
  return std::isfinite(m) || !std::isfinite(Tg) ? m : (B / gap) * (Tg / gap) / Real(2.302585092994045684);
}

/// Largest |y|, T and 1/T the fitter accepts: 2^(max exponent / 4), about
/// 1.2e77 in double and 4.3e9 in float. Within it the sums of squares and the
/// Jacobian of the VFT model (terms up to y², 1/(T − T_vf)²) stay within the
/// range of Real; beyond it a fit is out_of_range.
template <class Real>
SCALEHAM_HD constexpr Real vft_data_limit() {
  if constexpr (sizeof(Real) == sizeof(double))
    return Real(1.157920892373162e77);  // 2^256
  else
    return Real(4294967296.0);  // 2^32
}

template <class Real>
struct vft_options {
  int max_iterations = 200;  ///< Levenberg–Marquardt iterations
  int scan_points = 48;      ///< T_vf values tried for the start, from 0 to just below min T
  /// Converged when the undamped Gauss–Newton step from the current point
  /// has every component below xtol·(|θ| + xtol), or would lower the squared
  /// residual by less than ftol times itself (detail::at_minimum).
  Real xtol = Real(100) * real_limits<Real>::epsilon();
  Real ftol = Real(100) * real_limits<Real>::epsilon();
  /// y at the glass transition, in the data's natural-log units: ln(100 s) for
  /// relaxation times, ln(1e12 Pa·s) for viscosity.
  Real tg_log_level = Real(4.605170185988091368);
};

template <class Real>
struct vft_fit {
  Real a, B, T_vf;                       ///< parameters (a = ln τ0, natural log)
  Real a_stderr, B_stderr, T_vf_stderr;  ///< standard errors from the covariance
  Real cov_a_B, cov_a_T_vf, cov_B_T_vf;  ///< off-diagonal covariance
  Real B_T_vf_correlation;               ///< ρ(B, T_vf)
  Real rms;                              ///< sqrt(Σ residual² / n)
  Real D, Tg, m;                         ///< B/T_vf; T where y = tg_log_level; fragility
  std::int32_t iterations;
  std::int32_t n_points;
  /// ok, at_bound, not_converged, too_few_points, no_vft_minimum, non_finite, out_of_range.
  /// When the code is ok or at_bound every number is finite except D = +inf on
  /// the T_vf = 0 bound, and Tg and m, NaN when the law never reaches the Tg
  /// level at a finite temperature (vft_temperature_at).
  status code;
};

/// A fit result with every number NaN and the given status: what a fit that
/// could not run reports.
template <class Real>
SCALEHAM_HD vft_fit<Real> unfitted_vft(status code, int n_points) {
  const Real nan = real_limits<Real>::quiet_nan();
  vft_fit<Real> fit;
  fit.a = fit.B = fit.T_vf = fit.a_stderr = fit.B_stderr = fit.T_vf_stderr = nan;
  fit.cov_a_B = fit.cov_a_T_vf = fit.cov_B_T_vf = fit.B_T_vf_correlation = nan;
  fit.rms = fit.D = fit.Tg = fit.m = nan;
  fit.iterations = 0;
  fit.n_points = n_points;
  fit.code = code;
  return fit;
}

/// Row source over two arrays (T[i], y[i]), i < n.
template <class Real>
struct array_rows {
  using real_type = Real;
  const Real* T;
  const Real* y;
  int n;
  SCALEHAM_HD int size() const { return n; }
  SCALEHAM_HD void row(int i, Real& t, Real& v) const { t = T[i], v = y[i]; }
};

/// splitmix64: a counter-based generator (Steele et al. 2014), so replica r,
/// draw i is the same number on every backend and in every order.
SCALEHAM_HD inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// Bootstrap resample of a row source: n rows drawn with replacement, row i of
/// replica r being row splitmix64(seed, r, i) mod n of the data. Nothing is
/// stored; the same draws come back on every pass of the fitter.
template <class Rows>
struct bootstrap_rows {
  using real_type = typename Rows::real_type;
  Rows data;
  std::uint64_t seed;
  std::uint64_t replica;
  SCALEHAM_HD int size() const { return data.size(); }
  /// The row of the data that row i of the replica is.
  SCALEHAM_HD int source_row(int i) const {
    const std::uint64_t key = splitmix64(splitmix64(seed ^ splitmix64(replica)) + std::uint64_t(i));
    return static_cast<int>(key % std::uint64_t(data.size()));
  }
  SCALEHAM_HD void row(int i, real_type& t, real_type& v) const { data.row(source_row(i), t, v); }
  /// The weight of row i (row sources with weights: weighted_rows).
  SCALEHAM_HD real_type weight(int i) const { return data.weight(source_row(i)); }
};

}  // namespace scaleham
