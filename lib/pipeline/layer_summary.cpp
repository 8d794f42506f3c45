#include "pipeline/layer_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "engine/constraints.hpp"
#include "keras/config_writer.hpp"
#include "pipeline/layer_losses.hpp"

namespace voxconv::pipeline {

using nlohmann::json;

std::vector<int64_t> parse_input_shape(const std::string& text) {
  std::vector<int64_t> dims;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 1 || value > (1LL << 31))
      throw Error(ErrorKind::usage, "--input-shape = " + text + ": expected D,H,W,C as four positive integers");
    dims.push_back(value);
  }
  if (dims.size() != 4) throw Error(ErrorKind::usage, "--input-shape = " + text + ": expected D,H,W,C as four positive integers");
  return dims;
}

namespace {

json optional_dim(std::optional<int64_t> d) { return d ? json(*d) : json(nullptr); }

json keras_shape(const std::array<std::optional<int64_t>, 3>& spatial, std::optional<int64_t> channels, bool channels_first) {
  json shape = json::array({nullptr});
  if (channels_first) shape.push_back(optional_dim(channels));
  for (const auto& d : spatial) shape.push_back(optional_dim(d));
  if (!channels_first) shape.push_back(optional_dim(channels));
  return shape;
}

// As the layer's Keras version serializes it (keras/config_writer).
json object_json(const keras::KerasObject& o, keras::ObjectKind kind, keras::KerasVersion version) {
  return json::parse(keras::write_object(o, kind, version));
}

// What get_weights() would return, summarized.
json value_stats(const Tensor& t) {
  if (t.empty()) return nullptr;
  double sum = 0, lo = t.data()[0], hi = t.data()[0];
  for (const float v : t.values()) {
    sum += v;
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
  }
  const double mean = sum / static_cast<double>(t.size());
  double sq = 0;
  for (const float v : t.values()) sq += (v - mean) * (v - mean);
  return {{"min", lo}, {"max", hi}, {"mean", mean}, {"std", std::sqrt(sq / static_cast<double>(t.size()))}};
}

// As Python prints a tuple: "(None, 5)", "(16,)".
std::string shape_text(const json& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + (shape[i].is_null() ? std::string("None") : shape[i].dump());
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

LayerSummaryText summarize_layer(const SummaryOptions& options) {
  const LoadedLayer layer = load_layer(options.source);
  const keras::LayerConfig& cfg = layer.config;

  // What is known of the input: --input-shape, else the config's batch shape, else the weights' channels.
  std::array<std::optional<int64_t>, 3> in_spatial{};
  std::optional<int64_t> channels;
  if (layer.input_channels > 0) channels = layer.input_channels;
  if (options.input_shape) {
    const auto& s = *options.input_shape;
    in_spatial = {s[0], s[1], s[2]};
    if (channels && *channels != s[3])
      throw Error(ErrorKind::shape, "--input-shape gives " + std::to_string(s[3]) + " channels but the weights need " +
                                        std::to_string(*channels));
    channels = s[3];
  } else if (cfg.batch_input_shape) {
    const auto& b = *cfg.batch_input_shape;
    const size_t first_spatial = cfg.channels_first ? 2 : 1;
    for (size_t a = 0; a < 3; ++a) in_spatial[a] = b[first_spatial + a];
    const auto c = b[cfg.channels_first ? 1 : 4];
    if (!channels) channels = c;
  }
  if (!channels)
    throw Error(ErrorKind::usage, cfg.source + ": the input channel count is unknown; give --weights or --input-shape D,H,W,C");

  const engine::Conv3dParams params = params_for_channels(layer, *channels);
  std::array<std::optional<int64_t>, 3> out_spatial{};
  json padding_split = json::array();
  bool spatial_known = true;
  for (size_t a = 0; a < 3; ++a) spatial_known = spatial_known && in_spatial[a].has_value();
  std::optional<double> flops;
  if (spatial_known) {
    engine::ConvPlan plan;
    try {
      plan = engine::plan_shape(params, {*in_spatial[0], *in_spatial[1], *in_spatial[2]});
    } catch (const Error& e) {
      throw Error(ErrorKind::shape, cfg.source + ": \"kernel_size\"/\"dilation_rate\" do not fit the input: " + e.what());
    }
    for (size_t a = 0; a < 3; ++a) {
      out_spatial[a] = plan.axis[a].out;
      padding_split.push_back({plan.axis[a].pad_before, plan.axis[a].pad_after});
    }
    flops = engine::conv_flops(params, 1, plan.out_spatial());
  }

  // layer.weights: [kernel, bias], trainable first (all of them, or none when trainable is false).
  const auto variables = keras::keras_variables(cfg, layer.version.version);
  json weights = json::array();
  json names = json::array();
  const auto kd = params.kernel_dims();
  std::vector<json> shapes{json(std::vector<int64_t>(kd.begin(), kd.end())), json({params.oc})};
  for (size_t i = 0; i < variables.size(); ++i) {
    json w = {{"name", variables[i].name}};
    if (!variables[i].path.empty()) w["path"] = variables[i].path;
    w["shape"] = shapes[i];
    w["dtype"] = keras::variable_dtype(cfg);
    w["trainable"] = cfg.trainable;
    if (layer.weights) {
      const auto& info = i == 0 ? layer.weights->kernel_info : layer.weights->bias_info;
      w["file_dataset"] = info.path;
      w["stored_dtype"] = info.dtype;
      w["values"] = value_stats(i == 0 ? layer.weights->kernel : layer.weights->bias);
    }
    weights.push_back(w);
    names.push_back(variables[i].name);
  }
  const json no_names = json::array();

  // losses: the weight regularizers' penalties (the activity one needs an output: `run`).
  json losses = json::array();
  for (const WeightPenalty& p : weight_penalties(layer)) {
    json entry = {{"regularizer", p.key}, {"class", p.regularizer}, {"weight", p.weight},
                  {"value", p.value ? json(*p.value) : json(nullptr)}};
    if (!p.note.empty()) entry["note"] = p.note;
    losses.push_back(entry);
  }
  // Constraints, checked against their weight (Keras would fail when applying them).
  json constraints = json::array();
  const auto constraint_entry = [&](const keras::KerasObject& c, const char* key, size_t index, size_t rank) {
    if (c.empty()) return;
    json entry = {{"constraint", key}, {"class", keras::describe(c)},
                  {"weight", index < variables.size() ? json(variables[index].name) : json(nullptr)}};
    try {
      const engine::ConstraintSpec spec = keras::constraint_spec(c, rank, cfg.source + ": \"" + key + "\"");
      json axes = json::array();
      for (const size_t a : engine::constraint_axes(spec, rank)) axes.push_back(a);
      entry["norm_axes"] = axes;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::config) throw;
      entry["error"] = e.what();
    }
    if (!cfg.trainable) entry["note"] = "not applied after training steps: the layer is not trainable";
    constraints.push_back(entry);
  };
  constraint_entry(cfg.kernel_constraint, "kernel_constraint", 0, 5);
  constraint_entry(cfg.bias_constraint, "bias_constraint", 1, 1);

  json j;
  j["class_name"] = "Conv3D";
  j["name"] = cfg.name;
  j["keras_version"] = keras::to_string(layer.version.version);
  j["keras_version_reason"] = layer.version.reason;
  j["dtype"] = cfg.dtype;
  j["compute_dtype"] = keras::compute_dtype(cfg);
  j["variable_dtype"] = keras::variable_dtype(cfg);
  j["trainable"] = cfg.trainable;
  j["filters"] = cfg.filters;
  j["kernel_size"] = cfg.kernel_size;
  j["strides"] = cfg.strides;
  j["padding"] = cfg.padding == engine::Padding::same ? "same" : "valid";
  j["data_format"] = cfg.channels_first ? "channels_first" : "channels_last";
  j["data_format_source"] = cfg.data_format_source;
  j["dilation_rate"] = cfg.dilation_rate;
  j["groups"] = cfg.groups;
  j["activation"] = cfg.activation;
  j["activation_applied"] = engine::to_string(params.activation.kind);
  j["use_bias"] = cfg.use_bias;
  j["input_shape"] = keras_shape(in_spatial, channels, cfg.channels_first);
  j["output_shape"] = keras_shape(out_spatial, params.oc, cfg.channels_first);
  j["padding_split"] = spatial_known ? padding_split : json(nullptr);
  j["count_params"] = keras::count_params(cfg, *channels);
  j["flops_per_sample"] = flops ? json(*flops) : json(nullptr);
  j["weights"] = weights;
  j["variables"] = names;  // the same list as weights in Keras
  j["trainable_weights"] = cfg.trainable ? names : no_names;
  j["non_trainable_weights"] = cfg.trainable ? no_names : names;
  j["trainable_variables"] = j["trainable_weights"];  // TF 1.x aliases of the two lists above
  j["non_trainable_variables"] = j["non_trainable_weights"];
  j["losses"] = losses;
  j["kernel_initializer"] = object_json(cfg.kernel_initializer, keras::ObjectKind::initializer, layer.version.version);
  j["bias_initializer"] = object_json(cfg.bias_initializer, keras::ObjectKind::initializer, layer.version.version);
  j["kernel_regularizer"] = object_json(cfg.kernel_regularizer, keras::ObjectKind::regularizer, layer.version.version);
  j["bias_regularizer"] = object_json(cfg.bias_regularizer, keras::ObjectKind::regularizer, layer.version.version);
  j["activity_regularizer"] = object_json(cfg.activity_regularizer, keras::ObjectKind::regularizer, layer.version.version);
  j["kernel_constraint"] = object_json(cfg.kernel_constraint, keras::ObjectKind::constraint, layer.version.version);
  j["bias_constraint"] = object_json(cfg.bias_constraint, keras::ObjectKind::constraint, layer.version.version);
  j["constraints"] = constraints;
  if (layer.weights) {
    j["weights_file"] = {{"path", layer.weights->file.path},
                         {"layout", keras::to_string(layer.weights->file.layout)},
                         {"layer", layer.weights->layer_name},
                         {"keras_version", layer.weights->file.keras_version},
                         {"backend", layer.weights->file.backend}};
  }

  std::ostringstream t;
  t << "Conv3D '" << cfg.name << "' (" << keras::to_string(layer.version.version) << ": " << layer.version.reason << ")\n";
  t << "  filters " << cfg.filters << ", kernel_size " << j["kernel_size"].dump() << ", strides " << j["strides"].dump()
    << ", padding " << j["padding"].get<std::string>() << ", dilation_rate " << j["dilation_rate"].dump() << ", groups "
    << cfg.groups << "\n";
  t << "  data_format " << j["data_format"].get<std::string>() << " (" << cfg.data_format_source << "), activation "
    << cfg.activation << ", use_bias " << (cfg.use_bias ? "true" : "false") << ", dtype " << cfg.dtype << ", trainable "
    << (cfg.trainable ? "true" : "false") << "\n";
  t << "  input shape  " << shape_text(j["input_shape"]) << "\n";
  t << "  output shape " << shape_text(j["output_shape"]) << "\n";
  if (spatial_known) t << "  padding (before, after) per axis " << padding_split.dump() << "\n";
  t << "  parameters   " << j["count_params"].get<int64_t>() << "\n";
  if (flops) {
    // Exact as an integer while a double holds one exactly; beyond 2^53 (absurd layers), as %g.
    char text[32];
    if (*flops < 9007199254740992.0) std::snprintf(text, sizeof text, "%.0f", *flops);
    else std::snprintf(text, sizeof text, "%g", *flops);
    t << "  FLOPs        " << text << " per sample (2 per multiply-add)\n";
  }
  t << "  dtype policy " << cfg.dtype << ": computes in " << j["compute_dtype"].get<std::string>() << ", variables "
    << j["variable_dtype"].get<std::string>() << "\n";
  t << "  weights (" << (cfg.trainable ? "trainable" : "non-trainable") << ", in layer.weights order):\n";
  for (const auto& w : weights) {
    t << "    " << w["name"].get<std::string>();
    if (w.contains("path")) t << " (path " << w["path"].get<std::string>() << ")";
    t << " " << shape_text(w["shape"]);
    if (w.contains("file_dataset")) t << "  <- " << w["file_dataset"].get<std::string>();
    if (w.contains("values"))
      t << "\n      min " << w["values"]["min"].get<double>() << ", max " << w["values"]["max"].get<double>() << ", mean "
        << w["values"]["mean"].get<double>() << ", std " << w["values"]["std"].get<double>();
    t << "\n";
  }
  t << "  initializers: kernel " << keras::describe(cfg.kernel_initializer) << ", bias "
    << keras::describe(cfg.bias_initializer) << "\n";
  if (!cfg.activity_regularizer.empty())
    t << "  activity_regularizer " << keras::describe(cfg.activity_regularizer) << " (its loss needs an output: voxconv run)\n";
  for (const auto& l : losses) {
    t << "  loss " << l["regularizer"].get<std::string>() << " " << l["class"].get<std::string>() << " on "
      << l["weight"].get<std::string>() << ": ";
    if (l["value"].is_null()) t << "none (" << l["note"].get<std::string>() << ")\n";
    else t << std::setprecision(10) << l["value"].get<double>() << std::setprecision(6) << "\n";
  }
  for (const auto& c : constraints) {
    t << "  " << c["constraint"].get<std::string>() << " " << c["class"].get<std::string>();
    if (c.contains("norm_axes")) t << ": norms over axes " << c["norm_axes"].dump();
    if (c.contains("error")) t << ": " << c["error"].get<std::string>();
    if (c.contains("note")) t << " (" << c["note"].get<std::string>() << ")";
    t << "\n";
  }
  if (layer.weights)
    t << "  weights file " << layer.weights->file.path << " (" << keras::to_string(layer.weights->file.layout)
      << (layer.weights->file.keras_version.empty() ? "" : ", keras " + layer.weights->file.keras_version)
      << (layer.weights->file.backend.empty() ? "" : ", backend " + layer.weights->file.backend) << ")\n";
  return {t.str(), j.dump(2)};
}

}  // namespace voxconv::pipeline
