#pragma once
// Read-only access to the members of a zip archive (a Keras 3 .keras file) through
// libzip. Internal to lib/keras: libzip types stay in zip_archive.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace voxconv::keras {

class ZipArchive {
 public:
  // Throws ErrorKind::config "<path>: ..." when the file is missing or not a zip archive.
  static ZipArchive open(const std::string& path);
  ~ZipArchive();
  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;

  const std::string& path() const noexcept { return path_; }
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // The whole member, uncompressed. Refuses members larger than max_bytes (declared or
  // actual, so a forged size cannot inflate past it) and members that fail their CRC.
  std::vector<char> read(const std::string& name, uint64_t max_bytes) const;

 private:
  struct Handle;
  ZipArchive(std::string path, std::unique_ptr<Handle> handle);
  std::string path_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace voxconv::keras
