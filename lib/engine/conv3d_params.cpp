#include "engine/conv3d_params.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace voxconv::engine {

namespace {
const char* kAxisNames[3] = {"d", "h", "w"};

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::shape, what); }
}  // namespace

void Conv3dParams::validate() const {
  if (ic <= 0) fail("input channels = " + std::to_string(ic) + ": must be >= 1");
  if (oc <= 0) fail("filters = " + std::to_string(oc) + ": must be >= 1");
  if (groups <= 0) fail("groups = " + std::to_string(groups) + ": must be >= 1");
  if (oc % groups != 0)
    fail("filters = " + std::to_string(oc) + ": must be divisible by groups = " + std::to_string(groups));
  if (ic % groups != 0)
    fail("input channels = " + std::to_string(ic) + ": must be divisible by groups = " + std::to_string(groups));
  bool strided = false, dilated = false;
  for (int a = 0; a < 3; ++a) {
    if (kernel[a] <= 0) fail(std::string("kernel ") + kAxisNames[a] + " = " + std::to_string(kernel[a]) + ": must be >= 1");
    if (strides[a] <= 0) fail(std::string("stride ") + kAxisNames[a] + " = " + std::to_string(strides[a]) + ": must be >= 1");
    if (dilation[a] <= 0)
      fail(std::string("dilation ") + kAxisNames[a] + " = " + std::to_string(dilation[a]) + ": must be >= 1");
    strided = strided || strides[a] > 1;
    dilated = dilated || dilation[a] > 1;
  }
  if (strided && dilated) fail("strides > 1 together with dilation_rate > 1: Keras does not support the combination");
}

std::string Conv3dParams::to_string() const {
  std::ostringstream s;
  s << "ic" << ic << "_oc" << oc << "_kd" << kernel[0] << "kh" << kernel[1] << "kw" << kernel[2] << "_sd" << strides[0]
    << "sh" << strides[1] << "sw" << strides[2] << "_dd" << dilation[0] << "dh" << dilation[1] << "dw" << dilation[2]
    << (padding == Padding::same ? "_same" : "_valid") << "_g" << groups << (use_bias ? "" : "_nobias") << '_'
    << engine::to_string(activation.kind);
  return s.str();
}

std::array<int64_t, 5> Conv3dParams::kernel_dims() const {
  return {kernel[0], kernel[1], kernel[2], ic / groups, oc};
}

ConvPlan plan_shape(const Conv3dParams& p, const std::array<int64_t, 3>& in) {
  ConvPlan plan;
  for (int a = 0; a < 3; ++a) {
    const int64_t L = in[a], k = p.kernel[a], s = p.strides[a], d = p.dilation[a];
    if (L <= 0) fail(std::string("input ") + kAxisNames[a] + " = " + std::to_string(L) + ": must be >= 1");
    const int64_t ek = (k - 1) * d + 1;  // dilated kernel extent
    AxisPlan& ap = plan.axis[a];
    if (p.padding == Padding::same) {
      ap.out = (L + s - 1) / s;
      const int64_t total = std::max<int64_t>((ap.out - 1) * s + ek - L, 0);
      ap.pad_before = total / 2;
      ap.pad_after = total - ap.pad_before;
    } else {
      if (L < ek)
        fail(std::string("kernel ") + kAxisNames[a] + " extent " + std::to_string(ek) + " (kernel " + std::to_string(k) +
             ", dilation " + std::to_string(d) + ") is larger than the input " + kAxisNames[a] + " = " +
             std::to_string(L) + " with padding 'valid'");
      ap.out = (L - ek) / s + 1;
    }
  }
  return plan;
}

GridShift conv_grid_shift(const Conv3dParams& p, const ConvPlan& plan) {
  GridShift shift;
  for (size_t a = 0; a < 3; ++a) {
    shift.stride[a] = static_cast<double>(p.strides[a]);
    shift.first_index[a] =
        -static_cast<double>(plan.axis[a].pad_before) + static_cast<double>((p.kernel[a] - 1) * p.dilation[a]) / 2.0;
  }
  return shift;
}

double conv_flops(const Conv3dParams& p, int64_t batch, const std::array<int64_t, 3>& out) {
  return 2.0 * static_cast<double>(batch) * static_cast<double>(out[0]) * static_cast<double>(out[1]) *
         static_cast<double>(out[2]) * static_cast<double>(p.oc) * static_cast<double>(p.ic / p.groups) *
         static_cast<double>(p.kernel[0]) * static_cast<double>(p.kernel[1]) * static_cast<double>(p.kernel[2]);
}

std::pair<int64_t, int64_t> input_planes_for(const Conv3dParams& p, const ConvPlan& plan, int64_t full_depth,
                                             int64_t od_begin, int64_t od_end) {
  if (od_begin >= od_end) return {0, 0};
  const int64_t first = od_begin * p.strides[0] - plan.axis[0].pad_before;
  const int64_t last = (od_end - 1) * p.strides[0] - plan.axis[0].pad_before + (p.kernel[0] - 1) * p.dilation[0] + 1;
  const int64_t lo = std::clamp<int64_t>(first, 0, full_depth), hi = std::clamp<int64_t>(last, 0, full_depth);
  return {lo, std::max(lo, hi)};
}

}  // namespace voxconv::engine
