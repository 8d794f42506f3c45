#pragma once
// std::allocator with cache-line alignment, for buffers that SIMD kernels stream through:
// a 64-byte vector load from a 16-byte aligned address splits across two cache lines.
#include <cstddef>
#include <new>
#include <vector>

namespace voxconv {

template <typename T, std::size_t Alignment = 64>
struct AlignedAllocator {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment>;
  };

  AlignedAllocator() noexcept = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>&) noexcept {}  // NOLINT: allocators convert implicitly

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(Alignment)));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(Alignment)); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment>&) const noexcept { return false; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace voxconv
