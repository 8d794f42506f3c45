// Google Benchmark of the row kernels alone, their data in cache, for every kernel build
// this CPU runs, beside a loop of independent FMAs (the machine's peak): how far a kernel
// is from the peak, apart from what a whole run adds (first touches, copies, outputs).
// The README's "kernel alone" rates come from here. Counter FLOPS: multiply-adds x 2.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/conv3d_fast.hpp"
#include "engine/conv3d_params.hpp"
#include "engine/kernels/direct_kernels.hpp"

namespace voxconv::bench {
namespace {

using engine::kernels::KernelTable;

// FLOPs of one output row of `ow` positions, by the project's one formula.
double row_flops(int64_t ic, int64_t oc, const std::array<int64_t, 3>& kernel, int64_t ow) {
  engine::Conv3dParams p;
  p.ic = ic;
  p.oc = oc;
  p.kernel = kernel;
  return engine::conv_flops(p, 1, {1, 1, ow});
}

// One output row of the oc family: a kdh x kdh x kw kernel (its kdh^2 (kd, kh) rows of kw
// taps), `ic` -> `oc` channels, two vectors per channel block (the engine's choice for these).
struct OcCase {
  const char* name;
  int64_t ic, oc, sw, ow, kdh, kw;
  int64_t taps() const { return kdh * kdh; }
};

void bm_oc_row(benchmark::State& state, const KernelTable* isa, OcCase c) {
  const int64_t nv = 2, nb = nv * isa->vector_width, blocks = (c.oc + nb - 1) / nb;
  const int64_t iw = (c.ow - 1) * c.sw + c.kw;
  std::vector<float> rows(static_cast<size_t>(c.taps() * iw * c.ic), 0.5f);
  std::vector<engine::kernels::OcTap> taps;
  for (int64_t j = 0; j < c.taps(); ++j) taps.push_back({rows.data() + j * iw * c.ic, j * c.kw * c.ic});
  std::vector<float> packed(static_cast<size_t>(blocks * c.taps() * c.kw * c.ic * nb), 0.01f);
  std::vector<float> bias(static_cast<size_t>(blocks * nb), 0.0f), out(static_cast<size_t>(c.ow * c.oc));
  engine::kernels::OcRowArgs a{};
  a.taps = taps.data();
  a.tap_count = c.taps();
  a.channels = c.ic;
  a.kw = c.kw;
  a.kw_gap = c.ic;
  a.step = c.sw * c.ic;
  a.packed = packed.data();
  a.weight_rows = c.taps() * c.kw * c.ic;
  a.bias = bias.data();
  a.blocks = blocks;
  a.valid_last = c.oc - (blocks - 1) * nb;
  a.out = out.data();
  a.out_stride = c.oc;
  a.ow = c.ow;
  a.prefetch_out = true;
  for (auto _ : state) {
    isa->oc_row[nv - 1](a);
    benchmark::DoNotOptimize(out.data());
  }
  const double flops = row_flops(c.ic, c.oc, {c.kdh, c.kdh, c.kw}, c.ow);
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

// One output row of the w family as layer i runs it: 5 -> 5 channels, 3x3x3, dilation 4,
// width 256, with direct rows or with 1-D Winograd rows (FLOPs counted as direct ones).
void bm_w_row(benchmark::State& state, const KernelTable* isa, bool winograd) {
  const int64_t ic = 5, oc = 5, dw = 4, ow = 256, kw = 3;
  const int64_t row_taps = winograd ? 4 : kw;
  const int64_t phase_len =
      winograd ? engine::kernels::wino_w_run_len(*isa, ow, dw) : engine::kernels::w_phase_len(*isa, ow, kw, dw, 1);
  const int64_t row_floats = (winograd ? 4 : 1) * ic * phase_len;
  std::vector<float> rows(static_cast<size_t>(9 * row_floats), 0.5f);
  std::vector<const float*> row_ptrs;
  for (int64_t r = 0; r < 9; ++r) row_ptrs.push_back(rows.data() + r * row_floats);
  std::vector<int64_t> offsets;
  for (int64_t k = 0; k < row_taps; ++k) offsets.push_back(winograd ? k * ic * phase_len : k * dw);
  std::vector<float> weights(static_cast<size_t>(9 * row_taps * ic * oc), 0.01f), out(static_cast<size_t>(ow * oc));
  engine::kernels::WRowArgs a{};
  a.rows = row_ptrs.data();
  a.taps_dh = 9;
  a.kw = row_taps;
  a.kw_offsets = offsets.data();
  a.phase_len = phase_len;
  a.icg = ic;
  a.weights = weights.data();
  a.ocg = oc;
  a.oc_count = oc;
  a.out = out.data();
  a.out_stride = oc;
  a.ow = ow;
  a.wino_dw = dw;
  for (auto _ : state) {
    (winograd ? isa->w_wino_row : isa->w_row)(a);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(
      row_flops(ic, oc, {3, 3, kw}, ow) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One input row of layer i (5 channels, width 256, padding 4) converted for the w family:
// planar direct rows, or 1-D Winograd rows (dilation 4), source and rows in cache.
void bm_w_convert(benchmark::State& state, const KernelTable* isa, bool winograd) {
  const int64_t ic = 5, iw = 256, ow = 256, pw = 4, dw = 4;
  const int64_t phase_len =
      winograd ? engine::kernels::wino_w_run_len(*isa, ow, dw) : engine::kernels::w_phase_len(*isa, ow, 3, dw, 1);
  std::vector<float> in(static_cast<size_t>(iw * ic), 0.5f), buf(static_cast<size_t>(4 * ic * phase_len));
  const int64_t planar_len = engine::kernels::wino_w_planar_len(isa->vector_width, phase_len, dw);
  std::vector<float> planar(static_cast<size_t>(ic * planar_len));
  for (auto _ : state) {
    const bool gather = engine::kernels::gathers_pay();
    if (winograd) isa->w_wino_convert_row(in.data(), iw, ic, pw, dw, phase_len, gather, planar.data(), buf.data());
    else isa->w_convert_row(in.data(), iw, ic, 1, pw, phase_len, gather, buf.data());
    benchmark::DoNotOptimize(buf.data());
  }
}

#if defined(__x86_64__)
// 12 independent FMA chains (the latency of 4 cycles times 2 ports, with room), in
// assembly: a C loop lets the compiler add register copies that cost issue slots. The
// registers start at zero: left as they were, they may hold denormals, which FMAs slow on.
#define VOXCONV_FMA12(R)                                                                                          \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "0\n vfmadd231ps %%" R "14,%%" R "15,%%" R "1\n"                         \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "2\n vfmadd231ps %%" R "14,%%" R "15,%%" R "3\n"                         \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "4\n vfmadd231ps %%" R "14,%%" R "15,%%" R "5\n"                         \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "6\n vfmadd231ps %%" R "14,%%" R "15,%%" R "7\n"                         \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "8\n vfmadd231ps %%" R "14,%%" R "15,%%" R "9\n"                         \
  "vfmadd231ps %%" R "14,%%" R "15,%%" R "10\n vfmadd231ps %%" R "14,%%" R "15,%%" R "11\n"

#define VOXCONV_ZERO14                                                                                            \
  "vxorps %%xmm0,%%xmm0,%%xmm0\n vxorps %%xmm1,%%xmm1,%%xmm1\n vxorps %%xmm2,%%xmm2,%%xmm2\n"                  \
  "vxorps %%xmm3,%%xmm3,%%xmm3\n vxorps %%xmm4,%%xmm4,%%xmm4\n vxorps %%xmm5,%%xmm5,%%xmm5\n"                  \
  "vxorps %%xmm6,%%xmm6,%%xmm6\n vxorps %%xmm7,%%xmm7,%%xmm7\n vxorps %%xmm8,%%xmm8,%%xmm8\n"                  \
  "vxorps %%xmm9,%%xmm9,%%xmm9\n vxorps %%xmm10,%%xmm10,%%xmm10\n vxorps %%xmm11,%%xmm11,%%xmm11\n"            \
  "vxorps %%xmm14,%%xmm14,%%xmm14\n vxorps %%xmm15,%%xmm15,%%xmm15\n"
#define VOXCONV_FMA_CLOBBERS                                                                                      \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm14", "xmm15"

__attribute__((target("avx2,fma"))) void fma_loop_256(int64_t n) {
  asm volatile(VOXCONV_ZERO14 "1:\n" VOXCONV_FMA12("ymm") "dec %0\n jnz 1b\n" : "+r"(n) : : VOXCONV_FMA_CLOBBERS);
}
__attribute__((target("avx512f"))) void fma_loop_512(int64_t n) {
  asm volatile(VOXCONV_ZERO14 "1:\n" VOXCONV_FMA12("zmm") "dec %0\n jnz 1b\n" : "+r"(n) : : VOXCONV_FMA_CLOBBERS);
}

void bm_fma_peak(benchmark::State& state, int bits) {
  constexpr int64_t kLoops = 1 << 20;
  for (auto _ : state) bits == 512 ? fma_loop_512(kLoops) : fma_loop_256(kLoops);
  state.counters["FLOPS"] = benchmark::Counter(2.0 * 12 * (bits / 32) * kLoops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}
#endif

const bool registered = [] {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) benchmark::RegisterBenchmark("peak/fma512", bm_fma_peak, 512);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    benchmark::RegisterBenchmark("peak/fma256", bm_fma_peak, 256);
#endif
  // The shapes b, d, e (one output row, all 9 (kd, kh) rows) and g (96 positions).
  const OcCase cases[] = {{"b", 16, 32, 1, 64, 3, 3},
                          {"d", 64, 64, 1, 32, 3, 3},
                          {"e", 32, 64, 2, 32, 3, 3},
                          {"g_pointwise", 32, 32, 1, 96, 1, 1}};
  for (const auto* isa : engine::available_kernel_tables()) {
    if (std::string(isa->isa) == "generic") continue;
    for (const auto& c : cases)
      benchmark::RegisterBenchmark((std::string("oc_row/") + isa->isa + "/" + c.name).c_str(), bm_oc_row, isa, c);
    benchmark::RegisterBenchmark((std::string("w_row/") + isa->isa + "/i").c_str(), bm_w_row, isa, false);
    benchmark::RegisterBenchmark((std::string("w_row/") + isa->isa + "/i_winograd").c_str(), bm_w_row, isa, true);
    benchmark::RegisterBenchmark((std::string("w_convert/") + isa->isa + "/i").c_str(), bm_w_convert, isa, false);
    benchmark::RegisterBenchmark((std::string("w_convert/") + isa->isa + "/i_winograd").c_str(), bm_w_convert, isa,
                                 true);
  }
  return true;
}();

}  // namespace
}  // namespace voxconv::bench

BENCHMARK_MAIN();
