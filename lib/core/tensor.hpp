#pragma once
// The plain array type that crosses every boundary: float32, row-major (C order),
// owning and contiguous. Volumes travel as rank-5 NDHWC (Keras channels_last).
#include <cstdint>
#include <string>
#include <vector>

#include "core/aligned_allocator.hpp"

namespace voxconv {

using Dims = std::vector<int64_t>;
// Tensor storage: 64-byte aligned, so SIMD rows and cache lines coincide (malloc gives
// large blocks 16 bytes past a line, which splits every 64-byte store in two).
using FloatVector = AlignedVector<float>;

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor; throws ErrorKind::resource when the element count overflows
  // or exceeds what memory could hold.
  explicit Tensor(Dims dims);
  Tensor(Dims dims, FloatVector values);  // values.size() must match dims

  const Dims& dims() const noexcept { return dims_; }
  int64_t dim(size_t axis) const { return dims_.at(axis); }
  size_t rank() const noexcept { return dims_.size(); }
  int64_t size() const noexcept { return static_cast<int64_t>(data_.size()); }
  bool empty() const noexcept { return data_.empty(); }

  float* data() noexcept { return data_.data(); }
  const float* data() const noexcept { return data_.data(); }
  FloatVector& values() noexcept { return data_; }
  const FloatVector& values() const noexcept { return data_; }

 private:
  Dims dims_;
  FloatVector data_;
};

// "(2, 16, 16, 16, 1)" as Python prints a shape.
std::string dims_to_string(const Dims& dims);

// Product of dims with overflow and sanity checks (each dim >= 0, the float32 array fits
// in the memory available, see core/sizes.hpp); `what` names the thing in the error message.
// Readers call it with the file's name before they allocate what its header asks for.
int64_t checked_element_count(const Dims& dims, const std::string& what);

// Largest number of float elements that fit in the memory available now.
int64_t max_tensor_elements();

// out.dims[i] = in.dims[perm[i]] (numpy.transpose semantics).
Tensor transpose(const Tensor& in, const std::vector<int>& perm);

// Index of the first non-finite value, or -1.
int64_t find_non_finite(const Tensor& t);

}  // namespace voxconv
