/// \file relaxation_laws.hpp
/// The four laws glass science fits to relaxation times and viscosities
/// (part of relaxation_models.hpp, which fits them; see there):
///
///   vft               ln y = a + B / (T − T_vf)            0 <= T_vf < min T, B > 0
///   myega             ln y = a + (K / T) · exp(C / T)      C >= 0, K > 0   (Mauro et al. 2009)
///   avramov_milchev   ln y = a + (T_A / T)^α               α >= 1, T_A > 0
///   arrhenius         ln y = a + E / T                     E > 0
///
/// Their names, parameters, values, derivatives, Tg and fragility: the one
/// place each law's formula is written.
#pragma once

#include <cmath>
#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/vft_law.hpp"

namespace scaleham {

enum class relaxation_model : std::uint8_t { vft = 0, myega = 1, avramov_milchev = 2, arrhenius = 3 };
inline constexpr int relaxation_model_count = 4;

/// "vft", "myega", "avramov_milchev", "arrhenius".
inline const char* model_name(relaxation_model m) {
  switch (m) {
    case relaxation_model::vft: return "vft";
    case relaxation_model::myega: return "myega";
    case relaxation_model::avramov_milchev: return "avramov_milchev";
    default: return "arrhenius";
  }
}

/// Number of fitted parameters: 3, the Arrhenius law 2.
SCALEHAM_HD inline int model_parameter_count(relaxation_model m) { return m == relaxation_model::arrhenius ? 2 : 3; }

/// Name of parameter k (0..2) of a model; the third of arrhenius is empty.
inline const char* model_parameter_name(relaxation_model m, int k) {
  static const char* names[relaxation_model_count][3] = {
      {"a", "B", "T_vf"}, {"a", "K", "C"}, {"a", "T_A", "alpha"}, {"a", "E", ""}};
  return names[static_cast<int>(m)][k];
}

/// Whether parameter k is a temperature (K) or an amplitude of ln y, so a
/// scale of y's logarithm applies to it (a, B, K, E; T_A and α do not scale).
inline bool model_parameter_in_log_units(relaxation_model m, int k) {
  return k == 0 || (k == 1 && m != relaxation_model::avramov_milchev);
}
/// fragility at Tg is that slope over ln 10 (m = d log10 y / d(Tg/T)).
template <class Real>
SCALEHAM_HD Real model_term(relaxation_model model, Real T, const Real p[3], Real* log_slope = nullptr) {
  Real term, slope;
  switch (model) {
    case relaxation_model::vft: {
      const Real gap = T - p[2];
      term = p[1] / gap;
      slope = term * T / gap;
      break;
    }
    case relaxation_model::myega: {
      const Real x = Real(1) / T;
      term = p[1] * x * std::exp(p[2] * x);
      slope = term * (Real(1) + p[2] * x);
      break;
    }
    case relaxation_model::avramov_milchev:
      term = std::pow(p[1] / T, p[2]);
      slope = p[2] * term;
      break;
    default:
      term = p[1] / T;
      slope = term;
      break;
  }
  if (log_slope) *log_slope = slope;
  return term;
}

/// ln y of the law at T.
template <class Real>
SCALEHAM_HD Real model_log_y(relaxation_model model, Real T, const Real p[3]) {
  return p[0] + model_term(model, T, p);
}

/// The temperature where the law reaches log_level (NaN when it never does
/// above its bounds: log_level <= a).
template <class Real>
SCALEHAM_HD Real model_temperature_at(relaxation_model model, const Real p[3], Real log_level) {
  const Real nan = real_limits<Real>::quiet_nan();
  const Real rise = log_level - p[0];
  if (!(rise > Real(0))) return nan;
  Real T = nan;
  switch (model) {
    case relaxation_model::vft: T = vft_temperature_at(p[0], p[1], p[2], log_level); break;
    case relaxation_model::avramov_milchev: T = p[1] / std::pow(rise, Real(1) / p[2]); break;
    case relaxation_model::arrhenius: T = p[1] / rise; break;
    case relaxation_model::myega: {
      // K x e^{Cx} = rise in u = ln x: h(u) = ln K + u + C e^u − ln rise is
      // increasing and convex, and h >= 0 at the C = 0 root, so Newton from
      // there falls monotonically onto the root.
      const Real target = std::log(rise) - std::log(p[1]);
      Real u = target;
      for (int i = 0; i < 200; ++i) {
        const Real e = p[2] * std::exp(u);
        const Real step = (u + e - target) / (Real(1) + e);
        u -= step;
        if (!(std::fabs(step) > Real(4) * real_limits<Real>::epsilon() * (Real(1) + std::fabs(u)))) break;
      }
      T = std::exp(-u);
      break;
    }
  }
  return std::isfinite(T) && T > Real(0) ? T : nan;
}

/// Row source with weights: T[i], y[i] (ln of the quantity) and w[i] = 1/σ

namespace detail {
/// The bounded parameter's lower bound, and the scale of the 1e-6 margin
/// that labels a fit at_bound (docs/numerics.md §1).
template <class Real>
SCALEHAM_HD Real model_lower_bound(relaxation_model m) {
  return m == relaxation_model::avramov_milchev ? Real(1) : Real(0);
}

/// φ(T; θ) of the separable form a + b·φ for the start scan (AM: b =
/// (T_A/T_ref)^α, φ = (T_ref/T)^α).
template <class Real>
SCALEHAM_HD Real model_basis(relaxation_model m, Real T, Real theta, Real T_ref) {
  switch (m) {
    case relaxation_model::vft: return Real(1) / (T - theta);
    case relaxation_model::myega: return std::exp(theta / T) / T;
    case relaxation_model::avramov_milchev: return std::pow(T_ref / T, theta);
    default: return Real(1) / T;
  }
}
/// The law's term at T and its derivatives by p[1] and p[2] (0 for arrhenius).
template <class Real>
SCALEHAM_HD Real model_gradient(relaxation_model m, Real t, const Real p[3], Real& d1, Real& d2) {
  switch (m) {
    case relaxation_model::vft: {
      const Real x = Real(1) / (t - p[2]);
      d1 = x, d2 = p[1] * x * x;
      return p[1] * x;
    }
    case relaxation_model::myega: {
      const Real x = Real(1) / t;
      d1 = x * std::exp(p[2] * x), d2 = p[1] * d1 * x;
      return p[1] * d1;
    }
    case relaxation_model::avramov_milchev: {
      const Real u = std::log(p[1] / t), term = std::exp(p[2] * u);
      d1 = p[2] * term / p[1], d2 = term * u;
      return term;
    }
    default:
      d1 = Real(1) / t, d2 = Real(0);
      return p[1] * d1;
  }
}

/// The weighted QR of the Jacobian at p, with χ² summed from the residuals.
/// `order` lists the columns (0 a, 1 and 2 the law's parameters) in the
/// order they enter the QR: solve(δ, free) then moves the first `free` of
}  // namespace detail

}  // namespace scaleham
