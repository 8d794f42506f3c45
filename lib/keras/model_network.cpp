#include "keras/model_network.hpp"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"
#include "keras/keras_settings.hpp"
#include "keras/model_conv3d.hpp"
#include "network/ops.hpp"

namespace voxconv::keras {

using nlohmann::json;
using network::kUnknown;

namespace {

// ---- what each layer becomes -----------------------------------------------------------

struct LayerPlan {
  enum class Kind { input, conv3d, zero_pad, crop, activation, relu, elu, prelu, scale_shift, identity, add, concat,
                    unsupported };
  Kind kind = Kind::unsupported;
  std::string reason;  // unsupported: why
  engine::Conv3dParams conv;
  Tensor kernel, bias, alpha;
  network::SpatialPads pads{};
  engine::ActivationSpec activation;
  float slope = 0.0f, threshold = 0.0f, elu_alpha = 1.0f;
  std::optional<float> max_value;
  std::vector<float> scale, shift;
  bool softmax_over_width = false;  // an Activation("softmax") of a channels_first model
};

struct Context {
  const ModelFile& model;
  const NetworkOptions& options;
  bool channels_first = false;
  std::string format_problem;  // layers disagree on data_format
  VersionDecision version;     // for activation names outside Conv3D configs
};

const std::set<std::string>& identity_classes() {
  static const std::set<std::string> names = {"Dropout", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
                                              "AlphaDropout"};
  return names;
}

std::string source_of(const Context& ctx, const ModelLayer& layer) { return model_layer_source(ctx.model.path(), layer.name); }

[[noreturn]] void bad_key(const Context& ctx, const ModelLayer& layer, const std::string& key, const json& value,
                          const std::string& rule) {
  std::string shown = value.dump();
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  throw Error(ErrorKind::config, source_of(ctx, layer) + ": \"" + key + "\" = " + shown + ": " + rule);
}

json config_of(const ModelLayer& layer) {
  const json entry = json::parse(layer.config_json);
  const auto config = entry.find("config");
  return config != entry.end() && config->is_object() ? *config : json::object();
}

LayerPlan unsupported(std::string reason) {
  LayerPlan plan;
  plan.reason = std::move(reason);
  return plan;
}

float number(const Context& ctx, const ModelLayer& layer, const json& config, const char* key, float fallback) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number()) bad_key(ctx, layer, key, *it, "must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) bad_key(ctx, layer, key, *it, "must be finite");
  return static_cast<float>(v);
}

bool flag(const Context& ctx, const ModelLayer& layer, const json& config, const char* key, bool fallback) {
  const auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_boolean()) bad_key(ctx, layer, key, *it, "must be true or false");
  return it->get<bool>();
}

// The role of a Keras axis of the 5D array: -1 batch, 0..2 spatial D/H/W, 3 channels.
int axis_role(int64_t axis, bool channels_first) {
  if (axis < 0) axis += 5;
  if (axis <= 0 || axis > 4) return -1;
  if (channels_first) return axis == 1 ? 3 : static_cast<int>(axis - 2);
  return axis == 4 ? 3 : static_cast<int>(axis - 1);
}

int64_t single_axis(const Context& ctx, const ModelLayer& layer, const json& config, int64_t fallback) {
  const auto it = config.find("axis");
  if (it == config.end()) return fallback;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_array() && it->size() == 1 && (*it)[0].is_number_integer()) return (*it)[0].get<int64_t>();
  bad_key(ctx, layer, "axis", *it, "must be one integer axis");
}

// ZeroPadding3D "padding" / Cropping3D "cropping": n, (a, b, c) or ((a0, a1), (b0, b1), (c0, c1)).
network::SpatialPads pads_of(const Context& ctx, const ModelLayer& layer, const json& config, const char* key,
                             int64_t fallback) {
  const auto it = config.find(key);
  network::SpatialPads pads{};
  const auto count = [&](const json& v) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) bad_key(ctx, layer, key, *it, "entries must be integers >= 0");
    return v.get<int64_t>();
  };
  if (it == config.end()) {
    for (auto& p : pads) p = {fallback, fallback};
    return pads;
  }
  if (it->is_number_integer()) {
    const int64_t n = count(*it);
    for (auto& p : pads) p = {n, n};
    return pads;
  }
  if (!it->is_array() || it->size() != 3) bad_key(ctx, layer, key, *it, "must be an integer or 3 entries");
  for (size_t a = 0; a < 3; ++a) {
    const json& v = (*it)[a];
    if (v.is_array()) {
      if (v.size() != 2) bad_key(ctx, layer, key, *it, "each axis needs (before, after)");
      pads[a] = {count(v[0]), count(v[1])};
    } else {
      const int64_t n = count(v);
      pads[a] = {n, n};
    }
  }
  return pads;
}

// A layer's own data_format must be the model's (voxconv keeps one layout for the whole network).
std::optional<LayerPlan> check_format(const Context& ctx, const json& config) {
  const auto it = config.find("data_format");
  if (it == config.end() || !it->is_string()) return std::nullopt;
  const bool cf = it->get<std::string>() == "channels_first";
  if (cf != ctx.channels_first)
    return unsupported("its data_format " + it->get<std::string>() + " differs from the model's " +
                       (ctx.channels_first ? "channels_first" : "channels_last"));
  return std::nullopt;
}

// The activation an "activation" value names, for the Activation layer.
engine::ActivationSpec activation_of(const Context& ctx, const ModelLayer& layer, const json& value) {
  std::string name;
  if (value.is_null()) name = "linear";
  else if (value.is_string()) name = value.get<std::string>();
  else if (value.is_object() && value.contains("config") && value["config"].is_string()) name = value["config"].get<std::string>();
  else bad_key(ctx, layer, "activation", value, "must be the name of a built-in Keras activation");
  LayerConfig probe;  // resolve_activation reads the name, the data format and the source
  probe.source = source_of(ctx, layer);
  probe.activation = name;
  probe.channels_first = ctx.channels_first;
  return resolve_activation(probe, ctx.version.version);
}

// PReLU alpha: Keras keeps it in the layer's input shape without the batch, 1 on shared
// axes; the network wants (1, D|1, H|1, W|1, C|1).
Tensor prelu_alpha(const Context& ctx, const ModelLayer& layer, Tensor alpha) {
  if (alpha.rank() != 4)
    throw Error(ErrorKind::weights, source_of(ctx, layer) + ": PReLU alpha has shape " + dims_to_string(alpha.dims()) +
                                        ": expected 4 axes (the input without the batch)");
  if (ctx.channels_first) alpha = transpose(alpha, {1, 2, 3, 0});
  Dims dims{1};
  dims.insert(dims.end(), alpha.dims().begin(), alpha.dims().end());
  return Tensor(dims, std::move(alpha.values()));
}

LayerPlan plan_layer(const Context& ctx, const ModelLayer& layer) {
  using Kind = LayerPlan::Kind;
  const std::string& cls = layer.class_name;
  if (layer.calls > 1) return unsupported("it is shared (called " + std::to_string(layer.calls) + " times)");
  const json config = config_of(layer);
  LayerPlan plan;
  if (cls == "InputLayer") {
    plan.kind = Kind::input;
    return plan;
  }
  if (auto format = check_format(ctx, config)) return *format;
  static const std::set<std::string> one_input = {"Conv3D",  "ZeroPadding3D", "Cropping3D", "Activation",
                                                  "ReLU",    "LeakyReLU",     "ELU",        "PReLU",
                                                  "Softmax", "BatchNormalization"};
  const size_t inputs = layer.inbound.size();
  if ((cls == "Add" || cls == "Concatenate") && inputs < 2)
    return unsupported("it takes " + std::to_string(inputs) + " input(s); it merges two or more");
  if ((one_input.count(cls) || identity_classes().count(cls)) && inputs != 1)
    return unsupported("it takes " + std::to_string(inputs) + " inputs");

  if (cls == "Conv3D") {
    ModelConv3d conv = load_model_conv3d(ctx.model, layer, ctx.options.forced_version);
    if (conv.config.channels_first != ctx.channels_first)
      return unsupported("its data_format differs from the model's");
    plan.kind = Kind::conv3d;
    plan.conv = to_conv_params(conv.config, conv.weights.kernel.dim(3) * conv.config.groups, conv.version.version);
    if (ctx.channels_first && !is_elementwise(plan.conv.activation.kind))
      plan.softmax_over_width = true;
    plan.kernel = std::move(conv.weights.kernel);
    plan.bias = std::move(conv.weights.bias);
    return plan;
  }
  if (cls == "ZeroPadding3D") {
    plan.kind = Kind::zero_pad;
    plan.pads = pads_of(ctx, layer, config, "padding", 1);
    return plan;
  }
  if (cls == "Cropping3D") {
    plan.kind = Kind::crop;
    plan.pads = pads_of(ctx, layer, config, "cropping", 1);
    return plan;
  }
  if (cls == "Activation") {
    plan.activation = activation_of(ctx, layer, config.value("activation", json(nullptr)));
    plan.kind = plan.activation.kind == engine::Activation::linear ? Kind::identity : Kind::activation;
    plan.softmax_over_width = ctx.channels_first && !is_elementwise(plan.activation.kind);
    return plan;
  }
  if (cls == "ReLU" || cls == "LeakyReLU") {
    plan.kind = Kind::relu;
    if (cls == "ReLU") {
      plan.slope = number(ctx, layer, config, "negative_slope", 0.0f);
      plan.threshold = number(ctx, layer, config, "threshold", 0.0f);
      if (config.contains("max_value") && !config["max_value"].is_null())
        plan.max_value = number(ctx, layer, config, "max_value", 0.0f);
      if (plan.max_value && *plan.max_value < 0) bad_key(ctx, layer, "max_value", config["max_value"], "must be >= 0");
    } else {
      // Keras 2 calls the slope "alpha", Keras 3 "negative_slope"; both default to 0.3.
      plan.slope = number(ctx, layer, config, config.contains("negative_slope") ? "negative_slope" : "alpha", 0.3f);
    }
    return plan;
  }
  if (cls == "ELU") {
    plan.kind = Kind::elu;
    plan.elu_alpha = number(ctx, layer, config, "alpha", 1.0f);
    return plan;
  }
  if (cls == "PReLU") {
    std::vector<Tensor> weights = ctx.model.read_weights(layer.name);
    if (weights.size() != 1)
      throw Error(ErrorKind::weights, source_of(ctx, layer) + ": PReLU needs one weight (alpha), the file holds " +
                                          std::to_string(weights.size()));
    plan.kind = Kind::prelu;
    plan.alpha = prelu_alpha(ctx, layer, std::move(weights[0]));
    return plan;
  }
  if (cls == "Softmax") {
    const int role = axis_role(single_axis(ctx, layer, config, -1), ctx.channels_first);
    if (role != 3 && role != 2) return unsupported("softmax over an axis other than the channels or W");
    plan.kind = Kind::activation;
    plan.activation = {engine::Activation::softmax, role == 3 ? engine::SoftmaxAxis::channels : engine::SoftmaxAxis::width};
    return plan;
  }
  if (cls == "BatchNormalization") {
    const int64_t axis = single_axis(ctx, layer, config, -1);
    if (axis_role(axis, ctx.channels_first) != 3)
      return unsupported("it normalizes axis " + std::to_string(axis) + ", not the channel axis");
    const float epsilon = number(ctx, layer, config, "epsilon", 1e-3f);
    const bool scale = flag(ctx, layer, config, "scale", true), center = flag(ctx, layer, config, "center", true);
    std::vector<Tensor> w = ctx.model.read_weights(layer.name);
    const size_t expected = 2 + (scale ? 1 : 0) + (center ? 1 : 0);
    if (w.size() != expected)
      throw Error(ErrorKind::weights, source_of(ctx, layer) + ": BatchNormalization with center = " +
                                          (center ? "true" : "false") + ", scale = " + (scale ? "true" : "false") +
                                          " has " + std::to_string(expected) + " weights, the file holds " +
                                          std::to_string(w.size()));
    size_t k = 0;
    const Tensor* gamma = scale ? &w[k++] : nullptr;
    const Tensor* beta = center ? &w[k++] : nullptr;
    const Tensor& mean = w[k++];
    const Tensor& variance = w[k++];
    const int64_t channels = mean.size();
    for (const Tensor* t : {gamma, beta, &mean, &variance})
      if (t && (t->rank() != 1 || t->size() != channels))
        throw Error(ErrorKind::weights, source_of(ctx, layer) + ": BatchNormalization weights of shapes " +
                                            dims_to_string(t->dims()) + " and " + dims_to_string(mean.dims()) +
                                            " differ");
    for (int64_t c = 0; c < channels; ++c)
      if (!(variance.data()[c] + epsilon > 0.0f))
        throw Error(ErrorKind::weights, source_of(ctx, layer) + ": moving_variance[" + std::to_string(c) + "] = " +
                                            std::to_string(variance.data()[c]) +
                                            ": with epsilon it must be > 0 (Keras would output NaN)");
    plan.kind = Kind::scale_shift;
    for (int64_t c = 0; c < channels; ++c) {
      // As TensorFlow's batch_normalization: inv = rsqrt(var + eps) * gamma; x * inv + (beta - mean * inv).
      float inv = 1.0f / std::sqrt(variance.data()[c] + epsilon);
      if (gamma) inv *= gamma->data()[c];
      plan.scale.push_back(inv);
      plan.shift.push_back((beta ? beta->data()[c] : 0.0f) - mean.data()[c] * inv);
    }
    return plan;
  }
  if (identity_classes().count(cls)) {
    plan.kind = Kind::identity;
    return plan;
  }
  if (cls == "Add") {
    plan.kind = Kind::add;
    return plan;
  }
  if (cls == "Concatenate") {
    const int64_t axis = single_axis(ctx, layer, config, -1);
    if (axis_role(axis, ctx.channels_first) != 3)
      return unsupported("it concatenates along axis " + std::to_string(axis) + ", not the channel axis");
    plan.kind = Kind::concat;
    return plan;
  }
  return unsupported("voxconv does not run " + cls + " layers");
}

std::unique_ptr<network::Op> make_op(const LayerPlan& plan, bool reference_engine) {
  using Kind = LayerPlan::Kind;
  switch (plan.kind) {
    case Kind::conv3d: return std::make_unique<network::Conv3dOp>(plan.conv, plan.kernel, plan.bias, reference_engine);
    case Kind::zero_pad: return std::make_unique<network::ZeroPadOp>(plan.pads);
    case Kind::crop: return std::make_unique<network::CropOp>(plan.pads);
    case Kind::activation: return std::make_unique<network::ActivationOp>(plan.activation);
    case Kind::relu: return std::make_unique<network::ReluOp>(plan.slope, plan.threshold, plan.max_value);
    case Kind::elu: return std::make_unique<network::EluOp>(plan.elu_alpha);
    case Kind::prelu: return std::make_unique<network::PReluOp>(plan.alpha);
    case Kind::scale_shift: return std::make_unique<network::ScaleShiftOp>(plan.scale, plan.shift);
    case Kind::identity: return std::make_unique<network::IdentityOp>();
    case Kind::add: return std::make_unique<network::AddOp>();
    case Kind::concat: return std::make_unique<network::ConcatOp>();
    case Kind::input:
    case Kind::unsupported: break;
  }
  throw Error(ErrorKind::internal, "make_op: no op for this layer");
}

// ---- model-wide facts ------------------------------------------------------------------

Context make_context(const ModelFile& model, const NetworkOptions& options) {
  Context ctx{model, options, false, "", {}};
  std::optional<bool> format;
  for (const ModelLayer& layer : model.graph().layers) {
    const json config = config_of(layer);
    const auto it = config.find("data_format");
    if (it == config.end()) continue;
    bool cf = false;
    if (it->is_null()) cf = image_data_format_default().channels_first;
    else if (it->is_string()) cf = it->get<std::string>() == "channels_first";
    else continue;
    if (format && *format != cf) ctx.format_problem = "its layers use both channels_first and channels_last";
    if (!format) format = cf;
  }
  ctx.channels_first = format ? *format : image_data_format_default().channels_first;
  ctx.version = detect_keras_version(LayerConfig{}, model.version_evidence(), options.forced_version);
  return ctx;
}

// NDHWC dims of an InputLayer's batch shape; kUnknown where it says None (or says nothing).
Dims input_dims_of(const Context& ctx, const ModelLayer& layer) {
  const json config = config_of(layer);
  Dims keras(5, kUnknown);
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    const auto it = config.find(key);
    if (it == config.end() || !it->is_array()) continue;
    if (it->size() != 5) bad_key(ctx, layer, key, *it, "a 3D volume input has 5 dimensions (batch, 3 spatial, channels)");
    for (size_t a = 0; a < 5; ++a)
      keras[a] = (*it)[a].is_number_integer() ? (*it)[a].get<int64_t>() : kUnknown;
    break;
  }
  if (ctx.channels_first) return {keras[0], keras[2], keras[3], keras[4], keras[1]};
  return keras;
}

// A Keras shape as `info` shows it: batch None, channels where data_format puts them.
Dims keras_shape(const Dims& ndhwc, bool channels_first) {
  Dims d = ndhwc;
  d[0] = kUnknown;
  if (channels_first) return {d[0], d[4], d[1], d[2], d[3]};
  return d;
}

bool same_padding_split(const engine::Conv3dParams& p, const network::SpatialPads& pads) {
  for (size_t a = 0; a < 3; ++a) {
    const int64_t total = (p.kernel[a] - 1) * p.dilation[a];
    if (p.strides[a] != 1 || pads[a][0] != total / 2 || pads[a][1] != total - total / 2) return false;
  }
  return p.padding == engine::Padding::valid;
}

std::string label_of(const Context& ctx, const ModelLayer& layer) {
  return source_of(ctx, layer) + " (" + layer.class_name + ")";
}

}  // namespace

ModelNetwork build_model_network(const ModelFile& model, const NetworkOptions& options) {
  using Kind = LayerPlan::Kind;
  const ModelGraph& graph = model.graph();
  const Context ctx = make_context(model, options);
  if (!ctx.format_problem.empty()) throw Error(ErrorKind::config, model.path() + ": " + ctx.format_problem);
  if (graph.inputs.size() != 1)
    throw Error(ErrorKind::usage, model.path() + ": the model has " + std::to_string(graph.inputs.size()) +
                                      " inputs; voxconv runs whole models with one input (run one Conv3D with --layer)");
  if (graph.outputs.size() != 1)
    throw Error(ErrorKind::usage, model.path() + ": the model has " + std::to_string(graph.outputs.size()) +
                                      " outputs; voxconv runs whole models with one output (run one Conv3D with --layer)");

  // The layers the output depends on, and how many of them consume each.
  std::map<std::string, const ModelLayer*> by_name;
  for (const ModelLayer& layer : graph.layers) by_name[layer.name] = &layer;
  std::set<std::string> needed{graph.outputs.front()};
  for (auto it = graph.layers.rbegin(); it != graph.layers.rend(); ++it)
    if (needed.count(it->name)) needed.insert(it->inbound.begin(), it->inbound.end());
  std::map<std::string, int> consumers;
  std::map<std::string, std::string> single_consumer;
  for (const ModelLayer& layer : graph.layers)
    if (needed.count(layer.name))
      for (const std::string& in : layer.inbound) {
        ++consumers[in];
        single_consumer[in] = layer.name;
      }

  std::map<std::string, LayerPlan> plans;
  for (const ModelLayer& layer : graph.layers) {
    if (!needed.count(layer.name)) continue;
    LayerPlan plan = plan_layer(ctx, layer);
    if (plan.kind == Kind::unsupported)
      throw Error(ErrorKind::config, label_of(ctx, layer) + " is on the way to the output and voxconv cannot run it: " +
                                         plan.reason + " (run one Conv3D with --layer)");
    plans.emplace(layer.name, std::move(plan));
  }

  ModelNetwork out;
  out.channels_first = ctx.channels_first;
  out.output_name = graph.outputs.front();
  // Folding: a padding layer into the Conv3D after it, an activation into the Conv3D before it.
  std::map<std::string, std::string> alias;  // folded layer -> the layer whose node computes it
  const auto is_output = [&](const std::string& name) { return name == out.output_name; };
  if (options.fuse) {
    for (const ModelLayer& layer : graph.layers) {
      const auto plan = plans.find(layer.name);
      if (plan == plans.end() || consumers[layer.name] != 1 || is_output(layer.name)) continue;
      LayerPlan& next = plans.at(single_consumer[layer.name]);
      if (plan->second.kind == Kind::zero_pad && next.kind == Kind::conv3d && same_padding_split(next.conv, plan->second.pads)) {
        next.conv.padding = engine::Padding::same;
        alias[layer.name] = layer.inbound.front();
      } else if (plan->second.kind == Kind::conv3d && plan->second.conv.activation.kind == engine::Activation::linear &&
                 ((next.kind == Kind::activation && is_elementwise(next.activation.kind)) ||
                  (next.kind == Kind::relu && next.slope == 0.0f && next.threshold == 0.0f && !next.max_value))) {
        plan->second.conv.activation.kind = next.kind == Kind::relu ? engine::Activation::relu : next.activation.kind;
        alias[single_consumer[layer.name]] = layer.name;
      }
    }
  }
  const auto resolve = [&](std::string name) {
    for (auto it = alias.find(name); it != alias.end(); it = alias.find(name)) name = it->second;
    return name;
  };

  std::map<std::string, int> node_of;
  for (const ModelLayer& layer : graph.layers) {
    const auto plan = plans.find(layer.name);
    if (plan == plans.end() || alias.count(layer.name)) continue;
    if (plan->second.kind == Kind::input) {
      out.input_name = layer.name;
      out.input_dims = input_dims_of(ctx, layer);
      node_of[layer.name] = out.network.add_input(label_of(ctx, layer));
      continue;
    }
    if (plan->second.softmax_over_width)
      out.warnings.push_back(label_of(ctx, layer) + ": softmax with channels_first runs over the last axis (W), not over "
                                                   "channels, as Keras does");
    std::vector<int> inputs;
    for (const std::string& in : layer.inbound) inputs.push_back(node_of.at(resolve(in)));
    node_of[layer.name] =
        out.network.add(label_of(ctx, layer), make_op(plan->second, options.reference_engine), std::move(inputs));
  }
  out.network.set_output(node_of.at(resolve(out.output_name)));
  return out;
}

ModelReport describe_model(const ModelFile& model, const NetworkOptions& options) {
  using Kind = LayerPlan::Kind;
  const Context ctx = make_context(model, options);
  ModelReport report;
  report.channels_first = ctx.channels_first;
  std::map<std::string, std::optional<Dims>> dims;  // NDHWC output of each layer when known
  for (const ModelLayer& layer : model.graph().layers) {
    LayerReport r;
    r.class_name = layer.class_name;
    r.name = layer.name;
    r.inbound = layer.inbound;
    r.conv3d = layer.class_name == "Conv3D";
    try {
      for (const DatasetInfo& w : model.weight_infos(layer.name)) {
        int64_t n = 1;
        for (int64_t d : w.dims) n *= d;
        r.params += n;
      }
    } catch (const Error& e) {
      r.note = e.what();
    }
    LayerPlan plan;
    try {
      plan = plan_layer(ctx, layer);
    } catch (const Error& e) {  // a broken layer is shown, not fatal, here
      plan = unsupported(e.what());
    }
    r.runs = plan.kind != Kind::unsupported;
    if (!r.runs) r.note = plan.reason;
    std::vector<Dims> in;
    bool known = !layer.inbound.empty();
    for (const std::string& producer : layer.inbound) {
      const auto it = dims.find(producer);
      if (it == dims.end() || !it->second) known = false;
      else in.push_back(*it->second);
    }
    if (known) r.input_shape = keras_shape(in.front(), ctx.channels_first);
    std::optional<Dims> output;
    if (plan.kind == Kind::input) {
      output = input_dims_of(ctx, layer);
    } else if (r.runs && known) {
      try {
        output = make_op(plan, true)->output_dims(in);
      } catch (const Error& e) {
        r.note = std::string("shape error: ") + e.what();
      }
    }
    if (output) r.output_shape = keras_shape(*output, ctx.channels_first);
    dims[layer.name] = output;
    report.total_params += r.params;
    report.layers.push_back(std::move(r));
  }
  try {
    NetworkOptions check = options;
    check.reference_engine = true;  // nothing runs: no need to pack weights
    build_model_network(model, check);
  } catch (const Error& e) {
    report.whole_model_problem = e.what();
  }
  return report;
}

}  // namespace voxconv::keras
