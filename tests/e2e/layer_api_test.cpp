// The layer API of the spec from the shell: `config` (get_config), `init` (build from
// initializers), `info` (weights, losses, constraints) and `run --apply-constraints`.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "keras/weights_hdf5.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

using nlohmann::json;

const std::string kLayer21 = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

void write_file(const std::string& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first python3 on PATH that has h5py and numpy, or "" (the checks that need it skip).
std::string python_with_h5py() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/python3";
    if (::access(candidate.c_str(), X_OK) == 0 && run_process(candidate, {"-c", "import h5py, numpy"}).exit_code == 0)
      return candidate;
  }
  return "";
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

// ---- voxconv init ---------------------------------------------------------------------

const char* kInitConfig =
    R"({"name": "enc", "filters": 8, "kernel_size": [3, 1, 2], "groups": 2, "padding": "same",
        "kernel_initializer": "he_normal",
        "bias_initializer": {"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": null}}})";

// What Keras' loader would read (h5py, keras_load_weights_check.py) equals what voxconv's
// own reader reads, and the layer runs with the file.
void check_loadable(const TempDir& dir, const std::string& weights, const std::string& layout) {
  const std::string python = python_with_h5py();
  if (python.empty()) GTEST_SKIP() << "python3 with h5py and numpy not found: Keras loader check skipped";
  const std::string script = (source_dir() / "tests/e2e/keras_load_weights_check.py").string();
  auto r = run_process(python, {script, weights, layout, "enc", "3,1,2,2,8", "8", dir / "read"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const keras::LayerWeights ours = keras::load_conv3d_weights(weights, "", "enc");
  EXPECT_EQ(volume::read_npy(dir / "read_kernel.npy").values(), ours.kernel.values());
  EXPECT_EQ(volume::read_npy(dir / "read_bias.npy").values(), ours.bias.values());
}

TEST(InitCommand, WritesAKeras2SaveWeightsFileThatKerasAndVoxconvRead) {
  TempDir dir;
  write_file(dir / "c.json", kInitConfig);
  auto r = voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "42", "--output", dir / "w.h5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("enc/kernel:0 (3, 1, 2, 2, 8) <- HeNormal(seed=None): truncated normal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fan_in 12, fan_out 48"), std::string::npos) << r.out;  // in/groups = 2, receptive field 6
  EXPECT_NE(r.out.find("enc/bias:0 (8,) <- RandomNormal"), std::string::npos) << r.out;
  const keras::LayerWeights w = keras::load_conv3d_weights(dir / "w.h5", "", "");
  EXPECT_EQ(w.file.layout, keras::WeightsLayout::keras2_weights);
  EXPECT_EQ(w.layer_name, "enc");
  EXPECT_EQ(w.kernel_info.name, "enc/kernel:0");
  // The layer runs with the weights it built.
  Tensor input({1, 6, 6, 6, 4});
  for (int64_t i = 0; i < input.size(); ++i) input.data()[i] = static_cast<float>(i % 7) - 3.0f;
  volume::write_npy(dir / "in.npy", input);
  r = voxconv({"run", "--config", dir / "c.json", "--weights", dir / "w.h5", "--input", dir / "in.npy", "--output", dir / "out.npy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(volume::read_npy(dir / "out.npy").dims(), (Dims{1, 6, 6, 6, 8}));
  check_loadable(dir, dir / "w.h5", "keras2");  // last: skips without python3 + h5py
}

TEST(InitCommand, WritesTheKeras3LayoutWithKeras3) {
  TempDir dir;
  write_file(dir / "c.json", kInitConfig);
  auto r = voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "42", "--keras", "3",
                    "--output", dir / "w.weights.h5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const keras::LayerWeights w = keras::load_conv3d_weights(dir / "w.weights.h5", "", "");
  EXPECT_EQ(w.file.layout, keras::WeightsLayout::keras3_weights);
  EXPECT_EQ(w.kernel_info.path, "/layers/conv3d/vars/0");
  EXPECT_EQ(w.layer_name, "enc");  // the vars group's name attribute
  // The same seed draws the same values whatever the layout.
  voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "42", "--output", dir / "w2.h5"});
  EXPECT_EQ(keras::load_conv3d_weights(dir / "w2.h5", "", "").kernel.values(), w.kernel.values());
  check_loadable(dir, dir / "w.weights.h5", "keras3");  // last: skips without python3 + h5py
}

TEST(InitCommand, SameSeedSameBytesOtherSeedOtherValuesConfigSeedWins) {
  TempDir dir;
  write_file(dir / "c.json", kInitConfig);
  const auto init = [&](const std::string& seed, const std::string& out, const std::string& config) {
    auto r = voxconv({"init", "--config", config, "--input-shape", "6,6,6,4", "--seed", seed, "--output", dir / out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  init("7", "a.h5", dir / "c.json");
  init("7", "b.h5", dir / "c.json");
  init("8", "c.h5", dir / "c.json");
  EXPECT_EQ(read_file(dir / "a.h5"), read_file(dir / "b.h5"));
  const auto a = keras::load_conv3d_weights(dir / "a.h5", "", ""), c = keras::load_conv3d_weights(dir / "c.h5", "", "");
  EXPECT_NE(a.kernel.values(), c.kernel.values());
  EXPECT_NE(a.bias.values(), c.bias.values());
  // An initializer's own seed decides its values, as a seeded Keras initializer ignores the global seed.
  write_file(dir / "seeded.json", R"({"name": "enc", "filters": 8, "kernel_size": 3, "kernel_initializer": {"class_name": "GlorotNormal", "config": {"seed": 5}}, "bias_initializer": "random_uniform"})");
  init("1", "s1.h5", dir / "seeded.json");
  init("2", "s2.h5", dir / "seeded.json");
  const auto s1 = keras::load_conv3d_weights(dir / "s1.h5", "", ""), s2 = keras::load_conv3d_weights(dir / "s2.h5", "", "");
  EXPECT_EQ(s1.kernel.values(), s2.kernel.values());
  EXPECT_NE(s1.bias.values(), s2.bias.values());
}

TEST(InitCommand, RefusalsLeaveNoOutput) {
  TempDir dir;
  write_file(dir / "c.json", kInitConfig);
  write_file(dir / "identity.json", R"({"filters": 4, "kernel_size": 3, "kernel_initializer": "identity"})");
  write_file(dir / "orth_bias.json", R"({"filters": 4, "kernel_size": 3, "bias_initializer": "orthogonal"})");
  const auto init = [&](const std::string& config, const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"init", "--config", config, "--input-shape", "6,6,6,4", "--seed", "1", "--output", out};
    args.insert(args.end(), extra.begin(), extra.end());
    return voxconv(args);
  };
  expect_bad_input(init(dir / "identity.json", dir / "i.h5"), "Identity matrix initializer can only be used for 2D matrices");
  expect_bad_input(init(dir / "orth_bias.json", dir / "o.h5"), "\"bias_initializer\"");
  expect_bad_input(init(dir / "c.json", dir / "w.weights.h5"), "--keras 3");
  expect_bad_input(init(dir / "c.json", dir / "w.h5", {"--keras", "3"}), "*.weights.h5");
  expect_bad_input(init(dir / "c.json", dir / "w.npy"), ".h5 or .hdf5");
  expect_bad_input(voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,3", "--seed", "1", "--output", dir / "g.h5"}),
                   "groups");
  expect_bad_input(voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "-1", "--output", dir / "s.h5"}),
                   "--seed");
  EXPECT_EQ(count_entries(dir.path()), 3);  // the three configs, nothing else
  ASSERT_EQ(init(dir / "c.json", dir / "w.h5").exit_code, 0);
  const std::string before = read_file(dir / "w.h5");
  auto r = voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "2", "--output", dir / "w.h5"});
  expect_bad_input(r, "already exists");
  EXPECT_EQ(read_file(dir / "w.h5"), before);
  r = voxconv({"init", "--config", dir / "c.json", "--input-shape", "6,6,6,4", "--seed", "2", "--output", dir / "w.h5", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(dir / "w.h5"), before);
  EXPECT_EQ(count_entries(dir.path()), 4);
}

// ---- voxconv info: weights, variables, shapes, dtypes ------------------------------------

TEST(InfoCommand, WeightsAndVariablesWithEachVersionsNamesAndTrainability) {
  TempDir dir;
  write_file(dir / "c.json", R"({"name": "enc", "filters": 6, "kernel_size": [3, 1, 2], "groups": 2, "trainable": false, "dtype": "mixed_float16"})");
  ASSERT_EQ(voxconv({"init", "--config", dir / "c.json", "--input-shape", "5,5,5,4", "--seed", "3", "--output", dir / "w.h5"}).exit_code, 0);
  auto r = voxconv({"info", "--config", dir / "c.json", "--weights", dir / "w.h5", "--json", "--input-shape", "5,5,5,4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["name"], "enc");
  EXPECT_EQ(j["dtype"], "mixed_float16");
  EXPECT_EQ(j["compute_dtype"], "float16");
  EXPECT_EQ(j["variable_dtype"], "float32");
  EXPECT_EQ(j["count_params"], 3 * 1 * 2 * 2 * 6 + 6);
  EXPECT_EQ(j["input_shape"], json::parse("[null, 5, 5, 5, 4]"));
  EXPECT_EQ(j["output_shape"], json::parse("[null, 3, 5, 4, 6]"));
  ASSERT_EQ(j["weights"].size(), 2u);
  EXPECT_EQ(j["weights"][0]["name"], "enc/kernel:0");
  EXPECT_EQ(j["weights"][0]["shape"], json::parse("[3, 1, 2, 2, 6]"));
  EXPECT_EQ(j["weights"][1]["name"], "enc/bias:0");
  EXPECT_EQ(j["weights"][1]["dtype"], "float32");
  EXPECT_FALSE(j["weights"][0]["trainable"].get<bool>());
  EXPECT_EQ(j["variables"], json::parse(R"(["enc/kernel:0", "enc/bias:0"])"));
  EXPECT_EQ(j["trainable_weights"], json::array());
  EXPECT_EQ(j["non_trainable_weights"], json::parse(R"(["enc/kernel:0", "enc/bias:0"])"));
  EXPECT_LT(j["weights"][0]["values"]["min"].get<double>(), 0.0);  // get_weights(): glorot_uniform values
  EXPECT_EQ(j["weights"][1]["values"]["max"], 0.0);                // zeros

  // Keras 3: variable name "kernel", path "enc/kernel".
  r = voxconv({"info", "--config", dir / "c.json", "--json", "--keras", "3", "--input-shape", "5,5,5,4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["weights"][0]["name"], "kernel");
  EXPECT_EQ(j["weights"][0]["path"], "enc/kernel");
  EXPECT_EQ(j["non_trainable_weights"], json::parse(R"(["kernel", "bias"])"));
  // Text: shapes as Python prints them.
  r = voxconv({"info", "--config", dir / "c.json", "--input-shape", "5,5,5,4"});
  EXPECT_NE(r.out.find("enc/bias:0 (6,)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights (non-trainable"), std::string::npos) << r.out;
}

// ---- losses and constraints against NumPy goldens -------------------------------------
// tests/golden/layer_api/<case>/ from tests/golden/generate_layer_api_goldens.py (float64 NumPy).

std::vector<std::filesystem::path> layer_api_cases() {
  std::vector<std::filesystem::path> cases;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() / "tests/golden/layer_api"))
    if (std::filesystem::exists(e.path() / "case.json")) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  return cases;
}

// The number after `label` in text ("... loss 1.25 (sum ...").
double number_after(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return NAN;
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

TEST(LayerApiGoldens, LossesAndConstrainedOutputsMatchNumpy) {
  const auto cases = layer_api_cases();
  ASSERT_GE(cases.size(), 7u);
  for (const auto& dir : cases) {
    const std::string name = dir.filename().string();
    const json c = json::parse(read_file((dir / "case.json").string()));
    const std::string config = (dir / "config.json").string(), weights = (dir / "weights.h5").string();

    // info: the weight regularizers' penalties on the loaded weights.
    auto r = voxconv({"info", "--config", config, "--weights", weights, "--json"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const json info = json::parse(r.out);
    EXPECT_EQ(info["keras_version"], "Keras " + c["keras"].get<std::string>()) << name;
    ASSERT_EQ(info["losses"].size(), c["losses"].size()) << name << ": " << info["losses"].dump();
    for (size_t i = 0; i < c["losses"].size(); ++i) {
      const json& want = c["losses"][i];
      const json& got = info["losses"][i];
      EXPECT_EQ(got["regularizer"], want["regularizer"]) << name;
      if (want["value"].is_null()) {
        EXPECT_TRUE(got["value"].is_null()) << name << ": " << got.dump();
      } else {
        ASSERT_TRUE(got["value"].is_number()) << name << ": " << got.dump();
        EXPECT_NEAR(got["value"].get<double>(), want["value"].get<double>(), 1e-12 * want["value"].get<double>()) << name;
      }
    }

    // run: the output (after the constraints when asked) and the activity regularizer's loss.
    // Tolerance: float32 accumulation of up to 36 products of magnitude ~10 (atol 2e-5).
    TempDir out;
    std::vector<std::string> args{"run", "--config", config, "--weights", weights, "--input", (dir / "input.npy").string(),
                                  "--output", out / "out.npy"};
    for (const auto& a : c["run_args"]) args.push_back(a.get<std::string>());
    r = voxconv(args);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const Tensor got = volume::read_npy(out / "out.npy");
    const Tensor want = volume::read_npy((dir / "expected.npy").string());
    ASSERT_EQ(got.dims(), want.dims()) << name;
    double worst = 0;
    for (int64_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(got.data()[i] - want.data()[i]) / (2e-5 + 1e-5 * std::fabs(want.data()[i])));
    EXPECT_LE(worst, 1.0) << name << ": output differs from the NumPy golden";
    if (c["activity"].is_null()) {
      EXPECT_EQ(r.out.find("activity regularizer"), std::string::npos) << name;
    } else {
      const double value = c["activity"]["value"].get<double>(), sum = c["activity"]["sum"].get<double>();
      EXPECT_NEAR(number_after(r.out, ": loss "), value, 1e-5 * value) << name << ": " << r.out;
      EXPECT_NEAR(number_after(r.out, "(sum "), sum, 1e-5 * sum) << name << ": " << r.out;
      EXPECT_EQ(number_after(r.out, "over the batch of "), c["activity"]["batch"].get<double>()) << name;
      // Computed in slabs of one output plane, the penalty is summed slab by slab.
      const auto output = std::find(args.begin(), args.end(), "--output");
      *std::next(output) = out / "slabs.npy";
      args.insert(args.end(), {"--slab-planes", "1"});
      const auto slabs = voxconv(args);
      ASSERT_EQ(slabs.exit_code, 0) << name << ": " << slabs.err;
      EXPECT_NE(slabs.out.find(" slabs"), std::string::npos) << slabs.out;
      EXPECT_NEAR(number_after(slabs.out, ": loss "), value, 1e-5 * value) << name << ": " << slabs.out;
      EXPECT_NEAR(number_after(slabs.out, "(sum "), sum, 1e-5 * sum) << name << ": " << slabs.out;
    }
  }
}

TEST(LayerApiGoldens, ConstraintsChangeTheOutputOnlyWhenAsked) {
  // Without --apply-constraints the constrained case computes with the weights as stored.
  const auto dir = source_dir() / "tests/golden/layer_api/constraints_max_norm_per_filter_non_neg_bias";
  TempDir out;
  auto plain = voxconv({"run", "--config", (dir / "config.json").string(), "--weights", (dir / "weights.h5").string(),
                        "--input", (dir / "input.npy").string(), "--output", out / "plain.npy"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const Tensor a = volume::read_npy(out / "plain.npy"), b = volume::read_npy((dir / "expected.npy").string());
  double diff = 0;
  for (int64_t i = 0; i < a.size(); ++i) diff = std::max(diff, static_cast<double>(std::fabs(a.data()[i] - b.data()[i])));
  EXPECT_GT(diff, 1e-2);
  auto r = voxconv({"run", "--config", (dir / "config.json").string(), "--weights", (dir / "weights.h5").string(),
                    "--input", (dir / "input.npy").string(), "--output", out / "c.npy", "--apply-constraints"});
  EXPECT_NE(r.out.find("constraint conv3d/kernel:0: applied MaxNorm(max_value=0.5, axis=[0, 1, 2, 3])"), std::string::npos)
      << r.out;
}

TEST(LayerApiGoldens, ConstraintAndRegularizerErrorsAreBadInput) {
  TempDir dir;
  const auto golden = source_dir() / "tests/golden/layer_api/penalties_k2";
  const std::string weights = (golden / "weights.h5").string(), input = (golden / "input.npy").string();
  // An axis out of range for the bias: Keras fails when it applies the constraint.
  write_file(dir / "axis.json", R"({"name": "conv3d", "filters": 4, "kernel_size": [3, 2, 3], "padding": "same", "bias_constraint": {"class_name": "MaxNorm", "config": {"max_value": 1, "axis": 2}}})");
  expect_bad_input(voxconv({"run", "--config", dir / "axis.json", "--weights", weights, "--input", input, "--output",
                            dir / "o.npy", "--apply-constraints"}),
                   "\"bias_constraint\"");
  // OrthogonalRegularizer needs rank-2 inputs: Keras cannot call the layer with it as activity regularizer.
  write_file(dir / "orth.json", R"({"name": "conv3d", "filters": 4, "kernel_size": [3, 2, 3], "padding": "same", "activity_regularizer": {"class_name": "OrthogonalRegularizer", "config": {"factor": 0.01, "mode": "rows"}}, "kernel_regularizer": "orthogonal_regularizer"})");
  expect_bad_input(voxconv({"run", "--config", dir / "orth.json", "--weights", weights, "--input", input, "--output", dir / "o.npy"}),
                   "OrthogonalRegularizer");
  EXPECT_EQ(count_entries(dir.path()), 2);
  // info still describes such a layer, with the reason the penalty has no value.
  auto r = voxconv({"info", "--config", dir / "orth.json", "--weights", weights, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json info = json::parse(r.out);
  EXPECT_TRUE(info["losses"][0]["value"].is_null());
  EXPECT_NE(info["losses"][0]["note"].get<std::string>().find("rank 2"), std::string::npos);
}

}  // namespace
}  // namespace voxconv::testing
