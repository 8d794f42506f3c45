#pragma once
// Helpers shared by the lib/volume tests: a scratch directory and error expectations.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/geometry.hpp"

namespace voxconv::testing {

// Rz(a) * Rx(b), optionally with the third column negated (NIfTI's qfac = -1), with the
// given spacing and origin: a geometry far from the defaults.
inline Geometry rotated_geometry(double a_degrees, double b_degrees, bool reflected,
                                 std::array<double, 3> spacing = {0.7, 1.3, 2.9},
                                 std::array<double, 3> origin = {-110.5, 33.25, 7.125}) {
  const double a = a_degrees * M_PI / 180.0, b = b_degrees * M_PI / 180.0;
  const double rz[3][3] = {{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}};
  const double rx[3][3] = {{1, 0, 0}, {0, std::cos(b), -std::sin(b)}, {0, std::sin(b), std::cos(b)}};
  Geometry g;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += rz[r][k] * rx[k][c];
      g.direction[static_cast<size_t>(r * 3 + c)] = (reflected && c == 2) ? -s : s;
    }
  g.spacing = spacing;
  g.origin = origin;
  return g;
}

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

// The file's bytes after gzip decompression (zlib reads a plain file as it is).
inline std::string decompressed(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  std::string out;
  std::vector<char> chunk(1 << 16);
  int got = 0;
  while ((got = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0)
    out.append(chunk.data(), static_cast<size_t>(got));
  EXPECT_EQ(got, 0) << "gzread failed for " << path;
  gzclose(f);
  return out;
}

}  // namespace voxconv::testing
