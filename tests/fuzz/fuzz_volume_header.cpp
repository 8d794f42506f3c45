// libFuzzer target: volume header handling that runs before ITK sees a file: the NIfTI-1/2
// header parser and file checks, then the direct NIfTI reader on files that pass them; the
// NRRD and MetaImage header checks (by the input's first bytes).
// A voxconv::Error is the expected answer to a bad file.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "fuzz_util.hpp"
#include "volume/header_check.hpp"
#include "volume/nifti_direct.hpp"

using namespace voxconv;

namespace {

bool starts_with(const uint8_t* data, size_t size, const char* prefix) {
  const size_t n = std::strlen(prefix);
  return size >= n && std::memcmp(data, prefix, n) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    if (starts_with(data, size, "NRRD")) {
      volume::detail::check_nrrd_header(fuzz::scratch_file(data, size, ".nrrd"));
      return 0;
    }
    if (starts_with(data, size, "ObjectType") || starts_with(data, size, "NDims")) {
      volume::detail::check_metaimage_header(fuzz::scratch_file(data, size, ".mha"));
      return 0;
    }
  } catch (const Error&) {
    return 0;
  }
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string path = fuzz::scratch_file(data, size, gzip ? ".nii.gz" : ".nii");
  try {
    const volume::detail::NiftiHeader header = volume::detail::check_nifti_file(path);
    std::vector<std::string> warnings;
    (void)volume::detail::nifti_geometry(header, path, warnings);
    (void)volume::detail::read_nifti_direct(path, header);
  } catch (const Error&) {
  }
  return 0;
}
