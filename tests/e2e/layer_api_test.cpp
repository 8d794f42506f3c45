// The layer API of the spec from the shell: `config` (get_config), `init` (build from
// initializers), `info` (weights, losses, constraints) and `run --apply-constraints`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/process.hpp"
#include "test_paths.hpp"

namespace voxconv::testing {
namespace {

using nlohmann::json;

const std::string kLayer21 = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

void write_file(const std::string& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

void expect_bad_input(const ProcessResult& r, const std::string& mention) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(mention), std::string::npos) << "stderr: " << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
}

// ---- voxconv config -----------------------------------------------------------------

TEST(ConfigCommand, PrintsTheCompleteKeras2ConfigAndItParsesBack) {
  TempDir dir;
  write_file(dir / "c.json", R"({"name": "enc", "filters": 4, "kernel_size": 3, "kernel_regularizer": "l2", "padding": "SAME"})");
  auto r = voxconv({"config", "--config", dir / "c.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json printed = json::parse(r.out);
  EXPECT_EQ(printed["padding"], "same");
  EXPECT_EQ(printed["kernel_initializer"], json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": null}})"));
  EXPECT_EQ(printed["kernel_regularizer"], json::parse(R"({"class_name": "L2", "config": {"l2": 0.01}})"));
  EXPECT_EQ(printed.size(), 19u);
  // The printed config is itself a config voxconv reads, and prints the same way.
  write_file(dir / "printed.json", r.out);
  auto again = voxconv({"config", "--config", dir / "printed.json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, r.out);
}

TEST(ConfigCommand, Keras3SpellingAndSerializedForm) {
  auto r = voxconv({"config", "--config", kLayer21, "--keras", "3", "--serialized"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json printed = json::parse(r.out);
  EXPECT_EQ(printed["module"], "keras.layers");
  EXPECT_EQ(printed["class_name"], "Conv3D");
  EXPECT_TRUE(printed["registered_name"].is_null());
  EXPECT_EQ(printed["config"]["dtype"]["class_name"], "DTypePolicy");
  EXPECT_EQ(printed["config"]["kernel_initializer"]["module"], "keras.initializers");
  EXPECT_EQ(printed["config"]["data_format"], "channels_first");
}

TEST(ConfigCommand, ConvertingHardSigmoidAcrossVersionsWarns) {
  TempDir dir;
  write_file(dir / "c.json", R"({"filters": 1, "kernel_size": 1, "activation": "hard_sigmoid"})");
  auto r = voxconv({"config", "--config", dir / "c.json", "--keras", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("hard_sigmoid"), std::string::npos) << r.err;
}

TEST(ConfigCommand, BadConfigsExitTwoNamingTheKey) {
  TempDir dir;
  write_file(dir / "c.json", R"({"filters": 4, "kernel_size": 3, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"mode": "fan_sideways"}}})");
  expect_bad_input(voxconv({"config", "--config", dir / "c.json"}), "\"kernel_initializer.mode\"");
  write_file(dir / "l.json", R"({"filters": 4, "kernel_size": 3, "lora_rank": 4})");
  expect_bad_input(voxconv({"config", "--config", dir / "l.json", "--keras", "2"}), "lora_rank");
}

}  // namespace
}  // namespace voxconv::testing
