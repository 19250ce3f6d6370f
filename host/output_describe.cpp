// `scaleham inspect`: describe_file (output.hpp), what a result file holds, in words.
#include <hdf5_hl.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "batches.hpp"
#include "h5.hpp"
#include "input_file.hpp"
#include "output.hpp"

namespace scaleham {

// --- describe_file ------------------------------------------------------------------

namespace {

template <class T>
std::vector<hsize_t> as_hsize(const std::vector<T>& values) {
  return std::vector<hsize_t>(values.begin(), values.end());
}

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
