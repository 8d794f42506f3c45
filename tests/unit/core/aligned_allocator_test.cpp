#include "core/aligned_allocator.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace voxconv {
namespace {

uintptr_t address(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// The VmFlags line of the mapping of /proc/self/smaps that holds p ("" when not found).
std::string vm_flags_of(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= address(p) && address(p) < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(AlignedAllocator, SmallBuffersAreAlignedToACacheLine) {
  for (size_t n : {1, 15, 16, 1000, 100000}) {
    AlignedVector<float> v(n, 1.0f);
    EXPECT_EQ(address(v.data()) % 64, 0u) << n;
  }
}

// Sets VOXCONV_HUGEPAGES for one scope.
class HugePagesSetting {
 public:
  explicit HugePagesSetting(const char* value) {
    if (const char* old = std::getenv("VOXCONV_HUGEPAGES")) old_ = old, had_ = true;
    if (value) setenv("VOXCONV_HUGEPAGES", value, 1);
    else unsetenv("VOXCONV_HUGEPAGES");
  }
  ~HugePagesSetting() {
    if (had_) setenv("VOXCONV_HUGEPAGES", old_.c_str(), 1);
    else unsetenv("VOXCONV_HUGEPAGES");
  }

 private:
  std::string old_;
  bool had_ = false;
};

bool advised_huge_pages(const void* p) {
  const std::string flags = vm_flags_of(p);
  EXPECT_FALSE(flags.empty()) << "no mapping holds the buffer in /proc/self/smaps";
  return (" " + flags + " ").find(" hg ") != std::string::npos;  // "hg": MADV_HUGEPAGE
}

TEST(AlignedAllocator, LargeBuffersStartOn2MBAndGetHugePagesOnlyWhenAsked) {
  static const int in_the_data_segment = 0;
  if (vm_flags_of(&in_the_data_segment).empty()) GTEST_SKIP() << "no /proc/self/smaps here";
  const size_t n = detail::kHugeBufferBytes / sizeof(float) + 3;  // not a whole number of pages
  for (const char* setting : {"1", "0", static_cast<const char*>(nullptr)}) {
    HugePagesSetting scoped(setting);
    AlignedVector<float> v(n, 2.0f);
    EXPECT_EQ(address(v.data()) % (size_t(2) << 20), 0u);
    EXPECT_EQ(v.front(), 2.0f);
    EXPECT_EQ(v.back(), 2.0f);
    EXPECT_EQ(advised_huge_pages(v.data()), setting && std::string(setting) == "1") << (setting ? setting : "unset");
  }
}

TEST(AlignedAllocator, BuffersOnEitherSideOfTheThresholdRoundTrip) {
  // Deallocation must find the alignment allocation used, from the size alone.
  for (size_t bytes : {detail::kHugeBufferBytes - 4, detail::kHugeBufferBytes, detail::kHugeBufferBytes + 4}) {
    AlignedVector<float> v(bytes / sizeof(float), 3.0f);
    v.resize(v.size() * 2, 4.0f);  // reallocates: frees the first buffer
    EXPECT_EQ(v[bytes / sizeof(float) - 1], 3.0f);
    EXPECT_EQ(v.back(), 4.0f);
  }
}

}  // namespace
}  // namespace voxconv
