#include "config_schema.hpp"

#include "scaleham/quadrature.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham::config_reading {

// The built-in example. examples/paper.toml is a byte-identical copy, checked
// by tests/test_config.cpp, so users can start from the file.
const std::string_view paper_example =
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

const parameter_info* find_parameter(std::string_view name) {
  for (const parameter_info& p : parameter_table)
    if (p.slot < param_x0 && (name == param_name(p.slot) || (p.alias != nullptr && name == p.alias)))
      return &p;
  return nullptr;
}

const parameter_info* find_setting(std::string_view name) {
  for (const parameter_info& p : setting_table)
    if (name == param_name(p.slot)) return &p;
  return nullptr;
}

/// Names and aliases of the parameters set in `section` (all if empty).
std::vector<std::string_view> parameter_names(std::string_view section) {
  std::vector<std::string_view> names;
  for (const parameter_info& p : parameter_table) {
    if (p.slot >= param_x0) continue;  // named by the configuration: [model.parameters]
    if (!section.empty() && p.section != section) continue;
    names.emplace_back(param_name(p.slot));
    if (p.alias != nullptr) names.emplace_back(p.alias);
  }
  return names;
}

// ---------------------------------------------------------------------------
// The other keys of each section.


/// Keys of a section that are not parameters.
std::vector<std::string_view> setting_keys(std::string_view section) {
  if (section == "model") return {"beta", "F", "parameters", "interpret"};
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

}  // namespace scaleham::config_reading
