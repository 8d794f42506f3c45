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

Tensor swap_itk_keras_layout(Tensor t, AxisOrder order) {
  if (order == AxisOrder::zyx) return t;
  return transpose(t, {0, 3, 2, 1, 4});
}

}  // namespace voxconv::pipeline
