#include "pipeline/output_template.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "pipeline/layer_outputs.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::pipeline {

namespace {

[[noreturn]] void bad_pattern(const std::string& pattern, const std::string& problem) {
  throw Error(ErrorKind::usage, "--output '" + pattern + "': " + problem);
}

// Calls literal(text) and placeholder(name) in order; checks the braces.
template <typename Literal, typename Placeholder>
void scan(const std::string& pattern, Literal literal, Placeholder placeholder) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      literal('{');
      ++i;
    } else if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      literal('}');
      ++i;
    } else if (c == '{') {
      const size_t close = pattern.find('}', i + 1);
      if (close == std::string::npos) bad_pattern(pattern, "a '{' without its '}' (write {{ for a brace)");
      const std::string name = pattern.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string::npos) bad_pattern(pattern, "an empty or nested {} placeholder");
      placeholder(name);
      i = close;
    } else if (c == '}') {
      bad_pattern(pattern, "a '}' without its '{' (write }} for a brace)");
    } else {
      literal(c);
    }
  }
}

}  // namespace

void check_output_template(const std::string& pattern) {
  scan(pattern, [](char) {}, [](const std::string&) {});
}

bool has_placeholders(const std::string& pattern) {
  bool found = false;
  scan(pattern, [](char) {}, [&found](const std::string&) { found = true; });
  return found;
}

std::string expand_output_template(const std::string& pattern, const ManifestRow& row) {
  // The file of the first input ("scan.h5" for the HDF5 volume "scan.h5:/ct").
  const std::filesystem::path first =
      row.inputs.empty() ? std::filesystem::path() : std::filesystem::path(volume::volume_file_of(row.inputs[0]));
  std::string out;
  scan(pattern, [&out](char c) { out += c; },
       [&](const std::string& name) {
         if (name == "stem") {
           out += std::filesystem::path(split_extension(first.filename().string()).first).string();
         } else if (name == "name") {
           out += first.filename().string();
         } else if (name == "dir") {
           out += first.has_parent_path() ? first.parent_path().string() : std::string(".");
         } else if (name == "index") {
           out += std::to_string(row.index);
         } else if (const auto field = row.fields.find(name); field != row.fields.end()) {
           out += field->second;
         } else {
           std::string known = "stem, name, dir, index";
           for (const auto& [key, value] : row.fields) known += ", " + key;
           bad_pattern(pattern, row.origin + " has no \"" + name + "\" (known: " + known + ")");
         }
       });
  return out;
}

}  // namespace voxconv::pipeline
