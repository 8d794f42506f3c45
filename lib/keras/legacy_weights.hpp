#pragma once
// What Keras 2 (standalone 2.x, keras/engine/saving.py preprocess_weights_for_loading)
// does to a Conv3D kernel it loads from an older file, before using it.
#include <string>

#include "core/tensor.hpp"

namespace voxconv::keras {

// Where the weights come from, as Keras 2 reads it from the weights group's attributes.
struct WeightsProvenance {
  bool keras1 = false;  // no keras_version attribute: Keras 2 takes the file for Keras 1
  std::string backend;  // the backend attribute ("theano", "tensorflow", ...), empty when absent
};

// - Keras 1 channels_first kernels are stored (filters, in, d, h, w): transposed to
//   (d, h, w, in, filters) (channels_last Keras 1 kernels are already in that order).
// - Kernels trained with Theano, which convolves where TensorFlow correlates, are flipped
//   along d, h and w (conv_utils.convert_kernel). No backend attribute: no flip, as in Keras 2.
// `what` names the layer in the error for a kernel that is not rank 5.
Tensor preprocess_conv3d_kernel(Tensor kernel, bool channels_first, const WeightsProvenance& from, const std::string& what);

// True when preprocess_conv3d_kernel flips kernels from this file.
bool flips_kernels(const WeightsProvenance& from);

}  // namespace voxconv::keras
