#pragma once
// A Keras Conv3D layer config (what layer.get_config() writes, in any Keras version)
// parsed and validated into plain data. JSON types stay in layer_config.cpp.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/conv3d_params.hpp"
#include "keras/keras_objects.hpp"

namespace voxconv::keras {

enum class KerasVersion { keras2, keras3 };
const char* to_string(KerasVersion v) noexcept;

struct LayerConfig {
  std::string source;  // file name used in messages
  std::string name;
  bool trainable = true;
  std::string dtype = "float32";  // policy name
  int64_t filters = 0;
  std::array<int64_t, 3> kernel_size{1, 1, 1};
  std::array<int64_t, 3> strides{1, 1, 1};
  std::array<int64_t, 3> dilation_rate{1, 1, 1};
  engine::Padding padding = engine::Padding::valid;
  bool channels_first = false;
  std::string data_format_source;  // "config" or where the null default came from
  int64_t groups = 1;
  bool groups_present = false;
  std::string activation = "linear";  // Keras name as written (null -> "linear")
  bool use_bias = true;
  KerasObject kernel_initializer, bias_initializer;
  KerasObject kernel_regularizer, bias_regularizer, activity_regularizer;
  KerasObject kernel_constraint, bias_constraint;
  std::optional<std::array<std::optional<int64_t>, 5>> batch_input_shape;  // from batch_input_shape/build_config
  std::optional<int64_t> lora_rank;   // Keras 3 LoRA (written back by `voxconv config`; not run)
  std::optional<double> lora_alpha;

  // Which Keras wrote it, as far as the config shows (see detect_keras_version).
  std::optional<KerasVersion> version_hint;
  bool version_hint_strong = false;
  std::string version_reason;
};

struct ParseOptions {
  std::string layer;  // when the JSON is a whole model config: the Conv3D to take
};

// Accepts the bare get_config() dict, {"class_name": "Conv3D", "config": {...}} (with
// Keras 3's module/registered_name/build_config), or a Sequential/Functional model
// config (to_json()) from which the Conv3D named options.layer (or the only one) is
// taken. Every key is validated; an unknown key or value throws ErrorKind::config with
// "<source>: \"key\" = value: rule".
LayerConfig parse_layer_config(const std::string& json_text, const std::string& source, const ParseOptions& options = {});
LayerConfig load_layer_config(const std::string& path, const ParseOptions& options = {});

// Evidence from the weights file (root keras_version attr, or the Keras 3 layout).
struct WeightsVersionEvidence {
  std::optional<KerasVersion> version;
  std::string reason;
};

struct VersionDecision {
  KerasVersion version = KerasVersion::keras2;
  std::string reason;
};
// Rule, first match wins: --keras flag; a config marker only Keras 3 (or only Keras 2)
// writes; the weights file; Keras 3 module-style serialization; Keras 2 otherwise.
VersionDecision detect_keras_version(const LayerConfig& config, const WeightsVersionEvidence& weights,
                                     std::optional<KerasVersion> forced);

// Names only one version accepts: Keras 3 has no "l1_l2" string (its "l1l2" is L1L2(0, 0))
// and no RadialConstraint; Keras 2 has no "l1l2" string. Throws ErrorKind::config.
void check_version_names(const LayerConfig& config, KerasVersion version);

// The engine's activation for a Keras activation name under a Keras version.
// Throws ErrorKind::config for names that version does not have.
engine::ActivationSpec resolve_activation(const LayerConfig& config, KerasVersion version);

// Engine parameters for this layer applied to `input_channels` channels.
engine::Conv3dParams to_conv_params(const LayerConfig& config, int64_t input_channels, KerasVersion version);

// Keras' count_params(): prod(kernel_size) * in/groups * filters + filters (bias).
int64_t count_params(const LayerConfig& config, int64_t input_channels);

// Keras' weight names in layer.weights order, e.g. {"conv3d/kernel:0", "conv3d/bias:0"}
// (Keras 3: the variables' paths {"conv3d/kernel", "conv3d/bias"}).
std::vector<std::string> keras_weight_names(const LayerConfig& config, KerasVersion version);

// A layer variable as Keras names it: tf.keras 2.x `variable.name` = "conv3d/kernel:0" (no
// path); Keras 3 `variable.name` = "kernel" and `variable.path` = "conv3d/kernel".
struct KerasVariable {
  std::string name;
  std::string path;  // "" in Keras 2
};
std::vector<KerasVariable> keras_variables(const LayerConfig& config, KerasVersion version);

// The dtype variables are stored in: "float32" for the mixed_* policies, else the policy's dtype.
std::string variable_dtype(const LayerConfig& config);
// The dtype the layer computes in: float16/bfloat16 for the mixed_* policies, else the dtype.
std::string compute_dtype(const LayerConfig& config);

}  // namespace voxconv::keras
