#pragma once
// The fast engine: direct convolution on NDHWC without im2col or a padded copy of the
// volume, or Winograd F(2x2x2, 3x3x3) tiles for 3x3x3 stride-1 layers on few channels
// (conv3d_fast_winograd.cpp). Weights are repacked once at construction; run() splits
// output rows (n, od, oh) over the pool, and every output is computed in one fixed order
// by one task, so the bytes do not depend on the thread count. SIMD kernels are chosen at run time
// from what the CPU has (AVX-512, AVX2+FMA, or portable).
#include <string>
#include <vector>

#include "core/aligned_allocator.hpp"
#include "core/tensor.hpp"
#include "engine/conv3d_params.hpp"

namespace voxconv::engine {

namespace kernels {
struct KernelTable;
}
class ThreadPool;

// Kernel builds this CPU can run, best first. The environment variable VOXCONV_ISA
// (avx512, avx2, generic) caps the choice, for testing and comparisons.
std::vector<const kernels::KernelTable*> available_kernel_tables();
const kernels::KernelTable& best_kernel_table();

// Which kernel family and blocking to use. The defaults choose from the shape; tests set
// them to reach every path on small inputs.
struct FastConv3dTuning {
  // winograd: where the layer allows it (3x3x3, stride 1, one group), else as automatic;
  // winograd_w: the w family's 1-D Winograd rows where they apply (kw 3, stride 1 along W),
  // else the w family; oc: the oc family's direct rows; oc_winograd_w: the oc family's 1-D
  // Winograd rows where they apply, else its direct rows (automatic takes them where the
  // oc family runs and they apply).
  enum class Family { automatic, oc, w, winograd, winograd_w, oc_winograd_w };
  Family family = Family::automatic;
  int oc_nv = 0;                 // oc family: vectors per output-channel block, 1..4 (0: chosen)
  int64_t w_band_rows = 0;       // w family: output rows per band of converted input (0: chosen)
  int64_t positions_per_task = 0;  // pointwise: flattened positions per task (0: chosen)
  // oc family: non-temporal stores of the output (automatic: outputs of 16 MB or more).
  enum class Streaming { automatic, off, on };
  Streaming streaming = Streaming::automatic;
  // oc family: bytes of copied or converted input rows a task may hold (0: 4 MB); fewer rows
  // per task where its rows would take more.
  int64_t oc_task_bytes = 0;
};

class FastConv3d {
 public:
  // Validates operands like conv3d_reference and packs the weights.
  FastConv3d(const Conv3dParams& params, const Tensor& kernel, const Tensor& bias,
             const kernels::KernelTable* isa = nullptr, FastConv3dTuning tuning = {});

  // src (N, D, H, W, ic) -> dst (N, OD, OH, OW, oc), activation applied.
  Tensor run(const Tensor& src, ThreadPool& pool) const;
  // The same into a caller-owned dst of the right shape (benchmarks reuse it).
  void run(const Tensor& src, Tensor& dst, ThreadPool& pool) const;
  // Output planes slab.od_begin..od_end of the run on the whole input, from src holding
  // input planes slab.in_first.. of it (at least input_planes_for(...) of the slab), into
  // dst (N, od_end - od_begin, OH, OW, oc). The bytes equal those run() writes for the
  // same planes: each output is summed in the same order whichever slab holds it.
  void run_slab(const Tensor& src, const DepthSlab& slab, Tensor& dst, ThreadPool& pool) const;
  // Output shape for an input shape; throws ErrorKind::shape when they do not fit.
  Dims output_dims(const Dims& src_dims) const;

  const Conv3dParams& params() const { return p_; }
  // e.g. "avx512/oc2", "avx512/pointwise2", "avx2/w", "avx512/winograd-w" or "avx512/winograd": kernel build,
  // family and vectors. The w family's rows depend on the output width: given the input's
  // shape, the rows it would run ("w" or "winograd-w"); without, "w+winograd-w" where
  // either may run.
  std::string describe(const Dims& src_dims = {}) const;

 private:
  // Each splits the output into tasks whose grid depends only on the shape.
  void run_oc_rows(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab, ThreadPool& pool) const;
  void run_pointwise(const Tensor& src, Tensor& dst, const DepthSlab& slab, ThreadPool& pool) const;
  void run_w_planes(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab, ThreadPool& pool) const;
  void run_winograd(const Tensor& src, Tensor& dst, const ConvPlan& plan, const DepthSlab& slab, ThreadPool& pool) const;
  // Whether F(2x2x2, 3x3x3) tiles compute this layer: 3x3x3, stride 1, one group.
  bool winograd_applies() const;
  // Transforms the Keras kernel (KD, KH, KW, IC, OC) to the 64 positions of winograd_u_.
  void transform_winograd_weights(const Tensor& kernel);
  // Whether the w family's rows can be 1-D Winograd tiles along W: kw 3, stride 1 along W.
  bool winograd_w_applies() const;
  // Whether they take fewer products than direct rows at output width ow (tiles lost to W
  // classes included), or are forced.
  bool winograd_w_pays(int64_t ow) const;
  // The Keras kernel (KD, KH, 3, ICG, OC) transformed along W for 1-D Winograd rows, in the
  // same layout with 4 taps G g per (kd, kh) row: (KD * KH * 4, ICG, OC).
  std::vector<float> winograd_w_kernel(const Tensor& kernel) const;
  // A kernel in Keras' layout with `taps` taps per (ICG, OC) to packed_ and bias_ in the
  // oc family's blocks (sets blocks_).
  void pack_oc_blocks(const float* w, int64_t taps, const Tensor& bias);
  // A kernel in Keras' layout with `taps` taps, in the w family's layout [g][tap][icg][ocg].
  AlignedVector<float> pack_w_family(const float* w, int64_t taps) const;
  bool is_flat_pointwise() const;
  // Activation on `lines` output lines of `w` voxels a task has just written.
  void finish_lines(float* out, int64_t lines, int64_t w) const;
  // Whether the activation can run on any run of whole voxels (not only whole lines).
  bool fused_on_voxel_runs() const;
  // Whether the oc family writes dst with non-temporal stores.
  bool streams_output(const Tensor& dst) const;
  // Output positions per register tile of the oc kernel for rows of this shape (taps kw,
  // kw_gap floats apart; outputs step floats apart).
  int64_t oc_tile_height(int64_t kw, int64_t kw_gap, int64_t step) const;
  // Weight taps per channel in the oc family's packed_: the kernel's, or KD * KH * 4.
  int64_t packed_taps() const;

  Conv3dParams p_;
  const kernels::KernelTable* isa_;
  FastConv3dTuning tuning_;
  bool oc_family_ = false;
  bool winograd_ = false;
  bool winograd_w_ = false;     // w family: rows of 1-D Winograd tiles along W where they pay
  bool oc_winograd_w_ = false;  // oc family: rows of 1-D Winograd tiles along W
  int oc_nv_ = 0;               // oc family: vectors per block
  int64_t blocks_ = 0;          // oc family: output-channel blocks per group
  int64_t block_width_ = 0;     // oc family: columns per block
  // oc family: [g][block][tap][icg][block_width] (Winograd rows: tap (kd, kh) * 4 + j, G g
  // along W); w family: [g][tap][icg][ocg].
  AlignedVector<float> packed_;
  // w family's 1-D Winograd rows: [g][(kd, kh) * 4 + j][icg][ocg], G g along W.
  AlignedVector<float> winograd_w_packed_;
  AlignedVector<float> bias_;    // oc family: [g][block][block_width]; w and Winograd families: [oc]
  AlignedVector<float> winograd_u_;  // Winograd family: G g G^T per axis, [64 positions][ic][oc]
};

}  // namespace voxconv::engine
