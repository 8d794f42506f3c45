#pragma once
// `voxconv bench`: time a layer on random data of a given shape, with no files beyond the
// config (and optionally the weights). Timing lives here and in bench/, never in tests.
#include <optional>
#include <string>
#include <vector>

#include "pipeline/layer_loader.hpp"

namespace voxconv::pipeline {

struct BenchOptions {
  LayerSource source;              // weights optional: random ones of the right shape otherwise
  std::vector<int64_t> input_shape;  // D, H, W, C (Keras spatial order, channels last)
  int threads = 0;                 // 0: all hardware threads
  int repeat = 5;                  // timed runs after one untimed warm-up
  bool reference_engine = false;
};

struct BenchResult {
  std::string engine;   // "fast" or "reference"
  std::string kernel;   // e.g. "avx512/oc"; "reference" for the oracle
  int threads = 0;
  int repeat = 0;
  double median_seconds = 0.0;
  double min_seconds = 0.0;
  double gflops = 0.0;  // 2*N*OD*OH*OW*OC*IC/g*KD*KH*KW / median
  double peak_rss_mb = 0.0;  // the whole process, from getrusage
  Dims input_shape, output_shape;  // NDHWC
};

// Throws voxconv::Error (usage for bad options, config/weights errors as in `run`).
BenchResult bench_layer(const BenchOptions& options);

// One JSON line: {"engine":..,"kernel":..,"threads":..,"repeat":..,"median_s":..,"min_s":..,"gflops":..,"peak_rss_mb":..,...}
std::string to_json_line(const BenchResult& result);

}  // namespace voxconv::pipeline
