/// \file vft_systems.hpp
/// The linearised VFT least-squares problem at a point (a, B, T_vf), in two
/// forms the Levenberg–Marquardt loop of vft.hpp runs on (part of vft.hpp):
///
///  - centred_system: one pass of sums, no square root and one division per
///    row. The column of a is eliminated in closed form (centring), and the
///    remaining 2×2 (B, T_vf) block is solved in correlation form, so the
///    only loss to the normal equations is 1/(1 − ρ²), ρ the correlation of
///    the B and T_vf columns. Used in double while 1 − ρ² >= ε^(1/3) (conditioned()):
///    then a step is good to n·ε^(2/3) relative, far inside what LM needs,
///    and the covariance is as accurate as from a QR (both lose ε/(1 − ρ²):
///    (JᵀJ)⁻¹ is that sensitive to J, docs/numerics.md §6.4).
///  - givens_system: the QR of J built row by row by Givens rotations (3 square
///    roots and 3 divisions per row, 3–4× the work): exact to working
///    precision however correlated B and T_vf are. The fallback for data
///    where 1 − ρ² < ε^(1/3) (e.g. a narrow temperature range far above T_vf).
///
/// Both give: sse (Σ r², summed from the residuals themselves: a cost from
/// sums of squares would cancel to noise on exact data), the damped step, the
/// undamped Gauss–Newton step with its cost reduction, and (JᵀJ)⁻¹ with the
/// rank test.
#pragma once

#include <cmath>

#include "scaleham/vft_law.hpp"

namespace scaleham::detail {

/// Σ (a + B/(T − T_vf) − y)² over the rows.
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

/// The least-squares problem J δ ≈ −r (J's columns ∂/∂a = 1, ∂/∂B = x,
/// ∂/∂T_vf = B x², x = 1/(T − T_vf); r = a + B x − y) by its centred sums.
/// Writing K for the (B, T_vf) columns, k̄ for their means and C, c for the
/// centred KᵀK and Kᵀr: JᵀJ = [[n, n k̄ᵀ], [n k̄, C + n k̄ k̄ᵀ]], Jᵀr = [n r̄,
/// c + n k̄ r̄]. Sums are of the rows minus row 0 (a shift inside the data
/// keeps the centred moments accurate in one pass, without the means first).
template <class Real>
struct centred_system {
  static constexpr bool fused = true;
  Real n = Real(0);
  Real mean_x = Real(0), mean_v = Real(0), mean_r = Real(0);  ///< k̄ = (mean_x, mean_v); r̄
  Real Cxx = Real(0), Cxv = Real(0), Cvv = Real(0);           ///< C
  Real cx = Real(0), cv = Real(0);                            ///< c
  Real sse = Real(0);                                         ///< Σ r²

  template <class Rows>
  SCALEHAM_HD static centred_system build(const Rows& rows, Real a, Real B, Real T_vf) {
    centred_system s;
    const int rows_n = rows.size();
    Real t, y;
    rows.row(0, t, y);
    const Real x0 = Real(1) / (t - T_vf);
    const Real r0 = a + B * x0 - y;
    Real su = Real(0), sv = Real(0), sw = Real(0), suu = Real(0), suv = Real(0), svv = Real(0);
    Real suw = Real(0), svw = Real(0), sse = r0 * r0;
    for (int i = 1; i < rows_n; ++i) {
      rows.row(i, t, y);
      const Real x = Real(1) / (t - T_vf);  // the one division of the row
      const Real r = a + B * x - y;
      const Real u = x - x0;
      const Real v = B * u * (x + x0);  // B x² − B x0², without the cancellation
      const Real w = r - r0;
      sse += r * r;
      su += u, sv += v, sw += w;
      suu += u * u, suv += u * v, svv += v * v, suw += u * w, svw += v * w;
    }
    const Real n = Real(rows_n), inv_n = Real(1) / n;
    s.n = n;
    s.mean_x = x0 + su * inv_n;
    s.mean_v = B * x0 * x0 + sv * inv_n;
    s.mean_r = r0 + sw * inv_n;
    s.Cxx = suu - su * su * inv_n;
    s.Cxv = suv - su * sv * inv_n;
    s.Cvv = svv - sv * sv * inv_n;
    s.cx = suw - su * sw * inv_n;
    s.cv = svw - sv * sw * inv_n;
    s.sse = sse;
    return s;
  }

  /// 1 − ρ², ρ the correlation of the centred B and T_vf columns: computed as
  /// (1 − ρ)(1 + ρ), good to a few ε absolute.
  SCALEHAM_HD Real decorrelation() const {
    const Real rho = Cxv / (std::sqrt(Cxx) * std::sqrt(Cvv));
    return (Real(1) - rho) * (Real(1) + rho);
  }

  SCALEHAM_HD bool finite() const {
    const Real numbers[] = {n, mean_x, mean_v, mean_r, Cxx, Cxv, Cvv, cx, cv, sse};
    bool all = true;
    for (const Real x : numbers) all = all && std::isfinite(x);
    return all;
  }

  /// Whether this form is accurate enough for the fit (see the file comment).
  /// NaN or Inf anywhere fails too, and hands the fit to givens_system.
  SCALEHAM_HD bool conditioned() const {
    return finite() && Cxx > Real(0) && Cvv > Real(0) &&
           decorrelation() >= min_decorrelation();
  }

  /// ε^(1/3) = 6e-6 in double. Below it the centred sums were seen to stall
  /// LM on exact data (1 − ρ² = 3e-8: 200 iterations where the QR needs 4,
  /// tests/test_fit.cpp VftReference); above it every case of that test
  /// converges as the QR does. Fragile-liquid data (|ρ| <= 0.9999) stay far
  /// above it. In float, ε^(1/3) = 5e-3 is where most VFT data lie and the
  /// digits the normal equations lose are a visible part of float's seven
  /// (PointFit.FastFitterMatchesTheOldOneOnSweepCurves failed on one curve):
  /// float fits keep the QR throughout (2 > any 1 − ρ²).
  SCALEHAM_HD static Real min_decorrelation() {
    return sizeof(Real) == sizeof(double) ? Real(6.055454452393343e-06) : Real(2);
  }

  /// Solves the 2×2 system [[S00, S01], [S01, S11]] δ = g in correlation form
  /// (scaled to a unit diagonal: the division by 1 − ρ² is then the only
  /// amplification). False when singular to working precision.
  SCALEHAM_HD static bool solve2(Real S00, Real S01, Real S11, Real g0, Real g1, Real& d0, Real& d1) {
    if (!(S00 > Real(0) && S11 > Real(0))) return false;
    const Real s0 = Real(1) / std::sqrt(S00), s1 = Real(1) / std::sqrt(S11);
    const Real rho = S01 * s0 * s1;
    const Real det = (Real(1) - rho) * (Real(1) + rho);
    if (!(det > real_limits<Real>::epsilon())) return false;
    const Real h0 = g0 * s0, h1 = g1 * s1;
    d0 = s0 * (h0 - rho * h1) / det;
    d1 = s1 * (h1 - rho * h0) / det;
    return std::isfinite(d0) && std::isfinite(d1);
  }

  /// The step of the damped problem ‖J δ + r‖² + μ Σ_j ‖J e_j‖² δ_j²
  /// (Marquardt's scaling). Eliminating δ_a leaves the Schur complement
  /// C + μ diag(KᵀK) + (n μ/(1 + μ)) k̄ k̄ᵀ for (δ_B, δ_T), with right side
  /// −(c + (n μ/(1 + μ)) r̄ k̄), and δ_a = −(r̄ + k̄ᵀ δ_K)/(1 + μ): centred
  /// quantities only, so nothing cancels as μ → 0.
  SCALEHAM_HD bool damped_step(Real mu, Real delta[3]) const {
    const Real w = n * mu / (Real(1) + mu);
    const Real S00 = Cxx + mu * (Cxx + n * mean_x * mean_x) + w * mean_x * mean_x;
    const Real S11 = Cvv + mu * (Cvv + n * mean_v * mean_v) + w * mean_v * mean_v;
    const Real S01 = Cxv + w * mean_x * mean_v;
    if (!solve2(S00, S01, S11, -(cx + w * mean_r * mean_x), -(cv + w * mean_r * mean_v), delta[1], delta[2]))
      return false;
    delta[0] = -(mean_r + mean_x * delta[1] + mean_v * delta[2]) / (Real(1) + mu);
    return true;
  }

  /// The undamped Gauss–Newton step over the leading `free` parameters (2:
  /// T_vf held, δ_T = 0) and the cost reduction it promises, rᵀJ(JᵀJ)⁻¹Jᵀr
  /// = n r̄² + cᵀC⁻¹c (a sum of non-negative terms).
  SCALEHAM_HD bool gauss_newton(Real step[3], int free, Real& reducible) const {
    if (free == 3) {
      if (!solve2(Cxx, Cxv, Cvv, -cx, -cv, step[1], step[2])) return false;
    } else {
      if (!(Cxx > Real(0))) return false;
      step[1] = -cx / Cxx;
      step[2] = Real(0);
    }
    step[0] = -(mean_r + mean_x * step[1] + mean_v * step[2]);
    reducible = n * mean_r * mean_r - (cx * step[1] + cv * step[2]);
    return std::isfinite(step[0]) && std::isfinite(reducible);
  }

  /// (JᵀJ)⁻¹ over the leading `free` parameters, by the block inverse
  /// [[1/n + k̄ᵀC⁻¹k̄, −k̄ᵀC⁻¹], [−C⁻¹k̄, C⁻¹]]; false when the rank test of
  /// givens_system fails: a free column that is, to 1000 ε of its norm, a
  /// combination of the ones before it (R_kk² is C's Schur complement here).
  SCALEHAM_HD bool inverse_normal(Real inv[3][3], int free) const {
    const Real tiny = Real(1000) * real_limits<Real>::epsilon();
    if (!(Cxx > tiny * tiny * (Cxx + n * mean_x * mean_x))) return false;
    if (free == 3) {
      const Real d = decorrelation();
      if (!(Cvv * d > tiny * tiny * (Cvv + n * mean_v * mean_v))) return false;
      const Real s0 = Real(1) / std::sqrt(Cxx), s1 = Real(1) / std::sqrt(Cvv);
      const Real rho = Cxv * s0 * s1;
      inv[1][1] = s0 * s0 / d;
      inv[2][2] = s1 * s1 / d;
      inv[1][2] = inv[2][1] = -rho * s0 * s1 / d;
    } else {
      inv[1][1] = Real(1) / Cxx;
      inv[1][2] = inv[2][1] = inv[2][2] = Real(0);
    }
    inv[0][1] = inv[1][0] = -(inv[1][1] * mean_x + inv[1][2] * mean_v);
    inv[0][2] = inv[2][0] = -(inv[2][1] * mean_x + inv[2][2] * mean_v);
    inv[0][0] = Real(1) / n - (inv[0][1] * mean_x + inv[0][2] * mean_v);
    return true;
  }
};

/// R (3×3 upper triangular) and z = Qᵀr of J δ ≈ −r, accumulated one row at
/// a time by Givens rotations: stable however correlated the columns are.
template <class Real>
struct givens_system {
  static constexpr bool fused = false;
  Real R[3][3] = {};
  Real z[3] = {};
  Real rest = Real(0);  ///< squared norm of the part of r outside the range of J
  Real sse = Real(0);   ///< Σ r²

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

  template <class Rows>
  SCALEHAM_HD static givens_system build(const Rows& rows, Real a, Real B, Real T_vf) {
    givens_system qr;
    for (int i = 0; i < rows.size(); ++i) {
      Real t, y;
      rows.row(i, t, y);
      const Real x = Real(1) / (t - T_vf);
      const Real r = a + B * x - y;
      qr.sse += r * r;
      qr.add_row(Real(1), x, B * x * x, r);  // ∂/∂a, ∂/∂B, ∂/∂T_vf; residual
    }
    return qr;
  }

  /// True when R, z and the residual norms are all finite.
  SCALEHAM_HD bool finite() const {
    bool all = std::isfinite(rest) && std::isfinite(sse);
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

  /// The damped step: the rows √μ·‖J e_j‖ e_j rotated into a copy of R.
  SCALEHAM_HD bool damped_step(Real mu, Real delta[3]) const {
    givens_system damped = *this;
    for (int j = 0; j < 3; ++j) {
      const Real d = std::sqrt(mu) * column_norm(j);
      damped.add_row(j == 0 ? d : Real(0), j == 1 ? d : Real(0), j == 2 ? d : Real(0), Real(0));
    }
    return damped.solve(delta);
  }

  SCALEHAM_HD bool gauss_newton(Real step[3], int free, Real& reducible) const {
    if (!solve(step, free)) return false;
    reducible = Real(0);
    for (int k = 0; k < free; ++k) reducible += z[k] * z[k];
    return true;
  }

  /// (JᵀJ)⁻¹ = R⁻¹R⁻ᵀ over the leading `free` parameters; false when a free
  /// column is, to 1000 ε of its norm, a combination of the others (fewer
  /// than 3 temperatures that working precision tells apart).
  SCALEHAM_HD bool inverse_normal(Real inverse[3][3], int free) const {
    for (int k = 0; k < free; ++k)
      if (!(std::fabs(R[k][k]) > Real(1000) * real_limits<Real>::epsilon() * column_norm(k))) return false;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) inverse[i][j] = Real(0);
    if (free == 3) {
      Real inv[3][3] = {};  // R⁻¹, upper triangular
      for (int i = 2; i >= 0; --i) {
        inv[i][i] = Real(1) / R[i][i];
        for (int j = i + 1; j < 3; ++j) {
          Real sum = Real(0);
          for (int k = i + 1; k <= j; ++k) sum += R[i][k] * inv[k][j];
          inv[i][j] = -sum / R[i][i];
        }
      }
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
          Real sum = Real(0);
          for (int k = (i > j ? i : j); k < 3; ++k) sum += inv[i][k] * inv[j][k];
          inverse[i][j] = sum;
        }
    } else {
      // Two parameters (a, B) with T_vf fixed: the leading 2×2 block of R is theirs.
      const Real r00 = R[0][0], r01 = R[0][1], r11 = R[1][1];
      const Real i00 = Real(1) / r00, i11 = Real(1) / r11, i01 = -r01 / (r00 * r11);
      inverse[0][0] = i00 * i00 + i01 * i01;
      inverse[0][1] = inverse[1][0] = i01 * i11;
      inverse[1][1] = i11 * i11;
    }
    return true;
  }
};

/// Whether (a, B, T_vf) is a minimum to the fit's tolerances, judged by the
/// undamped Gauss–Newton step from it: every component below
/// xtol·(|θ| + xtol), or its cost reduction below ftol·cost — then the
/// minimum lies within sqrt(ftol·cost) in the metric of J (docs/numerics.md
/// §6.2). The damped step just taken is no such measure: with B and T_vf
/// strongly correlated, damping shortens it along the weak direction far more
/// than the distance that remains. On the T_vf = 0 bound with the step
/// pointing below it, T_vf is held and (a, B) judged alone.
template <class Real, class System>
SCALEHAM_HD bool at_minimum(const System& system, Real a, Real B, Real T_vf, Real cost,
                            const vft_options<Real>& opt) {
  Real step[3], reducible;
  int free = 3;
  if (!system.gauss_newton(step, free, reducible)) return false;
  if (T_vf == Real(0) && step[2] < Real(0) && !system.gauss_newton(step, free = 2, reducible)) return false;
  const Real theta[3] = {a, B, T_vf};
  bool small_step = true;
  for (int k = 0; k < free; ++k)
    small_step = small_step && std::fabs(step[k]) <= opt.xtol * (std::fabs(theta[k]) + opt.xtol);
  return small_step || reducible <= opt.ftol * cost;
}

}  // namespace scaleham::detail
