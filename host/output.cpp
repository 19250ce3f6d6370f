#include "output.hpp"

#include <hdf5_hl.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <variant>
#include <vector>

#include "h5.hpp"
#include "input_file.hpp"
#include "output_file.hpp"
#include "scaleham/config.hpp"
#include "sweep.hpp"

namespace scaleham {
namespace {

namespace fs = std::filesystem;

// --- the result fields: ONE table, used to create the datasets and to write them

enum class result_group { flow, hj, fit };

const char* group_name(result_group g) {
  switch (g) {
    case result_group::flow: return "flow";
    case result_group::hj: return "hj";
    case result_group::fit: return "fit";
  }
  return "?";
}

/// Where a field lives: a member of point_result, or of its VFT fit
/// (point_result::fit). Status codes are stored as uint8.
template <class Real>
using field_member =
    std::variant<Real point_result<Real>::*, std::int32_t point_result<Real>::*, status point_result<Real>::*,
                 Real vft_fit<Real>::*, std::int32_t vft_fit<Real>::*, status vft_fit<Real>::*>;

template <class Real, class T>
const T& value_of(const point_result<Real>& r, T point_result<Real>::*member) {
  return r.*member;
}
template <class Real, class T>
const T& value_of(const point_result<Real>& r, T vft_fit<Real>::*member) {
  return r.fit.*member;
}

template <class Real>
struct field {
  result_group group;
  const char* name;       ///< dataset name in the group
  int unit_slot;          ///< has the units of this parameter slot (config.units), or dimensionless
  const char* long_name;  ///< what it is, in words
  field_member<Real> member;
};

constexpr int dimensionless = -1;

// Units come from the config's parameter table where a result is in the
// units of a parameter (g like g0, p like p0, temperatures like T0); the
// action is dimensionless (ln tau = ln tau0 + S, docs/design.md §1.4), and so
// are logarithms, counts and codes. `ell` and `p0` are parameter names, so
// they can be sweep axes (whose coordinates live in every group): the fields
// reporting them are ell_end and p0_used.
template <class Real>
const std::vector<field<Real>>& result_fields() {
  using r = point_result<Real>;
  using v = vft_fit<Real>;
  static const std::vector<field<Real>> fields{
      {result_group::flow, "g", param_g0, "coupling g at the end of the flow", &r::g},
      {result_group::flow, "p", param_p0, "momentum p at the end of the flow", &r::p},
      {result_group::flow, "S", dimensionless, "action accumulated along the flow, S(ell_end) - S(0)", &r::S},
      {result_group::flow, "ell_end", param_ell, "RG time ell where the flow stopped", &r::ell},
      {result_group::flow, "h_drift", dimensionless, "relative drift of the scale Hamiltonian H along the path",
       &r::h_drift},
      {result_group::flow, "p0_used", param_p0,
       "initial momentum p0 of the flow (on the HJ manifold, or as given)", &r::p0},
      {result_group::flow, "steps", dimensionless, "accepted integrator steps", &r::steps},
      {result_group::flow, "rejected", dimensionless, "rejected integrator steps", &r::rejected},
      {result_group::flow, "status", dimensionless, "how the flow ended", &r::flow_status},
      {result_group::hj, "action", dimensionless,
       "HJ action S(g_end) - S(g0) = -integral of F/beta dg, by quadrature", &r::action},
      {result_group::hj, "action_error", dimensionless, "error estimate of the quadrature action",
       &r::action_error},
      {result_group::hj, "consistency", dimensionless,
       "|S_flow - action| / max(|action|, eps): agreement of flow and HJ action "
       "(NaN unless both the flow and the action succeeded)",
       &r::hj_consistency},
      {result_group::hj, "status", dimensionless, "how the action quadrature ended", &r::action_status},
      {result_group::fit, "a", dimensionless,
       "VFT a = ln tau0 of the fitted law ln tau = a + B/(T - T_vf) (natural log of seconds)", &v::a},
      {result_group::fit, "B", param_T0, "VFT B in ln tau = a + B/(T - T_vf) (B = D T_vf)", &v::B},
      {result_group::fit, "T_vf", param_T0, "VFT temperature T_vf, where tau diverges", &v::T_vf},
      {result_group::fit, "D", dimensionless, "strength D = B / T_vf (+inf on the T_vf = 0 bound)", &v::D},
      {result_group::fit, "Tg", param_T0,
       "glass transition Tg: where the fit reaches tau = tg_tau (root attribute ln_tg_tau = ln(tg_tau / 1 s)); "
       "NaN when the fitted law never comes down to tg_tau at a finite temperature (a >= ln_tg_tau)",
       &v::Tg},
      {result_group::fit, "m", dimensionless, "fragility m = B Tg / (ln 10 (Tg - T_vf)^2) (NaN where Tg is)",
       &v::m},
      {result_group::fit, "a_stderr", dimensionless, "standard error of a", &v::a_stderr},
      {result_group::fit, "B_stderr", param_T0, "standard error of B", &v::B_stderr},
      {result_group::fit, "T_vf_stderr", param_T0, "standard error of T_vf (0 when T_vf is held at 0)",
       &v::T_vf_stderr},
      {result_group::fit, "B_T_vf_correlation", dimensionless, "correlation of the errors of B and T_vf",
       &v::B_T_vf_correlation},
      {result_group::fit, "rms", dimensionless,
       "RMS residual of the fit in ln tau: how far the curve departs from the VFT law", &v::rms},
      {result_group::fit, "iterations", dimensionless, "Levenberg-Marquardt iterations", &v::iterations},
      {result_group::fit, "status", dimensionless, "how the VFT fit ended (the curve's status if it failed)",
       &v::code},
      {result_group::fit, "curve_status", dimensionless,
       "worst quadrature status along the ln tau(T) curve", &r::curve_status},
      {result_group::fit, "B_rel_err", dimensionless,
       "B / (A/(lambda c)) - 1: departure from the paper's prediction "
       "(NaN unless the fit succeeded and A/(lambda c) is finite and nonzero)",
       &r::B_rel_err},
  };
  return fields;
}

/// The type a member is stored as in the file.
template <class T>
using stored_t = std::conditional_t<std::is_same_v<T, status>, std::uint8_t, T>;

/// Calls visitor with a null pointer of the stored type of the field's member
/// (for its HDF5 type) and the member pointer itself (read it with value_of).
template <class Real, class F>
decltype(auto) visit_member(const field<Real>& f, F&& visitor) {
  return std::visit(
      [&](auto member) -> decltype(auto) {
        using value_t = std::remove_cv_t<
            std::remove_reference_t<decltype(value_of(std::declval<const point_result<Real>&>(), member))>>;
        return visitor(static_cast<stored_t<value_t>*>(nullptr), member);
      },
      f.member);
}

template <class Real>
bool is_status(const field<Real>& f) {
  return visit_member(f, [](auto* stored, auto) { return std::is_same_v<decltype(stored), std::uint8_t*>; });
}

/// The /fit group is written only where the curves and fits are computed.
bool writes_fit(const sweep_config& config) { return config.output.fit && config.settings.relaxation.enabled; }

// --- small helpers --------------------------------------------------------------

std::string units_or_one(const std::string& unit) { return unit.empty() ? "1" : unit; }

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void check_names(const sweep_config& config) {
  std::set<std::string> seen;
  for (const axis_config& axis : config.axes) {
    const std::string& name = axis.name;
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
      throw output_error("axis name '" + name + "' cannot name an HDF5 dataset");
    if (!seen.insert(name).second) throw output_error("two axes are named '" + name + "'");
    if (config.random && name == "point") throw output_error("axis name 'point' is reserved for random grids");
    for (const auto& f : result_fields<double>())
      if (name == f.name)
        throw output_error(fmt::format("axis name '{}' clashes with the result dataset /{}/{}", name,
                                       group_name(f.group), f.name));
    if (name == "T" || name == "log_tau")
      throw output_error(fmt::format("axis name '{}' clashes with the dataset /curves/{}", name, name));
  }
  if (config.output.curves && !config.settings.relaxation.enabled)
    throw output_error(
        "output.curves needs the relaxation-time curves, which are switched off ([fit] enabled = false)");
}

std::string axis_long_name(const axis_config& axis) {
  const std::string parameter = param_name(axis.slot);
  return parameter == axis.name ? "sweep axis " + axis.name
                                : fmt::format("sweep axis {} (parameter {})", axis.name, parameter);
}

void attach_scales(hid_t set, const std::vector<hid_t>& scales, const std::vector<std::string>& labels) {
  for (unsigned d = 0; d < scales.size(); ++d) h5::attach_scale(set, d, scales[d], labels[d]);
}

template <class T>
std::vector<hsize_t> as_hsize(const std::vector<T>& values) {
  return std::vector<hsize_t>(values.begin(), values.end());
}

/// Root attributes known before the sweep runs. They are written now, not
/// at finish(), because a resume must check that it continues the same
/// sweep; complete stays 0 until finish().
void write_config_attributes(hid_t root, const sweep_config& config) {
  h5::write_attribute(root, "config", config.source_text);
  h5::write_attribute(root, "config_source", config.source_name);
  h5::write_attribute(root, "T0", config.base[param_T0]);
  h5::write_attribute(root, "T0_units", units_or_one(config.units[param_T0]));
  h5::write_attribute(root, "c", config.base[param_c]);
  h5::write_attribute(root, "c_units", units_or_one(config.units[param_c]));
  const relaxation_settings<double>& rs = config.settings.relaxation;
  if (rs.enabled) {
    // The temperature grid itself is /curves/T (when written) and the config.
    h5::write_attribute(root, "T_ref", rs.T_ref);
    h5::write_attribute(root, "T_ref_units", units_or_one(config.units[param_T0]));
    // The logarithms are what the engine used (exp(ln 1e-14) is not 1e-14).
    h5::write_attribute(root, "ln_tau0", rs.log_tau0);            // ln(tau0 / 1 s)
    h5::write_attribute(root, "ln_tg_tau", rs.fit.tg_log_level);  // ln(tg_tau / 1 s): Tg is where tau = tg_tau
  }
  h5::write_attribute(root, "complete", std::int32_t(0));
}

/// Names of the grid's dimensions: the axes, or `point` for random grids.
std::vector<std::string> dimension_names(const sweep_config& config) {
  if (config.random) return {"point"};
  std::vector<std::string> names;
  for (const axis_config& axis : config.axes) names.push_back(axis.name);
  return names;
}

/// The dimension scales of one location, one per dimension: the axis
/// coordinates, or for random grids the sample index `point` (written batch
/// by batch, as it may be as long as the results).
std::vector<h5::dataset> create_scales(hid_t location, const sweep_config& config) {
  const std::vector<std::uint64_t> shape = config.shape();
  std::vector<h5::dataset> scales;
  if (config.random) {
    h5::dataset scale = h5::create_dataset(location, "point", h5::native_type<std::uint64_t>(), as_hsize(shape),
                                           config.output.compression);
    h5::describe(scale.get(), "1", "index of the point in the Halton sequence of the random grid");
    h5::set_scale(scale.get(), "point");
    scales.push_back(std::move(scale));
    return scales;
  }
  if (shape.size() != config.axes.size())
    throw output_error(fmt::format("the grid has {} dimensions but {} axes", shape.size(), config.axes.size()));
  for (std::size_t d = 0; d < config.axes.size(); ++d) {
    const axis_config& axis = config.axes[d];
    const std::vector<double> coordinates = axis.coordinates();
    if (coordinates.size() != shape[d])
      throw output_error(fmt::format("axis {} has {} coordinates but the grid has {} points along it", axis.name,
                                     coordinates.size(), shape[d]));
    h5::dataset scale = h5::write_vector(location, axis.name, coordinates);
    h5::describe(scale.get(), units_or_one(axis.unit), axis_long_name(axis));
    h5::write_attribute(scale.get(), "parameter", param_name(axis.slot));
    h5::set_scale(scale.get(), axis.name);
    scales.push_back(std::move(scale));
  }
  return scales;
}

}  // namespace

// --- result_writer ----------------------------------------------------------------

template <class Real>
struct result_writer<Real>::state {
  std::string path, partial;
  bool force = false;
  bool finished = false;
  std::vector<std::uint64_t> shape;
  bool random = false;

  // Destroyed in reverse order: datasets, then the file, then the guard
  // removes the (closed) .partial if the writer did not finish.
  partial_file guard;
  h5::file file;
  std::vector<std::pair<const field<Real>*, h5::dataset>> results;
  h5::dataset curves;                     ///< /curves/log_tau, when config.output.curves
  int n_T = 0;                            ///< its last dimension
  std::vector<h5::dataset> point_scales;  ///< random grids: every `point` dataset
  std::vector<h5::dataset> parameters;    ///< random grids: /parameters/<axis>

  // Random grids: the grid, to evaluate the sampled parameters of a batch.
  std::unique_ptr<sweep_plan<Real>> plan;
  std::vector<int> axis_slots;

  // Reused conversion buffers, one per stored type: they grow to the largest
  // batch (n_axes × batch for the sampled parameters) and stay.
  std::tuple<std::vector<Real>, std::vector<std::int32_t>, std::vector<std::uint8_t>, std::vector<std::uint64_t>>
      buffers;

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  /// Unfinished (destroyed early, or finish() failed): close everything and
  /// let the guard remove the .partial.
  ~state() {
    if (finished) return;
    for (auto& entry : results) entry.second.reset();
    curves.reset();
    for (h5::dataset& set : point_scales) set.reset();
    for (h5::dataset& set : parameters) set.reset();
    h5::abandon(file);
  }

  template <class T>
  T* buffer(std::size_t count) {
    std::vector<T>& b = std::get<std::vector<T>>(buffers);
    if (b.size() < count) b.resize(count);
    return b.data();
  }

  void create(const sweep_config& config);
  void write(const batch& b, const point_result<Real>* results_of_batch, const Real* curves_of_batch);
  void finish(const run_info& info);
};

template <class Real>
void result_writer<Real>::state::create(const sweep_config& config) {
  shape = config.shape();
  random = config.random;
  file = h5::create_file(partial);
  guard.arm(partial);
  write_config_attributes(file.get(), config);

  // Every location that has datasets over the grid gets its own dimension
  // scales (output.hpp says why): the root, the result groups, /curves, and
  // /parameters for random grids. Location 0 is the root, location k > 0 is
  // groups[k - 1].
  std::vector<result_group> group_kinds;
  if (config.output.flow) group_kinds.push_back(result_group::flow);
  if (config.output.hj) group_kinds.push_back(result_group::hj);
  if (writes_fit(config)) group_kinds.push_back(result_group::fit);
  std::vector<h5::group> groups;
  for (result_group g : group_kinds) groups.push_back(h5::create_group(file.get(), group_name(g)));
  std::size_t curves_location = 0;
  if (config.output.curves) {
    groups.push_back(h5::create_group(file.get(), "curves"));
    curves_location = groups.size();
  }
  if (random) groups.push_back(h5::create_group(file.get(), "parameters"));
  std::vector<std::vector<h5::dataset>> scales;
  scales.push_back(create_scales(file.get(), config));
  for (const h5::group& g : groups) scales.push_back(create_scales(g.get(), config));
  const std::vector<std::string> labels = dimension_names(config);
  const auto scales_of = [&](std::size_t location) {
    std::vector<hid_t> ids;
    for (const h5::dataset& s : scales[location]) ids.push_back(s.get());
    return ids;
  };

  for (const field<Real>& f : result_fields<Real>()) {
    const auto g = std::find(group_kinds.begin(), group_kinds.end(), f.group);
    if (g == group_kinds.end()) continue;
    const std::size_t location = 1 + static_cast<std::size_t>(g - group_kinds.begin());
    h5::dataset set = visit_member(f, [&](auto* stored, auto) {
      using stored_type = std::remove_pointer_t<decltype(stored)>;
      return h5::create_dataset(groups[location - 1].get(), f.name, h5::native_type<stored_type>(),
                                as_hsize(shape), config.output.compression);
    });
    h5::describe(set.get(), f.unit_slot == dimensionless ? "1" : units_or_one(config.units[f.unit_slot]),
                    f.long_name);
    if (is_status(f)) h5::write_status_flags(set.get());
    attach_scales(set.get(), scales_of(location), labels);
    results.emplace_back(&f, std::move(set));
  }

  if (curves_location != 0) {
    // ln tau over (grid..., T): the grid's scales, then the temperatures,
    // computed by the same relaxation_settings::temperature the backends use.
    const relaxation_settings<double>& rs = config.settings.relaxation;
    const hid_t group = groups[curves_location - 1].get();
    n_T = rs.n_T;
    std::vector<double> temperatures;
    for (int j = 0; j < n_T; ++j) temperatures.push_back(rs.temperature(j));
    const h5::dataset T = h5::write_vector(group, "T", temperatures);
    h5::describe(T.get(), units_or_one(config.units[param_T0]),
                    fmt::format("temperature of the ln tau curves: {} points from T_min to T_max", n_T));
    h5::set_scale(T.get(), "T");
    std::vector<hsize_t> curve_shape = as_hsize(shape);
    curve_shape.push_back(static_cast<hsize_t>(n_T));
    curves = h5::create_dataset(group, "log_tau", h5::native_type<Real>(), curve_shape, config.output.compression);
    h5::describe(curves.get(), "1",
                    "ln(tau / 1 s) = ln tau0 + S(c (T - T0)), S(g) = -integral from g_ref to g of F/beta, "
                    "g_ref = c (T_ref - T0)");
    std::vector<hid_t> curve_scales = scales_of(curves_location);
    curve_scales.push_back(T.get());
    std::vector<std::string> curve_labels = labels;
    curve_labels.emplace_back("T");
    attach_scales(curves.get(), curve_scales, curve_labels);
  }
  if (!random) return;

  plan = std::make_unique<sweep_plan<Real>>(config);
  for (std::size_t a = 0; a < config.axes.size(); ++a) {
    const axis_config& axis = config.axes[a];
    h5::dataset set = h5::create_dataset(groups.back().get(), axis.name, h5::native_type<Real>(), as_hsize(shape),
                                         config.output.compression);
    h5::describe(set.get(), units_or_one(axis.unit),
                    fmt::format("{}, sampled {} in [{}, {}] (Halton base {})", axis_long_name(axis),
                                axis.kind == axis_kind::logspace ? "log-uniformly" : "uniformly", axis.lo, axis.hi,
                                halton_base(static_cast<int>(a))));
    h5::write_attribute(set.get(), "parameter", param_name(axis.slot));
    attach_scales(set.get(), scales_of(scales.size() - 1), labels);
    parameters.push_back(std::move(set));
    axis_slots.push_back(axis.slot);
  }
  for (std::vector<h5::dataset>& at : scales) point_scales.push_back(std::move(at.front()));  // filled by write()
}

template <class Real>
void result_writer<Real>::state::write(const batch& b, const point_result<Real>* batch_results,
                                       const Real* curves_of_batch) {
  if (curves && curves_of_batch == nullptr)
    throw std::invalid_argument("result_writer::write: the sweep writes /curves but the batch has no curves");
  const hyperslab slab = hyperslab_of(shape, b);
  const std::vector<hsize_t> start = as_hsize(slab.start), count = as_hsize(slab.count);
  const std::size_t n = b.count;

  // One field at a time through one reusable buffer per stored type.
  for (const auto& [f, stored_set] : results) {
    const auto& set = stored_set;  // C++17 lambdas cannot capture structured bindings (clang)
    visit_member(*f, [&](auto* stored, auto member) {
      using stored_type = std::remove_pointer_t<decltype(stored)>;
      stored_type* out = buffer<stored_type>(n);
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<stored_type>(value_of(batch_results[i], member));
      h5::write_hyperslab(set.get(), h5::native_type<stored_type>(), start, count, out);
    });
  }
  if (curves) {
    // Point-major curves are the C-order slab (batch..., all of T) as they are.
    std::vector<hsize_t> curve_start = start, curve_count = count;
    curve_start.push_back(0);
    curve_count.push_back(static_cast<hsize_t>(n_T));
    h5::write_hyperslab(curves.get(), h5::native_type<Real>(), curve_start, curve_count, curves_of_batch);
  }
  if (!random) return;

  // The sample indices of every `point` scale, and the sampled parameters,
  // evaluated from the index like the backends do: no N×P table.
  std::uint64_t* indices = buffer<std::uint64_t>(n);
  for (std::size_t i = 0; i < n; ++i) indices[i] = b.first + i;
  for (const h5::dataset& scale : point_scales)
    h5::write_hyperslab(scale.get(), h5::native_type<std::uint64_t>(), start, count, indices);

  const std::size_t n_axes = axis_slots.size();
  Real* sampled = buffer<Real>(n_axes * n);  // axis-major: axis a at sampled[a * n]
  Real parameters_of_point[param_count];
  for (std::size_t i = 0; i < n; ++i) {
    plan->spec().grid.parameters(b.first + i, parameters_of_point);
    for (std::size_t a = 0; a < n_axes; ++a) sampled[a * n + i] = parameters_of_point[axis_slots[a]];
  }
  for (std::size_t a = 0; a < n_axes; ++a)
    h5::write_hyperslab(parameters[a].get(), h5::native_type<Real>(), start, count, sampled + a * n);
}

template <class Real>
void result_writer<Real>::state::finish(const run_info& info) {
  const hid_t root = file.get();
  h5::write_attribute(root, "version", info.version);
  h5::write_attribute(root, "backend", info.backend);
  h5::write_attribute(root, "device", info.device);
  h5::write_attribute(root, "precision", info.precision);
  h5::write_attribute(root, "seconds_compute", info.seconds_compute);
  h5::write_attribute(root, "seconds_total", info.seconds_total);
  h5::write_attribute(root, "points", info.points);
  h5::write_attribute(root, "created", utc_now_iso8601());
  h5::write_attribute(root, "complete", std::int32_t(1));

  // Close everything, checking each close: closing the file flushes it, and
  // that is where a full disk shows up.
  for (auto& entry : results) entry.second.close();
  curves.close();
  for (h5::dataset& set : point_scales) set.close();
  for (h5::dataset& set : parameters) set.close();
  file.close();
  publish(partial, path, force);
  guard.release();
  finished = true;
}

template <class Real>
result_writer<Real>::result_writer(const std::string& path, const sweep_config& config, bool force)
    : state_(std::make_unique<state>()) {
  h5::quiet_errors();
  check_output_path(path, force);
  check_names(config);
  state_->path = path;
  state_->partial = path + ".partial";
  state_->force = force;
  try {
    state_->create(config);
  } catch (const h5_error& e) {
    throw output_error("cannot create " + state_->partial + ": " + e.what());
  }
}

template <class Real>
result_writer<Real>::~result_writer() = default;

template <class Real>
void result_writer<Real>::write(const batch& b, const point_result<Real>* results, const Real* curves) {
  if (state_->finished) throw std::logic_error("result_writer::write after finish");
  h5::quiet_errors();  // per thread: the writer may run on its own thread
  try {
    state_->write(b, results, curves);
  } catch (const h5_error& e) {
    throw output_error("writing " + state_->partial + ": " + e.what());
  }
}

template <class Real>
void result_writer<Real>::finish(const run_info& info) {
  if (state_->finished) throw std::logic_error("result_writer::finish called twice");
  h5::quiet_errors();
  try {
    state_->finish(info);
  } catch (const h5_error& e) {
    throw output_error("finishing " + state_->partial + ": " + e.what());
  }
}

template class result_writer<double>;
template class result_writer<float>;

// --- describe_file ------------------------------------------------------------------

namespace {

herr_t collect_link_name(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

/// Names of the links in a group, in name order. (No C++ work inside the
/// C callback: an exception must not unwind through HDF5.)
std::vector<std::string> member_names(hid_t group) {
  std::vector<std::string> names;
  h5::check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link_name, &names), "H5Literate", group);
  return names;
}

herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->emplace_back(name);
  return 0;
}

H5I_type_t object_type(hid_t location, const std::string& name) {
  const hid_t object = H5Oopen(location, name.c_str(), H5P_DEFAULT);
  if (object < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;  // e.g. a dangling soft link
  }
  const H5I_type_t type = H5Iget_type(object);
  H5Oclose(object);
  return type;
}

herr_t first_scale_name(hid_t, unsigned, hid_t scale, void* name) {
  char buffer[256] = {};
  if (H5DSget_scale_name(scale, buffer, sizeof buffer) > 0) *static_cast<std::string*>(name) = buffer;
  return 1;  // stop after the first scale
}

/// Name of dimension d of a dataset: its attached scale, else its label.
std::string dimension_name(hid_t set, unsigned d) {
  std::string name;
  if (H5DSget_num_scales(set, d) > 0) H5DSiterate_scales(set, d, nullptr, first_scale_name, &name);
  if (name.empty()) {
    char label[256] = {};
    if (H5DSget_label(set, d, label, sizeof label) > 0) name = label;
  }
  H5Eclear2(H5E_DEFAULT);
  return name.empty() ? fmt::format("dim{}", d) : name;
}

std::string type_name(hid_t set) {
  const h5::datatype type(h5::check(H5Dget_type(set), "H5Dget_type", set));
  const std::size_t bits = 8 * H5Tget_size(type.get());
  switch (H5Tget_class(type.get())) {
    case H5T_FLOAT: return fmt::format("float{}", bits);
    case H5T_INTEGER: return fmt::format("{}int{}", H5Tget_sign(type.get()) == H5T_SGN_NONE ? "u" : "", bits);
    case H5T_STRING: return "string";
    default: return "other";
  }
}

std::string attribute_or(hid_t object, const std::string& name, const std::string& otherwise) {
  return h5::has_attribute(object, name) ? h5::attribute_text(object, name) : otherwise;
}

bool is_scale(hid_t set) {
  const htri_t scale = H5DSis_scale(set);
  H5Eclear2(H5E_DEFAULT);
  return scale > 0;
}

/// "ok 12, left_domain 3": how often each code occurs, read in slabs of at
/// most 2^20 points so memory stays small for any file size.
std::string status_counts(hid_t set) {
  const std::vector<hsize_t> dims = h5::shape_of(set);
  std::vector<std::string> meanings;
  std::istringstream words(h5::attribute_text(set, "flag_meanings"));
  for (std::string word; words >> word;) meanings.push_back(word);

  std::array<std::uint64_t, 256> counts{};
  std::vector<std::uint8_t> codes;
  const std::vector<std::uint64_t> shape(dims.begin(), dims.end());
  for (const batch& b : plan_batches(shape, std::uint64_t(1) << 20)) {
    const hyperslab slab = hyperslab_of(shape, b);
    codes.resize(b.count);
    h5::read_hyperslab(set, H5T_NATIVE_UINT8, as_hsize(slab.start), as_hsize(slab.count), codes.data());
    for (std::uint8_t code : codes) ++counts[code];
  }
  std::string text;
  for (std::size_t code = 0; code < counts.size(); ++code) {
    if (counts[code] == 0) continue;
    const std::string name = code < meanings.size() ? meanings[code] : fmt::format("code {}", code);
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", name, counts[code]);
  }
  return text.empty() ? "no points" : text;
}

/// One line per dataset: name, type, shape over named dimensions, units and
/// description, and the status counts of flag datasets.
void describe_dataset(std::ostringstream& out, hid_t location, const std::string& path, const std::string& name) {
  const h5::dataset set = h5::open_dataset(location, name);
  const std::vector<hsize_t> dims = h5::shape_of(set.get());
  std::string shape;
  for (unsigned d = 0; d < dims.size(); ++d)
    shape += fmt::format("{}{}: {}", d ? ", " : "", dimension_name(set.get(), d), dims[d]);
  out << fmt::format("  {:<28} {:<8} ({})", path + name, type_name(set.get()), shape);
  const std::string units = attribute_or(set.get(), "units", "");
  if (!units.empty()) out << " [" << units << "]";
  const std::string long_name = attribute_or(set.get(), "long_name", "");
  if (!long_name.empty()) out << "  " << long_name;
  out << "\n";
  if (h5::has_attribute(set.get(), "flag_meanings")) out << "      status counts: " << status_counts(set.get()) << "\n";
}

/// "32 values from 420 to 700 [K]  long name" for a 1-D coordinate; empty
/// for anything else.
std::string coordinate_summary(hid_t set) {
  const std::vector<hsize_t> dims = h5::shape_of(set);
  if (dims.size() != 1 || dims[0] == 0) return {};
  // The `dataset` scale of a fit file holds names, which do not convert to double.
  if (type_name(set) == "string")
    return fmt::format("{} names  {}", dims[0], attribute_or(set, "long_name", ""));
  std::array<double, 2> ends{};
  h5::read_hyperslab(set, H5T_NATIVE_DOUBLE, {0}, {1}, &ends[0]);
  h5::read_hyperslab(set, H5T_NATIVE_DOUBLE, {dims[0] - 1}, {1}, &ends[1]);
  return fmt::format("{} values from {} to {} [{}]  {}", dims[0], ends[0], ends[1], attribute_or(set, "units", "?"),
                     attribute_or(set, "long_name", ""));
}

/// Names of the dimension scales at the root: the grid's dimensions.
std::set<std::string> root_scales(hid_t file) {
  std::set<std::string> names;
  for (const std::string& name : member_names(file)) {
    if (object_type(file, name) != H5I_DATASET) continue;
    const h5::dataset set = h5::open_dataset(file, name);
    if (is_scale(set.get())) names.insert(name);
  }
  return names;
}

/// The datasets of a group (and its subgroups). Dimension scales that copy
/// the root's are only named; a group's own coordinates (the temperatures
/// /curves/T) are described like the root's dimensions.
void describe_group(std::ostringstream& out, hid_t group, const std::string& path,
                    const std::set<std::string>& grid_dimensions) {
  std::vector<std::string> copies, subgroups;
  for (const std::string& name : member_names(group)) {
    const H5I_type_t type = object_type(group, name);
    if (type == H5I_GROUP) {
      subgroups.push_back(name);
    } else if (type == H5I_DATASET) {
      const h5::dataset set = h5::open_dataset(group, name);
      if (!is_scale(set.get())) {
        describe_dataset(out, group, path, name);
      } else if (path == "/") {
        // the root's are listed under "dimensions"
      } else if (grid_dimensions.count(name) != 0) {
        copies.push_back(name);
      } else {
        out << fmt::format("  {:<28} coordinate: {}\n", path + name, coordinate_summary(set.get()));
      }
    }
  }
  if (!copies.empty()) {
    out << "  " << path << " also holds its own copies of the coordinates:";
    for (const std::string& c : copies) out << " " << c;
    out << "\n";
  }
  for (const std::string& name : subgroups) {
    out << path << name << "/\n";
    const h5::group sub = h5::open_group(group, name);
    describe_group(out, sub.get(), path + name + "/", grid_dimensions);
  }
}

}  // namespace

std::string describe_file(const std::string& path) {
  h5::quiet_errors();
  // The real reason: "no such file" was also said of /dev/null and of a
  // symlink loop.
  try {
    check_regular_file(path);
  } catch (const input_file_error& e) {
    throw output_error(path + ": " + e.what());
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw output_error(path + " is not an HDF5 file");
  }
  try {
    const h5::file file = h5::open_file_read_only(path);
    std::ostringstream out;
    // What scaleham writes at the root: a sweep has `config` and `complete`
    // from its creation on (complete = 0 until the run finishes); a fit file
    // (`scaleham fit -o`) has `command_line` and `files` and is only ever
    // published complete. Anything else is someone else's HDF5 file, not an
    // unfinished sweep.
    const hid_t root = file.get();
    const bool sweep = h5::has_attribute(root, "config") && h5::has_attribute(root, "complete");
    const bool fit = !sweep && h5::has_attribute(root, "command_line") && h5::has_attribute(root, "files");
    if (!sweep && !fit)
      throw output_error(path + ": an HDF5 file, but not a scaleham file (its root has neither the 'config' and "
                                "'complete' attributes of a sweep nor the 'command_line' and 'files' of a fit)");
    const bool complete = fit || attribute_or(root, "complete", "0") == "1";
    out << path << (fit ? ": scaleham fit results" : ": scaleham sweep")
        << (complete ? "" : " - INCOMPLETE (the run did not finish)") << "\n";

    out << "root attributes:\n";
    std::vector<std::string> names;
    h5::check(H5Aiterate2(file.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute_name, &names),
              "H5Aiterate2", file.get());
    for (const std::string& name : names) {
      const std::string value = h5::attribute_text(file.get(), name);
      const auto lines = std::count(value.begin(), value.end(), '\n');
      if (lines > 0)
        out << fmt::format("  {} = <{} lines of text>\n", name, lines + (value.back() == '\n' ? 0 : 1));
      else
        out << fmt::format("  {} = {}\n", name, value);
    }

    out << "dimensions:\n";
    const std::set<std::string> grid_dimensions = root_scales(file.get());
    for (const std::string& name : grid_dimensions) {
      const h5::dataset set = h5::open_dataset(file.get(), name);
      const std::string summary = coordinate_summary(set.get());
      if (!summary.empty()) out << fmt::format("  {:<10} {}\n", name, summary);
    }

    out << "datasets:\n";
    describe_group(out, file.get(), "/", grid_dimensions);
    return out.str();
  } catch (const h5_error& e) {
    throw output_error("reading " + path + ": " + e.what());
  }
}

}  // namespace scaleham
