#include "core/tensor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace voxconv {
namespace {

TEST(Tensor, ZeroFilledWithShape) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.size(), 24);
  EXPECT_EQ(t.rank(), 3u);
  for (float v : t.values()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, RejectsValueCountMismatch) {
  EXPECT_THROW(Tensor(Dims{2, 2}, FloatVector(3)), Error);
}

TEST(Tensor, DimsToStringLikePython) {
  EXPECT_EQ(dims_to_string({1, 5, 3}), "(1, 5, 3)");
  EXPECT_EQ(dims_to_string({7}), "(7,)");
}

TEST(Tensor, CheckedElementCountRejectsOverflowAndAbsurdSizes) {
  try {
    checked_element_count({1LL << 40, 1LL << 40}, "kernel");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource);
    EXPECT_NE(std::string(e.what()).find("kernel"), std::string::npos);
  }
  // A 10^12-voxel volume is more than this machine (or any CI machine) holds.
  EXPECT_THROW(checked_element_count({10000, 10000, 10000}, "volume"), Error);
  EXPECT_THROW(checked_element_count({-1, 3}, "x"), Error);
  EXPECT_EQ(checked_element_count({2, 0, 5}, "x"), 0);
}

TEST(Tensor, TransposeMatchesNumpySemantics) {
  // a = arange(24).reshape(2,3,4); b = a.transpose(2,0,1); b[i,j,k] == a[j,k,i]
  FloatVector v(24);
  for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  const Tensor a({2, 3, 4}, v);
  const Tensor b = transpose(a, {2, 0, 1});
  ASSERT_EQ(b.dims(), (Dims{4, 2, 3}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(b.data()[(i * 2 + j) * 3 + k], a.data()[(j * 3 + k) * 4 + i]);
  // Transposing back restores the original.
  const Tensor c = transpose(b, {1, 2, 0});
  EXPECT_EQ(c.values(), a.values());
}

TEST(Tensor, FindNonFinite) {
  Tensor t({4});
  EXPECT_EQ(find_non_finite(t), -1);
  t.data()[2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(find_non_finite(t), 2);
  t.data()[1] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(find_non_finite(t), 1);
}

}  // namespace
}  // namespace voxconv
