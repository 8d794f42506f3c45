#include "core/aligned_allocator.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace voxconv::detail {

namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;

// By size alone, so that deallocation finds the alignment allocation used.
std::size_t alignment_for(std::size_t bytes, std::size_t alignment) {
  return bytes >= kHugeBufferBytes && alignment < kHugePage ? kHugePage : alignment;
}

// Read at each large allocation, so that the setting may change while a process runs.
bool huge_pages_requested() {
  const char* value = std::getenv("VOXCONV_HUGEPAGES");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

}  // namespace

void* allocate_aligned(std::size_t bytes, std::size_t alignment) {
  const std::size_t align = alignment_for(bytes, alignment);
  void* p = ::operator new(bytes, std::align_val_t(align));
  // Advice only: where transparent huge pages are off or unsupported, 4 KB pages it is.
  if (align == kHugePage && huge_pages_requested()) madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void deallocate_aligned(void* p, std::size_t bytes, std::size_t alignment) noexcept {
  ::operator delete(p, std::align_val_t(alignment_for(bytes, alignment)));
}

}  // namespace voxconv::detail
