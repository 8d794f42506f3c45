#include "bench_shapes.hpp"

namespace voxconv::bench {

namespace {
BenchShape shape(const char* name, const char* what, int64_t ic, int64_t size, int64_t oc, int64_t k, int64_t s, int64_t d) {
  engine::Conv3dParams p;
  p.ic = ic;
  p.oc = oc;
  p.kernel = {k, k, k};
  p.strides = {s, s, s};
  p.dilation = {d, d, d};
  p.padding = engine::Padding::same;
  return {name, what, size, p};
}
}  // namespace

const std::vector<BenchShape>& issue_shapes() {
  static const std::vector<BenchShape> shapes = {
      shape("a", "IC1 128^3 OC16 k3 (first medical layer)", 1, 128, 16, 3, 1, 1),
      shape("b", "IC16 64^3 OC32 k3", 16, 64, 32, 3, 1, 1),
      shape("c", "IC32 64^3 OC32 k3", 32, 64, 32, 3, 1, 1),
      shape("d", "IC64 32^3 OC64 k3", 64, 32, 64, 3, 1, 1),
      shape("e", "IC32 64^3 OC64 k3 s2", 32, 64, 64, 3, 2, 1),
      shape("f", "IC32 64^3 OC32 k3 d2", 32, 64, 32, 3, 1, 2),
      shape("g", "IC32 64^3 OC32 k1 (pointwise)", 32, 64, 32, 1, 1, 1),
      shape("h", "IC4 96^3 OC8 k5", 4, 96, 8, 5, 1, 1),
      shape("i", "IC5 256^3 OC5 k3 d4 (MeshNet)", 5, 256, 5, 3, 1, 4),
      shape("j", "IC11 256^3 OC11 k3 d4", 11, 256, 11, 3, 1, 4),
  };
  return shapes;
}

}  // namespace voxconv::bench
