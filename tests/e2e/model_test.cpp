// `--model`: whole saved Keras models (Keras 2 .h5, Keras 3 .keras) from the command line.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "e2e/volume_golden.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

std::string model_fixture(const std::string& name) { return (source_dir() / "tests/data/models" / name).string(); }
const std::string kBrainchop = (source_dir() / "data/model5ae.h5").string();

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

float fixture_value(int64_t i, int64_t offset) {
  return static_cast<float>(static_cast<double>((i + offset) % 97) * 0.125 - 6.0);
}

TEST(ModelLayer, BrainchopLayer21FromTheModelFileMatchesPyTorch) {
  check_volume_golden(load_realdata_golden("brainchop_model5ae_layer21"), {"--threads", "2"},
                      {"--model", kBrainchop, "--layer", "21"});
}

TEST(ModelLayer, VoxelmorphConvBesideCustomLayerMatchesPyTorch) {
  const auto model = realdata("models/voxelmorph/cvpr2018_vm2_cc.h5");
  VOXCONV_REQUIRE_REALDATA(model);
  check_volume_golden(load_realdata_golden("voxelmorph_conv3d_245"), {},
                      {"--model", model.string(), "--layer", "conv3d_245"});
}

TEST(ModelLayer, Keras1ConvolutionOfDsb2017MatchesPyTorch) {
  const auto golden = load_realdata_golden("dsb2017_keras1_conv3d_6");
  const auto model = source_dir() / golden["model"].get<std::string>();
  VOXCONV_REQUIRE_REALDATA(model);
  check_volume_golden(golden, {}, {"--model", model.string(), "--layer", golden["layer"].get<std::string>()});
}

TEST(ModelLayer, TheanoWeightsFileKernelIsFlippedAsKeras2FlipsIt) {
  check_volume_golden(load_realdata_golden("nicms_theano_conv1_1"));
}

TEST(ModelLayer, Keras3ArchiveNestedConvRunsWithItsOwnWeights) {
  // c3: 1x1x1 conv 2 -> 2 inside the nested Sequential; kernel offset 8, bias offset 9.
  TempDir dir;
  Tensor x({1, 3, 2, 2, 2});
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 5) - 2.0f;
  volume::write_npy(dir / "in.npy", x);
  const auto r = voxconv({"run", "--model", model_fixture("k3_functional.keras"), "--layer", "c3", "--input",
                          dir / "in.npy", "--output", dir / "out.npy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor y = volume::read_npy(dir / "out.npy");
  ASSERT_EQ(y.dims(), (Dims{1, 3, 2, 2, 2}));
  for (int64_t p = 0; p < 12; ++p)
    for (int64_t o = 0; o < 2; ++o) {
      double want = fixture_value(o, 9);
      for (int64_t c = 0; c < 2; ++c) want += static_cast<double>(x.data()[p * 2 + c]) * fixture_value(c * 2 + o, 8);
      EXPECT_NEAR(y.data()[p * 2 + o], want, 1e-4) << "position " << p << " filter " << o;
    }
}

TEST(ModelLayer, BadModelRequestsAreOneLineErrors) {
  TempDir dir;
  Tensor x({1, 4, 4, 4, 1});
  volume::write_npy(dir / "in.npy", x);
  const std::string out = dir / "out.npy";
  expect_bad_input(voxconv({"run", "--model", model_fixture("k3_no_weights.keras"), "--layer", "c1", "--input",
                            dir / "in.npy", "--output", out}),
                   "k3_no_weights.keras: holds no model.weights.h5");
  expect_bad_input(voxconv({"run", "--model", kBrainchop, "--layer", "22", "--input", dir / "in.npy", "--output", out}),
                   "layer \"22\" (Activation) is not a Conv3D");
  expect_bad_input(voxconv({"run", "--model", kBrainchop, "--layer", "nope", "--input", dir / "in.npy", "--output", out}),
                   "no layer named \"nope\"");
  expect_bad_input(voxconv({"info", "--model", kBrainchop, "--config", "c.json"}), "excludes");
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(count_entries(dir.path()), 1);  // only the input
}

}  // namespace
}  // namespace voxconv::testing
