#include "engine/conv3d_fast.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/kernels/direct_kernels.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {

std::vector<const kernels::KernelTable*> available_kernel_tables() {
  std::vector<const kernels::KernelTable*> tables;
  const char* cap = std::getenv("VOXCONV_ISA");
  const std::string limit = cap ? cap : "";
  __builtin_cpu_init();
  const bool allow512 = limit.empty() || limit == "avx512";
  const bool allow2 = allow512 || limit == "avx2";
  if (allow512 && __builtin_cpu_supports("avx512f")) tables.push_back(&kernels::avx512_table());
  if (allow2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) tables.push_back(&kernels::avx2_table());
  tables.push_back(&kernels::generic_table());
  return tables;
}

const kernels::KernelTable& best_kernel_table() {
  static const kernels::KernelTable* best = available_kernel_tables().front();
  return *best;
}

namespace {

// Fraction of SIMD lanes doing useful work when OCG channels are cut into blocks of width.
double lane_use(int64_t ocg, int64_t width) {
  const int64_t blocks = (ocg + width - 1) / width;
  return static_cast<double>(ocg) / static_cast<double>(blocks * width);
}

// The oc family wastes lanes on channel counts that are not a multiple of the vector;
// below this share the w family (vectorized over W) does better.
constexpr double kMinOcLaneUse = 0.75;

// The Winograd family's transforms cost per input and per output channel, its products
// per pair: it beats the w family where the products dominate. Measured at 128^3 x 3^3,
// 1 thread, GFLOP/s Winograd / w: 11 -> 11 151 / 129, 11 -> 5 108 / 95, 8 -> 8 120 / 117,
// 4 -> 11 104 / 115, 5 -> 5 83 / 94, 3 -> 8 85 / 101.
constexpr int64_t kWinogradMinIc = 8;
constexpr int64_t kWinogradMinProducts = 55;

// The oc family's 1-D Winograd rows pay with tiles of at least this many pairs of outputs.
// Measured, 1 thread, GFLOP/s Winograd / direct rows: AVX-512, 3 pairs (two vectors of
// channels: b, c, d, f) 150-158 / 110-115, 2 pairs (three: 32 -> 48 channels, 64^3)
// 124-132 / 109-112; AVX2, 3 pairs (one vector: a) 58 / 59, 1 pair (two: b, c, d, f)
// 68-71 / 103-109.
constexpr int kOcWinogradMinPairs = 2;

// Bytes of copied or converted input rows an oc task may hold: a whole thread's scratch
// (wide rows of many channels: a row of Winograd tiles of 256 channels and 256 outputs
// takes 512 KB, 40 of them 20 MB per thread).
constexpr int64_t kOcTaskRowBytes = int64_t{4} << 20;

// Output rows and planes per task of the oc family (see run_oc_rows).
constexpr int64_t kOcRowsPerTask = 8;
constexpr int64_t kOcPlanesPerTask = 2;

// Bytes of converted input rows a task of the w family holds (its ring, see run_w_planes):
// half of a core's L2 (measured, 2 MB L2: i 1T 120 GFLOP/s at 0.5 or 1 MB, 112 at 1.5 MB),
// 1 MB where the system does not say.
int64_t w_band_ring_bytes() {
#if defined(_SC_LEVEL2_CACHE_SIZE)
  static const int64_t l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 > 0) return std::clamp<int64_t>(l2 / 2, int64_t{128} << 10, int64_t{4} << 20);
#endif
  return int64_t{1} << 20;
}
// Tasks per thread of the w family, so that threads finish together (2, 4 and 8 measured
// alike on h and i).
constexpr int64_t kWTasksPerThread = 4;


}  // namespace

FastConv3d::FastConv3d(const Conv3dParams& params, const Tensor& kernel, const Tensor& bias,
                       const kernels::KernelTable* isa, FastConv3dTuning tuning)
    : p_(params), isa_(isa ? isa : &best_kernel_table()), tuning_(tuning) {
  check_conv_weights(p_, kernel, bias);
  if (tuning_.oc_nv < 0 || tuning_.oc_nv > kernels::kMaxOcNv)
    throw Error(ErrorKind::internal, "FastConv3dTuning::oc_nv must be 0..4");
  const int64_t G = p_.groups, OCG = p_.oc / G, OC = p_.oc;
  const int64_t taps = p_.kernel[0] * p_.kernel[1] * p_.kernel[2];
  const int64_t vw = isa_->vector_width;
  // Vectors per channel block: the best lane use, on ties the order 2, 3, 4, 1 (two
  // vectors balance weight loads and broadcasts best; one re-reads the input per block).
  oc_nv_ = tuning_.oc_nv;
  if (oc_nv_ == 0) {
    double best = -1.0;
    for (int nv : {2, 3, 4, 1})
      if (lane_use(OCG, nv * vw) > best + 1e-12) best = lane_use(OCG, nv * vw), oc_nv_ = nv;
  }
  block_width_ = vw * oc_nv_;
  using Family = FastConv3dTuning::Family;
  oc_family_ = tuning_.family == Family::oc || tuning_.family == Family::oc_winograd_w ||
               (tuning_.family != Family::w && tuning_.family != Family::winograd_w &&
                lane_use(OCG, block_width_) >= kMinOcLaneUse);
  // Winograd tiles where the w family would run (channels too few to fill the oc
  // family's vectors) and the products outweigh the transforms (see kWinogradMin*), or
  // where asked; VOXCONV_WINOGRAD=0 keeps direct sums (in the w family's rows too).
  const char* winograd_env = std::getenv("VOXCONV_WINOGRAD");
  const bool winograd_allowed = !(winograd_env && std::string(winograd_env) == "0");
  const bool winograd_pays = p_.ic >= kWinogradMinIc && p_.ic * p_.oc >= kWinogradMinProducts;
  winograd_ = winograd_applies() &&
              (tuning_.family == Family::winograd ||
               (tuning_.family == Family::automatic && !oc_family_ && winograd_pays && winograd_allowed));
  if (winograd_) {
    oc_family_ = false;
    transform_winograd_weights(kernel);
    if (p_.use_bias) bias_.assign(bias.data(), bias.data() + OC);
    return;
  }
  // The oc family's rows of 1-D Winograd tiles along W, where they apply and their register
  // tiles hold enough pairs (VOXCONV_WINOGRAD=0 or Family::oc keeps direct rows).
  const bool oc_winograd_pays = kernels::oc_wino_tile_pairs(isa_->accumulators, oc_nv_) >= kOcWinogradMinPairs;
  oc_winograd_w_ = oc_family_ && winograd_w_applies() && isa_->oc_wino_row[oc_nv_ - 1] != nullptr &&
                   (tuning_.family == Family::oc_winograd_w ||
                    (tuning_.family == Family::automatic && winograd_allowed && oc_winograd_pays));
  if (oc_family_) {
    pack_oc_blocks(oc_winograd_w_ ? winograd_w_kernel(kernel).data() : kernel.data(), packed_taps(), bias);
  } else {
    // Rows of 1-D Winograd tiles where the output width makes them pay (run_w_planes).
    winograd_w_ = winograd_w_applies() && (tuning_.family == Family::winograd_w ||
                                           (tuning_.family == Family::automatic && winograd_allowed));
    if (winograd_w_) winograd_w_packed_ = pack_w_family(winograd_w_kernel(kernel).data(), p_.kernel[0] * p_.kernel[1] * 4);
    packed_ = pack_w_family(kernel.data(), taps);
    if (p_.use_bias) bias_.assign(bias.data(), bias.data() + OC);
  }
}

void FastConv3d::pack_oc_blocks(const float* w, int64_t taps, const Tensor& bias) {
  const int64_t G = p_.groups, ICG = p_.ic / G, OCG = p_.oc / G, OC = p_.oc;
  blocks_ = (OCG + block_width_ - 1) / block_width_;
  packed_.assign(static_cast<size_t>(G * blocks_ * taps * ICG * block_width_), 0.0f);
  bias_.assign(static_cast<size_t>(G * blocks_ * block_width_), 0.0f);
  for (int64_t g = 0; g < G; ++g)
    for (int64_t b = 0; b < blocks_; ++b)
      for (int64_t j = 0; j < block_width_ && b * block_width_ + j < OCG; ++j) {
        const int64_t oc = g * OCG + b * block_width_ + j;
        float* dst = packed_.data() + ((g * blocks_ + b) * taps * ICG) * block_width_ + j;
        for (int64_t t = 0; t < taps; ++t)
          for (int64_t c = 0; c < ICG; ++c) dst[(t * ICG + c) * block_width_] = w[(t * ICG + c) * OC + oc];
        if (p_.use_bias) bias_[static_cast<size_t>((g * blocks_ + b) * block_width_ + j)] = bias.data()[oc];
      }
}

AlignedVector<float> FastConv3d::pack_w_family(const float* w, int64_t taps) const {
  const int64_t G = p_.groups, ICG = p_.ic / G, OCG = p_.oc / G, OC = p_.oc;
  AlignedVector<float> packed(static_cast<size_t>(G * taps * ICG * OCG));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < ICG; ++c)
        for (int64_t o = 0; o < OCG; ++o)
          packed[static_cast<size_t>(((g * taps + t) * ICG + c) * OCG + o)] = w[(t * ICG + c) * OC + g * OCG + o];
  return packed;
}

bool FastConv3d::is_flat_pointwise() const {
  for (size_t a = 0; a < 3; ++a)
    if (p_.kernel[a] != 1 || p_.strides[a] != 1) return false;
  return true;  // 'same' pads nothing for a 1-wide kernel, so input and output grids coincide
}

std::string FastConv3d::describe(const Dims& src_dims) const {
  if (winograd_) return std::string(isa_->isa) + "/winograd";
  if (winograd_w_ && src_dims.empty()) return std::string(isa_->isa) + "/w+winograd-w";
  if (winograd_w_ && winograd_w_pays(output_dims(src_dims)[3])) return std::string(isa_->isa) + "/winograd-w";
  if (!oc_family_) return std::string(isa_->isa) + "/w";
  return std::string(isa_->isa) + (is_flat_pointwise() ? "/pointwise" : "/oc") + std::to_string(oc_nv_) +
         (oc_winograd_w_ ? "-winograd-w" : "");
}

Dims FastConv3d::output_dims(const Dims& src_dims) const {
  if (src_dims.size() != 5 || src_dims[4] != p_.ic)
    throw Error(ErrorKind::shape, "input has shape " + dims_to_string(src_dims) + " but the layer expects 5 dimensions with " +
                                      std::to_string(p_.ic) + " channels last");
  const ConvPlan plan = plan_shape(p_, {src_dims[1], src_dims[2], src_dims[3]});
  return {src_dims[0], plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, p_.oc};
}

Tensor FastConv3d::run(const Tensor& src, ThreadPool& pool) const {
  Tensor dst(output_dims(src.dims()));
  run(src, dst, pool);
  return dst;
}

void FastConv3d::run(const Tensor& src, Tensor& dst, ThreadPool& pool) const {
  if (dst.dims() != output_dims(src.dims()))
    throw Error(ErrorKind::internal, "FastConv3d::run: dst has shape " + dims_to_string(dst.dims()) + ", expected " +
                                         dims_to_string(output_dims(src.dims())));
  run_slab(src, {src.dim(1), 0, 0, dst.dim(1)}, dst, pool);
}

void FastConv3d::run_slab(const Tensor& src, const DepthSlab& slab, Tensor& dst, ThreadPool& pool) const {
  if (src.rank() != 5 || src.dim(4) != p_.ic)
    throw Error(ErrorKind::internal, "FastConv3d::run_slab: src has shape " + dims_to_string(src.dims()));
  const ConvPlan plan = plan_shape(p_, {slab.full_depth, src.dim(2), src.dim(3)});
  const auto [first, last] = input_planes_for(p_, plan, slab.full_depth, slab.od_begin, slab.od_end);
  const Dims want{src.dim(0), slab.od_end - slab.od_begin, plan.axis[1].out, plan.axis[2].out, p_.oc};
  if (slab.od_begin < 0 || slab.od_end > plan.axis[0].out || slab.od_begin >= slab.od_end || dst.dims() != want ||
      slab.in_first > first || slab.in_first + src.dim(1) < last)
    throw Error(ErrorKind::internal, "FastConv3d::run_slab: output planes " + std::to_string(slab.od_begin) + ".." +
                                         std::to_string(slab.od_end) + " need input planes " + std::to_string(first) +
                                         ".." + std::to_string(last) + ", src holds " + std::to_string(slab.in_first) +
                                         ".." + std::to_string(slab.in_first + src.dim(1)) + ", dst " +
                                         dims_to_string(dst.dims()) + " (expected " + dims_to_string(want) + ")");
  if (winograd_) run_winograd(src, dst, plan, slab, pool);
  else if (!oc_family_) run_w_planes(src, dst, plan, slab, pool);
  else if (is_flat_pointwise()) run_pointwise(src, dst, slab, pool);
  else run_oc_rows(src, dst, plan, slab, pool);
  // Other paths apply the activation to each row as they finish it; a width softmax needs
  // whole rows, which pointwise tasks do not hold.
  if (is_flat_pointwise() && oc_family_ && !fused_on_voxel_runs()) apply_activation(p_.activation, dst, pool);
}

bool FastConv3d::fused_on_voxel_runs() const {
  return is_elementwise(p_.activation.kind) || p_.activation.axis == SoftmaxAxis::channels;
}

bool FastConv3d::streams_output(const Tensor& dst) const {
  using Streaming = FastConv3dTuning::Streaming;
  if (tuning_.streaming != Streaming::automatic) return tuning_.streaming == Streaming::on;
  // Reading each output line into the cache before overwriting it cost a quarter of a
  // first layer's time (16 output floats per input float; measured 68 -> 88 GFLOP/s).
  // Outputs this large leave the caches before anything reads them again; activations
  // other than relu do read them again at once (a second pass), so they keep the cache.
  if (p_.activation.kind != Activation::linear && p_.activation.kind != Activation::relu) return false;
  // Where each output takes many multiply-adds, the line's read hides behind them, and
  // regular stores leave the output in the shared cache for whatever reads it next:
  // measured with 864-1728 FLOPs per output (IC 16-32, 3x3x3, 32 MB outputs), regular
  // stores were 1.5-3% faster (a first layer has 54 FLOPs per output).
  constexpr int64_t kStreamMaxFlopsPerOutput = 256;
  if (conv_flops(p_, 1, {1, 1, 1}) / static_cast<double>(p_.oc) > kStreamMaxFlopsPerOutput) return false;
  constexpr int64_t kStreamOutputBytes = int64_t{16} << 20;
  return dst.size() * static_cast<int64_t>(sizeof(float)) >= kStreamOutputBytes;
}

void FastConv3d::finish_lines(float* out, int64_t lines, int64_t w) const {
  // relu is already applied by the kernels' store.
  if (p_.activation.kind != Activation::relu) apply_activation_lines(p_.activation, out, lines, w, p_.oc);
}

namespace {

// Fields of OcRowArgs shared by every task of a run.
// packed_taps: weight taps per channel in `packed` (the kernel's, or Winograd rows' KD * KH * 4).
kernels::OcRowArgs oc_args_for_group(const Conv3dParams& p, int64_t g, const float* packed, int64_t packed_taps,
                                     const float* bias, int64_t blocks, int64_t block_width) {
  const int64_t ICG = p.ic / p.groups, OCG = p.oc / p.groups;
  const int64_t weight_rows = packed_taps * ICG;
  kernels::OcRowArgs a{};
  a.packed = packed + g * blocks * weight_rows * block_width;
  a.weight_rows = weight_rows;
  a.bias = bias + g * blocks * block_width;
  a.blocks = blocks;
  a.valid_last = OCG - (blocks - 1) * block_width;
  a.out_stride = p.oc;
  a.relu = p.activation.kind == Activation::relu;
  return a;
}

}  // namespace

int64_t FastConv3d::oc_tile_height(int64_t kw, int64_t kw_gap, int64_t step) const {
  kernels::OcRowArgs shape{};  // what the tile height depends on
  shape.kw = kw;
  shape.kw_gap = kw_gap;
  shape.step = step;
  return isa_->oc_row_mr[oc_nv_ - 1](shape);
}

int64_t FastConv3d::packed_taps() const {
  return p_.kernel[0] * p_.kernel[1] * (oc_winograd_w_ ? 4 : p_.kernel[2]);
}

void FastConv3d::run_pointwise(const Tensor& src, Tensor& dst, const DepthSlab& slab, ThreadPool& pool) const {
  // A 1x1x1 stride-1 convolution is a matrix product over flattened positions: long
  // rows without per-row tails or padding. Output plane od reads input plane od.
  const int64_t N = src.dim(0), plane = src.dim(2) * src.dim(3), out_planes = slab.od_end - slab.od_begin;
  const int64_t positions = out_planes * plane;  // per sample
  const int64_t mr = oc_tile_height(1, p_.ic / p_.groups, p_.ic);
  // Long tasks keep the input prefetch running (it restarts with each task): up to 128
  // tiles (measured on 64^3 x 32: 16 -> 128 tiles, 193 -> 220 GFLOP/s on 2 threads), but
  // at least 64 tasks per sample where there are enough positions, for many threads.
  const int64_t chunk =
      tuning_.positions_per_task > 0 ? tuning_.positions_per_task : std::clamp(positions / 64, mr * 16, mr * 128);
  const int64_t chunks = (positions + chunk - 1) / chunk;
  const int64_t OCG = p_.oc / p_.groups;
  const auto kernel = isa_->oc_row[oc_nv_ - 1];
  const bool stream = streams_output(dst);
  pool.parallel_for(N * chunks, [&](int64_t task) {
    const int64_t n = task / chunks, p0 = (task % chunks) * chunk, count = std::min(chunk, positions - p0);
    const float* in = src.data() + ((n * src.dim(1) + slab.od_begin - slab.in_first) * plane + p0) * p_.ic;
    float* out = dst.data() + (n * positions + p0) * p_.oc;
    for (int64_t g = 0; g < p_.groups; ++g) {
      const kernels::OcTap tap{in + g * (p_.ic / p_.groups), 0};
      kernels::OcRowArgs a = oc_args_for_group(p_, g, packed_.data(), packed_taps(), bias_.data(), blocks_, block_width_);
      a.taps = &tap;
      a.tap_count = 1;
      a.channels = p_.ic / p_.groups;
      a.kw = 1;
      a.kw_gap = a.channels;
      a.step = p_.ic;
      a.out = out + g * OCG;
      a.ow = count;
      a.prefetch_in = true;
      a.stream_out = stream;
      kernel(a);
    }
    if (fused_on_voxel_runs()) finish_lines(out, 1, count);
    if (stream) kernels::stream_fence();  // the task's streamed lines are visible when it ends
  });
}

void FastConv3d::run_oc_rows(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab,
                             ThreadPool& pool) const {
  const int64_t N = src.dim(0), ID = slab.full_depth, SLAB_D = src.dim(1), IH = src.dim(2), IW = src.dim(3), IC = p_.ic;
  const int64_t OD = slab.od_end - slab.od_begin, OH = plan.axis[1].out, OW = plan.axis[2].out, OC = p_.oc;
  const int64_t KD = p_.kernel[0], KH = p_.kernel[1], KW = p_.kernel[2];
  const int64_t SW = p_.strides[2], DW = p_.dilation[2];
  const int64_t ICG = IC / p_.groups, OCG = OC / p_.groups;
  const int64_t pw = plan.axis[2].pad_before;
  // Rows are used in place unless the window leaves them: then a zero-padded copy. Winograd
  // rows read every input row converted (oc_wino_convert_row): 4 U_j per tile of two outputs.
  const bool wino = oc_winograd_w_;
  const int64_t wino_tiles = wino ? kernels::wino_w_tiles(OW, DW) : 0;
  const int64_t iw_padded = std::max(IW + pw + plan.axis[2].pad_after, (OW - 1) * SW + (KW - 1) * DW + 1);
  const bool needs_copy = wino || pw > 0 || (OW - 1) * SW + (KW - 1) * DW >= IW;
  const int64_t row_floats = wino ? wino_tiles * 4 * IC : iw_padded * IC;
  const auto kernel = wino ? isa_->oc_wino_row[oc_nv_ - 1] : isa_->oc_row[oc_nv_ - 1];
  const int64_t row_taps = wino ? 4 : KW;  // weight rows per (kd, kh) row and channel
  const int64_t planar_floats =
      wino ? kernels::wino_w_planar_len(isa_->vector_width, kernels::wino_w_run_len(*isa_, OW, DW), DW) : 0;
  // Where the window leaves the row only near its ends, the tiles in between read the row in
  // place and only the end tiles read zero-padded copies of their own columns (copying whole
  // rows cost strided e, whose one padding column is on the right, 5%). The row is cut where
  // the kernel cuts it into tiles, so every tile keeps its size.
  const int64_t mr = wino ? kernels::oc_wino_tile_pairs(isa_->accumulators, oc_nv_) : oc_tile_height(KW, DW * IC, SW * IC);
  const int64_t positions = wino ? wino_tiles : OW;  // of the kernel's tiles (Winograd: pairs of outputs)
  const int64_t tiles = (positions + mr - 1) / mr, small_tile = positions / tiles, large_tiles = positions % tiles;
  const auto tile_start = [&](int64_t k) { return k * small_tile + std::min(k, large_tiles); };
  // Outputs [o_lo, o_hi) read only columns inside the row; tiles [k_lo, k_hi) lie among them.
  const int64_t o_lo = (pw + SW - 1) / SW, reach = IW - 1 + pw - (KW - 1) * DW;
  const int64_t o_hi = reach < 0 ? 0 : reach / SW + 1;
  int64_t k_lo = 0, k_hi = 0;
  while (k_lo < tiles && tile_start(k_lo) < o_lo) ++k_lo;
  for (k_hi = k_lo; k_hi < tiles && tile_start(k_hi + 1) <= o_hi;) ++k_hi;
  // (Not for one-channel rows: the L2 queue below, which fetches the rows read in place, leaves
  // them out, and without the copy's sequential read first layers ran 5-7% slower.)
  const bool ends_only = !wino && needs_copy && k_hi > k_lo && ICG > 1;
  const int64_t mid_begin = tile_start(k_lo), mid_end = tile_start(k_hi);
  // Columns of the left end's copy (from -pw) and of the right end's (from right_first).
  const int64_t left_cols = mid_begin > 0 ? (mid_begin - 1) * SW + (KW - 1) * DW + 1 : 0;
  const int64_t right_first = mid_end * SW - pw;
  const int64_t right_cols = mid_end < OW ? (OW - 1 - mid_end) * SW + (KW - 1) * DW + 1 : 0;
  const int64_t copy_floats = ends_only ? (left_cols + right_cols) * IC : row_floats;
  // Columns [first, first + cols) of in_row to buf, zeros outside the row.
  const auto copy_columns = [&](const float* in_row, int64_t first, int64_t cols, float* buf) {
    const int64_t lo = std::clamp<int64_t>(-first, 0, cols), hi = std::clamp<int64_t>(IW - first, lo, cols);
    std::fill(buf, buf + lo * IC, 0.0f);
    if (hi > lo)
      std::memcpy(buf + lo * IC, in_row + (first + lo) * IC, static_cast<size_t>((hi - lo) * IC) * sizeof(float));
    std::fill(buf + hi * IC, buf + cols * IC, 0.0f);
  };
  const float* s = src.data();
  const bool stream = streams_output(dst);

  // Neighbouring output rows share most of their input rows (a 3x3 kernel: 2 planes of 8
  // output rows read 4 x 10 input rows, not 2 x 8 x 9): a task takes a block of rows and
  // copies each padded row once (2 planes instead of 1: a, b, c +2-4%, d +1%), where that
  // leaves enough tasks. Under dilation along D its planes are dilation apart, so that they
  // still share KD - 1 input planes.
  const int64_t SD = p_.strides[0], DD = p_.dilation[0];
  const int64_t SH = p_.strides[1], DH = p_.dilation[1], ph = plan.axis[1].pad_before;
  // A task's copies (or Winograd conversions) of the input rows it reads, in bytes: fewer
  // rows per task, and one plane, where wide rows of many channels would exceed the budget.
  const int64_t task_budget = tuning_.oc_task_bytes > 0 ? tuning_.oc_task_bytes : kOcTaskRowBytes;
  const auto task_bytes = [&](int64_t rows, int64_t planes) {
    return needs_copy ? (planes - 1 + KD) * ((rows - 1) * SH + (KH - 1) * DH + 1) * copy_floats *
                            static_cast<int64_t>(sizeof(float))
                      : 0;
  };
  int64_t rows_per_task = std::min(OH, kOcRowsPerTask);
  while (rows_per_task > 1 && task_bytes(rows_per_task, 1) > task_budget) rows_per_task = (rows_per_task + 1) / 2;
  const int64_t row_groups = (OH + rows_per_task - 1) / rows_per_task;
  // (Under stride 2 along D two planes share one input plane in five: e -1-3%.)
  const bool planes_share = SD == 1 && KD > 1;
  const int64_t planes_per_task =
      planes_share && N * OD * row_groups >= 16 * kOcPlanesPerTask * pool.size() &&
      task_bytes(rows_per_task, kOcPlanesPerTask) <= task_budget
          ? kOcPlanesPerTask
          : 1;
  // Plane group g: planes b * span + rd + j * DD (j < planes_per_task, inside the slab) for
  // block b = g / DD of span = planes_per_task * DD planes and residue rd = g % DD.
  const int64_t plane_span = planes_per_task * DD;
  const int64_t plane_groups = (OD + plane_span - 1) / plane_span * DD;
  const auto group_plane = [&](int64_t group, int64_t j) { return group / DD * plane_span + group % DD + j * DD; };
  const int64_t ih_span = (rows_per_task - 1) * SH + (KH - 1) * DH + 1;  // input rows a task may read per plane
  const int64_t plane_slots = planes_per_task - 1 + KD;  // input planes a task reads (plane j, tap kd: slot j + kd)

  const auto input_plane = [&](int64_t od, int64_t kd) {
    return od * SD - plan.axis[0].pad_before + kd * DD;
  };
  const int64_t threads = pool.size();
  const int64_t tasks_per_sample = plane_groups * row_groups;
  // Task t of sample n: plane group t / row_groups, row group t % row_groups.
  const auto plane_group_of = [&](int64_t task) { return (task % tasks_per_sample) / row_groups; };
  const auto first_row_of = [&](int64_t task) { return (task % row_groups) * rows_per_task; };
  pool.parallel_for(N * tasks_per_sample, [&](int64_t task) {
    thread_local AlignedVector<float> scratch;
    thread_local std::vector<const float*> prepared;  // [plane slot][ih - ih_first]: the row to read, once made
    thread_local std::vector<const float*> rows;      // [kd][kh] of the current output row
    thread_local std::vector<const float*> in_rows;   // [kd][kh]: the input rows themselves
    thread_local std::vector<kernels::OcTap> taps;
    thread_local AlignedVector<float> planar;  // Winograd rows of one channel: the padded row
    if (wino && IC == 1 && planar.size() < static_cast<size_t>(planar_floats))
      planar.resize(static_cast<size_t>(planar_floats));
    const int64_t n = task / tasks_per_sample, plane_group = plane_group_of(task);
    int64_t planes = 0;  // of the group inside the slab
    while (planes < planes_per_task && group_plane(plane_group, planes) < OD) ++planes;
    const int64_t oh_first = first_row_of(task), oh_end = std::min(OH, oh_first + rows_per_task);
    const int64_t ih_first = oh_first * SH - ph;
    // Plane j, tap kd reads input plane od0 - pad + (j + kd) * DD (od0: the first plane): slot j + kd.
    const auto slot_of = [&](int64_t j, int64_t kd, int64_t ih) { return (j + kd) * ih_span + ih - ih_first; };
    prepared.assign(static_cast<size_t>(plane_slots * ih_span), nullptr);
    if (needs_copy && scratch.size() < static_cast<size_t>(plane_slots * ih_span * copy_floats))
      scratch.resize(static_cast<size_t>(plane_slots * ih_span * copy_floats));
    const int64_t task_rows = oh_end - oh_first;
    for (int64_t r = 0; r < planes * task_rows; ++r) {
      const int64_t j = r / task_rows, od_local = group_plane(plane_group, j), oh = oh_first + r % task_rows;
      const int64_t od = slab.od_begin + od_local;
      rows.assign(static_cast<size_t>(KD * KH), nullptr);
      in_rows.resize(static_cast<size_t>(KD * KH));
      for (int64_t kd = 0; kd < KD; ++kd) {
        const int64_t id = input_plane(od, kd);
        if (id < 0 || id >= ID) continue;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * SH - ph + kh * DH;
          if (ih < 0 || ih >= IH) continue;
          const int64_t slot = slot_of(j, kd, ih);
          const float*& row = prepared[static_cast<size_t>(slot)];
          const float* in_row = s + ((n * SLAB_D + id - slab.in_first) * IH + ih) * IW * IC;
          if (row == nullptr) {
            // Copied on first use, just before the kernel reads it: the whole padded row, or its ends.
            if (needs_copy) {
              float* buf = scratch.data() + slot * copy_floats;
              if (wino) {
                isa_->oc_wino_convert_row(in_row, IW, IC, pw, DW, wino_tiles, planar.data(), buf);
              } else if (ends_only) {
                copy_columns(in_row, -pw, left_cols, buf);
                copy_columns(in_row, right_first, right_cols, buf + left_cols * IC);
              } else {
                copy_columns(in_row, -pw, iw_padded, buf);
              }
              row = buf;
            } else {
              row = in_row;
            }
          }
          rows[static_cast<size_t>(kd * KH + kh)] = row;
          in_rows[static_cast<size_t>(kd * KH + kh)] = in_row;
        }
      }
      // The rows the next output row will copy first, fetched while this one computes: the
      // task's next row, or after its last the first row of the task this thread likely
      // takes next (threads claim tasks in turn; a wrong guess costs only the fetch).
      kernels::L2PrefetchQueue queue;
      if (needs_copy && ICG > 1) {  // (one-channel rows are short; their kernel takes no queue)
        // The next row in the task's order (planes outer, rows inner), or the next task's first.
        const bool plane_done = oh + 1 == oh_end, last = plane_done && j + 1 == planes;
        const int64_t next_task = last ? task + threads : task;
        const int64_t next_n = next_task / tasks_per_sample;
        const int64_t next_j = last ? 0 : plane_done ? j + 1 : j;
        const int64_t next_od_local = group_plane(plane_group_of(next_task), next_j);
        const int64_t next_od = slab.od_begin + next_od_local;
        const int64_t next_oh = last ? first_row_of(next_task) : plane_done ? oh_first : oh + 1;
        for (int64_t kd = 0; kd < KD && next_n < N && next_od_local < OD; ++kd) {
          const int64_t id = input_plane(next_od, kd);
          if (id < 0 || id >= ID) continue;
          for (int64_t kh = 0; kh < KH && queue.count < kernels::L2PrefetchQueue::kMaxRows; ++kh) {
            const int64_t ih = next_oh * SH - ph + kh * DH;
            if (ih < 0 || ih >= IH ||
                (!last && prepared[static_cast<size_t>(slot_of(next_j, kd, ih))] != nullptr))
              continue;
            queue.rows[queue.count++] =
                reinterpret_cast<const char*>(s + ((next_n * SLAB_D + id - slab.in_first) * IH + ih) * IW * IC);
          }
        }
        queue.spread((IW * IC * 4 + 63) / 64, std::max<int64_t>(1, tiles * blocks_ * p_.groups * KD * KH));
      }
      float* out_row = dst.data() + ((n * OD + od_local) * OH + oh) * OW * OC;
      for (int64_t g = 0; g < p_.groups; ++g) {
        // The row's (kd, kh) taps in the packed weights' order.
        // Written member by member into a buffer sized once: push_back({x, w_row}) built each tap on the
        // stack and read it back as one 16-byte load, which cannot be forwarded from the two 8-byte
        // stores and so waited for every older store to drain, the row's output tiles included
        // (12% of a first layer's time, whose rows are short).
        taps.resize(static_cast<size_t>(KD * KH));
        kernels::OcRowArgs a = oc_args_for_group(p_, g, packed_.data(), packed_taps(), bias_.data(), blocks_, block_width_);
        a.taps = taps.data();
        a.channels = ICG;
        a.kw = row_taps;
        a.kw_gap = wino ? IC : DW * IC;
        a.step = wino ? 4 * IC : SW * IC;
        a.wino_dw = DW;
        a.prefetch_out = true;
        a.stream_out = stream;
        a.prefetch_l2 = queue.count > 0 ? &queue : nullptr;
        // Outputs [o0, o0 + count) from the rows `from` (those present in `rows`), output o0 at `offset` floats.
        const auto run_outputs = [&](const std::vector<const float*>& from, int64_t offset, int64_t o0,
                                     int64_t count) {
          int64_t tap_count = 0;
          for (int64_t t = 0; t < KD * KH; ++t)
            if (rows[static_cast<size_t>(t)] != nullptr) {
              taps[static_cast<size_t>(tap_count)].x = from[static_cast<size_t>(t)] + offset + g * ICG;
              taps[static_cast<size_t>(tap_count)].w_row = t * row_taps * ICG;
              ++tap_count;
            }
          a.tap_count = tap_count;
          a.out = out_row + o0 * OC + g * OCG;
          a.ow = count;
          kernel(a);
        };
        if (!ends_only) {
          run_outputs(rows, 0, 0, OW);
        } else {
          if (mid_begin > 0) run_outputs(rows, 0, 0, mid_begin);
          run_outputs(in_rows, (mid_begin * SW - pw) * IC, mid_begin, mid_end - mid_begin);
          if (mid_end < OW) run_outputs(rows, left_cols * IC, mid_end, OW - mid_end);
        }
      }
      finish_lines(out_row, 1, OW);
    }
    if (stream) kernels::stream_fence();  // the task's streamed lines are visible when it ends
  });
}

void FastConv3d::run_w_planes(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab,
                              ThreadPool& pool) const {
  const int64_t N = src.dim(0), ID = slab.full_depth, SLAB_D = src.dim(1), IH = src.dim(2), IW = src.dim(3), IC = p_.ic;
  const int64_t OD = slab.od_end - slab.od_begin, OH = plan.axis[1].out, OW = plan.axis[2].out, OC = p_.oc;
  const int64_t KD = p_.kernel[0], KH = p_.kernel[1], KW = p_.kernel[2];
  const int64_t SD = p_.strides[0], DD = p_.dilation[0], SH = p_.strides[1], DH = p_.dilation[1];
  const int64_t SW = p_.strides[2], DW = p_.dilation[2];
  const int64_t G = p_.groups, ICG = IC / G, OCG = OC / G;
  const int64_t pd = plan.axis[0].pad_before, ph = plan.axis[1].pad_before, pw = plan.axis[2].pad_before;
  const int64_t w_tile = static_cast<int64_t>(isa_->w_nv) * isa_->vector_width;
  // Rows of 1-D Winograd tiles (kernels::w_wino_row) hold 4 runs U_j of phase_len tiles
  // per channel, and their (kd, kh) rows have 4 taps j; direct rows hold SW phases of
  // phase_len columns per channel.
  const bool wino = winograd_w_ && winograd_w_pays(OW);
  const int64_t phase_len = wino ? kernels::wino_w_run_len(*isa_, OW, DW) : kernels::w_phase_len(*isa_, OW, KW, DW, SW);
  const bool gather = kernels::gathers_pay();  // rows de-interleaved with vector gathers, or scalar loads
  const int64_t row_taps = wino ? 4 : KW;
  const int64_t row_floats = (wino ? 4 : SW) * IC * phase_len;
  const int64_t planar_floats = wino ? IC * kernels::wino_w_planar_len(isa_->vector_width, phase_len, DW) : 0;
  // A task owns a band of output rows of one residue class of output planes (modulo DD:
  // under dilation along D, no stride then, the planes od, od + DD, ... read input planes
  // of one class, all but one shared with the class's previous plane) and runs its planes
  // in order. It converts the band's input rows (the window) of each input plane once,
  // into its own ring of KD planes (plane id in slot (id / classes) % KD), so that the
  // rows its next planes read again come from its core's L2, and no task waits for
  // another. Bands re-convert only their halo rows.
  const int64_t classes = SD == 1 ? DD : 1;
  const int64_t slots = KD;
  const auto slot_of = [&](int64_t id) { return id / classes % slots; };
  const auto input_plane = [&](int64_t od, int64_t kd) { return od * SD - pd + kd * DD; };
  const auto window_rows = [&](int64_t rows) { return (rows - 1) * SH + (KH - 1) * DH + 1; };
  const auto ring_bytes = [&](int64_t rows) { return slots * window_rows(rows) * row_floats * 4; };
  const int64_t class_planes = (OD + classes - 1) / classes;
  // Bands as tall as the ring allows; then, for tasks enough to keep every thread busy
  // to the end (4 per thread), more bands or runs of fewer planes, whichever converts the
  // fewest rows twice (halos, and the KD - 1 planes a run starts with).
  int64_t band_rows = OH, plane_runs = 1;
  if (tuning_.w_band_rows > 0) {
    band_rows = std::min(OH, tuning_.w_band_rows);
  } else {
    while (band_rows > 1 && ring_bytes(band_rows) > w_band_ring_bytes()) --band_rows;
    const int64_t wanted = pool.size() > 1 ? kWTasksPerThread * pool.size() : 1;
    const auto tasks_of = [&](int64_t bands, int64_t runs) { return N * classes * bands * runs; };
    const int64_t first_bands = (OH + band_rows - 1) / band_rows;
    const int64_t max_bands = std::min(OH, first_bands * wanted), max_runs = std::min(class_planes, wanted);
    const int64_t goal = std::min(wanted, tasks_of(max_bands, max_runs));  // small layers: as many as there are
    double best = -1.0;
    for (int64_t bands = first_bands; bands <= max_bands; ++bands)
      for (int64_t runs = 1; runs <= max_runs; ++runs) {
        if (tasks_of(bands, runs) < goal) continue;
        const int64_t rows = (OH + bands - 1) / bands, planes = (class_planes + runs - 1) / runs;
        const double cost = static_cast<double>(window_rows(rows)) / static_cast<double>(rows) *
                            static_cast<double>(planes + KD - 1) / static_cast<double>(planes);
        if (best < 0.0 || cost < best) best = cost, band_rows = rows, plane_runs = runs;
      }
  }
  const int64_t bands = (OH + band_rows - 1) / band_rows;
  const int64_t run_planes = (class_planes + plane_runs - 1) / plane_runs;
  plane_runs = (class_planes + run_planes - 1) / run_planes;  // none left empty
  const int64_t tasks_per_sample = classes * bands * plane_runs;
  const int64_t chunks = (OCG + isa_->max_oc_block - 1) / isa_->max_oc_block;
  // Tap k of group g reads phase (k * DW) % SW of its channels, k * DW / SW columns on
  // (Winograd rows: tap j reads U_j).
  std::vector<int64_t> kw_offsets(static_cast<size_t>(G * row_taps));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t k = 0; k < row_taps; ++k)
      kw_offsets[static_cast<size_t>(g * row_taps + k)] =
          wino ? (k * IC + g * ICG) * phase_len : ((k * DW % SW) * IC + g * ICG) * phase_len + k * DW / SW;
  // issue() calls of the L2 prefetch queue while a row computes (one per tap row of each tile).
  const int64_t row_extent = wino ? phase_len : OW;  // columns, or tiles
  const int64_t row_issues = G * chunks * ((row_extent + w_tile - 1) / w_tile) * KD * KH * (wino ? 4 : 1);
  const int64_t ring_floats = slots * window_rows(band_rows) * row_floats;

  pool.parallel_for(N * tasks_per_sample, [&](int64_t task) {
    const int64_t n = task / tasks_per_sample, rest = task % tasks_per_sample;
    const int64_t od_class = slab.od_begin + rest / (bands * plane_runs), band = rest / plane_runs % bands;
    const int64_t run = rest % plane_runs;
    const int64_t oh0 = band * band_rows, oh1 = std::min(OH, oh0 + band_rows);
    const int64_t window = window_rows(oh1 - oh0), ih0 = oh0 * SH - ph;
    const int64_t od_first = od_class + run * run_planes * classes;
    const int64_t od_end = std::min(slab.od_end, od_first + run_planes * classes);
    thread_local AlignedVector<float> ring;
    thread_local AlignedVector<float> planar;
    if (ring.size() < static_cast<size_t>(ring_floats)) ring.resize(static_cast<size_t>(ring_floats));
    if (wino && planar.size() < static_cast<size_t>(planar_floats)) planar.resize(static_cast<size_t>(planar_floats));
    std::vector<int64_t> slot_plane(static_cast<size_t>(slots), -1);
    const auto slot_rows = [&](int64_t id) { return ring.data() + slot_of(id) * window * row_floats; };
    const auto source_row = [&](int64_t id, int64_t ih) {
      return src.data() + ((n * SLAB_D + id - slab.in_first) * IH + ih) * IW * IC;
    };
    std::vector<int64_t> fresh, next_fresh;
    std::vector<const float*> sources;  // the source rows of the next conversion
    // Lists in `out` the input planes output plane od reads that the ring does not hold.
    const auto find_fresh = [&](int64_t od, std::vector<int64_t>& out) {
      out.clear();
      if (od >= od_end) return;
      for (int64_t kd = 0; kd < KD; ++kd) {
        const int64_t id = input_plane(od, kd);
        if (id >= 0 && id < ID && slot_plane[static_cast<size_t>(slot_of(id))] != id) out.push_back(id);
      }
    };
    const auto convert = [&](int64_t id) {
      slot_plane[static_cast<size_t>(slot_of(id))] = id;
      for (int64_t r = 0; r < window; ++r) {
        const int64_t ih = ih0 + r;
        if (ih < 0 || ih >= IH) continue;  // never read: such rows are passed as nullptr
        float* buf = slot_rows(id) + r * row_floats;
        if (wino) isa_->w_wino_convert_row(source_row(id, ih), IW, IC, pw, DW, phase_len, gather, planar.data(), buf);
        else isa_->w_convert_row(source_row(id, ih), IW, IC, SW, pw, phase_len, gather, buf);
      }
    };
    std::vector<const float*> rows(static_cast<size_t>(KD * KH));
    // The ring rows of each kd's input plane for the current output plane (nullptr: padding),
    // found once per plane: slot_of divides, twice per kd, which per output row took 3% of h.
    std::vector<const float*> plane_rows(static_cast<size_t>(KD));
    const auto compute_row = [&](int64_t od, int64_t oh, kernels::L2PrefetchQueue* queue) {
      std::fill(rows.begin(), rows.end(), nullptr);
      for (int64_t kd = 0; kd < KD; ++kd) {
        const float* plane = plane_rows[static_cast<size_t>(kd)];
        if (plane == nullptr) continue;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * SH - ph + kh * DH;
          if (ih >= 0 && ih < IH) rows[static_cast<size_t>(kd * KH + kh)] = plane + (ih - ih0) * row_floats;
        }
      }
      float* out_row = dst.data() + ((n * OD + od - slab.od_begin) * OH + oh) * OW * OC;
      for (int64_t g = 0; g < G; ++g)
        kernels::for_each_balanced_chunk(OCG, chunks, [&](int64_t begin, int64_t count) {
          kernels::WRowArgs a{};
          a.rows = rows.data();
          a.taps_dh = KD * KH;
          a.kw = row_taps;
          a.kw_offsets = kw_offsets.data() + g * row_taps;
          a.phase_len = phase_len;
          a.icg = ICG;
          a.weights = (wino ? winograd_w_packed_ : packed_).data() + g * KD * KH * row_taps * ICG * OCG;
          a.ocg = OCG;
          a.oc_begin = begin;
          a.oc_count = count;
          a.bias = p_.use_bias ? bias_.data() + g * OCG : nullptr;
          a.out = out_row + g * OCG;
          a.out_stride = OC;
          a.ow = OW;
          a.relu = p_.activation.kind == Activation::relu;
          a.prefetch_l2 = queue;
          a.wino_dw = DW;
          (wino ? isa_->w_wino_row : isa_->w_row)(a);
        });
      finish_lines(out_row, 1, OW);
    };
    find_fresh(od_first, fresh);
    for (int64_t od = od_first; od < od_end; od += classes) {
      for (const int64_t id : fresh) convert(id);
      for (int64_t kd = 0; kd < KD; ++kd) {
        const int64_t id = input_plane(od, kd);
        plane_rows[static_cast<size_t>(kd)] = id < 0 || id >= ID ? nullptr : slot_rows(id);
      }
      // While the band's rows compute, the source rows of the next plane's conversion are
      // fetched into L2, a share of them per output row (they would otherwise wait for
      // memory in the conversion).
      find_fresh(od + classes, next_fresh);
      sources.clear();
      for (const int64_t id : next_fresh)
        for (int64_t r = 0; r < window; ++r)
          if (ih0 + r >= 0 && ih0 + r < IH) sources.push_back(source_row(id, ih0 + r));
      const int64_t band_count = oh1 - oh0;
      int64_t done = 0;
      for (int64_t res = 0; res < std::min(DH, band_count); ++res)
        for (int64_t oh = oh0 + res; oh < oh1; oh += DH, ++done) {
          kernels::L2PrefetchQueue queue;
          const int64_t s0 = done * static_cast<int64_t>(sources.size()) / band_count;
          const int64_t s1 = (done + 1) * static_cast<int64_t>(sources.size()) / band_count;
          for (int64_t s = s0; s < s1 && queue.count < kernels::L2PrefetchQueue::kMaxRows; ++s)
            queue.rows[queue.count++] = reinterpret_cast<const char*>(sources[static_cast<size_t>(s)]);
          queue.spread((IW * IC * 4 + 63) / 64, row_issues);
          compute_row(od, oh, queue.count > 0 ? &queue : nullptr);
        }
      fresh.swap(next_fresh);
    }
  });
}

}  // namespace voxconv::engine
