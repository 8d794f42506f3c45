#include "engine/activation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::engine {

const char* to_string(Activation a) noexcept {
  switch (a) {
    case Activation::linear: return "linear";
    case Activation::relu: return "relu";
    case Activation::relu6: return "relu6";
    case Activation::leaky_relu: return "leaky_relu";
    case Activation::sigmoid: return "sigmoid";
    case Activation::hard_sigmoid_keras2: return "hard_sigmoid (Keras 2)";
    case Activation::hard_sigmoid_keras3: return "hard_sigmoid (Keras 3)";
    case Activation::hard_silu: return "hard_silu";
    case Activation::tanh: return "tanh";
    case Activation::softplus: return "softplus";
    case Activation::softsign: return "softsign";
    case Activation::elu: return "elu";
    case Activation::selu: return "selu";
    case Activation::exponential: return "exponential";
    case Activation::swish: return "swish";
    case Activation::gelu: return "gelu";
    case Activation::mish: return "mish";
    case Activation::softmax: return "softmax";
    case Activation::log_softmax: return "log_softmax";
  }
  return "unknown";
}

bool is_elementwise(Activation a) noexcept { return a != Activation::softmax && a != Activation::log_softmax; }

namespace {
double softplus(double x) noexcept {
  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
  return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
}
double sigmoid(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }
double hard_sigmoid3(double x) noexcept { return std::clamp(x + 3.0, 0.0, 6.0) / 6.0; }
}  // namespace

double apply_activation(Activation a, double x) noexcept {
  constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
  constexpr double kSeluScale = 1.0507009873554804934193349852946;
  switch (a) {
    case Activation::linear: return x;
    case Activation::relu: return x > 0.0 ? x : 0.0;
    case Activation::relu6: return std::clamp(x, 0.0, 6.0);
    case Activation::leaky_relu: return x > 0.0 ? x : 0.2 * x;
    case Activation::sigmoid: return sigmoid(x);
    case Activation::hard_sigmoid_keras2: return std::clamp(0.2 * x + 0.5, 0.0, 1.0);
    case Activation::hard_sigmoid_keras3: return hard_sigmoid3(x);
    case Activation::hard_silu: return x * hard_sigmoid3(x);
    case Activation::tanh: return std::tanh(x);
    case Activation::softplus: return softplus(x);
    case Activation::softsign: return x / (1.0 + std::abs(x));
    case Activation::elu: return x > 0.0 ? x : std::expm1(x);
    case Activation::selu: return kSeluScale * (x > 0.0 ? x : kSeluAlpha * std::expm1(x));
    case Activation::exponential: return std::exp(x);
    case Activation::swish: return x * sigmoid(x);
    case Activation::gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::mish: return x * std::tanh(softplus(x));
    case Activation::softmax:
    case Activation::log_softmax: return x;  // not element-wise; handled over rows
  }
  return x;
}

namespace {
// Softmax (or log-softmax) over `count` values spaced `stride` apart, in double.
void softmax_row(float* row, int64_t count, int64_t stride, bool log_form) {
  double max_value = -INFINITY;
  for (int64_t i = 0; i < count; ++i) max_value = std::max(max_value, static_cast<double>(row[i * stride]));
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += std::exp(static_cast<double>(row[i * stride]) - max_value);
  const double log_sum = std::log(sum);
  for (int64_t i = 0; i < count; ++i) {
    const double shifted = static_cast<double>(row[i * stride]) - max_value;
    row[i * stride] = static_cast<float>(log_form ? shifted - log_sum : std::exp(shifted) / sum);
  }
}
}  // namespace

void apply_activation_lines(const ActivationSpec& spec, float* data, int64_t lines, int64_t w, int64_t c) noexcept {
  if (spec.kind == Activation::linear) return;
  if (is_elementwise(spec.kind)) {
    const int64_t n = lines * w * c;
    for (int64_t i = 0; i < n; ++i) data[i] = static_cast<float>(apply_activation(spec.kind, static_cast<double>(data[i])));
    return;
  }
  const bool log_form = spec.kind == Activation::log_softmax;
  for (int64_t line = 0; line < lines; ++line) {
    float* base = data + line * w * c;
    if (spec.axis == SoftmaxAxis::channels) {
      for (int64_t x = 0; x < w; ++x) softmax_row(base + x * c, c, 1, log_form);
    } else {
      for (int64_t ch = 0; ch < c; ++ch) softmax_row(base + ch, w, c, log_form);
    }
  }
}

void apply_activation(const ActivationSpec& spec, Tensor& t, ThreadPool& pool) {
  if (spec.kind == Activation::linear || t.size() == 0) return;
  if (t.rank() != 5) throw Error(ErrorKind::internal, "apply_activation: expected a rank-5 NDHWC tensor");
  const int64_t c = t.dim(4), w = t.dim(3);
  const int64_t lines = t.dim(0) * t.dim(1) * t.dim(2);
  // Tasks of whole (n, d, h) lines, about 64K values each: each value written by one task.
  const int64_t lines_per_task = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, w * c));
  float* data = t.data();
  pool.parallel_for((lines + lines_per_task - 1) / lines_per_task, [&](int64_t task) {
    const int64_t first = task * lines_per_task;
    apply_activation_lines(spec, data + first * w * c, std::min(lines_per_task, lines - first), w, c);
  });
}

}  // namespace voxconv::engine
