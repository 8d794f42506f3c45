#pragma once
// Internal to lib/volume: checks that a file really holds the voxel bytes its header
// promises. ITK 5.2's NIfTI and MetaImage readers return garbage without an error for a
// truncated file, so read_volume runs this before handing the file to ITK.
#include <cstdint>
#include <string>

namespace voxconv::volume::detail {

enum class Compression { none, zlib_or_gzip };

// Throws ErrorKind::volume_read naming `path` when `data_file` holds fewer than
// `needed` (decompressed) bytes from `offset` on, or its compressed stream is corrupt.
// A compressed stream is read to its end so that its checksum is verified too.
void check_payload(const std::string& path, const std::string& data_file, uint64_t offset, Compression compression,
                   uint64_t needed);

// True when the file starts with the gzip magic bytes.
bool is_gzip_file(const std::string& file);

}  // namespace voxconv::volume::detail
