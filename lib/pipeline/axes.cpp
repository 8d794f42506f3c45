#include "pipeline/axes.hpp"

#include "core/error.hpp"

namespace voxconv::pipeline {

AxisOrder parse_axis_order(const std::string& text) {
  if (text == "zyx") return AxisOrder::zyx;
  if (text == "xyz") return AxisOrder::xyz;
  throw Error(ErrorKind::usage, "--axes = " + text + ": must be zyx or xyz");
}

int itk_axis(int keras_axis, AxisOrder order) noexcept {
  return order == AxisOrder::zyx ? 2 - keras_axis : keras_axis;
}

GridShift itk_grid_shift(const GridShift& keras_axes, AxisOrder order) noexcept {
  GridShift out;
  for (int a = 0; a < 3; ++a) {
    const auto i = static_cast<size_t>(itk_axis(a, order));
    out.stride[i] = keras_axes.stride[static_cast<size_t>(a)];
    out.first_index[i] = keras_axes.first_index[static_cast<size_t>(a)];
  }
  return out;
}

Dims keras_array_dims(const Dims& ndhwc, bool channels_first) {
  if (!channels_first) return ndhwc;
  return {ndhwc[0], ndhwc[4], ndhwc[1], ndhwc[2], ndhwc[3]};
}

Tensor swap_itk_keras_layout(Tensor t, AxisOrder order) {
  if (order == AxisOrder::zyx) return t;
  return transpose(t, {0, 3, 2, 1, 4});
}

}  // namespace voxconv::pipeline
