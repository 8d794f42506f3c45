#pragma once
// Helpers shared by the lib/volume tests: a scratch directory and error expectations.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace voxconv::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("voxconv_volume_test_" + std::to_string(rd()) + "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  if (size <= 0) return {};
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  return bytes;
}

// Copies the first `numerator / denominator` of a file: a truncated download.
inline void copy_truncated(const std::string& from, const std::string& to, size_t numerator, size_t denominator) {
  const std::string bytes = read_bytes(from);
  write_bytes(to, bytes.substr(0, bytes.size() * numerator / denominator));
}

// Runs `f`, expecting a voxconv::Error of `kind` whose one-line message starts with `path`.
template <typename F>
void expect_error(F&& f, ErrorKind kind, const std::string& path, const std::string& contains = "") {
  try {
    f();
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << message;
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    if (!contains.empty()) {
      EXPECT_NE(message.find(contains), std::string::npos) << message;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception type for " << path << ": " << e.what();
  }
}

}  // namespace voxconv::testing
