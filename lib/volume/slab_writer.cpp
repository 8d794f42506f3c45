#include "volume/slab_writer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "volume/hdf5_volume.hpp"
#include "volume/metaimage_nrrd_slab_writer.hpp"
#include "volume/nifti_stream_writer.hpp"
#include "volume/npy_header.hpp"
#include "volume/positional_file.hpp"
#include "volume/raw_convert.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::volume {

namespace {

// The array's values at their C-order places after the header: a block spanning every
// axis but `axis_` is a run of contiguous values for each index of the axes before it.
class NpySlabWriter final : public SlabWriter {
 public:
  NpySlabWriter(const std::string& path, const Dims& dims, size_t axis)
      : file_(path), dims_(dims), axis_(axis), header_(detail::npy_header(path, "<f4", dims)) {
    if (axis >= dims.size()) throw Error(ErrorKind::internal, path + ": slab axis out of range");
    const int64_t count = checked_element_count(dims, path);
    file_.write_at(0, header_.data(), header_.size());
    // The full length up front: a full disk shows at the end of the file at the latest.
    const uint64_t bytes = header_.size() + static_cast<uint64_t>(count) * sizeof(float);
    file_.write_at(bytes - 1, "", 1);
  }

  void write(const Tensor& block, int64_t first_plane) override {
    detail::check_block(file_.path(), dims_, axis_, block, first_plane);
    int64_t outer = 1, inner = 1;
    for (size_t a = 0; a < axis_; ++a) outer *= dims_[a];
    for (size_t a = axis_ + 1; a < dims_.size(); ++a) inner *= dims_[a];
    const int64_t run = block.dim(axis_) * inner;
    for (int64_t o = 0; o < outer; ++o) {
      const int64_t at = (o * dims_[axis_] + first_plane) * inner;
      write_values(header_.size() + static_cast<uint64_t>(at) * sizeof(float), block.data() + o * run, run);
    }
  }

  void finish() override { file_.close(); }

 private:
  void write_values(uint64_t offset, const float* values, int64_t count) {
    if (detail::host_is_little_endian()) {
      file_.write_at(offset, values, static_cast<size_t>(count) * sizeof(float));
      return;
    }
    std::vector<unsigned char> swapped(static_cast<size_t>(count) * sizeof(float));
    for (int64_t i = 0; i < count; ++i) {
      std::memcpy(swapped.data() + 4 * i, values + i, 4);
      std::reverse(swapped.data() + 4 * i, swapped.data() + 4 * i + 4);
    }
    file_.write_at(offset, swapped.data(), swapped.size());
  }

  detail::PositionalFile file_;
  Dims dims_;
  size_t axis_;
  std::string header_;
};

}  // namespace

bool volume_slab_writable(const std::string& path, const WriteOptions& options) {
  switch (format_of(path)) {
    case FileFormat::nifti:
    case FileFormat::hdf5:
      return true;
    case FileFormat::metaimage:
    case FileFormat::nrrd:
      return !options.compress;
    default:
      return false;
  }
}

std::unique_ptr<SlabWriter> open_volume_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                    const WriteOptions& options, int64_t block_planes) {
  if (!volume_slab_writable(path, options))
    throw Error(ErrorKind::usage, path + ": only NIfTI, uncompressed MetaImage and NRRD, HDF5 and .npy outputs can be "
                                         "written in slabs");
  switch (format_of(path)) {
    case FileFormat::metaimage:
      return detail::open_metaimage_slab_writer(path, zyxc, geometry);
    case FileFormat::nrrd:
      return detail::open_nrrd_slab_writer(path, zyxc, geometry);
    case FileFormat::hdf5:
      return detail::open_hdf5_slab_writer(path, zyxc, geometry, options, block_planes);
    default:
      return detail::open_nifti_slab_writer(path, zyxc, geometry, options.compression_level);
  }
}

std::unique_ptr<SlabWriter> open_npy_slab_writer(const std::string& path, const Dims& dims, size_t axis) {
  return std::make_unique<NpySlabWriter>(path, dims, axis);
}

namespace detail {

void check_block(const std::string& path, const Dims& dims, size_t axis, const Tensor& block, int64_t first_plane) {
  Dims want = dims;
  want[axis] = block.rank() == dims.size() ? block.dim(axis) : -1;
  if (block.dims() != want || first_plane < 0 || first_plane + block.dim(axis) > dims[axis])
    throw Error(ErrorKind::internal, path + ": block " + dims_to_string(block.dims()) + " at plane " +
                                         std::to_string(first_plane) + " does not fit " + dims_to_string(dims));
}

}  // namespace detail

}  // namespace voxconv::volume
