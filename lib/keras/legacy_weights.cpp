#include "keras/legacy_weights.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace voxconv::keras {

bool flips_kernels(const WeightsProvenance& from) {
  // _need_convert_kernel: Theano convolves; TensorFlow and CNTK (and voxconv) correlate.
  return from.backend == "theano";
}

Tensor preprocess_conv3d_kernel(Tensor kernel, bool channels_first, const WeightsProvenance& from, const std::string& what) {
  if (kernel.rank() != 5)
    throw Error(ErrorKind::weights, what + ": kernel of shape " + dims_to_string(kernel.dims()) + ": a Conv3D kernel has rank 5");
  if (from.keras1 && channels_first) kernel = transpose(kernel, {2, 3, 4, 1, 0});
  if (!flips_kernels(from)) return kernel;
  const Dims& d = kernel.dims();
  const int64_t taps = d[0] * d[1] * d[2], block = d[3] * d[4];
  Tensor flipped(d);
  // kernel[::-1, ::-1, ::-1, :, :]: tap (i, j, k) takes tap (D-1-i, H-1-j, W-1-k), i.e. the taps reversed.
  for (int64_t t = 0; t < taps; ++t)
    std::copy(kernel.data() + (taps - 1 - t) * block, kernel.data() + (taps - t) * block, flipped.data() + t * block);
  return flipped;
}

}  // namespace voxconv::keras
