#pragma once
// Elementwise comparison of two arrays of the same shape by numpy.isclose's rule
// (equal_nan=True): |actual - expected| <= atol + rtol * |expected|, NaN equal only to NaN,
// an infinity equal only to the same infinity. Pure: no files, no printing.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace voxconv::pipeline {

struct Tolerance {
  double atol = 1e-8;  // numpy.isclose's defaults
  double rtol = 1e-5;
};

// True when `actual` is within tolerance of `expected` (asymmetric in the two, as numpy).
bool within_tolerance(float actual, float expected, const Tolerance& tol) noexcept;

struct ValueMismatch {
  int64_t index = 0;  // flat (C order) index
  float expected = 0.0f;
  float actual = 0.0f;
  // How far beyond the tolerance: |a - e| - (atol + rtol |e|); +infinity when one side is
  // NaN or an infinity that the other does not match.
  double excess = 0.0;
};

struct ValueComparison {
  int64_t compared = 0;
  int64_t out_of_tolerance = 0;
  int64_t nan_mismatches = 0;  // NaN on exactly one side
  // Over pairs of finite values (and equal infinities, error 0); -1 when there is none.
  double max_abs_error = 0.0;
  int64_t max_abs_index = -1;
  // |a - e| / |e| over finite pairs with e != 0; -1 when there is none.
  double max_rel_error = 0.0;
  int64_t max_rel_index = -1;
  // The worst elements out of tolerance, worst first (ties: lower index first).
  std::vector<ValueMismatch> worst;
};

// Both tensors must have the same number of elements (the caller compares shapes).
// Throws ErrorKind::internal otherwise.
ValueComparison compare_values(const Tensor& expected, const Tensor& actual, const Tolerance& tol, size_t worst_count);

}  // namespace voxconv::pipeline
