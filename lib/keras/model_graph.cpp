#include "keras/model_graph.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/error.hpp"
#include "keras/keras1_config.hpp"

namespace voxconv::keras {

using nlohmann::json;

const ModelLayer* ModelGraph::find(const std::string& layer_name) const {
  for (const ModelLayer& layer : layers)
    if (layer.name == layer_name) return &layer;
  return nullptr;
}

std::string keras_snake_case(const std::string& class_name) {
  static const std::regex non_word(R"([^A-Za-z0-9_]+)");
  static const std::regex capital_word("(.)([A-Z][a-z]+)");
  static const std::regex lower_upper("([a-z])([A-Z])");
  std::string s = std::regex_replace(class_name, non_word, "");
  s = std::regex_replace(s, capital_word, "$1_$2");
  s = std::regex_replace(s, lower_upper, "$1_$2");
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::config, source + ": " + what);
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

bool is_model_class(const std::string& cls) { return cls == "Functional" || cls == "Model" || cls == "Sequential"; }

// A reference to one output tensor of a layer, as the config writes it.
struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t tensor = 0;
};

// Keras 2 writes [name, node_index, tensor_index(, kwargs)].
bool read_ref_list(const json& v, TensorRef& out) {
  if (!v.is_array() || v.size() < 3 || !v[0].is_string() || !v[1].is_number_integer() || !v[2].is_number_integer())
    return false;
  out = {v[0].get<std::string>(), v[1].get<int64_t>(), v[2].get<int64_t>()};
  return true;
}

// Keras 3 writes {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor], ...}}
// anywhere inside a node's args and kwargs; collect them in order.
void collect_keras3_refs(const json& v, std::vector<TensorRef>& out) {
  if (v.is_object()) {
    if (v.value("class_name", std::string()) == "__keras_tensor__") {
      const auto config = v.find("config");
      TensorRef ref;
      if (config != v.end() && config->is_object() && config->contains("keras_history") &&
          read_ref_list((*config)["keras_history"], ref))
        out.push_back(ref);
      return;
    }
    for (const auto& [key, value] : v.items()) collect_keras3_refs(value, out);
  } else if (v.is_array()) {
    for (const auto& item : v) collect_keras3_refs(item, out);
  }
}

// The tensors one call (inbound node) of a layer consumed.
std::vector<TensorRef> node_refs(const json& node, const std::string& source, const std::string& layer) {
  std::vector<TensorRef> refs;
  if (node.is_object()) {  // Keras 3
    if (const auto args = node.find("args"); args != node.end()) collect_keras3_refs(*args, refs);
    if (const auto kwargs = node.find("kwargs"); kwargs != node.end()) collect_keras3_refs(*kwargs, refs);
    return refs;
  }
  if (!node.is_array()) fail(source, "layer " + in_quotes(layer) + ": an inbound node must be a list or an object");
  for (const json& item : node) {
    TensorRef ref;
    if (!read_ref_list(item, ref))
      fail(source, "layer " + in_quotes(layer) + ": inbound node entry " + item.dump() +
                       " is not [layer_name, node_index, tensor_index]");
    refs.push_back(ref);
  }
  return refs;
}

// input_layers / output_layers: [[name, 0, 0], ...], Keras 3's single [name, 0, 0], or a dict of those.
std::vector<TensorRef> endpoint_refs(const json& v, const std::string& source, const std::string& key) {
  std::vector<TensorRef> refs;
  TensorRef ref;
  if (read_ref_list(v, ref)) return {ref};
  if (v.is_object()) {
    for (const auto& [name, item] : v.items()) {
      auto inner = endpoint_refs(item, source, key);
      refs.insert(refs.end(), inner.begin(), inner.end());
    }
    return refs;
  }
  if (!v.is_array()) fail(source, in_quotes(key) + " = " + v.dump().substr(0, 80) + ": must be a list of [name, node, tensor]");
  for (const json& item : v) {
    auto inner = endpoint_refs(item, source, key);
    refs.insert(refs.end(), inner.begin(), inner.end());
  }
  return refs;
}

std::string entry_name(const json& entry, const std::string& source) {
  if (const auto config = entry.find("config"); config != entry.end() && config->is_object()) {
    const auto name = config->find("name");
    if (name != config->end() && name->is_string()) return name->get<std::string>();
  }
  const auto name = entry.find("name");
  if (name != entry.end() && name->is_string()) return name->get<std::string>();
  fail(source, "a layer entry has no name: " + entry.dump().substr(0, 80));
}

std::string entry_class(const json& entry, const std::string& source) {
  if (!entry.is_object()) fail(source, "a layer entry must be a JSON object");
  const auto cls = entry.find("class_name");
  if (cls == entry.end() || !cls->is_string()) fail(source, "a layer entry has no \"class_name\": " + entry.dump().substr(0, 80));
  return cls->get<std::string>();
}

bool entry_trainable(const json& entry) {
  const auto config = entry.find("config");
  if (config == entry.end() || !config->is_object()) return true;
  const auto t = config->find("trainable");
  return t == config->end() || !t->is_boolean() || t->get<bool>();
}

// A Sequential's or Functional's "config": Keras 1/2.0-2.1 Sequentials write the layer list itself.
const json& layer_list(const json& model_config, const std::string& source, const std::string& model) {
  if (model_config.is_array()) return model_config;
  if (!model_config.is_object()) fail(source, "model " + in_quotes(model) + ": \"config\" must be an object or a list");
  const auto layers = model_config.find("layers");
  if (layers == model_config.end() || !layers->is_array())
    fail(source, "model " + in_quotes(model) + ": \"config\" has no \"layers\" list");
  return *layers;
}

class Flattener {
 public:
  explicit Flattener(std::string source) : source_(std::move(source)) {}

  ModelGraph run(const json& root) {
    ModelGraph graph;
    graph.source = source_;
    graph.class_name = entry_class(root, source_);
    if (!is_model_class(graph.class_name))
      fail(source_, "\"class_name\" = " + in_quotes(graph.class_name) + ": not a Keras model (Functional, Model or Sequential)");
    const auto config = root.find("config");
    if (config == root.end()) fail(source_, "the model config has no \"config\"");
    graph.name = config->is_object() ? config->value("name", std::string()) : std::string();
    Scope top{{}, "layers", true, {}};
    const std::vector<std::string> outputs =
        graph.class_name == "Sequential" ? sequential(*config, top, nullptr) : functional(*config, top, nullptr);
    graph.outputs = outputs;
    graph.inputs = inputs_;
    graph.layers = topological(std::move(layers_));
    return graph;
  }

 private:
  struct Scope {
    std::vector<std::string> models;  // enclosing nested models, outermost first
    std::string keras3_prefix;        // "layers" or "layers/functional/layers"
    bool trainable = true;
    std::vector<int> position;        // config positions of the enclosing models
  };

  // Keras 3 names each saved layer by its class within its container: conv3d, conv3d_1, ...
  static std::string keras3_name(std::map<std::string, int>& used, const std::string& cls) {
    std::string name = keras_snake_case(cls);
    const auto it = used.find(name);
    if (it == used.end()) {
      used[name] = 0;
      return name;
    }
    return name + "_" + std::to_string(++it->second);
  }

  std::string unique_name(const std::string& name, const Scope& scope) {
    std::string candidate = name;
    for (size_t i = scope.models.size(); used_names_.count(candidate) && i > 0; --i)
      candidate = scope.models[i - 1] + "/" + candidate;
    if (used_names_.count(candidate)) fail(source_, "two layers are named " + in_quotes(name));
    used_names_.insert(candidate);
    return candidate;
  }

  std::string add_layer(const json& entry, const std::string& cls, const std::string& name, const Scope& scope,
                        const std::string& keras3_path, std::vector<std::string> inbound, int calls, int position) {
    ModelLayer layer;
    json stored = entry;
    stored.erase("inbound_nodes");
    translate_keras1_layer(stored, source_ + ", layer \"" + name + "\"");  // Keras 1 configs in Keras 2 form
    layer.class_name = stored.value("class_name", cls);
    layer.name = unique_name(name, scope);
    layer.config_json = stored.dump();
    layer.inbound = std::move(inbound);
    layer.calls = calls;
    layer.scope = scope.models;
    layer.keras3_path = keras3_path;
    layer.trainable = scope.trainable && entry_trainable(entry);
    layer.config_position = scope.position;
    layer.config_position.push_back(position);
    layers_.push_back(std::move(layer));
    return layers_.back().name;
  }

  // A Sequential: each layer takes the previous one's output. `outer_input` is the
  // producer feeding a nested Sequential (nullptr at top level). Returns its output.
  std::vector<std::string> sequential(const json& config, const Scope& scope, const std::string* outer_input) {
    const json& entries = layer_list(config, source_, "sequential");
    if (entries.empty()) fail(source_, "a Sequential model has no layers");
    std::map<std::string, int> keras3_used;
    std::string previous;
    if (outer_input) previous = *outer_input;
    bool first = true;
    int position = -1;
    for (const json& entry : entries) {
      ++position;
      const std::string cls = entry_class(entry, source_);
      const std::string name = entry_name(entry, source_);
      const std::string keras3_path = scope.keras3_prefix + "/" + keras3_name(keras3_used, cls);
      if (cls == "InputLayer") {
        if (!first) fail(source_, "Sequential: InputLayer " + in_quotes(name) + " is not the first layer");
        if (!outer_input) {
          previous = add_layer(entry, cls, name, scope, keras3_path, {}, 1, position);
          inputs_.push_back(previous);
        }
        first = false;
        continue;
      }
      if (first && !outer_input) {
        // No InputLayer: Keras builds one from the first layer's batch_input_shape.
        previous = add_layer(synthesized_input(entry, config, name), "InputLayer", name + "_input", scope, "", {}, 1, -1);
        inputs_.push_back(previous);
      }
      first = false;
      if (is_model_class(cls)) {
        previous = nested(entry, cls, name, scope, keras3_path, {previous}, position).at(0);
      } else {
        previous = add_layer(entry, cls, name, scope, keras3_path, {previous}, 1, position);
      }
    }
    return {previous};
  }

  // {"class_name": "InputLayer", "config": {"batch_input_shape": ..., "name": ...}} for a Sequential without one.
  static json synthesized_input(const json& first_layer, const json& model_config, const std::string& first_name) {
    json config = {{"name", first_name + "_input"}, {"dtype", "float32"}};
    const json* cfg = first_layer.contains("config") ? &first_layer["config"] : nullptr;
    if (cfg && cfg->is_object()) {
      if (cfg->contains("batch_input_shape")) config["batch_input_shape"] = (*cfg)["batch_input_shape"];
      else if (cfg->contains("batch_shape")) config["batch_input_shape"] = (*cfg)["batch_shape"];
      else if (cfg->contains("input_shape") && (*cfg)["input_shape"].is_array()) {
        json shape = json::array({nullptr});
        for (const auto& d : (*cfg)["input_shape"]) shape.push_back(d);
        config["batch_input_shape"] = shape;
      }
      if (cfg->contains("dtype") && (*cfg)["dtype"].is_string()) config["dtype"] = (*cfg)["dtype"];
    }
    if (!config.contains("batch_input_shape") && model_config.is_object() && model_config.contains("build_input_shape"))
      config["batch_input_shape"] = model_config["build_input_shape"];
    return {{"class_name", "InputLayer"}, {"config", config}};
  }

  // A Functional (or Keras 1/2 "Model"). `outer_inputs` are the producers feeding a nested
  // model's inputs, in order (nullptr at top level). Returns the producers of its outputs.
  std::vector<std::string> functional(const json& config, const Scope& scope, const std::vector<std::string>* outer_inputs) {
    const json& entries = layer_list(config, source_, "functional");
    if (!config.is_object()) fail(source_, "a Functional model's \"config\" must be an object");
    // Local name -> flattened producers (one per output tensor).
    std::map<std::string, std::vector<std::string>> produced;
    std::vector<TensorRef> input_refs;
    if (const auto in = config.find("input_layers"); in != config.end()) input_refs = endpoint_refs(*in, source_, "input_layers");
    if (outer_inputs && outer_inputs->size() != input_refs.size())
      fail(source_, "nested model " + in_quotes(scope.models.back()) + " has " + std::to_string(input_refs.size()) +
                        " inputs but is called on " + std::to_string(outer_inputs->size()));
    std::map<std::string, int> keras3_used;
    // Nested models and layers may be listed before their producers: resolve names lazily.
    struct Pending {
      const json* entry;
      std::string cls, name, keras3_path;
    };
    std::vector<Pending> pending;
    for (const json& entry : entries) {
      const std::string cls = entry_class(entry, source_);
      pending.push_back({&entry, cls, entry_name(entry, source_), scope.keras3_prefix + "/" + keras3_name(keras3_used, cls)});
    }
    std::set<std::string> local_names;
    for (const Pending& p : pending)
      if (!local_names.insert(p.name).second) fail(source_, "two layers are named " + in_quotes(p.name));
    for (size_t i = 0; i < input_refs.size(); ++i)
      if (!local_names.count(input_refs[i].layer))
        fail(source_, "input_layers names " + in_quotes(input_refs[i].layer) + ", which the model does not define");

    const auto resolve = [&](const TensorRef& ref, const std::string& consumer) -> std::optional<std::string> {
      const auto it = produced.find(ref.layer);
      if (it == produced.end()) {
        if (!local_names.count(ref.layer))
          fail(source_, "layer " + in_quotes(consumer) + " takes its input from " + in_quotes(ref.layer) +
                            ", which the model does not define");
        return std::nullopt;  // not yet placed
      }
      if (ref.tensor < 0 || static_cast<size_t>(ref.tensor) >= it->second.size())
        fail(source_, "layer " + in_quotes(consumer) + " takes output " + std::to_string(ref.tensor) + " of " +
                          in_quotes(ref.layer) + ", which has " + std::to_string(it->second.size()));
      return it->second[static_cast<size_t>(ref.tensor)];
    };

    // Place layers whose producers are placed, in config order, until none is left.
    std::vector<bool> placed(pending.size(), false);
    size_t remaining = pending.size();
    while (remaining > 0) {
      bool progress = false;
      for (size_t i = 0; i < pending.size(); ++i) {
        if (placed[i]) continue;
        const Pending& p = pending[i];
        const json& entry = *p.entry;
        if (p.cls == "InputLayer") {
          if (outer_inputs) {
            size_t k = 0;
            while (k < input_refs.size() && input_refs[k].layer != p.name) ++k;
            if (k == input_refs.size()) fail(source_, "InputLayer " + in_quotes(p.name) + " is not one of the model's inputs");
            produced[p.name] = {(*outer_inputs)[k]};
          } else {
            const std::string name = add_layer(entry, p.cls, p.name, scope, p.keras3_path, {}, 1, static_cast<int>(i));
            produced[p.name] = {name};
          }
          placed[i] = true;
          --remaining;
          progress = true;
          continue;
        }
        std::vector<TensorRef> refs;
        int calls = 0;
        if (const auto nodes = entry.find("inbound_nodes"); nodes != entry.end() && nodes->is_array()) {
          calls = static_cast<int>(nodes->size());
          if (!nodes->empty()) refs = node_refs((*nodes)[0], source_, p.name);
        }
        std::vector<std::string> inbound;
        bool ready = true;
        for (const TensorRef& ref : refs) {
          const auto producer = resolve(ref, p.name);
          if (!producer) {
            ready = false;
            break;
          }
          inbound.push_back(*producer);
        }
        if (!ready) continue;
        if (is_model_class(p.cls)) {
          produced[p.name] = nested(entry, p.cls, p.name, scope, p.keras3_path, inbound, static_cast<int>(i));
        } else {
          produced[p.name] = {
              add_layer(entry, p.cls, p.name, scope, p.keras3_path, inbound, std::max(calls, 1), static_cast<int>(i))};
        }
        placed[i] = true;
        --remaining;
        progress = true;
      }
      if (!progress) {
        std::string names;
        for (size_t i = 0; i < pending.size(); ++i)
          if (!placed[i]) names += (names.empty() ? "" : ", ") + in_quotes(pending[i].name);
        fail(source_, "the layers " + names + " depend on each other in a cycle");
      }
    }

    std::vector<std::string> outputs;
    if (const auto out = config.find("output_layers"); out != config.end()) {
      for (const TensorRef& ref : endpoint_refs(*out, source_, "output_layers")) {
        const auto producer = resolve(ref, "output_layers");
        if (!producer) fail(source_, "output_layers names " + in_quotes(ref.layer) + ", which the model does not define");
        outputs.push_back(*producer);
      }
    }
    if (outputs.empty()) fail(source_, "the model has no \"output_layers\"");
    if (!outer_inputs)
      for (const TensorRef& ref : input_refs) inputs_.push_back(produced.at(ref.layer).at(0));
    return outputs;
  }

  std::vector<std::string> nested(const json& entry, const std::string& cls, const std::string& name,
                                  const Scope& scope, const std::string& keras3_path,
                                  const std::vector<std::string>& inbound, int position) {
    const auto config = entry.find("config");
    if (config == entry.end()) fail(source_, "nested model " + in_quotes(name) + " has no \"config\"");
    if (++depth_ > 32) fail(source_, "models are nested too deeply");
    Scope inner{scope.models, keras3_path + "/layers", scope.trainable && entry_trainable(entry), scope.position};
    inner.models.push_back(name);
    inner.position.push_back(position);
    std::vector<std::string> outputs;
    if (cls == "Sequential") {
      if (inbound.size() != 1) fail(source_, "nested Sequential " + in_quotes(name) + " must be called on one input");
      outputs = sequential(*config, inner, &inbound[0]);
    } else {
      outputs = functional(*config, inner, &inbound);
    }
    --depth_;
    return outputs;
  }

  // Config order, except that a layer never comes before its producers.
  std::vector<ModelLayer> topological(std::vector<ModelLayer> layers) const {
    std::vector<ModelLayer> out;
    std::set<std::string> done;
    std::vector<bool> taken(layers.size(), false);
    while (out.size() < layers.size()) {
      bool progress = false;
      for (size_t i = 0; i < layers.size(); ++i) {
        if (taken[i]) continue;
        const bool ready = std::all_of(layers[i].inbound.begin(), layers[i].inbound.end(),
                                       [&](const std::string& p) { return done.count(p) > 0; });
        if (!ready) continue;
        done.insert(layers[i].name);
        out.push_back(std::move(layers[i]));
        taken[i] = true;
        progress = true;
      }
      if (!progress) fail(source_, "the layer graph has a cycle");
    }
    return out;
  }

  std::string source_;
  std::vector<ModelLayer> layers_;
  std::vector<std::string> inputs_;
  std::set<std::string> used_names_;
  int depth_ = 0;
};

}  // namespace

std::optional<std::vector<WeightRole>> keras_weight_roles(const ModelLayer& layer) {
  static const std::set<std::string> weightless = {
      "InputLayer", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
      "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Dropout", "SpatialDropout1D",
      "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Add", "Subtract",
      "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Merge", "MaxPooling1D", "MaxPooling2D",
      "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
      "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
      "GlobalAveragePooling3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Flatten", "Reshape", "Permute",
      "RepeatVector", "ActivityRegularization", "Identity"};
  static const std::set<std::string> kernel_bias = {"Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                                                    "Conv3DTranspose", "Dense", "Convolution1D", "Convolution2D",
                                                    "Convolution3D", "Deconvolution2D", "Deconvolution3D"};
  const std::string& cls = layer.class_name;
  if (weightless.count(cls)) return std::vector<WeightRole>{};
  json config;
  try {
    config = json::parse(layer.config_json).value("config", json::object());
  } catch (const json::exception&) {
    fail(layer.name, "the layer's serialized config is not valid JSON");
  }
  if (!config.is_object()) return std::nullopt;
  const auto flag = [&](const char* key, bool fallback) {
    const auto it = config.find(key);
    return it != config.end() && it->is_boolean() ? it->get<bool>() : fallback;
  };
  if (kernel_bias.count(cls)) {
    std::vector<WeightRole> roles{{"kernel", true}};
    if (flag("use_bias", flag("bias", true))) roles.push_back({"bias", true});  // Keras 1 calls it "bias"
    return roles;
  }
  if (cls == "BatchNormalization") {
    std::vector<WeightRole> roles;
    if (flag("scale", true)) roles.push_back({"gamma", true});
    if (flag("center", true)) roles.push_back({"beta", true});
    roles.push_back({"moving_mean", false});
    roles.push_back({"moving_variance", false});
    return roles;
  }
  if (cls == "PReLU") return std::vector<WeightRole>{{"alpha", true}};
  return std::nullopt;
}

ModelGraph parse_model_config(const std::string& json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    const auto bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    fail(source, "malformed model config JSON: " + what);
  }
  if (!root.is_object()) fail(source, "the model config must be a JSON object");
  return Flattener(source).run(root);
}

}  // namespace voxconv::keras
