#pragma once
// The one exception type of the library. The message is the user-facing line
// ("file: what = value: rule"); the kind decides the exit code in app/.
#include <stdexcept>
#include <string>

namespace voxconv {

enum class ErrorKind {
  usage,         // bad flags or flag combinations
  config,        // layer config JSON
  weights,       // HDF5 weights
  volume_read,   // input volumes and arrays
  volume_write,  // outputs
  shape,         // shapes that do not fit together
  resource,      // absurd sizes, memory
  internal,      // a bug in voxconv
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

const char* to_string(ErrorKind kind) noexcept;

}  // namespace voxconv
