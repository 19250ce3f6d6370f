/// \file vft.hpp
/// The Vogel–Fulcher–Tammann law and its bounded Levenberg–Marquardt fit.
///
///   ln τ(T) = a + B / (T − T_vf),   a = ln τ0,  B = D·T_vf,  0 <= T_vf < min T,  B > 0.
///
/// The fitter runs per grid point on the GPU and on measured data on the host,
/// from one source. Data come from a *row source* (size() and row(i, T, y)), so
/// a curve in registers, a measured table and a bootstrap resample of it are
/// all fitted without copying: rows are streamed, never stored. A row source
/// names its floating type `real_type`.
///
/// Method: a scan over T_vf (with the linear least-squares a, B at each value)
/// gives a start that needs no user guess; Levenberg–Marquardt with Marquardt's
/// diagonal scaling then refines all three parameters. B and T_vf are strongly
/// correlated (|ρ| > 0.99 is common), so the damped least-squares problems are
/// solved by a QR factorisation built row by row with Givens rotations (the
/// normal equations would square the condition number), and the covariance is
/// s² R⁻¹R⁻ᵀ from the same R.
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
  SCALEHAM_HD void row(int i, real_type& t, real_type& v) const {
    const std::uint64_t key = splitmix64(splitmix64(seed ^ splitmix64(replica)) + std::uint64_t(i));
    data.row(static_cast<int>(key % std::uint64_t(data.size())), t, v);
  }
};

namespace detail {

/// R (3×3 upper triangular) and z = Qᵀr of a least-squares problem J δ ≈ −r
/// with three unknowns, accumulated one row at a time by Givens rotations.
template <class Real>
struct givens_qr3 {
  Real R[3][3] = {};
  Real z[3] = {};
  Real rest = Real(0);  ///< squared norm of the part of r outside the range of J

  SCALEHAM_HD void add_row(Real j0, Real j1, Real j2, Real r) {
    Real row[3] = {j0, j1, j2};
    for (int k = 0; k < 3; ++k) {
      if (row[k] == Real(0)) continue;
      // sqrt(x² + y²) rather than hypot: no over/underflow is possible at the
      // sizes of VFT Jacobians, and glibc's hypot costs several times more.
      const Real h2 = R[k][k] * R[k][k] + row[k] * row[k];
      const Real inv_h = Real(1) / std::sqrt(h2);  // one division for c and s
      const Real c = R[k][k] * inv_h, s = row[k] * inv_h;
      R[k][k] = h2 * inv_h;
      for (int l = k + 1; l < 3; ++l) {
        const Real upper = R[k][l];
        R[k][l] = c * upper + s * row[l];
        row[l] = c * row[l] - s * upper;
      }
      const Real zk = z[k];
      z[k] = c * zk + s * r;
      r = c * r - s * zk;
    }
    rest += r * r;
  }

  /// True when R, z and the residual norm are all finite (no over- or underflow to Inf/NaN).
  SCALEHAM_HD bool finite() const {
    bool all = std::isfinite(rest);
    for (int i = 0; i < 3; ++i) {
      all = all && std::isfinite(z[i]);
      for (int j = 0; j < 3; ++j) all = all && std::isfinite(R[i][j]);
    }
    return all;
  }

  /// ‖J e_j‖: the column norms of J, read off R.
  SCALEHAM_HD Real column_norm(int j) const {
    Real sum = Real(0);
    for (int i = 0; i <= j; ++i) sum += R[i][j] * R[i][j];
    return std::sqrt(sum);
  }

  /// Solves R δ = −z over the leading `free` parameters (the QR of a prefix
  /// of the columns is the leading block: `free` = 2 holds T_vf fixed), with
  /// δ of the others 0; false if that block is singular to working precision.
  SCALEHAM_HD bool solve(Real delta[3], int free = 3) const {
    const Real scale = std::fmax(std::fabs(R[0][0]), std::fmax(std::fabs(R[1][1]), std::fabs(R[2][2])));
    for (int k = 2; k >= free; --k) delta[k] = Real(0);
    for (int k = free - 1; k >= 0; --k) {
      if (!(std::fabs(R[k][k]) > real_limits<Real>::epsilon() * scale)) return false;
      Real sum = -z[k];
      for (int l = k + 1; l < 3; ++l) sum -= R[k][l] * delta[l];
      delta[k] = sum / R[k][k];
    }
    return true;
  }
};

/// Whether (a, B, T_vf) is a minimum to the fit's tolerances, judged by the
/// undamped Gauss–Newton step from it (R δ = −z): every component below
/// xtol·(|θ| + xtol), or its cost reduction ‖z‖² below ftol·cost — then the
/// minimum lies within sqrt(ftol·cost) in the metric of J (docs/numerics.md
/// §6.2). The damped step just taken is no such measure: with B and T_vf
/// strongly correlated, damping shortens it along the weak direction far more
/// than the distance that remains. On the T_vf = 0 bound with the step
/// pointing below it, T_vf is held and (a, B) judged alone.
template <class Real>
SCALEHAM_HD bool at_minimum(const givens_qr3<Real>& qr, Real a, Real B, Real T_vf, Real cost,
                            const vft_options<Real>& opt) {
  Real step[3];
  int free = 3;
  if (!qr.solve(step, free)) return false;
  if (T_vf == Real(0) && step[2] < Real(0) && !qr.solve(step, free = 2)) return false;
  Real reducible = Real(0);
  for (int k = 0; k < free; ++k) reducible += qr.z[k] * qr.z[k];
  const Real theta[3] = {a, B, T_vf};
  bool small_step = true;
  for (int k = 0; k < free; ++k)
    small_step = small_step && std::fabs(step[k]) <= opt.xtol * (std::fabs(theta[k]) + opt.xtol);
  return small_step || reducible <= opt.ftol * cost;
}

/// Residuals and Jacobian of the VFT model over all rows, as a QR accumulator.
template <class Real, class Rows>
SCALEHAM_HD givens_qr3<Real> vft_system(const Rows& rows, Real a, Real B, Real T_vf) {
  givens_qr3<Real> qr;
  for (int i = 0; i < rows.size(); ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real x = Real(1) / (t - T_vf);
    qr.add_row(Real(1), x, B * x * x, a + B * x - y);  // ∂/∂a, ∂/∂B, ∂/∂T_vf; residual
  }
  return qr;
}

template <class Real, class Rows>
SCALEHAM_HD Real vft_cost(const Rows& rows, Real a, Real B, Real T_vf) {
  Real sum = Real(0);
  for (int i = 0; i < rows.size(); ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real r = a + B / (t - T_vf) - y;
    sum += r * r;
  }
  return sum;
}

/// Linear least squares of y = a + B x with x = 1/(T − T_vf) at fixed T_vf,
/// in one pass over the rows: sums of the data shifted by the first row, which
/// keeps the centred moments accurate without a separate pass for the means.
/// Returns the squared residual.
template <class Real, class Rows>
SCALEHAM_HD Real linear_vft(const Rows& rows, Real T_vf, Real& a, Real& B) {
  const int n = rows.size();
  Real t0, y0;
  rows.row(0, t0, y0);
  const Real x0 = Real(1) / (t0 - T_vf);
  Real sx = Real(0), sy = Real(0), sxx = Real(0), sxy = Real(0), syy = Real(0);
  for (int i = 1; i < n; ++i) {
    Real t, y;
    rows.row(i, t, y);
    const Real dx = Real(1) / (t - T_vf) - x0, dy = y - y0;
    sx += dx, sy += dy, sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
  }
  const Real inv_n = Real(1) / Real(n);
  const Real cxx = sxx - sx * sx * inv_n, cxy = sxy - sx * sy * inv_n, cyy = syy - sy * sy * inv_n;
  B = cxx > Real(0) ? cxy / cxx : real_limits<Real>::quiet_nan();
  a = y0 + sy * inv_n - B * (x0 + sx * inv_n);
  return std::fmax(cyy - B * cxy, Real(0));
}

}  // namespace detail

/// Fits ln τ = a + B/(T − T_vf) to the rows by bounded Levenberg–Marquardt.
///
/// Status: ok; at_bound (the best fit has T_vf = 0 — nearly Arrhenius data —
/// or T_vf pressed against min T; the parameters are the best within the
/// bounds, T_vf_stderr is 0 when T_vf is fixed at 0); not_converged (iteration
/// budget spent; best parameters so far); too_few_points (n < 4, fewer than
/// 3 distinct temperatures, or a Jacobian of rank < 3: fewer than 3
/// temperatures that working precision tells apart); no_vft_minimum (no B > 0
/// fits); non_finite (a row with T <= 0 or a non-finite value); out_of_range
/// (finite rows beyond vft_data_limit, or any other over- or underflow on the
/// way: every number of such a fit is NaN).
template <class Rows, class Real = typename Rows::real_type>
SCALEHAM_HD vft_fit<Real> fit_vft(const Rows& rows, const vft_options<Real>& opt = {}) {
  const Real nan = real_limits<Real>::quiet_nan();
  vft_fit<Real> fit = unfitted_vft<Real>(status::ok, rows.size());
  const int n = rows.size();
  if (n < 4) {
    fit.code = status::too_few_points;
    return fit;
  }
  Real T_min = real_limits<Real>::infinity();
  bool out_of_range = false;
  Real distinct[3];  // the first three distinct temperatures seen
  int n_distinct = 0;
  for (int i = 0; i < n; ++i) {
    Real t, y;
    rows.row(i, t, y);
    if (!(std::isfinite(t) && std::isfinite(y) && t > Real(0))) {
      fit.code = status::non_finite;
      return fit;
    }
    if (!(std::fabs(y) <= vft_data_limit<Real>() && t <= vft_data_limit<Real>() &&
          t * vft_data_limit<Real>() >= Real(1)))
      out_of_range = true;  // reported after the scan for non-finite rows

    T_min = std::fmin(T_min, t);
    bool seen = false;
    for (int k = 0; k < n_distinct; ++k) seen = seen || distinct[k] == t;
    if (!seen && n_distinct < 3) distinct[n_distinct++] = t;
  }
  if (out_of_range) {
    fit.code = status::out_of_range;
    return fit;
  }
  if (n_distinct < 3) {  // three parameters need three temperatures
    fit.code = status::too_few_points;
    return fit;
  }

  // Start: scan T_vf from 0 to T_min (1 − 10⁻⁶), denser near T_min where
  // fragile liquids put it; a and B by linear least squares at each.
  Real a = nan, B = nan, T_vf = nan, best = real_limits<Real>::infinity();
  for (int k = 0; k < opt.scan_points; ++k) {
    const Real gap = std::pow(Real(10), Real(-6) * Real(k) / Real(opt.scan_points - 1));
    const Real t = T_min * (Real(1) - gap);
    Real a_k, B_k;
    const Real cost = detail::linear_vft(rows, t, a_k, B_k);
    if (B_k > Real(0) && cost < best) best = cost, a = a_k, B = B_k, T_vf = t;
  }
  if (!(best < real_limits<Real>::infinity())) {
    fit.code = status::no_vft_minimum;
    return fit;
  }
  if (!std::isfinite(a) || !std::isfinite(B)) {  // the start itself over- or underflowed
    fit.code = status::out_of_range;
    return fit;
  }

  // Levenberg–Marquardt with Marquardt scaling: damping rows √μ·‖J e_j‖ e_j.
  const Real T_ceiling = T_min * (Real(1) - Real(16) * real_limits<Real>::epsilon());
  detail::givens_qr3<Real> qr = detail::vft_system(rows, a, B, T_vf);
  Real cost = qr.z[0] * qr.z[0] + qr.z[1] * qr.z[1] + qr.z[2] * qr.z[2] + qr.rest;
  if (!std::isfinite(cost) || !qr.finite()) {
    fit.code = status::out_of_range;
    return fit;
  }
  Real mu = Real(1e-3);
  bool converged = false;
  int iteration = 0;
  while (iteration < opt.max_iterations && !converged) {
    ++iteration;
    const Real norms[3] = {qr.column_norm(0), qr.column_norm(1), qr.column_norm(2)};
    bool accepted = false;
    while (!accepted) {
      detail::givens_qr3<Real> damped = qr;
      for (int j = 0; j < 3; ++j) {
        const Real d = std::sqrt(mu) * norms[j];
        damped.add_row(j == 0 ? d : Real(0), j == 1 ? d : Real(0), j == 2 ? d : Real(0), Real(0));
      }
      Real delta[3];
      if (!damped.solve(delta)) {
        fit.code = status::too_few_points;  // the Jacobian has rank < 3: too few distinct T
        fit.iterations = iteration;
        return fit;
      }
      const Real a_new = a + delta[0], B_new = B + delta[1];
      // Lower bound: project onto T_vf = 0. Upper bound: T_vf < min T, else damp more.
      const Real T_new = std::fmax(T_vf + delta[2], Real(0));
      const Real cost_new = T_new < T_ceiling ? detail::vft_cost(rows, a_new, B_new, T_new)
                                              : real_limits<Real>::infinity();
      if (cost_new < cost || (cost_new == cost && cost == Real(0))) {
        a = a_new, B = B_new, T_vf = T_new, cost = cost_new;
        qr = detail::vft_system(rows, a, B, T_vf);
        converged = detail::at_minimum(qr, a, B, T_vf, cost, opt);
        mu = std::fmax(mu * Real(0.1), Real(1e-12));
        accepted = true;
      } else {
        mu *= Real(10);
        // No step lowers the cost even when tiny: a minimum to working precision.
        if (mu > Real(1e16)) {
          converged = true;
          break;
        }
      }
    }
  }
  fit.iterations = iteration;

  status code = converged ? status::ok : status::not_converged;
  int free_parameters = 3;
  if (T_vf == Real(0)) {
    // On the lower bound: the best fit within it is the Arrhenius law, T_vf fixed.
    detail::linear_vft(rows, Real(0), a, B);
    qr = detail::vft_system(rows, a, B, Real(0));
    code = status::at_bound;
    free_parameters = 2;
  } else if (T_vf >= T_min * (Real(1) - Real(1e-6))) {
    code = status::at_bound;
  }
  if (!(B > Real(0))) {
    fit.code = std::isfinite(B) ? status::no_vft_minimum : status::out_of_range;
    return fit;
  }
  if (!qr.finite() || !std::isfinite(a)) {
    fit.code = status::out_of_range;
    return fit;
  }
  // Rank: a free parameter whose Jacobian column is (to rounding) a combination
  // of the others is not determined by the data (fewer than 3 distinct T).
  for (int k = 0; k < free_parameters; ++k)
    if (!(std::fabs(qr.R[k][k]) > Real(1000) * real_limits<Real>::epsilon() * qr.column_norm(k))) {
      fit.code = status::too_few_points;
      return fit;
    }

  // Covariance s² (JᵀJ)⁻¹ = s² R⁻¹R⁻ᵀ over the free parameters. The
  // correlation comes from (JᵀJ)⁻¹ itself, so it is defined for exact data too.
  const Real sse = detail::vft_cost(rows, a, B, T_vf);
  const Real s2 = n > free_parameters ? sse / Real(n - free_parameters) : nan;
  Real inverse_normal[3][3] = {};  // (JᵀJ)⁻¹
  if (free_parameters == 3) {
    Real inv[3][3] = {};  // R⁻¹, upper triangular
    for (int i = 2; i >= 0; --i) {
      inv[i][i] = Real(1) / qr.R[i][i];
      for (int j = i + 1; j < 3; ++j) {
        Real sum = Real(0);
        for (int k = i + 1; k <= j; ++k) sum += qr.R[i][k] * inv[k][j];
        inv[i][j] = -sum / qr.R[i][i];
      }
    }
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        Real sum = Real(0);
        for (int k = (i > j ? i : j); k < 3; ++k) sum += inv[i][k] * inv[j][k];
        inverse_normal[i][j] = sum;
      }
  } else {
    // Two parameters (a, B) with T_vf fixed: the leading 2×2 block of R is theirs.
    const Real r00 = qr.R[0][0], r01 = qr.R[0][1], r11 = qr.R[1][1];
    const Real i00 = Real(1) / r00, i11 = Real(1) / r11, i01 = -r01 / (r00 * r11);
    inverse_normal[0][0] = i00 * i00 + i01 * i01;
    inverse_normal[0][1] = inverse_normal[1][0] = i01 * i11;
    inverse_normal[1][1] = i11 * i11;
  }

  fit.a = a, fit.B = B, fit.T_vf = T_vf;
  fit.a_stderr = std::sqrt(s2 * inverse_normal[0][0]);
  fit.B_stderr = std::sqrt(s2 * inverse_normal[1][1]);
  fit.T_vf_stderr = std::sqrt(s2 * inverse_normal[2][2]);
  fit.cov_a_B = s2 * inverse_normal[0][1];
  fit.cov_a_T_vf = s2 * inverse_normal[0][2];
  fit.cov_B_T_vf = s2 * inverse_normal[1][2];
  fit.B_T_vf_correlation =
      free_parameters == 3
          ? inverse_normal[1][2] / std::sqrt(inverse_normal[1][1] * inverse_normal[2][2])
          : Real(0);
  fit.rms = std::sqrt(sse / Real(n));
  fit.D = B / T_vf;
  fit.Tg = vft_temperature_at(a, B, T_vf, opt.tg_log_level);
  fit.m = vft_fragility(B, T_vf, fit.Tg);
  fit.code = code;
  // A number of a fit that claims success is finite, but for the documented
  // D = +inf on the T_vf = 0 bound and Tg, m = NaN out of reach of the level.
  const Real numbers[] = {fit.a, fit.B, fit.T_vf, fit.a_stderr, fit.B_stderr, fit.T_vf_stderr,
                          fit.cov_a_B, fit.cov_a_T_vf, fit.cov_B_T_vf, fit.B_T_vf_correlation, fit.rms};
  bool all_finite = std::isfinite(fit.D) || T_vf == Real(0);
  all_finite = all_finite && (std::isfinite(fit.m) || !std::isfinite(fit.Tg));
  for (const Real x : numbers) all_finite = all_finite && std::isfinite(x);
  if (!all_finite) {
    const int iterations = fit.iterations;
    fit = unfitted_vft<Real>(status::out_of_range, n);
    fit.iterations = iterations;
  }
  return fit;
}

/// Many datasets stored back to back: dataset d is rows offset[d] .. offset[d+1)
/// of T and y. Trivially copyable: the batched fitter's kernel argument.
template <class Real>
struct dataset_table {
  const Real* T;
  const Real* y;
  const std::uint64_t* offset;  ///< n_datasets + 1 entries
  std::uint64_t n_datasets;
};

/// Fit number `job` of a batch over a dataset table: job = d·(replicas + 1) + r
/// fits dataset d itself when r = 0 and its bootstrap resample r otherwise.
/// The one function both batched backends (CPU loop, CUDA kernel) call.
template <class Real>
SCALEHAM_HD vft_fit<Real> fit_job(const dataset_table<Real>& table, std::uint64_t replicas,
                                  std::uint64_t seed, std::uint64_t job,
                                  const vft_options<Real>& opt) {
  const std::uint64_t d = job / (replicas + 1), r = job % (replicas + 1);
  const std::uint64_t begin = table.offset[d];
  const array_rows<Real> rows{table.T + begin, table.y + begin,
                              static_cast<int>(table.offset[d + 1] - begin)};
  // The dataset enters the key, so datasets of equal size get unrelated resamples.
  return r == 0 ? fit_vft(rows, opt)
                : fit_vft(bootstrap_rows<array_rows<Real>>{rows, splitmix64(seed + d), r}, opt);
}

}  // namespace scaleham
