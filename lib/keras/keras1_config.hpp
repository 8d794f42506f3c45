#pragma once
// Keras 1 layer configs rewritten into their Keras 2 form, as Keras 2's legacy interfaces
// (keras/legacy/interfaces.py) do when Keras 2 loads a Keras 1 model, so that the normal
// parsers only ever see Keras 2 configs. Internal to lib/keras (JSON types).
#include <nlohmann/json.hpp>
#include <string>

namespace voxconv::keras {

// `layer` is a serialized layer {"class_name": ..., "config": {...}}. Rewrites, in place:
// - Convolution3D -> Conv3D: nb_filter -> filters, kernel_dim1..3 -> kernel_size,
//   subsample -> strides, border_mode -> padding, dim_ordering (th/tf/default) ->
//   data_format, init -> kernel_initializer, W_/b_regularizer -> kernel_/bias_regularizer
//   ({"name": "L1L2Regularizer", "l1", "l2"} -> {"class_name": "L1L2", "config": ...}),
//   W_/b_constraint -> kernel_/bias_constraint, bias -> use_bias;
// - BatchNormalization: mode 0 dropped (modes 1 and 2 are refused, as Keras 2 refuses them),
//   beta_init/gamma_init -> beta_/gamma_initializer;
// - Merge with mode concat -> Concatenate(axis = concat_axis), sum -> Add, others refused;
// - any layer: dim_ordering -> data_format, input_dtype -> dtype.
// Returns whether the layer was in the Keras 1 form. Throws ErrorKind::config
// "<source>: ..." for values Keras 2 cannot load either.
bool translate_keras1_layer(nlohmann::json& layer, const std::string& source);

// The same for a bare Convolution3D config dict (no class_name wrapper).
bool translate_keras1_conv3d_config(nlohmann::json& config, const std::string& source);

}  // namespace voxconv::keras
