// What a sweep configuration may contain (docs/config.md): its sections and
// keys, the one table of parameters (name, alias, section, default, unit,
// admissible values), the defaults, the built-in example, and the words of
// messages (type names, "did you mean"). Private to the configuration reader.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scaleham/parameters.hpp"
#include "sweep_config.hpp"

namespace scaleham::config_reading {

// ---------------------------------------------------------------------------
// The one table of parameters: name (param_name), alias, section, default,
// unit and admissible values of every slot of the parameter vector.

/// What a parameter accepts besides being finite. Checked on the base value
/// and on every number an axis over the parameter writes (lo, hi, values);
/// linspace and logspace are monotone, so that covers every coordinate.
enum class bound { any, positive, non_negative, nonzero };

struct parameter_info {
  param slot;
  const char* alias;         // the paper's name, or nullptr
  std::string_view section;  // the TOML section that sets the base value
  double default_value;
  const char* unit;  // g is in kelvin; "1" = dimensionless
  bound admissible;
};

// Units: g = c (T - T0) is in kelvin with c dimensionless. dg/dell = beta with
// ell dimensionless, so b_k g^k is in K and b_k in K^(1-k); dS/dell = -F with S
// dimensionless (ln tau = ln tau0 + S), so f_k is in K^(-k) and p = dS/dg in 1/K.
inline constexpr parameter_info parameter_table[] = {
    {param_b0, nullptr, "model", 0.0, "K", bound::any},
    {param_b1, "lambda", "model", 0.1, "1", bound::any},
    {param_b2, nullptr, "model", 0.0, "1/K", bound::any},
    {param_b3, nullptr, "model", 0.0, "K^-2", bound::any},
    {param_b4, nullptr, "model", 0.0, "K^-3", bound::any},
    {param_f_m4, nullptr, "model", 0.0, "K^4", bound::any},
    {param_f_m3, nullptr, "model", 0.0, "K^3", bound::any},
    {param_f_m2, nullptr, "model", 0.0, "K^2", bound::any},
    {param_f_m1, "A", "model", 50.0, "K", bound::any},
    {param_f0, nullptr, "model", 0.0, "1", bound::any},
    {param_f1, nullptr, "model", 0.0, "1/K", bound::any},
    {param_f2, nullptr, "model", 0.0, "K^-2", bound::any},
    {param_f3, nullptr, "model", 0.0, "K^-3", bound::any},
    {param_f4, nullptr, "model", 0.0, "K^-4", bound::any},
    {param_g0, nullptr, "flow", 1.0, "K", bound::any},  // and inside (g_min, g_max)
    {param_p0, nullptr, "flow", 0.0, "1/K", bound::any},
    {param_ell, nullptr, "flow", 10.0, "1", bound::nonzero},
    {param_T0, nullptr, "temperature", 400.0, "K", bound::non_negative},
    {param_c, nullptr, "temperature", 1.0, "1", bound::positive},
    // The named parameters of formula models: [model.parameters] declares
    // them, with their defaults; no unit is known (an axis may give one).
    {param_x0, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x1, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x2, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x3, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x4, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x5, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x6, nullptr, "model.parameters", 0.0, "", bound::any},
    {param_x7, nullptr, "model.parameters", 0.0, "", bound::any},
};

inline constexpr bool table_is_in_slot_order() {
  for (int s = 0; s < param_count; ++s)
    if (parameter_table[s].slot != s) return false;
  return true;
}
static_assert(std::size(parameter_table) == param_count, "one row per parameter slot");
static_assert(table_is_in_slot_order(), "row s describes slot s");

/// The parameter called `name` (canonical name or alias), or nullptr.
const parameter_info* find_parameter(std::string_view name);

/// Settings an axis may sweep (parameters.hpp, setting slots): their base
/// values are the settings of their sections (read there, not as
/// parameters); `alias` is the key in that section.
inline constexpr parameter_info setting_table[] = {
    {param(setting_T_min), "T_min", "temperature", 420.0, "K", bound::positive},
    {param(setting_T_max), "T_max", "temperature", 700.0, "K", bound::positive},
    {param(setting_T_ref), "T_ref", "temperature", 700.0, "K", bound::positive},
    {param(setting_tau0), "tau0", "temperature", 1e-14, "s", bound::positive},
    {param(setting_tg_tau), "tg_tau", "fit", 100.0, "s", bound::positive},
    {param(setting_g_min), "g_min", "flow", 0.0, "K", bound::any},
    {param(setting_g_max), "g_max", "flow", 0.0, "K", bound::any},
    {param(setting_g_target), "g_target", "flow", 0.0, "K", bound::any},
    {param(setting_flow_rtol), "rtol", "flow", 1e-10, "1", bound::non_negative},
    {param(setting_flow_atol), "atol", "flow", 1e-12, "1", bound::non_negative},
    {param(setting_action_rtol), "rtol", "action", 1e-11, "1", bound::non_negative},
    {param(setting_action_atol), "atol", "action", 0.0, "1", bound::non_negative},
};
static_assert(std::size(setting_table) == slot_count - param_count, "one row per setting slot");

/// The setting an axis called `name` sweeps (T_min, tau0, flow_rtol, ...), or nullptr.
const parameter_info* find_setting(std::string_view name);

/// Names and aliases of the parameters set in `section` (all if empty).
std::vector<std::string_view> parameter_names(std::string_view section = {});

/// The sections of a configuration.
inline constexpr std::string_view section_names[] = {"model", "flow", "action", "temperature",
                                                     "fit", "grid", "output"};

/// Keys of a section that are not parameters.
std::vector<std::string_view> setting_keys(std::string_view section);

/// Every key a section may hold: its parameters and its settings.
std::vector<std::string_view> known_keys(std::string_view section);

/// The keys of one [[grid.axis]] table.
inline constexpr std::string_view axis_keys[] = {"name", "linspace", "logspace", "values", "unit"};

/// Optimal-string-alignment distance: edits, with a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// " (did you mean 'x'?)" for the closest candidate within 2 edits, else the
/// list of candidates, so the message always says what would have been valid.
template <class Candidates>
std::string suggestion(std::string_view word, const Candidates& candidates) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : candidates) {
    // The distance is at least the difference in length: skip the quadratic
    // table for a 100 kB key.
    const std::size_t length_gap = word.size() > candidate.size() ? word.size() - candidate.size()
                                                                   : candidate.size() - word.size();
    if (length_gap >= best_distance) continue;
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) best = candidate, best_distance = distance;
  }
  if (!best.empty()) return fmt::format(" (did you mean '{}'?)", best);
  std::string list;
  for (std::string_view candidate : candidates)
    list += fmt::format("{}'{}'", list.empty() ? "" : ", ", candidate);
  return list.empty() ? std::string() : fmt::format(" (expected one of {})", list);
}

/// "a string", "an integer", ... for messages about a value of the wrong type.
std::string_view type_words(const toml::node& node);

/// "section.key" (or "key" for the root).
std::string join(std::string_view section, std::string_view key);

/// The configuration before anything is read: every default of docs/config.md.
sweep_config default_config();

/// TOML text of the built-in example (config.hpp's builtin_example_config).
extern const std::string_view paper_example;

}  // namespace scaleham::config_reading
