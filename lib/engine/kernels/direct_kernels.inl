// Direct Conv3D row kernels, written once with GCC vector extensions and compiled per
// ISA. The including file defines VOXCONV_VW (floats per vector), VOXCONV_ACC (accumulator
// budget: vector registers left for sums) and VOXCONV_ISA_NAMESPACE / VOXCONV_ISA_NAME. Needs -ffp-contract=fast so a*b+c is an FMA.
//
// Every output element is summed in one fixed order whatever tile it falls in: (kd, kh)
// row, then kw and input channel (the oc family's shared-broadcast kernel: input channel,
// then kw; the choice of kernel depends on the layer only), so results do not depend on
// how rows are scheduled.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
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
// All lanes x, spelled as an initializer list: `vec{} + x` would keep a real addition
// (0 + x is not x for x = -0.0) in the inner loop, on the FMA ports.
template <size_t... I>
inline vec splat_lanes(float x, std::index_sequence<I...>) {
  return vec{(static_cast<void>(I), x)...};
}
inline vec splat(float x) { return splat_lanes(x, std::make_index_sequence<kVW>{}); }

// ---- output-channel-vectorized family ----------------------------------------------

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

// Weight rows (one input channel's NV vectors) the oc kernels prefetch ahead of use.
constexpr int kWeightPrefetchRows = 24;
constexpr int64_t kL1WeightBytes = 8 << 10;

// Outputs are written once and usually not in cache: start fetching the lines of the
// tile after next, so that its stores do not wait for memory.
template <int MR, int NV>
inline void prefetch_tile_output(const OcRowArgs& a, int64_t ow0, int64_t block) {
  const float* ahead = a.out + (ow0 + 2 * MR) * a.out_stride + block * NV * kVW;
  #pragma GCC unroll 32
  for (int m = 0; m < MR; ++m)
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) __builtin_prefetch(ahead + m * a.out_stride + v * kVW, 1, 3);
}

template <int MR, int NV>
inline void init_tile(vec (&acc)[MR][NV], const float* bias) {
  #pragma GCC unroll 32
  for (int v = 0; v < NV; ++v) {
    const vec b = load(bias + v * kVW);
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m) acc[m][v] = b;
  }
}

// relu if asked, then the `valid` first columns of each tile row to out.
template <int MR, int NV>
inline void store_tile(vec (&acc)[MR][NV], const OcRowArgs& a, float* out, int64_t valid, bool stream) {
  if (a.relu) {
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m)
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[m][v] = acc[m][v] > vec{} ? acc[m][v] : vec{};
  }
  // In a local: each store (a memcpy) may alias `a`, and GCC reloaded a.out_stride after every one.
  const int64_t out_stride = a.out_stride;
  if (valid != NV * kVW) {  // the last block of a channel count that is not a multiple of it
    const ChannelStore partial(valid % kVW);  // for the one vector holding the last channels
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m)
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) {
        const int64_t lanes = valid - v * kVW;
        if (lanes >= kVW) store(out + m * out_stride + v * kVW, acc[m][v]);
        else if (lanes > 0) partial(out + m * out_stride + v * kVW, acc[m][v]);
      }
    return;
  }
  #pragma GCC unroll 32
  for (int m = 0; m < MR; ++m)
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) {
      if (stream) store_stream(out + m * out_stride + v * kVW, acc[m][v]);
      else store(out + m * out_stride + v * kVW, acc[m][v]);
    }
}

// Whether a row's non-temporal stores are possible: aligned full vectors.
inline bool can_stream(const OcRowArgs& a) {
  return a.stream_out && a.out_stride % kVW == 0 && reinterpret_cast<uintptr_t>(a.out) % (kVW * sizeof(float)) == 0;
}

// acc += the products of `count` channels of the tile's inputs x (positions `step`
// apart) with their weight rows w (NV vectors each).
template <int MR, int NV, int CH = 0>
__attribute__((always_inline)) inline void oc_channel_sums(vec (&acc)[MR][NV], const float* x, int64_t step,
                                                           const float* w, int64_t run, bool prefetch_weights) {
  constexpr int NB = NV * kVW;
  const int64_t count = CH > 0 ? CH : run;
  // Two channels per pass: half the loop exits per tap (AVX2 b, e +2-4%).
  #pragma GCC unroll 2
  for (int64_t c = 0; c < count; ++c) {
    vec wv[NV];
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) wv[v] = load(w + c * NB + v * kVW);
    // The weights stream from L2 (a block's taps outgrow L1): ask for them ahead,
    // across tap boundaries too, where the hardware prefetcher restarts (measured
    // +0..6% with AVX-512; with AVX2, whose tiles are shorter, the extra instructions cost more).
    if constexpr (kVW >= 16)
      if (prefetch_weights)
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

// The general kernel: `tiles` consecutive register tiles of MR output positions x NV
// vectors of channels, starting at ow0, in one call so that loop invariants stay in
// registers. Each input broadcast meets the NV weight vectors of one (kw, channel).
// ONE_RUN: the row's taps are one run of channels (pointwise layers): without the loops
// over taps and runs, GCC keeps the accumulators in registers from the bias to the store
// (with them, it spilled and reloaded all of them around the channel loop of every tile).
template <int MR, int NV, bool ONE_RUN, int CH = 0>
void oc_tiles(const OcRowArgs& a, int64_t ow0, int64_t tiles, int64_t block) {
  constexpr int NB = NV * kVW;
  const int64_t step = a.step;
  // A row's kw taps are one run of kw * channels floats when they are adjacent.
  const bool adjacent = a.kw_gap == a.channels;
  const int64_t runs = adjacent ? 1 : a.kw, run = adjacent ? a.kw * a.channels : a.channels;
  const float* wblock = a.packed + block * a.weight_rows * NB;
  const int64_t valid = block == a.blocks - 1 ? a.valid_last : NB;
  const bool stream = can_stream(a);
  // A block's weights that fit in L1 many times over (pointwise: 32 channels, 4 KB) stay there.
  [[maybe_unused]] const bool prefetch_weights = a.weight_rows * NB * static_cast<int64_t>(sizeof(float)) > kL1WeightBytes;
  for (int64_t tile = 0; tile < tiles; ++tile, ow0 += MR) {
    if (a.prefetch_out && !stream && tile + 2 < tiles) prefetch_tile_output<MR, NV>(a, ow0, block);
    if (a.prefetch_in && tile + 4 < tiles) {
      const float* ahead = a.taps[0].x + (ow0 + 4 * MR) * step;
      for (int64_t i = 0; i < MR * step; i += kLineFloats) __builtin_prefetch(ahead + i, 0, 3);
    }
    vec acc[MR][NV];
    init_tile<MR, NV>(acc, a.bias + block * NB);
    if constexpr (ONE_RUN) {
      if (a.prefetch_l2) a.prefetch_l2->issue();
      oc_channel_sums<MR, NV, CH>(acc, a.taps[0].x + ow0 * step, step, wblock + a.taps[0].w_row * NB, run,
                                  prefetch_weights);
    } else {
      for (int64_t j = 0; j < a.tap_count; ++j) {
        if (a.prefetch_l2) a.prefetch_l2->issue();
        for (int64_t r = 0; r < runs; ++r)
          oc_channel_sums<MR, NV>(acc, a.taps[j].x + r * a.kw_gap + ow0 * step, step,
                                  wblock + (a.taps[j].w_row + r * run) * NB, run, prefetch_weights);
      }
    }
    store_tile<MR, NV>(acc, a, a.out + ow0 * a.out_stride + block * NB, valid, stream);
  }
}

// The shared-broadcast kernel, for rows whose kw taps are DW input columns apart and
// whose outputs are SW columns apart (kw_gap * SW == DW * step). Input column i of the
// tile, channel c, is broadcast once and meets the weight vectors (held in registers) of
// every tap k of every output m with m * SW + k * DW == i: up to KW times fewer
// broadcasts than the general kernel, whose broadcasts cost FMA throughput (measured in
// cache, stride 1: 180 -> 205 GFLOP/s for 16-64 channels). ONE_CHANNEL: a single input
// channel, one float per column, so that the input offsets are constants.
template <int MR, int NV, int KW, int DW, int SW, bool ONE_CHANNEL, int CH = 0>
void oc_shared_tiles(const OcRowArgs& a, int64_t ow0, int64_t tiles, int64_t block) {
  constexpr int NB = NV * kVW;
  constexpr int kColumns = (MR - 1) * SW + (KW - 1) * DW + 1;
  // CH > 0: the channel count as a constant, for dense rows (a column holds just these channels).
  const int64_t channels = ONE_CHANNEL ? 1 : CH > 0 ? CH : a.channels;
  const int64_t column = ONE_CHANNEL || CH > 0 ? channels : a.step / SW;
  const float* wblock = a.packed + block * a.weight_rows * NB;
  const int64_t valid = block == a.blocks - 1 ? a.valid_last : NB;
  const bool stream = can_stream(a);
  for (int64_t tile = 0; tile < tiles; ++tile, ow0 += MR) {
    if (a.prefetch_out && !stream && tile + 2 < tiles) prefetch_tile_output<MR, NV>(a, ow0, block);
    vec acc[MR][NV];
    init_tile<MR, NV>(acc, a.bias + block * NB);
    for (int64_t j = 0; j < a.tap_count; ++j) {
      // (One-channel rows are short, and their tile uses every register.)
      if constexpr (!ONE_CHANNEL)
        if (a.prefetch_l2) a.prefetch_l2->issue();
      const float* xs = a.taps[j].x + ow0 * SW * column;
      // Opaque to the optimizer: otherwise GCC hoists (ow0 + i) * 4 for every i out of
      // the tap loop and spills them, instead of addressing xs + constant.
      asm("" : "+r"(xs));
      const float* w = wblock + a.taps[j].w_row * NB;
      // Two channels per pass: half the loop exits per tap, which cost a short row's taps
      // (16 channels: 16 passes of 66 FMAs) a few percent (b +2-4%, e +3-5%, c, d, f +0-2%).
      #pragma GCC unroll 2
      for (int64_t c = 0; c < channels; ++c) {
        vec wv[KW][NV];
        #pragma GCC unroll 32
        for (int k = 0; k < KW; ++k)
          #pragma GCC unroll 32
          for (int v = 0; v < NV; ++v) wv[k][v] = load(w + (k * channels + c) * NB + v * kVW);
        #pragma GCC unroll 64
        for (int i = 0; i < kColumns; ++i) {
          const vec xb = splat(xs[i * column + c]);
          #pragma GCC unroll 32
          for (int k = 0; k < KW; ++k) {
            const int m = (i - k * DW) / SW;
            if (i - k * DW >= 0 && (i - k * DW) % SW == 0 && m < MR)
              #pragma GCC unroll 32
              for (int v = 0; v < NV; ++v) acc[m][v] += xb * wv[k][v];
          }
        }
      }
    }
    store_tile<MR, NV>(acc, a, a.out + ow0 * a.out_stride + block * NB, valid, stream);
  }
}

// The two kernels as types, to pass to the tiling below.
struct OcGeneral {
  template <int MR, int NV>
  static void run(const OcRowArgs& a, int64_t ow0, int64_t tiles, int64_t block) {
    // Tall tiles only: the short ones of a row's tail are rare (fewer instantiations).
    if constexpr (MR >= 8)
      if (a.tap_count == 1 && (a.kw == 1 || a.kw_gap == a.channels)) {
        if (a.kw * a.channels == 32) return oc_tiles<MR, NV, true, 32>(a, ow0, tiles, block);
        return oc_tiles<MR, NV, true>(a, ow0, tiles, block);
      }
    oc_tiles<MR, NV, false>(a, ow0, tiles, block);
  }
};
template <int KW, int DW, int SW, bool ONE_CHANNEL, int CH = 0>
struct OcShared {
  template <int MR, int NV>
  static void run(const OcRowArgs& a, int64_t ow0, int64_t tiles, int64_t block) {
    oc_shared_tiles<MR, NV, KW, DW, SW, ONE_CHANNEL, CH>(a, ow0, tiles, block);
  }
};

// Calls Kernel's tiles of size MR for a run-time size in [1, MR].
template <int NV, int MR, typename Kernel>
void oc_tiles_of_size(const OcRowArgs& a, int64_t size, int64_t ow0, int64_t tiles, int64_t block) {
  if constexpr (MR > 0) {
    if (size == MR) return Kernel::template run<MR, NV>(a, ow0, tiles, block);
    oc_tiles_of_size<NV, MR - 1, Kernel>(a, size, ow0, tiles, block);
  }
}

// Output positions per tile for NV vectors of output channels: as many accumulators as
// the register file holds beside the weights and the broadcast, 13 at most (each tile
// row needs a general register for its input offset; more spill them).
constexpr int oc_mr(int nv) { return VOXCONV_ACC / nv < 13 ? VOXCONV_ACC / nv : 13; }

// Tile height of the shared-broadcast kernels: accumulators beside KW weight vectors per
// channel vector and a broadcast, with a few registers to spare (measured: NV = 2, KW = 3
// runs 11 positions at 205 GFLOP/s, 12 at 192).
constexpr int kVectorRegisters = kVW >= 16 ? 32 : 16;
constexpr int oc_mr_shared(int nv, int kw) { return (kVectorRegisters - 4 - kw * nv) / nv; }

template <int NV, int MR, typename Kernel>
void oc_row_tiles(const OcRowArgs& a) {
  // The fewest tiles that cover the row, of nearly equal sizes: a short tail tile would
  // run at FMA latency rather than throughput (e.g. 40 = 4 x 10, not 3 x 13 + 1).
  const int64_t tiles = (a.ow + MR - 1) / MR;
  const int64_t small = a.ow / tiles, large_count = a.ow % tiles;
  for (int64_t block = 0; block < a.blocks; ++block) {
    if (large_count > 0) oc_tiles_of_size<NV, MR, Kernel>(a, small + 1, 0, large_count, block);
    oc_tiles_of_size<NV, MR, Kernel>(a, small, large_count * (small + 1), tiles - large_count, block);
  }
}

// Whether the shared kernel for KW taps DW columns apart and outputs SW apart runs this
// row: its tiles must be tall enough (under 6 positions they would run at FMA latency).
template <int NV, int KW, int DW, int SW>
bool oc_shared_fits(const OcRowArgs& a) {
  return oc_mr_shared(NV, KW) >= 6 && a.kw == KW && a.kw_gap * SW == DW * a.step;
}

template <int NV, int KW, int DW, int SW>
void oc_row_shared(const OcRowArgs& a) {
  constexpr int MR = oc_mr_shared(NV, KW);
  if constexpr (MR >= 6) {
    // A tile reads MR + (KW - 1) * DW input columns (stride 2: 2 * MR + 1); with a run-time
    // channel count GCC spills their offsets from general registers: the common counts are
    // constants (interleaved medians: stride 2, 32 channels, 1 thread 133-139 -> 144-147
    // GFLOP/s; stride 1: b, c +2-3%, d +1-2%, f within noise).
    const bool dense = a.step == SW * a.channels;  // no groups: a column is this group's channels
    if (a.channels == 1 && a.step == SW) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, true>>(a);
    else if (dense && a.channels == 16) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 16>>(a);
    else if (dense && a.channels == 32) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 32>>(a);
    else if (dense && a.channels == 64) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 64>>(a);
    else oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false>>(a);
  }
}

// Calls f(KW, DW, SW) (integral constants) for the shared kernel that runs this row, if
// one does. Shared broadcasts pay while NV * KW weight vectors leave room for a tall tile.
template <int NV, typename F>
bool with_shared_kernel(const OcRowArgs& a, F&& f) {
  using std::integral_constant;
  if constexpr (NV <= 2) {
    if (oc_shared_fits<NV, 3, 1, 1>(a))
      return f(integral_constant<int, 3>{}, integral_constant<int, 1>{}, integral_constant<int, 1>{}), true;
    if (oc_shared_fits<NV, 3, 2, 1>(a))
      return f(integral_constant<int, 3>{}, integral_constant<int, 2>{}, integral_constant<int, 1>{}), true;
    if (oc_shared_fits<NV, 5, 1, 1>(a))
      return f(integral_constant<int, 5>{}, integral_constant<int, 1>{}, integral_constant<int, 1>{}), true;
    if (oc_shared_fits<NV, 3, 1, 2>(a))
      return f(integral_constant<int, 3>{}, integral_constant<int, 1>{}, integral_constant<int, 2>{}), true;
  }
  return false;
}

template <int NV>
void oc_row_nv(const OcRowArgs& a) {
  const bool shared = with_shared_kernel<NV>(a, [&](auto kw, auto dw, auto sw) {
    oc_row_shared<NV, decltype(kw)::value, decltype(dw)::value, decltype(sw)::value>(a);
  });
  if (!shared) oc_row_tiles<NV, oc_mr(NV), OcGeneral>(a);
}

// The tile height oc_row_nv<NV> uses for this row (the tiles are as equal as that allows).
template <int NV>
int oc_row_mr(const OcRowArgs& a) {
  int mr = oc_mr(NV);
  with_shared_kernel<NV>(a, [&](auto kw, auto, auto) { mr = oc_mr_shared(NV, decltype(kw)::value); });
  return mr;
}

// ---- width-vectorized family (small channel counts) --------------------------------

constexpr int w_nv(int ocb) { return std::min(4, VOXCONV_ACC / ocb); }
constexpr int kMaxOcb = VOXCONV_ACC / 2;

// Adds taps k_first .. k_end - 1 of every tap row to acc, for the NWV vectors of columns
// from x0 of each run.
template <int OCB, int NWV>
inline void w_sums(const WRowArgs& a, vec (&acc)[OCB][NWV], int64_t x0, int64_t k_first, int64_t k_end) {
  const int64_t icg = a.icg, kw = a.kw, ocg = a.ocg;
  for (int64_t t = 0; t < a.taps_dh; ++t) {
    if (a.prefetch_l2) a.prefetch_l2->issue();
    const float* row = a.rows[t];
    if (row == nullptr) continue;
    for (int64_t k = k_first; k < k_end; ++k) {
      const float* base = row + a.kw_offsets[k] + x0;
      const float* w = a.weights + (t * kw + k) * icg * ocg + a.oc_begin;
      // Two channels per pass, as in the oc family (i +2-3%, h unchanged).
      #pragma GCC unroll 2
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
}

template <int OCB, int NWV>
inline void w_init(vec (&acc)[OCB][NWV], const WRowArgs& a, bool with_bias) {
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o) {
    const vec b = splat(with_bias && a.bias ? a.bias[a.oc_begin + o] : 0.0f);
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) acc[o][n] = b;
  }
}

// One output column of the Winograd rows to out (relu if asked), from lane i of each
// channel's lanes (the direct rows' columns are stored in w_tile's own loop: through this
// helper GCC built each column in a vector register first, and h ran 10% slower; the
// Winograd rows' kernel runs the same either way).
template <int OCB, int LANES>
inline void w_store_column(const WRowArgs& a, const float (&lanes)[OCB][LANES], int64_t i, float* out) {
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o) {
    const float r = lanes[o][i];
    out[o] = a.relu && r < 0.0f ? 0.0f : r;
  }
}

// Direct sums: NWV vectors of output columns from ow0.
template <int OCB, int NWV>
void w_tile(const WRowArgs& a, int64_t ow0) {
  vec acc[OCB][NWV];
  w_init<OCB, NWV>(acc, a, true);
  w_sums<OCB, NWV>(a, acc, ow0, 0, a.kw);
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

// 1-D Winograd F(2, 3) along W (kw 3, stride 1 along W; Lavin & Gray 2016, as in
// winograd_kernels.inl): tile t pairs the outputs w0 = wino_w_first_output(t) and w0 + dw,
// whose inputs d0..d3 lie at w0 - pw + {0, 1, 2, 3} dw. Rows hold U = B^T d, made once per
// input row by w_wino_convert_row: row[(j * IC + c) * phase_len + t], so that the four U_j
// are the four "taps" of a tap row (kw_offsets[j]) and meet the transformed weights G g
// ([tap row * 4 + j][icg][ocg]). Per pass j, m_j = sum over tap rows and channels; then
// y0 = m0 + m1 + m2 and y1 = m1 - m2 - m3, the bias starting m1 (which both take once):
// 2 x 9 x 4 products per pair of outputs and channel pair on a 3x3x3 kernel instead of
// 2 x 27. Vectors run over NWV * kVW consecutive tiles from t0.
template <int OCB, int NWV>
void w_wino_tile(const WRowArgs& a, int64_t t0) {
  vec m[3][OCB][NWV];  // m0, m1, m2 (the last pass's m3 stays in registers)
  vec acc[OCB][NWV];
  for (int j = 0; j < 4; ++j) {
    w_init<OCB, NWV>(acc, a, j == 1);
    w_sums<OCB, NWV>(a, acc, t0, j, j + 1);
    if (j < 3) std::memcpy(m[j], acc, sizeof acc);
  }
  float lanes0[OCB][NWV * kVW], lanes1[OCB][NWV * kVW];
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o)
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) {
      store(lanes0[o] + n * kVW, m[0][o][n] + m[1][o][n] + m[2][o][n]);
      store(lanes1[o] + n * kVW, m[1][o][n] - m[2][o][n] - acc[o][n]);
    }
  const int64_t dw = a.wino_dw;
  int64_t group = wino_w_first_output(t0, dw) - t0 % dw, r = t0 % dw;  // w0 = group + r
  float* out = a.out + a.oc_begin;
  for (int64_t i = 0; i < NWV * kVW; ++i) {
    const int64_t w0 = group + r;
    if (w0 >= a.ow) break;  // tiles past the last (w0 grows with t)
    w_store_column<OCB>(a, lanes0, i, out + w0 * a.out_stride);
    if (w0 + dw < a.ow) w_store_column<OCB>(a, lanes1, i, out + (w0 + dw) * a.out_stride);
    if (++r == dw) r = 0, group += 2 * dw;
  }
}

// A tile of NWV vectors from x0 (output columns, or Winograd tiles).
template <int OCB, int NWV, bool WINO>
inline void w_any_tile(const WRowArgs& a, int64_t x0) {
  if constexpr (WINO) w_wino_tile<OCB, NWV>(a, x0);
  else w_tile<OCB, NWV>(a, x0);
}

// The row's last, narrower tile: NWV vectors for the `rest` columns left.
template <int OCB, int NWV, bool WINO>
void w_tail_tile(const WRowArgs& a, int64_t x0, int64_t rest) {
  if constexpr (NWV > 1)
    if ((NWV - 1) * kVW >= rest) return w_tail_tile<OCB, NWV - 1, WINO>(a, x0, rest);
  w_any_tile<OCB, NWV, WINO>(a, x0);
}

template <int OCB, bool WINO>
void w_row_ocb(const WRowArgs& a) {
  constexpr int NWV = w_nv(OCB);
  const int64_t extent = WINO ? a.phase_len : a.ow;  // tiles in whole vectors (wino_w_run_len), or columns
  int64_t x0 = 0;
  for (; x0 + NWV * kVW <= extent; x0 += NWV * kVW) w_any_tile<OCB, NWV, WINO>(a, x0);
  if (x0 < extent) w_tail_tile<OCB, NWV, WINO>(a, x0, extent - x0);
}

template <int OCB, bool WINO>
void w_dispatch(const WRowArgs& a) {
  if constexpr (OCB > 0) {
    if (a.oc_count == OCB) return w_row_ocb<OCB, WINO>(a);
    w_dispatch<OCB - 1, WINO>(a);
  }
}

void w_row(const WRowArgs& a) { w_dispatch<kMaxOcb, false>(a); }
void w_wino_row(const WRowArgs& a) { w_dispatch<kMaxOcb, true>(a); }

// Vectors of input columns j, j + 1, ... of one channel, `stride` floats apart, gathered
// (measured on 5 channels: the scalar de-interleave had cost a quarter of the kernel's time).
inline vec gather_columns(const float* x, int64_t stride) {
#if VOXCONV_VW == 16
  const __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(stride)));
  // The masked form: GCC 12 warns that the plain one reads an uninitialized register.
  const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF, index, x, sizeof(float));
  return reinterpret_cast<const vec&>(v);
#elif VOXCONV_VW == 8
  const __m256i index =
      _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
  const __m256 v = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, index, _mm256_castsi256_ps(_mm256_set1_epi32(-1)),
                                            sizeof(float));
  return reinterpret_cast<const vec&>(v);
#else
  vec v;
  for (int i = 0; i < kVW; ++i) v[i] = x[i * stride];
  return v;
#endif
}

void w_convert_row(const float* in_row, int64_t iw, int64_t ic, int64_t sw, int64_t pw, int64_t phase_len,
                   float* buf) {
  const int64_t stride = sw * ic;  // floats between the columns of one phase
  // Gather indices are 32-bit.
  const bool gather = stride * (kVW - 1) <= static_cast<int64_t>(INT32_MAX);
  for (int64_t phase = 0; phase < sw; ++phase) {
    // Columns j in [lo, hi) hold input; the rest are padding.
    const int64_t first = pw > phase ? (pw - phase + sw - 1) / sw : 0;
    const int64_t last = iw - 1 + pw - phase;  // the largest j * sw with W in range
    const int64_t lo = std::min(first, phase_len);
    const int64_t hi = std::max(lo, std::min(phase_len, last < 0 ? 0 : last / sw + 1));
    const float* x = in_row + (lo * sw + phase - pw) * ic;  // column lo, channel 0
    for (int64_t c = 0; c < ic; ++c) {
      float* run = buf + (phase * ic + c) * phase_len;
      std::fill(run, run + lo, 0.0f);
      int64_t j = lo;
      if (gather)
        for (; j + kVW <= hi; j += kVW) store(run + j, gather_columns(x + (j - lo) * stride + c, stride));
      for (; j < hi; ++j) run[j] = x[(j - lo) * stride + c];
      std::fill(run + hi, run + phase_len, 0.0f);
    }
  }
}

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

template <int DW>
void wino_w_transform_run(const float* p, int64_t dw, int64_t run_len, float* u, int64_t js) {
  for (int64_t t0 = 0; t0 < run_len; t0 += kVW) {
    const float* x = p + wino_w_first_output(t0, dw);
    const vec d0 = wino_w_inputs<DW>(x), d1 = wino_w_inputs<DW>(x + dw), d2 = wino_w_inputs<DW>(x + 2 * dw),
              d3 = wino_w_inputs<DW>(x + 3 * dw);
    store(u + t0, d0 - d2);
    store(u + js + t0, d1 + d2);
    store(u + 2 * js + t0, d2 - d1);
    store(u + 3 * js + t0, d1 - d3);
  }
}

// U = B^T d of w_wino_tile's tiles, from the row made planar and padded first (`planar`:
// wino_w_planar_len floats per channel), a vector of tiles at a time where
// wino_w_vector_conversion holds, else tile by tile.
void w_wino_convert_row(const float* in_row, int64_t iw, int64_t ic, int64_t pw, int64_t dw, int64_t run_len,
                        float* planar, float* buf) {
  const int64_t pl = wino_w_planar_len(kVW, run_len, dw);
  w_convert_row(in_row, iw, ic, 1, pw, pl, planar);
  const int64_t js = ic * run_len;  // floats between U_j and U_j+1
  for (int64_t c = 0; c < ic; ++c) {
    const float* p = planar + c * pl;
    float* u = buf + c * run_len;
    if (dw % kVW == 0) wino_w_transform_run<0>(p, dw, run_len, u, js);
    else if (dw == 1) wino_w_transform_run<1>(p, dw, run_len, u, js);
    else if (dw == 2) wino_w_transform_run<2>(p, dw, run_len, u, js);
    else if (dw == 4) wino_w_transform_run<4>(p, dw, run_len, u, js);  // (kVW 4 takes the first branch)
    else if (dw == 8) wino_w_transform_run<8>(p, dw, run_len, u, js);
    else
      for (int64_t t = 0; t < run_len; ++t) {
        const float* x = p + wino_w_first_output(t, dw);
        const float d0 = x[0], d1 = x[dw], d2 = x[2 * dw], d3 = x[3 * dw];
        u[t] = d0 - d2, u[js + t] = d1 + d2, u[2 * js + t] = d2 - d1, u[3 * js + t] = d1 - d3;
      }
  }
}

#include "engine/kernels/winograd_kernels.inl"

}  // namespace

const KernelTable& table() {
  static const KernelTable t{VOXCONV_ISA_NAME,
                             kVW,
                             {&oc_row_nv<1>, &oc_row_nv<2>, &oc_row_nv<3>, &oc_row_nv<4>},
                             {&oc_row_mr<1>, &oc_row_mr<2>, &oc_row_mr<3>, &oc_row_mr<4>},
                             kMaxOcb,
                             w_nv(1),
                             &w_row,
                             &w_convert_row,
                             &w_wino_row,
                             &w_wino_convert_row,
                             VOXCONV_ACC,
                             &wino_row};
  return t;
}

}  // namespace voxconv::engine::kernels::VOXCONV_ISA_NAMESPACE
