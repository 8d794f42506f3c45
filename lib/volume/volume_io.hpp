#pragma once
// Volume and array files <-> Tensor + Geometry. ITK and the .npy format stay inside
// this module; nothing here knows about Keras or the engine.
#include <cstdint>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::volume {

// A volume as it sits in memory in ITK's buffer order: data (1, Z, Y, X, C) with x
// fastest after the channels; geometry in ITK index order (x, y, z).
struct Volume {
  Tensor data;
  Geometry geometry;
  // What the reader had to approximate, for the caller to log (e.g. a NIfTI sform with
  // shear replaced by the nearest rotation). Empty for ordinary files.
  std::vector<std::string> warnings;
};

// Reads NIfTI (.nii, .nii.gz, NIfTI-2, either endian), NRRD (.nrrd, .nhdr), MetaImage
// (.mha, .mhd) and TIFF stacks (.tif, .tiff: one page per z plane; spacing from the
// resolution tags, origin 0, identity direction) through ITK. Any voxel type becomes float32 with the file's intensity
// scaling (scl_slope/scl_inter) applied. A 3D scalar image is one channel; the 4th
// dimension of a 4D image and the components of a vector image become channels.
// Throws ErrorKind::volume_read with a message that starts with the path.
Volume read_volume(const std::string& path);

// How write_volume compresses. `compress` asks for compression where the format makes it
// optional (NRRD, MetaImage); ".nii.gz" is gzip by its name and ".nii" never compressed.
// `compression_level` (zlib's 0..9) applies to whatever is compressed; -1 keeps each
// writer's default (zlib's 6 for .nii.gz, as ITK's NIfTI writer).
struct WriteOptions {
  bool compress = false;
  int compression_level = -1;
};

// Writes (1, Z, Y, X, C) float32 as a C-component image (scalar when C == 1) with the
// given geometry. The format follows the extension. Throws ErrorKind::volume_write.
void write_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry, const WriteOptions& options);
inline void write_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry, bool compress) {
  write_volume(path, zyxc, geometry, WriteOptions{compress, -1});
}

// Integer labels (a segmentation: argmax over class scores), C order of `dims`, stored as
// uint8 when `as_uint8` (every value < 256), else uint16.
struct LabelArray {
  Dims dims;
  std::vector<uint16_t> values;
  bool as_uint8 = true;
};

// Writes labels with dims (1, Z, Y, X) in ITK's buffer order as a scalar uint8/uint16
// volume with the given geometry. Throws ErrorKind::volume_write.
void write_label_volume(const std::string& path, const LabelArray& zyx, const Geometry& geometry, bool compress);

// .npy arrays: any numeric dtype (bool, int8..int64, uint8..uint64, float16/32/64) of
// either byte order, C or Fortran order; returned as float32 in C order, same shape.
// Throws ErrorKind::volume_read.
Tensor read_npy(const std::string& path);
// Writes little-endian float32 in C order. Throws ErrorKind::volume_write.
void write_npy(const std::string& path, const Tensor& array);
// Writes labels as uint8 ('|u1') or little-endian uint16 ('<u2'), C order.
void write_npy_labels(const std::string& path, const LabelArray& labels);

// Formats by file name (case-insensitive extension). An HDF5 volume is a dataset in a
// file, named "FILE.h5:/group/dataset" (or .hdf5): 3-D (z, y, x) or 4-D (z, y, x, channels)
// in C order, any integer or float type; geometry from the dataset's optional attributes
// "spacing" and "origin" (3 values, x y z, as ITK) and "direction" (9, row-major), or
// "element_size_um" (z y x, the Fiji/ilastik convention) for the spacing. write_volume
// writes float32 with spacing, origin and direction, into a new file (chunked and gzip
// compressed when asked to compress).
enum class FileFormat { nifti, nrrd, metaimage, tiff, npy, hdf5, unknown };
FileFormat format_of(const std::string& path);
// Human list of the extensions voxconv reads and writes, for error messages.
const char* supported_extensions();

// The file a volume path lives in: "out.h5" for "out.h5:/features", else the path itself.
std::string volume_file_of(const std::string& path);
// The same volume in another file: ("out.h5:/features", "tmp/out.h5") -> "tmp/out.h5:/features";
// for other formats just `file`.
std::string with_volume_file(const std::string& path, const std::string& file);

}  // namespace voxconv::volume
