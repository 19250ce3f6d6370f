#include "h5.hpp"

#include <hdf5_hl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "scaleham/status.hpp"

namespace scaleham::h5 {

namespace {
// HDF5 1.10 closes every file still open when the process exits; a file whose
// close failed (full disk) is then closed a second time and HDF5 crashes in
// its exit handler. Our handles close everything explicitly, so the exit
// handler is not needed. Must run before any other HDF5 call: a static
// initialiser of the library that owns every HDF5 call.
const bool hdf5_exit_handler_disabled = [] {
  H5dont_atexit();
  return true;
}();
}  // namespace

namespace {

herr_t collect_description(unsigned /*depth*/, const H5E_error2_t* entry, void* descriptions) {
  if (entry->desc != nullptr && entry->desc[0] != '\0')
    static_cast<std::vector<std::string>*>(descriptions)->emplace_back(entry->desc);
  return 0;
}

/// The gist of one error description. File-driver errors are long and span
/// lines ("file write failed: time = ..., errno = 28, error message = 'No
/// space left on device', buf = 0x..."): keep the system's message.
std::string gist(std::string description) {
  const std::string marker = "error message = '";
  const std::size_t from = description.find(marker);
  if (from != std::string::npos) {
    const std::size_t begin = from + marker.size();
    const std::size_t end = description.find('\'', begin);
    if (end != std::string::npos) return description.substr(begin, end - begin);
  }
  std::replace(description.begin(), description.end(), '\n', ' ');
  return description;
}

/// HDF5's error stack of this thread in one line: the outermost description
/// and, in parentheses, the gist of the innermost one (usually the concrete
/// cause, e.g. "No space left on device"). Clears the stack.
std::string take_error_stack() {
  std::vector<std::string> descriptions;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_description, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  if (descriptions.empty()) return "no description from HDF5";
  if (descriptions.size() == 1) return gist(descriptions.front());
  return fmt::format("{} ({})", gist(descriptions.front()), gist(descriptions.back()));
}

std::string join_path(const std::string& parent, std::string_view child) {
  if (child.empty()) return parent;
  if (parent.empty() || parent.back() == '/') return parent + std::string(child);
  return parent + "/" + std::string(child);
}

/// Reads a name through HDF5's "ask for the length, then fill" protocol.
template <class Get>
std::string read_name(Get get) {
  const ssize_t length = get(nullptr, 0);
  if (length < 0) return "?";
  std::vector<char> buffer(static_cast<std::size_t>(length) + 1, '\0');
  if (get(buffer.data(), buffer.size()) < 0) return "?";
  return std::string(buffer.data(), static_cast<std::size_t>(length));
}

/// Scalar (dims empty) or simple dataspace.
dataspace make_dataspace(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return dataspace(check(H5Screate(H5S_SCALAR), "H5Screate", "scalar dataspace"));
  return dataspace(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         "H5Screate_simple", "dataspace"));
}

/// Deletes attribute `name` of `object` if it exists, so it can be rewritten
/// with another type or shape.
void remove_attribute(hid_t object, const std::string& name) {
  if (has_attribute(object, name))
    check(H5Adelete(object, name.c_str()), "H5Adelete", object, "@" + name);
}

/// The element type of variable-length UTF-8 strings.
datatype string_type() {
  datatype type(check(H5Tcopy(H5T_C_S1), "H5Tcopy", "string type"));
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", "string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", "string type");
  return type;
}

/// Selects [start, start + count) in the file space of `set` and matches it
/// with a contiguous memory space; a scalar dataset (start empty) is selected whole.
std::pair<dataspace, dataspace> hyperslab_spaces(hid_t set, const std::vector<hsize_t>& start,
                                                 const std::vector<hsize_t>& count) {
  dataspace file_space(check(H5Dget_space(set), "H5Dget_space", set));
  if (count.empty()) return {std::move(file_space), make_dataspace({})};
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                            nullptr),
        "H5Sselect_hyperslab", set);
  // The memory space has the slab's shape, not its element count: with equal
  // shapes HDF5 maps memory to chunks by whole blocks, with a 1-D memory
  // space it goes element by element (most of the write time, measured).
  return {std::move(file_space), make_dataspace(count)};
}

template <class T>
std::string numbers_text(hid_t attr, hid_t memory_type, std::size_t count) {
  std::vector<T> values(count);
  check(H5Aread(attr, memory_type, values.data()), "H5Aread", attr);
  if (count == 1) return fmt::format("{}", values[0]);
  constexpr std::size_t shown = 16;
  std::string text = "[";
  for (std::size_t i = 0; i < std::min(count, shown); ++i)
    text += fmt::format("{}{}", i ? ", " : "", values[i]);
  return text + (count > shown ? ", ...]" : "]");
}

}  // namespace

void quiet_errors() {
  thread_local const bool quiet = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)quiet;
}

std::string path_in_file(hid_t object) {
  const std::string path =
      read_name([object](char* buffer, std::size_t size) { return H5Iget_name(object, buffer, size); });
  H5Eclear2(H5E_DEFAULT);
  return path;
}

std::string object_name(hid_t object) {
  const std::string file_name =
      read_name([object](char* buffer, std::size_t size) { return H5Fget_name(object, buffer, size); });
  const std::string path =
      read_name([object](char* buffer, std::size_t size) { return H5Iget_name(object, buffer, size); });
  H5Eclear2(H5E_DEFAULT);  // a failed lookup must not leak into the next error
  return file_name + ":" + path;
}

h5_error error_of(const char* call, std::string_view where) {
  return h5_error(fmt::format("{} failed on {}: {}", call, where, take_error_stack()));
}

void throw_error(const char* call, hid_t location, std::string_view name) {
  // Take the stack first: the name lookups are HDF5 calls too.
  const std::string description = take_error_stack();
  throw h5_error(fmt::format("{} failed on {}: {}", call,
                             join_path(object_name(location), name), description));
}

void throw_error(const char* call, std::string_view where) { throw error_of(call, where); }

file create_file(const std::string& path) {
  quiet_errors();
  // "Semi" close degree: closing the file fails while any of its objects is
  // still open, instead of silently keeping it open (and unflushed) as the
  // default does; a writer that forgot a handle is caught, not corrupt.
  property_list access(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", path));
  check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "H5Pset_fclose_degree", path);
  return file(check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()),
                    "H5Fcreate", path));
}

file create_memory_file(const std::string& name) {
  quiet_errors();
  property_list access(check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", name));
  check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "H5Pset_fclose_degree", name);
  // No backing store: nothing is ever written to disk. Grown 1 MiB at a
  // time: with 64 MiB increments a 441-point sweep took 0.29 s instead of
  // 0.08 s (each increment is allocated and cleared); glibc's realloc moves
  // large blocks by remapping pages, so growing a big file stays cheap.
  check(H5Pset_fapl_core(access.get(), std::size_t(1) << 20, /*backing_store=*/0), "H5Pset_fapl_core", name);
  // HDF5 takes two core files of one name for the same file: each gets its
  // own (runs in memory on several threads of one process).
  static std::atomic<std::uint64_t> created{0};
  const std::string unique = fmt::format("{} #{}", name, ++created);
  return file(check(H5Fcreate(unique.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "H5Fcreate", name));
}

std::vector<std::byte> file_image(const file& f, const std::string& name) {
  quiet_errors();
  check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), "H5Fflush", name);
  const ssize_t size = H5Fget_file_image(f.get(), nullptr, 0);
  if (size < 0) throw_error("H5Fget_file_image", name);
  std::vector<std::byte> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(f.get(), image.data(), image.size()) != size) throw_error("H5Fget_file_image", name);
  return image;
}

void abandon(file& f) noexcept {
  if (!f) return;
  const hid_t access = H5Fget_access_plist(f.get());
  void* handle = nullptr;
  if (access >= 0 && H5Pget_driver(access) == H5FD_SEC2 &&
      H5Fget_vfd_handle(f.get(), access, &handle) >= 0 && handle != nullptr)
    (void)::ftruncate(*static_cast<int*>(handle), 0);  // best effort: the close below is what counts
  if (access >= 0) H5Pclose(access);
  f.reset();
  H5Eclear2(H5E_DEFAULT);
}

file open_file_read_only(const std::string& path) {
  quiet_errors();
  return file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen", path));
}

group create_group(hid_t location, const std::string& name) {
  quiet_errors();
  return group(check(H5Gcreate2(location, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                     "H5Gcreate2", location, name));
}

group open_group(hid_t location, const std::string& name) {
  quiet_errors();
  return group(check(H5Gopen2(location, name.c_str(), H5P_DEFAULT), "H5Gopen2", location, name));
}

dataset open_dataset(hid_t location, const std::string& name) {
  quiet_errors();
  return dataset(check(H5Dopen2(location, name.c_str(), H5P_DEFAULT), "H5Dopen2", location, name));
}

bool has_attribute(hid_t object, const std::string& name) {
  quiet_errors();
  return check(H5Aexists(object, name.c_str()), "H5Aexists", object, "@" + name) > 0;
}

void write_attribute_data(hid_t object, const std::string& name, hid_t type,
                          const std::vector<hsize_t>& dims, const void* data) {
  remove_attribute(object, name);
  const dataspace space = make_dataspace(dims);
  const attribute attr(check(H5Acreate2(object, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                             "H5Acreate2", object, "@" + name));
  check(H5Awrite(attr.get(), type, data), "H5Awrite", object, "@" + name);
}

void write_attribute(hid_t object, const std::string& name, std::string_view value) {
  const std::string terminated(value);  // HDF5 wants a C string
  const char* pointer = terminated.c_str();
  write_attribute_data(object, name, string_type().get(), {}, &pointer);
}

std::string attribute_text(hid_t object, const std::string& name) {
  quiet_errors();
  const attribute attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "H5Aopen", object, "@" + name));
  const datatype type(check(H5Aget_type(attr.get()), "H5Aget_type", object, "@" + name));
  const dataspace space(check(H5Aget_space(attr.get()), "H5Aget_space", object, "@" + name));
  const auto count = static_cast<std::size_t>(
      check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", object, "@" + name));

  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      if (count != 1) return fmt::format("<{} strings>", count);
      if (check(H5Tis_variable_str(type.get()), "H5Tis_variable_str", object, "@" + name) > 0) {
        const datatype memory = string_type();
        char* text = nullptr;
        check(H5Aread(attr.get(), memory.get(), &text), "H5Aread", object, "@" + name);
        std::string result = text != nullptr ? text : "";
        H5free_memory(text);  // HDF5 allocated it
        return result;
      }
      // Fixed length (e.g. written by H5DS or netCDF): read as stored, then
      // drop the padding.
      std::vector<char> buffer(H5Tget_size(type.get()) + 1, '\0');
      check(H5Aread(attr.get(), type.get(), buffer.data()), "H5Aread", object, "@" + name);
      std::string result(buffer.data());
      while (!result.empty() && result.back() == ' ') result.pop_back();
      return result;
    }
    case H5T_INTEGER:
      return H5Tget_sign(type.get()) == H5T_SGN_NONE
                 ? numbers_text<std::uint64_t>(attr.get(), H5T_NATIVE_UINT64, count)
                 : numbers_text<std::int64_t>(attr.get(), H5T_NATIVE_INT64, count);
    case H5T_FLOAT:
      return numbers_text<double>(attr.get(), H5T_NATIVE_DOUBLE, count);
    default:
      return "<not a number or string>";
  }
}

std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims, std::size_t element_size,
                                 std::size_t target_bytes) {
  const hsize_t budget = std::max<hsize_t>(1, target_bytes / std::max<std::size_t>(1, element_size));
  std::vector<hsize_t> chunk(dims.size(), 1);
  hsize_t inner = 1;  // elements in one chunk row of the axes inside axis k
  for (std::size_t k = dims.size(); k-- > 0;) {
    if (inner * dims[k] <= budget) {
      chunk[k] = dims[k];
      inner *= dims[k];
    } else {
      chunk[k] = std::max<hsize_t>(1, budget / inner);
      break;  // the outer axes stay at 1
    }
  }
  return chunk;
}

dataset create_dataset(hid_t location, const std::string& name, hid_t type,
                       const std::vector<hsize_t>& dims, int deflate_level) {
  quiet_errors();
  const dataspace space = make_dataspace(dims);
  property_list creation(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", location, name));
  property_list access(check(H5Pcreate(H5P_DATASET_ACCESS), "H5Pcreate", location, name));
  const bool chunked =
      !dims.empty() && std::none_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  if (chunked) {
    const std::size_t element_size = H5Tget_size(type);
    const std::vector<hsize_t> chunk = chunk_shape(dims, element_size);
    check(H5Pset_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk",
          location, name);
    if (deflate_level > 0) {
      // Shuffle first: grouping the bytes of equal significance is what lets
      // deflate compress smooth floating-point fields.
      check(H5Pset_shuffle(creation.get()), "H5Pset_shuffle", location, name);
      check(H5Pset_deflate(creation.get(), static_cast<unsigned>(deflate_level)), "H5Pset_deflate",
            location, name);
    }
    // Chunks and batches are both C-order-contiguous ranges of the points, and
    // batches are written in order, so at any time one chunk per dataset is
    // partly written: the cache must hold it until the next batch completes
    // it (else HDF5 compresses and writes it, and later reads, decompresses
    // and rewrites it; a chunk larger than the cache is never cached at all).
    // Two chunks suffice, and more would only hold memory: HDF5 keeps chunks
    // until it needs the room. w0 = 1: evict fully written chunks first.
    hsize_t chunk_elements = 1;
    for (hsize_t c : chunk) chunk_elements *= c;
    check(H5Pset_chunk_cache(access.get(), 101, 2 * chunk_elements * element_size, 1.0), "H5Pset_chunk_cache",
          location, name);
  }
  return dataset(check(H5Dcreate2(location, name.c_str(), type, space.get(), H5P_DEFAULT, creation.get(),
                                  access.get()),
                       "H5Dcreate2", location, name));
}

dataset create_virtual_dataset(hid_t location, const std::string& name, hid_t type,
                               const std::vector<hsize_t>& dims, const std::vector<virtual_mapping>& mappings) {
  quiet_errors();
  const dataspace space = make_dataspace(dims);
  property_list creation(check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", location, name));
  for (const virtual_mapping& m : mappings) {
    const dataspace here = make_dataspace(dims), there = make_dataspace(dims);
    for (hid_t s : {here.get(), there.get()})
      check(H5Sselect_hyperslab(s, H5S_SELECT_SET, m.start.data(), nullptr, m.count.data(), nullptr),
            "H5Sselect_hyperslab", location, name);
    check(H5Pset_virtual(creation.get(), here.get(), m.source_file.c_str(), m.source_dataset.c_str(), there.get()),
          "H5Pset_virtual", location, name);
  }
  return dataset(check(H5Dcreate2(location, name.c_str(), type, space.get(), H5P_DEFAULT, creation.get(),
                                  H5P_DEFAULT),
                       "H5Dcreate2", location, name));
}

dataset write_vector(hid_t location, const std::string& name, const std::vector<double>& values) {
  quiet_errors();
  const dataspace space = make_dataspace({values.size()});
  dataset set(check(H5Dcreate2(location, name.c_str(), H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    "H5Dcreate2", location, name));
  check(H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "H5Dwrite",
        location, name);
  return set;
}

void write_hyperslab(hid_t set, hid_t memory_type, const std::vector<hsize_t>& start,
                     const std::vector<hsize_t>& count, const void* data) {
  quiet_errors();
  const auto [file_space, memory_space] = hyperslab_spaces(set, start, count);
  check(H5Dwrite(set, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), "H5Dwrite", set);
}

void read_hyperslab(hid_t set, hid_t memory_type, const std::vector<hsize_t>& start,
                    const std::vector<hsize_t>& count, void* data) {
  quiet_errors();
  const auto [file_space, memory_space] = hyperslab_spaces(set, start, count);
  check(H5Dread(set, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), "H5Dread", set);
}

std::vector<hsize_t> shape_of(hid_t set) {
  quiet_errors();
  const dataspace space(check(H5Dget_space(set), "H5Dget_space", set));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", set);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims", set);
  return dims;
}

dataset write_strings(hid_t location, const std::string& name, const std::vector<std::string>& values) {
  quiet_errors();
  const datatype type = string_type();
  const dataspace space = make_dataspace({values.size()});
  dataset set(check(H5Dcreate2(location, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT),
                    "H5Dcreate2", location, name));
  std::vector<const char*> pointers;
  for (const std::string& v : values) pointers.push_back(v.c_str());
  check(H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "H5Dwrite", location,
        name);
  return set;
}

// --- conventions: CF attributes and dimension scales -------------------------------

void describe(hid_t object, std::string_view units, std::string_view long_name) {
  write_attribute(object, "units", units);
  write_attribute(object, "long_name", long_name);
}

void write_status_flags(hid_t set) {
  std::vector<std::uint8_t> values;
  std::string meanings;
  for (int code = 0; code < status_count; ++code) {
    values.push_back(static_cast<std::uint8_t>(code));
    meanings += (code ? " " : "") + std::string(status_name(static_cast<status>(code)));
  }
  write_attribute(set, "flag_values", values);
  write_attribute(set, "flag_meanings", meanings);
}

void set_scale(hid_t set, const std::string& name) {
  check(H5DSset_scale(set, name.c_str()), "H5DSset_scale", set);
}

void attach_scale(hid_t set, unsigned dim, hid_t scale, const std::string& label) {
  check(H5DSattach_scale(set, scale, dim), "H5DSattach_scale", set);
  check(H5DSset_label(set, dim, label.c_str()), "H5DSset_label", set);
}

}  // namespace scaleham::h5
