// [model], [flow], [action], [temperature], [fit] and [output] of a
// configuration (config_parser.hpp).
#include "config_parser.hpp"

#include "output_fields.hpp"
#include "scaleham/quadrature.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham::config_reading {

sweep_config config_parser::parse(const toml::table& root) {
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
  check_setting_axes();
  check_reference_temperature(root);
  return std::move(config_);
}

void config_parser::read_parameters(const toml::table& table, std::string_view section_name) {
  for (auto&& [key, node] : table) {
    const parameter_info* p = find_parameter(key.str());
    if (p == nullptr || p->section != section_name || p->slot == param_p0) continue;
    const std::string path = join(section_name, key.str());
    set_base(*p, finite_number(node, path), node, path);
  }
}

void config_parser::set_base(const parameter_info& p, double value, const toml::node& node,
                             const std::string& path) {
  check_admissible(p, value, node, path);
  // `lambda` and `b1` name the same slot: keep exactly one of them. The
  // table is sorted by key, not by line, so report the later of the two.
  if (const toml::node* other = base_node_[p.slot]) {
    const bool this_is_later = written_after(node.source(), other->source());
    const toml::node& later = this_is_later ? node : *other;
    const toml::node& earlier = this_is_later ? *other : node;
    fail(later.source(), this_is_later ? path : base_key_[p.slot],
         fmt::format("sets the same parameter as '{}' ({}); keep only one",
                     this_is_later ? base_key_[p.slot] : path, place(earlier.source())));
  }
  base_node_[p.slot] = &node;
  base_key_[p.slot] = path;
  config_.base[p.slot] = value;
}

void config_parser::read_flow(const toml::table& t) {
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

void config_parser::read_action(const toml::table& t) {
  check_keys(t, "action", known_keys("action"));
  quadrature_options<double>& q = config_.settings.quadrature;
  read_tolerances(t, "action", q, "must be in [0, 1)");
  if (const toml::node* node = t.get("max_intervals"))
    q.max_intervals =
        static_cast<int>(integer(*node, "action.max_intervals", 1, quadrature_capacity));
}

template <class Options>
void config_parser::read_tolerances(const toml::table& t, std::string_view section_name, Options& options,
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

double config_parser::positive_number(const toml::node& node, std::string_view key) const {
  const double value = finite_number(node, key);
  if (!(value > 0)) fail(node.source(), key, fmt::format("must be > 0, got {}", value));
  return value;
}

void config_parser::read_temperature(const toml::table& t) {
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
  r.T_ref_is_T_max = true;
  if (const toml::node* node = t.get("T_ref")) {
    r.T_ref = finite_number(*node, "temperature.T_ref");
    r.T_ref_is_T_max = false;
    T_ref_node_ = node;
  }
  T_max_node_ = max_node;
  if (const toml::node* node = t.get("tau0")) {
    const double tau0 = positive_number(*node, "temperature.tau0");
    r.log_tau0 = std::log(tau0);  // finite: tau0 is a finite number > 0
  }
}

void config_parser::read_fit(const toml::table& t) {
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

void config_parser::read_output(const toml::table& t) {
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
                         "({}) switches them off",
                         place(fit_disabled_node_->source())));
    }
  if (const toml::node* node = t.get("compression"))
    config_.output.compression = static_cast<int>(integer(*node, "output.compression", 0, 9));
  if (const toml::node* node = t.get("float32")) config_.output.float32 = boolean(*node, "output.float32");
}

std::vector<std::string> config_parser::field_list(const toml::node& node, const std::string& group) const {
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

}  // namespace scaleham::config_reading
