// The reader of one TOML configuration (config.hpp's parse_config_text):
// config_parser reads the sections in order, checking each value as it goes,
// and fails on the first problem with a config_error naming the source, the
// line (or the --set override) and the key. Its typed reads and checks are
// here; the sections are read in config_sections.cpp, the grid and the
// whole-configuration checks in config_grid.cpp. Private to the reader.
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

#include "config.hpp"
#include "config_overrides.hpp"
#include "config_schema.hpp"
#include "input_file.hpp"
#include "sweep_config.hpp"

namespace scaleham::config_reading {

/// Reads one TOML document into a sweep_config, failing on the first problem.
class config_parser {
 public:
  explicit config_parser(const std::string& source) : source_(source) {}

  sweep_config parse(const toml::table& root);

 private:
  /// " (it belongs in [flow] or [action])" for a key written outside its section.
  static std::string home_of(std::string_view key) {
    std::string sections;
    for (std::string_view section_name : section_names) {
      const std::vector<std::string_view> keys = known_keys(section_name);
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        sections += fmt::format("{}[{}]", sections.empty() ? "" : " or ", section_name);
    }
    return sections.empty() ? std::string() : fmt::format(" (it belongs in {})", sections);
  }

  // --- errors and typed reads ----------------------------------------------

  [[noreturn]] void fail(const toml::source_region& where, std::string_view key,
                         std::string_view message) const {
    // The key is the user's text (a TOML key may be any quoted string): shown()
    // escapes control characters and caps its length.
    if (is_override_source(where))  // --set KEY=VALUE: named as given
      throw config_error(fmt::format("{}: key '{}': {}", shown(*where.path), shown(key), message));
    if (where.begin.line > 0)
      throw config_error(
          fmt::format("{}:{}: key '{}': {}", source_, where.begin.line, shown(key), message));
    throw config_error(fmt::format("{}: key '{}': {}", source_, shown(key), message));
  }

  /// "line N" of the file, or "--set KEY=VALUE" for a value an override put there.
  static std::string place(const toml::source_region& where) {
    return is_override_source(where) ? shown(*where.path) : fmt::format("line {}", where.begin.line);
  }

  /// Whether `a` was written after `b`: overrides come after the file.
  static bool written_after(const toml::source_region& a, const toml::source_region& b) {
    if (is_override_source(a) != is_override_source(b)) return is_override_source(a);
    return a.begin.line >= b.begin.line;
  }

  const toml::table* section(const toml::table& root, std::string_view name) const {
    const toml::node* node = root.get(name);
    if (node == nullptr) return nullptr;
    if (!node->is_table())
      fail(node->source(), name,
           fmt::format("expected a section [{}], got {}", name, type_words(*node)));
    return node->as_table();
  }

  template <class Known>
  void check_keys(const toml::table& table, std::string_view path, const Known& known) const {
    for (auto&& [key, node] : table)
      if (std::find(std::begin(known), std::end(known), key.str()) == std::end(known))
        fail(key.source(), join(path, key.str()), "unknown key" + suggestion(key.str(), known));
  }

  double number(const toml::node& node, std::string_view key) const {
    if (const auto* v = node.as_floating_point()) return v->get();
    // Integers are numbers too (`g0 = 100`); the conversion is exact to 2^53.
    if (const auto* v = node.as_integer()) return static_cast<double>(v->get());
    fail(node.source(), key, fmt::format("expected a number, got {}", type_words(node)));
  }

  double finite_number(const toml::node& node, std::string_view key) const {
    const double value = number(node, key);
    if (!std::isfinite(value))
      fail(node.source(), key, fmt::format("must be finite, got {}", value));
    return value;
  }

  std::int64_t integer(const toml::node& node, std::string_view key, std::int64_t lo,
                       std::int64_t hi) const {
    const auto* v = node.as_integer();
    if (v == nullptr)
      fail(node.source(), key,
           node.is_floating_point() ? fmt::format("expected an integer, got the float {}",
                                                  node.as_floating_point()->get())
                                    : fmt::format("expected an integer, got {}", type_words(node)));
    if (v->get() < lo || v->get() > hi)
      fail(node.source(), key,
           hi == std::numeric_limits<std::int64_t>::max()
               ? fmt::format("must be >= {}, got {}", lo, v->get())
               : fmt::format("must be in {}..{}, got {}", lo, hi, v->get()));
    return v->get();
  }

  bool boolean(const toml::node& node, std::string_view key) const {
    if (const auto* v = node.as_boolean()) return v->get();
    fail(node.source(), key, fmt::format("expected true or false, got {}", type_words(node)));
  }

  std::string string(const toml::node& node, std::string_view key) const {
    if (const auto* v = node.as_string()) return v->get();
    fail(node.source(), key, fmt::format("expected a string, got {}", type_words(node)));
  }

  /// A string that must be one of `choices`.
  template <class Choices>
  std::string_view choice(const toml::node& node, std::string_view key,
                          const Choices& choices) const {
    const std::string value = string(node, key);
    for (std::string_view c : choices)
      if (value == c) return c;
    fail(node.source(), key,
         fmt::format("unknown value \"{}\"{}", shown(value), suggestion(value, choices)));
  }

  /// Checks a number written for parameter `p` (base value or axis coordinate).
  void check_admissible(const parameter_info& p, double value, const toml::node& node,
                        std::string_view key) const {
    switch (p.admissible) {
      case bound::any:
        return;
      case bound::positive:
        if (!(value > 0)) fail(node.source(), key, fmt::format("must be > 0, got {}", value));
        return;
      case bound::non_negative:
        if (!(value >= 0)) fail(node.source(), key, fmt::format("must be >= 0, got {}", value));
        return;
      case bound::nonzero:
        if (value == 0) fail(node.source(), key, "must be nonzero, got 0");
        return;
    }
  }

  /// g0 must lie inside the open domain (g_min, g_max), or the flow cannot start.
  void check_in_domain(double g0, const toml::source_region& where, std::string_view key,
                       std::string_view note = "") const {
    const stop_events<double>& ev = config_.settings.events;
    if (!(g0 > ev.g_min && g0 < ev.g_max))
      fail(where, key,
           fmt::format("g0 = {}{} is outside the domain (g_min, g_max) = ({}, {}) of the flow", g0,
                       note, ev.g_min, ev.g_max));
  }

  // --- sections --------------------------------------------------------------

  /// Base values of the parameters that live in `section_name` (all but p0,
  /// which may also be a string).
  void read_parameters(const toml::table& table, std::string_view section_name);

  void set_base(const parameter_info& p, double value, const toml::node& node,
                const std::string& path);

  /// [model]: the built-in coefficients, or the formulas beta and F with
  /// [model.parameters] (config_model.cpp).
  void read_model(const toml::table& t);

  /// [model.parameters]: name = default, each a slot param_x0 + i.
  void read_formula_parameters(const toml::node& node);

  /// The formula at `key` (model.beta or model.F), compiled; a parse error
  /// names the file, line, column and token.
  expression_program read_formula(const toml::node& node, std::string_view key) const;

  void read_flow(const toml::table& t);

  void read_action(const toml::table& t);

  /// Reads rtol and atol into `options` and checks them with the core's own
  /// valid_options(), so the config accepts exactly what the integrators do.
  /// Each key is first checked alone, with the other tolerance at a value that
  /// is valid by itself and keeps rtol + atol > 0, so the message names the
  /// culprit; then the pair (both 0 is the one way it can still fail).
  template <class Options>
  void read_tolerances(const toml::table& t, std::string_view section_name, Options& options,
                       std::string_view rtol_rule);

  /// A finite number > 0 (temperatures, times).
  double positive_number(const toml::node& node, std::string_view key) const;

  void read_temperature(const toml::table& t);

  void read_fit(const toml::table& t);

  void read_grid(const toml::table& t);

  void read_axis(const toml::table& t, std::size_t index);

  /// linspace/logspace = [lo, hi, count] (cartesian) or [lo, hi] (halton).
  void read_range(const toml::node& node, const std::string& path, const parameter_info& p,
                  bool logspace, axis_config& axis) const;

  /// values = [v1, v2, ...] (cartesian only).
  void read_values(const toml::node& node, const std::string& path, const parameter_info& p,
                   axis_config& axis) const;

  void check_coordinate(const parameter_info& p, const toml::node& node,
                        const std::string& path) const;

  void read_output(const toml::table& t);

  /// output.<group> = ["name", ...]: distinct fields of that group, at least one.
  std::vector<std::string> field_list(const toml::node& node, const std::string& group) const;

  // --- whole-config checks ---------------------------------------------------

  bool swept(int slot) const;

  /// The parameter an axis called `name` sweeps: a declared formula parameter
  /// or a row of the parameter table (not a coefficient of the built-in
  /// models when β and F are formulas). Fails with the names it knows.
  parameter_info axis_parameter(const std::string& name, const toml::node& name_node,
                                const std::string& key) const;

  /// Where a base value came from: its key, or the section (a default).
  std::pair<toml::source_region, std::string> origin(const toml::table& root, int slot) const;

  void check_base_values(const toml::table& root) const;

  /// The lowest and highest value slot takes on the grid: its axis's, or `base`.
  std::pair<double, double> extent(int slot, double base) const;

  /// Axes over settings: T_min below T_max at every point; no random
  /// temperatures with curves (the file's /curves/T is per T_min/T_max axis).
  void check_setting_axes();

  /// A tolerance coordinate of an axis over flow_rtol .. action_atol.
  void check_tolerance(int slot, double value, const toml::source_region& where, const std::string& path) const;

  /// g_ref = c (T_ref − T0) must be > 0 at every point: S = 0 there (the
  /// reference of the curve). T0 is the base value or, when swept, every value
  /// of its axis (the largest is an end of the range, or one of the values).
  /// Points whose T0 lies above T_min are fine: their curve reports a status.
  /// Blamed: T_ref if given, else T_max (T_ref's default), else T0.
  void check_reference_temperature(const toml::table& root) const;

  std::string source_;
  sweep_config config_ = default_config();
  const toml::node* T_ref_node_ = nullptr;                  // temperature.T_ref, when given
  const toml::node* T_max_node_ = nullptr;                  // temperature.T_max, when given
  const toml::node* fit_disabled_node_ = nullptr;           // fit.enabled = false, when given
  bool domain_swept_ = false;                               // an axis over g_min or g_max
  std::array<const toml::node*, param_count> base_node_{};  // where each base value was set
  std::array<std::string, param_count> base_key_{};
  std::vector<const toml::table*> axis_nodes_;  // one per accepted axis
};

}  // namespace scaleham::config_reading
