#include "onednn_conv.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <vector>

namespace voxconv::bench {

using dnnl::memory;

struct OneDnnConv::State {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{eng};
  dnnl::convolution_forward conv;
  memory src, wei, bias, dst;
  std::string impl;
  int threads;
};

OneDnnConv::OneDnnConv(const engine::Conv3dParams& p, int64_t size, int threads) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.threads = threads;
  omp_set_num_threads(threads);
  const auto plan = engine::plan_shape(p, {size, size, size});
  const memory::dims src_dims{1, p.ic, size, size, size};
  const memory::dims dst_dims{1, p.oc, plan.axis[0].out, plan.axis[1].out, plan.axis[2].out};
  const memory::dims wei_dims =
      p.groups == 1 ? memory::dims{p.oc, p.ic, p.kernel[0], p.kernel[1], p.kernel[2]}
                    : memory::dims{p.groups, p.oc / p.groups, p.ic / p.groups, p.kernel[0], p.kernel[1], p.kernel[2]};
  const memory::dims strides(p.strides.begin(), p.strides.end());
  const memory::dims dilates{p.dilation[0] - 1, p.dilation[1] - 1, p.dilation[2] - 1};
  const memory::dims pad_l{plan.axis[0].pad_before, plan.axis[1].pad_before, plan.axis[2].pad_before};
  const memory::dims pad_r{plan.axis[0].pad_after, plan.axis[1].pad_after, plan.axis[2].pad_after};
  const auto f32 = memory::data_type::f32;
  const auto any = memory::format_tag::any;
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                       memory::desc(src_dims, f32, any), memory::desc(wei_dims, f32, any),
                                       memory::desc({p.oc}, f32, memory::format_tag::a), memory::desc(dst_dims, f32, any),
                                       strides, dilates, pad_l, pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, s.eng);
  s.impl = pd.impl_info_str();
  s.conv = dnnl::convolution_forward(pd);
  s.src = memory(pd.src_desc(), s.eng);
  s.wei = memory(pd.weights_desc(), s.eng);
  s.bias = memory(pd.bias_desc(), s.eng);
  s.dst = memory(pd.dst_desc(), s.eng);
  // Values do not change the timing of a dense convolution, only need to be finite.
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (memory* m : {&s.src, &s.wei, &s.bias}) {
    float* data = static_cast<float*>(m->get_data_handle());
    const size_t n = m->get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < n; ++i) data[i] = normal(rng);
  }
}

OneDnnConv::~OneDnnConv() = default;

void OneDnnConv::execute() {
  State& s = *state_;
  omp_set_num_threads(s.threads);
  s.conv.execute(s.stream, {{DNNL_ARG_SRC, s.src}, {DNNL_ARG_WEIGHTS, s.wei}, {DNNL_ARG_BIAS, s.bias}, {DNNL_ARG_DST, s.dst}});
  s.stream.wait();
}

std::string OneDnnConv::implementation() const { return state_->impl; }

}  // namespace voxconv::bench
