#include "keras/weights_hdf5.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "keras/hdf5_file.hpp"

namespace voxconv::keras {

using hdf5::LinkKind;

const char* to_string(WeightsLayout layout) noexcept {
  switch (layout) {
    case WeightsLayout::keras2_model: return "Keras 2 model (model.save)";
    case WeightsLayout::keras2_weights: return "Keras 2 weights (save_weights)";
    case WeightsLayout::keras3_weights: return "Keras 3 weights (.weights.h5)";
    case WeightsLayout::plain: return "plain kernel/bias datasets";
  }
  return "?";
}

bool LayerEntry::looks_like_conv3d() const { return !weights.empty() && weights.front().dims.size() == 5; }

namespace {

// Layer name used when the file itself is one layer (plain layout, K3 root "vars").
constexpr const char* kRootLayerName = "(root)";
constexpr size_t kListedNames = 12;  // names shown in an error before "..."

std::string join(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// "a, b, c" or "a, b, ..., l (40 in all)".
std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kListedNames; ++i) out += (i ? ", " : "") + quoted(names[i]);
  if (names.size() > kListedNames) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// Natural order ("conv3d_2" < "conv3d_10"), so Keras 3 groups list in model order.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[j]);
    if (std::isdigit(ca) && std::isdigit(cb)) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (ca != cb) return ca < cb;
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<hdf5::Child> sorted_children(const hdf5::File& f, const std::string& group_path) {
  std::vector<hdf5::Child> children = f.children(group_path);
  std::sort(children.begin(), children.end(),
            [](const hdf5::Child& a, const hdf5::Child& b) { return natural_less(a.name, b.name); });
  return children;
}

[[noreturn]] void refuse_link(const hdf5::File& f, const std::string& object_path, LinkKind kind) {
  f.fail(f.first_non_hard_component(object_path) + " is " + hdf5::to_string(kind) +
         ": only hard links are accepted");
}

bool is_link(LinkKind kind) {
  return kind == LinkKind::soft_link || kind == LinkKind::external_link || kind == LinkKind::user_link;
}

DatasetInfo dataset_info(const hdf5::File& f, const std::string& layer, const std::string& dataset_path,
                         const std::string& name) {
  const LinkKind kind = f.link_kind(dataset_path);
  if (kind == LinkKind::missing)
    f.fail("layer " + quoted(layer) + ": weight " + quoted(name) + " is listed but " + dataset_path +
           " does not exist");
  if (is_link(kind)) refuse_link(f, dataset_path, kind);
  if (kind != LinkKind::dataset) f.fail("layer " + quoted(layer) + ": " + dataset_path + " is not a dataset");
  const hdf5::DatasetShape shape = f.dataset_shape(dataset_path);
  return DatasetInfo{dataset_path, name, shape.dims, shape.dtype};
}

WeightsLayout detect_layout(const hdf5::File& f) {
  const LinkKind model_weights = f.link_kind("/model_weights");
  if (is_link(model_weights)) refuse_link(f, "/model_weights", model_weights);
  if (model_weights == LinkKind::group) return WeightsLayout::keras2_model;
  if (f.has_attribute("/", "layer_names") || f.has_attribute("/", "layer_names0")) return WeightsLayout::keras2_weights;
  for (const char* group : {"/layers", "/vars", "/_layer_checkpoint_dependencies"}) {
    const LinkKind kind = f.link_kind(group);
    if (is_link(kind)) refuse_link(f, group, kind);
    if (kind == LinkKind::group) return WeightsLayout::keras3_weights;
  }
  const LinkKind kernel = f.link_kind("/kernel");
  if (is_link(kernel)) refuse_link(f, "/kernel", kernel);
  if (kernel == LinkKind::dataset) return WeightsLayout::plain;
  if (f.has_attribute("/", "model_config"))
    f.fail("has a model_config attribute but no model_weights group (a model saved without weights?)");
  f.fail(
      "no Keras weights found: expected a model_weights group (model.save), a layer_names attribute "
      "(save_weights), a layers or vars group (Keras 3 .weights.h5) or a kernel dataset");
}

// Keras 2 layout under `root` ("/" or "/model_weights"): layer_names -> groups ->
// weight_names -> datasets at <group>/<weight name>.
std::vector<LayerEntry> keras2_layers(const hdf5::File& f, const std::string& root) {
  const auto names = f.read_chunked_strings(root, "layer_names");
  if (!names) f.fail(root + " has no layer_names attribute");
  std::vector<LayerEntry> layers;
  for (const std::string& name : *names) {
    if (name.empty() || name.find('/') != std::string::npos)
      f.fail("layer_names of " + root + " holds an invalid layer name " + quoted(name));
    const std::string group = join(root, name);
    const LinkKind kind = f.link_kind(group);
    if (kind == LinkKind::missing) f.fail("layer_names lists " + quoted(name) + " but " + group + " does not exist");
    if (is_link(kind)) refuse_link(f, group, kind);
    if (kind != LinkKind::group) f.fail(group + " (layer " + quoted(name) + ") is not a group");
    // Keras reads a missing weight_names as "no weights" (load_attributes_from_hdf5_group).
    const auto weight_names = f.read_chunked_strings(group, "weight_names").value_or(std::vector<std::string>{});
    if (weight_names.empty()) continue;
    LayerEntry entry{name, group, {}};
    for (const std::string& weight : weight_names) {
      const size_t start = weight.find_first_not_of('/');
      if (start == std::string::npos) f.fail("weight_names of " + group + " holds an empty name");
      entry.weights.push_back(dataset_info(f, name, join(group, weight.substr(start)), weight));
    }
    layers.push_back(std::move(entry));
  }
  return layers;
}

// A Keras 3 "vars" group with at least one dataset becomes a layer; datasets "0", "1", ...
// in numeric order (kernel first).
void add_keras3_vars(const hdf5::File& f, const std::string& vars_path, const std::string& fallback_name,
                     std::vector<LayerEntry>& layers) {
  // Keras >= 3.6 records the layer's own name; the path only has the class name.
  std::string name = f.read_string_or_empty(vars_path, "name");
  if (name.empty()) name = fallback_name;
  LayerEntry entry{name, vars_path.substr(0, vars_path.size() - std::string("/vars").size()), {}};
  if (entry.group.empty()) entry.group = "/";
  for (const hdf5::Child& child : sorted_children(f, vars_path)) {
    const std::string path = join(vars_path, child.name);
    if (is_link(child.kind)) refuse_link(f, path, child.kind);
    if (child.kind != LinkKind::dataset) continue;
    entry.weights.push_back(dataset_info(f, name, path, "vars/" + child.name));
  }
  if (!entry.weights.empty()) layers.push_back(std::move(entry));
}

// Walks one saved object: its own "vars", then sub-objects. Children of a "layers" group
// are layers (display name = their group name); other sub-groups are attributes of a
// custom layer (display name "<layer>/<attribute>").
// `budget` bounds the groups visited: hard links can make the tree a cyclic graph.
void walk_keras3(const hdf5::File& f, const std::string& object_path, const std::string& display_name,
                 std::vector<LayerEntry>& layers, int depth, int& budget) {
  if (depth > 64) f.fail(object_path + " is nested too deeply");
  if (--budget < 0) f.fail("holds too many groups under /layers (a cycle of hard links?)");
  for (const hdf5::Child& child : sorted_children(f, object_path)) {
    const std::string path = join(object_path, child.name);
    if (is_link(child.kind)) refuse_link(f, path, child.kind);
    if (child.kind != LinkKind::group) continue;
    if (child.name == "vars") {
      add_keras3_vars(f, path, display_name.empty() ? kRootLayerName : display_name, layers);
    } else if (child.name == "layers" || child.name == "_layer_checkpoint_dependencies") {
      for (const hdf5::Child& layer : sorted_children(f, path)) {
        const std::string layer_path = join(path, layer.name);
        if (is_link(layer.kind)) refuse_link(f, layer_path, layer.kind);
        if (layer.kind != LinkKind::group) continue;
        walk_keras3(f, layer_path, display_name.empty() ? layer.name : display_name + "/" + layer.name, layers,
                    depth + 1, budget);
      }
    } else if (!display_name.empty()) {
      // At the root only "vars" and "layers" hold model weights ("optimizer" etc. do not).
      walk_keras3(f, path, display_name + "/" + child.name, layers, depth + 1, budget);
    }
  }
}

std::vector<LayerEntry> plain_layers(const hdf5::File& f) {
  LayerEntry entry{kRootLayerName, "/", {}};
  entry.weights.push_back(dataset_info(f, kRootLayerName, "/kernel", "kernel"));
  const LinkKind bias = f.link_kind("/bias");
  if (is_link(bias)) refuse_link(f, "/bias", bias);
  if (bias != LinkKind::missing) entry.weights.push_back(dataset_info(f, kRootLayerName, "/bias", "bias"));
  return {entry};
}

}  // namespace

WeightsFileInfo inspect_weights(const hdf5::File& f) {
  WeightsFileInfo info;
  info.path = f.path();
  info.layout = detect_layout(f);
  info.keras_version = f.read_string_or_empty("/", "keras_version");
  info.backend = f.read_string_or_empty("/", "backend");
  switch (info.layout) {
    case WeightsLayout::keras2_model:
      if (info.keras_version.empty()) info.keras_version = f.read_string_or_empty("/model_weights", "keras_version");
      if (info.backend.empty()) info.backend = f.read_string_or_empty("/model_weights", "backend");
      info.layers = keras2_layers(f, "/model_weights");
      break;
    case WeightsLayout::keras2_weights: info.layers = keras2_layers(f, "/"); break;
    case WeightsLayout::keras3_weights: {
      int budget = 100000;
      walk_keras3(f, "/", "", info.layers, 0, budget);
      break;
    }
    case WeightsLayout::plain: info.layers = plain_layers(f); break;
  }
  return info;
}

namespace {

std::vector<std::string> names_of(const std::vector<const LayerEntry*>& layers) {
  std::vector<std::string> names;
  for (const LayerEntry* layer : layers) names.push_back(layer->name);
  return names;
}

const LayerEntry& choose_layer(const hdf5::File& f, const WeightsFileInfo& info, const std::string& layer,
                               const std::string& name_hint) {
  std::vector<const LayerEntry*> conv_like, all;
  for (const LayerEntry& entry : info.layers) {
    all.push_back(&entry);
    if (entry.looks_like_conv3d()) conv_like.push_back(&entry);
  }
  if (all.empty()) f.fail("holds no layer with weights");
  const std::string candidates = conv_like.empty() ? "layers with weights: " + name_list(names_of(all))
                                                   : "layers with a rank-5 kernel: " + name_list(names_of(conv_like));

  auto by_name = [&](const std::string& name) -> const LayerEntry* {
    for (const LayerEntry* entry : all)
      if (entry->name == name) return entry;
    return nullptr;
  };
  if (!layer.empty()) {
    if (const LayerEntry* entry = by_name(layer)) return *entry;
    const std::string group = layer.front() == '/' ? layer : "/" + layer;
    for (const LayerEntry* entry : all)
      if (entry->group == group) return *entry;
    f.fail("no layer " + quoted(layer) + " with weights; " + candidates);
  }
  if (conv_like.size() == 1) return *conv_like.front();
  if (!name_hint.empty())
    if (const LayerEntry* entry = by_name(name_hint)) return *entry;
  // A file holding one layer: take it, so the shape checks below say what is wrong with it.
  if (conv_like.empty() && all.size() == 1) return *all.front();
  if (conv_like.empty()) f.fail("no layer has a rank-5 (Conv3D) kernel; " + candidates);
  f.fail(std::to_string(conv_like.size()) + " layers have a rank-5 kernel" +
         (name_hint.empty() ? "" : " and none is named " + quoted(name_hint)) + ": name one of them; " + candidates);
}

}  // namespace

WeightsFileInfo inspect_weights(const std::string& path) {
  const hdf5::File f = hdf5::File::open(path);
  return inspect_weights(f);
}

namespace {

LayerWeights load_from(const hdf5::File& f, const std::string& layer, const std::string& name_hint) {
  LayerWeights out;
  out.file = inspect_weights(f);
  if (out.file.keras_version.rfind("1.", 0) == 0)
    f.fail("keras_version " + out.file.keras_version +
           ": Keras 1 weight files (kernels stored (out, in, d, h, w)) are read only with --model from the full model "
           "file, whose config says how its kernels are laid out");

  const LayerEntry& entry = choose_layer(f, out.file, layer, name_hint);
  const std::string where = "layer " + quoted(entry.name) + ": ";
  if (entry.weights.size() > 2) {
    std::vector<std::string> names;
    for (const DatasetInfo& w : entry.weights) names.push_back(w.name);
    f.fail(where + "has " + std::to_string(entry.weights.size()) + " weights (" + name_list(names) +
           "): a Conv3D layer has a kernel and an optional bias");
  }
  const DatasetInfo& kernel = entry.weights.front();
  if (kernel.dims.size() != 5)
    f.fail(where + "kernel " + kernel.path + " has shape " + dims_to_string(kernel.dims) +
           ": a Conv3D kernel has rank 5 (kd, kh, kw, in, filters)");
  if (std::find(kernel.dims.begin(), kernel.dims.end(), 0) != kernel.dims.end())
    f.fail(where + "kernel " + kernel.path + " has shape " + dims_to_string(kernel.dims) + ": no dimension may be 0");
  if (entry.weights.size() == 2) {
    const DatasetInfo& bias = entry.weights[1];
    if (bias.dims.size() != 1)
      f.fail(where + "bias " + bias.path + " has shape " + dims_to_string(bias.dims) + ": a bias has rank 1");
    if (bias.dims[0] != kernel.dims[4])
      f.fail(where + "bias " + bias.path + " has shape " + dims_to_string(bias.dims) + " but kernel " + kernel.path +
             " has shape " + dims_to_string(kernel.dims) + ": the bias length must equal the kernel's last dimension");
    out.bias_info = bias;
  }

  out.layer_name = entry.name;
  out.kernel_info = kernel;
  out.kernel = f.read_float_tensor(kernel.path);
  if (!out.bias_info.path.empty()) out.bias = f.read_float_tensor(out.bias_info.path);
  return out;
}

}  // namespace

LayerWeights load_conv3d_weights(const std::string& path, const std::string& layer, const std::string& name_hint) {
  return load_from(hdf5::File::open(path), layer, name_hint);
}

WeightsFileInfo inspect_weights_from_memory(const std::string& name, const void* data, size_t size) {
  return inspect_weights(hdf5::File::open_image(name, data, size));
}

LayerWeights load_conv3d_weights_from_memory(const std::string& name, const void* data, size_t size,
                                             const std::string& layer, const std::string& name_hint) {
  return load_from(hdf5::File::open_image(name, data, size), layer, name_hint);
}

}  // namespace voxconv::keras
