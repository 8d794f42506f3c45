#pragma once
// The ops a network is made of: each wraps one engine call or one function of
// tensor_ops.hpp and knows its output shape and grid. Plain parameters only.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/activation.hpp"
#include "engine/conv3d_params.hpp"
#include "network/network.hpp"
#include "network/tensor_ops.hpp"

namespace voxconv::engine {
class FastConv3d;
}

namespace voxconv::network {

// Conv3D on the fast engine (or the reference engine, the oracle).
class Conv3dOp final : public Op {
 public:
  // Packs the weights once; throws ErrorKind::shape when they do not fit the params.
  Conv3dOp(const engine::Conv3dParams& params, Tensor kernel, Tensor bias, bool reference_engine);
  ~Conv3dOp() override;
  std::string describe() const override;
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  GridShift grid_shift(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;
  const engine::Conv3dParams& params() const noexcept { return params_; }

 private:
  engine::Conv3dParams params_;
  Tensor kernel_, bias_;  // kept for the reference engine
  std::unique_ptr<engine::FastConv3d> fast_;
};

class ZeroPadOp final : public Op {
 public:
  explicit ZeroPadOp(const SpatialPads& pads) : pads_(pads) {}
  std::string describe() const override { return "zero_pad"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  GridShift grid_shift(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  SpatialPads pads_;
};

class CropOp final : public Op {
 public:
  explicit CropOp(const SpatialPads& crops) : crops_(crops) {}
  std::string describe() const override { return "crop"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  GridShift grid_shift(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  SpatialPads crops_;
};

// An engine activation in place (softmax over channels or over W).
class ActivationOp final : public Op {
 public:
  explicit ActivationOp(engine::ActivationSpec spec) : spec_(spec) {}
  std::string describe() const override { return engine::to_string(spec_.kind); }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  engine::ActivationSpec spec_;
};

// Keras' relu with slope, threshold and cap (ReLU and LeakyReLU layers).
class ReluOp final : public Op {
 public:
  ReluOp(float negative_slope, float threshold, std::optional<float> max_value)
      : slope_(negative_slope), threshold_(threshold), max_(max_value) {}
  std::string describe() const override { return "relu"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  float slope_, threshold_;
  std::optional<float> max_;
};

class EluOp final : public Op {
 public:
  explicit EluOp(float alpha) : alpha_(alpha) {}
  std::string describe() const override { return "elu"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  float alpha_;
};

// alpha: (1, D|1, H|1, W|1, C|1).
class PReluOp final : public Op {
 public:
  explicit PReluOp(Tensor alpha) : alpha_(std::move(alpha)) {}
  std::string describe() const override { return "prelu"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  Tensor alpha_;
};

// x * scale[c] + shift[c] (inference batch normalization, folded).
class ScaleShiftOp final : public Op {
 public:
  ScaleShiftOp(std::vector<float> scale, std::vector<float> shift) : scale_(std::move(scale)), shift_(std::move(shift)) {}
  std::string describe() const override { return "scale_shift"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;

 private:
  std::vector<float> scale_, shift_;
};

// Passes its input on (dropout at inference).
class IdentityOp final : public Op {
 public:
  std::string describe() const override { return "identity"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;
};

// Element-wise sum of two or more inputs of one shape.
class AddOp final : public Op {
 public:
  std::string describe() const override { return "add"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;
};

// Channels of the inputs stacked in order.
class ConcatOp final : public Op {
 public:
  std::string describe() const override { return "concat"; }
  Dims output_dims(const std::vector<Dims>& inputs) const override;
  Tensor forward(OpInputs& inputs, ThreadPool& pool) const override;
};

}  // namespace voxconv::network
