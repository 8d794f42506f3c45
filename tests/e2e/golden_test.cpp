// End-to-end golden cases: each folder under tests/golden/cases holds a config, weights,
// an input and the expected output computed by an independent implementation (float64
// NumPy cross-checked with PyTorch: tests/golden/generate_goldens.py). voxconv runs as
// a user would; shape, geometry and values are compared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path cases_dir() { return source_dir() / "tests/golden/cases"; }

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cases_dir(), ec))
    if (fs::exists(e.path() / "case.json")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> as_list(const json& v) {
  if (v.is_array()) return v.get<std::vector<std::string>>();
  return {v.get<std::string>()};
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
  return s;
}

// |a - e| <= atol + rtol * |e| elementwise; reports the worst element.
void expect_close(const Tensor& actual, const Tensor& expected, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(actual.dims(), expected.dims()) << what << ": shape " << dims_to_string(actual.dims()) << " vs expected "
                                            << dims_to_string(expected.dims());
  int64_t worst = -1;
  double worst_excess = 0.0;
  for (int64_t i = 0; i < actual.size(); ++i) {
    const double a = actual.data()[i], e = expected.data()[i];
    const double excess = std::abs(a - e) - (atol + rtol * std::abs(e));
    if (!(excess <= 0.0) && (worst < 0 || excess > worst_excess || std::isnan(a))) {
      worst = i;
      worst_excess = excess;
    }
  }
  EXPECT_LT(worst, 0) << what << ": element " << worst << " is " << actual.data()[std::max<int64_t>(worst, 0)]
                      << ", expected " << expected.data()[std::max<int64_t>(worst, 0)];
}

// A double as text that reads back to the same value.
std::string exact(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

class GoldenCase : public ::testing::TestWithParam<std::string> {};

void run_case(const fs::path& dir, const std::string& engine) {
  const json spec = json::parse(std::ifstream(dir / "case.json"));
  TempDir out, keras_home;
  std::vector<std::string> args{"run", "--config", "config.json", "--weights", "weights.h5", "--engine", engine};
  for (const auto& a : spec.at("args")) args.push_back(replace_all(a.get<std::string>(), "{out}", out.path()));
  const ProcessResult r = run_process(voxconv_binary(), args, dir.string(), {"KERAS_HOME=" + keras_home.path()});
  SCOPED_TRACE(spec.value("description", dir.filename().string()) + " (engine " + engine + ")");

  const int expected_exit = spec.value("expected_exit", 0);
  ASSERT_EQ(r.exit_code, expected_exit) << r.err;
  if (expected_exit != 0) {
    EXPECT_NE(r.err.find(spec.value("stderr_contains", std::string())), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(count_entries(out.path()), 0) << "output written despite the error";
    return;
  }
  const auto outputs = as_list(spec.at("output"));
  const auto expected = as_list(spec.at("expected"));
  ASSERT_EQ(outputs.size(), expected.size());
  EXPECT_EQ(count_entries(out.path()), static_cast<int>(outputs.size())) << "unexpected extra files";
  const double rtol = spec.value("rtol", 1e-5), atol = spec.value("atol", 1e-6);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string path = out / outputs[i];
    const Tensor want = volume::read_npy((dir / expected[i]).string());
    if (volume::format_of(path) == volume::FileFormat::npy) {
      expect_close(volume::read_npy(path), want, rtol, atol, outputs[i]);
      // The same check through `voxconv compare`, as a user's CI would run it.
      const ProcessResult c = run_process(voxconv_binary(), {"compare", (dir / expected[i]).string(), path, "--rtol",
                                                             exact(rtol), "--atol", exact(atol)});
      EXPECT_EQ(c.exit_code, 0) << "voxconv compare " << expected[i] << " " << outputs[i] << ":\n" << c.out << c.err;
      continue;
    }
    const volume::Volume got = volume::read_volume(path);
    expect_close(got.data, want, rtol, atol, outputs[i]);
    if (spec.contains("expected_geometry")) {
      const json& g = spec["expected_geometry"];
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(got.geometry.spacing[k], g["spacing"][k].get<double>(), 1e-4) << "spacing " << k;
        EXPECT_NEAR(got.geometry.origin[k], g["origin"][k].get<double>(), 1e-3) << "origin " << k;
      }
      for (int k = 0; k < 9; ++k) EXPECT_NEAR(got.geometry.direction[k], g["direction"][k].get<double>(), 1e-4) << "direction " << k;
    }
  }
}

TEST_P(GoldenCase, FastEngineMatchesIndependentReference) { run_case(cases_dir() / GetParam(), "fast"); }

TEST_P(GoldenCase, ReferenceEngineMatchesIndependentReference) { run_case(cases_dir() / GetParam(), "reference"); }

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCase, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenCase);

TEST(GoldenCases, AtLeastFortyArePresent) { EXPECT_GE(case_names().size(), 40u); }

}  // namespace
}  // namespace voxconv::testing
