#include "keras/model_file.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "keras/hdf5_file.hpp"
#include "keras/zip_archive.hpp"

namespace voxconv::keras {

namespace {

constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

bool starts_with_zip_signature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> head{};
  return in.read(head.data(), head.size()) && std::memcmp(head.data(), "PK\x03\x04", 4) == 0;
}

std::string text_of(const std::vector<char>& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

struct ModelFile::Impl {
  std::string path;
  bool keras3_archive = false;
  std::string keras_version;  // metadata.json of a .keras
  hdf5::File weights;
  WeightsFileInfo info;
  WeightsProvenance provenance;
  ModelGraph graph;
  std::map<std::string, std::vector<DatasetInfo>> layer_weights;  // resolved lazily per layer

  Impl(std::string p, bool keras3, hdf5::File file) : path(std::move(p)), keras3_archive(keras3), weights(std::move(file)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(ErrorKind::weights, path + ": " + what); }

  const LayerEntry* entry_named(const std::string& name) const {
    for (const LayerEntry& entry : info.layers)
      if (entry.name == name) return &entry;
    return nullptr;
  }

  // Keras 3: layers/<snake class>[_k]/vars/<i>, nested models inside their own "layers".
  std::vector<DatasetInfo> keras3_weights(const ModelLayer& layer) const {
    const std::string group = "/" + layer.keras3_path;
    for (const LayerEntry& entry : info.layers)
      if (entry.group == group) return entry.weights;
    return {};
  }

  // Keras 2: the layer's group lists its weights by weight_names. A nested model has one
  // group for all of its layers: first every trainable variable of its layers in
  // model.layers order, then every non-trainable one (Model.weights in Keras 2).
  std::vector<DatasetInfo> keras2_weights(const ModelLayer& layer) const {
    if (layer.scope.empty()) {
      const LayerEntry* entry = entry_named(layer.name);
      return entry ? entry->weights : std::vector<DatasetInfo>{};
    }
    const std::string& model = layer.scope.front();
    const LayerEntry* entry = entry_named(model);
    if (!entry) return {};
    std::vector<const ModelLayer*> members;
    for (const ModelLayer& other : graph.layers)
      if (!other.scope.empty() && other.scope.front() == model) members.push_back(&other);
    std::sort(members.begin(), members.end(),
              [](const ModelLayer* a, const ModelLayer* b) { return a->config_position < b->config_position; });
    struct Slot {
      const ModelLayer* owner;
      size_t role;
    };
    std::vector<Slot> trainable, frozen;
    for (const ModelLayer* member : members) {
      const auto roles = keras_weight_roles(*member);
      if (!roles)
        fail("nested model " + in_quotes(model) + " holds layer " + in_quotes(member->name) + " of class " +
             member->class_name + ", whose variables voxconv does not know, so the weights of " + in_quotes(model) +
             " cannot be assigned to its layers");
      for (size_t r = 0; r < roles->size(); ++r)
        ((*roles)[r].trainable && member->trainable ? trainable : frozen).push_back({member, r});
    }
    trainable.insert(trainable.end(), frozen.begin(), frozen.end());
    if (trainable.size() != entry->weights.size())
      fail("nested model " + in_quotes(model) + " stores " + std::to_string(entry->weights.size()) +
           " weights but its layers have " + std::to_string(trainable.size()));
    std::vector<std::pair<size_t, DatasetInfo>> mine;
    for (size_t i = 0; i < trainable.size(); ++i)
      if (trainable[i].owner == &layer) mine.emplace_back(trainable[i].role, entry->weights[i]);
    std::sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<DatasetInfo> out;
    for (auto& [role, dataset] : mine) out.push_back(std::move(dataset));
    return out;
  }
};

ModelFile::ModelFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModelFile::~ModelFile() = default;
ModelFile::ModelFile(ModelFile&&) noexcept = default;
ModelFile& ModelFile::operator=(ModelFile&&) noexcept = default;

ModelFile ModelFile::open(const std::string& path) {
  std::unique_ptr<Impl> impl;
  std::string config_text;
  if (starts_with_zip_signature(path)) {
    const ZipArchive zip = ZipArchive::open(path);
    if (!zip.contains("config.json"))
      throw Error(ErrorKind::config, path + ": a zip archive without config.json: not a Keras 3 .keras model");
    if (!zip.contains("model.weights.h5")) {
      if (zip.contains("model.weights.npz"))
        throw Error(ErrorKind::weights, path + ": holds its weights as model.weights.npz; voxconv reads model.weights.h5");
      throw Error(ErrorKind::weights, path + ": holds no model.weights.h5 (a model saved without weights?)");
    }
    config_text = text_of(zip.read("config.json", kMaxConfigBytes));
    std::string keras_version;
    if (zip.contains("metadata.json")) {
      try {
        const auto meta = nlohmann::json::parse(text_of(zip.read("metadata.json", kMaxConfigBytes)));
        if (meta.is_object()) keras_version = meta.value("keras_version", std::string());
      } catch (const nlohmann::json::exception&) {
        // metadata is informative only; Keras ignores it too when loading
      }
    }
    const uint64_t max_weights = static_cast<uint64_t>(max_tensor_elements()) * sizeof(float);
    const std::vector<char> image = zip.read("model.weights.h5", max_weights);
    impl = std::make_unique<Impl>(path, true, hdf5::File::open_image(path + " (model.weights.h5)", image.data(), image.size()));
    impl->keras_version = keras_version;
  } else {
    hdf5::File file = hdf5::File::open(path);
    if (!file.has_attribute("/", "model_config"))
      throw Error(ErrorKind::config, path + ": no model_config attribute: not a whole Keras model saved with "
                                            "model.save (for a weights file give --config and --weights)");
    config_text = file.read_string_or_empty("/", "model_config");
    impl = std::make_unique<Impl>(path, false, std::move(file));
  }
  impl->graph = parse_model_config(config_text, path);
  impl->info = inspect_weights(impl->weights);
  impl->info.path = path;
  if (impl->keras3_archive && impl->info.layout != WeightsLayout::keras3_weights)
    impl->fail("model.weights.h5 does not have the Keras 3 layout (layers/<name>/vars)");
  if (!impl->keras3_archive && impl->info.layout != WeightsLayout::keras2_model)
    impl->fail("has a model_config but its weights are not in a model_weights group");
  if (impl->keras3_archive) {
    impl->info.keras_version = impl->keras_version;
  } else {
    impl->provenance.keras1 = !impl->weights.has_attribute("/model_weights", "keras_version");
    impl->provenance.backend = impl->weights.read_string_or_empty("/model_weights", "backend");
  }
  return ModelFile(std::move(impl));
}

const std::string& ModelFile::path() const noexcept { return impl_->path; }
const ModelGraph& ModelFile::graph() const noexcept { return impl_->graph; }
bool ModelFile::is_keras3_archive() const noexcept { return impl_->keras3_archive; }
const WeightsFileInfo& ModelFile::weights_file() const noexcept { return impl_->info; }
const WeightsProvenance& ModelFile::provenance() const noexcept { return impl_->provenance; }

std::string ModelFile::format() const {
  return impl_->keras3_archive ? "Keras 3 model (.keras)" : "Keras full model (model.save .h5)";
}

WeightsVersionEvidence ModelFile::version_evidence() const {
  if (impl_->keras3_archive) return {KerasVersion::keras3, impl_->path + " is a Keras 3 .keras archive"};
  const std::string& v = impl_->info.keras_version;
  if (v.empty() || impl_->provenance.keras1) return {KerasVersion::keras2, impl_->path + " was written by Keras " +
                                                                               (v.empty() ? "1 (no keras_version)" : v)};
  return {v[0] == '3' ? KerasVersion::keras3 : KerasVersion::keras2, impl_->path + " was written by Keras " + v};
}

std::vector<DatasetInfo> ModelFile::weight_infos(const std::string& layer_name) const {
  const auto cached = impl_->layer_weights.find(layer_name);
  if (cached != impl_->layer_weights.end()) return cached->second;
  const ModelLayer* layer = impl_->graph.find(layer_name);
  if (!layer) impl_->fail("the model has no layer " + in_quotes(layer_name));
  std::vector<DatasetInfo> infos = impl_->keras3_archive ? impl_->keras3_weights(*layer) : impl_->keras2_weights(*layer);
  impl_->layer_weights[layer_name] = infos;
  return infos;
}

std::vector<Tensor> ModelFile::read_weights(const std::string& layer_name) const {
  std::vector<Tensor> out;
  for (const DatasetInfo& info : weight_infos(layer_name)) out.push_back(impl_->weights.read_float_tensor(info.path));
  return out;
}

}  // namespace voxconv::keras
