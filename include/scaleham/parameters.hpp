/// \file parameters.hpp
/// The per-point parameter vector: every quantity a sweep axis may set.
///
/// A grid point is a full parameter vector: the base values of the config with
/// the sweep axes' coordinates written over their slots. The paper's names are
/// aliases: `lambda` is b1 (β = λ g), `A` is f_m1 (F = A / g).
#pragma once

#include <cstdint>

#include "scaleham/config.hpp"
#include "scaleham/model.hpp"

namespace scaleham {

/// Slots of the parameter vector. Values are stored in output files: append only.
enum param : int {
  param_b0, param_b1, param_b2, param_b3, param_b4,                          ///< β coefficients
  param_f_m4, param_f_m3, param_f_m2, param_f_m1, param_f0, param_f1,        ///< F coefficients
  param_f2, param_f3, param_f4,                                              ///< (f_m4 = f_{-4})
  param_g0,   ///< initial coupling of the flow
  param_p0,   ///< initial momentum (used unless the momentum is on the manifold)
  param_ell,  ///< RG-time span ℓ_end of the flow (either sign)
  param_T0,   ///< temperature of the g = 0 point, K: g = c (T − T0)
  param_c,    ///< dimensionless scale in g = c (T − T0) (g in kelvin)
  /// The named parameters of a model written as formulas ([model.parameters],
  /// in declaration order; expression.hpp). Unused by the built-in models.
  param_x0, param_x1, param_x2, param_x3, param_x4, param_x5, param_x6, param_x7,
  param_count
};

/// Most named parameters a formula model may declare.
inline constexpr int max_model_parameters = param_count - param_x0;

/// Settings an axis may sweep as well: slots after the parameter vector.
/// They are not in it (a point's vector, in registers on the GPU, keeps its
/// size); settings_of_point (point.hpp) writes them into the point's
/// settings. Values are stored in output files: append only.
enum setting_slot : int {
  setting_T_min = param_count,  ///< K, lowest temperature of the curve
  setting_T_max,                ///< K, highest (also T_ref when T_ref follows it)
  setting_T_ref,                ///< K, where S = 0
  setting_tau0,                 ///< s, the attempt time τ0
  setting_tg_tau,               ///< s, the τ that defines Tg
  setting_g_min,                ///< the flow's domain (g_min, g_max)
  setting_g_max,
  setting_g_target,             ///< the flow's target g (the target is then on)
  setting_flow_rtol,            ///< DOPRI5 tolerances
  setting_flow_atol,
  setting_action_rtol,          ///< the HJ quadrature's tolerances
  setting_action_atol,
  slot_count
};

/// A set of slots, bit s for slot s.
using slot_mask = std::uint64_t;
static_assert(slot_count <= 64, "slot_mask is a 64-bit set of slots");

/// The slots in [first, last].
SCALEHAM_HD constexpr slot_mask slot_range(int first, int last) {
  return ((slot_mask(1) << (last - first + 1)) - 1) << first;
}

/// The setting slots.
inline constexpr slot_mask setting_slots = slot_range(setting_T_min, slot_count - 1);

/// Config/output name of each slot (snake_case; `f_m2` is the coefficient of g^-2).
SCALEHAM_HD inline const char* param_name(int slot) {
  constexpr const char* names[slot_count] = {
      "b0",   "b1",   "b2",   "b3", "b4", "f_m4", "f_m3", "f_m2", "f_m1", "f0",
      "f1",   "f2",   "f3",   "f4", "g0", "p0",   "ell",  "T0",   "c",
      "x0",   "x1",   "x2",   "x3", "x4", "x5",   "x6",   "x7",
      "T_min", "T_max", "T_ref", "tau0", "tg_tau", "g_min", "g_max", "g_target",
      "flow_rtol", "flow_atol", "action_rtol", "action_atol"};
  return (slot >= 0 && slot < slot_count) ? names[slot] : "unknown";
}

/// The built-in model whose coefficients sit in slots b0..b4, f_m4..f4 of `params`.
template <class Real>
SCALEHAM_HD model<Real> model_from(const Real* params) {
  model<Real> m;
  for (int k = 0; k <= max_beta_degree; ++k) m.beta.b[k] = params[param_b0 + k];
  for (int k = -max_laurent_order; k <= max_laurent_order; ++k)
    m.F.coeff(k) = params[param_f_m4 + k + max_laurent_order];
  return m;
}

/// How a point's parameter vector becomes its model: the built-in families
/// (model_from). The other way is formula_models (expression.hpp). The core's
/// pipeline (point.hpp) takes either.
struct builtin_models {
  template <class Real>
  SCALEHAM_HD model<Real> operator()(const Real* params) const {
    return model_from(params);
  }
};

}  // namespace scaleham
