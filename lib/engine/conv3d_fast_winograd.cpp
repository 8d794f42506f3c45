// The fast engine's Winograd family: F(2x2x2, 3x3x3) tiles (see
// kernels/winograd_family.cpp for the arithmetic). The weights are transformed once; a
// task takes a run of up to four pairs of output planes (each pair dilation apart) and
// walks its pairs of output rows, converting each input row once per task into a ring of
// four rows per input plane.
#include <algorithm>
#include <utility>
#include <vector>

#include "engine/conv3d_fast.hpp"
#include "engine/kernels/direct_kernels.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {

namespace {

// G of F(2, 3): the 4 transformed taps of a 3-tap filter.
constexpr double kG[4][3] = {{1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};

constexpr int64_t kPositions = 64;
// 1-D Winograd rows run where their products are at most this percentage of direct rows'
// and, with 16-lane vectors, a row has at most this many tiles. Measured with the w
// family's banded tasks (run_w_planes), 1 thread, GFLOP/s Winograd / direct rows, D x H x W
// inputs: AVX-512, 5 -> 5 channels dilation 4 ('same'): W 96 141-150 / 127, 128 128-133 /
// 119-126, 192 122-125 / 117-121, 224 126-127 / 119-124, 256 117-118 / 119-120 (the
// layer i); dilation 1 ('valid'): W 64 124-127 / 118-123, 128 132-137 / 128-132, 192
// 132-135 / 124-126; 4 -> 8 dilation 2: W 128 135 / 131-136, 192 129-131 / 129. AVX2,
// 5 -> 5 dilation 4: W 128 105-106 / 87-89, 192 94-99 / 83, 256 94 / 83-84.
constexpr int64_t kWinogradWMaxProducts = 80;
constexpr int64_t kWinogradWMaxTiles = 112;
constexpr int64_t kRowsPerTile = 4;  // input rows (and planes) a pair of outputs reads
// Pairs of output planes per task, and the bytes their converted rows may take.
constexpr int64_t kMaxPairsPerTask = 4;
constexpr int64_t kRingBytes = int64_t{2} << 20;

}  // namespace

bool FastConv3d::winograd_applies() const {
  for (size_t a = 0; a < 3; ++a)
    if (p_.kernel[a] != 3 || p_.strides[a] != 1) return false;
  return p_.groups == 1;
}

void FastConv3d::transform_winograd_weights(const Tensor& kernel) {
  const int64_t IC = p_.ic, OC = p_.oc;
  const float* w = kernel.data();  // (kd, kh, kw, ic, oc)
  winograd_u_.assign(static_cast<size_t>(kPositions * IC * OC), 0.0f);
  // Exact in double for float weights (sums of 27 products by multiples of 1/8), rounded once.
  for (int64_t c = 0; c < IC; ++c)
    for (int64_t o = 0; o < OC; ++o)
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b)
          for (int e = 0; e < 4; ++e) {
            double sum = 0.0;
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j)
                for (int k = 0; k < 3; ++k)
                  sum += kG[a][i] * kG[b][j] * kG[e][k] * w[(((i * 3 + j) * 3 + k) * IC + c) * OC + o];
            winograd_u_[static_cast<size_t>((((a * 4 + b) * 4 + e) * IC + c) * OC + o)] = static_cast<float>(sum);
          }
}

bool FastConv3d::winograd_w_applies() const { return p_.kernel[2] == 3 && p_.strides[2] == 1; }

bool FastConv3d::winograd_w_pays(int64_t ow) const {
  if (tuning_.family == FastConv3dTuning::Family::winograd_w) return true;
  // Dilations without a vector conversion convert tile by tile: slower than the products saved.
  const int64_t dw = p_.dilation[2], vw = isa_->vector_width;
  if (!kernels::wino_w_vector_conversion(*isa_, dw)) return false;
  // Products per (kd, kh) row and channel pair: 4 per tile over whole vectors of tiles,
  // against 3 per column over whole vectors of columns for direct rows.
  const int64_t tiles = kernels::wino_w_run_len(*isa_, ow, dw), columns = (ow + vw - 1) / vw * vw;
  if (4 * tiles * 100 > 3 * columns * kWinogradWMaxProducts) return false;
  // Wider AVX-512 rows ran as fast as direct ones, though the row kernel alone is 1.2-1.3x
  // faster (see kWinogradWMaxTiles).
  return vw < 16 || tiles <= kWinogradWMaxTiles;
}

std::vector<float> FastConv3d::winograd_w_kernel(const Tensor& kernel) const {
  const int64_t ICG = p_.ic / p_.groups, OC = p_.oc;
  const int64_t rows = p_.kernel[0] * p_.kernel[1];
  const float* w = kernel.data();  // (kd, kh, kw, icg, oc)
  std::vector<float> u(static_cast<size_t>(rows * 4 * ICG * OC));
  for (int64_t r = 0; r < rows; ++r)
    for (int j = 0; j < 4; ++j)
      for (int64_t c = 0; c < ICG; ++c)
        for (int64_t o = 0; o < OC; ++o) {
          double sum = 0.0;  // exact: multiples of 1/2, rounded once
          for (int k = 0; k < 3; ++k) sum += kG[j][k] * w[((r * 3 + k) * ICG + c) * OC + o];
          u[static_cast<size_t>(((r * 4 + j) * ICG + c) * OC + o)] = static_cast<float>(sum);
        }
  return u;
}

void FastConv3d::run_winograd(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab,
                              ThreadPool& pool) const {
  const int64_t N = src.dim(0), ID = slab.full_depth, SLAB_D = src.dim(1), IH = src.dim(2), IW = src.dim(3), IC = p_.ic;
  const int64_t OD = slab.od_end - slab.od_begin, OH = plan.axis[1].out, OW = plan.axis[2].out, OC = p_.oc;
  const int64_t DD = p_.dilation[0], DH = p_.dilation[1], DW = p_.dilation[2];
  const int64_t pd = plan.axis[0].pad_before, ph = plan.axis[1].pad_before, pw = plan.axis[2].pad_before;
  const int64_t vw = isa_->vector_width;

  // Output channels in chunks of at most max_oc_block; tile vectors per pass as many as
  // the accumulators allow, fewer where the W classes are short (lanes past a class's last
  // tile are computed and thrown away): the fewest vectors in all, the larger on ties.
  const int64_t chunks = (OC + isa_->max_oc_block - 1) / isa_->max_oc_block;
  const int64_t chunk_max = (OC + chunks - 1) / chunks;
  const int64_t nt_max = std::clamp<int64_t>(isa_->accumulators / chunk_max, 1, 4);
  const auto class_tiles = [&](int64_t rw) { return ((OW - rw + DW - 1) / DW + 1) / 2; };
  int64_t nt = 1, best = -1;
  for (int64_t t = 1; t <= nt_max; ++t) {
    int64_t vectors = 0;
    for (int64_t rw = 0; rw < std::min(DW, OW); ++rw) vectors += (class_tiles(rw) + t * vw - 1) / (t * vw) * t;
    if (best < 0 || vectors <= best) best = vectors, nt = t;
  }
  const int64_t tiles_per_pass = nt * vw;
  // A pass reads run[t0 .. t0 + tiles_per_pass] (d2 and d3 one tile on).
  const int64_t pass_tiles = (class_tiles(0) + tiles_per_pass - 1) / tiles_per_pass * tiles_per_pass;
  const int64_t phase_len = (pass_tiles + 1 + vw - 1) / vw * vw;
  const bool gather = kernels::gathers_pay();  // rows de-interleaved with vector gathers, or scalar loads
  const int64_t row_floats = 2 * DW * IC * phase_len;
  const int64_t scratch_floats = nt * (16 * (IC + isa_->max_oc_block) + 8 * OC) * vw;

  // Tasks: runs of up to `group` pairs of output planes of one D residue class rd (first
  // indices md0, md0 + 2, ... in the class) that hold a plane of the slab. Pairs are
  // anchored on the whole volume's grid, so a plane's sums do not depend on where slabs
  // begin. Neighbouring pairs share two input planes: a task converts each of its input
  // rows once for all its pairs (2 * group + 2 planes for 2 * group outputs).
  std::vector<int64_t> firsts;  // each pair's first output plane, rd + DD * md0
  for (int64_t rd = 0; rd < std::min(DD, plan.axis[0].out); ++rd) {
    if (slab.od_end - 1 < rd) continue;
    const int64_t md_lo = slab.od_begin <= rd ? 0 : (slab.od_begin - rd + DD - 1) / DD;
    const int64_t md_hi = (slab.od_end - 1 - rd) / DD;
    for (int64_t md0 = md_lo / 2 * 2; md0 <= md_hi; md0 += 2) firsts.push_back(rd + DD * md0);
  }
  const int64_t pairs = static_cast<int64_t>(firsts.size());
  // At least 4 tasks per thread where there are enough pairs; rings within 2 MB.
  int64_t group = std::clamp<int64_t>(pairs * N / (4 * pool.size()), 1, kMaxPairsPerTask);
  while (group > 1 && (2 * group + 2) * kRowsPerTile * row_floats * 4 > kRingBytes) group /= 2;
  // Tasks never mix residue classes: a run of pairs breaks where the class changes.
  std::vector<std::pair<int64_t, int64_t>> runs;  // (first pair, pair count)
  for (int64_t i = 0; i < pairs;) {
    int64_t count = 1;
    while (count < group && i + count < pairs && firsts[static_cast<size_t>(i + count)] ==
                                                     firsts[static_cast<size_t>(i + count - 1)] + 2 * DD)
      ++count;
    runs.push_back({i, count});
    i += count;
  }
  const int64_t tasks = N * static_cast<int64_t>(runs.size());
  const float* bias = p_.use_bias ? bias_.data() : nullptr;
  const int64_t max_planes = 2 * group + 2;
  static_assert(2 * (2 * kMaxPairsPerTask + 2) <= kernels::L2PrefetchQueue::kMaxRows, "prefetch queue too short");
  int64_t issues_per_call = 0;
  for (int64_t rw = 0; rw < std::min(DW, OW); ++rw)
    issues_per_call += (class_tiles(rw) + tiles_per_pass - 1) / tiles_per_pass * chunks * kPositions;
  const int64_t in_row_lines = (IW * IC * 4 + 63) / 64, out_row_lines = (OW * OC * 4 + 63) / 64;

  pool.parallel_for(tasks, [&](int64_t task) {
    thread_local AlignedVector<float> ring, zero, scratch;
    thread_local std::vector<const float*> planes, slot_rows;  // slot_rows: [plane][row % 4], converted or zero
    if (ring.size() < static_cast<size_t>(max_planes * kRowsPerTile * row_floats))
      ring.resize(static_cast<size_t>(max_planes * kRowsPerTile * row_floats));
    if (zero.size() < static_cast<size_t>(row_floats)) zero.assign(static_cast<size_t>(row_floats), 0.0f);
    if (scratch.size() < static_cast<size_t>(scratch_floats)) scratch.resize(static_cast<size_t>(scratch_floats));
    const int64_t n = task / static_cast<int64_t>(runs.size());
    const auto [first_pair, count] = runs[static_cast<size_t>(task % static_cast<int64_t>(runs.size()))];
    const int64_t od_first = firsts[static_cast<size_t>(first_pair)];
    const auto in_slab = [&](int64_t od) { return od >= slab.od_begin && od < slab.od_end; };
    // Output row (od, oh) in dst, or nullptr where it lies outside the slab or the output.
    const auto output_row = [&](int64_t od, int64_t oh) -> float* {
      return in_slab(od) && oh < OH ? dst.data() + ((n * OD + od - slab.od_begin) * OH + oh) * OW * OC : nullptr;
    };
    // Input plane k of the run is plane j = k - 2p of pair p. Plane 0 of a pair feeds only
    // its first output, plane 3 only its second: a slab that lacks the other output does not
    // hold (or read) them.
    const int64_t plane_count = 2 * count + 2;
    planes.assign(static_cast<size_t>(plane_count), nullptr);
    slot_rows.assign(static_cast<size_t>(plane_count * kRowsPerTile), nullptr);
    for (int64_t k = 0; k < plane_count; ++k) {
      bool needed = false;
      for (int64_t pr = std::max<int64_t>(0, (k - 2) / 2); pr < count && 2 * pr <= k; ++pr) {
        const int64_t j = k - 2 * pr, od0 = od_first + 2 * pr * DD;
        needed = needed || (j < 3 && in_slab(od0)) || (j > 0 && in_slab(od0 + DD));
      }
      const int64_t id = od_first - pd + k * DD;
      if (needed && id >= 0 && id < ID)
        planes[static_cast<size_t>(k)] = src.data() + (n * SLAB_D + id - slab.in_first) * IH * IW * IC;
    }
    const float* rows[kRowsPerTile * kRowsPerTile];
    float* out[4];
    for (int64_t rh = 0; rh < std::min(DH, OH); ++rh) {
      const int64_t row_pairs = ((OH - rh + DH - 1) / DH + 1) / 2;
      for (int64_t pair = 0; pair < row_pairs; ++pair) {
        const int64_t oh_first = rh + DH * 2 * pair;
        // Rows 0 and 1 of this pair of output rows are rows 2 and 3 of the last one.
        for (int64_t j = pair == 0 ? 0 : 2; j < kRowsPerTile; ++j) {
          const int64_t ih = oh_first - ph + j * DH, slot = (2 * pair + j) % kRowsPerTile;
          for (int64_t k = 0; k < plane_count; ++k) {
            const float*& row = slot_rows[static_cast<size_t>(k * kRowsPerTile + slot)];
            const float* plane = planes[static_cast<size_t>(k)];
            if (plane == nullptr || ih < 0 || ih >= IH) {
              row = zero.data();
              continue;
            }
            float* buf = ring.data() + (k * kRowsPerTile + slot) * row_floats;
            isa_->w_convert_row(plane + ih * IW * IC, IW, IC, 2 * DW, pw, phase_len, gather, buf);
            row = buf;
          }
        }
        // Fetched while this pair of rows computes: the input rows the next pair converts,
        // then each call's output rows during the call before it (memory latency otherwise
        // stalls the conversions' gathers and the scattered stores).
        kernels::L2PrefetchQueue queue;
        const auto queue_output_rows = [&](int64_t od0, int64_t oh0) {
          for (int64_t zd = 0; zd < 2; ++zd)
            for (int64_t zh = 0; zh < 2; ++zh)
              if (const float* row = output_row(od0 + zd * DD, oh0 + zh * DH))
                queue.rows[queue.count++] = reinterpret_cast<const char*>(row);
        };
        for (int64_t pr = 0; pr < count; ++pr) {
          const int64_t od0 = od_first + 2 * pr * DD;
          if (!in_slab(od0) && !in_slab(od0 + DD)) continue;
          queue.count = 0;
          if (pr + 1 < count) {
            queue_output_rows(od0 + 2 * DD, oh_first);
            queue.spread(out_row_lines, issues_per_call);
          } else if (pair + 1 < row_pairs) {
            for (int64_t j = 2; j < kRowsPerTile; ++j) {
              const int64_t ih = oh_first + 2 * DH - ph + j * DH;
              for (int64_t k = 0; k < plane_count && ih < IH; ++k)
                if (const float* plane = planes[static_cast<size_t>(k)])
                  queue.rows[queue.count++] = reinterpret_cast<const char*>(plane + ih * IW * IC);
            }
            queue.spread(in_row_lines, issues_per_call);
          }
          for (int64_t dz = 0; dz < kRowsPerTile; ++dz)
            for (int64_t j = 0; j < kRowsPerTile; ++j)
              rows[dz * kRowsPerTile + j] = slot_rows[static_cast<size_t>((2 * pr + dz) * kRowsPerTile +
                                                                          (2 * pair + j) % kRowsPerTile)];
          for (int64_t zd = 0; zd < 2; ++zd)
            for (int64_t zh = 0; zh < 2; ++zh) out[zd * 2 + zh] = output_row(od0 + zd * DD, oh_first + zh * DH);
          kernels::WinoRowArgs a{};
          a.rows = rows;
          a.phase_len = phase_len;
          a.ic = IC;
          a.dw = DW;
          a.u = winograd_u_.data();
          a.oc = OC;
          a.oc_chunks = chunks;
          a.bias = bias;
          a.out = out;
          a.out_stride = OC;
          a.ow = OW;
          a.nt = nt;
          a.scratch = scratch.data();
          a.relu = p_.activation.kind == Activation::relu;
          a.prefetch_l2 = queue.count > 0 ? &queue : nullptr;
          isa_->wino_row(a);
          for (float* row : out)
            if (row) finish_lines(row, 1, OW);
        }
      }
    }
  });
}

}  // namespace voxconv::engine
