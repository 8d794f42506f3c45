#pragma once
// What voxconv wrote to an HDF5 volume, read with the plain C API (not voxconv's reader):
// dataset shape, type, storage and attributes. Shared by the lib/volume tests.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <string>
#include <vector>

namespace voxconv::testing {

struct Written {
  std::vector<hsize_t> dims;
  bool float32 = false;
  bool chunked = false;
  std::vector<hsize_t> chunk;  // chunk dims when chunked
  bool gzip = false;           // the deflate filter is in the pipeline
  std::vector<double> spacing, origin, direction;
};

inline std::vector<double> attribute(hid_t dataset, const char* name) {
  const hid_t a = H5Aopen(dataset, name, H5P_DEFAULT);
  const hid_t space = H5Aget_space(a);
  std::vector<double> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
  H5Aread(a, H5T_NATIVE_DOUBLE, values.data());
  H5Sclose(space);
  H5Aclose(a);
  return values;
}

inline Written inspect(const std::string& file, const std::string& dataset) {
  Written w;
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(f, 0) << file;
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  EXPECT_GE(d, 0) << dataset;
  const hid_t space = H5Dget_space(d);
  w.dims.resize(static_cast<size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, w.dims.data(), nullptr);
  const hid_t type = H5Dget_type(d);
  w.float32 = H5Tequal(type, H5T_IEEE_F32LE) > 0;
  const hid_t create = H5Dget_create_plist(d);
  w.chunked = H5Pget_layout(create) == H5D_CHUNKED;
  if (w.chunked) {
    w.chunk.resize(w.dims.size());
    H5Pget_chunk(create, static_cast<int>(w.chunk.size()), w.chunk.data());
  }
  for (int i = 0; i < H5Pget_nfilters(create); ++i) {
    unsigned flags = 0, values[8] = {}, config = 0;
    size_t count = 8;
    w.gzip = w.gzip || H5Pget_filter2(create, static_cast<unsigned>(i), &flags, &count, values, 0, nullptr, &config) ==
                           H5Z_FILTER_DEFLATE;
  }
  w.spacing = attribute(d, "spacing");
  w.origin = attribute(d, "origin");
  w.direction = attribute(d, "direction");
  H5Pclose(create);
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return w;
}

}  // namespace voxconv::testing
