#include "pipeline/array_compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Amount beyond the tolerance; <= 0 means within it. Computed in double so that float
// rounding does not move a value across the boundary.
double excess_of(float actual, float expected, const Tolerance& tol) noexcept {
  const double a = actual, e = expected;
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e) ? -kInfinity : kInfinity;
  if (std::isinf(a) || std::isinf(e)) return a == e ? -kInfinity : kInfinity;
  return std::abs(a - e) - (tol.atol + tol.rtol * std::abs(e));
}

bool worse(const ValueMismatch& x, const ValueMismatch& y) {
  if (x.excess != y.excess) return x.excess > y.excess;
  return x.index < y.index;
}

}  // namespace

bool within_tolerance(float actual, float expected, const Tolerance& tol) noexcept {
  return excess_of(actual, expected, tol) <= 0.0;
}

ValueComparison compare_values(const Tensor& expected, const Tensor& actual, const Tolerance& tol, size_t worst_count) {
  if (expected.size() != actual.size())
    throw Error(ErrorKind::internal, "compare_values: " + std::to_string(expected.size()) + " vs " +
                                         std::to_string(actual.size()) + " elements");
  ValueComparison out;
  out.compared = expected.size();
  const float* e = expected.data();
  const float* a = actual.data();
  // `worst` is kept as a heap whose top is the least bad of the kept ones.
  std::vector<ValueMismatch>& worst = out.worst;
  for (int64_t i = 0; i < out.compared; ++i) {
    const double excess = excess_of(a[i], e[i], tol);
    if (std::isnan(a[i]) != std::isnan(e[i])) ++out.nan_mismatches;
    if (std::isfinite(a[i]) && std::isfinite(e[i])) {
      const double abs_error = std::abs(static_cast<double>(a[i]) - static_cast<double>(e[i]));
      if (out.max_abs_index < 0 || abs_error > out.max_abs_error) {
        out.max_abs_error = abs_error;
        out.max_abs_index = i;
      }
      if (e[i] != 0.0f) {
        const double rel_error = abs_error / std::abs(static_cast<double>(e[i]));
        if (out.max_rel_index < 0 || rel_error > out.max_rel_error) {
          out.max_rel_error = rel_error;
          out.max_rel_index = i;
        }
      }
    } else if (!std::isnan(a[i]) && a[i] == e[i] && out.max_abs_index < 0) {
      out.max_abs_error = 0.0;  // equal infinities
      out.max_abs_index = i;
    }
    if (excess <= 0.0) continue;
    ++out.out_of_tolerance;
    if (worst_count == 0) continue;
    const ValueMismatch m{i, e[i], a[i], excess};
    if (worst.size() < worst_count) {
      worst.push_back(m);
      std::push_heap(worst.begin(), worst.end(), worse);
    } else if (worse(m, worst.front())) {
      std::pop_heap(worst.begin(), worst.end(), worse);
      worst.back() = m;
      std::push_heap(worst.begin(), worst.end(), worse);
    }
  }
  std::sort(worst.begin(), worst.end(), worse);
  return out;
}

}  // namespace voxconv::pipeline
