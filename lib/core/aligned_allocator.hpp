#pragma once
// std::allocator with cache-line alignment, for buffers that SIMD kernels stream through:
// a 64-byte vector load from a 16-byte aligned address splits across two cache lines.
#include <cstddef>
#include <new>
#include <vector>

namespace voxconv {

namespace detail {
// Buffers of kHugeBufferBytes or more start on a 2 MB boundary, and with VOXCONV_HUGEPAGES=1
// they are marked for transparent huge pages (madvise). Off by default: where buffers are
// reused (benchmarks, layer after layer) huge pages save TLB misses (2 threads: a +17%,
// g +13%, i +7%), but on a VM that hands freed memory back to its host, first touching
// a fresh huge page costs 5x the 4 KB faults (376 MB: 955 ms vs 171 ms), and a one-layer
// `voxconv run` took 4.0-4.5 s instead of 3.7 s.
constexpr std::size_t kHugeBufferBytes = std::size_t(4) << 20;
void* allocate_aligned(std::size_t bytes, std::size_t alignment);
void deallocate_aligned(void* p, std::size_t bytes, std::size_t alignment) noexcept;
}  // namespace detail

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
    return static_cast<T*>(detail::allocate_aligned(n * sizeof(T), Alignment));
  }
  void deallocate(T* p, std::size_t n) noexcept { detail::deallocate_aligned(p, n * sizeof(T), Alignment); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment>&) const noexcept { return false; }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace voxconv
