#include "engine/conv3d_reference.hpp"

#include <vector>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {

void check_conv_operands(const Conv3dParams& p, const Tensor& src, const Tensor& kernel, const Tensor& bias) {
  check_conv_weights(p, kernel, bias);
  if (src.rank() != 5)
    throw Error(ErrorKind::shape, "input array has shape " + dims_to_string(src.dims()) + ": expected 5 dimensions (N, D, H, W, C)");
  if (src.dim(4) != p.ic)
    throw Error(ErrorKind::shape, "input has " + std::to_string(src.dim(4)) + " channels but the layer expects " +
                                      std::to_string(p.ic));
}

void check_conv_weights(const Conv3dParams& p, const Tensor& kernel, const Tensor& bias) {
  p.validate();
  const auto kd = p.kernel_dims();
  const Dims want(kd.begin(), kd.end());
  if (kernel.dims() != want)
    throw Error(ErrorKind::shape, "kernel has shape " + dims_to_string(kernel.dims()) + " but the layer needs " +
                                      dims_to_string(want));
  if (p.use_bias && bias.dims() != Dims{p.oc})
    throw Error(ErrorKind::shape, "bias has shape " + dims_to_string(bias.dims()) + " but the layer needs " +
                                      dims_to_string(Dims{p.oc}));
}

Tensor conv3d_reference(const Conv3dParams& p, const Tensor& src, const Tensor& kernel, const Tensor& bias,
                        ThreadPool& pool) {
  check_conv_operands(p, src, kernel, bias);
  const int64_t N = src.dim(0), ID = src.dim(1), IH = src.dim(2), IW = src.dim(3), IC = p.ic;
  const ConvPlan plan = plan_shape(p, {ID, IH, IW});
  const int64_t OD = plan.axis[0].out, OH = plan.axis[1].out, OW = plan.axis[2].out, OC = p.oc;
  const int64_t KD = p.kernel[0], KH = p.kernel[1], KW = p.kernel[2];
  const int64_t ICG = IC / p.groups, OCG = OC / p.groups;
  Tensor dst({N, OD, OH, OW, OC});

  const float* s = src.data();
  const float* w = kernel.data();
  const float* b = p.use_bias ? bias.data() : nullptr;
  float* out = dst.data();

  pool.parallel_for(N * OD, [&](int64_t slice) {
    const int64_t n = slice / OD, od = slice % OD;
    std::vector<double> acc(static_cast<size_t>(OC));
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        for (int64_t oc = 0; oc < OC; ++oc) acc[static_cast<size_t>(oc)] = b ? static_cast<double>(b[oc]) : 0.0;
        for (int64_t kd = 0; kd < KD; ++kd) {
          const int64_t id = od * p.strides[0] - plan.axis[0].pad_before + kd * p.dilation[0];
          if (id < 0 || id >= ID) continue;
          for (int64_t kh = 0; kh < KH; ++kh) {
            const int64_t ih = oh * p.strides[1] - plan.axis[1].pad_before + kh * p.dilation[1];
            if (ih < 0 || ih >= IH) continue;
            for (int64_t kw = 0; kw < KW; ++kw) {
              const int64_t iw = ow * p.strides[2] - plan.axis[2].pad_before + kw * p.dilation[2];
              if (iw < 0 || iw >= IW) continue;
              const float* x = s + (((n * ID + id) * IH + ih) * IW + iw) * IC;
              const float* wk = w + ((kd * KH + kh) * KW + kw) * ICG * OC;
              for (int64_t oc = 0; oc < OC; ++oc) {
                const int64_t g = oc / OCG;
                double sum = 0.0;
                for (int64_t c = 0; c < ICG; ++c)
                  sum += static_cast<double>(x[g * ICG + c]) * static_cast<double>(wk[c * OC + oc]);
                acc[static_cast<size_t>(oc)] += sum;
              }
            }
          }
        }
        float* o = out + (((n * OD + od) * OH + oh) * OW + ow) * OC;
        for (int64_t oc = 0; oc < OC; ++oc) o[oc] = static_cast<float>(acc[static_cast<size_t>(oc)]);
      }
    }
  });
  apply_activation(p.activation, dst, pool);
  return dst;
}

}  // namespace voxconv::engine
