#include "engine/constraints.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace voxconv::engine {

namespace {
// numpy.clip's rule, defined for lo > hi too (gives hi).
double clip(double x, double lo, double hi) { return std::min(std::max(x, lo), hi); }
}  // namespace

std::vector<size_t> constraint_axes(const ConstraintSpec& spec, size_t rank) {
  std::vector<size_t> axes;
  if (!spec.axes) {
    for (size_t a = 0; a < rank; ++a) axes.push_back(a);
    return axes;
  }
  const auto r = static_cast<int64_t>(rank);
  for (const int64_t axis : *spec.axes) {
    if (axis < -r || axis >= r)
      throw Error(ErrorKind::shape, "axis " + std::to_string(axis) + " is out of bounds for a weight of rank " +
                                        std::to_string(rank));
    const auto a = static_cast<size_t>(axis < 0 ? axis + r : axis);
    if (std::find(axes.begin(), axes.end(), a) != axes.end())
      throw Error(ErrorKind::shape, "axis " + std::to_string(axis) + " is repeated");
    axes.push_back(a);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

void apply_constraint(const ConstraintSpec& spec, Tensor& w) {
  const std::vector<size_t> reduced = constraint_axes(spec, w.rank());
  float* data = w.data();
  const auto n = static_cast<size_t>(w.size());
  if (spec.kind == ConstraintKind::non_neg) {
    for (size_t i = 0; i < n; ++i) data[i] *= data[i] >= 0.0f ? 1.0f : 0.0f;  // Keras: w * (w >= 0), so -0.0 for w < 0
    return;
  }
  // Slice of element i: its coordinates on the kept axes, flattened.
  const Dims& dims = w.dims();
  std::vector<bool> is_reduced(dims.size(), false);
  for (const size_t a : reduced) is_reduced[a] = true;
  size_t slices = 1;
  for (size_t a = 0; a < dims.size(); ++a)
    if (!is_reduced[a]) slices *= static_cast<size_t>(dims[a]);
  std::vector<size_t> slice_of(n);
  for (size_t i = 0; i < n; ++i) {
    size_t rest = i, slice = 0, scale = 1;
    for (size_t a = dims.size(); a-- > 0;) {
      const auto extent = static_cast<size_t>(dims[a]);
      const size_t coord = rest % extent;
      rest /= extent;
      if (!is_reduced[a]) {
        slice += coord * scale;
        scale *= extent;
      }
    }
    slice_of[i] = slice;
  }
  std::vector<double> norm(slices, 0.0);
  for (size_t i = 0; i < n; ++i) norm[slice_of[i]] += static_cast<double>(data[i]) * static_cast<double>(data[i]);
  std::vector<double> factor(slices);
  for (size_t s = 0; s < slices; ++s) {
    const double nrm = std::sqrt(norm[s]);
    double desired = nrm;
    switch (spec.kind) {
      case ConstraintKind::max_norm: desired = clip(nrm, 0.0, spec.max_value); break;
      case ConstraintKind::min_max_norm:
        desired = spec.rate * clip(nrm, spec.min_value, spec.max_value) + (1.0 - spec.rate) * nrm;
        break;
      case ConstraintKind::unit_norm: desired = 1.0; break;
      case ConstraintKind::non_neg: break;
    }
    factor[s] = desired / (kKerasEpsilon + nrm);
  }
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<float>(static_cast<double>(data[i]) * factor[slice_of[i]]);
}

}  // namespace voxconv::engine
