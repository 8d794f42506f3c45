// One ISA's KernelTable (see kernel_simd.inl), filled by its kernel families, and the
// function that names it (avx512_table, avx2_table or generic_table).
#include "engine/kernels/kernel_simd.inl"

#define VOXCONV_PASTE2(a, b) a##b
#define VOXCONV_PASTE(a, b) VOXCONV_PASTE2(a, b)
#define VOXCONV_STRING2(a) #a
#define VOXCONV_STRING(a) VOXCONV_STRING2(a)

namespace voxconv::engine::kernels {

const KernelTable& VOXCONV_PASTE(VOXCONV_ISA, _table)() {
  static const KernelTable table = [] {
    KernelTable t{};
    t.isa = VOXCONV_STRING(VOXCONV_ISA);
    t.vector_width = VOXCONV_ISA::kVW;
    t.accumulators = VOXCONV_ACC;
    VOXCONV_ISA::add_oc_family(t);
    VOXCONV_ISA::add_w_family(t);
    VOXCONV_ISA::add_winograd_family(t);
    return t;
  }();
  return table;
}

}  // namespace voxconv::engine::kernels
