#pragma once
// The benchmark shapes of issue 3 (a..j): float32, batch 1, 'same' padding. They live in
// bench/shapes.json, which bench/run_cli_timing.py reads too.
#include <string>
#include <vector>

#include "engine/conv3d_params.hpp"

namespace voxconv::bench {

struct BenchShape {
  std::string name;  // "a" .. "j"
  std::string what;  // human description
  int64_t size;      // D = H = W
  engine::Conv3dParams params;
};

// Reads bench/shapes.json once (path compiled in); throws std::runtime_error when unreadable.
const std::vector<BenchShape>& issue_shapes();

}  // namespace voxconv::bench
