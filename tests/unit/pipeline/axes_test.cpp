#include "pipeline/axes.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace voxconv::pipeline {
namespace {

TEST(Axes, ZyxIsTheItkBufferAndXyzTransposes) {
  // ITK layout (1, Z=2, Y=3, X=4, C=1) with value = 100 z + 10 y + x.
  Tensor itk({1, 2, 3, 4, 1});
  for (int z = 0; z < 2; ++z)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) itk.data()[(z * 3 + y) * 4 + x] = static_cast<float>(100 * z + 10 * y + x);
  EXPECT_EQ(swap_itk_keras_layout(itk, AxisOrder::zyx).values(), itk.values());
  const Tensor keras = swap_itk_keras_layout(itk, AxisOrder::xyz);
  ASSERT_EQ(keras.dims(), (Dims{1, 4, 3, 2, 1}));
  EXPECT_EQ(keras.data()[(3 * 3 + 2) * 2 + 1], 123.0f);  // keras[x=3][y=2][z=1]
  EXPECT_EQ(swap_itk_keras_layout(keras, AxisOrder::xyz).values(), itk.values());
  EXPECT_EQ(itk_axis(0, AxisOrder::zyx), 2);
  EXPECT_EQ(itk_axis(0, AxisOrder::xyz), 0);
  EXPECT_THROW(parse_axis_order("zxy"), Error);
}

}  // namespace
}  // namespace voxconv::pipeline
