// The output-channel-vectorized family for one ISA (see kernel_simd.inl): a row's outputs
// as register tiles of output positions x vectors of output channels. Each output sums the
// (kd, kh) rows in order; within a row, kw then channel in the general kernel, channel
// then kw in the shared-broadcast one (stride 1 along W).
#include "engine/kernels/kernel_simd.inl"

namespace voxconv::engine::kernels::VOXCONV_ISA {

namespace {

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

// Calls Kernel's tiles of size MR for a run-time size in [LOW, MR].
template <int NV, int MR, typename Kernel, int LOW = 1>
void oc_tiles_of_size(const OcRowArgs& a, int64_t size, int64_t ow0, int64_t tiles, int64_t block) {
  if constexpr (MR >= LOW && MR >= 1) {
    if (size == MR) return Kernel::template run<MR, NV>(a, ow0, tiles, block);
    oc_tiles_of_size<NV, MR - 1, Kernel, LOW>(a, size, ow0, tiles, block);
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

// The fewest tiles that cover the row, of nearly equal sizes: a short tail tile would run
// at FMA latency rather than throughput (e.g. 40 = 4 x 10, not 3 x 13 + 1). Rows at least
// MR wide have tiles of MR / 2 to MR positions.
inline int64_t oc_row_tile_count(int64_t ow, int mr) { return (ow + mr - 1) / mr; }

// LOW: the smallest tile size instantiated (rows at least MR wide need only MR / 2).
// `positions`: output positions of the row (Winograd rows: pairs of outputs).
template <int NV, int MR, typename Kernel, int LOW = 1>
void oc_row_tiles(const OcRowArgs& a, int64_t positions) {
  const int64_t tiles = oc_row_tile_count(positions, MR);
  const int64_t small = positions / tiles, large_count = positions % tiles;
  for (int64_t block = 0; block < a.blocks; ++block) {
    if (large_count > 0) oc_tiles_of_size<NV, MR, Kernel, LOW>(a, small + 1, 0, large_count, block);
    oc_tiles_of_size<NV, MR, Kernel, LOW>(a, small, large_count * (small + 1), tiles - large_count, block);
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
    // Narrower rows (few, short) take the run-time count: the constant-count kernels are
    // instantiated for tiles of MR / 2 to MR positions only (compile time: all sizes took
    // GCC a minute on the AVX-512 build). The sums are the same either way.
    constexpr int LOW = MR / 2;
    const bool dense = a.step == SW * a.channels;  // no groups: a column is this group's channels
    if (a.ow < MR) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false>>(a, a.ow);
    else if (a.channels == 1 && a.step == SW) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, true>, LOW>(a, a.ow);
    else if (dense && a.channels == 16) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 16>, LOW>(a, a.ow);
    else if (dense && a.channels == 32) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 32>, LOW>(a, a.ow);
    else if (dense && a.channels == 64) oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false, 64>, LOW>(a, a.ow);
    else oc_row_tiles<NV, MR, OcShared<KW, DW, SW, false>>(a, a.ow);
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
  if (!shared) oc_row_tiles<NV, oc_mr(NV), OcGeneral>(a, a.ow);
}

// The tile height oc_row_nv<NV> uses for this row (the tiles are as equal as that allows).
template <int NV>
int oc_row_mr(const OcRowArgs& a) {
  int mr = oc_mr(NV);
  with_shared_kernel<NV>(a, [&](auto kw, auto, auto) { mr = oc_mr_shared(NV, decltype(kw)::value); });
  return mr;
}

// ---- 1-D Winograd rows along W ------------------------------------------------------

// F(2, 3) along W (kw 3, stride 1 along W; Lavin & Gray 2016, as in winograd_family.cpp):
// tile t pairs the outputs o = wino_w_first_output(t, dw) and o + dw, whose inputs d0..d3
// lie at o - pw + {0, 1, 2, 3} dw. oc_wino_convert_row makes each input row's U = B^T d
// once: x[(t * 4 + j) * ic + c], so that a row of tiles reads like a direct row of kw 4
// (the U_j, kw_gap ic apart; tiles step = 4 ic apart) whose taps j sum into their own
// accumulators M_j, meeting the transformed weights G g (weight rows ((kd, kh) * 4 + j) *
// icg + c). Then y0 = M0 + M1 + M2 and y1 = M1 - M2 - M3, the bias starting M1: 4 instead
// of 6 products per pair of outputs, kernel row, channel and output channel.
// Each M_j sums the (kd, kh) rows in order, channels in order within a row.

constexpr int oc_mr_wino(int nv) { return oc_wino_tile_pairs(VOXCONV_ACC, nv); }

template <int MR, int NV, int CH = 0>
void oc_wino_tiles(const OcRowArgs& a, int64_t t0, int64_t tiles, int64_t block) {
  constexpr int NB = NV * kVW;
  // CH > 0: rows of exactly CH channels (one group), whose offsets are then constants.
  const int64_t channels = CH > 0 ? CH : a.channels;
  const int64_t gap = CH > 0 ? CH : a.kw_gap, step = CH > 0 ? 4 * CH : a.step;
  const float* wblock = a.packed + block * a.weight_rows * NB;
  const int64_t valid = block == a.blocks - 1 ? a.valid_last : NB;
  const bool stream = can_stream(a);
  [[maybe_unused]] const bool prefetch_weights = a.weight_rows * NB * static_cast<int64_t>(sizeof(float)) > kL1WeightBytes;
  const int64_t dw = a.wino_dw;
  for (int64_t tile = 0; tile < tiles; ++tile, t0 += MR) {
    vec acc[4][MR][NV];
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m)
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[0][m][v] = acc[2][m][v] = acc[3][m][v] = vec{};
    init_tile<MR, NV>(acc[1], a.bias + block * NB);
    for (int64_t r = 0; r < a.tap_count; ++r) {
      if (a.prefetch_l2) a.prefetch_l2->issue();
      const float* x = a.taps[r].x + t0 * step;
      asm("" : "+r"(x));  // constant offsets from x, not hoisted and spilled ones (see oc_shared_tiles)
      const float* w = wblock + a.taps[r].w_row * NB;
      #pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
        oc_channel_sums<MR, NV, CH>(acc[j], x + j * gap, step, w + j * channels * NB, channels, prefetch_weights);
    }
    // y0 to acc[0], y1 to acc[1].
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m)
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) {
        const vec m1 = acc[1][m][v], m2 = acc[2][m][v];
        acc[0][m][v] += m1 + m2;
        acc[1][m][v] = m1 - m2 - acc[3][m][v];
      }
    float* out = a.out + block * NB;
    if (dw == 1 && 2 * (t0 + MR) <= a.ow) {  // outputs 2 t0 .. 2 (t0 + MR) - 1, all in the row
      vec y[2 * MR][NV];
      #pragma GCC unroll 32
      for (int m = 0; m < MR; ++m)
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) y[2 * m][v] = acc[0][m][v], y[2 * m + 1][v] = acc[1][m][v];
      store_tile<2 * MR, NV>(y, a, out + 2 * t0 * a.out_stride, valid, stream);
      continue;
    }
    #pragma GCC unroll 32
    for (int m = 0; m < MR; ++m) {
      const int64_t o = wino_w_first_output(t0 + m, dw);
      vec y0[1][NV], y1[1][NV];
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) y0[0][v] = acc[0][m][v], y1[0][v] = acc[1][m][v];
      if (o < a.ow) store_tile<1, NV>(y0, a, out + o * a.out_stride, valid, stream);
      if (o + dw < a.ow) store_tile<1, NV>(y1, a, out + (o + dw) * a.out_stride, valid, stream);
    }
  }
}

template <int CH>
struct OcWino {
  template <int MR, int NV>
  static void run(const OcRowArgs& a, int64_t t0, int64_t tiles, int64_t block) {
    oc_wino_tiles<MR, NV, CH>(a, t0, tiles, block);
  }
};

template <int NV>
void oc_wino_row_nv(const OcRowArgs& a) {
  constexpr int MR = oc_mr_wino(NV);
  if constexpr (MR >= 1) {
    constexpr int LOW = MR / 2;  // (see oc_row_shared)
    const int64_t tiles = wino_w_tiles(a.ow, a.wino_dw);
    const bool dense = a.step == 4 * a.channels;  // one group
    if (tiles < MR) oc_row_tiles<NV, MR, OcWino<0>>(a, tiles);
    else if (dense && a.channels == 1) oc_row_tiles<NV, MR, OcWino<1>, LOW>(a, tiles);
    else if (dense && a.channels == 16) oc_row_tiles<NV, MR, OcWino<16>, LOW>(a, tiles);
    else if (dense && a.channels == 32) oc_row_tiles<NV, MR, OcWino<32>, LOW>(a, tiles);
    else if (dense && a.channels == 64) oc_row_tiles<NV, MR, OcWino<64>, LOW>(a, tiles);
    else oc_row_tiles<NV, MR, OcWino<0>>(a, tiles);
  }
}

// Lanes of a, b (b's from kVW on) that interleave units of WIDTH lanes from half HALF of each:
// a's first unit, b's first unit, a's second, ...
template <int HALF, int WIDTH, size_t... I>
inline vec zip_units(vec a, vec b, std::index_sequence<I...>) {
  return __builtin_shufflevector(
      a, b, static_cast<int>((I / WIDTH % 2) * kVW + HALF * kVW / 2 + I / WIDTH / 2 * WIDTH + I % WIDTH)...);
}
template <int HALF, int WIDTH>
inline vec zip_units(vec a, vec b) {
  return zip_units<HALF, WIDTH>(a, b, std::make_index_sequence<kVW>{});
}

// One-channel rows, dilation 1: U of the kVW / 4 tiles whose inputs start at lane 0 of x, in
// buf's order (tile, j): U = A + S B with A = (d0, d1, d2, d1), B = (d2, d2, d1, d3) and
// S = (-1, 1, -1, -1) per tile: two permutes and an FMA per vector of output (S B is exact,
// so A + S B rounds as A - B does).
template <size_t... L>
inline vec one_channel_tiles(vec x, std::index_sequence<L...>) {
  const vec a = __builtin_shufflevector(x, x, static_cast<int>(L / 4 * 2 + (L % 4 == 3 ? 1 : L % 4))...);
  const vec b = __builtin_shufflevector(x, x, static_cast<int>(L / 4 * 2 + (L % 4 < 2 ? 2 : L % 4 == 2 ? 1 : 3))...);
  const vec sign{(L % 4 == 1 ? 1.0f : -1.0f)...};
  return a + sign * b;
}

// One-channel rows: buf[t * 4 + j]. Dilation 1 reads the row in place (one load per kVW / 4
// tiles; a first layer's conversions through a padded copy and the transpose of four runs
// below took 18% of its time); other dilations make U_j of kVW tiles at a time
// (wino_w_transform_vectors) from the row padded into `planar` (wino_w_planar_len floats),
// then interleave them. Returns false for dilations without a vector path. (Tile by tile,
// the conversion of a first layer's rows took 28% of its time.)
bool oc_wino_convert_one_channel(const float* in_row, int64_t iw, int64_t pw, int64_t dw, int64_t tiles,
                                 float* planar, float* buf) {
  if (dw == 1) {
    constexpr int64_t kTiles = kVW / 4;  // per vector of output
    for (int64_t t0 = 0; t0 < tiles; t0 += kTiles) {
      const int64_t first = 2 * t0 - pw;  // the input column of lane 0
      float lanes[kVW];
      const float* x = lanes;
      if (first >= 0 && first + kVW <= iw) x = in_row + first;
      else  // near the row's ends: through zero padding
        for (int64_t i = 0; i < kVW; ++i) lanes[i] = first + i >= 0 && first + i < iw ? in_row[first + i] : 0.0f;
      const vec u = one_channel_tiles(load(x), std::make_index_sequence<kVW>{});
      if (t0 + kTiles <= tiles) {
        store(buf + 4 * t0, u);
      } else {
        store(lanes, u);
        std::memcpy(buf + 4 * t0, lanes, static_cast<size_t>(4 * (tiles - t0)) * sizeof(float));
      }
    }
    return true;
  }
  const int64_t run_len = (tiles + kVW - 1) / kVW * kVW, pl = wino_w_planar_len(kVW, run_len, dw);
  const int64_t lo = std::min(pw, pl), hi = std::clamp(pw + iw, lo, pl);
  std::fill(planar, planar + lo, 0.0f);
  std::memcpy(planar + lo, in_row + (lo - pw), static_cast<size_t>(hi - lo) * sizeof(float));
  std::fill(planar + hi, planar + pl, 0.0f);
  return wino_w_transform_vectors(planar, dw, run_len, [&](int64_t t0, vec u0, vec u1, vec u2, vec u3) {
    const vec p0 = zip_units<0, 1>(u0, u1), p1 = zip_units<1, 1>(u0, u1);  // U0 U1 of each tile
    const vec q0 = zip_units<0, 1>(u2, u3), q1 = zip_units<1, 1>(u2, u3);  // U2 U3
    const vec v[4] = {zip_units<0, 2>(p0, q0), zip_units<1, 2>(p0, q0), zip_units<0, 2>(p1, q1),
                      zip_units<1, 2>(p1, q1)};
    if (t0 + kVW <= tiles) {
      for (int k = 0; k < 4; ++k) store(buf + 4 * t0 + k * kVW, v[k]);
    } else {
      float lanes[4 * kVW];
      for (int k = 0; k < 4; ++k) store(lanes + k * kVW, v[k]);
      std::memcpy(buf + 4 * t0, lanes, static_cast<size_t>(4 * (tiles - t0)) * sizeof(float));
    }
  });
}

// One input row (iw columns of ic channels) to U = B^T d of the tiles t < tiles:
// buf[(t * 4 + j) * ic + c], zero padding outside the row (pw columns before it).
void oc_wino_convert_row(const float* in_row, int64_t iw, int64_t ic, int64_t pw, int64_t dw, int64_t tiles,
                         float* planar, float* buf) {
  if (ic == 1 && oc_wino_convert_one_channel(in_row, iw, pw, dw, tiles, planar, buf)) return;
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t w0 = wino_w_first_output(t, dw) - pw;
    float* u = buf + t * 4 * ic;
    if (w0 >= 0 && w0 + 3 * dw < iw) {
      const float* d0 = in_row + w0 * ic;
      const float *d1 = d0 + dw * ic, *d2 = d1 + dw * ic, *d3 = d2 + dw * ic;
      int64_t c = 0;
      for (; c + kVW <= ic; c += kVW) wino_w_store_u(u + c, ic, load(d0 + c), load(d1 + c), load(d2 + c), load(d3 + c));
      for (; c < ic; ++c) wino_w_store_u(u + c, ic, d0[c], d1[c], d2[c], d3[c]);
    } else {  // a tile reaching into the padding
      const auto at = [&](int64_t k, int64_t c) {
        const int64_t col = w0 + k * dw;
        return col >= 0 && col < iw ? in_row[col * ic + c] : 0.0f;
      };
      for (int64_t c = 0; c < ic; ++c) wino_w_store_u(u + c, ic, at(0, c), at(1, c), at(2, c), at(3, c));
    }
  }
}

}  // namespace

void add_oc_family(KernelTable& t) {
  t.oc_row[0] = &oc_row_nv<1>, t.oc_row[1] = &oc_row_nv<2>, t.oc_row[2] = &oc_row_nv<3>, t.oc_row[3] = &oc_row_nv<4>;
  t.oc_row_mr[0] = &oc_row_mr<1>, t.oc_row_mr[1] = &oc_row_mr<2>, t.oc_row_mr[2] = &oc_row_mr<3>,
  t.oc_row_mr[3] = &oc_row_mr<4>;
  t.oc_wino_row[0] = oc_mr_wino(1) >= 1 ? &oc_wino_row_nv<1> : nullptr;
  t.oc_wino_row[1] = oc_mr_wino(2) >= 1 ? &oc_wino_row_nv<2> : nullptr;
  t.oc_wino_row[2] = oc_mr_wino(3) >= 1 ? &oc_wino_row_nv<3> : nullptr;
  t.oc_wino_row[3] = oc_mr_wino(4) >= 1 ? &oc_wino_row_nv<4> : nullptr;
  t.oc_wino_convert_row = &oc_wino_convert_row;
}

}  // namespace voxconv::engine::kernels::VOXCONV_ISA
