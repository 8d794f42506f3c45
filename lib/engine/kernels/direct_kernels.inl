// Direct Conv3D row kernels, written once with GCC vector extensions and compiled per
// ISA. The including file defines VOXCONV_VW (floats per vector), VOXCONV_ACC (accumulator
// budget: vector registers left for sums) and VOXCONV_ISA_NAMESPACE / VOXCONV_ISA_NAME. Needs -ffp-contract=fast so a*b+c is an FMA.
//
// Every output element is summed in one fixed order, (kd, kh) row, kw, input channel,
// whatever tile it falls in, so results do not depend on how rows are scheduled.
#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/kernels/direct_kernels.hpp"
#if VOXCONV_VW >= 8
#include <immintrin.h>
#endif

namespace voxconv::engine::kernels::VOXCONV_ISA_NAMESPACE {

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
inline void stream_fence() {
#if VOXCONV_VW >= 8
  _mm_sfence();
#endif
}
// All lanes x, spelled as an initializer list: `vec{} + x` would keep a real addition
// (0 + x is not x for x = -0.0) in the inner loop, on the FMA ports.
template <size_t... I>
inline vec splat_lanes(float x, std::index_sequence<I...>) {
  return vec{(static_cast<void>(I), x)...};
}
inline vec splat(float x) { return splat_lanes(x, std::make_index_sequence<kVW>{}); }

// ---- output-channel-vectorized family ----------------------------------------------

// Copies the first `valid` lanes of each tile row: the last block of a channel count
// that is not a multiple of the block width. Kept out of line: it needs a stack buffer.
template <int MR, int NV>
__attribute__((noinline)) void store_partial_block(const vec (&acc)[MR][NV], float* out, int64_t out_stride,
                                                   int64_t valid) {
  for (int m = 0; m < MR; ++m) {
    float lanes[NV * kVW];
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) store(lanes + v * kVW, acc[m][v]);
    std::memcpy(out + m * out_stride, lanes, static_cast<size_t>(valid) * sizeof(float));
  }
}

// Weight rows (one input channel's NV vectors) the oc kernel prefetches ahead of use.
constexpr int kWeightPrefetchRows = 24;

// `tiles` consecutive register tiles of MR output positions x NV vectors of channels,
// starting at ow0, in one call so that loop invariants stay in registers.
// KW > 0: inputs of unit step (one input channel, stride 1) and runs of exactly KW
// floats (a row's kw taps): each broadcast input then serves the KW output positions
// that read it, against KW weight vectors held in registers, which halves the loads of
// a first layer. Every accumulator still sums its run in order c = 0..KW-1.
template <int MR, int NV, int KW = 0>
void oc_tiles(const OcRowArgs& a, int64_t ow0, int64_t tiles, int64_t block) {
  constexpr int NB = NV * kVW;
  const int64_t step = a.step, run = a.run;
  const float* wblock = a.packed + block * a.weight_rows * NB;
  const float* bias = a.bias + block * NB;
  const int64_t valid = block == a.blocks - 1 ? a.valid_last : NB;
  const bool stream = a.stream_out && a.out_stride % kVW == 0 &&
                      reinterpret_cast<uintptr_t>(a.out) % (kVW * sizeof(float)) == 0;
  for (int64_t tile = 0; tile < tiles; ++tile, ow0 += MR) {
    // Outputs are written once and usually not in cache: start fetching the lines of the
    // tile after next, so that its stores do not wait for memory.
    if (a.prefetch_out && !stream && tile + 2 < tiles) {
      const float* ahead = a.out + (ow0 + 2 * MR) * a.out_stride + block * NB;
      #pragma GCC unroll 32
      for (int m = 0; m < MR; ++m)
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) __builtin_prefetch(ahead + m * a.out_stride + v * kVW, 1, 3);
    }
    vec acc[MR][NV];
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) {
      const vec b = load(bias + v * kVW);
      #pragma GCC unroll 32
      for (int m = 0; m < MR; ++m) acc[m][v] = b;
    }
    for (int64_t j = 0; j < a.tap_count; ++j) {
      const float* x = a.taps[j].x + ow0 * step;
      const float* w = wblock + a.taps[j].w_row * NB;
      if constexpr (KW > 0) {
        const float* xs = a.taps[j].x + ow0;  // step 1
        // Opaque to the optimizer: otherwise GCC hoists (ow0 + i) * 4 for every i out of
        // the tap loop and spills them, instead of addressing xs + constant.
        asm("" : "+r"(xs));
        vec wv[KW][NV];
        #pragma GCC unroll 32
        for (int c = 0; c < KW; ++c)
          #pragma GCC unroll 32
          for (int v = 0; v < NV; ++v) wv[c][v] = load(w + c * NB + v * kVW);
        #pragma GCC unroll 64
        for (int i = 0; i < MR + KW - 1; ++i) {
          const vec xb = splat(xs[i]);
          #pragma GCC unroll 32
          for (int c = 0; c < KW; ++c)
            if (i - c >= 0 && i - c < MR)
              #pragma GCC unroll 32
              for (int v = 0; v < NV; ++v) acc[i - c][v] += xb * wv[c][v];
        }
        continue;
      }
      for (int64_t c = 0; c < run; ++c) {
        vec wv[NV];
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) wv[v] = load(w + c * NB + v * kVW);
        // The weights stream from L2 (a block's taps outgrow L1): ask for them ahead,
        // across tap boundaries too, where the hardware prefetcher restarts (measured +0..6%).
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) __builtin_prefetch(w + (c + kWeightPrefetchRows) * NB + v * kVW, 0, 3);
        #pragma GCC unroll 32
        for (int m = 0; m < MR; ++m) {
          const vec xb = splat(x[m * step + c]);
          #pragma GCC unroll 32
          for (int v = 0; v < NV; ++v) acc[m][v] += xb * wv[v];
        }
      }
    }
    float* out = a.out + ow0 * a.out_stride + block * NB;
    if (a.relu) {
      #pragma GCC unroll 32
      for (int m = 0; m < MR; ++m)
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) acc[m][v] = acc[m][v] > vec{} ? acc[m][v] : vec{};
    }
    if (valid != NB) {
      store_partial_block<MR, NV>(acc, out, a.out_stride, valid);
      continue;
    }
    if (stream) {
      #pragma GCC unroll 32
      for (int m = 0; m < MR; ++m)
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) store_stream(out + m * a.out_stride + v * kVW, acc[m][v]);
      continue;
    }
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m)
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) store(out + m * a.out_stride + v * kVW, acc[m][v]);
  }
}

// Calls oc_tiles<size> for a run-time size in [1, MR].
template <int NV, int MR, int KW>
void oc_tiles_of_size(const OcRowArgs& a, int64_t size, int64_t ow0, int64_t tiles, int64_t block) {
  if constexpr (MR > 0) {
    if (size == MR) return oc_tiles<MR, NV, KW>(a, ow0, tiles, block);
    oc_tiles_of_size<NV, MR - 1, KW>(a, size, ow0, tiles, block);
  }
}

// Output positions per tile for NV vectors of output channels: as many accumulators as
// the register file holds beside the weights and the broadcast, 13 at most (each tile
// row needs a general register for its input offset; more spill them).
constexpr int oc_mr(int nv) { return VOXCONV_ACC / nv < 13 ? VOXCONV_ACC / nv : 13; }

// Tile height of the unit-step kernels: accumulators, KW weight vectors per channel
// vector and a broadcast fill the register file (32 vector registers with AVX-512, 16
// otherwise) but one; the input offsets are constants, so no general-register limit applies.
constexpr int kVectorRegisters = kVW >= 16 ? 32 : 16;
constexpr int oc_mr_unit_step(int nv, int kw) { return (kVectorRegisters - 2 - kw * nv) / nv; }

template <int NV, int MR, int KW>
void oc_row_tiles(const OcRowArgs& a) {
  // The fewest tiles that cover the row, of nearly equal sizes: a short tail tile would
  // run at FMA latency rather than throughput (e.g. 40 = 4 x 10, not 3 x 13 + 1).
  const int64_t tiles = (a.ow + MR - 1) / MR;
  const int64_t small = a.ow / tiles, large_count = a.ow % tiles;
  for (int64_t block = 0; block < a.blocks; ++block) {
    if (large_count > 0) oc_tiles_of_size<NV, MR, KW>(a, small + 1, 0, large_count, block);
    oc_tiles_of_size<NV, MR, KW>(a, small, large_count * (small + 1), tiles - large_count, block);
  }
  if (a.stream_out) stream_fence();  // streamed lines reach memory before the task ends
}

template <int NV>
void oc_row_nv(const OcRowArgs& a) {
  // Tiles under 6 positions would run at FMA latency: the general kernel does better.
  if constexpr (oc_mr_unit_step(NV, 3) >= 6)
    if (a.step == 1 && a.run == 3) return oc_row_tiles<NV, oc_mr_unit_step(NV, 3), 3>(a);
  if constexpr (oc_mr_unit_step(NV, 5) >= 6)
    if (a.step == 1 && a.run == 5) return oc_row_tiles<NV, oc_mr_unit_step(NV, 5), 5>(a);
  oc_row_tiles<NV, oc_mr(NV), 0>(a);
}

// ---- width-vectorized family (small channel counts) --------------------------------

constexpr int w_nv(int ocb) { return std::min(4, VOXCONV_ACC / ocb); }
constexpr int kMaxOcb = VOXCONV_ACC / 2;

template <int OCB>
void w_tile(const WRowArgs& a, int64_t ow0) {
  constexpr int NWV = w_nv(OCB);
  vec acc[OCB][NWV];
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o) {
    const vec b = splat(a.bias ? a.bias[a.oc_begin + o] : 0.0f);
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) acc[o][n] = b;
  }
  const int64_t icg = a.icg, kw = a.kw, ocg = a.ocg;
  for (int64_t t = 0; t < a.taps_dh; ++t) {
    const float* row = a.rows[t];
    if (row == nullptr) continue;
    for (int64_t k = 0; k < kw; ++k) {
      const int64_t off = k * a.dw;
      const float* base = row + ((off % a.sw) * a.in_ic + a.ic_offset) * a.phase_len + ow0 + off / a.sw;
      const float* w = a.weights + (t * kw + k) * icg * ocg + a.oc_begin;
      for (int64_t c = 0; c < icg; ++c) {
        vec xs[NWV];
        #pragma GCC unroll 32
        for (int n = 0; n < NWV; ++n) xs[n] = load(base + c * a.phase_len + n * kVW);
        #pragma GCC unroll 32
        for (int o = 0; o < OCB; ++o) {
          const vec wb = splat(w[c * ocg + o]);
          #pragma GCC unroll 32
          for (int n = 0; n < NWV; ++n) acc[o][n] += wb * xs[n];
        }
      }
    }
  }
  const int64_t valid = std::min<int64_t>(NWV * kVW, a.ow - ow0);
  float lanes[OCB][NWV * kVW];
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o)
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) store(lanes[o] + n * kVW, acc[o][n]);
  float* out = a.out + ow0 * a.out_stride + a.oc_begin;
  for (int64_t i = 0; i < valid; ++i)
    #pragma GCC unroll 32
    for (int o = 0; o < OCB; ++o) {
      const float r = lanes[o][i];
      out[i * a.out_stride + o] = a.relu && r < 0.0f ? 0.0f : r;
    }
}

template <int OCB>
void w_row_ocb(const WRowArgs& a) {
  constexpr int64_t tile = w_nv(OCB) * kVW;
  for (int64_t ow0 = 0; ow0 < a.ow; ow0 += tile) w_tile<OCB>(a, ow0);
}

template <int OCB>
void w_dispatch(const WRowArgs& a) {
  if constexpr (OCB > 0) {
    if (a.oc_count == OCB) return w_row_ocb<OCB>(a);
    w_dispatch<OCB - 1>(a);
  }
}

void w_row(const WRowArgs& a) { w_dispatch<kMaxOcb>(a); }

}  // namespace

const KernelTable& table() {
  static const KernelTable t{VOXCONV_ISA_NAME,
                             kVW,
                             {&oc_row_nv<1>, &oc_row_nv<2>, &oc_row_nv<3>, &oc_row_nv<4>},
                             {oc_mr(1), oc_mr(2), oc_mr(3), oc_mr(4)},
                             kMaxOcb,
                             w_nv(1),
                             &w_row};
  return t;
}

}  // namespace voxconv::engine::kernels::VOXCONV_ISA_NAMESPACE
