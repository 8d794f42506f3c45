#include "keras/weights_hdf5.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_paths.hpp"

namespace voxconv::keras {
namespace {

// Fixtures come from tests/data/weights/make_weight_fixtures.py (h5py), which writes
//   kernel flat element i (layer offset o) = ((i + o) % 97) * 0.125 - 6.0
//   bias element j                         = 0.5 * j - 1.0 + o
std::string fixture(const std::string& name) {
  return (testing::source_dir() / "tests" / "data" / "weights" / name).string();
}

float kernel_value(int64_t i, int64_t offset) {
  return static_cast<float>(static_cast<double>((i + offset) % 97) * 0.125 - 6.0);
}

void expect_kernel(const Tensor& t, const Dims& dims, int64_t offset) {
  ASSERT_EQ(t.dims(), dims);
  for (int64_t i = 0; i < t.size(); ++i) ASSERT_EQ(t.data()[i], kernel_value(i, offset)) << "index " << i;
}

void expect_bias(const Tensor& t, int64_t n, int64_t offset) {
  ASSERT_EQ(t.dims(), Dims{n});
  for (int64_t j = 0; j < n; ++j)
    ASSERT_EQ(t.data()[j], static_cast<float>(0.5 * static_cast<double>(j) - 1.0 + static_cast<double>(offset)))
        << "index " << j;
}

const Dims kKernelDims{3, 3, 3, 2, 4};

std::vector<std::string> layer_names(const WeightsFileInfo& info) {
  std::vector<std::string> names;
  for (const LayerEntry& layer : info.layers) names.push_back(layer.name);
  return names;
}

// Runs `call`, which must throw ErrorKind::weights with a one-line message that starts
// with the file path and contains `expected`.
template <typename Call>
void expect_weights_error(const std::string& path, const std::string& expected, Call call) {
  try {
    call();
    ADD_FAILURE() << path << ": no error (expected one containing \"" << expected << "\")";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::weights) << message;
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << "expected \"" << expected << "\" in: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// ---- layouts -----------------------------------------------------------------------

TEST(WeightsHdf5, Keras2ModelInspectListsLayersWithWeights) {
  const WeightsFileInfo info = inspect_weights(fixture("good_keras2_model.h5"));
  EXPECT_EQ(info.layout, WeightsLayout::keras2_model);
  EXPECT_EQ(info.keras_version, "2.7.0");
  EXPECT_EQ(info.backend, "tensorflow");
  ASSERT_EQ(layer_names(info), (std::vector<std::string>{"conv_a", "conv_b", "dense"}));
  const LayerEntry& a = info.layers[0];
  EXPECT_EQ(a.group, "/model_weights/conv_a");
  ASSERT_EQ(a.weights.size(), 2u);
  EXPECT_EQ(a.weights[0].path, "/model_weights/conv_a/conv_a/kernel:0");
  EXPECT_EQ(a.weights[0].name, "conv_a/kernel:0");
  EXPECT_EQ(a.weights[0].dims, kKernelDims);
  EXPECT_EQ(a.weights[0].dtype, "float32");
  EXPECT_EQ(a.weights[1].path, "/model_weights/conv_a/conv_a/bias:0");
  EXPECT_TRUE(a.looks_like_conv3d());
  // Dataset names differ from the layer name (voxelmorph's flow/flow_33): weight_names decides.
  EXPECT_EQ(info.layers[1].weights[0].path, "/model_weights/conv_b/conv_b_33/kernel:0");
  EXPECT_TRUE(info.layers[1].looks_like_conv3d());
  EXPECT_FALSE(info.layers[2].looks_like_conv3d());
}

TEST(WeightsHdf5, Keras2ModelLoadsNamedLayers) {
  const std::string path = fixture("good_keras2_model.h5");
  const LayerWeights a = load_conv3d_weights(path, "conv_a", "");
  EXPECT_EQ(a.layer_name, "conv_a");
  EXPECT_EQ(a.kernel_info.path, "/model_weights/conv_a/conv_a/kernel:0");
  EXPECT_EQ(a.bias_info.path, "/model_weights/conv_a/conv_a/bias:0");
  EXPECT_EQ(a.file.layout, WeightsLayout::keras2_model);
  expect_kernel(a.kernel, kKernelDims, 0);
  expect_bias(a.bias, 4, 0);

  const LayerWeights b = load_conv3d_weights(path, "conv_b", "");
  EXPECT_EQ(b.kernel_info.name, "conv_b_33/kernel:0");
  expect_kernel(b.kernel, Dims{1, 1, 1, 4, 3}, 5);
  expect_bias(b.bias, 3, 5);
}

TEST(WeightsHdf5, LayerSelection) {
  const std::string path = fixture("good_keras2_model.h5");
  // Two rank-5 kernels: the config's name decides ...
  EXPECT_EQ(load_conv3d_weights(path, "", "conv_b").layer_name, "conv_b");
  // ... or the group path, with or without the leading slash.
  EXPECT_EQ(load_conv3d_weights(path, "/model_weights/conv_b", "").layer_name, "conv_b");
  EXPECT_EQ(load_conv3d_weights(path, "model_weights/conv_a", "").layer_name, "conv_a");
  expect_weights_error(path, "2 layers have a rank-5 kernel: name one of them; layers with a rank-5 kernel: "
                             "\"conv_a\", \"conv_b\"",
                       [&] { load_conv3d_weights(path, "", ""); });
  expect_weights_error(path, "none is named \"nope\"", [&] { load_conv3d_weights(path, "", "nope"); });
  expect_weights_error(path, "no layer \"nope\" with weights; layers with a rank-5 kernel: \"conv_a\", \"conv_b\"",
                       [&] { load_conv3d_weights(path, "nope", ""); });
  expect_weights_error(path, "no layer \"conv_a_pad\" with weights",
                       [&] { load_conv3d_weights(path, "conv_a_pad", ""); });
  expect_weights_error(path, "layer \"dense\": kernel /model_weights/dense/dense/kernel:0 has shape (6, 2): a Conv3D "
                             "kernel has rank 5",
                       [&] { load_conv3d_weights(path, "dense", ""); });
}

TEST(WeightsHdf5, Keras2SaveWeightsFixedLengthStrings) {
  const std::string path = fixture("good_keras2_weights_fixed.h5");
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras2_weights);
  EXPECT_EQ(info.backend, "theano");
  EXPECT_EQ(info.keras_version, "2.0.8");
  // "conv3d_1" fills its |S8 slot: no terminating NUL in the file.
  ASSERT_EQ(layer_names(info), (std::vector<std::string>{"conv3d_1", "dense_1"}));
  EXPECT_EQ(info.layers[0].group, "/conv3d_1");
  EXPECT_EQ(info.layers[0].weights[0].name, "conv3d_1/kernel");  // theano: no ":0"
  EXPECT_EQ(info.layers[0].weights[0].path, "/conv3d_1/conv3d_1/kernel");

  // Only one rank-5 kernel: chosen without a name. No theano flip here.
  const LayerWeights w = load_conv3d_weights(path, "", "unrelated_hint");
  EXPECT_EQ(w.layer_name, "conv3d_1");
  EXPECT_EQ(w.file.backend, "theano");
  expect_kernel(w.kernel, kKernelDims, 3);
  expect_bias(w.bias, 4, 3);
}

TEST(WeightsHdf5, Keras2SplitLayerNamesUtf8AndSpacePadding) {
  const std::string path = fixture("good_keras2_weights_split.h5");
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras2_weights);
  EXPECT_EQ(info.keras_version, "2.2.4");  // space-padded fixed string, trimmed
  EXPECT_EQ(info.backend, "tensorflow");
  ASSERT_EQ(layer_names(info), (std::vector<std::string>{"conv_x", "conv_\xc3\xbc"}));  // from layer_names0 and 1

  const LayerWeights x = load_conv3d_weights(path, "conv_x", "");
  expect_kernel(x.kernel, kKernelDims, 11);
  EXPECT_TRUE(x.bias.empty());
  EXPECT_TRUE(x.bias_info.path.empty());

  const LayerWeights u = load_conv3d_weights(path, "conv_\xc3\xbc", "");
  EXPECT_EQ(u.kernel_info.path, "/conv_\xc3\xbc/conv_\xc3\xbc/kernel:0");
  expect_kernel(u.kernel, kKernelDims, 12);
  expect_bias(u.bias, 4, 12);
}

TEST(WeightsHdf5, Keras3WeightsFile) {
  const std::string path = fixture("good_keras3.weights.h5");
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras3_weights);
  EXPECT_EQ(info.keras_version, "");
  EXPECT_EQ(info.backend, "");
  // Empty vars groups (the model's own, max_pooling3d) and optimizer/ are not layers.
  ASSERT_EQ(layer_names(info), (std::vector<std::string>{"conv3d", "my_conv", "dense", "functional/conv3d"}));
  EXPECT_EQ(info.layers[1].group, "/layers/conv3d_1");
  EXPECT_EQ(info.layers[1].weights[0].path, "/layers/conv3d_1/vars/0");
  EXPECT_EQ(info.layers[1].weights[0].name, "vars/0");
  EXPECT_EQ(info.layers[1].weights[1].path, "/layers/conv3d_1/vars/1");
  EXPECT_EQ(info.layers[3].group, "/layers/functional/layers/conv3d");

  const LayerWeights named = load_conv3d_weights(path, "my_conv", "");  // the Keras >= 3.6 name attr
  expect_kernel(named.kernel, kKernelDims, 21);
  expect_bias(named.bias, 4, 21);
  EXPECT_EQ(load_conv3d_weights(path, "layers/conv3d_1", "").layer_name, "my_conv");  // by group path

  const LayerWeights first = load_conv3d_weights(path, "conv3d", "");  // no name attr: path component
  expect_kernel(first.kernel, kKernelDims, 20);
  expect_bias(first.bias, 4, 20);

  const LayerWeights nested = load_conv3d_weights(path, "functional/conv3d", "");
  expect_kernel(nested.kernel, Dims{1, 1, 1, 2, 2}, 23);
  EXPECT_TRUE(nested.bias.empty());
}

TEST(WeightsHdf5, Keras3RootVarsBfloat16) {
  const std::string path = fixture("good_keras3_root_vars_bf16.weights.h5");
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras3_weights);
  ASSERT_EQ(info.layers.size(), 1u);
  EXPECT_EQ(info.layers[0].group, "/");
  EXPECT_EQ(info.layers[0].weights[0].dtype, "bfloat16");
  const LayerWeights w = load_conv3d_weights(path, "", "");
  EXPECT_EQ(w.layer_name, info.layers[0].name);
  expect_kernel(w.kernel, kKernelDims, 30);
  expect_bias(w.bias, 4, 30);
}

TEST(WeightsHdf5, PlainKernelAndBias) {
  const std::string path = fixture("good_plain.h5");
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::plain);
  ASSERT_EQ(info.layers.size(), 1u);
  EXPECT_EQ(info.layers[0].weights[0].path, "/kernel");
  EXPECT_EQ(info.layers[0].weights[1].path, "/bias");
  const LayerWeights w = load_conv3d_weights(path, "", "conv3d");
  EXPECT_EQ(w.kernel_info.name, "kernel");
  expect_kernel(w.kernel, kKernelDims, 40);
  expect_bias(w.bias, 4, 40);

  const LayerWeights nobias = load_conv3d_weights(fixture("good_plain_nobias.h5"), "", "");
  expect_kernel(nobias.kernel, kKernelDims, 41);
  EXPECT_TRUE(nobias.bias.empty());
}

struct DtypeCase {
  const char* file;
  int64_t offset;
  const char* kernel_dtype;
  const char* bias_dtype;
};

class WeightsHdf5Dtypes : public ::testing::TestWithParam<DtypeCase> {};

TEST_P(WeightsHdf5Dtypes, ConvertsExactly) {
  const DtypeCase& c = GetParam();
  const LayerWeights w = load_conv3d_weights(fixture(c.file), "", "");
  EXPECT_EQ(w.kernel_info.dtype, c.kernel_dtype);
  EXPECT_EQ(w.bias_info.dtype, c.bias_dtype);
  expect_kernel(w.kernel, kKernelDims, c.offset);
  expect_bias(w.bias, 4, c.offset);
}

INSTANTIATE_TEST_SUITE_P(
    Files, WeightsHdf5Dtypes,
    ::testing::Values(DtypeCase{"good_float16.h5", 42, "float16", "float16"},
                      DtypeCase{"good_float16_be.h5", 43, "float16 (big-endian)", "float16 (big-endian)"},
                      DtypeCase{"good_float64.h5", 44, "float64", "float64"},
                      DtypeCase{"good_bigendian.h5", 45, "float32 (big-endian)", "float64 (big-endian)"},
                      DtypeCase{"good_chunked_gzip.h5", 46, "float32", "float32"},
                      DtypeCase{"good_userblock.h5", 47, "float32", "float32"}));  // signature at 512

// ---- rejections --------------------------------------------------------------------

struct BadCase {
  const char* file;
  const char* expected;  // part of the message
  bool inspect_fails;    // the problem shows before any data is read
};

class WeightsHdf5Bad : public ::testing::TestWithParam<BadCase> {};

TEST_P(WeightsHdf5Bad, RefusedWithWeightsError) {
  const BadCase& c = GetParam();
  const std::string path = fixture(c.file);
  expect_weights_error(path, c.expected, [&] { load_conv3d_weights(path, "", ""); });
  if (c.inspect_fails)
    expect_weights_error(path, c.expected, [&] { inspect_weights(path); });
  else
    EXPECT_NO_THROW(inspect_weights(path));
}

INSTANTIATE_TEST_SUITE_P(
    Files, WeightsHdf5Bad,
    ::testing::Values(
        BadCase{"bad_nan.h5", "/model_weights/c/c/kernel:0 contains NaN at index 17", false},
        BadCase{"bad_inf_bias.h5", "/bias contains -inf at index 2", false},
        BadCase{"bad_float64_range.h5", "/kernel value 1e+300 at index 5 does not fit in float32", false},
        BadCase{"bad_rank.h5", "kernel /kernel has shape (3, 3, 2, 4): a Conv3D kernel has rank 5", false},
        BadCase{"bad_bias_rank.h5", "bias /bias has shape (2, 2): a bias has rank 1", false},
        BadCase{"bad_bias_mismatch.h5", "bias /bias has shape (5,) but kernel /kernel has shape (3, 3, 3, 2, 4)", false},
        BadCase{"bad_zero_dim.h5", "has shape (3, 3, 3, 0, 4): no dimension may be 0", false},
        BadCase{"bad_int.h5", "/kernel has type int32: weights must be float16, float32 or float64", false},
        BadCase{"bad_string.h5", "/kernel has type string", false},
        BadCase{"bad_compound.h5", "/kernel has type compound", false},
        BadCase{"bad_three_weights.h5", "layer \"conv\": has 3 weights", false},
        BadCase{"bad_external_storage.h5", "/kernel keeps its data in external files: refused", false},
        BadCase{"bad_virtual.h5", "/kernel is a virtual dataset: refused", false},
        BadCase{"bad_keras1.h5", "keras_version 1.2.0: Keras 1 weight files", false},
        BadCase{"bad_missing_dataset.h5", "weight \"conv/bias:0\" is listed but /conv/conv/bias:0 does not exist", true},
        BadCase{"bad_soft_link.h5", "/conv/conv/kernel:0 is a soft link: only hard links are accepted", true},
        BadCase{"bad_soft_link_group.h5", "/conv is a soft link", true},
        BadCase{"bad_external_link.h5", "/kernel is an external link", true},
        BadCase{"bad_no_layout.h5", "no Keras weights found", true},
        BadCase{"bad_model_config_only.h5", "model_config attribute but no model_weights group", true},
        BadCase{"bad_not_hdf5.h5", "not an HDF5 file", true},
        BadCase{"bad_zip.keras", "not an HDF5 file (a zip archive", true},
        BadCase{"bad_truncated.h5", "cannot open as HDF5 (truncated or corrupt file?)", true},
        // Found by fuzz_hdf5_weights: 2.5 KB whose headers claim 4.8 GB of storage for a
        // dataset of that size (the check on stored bytes passed, and 4.8 GB were allocated).
        BadCase{"bad_storage_claim.h5", "of storage in a file of 2.5 KiB (truncated or corrupt)", false},
        BadCase{"bad_garbage_after_signature.h5", "cannot open as HDF5", true},
        BadCase{"no_such_file.h5", "no such file", true}));

TEST(WeightsHdf5, DirectoryIsRefused) {
  const std::string dir = (testing::source_dir() / "tests" / "data" / "weights").string();
  expect_weights_error(dir, "is a directory", [&] { inspect_weights(dir); });
}

// ---- real files (../shared/realdata/models) ------------------------------------------
// Reference numbers below were read with python3 h5py 3.7, e.g.
//   h5py.File(f)["/model_weights/21/21/kernel:0"][0, 0, 0, 0, 0]  (printed with repr(float(...)))
// and sums with d.astype(np.float64).sum().

double sum_of(const Tensor& t) {
  double s = 0;
  for (float v : t.values()) s += static_cast<double>(v);
  return s;
}

float at(const Tensor& t, std::initializer_list<int64_t> index) {
  int64_t flat = 0;
  size_t axis = 0;
  for (int64_t i : index) flat = flat * t.dim(axis++) + i;
  return t.data()[flat];
}

std::vector<std::string> conv_like_names(const WeightsFileInfo& info) {
  std::vector<std::string> names;
  for (const LayerEntry& layer : info.layers)
    if (layer.looks_like_conv3d()) names.push_back(layer.name);
  return names;
}

TEST(WeightsHdf5Real, BrainchopModel5ae) {
  const std::string path = testing::realdata("models/brainchop/model5ae.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras2_model);
  EXPECT_EQ(info.keras_version, "2.7.0");
  EXPECT_EQ(info.backend, "tensorflow");
  EXPECT_EQ(conv_like_names(info), (std::vector<std::string>{"21", "23", "25", "27", "29", "31", "33", "35", "37",
                                                             "output"}));
  EXPECT_EQ(info.layers.size(), 10u);  // weightless pads/activations and top_level_model_weights skipped

  const LayerWeights w = load_conv3d_weights(path, "21", "");
  EXPECT_EQ(w.kernel_info.path, "/model_weights/21/21/kernel:0");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 1, 5}));
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), 0.1156652420759201f);
  EXPECT_EQ(at(w.kernel, {1, 2, 0, 0, 4}), -0.0009654365130700171f);
  EXPECT_EQ(at(w.kernel, {2, 2, 2, 0, 3}), -0.2406514585018158f);
  EXPECT_NEAR(sum_of(w.kernel), 0.44872574327746406, 1e-9);
  EXPECT_EQ(w.bias.dims(), Dims{5});
  EXPECT_EQ(w.bias.data()[0], -0.13478632271289825f);
  EXPECT_EQ(w.bias.data()[4], -0.16819064319133759f);

  const LayerWeights out = load_conv3d_weights(path, "output", "");
  EXPECT_EQ(out.kernel.dims(), (Dims{1, 1, 1, 5, 3}));
  EXPECT_EQ(at(out.kernel, {0, 0, 0, 4, 2}), 0.6542516350746155f);
  EXPECT_NEAR(sum_of(out.kernel), -4.128346357494593, 1e-9);
}

TEST(WeightsHdf5Real, BrainchopModel11With50ClassesHasDottedNames) {
  const std::string path = testing::realdata("models/brainchop/model11_50class.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(conv_like_names(info), (std::vector<std::string>{"input.1", "input.4", "input.8", "input.12", "input.16",
                                                             "input.20", "input.24", "input.28", "input.32",
                                                             "output"}));
  const LayerWeights w = load_conv3d_weights(path, "input.1", "");
  EXPECT_EQ(w.kernel_info.path, "/model_weights/input.1/input.1/kernel:0");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 1, 11}));
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), -1.59062659740448f);
  EXPECT_NEAR(sum_of(w.kernel), -3.845766053535044, 1e-8);
  EXPECT_EQ(load_conv3d_weights(path, "output", "").kernel.dims(), (Dims{1, 1, 1, 11, 50}));
}

TEST(WeightsHdf5Real, VoxelmorphFlowResolvesThroughWeightNames) {
  const std::string path = testing::realdata("models/voxelmorph/cvpr2018_vm2_cc.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.keras_version, "2.2.4");
  EXPECT_EQ(conv_like_names(info).size(), 12u);
  const LayerWeights w = load_conv3d_weights(path, "", "flow");  // 12 candidates: the config name picks
  EXPECT_EQ(w.layer_name, "flow");
  EXPECT_EQ(w.kernel_info.path, "/model_weights/flow/flow_33/kernel:0");
  EXPECT_EQ(w.kernel_info.name, "flow_33/kernel:0");
  EXPECT_EQ(w.bias_info.path, "/model_weights/flow/flow_33/bias:0");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 16, 3}));
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), 0.010523897595703602f);
  EXPECT_EQ(at(w.kernel, {2, 1, 0, 15, 2}), -0.08350615203380585f);
  EXPECT_NEAR(sum_of(w.kernel), 0.6905171563812473, 1e-8);
  EXPECT_EQ(w.bias.data()[0], 0.22300474345684052f);
  EXPECT_EQ(w.bias.data()[2], -0.471586138010025f);
  expect_weights_error(path, "12 layers have a rank-5 kernel", [&] { load_conv3d_weights(path, "", ""); });
}

TEST(WeightsHdf5Real, NicMSlesionsTheanoNamesWithoutSuffix) {
  const std::string path = testing::realdata("models/nicMSlesions/baseline_2ch_model_1_theano.hdf5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const LayerWeights w = load_conv3d_weights(path, "conv1_1", "");
  EXPECT_EQ(w.file.layout, WeightsLayout::keras2_weights);
  EXPECT_EQ(w.file.backend, "theano");
  EXPECT_EQ(w.file.keras_version, "2.0.8");
  EXPECT_EQ(conv_like_names(w.file), (std::vector<std::string>{"conv1_1", "conv1_2", "conv2_1", "conv2_2"}));
  EXPECT_EQ(w.kernel_info.path, "/conv1_1/conv1_1/kernel");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 2, 32}));
  // As stored (no theano flip in this module).
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), 0.17458918690681458f);
  EXPECT_EQ(at(w.kernel, {2, 1, 0, 1, 31}), 0.11482395976781845f);
  EXPECT_NEAR(sum_of(w.kernel), 10.141595907298324, 1e-6);
}

TEST(WeightsHdf5Real, SkullstripVariableLengthStrings) {
  const std::string path = testing::realdata("models/skullstrip_qc_nik1097/3d_image_classification.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.keras_version, "2.5.0");
  EXPECT_EQ(conv_like_names(info), (std::vector<std::string>{"conv3d", "conv3d_1", "conv3d_2"}));
  const LayerWeights w = load_conv3d_weights(path, "conv3d", "");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 1, 16}));
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), 0.005992886610329151f);
  EXPECT_NEAR(sum_of(w.kernel), -0.8221904338424793, 1e-8);
}

TEST(WeightsHdf5Real, Mengkunzhao3dcnnFixedStrings) {
  const std::string path = testing::realdata("models/3dcnn_keras_mengkunzhao/3dcnn_300_32_depth.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.layout, WeightsLayout::keras2_weights);
  EXPECT_EQ(info.keras_version, "2.2.4");
  EXPECT_EQ(conv_like_names(info).size(), 6u);
  const LayerWeights w = load_conv3d_weights(path, "", "conv3d_1");
  EXPECT_EQ(w.kernel.dims(), (Dims{3, 3, 3, 1, 32}));
  EXPECT_EQ(at(w.kernel, {0, 0, 0, 0, 0}), -0.016428394243121147f);
  EXPECT_NEAR(sum_of(w.kernel), -15.435347972517775, 1e-5);
}

TEST(WeightsHdf5Real, SynthsegConv3DTransposeKernelsAreListedButDoNotFitConv3D) {
  const std::string path = testing::realdata("models/synthseg_vae/decoder_keras_model.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.keras_version, "2.3.1");
  // The file does not record layer types: rank-5 Conv3DTranspose kernels look like Conv3D.
  EXPECT_EQ(conv_like_names(info), (std::vector<std::string>{"adeconv_0", "adeconv_1", "adeconv_2", "adeconv_3",
                                                             "adeconv_4", "adeconv_5"}));
  // (d, h, w, out, in) with a bias of length out: the bias check catches this one.
  expect_weights_error(path, "bias /adeconv_5/adeconv_5/bias:0 has shape (1,) but kernel "
                             "/adeconv_5/adeconv_5/kernel:0 has shape (5, 5, 5, 1, 32)",
                       [&] { load_conv3d_weights(path, "adeconv_5", ""); });
}

TEST(WeightsHdf5Real, Keras1FileIsListedAndRefusedCleanly) {
  const std::string path = testing::realdata("models/dsb2017_hammack/model_des_v35_sigmoid_64_24.h5").string();
  VOXCONV_REQUIRE_REALDATA(path);
  const WeightsFileInfo info = inspect_weights(path);
  EXPECT_EQ(info.keras_version, "1.2.0");
  EXPECT_EQ(info.backend, "");  // Keras 1.2 wrote none
  EXPECT_EQ(conv_like_names(info), (std::vector<std::string>{"convolution3d_6", "convolution3d_7", "convolution3d_8",
                                                             "convolution3d_9", "convolution3d_10"}));
  EXPECT_EQ(info.layers[0].weights.empty(), false);
  expect_weights_error(path, "Keras 1 weight files", [&] { load_conv3d_weights(path, "convolution3d_6", ""); });
}

// Every real model file: inspect works, and each rank-5 layer either loads (finite,
// matching shapes) or is refused with a weights error.
TEST(WeightsHdf5Real, EveryModelFileInspectsAndLoads) {
  const std::filesystem::path dir = testing::realdata("models");
  VOXCONV_REQUIRE_REALDATA(dir);
  int files = 0, loaded = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".h5" && ext != ".hdf5") continue;
    ++files;
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    WeightsFileInfo info;
    ASSERT_NO_THROW(info = inspect_weights(path));
    EXPECT_FALSE(conv_like_names(info).empty());
    for (const std::string& name : conv_like_names(info)) {
      try {
        const LayerWeights w = load_conv3d_weights(path, name, "");
        EXPECT_EQ(w.kernel.dims(), w.kernel_info.dims);
        if (!w.bias.empty()) {
          EXPECT_EQ(w.bias.dim(0), w.kernel.dim(4));
        }
        ++loaded;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::weights) << e.what();
      }
    }
  }
  EXPECT_GE(files, 13);
  EXPECT_GE(loaded, 90);
}

}  // namespace
}  // namespace voxconv::keras
