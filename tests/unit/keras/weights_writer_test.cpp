#include "keras/weights_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.hpp"

namespace voxconv::keras {
namespace {

namespace fs = std::filesystem;

struct TempFolder {
  fs::path path = fs::temp_directory_path() / ("voxconv-ww-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                               "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempFolder() { fs::create_directories(path); }
  ~TempFolder() { fs::remove_all(path); }
};

Tensor ramp(const Dims& dims, float offset) {
  Tensor t(dims);
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = offset + 0.25f * static_cast<float>(i);
  return t;
}

TEST(WeightsWriter, BothLayoutsReadBackWithAndWithoutBias) {
  TempFolder dir;
  for (const auto layout : {WeightsLayout::keras2_weights, WeightsLayout::keras3_weights}) {
    for (const bool bias : {true, false}) {
      Conv3dWeightsToWrite w;
      w.layer_name = "conv_x";
      w.layout = layout;
      w.kernel = ramp({2, 1, 3, 2, 4}, -3.0f);
      if (bias) w.bias = ramp({4}, 1.0f);
      const std::string path = (dir.path / (std::to_string(static_cast<int>(layout)) + (bias ? "b" : "n") + ".h5")).string();
      write_conv3d_weights(path, w);
      const LayerWeights read = load_conv3d_weights(path, "", "");
      EXPECT_EQ(read.file.layout, layout);
      EXPECT_EQ(read.layer_name, "conv_x");
      EXPECT_EQ(read.kernel.dims(), w.kernel.dims());
      EXPECT_EQ(read.kernel.values(), w.kernel.values());
      EXPECT_EQ(read.bias.values(), w.bias.values());
      const auto names = written_weights("conv_x", layout, bias);
      ASSERT_EQ(names.size(), bias ? 2u : 1u);
      EXPECT_EQ(read.kernel_info.path, names[0].dataset);
      if (layout == WeightsLayout::keras2_weights) {
        EXPECT_EQ(read.kernel_info.name, "conv_x/kernel:0");
        EXPECT_EQ(read.file.keras_version, kWrittenKeras2Version);
        EXPECT_EQ(read.file.backend, "tensorflow");
      }
    }
  }
}

TEST(WeightsWriter, RefusesAnExistingFileAndUnusableNames) {
  TempFolder dir;
  Conv3dWeightsToWrite w;
  w.layer_name = "c";
  w.kernel = ramp({1, 1, 1, 1, 1}, 0.0f);
  const std::string path = (dir.path / "w.h5").string();
  write_conv3d_weights(path, w);
  EXPECT_THROW(write_conv3d_weights(path, w), Error);
  w.layer_name = "a/b";
  EXPECT_THROW(write_conv3d_weights((dir.path / "x.h5").string(), w), Error);
  w.layer_name = "c";
  w.layout = WeightsLayout::plain;
  EXPECT_THROW(write_conv3d_weights((dir.path / "y.h5").string(), w), Error);
}

}  // namespace
}  // namespace voxconv::keras
