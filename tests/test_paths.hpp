#pragma once
// Paths of committed test data and of the optional ../shared tree, for tests.
#include <filesystem>
#include <string>

namespace voxconv::testing {

inline std::filesystem::path source_dir() { return VOXCONV_SOURCE_DIR; }
inline std::filesystem::path shared_dir() { return VOXCONV_SHARED_DIR; }
inline std::filesystem::path realdata(const std::string& relative) { return shared_dir() / "realdata" / relative; }
inline std::string voxconv_binary() { return VOXCONV_BINARY; }

}  // namespace voxconv::testing

// Skips the current test when a ../shared/realdata file is absent (a clone without shared/).
#define VOXCONV_REQUIRE_REALDATA(path)                                                        \
  do {                                                                                        \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared real data absent: " << (path); \
  } while (0)
