/// \file vft_start.hpp
/// The start of the VFT fit: a and B by linear least squares at fixed T_vf,
/// and the search for T_vf over the scan grid (part of vft.hpp).
#pragma once

#include <cmath>

#include "scaleham/vft_law.hpp"

namespace scaleham::detail {

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

/// The T_vf scan for the fit's start. Grid point k of N = opt.scan_points is
/// T_vf = T_min (1 − 10^(−6k/(N − 1))): from 0 to T_min (1 − 10⁻⁶), denser
/// near T_min where fragile liquids put it. The start is the grid point of
/// least squared residual with B > 0 (a, B by linear least squares there),
/// the first of equals.
///
/// Cheaper than trying all N, for the same answer whenever the squared
/// residual along the grid has its least value within `stride` points of the
/// least among every stride-th point (a profile with one valley, as VFT data
/// give): every stride-th point first (and the last), then the stride − 1
/// points on each side of the best of those. For N = 48 that is 19 points in
/// 5 passes, not 48 in 48. If no coarse point has B > 0, all are tried, so that no_vft_minimum
/// means what it did. Each pass over the rows evaluates `lanes` grid points:
/// one row read, `lanes` independent divisions (packed by the compiler).
template <class Real>
struct vft_scan {
#if defined(__CUDA_ARCH__)
  // A GPU thread gains nothing from packing, and 4 lanes cost it 192 B of
  // stack and 36 registers in the fitter alone (ptxas sm_90), which spilled
  // in evaluate_batch: one grid point per pass there.
  static constexpr int lanes = 1;
#else
  static constexpr int lanes = 4;
#endif
  /// The stride is chosen for 4 lanes on every backend, so that the host and
  /// the device try the same grid points (evaluate's order does not matter:
  /// least cost, first of equals).
  static constexpr int stride_lanes = 4;
  int N;
  Real T_min, log_step;  // gap_k = exp(k · log_step)
  Real y0 = Real(0), sy = Real(0), cyy = Real(0);  // the y moments, the same at every T_vf
  // Best so far.
  Real a = real_limits<Real>::quiet_nan(), B = real_limits<Real>::quiet_nan(), T_vf = real_limits<Real>::quiet_nan();
  Real best = real_limits<Real>::infinity();
  int best_k = -1;

  SCALEHAM_HD Real grid(int k) const {
    // The last point exactly at 10⁻⁶ below T_min, as the old pow() grid had it.
    return k == N - 1 && N > 1 ? T_min * (Real(1) - Real(1e-6))
                                : T_min * (Real(1) - std::exp(Real(k) * log_step));
  }

  /// Evaluates grid points ks[0 .. count) (count <= lanes) in one pass.
  template <class Rows>
  SCALEHAM_HD void evaluate(const Rows& rows, const int* ks, int count) {
    Real T[lanes], x0[lanes], sx[lanes], sxx[lanes], sxy[lanes];
    Real t, y;
    rows.row(0, t, y);
    SCALEHAM_UNROLL
    for (int l = 0; l < lanes; ++l) {
      T[l] = grid(ks[l < count ? l : 0]);
      x0[l] = Real(1) / (t - T[l]);
      sx[l] = sxx[l] = sxy[l] = Real(0);
    }
    const int n = rows.size();
    for (int i = 1; i < n; ++i) {
      rows.row(i, t, y);
      const Real dy = y - y0;
      SCALEHAM_UNROLL
      for (int l = 0; l < lanes; ++l) {
        const Real dx = Real(1) / (t - T[l]) - x0[l];
        sx[l] += dx, sxx[l] += dx * dx, sxy[l] += dx * dy;
      }
    }
    const Real inv_n = Real(1) / Real(n);
    for (int l = 0; l < count; ++l) {
      const Real cxx = sxx[l] - sx[l] * sx[l] * inv_n, cxy = sxy[l] - sx[l] * sy * inv_n;
      const Real B_l = cxx > Real(0) ? cxy / cxx : real_limits<Real>::quiet_nan();
      const Real cost = std::fmax(cyy - B_l * cxy, Real(0));
      // As a scan in grid order would choose: the least cost, the first of equals.
      if (B_l > Real(0) && (cost < best || (cost == best && ks[l] < best_k))) {
        best = cost, best_k = ks[l], B = B_l, T_vf = T[l];
        a = y0 + sy * inv_n - B_l * (x0[l] + sx[l] * inv_n);
      }
    }
  }

  /// Evaluates grid points first, first + stride, ... up to `last` (and
  /// `last` itself), skipping `skip_stride` multiples (already done).
  template <class Rows>
  SCALEHAM_HD void sweep(const Rows& rows, int first, int last, int stride, int skip_stride) {
    int ks[lanes], count = 0;
    for (int k = first; k <= last; k += stride) {
      const bool done = skip_stride > 0 && (k % skip_stride == 0 || k == N - 1);
      if (!done) ks[count++] = k;
      if (count == lanes) evaluate(rows, ks, count), count = 0;
    }
    if (count > 0) evaluate(rows, ks, count);
  }

  template <class Rows>
  SCALEHAM_HD void run(const Rows& rows, Real T_minimum, int scan_points) {
    N = scan_points, T_min = T_minimum;
    log_step = N > 1 ? Real(-6) * Real(2.302585092994045684) / Real(N - 1) : Real(0);
    // The y moments once: shifted by row 0 like the x ones.
    const int n = rows.size();
    Real t, y, syy = Real(0);
    rows.row(0, t, y0);
    for (int i = 1; i < n; ++i) {
      rows.row(i, t, y);
      const Real dy = y - y0;
      sy += dy, syy += dy * dy;
    }
    cyy = syy - sy * sy / Real(n);

    // The stride with the fewest host passes: ceil(coarse/4) + ceil(fine/4),
    // coarse = the multiples of stride below N plus the last point, fine =
    // 2(stride − 1). For N = 48: stride 5, 3 + 2 passes for 11 + 8 points.
    const auto passes = [&](int s) {
      const int coarse = (N - 1) / s + 1 + ((N - 1) % s != 0);
      return (coarse + stride_lanes - 1) / stride_lanes + (2 * (s - 1) + stride_lanes - 1) / stride_lanes;
    };
    int stride = 1;
    for (int s = 2; s < N; ++s)
      if (passes(s) < passes(stride)) stride = s;
    if (stride == 1) {
      sweep(rows, 0, N - 1, 1, 0);
      return;
    }
    // Coarse: 0, stride, 2·stride, ... and the last point.
    {
      int ks[lanes], count = 0;
      for (int k = 0; k < N; k += stride) {
        ks[count++] = k;
        if (count == lanes) evaluate(rows, ks, count), count = 0;
      }
      if ((N - 1) % stride != 0) ks[count++] = N - 1;
      if (count > 0) evaluate(rows, ks, count);
    }
    if (best_k < 0) {  // no coarse point with B > 0: try every point
      sweep(rows, 0, N - 1, 1, stride);
      return;
    }
    // Fine: the points between the best coarse point and its coarse neighbours.
    const int lo = best_k - (stride - 1) > 0 ? best_k - (stride - 1) : 0;
    const int hi = best_k + (stride - 1) < N - 1 ? best_k + (stride - 1) : N - 1;
    sweep(rows, lo, hi, 1, stride);
  }
};

}  // namespace scaleham::detail
