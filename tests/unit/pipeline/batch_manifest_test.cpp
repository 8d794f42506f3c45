#include "pipeline/batch_manifest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "pipeline/output_template.hpp"
#include "test_folder.hpp"

namespace voxconv::pipeline {
namespace {

namespace fs = std::filesystem;

using Folder = voxconv::testing::TestFolder;

// The manifest is refused with ErrorKind::usage and a message that starts with `prefix`
// and contains `part`.
void expect_refused(const std::string& manifest, const std::string& prefix, const std::string& part) {
  try {
    read_manifest(manifest);
    ADD_FAILURE() << manifest << ": accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(CsvManifest, ColumnsQuotesAndPathsRelativeToTheManifest) {
  Folder dir;
  const std::string m = dir.write("m.csv",
                                  "\xEF\xBB\xBFsubject, input_t1 ,input_flair,output,site\r\n"
                                  "s01,t1.nii.gz,flair.nii.gz,,\"Oslo, NO\"\r\n"
                                  "\r\n"
                                  "\"s\"\"02\", /abs/t1.nii , sub/flair.nii,out/s02.nii.gz,x\n");
  const auto rows = read_manifest(m);
  ASSERT_EQ(rows.size(), 2u);
  const std::string base = dir.path.string() + "/";
  EXPECT_EQ(rows[0].index, 0);
  EXPECT_EQ(rows[0].origin, m + ":2");
  EXPECT_EQ(rows[0].inputs, (std::vector<std::string>{base + "t1.nii.gz", base + "flair.nii.gz"}));
  EXPECT_EQ(rows[0].output, "");
  EXPECT_EQ(rows[0].fields.at("subject"), "s01");
  EXPECT_EQ(rows[0].fields.at("site"), "Oslo, NO");
  EXPECT_EQ(rows[1].index, 1);
  EXPECT_EQ(rows[1].origin, m + ":4");  // the blank line counts
  EXPECT_EQ(rows[1].fields.at("subject"), "s\"02");
  EXPECT_EQ(rows[1].inputs, (std::vector<std::string>{"/abs/t1.nii", base + "sub/flair.nii"}));
  EXPECT_EQ(rows[1].output, base + "out/s02.nii.gz");
}

TEST(CsvManifest, AManifestInTheCurrentFolderKeepsPathsAsWritten) {
  Folder dir;
  dir.write("here.csv", "input\na.nii\n");
  const fs::path before = fs::current_path();
  fs::current_path(dir.path);
  const auto rows = read_manifest("here.csv");
  fs::current_path(before);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].inputs, std::vector<std::string>{"a.nii"});
}

TEST(CsvManifest, ErrorsNameTheFileAndLine) {
  Folder dir;
  expect_refused(dir.write("a.csv", "input,output\na.nii,b.nii\nc.nii,d.nii,e\n"), dir.path.string() + "/a.csv:3:",
                 "3 fields, but the header (line 1) has 2");
  expect_refused(dir.write("b.csv", "input\n\"a.nii\n\n"), dir.path.string() + "/b.csv:2:", "never closed");
  expect_refused(dir.write("c.csv", "file,output\na,b\n"), dir.path.string() + "/c.csv:1:", "no input column");
  expect_refused(dir.write("d.csv", "input,Input\na,b\n"), dir.path.string() + "/d.csv:1:", "twice");
  expect_refused(dir.write("e.csv", "input,output\n,b.nii\n"), dir.path.string() + "/e.csv:2:", "\"input\" is empty");
  expect_refused(dir.write("f.csv", "input\na\"b.nii\n"), dir.path.string() + "/f.csv:2:", "quote inside");
  expect_refused(dir.write("g.csv", "input\n\"a.nii\"x\n"), dir.path.string() + "/g.csv:2:", "after the closing quote");
  expect_refused(dir.write("h.csv", "input,output\n"), dir.path.string() + "/h.csv:", "no samples");
  expect_refused(dir.write("i.csv", ""), dir.path.string() + "/i.csv:", "empty");
  expect_refused(dir.write("j.csv", "input,,output\na,b,c\n"), dir.path.string() + "/j.csv:1:", "no name");
  expect_refused((dir.path / "missing.csv").string(), (dir.path / "missing.csv").string() + ":", "cannot read");
}

TEST(JsonLinesManifest, StringsListsOutputsAndFields) {
  Folder dir;
  const std::string m = dir.write("m.jsonl",
                                  "{\"input\": \"a.nii\", \"subject\": \"s1\", \"visit\": 2}\n"
                                  "\n"
                                  "{\"input\": [\"t1.nii\", \"/x/t2.nii\"], \"output\": \"o.nii\", \"ok\": true}\n");
  const auto rows = read_manifest(m);
  ASSERT_EQ(rows.size(), 2u);
  const std::string base = dir.path.string() + "/";
  EXPECT_EQ(rows[0].inputs, std::vector<std::string>{base + "a.nii"});
  EXPECT_EQ(rows[0].fields.at("subject"), "s1");
  EXPECT_EQ(rows[0].fields.at("visit"), "2");
  EXPECT_EQ(rows[1].origin, m + ":3");
  EXPECT_EQ(rows[1].inputs, (std::vector<std::string>{base + "t1.nii", "/x/t2.nii"}));
  EXPECT_EQ(rows[1].output, base + "o.nii");
  EXPECT_EQ(rows[1].fields.at("ok"), "true");
}

TEST(JsonLinesManifest, ErrorsNameTheFileAndLine) {
  Folder dir;
  const std::string p = dir.path.string() + "/";
  expect_refused(dir.write("a.jsonl", "{\"input\": \"a.nii\"}\n{\"input\": \"b.nii\"\n"), p + "a.jsonl:2:", "not valid JSON");
  expect_refused(dir.write("b.jsonl", "{\"input\": \"a.nii\"}\n{\"output\": \"b.nii\"}\n"), p + "b.jsonl:2:", "no \"input\"");
  expect_refused(dir.write("c.jsonl", "{\"input\": 3}\n"), p + "c.jsonl:1:", "file name");
  expect_refused(dir.write("d.jsonl", "{\"input\": []}\n"), p + "d.jsonl:1:", "empty list");
  expect_refused(dir.write("e.jsonl", "{\"input\": \"a\", \"meta\": {\"x\": 1}}\n"), p + "e.jsonl:1:", "\"meta\"");
  expect_refused(dir.write("f.jsonl", "{\"input\": \"a\"}\n[1, 2]\n"), p + "f.jsonl:2:", "JSON object");
  expect_refused(dir.write("g.jsonl", "{\"input\": \"a\", \"output\": 7}\n"), p + "g.jsonl:1:", "\"output\"");
}

TEST(FileList, FilesThenEachGlobSortedByName) {
  Folder dir;
  for (const char* name : {"b.nii", "a.nii", "c.nrrd", "B.nii"}) dir.write(name, "x");
  const auto rows = rows_from_files({"z.nii", "y.nii"}, {dir.path.string() + "/*.nii"});
  std::vector<std::string> inputs;
  for (const auto& r : rows) {
    ASSERT_EQ(r.inputs.size(), 1u);
    inputs.push_back(fs::path(r.inputs[0]).filename().string());
    EXPECT_EQ(r.index, static_cast<int64_t>(inputs.size()) - 1);
    EXPECT_EQ(r.origin, r.inputs[0]);
  }
  EXPECT_EQ(inputs, (std::vector<std::string>{"z.nii", "y.nii", "B.nii", "a.nii", "b.nii"}));
  try {
    rows_from_files({}, {dir.path.string() + "/*.mha"});
    ADD_FAILURE() << "a glob without matches was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(std::string(e.what()).find("matches no file"), std::string::npos) << e.what();
  }
}

ManifestRow row(std::vector<std::string> inputs, std::map<std::string, std::string> fields = {}, int64_t index = 0) {
  ManifestRow r;
  r.index = index;
  r.origin = "m.csv:" + std::to_string(index + 2);
  r.inputs = std::move(inputs);
  r.fields = std::move(fields);
  return r;
}

TEST(OutputTemplate, FillsStemNameDirIndexAndColumns) {
  const ManifestRow r = row({"scans/sub-01/t1w.nii.gz", "x.nii"}, {{"subject", "sub-01"}}, 7);
  EXPECT_EQ(expand_output_template("out/{stem}_features.nii.gz", r), "out/t1w_features.nii.gz");
  EXPECT_EQ(expand_output_template("{dir}/{name}.npy", r), "scans/sub-01/t1w.nii.gz.npy");
  EXPECT_EQ(expand_output_template("o/{subject}_{index}.nrrd", r), "o/sub-01_7.nrrd");
  EXPECT_EQ(expand_output_template("o/{{x}}_{stem}.mha", r), "o/{x}_t1w.mha");
  EXPECT_EQ(expand_output_template("{dir}/f.nii", row({"a.nrrd"})), "./f.nii");
  EXPECT_EQ(expand_output_template("{stem}.nii", row({"a.b.nrrd"})), "a.b.nii");
  EXPECT_TRUE(has_placeholders("out/{stem}.nii"));
  EXPECT_FALSE(has_placeholders("out/{{stem}}.nii"));
}

TEST(OutputTemplate, RefusesUnknownNamesAndUnbalancedBraces) {
  try {
    expand_output_template("out/{subjet}.nii", row({"a.nii"}, {{"subject", "s"}}));
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(std::string(e.what()),
              "--output 'out/{subjet}.nii': m.csv:2 has no \"subjet\" (known: stem, name, dir, index, subject)");
  }
  EXPECT_THROW(check_output_template("out/{stem.nii"), Error);
  EXPECT_THROW(check_output_template("out/stem}.nii"), Error);
  EXPECT_THROW(check_output_template("out/{}.nii"), Error);
  EXPECT_NO_THROW(check_output_template("out/{stem}_{{}}.nii"));
}

}  // namespace
}  // namespace voxconv::pipeline
