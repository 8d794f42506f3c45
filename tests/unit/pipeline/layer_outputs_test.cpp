#include "pipeline/layer_outputs.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace voxconv::pipeline {
namespace {

TEST(PlannedOutputPaths, SplitChannelsNamesOneFilePerFilter) {
  OutputRequest r;
  r.path = "out/feat.nii.gz";
  EXPECT_EQ(planned_output_paths(r, 3), (std::vector<std::string>{"out/feat.nii.gz"}));
  r.split_channels = true;
  EXPECT_EQ(planned_output_paths(r, 3),
            (std::vector<std::string>{"out/feat_000.nii.gz", "out/feat_001.nii.gz", "out/feat_002.nii.gz"}));
  r.path = "f.nrrd";
  EXPECT_EQ(planned_output_paths(r, 1), (std::vector<std::string>{"f_000.nrrd"}));
  r.path = "f.npy";
  EXPECT_THROW(planned_output_paths(r, 2), Error);  // .npy holds the whole array
  r.split_channels = false;
  r.path = "f.png";
  EXPECT_THROW(planned_output_paths(r, 2), Error);
}

engine::Conv3dParams params(std::array<int64_t, 3> k, std::array<int64_t, 3> s, std::array<int64_t, 3> d, engine::Padding pad) {
  engine::Conv3dParams p;
  p.kernel = k;
  p.strides = s;
  p.dilation = d;
  p.padding = pad;
  return p;
}

TEST(OutputGeometry, ValidKernelShiftsOriginToFirstReceptiveFieldCentre) {
  Geometry in;
  in.spacing = {1.0, 2.0, 3.0};
  in.origin = {10, 20, 30};
  // Keras (dim1, dim2, dim3) = (z, y, x): kernel (5, 3, 1) -> centres at z+2, y+1, x+0.
  const auto p = params({5, 3, 1}, {1, 1, 1}, {1, 1, 1}, engine::Padding::valid);
  const auto plan = engine::plan_shape(p, {9, 9, 9});
  const Geometry out = output_geometry(in, p, plan, AxisOrder::zyx);
  EXPECT_DOUBLE_EQ(out.origin[0], 10.0);
  EXPECT_DOUBLE_EQ(out.origin[1], 22.0);
  EXPECT_DOUBLE_EQ(out.origin[2], 36.0);
  EXPECT_EQ(out.spacing, in.spacing);
  // xyz: Keras dim1 is x.
  const Geometry out_xyz = output_geometry(in, p, plan, AxisOrder::xyz);
  EXPECT_DOUBLE_EQ(out_xyz.origin[0], 12.0);
  EXPECT_DOUBLE_EQ(out_xyz.origin[2], 30.0);
}

TEST(OutputGeometry, SameStride2KeepsCentresAndScalesSpacing) {
  Geometry in;
  in.spacing = {0.5, 0.5, 2.0};
  // L = 8, k = 3, s = 2: out 4, total pad (3*2 + 3 - 8) = 1 -> before 0: first centre at index 1.
  // L = 7: total (3*2 + 3 - 7) = 2 -> before 1: first centre at index 0.
  const auto p = params({3, 3, 3}, {2, 2, 2}, {1, 1, 1}, engine::Padding::same);
  const auto plan = engine::plan_shape(p, {8, 7, 8});
  const Geometry out = output_geometry(in, p, plan, AxisOrder::zyx);
  EXPECT_DOUBLE_EQ(out.spacing[0], 1.0);
  EXPECT_DOUBLE_EQ(out.spacing[2], 4.0);
  EXPECT_DOUBLE_EQ(out.origin[0], 0.5);  // x = Keras dim3, L = 8
  EXPECT_DOUBLE_EQ(out.origin[1], 0.0);  // y = dim2, L = 7
  EXPECT_DOUBLE_EQ(out.origin[2], 2.0);  // z = dim1, L = 8
}

TEST(OutputGeometry, EvenKernelCentreFallsBetweenVoxels) {
  Geometry in;
  const auto p = params({2, 2, 2}, {1, 1, 1}, {3, 1, 1}, engine::Padding::same);
  const auto plan = engine::plan_shape(p, {8, 8, 8});
  // dim1: extent 4, total 3, before 1: centre -1 + 1.5 = 0.5; dim3: extent 2, before 0: 0.5.
  const Geometry out = output_geometry(in, p, plan, AxisOrder::zyx);
  EXPECT_DOUBLE_EQ(out.origin[2], 0.5);
  EXPECT_DOUBLE_EQ(out.origin[0], 0.5);
}

}  // namespace
}  // namespace voxconv::pipeline
