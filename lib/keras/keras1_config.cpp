#include "keras/keras1_config.hpp"

#include <map>

#include "core/error.hpp"

namespace voxconv::keras {

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& key, const json& value, const std::string& rule) {
  std::string shown = value.dump();
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  throw Error(ErrorKind::config, source + ": \"" + key + "\" = " + shown + ": " + rule);
}

void rename(json& config, const char* from, const char* to) {
  const auto it = config.find(from);
  if (it == config.end()) return;
  json value = std::move(*it);
  config.erase(from);
  config[to] = std::move(value);
}

// Keras 1 regularizers serialize as {"name": "L1L2Regularizer", "l1": .., "l2": ..}.
void translate_regularizer(json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_object() || it->contains("class_name")) return;
  json args = json::object();
  for (const char* factor : {"l1", "l2"})
    if (it->contains(factor)) args[factor] = (*it)[factor];
  const std::string name = it->value("name", std::string());
  *it = {{"class_name", name == "L1L2Regularizer" || name.empty() ? "L1L2" : name}, {"config", args}};
}

// dim_ordering -> data_format (Keras 2's value conversion), border_mode -> padding, input_dtype -> dtype.
bool translate_common(json& config, const std::string& source) {
  bool changed = false;
  if (const auto it = config.find("dim_ordering"); it != config.end()) {
    json format;
    if (*it == "th") format = "channels_first";
    else if (*it == "tf") format = "channels_last";
    else if (*it == "default") format = nullptr;  // Keras 2: image_data_format() of keras.json
    else fail(source, "dim_ordering", *it, "a Keras 1 dim_ordering is 'th', 'tf' or 'default'");
    config.erase("dim_ordering");
    config["data_format"] = format;
    changed = true;
  }
  for (const auto& [from, to] : {std::pair{"border_mode", "padding"}, std::pair{"input_dtype", "dtype"}})
    if (config.contains(from)) {
      rename(config, from, to);
      changed = true;
    }
  return changed;
}

}  // namespace

bool translate_keras1_conv3d_config(json& c, const std::string& source) {
  static const char* const markers[] = {"nb_filter", "kernel_dim1", "kernel_dim2", "kernel_dim3", "subsample",
                                        "border_mode", "dim_ordering", "init", "W_regularizer", "b_regularizer",
                                        "W_constraint", "b_constraint", "bias"};
  bool keras1 = false;
  for (const char* key : markers) keras1 = keras1 || c.contains(key);
  if (!c.is_object() || !keras1) return false;
  const bool has_all_dims = c.contains("kernel_dim1") && c.contains("kernel_dim2") && c.contains("kernel_dim3");
  if (c.contains("kernel_dim1") || c.contains("kernel_dim2") || c.contains("kernel_dim3")) {
    if (!has_all_dims)
      fail(source, "kernel_dim1", c.value("kernel_dim1", json(nullptr)),
           "a Keras 1 Convolution3D needs kernel_dim1, kernel_dim2 and kernel_dim3");
    c["kernel_size"] = json::array({c["kernel_dim1"], c["kernel_dim2"], c["kernel_dim3"]});
    c.erase("kernel_dim1");
    c.erase("kernel_dim2");
    c.erase("kernel_dim3");
  }
  translate_common(c, source);
  rename(c, "nb_filter", "filters");
  rename(c, "subsample", "strides");
  rename(c, "init", "kernel_initializer");
  rename(c, "W_regularizer", "kernel_regularizer");
  rename(c, "b_regularizer", "bias_regularizer");
  rename(c, "W_constraint", "kernel_constraint");
  rename(c, "b_constraint", "bias_constraint");
  rename(c, "bias", "use_bias");
  for (const char* key : {"kernel_regularizer", "bias_regularizer", "activity_regularizer"}) translate_regularizer(c, key);
  if (!c.contains("kernel_size"))
    fail(source, "kernel_dim1", nullptr, "a Keras 1 Convolution3D needs kernel_dim1, kernel_dim2 and kernel_dim3");
  if (!c.contains("filters")) fail(source, "nb_filter", nullptr, "a Keras 1 Convolution3D needs nb_filter");
  return true;
}

bool translate_keras1_layer(json& layer, const std::string& source) {
  if (!layer.is_object() || !layer.contains("config") || !layer["config"].is_object()) return false;
  json& config = layer["config"];
  const std::string cls = layer.value("class_name", std::string());
  if (cls == "Convolution3D") {
    layer["class_name"] = "Conv3D";  // Keras 2 keeps Convolution3D as an alias of Conv3D
    translate_keras1_conv3d_config(config, source);
    return true;
  }
  if (cls == "Merge") {
    const std::string mode = config.value("mode", std::string("sum"));
    const std::string name = config.value("name", std::string());
    if (mode == "concat") {
      layer["class_name"] = "Concatenate";
      config = {{"name", name}, {"trainable", config.value("trainable", true)}, {"axis", config.value("concat_axis", -1)}};
    } else if (mode == "sum" || mode == "mul" || mode == "ave" || mode == "max") {
      static const std::map<std::string, std::string> classes = {
          {"sum", "Add"}, {"mul", "Multiply"}, {"ave", "Average"}, {"max", "Maximum"}};
      layer["class_name"] = classes.at(mode);
      config = {{"name", name}, {"trainable", config.value("trainable", true)}};
    }
    return true;  // other modes (dot, cos, a lambda) stay a Merge that voxconv does not run
  }
  bool changed = translate_common(config, source);
  if (cls == "BatchNormalization") {
    if (const auto mode = config.find("mode"); mode != config.end()) {
      if (*mode != 0)
        fail(source, "mode", *mode, "Keras 1 BatchNormalization modes 1 and 2 no longer exist in Keras 2");
      config.erase("mode");
      changed = true;
    }
    for (const auto& [from, to] : {std::pair{"beta_init", "beta_initializer"}, std::pair{"gamma_init", "gamma_initializer"}})
      if (config.contains(from)) {
        rename(config, from, to);
        changed = true;
      }
    for (const char* key : {"gamma_regularizer", "beta_regularizer"}) translate_regularizer(config, key);
  }
  return changed;
}

}  // namespace voxconv::keras
