#pragma once
// Interface between the fast engine (conv3d_fast.cpp) and its per-ISA kernel builds.
// Each ISA compiles the kernel families (kernel_simd.inl) with its own vector width and
// flags and exposes one KernelTable; the engine picks a table at run time.
#include <algorithm>
#include <cstdint>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace voxconv::engine::kernels {

// Calls f(begin, count) for `chunks` consecutive chunks of [0, total) whose sizes differ
// by at most one (the smaller first): output channels split into register-sized chunks.
template <typename F>
void for_each_balanced_chunk(int64_t total, int64_t chunks, F f) {
  for (int64_t chunk = 0, begin = 0; chunk < chunks; ++chunk) {
    const int64_t count = (total - begin) / (chunks - chunk);
    f(begin, count);
    begin += count;
  }
}

// Makes the non-temporal stores (OcRowArgs::stream_out) issued so far globally visible
// before the stores that follow, such as the thread pool's end of task. Called once per
// task, not per row: the fence waits for the write-combining buffers to drain, and after
// each row of a first layer (128 outputs) it took 6% of the run.
inline void stream_fence() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#endif
}

// One (kd, kh) row of taps: the inputs of its kw taps for output position 0 start at
// x + k * kw_gap (position p adds p * step), each `channels` floats long, and meet weight
// rows w_row + k * channels + c.
struct OcTap {
  const float* x;
  int64_t w_row;
};

// Input rows that the next output row will copy, fetched into L2 a few lines at a time
// while this row computes (a row's first copy otherwise waits for memory: 13% of a
// strided layer's time). The kernels call issue() once per tap of each tile.
struct L2PrefetchQueue {
  static constexpr int kMaxRows = 32;
  const char* rows[kMaxRows];
  int count = 0;
  int64_t row_lines = 0;   // 64-byte lines per row
  int64_t per_issue = 0;   // lines per issue()
  int row = 0;             // where issue() goes on
  int64_t line = 0;
  // Starts over on the rows listed, `lines` lines each, spread over `issues` calls of issue().
  void spread(int64_t lines, int64_t issues) {
    row_lines = lines;
    per_issue = (count * lines + issues - 1) / issues;
    row = 0;
    line = 0;
  }
  void issue() {
    for (int64_t i = 0; i < per_issue && row < count; ++i) {
      __builtin_prefetch(rows[row] + line * 64, 0, 2);
      if (++line == row_lines) line = 0, ++row;
    }
  }
};

// One output row (n, od, oh) of one group, computed by the output-channel-vectorized
// family: out[ow][oc] for all ow. Rows that fall in the zero padding are left out of
// `taps`. Each output sums the rows in order; within a row, kw then channel in the
// general kernel, channel then kw in the shared-broadcast one (stride 1 along W).
struct OcRowArgs {
  const OcTap* taps;
  int64_t tap_count;
  int64_t channels;          // input channels per kw tap (icg)
  int64_t kw;                // kw taps per row
  int64_t kw_gap;            // floats between consecutive kw taps' inputs (dw * in_ic)
  int64_t step;              // floats between consecutive output positions in the input (sw * in_ic)
  const float* packed;       // [block][weight row = ((kd,kh,kw), c)][VW*nv], zero-padded columns
  int64_t weight_rows;       // rows per block (KD*KH*KW*icg)
  const float* bias;         // [block][VW*nv] (zeros when the layer has no bias)
  int64_t blocks;            // output-channel blocks of VW*nv columns (nv: the kernel's)
  int64_t valid_last;        // valid columns in the last block
  float* out;                // dst at (n, od, oh, ow=0, oc_begin)
  int64_t out_stride;        // floats between consecutive ow in dst (OC)
  int64_t ow;                // output width
  bool relu;                 // fuse max(x, 0) into the store
  // Prefetch output lines ahead of the stores: pays off on short rows, where the hardware
  // prefetcher has no time to detect the stream; costs on long flat ones (pointwise).
  bool prefetch_out;
  // Prefetch the inputs of the tile after next (first tap): for long flat rows read once
  // from memory (pointwise), where each tile's broadcasts would otherwise miss in turn.
  bool prefetch_in;
  // Write full, aligned output vectors with non-temporal stores: for outputs far larger
  // than the caches, which would otherwise read every line before overwriting it. The
  // caller ends each task with stream_fence().
  bool stream_out;
  L2PrefetchQueue* prefetch_l2;  // or nullptr
  // oc_wino_row only: the dilation along W. Taps then point at oc_wino_convert_row's rows
  // (kw_gap: ic, step: 4 ic) and weight rows ((kd, kh) * 4 + j) * icg; ow is the output width.
  int64_t wino_dw;
};

// Tile pairs per register tile of the oc family's Winograd rows: four accumulator sets
// of nv vectors each (0: none for this nv).
constexpr int oc_wino_tile_pairs(int accumulators, int nv) { return accumulators / (4 * nv); }

// The width-vectorized family for small channel counts: rows are planar and split by
// W phase: row[(phase * IC + ic) * phase_len + j] = padded input at W = j*sw + phase.
struct WRowArgs {
  const float* const* rows;  // KD*KH planar rows; nullptr = all zero
  int64_t taps_dh;
  int64_t kw;
  // [kw]: where tap k's first channel of this group starts in a row, relative to output 0
  // (computed once per run: a division per tap per tile cost more than the tap's FMAs).
  const int64_t* kw_offsets;
  int64_t phase_len;         // floats per (phase, channel) run, >= ow + (kw-1)*dw/sw + one vector tile
  int64_t icg;
  const float* weights;      // [tap][icg][ocg] for this group (Keras order within the group)
  int64_t ocg;               // output channels of the group (row length of weights)
  int64_t oc_begin, oc_count;  // which of them this call computes (oc_count <= kMaxOcBlock)
  const float* bias;         // [ocg] of this group, or nullptr
  float* out;                // dst at (n, od, oh, ow=0, group's first oc)
  int64_t out_stride;        // OC
  int64_t ow;
  bool relu;
  // Rows the caller reads next, fetched into L2 a few lines per tap row, or nullptr.
  L2PrefetchQueue* prefetch_l2;
  // w_wino_row only: the dilation along W. Rows then hold w_wino_convert_row's runs
  // (phase_len: wino_w_run_len), kw is 4 (the transformed taps) and ow the output width.
  int64_t wino_dw;
};

// The Winograd family (3x3x3, stride 1, one group): one pair of output rows along D
// times one along H (a 2x2 block of rows, each pair dilation apart), the whole width.
// rows[dz * 4 + hy] are the tile's input rows, converted by w_convert_row with W phase
// period 2 * dw (all-zero rows for padding); out[zd * 2 + zh] the output rows at ow = 0,
// or nullptr where a row lies outside the output (its sums are computed, not stored).
struct WinoRowArgs {
  const float* const* rows;
  int64_t phase_len;         // >= tiles of W class 0, rounded up to nt vectors, + 1
  int64_t ic;
  int64_t dw;                // dilation along W
  const float* u;            // transformed weights [64 positions][ic][oc]
  int64_t oc;
  int64_t oc_chunks;         // output channels are computed in this many near-equal chunks (<= max_oc_block each)
  const float* bias;         // [oc] or nullptr
  float* const* out;         // [4]
  int64_t out_stride;        // OC
  int64_t ow;
  int64_t nt;                // tile vectors per pass, 1..4 (at most the accumulator budget / chunk size)
  float* scratch;            // nt * (16 * (ic + max_oc_block) + 8 * oc) vectors, vector-aligned
  bool relu;
  // Rows the next call will read and write, fetched a few lines per transformed position
  // of the products (issue() once per position and output-channel chunk), or nullptr.
  L2PrefetchQueue* prefetch_l2;
};

constexpr int kMaxOcNv = 4;

struct KernelTable {
  const char* isa;    // "avx512", "avx2", "generic"
  int vector_width;   // floats per vector
  // oc family, by vectors per output-channel block (index nv - 1): the row kernel and the
  // output positions per register tile it uses for a row of this shape (kw, kw_gap, step).
  void (*oc_row[kMaxOcNv])(const OcRowArgs&);
  int (*oc_row_mr[kMaxOcNv])(const OcRowArgs&);
  // Its rows as 1-D Winograd F(2, 3) tiles along W (kw 3, stride 1 along W), by nv as above
  // (nullptr where oc_wino_tile_pairs is 0), and the conversion of one input row (iw columns
  // of ic channels, pw columns of padding before it) to U = B^T d of its first `tiles`
  // tiles: buf[(t * 4 + j) * ic + c]. One-channel rows go through `planar` scratch
  // (wino_w_planar_len(vector_width, wino_w_run_len(...), dw) floats).
  void (*oc_wino_row[kMaxOcNv])(const OcRowArgs&);
  void (*oc_wino_convert_row)(const float* in_row, int64_t iw, int64_t ic, int64_t pw, int64_t dw, int64_t tiles,
                              float* planar, float* buf);
  int max_oc_block;   // largest oc_count of the w family
  int w_nv;           // vectors per W tile of the w family (for padding the row buffers)
  void (*w_row)(const WRowArgs&);
  // One input row, channels interleaved (W, IC), to the w family's planar runs split by
  // W phase: buf[(phase * ic + c) * phase_len + j] = input at W = j * sw + phase - pw,
  // zero outside the row; with vector gathers where `gather` (gathers_pay()), else scalar
  // loads.
  void (*w_convert_row)(const float* in_row, int64_t iw, int64_t ic, int64_t sw, int64_t pw, int64_t phase_len,
                        bool gather, float* buf);
  // The w family's rows as 1-D Winograd F(2, 3) tiles along W (kw 3, stride 1 along W):
  // the row kernel, and the conversion of one input row to its runs of U = B^T d,
  // buf[(j * ic + c) * run_len + t] (run_len: wino_w_run_len), through `planar` scratch
  // (ic * wino_w_planar_len floats).
  void (*w_wino_row)(const WRowArgs&);
  void (*w_wino_convert_row)(const float* in_row, int64_t iw, int64_t ic, int64_t pw, int64_t dw, int64_t run_len,
                             bool gather, float* planar, float* buf);
  int accumulators;   // vector registers for sums: tile vectors x output channels of the Winograd products
  void (*wino_row)(const WinoRowArgs&);
};

// Floats per (phase, channel) run of the w family's converted rows (WRowArgs::phase_len)
// for output width ow: tiles of any width up to a whole W tile may read up to a tile less
// one column past ow. A whole number of vectors, so that every channel's run starts
// aligned: tap 0's loads and the conversion's stores do not split cache lines.
inline int64_t w_phase_len(const KernelTable& isa, int64_t ow, int64_t kw, int64_t dw, int64_t sw) {
  const int64_t vw = isa.vector_width, w_tile = isa.w_nv * vw;
  return (ow + w_tile + (kw - 1) * dw / sw + 1 + vw - 1) / vw * vw;
}

// The w family's 1-D Winograd rows order their tiles along W: tile t holds outputs
// wino_w_first_output(t) and that + dw, so that dw consecutive tiles cover 2 dw outputs.
inline int64_t wino_w_first_output(int64_t t, int64_t dw) { return t / dw * 2 * dw + t % dw; }
// Tiles whose first output lies before ow.
inline int64_t wino_w_tiles(int64_t ow, int64_t dw) { return ow / (2 * dw) * dw + std::min(ow % (2 * dw), dw); }
// Floats per (j, channel) run of w_wino_convert_row's rows: the tiles, in whole vectors.
inline int64_t wino_w_run_len(const KernelTable& isa, int64_t ow, int64_t dw) {
  const int64_t vw = isa.vector_width;
  return (wino_w_tiles(ow, dw) + vw - 1) / vw * vw;
}
// Floats per channel of its planar scratch: the padded row up to the last tile's d3, and
// the two vectors its loads of a vector of tiles span.
inline int64_t wino_w_planar_len(int64_t vw, int64_t run_len, int64_t dw) {
  return (wino_w_first_output(run_len, dw) + 3 * dw + 2 * vw + vw - 1) / vw * vw;
}
// Whether w_wino_convert_row has a vector path for dilation dw (dw divides a vector, or a
// vector divides dw); other dilations convert tile by tile.
inline bool wino_w_vector_conversion(const KernelTable& isa, int64_t dw) {
  return isa.vector_width % dw == 0 || dw % isa.vector_width == 0;
}

// Whether this CPU's vector gathers beat scalar loads for de-interleaving rows. AMD's cores
// (Zen 2 to 4) run gathers as microcode: on the AMD EPYC (Zen 4) VM, a row of 11 channels
// took 1.2 cycles per float with 16-lane gathers (1.4 with 8-lane ones) and 0.6 with scalar
// loads, data in L1; on Intel gathers were the faster (5 channels: scalar loads had cost a
// quarter of the w kernel's time).
inline bool gathers_pay() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool amd = __builtin_cpu_is("amd");
  return !amd;
#else
  return false;
#endif
}

const KernelTable& avx512_table();
const KernelTable& avx2_table();
const KernelTable& generic_table();

}  // namespace voxconv::engine::kernels
