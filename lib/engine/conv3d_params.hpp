#pragma once
// Plain description of one Conv3D, in engine vocabulary (oneDNN/benchdnn names):
// src NDHWC, wei [kd][kh][kw][ic/groups][oc], bias [oc], dst NDHWC.
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "core/geometry.hpp"
#include "engine/activation.hpp"

namespace voxconv::engine {

enum class Padding { valid, same };

struct Conv3dParams {
  int64_t ic = 1;                       // input channels (all groups)
  int64_t oc = 1;                       // output channels (Keras `filters`)
  std::array<int64_t, 3> kernel{1, 1, 1};    // kd, kh, kw
  std::array<int64_t, 3> strides{1, 1, 1};   // sd, sh, sw
  std::array<int64_t, 3> dilation{1, 1, 1};  // dd, dh, dw
  Padding padding = Padding::valid;
  int64_t groups = 1;
  bool use_bias = true;
  ActivationSpec activation{};

  // Throws ErrorKind::shape naming the offending field when the description is invalid.
  void validate() const;

  // benchdnn-style descriptor, e.g. "ic4_oc6_kd3kh3kw3_sd2sh1sw1_dd1dh1dw1_same_g1_relu".
  std::string to_string() const;

  // Shape the weights must have: (kd, kh, kw, ic/groups, oc) and (oc,).
  std::array<int64_t, 5> kernel_dims() const;
};

// Output size and padding split along one axis, Keras/TensorFlow arithmetic.
struct AxisPlan {
  int64_t out = 0;
  int64_t pad_before = 0;
  int64_t pad_after = 0;
};

// Output spatial size and padding for an input of spatial size (d, h, w). Pure.
// 'same': out = ceil(L/s), total pad = max((out-1)*s + (k-1)*d + 1 - L, 0), the odd
// voxel after. 'valid': out = floor((L - (k-1)*d - 1)/s) + 1, rejected when <= 0.
struct ConvPlan {
  std::array<AxisPlan, 3> axis;
  std::array<int64_t, 3> out_spatial() const { return {axis[0].out, axis[1].out, axis[2].out}; }
};
ConvPlan plan_shape(const Conv3dParams& p, const std::array<int64_t, 3>& in_spatial);

// A slab of the depth axis: output planes [od_begin, od_end) of the convolution of an
// input `full_depth` planes deep, computed from input planes [in_first, in_first + depth of
// the slab's input). Slabs let a volume larger than memory be convolved piece by piece.
struct DepthSlab {
  int64_t full_depth = 0;
  int64_t in_first = 0;
  int64_t od_begin = 0;
  int64_t od_end = 0;
};

// Input planes [first, last) that output planes [od_begin, od_end) read, clamped to the
// input (padding planes are not read). Pure.
std::pair<int64_t, int64_t> input_planes_for(const Conv3dParams& p, const ConvPlan& plan, int64_t full_depth,
                                             int64_t od_begin, int64_t od_end);

// Where output voxel i lies on the input grid, per axis (D, H, W): the centre of its
// receptive field, continuous input index -pad_before + (k-1)*d/2 + stride*i. Pure.
GridShift conv_grid_shift(const Conv3dParams& p, const ConvPlan& plan);

// FLOPs as benchdnn and the issue count them: 2 * N * OD*OH*OW * OC * IC/g * KD*KH*KW.
double conv_flops(const Conv3dParams& p, int64_t batch, const std::array<int64_t, 3>& out_spatial);

}  // namespace voxconv::engine
