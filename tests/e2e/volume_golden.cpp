#include "e2e/volume_golden.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {

using nlohmann::json;

json load_realdata_golden(const std::string& name) {
  return json::parse(std::ifstream(source_dir() / "tests/golden/realdata" / (name + ".json")));
}

void check_volume_golden(const json& g, const std::vector<std::string>& extra_args,
                         const std::vector<std::string>& source_args) {
  TempDir out;
  const std::string output = out / "features.nii";
  const auto path = [](const json& rel) { return (source_dir() / rel.get<std::string>()).string(); };
  std::vector<std::string> args{"run", "--output", output};
  if (source_args.empty()) {
    args.insert(args.end(), {"--config", path(g["config"]), "--weights", path(g["weights"])});
    if (!std::filesystem::exists(path(g["weights"]))) GTEST_SKIP() << "shared real data absent: " << path(g["weights"]);
  } else {
    args.insert(args.end(), source_args.begin(), source_args.end());
  }
  std::vector<std::string> inputs;
  if (g.contains("input")) inputs.push_back(path(g["input"]));
  for (const auto& in : g.value("inputs", json::array())) inputs.push_back(path(in));
  for (const auto& file : inputs) {
    if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared real data absent: " << file;
    args.insert(args.end(), {"--input", file});
  }
  for (const auto& a : g.value("args", json::array())) args.push_back(a.get<std::string>());
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const ProcessResult r = run_process(voxconv_binary(), args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const volume::Volume v = volume::read_volume(output);
  EXPECT_EQ(v.data.dims(), g["output_itk_shape"].get<Dims>());
  const json& geo = g["expected_geometry"];
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(v.geometry.spacing[k], geo["spacing"][k].get<double>(), 1e-5);
    EXPECT_NEAR(v.geometry.origin[k], geo["origin"][k].get<double>(), 1e-3);
  }
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(v.geometry.direction[k], geo["direction"][k].get<double>(), 1e-5);
  const double rtol = g["rtol"], atol = g["atol"];
  const Dims& d = v.data.dims();
  int bad = 0;
  for (const auto& s : g["samples"]) {
    const int64_t z = s[0], y = s[1], x = s[2], c = s[3];
    const double want = s[4];
    const double got = v.data.data()[(((z * d[2]) + y) * d[3] + x) * d[4] + c];
    if (!(std::abs(got - want) <= atol + rtol * std::abs(want)) && ++bad <= 5)
      ADD_FAILURE() << "voxel z=" << z << " y=" << y << " x=" << x << " c=" << c << ": " << got << " vs " << want;
  }
  EXPECT_EQ(bad, 0);
}

}  // namespace voxconv::testing
