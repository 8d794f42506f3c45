#pragma once
// oneDNN's convolution on the same problem, in the layouts oneDNN prefers (format_tag::any),
// data reordered once outside the timed region: oneDNN at its best.
#include <memory>
#include <string>

#include "engine/conv3d_params.hpp"

namespace voxconv::bench {

class OneDnnConv {
 public:
  OneDnnConv(const engine::Conv3dParams& p, int64_t size, int threads);
  ~OneDnnConv();
  void execute();
  std::string implementation() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace voxconv::bench
