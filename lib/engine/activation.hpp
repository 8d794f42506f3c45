#pragma once
// Activations the engine applies after the convolution and bias. Names and formulas
// follow Keras (see docs/keras-compat.md for which version each one follows).
#include <string>

#include "core/tensor.hpp"

namespace voxconv::engine {

enum class Activation {
  linear,
  relu,
  relu6,
  leaky_relu,  // negative slope 0.2 (the activation function's default, not the layer's 0.3)
  sigmoid,
  hard_sigmoid_keras2,  // clip(0.2 x + 0.5, 0, 1)
  hard_sigmoid_keras3,  // relu6(x + 3) / 6
  hard_silu,            // x * hard_sigmoid_keras3(x)
  tanh,
  softplus,
  softsign,
  elu,
  selu,
  exponential,
  swish,  // silu: x * sigmoid(x)
  gelu,   // exact erf form (Keras' activation default approximate=False)
  mish,
  softmax,      // over one axis (see SoftmaxAxis)
  log_softmax,  // over one axis
};

// Keras applies softmax over the last axis of the output array: channels for
// channels_last, but W for channels_first.
enum class SoftmaxAxis { channels, width };

struct ActivationSpec {
  Activation kind = Activation::linear;
  SoftmaxAxis axis = SoftmaxAxis::channels;
};

const char* to_string(Activation a) noexcept;
bool is_elementwise(Activation a) noexcept;

// Element-wise activation on one value, computed in double.
double apply_activation(Activation a, double x) noexcept;

// Applies the activation in place to `lines` consecutive NDHWC output lines of `w` voxels
// by `c` channels: what one engine task has just written, while it is still in cache.
// Element-wise activations and softmax over channels also accept any run of whole voxels
// as one line; softmax over width needs whole lines.
void apply_activation_lines(const ActivationSpec& spec, float* data, int64_t lines, int64_t w, int64_t c) noexcept;

// Applies the activation in place to an NDHWC tensor (rank 5). Deterministic for any
// thread count: each element (or each softmax row) is written by one task.
class ThreadPool;
void apply_activation(const ActivationSpec& spec, Tensor& ndhwc, ThreadPool& pool);

}  // namespace voxconv::engine
