#include "keras/model_file.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_paths.hpp"

namespace voxconv::keras {
namespace {

// Fixtures from tests/data/models/make_model_fixtures.py: value i of a variable with
// offset o is ((i + o) % 97) * 0.125 - 6.0.
std::string fixture(const std::string& name) {
  return (testing::source_dir() / "tests" / "data" / "models" / name).string();
}

void expect_values(const Tensor& t, const Dims& dims, int64_t offset) {
  ASSERT_EQ(t.dims(), dims);
  for (int64_t i = 0; i < t.size(); ++i)
    ASSERT_EQ(t.data()[i], static_cast<float>(static_cast<double>((i + offset) % 97) * 0.125 - 6.0)) << "index " << i;
}

std::vector<std::string> layer_names(const ModelGraph& g) {
  std::vector<std::string> out;
  for (const ModelLayer& layer : g.layers) out.push_back(layer.name);
  return out;
}

TEST(ModelFile, Keras2NestedModelsAreFlattenedAndTheirWeightsSplit) {
  const ModelFile model = ModelFile::open(fixture("k2_nested.h5"));
  const ModelGraph& g = model.graph();
  EXPECT_EQ(g.class_name, "Functional");
  EXPECT_EQ(layer_names(g), (std::vector<std::string>{"input_1", "conv3d", "block/conv3d", "bn", "conv3d_1",
                                                       "head_conv", "head_act", "custom"}));
  EXPECT_EQ(g.inputs, std::vector<std::string>{"input_1"});
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"head_act", "custom"}));
  EXPECT_EQ(g.find("block/conv3d")->inbound, std::vector<std::string>{"conv3d"});
  EXPECT_EQ(g.find("head_conv")->inbound, std::vector<std::string>{"conv3d_1"});
  EXPECT_EQ(g.find("custom")->inbound, std::vector<std::string>{"conv3d"});
  EXPECT_EQ(g.find("bn")->scope, std::vector<std::string>{"block"});

  const auto conv = model.read_weights("conv3d");
  ASSERT_EQ(conv.size(), 2u);
  expect_values(conv[0], {3, 3, 3, 2, 4}, 0);
  expect_values(conv[1], {4}, 1);
  const auto inner = model.read_weights("block/conv3d");
  ASSERT_EQ(inner.size(), 2u);
  expect_values(inner[0], {1, 1, 1, 4, 3}, 10);
  expect_values(inner[1], {3}, 11);
  // The Sequential's group holds trainable variables first: the moving statistics come last.
  const auto bn = model.read_weights("bn");
  ASSERT_EQ(bn.size(), 4u);
  expect_values(bn[0], {3}, 20);
  expect_values(bn[1], {3}, 21);
  expect_values(bn[2], {3}, 22);
  expect_values(bn[3], {3}, 70);
  const auto no_bias = model.read_weights("conv3d_1");
  ASSERT_EQ(no_bias.size(), 1u);
  expect_values(no_bias[0], {3, 3, 3, 3, 3}, 30);
  const auto head = model.read_weights("head_conv");
  ASSERT_EQ(head.size(), 2u);
  expect_values(head[1], {2}, 41);
  EXPECT_TRUE(model.read_weights("custom").empty());
  EXPECT_TRUE(model.read_weights("head_act").empty());
  EXPECT_EQ(model.version_evidence().version, KerasVersion::keras2);
}

TEST(ModelFile, Keras3ArchiveWeightsByClassPath) {
  const ModelFile model = ModelFile::open(fixture("k3_functional.keras"));
  EXPECT_TRUE(model.is_keras3_archive());
  const ModelGraph& g = model.graph();
  EXPECT_EQ(layer_names(g), (std::vector<std::string>{"input_layer", "c1", "bn", "c2", "c3", "add"}));
  EXPECT_EQ(g.find("add")->inbound, (std::vector<std::string>{"c2", "c3"}));
  EXPECT_EQ(g.find("c3")->keras3_path, "layers/sequential/layers/conv3d");
  expect_values(model.read_weights("c1").at(0), {3, 3, 3, 1, 2}, 0);
  const auto bn = model.read_weights("bn");
  ASSERT_EQ(bn.size(), 4u);
  expect_values(bn[3], {2}, 60);
  expect_values(model.read_weights("c2").at(1), {2}, 7);
  expect_values(model.read_weights("c3").at(0), {1, 1, 1, 2, 2}, 8);
  EXPECT_EQ(model.weights_file().keras_version, "3.6.0");
  EXPECT_EQ(model.version_evidence().version, KerasVersion::keras3);
}

TEST(ModelFile, RefusesArchiveWithoutWeightsAndWeightsOnlyFiles) {
  const std::string no_weights = fixture("k3_no_weights.keras");
  try {
    ModelFile::open(no_weights);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), no_weights + ": holds no model.weights.h5 (a model saved without weights?)");
  }
  const std::string weights_only = (testing::source_dir() / "tests/data/weights/good_keras2_weights_fixed.h5").string();
  try {
    ModelFile::open(weights_only);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(weights_only + ": no model_config attribute"), std::string::npos) << e.what();
  }
  const std::string bad_zip = (testing::source_dir() / "tests/data/weights/bad_zip.keras").string();
  EXPECT_THROW(ModelFile::open(bad_zip), Error);
}

TEST(ModelFileReal, BrainchopGraphIsAChain) {
  const ModelFile model = ModelFile::open((testing::source_dir() / "data/model5ae.h5").string());
  const ModelGraph& g = model.graph();
  ASSERT_EQ(g.layers.size(), 29u);
  EXPECT_EQ(g.layers.front().name, "input");
  EXPECT_EQ(g.layers.back().name, "output");
  EXPECT_EQ(g.outputs, std::vector<std::string>{"output"});
  for (size_t i = 1; i < g.layers.size(); ++i) EXPECT_EQ(g.layers[i].inbound, std::vector<std::string>{g.layers[i - 1].name});
  const auto w = model.weight_infos("29");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].path, "/model_weights/29/29/kernel:0");
}

TEST(ModelFileReal, VoxelmorphWeightsFoundThroughWeightNamesAndCustomLayerTolerated) {
  const auto path = testing::realdata("models/voxelmorph/cvpr2018_vm2_cc.h5");
  VOXCONV_REQUIRE_REALDATA(path);
  const ModelFile model = ModelFile::open(path.string());
  const ModelGraph& g = model.graph();
  EXPECT_EQ(g.inputs, (std::vector<std::string>{"input_51", "input_52"}));
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"spatial_transformer_27", "flow"}));
  ASSERT_NE(g.find("spatial_transformer_27"), nullptr);
  EXPECT_EQ(g.find("spatial_transformer_27")->inbound, (std::vector<std::string>{"input_51", "flow"}));
  const auto w = model.weight_infos("flow");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].path, "/model_weights/flow/flow_33/kernel:0");
  EXPECT_EQ(w[0].dims, (Dims{3, 3, 3, 16, 3}));
}

}  // namespace
}  // namespace voxconv::keras
