#pragma once
// Shared by the fuzz targets: a scratch file per process for the readers that take a path.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace voxconv::fuzz {

// Writes `data` to <tmp>/voxconv-fuzz-<pid><suffix> (rewritten at every call, removed at
// exit) and returns its path.
inline std::string scratch_file(const uint8_t* data, size_t size, const std::string& suffix) {
  static std::string last;
  struct Remover {
    ~Remover() {
      if (!last.empty()) std::remove(last.c_str());
    }
  };
  static Remover remover;
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  const std::string path = ((ec ? std::filesystem::path("/tmp") : dir) /
                            ("voxconv-fuzz-" + std::to_string(::getpid()) + suffix)).string();
  if (!last.empty() && last != path) std::remove(last.c_str());
  last = path;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace voxconv::fuzz
