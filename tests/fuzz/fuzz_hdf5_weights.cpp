// libFuzzer target: the HDF5 weights loader on a file held in memory (HDF5's core driver
// with a file image): layout detection, layer listing, and loading every layer that looks
// like a Conv3D. A voxconv::Error is the expected answer to a bad file.
// libhdf5 itself is not instrumented; see README.md for its known crashes.
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "keras/weights_hdf5.hpp"

using namespace voxconv;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "fuzz.h5";
  try {
    const keras::WeightsFileInfo info = keras::inspect_weights_from_memory(name, data, size);
    int loaded = 0;
    for (const keras::LayerEntry& layer : info.layers) {
      if (!layer.looks_like_conv3d() || ++loaded > 4) continue;
      try {
        (void)keras::load_conv3d_weights_from_memory(name, data, size, layer.name, "");
      } catch (const Error&) {
      }
    }
    (void)keras::load_conv3d_weights_from_memory(name, data, size, "", "");
  } catch (const Error&) {
  }
  // Every handle the loader opened is closed again, whatever happened: a forgotten one would
  // keep the whole file (here: its in-memory image) alive, unseen by LeakSanitizer.
  const ssize_t open_objects = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open_objects != 0) {
    std::fprintf(stderr, "fuzz_hdf5_weights: %zd HDF5 objects left open\n", open_objects);
    std::abort();
  }
  return 0;
}
