#pragma once
// A Keras model's architecture (the model_config of a .h5 file, the config.json of a
// .keras file) as a flat graph of layers. Nested models (a Sequential or Functional
// used as a layer) are flattened into their own layers; JSON types stay in the .cpp.
#include <optional>
#include <string>
#include <vector>

namespace voxconv::keras {

struct ModelLayer {
  std::string class_name;   // as written: "Conv3D", "ZeroPadding3D", "SpatialTransformer", ...
  std::string name;         // unique in the graph (a nested layer whose name is taken gets "model/name")
  std::string config_json;  // the serialized layer ({"class_name", "config", ...}) without its inbound nodes
  std::vector<std::string> inbound;  // producing layers in call order (empty for an InputLayer)
  int calls = 1;            // inbound nodes in the config: > 1 for a shared layer
  std::vector<std::string> scope;    // enclosing nested models, outermost first; empty at top level
  std::string keras3_path;  // where Keras 3 keeps its variables, e.g. "layers/conv3d_1"
  bool trainable = true;    // its own flag and its enclosing models'
  // Index in its model's layer list, for each enclosing model (outermost first) and
  // itself: ordering by it gives the order of model.layers, depth first.
  std::vector<int> config_position;
};

struct ModelGraph {
  std::string source;       // file name for messages
  std::string class_name;   // Functional, Model or Sequential
  std::string name;
  std::vector<ModelLayer> layers;    // topological order
  std::vector<std::string> inputs;   // the InputLayers, in model input order
  std::vector<std::string> outputs;  // layers producing the model outputs, in order

  // nullptr when absent.
  const ModelLayer* find(const std::string& layer_name) const;
};

// Parses a Sequential or Functional model config in the forms Keras 1, Keras 2
// (standalone and tf.keras) and Keras 3 write. Throws ErrorKind::config
// "<source>: <problem>" for a config that is not a model or whose graph is broken.
ModelGraph parse_model_config(const std::string& json_text, const std::string& source);

// One variable of a layer, in layer.weights order.
struct WeightRole {
  std::string name;  // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "alpha"
  bool trainable = true;  // as a variable (moving statistics are not), before the layer's own flag
};
// The variables Keras creates for a layer of this class and config, in order; nullopt for
// a class voxconv does not know (a custom layer). Throws ErrorKind::config for a config
// that is not a JSON object.
std::optional<std::vector<WeightRole>> keras_weight_roles(const ModelLayer& layer);

// Keras 3's naming.to_snake_case: "Conv3D" -> "conv3d", "BatchNormalization" ->
// "batch_normalization", "PReLU" -> "p_re_lu".
std::string keras_snake_case(const std::string& class_name);

}  // namespace voxconv::keras
