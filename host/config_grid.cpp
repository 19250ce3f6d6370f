// [grid] and its [[grid.axis]] tables, and the checks of the whole
// configuration once every section is read (config_parser.hpp).
#include "config_parser.hpp"

#include <fmt/ranges.h>

#include "output_fields.hpp"
#include "scaleham/quadrature.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham::config_reading {

void config_parser::read_grid(const toml::table& t) {
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
    // Whether the flow's domain is swept: then g0 is not checked against the
    // base domain (a point outside its own domain ends invalid_initial_state).
    for (std::size_t a = 0; a < axes->size(); ++a)
      if (const toml::table* axis = axes->get(a)->as_table())
        if (const auto name = axis->get_as<std::string>("name"))
          domain_swept_ |= name->get() == "g_min" || name->get() == "g_max";
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

void config_parser::read_axis(const toml::table& t, std::size_t index) {
  const std::string prefix = fmt::format("grid.axis[{}]", index);
  check_keys(t, prefix, axis_keys);
  if (index >= static_cast<std::size_t>(max_axes))
    fail(t.source(), prefix, fmt::format("too many axes: at most {}", max_axes));

  axis_config axis;
  const toml::node* name_node = t.get("name");
  if (name_node == nullptr)
    fail(t.source(), prefix + ".name", "missing: every axis needs a name");
  axis.name = string(*name_node, prefix + ".name");
  const parameter_info info = axis_parameter(axis.name, *name_node, prefix + ".name");
  const parameter_info* p = &info;
  axis.slot = p->slot;
  axis.unit = p->unit;
  for (std::size_t a = 0; a < config_.axes.size(); ++a)
    if (config_.axes[a].slot == axis.slot)
      fail(name_node->source(), prefix + ".name",
           fmt::format("axis '{}' sweeps the same parameter as axis '{}' ({})", axis.name,
                       config_.axes[a].name, place(axis_nodes_[a]->source())));
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

void config_parser::read_range(const toml::node& node, const std::string& path, const parameter_info& p,
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

void config_parser::read_values(const toml::node& node, const std::string& path, const parameter_info& p,
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

void config_parser::check_coordinate(const parameter_info& p, const toml::node& node,
                                     const std::string& path) const {
  const double value = number(node, path);
  check_admissible(p, value, node, path);
  if (p.slot == param_g0 && !domain_swept_) check_in_domain(value, node.source(), path);
  if (p.slot >= param_count) check_tolerance(static_cast<int>(p.slot), value, node.source(), path);
}

void config_parser::check_tolerance(int slot, double value, const toml::source_region& where,
                                    const std::string& path) const {
  // As read_tolerances checks the file's: alone (the other at a value valid
  // by itself), then with the other's base value (both 0: no error control).
  const auto check = [&](auto options, bool is_rtol, std::string_view rule, std::string_view other) {
    auto alone = options;
    (is_rtol ? alone.rtol : alone.atol) = value;
    (is_rtol ? alone.atol : alone.rtol) = is_rtol ? 1.0 : 0.5;
    if (!valid_options(alone)) fail(where, path, fmt::format("{}, got {}", rule, value));
    (is_rtol ? options.rtol : options.atol) = value;
    if (!valid_options(options))  // the value is 0, and so is the other's base value
      fail(where, path,
           fmt::format("{} = 0 here, with {} = 0 (its base value), leaves no error control; make one of them > 0",
                       param_name(slot), other));
  };
  const std::string flow_rule = fmt::format("a flow rtol must be 0 or in [10 eps, 1) with eps = {:.3g}",
                                            std::numeric_limits<double>::epsilon());
  switch (slot) {
    case setting_flow_rtol: check(config_.settings.dopri5, true, flow_rule, "flow.atol"); break;
    case setting_flow_atol: check(config_.settings.dopri5, false, "must be finite and >= 0", "flow.rtol"); break;
    case setting_action_rtol: check(config_.settings.quadrature, true, "must be in [0, 1)", "action.atol"); break;
    case setting_action_atol: check(config_.settings.quadrature, false, "must be finite and >= 0", "action.rtol"); break;
    default: break;
  }
}

std::pair<double, double> config_parser::extent(int slot, double base) const {
  for (const axis_config& axis : config_.axes)
    if (axis.slot == slot) {
      if (axis.kind == axis_kind::values)
        return {*std::min_element(axis.values.begin(), axis.values.end()),
                *std::max_element(axis.values.begin(), axis.values.end())};
      if (!config_.random && axis.count == 1) return {axis.lo, axis.lo};
      return {std::min(axis.lo, axis.hi), std::max(axis.lo, axis.hi)};
    }
  return {base, base};
}

void config_parser::check_setting_axes() {
  relaxation_settings<double>& r = config_.settings.relaxation;
  // A swept T_ref is T_ref, whatever the order of the axes.
  if (swept(setting_T_ref)) r.T_ref_is_T_max = false;
  for (std::size_t a = 0; a < config_.axes.size(); ++a) {
    const axis_config& axis = config_.axes[a];
    const std::string key = fmt::format("grid.axis[{}]", a);
    const toml::source_region& where = axis_nodes_[a]->source();
    if ((axis.slot == setting_T_min || axis.slot == setting_T_max) && config_.output.curves && config_.random)
      fail(where, key,
           fmt::format("output.curves with {} sampled (sampling = \"{}\"): every point would have its own "
                       "temperatures; sweep it on a cartesian grid, or leave output.curves off",
                       param_name(axis.slot), config_.paired ? "paired" : "halton"));
    // T_min below T_max, checked once, at the first axis over either.
    const bool first_temperature_axis =
        (axis.slot == setting_T_min || axis.slot == setting_T_max) &&
        std::none_of(config_.axes.begin(), config_.axes.begin() + std::ptrdiff_t(a), [](const axis_config& earlier) {
          return earlier.slot == setting_T_min || earlier.slot == setting_T_max;
        });
    if (first_temperature_axis && config_.paired) {
      // Point i pairs coordinate i of every axis: pair by pair.
      std::vector<double> T_min(std::size_t(axis.count), r.T_min), T_max(std::size_t(axis.count), r.T_max);
      for (const axis_config& other : config_.axes) {
        if (other.slot == setting_T_min) T_min = other.coordinates();
        if (other.slot == setting_T_max) T_max = other.coordinates();
      }
      for (std::size_t i = 0; i < T_min.size(); ++i)
        if (!(T_max[i] > T_min[i]))
          fail(where, key,
               fmt::format("T_max must be > T_min at every point, but point {} pairs T_min = {} K with T_max = {} K",
                           i, T_min[i], T_max[i]));
    } else if (first_temperature_axis) {
      const double highest_min = extent(setting_T_min, r.T_min).second;
      const double lowest_max = extent(setting_T_max, r.T_max).first;
      if (!(lowest_max > highest_min))
        fail(where, key,
             fmt::format("T_max must be > T_min at every point, but T_min reaches {} K and T_max goes down to {} K",
                         highest_min, lowest_max));
    }
    // Tolerances admit {0} and [10 eps, 1): not one interval, so every
    // coordinate of a cartesian axis is checked, and a sampled range may not
    // reach down to 0 (its values just above 0 would be below 10 eps).
    if (axis.slot >= setting_flow_rtol && axis.slot <= setting_action_atol) {
      if (config_.random && (axis.slot == setting_flow_rtol || axis.slot == setting_action_rtol) &&
          std::min(axis.lo, axis.hi) == 0 && std::max(axis.lo, axis.hi) > 0)
        fail(where, key, "a sampled rtol range cannot start at 0 (the values just above 0 are no tolerance)");
      if (!config_.random)
        for (double value : axis.coordinates()) check_tolerance(axis.slot, value, where, key);
    }
  }
}

parameter_info config_parser::axis_parameter(const std::string& name, const toml::node& name_node,
                                             const std::string& key) const {
  const std::vector<std::string>& declared = config_.formulas.parameters;
  const auto d = std::find(declared.begin(), declared.end(), name);
  if (d != declared.end()) {
    // The declared parameter's slot (a coefficient's when the formulas run
    // as the built-in model), with what a declared parameter admits: any
    // finite number, no unit unless the axis gives one.
    parameter_info info = parameter_table[config_.formulas.slots[std::size_t(d - declared.begin())]];
    info.unit = "";
    info.admissible = bound::any;
    return info;
  }
  const parameter_info* p = find_parameter(name);
  const bool formulas = config_.uses_formulas();
  if (p != nullptr && formulas && p->section == "model")
    fail(name_node.source(), key,
         fmt::format("'{}' is a coefficient of the built-in models, but beta and F are formulas here: "
                     "sweep one of their parameters ([model.parameters]: {})",
                     shown(name), fmt::join(declared, ", ")));
  if (p != nullptr) return *p;
  if (const parameter_info* s = find_setting(name)) return *s;
  std::vector<std::string> names(declared.begin(), declared.end());
  for (std::string_view n : parameter_names())
    if (!formulas || find_parameter(n)->section != "model") names.emplace_back(n);
  for (const parameter_info& s : setting_table) names.emplace_back(param_name(s.slot));
  fail(name_node.source(), key,
       fmt::format("unknown parameter '{}'{}", shown(name), suggestion(name, names)));
}

bool config_parser::swept(int slot) const {
  return std::any_of(config_.axes.begin(), config_.axes.end(),
                     [slot](const axis_config& a) { return a.slot == slot; });
}

std::pair<toml::source_region, std::string> config_parser::origin(const toml::table& root, int slot) const {
  if (base_node_[slot] != nullptr) return {base_node_[slot]->source(), base_key_[slot]};
  const std::string_view section_name = parameter_table[slot].section;
  const toml::node* section_node = root.get(section_name);
  return {section_node != nullptr ? section_node->source() : toml::source_region{},
          join(section_name, config_.parameter_name(slot))};
}

void config_parser::check_base_values(const toml::table& root) const {
  if (!swept(param_g0) && !domain_swept_) {
    const auto [where, key] = origin(root, param_g0);
    check_in_domain(config_.base[param_g0], where, key,
                    base_node_[param_g0] == nullptr ? " (the default)" : "");
  }
  // A beta that vanishes everywhere has no flow and no manifold: every point would fail.
  if (config_.uses_formulas()) return;  // a formula's zeros show per point, as statuses
  bool beta_can_be_nonzero = false;
  for (int k = 0; k <= max_beta_degree; ++k)
    beta_can_be_nonzero |= config_.base[param_b0 + k] != 0 || swept(param_b0 + k);
  if (!beta_can_be_nonzero) {
    const auto [where, key] = origin(root, param_b1);
    fail(where, key,
         "beta(g) is identically zero: set or sweep lambda (b1) or another of b0..b4");
  }
}

void config_parser::check_reference_temperature(const toml::table& root) const {
  const relaxation_settings<double>& r = config_.settings.relaxation;
  if (!r.enabled) return;
  double highest_T0 = config_.base[param_T0];
  std::string T0_words = "T0";
  toml::source_region T0_where;
  std::string T0_key;
  for (std::size_t a = 0; a < config_.axes.size(); ++a) {
    const axis_config& axis = config_.axes[a];
    if (axis.slot != param_T0) continue;
    highest_T0 = extent(param_T0, highest_T0).second;
    T0_words = fmt::format("the largest T0 of axis '{}' ({})", axis.name, place(axis_nodes_[a]->source()));
    T0_where = axis_nodes_[a]->source();
    T0_key = fmt::format("grid.axis[{}]", a);
  }
  // T_ref per point: its own axis, or T_max's when it follows T_max.
  const int ref_slot =
      swept(setting_T_ref) ? int(setting_T_ref) : (r.T_ref_is_T_max && swept(setting_T_max) ? int(setting_T_max) : -1);
  const double lowest_T_ref = ref_slot >= 0 ? extent(ref_slot, r.T_ref).first : r.T_ref;
  if (lowest_T_ref > highest_T0) return;
  if (T0_key.empty()) {
    std::tie(T0_where, T0_key) = origin(root, param_T0);
    T0_words = base_node_[param_T0] != nullptr
                   ? fmt::format("T0 ({}, {})", T0_key, place(T0_where))
                   : std::string("T0 (the default)");
  }

  const std::string why = "so that g_ref = c (T_ref - T0) > 0 (ln tau = ln tau0 at T_ref)";
  for (std::size_t a = 0; a < config_.axes.size() && ref_slot >= 0; ++a)
    if (config_.axes[a].slot == ref_slot)
      fail(axis_nodes_[a]->source(), fmt::format("grid.axis[{}]", a),
           fmt::format("{} goes down to {} K, but T_ref{} must be above {} = {} K {}", param_name(ref_slot),
                       lowest_T_ref, ref_slot == setting_T_max ? " (which follows T_max)" : "", T0_words,
                       highest_T0, why));
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

}  // namespace scaleham::config_reading
