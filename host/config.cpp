// Reading and validating sweep configurations. The schema is documented in
// docs/config.md; keep the two in step.
#include "config.hpp"
#include "output_fields.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config_overrides.hpp"
#include "input_file.hpp"
#include "scaleham/quadrature.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham {
namespace {

// The built-in example. examples/paper.toml is a byte-identical copy, checked
// by tests/test_config.cpp, so users can start from the file.
constexpr std::string_view paper_example =
    R"toml(# The paper's worked example (docs/design.md section 1.4): what `scaleham run` computes
# when it is given no configuration file (this text is built into the binary).
#
# Model: beta(g) = lambda g, F(g) = A / g, with g = c (T - T0) in kelvin. The
# Hamilton-Jacobi action is S(g) = A / (lambda g), so ln tau(T) = ln tau0 +
# B / (T - T0) with B = D T0 = A / (lambda c): the Vogel-Fulcher-Tammann law.
# The paper's estimate D T0 ~ 500 K with lambda ~ 0.1 gives A ~ 50 K; the grid
# sweeps lambda and A around that point (21 x 21 = 441 points).
#
# Each flow starts at g0 = 100 K (T = 500 K) on the HJ manifold and runs
# ell = -10 units of RG time towards the infrared: g(ell) = g0 exp(lambda ell)
# falls to 22..61 K, towards the glass transition at g = 0 (T = T0), and the
# action grows like 1/g on the way. About 40 adaptive steps per point.
#
# Each point also evaluates ln tau(T) at 32 temperatures from 420 K to 700 K
# and fits ln tau = a + B / (T - T_vf) to them (/fit in the output). For this
# model the law is exact: the fit returns B = A / (lambda c) and T_vf = T0 to
# machine precision (|/fit/B_rel_err| ~ 1e-15), and a = ln tau0 -
# B / (T_ref - T0), since S is measured from T_ref, where ln tau = ln tau0.

[model]
lambda = 0.1    # beta = lambda g (alias of b1), dimensionless
A = 50.0        # F = A / g (alias of f_m1), K

[flow]
g0 = 100.0           # K: T = T0 + g0 / c = 500 K
p0 = "on_manifold"   # p0 = -F(g0) / beta(g0): the path solves the HJ equation (H = 0)
ell = -10.0          # RG time span; negative = towards the infrared (g decreases)
integrator = "dopri5"
rtol = 1e-10
atol = 1e-12

[action]
rtol = 1e-11

[temperature]
T0 = 400.0     # K
c = 1.0        # g = c (T - T0)
T_min = 420.0  # K: the ln tau(T) curve of every point runs from T_min ...
T_max = 700.0  # K: ... to T_max,
points = 32    # at this many evenly spaced temperatures (4..64)
T_ref = 700.0  # K: where S = 0, i.e. ln tau = ln tau0 (default: T_max)
tau0 = 1e-14   # s: the attempt time tau0

[fit]
enabled = true        # fit ln tau = a + B / (T - T_vf) to every curve
tg_tau = 100.0        # s: Tg is where the fitted tau reaches 100 s
max_iterations = 200  # Levenberg-Marquardt budget per point
scan_points = 48      # T_vf values scanned for the starting point

[grid]
sampling = "cartesian"

[[grid.axis]]         # first axis = slowest-varying dimension of the output
name = "lambda"
linspace = [0.05, 0.15, 21]

[[grid.axis]]
name = "A"
linspace = [25.0, 75.0, 21]
unit = "K"

[output]
flow = true
hj = true
fit = true       # /fit: a, B, T_vf, D, Tg, m, their errors, RMS, status
curves = false   # /curves: ln tau on the temperature grid, 32 values per point
compression = 4
)toml";

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
constexpr parameter_info parameter_table[] = {
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
};

constexpr bool table_is_in_slot_order() {
  for (int s = 0; s < param_count; ++s)
    if (parameter_table[s].slot != s) return false;
  return true;
}
static_assert(std::size(parameter_table) == param_count, "one row per parameter slot");
static_assert(table_is_in_slot_order(), "row s describes slot s");

/// The parameter called `name` (canonical name or alias), or nullptr.
const parameter_info* find_parameter(std::string_view name) {
  for (const parameter_info& p : parameter_table)
    if (name == param_name(p.slot) || (p.alias != nullptr && name == p.alias)) return &p;
  return nullptr;
}

/// Names and aliases of the parameters set in `section` (all if empty).
std::vector<std::string_view> parameter_names(std::string_view section = {}) {
  std::vector<std::string_view> names;
  for (const parameter_info& p : parameter_table) {
    if (!section.empty() && p.section != section) continue;
    names.emplace_back(param_name(p.slot));
    if (p.alias != nullptr) names.emplace_back(p.alias);
  }
  return names;
}

// ---------------------------------------------------------------------------
// The other keys of each section.

constexpr std::string_view section_names[] = {"model", "flow", "action", "temperature",
                                              "fit",   "grid", "output"};

/// Keys of a section that are not parameters.
std::vector<std::string_view> setting_keys(std::string_view section) {
  if (section == "flow")
    return {"integrator", "rtol", "atol", "max_steps", "rk4_steps", "g_min", "g_max", "g_target"};
  if (section == "action") return {"rtol", "atol", "max_intervals"};
  if (section == "temperature") return {"T_min", "T_max", "points", "T_ref", "tau0"};
  if (section == "fit") return {"enabled", "tg_tau", "max_iterations", "scan_points"};
  if (section == "grid") return {"sampling", "points", "axis"};
  if (section == "output") return {"flow", "hj", "fit", "curves", "compression", "float32"};
  return {};
}

std::vector<std::string_view> known_keys(std::string_view section) {
  std::vector<std::string_view> keys = parameter_names(section);
  for (std::string_view key : setting_keys(section)) keys.push_back(key);
  return keys;
}

constexpr std::string_view axis_keys[] = {"name", "linspace", "logspace", "values", "unit"};

// ---------------------------------------------------------------------------
// Suggestions for near misses.

/// Optimal-string-alignment distance: edits, with a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

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

std::string_view type_words(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::string join(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
}

// ---------------------------------------------------------------------------

/// The configuration before anything is read.
sweep_config default_config() {
  sweep_config config;
  for (const parameter_info& p : parameter_table) {
    config.base[p.slot] = p.default_value;
    config.units[p.slot] = p.unit;
  }
  point_settings<double>& s = config.settings;
  s.method = integrator::dopri5;
  s.rk4_steps = 1000;
  s.dopri5.rtol = 1e-10;
  s.dopri5.atol = 1e-12;
  s.dopri5.max_steps = 100000;
  s.events.g_min = 0.0;  // the physical domain: g = c (T - T0) > 0
  s.events.g_max = std::numeric_limits<double>::infinity();
  s.events.use_target = false;
  s.p0_on_manifold = true;
  s.quadrature.rtol = 1e-11;
  s.quadrature.atol = 0.0;
  s.quadrature.max_intervals = quadrature_capacity;
  relaxation_settings<double>& r = s.relaxation;
  r.enabled = true;
  r.n_T = 32;
  r.T_min = 420.0;
  r.T_max = 700.0;
  r.T_ref = r.T_max;
  r.log_tau0 = std::log(1e-14);
  r.fit.max_iterations = 200;
  r.fit.scan_points = 48;
  r.fit.tg_log_level = std::log(100.0);
  config.output.fit = true;
  config.output.curves = false;
  return config;
}

/// Reads one TOML document into a sweep_config, failing on the first problem.
class config_parser {
 public:
  explicit config_parser(const std::string& source) : source_(source) {}

  sweep_config parse(const toml::table& root) {
    for (auto&& [key, node] : root) {
      if (std::find(std::begin(section_names), std::end(section_names), key.str()) !=
          std::end(section_names))
        continue;
      if (node.is_table())
        fail(key.source(), key.str(), "unknown section" + suggestion(key.str(), section_names));
      fail(key.source(), key.str(),
           "unknown key: every setting belongs to a section" + home_of(key.str()));
    }
    // Flow before grid: axes are checked against the domain and the p0 mode.
    if (const toml::table* t = section(root, "model")) read_model(*t);
    if (const toml::table* t = section(root, "flow")) read_flow(*t);
    if (const toml::table* t = section(root, "action")) read_action(*t);
    if (const toml::table* t = section(root, "temperature")) read_temperature(*t);
    if (const toml::table* t = section(root, "fit")) read_fit(*t);
    if (const toml::table* t = section(root, "grid")) read_grid(*t);
    if (const toml::table* t = section(root, "output")) read_output(*t);
    // The HJ action is computed only for a sweep that writes /hj.
    config_.settings.compute_action = config_.output.hj;
    check_base_values(root);
    check_reference_temperature(root);
    return std::move(config_);
  }

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
  void read_parameters(const toml::table& table, std::string_view section_name) {
    for (auto&& [key, node] : table) {
      const parameter_info* p = find_parameter(key.str());
      if (p == nullptr || p->section != section_name || p->slot == param_p0) continue;
      const std::string path = join(section_name, key.str());
      set_base(*p, finite_number(node, path), node, path);
    }
  }

  void set_base(const parameter_info& p, double value, const toml::node& node,
                const std::string& path) {
    check_admissible(p, value, node, path);
    // `lambda` and `b1` name the same slot: keep exactly one of them. The
    // table is sorted by key, not by line, so report the later of the two.
    if (const toml::node* other = base_node_[p.slot]) {
      const bool this_is_later = node.source().begin.line >= other->source().begin.line;
      const toml::node& later = this_is_later ? node : *other;
      const toml::node& earlier = this_is_later ? *other : node;
      fail(later.source(), this_is_later ? path : base_key_[p.slot],
           fmt::format("sets the same parameter as '{}' (line {}); keep only one",
                       this_is_later ? base_key_[p.slot] : path, earlier.source().begin.line));
    }
    base_node_[p.slot] = &node;
    base_key_[p.slot] = path;
    config_.base[p.slot] = value;
  }

  void read_model(const toml::table& t) {
    check_keys(t, "model", known_keys("model"));
    read_parameters(t, "model");
  }

  void read_flow(const toml::table& t) {
    check_keys(t, "flow", known_keys("flow"));
    read_parameters(t, "flow");
    point_settings<double>& s = config_.settings;

    if (const toml::node* node = t.get("p0")) {
      if (node->is_string()) {
        choice(*node, "flow.p0", std::array{"on_manifold"});
        s.p0_on_manifold = true;
      } else {
        s.p0_on_manifold = false;
        set_base(parameter_table[param_p0], finite_number(*node, "flow.p0"), *node, "flow.p0");
      }
    }
    if (const toml::node* node = t.get("integrator"))
      s.method = choice(*node, "flow.integrator", std::array{"dopri5", "rk4"}) == "rk4"
                     ? integrator::rk4
                     : integrator::dopri5;

    read_tolerances(t, "flow", s.dopri5,
                    fmt::format("must be 0 or in [10 eps, 1) with eps = {:.3g}",
                                std::numeric_limits<double>::epsilon()));
    constexpr std::int64_t int_max = std::numeric_limits<int>::max();
    if (const toml::node* node = t.get("max_steps"))
      s.dopri5.max_steps = static_cast<int>(integer(*node, "flow.max_steps", 1, int_max));
    if (const toml::node* node = t.get("rk4_steps"))
      s.rk4_steps = static_cast<int>(integer(*node, "flow.rk4_steps", 1, int_max));

    // The domain edges may be infinite (an open side), never NaN.
    for (auto [key, edge] :
         {std::pair{"g_min", &s.events.g_min}, std::pair{"g_max", &s.events.g_max}})
      if (const toml::node* node = t.get(key)) {
        *edge = number(*node, join("flow", key));
        if (std::isnan(*edge)) fail(node->source(), join("flow", key), "must be a number, got nan");
      }
    if (!(s.events.g_max > s.events.g_min)) {
      const toml::node* node = t.get("g_max") != nullptr ? t.get("g_max") : t.get("g_min");
      fail(node->source(), node == t.get("g_max") ? "flow.g_max" : "flow.g_min",
           fmt::format("g_max must be > g_min, got g_min = {}, g_max = {}", s.events.g_min,
                       s.events.g_max));
    }
    if (const toml::node* node = t.get("g_target")) {
      s.events.use_target = true;
      s.events.g_target = finite_number(*node, "flow.g_target");
      if (!(s.events.g_target >= s.events.g_min && s.events.g_target <= s.events.g_max))
        fail(node->source(), "flow.g_target",
             fmt::format("must lie in [g_min, g_max] = [{}, {}] to be reachable, got {}",
                         s.events.g_min, s.events.g_max, s.events.g_target));
    }
  }

  void read_action(const toml::table& t) {
    check_keys(t, "action", known_keys("action"));
    quadrature_options<double>& q = config_.settings.quadrature;
    read_tolerances(t, "action", q, "must be in [0, 1)");
    if (const toml::node* node = t.get("max_intervals"))
      q.max_intervals =
          static_cast<int>(integer(*node, "action.max_intervals", 1, quadrature_capacity));
  }

  /// Reads rtol and atol into `options` and checks them with the core's own
  /// valid_options(), so the config accepts exactly what the integrators do.
  /// Each key is first checked alone, with the other tolerance at a value that
  /// is valid by itself and keeps rtol + atol > 0, so the message names the
  /// culprit; then the pair (both 0 is the one way it can still fail).
  template <class Options>
  void read_tolerances(const toml::table& t, std::string_view section_name, Options& options,
                       std::string_view rtol_rule) {
    const std::string rtol_key = join(section_name, "rtol"), atol_key = join(section_name, "atol");
    const toml::node* rtol_node = t.get("rtol");
    const toml::node* atol_node = t.get("atol");
    if (rtol_node != nullptr) {
      Options alone = options;
      alone.rtol = number(*rtol_node, rtol_key);
      alone.atol = 1;
      if (!valid_options(alone))
        fail(rtol_node->source(), rtol_key, fmt::format("{}, got {}", rtol_rule, alone.rtol));
      options.rtol = alone.rtol;
    }
    if (atol_node != nullptr) {
      Options alone = options;
      alone.atol = number(*atol_node, atol_key);
      alone.rtol = 0.5;
      if (!valid_options(alone))
        fail(atol_node->source(), atol_key,
             fmt::format("must be finite and >= 0, got {}", alone.atol));
      options.atol = alone.atol;
    }
    if (!valid_options(options))
      fail((rtol_node != nullptr ? rtol_node : atol_node)->source(),
           rtol_node != nullptr ? rtol_key : atol_key,
           "rtol and atol are both 0: no error control; make at least one > 0");
  }

  /// A finite number > 0 (temperatures, times).
  double positive_number(const toml::node& node, std::string_view key) const {
    const double value = finite_number(node, key);
    if (!(value > 0)) fail(node.source(), key, fmt::format("must be > 0, got {}", value));
    return value;
  }

  void read_temperature(const toml::table& t) {
    check_keys(t, "temperature", known_keys("temperature"));
    read_parameters(t, "temperature");
    relaxation_settings<double>& r = config_.settings.relaxation;
    const toml::node* min_node = t.get("T_min");
    const toml::node* max_node = t.get("T_max");
    if (min_node != nullptr) r.T_min = positive_number(*min_node, "temperature.T_min");
    if (max_node != nullptr) r.T_max = finite_number(*max_node, "temperature.T_max");
    if (!(r.T_max > r.T_min)) {
      const bool blame_max = max_node != nullptr;
      fail((blame_max ? max_node : min_node)->source(),
           blame_max ? "temperature.T_max" : "temperature.T_min",
           fmt::format("T_max must be > T_min, got T_min = {} K, T_max = {} K{}", r.T_min, r.T_max,
                       blame_max ? "" : " (the default)"));
    }
    if (const toml::node* node = t.get("points"))
      r.n_T = static_cast<int>(integer(*node, "temperature.points", 4, max_curve_points));
    r.T_ref = r.T_max;
    if (const toml::node* node = t.get("T_ref")) {
      r.T_ref = finite_number(*node, "temperature.T_ref");
      T_ref_node_ = node;
    }
    T_max_node_ = max_node;
    if (const toml::node* node = t.get("tau0")) {
      const double tau0 = positive_number(*node, "temperature.tau0");
      r.log_tau0 = std::log(tau0);  // finite: tau0 is a finite number > 0
    }
  }

  void read_fit(const toml::table& t) {
    check_keys(t, "fit", known_keys("fit"));
    relaxation_settings<double>& r = config_.settings.relaxation;
    if (const toml::node* node = t.get("enabled")) {
      r.enabled = boolean(*node, "fit.enabled");
      if (!r.enabled) {
        config_.output.fit = false;
        fit_disabled_node_ = node;
      }
    }
    if (const toml::node* node = t.get("tg_tau"))
      r.fit.tg_log_level = std::log(positive_number(*node, "fit.tg_tau"));
    constexpr std::int64_t int_max = std::numeric_limits<int>::max();
    if (const toml::node* node = t.get("max_iterations"))
      r.fit.max_iterations = static_cast<int>(integer(*node, "fit.max_iterations", 1, int_max));
    if (const toml::node* node = t.get("scan_points"))
      r.fit.scan_points = static_cast<int>(integer(*node, "fit.scan_points", 2, int_max));
  }

  void read_grid(const toml::table& t) {
    check_keys(t, "grid", known_keys("grid"));
    if (const toml::node* node = t.get("sampling")) {
      const std::string_view sampling = choice(*node, "grid.sampling", std::array{"cartesian", "halton", "paired"});
      config_.random = sampling == "halton";
      config_.paired = sampling == "paired";
    }

    if (const toml::node* node = t.get("points")) {
      if (!config_.random)
        fail(node->source(), "grid.points",
             "only with sampling = \"halton\" (a cartesian grid has the product of the axes' "
             "counts)");
      config_.random_points = static_cast<std::uint64_t>(
          integer(*node, "grid.points", 1, std::numeric_limits<std::int64_t>::max()));
    } else if (config_.random) {
      fail(t.source(), "grid.points", "missing: sampling = \"halton\" needs the number of points");
    }

    if (const toml::node* node = t.get("axis")) {
      const toml::array* axes = node->as_array();
      if (axes == nullptr || !axes->is_array_of_tables())
        fail(node->source(), "grid.axis",
             fmt::format("expected an array of tables, written [[grid.axis]] once per axis, got {}",
                         type_words(*node)));
      for (std::size_t a = 0; a < axes->size(); ++a) read_axis(*axes->get(a)->as_table(), a);
    }
    if (config_.random && config_.axes.empty())
      fail(t.source(), "grid.axis", "sampling = \"halton\" needs at least one [[grid.axis]]");
    if (config_.paired) {
      // Point i takes coordinate i of every axis: the axes are read as
      // cartesian ones, then must agree on their count.
      if (config_.axes.empty())
        fail(t.source(), "grid.axis", "sampling = \"paired\" needs at least one [[grid.axis]]");
      const std::uint64_t count = config_.shape().front();
      for (std::size_t a = 0; a < config_.axes.size(); ++a) {
        const std::uint64_t n = config_.axes[a].kind == axis_kind::values ? config_.axes[a].values.size()
                                                                          : std::uint64_t(config_.axes[a].count);
        if (n != count)
          fail(axis_nodes_[a]->source(), fmt::format("grid.axis[{}]", a),
               fmt::format("sampling = \"paired\" needs axes of one length: this one has {} coordinates, "
                           "grid.axis[0] {}",
                           n, count));
      }
      config_.random = true;  // one point per sample, as a Halton grid
      config_.random_points = count;
    }

    // The number of points must fit the uint64 point index.
    std::uint64_t points = 1;
    for (std::size_t a = 0; a < config_.axes.size() && !config_.random; ++a) {
      const auto count = static_cast<std::uint64_t>(config_.axes[a].count);
      if (points > std::numeric_limits<std::uint64_t>::max() / count)
        fail(axis_nodes_[a]->source(), fmt::format("grid.axis[{}]", a),
             "the grid has more points than a 64-bit index can count");
      points *= count;
    }
  }

  void read_axis(const toml::table& t, std::size_t index) {
    const std::string prefix = fmt::format("grid.axis[{}]", index);
    check_keys(t, prefix, axis_keys);
    if (index >= static_cast<std::size_t>(max_axes))
      fail(t.source(), prefix, fmt::format("too many axes: at most {}", max_axes));

    axis_config axis;
    const toml::node* name_node = t.get("name");
    if (name_node == nullptr)
      fail(t.source(), prefix + ".name", "missing: every axis needs a name");
    axis.name = string(*name_node, prefix + ".name");
    const parameter_info* p = find_parameter(axis.name);
    if (p == nullptr)
      fail(name_node->source(), prefix + ".name",
           fmt::format("unknown parameter '{}'{}", shown(axis.name),
                       suggestion(axis.name, parameter_names())));
    axis.slot = p->slot;
    axis.unit = p->unit;
    for (std::size_t a = 0; a < config_.axes.size(); ++a)
      if (config_.axes[a].slot == axis.slot)
        fail(name_node->source(), prefix + ".name",
             fmt::format("axis '{}' sweeps the same parameter as axis '{}' (line {})", axis.name,
                         config_.axes[a].name, axis_nodes_[a]->source().begin.line));
    if (axis.slot == param_p0 && config_.settings.p0_on_manifold)
      fail(name_node->source(), prefix + ".name",
           "sweeping p0 needs flow.p0 set to a number (it is \"on_manifold\", the default, where "
           "p0 = -F(g0)/beta(g0) follows from g0)");

    const toml::node* kind_node = nullptr;
    std::string_view kind_key;
    for (std::string_view key : {"linspace", "logspace", "values"}) {
      const toml::node* node = t.get(key);
      if (node == nullptr) continue;
      if (kind_node != nullptr)
        fail(node->source(), join(prefix, key),
             fmt::format("give only one of 'linspace', 'logspace' or 'values' (also has '{}')",
                         kind_key));
      kind_node = node;
      kind_key = key;
    }
    if (kind_node == nullptr)
      fail(t.source(), prefix, "needs one of 'linspace', 'logspace' or 'values'");
    const std::string kind_path = join(prefix, kind_key);
    if (kind_key == "values")
      read_values(*kind_node, kind_path, *p, axis);
    else
      read_range(*kind_node, kind_path, *p, kind_key == "logspace", axis);

    if (const toml::node* node = t.get("unit")) {
      axis.unit = string(*node, prefix + ".unit");
      // Stored as a C string attribute: a NUL would cut it short, and other
      // control characters have no place in a unit.
      const auto control = std::find_if(axis.unit.begin(), axis.unit.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == '\x7F';
      });
      if (control != axis.unit.end())
        fail(node->source(), prefix + ".unit",
             fmt::format("\"{}\" contains a control character (byte {} is {}); a unit is printable text",
                         shown(axis.unit), control - axis.unit.begin() + 1,
                         shown(std::string_view(&*control, 1))));
    }
    config_.axes.push_back(std::move(axis));
    axis_nodes_.push_back(&t);
  }

  /// linspace/logspace = [lo, hi, count] (cartesian) or [lo, hi] (halton).
  void read_range(const toml::node& node, const std::string& path, const parameter_info& p,
                  bool logspace, axis_config& axis) const {
    const std::size_t length = config_.random ? 2 : 3;
    const toml::array* range = node.as_array();
    if (range == nullptr || range->size() != length)
      fail(node.source(), path,
           config_.random ? "expected [lo, hi] (with halton sampling, grid.points sets the count)"
                          : "expected [lo, hi, count]");
    axis.kind = logspace ? axis_kind::logspace : axis_kind::linspace;
    axis.lo = finite_number(*range->get(0), path);
    axis.hi = finite_number(*range->get(1), path);
    axis.count = config_.random
                     ? 0
                     : integer(*range->get(2), path, 1, std::numeric_limits<std::int64_t>::max());
    if (logspace && !(axis.lo > 0 && axis.hi > 0))
      fail(node.source(), path,
           fmt::format("logspace needs lo > 0 and hi > 0, got [{}, {}]", axis.lo, axis.hi));
    if (axis.lo == axis.hi && (config_.random || axis.count >= 2))
      fail(node.source(), path,
           fmt::format("lo = hi = {}: the axis has no extent (set the base value instead)",
                       axis.lo));
    // Coordinates are lo + (hi − lo)·t and lo·e^(t·ln(hi/lo)) (grid.hpp): an
    // extent or a ratio beyond double's range would turn coordinates into inf.
    if (!logspace && !std::isfinite(axis.hi - axis.lo))
      fail(node.source(), path,
           fmt::format("hi − lo = {:g} − ({:g}) overflows a double: split the axis or rescale the parameter",
                       axis.hi, axis.lo));
    if (logspace && !(std::isfinite(axis.hi / axis.lo) && axis.hi / axis.lo > 0 &&
                      std::fabs(std::log(axis.hi / axis.lo)) < 700))
      fail(node.source(), path,
           fmt::format("hi/lo = {:g}/{:g} spans more than 300 decades: split the axis", axis.hi, axis.lo));
    for (const toml::node* end : {range->get(0), range->get(1)}) check_coordinate(p, *end, path);
  }

  /// values = [v1, v2, ...] (cartesian only).
  void read_values(const toml::node& node, const std::string& path, const parameter_info& p,
                   axis_config& axis) const {
    if (config_.random)
      fail(node.source(), path,
           "halton sampling needs 'linspace' or 'logspace' axes (a box to sample)");
    const toml::array* values = node.as_array();
    if (values == nullptr || values->empty())
      fail(node.source(), path, "expected a non-empty array of numbers");
    axis.kind = axis_kind::values;
    // A coordinate given twice computes the same point twice and makes the
    // axis useless as a dimension scale (xarray's .sel needs unique labels).
    std::map<double, std::size_t> position_of;  // -0.0 and 0.0 are one value here, as in .sel
    for (const toml::node& v : *values) {
      axis.values.push_back(finite_number(v, path));
      check_coordinate(p, v, path);
      const auto [it, inserted] = position_of.try_emplace(axis.values.back(), axis.values.size());
      if (!inserted)
        fail(v.source(), path,
             fmt::format("value {} appears twice (elements {} and {}); the values of an axis must be distinct",
                         axis.values.back(), it->second, axis.values.size()));
    }
    axis.count = static_cast<std::int64_t>(axis.values.size());
  }

  void check_coordinate(const parameter_info& p, const toml::node& node,
                        const std::string& path) const {
    const double value = number(node, path);
    check_admissible(p, value, node, path);
    if (p.slot == param_g0) check_in_domain(value, node.source(), path);
  }

  void read_output(const toml::table& t) {
    check_keys(t, "output", known_keys("output"));
    // flow, hj and fit: true, false, or the list of the group's fields to write.
    for (auto [key, flag, fields] : {std::tuple{"flow", &config_.output.flow, &config_.output.flow_fields},
                                     std::tuple{"hj", &config_.output.hj, &config_.output.hj_fields},
                                     std::tuple{"fit", &config_.output.fit, &config_.output.fit_fields}})
      if (const toml::node* node = t.get(key)) {
        if (node->is_array()) {
          *fields = field_list(*node, key);
          *flag = true;
        } else {
          *flag = boolean(*node, join("output", key));
        }
      }
    // The curves and the fits need the relaxation-time curves, which
    // [fit] enabled = false switches off.
    for (auto [key, flag] :
         {std::pair{"fit", &config_.output.fit}, std::pair{"curves", &config_.output.curves}})
      if (const toml::node* node = t.get(key)) {
        if (!node->is_array()) *flag = boolean(*node, join("output", key));
        if (*flag && !config_.settings.relaxation.enabled)
          fail(node->source(), join("output", key),
               fmt::format("needs the relaxation-time curves, but [fit] enabled = false "
                           "(line {}) switches them off",
                           fit_disabled_node_->source().begin.line));
      }
    if (const toml::node* node = t.get("compression"))
      config_.output.compression = static_cast<int>(integer(*node, "output.compression", 0, 9));
    if (const toml::node* node = t.get("float32")) config_.output.float32 = boolean(*node, "output.float32");
  }

  /// output.<group> = ["name", ...]: distinct fields of that group, at least one.
  std::vector<std::string> field_list(const toml::node& node, const std::string& group) const {
    const std::string key = join("output", group);
    const std::vector<std::string> known = field_names(group);
    std::string known_words;
    for (const std::string& name : known) known_words += (known_words.empty() ? "" : ", ") + name;
    const toml::array* list = node.as_array();
    if (list->empty())
      fail(node.source(), key, fmt::format("an empty list writes nothing: use {} = false to leave out /{}", group,
                                           group));
    std::vector<std::string> fields;
    for (const toml::node& element : *list) {
      const std::string name = string(element, key);
      if (std::find(known.begin(), known.end(), name) == known.end())
        fail(element.source(), key,
             fmt::format("/{} has no field '{}'; its fields are {}", group, name, known_words));
      if (std::find(fields.begin(), fields.end(), name) != fields.end())
        fail(element.source(), key, fmt::format("field '{}' is listed twice", name));
      fields.push_back(name);
    }
    return fields;
  }

  // --- whole-config checks ---------------------------------------------------

  bool swept(int slot) const {
    return std::any_of(config_.axes.begin(), config_.axes.end(),
                       [slot](const axis_config& a) { return a.slot == slot; });
  }

  /// Where a base value came from: its key, or the section (a default).
  std::pair<toml::source_region, std::string> origin(const toml::table& root, int slot) const {
    if (base_node_[slot] != nullptr) return {base_node_[slot]->source(), base_key_[slot]};
    const std::string_view section_name = parameter_table[slot].section;
    const toml::node* section_node = root.get(section_name);
    return {section_node != nullptr ? section_node->source() : toml::source_region{},
            join(section_name, param_name(slot))};
  }

  void check_base_values(const toml::table& root) const {
    if (!swept(param_g0)) {
      const auto [where, key] = origin(root, param_g0);
      check_in_domain(config_.base[param_g0], where, key,
                      base_node_[param_g0] == nullptr ? " (the default)" : "");
    }
    // A beta that vanishes everywhere has no flow and no manifold: every point would fail.
    bool beta_can_be_nonzero = false;
    for (int k = 0; k <= max_beta_degree; ++k)
      beta_can_be_nonzero |= config_.base[param_b0 + k] != 0 || swept(param_b0 + k);
    if (!beta_can_be_nonzero) {
      const auto [where, key] = origin(root, param_b1);
      fail(where, key,
           "beta(g) is identically zero: set or sweep lambda (b1) or another of b0..b4");
    }
  }

  /// g_ref = c (T_ref − T0) must be > 0 at every point: S = 0 there (the
  /// reference of the curve). T0 is the base value or, when swept, every value
  /// of its axis (the largest is an end of the range, or one of the values).
  /// Points whose T0 lies above T_min are fine: their curve reports a status.
  /// Blamed: T_ref if given, else T_max (T_ref's default), else T0.
  void check_reference_temperature(const toml::table& root) const {
    const relaxation_settings<double>& r = config_.settings.relaxation;
    if (!r.enabled) return;
    double highest_T0 = config_.base[param_T0];
    std::string T0_words = "T0";
    toml::source_region T0_where;
    std::string T0_key;
    for (std::size_t a = 0; a < config_.axes.size(); ++a) {
      const axis_config& axis = config_.axes[a];
      if (axis.slot != param_T0) continue;
      if (axis.kind == axis_kind::values)
        highest_T0 = *std::max_element(axis.values.begin(), axis.values.end());
      else
        highest_T0 = axis.count == 1 ? axis.lo : std::max(axis.lo, axis.hi);
      T0_words = fmt::format("the largest T0 of axis '{}' (line {})", axis.name,
                             axis_nodes_[a]->source().begin.line);
      T0_where = axis_nodes_[a]->source();
      T0_key = fmt::format("grid.axis[{}]", a);
    }
    if (r.T_ref > highest_T0) return;
    if (T0_key.empty()) {
      std::tie(T0_where, T0_key) = origin(root, param_T0);
      T0_words = base_node_[param_T0] != nullptr
                     ? fmt::format("T0 ({}, line {})", T0_key, T0_where.begin.line)
                     : std::string("T0 (the default)");
    }

    const std::string why = "so that g_ref = c (T_ref - T0) > 0 (ln tau = ln tau0 at T_ref)";
    if (T_ref_node_ != nullptr)
      fail(T_ref_node_->source(), "temperature.T_ref",
           fmt::format("must be above {} = {} K {}, got {}", T0_words, highest_T0, why, r.T_ref));
    if (T_max_node_ != nullptr)
      fail(T_max_node_->source(), "temperature.T_max",
           fmt::format("T_ref defaults to T_max, which must then be above {} = {} K {}, got {}: "
                       "raise T_max or set temperature.T_ref",
                       T0_words, highest_T0, why, r.T_max));
    fail(T0_where, T0_key,
         fmt::format("{} = {} K must be below T_ref (default: T_max = {} K) {}: "
                     "set temperature.T_max or T_ref above it",
                     T0_words, highest_T0, r.T_ref, why));
  }

  std::string source_;
  sweep_config config_ = default_config();
  const toml::node* T_ref_node_ = nullptr;                  // temperature.T_ref, when given
  const toml::node* T_max_node_ = nullptr;                  // temperature.T_max, when given
  const toml::node* fit_disabled_node_ = nullptr;           // fit.enabled = false, when given
  std::array<const toml::node*, param_count> base_node_{};  // where each base value was set
  std::array<std::string, param_count> base_key_{};
  std::vector<const toml::table*> axis_nodes_;  // one per accepted axis
};

}  // namespace

std::string config_key_location(const sweep_config& config, const std::string& dotted_key) {
  for (auto it = config.overrides.rbegin(); it != config.overrides.rend(); ++it)  // the last one counts
    if (it->rfind(dotted_key + "=", 0) == 0) return fmt::format("{}: key '{}'", shown(override_source(*it)), dotted_key);
  try {
    const toml::table root = toml::parse(config.file_text, config.source_name);
    if (const toml::node* node = root.at_path(dotted_key).node())
      return fmt::format("{}:{}: key '{}'", config.source_name, node->source().begin.line, dotted_key);
  } catch (const toml::parse_error&) {
    // The text parsed once already; fall through to the plain form.
  }
  return fmt::format("{}: key '{}' (default)", config.source_name, dotted_key);
}

sweep_config parse_config_text(std::string_view text, const std::string& source_name,
                               const std::vector<std::string>& overrides) {
  // toml++ would stop at a NUL with a message that quotes it (and so ends
  // there where it is printed), and reads UTF-16 as garbage: say what it is.
  int binary_line = 0;
  const std::string binary = not_text_reason(text, binary_line);
  if (!binary.empty()) throw config_error(fmt::format("{}:{}: {}", source_name, binary_line, binary));
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw config_error(fmt::format("{}:{}: TOML syntax error: {}", source_name,
                                   e.source().begin.line, shown(e.description(), 200)));
  }
  apply_overrides(root, overrides);
  sweep_config config = config_parser(source_name).parse(root);
  config.source_name = source_name;
  config.file_text = std::string(text);
  config.overrides = overrides;
  if (overrides.empty()) {
    config.source_text = config.file_text;
  } else {
    // The configuration as run, in a form that reads back to the same values
    // (toml++ writes floats in their shortest round-trip form).
    std::ostringstream resolved;
    resolved << "# " << shown(source_name, 1000) << " with";
    for (const std::string& o : overrides) resolved << " " << shown(override_source(o), 1000);
    resolved << "\n" << toml::toml_formatter(root) << "\n";
    config.source_text = resolved.str();
  }
  return config;
}

sweep_config parse_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  // Only a regular file of at most max_config_bytes: a directory reads as
  // nothing, /dev/zero until memory runs out, a FIFO without a writer forever.
  std::string text;
  try {
    text = read_input_file(path, max_config_bytes, "a configuration");
  } catch (const input_file_error& e) {
    throw config_error(fmt::format("{}: {}", path, e.what()));
  }
  return parse_config_text(text, path, overrides);
}

std::string_view builtin_example_config() { return paper_example; }

}  // namespace scaleham
