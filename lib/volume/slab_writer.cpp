#include "volume/slab_writer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.hpp"
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
    Dims want = dims_;
    want[axis_] = block.rank() == dims_.size() ? block.dim(axis_) : -1;
    if (block.dims() != want || first_plane < 0 || first_plane + block.dim(axis_) > dims_[axis_])
      throw Error(ErrorKind::internal, file_.path() + ": block " + dims_to_string(block.dims()) + " at plane " +
                                           std::to_string(first_plane) + " does not fit " + dims_to_string(dims_));
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

bool volume_slab_writable(const std::string& path) { return format_of(path) == FileFormat::nifti; }

std::unique_ptr<SlabWriter> open_volume_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                    int compression_level) {
  if (!volume_slab_writable(path))
    throw Error(ErrorKind::usage, path + ": only NIfTI (.nii, .nii.gz) and .npy outputs can be written in slabs");
  return detail::open_nifti_slab_writer(path, zyxc, geometry, compression_level);
}

std::unique_ptr<SlabWriter> open_npy_slab_writer(const std::string& path, const Dims& dims, size_t axis) {
  return std::make_unique<NpySlabWriter>(path, dims, axis);
}

}  // namespace voxconv::volume
