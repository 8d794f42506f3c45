#pragma once
// Keras' weight initializers as plain math: which distribution a weight of a given shape
// is drawn from, and the draw itself (from voxconv's counter-based generator). Names and
// config parsing live in lib/keras; here an initializer is only its kind and numbers.
// Formulas follow keras/src/initializers/*.py (Keras 3), which tf.keras 2.x shares.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "engine/counter_rng.hpp"

namespace voxconv::engine {

enum class InitializerKind {
  zeros,
  ones,
  constant,          // value
  random_normal,     // mean, stddev
  random_uniform,    // minval, maxval
  truncated_normal,  // mean, stddev; redrawn beyond 2 stddev
  variance_scaling,  // scale, mode, distribution (glorot_*, he_*, lecun_* are presets of it)
  orthogonal,        // gain
  identity,          // gain; 2-D shapes only, as in Keras
};

enum class FanMode { fan_in, fan_out, fan_avg };
enum class ScalingDistribution { truncated_normal, untruncated_normal, uniform };

struct InitializerSpec {
  InitializerKind kind = InitializerKind::zeros;
  double value = 0.0;
  double mean = 0.0, stddev = 0.05;
  double minval = -0.05, maxval = 0.05;
  double scale = 1.0;
  FanMode mode = FanMode::fan_in;
  ScalingDistribution distribution = ScalingDistribution::truncated_normal;
  double gain = 1.0;
};

// scipy.stats.truncnorm.std(a=-2, b=2): the standard deviation of a standard normal cut at
// +-2. Variance scaling divides by it so the truncated draw has the intended deviation.
constexpr double kTruncatedNormalStd = 0.87962566103423978;

// Keras' compute_fans: rank 0 -> (1, 1); rank 1 -> (n, n); rank 2 -> (rows, cols); else
// receptive field = prod(shape[:-2]), fan_in = shape[-2] * rf, fan_out = shape[-1] * rf.
// For a Conv3D kernel (kd, kh, kw, in/groups, filters): fan_in = in/groups * kd*kh*kw.
struct Fans {
  int64_t fan_in = 1;
  int64_t fan_out = 1;
};
Fans compute_fans(const Dims& shape);

// scale / max(1, n) with n = fan_in, fan_out or their mean: the variance of the draw.
double variance_scaling_variance(const InitializerSpec& spec, const Dims& shape);

// Fills a float32 tensor of `shape`. Element i (C order) depends only on (rng, i), except
// for `orthogonal`, which orthonormalizes a whole matrix of normals. Throws
// ErrorKind::shape with Keras' message for identity on a shape that is not 2-D and for
// orthogonal on a shape of rank < 2.
Tensor initialize(const InitializerSpec& spec, const Dims& shape, const CounterRng& rng);

// The orthonormal factor of Keras' Orthogonal: `a` is rows x cols (row-major, rows >= cols);
// returns Q of its QR decomposition with each column multiplied by the sign of R's
// diagonal (q *= sign(diag(r))), which makes Q unique: the same for any QR algorithm.
std::vector<double> orthonormal_factor(std::vector<double> a, int64_t rows, int64_t cols);

}  // namespace voxconv::engine
