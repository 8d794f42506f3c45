#include "engine/conv3d_fast.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

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

FastConv3d::FastConv3d(const Conv3dParams& params, const Tensor& kernel, const Tensor& bias,
                       const kernels::KernelTable* isa)
    : p_(params), isa_(isa ? isa : &best_kernel_table()) {
  p_.validate();
  const auto kd = p_.kernel_dims();
  if (kernel.dims() != Dims(kd.begin(), kd.end()))
    throw Error(ErrorKind::shape, "kernel has shape " + dims_to_string(kernel.dims()) + " but the layer needs " +
                                      dims_to_string(Dims(kd.begin(), kd.end())));
  if (p_.use_bias && bias.dims() != Dims{p_.oc})
    throw Error(ErrorKind::shape, "bias has shape " + dims_to_string(bias.dims()) + " but the layer needs (" +
                                      std::to_string(p_.oc) + ",)");
  const int64_t G = p_.groups, ICG = p_.ic / G, OCG = p_.oc / G, OC = p_.oc;
  const int64_t taps = p_.kernel[0] * p_.kernel[1] * p_.kernel[2];
  // Wide output-channel groups vectorize over channels; narrow ones over W.
  block_width_ = static_cast<int64_t>(isa_->vector_width) * isa_->oc_nv;
  oc_family_ = OCG >= block_width_;
  const float* w = kernel.data();
  if (oc_family_) {
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
  } else {
    packed_.resize(static_cast<size_t>(G * taps * ICG * OCG));
    for (int64_t g = 0; g < G; ++g)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t c = 0; c < ICG; ++c)
          for (int64_t o = 0; o < OCG; ++o)
            packed_[static_cast<size_t>(((g * taps + t) * ICG + c) * OCG + o)] = w[(t * ICG + c) * OC + g * OCG + o];
    if (p_.use_bias) bias_.assign(bias.data(), bias.data() + OC);
  }
}

std::string FastConv3d::describe() const { return std::string(isa_->isa) + (oc_family_ ? "/oc" : "/w"); }

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
  const int64_t N = src.dim(0), ID = src.dim(1), IH = src.dim(2), IW = src.dim(3), IC = p_.ic;
  const ConvPlan plan = plan_shape(p_, {ID, IH, IW});
  const int64_t OD = plan.axis[0].out, OH = plan.axis[1].out, OW = plan.axis[2].out, OC = p_.oc;
  const int64_t KD = p_.kernel[0], KH = p_.kernel[1], KW = p_.kernel[2];
  const int64_t SW = p_.strides[2], DW = p_.dilation[2];
  const int64_t G = p_.groups, ICG = IC / G, OCG = OC / G;
  const int64_t taps = KD * KH * KW;
  const int64_t pw = plan.axis[2].pad_before;
  const bool relu = p_.activation.kind == Activation::relu;
  const float* s = src.data();
  float* d = dst.data();

  // Row buffers: oc family keeps channels interleaved and pads W with zeros when the
  // window leaves the row; w family stores planar channels split by W phase.
  const int64_t iw_padded = std::max(IW + pw + plan.axis[2].pad_after, (OW - 1) * SW + (KW - 1) * DW + 1);
  const bool oc_needs_copy = pw > 0 || (OW - 1) * SW + (KW - 1) * DW >= IW;
  const int64_t w_tile = static_cast<int64_t>(isa_->w_nv) * isa_->vector_width;
  // Tiles of any width up to w_tile may read up to w_tile - 1 columns past OW.
  const int64_t phase_len = OW + w_tile + (KW - 1) * DW / SW + 1;
  const int64_t row_floats = oc_family_ ? iw_padded * IC : SW * IC * phase_len;

  pool.parallel_for(N * OD * OH, [&](int64_t task) {
    thread_local std::vector<float> scratch;
    thread_local std::vector<const float*> rows;
    const int64_t n = task / (OD * OH), od = (task / OH) % OD, oh = task % OH;
    rows.assign(static_cast<size_t>(KD * KH), nullptr);
    if (scratch.size() < static_cast<size_t>(KD * KH * row_floats)) scratch.resize(static_cast<size_t>(KD * KH * row_floats));
    for (int64_t kd = 0; kd < KD; ++kd) {
      const int64_t id = od * p_.strides[0] - plan.axis[0].pad_before + kd * p_.dilation[0];
      if (id < 0 || id >= ID) continue;
      for (int64_t kh = 0; kh < KH; ++kh) {
        const int64_t ih = oh * p_.strides[1] - plan.axis[1].pad_before + kh * p_.dilation[1];
        if (ih < 0 || ih >= IH) continue;
        const float* in_row = s + ((n * ID + id) * IH + ih) * IW * IC;
        float* buf = scratch.data() + (kd * KH + kh) * row_floats;
        if (oc_family_) {
          if (!oc_needs_copy) {
            rows[static_cast<size_t>(kd * KH + kh)] = in_row;
            continue;
          }
          std::fill(buf, buf + pw * IC, 0.0f);
          std::memcpy(buf + pw * IC, in_row, static_cast<size_t>(IW * IC) * sizeof(float));
          std::fill(buf + (pw + IW) * IC, buf + row_floats, 0.0f);
        } else {
          for (int64_t phase = 0; phase < SW; ++phase)
            for (int64_t c = 0; c < IC; ++c) {
              float* run = buf + (phase * IC + c) * phase_len;
              for (int64_t j = 0; j < phase_len; ++j) {
                const int64_t iw = j * SW + phase - pw;
                run[j] = iw >= 0 && iw < IW ? in_row[iw * IC + c] : 0.0f;
              }
            }
        }
        rows[static_cast<size_t>(kd * KH + kh)] = buf;
      }
    }
    float* out_row = d + ((n * OD + od) * OH + oh) * OW * OC;
    for (int64_t g = 0; g < G; ++g) {
      if (oc_family_) {
        kernels::OcRowArgs a{};
        a.rows = rows.data();
        a.taps_dh = KD * KH;
        a.kw = KW;
        a.dw = DW;
        a.sw = SW;
        a.in_ic = IC;
        a.ic_offset = g * ICG;
        a.icg = ICG;
        a.packed = packed_.data() + g * blocks_ * taps * ICG * block_width_;
        a.bias = bias_.data() + g * blocks_ * block_width_;
        a.blocks = blocks_;
        a.valid_last = OCG - (blocks_ - 1) * block_width_;
        a.out = out_row + g * OCG;
        a.out_stride = OC;
        a.ow = OW;
        a.relu = relu;
        isa_->oc_row(a);
      } else {
        const int64_t chunks = (OCG + isa_->max_oc_block - 1) / isa_->max_oc_block;
        for (int64_t chunk = 0, begin = 0; chunk < chunks; ++chunk) {
          const int64_t count = (OCG - begin) / (chunks - chunk);
          kernels::WRowArgs a{};
          a.rows = rows.data();
          a.taps_dh = KD * KH;
          a.kw = KW;
          a.dw = DW;
          a.sw = SW;
          a.phase_len = phase_len;
          a.in_ic = IC;
          a.ic_offset = g * ICG;
          a.icg = ICG;
          a.weights = packed_.data() + g * taps * ICG * OCG;
          a.ocg = OCG;
          a.oc_begin = begin;
          a.oc_count = count;
          a.bias = p_.use_bias ? bias_.data() + g * OCG : nullptr;
          a.out = out_row + g * OCG;
          a.out_stride = OC;
          a.ow = OW;
          a.relu = relu;
          isa_->w_row(a);
          begin += count;
        }
      }
    }
  });
  if (!relu) apply_activation(p_.activation, dst, pool);
}

}  // namespace voxconv::engine
