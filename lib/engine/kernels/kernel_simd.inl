// What every kernel family shares, compiled once per ISA: the vector type and its loads,
// stores and broadcasts, and the register budget. Each family's source (oc_family.cpp,
// w_family.cpp, winograd_family.cpp) and kernel_table.cpp is compiled once per ISA with
// VOXCONV_VW (floats per vector), VOXCONV_ACC (accumulator budget: vector registers left
// for sums) and VOXCONV_ISA (the namespace and name: avx512, avx2, generic) defined, and
// that ISA's flags (lib/CMakeLists.txt); -ffp-contract=fast makes a*b+c an FMA. One file
// per family, so that the slow compiles of the unrolled kernels run in parallel.
//
// Every output element is summed in one fixed order whatever tile it falls in (each
// family's file says which), so results do not depend on how rows are scheduled.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "engine/kernels/direct_kernels.hpp"
#if VOXCONV_VW >= 8
#include <immintrin.h>
#endif

namespace voxconv::engine::kernels::VOXCONV_ISA {

// Each family fills its entries of the ISA's KernelTable (kernel_table.cpp).
void add_oc_family(KernelTable& table);
void add_w_family(KernelTable& table);
void add_winograd_family(KernelTable& table);

namespace {

// The register tiles below must stay in registers: every loop over tile rows, vectors
// or channels carries `#pragma GCC unroll`, or GCC keeps long tiles (24 x 1) on the stack.
constexpr int kVW = VOXCONV_VW;
typedef float vec __attribute__((vector_size(kVW * sizeof(float))));

inline vec load(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
// A store that bypasses the caches (p aligned to the vector): no read of the line first.
inline void store_stream(float* p, vec v) {
#if VOXCONV_VW == 16
  _mm512_stream_ps(p, reinterpret_cast<__m512&>(v));
#elif VOXCONV_VW == 8
  _mm256_stream_ps(p, reinterpret_cast<__m256&>(v));
#else
  store(p, v);
#endif
}
// All lanes x, spelled as an initializer list: `vec{} + x` would keep a real addition
// (0 + x is not x for x = -0.0) in the inner loop, on the FMA ports.
template <size_t... I>
inline vec splat_lanes(float x, std::index_sequence<I...>) {
  return vec{(static_cast<void>(I), x)...};
}
inline vec splat(float x) { return splat_lanes(x, std::make_index_sequence<kVW>{}); }

// Stores the first `count` lanes of a vector (a block's last channels), the mask made once
// for many stores. The vector is taken by value: a function taking the oc tile by reference
// (out of line, with a stack buffer, before 2026-11-25) made GCC keep every tile's
// accumulators in memory and store them all after each tile's sums (pointwise tiles of 32
// channels: 24 extra stores per 768 FMAs).
struct ChannelStore {
#if VOXCONV_VW == 16
  __mmask16 mask;
  explicit ChannelStore(int64_t count) : mask(static_cast<__mmask16>((1u << count) - 1)) {}
  void operator()(float* p, vec v) const { _mm512_mask_storeu_ps(p, mask, reinterpret_cast<const __m512&>(v)); }
#elif VOXCONV_VW == 8
  __m256i mask;
  explicit ChannelStore(int64_t count)
      : mask(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}
  void operator()(float* p, vec v) const { _mm256_maskstore_ps(p, mask, reinterpret_cast<const __m256&>(v)); }
#else
  int64_t count;
  explicit ChannelStore(int64_t n) : count(n) {}
  void operator()(float* p, vec v) const {
    float lanes[kVW];
    store(lanes, v);
    std::memcpy(p, lanes, static_cast<size_t>(count) * sizeof(float));
  }
#endif
};

constexpr int64_t kLineFloats = 64 / sizeof(float);

// Accumulator tiles of the w and Winograd families: output channels x vectors of W.
constexpr int w_nv(int ocb) { return std::min(4, VOXCONV_ACC / ocb); }
constexpr int kMaxOcb = VOXCONV_ACC / 2;

}  // namespace

}  // namespace voxconv::engine::kernels::VOXCONV_ISA
