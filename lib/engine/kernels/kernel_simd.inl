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

// ---- 1-D Winograd F(2, 3) tiles along W: the input transform (w and oc families) ----

// The d_j of kVW consecutive tiles from a multiple of kVW, read from the planar padded row
// p at the first tile's input (p + w0 + j * dw): for DW dividing a vector, the first DW of
// every 2 DW floats over two vectors; DW = 0 stands for dilations that a vector divides,
// where the tiles' inputs are consecutive.
// Lanes I of the two vectors a, b (b's lanes numbered from kVW on) that hold the first DW
// of every 2 DW floats. (__builtin_shufflevector: GCC 12 and clang alike.)
template <int DW, size_t... I>
inline vec wino_w_compact(vec a, vec b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, static_cast<int>(I / DW * 2 * DW + I % DW)...);
}

template <int DW>
inline vec wino_w_inputs(const float* p) {
  if constexpr (DW == 0) return load(p);
  else return wino_w_compact<DW>(load(p), load(p + kVW), std::make_index_sequence<kVW>{});
}

// U = B^T d of one tile's inputs d0..d3 (floats or vectors of them): U_j to u + j * js.
inline void wino_w_store_u(float* u, int64_t js, float d0, float d1, float d2, float d3) {
  u[0] = d0 - d2, u[js] = d1 + d2, u[2 * js] = d2 - d1, u[3 * js] = d1 - d3;
}
inline void wino_w_store_u(float* u, int64_t js, vec d0, vec d1, vec d2, vec d3) {
  store(u, d0 - d2);
  store(u + js, d1 + d2);
  store(u + 2 * js, d2 - d1);
  store(u + 3 * js, d1 - d3);
}

template <int DW, typename Sink>
void wino_w_transform_run(const float* p, int64_t dw, int64_t run_len, Sink& sink) {
  for (int64_t t0 = 0; t0 < run_len; t0 += kVW) {
    const float* x = p + wino_w_first_output(t0, dw);
    const vec d0 = wino_w_inputs<DW>(x), d1 = wino_w_inputs<DW>(x + dw), d2 = wino_w_inputs<DW>(x + 2 * dw),
              d3 = wino_w_inputs<DW>(x + 3 * dw);
    sink(t0, d0 - d2, d1 + d2, d2 - d1, d1 - d3);
  }
}

// Calls sink(t0, U0, U1, U2, U3) with U = B^T d of tiles t0 .. t0 + kVW - 1 for t0 = 0, kVW,
// .. < run_len (whole vectors), from the planar padded row p (wino_w_planar_len floats), if
// dilation dw has a vector path (wino_w_vector_conversion); returns whether it had.
template <typename Sink>
bool wino_w_transform_vectors(const float* p, int64_t dw, int64_t run_len, Sink&& sink) {
  if (dw % kVW == 0) wino_w_transform_run<0>(p, dw, run_len, sink);
  else if (dw == 1) wino_w_transform_run<1>(p, dw, run_len, sink);
  else if (dw == 2) wino_w_transform_run<2>(p, dw, run_len, sink);
  else if (dw == 4) wino_w_transform_run<4>(p, dw, run_len, sink);  // (kVW 4 takes the first branch)
  else if (dw == 8) wino_w_transform_run<8>(p, dw, run_len, sink);
  else return false;
  return true;
}

}  // namespace

}  // namespace voxconv::engine::kernels::VOXCONV_ISA
