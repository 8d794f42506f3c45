#include "pipeline/layer_bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.hpp"
#include "core/random_tensor.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::pipeline {

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

BenchResult bench_layer(const BenchOptions& options) {
  if (options.input_shape.size() != 4)
    throw Error(ErrorKind::usage, "--input-shape: expected D,H,W,C");
  if (options.repeat < 1 || options.repeat > 10000)
    throw Error(ErrorKind::usage, "--repeat = " + std::to_string(options.repeat) + ": must be 1..10000");
  if (options.threads < 0) throw Error(ErrorKind::usage, "--threads = " + std::to_string(options.threads) + ": must be >= 0");
  const LoadedLayer layer = load_layer(options.source);
  const int64_t channels = options.input_shape[3];
  if (layer.weights && channels != layer.input_channels)
    throw Error(ErrorKind::shape, "--input-shape has " + std::to_string(channels) + " channels but " +
                                      options.source.weights_path + " holds a kernel for " +
                                      std::to_string(layer.input_channels));
  const engine::Conv3dParams params = layer.weights ? layer.params : params_for_channels(layer, channels);
  const Dims src_dims{1, options.input_shape[0], options.input_shape[1], options.input_shape[2], channels};
  const engine::ConvPlan plan = plan_for_input(layer.config, params, src_dims);
  const Dims dst_dims{1, plan.axis[0].out, plan.axis[1].out, plan.axis[2].out, params.oc};
  checked_element_count(src_dims, "--input-shape");
  checked_element_count(dst_dims, "output of --input-shape");

  const auto kd = params.kernel_dims();
  if (!layer.weights) checked_element_count(Dims(kd.begin(), kd.end()), layer.config.source + ": kernel");
  const Tensor kernel = layer.weights ? layer.weights->kernel : random_uniform_tensor(Dims(kd.begin(), kd.end()), 1);
  const Tensor bias = layer.weights ? layer.weights->bias : (params.use_bias ? random_uniform_tensor({params.oc}, 2) : Tensor());
  const Tensor src = random_uniform_tensor(src_dims, 3);
  Tensor dst(dst_dims);

  engine::ThreadPool pool(options.threads);
  BenchResult result;
  result.engine = options.reference_engine ? "reference" : "fast";
  result.kernel = "reference";
  std::optional<engine::FastConv3d> fast;
  if (!options.reference_engine) {
    fast.emplace(params, kernel, bias);
    result.kernel = fast->describe(src_dims);
  }
  const auto once = [&] {
    const auto start = std::chrono::steady_clock::now();
    if (fast) fast->run(src, dst, pool);
    else dst = engine::conv3d_reference(params, src, kernel, bias, pool);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  once();  // warm-up: page faults, caches, thread start
  std::vector<double> seconds;
  for (int r = 0; r < options.repeat; ++r) seconds.push_back(once());
  std::sort(seconds.begin(), seconds.end());
  const size_t mid = seconds.size() / 2;
  result.median_seconds = seconds.size() % 2 ? seconds[mid] : 0.5 * (seconds[mid - 1] + seconds[mid]);
  result.min_seconds = seconds.front();
  result.threads = static_cast<int>(pool.size());
  result.repeat = options.repeat;
  result.gflops = engine::conv_flops(params, 1, plan.out_spatial()) / result.median_seconds * 1e-9;
  result.peak_rss_mb = peak_rss_mb();
  result.input_shape = src_dims;
  result.output_shape = dst_dims;
  return result;
}

std::string to_json_line(const BenchResult& r) {
  nlohmann::ordered_json j;
  j["engine"] = r.engine;
  j["kernel"] = r.kernel;
  j["threads"] = r.threads;
  j["repeat"] = r.repeat;
  j["median_s"] = r.median_seconds;
  j["min_s"] = r.min_seconds;
  j["gflops"] = r.gflops;
  j["peak_rss_mb"] = r.peak_rss_mb;
  j["input_shape"] = r.input_shape;
  j["output_shape"] = r.output_shape;
  return j.dump();
}

}  // namespace voxconv::pipeline
