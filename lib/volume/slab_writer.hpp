#pragma once
// Outputs larger than memory, written piece by piece: the file's header first, then blocks
// of planes along one axis as they are computed, each at its place in the file. Used when
// `run --memory-limit` makes voxconv compute the output in slabs.
#include <memory>
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "volume/volume_io.hpp"

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

// Whether volumes of this name can be written in slabs with these options: NIfTI (.nii,
// .nii.gz), uncompressed MetaImage (.mha, .mhd) and NRRD (.nrrd, .nhdr), and HDF5 datasets
// (FILE.h5:/dataset, gzip too). Compressed MetaImage and NRRD cannot: their values are one
// zlib stream, which cannot be written out of order.
bool volume_slab_writable(const std::string& path, const WriteOptions& options = {});

// A (1, Z, Y, X, C) float32 volume written in slabs of Z planes: the file write_volume gives
// for the same tensor (byte for byte for NIfTI after decompression, MetaImage and NRRD, with a
// detached header's "<stem>.raw" beside it; HDF5 reads back the same, in a chunked dataset).
// ".nii.gz" is assembled uncompressed beside the output and compressed by finish() at
// `options.compression_level` (0-9; -1: zlib's default, as ITK). `block_planes` > 0 says that
// blocks start at multiples of it and hold at most that many planes (HDF5 chunks then fill
// whole). Throws ErrorKind::usage for a volume volume_slab_writable refuses, else
// ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_volume_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                    const WriteOptions& options = {}, int64_t block_planes = 0);

// A float32 C-order .npy array of `dims`, the file write_npy gives, written in blocks that
// span every axis but `axis`. Throws ErrorKind::volume_write naming `path`.
std::unique_ptr<SlabWriter> open_npy_slab_writer(const std::string& path, const Dims& dims, size_t axis);

namespace detail {
// Throws ErrorKind::internal naming `path` unless `block` spans `dims` except along `axis`,
// where it holds planes [first_plane, first_plane + its extent) of the array.
void check_block(const std::string& path, const Dims& dims, size_t axis, const Tensor& block, int64_t first_plane);
}  // namespace detail

}  // namespace voxconv::volume
