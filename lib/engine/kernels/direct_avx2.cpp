// The direct kernels built for avx2 (see direct_kernels.inl and lib/CMakeLists.txt for flags).
#define VOXCONV_VW 8
#define VOXCONV_ACC 12
#define VOXCONV_ISA_NAMESPACE avx2
#define VOXCONV_ISA_NAME "avx2"
#include "engine/kernels/direct_kernels.inl"

namespace voxconv::engine::kernels {
const KernelTable& avx2_table() { return avx2::table(); }
}  // namespace voxconv::engine::kernels
