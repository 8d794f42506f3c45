#include "engine/activation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/thread_pool.hpp"

namespace voxconv::engine {
namespace {

// Reference values from the formulas in keras-semantics.md section 3, computed with
// Python's math module (e.g. 0.5*(1+math.erf(1/math.sqrt(2))) for gelu(1)).
TEST(Activation, ElementwiseValuesMatchKerasFormulas) {
  struct V {
    Activation a;
    double x, y;
  } values[] = {
      {Activation::linear, -2.5, -2.5},
      {Activation::relu, -1.0, 0.0},
      {Activation::relu, 2.0, 2.0},
      {Activation::relu6, 7.0, 6.0},
      {Activation::leaky_relu, -1.0, -0.2},
      {Activation::sigmoid, 0.0, 0.5},
      {Activation::sigmoid, 2.0, 0.8807970779778823},
      {Activation::hard_sigmoid_keras2, 1.0, 0.7},
      {Activation::hard_sigmoid_keras2, 3.0, 1.0},
      {Activation::hard_sigmoid_keras3, 1.0, 4.0 / 6.0},
      {Activation::hard_sigmoid_keras3, -3.5, 0.0},
      {Activation::hard_silu, 1.0, 4.0 / 6.0},
      {Activation::tanh, 0.5, 0.46211715726000974},
      {Activation::softplus, 1.0, 1.3132616875182228},
      {Activation::softplus, -50.0, 1.9287498479639178e-22},
      {Activation::softsign, 3.0, 0.75},
      {Activation::elu, -1.0, -0.6321205588285577},
      {Activation::selu, -1.0, -1.1113307378125625},
      {Activation::selu, 2.0, 2.1014019747109868},
      {Activation::exponential, 1.0, 2.718281828459045},
      {Activation::swish, 1.0, 0.7310585786300049},
      {Activation::gelu, 1.0, 0.8413447460685429},
      {Activation::gelu, -1.0, -0.15865525393145707},
      {Activation::mish, 1.0, 0.8650983882673103},
  };
  for (const auto& v : values) {
    EXPECT_NEAR(apply_activation(v.a, v.x), v.y, 1e-12 * (1.0 + std::abs(v.y))) << to_string(v.a) << "(" << v.x << ")";
  }
}

TEST(Activation, SoftmaxOverChannelsSumsToOnePerVoxel) {
  Tensor t({1, 1, 2, 3, 4});
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(i % 7) - 3.0f;
  ThreadPool pool(2);
  apply_activation({Activation::softmax, SoftmaxAxis::channels}, t, pool);
  for (int64_t v = 0; v < 6; ++v) {
    double sum = 0;
    for (int64_t c = 0; c < 4; ++c) sum += t.data()[v * 4 + c];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(Activation, SoftmaxOverWidthForChannelsFirst) {
  // Keras applies softmax to the last axis of a channels_first array: W.
  Tensor t({1, 1, 1, 3, 2});  // W = 3, C = 2
  const float values[] = {1, 10, 2, 20, 3, 30};
  std::copy(std::begin(values), std::end(values), t.data());
  ThreadPool pool(1);
  apply_activation({Activation::softmax, SoftmaxAxis::width}, t, pool);
  const double e1 = std::exp(1.0), e2 = std::exp(2.0), e3 = std::exp(3.0);
  EXPECT_NEAR(t.data()[0], e1 / (e1 + e2 + e3), 1e-7);
  EXPECT_NEAR(t.data()[4], e3 / (e1 + e2 + e3), 1e-7);
  EXPECT_NEAR(t.data()[1] + t.data()[3] + t.data()[5], 1.0, 1e-6);
}

TEST(Activation, LogSoftmaxIsLogOfSoftmax) {
  Tensor a({1, 1, 1, 1, 5}), b({1, 1, 1, 1, 5});
  for (int i = 0; i < 5; ++i) a.data()[i] = b.data()[i] = 0.7f * static_cast<float>(i) - 1.0f;
  ThreadPool pool(1);
  apply_activation({Activation::softmax, SoftmaxAxis::channels}, a, pool);
  apply_activation({Activation::log_softmax, SoftmaxAxis::channels}, b, pool);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(std::log(a.data()[i]), b.data()[i], 1e-6);
}

}  // namespace
}  // namespace voxconv::engine
