#pragma once
// get_config() / keras.layers.serialize() of a parsed Conv3D layer: every key the chosen
// Keras version writes, defaults filled in, in that version's spelling. Parsing the text
// again gives the same LayerConfig (tests/unit/keras/config_writer_test.cpp).
//   Keras 2 (tf.keras 2.x): dtype "float32" (a {"class_name": "Policy"} dict for mixed
//     precision), objects {"class_name": ..., "config": ...}, batch_input_shape when known.
//   Keras 3 (>= 3.4): dtype {"module": "keras", "class_name": "DTypePolicy", ...}, objects
//     {"module": "keras.initializers", "class_name": ..., "config": ..., "registered_name": null},
//     lora_rank/lora_alpha when set; the input shape only as the serialized form's build_config.
#include <string>

#include "keras/layer_config.hpp"

namespace voxconv::keras {

struct ConfigWriteOptions {
  KerasVersion version = KerasVersion::keras2;
  // keras.layers.serialize(layer) ({"class_name": "Conv3D", "config": ...}, with Keras 3's
  // module, registered_name and build_config) instead of the bare get_config() dict.
  bool serialized = false;
  int indent = 2;  // -1: one line
};

// Throws ErrorKind::config when the layer cannot be written in that version (LoRA in Keras 2).
std::string write_layer_config(const LayerConfig& config, const ConfigWriteOptions& options);

// One initializer, regularizer or constraint as that version serializes it ("null" when empty).
std::string write_object(const KerasObject& object, ObjectKind kind, KerasVersion version);

}  // namespace voxconv::keras
