#include "keras/layer_config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "test_paths.hpp"

namespace voxconv::keras {
namespace {

// Literal configs as each Keras version writes them (keras-semantics.md 2.3-2.4).
const char* kKeras221 = R"({"kernel_constraint": null, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"distribution": "normal", "scale": 2.0, "seed": null, "mode": "fan_in"}}, "name": "conv3d_1", "bias_regularizer": null, "bias_constraint": null, "activation": "linear", "trainable": true, "data_format": "channels_last", "padding": "same", "strides": [2, 2, 2], "dilation_rate": [1, 1, 1], "kernel_regularizer": null, "filters": 16, "bias_initializer": {"class_name": "Zeros", "config": {}}, "use_bias": true, "activity_regularizer": null, "kernel_size": [3, 3, 3]})";

const char* kTfKeras25Wrapped = R"({"class_name": "Conv3D", "config": {"name": "conv3d", "trainable": true, "dtype": "float32", "filters": 16, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1, 1], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "conv3d", "inbound_nodes": [[["input_1", 0, 0, {}]]]})";

const char* kKeras3 = R"({"module": "keras.layers", "class_name": "Conv3D",
 "config": {"name": "conv3d", "trainable": true,
            "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
            "filters": 8, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid", "data_format": "channels_last",
            "dilation_rate": [1, 1, 1], "groups": 1, "activation": "hard_sigmoid", "use_bias": true,
            "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null},
            "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
            "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
            "bias_regularizer": null, "activity_regularizer": null,
            "kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}, "registered_name": null},
            "bias_constraint": null},
 "registered_name": null, "build_config": {"input_shape": [null, 16, 16, 16, 1]}})";

const char* kTf114 = R"({"name": "conv3d", "trainable": true, "dtype": "float32", "filters": 16, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1, 1], "activation": "hard_sigmoid", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null, "dtype": "float32"}}, "bias_initializer": {"class_name": "Zeros", "config": {"dtype": "float32"}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null})";

TEST(LayerConfig, ParsesKeras21BareDict) {
  const LayerConfig c = parse_layer_config(kKeras221, "k221.json");
  EXPECT_EQ(c.name, "conv3d_1");
  EXPECT_EQ(c.filters, 16);
  EXPECT_EQ(c.strides, (std::array<int64_t, 3>{2, 2, 2}));
  EXPECT_EQ(c.padding, engine::Padding::same);
  EXPECT_FALSE(c.groups_present);
  EXPECT_EQ(c.groups, 1);
  EXPECT_EQ(c.kernel_initializer.class_name, "VarianceScaling");
  EXPECT_FALSE(c.version_hint.has_value());
  EXPECT_EQ(detect_keras_version(c, {}, std::nullopt).version, KerasVersion::keras2);
}

TEST(LayerConfig, ParsesTfKerasWrappedLayer) {
  const LayerConfig c = parse_layer_config(kTfKeras25Wrapped, "tf25.json");
  EXPECT_EQ(c.activation, "relu");
  EXPECT_TRUE(c.groups_present);
  EXPECT_EQ(c.padding, engine::Padding::valid);
  const auto p = to_conv_params(c, 1, KerasVersion::keras2);
  EXPECT_EQ(p.activation.kind, engine::Activation::relu);
  EXPECT_EQ(count_params(c, 1), 27 * 16 + 16);
  EXPECT_EQ(keras_weight_names(c, KerasVersion::keras2), (std::vector<std::string>{"conv3d/kernel:0", "conv3d/bias:0"}));
}

TEST(LayerConfig, Keras3ConfigSelectsKeras3HardSigmoid) {
  const LayerConfig c = parse_layer_config(kKeras3, "k3.json");
  ASSERT_TRUE(c.version_hint.has_value());
  EXPECT_TRUE(c.version_hint_strong);
  const auto v = detect_keras_version(c, {KerasVersion::keras2, "weights say 2"}, std::nullopt);
  EXPECT_EQ(v.version, KerasVersion::keras3);  // the config's DTypePolicy outranks the weights
  EXPECT_EQ(resolve_activation(c, v.version).kind, engine::Activation::hard_sigmoid_keras3);
  EXPECT_EQ(c.kernel_regularizer.class_name, "L2");
  ASSERT_EQ(c.kernel_regularizer.args.size(), 1u);
  EXPECT_DOUBLE_EQ(c.kernel_regularizer.args[0].second, 0.01);
  EXPECT_EQ(c.kernel_constraint.class_name, "MaxNorm");
  ASSERT_TRUE(c.batch_input_shape.has_value());
  EXPECT_EQ((*c.batch_input_shape)[1], 16);
  EXPECT_EQ(keras_weight_names(c, KerasVersion::keras3), (std::vector<std::string>{"conv3d/kernel", "conv3d/bias"}));
  // The --keras flag overrides everything.
  EXPECT_EQ(detect_keras_version(c, {}, KerasVersion::keras2).version, KerasVersion::keras2);
}

TEST(LayerConfig, Tf114ConfigKeepsKeras2HardSigmoid) {
  const LayerConfig c = parse_layer_config(kTf114, "tf114.json");
  const auto v = detect_keras_version(c, {}, std::nullopt);
  EXPECT_EQ(v.version, KerasVersion::keras2);
  EXPECT_EQ(resolve_activation(c, v.version).kind, engine::Activation::hard_sigmoid_keras2);
  // Weights written by Keras 3 decide when the config has no marker.
  EXPECT_EQ(detect_keras_version(c, {KerasVersion::keras3, "w"}, std::nullopt).version, KerasVersion::keras3);
}

TEST(LayerConfig, ScalarArgumentsExpandToTriples) {
  const LayerConfig c = parse_layer_config(R"({"filters": 4, "kernel_size": 5, "strides": 2, "padding": "SAME", "data_format": "channels_first"})", "s.json");
  EXPECT_EQ(c.kernel_size, (std::array<int64_t, 3>{5, 5, 5}));
  EXPECT_EQ(c.strides, (std::array<int64_t, 3>{2, 2, 2}));
  EXPECT_EQ(c.padding, engine::Padding::same);
  EXPECT_TRUE(c.channels_first);
  EXPECT_EQ(resolve_activation(c, KerasVersion::keras2).axis, engine::SoftmaxAxis::width);
}

TEST(LayerConfig, NullActivationIsLinearAndObjectFormIsAccepted) {
  EXPECT_EQ(parse_layer_config(R"({"filters": 1, "kernel_size": 1, "activation": null})", "a.json").activation, "linear");
  EXPECT_EQ(parse_layer_config(R"({"filters": 1, "kernel_size": 1, "activation": {"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "function"}})", "a.json").activation, "gelu");
}

TEST(LayerConfig, NullDataFormatFollowsKerasJson) {
  namespace fs = std::filesystem;
  const fs::path home = fs::temp_directory_path() / ("voxconv_keras_home_" + std::to_string(::getpid()));
  fs::create_directories(home);
  const char* old = std::getenv("KERAS_HOME");
  const std::string saved = old ? old : "";
  ::setenv("KERAS_HOME", home.c_str(), 1);
  const char* cfg = R"({"filters": 1, "kernel_size": 1, "data_format": null})";
  EXPECT_FALSE(parse_layer_config(cfg, "d.json").channels_first);  // no keras.json: channels_last
  std::ofstream(home / "keras.json") << R"({"image_data_format": "channels_first", "backend": "tensorflow"})";
  const LayerConfig c = parse_layer_config(cfg, "d.json");
  EXPECT_TRUE(c.channels_first);
  EXPECT_NE(c.data_format_source.find("keras.json"), std::string::npos);
  if (old) ::setenv("KERAS_HOME", saved.c_str(), 1);
  else ::unsetenv("KERAS_HOME");
  fs::remove_all(home);
}

TEST(LayerConfig, PicksTheNamedConv3DFromAModelConfig) {
  const char* model = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Conv3D", "config": {"name": "a", "filters": 2, "kernel_size": [3, 3, 3], "batch_input_shape": [null, 8, 8, 8, 1]}},
      {"class_name": "LeakyReLU", "config": {"name": "l", "alpha": 0.3}},
      {"class_name": "Conv3D", "config": {"name": "b", "filters": 4, "kernel_size": [1, 1, 1]}}]}})";
  EXPECT_EQ(parse_layer_config(model, "m.json", {"b"}).filters, 4);
  EXPECT_EQ(parse_layer_config(model, "m.json", {"a"}).filters, 2);
  EXPECT_THROW(parse_layer_config(model, "m.json"), Error);          // two Conv3D: --layer needed
  EXPECT_THROW(parse_layer_config(model, "m.json", {"zz"}), Error);  // no such layer
}

TEST(LayerConfig, RealModelJsonFromKeras224) {
  const auto path = testing::realdata("models/3dcnn_keras_mengkunzhao/3dcnn_300_32_depth.json");
  VOXCONV_REQUIRE_REALDATA(path);
  const LayerConfig c = load_layer_config(path.string(), {"conv3d_3"});
  EXPECT_EQ(c.filters, 64);
  EXPECT_EQ(c.padding, engine::Padding::same);
  const LayerConfig first = load_layer_config(path.string(), {"conv3d_1"});
  ASSERT_TRUE(first.batch_input_shape.has_value());
  EXPECT_EQ((*first.batch_input_shape)[3], 16);
}

struct BadConfig {
  const char* json;
  const char* must_mention;
};

TEST(LayerConfig, EachBadValueIsAOneLineErrorNamingTheKey) {
  const BadConfig cases[] = {
      {R"({"filters": 4, "kernel_size": 3,)", "malformed JSON"},
      {R"([1, 2])", "JSON object"},
      {R"({"kernel_size": 3})", "\"filters\""},
      {R"({"filters": 4})", "\"kernel_size\""},
      {R"({"filters": 0, "kernel_size": 3})", "\"filters\""},
      {R"({"filters": 4.5, "kernel_size": 3})", "\"filters\""},
      {R"({"filters": "4", "kernel_size": 3})", "\"filters\""},
      {R"({"filters": 4, "kernel_size": [3, 3]})", "\"kernel_size\""},
      {R"({"filters": 4, "kernel_size": [3, 0, 3]})", "\"kernel_size\""},
      {R"({"filters": 4, "kernel_size": 3, "strides": [1, 0, 1]})", "\"strides\""},
      {R"({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2})", "dilation_rate"},
      {R"({"filters": 4, "kernel_size": 3, "padding": "causal"})", "\"padding\""},
      {R"({"filters": 4, "kernel_size": 3, "padding": "full"})", "\"padding\""},
      {R"({"filters": 4, "kernel_size": 3, "padding": [[1, 1], [1, 1], [1, 1]]})", "\"padding\""},
      {R"({"filters": 4, "kernel_size": 3, "data_format": "channels_middle"})", "\"data_format\""},
      {R"({"filters": 6, "kernel_size": 3, "groups": 4})", "\"groups\""},
      {R"({"filters": 4, "kernel_size": 3, "groups": 0})", "\"groups\""},
      {R"({"filters": 4, "kernel_size": 3, "activation": "swoosh"})", "\"activation\""},
      {R"({"filters": 4, "kernel_size": 3, "activation": "glu"})", "\"activation\""},
      {R"({"filters": 4, "kernel_size": 3, "activation": 3})", "\"activation\""},
      {R"({"filters": 4, "kernel_size": 3, "use_bias": "yes"})", "\"use_bias\""},
      {R"({"filters": 4, "kernel_size": 3, "trainable": 1})", "\"trainable\""},
      {R"({"filters": 4, "kernel_size": 3, "dtype": "int8"})", "\"dtype\""},
      {R"({"filters": 4, "kernel_size": 3, "kernel_initializer": "glorot_sideways"})", "\"kernel_initializer\""},
      {R"({"filters": 4, "kernel_size": 3, "kernel_regularizer": {"class_name": "L2", "config": {"l2": -1}}})", "kernel_regularizer.l2"},
      {R"({"filters": 4, "kernel_size": 3, "bias_constraint": "positive"})", "\"bias_constraint\""},
      {R"({"filters": 4, "kernel_size": 3, "fliters": 4})", "\"fliters\""},
      {R"({"nb_filter": 4, "kernel_dim1": 3})", "Keras 1"},
      {R"({"class_name": "Dense", "config": {"units": 3}})", "\"class_name\""},
      {R"({"class_name": "Conv3D"})", "\"config\""},
      {R"({"filters": 4, "kernel_size": 3, "batch_input_shape": [null, 8, 8, 1]})", "\"batch_input_shape\""},
      // Found by tests/fuzz/fuzz_layer_config: numbers beyond double and non-string names.
      {R"({"filters": 4, "kernel_size": 3, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 1e400}}})",
       "malformed JSON"},
      {R"({"filters": 4, "kernel_size": 3, "dtype": {"class_name": 7, "config": {"name": "float32"}}})", "\"dtype\""},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv3D", "config": {"name": 5}},
          {"class_name": "Conv3D", "config": {"name": "b"}}]}})", "--layer"},
  };
  for (const auto& c : cases) {
    try {
      parse_layer_config(c.json, "bad.json");
      ADD_FAILURE() << "accepted: " << c.json;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::config) << what;
      EXPECT_EQ(what.rfind("bad.json: ", 0), 0u) << what;
      EXPECT_NE(what.find(c.must_mention), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(LayerConfig, ParameterCountOverflowIsAConfigError) {
  // Each size is allowed alone (<= 2^31); their product is not a number of parameters.
  const LayerConfig c =
      parse_layer_config(R"({"filters": 2147483648, "kernel_size": [2147483648, 2147483648, 2147483648]})", "k.json");
  try {
    count_params(c, 4);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_EQ(std::string(e.what()).rfind("k.json: \"kernel_size\" = [2147483648, 2147483648, 2147483648]", 0), 0u)
        << e.what();
  }
  EXPECT_EQ(count_params(parse_layer_config(R"({"filters": 5, "kernel_size": 3})", "s.json"), 1), 27 * 5 + 5);
}

TEST(LayerConfig, Keras2RejectsKeras3OnlyActivations) {
  LayerConfig c = parse_layer_config(R"({"filters": 4, "kernel_size": 3, "activation": "hard_silu"})", "h.json");
  EXPECT_EQ(detect_keras_version(c, {}, std::nullopt).version, KerasVersion::keras3);
  EXPECT_THROW(resolve_activation(c, KerasVersion::keras2), Error);
}

TEST(LayerConfig, MissingFileIsAConfigError) {
  try {
    load_layer_config("does/not/exist.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("does/not/exist.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace voxconv::keras
