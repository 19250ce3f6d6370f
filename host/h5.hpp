// A small RAII layer over the HDF5 C API: move-only handles that close what
// they own, exceptions instead of negative return codes, and the few helpers
// the output writers (`scaleham run`, `scaleham fit`) and `scaleham inspect` need.
//
// Host only, and private to the host library: headers that the CLI or the
// backends include (output.hpp) must not include this one, because HDF5's
// include directory is not propagated beyond scaleham_host (tests that use
// it link hdf5::hdf5 themselves).
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scaleham {

/// An HDF5 call failed. The message names the call, the file and object it
/// worked on, and HDF5's own description of the failure (whose automatic
/// printing to stderr is switched off, see h5::quiet_errors).
struct h5_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace h5 {

/// Switches off HDF5's automatic printing of its error stack for the calling
/// thread (the library is built thread-safe, so the setting is per thread);
/// failures are reported through h5_error instead. Cheap after the first call.
void quiet_errors();

/// The h5_error for a failed `call` on `where`, with HDF5's description of
/// the failure (taken from, and cleared off, this thread's error stack).
h5_error error_of(const char* call, std::string_view where);
/// Throws h5_error for `call` on object `name` below `location` (any hid_t in
/// the file; name may be empty).
[[noreturn]] void throw_error(const char* call, hid_t location, std::string_view name = {});
/// Same, for a failure where no HDF5 object exists yet (e.g. creating a file).
[[noreturn]] void throw_error(const char* call, std::string_view where);

/// Passes `result` through, or throws h5_error if it is negative (HDF5's
/// convention for hid_t, herr_t, htri_t and ssize_t alike).
template <class T>
T check(T result, const char* call, hid_t location, std::string_view name = {}) {
  if (result < 0) throw_error(call, location, name);
  return result;
}
template <class T>
T check(T result, const char* call, std::string_view where) {
  if (result < 0) throw_error(call, where);
  return result;
}

/// "FILE:/path/in/file" of an open object, for messages ("?" parts when unknown).
std::string object_name(hid_t object);
/// The path of an object within its file ("/flow/g"; "/" for the root group).
std::string path_in_file(hid_t object);

/// Owns one hid_t and releases it with `Close`. Move-only.
template <herr_t (*Close)(hid_t)>
class handle {
 public:
  handle() = default;
  explicit handle(hid_t id) : id_(id) {}
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  handle(handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~handle() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

  /// Closes and ignores failure: for destructors and error paths.
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  /// Closes and throws if that fails. Closing a file flushes it, so a full
  /// disk can show up only here: the writer must not ignore it. HDF5 keeps a
  /// file whose close failed open; then so does the handle (see abandon).
  void close() {
    if (id_ < 0) return;
    const std::string name = object_name(id_);  // while the id is still valid
    if (Close(id_) < 0) {
      const h5_error error = error_of("close", name);  // before any other HDF5 call
      // A file whose close failed stays open inside HDF5 under the same id;
      // closing it again (our destructor) crashes HDF5 1.10, so let it go.
      if (Close == &H5Fclose || H5Iis_valid(id_) <= 0) id_ = H5I_INVALID_HID;
      throw error;
    }
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using file = handle<H5Fclose>;
using group = handle<H5Gclose>;
using dataset = handle<H5Dclose>;
using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;
using property_list = handle<H5Pclose>;
using attribute = handle<H5Aclose>;

/// The native HDF5 type of a C++ arithmetic type (predefined: never closed).
template <class T>
hid_t native_type() {
  static_assert(std::is_arithmetic_v<T>, "native_type: arithmetic types only");
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5T_NATIVE_UINT64;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  else static_assert(sizeof(T) == 0, "native_type: add this type");
}

// --- files and groups --------------------------------------------------------

/// Creates (truncating) the file at `path`.
file create_file(const std::string& path);
/// Creates a file that lives in memory only (HDF5's core driver without a
/// backing store); `name` is what messages call it (each file is distinct,
/// whatever the name). file_image() takes its bytes: the same file the one at
/// a path would be.
file create_memory_file(const std::string& name);
/// The bytes of an open file, as they would be on disk (H5Fget_file_image;
/// flushes the file first). Close the file's objects before.
std::vector<std::byte> file_image(const file& f, const std::string& name);
/// Closes a file whose contents are being thrown away, making sure the close
/// succeeds: when the disk is full, the flush in H5Fclose fails, HDF5 1.10
/// keeps the file half-open, and its library cleanup at exit then crashes
/// closing it again. So the file is emptied first (sec2 driver), which gives
/// the flush the room it needs. Close the file's objects before. No-throw.
void abandon(file& f) noexcept;
/// Opens an existing file read-only.
file open_file_read_only(const std::string& path);
group create_group(hid_t location, const std::string& name);
group open_group(hid_t location, const std::string& name);
dataset open_dataset(hid_t location, const std::string& name);

// --- attributes ----------------------------------------------------------------

/// Writes (or replaces) attribute `name` of `object`: elements of `type` in
/// the shape `dims` (empty: a scalar).
void write_attribute_data(hid_t object, const std::string& name, hid_t type,
                          const std::vector<hsize_t>& dims, const void* data);

/// Writes (or replaces) a scalar string attribute: variable-length UTF-8,
/// which h5py and xarray read back as `str`.
void write_attribute(hid_t object, const std::string& name, std::string_view value);

/// Writes (or replaces) a scalar numeric attribute.
template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
void write_attribute(hid_t object, const std::string& name, T value) {
  write_attribute_data(object, name, native_type<T>(), {}, &value);
}

/// Writes (or replaces) a 1-D numeric array attribute.
template <class T>
void write_attribute(hid_t object, const std::string& name, const std::vector<T>& values) {
  write_attribute_data(object, name, native_type<T>(), {values.size()}, values.data());
}

/// The value of an attribute in words: strings as they are, numbers and
/// arrays of them as text ("3", "0.5", "[0, 1, 2]"); other types by class.
std::string attribute_text(hid_t object, const std::string& name);

/// True if `object` has an attribute `name`.
bool has_attribute(hid_t object, const std::string& name);

// --- datasets --------------------------------------------------------------------

/// Chunk shape for a dataset of shape `dims` with elements of `element_size`
/// bytes: a C-order-contiguous block of at most `target_bytes` (at least one
/// element), i.e. the innermost axes whole and then as many rows of the next
/// axis as fit. Batches are C-order ranges too (batches.hpp), so a batch
/// fills whole chunks except at its two ends. Every chunk dim is in
/// [1, dims[k]]; all dims must be >= 1. The default of 256 KiB keeps the
/// writer's chunk caches (two chunks per dataset, see create_dataset) at a
/// few MB for any grid, and is large enough for deflate and for reading.
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims, std::size_t element_size,
                                 std::size_t target_bytes = std::size_t(1) << 18);

/// Creates a dataset of shape `dims` (empty: a scalar) and element type
/// `type`. Non-empty, non-zero shapes are chunked (chunk_shape) and, when
/// `deflate_level` > 0, byte-shuffled and deflate-compressed at that level.
dataset create_dataset(hid_t location, const std::string& name, hid_t type,
                       const std::vector<hsize_t>& dims, int deflate_level);

/// Writes a whole 1-D double dataset (contiguous: coordinates are small).
dataset write_vector(hid_t location, const std::string& name, const std::vector<double>& values);

/// Writes `data` (count[0] × count[1] × ... elements of `memory_type`, C
/// order) into the hyperslab [start, start + count) of `set`. Empty start and
/// count: the dataset is a scalar.
void write_hyperslab(hid_t set, hid_t memory_type, const std::vector<hsize_t>& start,
                     const std::vector<hsize_t>& count, const void* data);
/// A whole dataset of shape `dims` holding `values` (C order), chunked, uncompressed.
template <class T>
dataset write_array(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                    const std::vector<T>& values) {
  dataset set = create_dataset(location, name, native_type<T>(), dims, 0);
  write_hyperslab(set.get(), native_type<T>(), std::vector<hsize_t>(dims.size(), 0), dims, values.data());
  return set;
}

/// The reverse of write_hyperslab.
void read_hyperslab(hid_t set, hid_t memory_type, const std::vector<hsize_t>& start,
                    const std::vector<hsize_t>& count, void* data);

/// One region of a virtual dataset: the hyperslab [start, start + count) of
/// it holds the same hyperslab of dataset `source_dataset` in `source_file`
/// (a path relative to the virtual dataset's file, or absolute).
struct virtual_mapping {
  std::string source_file, source_dataset;
  std::vector<hsize_t> start, count;
};

/// Creates a virtual dataset of `dims` made of `mappings` (HDF5 VDS); regions
/// no mapping covers, and those of a source that cannot be opened when read,
/// read as 0.
dataset create_virtual_dataset(hid_t location, const std::string& name, hid_t type,
                               const std::vector<hsize_t>& dims, const std::vector<virtual_mapping>& mappings);

/// Shape of a dataset (empty for a scalar).
std::vector<hsize_t> shape_of(hid_t set);

/// Writes a whole 1-D dataset of variable-length UTF-8 strings (contiguous).
dataset write_strings(hid_t location, const std::string& name, const std::vector<std::string>& values);

// --- conventions: CF attributes and dimension scales -------------------------------

/// The CF attributes `units` ("1" when dimensionless) and `long_name` (what
/// it is, in words) of a dataset.
void describe(hid_t object, std::string_view units, std::string_view long_name);

/// The CF flag attributes of a status dataset: flag_values (the uint8 codes
/// 0 .. status_count - 1) and flag_meanings (their names, status_name), so
/// the codes are documented in the file itself.
void write_status_flags(hid_t set);

/// Makes `set` a dimension scale named `name`.
void set_scale(hid_t set, const std::string& name);

/// Attaches dimension scale `scale` to dimension `dim` of `set` and labels
/// that dimension `label`.
void attach_scale(hid_t set, unsigned dim, hid_t scale, const std::string& label);

}  // namespace h5
}  // namespace scaleham
