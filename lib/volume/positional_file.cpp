#include "volume/positional_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace voxconv::volume::detail {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw Error(ErrorKind::volume_write, path + ": " + what + ": " + std::strerror(error));
}
}  // namespace

PositionalFile::PositionalFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(path_, "cannot create the file", errno);
}

PositionalFile::~PositionalFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PositionalFile::write_at(uint64_t offset, const void* bytes, size_t size) {
  const char* p = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "cannot write", errno);
    }
    if (n == 0) fail(path_, "cannot write", ENOSPC);
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
}

void PositionalFile::close() {
  const int fd = fd_;
  fd_ = -1;
  if (fd >= 0 && ::close(fd) != 0) fail(path_, "cannot finish writing", errno);
}

}  // namespace voxconv::volume::detail
