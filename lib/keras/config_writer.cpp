#include "keras/config_writer.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace voxconv::keras {

using ordered = nlohmann::ordered_json;

namespace {

const char* module_of(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::initializer: return "keras.initializers";
    case ObjectKind::regularizer: return "keras.regularizers";
    case ObjectKind::constraint: return "keras.constraints";
  }
  return "keras";
}

ordered object_json(const KerasObject& o, ObjectKind kind, KerasVersion version) {
  if (o.empty()) return nullptr;
  const ObjectSchema* schema = find_schema(kind, o.class_name);
  if (!schema) throw Error(ErrorKind::internal, "no schema for " + o.class_name);
  ordered config = ordered::object();
  if (schema->has_seed) config["seed"] = o.seed ? ordered(*o.seed) : ordered(nullptr);
  for (const auto& [k, v] : o.args) config[k] = v;
  for (const auto& [k, v] : o.texts) config[k] = v;
  if (schema->has_axis) {
    if (!o.axis) config["axis"] = nullptr;
    else if (o.axis_is_list) config["axis"] = *o.axis;
    else config["axis"] = o.axis->front();
  }
  if (version == KerasVersion::keras3)
    return {{"module", module_of(kind)}, {"class_name", o.class_name}, {"config", config}, {"registered_name", nullptr}};
  return {{"class_name", o.class_name}, {"config", config}};
}

ordered dtype_json(const std::string& dtype, KerasVersion version) {
  if (version == KerasVersion::keras3)
    return {{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", dtype}}}, {"registered_name", nullptr}};
  if (dtype.rfind("mixed_", 0) == 0) return {{"class_name", "Policy"}, {"config", {{"name", dtype}}}};
  return dtype;
}

ordered shape_json(const std::array<std::optional<int64_t>, 5>& shape) {
  ordered out = ordered::array();
  for (const auto& d : shape) out.push_back(d ? ordered(*d) : ordered(nullptr));
  return out;
}

// Keras 3 writes the alias's target name: swish -> silu, hard_swish -> hard_silu.
std::string activation_name(const std::string& name, KerasVersion version) {
  if (version == KerasVersion::keras3 && name == "swish") return "silu";
  if (version == KerasVersion::keras3 && name == "hard_swish") return "hard_silu";
  return name;
}

}  // namespace

std::string write_object(const KerasObject& object, ObjectKind kind, KerasVersion version) {
  return object_json(object, kind, version).dump();
}

std::string write_layer_config(const LayerConfig& cfg, const ConfigWriteOptions& options) {
  const KerasVersion v = options.version;
  if (v == KerasVersion::keras2 && cfg.lora_rank)
    throw Error(ErrorKind::config, cfg.source + ": \"lora_rank\" = " + std::to_string(*cfg.lora_rank) +
                                       ": LoRA exists only in Keras 3; it cannot be written as a Keras 2 config");
  ordered c = ordered::object();
  c["name"] = cfg.name.empty() ? "conv3d" : cfg.name;  // Keras' default name of the first Conv3D
  c["trainable"] = cfg.trainable;
  if (v == KerasVersion::keras2 && cfg.batch_input_shape) c["batch_input_shape"] = shape_json(*cfg.batch_input_shape);
  c["dtype"] = dtype_json(cfg.dtype, v);
  c["filters"] = cfg.filters;
  c["kernel_size"] = cfg.kernel_size;
  c["strides"] = cfg.strides;
  c["padding"] = cfg.padding == engine::Padding::same ? "same" : "valid";
  c["data_format"] = cfg.channels_first ? "channels_first" : "channels_last";
  c["dilation_rate"] = cfg.dilation_rate;
  c["groups"] = cfg.groups;
  c["activation"] = activation_name(cfg.activation, v);
  c["use_bias"] = cfg.use_bias;
  c["kernel_initializer"] = object_json(cfg.kernel_initializer, ObjectKind::initializer, v);
  c["bias_initializer"] = object_json(cfg.bias_initializer, ObjectKind::initializer, v);
  c["kernel_regularizer"] = object_json(cfg.kernel_regularizer, ObjectKind::regularizer, v);
  c["bias_regularizer"] = object_json(cfg.bias_regularizer, ObjectKind::regularizer, v);
  c["activity_regularizer"] = object_json(cfg.activity_regularizer, ObjectKind::regularizer, v);
  c["kernel_constraint"] = object_json(cfg.kernel_constraint, ObjectKind::constraint, v);
  c["bias_constraint"] = object_json(cfg.bias_constraint, ObjectKind::constraint, v);
  if (v == KerasVersion::keras3 && cfg.lora_rank) {
    c["lora_rank"] = *cfg.lora_rank;
    c["lora_alpha"] = cfg.lora_alpha ? *cfg.lora_alpha : static_cast<double>(*cfg.lora_rank);  // Keras: alpha defaults to rank
  }
  if (!options.serialized) return c.dump(options.indent);
  ordered out = ordered::object();
  if (v == KerasVersion::keras3) out["module"] = "keras.layers";
  out["class_name"] = "Conv3D";
  out["config"] = c;
  if (v == KerasVersion::keras3) {
    out["registered_name"] = nullptr;
    if (cfg.batch_input_shape) out["build_config"] = {{"input_shape", shape_json(*cfg.batch_input_shape)}};
  }
  return out.dump(options.indent);
}

}  // namespace voxconv::keras
