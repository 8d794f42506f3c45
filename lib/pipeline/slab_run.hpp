#pragma once
// Runs whose output does not fit the memory limit: the fast engine computes the output a
// slab of depth planes at a time (each from only the input planes it needs) and each slab
// goes straight to its place in the output file. The bytes equal the in-memory run's.
#include <functional>
#include <string>
#include <vector>

#include "core/geometry.hpp"
#include "core/tensor.hpp"
#include "engine/conv3d_fast.hpp"
#include "pipeline/layer_outputs.hpp"

namespace voxconv::pipeline {

// What voxconv itself needs beside the arrays (code, libraries, thread stacks, IO buffers).
constexpr int64_t kProgramReserveBytes = int64_t{64} << 20;

struct SlabPlan {
  bool in_memory = true;     // the whole output fits: no slabs
  int64_t planes_per_slab = 0;  // output depth planes per slab otherwise
  int64_t slabs = 0;
  int64_t peak_bytes = 0;    // the estimate that was compared with the limit
};

// Chooses between the in-memory run and slabs for an input already in memory (NDHWC) and
// its output of `out_dims` (NDHWC) under `limit` bytes; `forced_planes` > 0 asks for slabs
// of that many planes whatever the limit. Throws ErrorKind::usage naming the numbers when
// not even one output plane fits, or when the output cannot be written in slabs (format,
// compressed MetaImage or NRRD, --axes xyz).
// `input_streamed`: the input is read slab by slab, not held whole.
SlabPlan plan_slabs(const engine::Conv3dParams& params, const Dims& in_dims, const Dims& out_dims,
                    int64_t weight_values, int64_t limit, int64_t forced_planes, bool input_streamed,
                    const OutputRequest& request);

// Input planes [first, last) of the Keras NDHWC input, all samples.
using InputPlanes = std::function<Tensor(int64_t first, int64_t last)>;

// Planes of an input held whole.
InputPlanes planes_of(const Tensor& ndhwc);

// Computes and writes the output slab by slab to `staged_paths` (as write_layer_output);
// `on_slab` sees each computed slab (N, planes, OH, OW, OC) before it is written.
void run_in_slabs(const engine::FastConv3d& conv, const InputPlanes& input, const Dims& in_dims, const engine::ConvPlan& plan,
                  const SlabPlan& slabs, const OutputRequest& request, const Geometry& geometry,
                  const std::vector<std::string>& staged_paths, engine::ThreadPool& pool,
                  const std::function<void(const Tensor&)>& on_slab = {});

}  // namespace voxconv::pipeline
