// get_config() round trip: parse -> write (Keras 2 or 3 spelling) -> parse gives the same
// layer for every key, over configs of every version and every argument form.
#include "keras/config_writer.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"

namespace voxconv::keras {
namespace {

using nlohmann::json;

// Configs as Keras writes them (keras-semantics.md 2.3-2.4) and hand-written ones that use
// every form of every argument.
const std::vector<std::string> kConfigs = {
    // Keras 2.1.2: no dtype, VarianceScaling with the legacy "normal" distribution.
    R"({"kernel_constraint": null, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"distribution": "normal", "scale": 2.0, "seed": null, "mode": "fan_in"}}, "name": "conv3d_1", "bias_regularizer": null, "bias_constraint": null, "activation": "linear", "trainable": true, "data_format": "channels_last", "padding": "same", "strides": [2, 2, 2], "dilation_rate": [1, 1, 1], "kernel_regularizer": null, "filters": 16, "bias_initializer": {"class_name": "Zeros", "config": {}}, "use_bias": true, "activity_regularizer": null, "kernel_size": [3, 3, 3]})",
    // Keras 2.2.4 with batch_input_shape and dtype.
    R"({"bias_constraint": null, "dtype": "float32", "strides": [1, 1, 1], "kernel_regularizer": null, "dilation_rate": [1, 1, 1], "bias_initializer": {"class_name": "Zeros", "config": {}}, "activity_regularizer": null, "padding": "same", "use_bias": true, "kernel_constraint": null, "bias_regularizer": null, "data_format": "channels_last", "trainable": true, "kernel_size": [3, 3, 3], "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "seed": null, "mode": "fan_avg", "distribution": "uniform"}}, "name": "conv3d_1", "batch_input_shape": [null, 32, 32, 16, 1], "activation": "linear", "filters": 32})",
    // tf.keras 2.5 wrapped, in a functional model's layer entry.
    R"({"class_name": "Conv3D", "config": {"name": "conv3d", "trainable": true, "dtype": "float32", "filters": 16, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1, 1], "groups": 1, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "name": "conv3d", "inbound_nodes": [[["input_1", 0, 0, {}]]]})",
    // TF 1.14 (dtype inside initializers).
    R"({"name": "conv3d", "trainable": true, "dtype": "float32", "filters": 16, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1, 1], "activation": "hard_sigmoid", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null, "dtype": "float32"}}, "bias_initializer": {"class_name": "Constant", "config": {"value": -10, "dtype": "float32"}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null})",
    // Keras 3.15 serialized with build_config and module-style objects.
    R"({"module": "keras.layers", "class_name": "Conv3D", "config": {"name": "c3", "trainable": false,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}, "registered_name": null},
        "filters": 8, "kernel_size": [3, 1, 2], "strides": [1, 2, 1], "padding": "same", "data_format": "channels_first",
        "dilation_rate": [1, 1, 1], "groups": 2, "activation": "hard_silu", "use_bias": false,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": 7, "input_axes": null, "output_axes": null}, "registered_name": null},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
        "bias_regularizer": {"module": "keras.regularizers", "class_name": "L1", "config": {"l1": 0.25}, "registered_name": null},
        "activity_regularizer": {"module": "keras.regularizers", "class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.125}, "registered_name": null},
        "kernel_constraint": {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": [0, 1, 2, 3]}, "registered_name": null},
        "bias_constraint": {"module": "keras.constraints", "class_name": "NonNeg", "config": {}, "registered_name": null}},
      "registered_name": null, "build_config": {"input_shape": [null, 4, 16, 16, 16]}})",
    // Keras 3 with LoRA.
    R"({"name": "lora", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "filters": 4, "kernel_size": 1, "lora_rank": 2, "activation": "swish"})",
    // tf.keras mixed precision policy, string forms of everything (Keras 2 names).
    R"({"name": "s", "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}, "filters": 6, "kernel_size": [2, 2, 2], "padding": "SAME",
        "data_format": "channels_last", "activation": null, "kernel_initializer": "he_normal", "bias_initializer": "ones",
        "kernel_regularizer": "l1_l2", "bias_regularizer": "l2", "activity_regularizer": "l1",
        "kernel_constraint": "max_norm", "bias_constraint": "unit_norm", "batch_input_shape": [2, 8, 8, 8, 3]})",
    // Keras 3 string forms.
    R"({"name": "s3", "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"}, "registered_name": null}, "filters": 3, "kernel_size": 3,
        "kernel_initializer": "orthogonal", "bias_initializer": "random_uniform", "kernel_regularizer": "l1l2", "bias_regularizer": "L2",
        "kernel_constraint": "min_max_norm", "bias_constraint": "non_neg", "activation": "hard_swish"})",
};

// Every initializer, object form with arguments (Keras 2 legacy dicts).
const std::vector<std::string> kInitializers = {
    R"({"class_name": "Zeros", "config": {}})", R"({"class_name": "Ones", "config": {}})",
    R"({"class_name": "Constant", "config": {"value": 0.75}})",
    R"({"class_name": "RandomNormal", "config": {"mean": 0.5, "stddev": 2.0, "seed": 3}})",
    R"({"class_name": "RandomUniform", "config": {"minval": -1.0, "maxval": 3.0, "seed": null}})",
    R"({"class_name": "TruncatedNormal", "config": {"mean": 0.0, "stddev": 0.1, "seed": 11}})",
    R"({"class_name": "VarianceScaling", "config": {"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal", "seed": null}})",
    R"({"class_name": "VarianceScaling", "config": {"scale": 3.0, "mode": "fan_avg", "distribution": "uniform", "seed": 1}})",
    R"({"class_name": "GlorotNormal", "config": {"seed": null}})", R"({"class_name": "HeUniform", "config": {"seed": 5}})",
    R"({"class_name": "LecunNormal", "config": {"seed": null}})", R"({"class_name": "LecunUniform", "config": {"seed": null}})",
    R"({"class_name": "Orthogonal", "config": {"gain": 1.5, "seed": null}})",
    R"({"class_name": "GlorotUniformV2", "config": {"seed": null}})",
    R"("glorot_uniform")", R"("glorot_normal")", R"("he_uniform")", R"("lecun_normal")", R"("lecun_uniform")",
    R"("variance_scaling")", R"("truncated_normal")", R"("random_normal")", R"("normal")", R"("uniform")", R"("constant")",
    R"("zeros")", R"("zero")", R"("one")", R"("identity")", R"("Orthogonal")",
};

const std::vector<std::string> kRegularizers = {
    R"("l1")", R"("l2")", R"("L1L2")", R"({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.009999999776482582}})",
    R"({"class_name": "L1", "config": {"l1": 1e-05}})",
    R"({"module": "keras.regularizers", "class_name": "OrthogonalRegularizer", "config": {"factor": 0.02, "mode": "columns"}, "registered_name": null})",
};

const std::vector<std::string> kConstraints = {
    R"({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})",
    R"({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": null}})",
    R"({"class_name": "UnitNorm", "config": {"axis": [-1]}})",
    R"({"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 1.5, "rate": 0.25, "axis": [0, 1, 2]}})",
    R"("unitnorm")", R"("maxnorm")", R"("nonneg")", R"({"class_name": "NonNeg", "config": {}})",
};

// Every layer key Keras writes (and reads back) must survive.
void expect_same_layer(const LayerConfig& a, const LayerConfig& b, KerasVersion v, bool keeps_input_shape,
                       const std::string& what) {
  EXPECT_EQ(a.name.empty() ? "conv3d" : a.name, b.name) << what;
  EXPECT_EQ(a.trainable, b.trainable) << what;
  EXPECT_EQ(a.dtype, b.dtype) << what;
  EXPECT_EQ(a.filters, b.filters) << what;
  EXPECT_EQ(a.kernel_size, b.kernel_size) << what;
  EXPECT_EQ(a.strides, b.strides) << what;
  EXPECT_EQ(a.dilation_rate, b.dilation_rate) << what;
  EXPECT_EQ(a.padding, b.padding) << what;
  EXPECT_EQ(a.channels_first, b.channels_first) << what;
  EXPECT_EQ(a.groups, b.groups) << what;
  std::string act = a.activation;
  if (v == KerasVersion::keras3 && act == "swish") act = "silu";
  if (v == KerasVersion::keras3 && act == "hard_swish") act = "hard_silu";
  EXPECT_EQ(act, b.activation) << what;
  EXPECT_EQ(a.use_bias, b.use_bias) << what;
  const std::pair<const KerasObject*, const KerasObject*> objects[] = {
      {&a.kernel_initializer, &b.kernel_initializer},     {&a.bias_initializer, &b.bias_initializer},
      {&a.kernel_regularizer, &b.kernel_regularizer},     {&a.bias_regularizer, &b.bias_regularizer},
      {&a.activity_regularizer, &b.activity_regularizer}, {&a.kernel_constraint, &b.kernel_constraint},
      {&a.bias_constraint, &b.bias_constraint}};
  for (const auto& [x, y] : objects) EXPECT_TRUE(same_object(*x, *y)) << what << ": " << describe(*x) << " vs " << describe(*y);
  if (keeps_input_shape) {
    EXPECT_EQ(a.batch_input_shape, b.batch_input_shape) << what;
  }
  if (v == KerasVersion::keras3) {
    EXPECT_EQ(a.lora_rank, b.lora_rank) << what;
    if (a.lora_rank) {
      EXPECT_EQ(a.lora_alpha.value_or(static_cast<double>(*a.lora_rank)), b.lora_alpha) << what;
    }
  }
}

void check_round_trip(const std::string& text, const std::string& what) {
  const LayerConfig first = parse_layer_config(text, "in.json");
  for (const KerasVersion v : {KerasVersion::keras2, KerasVersion::keras3}) {
    if (v == KerasVersion::keras2 && first.lora_rank) continue;  // no LoRA in Keras 2 (tested below)
    for (const bool serialized : {false, true}) {
      const std::string label = what + (v == KerasVersion::keras3 ? " [keras 3" : " [keras 2") +
                                (serialized ? ", serialized]" : "]");
      ConfigWriteOptions options;
      options.version = v;
      options.serialized = serialized;
      const std::string printed = write_layer_config(first, options);
      const LayerConfig second = parse_layer_config(printed, "printed.json");
      // Keras 3's bare get_config() has no input shape (it lives in build_config).
      const bool keeps_shape = v == KerasVersion::keras2 || serialized;
      expect_same_layer(first, second, v, keeps_shape, label);
      EXPECT_EQ(write_layer_config(second, options), printed) << label << ": not a fixed point";
      if (v == KerasVersion::keras3) {
        EXPECT_EQ(detect_keras_version(second, {}, std::nullopt).version, KerasVersion::keras3) << label;
      }
    }
  }
}

TEST(ConfigWriter, RoundTripsConfigsOfEveryVersion) {
  for (size_t i = 0; i < kConfigs.size(); ++i) check_round_trip(kConfigs[i], "config " + std::to_string(i));
}

std::string with(const std::string& key, const std::string& value, const std::string& extra = "") {
  return R"({"name": "x", "filters": 4, "kernel_size": 3)" + extra + ", \"" + key + "\": " + value + "}";
}

TEST(ConfigWriter, RoundTripsEveryInitializerRegularizerAndConstraintForm) {
  for (const auto& init : kInitializers) {
    check_round_trip(with("kernel_initializer", init), "kernel_initializer " + init);
    check_round_trip(with("bias_initializer", init), "bias_initializer " + init);
  }
  for (const auto& reg : kRegularizers) {
    check_round_trip(with("kernel_regularizer", reg), "kernel_regularizer " + reg);
    check_round_trip(with("activity_regularizer", reg), "activity_regularizer " + reg);
  }
  for (const auto& c : kConstraints) {
    check_round_trip(with("kernel_constraint", c), "kernel_constraint " + c);
    check_round_trip(with("bias_constraint", c), "bias_constraint " + c);
  }
}

TEST(ConfigWriter, RoundTripsEveryPaddingDataFormatAndActivation) {
  for (const char* padding : {"\"valid\"", "\"same\"", "\"VALID\"", "\"Same\""})
    check_round_trip(with("padding", padding), std::string("padding ") + padding);
  for (const char* fmt : {"\"channels_first\"", "\"channels_last\"", "null", "\"CHANNELS_FIRST\""})
    check_round_trip(with("data_format", fmt), std::string("data_format ") + fmt);
  for (const char* act : {"linear", "relu", "sigmoid", "softmax", "softplus", "softsign", "tanh", "selu", "elu",
                          "exponential", "hard_sigmoid", "swish", "gelu", "relu6", "leaky_relu", "log_softmax", "silu",
                          "mish"})
    check_round_trip(with("activation", std::string("\"") + act + "\""), std::string("activation ") + act);
  check_round_trip(with("activation", R"({"class_name": "function", "config": "relu"})"), "activation as object");
  check_round_trip(with("dilation_rate", "[1, 2, 3]", R"(, "groups": 2, "use_bias": false)"), "dilation, groups");
  check_round_trip(with("dtype", R"("half")"), "dtype alias");
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

const std::set<std::string> kConvKeys = {
    "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
    "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"};

TEST(ConfigWriter, WritesEveryKeyInEachVersionsSpelling) {
  const LayerConfig c = parse_layer_config(
      R"({"filters": 4, "kernel_size": 3, "kernel_regularizer": "l2", "kernel_constraint": "max_norm", "batch_input_shape": [null, 8, 8, 8, 2]})",
      "hand.json");
  ConfigWriteOptions k2;
  const json two = json::parse(write_layer_config(c, k2));
  std::set<std::string> want2 = kConvKeys;
  want2.insert("batch_input_shape");
  EXPECT_EQ(keys_of(two), want2);
  EXPECT_EQ(two["name"], "conv3d");
  EXPECT_EQ(two["dtype"], "float32");
  EXPECT_EQ(two["kernel_initializer"], json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": null}})"));
  EXPECT_EQ(two["bias_initializer"], json::parse(R"({"class_name": "Zeros", "config": {}})"));
  EXPECT_EQ(two["kernel_regularizer"], json::parse(R"({"class_name": "L2", "config": {"l2": 0.01}})"));
  EXPECT_EQ(two["kernel_constraint"], json::parse(R"({"class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}})"));
  EXPECT_EQ(two["activation"], "linear");
  EXPECT_EQ(two["strides"], json::parse("[1, 1, 1]"));

  ConfigWriteOptions k3;
  k3.version = KerasVersion::keras3;
  const json three = json::parse(write_layer_config(c, k3));
  EXPECT_EQ(keys_of(three), kConvKeys);  // no batch_input_shape in a Keras 3 get_config()
  EXPECT_EQ(three["dtype"], json::parse(
                                R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})"));
  EXPECT_EQ(three["kernel_initializer"],
            json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null})"));
  EXPECT_EQ(three["kernel_regularizer"]["module"], "keras.regularizers");
  EXPECT_EQ(three["kernel_constraint"]["module"], "keras.constraints");

  k3.serialized = true;
  const json wrapped = json::parse(write_layer_config(c, k3));
  EXPECT_EQ(keys_of(wrapped), (std::set<std::string>{"module", "class_name", "config", "registered_name", "build_config"}));
  EXPECT_EQ(wrapped["build_config"]["input_shape"], json::parse("[null, 8, 8, 8, 2]"));
  k2.serialized = true;
  EXPECT_EQ(keys_of(json::parse(write_layer_config(c, k2))), (std::set<std::string>{"class_name", "config"}));
}

TEST(ConfigWriter, NormalizesLegacySpellings) {
  const LayerConfig c = parse_layer_config(
      R"({"filters": 4, "kernel_size": 3, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"distribution": "normal", "scale": 2.0, "seed": null, "mode": "fan_in"}}, "dtype": "double", "padding": "SAME"})",
      "legacy.json");
  const json two = json::parse(write_layer_config(c, {}));
  EXPECT_EQ(two["kernel_initializer"]["config"]["distribution"], "truncated_normal");
  EXPECT_EQ(two["dtype"], "float64");
  EXPECT_EQ(two["padding"], "same");
  const json mixed = json::parse(write_layer_config(parse_layer_config(R"({"filters": 1, "kernel_size": 1, "dtype": "mixed_float16"})", "m.json"), {}));
  EXPECT_EQ(mixed["dtype"], json::parse(R"({"class_name": "Policy", "config": {"name": "mixed_float16"}})"));
}

TEST(ConfigWriter, LoraCannotBeWrittenAsKeras2) {
  const LayerConfig c = parse_layer_config(R"({"filters": 4, "kernel_size": 1, "lora_rank": 2})", "lora.json");
  try {
    write_layer_config(c, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config);
    EXPECT_NE(std::string(e.what()).find("lora.json"), std::string::npos);
  }
}

TEST(ConfigWriter, ObjectArgumentErrorsNameTheKey) {
  const std::pair<const char*, const char*> bad[] = {
      {R"({"class_name": "GlorotUniform", "config": {"seed": null, "gain": 2}})", "kernel_initializer.gain"},
      {R"({"class_name": "VarianceScaling", "config": {"mode": "fan_sideways"}})", "kernel_initializer.mode"},
      {R"({"class_name": "VarianceScaling", "config": {"distribution": "cauchy"}})", "kernel_initializer.distribution"},
      {R"({"class_name": "VarianceScaling", "config": {"scale": 0}})", "kernel_initializer.scale"},
      {R"({"class_name": "RandomNormal", "config": {"seed": "x"}})", "kernel_initializer.seed"},
      {R"({"class_name": "RandomNormal", "config": {"stddev": "wide"}})", "kernel_initializer.stddev"},
      {R"({"class_name": "GlorotUniform", "config": {"input_axes": [0, 1]}})", "kernel_initializer.input_axes"},
      {R"({"class_name": "GlorotUniform", "config": {}, "shape": 3})", "kernel_initializer.shape"},
  };
  for (const auto& [value, key] : bad) {
    try {
      parse_layer_config(with("kernel_initializer", value), "bad.json");
      ADD_FAILURE() << "no error for " << value;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config);
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + key + "\""), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_layer_config(with("kernel_constraint", R"({"class_name": "MaxNorm", "config": {"axis": "zero"}})"), "b.json"), Error);
  EXPECT_THROW(parse_layer_config(with("kernel_regularizer", R"({"class_name": "L2", "config": {"l1": 0.1}})"), "b.json"), Error);
}

TEST(ConfigWriter, VersionOnlyNamesAreRefusedUnderTheOtherVersion) {
  const LayerConfig k2 = parse_layer_config(with("kernel_regularizer", R"("l1_l2")"), "k2.json");
  EXPECT_NO_THROW(check_version_names(k2, KerasVersion::keras2));
  EXPECT_THROW(check_version_names(k2, KerasVersion::keras3), Error);
  const LayerConfig k3 = parse_layer_config(with("kernel_regularizer", R"("l1l2")"), "k3.json");
  EXPECT_NO_THROW(check_version_names(k3, KerasVersion::keras3));
  EXPECT_THROW(check_version_names(k3, KerasVersion::keras2), Error);
  EXPECT_EQ(k3.kernel_regularizer.number("l1"), 0.0);  // Keras 3's "l1l2" is L1L2() = (0, 0)
  EXPECT_EQ(k2.kernel_regularizer.number("l1"), 0.01);  // Keras 2's "l1_l2" is L1L2(0.01, 0.01)
  const LayerConfig radial = parse_layer_config(with("kernel_constraint", R"("radial_constraint")"), "r.json");
  EXPECT_THROW(check_version_names(radial, KerasVersion::keras3), Error);
}

TEST(ConfigWriter, AbsentInitializersTakeConv3DDefaultsAndNullStaysNull) {
  const LayerConfig absent = parse_layer_config(R"({"filters": 4, "kernel_size": 3})", "a.json");
  EXPECT_EQ(absent.kernel_initializer.class_name, "GlorotUniform");
  EXPECT_EQ(absent.bias_initializer.class_name, "Zeros");
  EXPECT_TRUE(absent.kernel_regularizer.empty());
  const LayerConfig null = parse_layer_config(R"({"filters": 4, "kernel_size": 3, "bias_initializer": null})", "n.json");
  EXPECT_TRUE(null.bias_initializer.empty());
}

}  // namespace
}  // namespace voxconv::keras
