#pragma once
// What every HDF5 reader or writer in voxconv needs from the C API: RAII hid_t handles,
// HDF5's error printing turned off, its innermost error message for our one-line errors,
// and the file signature check. Shared by lib/keras (weights) and lib/volume (HDF5
// volumes); hid_t never leaves those modules.
#include <hdf5.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace voxconv::hdf5 {

// Owns one hid_t and closes it with the matching H5?close. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  void reset() noexcept;

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Turns HDF5's automatic error printing off for the calling thread. HDF5 keeps this
// setting per thread in thread-safe builds (Debian's is one), so every thread that
// touches a file calls it; repeated calls cost nothing.
void silence_errors();

// The innermost (most specific) description on HDF5's error stack, on one line; clears
// the stack. Empty when there is none.
std::string take_error();

// True when the HDF5 superblock signature sits where the format allows it: offset 0, 512,
// 1024, 2048, ... (a user block shifts it). `size` is the file's size.
bool has_signature(std::ifstream& in, uint64_t size);
// The same for a file held in memory.
bool has_signature(const char* bytes, uint64_t size);

}  // namespace voxconv::hdf5
