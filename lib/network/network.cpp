#include "network/network.hpp"

#include <optional>
#include <utility>

#include "core/error.hpp"

namespace voxconv::network {

std::string shape_text(const Dims& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + (dims[i] == kUnknown ? std::string("None") : std::to_string(dims[i]));
  return s + ")";
}

GridShift Op::grid_shift(const std::vector<Dims>&) const { return {}; }

GridShift compose(const GridShift& a, const GridShift& b) {
  GridShift out;
  for (size_t i = 0; i < 3; ++i) {
    out.stride[i] = a.stride[i] * b.stride[i];
    out.first_index[i] = a.first_index[i] + a.stride[i] * b.first_index[i];
  }
  return out;
}

int Network::add_input(std::string label) {
  nodes_.push_back({std::move(label), nullptr, {}});
  inputs_.push_back(static_cast<int>(nodes_.size() - 1));
  return inputs_.back();
}

int Network::add(std::string label, std::unique_ptr<Op> op, std::vector<int> inputs) {
  if (!op) throw Error(ErrorKind::internal, "Network::add: " + label + " has no op");
  for (int i : inputs)
    if (i < 0 || static_cast<size_t>(i) >= nodes_.size())
      throw Error(ErrorKind::internal, "Network::add: " + label + " takes a node that does not exist yet");
  if (inputs.empty()) throw Error(ErrorKind::internal, "Network::add: " + label + " has no input");
  nodes_.push_back({std::move(label), std::move(op), std::move(inputs)});
  return static_cast<int>(nodes_.size() - 1);
}

void Network::set_output(int node) {
  if (node < 0 || static_cast<size_t>(node) >= nodes_.size()) throw Error(ErrorKind::internal, "Network: bad output node");
  output_ = node;
}

std::vector<bool> Network::needed() const {
  if (output_ < 0) throw Error(ErrorKind::internal, "Network: no output set");
  std::vector<bool> need(nodes_.size(), false);
  need[static_cast<size_t>(output_)] = true;
  for (size_t i = nodes_.size(); i-- > 0;)
    if (need[i])
      for (int in : nodes_[i].inputs) need[static_cast<size_t>(in)] = true;
  return need;
}

namespace {

// Prefixes an op's error with the node's label, keeping its kind.
[[noreturn]] void rethrow_for(const std::string& label, const Error& e) {
  throw Error(e.kind(), label + ": " + e.what());
}

}  // namespace

std::vector<Dims> Network::infer_dims(const std::vector<Dims>& inputs) const {
  if (inputs.size() != inputs_.size())
    throw Error(ErrorKind::usage, "the network has " + std::to_string(inputs_.size()) + " inputs, " +
                                      std::to_string(inputs.size()) + " given");
  const std::vector<bool> need = needed();
  std::vector<Dims> dims(nodes_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) dims[static_cast<size_t>(inputs_[i])] = inputs[i];
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!need[n] || !nodes_[n].op) continue;
    std::vector<Dims> in;
    for (int i : nodes_[n].inputs) in.push_back(dims[static_cast<size_t>(i)]);
    try {
      dims[n] = nodes_[n].op->output_dims(in);
    } catch (const Error& e) {
      rethrow_for(nodes_[n].label, e);
    }
  }
  return dims;
}

GridShift Network::output_grid(const std::vector<Dims>& inputs) const {
  const std::vector<Dims> dims = infer_dims(inputs);
  GridShift grid;
  // Walk back from the output along first inputs, then compose forward.
  std::vector<int> path;
  for (int n = output_; nodes_[static_cast<size_t>(n)].op; n = nodes_[static_cast<size_t>(n)].inputs.front()) path.push_back(n);
  for (size_t k = path.size(); k-- > 0;) {
    const Node& node = nodes_[static_cast<size_t>(path[k])];
    std::vector<Dims> in;
    for (int i : node.inputs) in.push_back(dims[static_cast<size_t>(i)]);
    grid = compose(grid, node.op->grid_shift(in));
  }
  return grid;
}

namespace {

class NodeInputs final : public OpInputs {
 public:
  NodeInputs(std::vector<std::optional<Tensor>>& values, std::vector<int>& uses, const std::vector<int>& nodes)
      : values_(values), uses_(uses), nodes_(nodes) {}
  size_t size() const override { return nodes_.size(); }
  const Tensor& get(size_t i) const override { return *values_[static_cast<size_t>(nodes_.at(i))]; }
  Tensor take(size_t i) override {
    const auto n = static_cast<size_t>(nodes_.at(i));
    // Last consumer, and this op does not read the same node through another input.
    int reads = 0;
    for (int other : nodes_) reads += static_cast<size_t>(other) == n ? 1 : 0;
    if (uses_[n] == reads && reads == 1) {
      Tensor t = std::move(*values_[n]);
      values_[n].reset();
      return t;
    }
    return *values_[n];
  }

 private:
  std::vector<std::optional<Tensor>>& values_;
  std::vector<int>& uses_;
  const std::vector<int>& nodes_;
};

int64_t bytes_of(const std::vector<std::optional<Tensor>>& values) {
  int64_t total = 0;
  for (const auto& v : values)
    if (v) total += v->size() * static_cast<int64_t>(sizeof(float));
  return total;
}

}  // namespace

Tensor Network::run(std::vector<Tensor> inputs, ThreadPool& pool, RunStats* stats) const {
  if (inputs.size() != inputs_.size())
    throw Error(ErrorKind::usage, "the network has " + std::to_string(inputs_.size()) + " inputs, " +
                                      std::to_string(inputs.size()) + " given");
  const std::vector<bool> need = needed();
  std::vector<int> uses(nodes_.size(), 0);  // consumers still to run
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (need[n])
      for (int i : nodes_[n].inputs) ++uses[static_cast<size_t>(i)];
  std::vector<std::optional<Tensor>> values(nodes_.size());
  for (size_t i = 0; i < inputs_.size(); ++i)
    if (need[static_cast<size_t>(inputs_[i])]) values[static_cast<size_t>(inputs_[i])] = std::move(inputs[i]);
  inputs.clear();
  int64_t peak = bytes_of(values);

  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!need[n] || !nodes_[n].op) continue;
    NodeInputs in(values, uses, nodes_[n].inputs);
    Tensor out;
    try {
      out = nodes_[n].op->forward(in, pool);
    } catch (const Error& e) {
      rethrow_for(nodes_[n].label, e);
    }
    values[n] = std::move(out);
    peak = std::max(peak, bytes_of(values));
    for (int i : nodes_[n].inputs) {
      const auto k = static_cast<size_t>(i);
      if (--uses[k] == 0) values[k].reset();
    }
  }
  if (stats) stats->peak_live_bytes = peak;
  return std::move(*values[static_cast<size_t>(output_)]);
}

}  // namespace voxconv::network
