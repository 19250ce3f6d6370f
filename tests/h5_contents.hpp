// Test helper: every dataset of an HDF5 file as raw bytes, to compare two
// files dataset by dataset, bit for bit.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>

#include <map>
#include <string>
#include <vector>

#include "h5.hpp"

namespace scaleham::testing {

/// Every dataset of a file (path -> its raw bytes in the stored type), found
/// by walking the groups; plus its chunk dims and filter count.
struct dataset_bytes {
  std::vector<unsigned char> bytes;
  std::vector<hsize_t> dims, chunk;
  int filters = -1;
  bool operator==(const dataset_bytes& o) const {
    return bytes == o.bytes && chunk == o.chunk && filters == o.filters;
  }
};

inline herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* out) {
  if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

inline std::map<std::string, dataset_bytes> all_datasets(const std::string& path) {
  std::map<std::string, dataset_bytes> out;
  const scaleham::h5::file file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  EXPECT_TRUE(file) << path;
  std::vector<std::string> names;
  H5Ovisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &names);
  for (const std::string& name : names) {
    const scaleham::h5::dataset set(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
    const scaleham::h5::datatype type(H5Dget_type(set.get()));
    if (H5Tget_class(type.get()) == H5T_STRING) continue;
    const scaleham::h5::datatype memory(H5Tget_native_type(type.get(), H5T_DIR_ASCEND));
    const scaleham::h5::dataspace space(H5Dget_space(set.get()));
    dataset_bytes d;
    d.dims.resize(std::size_t(H5Sget_simple_extent_ndims(space.get())));
    H5Sget_simple_extent_dims(space.get(), d.dims.data(), nullptr);
    d.bytes.resize(std::size_t(H5Sget_simple_extent_npoints(space.get())) * H5Tget_size(memory.get()));
    EXPECT_GE(H5Dread(set.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, d.bytes.data()), 0) << name;
    const scaleham::h5::property_list creation(H5Dget_create_plist(set.get()));
    if (H5Pget_layout(creation.get()) == H5D_CHUNKED) {
      d.chunk.resize(std::size_t(H5Sget_simple_extent_ndims(space.get())));
      H5Pget_chunk(creation.get(), int(d.chunk.size()), d.chunk.data());
      d.filters = H5Pget_nfilters(creation.get());
    }
    out[name] = std::move(d);
  }
  return out;
}

}  // namespace scaleham::testing
