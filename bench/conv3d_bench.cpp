// Google Benchmark: voxconv's fast engine (and oneDNN in the same binary when built with
// it) on the issue's shapes a..j, 1 and 2 threads. Counter FLOPS is a rate: GFLOP/s as
// 2 * N*OD*OH*OW*OC*IC/g*KD*KH*KW per run. bench/run_benchmarks.py turns the JSON
// output into the README's table with the voxconv/oneDNN ratio.
#include <benchmark/benchmark.h>

#include "bench_shapes.hpp"
#include "core/random_tensor.hpp"
#include "engine/conv3d_fast.hpp"
#include "engine/thread_pool.hpp"
#ifdef VOXCONV_BENCH_ONEDNN
#include "onednn_conv.hpp"
#endif

namespace voxconv::bench {
namespace {

double shape_flops(const BenchShape& s) {
  const auto plan = engine::plan_shape(s.params, {s.size, s.size, s.size});
  return engine::conv_flops(s.params, 1, plan.out_spatial());
}

void bm_voxconv(benchmark::State& state, const BenchShape& s, int threads) {
  const auto kd = s.params.kernel_dims();
  const Tensor src = random_uniform_tensor({1, s.size, s.size, s.size, s.params.ic}, 1);
  const Tensor w = random_uniform_tensor(Dims(kd.begin(), kd.end()), 2);
  const Tensor b = random_uniform_tensor({s.params.oc}, 3);
  const engine::FastConv3d conv(s.params, w, b);
  Tensor dst(conv.output_dims(src.dims()));
  engine::ThreadPool pool(threads);
  conv.run(src, dst, pool);  // warm up: page in dst
  for (auto _ : state) {
    conv.run(src, dst, pool);
    benchmark::DoNotOptimize(dst.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(shape_flops(s) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(conv.describe(src.dims()));
}

#ifdef VOXCONV_BENCH_ONEDNN
void bm_onednn(benchmark::State& state, const BenchShape& s, int threads) {
  OneDnnConv conv(s.params, s.size, threads);
  conv.execute();
  for (auto _ : state) conv.execute();
  state.counters["FLOPS"] = benchmark::Counter(shape_flops(s) * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(conv.implementation());
}
#endif

const bool registered = [] {
  for (const auto& s : issue_shapes()) {
    for (int threads : {1, 2}) {
      const std::string suffix = s.name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(("voxconv/" + suffix).c_str(), bm_voxconv, s, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
#ifdef VOXCONV_BENCH_ONEDNN
      benchmark::RegisterBenchmark(("onednn/" + suffix).c_str(), bm_onednn, s, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
#endif
    }
  }
  return true;
}();

}  // namespace
}  // namespace voxconv::bench

BENCHMARK_MAIN();
