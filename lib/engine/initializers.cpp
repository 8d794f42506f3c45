#include "engine/initializers.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace voxconv::engine {

Fans compute_fans(const Dims& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {shape[0], shape[0]};
  if (shape.size() == 2) return {shape[0], shape[1]};
  int64_t receptive_field = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) receptive_field *= shape[i];
  return {shape[shape.size() - 2] * receptive_field, shape.back() * receptive_field};
}

double variance_scaling_variance(const InitializerSpec& spec, const Dims& shape) {
  const Fans fans = compute_fans(shape);
  double n = 0.0;
  switch (spec.mode) {
    case FanMode::fan_in: n = static_cast<double>(fans.fan_in); break;
    case FanMode::fan_out: n = static_cast<double>(fans.fan_out); break;
    case FanMode::fan_avg: n = (static_cast<double>(fans.fan_in) + static_cast<double>(fans.fan_out)) / 2.0; break;
  }
  return spec.scale / std::max(1.0, n);
}

std::vector<double> orthonormal_factor(std::vector<double> a, int64_t rows, int64_t cols) {
  if (rows < cols || cols < 1 || static_cast<int64_t>(a.size()) != rows * cols)
    throw Error(ErrorKind::internal, "orthonormal_factor: expected a rows x cols matrix with rows >= cols");
  const auto m = static_cast<size_t>(rows), n = static_cast<size_t>(cols);
  // Householder QR on a column-major copy, so every reflection works on contiguous columns.
  std::vector<double> col(m * n);
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < n; ++c) col[c * m + r] = a[r * n + c];
  a.clear();
  std::vector<double> reflectors(m * n, 0.0);  // v_k in column k, rows k..m-1, unit length
  std::vector<double> sign(n, 1.0);            // sign of R's diagonal
  for (size_t k = 0; k < n; ++k) {
    double* x = &col[k * m];
    double norm = 0.0;
    for (size_t r = k; r < m; ++r) norm += x[r] * x[r];
    norm = std::sqrt(norm);
    const double alpha = x[k] > 0 ? -norm : norm;  // R[k][k]; opposite sign of x[k] avoids cancellation
    sign[k] = alpha < 0 ? -1.0 : 1.0;
    double* v = &reflectors[k * m];
    for (size_t r = k; r < m; ++r) v[r] = x[r];
    v[k] -= alpha;
    double vnorm = 0.0;
    for (size_t r = k; r < m; ++r) vnorm += v[r] * v[r];
    vnorm = std::sqrt(vnorm);
    if (vnorm == 0.0) continue;  // the column is already (0, ..., 0) below k: H_k = I
    for (size_t r = k; r < m; ++r) v[r] /= vnorm;
    for (size_t j = k; j < n; ++j) {
      double* y = &col[j * m];
      double dot = 0.0;
      for (size_t r = k; r < m; ++r) dot += v[r] * y[r];
      for (size_t r = k; r < m; ++r) y[r] -= 2.0 * dot * v[r];
    }
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  std::vector<double> q(m * n, 0.0);  // column-major
  for (size_t c = 0; c < n; ++c) q[c * m + c] = 1.0;
  for (size_t k = n; k-- > 0;) {
    const double* v = &reflectors[k * m];
    for (size_t j = 0; j < n; ++j) {
      double* y = &q[j * m];
      double dot = 0.0;
      for (size_t r = k; r < m; ++r) dot += v[r] * y[r];
      if (dot != 0.0)
        for (size_t r = k; r < m; ++r) y[r] -= 2.0 * dot * v[r];
    }
  }
  std::vector<double> out(m * n);
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c < n; ++c) out[r * n + c] = q[c * m + r] * sign[c];
  return out;
}

namespace {

std::string shape_text(const Dims& shape) { return dims_to_string(shape); }

Tensor orthogonal(const InitializerSpec& spec, const Dims& shape, const CounterRng& rng) {
  if (shape.size() < 2)
    throw Error(ErrorKind::shape, "The tensor to initialize must be at least two-dimensional. Received: shape=" +
                                      shape_text(shape) + " of rank " + std::to_string(shape.size()) + ".");
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  const int64_t cols = shape.back();
  // Keras draws a (max, min) matrix of normals, orthonormalizes its columns and transposes
  // when the weight has fewer rows than columns.
  const int64_t big = std::max(rows, cols), small = std::min(rows, cols);
  std::vector<double> a(static_cast<size_t>(big * small));
  for (size_t i = 0; i < a.size(); ++i) a[i] = rng.normal(i);
  const std::vector<double> q = orthonormal_factor(std::move(a), big, small);
  Tensor t(shape);
  float* out = t.data();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double v = rows >= cols ? q[static_cast<size_t>(r * cols + c)] : q[static_cast<size_t>(c * rows + r)];
      out[r * cols + c] = static_cast<float>(spec.gain * v);
    }
  return t;
}

}  // namespace

Tensor initialize(const InitializerSpec& spec, const Dims& shape, const CounterRng& rng) {
  checked_element_count(shape, "weight " + shape_text(shape));
  if (spec.kind == InitializerKind::orthogonal) return orthogonal(spec, shape, rng);
  if (spec.kind == InitializerKind::identity && shape.size() != 2)
    throw Error(ErrorKind::shape, "Identity matrix initializer can only be used for 2D matrices. Received: shape=" +
                                      shape_text(shape) + " of rank " + std::to_string(shape.size()) + ".");
  Tensor t(shape);
  float* out = t.data();
  const auto n = static_cast<uint64_t>(t.size());
  switch (spec.kind) {
    case InitializerKind::zeros: break;
    case InitializerKind::ones: std::fill(out, out + n, 1.0f); break;
    case InitializerKind::constant: std::fill(out, out + n, static_cast<float>(spec.value)); break;
    case InitializerKind::random_normal:
      for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(spec.mean + spec.stddev * rng.normal(i));
      break;
    case InitializerKind::random_uniform:
      for (uint64_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(spec.minval + (spec.maxval - spec.minval) * rng.uniform(i));
      break;
    case InitializerKind::truncated_normal:
      for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(spec.mean + spec.stddev * rng.truncated_normal(i));
      break;
    case InitializerKind::variance_scaling: {
      const double variance = variance_scaling_variance(spec, shape);
      switch (spec.distribution) {
        case ScalingDistribution::truncated_normal: {
          const double stddev = std::sqrt(variance) / kTruncatedNormalStd;
          for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(stddev * rng.truncated_normal(i));
          break;
        }
        case ScalingDistribution::untruncated_normal: {
          const double stddev = std::sqrt(variance);
          for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(stddev * rng.normal(i));
          break;
        }
        case ScalingDistribution::uniform: {
          const double limit = std::sqrt(3.0 * variance);
          for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(-limit + 2.0 * limit * rng.uniform(i));
          break;
        }
      }
      break;
    }
    case InitializerKind::identity: {
      const int64_t rows = shape[0], cols = shape[1];
      for (int64_t d = 0; d < std::min(rows, cols); ++d) out[d * cols + d] = static_cast<float>(spec.gain);
      break;
    }
    case InitializerKind::orthogonal: break;  // handled above
  }
  return t;
}

}  // namespace voxconv::engine
