#include "pipeline/batch_manifest.hpp"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace voxconv::pipeline {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw Error(ErrorKind::usage, where + ": " + problem);
}

std::string at_line(const std::string& path, int64_t line) { return path + ":" + std::to_string(line); }

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail(path, "is a folder, not a manifest file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot read the manifest: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  if (content.compare(0, 3, "\xEF\xBB\xBF") == 0) content.erase(0, 3);  // a UTF-8 byte order mark
  return content;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Relative manifest paths are relative to the manifest's folder.
std::string resolve(const fs::path& folder, const std::string& path) {
  if (folder.empty() || fs::path(path).is_absolute()) return path;
  return (folder / path).string();
}

// ---------------------------------------------------------------------------------------
// CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends)

struct CsvRecord {
  int64_t line = 0;  // where the record starts
  std::vector<std::string> fields;
};

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& path) {
  std::vector<CsvRecord> records;
  size_t i = 0;
  int64_t line = 1;
  const size_t n = text.size();
  while (i < n) {
    CsvRecord record;
    record.line = line;
    bool blank = true;
    for (;;) {  // one field per iteration
      std::string field;
      size_t j = i;
      while (j < n && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (j < n && text[j] == '"') {
        blank = false;
        const int64_t opened = line;
        i = j + 1;
        for (;;) {
          if (i >= n) fail(at_line(path, opened), "a quoted field is never closed");
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i < n && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
        if (i < n && text[i] != ',' && text[i] != '\n')
          fail(at_line(path, line), "text after the closing quote of a field (quote the whole field)");
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"') fail(at_line(path, line), "a quote inside an unquoted field (quote the whole field)");
          field += text[i++];
        }
        if (!field.empty() && field.back() == '\r') field.pop_back();
        field = trim(field);
        if (!field.empty()) blank = false;
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        blank = false;
        ++i;
        continue;
      }
      break;  // end of line or of the text
    }
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
    }
    if (!blank) records.push_back(std::move(record));
  }
  return records;
}

bool is_input_column(const std::string& name) { return lower(name).rfind("input", 0) == 0; }

std::vector<ManifestRow> read_csv_manifest(const std::string& text, const std::string& path) {
  const std::vector<CsvRecord> records = parse_csv(text, path);
  if (records.empty()) fail(path, "is empty (expected a header line such as: input,output)");
  const CsvRecord& header = records.front();
  std::vector<size_t> input_columns;
  std::optional<size_t> output_column;
  std::set<std::string> seen;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string& name = header.fields[c];
    if (name.empty()) fail(at_line(path, header.line), "header column " + std::to_string(c + 1) + " has no name");
    if (!seen.insert(lower(name)).second) fail(at_line(path, header.line), "header names \"" + name + "\" twice");
    if (is_input_column(name)) input_columns.push_back(c);
    else if (lower(name) == "output") output_column = c;
  }
  if (input_columns.empty())
    fail(at_line(path, header.line), "the header has no input column (name it \"input\", or input_t1, input_t2, ... "
                                     "for several channels)");

  const fs::path folder = fs::path(path).parent_path();
  std::vector<ManifestRow> rows;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    const std::string where = at_line(path, record.line);
    if (record.fields.size() != header.fields.size())
      fail(where, std::to_string(record.fields.size()) + (record.fields.size() == 1 ? " field" : " fields") +
                      ", but the header (line " + std::to_string(header.line) + ") has " +
                      std::to_string(header.fields.size()));
    ManifestRow row;
    row.index = static_cast<int64_t>(rows.size());
    row.origin = where;
    for (size_t c : input_columns) {
      if (record.fields[c].empty()) fail(where, "column \"" + header.fields[c] + "\" is empty");
      row.inputs.push_back(resolve(folder, record.fields[c]));
    }
    if (output_column && !record.fields[*output_column].empty())
      row.output = resolve(folder, record.fields[*output_column]);
    for (size_t c = 0; c < header.fields.size(); ++c)
      if (!is_input_column(header.fields[c]) && (!output_column || c != *output_column))
        row.fields[header.fields[c]] = record.fields[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// JSON lines

std::string json_problem(const nlohmann::json::exception& e) {
  std::string text = e.what();
  const size_t bracket = text.find("] ");
  if (text.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) text.erase(0, bracket + 2);
  return text;
}

std::vector<ManifestRow> read_json_lines_manifest(const std::string& text, const std::string& path) {
  const fs::path folder = fs::path(path).parent_path();
  std::vector<ManifestRow> rows;
  std::istringstream lines(text);
  std::string line;
  int64_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (trim(line).empty() || trim(line) == "\r") continue;
    const std::string where = at_line(path, number);
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail(where, "not valid JSON: " + json_problem(e));
    }
    if (!object.is_object()) fail(where, "expected a JSON object such as {\"input\": \"scan.nii.gz\"}");
    ManifestRow row;
    row.index = static_cast<int64_t>(rows.size());
    row.origin = where;
    const auto input = object.find("input");
    if (input == object.end()) fail(where, "no \"input\" key");
    const auto add_input = [&](const nlohmann::json& value) {
      if (!value.is_string() || value.get<std::string>().empty())
        fail(where, "\"input\" must be a file name or a list of file names");
      row.inputs.push_back(resolve(folder, value.get<std::string>()));
    };
    if (input->is_array()) {
      if (input->empty()) fail(where, "\"input\" is an empty list");
      for (const auto& value : *input) add_input(value);
    } else {
      add_input(*input);
    }
    for (const auto& [key, value] : object.items()) {
      if (key == "input") continue;
      if (key == "output") {
        if (!value.is_string()) fail(where, "\"output\" must be a file name");
        if (!value.get<std::string>().empty()) row.output = resolve(folder, value.get<std::string>());
        continue;
      }
      if (value.is_string()) row.fields[key] = value.get<std::string>();
      else if (value.is_number() || value.is_boolean()) row.fields[key] = value.dump();
      else if (value.is_null()) row.fields[key] = "";
      else fail(where, "\"" + key + "\" must be a string or a number to be used in --output");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::vector<ManifestRow> read_manifest(const std::string& path) {
  const std::string text = read_text(path);
  const size_t first = text.find_first_not_of(" \t\r\n");
  std::vector<ManifestRow> rows = first != std::string::npos && text[first] == '{' ? read_json_lines_manifest(text, path)
                                                                                    : read_csv_manifest(text, path);
  if (rows.empty()) fail(path, "lists no samples");
  return rows;
}

std::vector<ManifestRow> rows_from_files(const std::vector<std::string>& files, const std::vector<std::string>& globs) {
  std::vector<std::string> all = files;
  for (const auto& pattern : globs) {
    glob_t found{};
    const int status = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found);
    std::vector<std::string> matches;
    if (status == 0)
      for (size_t k = 0; k < found.gl_pathc; ++k) matches.emplace_back(found.gl_pathv[k]);
    ::globfree(&found);
    if (status == GLOB_NOMATCH || (status == 0 && matches.empty()))
      throw Error(ErrorKind::usage, "--batch-glob '" + pattern + "': matches no file");
    if (status != 0) throw Error(ErrorKind::usage, "--batch-glob '" + pattern + "': cannot read the folders it names");
    std::sort(matches.begin(), matches.end());  // byte order: the same on every machine and locale
    all.insert(all.end(), matches.begin(), matches.end());
  }
  std::vector<ManifestRow> rows;
  for (const auto& file : all) {
    ManifestRow row;
    row.index = static_cast<int64_t>(rows.size());
    row.origin = file;
    row.inputs = {file};
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace voxconv::pipeline
