#pragma once
// Internal to lib/volume: a file written at given offsets (pwrite), for outputs assembled
// slab by slab. Every failure throws ErrorKind::volume_write naming the file.
#include <cstddef>
#include <cstdint>
#include <string>

namespace voxconv::volume::detail {

class PositionalFile {
 public:
  // Creates (or truncates) `path`.
  explicit PositionalFile(const std::string& path);
  ~PositionalFile();  // closes; the caller's staging folder removes an unfinished file
  PositionalFile(const PositionalFile&) = delete;
  PositionalFile& operator=(const PositionalFile&) = delete;

  void write_at(uint64_t offset, const void* bytes, size_t size);
  void close();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace voxconv::volume::detail
