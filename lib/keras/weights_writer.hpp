#pragma once
// Writes one Conv3D layer's kernel and bias in a layout Keras' load_weights reads:
//   keras2_weights: model.save_weights("w.h5") of tf.keras 2.x / Keras 2.2.4: root attrs
//     layer_names = [name], backend = "tensorflow", keras_version; group <name> with attr
//     weight_names = ["<name>/kernel:0", "<name>/bias:0"] and the datasets at
//     <name>/<weight name>. Keras 3 reads it too (legacy h5 loader) for a file not named
//     *.weights.h5. Strings are fixed-length bytes, as Keras writes them (Keras 2.2.4's
//     loader calls .decode() on them).
//   keras3_weights: model.save_weights("w.weights.h5") of Keras 3: layers/conv3d/vars/0
//     (kernel) and vars/1 (bias), the vars group carrying attr name = the layer's name
//     (Keras >= 3.6). The path is the snake-cased class name, so the file loads into a
//     model whose first Conv3D is this layer.
#include <string>

#include "core/tensor.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::keras {

struct Conv3dWeightsToWrite {
  std::string layer_name;
  WeightsLayout layout = WeightsLayout::keras2_weights;
  Tensor kernel;   // (kd, kh, kw, in/groups, filters)
  Tensor bias;     // (filters,) or empty (use_bias false)
  std::string provenance;  // root attribute "voxconv": how the values were made
};

// The root attribute keras_version written in the Keras 2 layout: the major version only,
// enough for Keras' loaders (they only test for "1", Keras 1's kernel layout).
constexpr const char* kWrittenKeras2Version = "2";

// Creates `path` (which must not exist). Throws ErrorKind::volume_write; a failure may
// leave a partial file, which the caller removes (pipeline writes into a staging folder).
void write_conv3d_weights(const std::string& path, const Conv3dWeightsToWrite& weights);

// Where the weights go: Keras' names in layer.weights order, and their dataset paths.
struct WrittenWeight {
  std::string keras_name;  // "conv3d/kernel:0" (Keras 2) or "kernel" (Keras 3 variable name)
  std::string dataset;     // "/conv3d/conv3d/kernel:0" or "/layers/conv3d/vars/0"
};
std::vector<WrittenWeight> written_weights(const std::string& layer_name, WeightsLayout layout, bool use_bias);

}  // namespace voxconv::keras
