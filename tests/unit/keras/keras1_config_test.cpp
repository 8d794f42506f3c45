// Keras 1 configs are read in the Keras 2 form Keras 2's legacy interfaces give them.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "keras/layer_config.hpp"
#include "keras/model_graph.hpp"

namespace voxconv::keras {
namespace {

// convolution3d_6 of realdata dsb2017_hammack (Keras 1.2.0), as its model_config writes it.
const std::string kKeras1Conv = R"({"W_constraint": null, "b_constraint": null, "name": "convolution3d_6", "kernel_dim2": 3,
  "kernel_dim1": 3, "activation": "linear", "trainable": true, "dim_ordering": "th", "kernel_dim3": 5,
  "subsample": [1, 2, 1], "init": "orthogonal", "bias": true, "nb_filter": 8, "b_regularizer": null,
  "W_regularizer": {"l2": 9.999999747378752e-05, "name": "L1L2Regularizer", "l1": 0.0}, "activity_regularizer": null,
  "border_mode": "same"})";

TEST(Keras1Config, Convolution3DReadsAsConv3D) {
  for (const std::string& text : {kKeras1Conv, R"({"class_name": "Convolution3D", "config": )" + kKeras1Conv + "}"}) {
    const LayerConfig c = parse_layer_config(text, "k1.json");
    EXPECT_EQ(c.name, "convolution3d_6");
    EXPECT_EQ(c.filters, 8);
    EXPECT_EQ(c.kernel_size, (std::array<int64_t, 3>{3, 3, 5}));
    EXPECT_EQ(c.strides, (std::array<int64_t, 3>{1, 2, 1}));
    EXPECT_EQ(c.padding, engine::Padding::same);
    EXPECT_TRUE(c.channels_first);
    EXPECT_EQ(c.data_format_source, "config");
    EXPECT_TRUE(c.use_bias);
    EXPECT_EQ(c.kernel_initializer.class_name, "Orthogonal");
    EXPECT_EQ(c.kernel_regularizer.class_name, "L1L2");
    ASSERT_EQ(c.kernel_regularizer.args.size(), 2u);
  }
}

TEST(Keras1Config, TfOrderingNoBiasAndDefaultOrdering) {
  LayerConfig c = parse_layer_config(
      R"({"name": "c", "nb_filter": 2, "kernel_dim1": 1, "kernel_dim2": 1, "kernel_dim3": 1, "dim_ordering": "tf", "bias": false})",
      "k1.json");
  EXPECT_FALSE(c.channels_first);
  EXPECT_FALSE(c.use_bias);
  // "default" is whatever keras.json said: Keras 2 maps it to data_format None.
  c = parse_layer_config(
      R"({"name": "c", "nb_filter": 2, "kernel_dim1": 1, "kernel_dim2": 1, "kernel_dim3": 1, "dim_ordering": "default"})",
      "k1.json");
  EXPECT_NE(c.data_format_source, "config");
}

TEST(Keras1Config, WhatKeras2CannotLoadEither) {
  const auto expect_error = [](const std::string& text, const std::string& expected) {
    try {
      parse_layer_config(text, "k1.json");
      ADD_FAILURE() << "no error for " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"nb_filter": 4, "kernel_dim1": 3})", "needs kernel_dim1, kernel_dim2 and kernel_dim3");
  expect_error(R"({"nb_filter": 4, "kernel_dim1": 3, "kernel_dim2": 3, "kernel_dim3": 3, "dim_ordering": "xy"})",
               "a Keras 1 dim_ordering is 'th', 'tf' or 'default'");
  expect_error(R"({"nb_filter": 4, "kernel_dim1": 3, "kernel_dim2": 3, "kernel_dim3": 3, "border_mode": "full"})",
               "\"padding\" = \"full\"");
}

TEST(Keras1Config, ModelLayersAreTranslatedInTheGraph) {
  const std::string json = R"({"class_name": "Model", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
       "config": {"batch_input_shape": [null, 1, 8, 8, 8], "input_dtype": "float32", "sparse": false, "name": "in"}},
      {"class_name": "BatchNormalization", "name": "bn", "inbound_nodes": [[["in", 0, 0]]],
       "config": {"name": "bn", "epsilon": 0.001, "mode": 0, "momentum": 0.99, "axis": 1}},
      {"class_name": "Merge", "name": "merge", "inbound_nodes": [[["bn", 0, 0], ["in", 0, 0]]],
       "config": {"name": "merge", "concat_axis": 1, "mode": "concat"}},
      {"class_name": "MaxPooling3D", "name": "pool", "inbound_nodes": [[["merge", 0, 0]]],
       "config": {"name": "pool", "dim_ordering": "th", "border_mode": "valid", "pool_size": [2, 2, 2]}}],
      "input_layers": [["in", 0, 0]], "output_layers": [["pool", 0, 0]]}})";
  const ModelGraph g = parse_model_config(json, "k1.h5");
  EXPECT_NE(g.find("in")->config_json.find(R"("dtype":"float32")"), std::string::npos) << g.find("in")->config_json;
  EXPECT_EQ(g.find("bn")->config_json.find("mode"), std::string::npos) << g.find("bn")->config_json;
  EXPECT_EQ(g.find("merge")->class_name, "Concatenate");
  EXPECT_NE(g.find("merge")->config_json.find(R"("axis":1)"), std::string::npos) << g.find("merge")->config_json;
  EXPECT_EQ(g.find("merge")->inbound, (std::vector<std::string>{"bn", "in"}));
  EXPECT_NE(g.find("pool")->config_json.find(R"("data_format":"channels_first")"), std::string::npos);
  EXPECT_NE(g.find("pool")->config_json.find(R"("padding":"valid")"), std::string::npos);
  const std::string bad = R"({"class_name": "Model", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "name": "in", "inbound_nodes": [], "config": {"name": "in"}},
      {"class_name": "BatchNormalization", "name": "bn", "inbound_nodes": [[["in", 0, 0]]], "config": {"name": "bn", "mode": 2}}],
      "input_layers": [["in", 0, 0]], "output_layers": [["bn", 0, 0]]}})";
  EXPECT_THROW(parse_model_config(bad, "k1.h5"), Error);
}

}  // namespace
}  // namespace voxconv::keras
