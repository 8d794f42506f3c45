#pragma once
// The tensor operations of the non-convolution layers of a network, on NDHWC float32
// tensors (rank 5). Pure: they know nothing of Keras, files or JSON. Element-wise work is
// split over the pool in fixed chunks, so results do not depend on the thread count.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.hpp"

namespace voxconv::engine {
class ThreadPool;
}

namespace voxconv::network {

using engine::ThreadPool;

// (before, after) per spatial axis (D, H, W).
using SpatialPads = std::array<std::array<int64_t, 2>, 3>;

// Zeros around the spatial axes.
Tensor zero_pad(const Tensor& src, const SpatialPads& pads, ThreadPool& pool);
// Drops (before, after) voxels per spatial axis. Throws ErrorKind::shape when nothing is left.
Tensor crop(const Tensor& src, const SpatialPads& crops, ThreadPool& pool);

// t[..., c] = t[..., c] * scale[c] + shift[c] (inference batch normalization).
void scale_shift_channels(Tensor& t, const std::vector<float>& scale, const std::vector<float>& shift, ThreadPool& pool);

// Keras' relu(x, negative_slope, max_value, threshold), the ReLU and LeakyReLU layers:
// x for threshold < x (clipped to [0, max_value] when given), negative_slope * (x - threshold)
// below; with only a slope, TensorFlow's leaky_relu (x > 0 ? x : slope * x).
void relu(Tensor& t, float negative_slope, float threshold, std::optional<float> max_value, ThreadPool& pool);
// The ELU layer: x > 0 ? x : alpha * expm1(x).
void elu(Tensor& t, float alpha, ThreadPool& pool);
// The PReLU layer: x > 0 ? x : alpha * x, alpha broadcast from (1, D|1, H|1, W|1, C|1).
void prelu(Tensor& t, const Tensor& alpha, ThreadPool& pool);

// acc += other (same dims).
void add_into(Tensor& acc, const Tensor& other, ThreadPool& pool);
// Stacks the parts' channels in order; spatial dims must agree.
Tensor concat_channels(const std::vector<const Tensor*>& parts, ThreadPool& pool);

// Index of the largest channel at every voxel, the first one on ties (as numpy.argmax).
std::vector<uint16_t> argmax_channels(const Tensor& t, ThreadPool& pool);

// Input scaling before a network: (x - min) / (max - min) over the whole tensor (all zeros
// when max == min), or (x - mean) / std (population std; zeros when std == 0). Statistics
// are accumulated in double.
void normalize_minmax(Tensor& t);
void normalize_zscore(Tensor& t);

}  // namespace voxconv::network
