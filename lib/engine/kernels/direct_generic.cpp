// The direct kernels built for generic (see direct_kernels.inl and lib/CMakeLists.txt for flags).
#define VOXCONV_VW 4
#define VOXCONV_ACC 12
#define VOXCONV_ISA_NAMESPACE generic
#define VOXCONV_ISA_NAME "generic"
#include "engine/kernels/direct_kernels.inl"

namespace voxconv::engine::kernels {
const KernelTable& generic_table() { return generic::table(); }
}  // namespace voxconv::engine::kernels
