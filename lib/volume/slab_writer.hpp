#pragma once
// Outputs larger than memory, written piece by piece: the file's header first, then blocks
// of planes along one axis as they are computed, each at its place in the file. Used when
// `run --memory-limit` makes voxconv compute the output in slabs.
#include <memory>
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::volume {

class SlabWriter {
 public:
  virtual ~SlabWriter() = default;
  // Writes `block`, which spans the whole array except along the slab axis, where it holds
  // planes [first_plane, first_plane + its extent). Blocks may come in any order.
  virtual void write(const Tensor& block, int64_t first_plane) = 0;
  // Completes the file (compresses it where the format says so). Throws ErrorKind::volume_write.
  virtual void finish() = 0;
};

// Whether volumes of this name can be written in slabs: NIfTI (.nii, .nii.gz).
bool volume_slab_writable(const std::string& path);

// A (1, Z, Y, X, C) float32 volume written in slabs of Z planes, the same file write_volume
// gives (byte for byte after decompression). ".nii.gz" is assembled uncompressed beside the
// output and compressed by finish() at `compression_level` (0-9; -1: zlib's default, as ITK).
// Throws ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_volume_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                    int compression_level = -1);

// A float32 C-order .npy array of `dims`, the file write_npy gives, written in blocks that
// span every axis but `axis`. Throws ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_npy_slab_writer(const std::string& path, const Dims& dims, size_t axis);

}  // namespace voxconv::volume
