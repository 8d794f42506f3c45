#include "pipeline/model_summary.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "keras/model_file.hpp"
#include "keras/model_network.hpp"

namespace voxconv::pipeline {

using nlohmann::json;

namespace {

json shape_json(const std::optional<Dims>& shape) {
  if (!shape) return nullptr;
  json out = json::array();
  for (int64_t d : *shape) out.push_back(d == network::kUnknown ? json(nullptr) : json(d));
  return out;
}

std::string shape_text(const std::optional<Dims>& shape) { return shape ? network::shape_text(*shape) : "?"; }

std::string status_text(const keras::LayerReport& r) {
  if (!r.runs) return "no: " + r.note;
  return r.conv3d ? "yes (alone: --layer " + r.name + ")" : "yes";
}

}  // namespace

LayerSummaryText summarize_model(const std::string& model_path, std::optional<keras::KerasVersion> forced_version) {
  const keras::ModelFile model = keras::open_model_file_isolated(model_path);
  keras::NetworkOptions options;
  options.forced_version = forced_version;
  const keras::ModelReport report = keras::describe_model(model, options);
  const keras::ModelGraph& graph = model.graph();
  const keras::WeightsFileInfo& file = model.weights_file();

  json j;
  j["model"] = {{"path", model.path()},
                {"format", model.format()},
                {"class_name", graph.class_name},
                {"name", graph.name},
                {"keras_version", file.keras_version},
                {"backend", file.backend},
                {"data_format", report.channels_first ? "channels_first" : "channels_last"},
                {"inputs", graph.inputs},
                {"outputs", graph.outputs},
                {"count_params", report.total_params}};
  j["layers"] = json::array();
  for (const keras::LayerReport& r : report.layers) {
    json layer = {{"class_name", r.class_name}, {"name", r.name},
                  {"inbound", r.inbound},       {"input_shape", shape_json(r.input_shape)},
                  {"output_shape", shape_json(r.output_shape)}, {"count_params", r.params},
                  {"voxconv_runs", r.runs},     {"runs_alone", r.conv3d && r.runs}};
    if (!r.note.empty()) layer["note"] = r.note;
    j["layers"].push_back(layer);
  }
  j["whole_model"] = {{"runs", report.whole_model_problem.empty()},
                      {"problem", report.whole_model_problem.empty() ? json(nullptr) : json(report.whole_model_problem)}};

  // Text: one row per layer, columns sized to their contents.
  std::vector<std::array<std::string, 6>> rows{{"#", "name", "class", "input shape", "output shape", "params"}};
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const keras::LayerReport& r = report.layers[i];
    rows.push_back({std::to_string(i), r.name, r.class_name, r.inbound.empty() ? "-" : shape_text(r.input_shape),
                    shape_text(r.output_shape), std::to_string(r.params)});
  }
  std::array<size_t, 6> width{};
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::ostringstream t;
  t << graph.class_name << " model '" << graph.name << "' in " << model.path() << " (" << model.format()
    << (file.keras_version.empty() ? "" : ", keras " + file.keras_version)
    << (file.backend.empty() ? "" : ", backend " + file.backend) << ", "
    << (report.channels_first ? "channels_first" : "channels_last") << ")\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    t << "  ";
    for (size_t c = 0; c < row.size(); ++c) {
      const bool right = c == 0 || c == 5;
      const std::string pad(width[c] - row[c].size(), ' ');
      t << (right ? pad + row[c] : row[c] + pad) << "  ";
    }
    t << (i == 0 ? "voxconv runs it" : status_text(report.layers[i - 1])) << "\n";
  }
  t << "  parameters: " << report.total_params << "\n";
  if (report.whole_model_problem.empty())
    t << "  whole model: voxconv runs it (run --model " << model.path() << " --input ... --output ...)\n";
  else
    t << "  whole model: not runnable: " << report.whole_model_problem << "\n";
  return {t.str(), j.dump(2)};
}

}  // namespace voxconv::pipeline
