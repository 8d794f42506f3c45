#include "core/sizes.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"

namespace voxconv {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Sizes, CheckedMulAndAddRefuseOverflowAndNegatives) {
  EXPECT_EQ(checked_mul(3, 4), 12);
  EXPECT_EQ(checked_mul(0, kMax), 0);
  EXPECT_EQ(checked_mul(kMax, 1), kMax);
  EXPECT_FALSE(checked_mul(int64_t{1} << 32, int64_t{1} << 31));
  EXPECT_FALSE(checked_mul(-1, 2));
  EXPECT_EQ(checked_add(kMax - 1, 1), kMax);
  EXPECT_FALSE(checked_add(kMax, 1));
  EXPECT_FALSE(checked_add(-5, 1));
}

TEST(Sizes, CheckedProductOfShapes) {
  EXPECT_EQ(checked_product({}), 1);
  EXPECT_EQ(checked_product({2, 3, 4}), 24);
  EXPECT_EQ(checked_product({2, 0, 4}), 0);
  // 2^31 cubed: the shape of a kernel_size [2^31, 2^31, 2^31] config.
  EXPECT_FALSE(checked_product({int64_t{1} << 31, int64_t{1} << 31, int64_t{1} << 31}));
  // A zero does not hide an overflow of the other sizes.
  EXPECT_FALSE(checked_product({0, int64_t{1} << 40, int64_t{1} << 40}));
  EXPECT_FALSE(checked_product({3, -1}));
}

TEST(Sizes, AvailableMemoryIsPositiveAndBelowAnAbsurdRequest) {
  const uint64_t available = available_memory_bytes();
  EXPECT_GT(available, uint64_t{1} << 20);
  EXPECT_LT(available, uint64_t{1} << 60);
}

TEST(Sizes, CheckMemoryNamesTheFileAndBothSizes) {
  EXPECT_NO_THROW(check_memory(1000, "small.npy", "shape (10,)"));
  try {
    check_memory(uint64_t{1} << 50, "huge.nii", "shape (1000000, 1000000, 1000) as float32");
    FAIL() << "a petabyte passed the memory check";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource);
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("huge.nii: needs 1.0 PiB (shape (1000000, 1000000, 1000) as float32), more than the ", 0), 0)
        << message;
    EXPECT_NE(message.find("of memory available"), std::string::npos) << message;
  }
}

TEST(Sizes, HumanBytes) {
  EXPECT_EQ(human_bytes(100), "100 bytes");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(uint64_t{310} << 20), "310 MiB");
  EXPECT_EQ(human_bytes(uint64_t{1} << 40), "1.0 TiB");
}

}  // namespace
}  // namespace voxconv
