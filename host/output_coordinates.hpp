// The coordinates and dimension scales of a sweep's output file (output.hpp),
// and the root attributes known before the sweep runs: axis names checked
// against the datasets, one scale per dimension and location, the sampled
// points of random grids, the temperature grid of the curves (/curves/T, over
// the T_min and T_max axes when they are swept), and datasets over the grid
// (virtual for a merged file). Private to the writer (output.cpp).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "h5.hpp"
#include "output.hpp"
#include "sweep_config.hpp"

namespace scaleham {

/// A unit attribute: "1" for a dimensionless (empty) unit.
std::string units_or_one(const std::string& unit);

/// Refuses axis names that cannot name a dataset or clash with the results.
void check_names(const sweep_config& config);

/// "sweep axis lambda (parameter b1)": the long_name of an axis's scale.
std::string axis_long_name(const sweep_config& config, const axis_config& axis);

/// The axes over T_min or T_max, in grid order.
std::vector<std::size_t> temperature_axes(const sweep_config& config);

/// /curves/T over (the T_min and T_max axes..., T_index) in `group`.
void write_swept_temperatures(hid_t group, const sweep_config& config, const std::vector<std::size_t>& T_axes,
                              const std::vector<h5::dataset>& grid_scales, hid_t index_scale);

/// Attaches `scales` to the dimensions of `set`, labelled `labels`.
void attach_scales(hid_t set, const std::vector<hid_t>& scales, const std::vector<std::string>& labels);

template <class T>
std::vector<hsize_t> as_hsize(const std::vector<T>& values) {
  return std::vector<hsize_t>(values.begin(), values.end());
}

/// Root attributes known before the sweep runs (a resume checks them).
void write_config_attributes(hid_t root, const sweep_config& config);

/// Names of the grid's dimensions: the axes, or `point` for random grids.
std::vector<std::string> dimension_names(const sweep_config& config);

/// A dataset over the grid (per_point > 0: a last dimension of that many values).
h5::dataset create_point_dataset(hid_t location, const std::string& name, hid_t type,
                                 const std::vector<std::uint64_t>& shape, std::uint64_t per_point, int level,
                                 const std::vector<writer_options::virtual_part>& parts);

/// The dimension scales of one location, one per dimension.
std::vector<h5::dataset> create_scales(hid_t location, const sweep_config& config,
                                       const std::vector<writer_options::virtual_part>& parts);

}  // namespace scaleham
