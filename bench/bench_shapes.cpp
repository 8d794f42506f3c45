#include "bench_shapes.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace voxconv::bench {

namespace {

std::vector<BenchShape> read_shapes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the benchmark shapes");
  std::vector<BenchShape> shapes;
  for (const auto& j : nlohmann::json::parse(in)) {
    engine::Conv3dParams p;
    p.ic = j.at("ic").get<int64_t>();
    p.oc = j.at("oc").get<int64_t>();
    const auto k = j.at("kernel").get<int64_t>(), s = j.at("stride").get<int64_t>(), d = j.at("dilation").get<int64_t>();
    p.kernel = {k, k, k};
    p.strides = {s, s, s};
    p.dilation = {d, d, d};
    p.padding = engine::Padding::same;
    shapes.push_back({j.at("name").get<std::string>(), j.at("what").get<std::string>(), j.at("size").get<int64_t>(), p});
  }
  return shapes;
}

}  // namespace

const std::vector<BenchShape>& issue_shapes() {
  static const std::vector<BenchShape> shapes = read_shapes(VOXCONV_BENCH_SHAPES_JSON);
  return shapes;
}

}  // namespace voxconv::bench
