#include "core/geometry.hpp"

#include <gtest/gtest.h>

namespace voxconv {
namespace {

TEST(Geometry, IdentityDirectionShiftsOriginBySpacingTimesIndex) {
  Geometry g;
  g.spacing = {2.0, 3.0, 4.0};
  g.origin = {10.0, 20.0, 30.0};
  GridShift s;
  s.stride = {2, 1, 3};
  s.first_index = {0.5, 1.0, -1.0};
  const Geometry out = shifted_geometry(g, s);
  EXPECT_DOUBLE_EQ(out.spacing[0], 4.0);
  EXPECT_DOUBLE_EQ(out.spacing[1], 3.0);
  EXPECT_DOUBLE_EQ(out.spacing[2], 12.0);
  EXPECT_DOUBLE_EQ(out.origin[0], 11.0);
  EXPECT_DOUBLE_EQ(out.origin[1], 23.0);
  EXPECT_DOUBLE_EQ(out.origin[2], 26.0);
  EXPECT_EQ(out.direction, g.direction);
}

TEST(Geometry, RotatedDirectionMovesOriginAlongTheAxisDirection) {
  Geometry g;
  g.spacing = {1.0, 2.0, 1.0};
  // index x runs along physical -y, index y along physical +x.
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  GridShift s;
  s.first_index = {1.0, 1.0, 0.0};
  const Geometry out = shifted_geometry(g, s);
  EXPECT_DOUBLE_EQ(out.origin[0], 2.0);   // index y: 1 voxel * 2 mm along +x
  EXPECT_DOUBLE_EQ(out.origin[1], -1.0);  // index x: 1 voxel * 1 mm along -y
  EXPECT_DOUBLE_EQ(out.origin[2], 0.0);
}

}  // namespace
}  // namespace voxconv
