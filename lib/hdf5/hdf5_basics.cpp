#include "hdf5/hdf5_basics.hpp"

#include <array>
#include <cstring>
#include <utility>

namespace voxconv::hdf5 {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = other.closer_;
  }
  return *this;
}

void Handle::reset() noexcept {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = H5I_INVALID_HID;
}

namespace {
// HDF5 1.10 closes whatever is still open when the process exits, and crashes there (SIGSEGV in
// H5F__close_cb) on a file whose close already failed: a write that met a full disk. voxconv
// closes every file itself (RAII handles) and removes a failed output, so the library is told
// not to clean up at exit; the flag only counts before the library's first call, hence a
// static initializer.
const bool kNoCleanupAtExit = H5dont_atexit() >= 0;
}  // namespace

void silence_errors() {
  thread_local bool done = false;
  if (done) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  done = true;
}

std::string take_error() {
  std::string message;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n == 0 && err && err->desc) *static_cast<std::string*>(data) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &message);
  H5Eclear2(H5E_DEFAULT);
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';  // one-line messages
  return message;
}

namespace {

// The superblock signature, searched where the format allows it: offset 0, 512, 1024,
// 2048, ... `read8(offset, out)` reads 8 bytes or returns false.
template <typename Read8>
bool signature_found(Read8 read8, uint64_t size) {
  static const std::array<char, 8> signature = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  for (uint64_t offset = 0; offset + signature.size() <= size; offset = offset == 0 ? 512 : offset * 2) {
    std::array<char, 8> bytes{};
    if (!read8(offset, bytes.data())) return false;
    if (bytes == signature) return true;
  }
  return false;
}

}  // namespace

bool has_signature(std::ifstream& in, uint64_t size) {
  return signature_found(
      [&in](uint64_t offset, char* out) {
        in.clear();
        in.seekg(static_cast<std::streamoff>(offset));
        return static_cast<bool>(in.read(out, 8));
      },
      size);
}

bool has_signature(const char* bytes, uint64_t size) {
  return signature_found(
      [bytes, size](uint64_t offset, char* out) {
        if (offset + 8 > size) return false;
        std::memcpy(out, bytes + offset, 8);
        return true;
      },
      size);
}

}  // namespace voxconv::hdf5
