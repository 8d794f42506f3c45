#include "core/error.hpp"

namespace voxconv {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::config: return "config";
    case ErrorKind::weights: return "weights";
    case ErrorKind::volume_read: return "volume_read";
    case ErrorKind::volume_write: return "volume_write";
    case ErrorKind::shape: return "shape";
    case ErrorKind::resource: return "resource";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

}  // namespace voxconv
