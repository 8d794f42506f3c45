// voxconv on real Keras files and real scans, against PyTorch float64 values sampled by
// tests/golden/generate_realdata_goldens.py.
#include <gtest/gtest.h>

#include "e2e/volume_golden.hpp"

namespace voxconv::testing {
namespace {

TEST(RealData, BrainchopLayer21OnT1MatchesPyTorch) {
  check_volume_golden(load_realdata_golden("brainchop_model5ae_layer21"), {"--threads", "2"});
}

TEST(RealData, VoxelmorphStride2SameOnRealBrainXyz) { check_volume_golden(load_realdata_golden("voxelmorph_conv3d_245")); }

TEST(RealData, SkullStripReluLayerOnItkT1) { check_volume_golden(load_realdata_golden("skullstrip_conv3d")); }

TEST(RealData, NicMsSaveWeightsLayerOn4dNifti) { check_volume_golden(load_realdata_golden("nicms_conv1_1")); }

}  // namespace
}  // namespace voxconv::testing
