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

// Reads NIfTI (.nii, .nii.gz, NIfTI-2, either endian), NRRD (.nrrd, .nhdr) and MetaImage
// (.mha, .mhd) through ITK. Any voxel type becomes float32 with the file's intensity
// scaling (scl_slope/scl_inter) applied. A 3D scalar image is one channel; the 4th
// dimension of a 4D image and the components of a vector image become channels.
// Throws ErrorKind::volume_read with a message that starts with the path.
Volume read_volume(const std::string& path);

// Writes (1, Z, Y, X, C) float32 as a C-component image (scalar when C == 1) with the
// given geometry. The format follows the extension; `compress` asks ITK to compress
// where the format can. Throws ErrorKind::volume_write.
void write_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry, bool compress);

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

// Formats by file name (case-insensitive extension).
enum class FileFormat { nifti, nrrd, metaimage, npy, unknown };
FileFormat format_of(const std::string& path);
// Human list of the extensions voxconv reads and writes, for error messages.
const char* supported_extensions();

}  // namespace voxconv::volume
