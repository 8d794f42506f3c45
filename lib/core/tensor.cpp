#include "core/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/sizes.hpp"

namespace voxconv {

int64_t max_tensor_elements() {
  return static_cast<int64_t>(std::min<uint64_t>(available_memory_bytes() / sizeof(float),
                                                 static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

int64_t checked_element_count(const Dims& dims, const std::string& what) {
  for (int64_t d : dims)
    if (d < 0) throw Error(ErrorKind::shape, what + ": negative dimension in shape " + dims_to_string(dims));
  const std::optional<int64_t> count = checked_product(dims);
  if (!count || !checked_mul(*count, sizeof(float)))
    throw Error(ErrorKind::resource, what + ": shape " + dims_to_string(dims) + " overflows 64-bit sizes");
  check_memory(static_cast<uint64_t>(*count) * sizeof(float), what, "shape " + dims_to_string(dims) + " as float32");
  return *count;
}

Tensor::Tensor(Dims dims) : dims_(std::move(dims)) {
  data_.assign(static_cast<size_t>(checked_element_count(dims_, "tensor")), 0.0f);
}

Tensor::Tensor(Dims dims, FloatVector values) : dims_(std::move(dims)), data_(std::move(values)) {
  if (checked_element_count(dims_, "tensor") != static_cast<int64_t>(data_.size()))
    throw Error(ErrorKind::internal, "tensor: " + std::to_string(data_.size()) + " values do not fill shape " +
                                         dims_to_string(dims_));
}

std::string dims_to_string(const Dims& dims) {
  std::ostringstream out;
  out << '(';
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? ", " : "") << dims[i];
  if (dims.size() == 1) out << ',';
  out << ')';
  return out.str();
}

Tensor transpose(const Tensor& in, const std::vector<int>& perm) {
  const size_t rank = in.rank();
  if (perm.size() != rank) throw Error(ErrorKind::internal, "transpose: permutation rank mismatch");
  Dims out_dims(rank);
  for (size_t i = 0; i < rank; ++i) out_dims[i] = in.dim(static_cast<size_t>(perm[i]));
  Tensor out(out_dims);
  if (in.size() == 0) return out;

  // Strides of the input, visited in output order.
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * in.dim(i);
  std::vector<int64_t> step(rank);
  for (size_t i = 0; i < rank; ++i) step[i] = in_strides[static_cast<size_t>(perm[i])];

  std::vector<int64_t> index(rank, 0);
  int64_t src = 0;
  const float* in_data = in.data();
  float* out_data = out.data();
  for (int64_t o = 0; o < out.size(); ++o) {
    out_data[o] = in_data[src];
    for (size_t axis = rank; axis-- > 0;) {  // odometer increment
      src += step[axis];
      if (++index[axis] < out_dims[axis]) break;
      src -= step[axis] * out_dims[axis];
      index[axis] = 0;
    }
  }
  return out;
}

int64_t find_non_finite(const Tensor& t) {
  const float* p = t.data();
  for (int64_t i = 0; i < t.size(); ++i)
    if (!std::isfinite(p[i])) return i;
  return -1;
}

}  // namespace voxconv
