#pragma once
// The executable specification: a direct 7-loop cross-correlation with double
// accumulation. Kept simple on purpose; faster engines are tested against it.
#include "core/tensor.hpp"
#include "engine/conv3d_params.hpp"

namespace voxconv::engine {

class ThreadPool;

// src (N, D, H, W, ic), kernel (kd, kh, kw, ic/groups, oc), bias (oc) or empty.
// Returns dst (N, OD, OH, OW, oc) = activation(conv(src, kernel) + bias).
// Parallel over (n, od) output slices; each output is summed by one task in a fixed
// order, so the bytes do not depend on the thread count.
Tensor conv3d_reference(const Conv3dParams& p, const Tensor& src, const Tensor& kernel, const Tensor& bias,
                        ThreadPool& pool);

// Throws ErrorKind::shape when src/kernel/bias do not fit p.
void check_conv_operands(const Conv3dParams& p, const Tensor& src, const Tensor& kernel, const Tensor& bias);
// The same for kernel and bias alone (engines that pack weights before seeing an input).
void check_conv_weights(const Conv3dParams& p, const Tensor& kernel, const Tensor& bias);

}  // namespace voxconv::engine
