#include "keras/layer_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "keras/keras1_config.hpp"
#include "keras/keras_settings.hpp"

namespace voxconv::keras {

using nlohmann::json;
using engine::Activation;

const char* to_string(KerasVersion v) noexcept { return v == KerasVersion::keras3 ? "Keras 3" : "Keras 2"; }

namespace {

// Error helpers: every message is "<source>: "key" = value: rule".
std::string shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

[[noreturn]] void bad_key(const std::string& source, const std::string& key, const json& value, const std::string& rule) {
  throw Error(ErrorKind::config, source + ": \"" + key + "\" = " + shown(value) + ": " + rule);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int64_t positive_int(const std::string& source, const std::string& key, const json& v, int64_t min_value = 1) {
  if (!v.is_number_integer()) bad_key(source, key, v, "must be an integer");
  const int64_t n = v.get<int64_t>();
  if (n < min_value) bad_key(source, key, v, "must be >= " + std::to_string(min_value));
  if (n > (int64_t{1} << 31)) bad_key(source, key, v, "is absurdly large");
  return n;
}

// An int or a list of 3 ints, each >= 1 (Keras normalize_tuple / standardize_tuple).
std::array<int64_t, 3> triple(const std::string& source, const std::string& key, const json& v) {
  if (v.is_number_integer()) {
    const int64_t n = positive_int(source, key, v);
    return {n, n, n};
  }
  if (!v.is_array() || v.size() != 3) bad_key(source, key, v, "must be an integer or a list of 3 integers");
  std::array<int64_t, 3> out{};
  for (size_t i = 0; i < 3; ++i) {
    if (!v[i].is_number_integer()) bad_key(source, key, v, "must be an integer or a list of 3 integers");
    if (v[i].get<int64_t>() < 1) bad_key(source, key, v, "each value must be >= 1");
    out[i] = positive_int(source, key, v[i]);
  }
  return out;
}

// ---- initializers, regularizers, constraints -------------------------------------

// An integer seed or null (Keras 3 also takes a SeedGenerator object: not in a config voxconv can use).
std::optional<int64_t> parse_seed(const std::string& source, const std::string& key, const json& v) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer()) bad_key(source, key, v, "a seed must be an integer or null");
  return v.get<int64_t>();
}

// Keras' `axis`: an int, a list of ints, or null (every axis).
void parse_axis(const std::string& source, const std::string& key, const json& v, KerasObject& obj) {
  if (v.is_null()) {
    obj.axis.reset();
    return;
  }
  std::vector<int64_t> axes;
  if (v.is_number_integer()) {
    axes.push_back(v.get<int64_t>());
  } else if (v.is_array()) {
    for (const auto& a : v) {
      if (!a.is_number_integer()) bad_key(source, key, v, "must be an integer, a list of integers or null");
      axes.push_back(a.get<int64_t>());
    }
    obj.axis_is_list = true;
  } else {
    bad_key(source, key, v, "must be an integer, a list of integers or null");
  }
  for (const int64_t a : axes)
    if (a < -64 || a > 64) bad_key(source, key, v, "is out of range for any weight");
  obj.axis = axes;
}

// Checks the numbers Keras itself checks when it builds the object.
void check_arguments(const std::string& source, const std::string& key, const json& v, const KerasObject& obj,
                     ObjectKind kind) {
  for (const auto& [arg, x] : obj.args)
    if (kind == ObjectKind::regularizer && x < 0)
      bad_key(source, key + "." + arg, json(x), "a regularization factor must be >= 0");
  if (obj.class_name == "VarianceScaling" && obj.number("scale") <= 0)
    bad_key(source, key + ".scale", json(obj.number("scale")), "must be a positive float");
  if (obj.class_name == "OrthogonalRegularizer" && obj.text("mode") != "rows" && obj.text("mode") != "columns")
    bad_key(source, key + ".mode", v, "must be 'rows' or 'columns'");
}

KerasObject parse_object(const std::string& source, const std::string& key, const json& v, ObjectKind kind) {
  KerasObject obj;
  if (v.is_null()) return obj;
  obj.json = v.dump();
  const std::string what = to_string(kind);
  std::string name;
  if (v.is_string()) {
    name = v.get<std::string>();
    obj.string_form = name;
  } else if (v.is_object()) {
    const auto cls = v.find("class_name");
    if (cls == v.end() || !cls->is_string()) bad_key(source, key, v, "a serialized " + what + " needs a \"class_name\" string");
    name = cls->get<std::string>();
    if (name.size() > 2 && name.compare(name.size() - 2, 2, "V2") == 0 && kind == ObjectKind::initializer)
      name = name.substr(0, name.size() - 2);  // tf.keras 2.x aliases such as GlorotUniformV2
    for (const auto& [wrapper_key, value] : v.items())
      if (wrapper_key != "class_name" && wrapper_key != "config" && wrapper_key != "module" &&
          wrapper_key != "registered_name")
        bad_key(source, key + "." + wrapper_key, value, "not a key of a serialized " + what);
  } else {
    bad_key(source, key, v, "must be null, a name or a serialized " + what);
  }
  if (canonical_class(kind, name).empty()) bad_key(source, key, v, "unknown " + what + " '" + name + "'");
  {
    KerasObject defaults = make_object(kind, name);
    defaults.json = obj.json;
    defaults.string_form = obj.string_form;
    obj = std::move(defaults);
  }
  const ObjectSchema& schema = *find_schema(kind, obj.class_name);

  const json* cfg = nullptr;
  if (v.is_object())
    if (const auto c = v.find("config"); c != v.end() && !c->is_null()) cfg = &*c;
  if (cfg && !cfg->is_object()) bad_key(source, key, v, "\"config\" of a " + what + " must be an object");
  if (cfg) {
    for (const auto& [arg, value] : cfg->items()) {
      const std::string where = key + "." + arg;
      bool known = false;
      for (auto& entry : obj.args) {
        if (entry.first != arg) continue;
        known = true;
        if (!value.is_number()) bad_key(source, where, value, "must be a number");
        entry.second = value.get<double>();
        if (!std::isfinite(entry.second)) bad_key(source, where, value, "must be finite");
      }
      for (auto& entry : obj.texts) {
        if (entry.first != arg) continue;
        known = true;
        if (!value.is_string()) bad_key(source, where, value, "must be a string");
        entry.second = lower(value.get<std::string>());
      }
      if (arg == "seed" && schema.has_seed) {
        known = true;
        obj.seed = parse_seed(source, where, value);
      } else if (arg == "axis" && schema.has_axis) {
        known = true;
        parse_axis(source, where, value, obj);
      } else if (arg == "dtype" && kind == ObjectKind::initializer) {
        known = true;  // TF 1.x init_ops write the variable dtype; the layer's dtype decides
      } else if ((arg == "input_axes" || arg == "output_axes") && schema.has_seed) {
        known = true;  // Keras 3.15+: explicit fan axes; null means Keras' compute_fans
        if (!value.is_null()) bad_key(source, where, value, "explicit fan axes are not supported (null: the Conv3D fans)");
      } else if (arg == "name" && name == "L1L2Regularizer") {
        known = true;
      }
      if (!known) bad_key(source, where, value, "not an argument of " + obj.class_name);
    }
  }
  if (obj.class_name == "VarianceScaling") {
    for (auto& [arg, text] : obj.texts) {
      if (arg == "mode" && text != "fan_in" && text != "fan_out" && text != "fan_avg")
        bad_key(source, key + ".mode", json(text), "must be 'fan_in', 'fan_out' or 'fan_avg'");
      if (arg == "distribution") {
        if (text == "normal") text = "truncated_normal";  // Keras' legacy name: the truncated normal
        if (text != "truncated_normal" && text != "untruncated_normal" && text != "uniform")
          bad_key(source, key + ".distribution", json(text), "must be 'truncated_normal', 'untruncated_normal' or 'uniform'");
      }
    }
  }
  check_arguments(source, key, v, obj, kind);
  return obj;
}

// ---- dtype and activation ----------------------------------------------------------

std::string parse_dtype(const std::string& source, const json& v, LayerConfig& cfg) {
  static const std::set<std::string> known = {"float16", "float32", "float64", "bfloat16", "half", "float", "double",
                                              "mixed_float16", "mixed_bfloat16"};
  std::string name;
  if (v.is_string()) {
    name = v.get<std::string>();
  } else if (v.is_object()) {
    // Keras 3.4+: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...}}
    // Keras 2.x mixed precision: {"class_name": "Policy", "config": {"name": ...}}
    const auto cls_it = v.find("class_name");
    const std::string cls = cls_it != v.end() && cls_it->is_string() ? cls_it->get<std::string>() : std::string();
    const auto c = v.find("config");
    if (c == v.end() || !c->is_object() || !c->contains("name") || !(*c)["name"].is_string())
      bad_key(source, "dtype", v, "a dtype policy needs config.name");
    name = (*c)["name"].get<std::string>();
    if (cls == "DTypePolicy" || cls == "FloatDTypePolicy") {
      cfg.version_hint = KerasVersion::keras3;
      cfg.version_hint_strong = true;
      cfg.version_reason = "dtype is a Keras 3 DTypePolicy object";
    } else if (cls == "Policy" || cls == "PolicyV1") {
      cfg.version_hint = KerasVersion::keras2;
      cfg.version_hint_strong = true;
      cfg.version_reason = "dtype is a Keras 2 mixed-precision Policy object";
    } else {
      bad_key(source, "dtype", v, "unknown dtype policy class '" + cls + "'");
    }
  } else if (v.is_null()) {
    return "float32";
  } else {
    bad_key(source, "dtype", v, "must be a dtype name or a dtype policy");
  }
  if (known.count(name) == 0) bad_key(source, "dtype", v, "unknown dtype '" + name + "'");
  // Keras standardizes the aliases (keras.backend.standardize_dtype).
  if (name == "half") return "float16";
  if (name == "float") return "float32";
  if (name == "double") return "float64";
  return name;
}

// Names each version accepts (keras-semantics.md section 3).
const std::set<std::string>& keras2_activations() {
  static const std::set<std::string> names = {"linear", "relu",  "sigmoid", "softmax",  "softplus", "softsign",
                                              "tanh",   "selu",  "elu",     "exponential", "hard_sigmoid", "swish",
                                              "gelu",   "relu6", "leaky_relu", "log_softmax", "silu", "mish"};
  return names;
}
const std::set<std::string>& keras3_activations() {
  static const std::set<std::string> names = {"linear", "relu",  "sigmoid",   "softmax",     "softplus",  "softsign",
                                              "tanh",   "selu",  "elu",       "exponential", "hard_sigmoid", "swish",
                                              "gelu",   "relu6", "leaky_relu", "log_softmax", "silu",     "mish",
                                              "hard_silu", "hard_swish"};
  return names;
}
// Keras 3 names voxconv does not implement (yet): named in the error.
const std::set<std::string>& keras3_unsupported_activations() {
  static const std::set<std::string> names = {"celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink",
                                              "squareplus", "tanh_shrink", "sparse_plus", "sparsemax", "threshold",
                                              "sparse_sigmoid"};
  return names;
}

std::string parse_activation(const std::string& source, const json& v) {
  if (v.is_null()) return "linear";
  if (v.is_string()) return v.get<std::string>();
  // A builtin activation serialized as an object: {"class_name": "function", "config": "relu", ...}.
  if (v.is_object()) {
    const auto c = v.find("config");
    if (c != v.end() && c->is_string()) return c->get<std::string>();
  }
  bad_key(source, "activation", v, "must be null or the name of a built-in Keras activation (custom activations cannot run)");
}

// ---- the Conv3D dict itself ----------------------------------------------------------

const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
      "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
      "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "batch_input_shape",
      "batch_shape", "input_shape", "dynamic", "lora_rank", "lora_alpha", "input_dim"};
  return keys;
}

std::optional<std::array<std::optional<int64_t>, 5>> parse_batch_shape(const std::string& source, const std::string& key,
                                                                       const json& v) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_array()) bad_key(source, key, v, "must be a list");
  std::vector<std::optional<int64_t>> dims;
  for (const auto& d : v) {
    if (d.is_null()) dims.emplace_back(std::nullopt);
    else if (d.is_number_integer() && d.get<int64_t>() >= 1) dims.emplace_back(d.get<int64_t>());
    else bad_key(source, key, v, "entries must be null or positive integers");
  }
  if (key == "input_shape") dims.insert(dims.begin(), std::nullopt);  // input_shape omits the batch
  if (dims.size() != 5) bad_key(source, key, v, "a Conv3D input has 5 dimensions (batch, 3 spatial, channels)");
  std::array<std::optional<int64_t>, 5> out;
  std::copy(dims.begin(), dims.end(), out.begin());
  return out;
}

LayerConfig parse_conv3d_dict(const json& c, const std::string& source) {
  if (!c.is_object()) throw Error(ErrorKind::config, source + ": the layer config must be a JSON object");
  for (const auto& key : {"nb_filter", "kernel_dim1", "subsample", "border_mode", "dim_ordering"})
    if (c.contains(key))
      throw Error(ErrorKind::config, source + ": \"" + key + "\" is a Keras 1 Convolution3D key: Keras 1 configs are not supported");
  for (const auto& [key, value] : c.items())
    if (known_keys().count(key) == 0) bad_key(source, key, value, "not a Conv3D argument");

  LayerConfig cfg;
  cfg.source = source;
  const auto get = [&](const char* key) -> const json* {
    const auto it = c.find(key);
    return it == c.end() ? nullptr : &*it;
  };
  if (const json* v = get("name")) {
    if (!v->is_string()) bad_key(source, "name", *v, "must be a string");
    cfg.name = v->get<std::string>();
  }
  if (const json* v = get("trainable")) {
    if (!v->is_boolean()) bad_key(source, "trainable", *v, "must be true or false");
    cfg.trainable = v->get<bool>();
  }
  if (const json* v = get("dynamic"); v && !v->is_boolean()) bad_key(source, "dynamic", *v, "must be true or false");
  if (const json* v = get("dtype")) cfg.dtype = parse_dtype(source, *v, cfg);

  const json* filters = get("filters");
  if (!filters) throw Error(ErrorKind::config, source + ": missing key \"filters\"");
  cfg.filters = positive_int(source, "filters", *filters);
  const json* kernel = get("kernel_size");
  if (!kernel) throw Error(ErrorKind::config, source + ": missing key \"kernel_size\"");
  cfg.kernel_size = triple(source, "kernel_size", *kernel);
  if (const json* v = get("strides")) cfg.strides = triple(source, "strides", *v);
  if (const json* v = get("dilation_rate")) cfg.dilation_rate = triple(source, "dilation_rate", *v);

  if (const json* v = get("padding")) {
    if (!v->is_string()) bad_key(source, "padding", *v, "must be 'valid' or 'same'");
    const std::string p = lower(v->get<std::string>());
    if (p == "valid") cfg.padding = engine::Padding::valid;
    else if (p == "same") cfg.padding = engine::Padding::same;
    else if (p == "causal") bad_key(source, "padding", *v, "causal padding is only supported for Conv1D");
    else bad_key(source, "padding", *v, "must be 'valid' or 'same'");
  }

  const json* fmt = get("data_format");
  if (fmt && !fmt->is_null()) {
    if (!fmt->is_string()) bad_key(source, "data_format", *fmt, "must be 'channels_last', 'channels_first' or null");
    const std::string f = lower(fmt->get<std::string>());
    if (f == "channels_last") cfg.channels_first = false;
    else if (f == "channels_first") cfg.channels_first = true;
    else bad_key(source, "data_format", *fmt, "must be 'channels_last', 'channels_first' or null");
    cfg.data_format_source = "config";
  } else {
    const ImageDataFormatDefault d = image_data_format_default();
    cfg.channels_first = d.channels_first;
    cfg.data_format_source = d.source;
  }

  if (const json* v = get("groups")) {
    cfg.groups = positive_int(source, "groups", *v);
    cfg.groups_present = true;
  }
  if (cfg.filters % cfg.groups != 0)
    bad_key(source, "groups", json(cfg.groups),
            "filters = " + std::to_string(cfg.filters) + " must be divisible by the number of groups");
  bool strided = false, dilated = false;
  for (int a = 0; a < 3; ++a) {
    strided = strided || cfg.strides[static_cast<size_t>(a)] > 1;
    dilated = dilated || cfg.dilation_rate[static_cast<size_t>(a)] > 1;
  }
  if (strided && dilated)
    bad_key(source, "strides", *get("strides"),
            "strides > 1 cannot be combined with dilation_rate > 1 (dilation_rate = " + get("dilation_rate")->dump() + ")");

  if (const json* v = get("activation")) cfg.activation = parse_activation(source, *v);
  if (keras3_activations().count(cfg.activation) == 0) {
    if (keras3_unsupported_activations().count(cfg.activation))
      bad_key(source, "activation", json(cfg.activation), "this Keras 3.7+ activation is not supported by voxconv");
    bad_key(source, "activation", json(cfg.activation), "not a built-in Keras activation");
  }
  if (const json* v = get("use_bias")) {
    if (!v->is_boolean()) bad_key(source, "use_bias", *v, "must be true or false");
    cfg.use_bias = v->get<bool>();
  }
  // An absent key takes Conv3D's default argument (what get_config() would have written).
  const auto object = [&](const char* key, ObjectKind kind, const char* default_name = nullptr) {
    const json* v = get(key);
    if (v) return parse_object(source, key, *v, kind);
    return default_name ? make_object(kind, default_name) : KerasObject{};
  };
  cfg.kernel_initializer = object("kernel_initializer", ObjectKind::initializer, "glorot_uniform");
  cfg.bias_initializer = object("bias_initializer", ObjectKind::initializer, "zeros");
  cfg.kernel_regularizer = object("kernel_regularizer", ObjectKind::regularizer);
  cfg.bias_regularizer = object("bias_regularizer", ObjectKind::regularizer);
  cfg.activity_regularizer = object("activity_regularizer", ObjectKind::regularizer);
  cfg.kernel_constraint = object("kernel_constraint", ObjectKind::constraint);
  cfg.bias_constraint = object("bias_constraint", ObjectKind::constraint);

  for (const char* key : {"batch_input_shape", "batch_shape", "input_shape"})
    if (const json* v = get(key)) cfg.batch_input_shape = parse_batch_shape(source, key, *v);
  if (const json* v = get("lora_alpha"); v && !v->is_null()) {
    if (!v->is_number() || !std::isfinite(v->get<double>())) bad_key(source, "lora_alpha", *v, "must be a number");
    cfg.lora_alpha = v->get<double>();
  }
  if (const json* v = get("lora_rank"); v && !v->is_null()) {
    cfg.lora_rank = positive_int(source, "lora_rank", *v);
    if (!cfg.version_hint_strong) {
      cfg.version_hint = KerasVersion::keras3;
      cfg.version_hint_strong = true;
      cfg.version_reason = "lora_rank is a Keras 3 key";
    }
  }
  if (const json* v = get("batch_input_shape"); v && !cfg.version_hint_strong) {
    cfg.version_hint = KerasVersion::keras2;
    cfg.version_hint_strong = true;
    cfg.version_reason = "batch_input_shape is a Keras 2 key";
  }
  if (!cfg.version_hint_strong && (cfg.activation == "hard_silu" || cfg.activation == "hard_swish")) {
    cfg.version_hint = KerasVersion::keras3;
    cfg.version_hint_strong = true;
    cfg.version_reason = "activation '" + cfg.activation + "' exists only in Keras 3";
  }
  // Module-style objects ({"module": ..., "registered_name": ...}) are written by Keras 3
  // and also by tf.keras 2.13-2.15: a weak hint only.
  if (!cfg.version_hint) {
    for (const auto& [key, value] : c.items()) {
      if (value.is_object() && value.contains("module") && value.contains("registered_name")) {
        cfg.version_hint = KerasVersion::keras3;
        cfg.version_reason = "\"" + key + "\" is serialized in the module style of Keras 3 (tf.keras 2.13-2.15 write it too)";
        break;
      }
    }
  }
  return cfg;
}

// A model config (Sequential / Functional): find the Conv3D layers in it, nested too.
void collect_conv3d_layers(const json& node, std::vector<const json*>& out) {
  if (node.is_object()) {
    const auto cls = node.find("class_name");
    if (cls != node.end() && cls->is_string() && (*cls == "Conv3D" || *cls == "Convolution3D") && node.contains("config")) {
      out.push_back(&node);
      return;
    }
    for (const auto& [key, value] : node.items()) collect_conv3d_layers(value, out);
  } else if (node.is_array()) {
    for (const auto& value : node) collect_conv3d_layers(value, out);
  }
}

}  // namespace

namespace {

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string json_message(const json::exception& e) {
  std::string what = e.what();
  const auto bracket = what.find("] ");
  if (bracket != std::string::npos) what = what.substr(bracket + 2);
  return what;
}

LayerConfig parse_root(json root, const std::string& source, const ParseOptions& options);

// Keras configs nest a few dozen levels; parsing, walking and freeing a JSON tree recurse
// once per level, so a hostile file of 100000 '[' would overflow the stack.
constexpr int kMaxJsonDepth = 512;

// Deepest nesting of arrays and objects, strings skipped (malformed text is left to the parser).
int json_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

LayerConfig parse_layer_config(const std::string& text, const std::string& source, const ParseOptions& options) {
  if (json_depth(text) > kMaxJsonDepth)
    throw Error(ErrorKind::config, source + ": JSON nested more than " + std::to_string(kMaxJsonDepth) +
                                       " levels deep: not a layer config");
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number such as 1e400
    throw Error(ErrorKind::config, source + ": malformed JSON: " + json_message(e));
  }
  try {
    return parse_root(std::move(root), source, options);
  } catch (const json::exception& e) {  // a backstop: every access above is type-checked first
    throw Error(ErrorKind::config, source + ": unexpected JSON structure: " + json_message(e));
  }
}

namespace {

LayerConfig parse_root(json root, const std::string& source, const ParseOptions& options) {
  if (!root.is_object()) throw Error(ErrorKind::config, source + ": the layer config must be a JSON object");
  // Keras 1 configs are read in their Keras 2 form (keras/keras1_config.hpp).
  if (root.contains("class_name")) translate_keras1_layer(root, source);
  else translate_keras1_conv3d_config(root, source);

  const auto cls = root.find("class_name");
  if (cls == root.end()) {
    LayerConfig cfg = parse_conv3d_dict(root, source);
    if (!options.layer.empty() && cfg.name != options.layer)
      throw Error(ErrorKind::config, source + ": --layer '" + options.layer + "' does not match the config's name '" + cfg.name + "'");
    return cfg;
  }
  if (!cls->is_string()) bad_key(source, "class_name", *cls, "must be a string");
  const std::string class_name = cls->get<std::string>();
  if (class_name == "Conv3D" || class_name == "Convolution3D") {
    for (const auto& [key, value] : root.items()) {
      static const std::set<std::string> wrapper_keys = {"class_name", "config", "module", "registered_name",
                                                         "build_config", "name", "inbound_nodes", "compile_config"};
      if (wrapper_keys.count(key) == 0) bad_key(source, key, value, "not a key of a serialized layer");
    }
    const auto cfg_it = root.find("config");
    if (cfg_it == root.end()) throw Error(ErrorKind::config, source + ": missing key \"config\" in the serialized layer");
    LayerConfig cfg = parse_conv3d_dict(*cfg_it, source);
    if (const auto b = root.find("build_config"); b != root.end() && b->is_object() && b->contains("input_shape"))
      cfg.batch_input_shape = parse_batch_shape(source, "build_config.input_shape", (*b)["input_shape"]);
    if (!options.layer.empty() && cfg.name != options.layer)
      throw Error(ErrorKind::config, source + ": --layer '" + options.layer + "' does not match the config's name '" + cfg.name + "'");
    return cfg;
  }
  // A whole model's config: take one Conv3D from it.
  std::vector<const json*> layers;
  if (const auto model = root.find("config"); model != root.end()) collect_conv3d_layers(*model, layers);
  if (layers.empty())
    throw Error(ErrorKind::config, source + ": \"class_name\" = \"" + class_name + "\": not a Conv3D and holds no Conv3D layer");
  std::vector<std::string> names;
  for (const json* layer : layers) {
    const json& c = (*layer)["config"];
    const auto name = c.find("name");  // end() when c is not an object
    names.push_back(name != c.end() && name->is_string() ? name->get<std::string>() : std::string());
  }
  const json* chosen = nullptr;
  if (!options.layer.empty()) {
    for (size_t i = 0; i < layers.size(); ++i)
      if (names[i] == options.layer) chosen = layers[i];
  } else if (layers.size() == 1) {
    chosen = layers[0];
  }
  if (!chosen) {
    std::string list;
    for (size_t i = 0; i < names.size() && i < 20; ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > 20) list += ", ...";
    throw Error(ErrorKind::config, source + ": " +
                                       (options.layer.empty() ? std::string("the model holds ") + std::to_string(layers.size()) +
                                                                    " Conv3D layers, pick one with --layer"
                                                              : "no Conv3D layer named '" + options.layer + "'") +
                                       " (Conv3D layers: " + list + ")");
  }
  json layer = *chosen;
  translate_keras1_layer(layer, source);
  return parse_conv3d_dict(layer["config"], source);
}

}  // namespace

LayerConfig load_layer_config(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::config, path + ": cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::config, path + ": cannot read the config file");
  const std::string content = text.str();
  if (content.size() > (64u << 20)) throw Error(ErrorKind::config, path + ": the config file is larger than 64 MiB");
  return parse_layer_config(content, path, options);
}

VersionDecision detect_keras_version(const LayerConfig& config, const WeightsVersionEvidence& weights,
                                     std::optional<KerasVersion> forced) {
  if (forced) return {*forced, "--keras flag"};
  if (config.version_hint && config.version_hint_strong) return {*config.version_hint, config.version_reason};
  if (weights.version) return {*weights.version, weights.reason};
  if (config.version_hint) return {*config.version_hint, config.version_reason};
  return {KerasVersion::keras2, "no Keras 3 marker in the config or weights (Keras 2 assumed)"};
}

void check_version_names(const LayerConfig& config, KerasVersion version) {
  const std::pair<const char*, const KerasObject*> objects[] = {
      {"kernel_regularizer", &config.kernel_regularizer}, {"bias_regularizer", &config.bias_regularizer},
      {"activity_regularizer", &config.activity_regularizer}, {"kernel_constraint", &config.kernel_constraint},
      {"bias_constraint", &config.bias_constraint}};
  for (const auto& [key, object] : objects) {
    const std::string& written = object->string_form;
    if (version == KerasVersion::keras3 && written == "l1_l2")
      bad_key(config.source, key, json(written),
              "Keras 3 has no 'l1_l2' (it raises \"Could not interpret regularizer identifier\"); use 'l1l2' or an L1L2 object, "
              "or --keras 2");
    if (version == KerasVersion::keras2 && written == "l1l2")
      bad_key(config.source, key, json(written), "'l1l2' is a Keras 3 name (Keras 2 writes 'l1_l2'); use --keras 3");
    if (version == KerasVersion::keras3 && object->class_name == "RadialConstraint")
      bad_key(config.source, key, json(object->class_name), "RadialConstraint exists only in tf.keras 2.x; use --keras 2");
  }
}

engine::ActivationSpec resolve_activation(const LayerConfig& config, KerasVersion version) {
  static const std::map<std::string, Activation> common = {
      {"linear", Activation::linear},   {"relu", Activation::relu},         {"sigmoid", Activation::sigmoid},
      {"softmax", Activation::softmax}, {"softplus", Activation::softplus}, {"softsign", Activation::softsign},
      {"tanh", Activation::tanh},       {"selu", Activation::selu},         {"elu", Activation::elu},
      {"exponential", Activation::exponential}, {"swish", Activation::swish}, {"silu", Activation::swish},
      {"gelu", Activation::gelu},       {"relu6", Activation::relu6},       {"leaky_relu", Activation::leaky_relu},
      {"log_softmax", Activation::log_softmax}, {"mish", Activation::mish}, {"hard_silu", Activation::hard_silu},
      {"hard_swish", Activation::hard_silu}};
  const std::string& name = config.activation;
  const auto& allowed = version == KerasVersion::keras3 ? keras3_activations() : keras2_activations();
  if (allowed.count(name) == 0)
    bad_key(config.source, "activation", json(name), std::string("not an activation of ") + to_string(version));
  engine::ActivationSpec spec;
  if (name == "hard_sigmoid") {
    spec.kind = version == KerasVersion::keras3 ? Activation::hard_sigmoid_keras3 : Activation::hard_sigmoid_keras2;
  } else {
    spec.kind = common.at(name);
  }
  spec.axis = config.channels_first ? engine::SoftmaxAxis::width : engine::SoftmaxAxis::channels;
  return spec;
}

engine::Conv3dParams to_conv_params(const LayerConfig& config, int64_t input_channels, KerasVersion version) {
  engine::Conv3dParams p;
  p.ic = input_channels;
  p.oc = config.filters;
  p.kernel = config.kernel_size;
  p.strides = config.strides;
  p.dilation = config.dilation_rate;
  p.padding = config.padding;
  p.groups = config.groups;
  p.use_bias = config.use_bias;
  p.activation = resolve_activation(config, version);
  if (input_channels % config.groups != 0)
    throw Error(ErrorKind::shape, config.source + ": the input has " + std::to_string(input_channels) +
                                      " channels, not divisible by groups = " + std::to_string(config.groups));
  p.validate();
  return p;
}

int64_t count_params(const LayerConfig& config, int64_t input_channels) {
  // Each factor is at most 2^31 (positive_int), their product need not fit 64 bits.
  const std::optional<int64_t> weights =
      checked_product({config.kernel_size[0], config.kernel_size[1], config.kernel_size[2],
                       input_channels / config.groups, config.filters});
  const std::optional<int64_t> total =
      weights ? checked_add(*weights, config.use_bias ? config.filters : 0) : std::nullopt;
  if (!total)
    throw Error(ErrorKind::config, config.source + ": \"kernel_size\" = [" + std::to_string(config.kernel_size[0]) +
                                       ", " + std::to_string(config.kernel_size[1]) + ", " +
                                       std::to_string(config.kernel_size[2]) + "] with \"filters\" = " +
                                       std::to_string(config.filters) + ": the parameter count overflows 64 bits");
  return *total;
}

std::vector<std::string> keras_weight_names(const LayerConfig& config, KerasVersion version) {
  const std::string base = config.name.empty() ? "conv3d" : config.name;
  const std::string suffix = version == KerasVersion::keras3 ? "" : ":0";
  std::vector<std::string> names{base + "/kernel" + suffix};
  if (config.use_bias) names.push_back(base + "/bias" + suffix);
  return names;
}

std::vector<KerasVariable> keras_variables(const LayerConfig& config, KerasVersion version) {
  const std::string base = config.name.empty() ? "conv3d" : config.name;
  std::vector<KerasVariable> out;
  for (const char* weight : {"kernel", "bias"}) {
    if (std::string(weight) == "bias" && !config.use_bias) break;
    if (version == KerasVersion::keras3) out.push_back({weight, base + "/" + weight});
    else out.push_back({base + "/" + weight + ":0", ""});
  }
  return out;
}

std::string variable_dtype(const LayerConfig& config) {
  return config.dtype.rfind("mixed_", 0) == 0 ? "float32" : config.dtype;
}

std::string compute_dtype(const LayerConfig& config) {
  return config.dtype.rfind("mixed_", 0) == 0 ? config.dtype.substr(6) : config.dtype;
}

}  // namespace voxconv::keras
