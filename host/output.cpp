#include "output.hpp"

#include <hdf5_hl.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "h5.hpp"
#include "input_file.hpp"
#include "output_chunks.hpp"
#include "output_coordinates.hpp"
#include "output_fields.hpp"
#include "output_file.hpp"
#include "scaleham/config.hpp"
#include "sweep.hpp"

namespace scaleham {

// --- result_writer ----------------------------------------------------------------

template <class Real>
struct result_writer<Real>::state {
  std::string path, partial;
  bool force = false;
  bool finished = false;
  std::vector<std::uint64_t> shape;
  bool random = false;
  writer_options options;
  std::unique_ptr<record_layout<Real>> layout;
  std::vector<std::byte> image;  ///< in memory: the finished file

  /// A dataset written batch by batch, and its chunks under construction.
  struct output_set {
    h5::dataset set;
    hid_t memory_type = -1;  ///< of the values handed to it
    std::size_t element_size = 0;
    std::unique_ptr<chunk_assembler> chunks;
  };

  // Destroyed in reverse order: datasets, then the file, then the guard
  // removes the (closed) .partial if the writer did not finish.
  partial_file guard;
  h5::file file;
  std::vector<std::pair<std::size_t, output_set>> results;  ///< by column of the layout
  output_set curves;                      ///< /curves/log_tau, when config.output.curves
  int n_T = 0;                            ///< its last dimension
  std::vector<output_set> point_scales;   ///< random grids: every `point` dataset
  std::vector<output_set> parameters;     ///< random grids: /parameters/<axis>

  // Random grids: the grid, to evaluate the sampled parameters of a batch.
  std::unique_ptr<sweep_plan<Real>> plan;
  std::vector<int> axis_slots;

  // Reused buffers of the random grids' indices and sampled parameters.
  std::vector<std::uint64_t> indices;
  std::vector<Real> sampled;
  std::vector<chunk_job> jobs;

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  /// Unfinished (destroyed early, or finish() failed): close everything and
  /// let the guard remove the .partial.
  ~state() {
    if (finished) return;
    for (auto& entry : results) entry.second.set.reset();
    curves.set.reset();
    for (output_set& set : point_scales) set.set.reset();
    for (output_set& set : parameters) set.set.reset();
    h5::abandon(file);
  }

  output_set make_output(h5::dataset set, hid_t memory_type, int deflate_level) {
    output_set out;
    out.memory_type = memory_type;
    out.element_size = H5Tget_size(memory_type);
    if (options.direct_chunks)
      out.chunks = std::make_unique<chunk_assembler>(set.get(), out.element_size, deflate_level);
    out.set = std::move(set);
    return out;
  }

  /// Writes elements [first, first + count) (C order) of `out`, whose shape
  /// is the grid's followed by `per_point` values per point (1, or n_T):
  /// direct chunks, or one H5Dwrite of batch b's hyperslab.
  void put(output_set& out, const batch& b, std::uint64_t per_point, const void* data) {
    if (out.chunks) {
      out.chunks->add(b.first * per_point, b.count * per_point, static_cast<const std::byte*>(data), jobs);
      return;
    }
    const hyperslab slab = hyperslab_of(shape, b);
    std::vector<hsize_t> start = as_hsize(slab.start), count = as_hsize(slab.count);
    if (per_point > 1 || out.set.get() == curves.set.get()) {
      start.push_back(0);
      count.push_back(static_cast<hsize_t>(per_point));
    }
    h5::write_hyperslab(out.set.get(), out.memory_type, start, count, data);
  }

  void create(const sweep_config& config);
  void write_packed(const batch& b, const std::byte* packed);
  void finish(const run_info& info);
};

template <class Real>
void result_writer<Real>::state::create(const sweep_config& config) {
  shape = config.shape();
  random = config.random;
  layout = std::make_unique<record_layout<Real>>(config);
  if (options.in_memory) {
    file = h5::create_memory_file(partial);
  } else {
    file = h5::create_file(partial);
    guard.arm(partial);
  }
  write_config_attributes(file.get(), config);
  if (!options.shard.whole()) {
    h5::write_attribute(file.get(), "shard", options.shard.text());
    h5::write_attribute(file.get(), "shard_first", options.shard_points.first);
    h5::write_attribute(file.get(), "shard_points", options.shard_points.count);
  }

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
  scales.push_back(create_scales(file.get(), config, options.virtual_parts));
  for (const h5::group& g : groups) scales.push_back(create_scales(g.get(), config, options.virtual_parts));
  const std::vector<std::string> labels = dimension_names(config);
  const auto scales_of = [&](std::size_t location) {
    std::vector<hid_t> ids;
    for (const h5::dataset& s : scales[location]) ids.push_back(s.get());
    return ids;
  };
  const int level = config.output.compression;

  // The datasets in the table's order; each is written from its column.
  for (const field<Real>& f : result_fields<Real>()) {
    const auto column = std::find_if(layout->columns.begin(), layout->columns.end(),
                                     [&](const auto& c) { return c.f == &f && c.written; });
    if (column == layout->columns.end()) continue;
    const auto g = std::find(group_kinds.begin(), group_kinds.end(), f.group);
    const std::size_t location = 1 + static_cast<std::size_t>(g - group_kinds.begin());
    const hid_t type = visit_member(f, [&](auto* stored, auto) {
      using stored_type = std::remove_pointer_t<decltype(stored)>;
      return column->as_float ? h5::native_type<float>() : h5::native_type<stored_type>();
    });
    h5::dataset set =
        create_point_dataset(groups[location - 1].get(), f.name, type, shape, 0, level, options.virtual_parts);
    h5::describe(set.get(), f.unit_slot == dimensionless ? "1" : units_or_one(config.units[f.unit_slot]),
                    f.long_name);
    if (is_status(f)) h5::write_status_flags(set.get());
    attach_scales(set.get(), scales_of(location), labels);
    results.emplace_back(static_cast<std::size_t>(column - layout->columns.begin()),
                         make_output(std::move(set), type, level));
  }

  if (curves_location != 0) {
    // ln tau over (grid..., T): the grid's scales, then the temperatures,
    // computed by the same relaxation_settings::temperature the backends use.
    const relaxation_settings<double>& rs = config.settings.relaxation;
    const hid_t group = groups[curves_location - 1].get();
    n_T = rs.n_T;
    const std::vector<std::size_t> T_axes = temperature_axes(config);
    h5::dataset T;
    std::string curve_dimension = "T";
    if (T_axes.empty()) {
      std::vector<double> temperatures;
      for (int j = 0; j < n_T; ++j) temperatures.push_back(rs.temperature(j));
      T = h5::write_vector(group, "T", temperatures);
      h5::describe(T.get(), units_or_one(config.units[param_T0]),
                   fmt::format("temperature of the ln tau curves: {} points from T_min to T_max", n_T));
      h5::set_scale(T.get(), "T");
    } else {
      // T_min or T_max swept (cartesian grids only, the config reader
      // checks): each point's temperatures depend on those axes, so /curves/T
      // spans them and the curve's own dimension is the index T_index.
      std::vector<double> index;
      for (int j = 0; j < n_T; ++j) index.push_back(j);
      T = h5::write_vector(group, "T_index", index);
      h5::describe(T.get(), "1", "index of the temperature on each point's grid (/curves/T)");
      h5::set_scale(T.get(), "T_index");
      curve_dimension = "T_index";
      write_swept_temperatures(group, config, T_axes, scales[curves_location], T.get());
    }
    const hid_t type = config.output.float32 ? h5::native_type<float>() : h5::native_type<Real>();
    h5::dataset set =
        create_point_dataset(group, "log_tau", type, shape, std::uint64_t(n_T), level, options.virtual_parts);
    h5::describe(set.get(), "1",
                    "ln(tau / 1 s) = ln tau0 + S(c (T - T0)), S(g) = -integral from g_ref to g of F/beta, "
                    "g_ref = c (T_ref - T0)");
    std::vector<hid_t> curve_scales = scales_of(curves_location);
    curve_scales.push_back(T.get());
    std::vector<std::string> curve_labels = labels;
    curve_labels.emplace_back(curve_dimension);
    attach_scales(set.get(), curve_scales, curve_labels);
    curves = make_output(std::move(set), type, level);
  }
  if (!random) return;

  plan = std::make_unique<sweep_plan<Real>>(config);
  for (std::size_t a = 0; a < config.axes.size(); ++a) {
    const axis_config& axis = config.axes[a];
    h5::dataset set = create_point_dataset(groups.back().get(), axis.name, h5::native_type<Real>(), shape, 0, level,
                                           options.virtual_parts);
    h5::describe(set.get(), units_or_one(axis.unit),
                 config.paired
                     ? fmt::format("{}, coordinate i of its axis at point i (paired grid)", axis_long_name(config, axis))
                     : fmt::format("{}, sampled {} in [{}, {}] (Halton base {})", axis_long_name(config, axis),
                                   axis.kind == axis_kind::logspace ? "log-uniformly" : "uniformly", axis.lo,
                                   axis.hi, halton_base(static_cast<int>(a))));
    h5::write_attribute(set.get(), "parameter", config.parameter_name(axis.slot));
    h5::write_attribute(set.get(), "slot", std::string(param_name(axis.slot)));
    attach_scales(set.get(), scales_of(scales.size() - 1), labels);
    parameters.push_back(make_output(std::move(set), h5::native_type<Real>(), level));
    axis_slots.push_back(axis.slot);
  }
  for (std::vector<h5::dataset>& at : scales)  // filled by write()
    point_scales.push_back(make_output(std::move(at.front()), h5::native_type<std::uint64_t>(), level));
}

template <class Real>
void result_writer<Real>::state::write_packed(const batch& b, const std::byte* packed) {
  hyperslab_of(shape, b);  // throws std::invalid_argument unless b is a rectangular batch of the grid
  const std::size_t n = b.count;
  jobs.clear();
  for (auto& [column, stored_set] : results) put(stored_set, b, 1, packed + n * layout->columns[column].offset);
  // Point-major curves are the C-order slab (batch..., all of T) as they are.
  if (curves.set) put(curves, b, std::uint64_t(n_T), packed + n * layout->column_bytes);
  if (random) {
    // The sample indices of every `point` scale, and the sampled parameters,
    // evaluated from the index like the backends do: no N×P table.
    indices.resize(n);
    for (std::size_t i = 0; i < n; ++i) indices[i] = b.first + i;
    for (output_set& scale : point_scales) put(scale, b, 1, indices.data());
    const std::size_t n_axes = axis_slots.size();
    sampled.resize(n_axes * n);  // axis-major: axis a at sampled[a * n]
    Real parameters_of_point[param_count];
    for (std::size_t i = 0; i < n; ++i) {
      plan->spec().grid.parameters(b.first + i, parameters_of_point);
      for (std::size_t a = 0; a < n_axes; ++a)
        sampled[a * n + i] = axis_slots[a] < param_count ? parameters_of_point[axis_slots[a]]
                                                         : plan->spec().grid.coordinate_of(b.first + i, int(a));
    }
    for (std::size_t a = 0; a < n_axes; ++a) put(parameters[a], b, 1, sampled.data() + a * n);
  }
  write_chunks(jobs, options.threads);
  jobs.clear();
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
  for (const auto& [name, text] : info.provenance) h5::write_attribute(root, name, text);
  h5::write_attribute(root, "complete", std::int32_t(1));

  // Close everything, checking each close: closing the file flushes it, and
  // that is where a full disk shows up.
  // A shard's file holds part of the chunks at its two ends; the rest of
  // them is in its neighbours' files.
  if (!options.shard.whole()) {
    jobs.clear();
    for (auto& entry : results)
      if (entry.second.chunks) entry.second.chunks->flush_pending(jobs);
    if (curves.chunks) curves.chunks->flush_pending(jobs);
    for (output_set& set : point_scales)
      if (set.chunks) set.chunks->flush_pending(jobs);
    for (output_set& set : parameters)
      if (set.chunks) set.chunks->flush_pending(jobs);
    write_chunks(jobs, options.threads);
    jobs.clear();
  }
  std::size_t pending = 0;
  for (auto& entry : results) pending += entry.second.chunks ? entry.second.chunks->pending() : 0;
  if (curves.chunks) pending += curves.chunks->pending();
  if (pending > 0) throw std::logic_error("result_writer::finish: chunks left incomplete (points not written)");
  for (auto& entry : results) entry.second.set.close();
  curves.set.close();
  for (output_set& set : point_scales) set.set.close();
  for (output_set& set : parameters) set.set.close();
  if (options.in_memory) {
    image = h5::file_image(file, partial);
    file.close();
  } else {
    file.close();
    publish(partial, path, force);
    guard.release();
  }
  finished = true;
}

template <class Real>
result_writer<Real>::result_writer(const std::string& path, const sweep_config& config, bool force,
                                   writer_options options)
    : state_(std::make_unique<state>()) {
  state_->options = options;
  h5::quiet_errors();
  if (!options.in_memory) check_output_path(path, force);
  check_names(config);
  state_->path = path;
  state_->partial = options.in_memory ? path : path + ".partial";
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
  std::vector<std::byte> packed;
  pack(b, results, curves, packed);
  write_packed(b, packed.data());
}

template <class Real>
const record_layout<Real>& result_writer<Real>::layout() const {
  return *state_->layout;
}

template <class Real>
void result_writer<Real>::pack(const batch& b, const point_result<Real>* results, const Real* curves,
                               std::vector<std::byte>& packed) const {
  packed.resize(b.count * state_->layout->bytes_per_point());
  state_->layout->pack(results, curves, b.count, packed.data(), state_->options.threads);
}

template <class Real>
void result_writer<Real>::write_packed(const batch& b, const std::byte* packed) {
  if (state_->finished) throw std::logic_error("result_writer::write after finish");
  h5::quiet_errors();  // per thread: the writer may run on its own thread
  try {
    state_->write_packed(b, packed);
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

template <class Real>
std::vector<std::byte> result_writer<Real>::take_image() {
  if (!state_->finished || !state_->options.in_memory)
    throw std::logic_error("result_writer::take_image: not a finished in-memory file");
  return std::move(state_->image);
}

template class result_writer<double>;
template class result_writer<float>;

}  // namespace scaleham
