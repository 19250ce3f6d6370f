#include "output_coordinates.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <stdexcept>

#include "output_chunks.hpp"
#include "output_fields.hpp"
#include "output_file.hpp"

namespace scaleham {

std::string units_or_one(const std::string& unit) { return unit.empty() ? "1" : unit; }

void check_names(const sweep_config& config) {
  std::set<std::string> seen;
  for (const axis_config& axis : config.axes) {
    const std::string& name = axis.name;
    if (name.empty() || name == "." || name.find('/') != std::string::npos)
      throw output_error("axis name '" + name + "' cannot name an HDF5 dataset");
    if (!seen.insert(name).second) throw output_error("two axes are named '" + name + "'");
    if (config.random && name == "point") throw output_error("axis name 'point' is reserved for random grids");
    if (const std::string result = result_dataset_named(name); !result.empty())
      throw output_error(fmt::format("axis name '{}' clashes with the result dataset {}", name, result));
    for (const char* curve : curve_dataset_names)
      if (name == curve)
        throw output_error(fmt::format("axis name '{}' clashes with the dataset /curves/{}", name, name));
  }
  if (config.output.curves && !config.settings.relaxation.enabled)
    throw output_error(
        "output.curves needs the relaxation-time curves, which are switched off ([fit] enabled = false)");
}

std::string axis_long_name(const sweep_config& config, const axis_config& axis) {
  const std::string parameter = config.parameter_name(axis.slot);
  return parameter == axis.name ? "sweep axis " + axis.name
                                : fmt::format("sweep axis {} (parameter {})", axis.name, parameter);
}

/// The axes over T_min or T_max, in grid order.
std::vector<std::size_t> temperature_axes(const sweep_config& config) {
  std::vector<std::size_t> found;
  for (std::size_t a = 0; a < config.axes.size(); ++a)
    if (config.axes[a].slot == setting_T_min || config.axes[a].slot == setting_T_max) found.push_back(a);
  return found;
}

/// /curves/T over (the T_min and T_max axes..., T_index): each combination's
/// temperature grid, by the relaxation_settings::temperature the backends use.
void write_swept_temperatures(hid_t group, const sweep_config& config, const std::vector<std::size_t>& T_axes,
                              const std::vector<h5::dataset>& grid_scales, hid_t index_scale) {
  const int n_T = config.settings.relaxation.n_T;
  std::vector<std::vector<double>> coordinates;
  std::vector<hsize_t> dims;
  for (std::size_t a : T_axes) {
    coordinates.push_back(config.axes[a].coordinates());
    dims.push_back(coordinates.back().size());
  }
  dims.push_back(hsize_t(n_T));
  std::vector<double> values;
  std::vector<std::size_t> at(T_axes.size(), 0);  // the combination, C order
  for (bool more = true; more;) {
    relaxation_settings<double> rs = config.settings.relaxation;
    for (std::size_t k = 0; k < T_axes.size(); ++k)
      (config.axes[T_axes[k]].slot == setting_T_min ? rs.T_min : rs.T_max) = coordinates[k][at[k]];
    for (int j = 0; j < n_T; ++j) values.push_back(rs.temperature(j));
    more = false;
    for (std::size_t k = T_axes.size(); k-- > 0;) {
      if (++at[k] < coordinates[k].size()) {
        more = true;
        break;
      }
      at[k] = 0;
    }
  }
  const h5::dataset T = h5::write_array(group, "T", dims, values);
  h5::describe(T.get(), units_or_one(config.units[param_T0]),
               fmt::format("temperature of the ln tau curves: {} points from T_min to T_max of each point", n_T));
  std::vector<hid_t> scales;
  std::vector<std::string> labels;
  for (std::size_t a : T_axes) {
    scales.push_back(grid_scales[a].get());
    labels.push_back(config.axes[a].name);
  }
  scales.push_back(index_scale);
  labels.emplace_back("T_index");
  attach_scales(T.get(), scales, labels);
}

void attach_scales(hid_t set, const std::vector<hid_t>& scales, const std::vector<std::string>& labels) {
  for (unsigned d = 0; d < scales.size(); ++d) h5::attach_scale(set, d, scales[d], labels[d]);
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
  // The settings above are the base values; axes over settings override
  // them point by point (docs/config.md, axes over settings): named here.
  std::vector<std::string> swept;
  for (const axis_config& axis : config.axes)
    if (axis.slot >= param_count) swept.emplace_back(param_name(axis.slot));
  if (!swept.empty()) h5::write_attribute(root, "swept_settings", fmt::format("{}", fmt::join(swept, " ")));
  h5::write_attribute(root, "complete", std::int32_t(0));
}

/// Names of the grid's dimensions: the axes, or `point` for random grids.
std::vector<std::string> dimension_names(const sweep_config& config) {
  if (config.random) return {"point"};
  std::vector<std::string> names;
  for (const axis_config& axis : config.axes) names.push_back(axis.name);
  return names;
}

/// A dataset over the grid (`per_point` > 0: with a last dimension of that
/// many values per point): an ordinary one, or, for a virtual file, one that
/// maps each part's points onto the same dataset of the part's file.
h5::dataset create_point_dataset(hid_t location, const std::string& name, hid_t type,
                                 const std::vector<std::uint64_t>& shape, std::uint64_t per_point, int level,
                                 const std::vector<writer_options::virtual_part>& parts) {
  std::vector<hsize_t> dims = as_hsize(shape);
  if (per_point > 0) dims.push_back(per_point);
  if (parts.empty()) return h5::create_dataset(location, name, type, dims, level);
  const std::string here = h5::path_in_file(location);
  const std::string path = (here == "/" ? "" : here) + "/" + name;
  std::vector<h5::virtual_mapping> mappings;
  for (const auto& part : parts)
    for (const batch& b : plan_range(shape, part.range.first, part.range.count, ~std::uint64_t(0))) {
      const hyperslab slab = hyperslab_of(shape, b);
      // HDF5 reads printf-like patterns (%b, %%) in source file names.
      std::string file;
      for (char c : part.file) file += c == '%' ? std::string("%%") : std::string(1, c);
      h5::virtual_mapping m{file, path, as_hsize(slab.start), as_hsize(slab.count)};
      if (per_point > 0) {
        m.start.push_back(0);
        m.count.push_back(per_point);
      }
      mappings.push_back(std::move(m));
    }
  return h5::create_virtual_dataset(location, name, type, dims, mappings);
}

/// The dimension scales of one location, one per dimension: the axis
/// coordinates, or for random grids the sample index `point` (written batch
/// by batch, as it may be as long as the results).
std::vector<h5::dataset> create_scales(hid_t location, const sweep_config& config,
                                       const std::vector<writer_options::virtual_part>& parts) {
  const std::vector<std::uint64_t> shape = config.shape();
  std::vector<h5::dataset> scales;
  if (config.random) {
    h5::dataset scale = create_point_dataset(location, "point", h5::native_type<std::uint64_t>(), shape, 0,
                                             config.output.compression, parts);
    h5::describe(scale.get(), "1",
                 config.paired ? "index of the point: coordinate index of every axis of the paired grid"
                               : "index of the point in the Halton sequence of the random grid");
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
    h5::describe(scale.get(), units_or_one(axis.unit), axis_long_name(config, axis));
    h5::write_attribute(scale.get(), "parameter", config.parameter_name(axis.slot));
    h5::write_attribute(scale.get(), "slot", std::string(param_name(axis.slot)));
    h5::set_scale(scale.get(), axis.name);
    scales.push_back(std::move(scale));
  }
  return scales;
}

}  // namespace scaleham
