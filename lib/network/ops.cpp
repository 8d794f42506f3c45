#include "network/ops.hpp"

#include "core/error.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"

namespace voxconv::network {

namespace {

const Dims& only_input(const std::vector<Dims>& inputs) {
  if (inputs.size() != 1) throw Error(ErrorKind::shape, "takes one input, got " + std::to_string(inputs.size()));
  if (inputs[0].size() != 5) throw Error(ErrorKind::shape, "expects a 5D tensor, got " + dims_to_string(inputs[0]));
  return inputs[0];
}

// Spatial sizes for a shape check: unknown axes get a size any op accepts, and are
// marked unknown again in the result.
std::array<int64_t, 3> spatial_or(const Dims& d, int64_t fallback) {
  return {d[1] == kUnknown ? fallback : d[1], d[2] == kUnknown ? fallback : d[2], d[3] == kUnknown ? fallback : d[3]};
}

}  // namespace

// ---- Conv3dOp --------------------------------------------------------------------------

Conv3dOp::Conv3dOp(const engine::Conv3dParams& params, Tensor kernel, Tensor bias, bool reference_engine)
    : params_(params), kernel_(std::move(kernel)), bias_(std::move(bias)) {
  params_.validate();
  engine::check_conv_weights(params_, kernel_, bias_);
  if (!reference_engine) {
    fast_ = std::make_unique<engine::FastConv3d>(params_, kernel_, bias_);
    kernel_ = Tensor();  // packed inside the engine now
    bias_ = Tensor();
  }
}

Conv3dOp::~Conv3dOp() = default;

std::string Conv3dOp::describe() const { return "conv3d " + (fast_ ? fast_->describe() : std::string("reference")); }

Dims Conv3dOp::output_dims(const std::vector<Dims>& inputs) const {
  const Dims& in = only_input(inputs);
  if (in[4] != params_.ic && in[4] != kUnknown)
    throw Error(ErrorKind::shape, "the input has " + std::to_string(in[4]) + " channels, the kernel needs " +
                                      std::to_string(params_.ic));
  int64_t fits = 1;  // a size every axis accepts, for unknown ones
  for (size_t a = 0; a < 3; ++a) fits = std::max(fits, (params_.kernel[a] - 1) * params_.dilation[a] + 1);
  const engine::ConvPlan plan = engine::plan_shape(params_, spatial_or(in, fits));
  Dims out{in[0], plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, params_.oc};  // batch may be kUnknown
  for (size_t a = 0; a < 3; ++a)
    if (in[a + 1] == kUnknown) out[a + 1] = kUnknown;
  return out;
}

GridShift Conv3dOp::grid_shift(const std::vector<Dims>& inputs) const {
  const Dims& in = only_input(inputs);
  return engine::conv_grid_shift(params_, engine::plan_shape(params_, {in[1], in[2], in[3]}));
}

Tensor Conv3dOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  const Tensor& src = inputs.get(0);
  if (fast_) return fast_->run(src, pool);
  return engine::conv3d_reference(params_, src, kernel_, bias_, pool);
}

// ---- padding and cropping ------------------------------------------------------------------

Dims ZeroPadOp::output_dims(const std::vector<Dims>& inputs) const {
  Dims out = only_input(inputs);
  for (size_t a = 0; a < 3; ++a)
    if (out[a + 1] != kUnknown) out[a + 1] += pads_[a][0] + pads_[a][1];
  return out;
}

GridShift ZeroPadOp::grid_shift(const std::vector<Dims>&) const {
  GridShift shift;
  for (size_t a = 0; a < 3; ++a) shift.first_index[a] = -static_cast<double>(pads_[a][0]);
  return shift;
}

Tensor ZeroPadOp::forward(OpInputs& inputs, ThreadPool& pool) const { return zero_pad(inputs.get(0), pads_, pool); }

Dims CropOp::output_dims(const std::vector<Dims>& inputs) const {
  Dims out = only_input(inputs);
  for (size_t a = 0; a < 3; ++a) {
    if (out[a + 1] == kUnknown) continue;
    out[a + 1] -= crops_[a][0] + crops_[a][1];
    if (out[a + 1] < 1)
      throw Error(ErrorKind::shape, "cropping (" + std::to_string(crops_[a][0]) + ", " + std::to_string(crops_[a][1]) +
                                        ") leaves nothing of the input " + shape_text(inputs[0]));
  }
  return out;
}

GridShift CropOp::grid_shift(const std::vector<Dims>&) const {
  GridShift shift;
  for (size_t a = 0; a < 3; ++a) shift.first_index[a] = static_cast<double>(crops_[a][0]);
  return shift;
}

Tensor CropOp::forward(OpInputs& inputs, ThreadPool& pool) const { return crop(inputs.get(0), crops_, pool); }

// ---- element-wise --------------------------------------------------------------------------

Dims ActivationOp::output_dims(const std::vector<Dims>& inputs) const { return only_input(inputs); }

Tensor ActivationOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor t = inputs.take(0);
  engine::apply_activation(spec_, t, pool);
  return t;
}

Dims ReluOp::output_dims(const std::vector<Dims>& inputs) const { return only_input(inputs); }

Tensor ReluOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor t = inputs.take(0);
  relu(t, slope_, threshold_, max_, pool);
  return t;
}

Dims EluOp::output_dims(const std::vector<Dims>& inputs) const { return only_input(inputs); }

Tensor EluOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor t = inputs.take(0);
  elu(t, alpha_, pool);
  return t;
}

Dims PReluOp::output_dims(const std::vector<Dims>& inputs) const {
  const Dims& in = only_input(inputs);
  for (size_t a = 1; a < 5; ++a)
    if (alpha_.dim(a) != 1 && in[a] != kUnknown && alpha_.dim(a) != in[a])
      throw Error(ErrorKind::shape, "alpha of shape " + dims_to_string(alpha_.dims()) + " does not fit the input " +
                                        shape_text(in));
  return in;
}

Tensor PReluOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor t = inputs.take(0);
  prelu(t, alpha_, pool);
  return t;
}

Dims ScaleShiftOp::output_dims(const std::vector<Dims>& inputs) const {
  const Dims& in = only_input(inputs);
  if (in[4] != static_cast<int64_t>(scale_.size()) && in[4] != kUnknown)
    throw Error(ErrorKind::shape, "has parameters for " + std::to_string(scale_.size()) + " channels, the input has " +
                                      std::to_string(in[4]));
  return in;
}

Tensor ScaleShiftOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor t = inputs.take(0);
  scale_shift_channels(t, scale_, shift_, pool);
  return t;
}

Dims IdentityOp::output_dims(const std::vector<Dims>& inputs) const { return only_input(inputs); }

Tensor IdentityOp::forward(OpInputs& inputs, ThreadPool&) const { return inputs.take(0); }

// ---- merges --------------------------------------------------------------------------------

Dims AddOp::output_dims(const std::vector<Dims>& inputs) const {
  if (inputs.size() < 2) throw Error(ErrorKind::shape, "adds two or more inputs, got " + std::to_string(inputs.size()));
  Dims out = inputs[0];
  for (const Dims& d : inputs) {
    if (d.size() != 5) throw Error(ErrorKind::shape, "expects 5D tensors, got " + dims_to_string(d));
    for (size_t a = 0; a < 5; ++a) {
      if (d[a] != out[a] && d[a] != kUnknown && out[a] != kUnknown)
        throw Error(ErrorKind::shape, "cannot add inputs of shapes " + shape_text(inputs[0]) + " and " + shape_text(d));
      if (out[a] == kUnknown) out[a] = d[a];
    }
  }
  return out;
}

Tensor AddOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  Tensor sum = inputs.take(0);
  for (size_t i = 1; i < inputs.size(); ++i) add_into(sum, inputs.get(i), pool);
  return sum;
}

Dims ConcatOp::output_dims(const std::vector<Dims>& inputs) const {
  if (inputs.empty()) throw Error(ErrorKind::shape, "has no input");
  Dims out = inputs[0];
  out[4] = 0;
  for (const Dims& d : inputs) {
    if (d.size() != 5) throw Error(ErrorKind::shape, "expects 5D tensors, got " + dims_to_string(d));
    for (size_t a = 0; a < 4; ++a) {
      if (d[a] != out[a] && d[a] != kUnknown && out[a] != kUnknown)
        throw Error(ErrorKind::shape, "cannot concatenate inputs of shapes " + shape_text(inputs[0]) + " and " +
                                          shape_text(d) + " along the channels");
      if (out[a] == kUnknown) out[a] = d[a];
    }
    out[4] = out[4] == kUnknown || d[4] == kUnknown ? kUnknown : out[4] + d[4];
  }
  return out;
}

Tensor ConcatOp::forward(OpInputs& inputs, ThreadPool& pool) const {
  std::vector<const Tensor*> parts;
  for (size_t i = 0; i < inputs.size(); ++i) parts.push_back(&inputs.get(i));
  return concat_channels(parts, pool);
}

}  // namespace voxconv::network
