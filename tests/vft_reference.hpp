// The VFT fitter as it was before issue 10 (commit a06d31b, include/scaleham/
// vft.hpp: a T_vf scan of every grid point, Levenberg–Marquardt on a Givens QR
// rebuilt at every accepted step), kept verbatim so that tests can hold the
// faster fitter to docs/numerics.md §6 against it and bench_vft can measure
// both on the same data in one process. Not part of the library.
#pragma once

#include <cmath>

#include "scaleham/vft.hpp"

namespace scaleham::reference {

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

}  // namespace scaleham::reference
