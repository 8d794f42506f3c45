#pragma once
// Internal to lib/volume: a NIfTI-1/NIfTI-2 header parser and a small direct reader.
// ITK 5.2 stays the reader for ordinary NIfTI-1 files; this code (1) lets read_volume
// check that a file holds the voxel bytes its header promises (ITK 5.2 silently returns
// garbage for a truncated .nii or .nii.gz) and (2) reads what ITK 5.2 refuses: NIfTI-2
// files, and NIfTI-1 files whose only transform is an sform with shear.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "volume/slab_reader.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::volume::detail {

struct NiftiHeader {
  int version = 1;               // 1 or 2
  bool big_endian = false;       // byte order of header and data
  int64_t header_size = 348;     // 348 (NIfTI-1) or 540 (NIfTI-2)
  std::array<int64_t, 8> dim{};  // dim[0] = number of dimensions
  int datatype = 0;
  std::array<double, 8> pixdim{};
  int64_t vox_offset = 0;
  double scl_slope = 0.0;
  double scl_inter = 0.0;
  int qform_code = 0;
  int sform_code = 0;
  std::array<double, 3> quatern{};  // b, c, d
  std::array<double, 3> qoffset{};
  std::array<std::array<double, 4>, 3> srow{};
};

// Parses the header of a .nii or .nii.gz file (zlib reads both). Throws
// ErrorKind::volume_read for anything that is not a single-file NIfTI-1/2 header.
NiftiHeader read_nifti_header(const std::string& path);

// Everything to check before a NIfTI file's voxels are read, by ITK or directly: the
// header, the byte count its dimensions imply (no overflow), memory for the whole volume
// as float32, and that the file holds those bytes (a .nii.gz is decompressed to its end,
// checksum included). Throws ErrorKind::volume_read or resource naming `path`.
NiftiHeader check_nifti_file(const std::string& path);

// Bytes per voxel component of a NIfTI datatype code, or 0 when unknown.
int64_t nifti_bytes_per_value(int datatype);

// Bytes the header says follow vox_offset (all dimensions); throws on overflow.
uint64_t nifti_payload_bytes(const NiftiHeader& header, const std::string& path);

// Whole image without ITK, with the same conventions as read_volume (channels from the
// 4th dimension or from dim[5] vector components, scaling applied, LPS geometry).
// Geometry approximations are described in Volume::warnings.
Volume read_nifti_direct(const std::string& path, const NiftiHeader& header);

// Whether values need scl_slope/scl_inter applied (slope finite, non-zero and not the
// identity with a zero intercept).
bool nifti_rescales(const NiftiHeader& header);

// Planes of a NIfTI file read with seeks (see open_volume_slab_reader), values converted
// exactly as read_nifti_direct converts them; `geometry` is given by the caller.
std::unique_ptr<SlabReader> open_nifti_plane_reader(const std::string& path, const NiftiHeader& header,
                                                    const Geometry& geometry);

// Geometry from the header as ITK's NiftiImageIO defines it (LPS, unit direction
// columns, spacing from pixdim); a sheared sform without a qform gets the nearest
// rotation, and a note saying so is appended to `warnings`.
Geometry nifti_geometry(const NiftiHeader& header, const std::string& path, std::vector<std::string>& warnings);

}  // namespace voxconv::volume::detail
