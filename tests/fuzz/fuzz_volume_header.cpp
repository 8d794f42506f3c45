// libFuzzer target: volume header handling that runs before ITK sees a file: the NIfTI-1/2
// header parser and file checks, then the direct NIfTI reader on files that pass them.
// A voxconv::Error is the expected answer to a bad file.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "fuzz_util.hpp"
#include "volume/nifti_direct.hpp"

using namespace voxconv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
