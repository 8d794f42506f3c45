// voxconv on real Keras files and real scans, against PyTorch float64 values sampled by
// tests/golden/generate_realdata_goldens.py.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

using nlohmann::json;

json load_golden(const std::string& name) {
  return json::parse(std::ifstream(source_dir() / "tests/golden/realdata" / (name + ".json")));
}

// Runs the golden's layer on its input and checks geometry and every sampled voxel.
void check_volume_golden(const json& g, const std::vector<std::string>& extra_args = {}) {
  TempDir out;
  const std::string output = out / "features.nii";
  const auto path = [](const json& rel) { return (source_dir() / rel.get<std::string>()).string(); };
  std::vector<std::string> args{"run", "--config", path(g["config"]), "--weights", path(g["weights"]), "--output", output};
  std::vector<std::string> inputs;
  if (g.contains("input")) inputs.push_back(path(g["input"]));
  for (const auto& in : g.value("inputs", json::array())) inputs.push_back(path(in));
  for (const auto& file : inputs) {
    if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared real data absent: " << file;
    args.insert(args.end(), {"--input", file});
  }
  if (!std::filesystem::exists(path(g["weights"]))) GTEST_SKIP() << "shared real data absent: " << path(g["weights"]);
  for (const auto& a : g.value("args", json::array())) args.push_back(a.get<std::string>());
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const ProcessResult r = run_process(voxconv_binary(), args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const volume::Volume v = volume::read_volume(output);
  EXPECT_EQ(v.data.dims(), g["output_itk_shape"].get<Dims>());
  const json& geo = g["expected_geometry"];
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(v.geometry.spacing[k], geo["spacing"][k].get<double>(), 1e-5);
    EXPECT_NEAR(v.geometry.origin[k], geo["origin"][k].get<double>(), 1e-3);
  }
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(v.geometry.direction[k], geo["direction"][k].get<double>(), 1e-5);
  const double rtol = g["rtol"], atol = g["atol"];
  const Dims& d = v.data.dims();
  int bad = 0;
  for (const auto& s : g["samples"]) {
    const int64_t z = s[0], y = s[1], x = s[2], c = s[3];
    const double want = s[4];
    const double got = v.data.data()[(((z * d[2]) + y) * d[3] + x) * d[4] + c];
    if (!(std::abs(got - want) <= atol + rtol * std::abs(want)) && ++bad <= 5)
      ADD_FAILURE() << "voxel z=" << z << " y=" << y << " x=" << x << " c=" << c << ": " << got << " vs " << want;
  }
  EXPECT_EQ(bad, 0);
}

TEST(RealData, BrainchopLayer21OnT1MatchesPyTorch) {
  check_volume_golden(load_golden("brainchop_model5ae_layer21"), {"--threads", "2"});
}

TEST(RealData, VoxelmorphStride2SameOnRealBrainXyz) { check_volume_golden(load_golden("voxelmorph_conv3d_245")); }

TEST(RealData, SkullStripReluLayerOnItkT1) { check_volume_golden(load_golden("skullstrip_conv3d")); }

TEST(RealData, NicMsSaveWeightsLayerOn4dNifti) { check_volume_golden(load_golden("nicms_conv1_1")); }

}  // namespace
}  // namespace voxconv::testing
