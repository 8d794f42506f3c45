#pragma once
// Internal to lib/volume: NRRD and MetaImage headers read by voxconv before ITK sees the
// file. ITK 5.2's readers trust a header's sizes; these checks refuse what cannot be a
// volume voxconv could hold (bad or overflowing sizes, more voxels than the memory
// available) and, for NRRD's raw and gzip encodings, data shorter than the sizes promise.
// Anything they do not understand is left to ITK. Throws ErrorKind::volume_read or
// resource naming `path`.
#include <string>

namespace voxconv::volume::detail {

void check_nrrd_header(const std::string& path);
void check_metaimage_header(const std::string& path);

}  // namespace voxconv::volume::detail
