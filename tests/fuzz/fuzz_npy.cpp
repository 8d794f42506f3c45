// libFuzzer target: the .npy reader (header dictionary, dtype, shape, sizes, data).
// A voxconv::Error is the expected answer to a bad file.
#include <cstdint>

#include "core/error.hpp"
#include "fuzz_util.hpp"
#include "volume/volume_io.hpp"

using namespace voxconv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::scratch_file(data, size, ".npy");
  try {
    const Tensor t = volume::read_npy(path);
    (void)find_non_finite(t);
  } catch (const Error&) {
  }
  return 0;
}
