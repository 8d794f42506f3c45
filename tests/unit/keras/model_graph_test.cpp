#include "keras/model_graph.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace voxconv::keras {
namespace {

std::vector<std::string> names(const ModelGraph& g) {
  std::vector<std::string> out;
  for (const ModelLayer& layer : g.layers) out.push_back(layer.name);
  return out;
}

void expect_config_error(const std::string& json, const std::string& expected) {
  try {
    parse_model_config(json, "m.h5");
    ADD_FAILURE() << "no error for " << json;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("m.h5: ", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

TEST(KerasSnakeCase, FollowsKeras3Naming) {
  EXPECT_EQ(keras_snake_case("Conv3D"), "conv3d");
  EXPECT_EQ(keras_snake_case("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(keras_snake_case("ZeroPadding3D"), "zero_padding3d");
  EXPECT_EQ(keras_snake_case("PReLU"), "p_re_lu");
  EXPECT_EQ(keras_snake_case("InputLayer"), "input_layer");
  EXPECT_EQ(keras_snake_case("Conv3DTranspose"), "conv3d_transpose");
}

TEST(ModelGraph, Keras2SequentialWithoutInputLayerGetsOneFromBatchInputShape) {
  // Keras 2.2.4 to_json(): no InputLayer, the first layer carries batch_input_shape.
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Conv3D", "config": {"name": "conv3d_1", "filters": 2, "kernel_size": [3,3,3], "batch_input_shape": [null, 8, 8, 8, 1]}},
      {"class_name": "LeakyReLU", "config": {"name": "leaky", "alpha": 0.3}},
      {"class_name": "Conv3D", "config": {"name": "conv3d_2", "filters": 2, "kernel_size": [1,1,1]}}]}})";
  const ModelGraph g = parse_model_config(json, "m.json");
  EXPECT_EQ(names(g), (std::vector<std::string>{"conv3d_1_input", "conv3d_1", "leaky", "conv3d_2"}));
  EXPECT_EQ(g.inputs, std::vector<std::string>{"conv3d_1_input"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"conv3d_2"});
  EXPECT_EQ(g.layers[0].class_name, "InputLayer");
  EXPECT_NE(g.layers[0].config_json.find("[null,8,8,8,1]"), std::string::npos) << g.layers[0].config_json;
  EXPECT_EQ(g.layers[2].inbound, std::vector<std::string>{"conv3d_1"});
  EXPECT_EQ(g.layers[1].keras3_path, "layers/conv3d");
  EXPECT_EQ(g.layers[3].keras3_path, "layers/conv3d_1");
}

TEST(ModelGraph, Keras1SequentialIsAList) {
  const std::string json = R"({"class_name": "Sequential", "config": [
      {"class_name": "Convolution3D", "config": {"name": "c", "nb_filter": 2, "kernel_dim1": 3, "kernel_dim2": 3,
                                                 "kernel_dim3": 3, "batch_input_shape": [null, 1, 8, 8, 8]}},
      {"class_name": "Activation", "config": {"name": "a", "activation": "relu"}}]})";
  const ModelGraph g = parse_model_config(json, "m.h5");
  EXPECT_EQ(names(g), (std::vector<std::string>{"c_input", "c", "a"}));
  EXPECT_EQ(g.find("c")->class_name, "Conv3D");  // read in its Keras 2 form
}

TEST(ModelGraph, Keras3FunctionalWithSingleTripleEndpointsAndListArgs) {
  const std::string tensor_a = R"({"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 4, 4, 1], "dtype": "float32", "keras_history": ["a", 0, 0]}})";
  const std::string tensor_b = R"({"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 4, 4, 1], "dtype": "float32", "keras_history": ["b", 0, 0]}})";
  const std::string tensor_in = R"({"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 4, 4, 1], "dtype": "float32", "keras_history": ["in", 0, 0]}})";
  const std::string json = R"({"module": "keras", "class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 4, 4, 4, 1]}, "name": "in", "inbound_nodes": []},
      {"class_name": "Add", "config": {"name": "sum"}, "name": "sum", "inbound_nodes": [{"args": [[)" +
                           tensor_a + ", " + tensor_b + R"(]], "kwargs": {}}]},
      {"class_name": "ReLU", "config": {"name": "a"}, "name": "a", "inbound_nodes": [{"args": [)" + tensor_in + R"(], "kwargs": {}}]},
      {"class_name": "ReLU", "config": {"name": "b"}, "name": "b", "inbound_nodes": [{"args": [)" + tensor_in + R"(], "kwargs": {}}]}],
      "input_layers": ["in", 0, 0], "output_layers": ["sum", 0, 0]}})";
  const ModelGraph g = parse_model_config(json, "m.keras");
  // "sum" is listed first but placed after its producers.
  EXPECT_EQ(names(g), (std::vector<std::string>{"in", "a", "b", "sum"}));
  EXPECT_EQ(g.find("sum")->inbound, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.inputs, std::vector<std::string>{"in"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"sum"});
  EXPECT_EQ(g.find("b")->keras3_path, "layers/re_lu_1");
}

TEST(ModelGraph, SharedLayerCountsItsCalls) {
  const std::string json = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "config": {"name": "in"}, "name": "in", "inbound_nodes": []},
      {"class_name": "ReLU", "config": {"name": "r"}, "name": "r", "inbound_nodes": [[["in", 0, 0, {}]], [["r", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["r", 1, 0]]}})";
  const ModelGraph g = parse_model_config(json, "m.h5");
  EXPECT_EQ(g.find("r")->calls, 2);
}

TEST(ModelGraph, BrokenGraphsAreConfigErrors) {
  expect_config_error(R"({"class_name": "Conv3D", "config": {}})", "not a Keras model");
  expect_config_error(R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "config": {"name": "in"}, "inbound_nodes": []},
      {"class_name": "ReLU", "config": {"name": "r"}, "inbound_nodes": [[["nowhere", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["r", 0, 0]]}})",
                      "takes its input from \"nowhere\", which the model does not define");
  expect_config_error(R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "config": {"name": "in"}, "inbound_nodes": []},
      {"class_name": "ReLU", "config": {"name": "a"}, "inbound_nodes": [[["b", 0, 0, {}]]]},
      {"class_name": "ReLU", "config": {"name": "b"}, "inbound_nodes": [[["a", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["b", 0, 0]]}})",
                      "in a cycle");
  expect_config_error(R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "config": {"name": "in"}, "inbound_nodes": []},
      {"class_name": "ReLU", "config": {"name": "in"}, "inbound_nodes": [[["in", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["in", 0, 0]]}})",
                      "two layers are named \"in\"");
  expect_config_error("{not json", "malformed model config JSON");
}

TEST(ModelGraph, WeightRolesFollowTheConfig) {
  ModelLayer bn;
  bn.class_name = "BatchNormalization";
  bn.config_json = R"({"class_name": "BatchNormalization", "config": {"name": "bn", "center": false, "scale": true}})";
  const auto roles = keras_weight_roles(bn);
  ASSERT_TRUE(roles);
  ASSERT_EQ(roles->size(), 3u);
  EXPECT_EQ((*roles)[0].name, "gamma");
  EXPECT_EQ((*roles)[1].name, "moving_mean");
  EXPECT_FALSE((*roles)[1].trainable);
  ModelLayer conv;
  conv.class_name = "Conv3D";
  conv.config_json = R"({"class_name": "Conv3D", "config": {"name": "c", "use_bias": false}})";
  EXPECT_EQ(keras_weight_roles(conv)->size(), 1u);
  ModelLayer custom;
  custom.class_name = "SpatialTransformer";
  custom.config_json = R"({"class_name": "SpatialTransformer", "config": {"name": "st"}})";
  EXPECT_FALSE(keras_weight_roles(custom).has_value());
}

}  // namespace
}  // namespace voxconv::keras
