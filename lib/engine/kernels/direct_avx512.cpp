// The direct kernels built for avx512 (see direct_kernels.inl and lib/CMakeLists.txt for flags).
#define VOXCONV_VW 16
#define VOXCONV_ACC 24
#define VOXCONV_ISA_NAMESPACE avx512
#define VOXCONV_ISA_NAME "avx512"
#include "engine/kernels/direct_kernels.inl"

namespace voxconv::engine::kernels {
const KernelTable& avx512_table() { return avx512::table(); }
}  // namespace voxconv::engine::kernels
