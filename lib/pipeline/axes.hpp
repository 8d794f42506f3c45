#pragma once
// Which ITK axis each Keras spatial axis is. zyx (default): Keras (dim1, dim2, dim3) =
// ITK (z, y, x), the array SimpleITK's GetArrayFromImage gives. xyz: Keras (dim1, dim2,
// dim3) = ITK (x, y, z), the array nibabel's get_fdata() gives.
#include <string>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::pipeline {

enum class AxisOrder { zyx, xyz };

AxisOrder parse_axis_order(const std::string& text);  // throws ErrorKind::usage

// ITK index axis (0 = x, 1 = y, 2 = z) of Keras spatial axis a (0 = dim1).
int itk_axis(int keras_axis, AxisOrder order) noexcept;

// A grid shift along the Keras spatial axes (dim1, dim2, dim3) as one along ITK's (x, y, z).
GridShift itk_grid_shift(const GridShift& keras_axes, AxisOrder order) noexcept;

// The Keras array dims of an NDHWC tensor: (N, C, D, H, W) for channels_first.
Dims keras_array_dims(const Dims& ndhwc, bool channels_first);

// (1, Z, Y, X, C) in ITK buffer order <-> Keras channels_last (N, dim1, dim2, dim3, C).
// The permutation is its own inverse, so one function serves both directions. Takes the
// tensor by value: for zyx it is the identity and the (moved-in) buffer is returned as is.
Tensor swap_itk_keras_layout(Tensor t, AxisOrder order);

}  // namespace voxconv::pipeline
