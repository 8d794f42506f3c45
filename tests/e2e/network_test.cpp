// Whole models (`voxconv run --model MODEL` without --layer) against PyTorch goldens from
// tests/golden/generate_network_goldens.py: scores, argmax labels and output geometry.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli_checks.hpp"
#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

using nlohmann::json;

json load_network_golden(const std::string& name) {
  return json::parse(std::ifstream(source_dir() / "tests/golden/network" / (name + ".json")));
}

std::string repo_path(const json& rel) { return (source_dir() / rel.get<std::string>()).string(); }

ProcessResult voxconv(const std::vector<std::string>& args) { return run_process(voxconv_binary(), args); }

std::vector<std::string> run_args(const json& g, const std::string& output, const std::string& threads = "2") {
  std::vector<std::string> args{"run", "--model", repo_path(g["model"]), "--input", repo_path(g["input"]), "--output",
                                output, "--threads", threads};
  for (const auto& a : g["args"]) args.push_back(a.get<std::string>());
  return args;
}

void expect_geometry(const Geometry& got, const json& want) {
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(got.spacing[k], want["spacing"][k].get<double>(), 1e-5);
    EXPECT_NEAR(got.origin[k], want["origin"][k].get<double>(), 1e-3);
  }
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(got.direction[k], want["direction"][k].get<double>(), 1e-5);
}

void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol) {
  ASSERT_EQ(got.dims(), want.dims());
  int bad = 0;
  for (int64_t i = 0; i < got.size(); ++i) {
    const double w = want.data()[i], g = got.data()[i];
    if (!(std::abs(g - w) <= atol + rtol * std::abs(w)) && ++bad <= 5)
      ADD_FAILURE() << "element " << i << ": " << g << " vs " << w;
  }
  EXPECT_EQ(bad, 0);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// NIfTI-1 datatype code (uncompressed file): 2 = uint8, 512 = uint16.
int nifti_datatype(const std::string& path) {
  const std::string bytes = file_bytes(path);
  return static_cast<unsigned char>(bytes.at(70)) | (static_cast<unsigned char>(bytes.at(71)) << 8);
}

// Runs with --argmax into a .nii and compares the labels with the golden's, outside the
// voxels where PyTorch's two best classes are within the score tolerance.
void check_labels(const json& g, const std::vector<std::string>& extra = {}) {
  TempDir out;
  const std::string labels_path = out / "labels.nii";
  std::vector<std::string> args = run_args(g, labels_path);
  if (std::find(args.begin(), args.end(), "--argmax") == args.end()) args.push_back("--argmax");
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = voxconv(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nifti_datatype(labels_path), 2) << "labels of a 3-class model are uint8";
  const volume::Volume got = volume::read_volume(labels_path);
  const volume::Volume want = volume::read_volume(repo_path(g["expected_labels"]));
  ASSERT_EQ(got.data.dims(), want.data.dims());
  expect_geometry(got.geometry, g["expected_geometry"]);
  std::vector<bool> tie(static_cast<size_t>(want.data.size()), false);
  const Dims& d = want.data.dims();
  for (const auto& v : g.value("near_ties", json::array()))
    tie[static_cast<size_t>((v[0].get<int64_t>() * d[2] + v[1].get<int64_t>()) * d[3] + v[2].get<int64_t>())] = true;
  int64_t agree = 0, firm_disagree = 0;
  for (int64_t i = 0; i < want.data.size(); ++i) {
    if (got.data.data()[i] == want.data.data()[i]) ++agree;
    else if (!tie[static_cast<size_t>(i)]) ++firm_disagree;
  }
  const double agreement = static_cast<double>(agree) / static_cast<double>(want.data.size());
  if (g.contains("min_label_agreement")) {
    EXPECT_GE(agreement, g["min_label_agreement"].get<double>());
  } else {
    EXPECT_EQ(firm_disagree, 0) << "labels differ where PyTorch's classes are not tied";
  }
  std::cout << "label agreement " << agreement << " (" << want.data.size() - agree << " voxels differ)\n";
}

TEST(NetworkGolden, BrainchopCropScoresMatchPyTorch) {
  const json g = load_network_golden("brainchop_crop");
  TempDir out;
  const std::string output = out / "scores.nii";
  const ProcessResult r = voxconv(run_args(g, output));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const volume::Volume v = volume::read_volume(output);
  EXPECT_EQ(v.data.dims(), g["output_itk_shape"].get<Dims>());
  expect_geometry(v.geometry, g["expected_geometry"]);
  const double rtol = g["rtol"], atol = g["atol"];
  const Dims& d = v.data.dims();
  int bad = 0;
  for (const auto& s : g["samples"]) {
    const int64_t z = s[0], y = s[1], x = s[2], c = s[3];
    const double want = s[4], got = v.data.data()[(((z * d[2]) + y) * d[3] + x) * d[4] + c];
    if (!(std::abs(got - want) <= atol + rtol * std::abs(want)) && ++bad <= 5)
      ADD_FAILURE() << "voxel z=" << z << " y=" << y << " x=" << x << " c=" << c << ": " << got << " vs " << want;
  }
  EXPECT_EQ(bad, 0);
}

TEST(NetworkGolden, BrainchopCropLabelsMatchPyTorch) { check_labels(load_network_golden("brainchop_crop")); }

TEST(NetworkGolden, BrainchopCropLabelsMatchOnTheReferenceEngine) {
  check_labels(load_network_golden("brainchop_crop"), {"--engine", "reference"});
}

// The README's default run: the whole 256^3 head (about 10 s on 2 threads).
TEST(NetworkGolden, BrainchopWholeHeadSegmentationMatchesPyTorch) { check_labels(load_network_golden("brainchop_full")); }

TEST(NetworkGolden, EveryNetworkLayerChannelsLastOnNifti) {
  const json g = load_network_golden("ops_cl");
  TempDir out;
  const std::string output = out / "out.nii.gz";
  const ProcessResult r = voxconv(run_args(g, output));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const volume::Volume v = volume::read_volume(output);
  EXPECT_EQ(v.data.dims(), g["output_itk_shape"].get<Dims>());
  expect_geometry(v.geometry, g["expected_geometry"]);
  expect_close(v.data, volume::read_npy(repo_path(g["expected"])), g["rtol"], g["atol"]);
}

TEST(NetworkGolden, EveryNetworkLayerChannelsFirstOnNpy) {
  const json g = load_network_golden("ops_cf");
  for (const char* engine : {"fast", "reference"}) {
    TempDir out;
    std::vector<std::string> args = run_args(g, out / "out.npy");
    args.insert(args.end(), {"--engine", engine});
    const ProcessResult r = voxconv(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_close(volume::read_npy(out / "out.npy"), volume::read_npy(repo_path(g["expected"])), g["rtol"], g["atol"]);
  }
}

// A case with an "expected" array: a .npy output (the Keras array) or a volume (ITK layout
// and geometry). Returns the output path.
std::string check_expected_array(const json& g, const TempDir& out) {
  const bool npy = g.value("output", std::string()) == "npy";
  const std::string output = out / (npy ? "out.npy" : "out.nii.gz");
  const ProcessResult r = voxconv(run_args(g, output));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return output;
  const Tensor want = volume::read_npy(repo_path(g["expected"]));
  if (npy) {
    expect_close(volume::read_npy(output), want, g["rtol"], g["atol"]);
  } else {
    const volume::Volume v = volume::read_volume(output);
    EXPECT_EQ(v.data.dims(), g["output_itk_shape"].get<Dims>());
    expect_geometry(v.geometry, g["expected_geometry"]);
    expect_close(v.data, want, g["rtol"], g["atol"]);
  }
  return output;
}

TEST(NetworkGolden, ArgmaxLabelsWithAxesXyzOnTheInputGrid) {
  TempDir out;
  check_expected_array(load_network_golden("ops_cl_xyz_argmax"), out);
}

TEST(NetworkGolden, ManyClassesGiveUint16Labels) {
  TempDir out;
  const std::string output = check_expected_array(load_network_golden("classes300"), out);
  EXPECT_NE(file_bytes(output).find("'descr': '<u2'"), std::string::npos);
}

TEST(NetworkGolden, Keras3ArchiveRunsWhole) {
  TempDir out;
  check_expected_array(load_network_golden("keras3_archive"), out);
}

TEST(NetworkGolden, TheanoModelKernelsAreFlippedAsKeras2FlipsThem) {
  TempDir out;
  check_expected_array(load_network_golden("theano_model"), out);
}

TEST(NetworkGolden, Keras1ModelConfigsAndKernelsInTheirKeras2Form) {
  TempDir out;
  check_expected_array(load_network_golden("keras1_model"), out);
}

TEST(NetworkRun, SameBytesForAnyThreadCount) {
  const json g = load_network_golden("ops_cf");
  TempDir out;
  std::string first;
  for (const char* threads : {"1", "2", "3"}) {
    const std::vector<std::string> args = run_args(g, out / (std::string("t") + threads + ".npy"), threads);
    ASSERT_EQ(voxconv(args).exit_code, 0);
    const std::string bytes = file_bytes(out / (std::string("t") + threads + ".npy"));
    if (first.empty()) first = bytes;
    EXPECT_EQ(bytes, first) << threads << " threads";
  }
}

TEST(NetworkRun, ArgmaxToNpyWritesUint8Labels) {
  const json g = load_network_golden("ops_cf");
  TempDir out;
  std::vector<std::string> args = run_args(g, out / "labels.npy");
  args.push_back("--argmax");
  const ProcessResult r = voxconv(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(file_bytes(out / "labels.npy").find("'descr': '|u1'"), std::string::npos);
  const Tensor labels = volume::read_npy(out / "labels.npy");
  const Tensor scores = volume::read_npy(repo_path(g["expected"]));  // (1, 3, D, H, W)
  ASSERT_EQ(labels.dims(), (Dims{1, scores.dim(2), scores.dim(3), scores.dim(4)}));
  const int64_t voxels = labels.size();
  for (int64_t v = 0; v < voxels; ++v) {
    int best = 0;
    for (int c = 1; c < 3; ++c)
      if (scores.data()[c * voxels + v] > scores.data()[best * voxels + v]) best = c;
    EXPECT_EQ(labels.data()[v], static_cast<float>(best)) << "voxel " << v;
  }
}

TEST(NetworkRun, UnsupportedLayerOnThePathIsNamed) {
  TempDir out;
  Tensor x({1, 6, 6, 6, 2});
  volume::write_npy(out / "in.npy", x);
  const std::string model = (source_dir() / "tests/data/models/k2_custom_on_path.h5").string();
  expect_bad_input(voxconv({"run", "--model", model, "--input", out / "in.npy", "--output", out / "o.npy"}),
                   "layer \"warp\" (MyWarpLayer) is on the way to the output and voxconv cannot run it");
  const auto skullstrip = realdata("models/skullstrip_qc_nik1097/3d_image_classification.h5");
  if (std::filesystem::exists(skullstrip))
    expect_bad_input(voxconv({"run", "--model", skullstrip.string(), "--input", out / "in.npy", "--output", out / "o.npy"}),
                     "layer \"max_pooling3d\" (MaxPooling3D) is on the way to the output");
  const auto voxelmorph = realdata("models/voxelmorph/cvpr2018_vm2_cc.h5");
  if (std::filesystem::exists(voxelmorph))
    expect_bad_input(voxconv({"run", "--model", voxelmorph.string(), "--input", out / "in.npy", "--output", out / "o.npy"}),
                     "the model has 2 inputs");
  EXPECT_EQ(count_entries(out.path()), 1);
}

TEST(NetworkRun, BadRequestsAreOneLineErrors) {
  const json g = load_network_golden("ops_cf");
  TempDir out;
  std::vector<std::string> args = run_args(g, out / "o.nii.gz");
  args.insert(args.end(), {"--argmax", "--split-channels"});
  expect_bad_input(voxconv(args), "--argmax");
  args = run_args(g, out / "o.npy");
  args.insert(args.end(), {"--normalize", "median"});
  expect_bad_input(voxconv(args), "--normalize = median");
  expect_bad_input(voxconv({"run", "--config", (source_dir() / "configs/brainchop_model5ae_layer21.json").string(),
                            "--weights", (source_dir() / "data/model5ae.h5").string(), "--input",
                            repo_path(g["input"]), "--output", out / "o.npy", "--argmax"}),
                   "--argmax and --normalize apply to a whole model");
  // Two channels where the brainchop model takes one.
  expect_bad_input(voxconv({"run", "--model", (source_dir() / "data/model5ae.h5").string(), "--input",
                            repo_path(g["input"]), "--output", out / "o.npy"}),
                   "takes 1 (input layer \"input\")");
  EXPECT_EQ(count_entries(out.path()), 0);
}

TEST(NetworkInfo, ListsEveryLayerAndWhatRuns) {
  ProcessResult r = voxconv({"info", "--model", (source_dir() / "data/model5ae.h5").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("21_pad  ZeroPadding3D  (None, 1, 256, 256, 256)  (None, 1, 258, 258, 258)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("whole model: voxconv runs it"), std::string::npos) << r.out;
  r = voxconv({"info", "--json", "--model", (source_dir() / "tests/data/models/k2_nested.h5").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 8u);
  EXPECT_EQ(j["layers"][3]["name"], "bn");
  EXPECT_EQ(j["layers"][3]["count_params"], 12);
  EXPECT_EQ(j["layers"][3]["output_shape"], json::parse("[null, 6, 6, 6, 3]"));
  EXPECT_EQ(j["layers"][7]["class_name"], "MyCustomLayer");
  EXPECT_EQ(j["layers"][7]["voxconv_runs"], false);
  EXPECT_EQ(j["layers"][7]["output_shape"], nullptr);
  EXPECT_EQ(j["model"]["count_params"], 498);
  EXPECT_EQ(j["whole_model"]["runs"], false);
}

}  // namespace
}  // namespace voxconv::testing
