#pragma once
// Internal to lib/volume: NIfTI output of multi-component volumes without a full-size copy.
// ITK 5.2's NiftiImageIO::Write reorders interleaved vector pixels into NIfTI's
// component-planar layout in a new buffer as large as the image, doubling the peak memory
// of a run. This writer produces the same file (byte for byte after decompression) and
// streams the reordered payload through a small buffer instead.
#include <memory>
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "volume/itk_template.hpp"  // write_volume_itk, the reference in tests
#include "volume/slab_writer.hpp"

namespace voxconv::volume::detail {

// True when write_nifti_vectors_streamed should write this file, and can do it exactly as
// ITK 5.2 would: a lowercase ".nii" or ".nii.gz" name (ITK rejects other spellings, and the
// ITK path keeps its error), sizes that fit NIfTI-1's 16-bit dim fields, and either more
// than one component or a ".nii.gz" with an explicit `compression_level` (ITK 5.2's NIfTI
// writer ignores the level).
bool nifti_stream_writable(const std::string& path, const Tensor& zyxc, int compression_level = -1);

// Writes (1, Z, Y, X, C) float32 as ITK 5.2 writes a C-component vector image (a scalar image
// when C == 1) to NIfTI-1:
// the header ITK writes for the same geometry and component count (taken from a 1x1x1
// image ITK writes beside `path`, or in the temporary folder when that folder is read-only,
// with only dim[1..3] changed), then each component as a whole volume, x fastest. ".nii.gz" is gzip (at
// `compression_level`, 0..9; -1 is zlib's default level, as ITK's znzlib), ".nii" plain. Expects a
// request write_volume has validated. Throws ErrorKind::volume_write naming `path`; a partly
// written file is removed.
void write_nifti_vectors_streamed(const std::string& path, const Tensor& zyxc, const Geometry& geometry,
                                  int compression_level = -1);

// A (1, Z, Y, X, C) float32 NIfTI written in slabs of Z planes (C >= 1): the header ITK
// writes, then each component's planes at their place (NIfTI is component-planar). A
// ".nii.gz" is assembled uncompressed beside `path` and compressed by finish().
std::unique_ptr<SlabWriter> open_nifti_slab_writer(const std::string& path, const Dims& zyxc, const Geometry& geometry,
                                                   int compression_level);

}  // namespace voxconv::volume::detail
