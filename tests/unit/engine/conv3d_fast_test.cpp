// Property tests: the fast engine against the reference over generated shapes, for
// every kernel build this CPU runs.
#include "engine/conv3d_fast.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/kernels/direct_kernels.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {
namespace {

Tensor random_tensor(const Dims& dims, std::mt19937& rng, bool integers) {
  Tensor t(dims);
  std::uniform_int_distribution<int> small(-3, 3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : t.values()) v = integers ? static_cast<float>(small(rng)) : normal(rng);
  return t;
}

struct Shape {
  Dims src;
  Conv3dParams p;
};

// Seeded sampler over the argument space: channel counts around the SIMD widths, odd
// sizes, every stride/dilation/padding/group combination, each activation (softmax over
// channels and over width).
std::vector<Shape> generated_shapes(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t channels[] = {1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 15, 16, 17, 24, 31, 32, 33, 48};
  const Activation acts[] = {Activation::linear, Activation::relu, Activation::sigmoid, Activation::tanh,
                             Activation::gelu,   Activation::elu,  Activation::softmax, Activation::log_softmax};
  auto pick = [&](const auto& array) { return array[std::uniform_int_distribution<size_t>(0, std::size(array) - 1)(rng)]; };
  auto between = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<Shape> shapes;
  while (static_cast<int>(shapes.size()) < count) {
    Conv3dParams p;
    p.groups = between(0, 4) == 0 ? pick(std::array<int64_t, 3>{2, 3, 4}) : 1;
    p.ic = pick(channels) * (p.groups > 1 ? p.groups : 1);
    p.oc = pick(channels) * p.groups;
    for (int a = 0; a < 3; ++a) p.kernel[static_cast<size_t>(a)] = pick(std::array<int64_t, 5>{1, 2, 3, 3, 5});
    const int mode = static_cast<int>(between(0, 2));  // plain, strided, dilated
    for (int a = 0; a < 3; ++a) {
      p.strides[static_cast<size_t>(a)] = mode == 1 ? between(1, 3) : 1;
      p.dilation[static_cast<size_t>(a)] = mode == 2 ? between(1, 3) : 1;
    }
    p.padding = between(0, 1) ? Padding::same : Padding::valid;
    p.use_bias = between(0, 3) != 0;
    p.activation.kind = pick(acts);
    // The engine fuses activations into each task's rows: softmax over W (channels_first)
    // needs whole rows, which pointwise tasks do not hold.
    if (!is_elementwise(p.activation.kind))
      p.activation.axis = between(0, 1) ? SoftmaxAxis::width : SoftmaxAxis::channels;
    const Dims src{between(1, 2), between(1, 9), between(1, 9), between(1, 40), p.ic};
    try {
      plan_shape(p, {src[1], src[2], src[3]});
    } catch (const Error&) {
      continue;  // valid padding with a kernel larger than the input
    }
    if (p.ic * p.oc * src[1] * src[2] * src[3] > 400000) continue;  // keep the suite quick
    shapes.push_back({src, p});
  }
  return shapes;
}

// The sampler's shapes changed by edit(shape, between), keeping `count` of those that
// still fit their input and stay quick.
template <typename Edit>
std::vector<Shape> edited_shapes(int count, uint32_t seed, Edit edit) {
  std::mt19937 rng(seed);
  auto between = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<Shape> shapes;
  for (Shape s : generated_shapes(4 * count, seed)) {
    if (static_cast<int>(shapes.size()) == count) break;
    edit(s, between);
    try {
      plan_shape(s.p, {s.src[1], s.src[2], s.src[3]});
    } catch (const Error&) {
      continue;
    }
    if (s.p.ic * s.p.oc * s.src[1] * s.src[2] * s.src[3] > 400000) continue;
    shapes.push_back(s);
  }
  return shapes;
}

// Shapes the Winograd family computes (3x3x3, stride 1, one group): the sampler's shapes
// with their kernel, strides and groups replaced, dilations up to 4, widths from 1 (W
// classes with a single output, or none) to past two passes of 16-tile vectors per class.
std::vector<Shape> winograd_shapes(int count, uint32_t seed) {
  return edited_shapes(count, seed, [](Shape& s, auto between) {
    s.p.ic /= s.p.groups;
    s.p.oc /= s.p.groups;
    s.p.groups = 1;
    s.p.kernel = {3, 3, 3};
    s.p.strides = {1, 1, 1};
    for (int a = 0; a < 3; ++a) s.p.dilation[static_cast<size_t>(a)] = between(0, 1) ? 1 : between(2, 4);
    s.src = {s.src[0], between(1, 8), between(1, 9), between(1, 80), s.p.ic};
  });
}

// Shapes the w family's 1-D Winograd rows compute (kw 3, stride 1 along W): the sampler's
// shapes with W's kernel and stride replaced, dilations along W up to 5 on unstrided
// layers (tiles whose second output, or both, lie past the row) and widths up to 80
// (several vectors of tiles). Groups, and the other axes' kernels, strides and
// dilations, stay as sampled.
std::vector<Shape> winograd_w_shapes(int count, uint32_t seed) {
  return edited_shapes(count, seed, [](Shape& s, auto between) {
    s.p.kernel[2] = 3;
    s.p.strides[2] = 1;
    const bool strided = s.p.strides[0] > 1 || s.p.strides[1] > 1;  // Keras takes no dilation with strides
    s.p.dilation[2] = strided || between(0, 1) ? 1 : between(2, 5);
    s.src[3] = between(1, 80);
  });
}

// The accuracy bar: max error relative to the output's magnitude within 1e-5
// (element-wise relative error is unbounded where sums cancel to near zero). A softmax
// turns the sums' absolute error into relative error of its outputs whatever the
// arithmetic, so for softmax layers the bar applies to the convolution before it.
void expect_within_accuracy_bar(const Conv3dParams& p, const kernels::KernelTable* isa, FastConv3dTuning tuning,
                                const Tensor& src, const Tensor& w, const Tensor& b, const Tensor& got,
                                const Tensor& want, ThreadPool& pool) {
  if (!is_elementwise(p.activation.kind)) {
    Conv3dParams linear = p;
    linear.activation = {};
    const Tensor g = FastConv3d(linear, w, b, isa, tuning).run(src, pool);
    return expect_within_accuracy_bar(linear, isa, tuning, src, w, b, g, conv3d_reference(linear, src, w, b, pool), pool);
  }
  double max_error = 0.0, max_reference = 0.0;
  for (int64_t i = 0; i < got.size(); ++i) {
    max_error = std::max(max_error, std::abs(static_cast<double>(got.data()[i]) - want.data()[i]));
    max_reference = std::max(max_reference, std::abs(static_cast<double>(want.data()[i])));
  }
  // A saturating activation (tanh, sigmoid, softsign) shrinks the outputs but not the
  // sums' absolute error, which its slope (at most 1) carries through: the scale is then
  // the sums' magnitude, the larger of the two.
  if (p.activation.kind != Activation::linear) {
    Conv3dParams linear = p;
    linear.activation = {};
    const Tensor sums = conv3d_reference(linear, src, w, b, pool);
    for (int64_t i = 0; i < sums.size(); ++i)
      max_reference = std::max(max_reference, std::abs(static_cast<double>(sums.data()[i])));
  }
  if (max_reference > 0.0) {
    EXPECT_LE(max_error / max_reference, 1e-5) << p.to_string();
  }
}

void compare(const Shape& s, const kernels::KernelTable* isa, std::mt19937& rng, bool integers,
             FastConv3dTuning tuning = {}) {
  const auto kd = s.p.kernel_dims();
  const Tensor src = random_tensor(s.src, rng, integers);
  const Tensor w = random_tensor(Dims(kd.begin(), kd.end()), rng, integers);
  const Tensor b = s.p.use_bias ? random_tensor({s.p.oc}, rng, integers) : Tensor();
  ThreadPool pool(2);
  const Tensor want = conv3d_reference(s.p, src, w, b, pool);
  const FastConv3d fast(s.p, w, b, isa, tuning);
  const Tensor got = fast.run(src, pool);
  ASSERT_EQ(got.dims(), want.dims());
  const bool exact = integers && (s.p.activation.kind == Activation::linear || s.p.activation.kind == Activation::relu);
  double scale = 0.0;  // reference magnitude of a sum: sum of |terms| bounds float error
  const int64_t terms = s.p.kernel[0] * s.p.kernel[1] * s.p.kernel[2] * (s.p.ic / s.p.groups);
  scale = std::sqrt(static_cast<double>(terms)) * 3.0;
  for (int64_t i = 0; i < got.size(); ++i) {
    const double g = got.data()[i], e = want.data()[i];
    if (exact) {
      ASSERT_EQ(g, e) << s.p.to_string() << " " << fast.describe() << " at " << i;
    } else {
      ASSERT_NEAR(g, e, 1e-5 * std::max(std::abs(e), 1.0) * std::max(1.0, scale / 10.0))
          << s.p.to_string() << " src " << dims_to_string(s.src) << " " << fast.describe() << " at " << i;
    }
  }
  if (!exact) expect_within_accuracy_bar(s.p, isa, tuning, src, w, b, got, want, pool);
}

TEST(FastConv3d, MatchesReferenceOnGeneratedShapesForEveryIsa) {
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(1234);
    for (const auto& s : generated_shapes(150, 99)) compare(s, isa, rng, false);
  }
}

TEST(FastConv3d, IntegerInputsAreExact) {
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(77);
    for (const auto& s : generated_shapes(100, 7)) compare(s, isa, rng, true);
  }
}

// Winograd tiles against the reference: exact on integers (the transforms multiply by
// 1/2 at most three times, so integer sums stay exact), within the accuracy bar otherwise,
// on every ISA, whatever the channel counts (the family is forced where the oc family
// would run: chunks of output channels, tile vectors per pass).
TEST(FastConv3d, WinogradMatchesReference) {
  const FastConv3dTuning winograd{FastConv3dTuning::Family::winograd};
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(606);
    for (const auto& s : winograd_shapes(120, 31)) {
      ASSERT_EQ(FastConv3d(s.p, Tensor(Dims{3, 3, 3, s.p.ic, s.p.oc}), Tensor(Dims{s.p.oc}), isa, winograd).describe(),
                std::string(isa->isa) + "/winograd");
      compare(s, isa, rng, true, winograd);
      compare(s, isa, rng, false, winograd);
    }
  }
}

// The w family's 1-D Winograd rows against the reference: exact on integers (B^T and A^T
// add and subtract, G halves), within the accuracy bar otherwise, on every ISA, in bands
// of 1 and 2 rows (halos re-converted) and whole, whatever the channel counts.
TEST(FastConv3d, WinogradWMatchesReference) {
  using Family = FastConv3dTuning::Family;
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(909);
    for (const auto& s : winograd_w_shapes(120, 41)) {
      const auto kd = s.p.kernel_dims();
      ASSERT_EQ(FastConv3d(s.p, Tensor(Dims(kd.begin(), kd.end())), Tensor(Dims{s.p.oc}), isa, {Family::winograd_w})
                    .describe(s.src),
                std::string(isa->isa) + "/winograd-w");
      for (int64_t band : {0, 1, 2}) compare(s, isa, rng, true, {Family::winograd_w, 0, band, 0});
      compare(s, isa, rng, false, {Family::winograd_w});
    }
  }
}

// The oc family's 1-D Winograd rows against the reference, forced on the same shapes with
// every block width (1 to 4 vectors of output channels; AVX2 has accumulators for 1 and 2
// only, and runs direct rows otherwise), streamed stores too: exact on integers, within the
// accuracy bar otherwise, on every ISA. Groups and channel counts of 1, 16, 32 and 64 reach
// the kernels' constant-count variants; widths up to 80 their tails.
TEST(FastConv3d, OcWinogradWMatchesReference) {
  using Family = FastConv3dTuning::Family;
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(1717);
    std::vector<Shape> shapes = winograd_w_shapes(60, 43);
    for (int64_t ic : {1, 16, 32, 64}) {  // one group, constant channel counts
      Conv3dParams p;
      p.ic = ic;
      p.oc = 16;
      p.kernel = {3, 3, 3};
      p.padding = Padding::same;
      p.use_bias = true;
      shapes.push_back({{1, 3, 4, 37, ic}, p});
      p.dilation = {1, 1, 2};
      shapes.push_back({{1, 2, 3, 64, ic}, p});
    }
    for (const auto& s : shapes)
      for (int nv = 1; nv <= kernels::kMaxOcNv; ++nv) {
        const FastConv3dTuning tuning{Family::oc_winograd_w, nv, 0, 0};
        const auto kd = s.p.kernel_dims();
        const std::string name = FastConv3d(s.p, Tensor(Dims(kd.begin(), kd.end())), Tensor(Dims{s.p.oc}), isa, tuning)
                                     .describe(s.src);
        const bool rows = kernels::oc_wino_tile_pairs(isa->accumulators, nv) > 0;
        EXPECT_EQ(name, std::string(isa->isa) + "/oc" + std::to_string(nv) + (rows ? "-winograd-w" : ""));
        compare(s, isa, rng, true, tuning);
        compare(s, isa, rng, false, tuning);
      }
    for (const auto& s : shapes)
      compare(s, isa, rng, true, {Family::oc_winograd_w, 1, 0, 0, FastConv3dTuning::Streaming::on});
  }
}

// Left to choose, the oc family takes 1-D Winograd rows where they apply (kw 3, stride 1
// along W) and its tiles hold at least two pairs of outputs; Family::oc keeps direct rows.
TEST(FastConv3d, OcFamilyChoosesWinogradRowsWhereTheyApply) {
  Conv3dParams p;
  p.ic = 16;
  p.oc = 32;
  p.kernel = {3, 3, 3};
  p.padding = Padding::same;
  const Tensor w(Dims{3, 3, 3, 16, 32}), b(Dims{32});
  for (const auto* isa : available_kernel_tables()) {
    const std::string name = isa->isa;
    const std::string nv = "2";  // blocks of two vectors use every lane of 32 channels
    const bool rows = kernels::oc_wino_tile_pairs(isa->accumulators, 2) >= 2;  // AVX-512 only
    EXPECT_EQ(rows, isa->vector_width == 16);
    EXPECT_EQ(FastConv3d(p, w, b, isa).describe(), name + "/oc" + nv + (rows ? "-winograd-w" : ""));
    EXPECT_EQ(FastConv3d(p, w, b, isa, {FastConv3dTuning::Family::oc}).describe(), name + "/oc" + nv);
    Conv3dParams strided = p;
    strided.strides = {1, 1, 2};
    EXPECT_EQ(FastConv3d(strided, w, b, isa).describe(), name + "/oc" + nv);
    Conv3dParams wide = p;
    wide.kernel = {3, 3, 5};
    EXPECT_EQ(FastConv3d(wide, Tensor(Dims{3, 3, 5, 16, 32}), b, isa).describe(), name + "/oc" + nv);
  }
}

// Left to choose, the w family takes 1-D Winograd rows where their dilation has a vector
// conversion and, with 16-lane vectors, on rows of up to 112 tiles; direct rows elsewhere.
TEST(FastConv3d, ChoosesWinogradRowsWhereTheyPay) {
  Conv3dParams p;
  p.ic = 5;
  p.oc = 5;
  p.kernel = {3, 3, 3};
  p.padding = Padding::same;
  for (const auto* isa : available_kernel_tables()) {
    const std::string name = isa->isa;
    const FastConv3d fast(p, Tensor(Dims{3, 3, 3, 5, 5}), Tensor(Dims{5}), isa);
    EXPECT_EQ(fast.describe(), name + "/w+winograd-w");
    EXPECT_EQ(fast.describe({1, 4, 4, 64, 5}), name + "/winograd-w");
    EXPECT_EQ(fast.describe({1, 4, 4, 224, 5}), name + "/winograd-w");  // 112 tiles
    // Wider rows: direct with 16-lane vectors only.
    const std::string wide = isa->vector_width == 16 ? "/w" : "/winograd-w";
    EXPECT_EQ(fast.describe({1, 4, 4, 225, 5}), name + wide);
    EXPECT_EQ(fast.describe({1, 4, 4, 256, 5}), name + wide);
    p.dilation = {1, 1, 3};  // no vector conversion
    EXPECT_EQ(FastConv3d(p, Tensor(Dims{3, 3, 3, 5, 5}), Tensor(Dims{5}), isa).describe({1, 4, 4, 64, 5}), name + "/w");
    p.dilation = {1, 1, 1};
  }
}

// Every family, channel-block width and blocking, forced, on shapes that would not pick
// them: the w family's bands of 1..3 output rows re-convert halos at every band edge.
TEST(FastConv3d, EveryFamilyAndBlockingMatchesReference) {
  using Family = FastConv3dTuning::Family;
  std::vector<FastConv3dTuning> tunings;
  for (int nv = 1; nv <= kernels::kMaxOcNv; ++nv) tunings.push_back({Family::oc, nv, 0, 0});
  for (int64_t band : {1, 2, 3}) tunings.push_back({Family::w, 0, band, 0});
  tunings.push_back({Family::oc, 1, 0, 7});  // pointwise tasks of 7 positions: tails everywhere
  tunings.push_back({Family::winograd});      // where it applies
  tunings.push_back({Family::winograd_w});    // where it applies, else direct w rows
  // Non-temporal stores (chosen for large outputs only), on every block width; the oc
  // family's Winograd rows where they apply, else its direct rows.
  for (int nv = 1; nv <= kernels::kMaxOcNv; ++nv) {
    tunings.push_back({Family::oc, nv, 0, 0, FastConv3dTuning::Streaming::on});
    tunings.push_back({Family::oc_winograd_w, nv, 0, 0});
  }
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(4321);
    for (const auto& s : generated_shapes(40, 11))
      for (const auto& tuning : tunings) {
        SCOPED_TRACE(std::string(isa->isa) + " family " + std::to_string(static_cast<int>(tuning.family)) + " nv " +
                     std::to_string(tuning.oc_nv) + " band " + std::to_string(tuning.w_band_rows));
        compare(s, isa, rng, true, tuning);
      }
  }
}

TEST(FastConv3d, BytesIdenticalAcrossThreadCounts) {
  std::mt19937 rng(5);
  std::vector<Shape> shapes = generated_shapes(20, 3);
  for (const Shape& s : winograd_shapes(20, 5)) shapes.push_back(s);
  const size_t first_winograd_w = shapes.size();  // these forced to 1-D Winograd rows
  for (const Shape& s : winograd_w_shapes(20, 8)) shapes.push_back(s);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Shape& s = shapes[i];
    const auto kd = s.p.kernel_dims();
    const Tensor src = random_tensor(s.src, rng, false);
    const Tensor w = random_tensor(Dims(kd.begin(), kd.end()), rng, false);
    const Tensor b = s.p.use_bias ? random_tensor({s.p.oc}, rng, false) : Tensor();
    FastConv3dTuning tuning;
    if (i >= first_winograd_w) tuning.family = FastConv3dTuning::Family::winograd_w;
    const FastConv3d fast(s.p, w, b, nullptr, tuning);
    ThreadPool one(1);
    const Tensor first = fast.run(src, one);
    // Streamed stores write the same sums.
    FastConv3dTuning streaming = tuning;
    streaming.streaming = FastConv3dTuning::Streaming::on;
    const Tensor streamed = FastConv3d(s.p, w, b, nullptr, streaming).run(src, one);
    ASSERT_EQ(std::memcmp(first.data(), streamed.data(), sizeof(float) * static_cast<size_t>(first.size())), 0)
        << s.p.to_string() << " streamed";
    for (int threads : {2, 3, 8}) {
      ThreadPool pool(threads);
      const Tensor again = fast.run(src, pool);
      ASSERT_EQ(std::memcmp(first.data(), again.data(), sizeof(float) * static_cast<size_t>(first.size())), 0)
          << s.p.to_string() << " with " << threads << " threads";
    }
  }
}

// Runs output planes od0 .. od1 of `whole` (fast's run of src) as a depth slab, given only
// the input planes they need, and checks that it gives the same bytes.
void expect_slab_matches(const FastConv3d& fast, const Conv3dParams& p, const Tensor& src, const Tensor& whole,
                         int64_t od0, int64_t od1, ThreadPool& pool) {
  const int64_t N = src.dim(0), ID = src.dim(1), OD = whole.dim(1);
  const int64_t in_plane = src.size() / (N * ID), out_plane = whole.size() / (N * OD);
  const auto [first, last] = input_planes_for(p, plan_shape(p, {ID, src.dim(2), src.dim(3)}), ID, od0, od1);
  Tensor slab_src({N, std::max<int64_t>(last - first, 1), src.dim(2), src.dim(3), src.dim(4)});
  for (int64_t n = 0; n < N; ++n)
    std::copy_n(src.data() + (n * ID + first) * in_plane, (last - first) * in_plane,
                slab_src.data() + n * slab_src.dim(1) * in_plane);
  Tensor slab_dst({N, od1 - od0, whole.dim(2), whole.dim(3), whole.dim(4)});
  fast.run_slab(slab_src, {ID, first, od0, od1}, slab_dst, pool);
  for (int64_t n = 0; n < N; ++n)
    ASSERT_EQ(0, std::memcmp(slab_dst.data() + n * (od1 - od0) * out_plane, whole.data() + (n * OD + od0) * out_plane,
                             static_cast<size_t>((od1 - od0) * out_plane) * sizeof(float)))
        << p.to_string() << " src " << dims_to_string(src.dims()) << " planes " << od0 << ".." << od1 << " "
        << fast.describe();
}

// The oc family's tasks hold at most oc_task_bytes of copied or converted rows: with a budget
// of one row's worth, tasks of one output row and one plane give the bytes of the default
// grid (8 rows, 2 planes), direct and Winograd rows alike, exact on integers.
TEST(FastConv3d, OcTaskRowBudgetKeepsTheBytes) {
  using Family = FastConv3dTuning::Family;
  Conv3dParams p;
  p.ic = 16;
  p.oc = 32;
  p.kernel = {3, 3, 3};
  p.padding = Padding::same;
  p.use_bias = true;
  const Dims dims{1, 9, 11, 13, 16};
  std::mt19937 rng(31);
  const Tensor src = random_tensor(dims, rng, true), w = random_tensor({3, 3, 3, 16, 32}, rng, true);
  const Tensor b = random_tensor({32}, rng, true);
  ThreadPool pool(2);
  const Tensor want = conv3d_reference(p, src, w, b, pool);
  for (const Family family : {Family::oc, Family::oc_winograd_w}) {
    FastConv3dTuning tuning;
    tuning.family = family;
    const Tensor whole = FastConv3d(p, w, b, nullptr, tuning).run(src, pool);
    tuning.oc_task_bytes = 1;
    const Tensor small = FastConv3d(p, w, b, nullptr, tuning).run(src, pool);
    ASSERT_EQ(0, std::memcmp(whole.data(), small.data(), sizeof(float) * static_cast<size_t>(whole.size())));
    ASSERT_EQ(0, std::memcmp(whole.data(), want.data(), sizeof(float) * static_cast<size_t>(whole.size())));
  }
}

// A volume cut into depth slabs, each given only the input planes it needs, gives the
// bytes of the whole run, in every family (what larger-than-memory runs rely on).
TEST(FastConv3d, DepthSlabsGiveTheBytesOfTheWholeRun) {
  using Family = FastConv3dTuning::Family;
  const FastConv3dTuning tunings[] = {
      {}, {Family::oc, 1, 0, 7}, {Family::w, 0, 2, 0}, {Family::winograd}, {Family::winograd_w, 0, 2, 0}};
  std::mt19937 rng(2024);
  ThreadPool pool(2);
  // Winograd pairs output planes: slabs that cut a pair compute it without the plane only
  // the other output reads.
  std::vector<Shape> shapes = generated_shapes(60, 17);
  for (const Shape& s : winograd_shapes(30, 23)) shapes.push_back(s);
  for (const Shape& s : winograd_w_shapes(30, 29)) shapes.push_back(s);
  for (const auto& s : shapes)
    for (const auto& tuning : tunings) {
      const auto kd = s.p.kernel_dims();
      const Tensor src = random_tensor(s.src, rng, false);
      const Tensor w = random_tensor(Dims(kd.begin(), kd.end()), rng, false);
      const Tensor b = s.p.use_bias ? random_tensor({s.p.oc}, rng, false) : Tensor();
      const FastConv3d fast(s.p, w, b, nullptr, tuning);
      const Tensor whole = fast.run(src, pool);
      const int64_t OD = whole.dim(1);
      for (int64_t od0 = 0; od0 < OD;) {
        const int64_t od1 = std::min(OD, od0 + std::uniform_int_distribution<int64_t>(1, 3)(rng));
        expect_slab_matches(fast, s.p, src, whole, od0, od1, pool);
        if (HasFatalFailure()) return;
        od0 = od1;
      }
    }
}

// oc tasks take two output planes (dilation apart) where there are enough tasks: at least
// 16 x 2 per thread. One thread groups these shapes' planes, eight do not: the same bytes,
// equal to the reference on integers, and so do slabs that start mid-volume.
TEST(FastConv3d, OcPlanePairsGiveTheBytesOfSinglePlanes) {
  struct Case {
    Dims src;
    int64_t oc;
    std::array<int64_t, 3> d;
    Padding pad;
  } cases[] = {
      {{1, 37, 17, 9, 16}, 32, {1, 1, 1}, Padding::same},   // odd depth: a last task of one plane
      {{1, 41, 9, 7, 16}, 32, {3, 1, 1}, Padding::same},    // planes 3 apart, blocks of 6 cut by the depth
      {{1, 40, 9, 6, 32}, 16, {2, 1, 1}, Padding::valid},   // 36 planes 2 apart
      {{2, 19, 9, 8, 16}, 32, {2, 2, 1}, Padding::same},    // two samples
  };
  std::mt19937 rng(77);
  for (const auto& c : cases) {
    Conv3dParams p;
    p.ic = c.src[4];
    p.oc = c.oc;
    p.kernel = {3, 3, 3};
    p.dilation = c.d;
    p.padding = c.pad;
    const Shape shape{c.src, p};
    SCOPED_TRACE(p.to_string() + " src " + dims_to_string(c.src));
    for (const auto* isa : available_kernel_tables()) compare(shape, isa, rng, true);
    const Tensor src = random_tensor(c.src, rng, true), w = random_tensor({3, 3, 3, p.ic, p.oc}, rng, true);
    const Tensor b = random_tensor({p.oc}, rng, true);
    const FastConv3d fast(p, w, b);
    ASSERT_EQ(fast.describe().find("/oc"), fast.describe().find('/')) << fast.describe();
    ThreadPool one(1), eight(8);
    const Tensor grouped = fast.run(src, one), single = fast.run(src, eight);
    ThreadPool pool(2);
    const Tensor want = conv3d_reference(p, src, w, b, pool);
    ASSERT_EQ(0, std::memcmp(grouped.data(), want.data(), sizeof(float) * static_cast<size_t>(want.size())));
    ASSERT_EQ(0, std::memcmp(single.data(), want.data(), sizeof(float) * static_cast<size_t>(want.size())));
    // A slab of planes 7 .. OD - 3 (odd first plane, still enough tasks to group).
    expect_slab_matches(fast, p, src, want, 7, want.dim(1) - 3, one);
  }
}

TEST(FastConv3d, SlabWithoutItsHaloIsRefused) {
  Conv3dParams p;
  p.ic = 2;
  p.oc = 3;
  p.kernel = {3, 3, 3};
  p.padding = Padding::same;
  const FastConv3d fast(p, Tensor({3, 3, 3, 2, 3}), Tensor({3}));
  ThreadPool pool(1);
  Tensor src({1, 2, 4, 4, 2}), dst({1, 2, 4, 4, 3});
  // Output planes 2..4 of a depth-8 input read planes 1..5; planes 2..4 are not enough.
  EXPECT_THROW(fast.run_slab(src, {8, 2, 2, 4}, dst, pool), Error);
  Tensor enough({1, 4, 4, 4, 2});
  EXPECT_NO_THROW(fast.run_slab(enough, {8, 1, 2, 4}, dst, pool));
}

// Named edge cases: both families at their tile edges.
TEST(FastConv3d, NamedEdgeCases) {
  struct Case {
    const char* name;
    Dims src;
    int64_t oc;
    std::array<int64_t, 3> k, s, d;
    Padding pad;
    int64_t groups;
    ActivationSpec act = {};
  } cases[] = {
      {"ow_1", {1, 3, 3, 1, 32}, 32, {3, 3, 1}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"ow_mr_plus_1", {1, 2, 2, 13, 16}, 64, {1, 1, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"oc_tail_33", {1, 3, 4, 29, 8}, 33, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"w_family_ow_65", {1, 2, 3, 65, 3}, 5, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"w_family_full_tiles_oc_5", {1, 2, 3, 130, 5}, 5, {3, 3, 3}, {1, 1, 1}, {2, 1, 4}, Padding::same, 1},
      {"w_family_full_tiles_oc_11", {1, 2, 3, 97, 11}, 11, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"w_family_stride3", {1, 5, 5, 50, 4}, 11, {3, 3, 3}, {3, 3, 3}, {1, 1, 1}, Padding::same, 1},
      {"w_family_dilation4", {1, 9, 9, 37, 5}, 5, {3, 3, 3}, {1, 1, 1}, {4, 4, 4}, Padding::same, 1},
      // Winograd: 11 -> 11 is chosen automatically; deep volumes give tasks runs of pairs
      // of output planes (sharing input planes), plain and dilated along D; widths whose
      // last W class is empty or holds a single output.
      {"winograd_deep_runs", {1, 41, 4, 19, 11}, 11, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"winograd_deep_runs_dilation_2", {1, 37, 9, 6, 11}, 11, {3, 3, 3}, {1, 1, 1}, {2, 3, 1}, Padding::valid, 1},
      {"winograd_w_classes_short", {1, 6, 7, 5, 11}, 9, {3, 3, 3}, {1, 1, 1}, {1, 2, 4}, Padding::same, 1,
       {Activation::relu}},
      {"k1_pointwise", {1, 3, 3, 30, 32}, 32, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Padding::valid, 1},
      {"k1_pointwise_batch_grouped", {2, 3, 5, 7, 12}, 24, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Padding::same, 3},
      {"k1_strided", {1, 5, 5, 9, 16}, 16, {1, 1, 1}, {2, 2, 2}, {1, 1, 1}, Padding::same, 1},
      {"grouped_oc", {1, 3, 3, 20, 64}, 64, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 2},
      {"ic_1_oc_16", {1, 4, 5, 70, 1}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"ic_1_oc_32_k5_unit_step", {1, 4, 5, 61, 1}, 32, {5, 5, 5}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"ic_1_oc_16_k3_valid_ow_29", {1, 4, 5, 31, 1}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::valid, 1},
      {"ic_1_strided_not_unit_step", {1, 5, 5, 40, 1}, 16, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, Padding::same, 1},
      {"long_runs_ic_64", {1, 3, 4, 30, 64}, 32, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      // Shared-broadcast kernels: dilated W, five taps, strided W, groups, one input channel dilated.
      {"shared_dilation_2_w", {1, 3, 4, 37, 16}, 32, {3, 3, 3}, {1, 1, 1}, {1, 1, 2}, Padding::same, 1},
      {"shared_k5_ic_24", {1, 3, 3, 30, 24}, 32, {3, 3, 5}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"shared_stride_2_w", {1, 3, 4, 41, 16}, 32, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, Padding::same, 1},
      // Stride 2 with compile-time channel counts (16 above, 32, 64), and grouped, where they must not apply.
      {"shared_stride_2_ic_32", {1, 3, 3, 40, 32}, 64, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, Padding::same, 1},
      {"shared_stride_2_ic_64", {1, 3, 3, 29, 64}, 32, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, Padding::valid, 1},
      {"shared_stride_2_grouped_ic_32", {1, 3, 3, 27, 64}, 64, {3, 3, 3}, {1, 1, 2}, {1, 1, 1}, Padding::same, 2},
      // Stride 1 with compile-time channel counts (64 in long_runs_ic_64): three and five taps,
      // dilated, one output vector.
      {"shared_stride_1_ic_32", {1, 3, 3, 35, 32}, 32, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"shared_k5_ic_16", {1, 3, 3, 28, 16}, 48, {3, 3, 5}, {1, 1, 1}, {1, 1, 1}, Padding::valid, 1},
      {"shared_dilation_2_ic_32", {1, 3, 3, 33, 32}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 2}, Padding::same, 1},
      {"shared_ic_64_oc_16", {1, 2, 3, 26, 64}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1},
      {"shared_grouped", {1, 3, 3, 25, 32}, 32, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 2},
      {"shared_ic_1_dilation_2", {1, 4, 5, 50, 1}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 2}, Padding::same, 1},
      // oc tasks take several output rows and share their padded input rows: a last group
      // of 3 rows, strided and dilated H, and rows a stride skips.
      {"oc_row_groups_h_19_stride_2", {1, 3, 37, 12, 16}, 32, {3, 3, 3}, {1, 2, 1}, {1, 1, 1}, Padding::same, 1},
      {"oc_row_groups_h_dilation_3", {1, 3, 21, 9, 16}, 32, {3, 3, 3}, {1, 1, 1}, {1, 3, 1}, Padding::same, 1},
      {"oc_row_groups_rows_skipped", {1, 2, 25, 8, 16}, 16, {1, 1, 3}, {1, 2, 1}, {1, 1, 1}, Padding::valid, 1},
      // Activations fused into tasks: pointwise tasks of 7 positions cut rows, so a width
      // softmax must still see whole rows.
      {"k1_softmax_width", {2, 3, 2, 9, 8}, 5, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1,
       {Activation::softmax, SoftmaxAxis::width}},
      {"k1_log_softmax_channels", {1, 2, 3, 11, 4}, 6, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1,
       {Activation::log_softmax, SoftmaxAxis::channels}},
      {"k3_softmax_width", {1, 3, 4, 10, 3}, 5, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1,
       {Activation::softmax, SoftmaxAxis::width}},
      {"k3_sigmoid", {1, 3, 4, 10, 16}, 32, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, Padding::same, 1, {Activation::sigmoid}},
  };
  for (const auto* isa : available_kernel_tables()) {
    std::mt19937 rng(3);
    for (const auto& c : cases) {
      Conv3dParams p;
      p.ic = c.src[4];
      p.oc = c.oc;
      p.kernel = c.k;
      p.strides = c.s;
      p.dilation = c.d;
      p.padding = c.pad;
      p.groups = c.groups;
      p.activation = c.act;
      SCOPED_TRACE(c.name);
      compare({c.src, p}, isa, rng, true);
      compare({c.src, p}, isa, rng, false);
      using Family = FastConv3dTuning::Family;
      compare({c.src, p}, isa, rng, true, {Family::oc, 1, 0, 7});
      compare({c.src, p}, isa, rng, true, {Family::w, 0, 1, 0});
      compare({c.src, p}, isa, rng, true, {Family::oc, 0, 0, 0, FastConv3dTuning::Streaming::on});
      compare({c.src, p}, isa, rng, false, {Family::winograd});
      compare({c.src, p}, isa, rng, true, {Family::winograd_w});
    }
  }
}

}  // namespace
}  // namespace voxconv::engine
