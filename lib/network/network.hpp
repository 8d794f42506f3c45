#pragma once
// A network of tensor operations (a whole Conv3D model) run on NDHWC float32 tensors.
// Nodes are added in topological order; run() frees each intermediate tensor as soon as
// its last consumer has run, and hands a tensor to its last consumer by move, so an
// element-wise op works in place: a chain keeps about two feature maps alive.
// Knows nothing of Keras, files or JSON.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"

namespace voxconv::engine {
class ThreadPool;
}

namespace voxconv::network {

using engine::ThreadPool;

// A spatial size not known yet (shape inference without an input, as `info` does).
constexpr int64_t kUnknown = -1;

// "(None, 1, 256, 256, 256)": dims as Python prints a Keras shape, kUnknown as None.
std::string shape_text(const Dims& dims);

// The inputs of one op while the network runs.
class OpInputs {
 public:
  virtual ~OpInputs() = default;
  virtual size_t size() const = 0;
  virtual const Tensor& get(size_t i) const = 0;
  // The tensor itself when this op is its last consumer (no copy), else a copy.
  virtual Tensor take(size_t i) = 0;
};

class Op {
 public:
  virtual ~Op() = default;
  // Short name for logs: "conv3d avx512/w", "zero_pad", ...
  virtual std::string describe() const = 0;
  // NDHWC output dims for these input dims; spatial sizes may be kUnknown. Throws
  // ErrorKind::shape when the inputs do not fit.
  virtual Dims output_dims(const std::vector<Dims>& inputs) const = 0;
  // Where output voxel i lies on the grid of the first input, per spatial axis (D, H, W):
  // continuous index first_index + stride * i. Identity unless the op moves the grid.
  virtual GridShift grid_shift(const std::vector<Dims>& inputs) const;
  virtual Tensor forward(OpInputs& inputs, ThreadPool& pool) const = 0;
};

struct RunStats {
  int64_t peak_live_bytes = 0;  // largest sum of tensors held at once (inputs, intermediates, output)
};

class Network {
 public:
  // Returns the node index. Inputs are fed to run() in the order they were added.
  int add_input(std::string label);
  // `label` names the node in errors, e.g. "layer \"21\" (Conv3D)".
  int add(std::string label, std::unique_ptr<Op> op, std::vector<int> inputs);
  void set_output(int node);
  int output() const noexcept { return output_; }
  size_t input_count() const noexcept { return inputs_.size(); }
  const std::string& label(int node) const { return nodes_.at(static_cast<size_t>(node)).label; }

  // Dims of every node for these input dims, checked before any work. Nodes not on the
  // way to the output stay empty. Errors name the node.
  std::vector<Dims> infer_dims(const std::vector<Dims>& inputs) const;
  // The output grid on the first input's grid, composed along each node's first input.
  GridShift output_grid(const std::vector<Dims>& inputs) const;

  // Runs the nodes the output depends on. Throws what the ops throw, naming the node.
  Tensor run(std::vector<Tensor> inputs, ThreadPool& pool, RunStats* stats = nullptr) const;

 private:
  struct Node {
    std::string label;
    std::unique_ptr<Op> op;  // null for an input
    std::vector<int> inputs;
  };
  std::vector<bool> needed() const;

  std::vector<Node> nodes_;
  std::vector<int> inputs_;
  int output_ = -1;
};

// a then b: b's grid expressed on a's input grid.
GridShift compose(const GridShift& a, const GridShift& b);

}  // namespace voxconv::network
