#include "network/network.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "engine/conv3d_reference.hpp"
#include "engine/thread_pool.hpp"
#include "network/ops.hpp"

namespace voxconv::network {
namespace {

Tensor seeded(const Dims& dims, int seed) {
  Tensor t(dims);
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(((i * 7 + seed * 13) % 17) - 8) * 0.125f;
  return t;
}

engine::Conv3dParams conv_params(int64_t ic, int64_t oc, engine::Padding padding) {
  engine::Conv3dParams p;
  p.ic = ic;
  p.oc = oc;
  p.kernel = {3, 3, 3};
  p.padding = padding;
  return p;
}

TEST(Network, ChainKeepsAboutTwoFeatureMapsAndMatchesTheOpsOneByOne) {
  engine::ThreadPool pool(2);
  const Dims in_dims{1, 10, 9, 8, 4};
  const int64_t map_bytes = 10 * 9 * 8 * 4 * static_cast<int64_t>(sizeof(float));
  Network net;
  int node = net.add_input("in");
  std::vector<std::pair<engine::Conv3dParams, std::pair<Tensor, Tensor>>> layers;
  for (int i = 0; i < 4; ++i) {
    const engine::Conv3dParams p = conv_params(4, 4, engine::Padding::same);
    Tensor k = seeded({3, 3, 3, 4, 4}, i), b = seeded({4}, i + 10);
    layers.push_back({p, {k, b}});
    node = net.add("conv" + std::to_string(i), std::make_unique<Conv3dOp>(p, k, b, false), {node});
    node = net.add("relu" + std::to_string(i), std::make_unique<ReluOp>(0.0f, 0.0f, std::nullopt), {node});
  }
  net.set_output(node);
  const Tensor x = seeded(in_dims, 3);
  RunStats stats;
  const Tensor y = net.run({x}, pool, &stats);
  // The input and one output during the first conv; then one map in, one out; relus in place.
  EXPECT_LE(stats.peak_live_bytes, 2 * map_bytes);
  EXPECT_GE(stats.peak_live_bytes, 2 * map_bytes);

  Tensor want = x;
  for (const auto& [p, w] : layers) {
    want = engine::conv3d_reference(p, want, w.first, w.second, pool);
    for (float& v : want.values()) v = std::max(v, 0.0f);
  }
  ASSERT_EQ(y.dims(), want.dims());
  for (int64_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y.data()[i], want.data()[i], 1e-4 + 1e-5 * std::abs(want.data()[i])) << i;
}

TEST(Network, ATensorWithTwoConsumersIsNotChangedInPlaceByTheFirst) {
  engine::ThreadPool pool(1);
  Network net;
  const int in = net.add_input("in");
  const int relu = net.add("relu", std::make_unique<ReluOp>(0.0f, 0.0f, std::nullopt), {in});
  const int same = net.add("identity", std::make_unique<IdentityOp>(), {in});
  const int sum = net.add("sum", std::make_unique<AddOp>(), {relu, same});
  net.set_output(sum);
  const Tensor x(Dims{1, 1, 1, 3, 1}, {-1.0f, 2.0f, -3.0f});
  const Tensor y = net.run({x}, pool);
  EXPECT_EQ(y.values(), (FloatVector{-1.0f, 4.0f, -3.0f}));  // relu(x) + x
  // A node feeding both inputs of one op.
  Network twice;
  const int t_in = twice.add_input("in");
  twice.set_output(twice.add("double", std::make_unique<AddOp>(), {t_in, t_in}));
  EXPECT_EQ(twice.run({x}, pool).values(), (FloatVector{-2.0f, 4.0f, -6.0f}));
}

TEST(Network, ShapesAndGridsBeforeRunning) {
  Network net;
  const int in = net.add_input("in");
  const int pad = net.add("pad", std::make_unique<ZeroPadOp>(SpatialPads{{{2, 2}, {1, 0}, {0, 0}}}), {in});
  engine::Conv3dParams p = conv_params(2, 3, engine::Padding::valid);
  p.strides = {2, 1, 1};
  const int conv = net.add("conv", std::make_unique<Conv3dOp>(p, seeded({3, 3, 3, 2, 3}, 1), seeded({3}, 2), true), {pad});
  const int crop = net.add("crop", std::make_unique<CropOp>(SpatialPads{{{1, 0}, {0, 0}, {2, 1}}}), {conv});
  net.set_output(crop);
  const auto dims = net.infer_dims({{1, 9, 6, 8, 2}});
  EXPECT_EQ(dims[static_cast<size_t>(crop)], (Dims{1, 5, 5, 3, 3}));
  // Unknown spatial sizes stay unknown; channels still checked.
  EXPECT_EQ(net.infer_dims({{kUnknown, kUnknown, 6, kUnknown, 2}})[static_cast<size_t>(crop)],
            (Dims{kUnknown, kUnknown, 5, kUnknown, 3}));
  try {
    net.infer_dims({{1, 9, 6, 8, 5}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("conv: ", 0), 0u) << e.what();
  }
  // pad: -2, -1, 0; conv valid k3 stride (2,1,1): +1 per axis; crop: +1 step on D (stride 2), +2 on W.
  const GridShift g = net.output_grid({{1, 9, 6, 8, 2}});
  EXPECT_EQ(g.stride, (std::array<double, 3>{2, 1, 1}));
  EXPECT_EQ(g.first_index, (std::array<double, 3>{-2 + 1 + 2 * 1, -1 + 1, 0 + 1 + 2}));
}

}  // namespace
}  // namespace voxconv::network
