// load_conv3d_weights and a model file's first reading in a child process. libhdf5 1.10 trusts its file more than voxconv
// does: on some corrupt files it reads out of bounds or crashes inside the library
// (reproducers in tests/fuzz/README.md), which voxconv's own checks cannot prevent because
// they have to go through libhdf5 too. In a child, such a crash is one error naming the file.
// The result comes back through a pipe in the small format below.
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "keras/model_file.hpp"
#include "keras/weights_hdf5.hpp"

namespace voxconv::keras {
namespace {

class Writer {
 public:
  void u64(uint64_t v) { bytes_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    bytes_ += s;
  }
  void dims(const Dims& d) {
    u64(d.size());
    for (int64_t v : d) u64(static_cast<uint64_t>(v));
  }
  void tensor(const Tensor& t) {
    dims(t.dims());
    u64(static_cast<uint64_t>(t.size()));
    bytes_.append(reinterpret_cast<const char*>(t.data()), static_cast<size_t>(t.size()) * sizeof(float));
  }
  void dataset(const DatasetInfo& d) {
    str(d.path);
    str(d.name);
    dims(d.dims);
    str(d.dtype);
  }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  uint64_t u64() {
    uint64_t v = 0;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    return std::string(take(n), n);
  }
  Dims dims() {
    Dims d(u64());
    for (int64_t& v : d) v = static_cast<int64_t>(u64());
    return d;
  }
  Tensor tensor() {
    Dims d = dims();
    FloatVector values(u64());
    if (!values.empty()) std::memcpy(values.data(), take(values.size() * sizeof(float)), values.size() * sizeof(float));
    if (d.empty() && values.empty()) return Tensor();
    return Tensor(std::move(d), std::move(values));
  }
  DatasetInfo dataset() {
    DatasetInfo d;
    d.path = str();
    d.name = str();
    d.dims = dims();
    d.dtype = str();
    return d;
  }

 private:
  const char* take(uint64_t n) {
    if (n > bytes_.size() - pos_) throw Error(ErrorKind::internal, "weights from the child process are cut short");
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  const std::string& bytes_;
  size_t pos_ = 0;
};

std::string encode(const LayerWeights& w) {
  Writer out;
  out.str(w.layer_name);
  out.dataset(w.kernel_info);
  out.dataset(w.bias_info);
  out.tensor(w.kernel);
  out.tensor(w.bias);
  out.str(w.file.path);
  out.u64(static_cast<uint64_t>(w.file.layout));
  out.str(w.file.keras_version);
  out.str(w.file.backend);
  out.u64(w.file.layers.size());
  for (const LayerEntry& layer : w.file.layers) {
    out.str(layer.name);
    out.str(layer.group);
    out.u64(layer.weights.size());
    for (const DatasetInfo& d : layer.weights) out.dataset(d);
  }
  return out.take();
}

LayerWeights decode(const std::string& bytes) {
  Reader in(bytes);
  LayerWeights w;
  w.layer_name = in.str();
  w.kernel_info = in.dataset();
  w.bias_info = in.dataset();
  w.kernel = in.tensor();
  w.bias = in.tensor();
  w.file.path = in.str();
  w.file.layout = static_cast<WeightsLayout>(in.u64());
  w.file.keras_version = in.str();
  w.file.backend = in.str();
  w.file.layers.resize(in.u64());
  for (LayerEntry& layer : w.file.layers) {
    layer.name = in.str();
    layer.group = in.str();
    layer.weights.resize(in.u64());
    for (DatasetInfo& d : layer.weights) d = in.dataset();
  }
  return w;
}

constexpr char kCrashProblem[] = "the HDF5 library crashed or hung reading this file (a corrupt HDF5 file?)";

// libhdf5 loops forever on some corrupt global heaps: the child gets this long.
constexpr double kBaseTimeoutSeconds = 60.0;
constexpr double kTimeoutBytesPerSecond = 10e6;


double hdf5_timeout_seconds(const std::string& path) {
  if (const char* text = std::getenv("VOXCONV_HDF5_TIMEOUT")) {
    char* end = nullptr;
    const double seconds = std::strtod(text, &end);
    if (end != text && *end == '\0' && seconds > 0) return seconds;
  }
  // Generous: reading weights takes well under a second per 100 MB.
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  return kBaseTimeoutSeconds + (ec ? 0.0 : static_cast<double>(bytes) / kTimeoutBytesPerSecond);
}

}  // namespace

LayerWeights load_conv3d_weights_isolated(const std::string& path, const std::string& layer,
                                          const std::string& name_hint) {
  const std::string bytes = call_in_child([&] { return encode(load_conv3d_weights(path, layer, name_hint)); }, path,
                                          ErrorKind::weights, kCrashProblem, hdf5_timeout_seconds(path));
  return decode(bytes);
}

ModelFile open_model_file_isolated(const std::string& path) {
  call_in_child(
      [&] {
        const ModelFile model = ModelFile::open(path);
        for (const ModelLayer& layer : model.graph().layers) {
          try {
            (void)model.read_weights(layer.name);
          } catch (const Error&) {  // the parent decides whether this layer matters
          }
        }
        return std::string();
      },
      path, ErrorKind::weights, kCrashProblem, hdf5_timeout_seconds(path));
  return ModelFile::open(path);
}

}  // namespace voxconv::keras
