// `voxconv run` over batches: outputs equal to one run per sample (and to an independent
// golden), failed samples reported and skipped, --fail-fast, resuming after SIGKILL
// without rewriting finished outputs, manifest errors, and shards that partition the
// manifest exactly.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/process.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Layer "21" of the bundled brainchop model: channels_first, 1 -> 5 channels, 3x3x3 valid.
const std::string kConfig = (source_dir() / "configs/brainchop_model5ae_layer21.json").string();
const std::string kWeights = (source_dir() / "data/model5ae.h5").string();

// The tests decide the shard themselves: a CI job inside a Slurm array must not change them.
const std::vector<std::string> kNoShardEnv = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
                                              "SLURM_ARRAY_TASK_STEP", "JOB_COMPLETION_INDEX", "VOXCONV_SHARD_COUNT"};

std::vector<std::string> with_layer(std::vector<std::string> args) {
  std::vector<std::string> all{"run", "--config", kConfig, "--weights", kWeights};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

ProcessResult voxconv(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> all_env = kNoShardEnv;
  all_env.insert(all_env.end(), env.begin(), env.end());
  return run_process(voxconv_binary(), args, "", all_env);
}

// A scalar NIfTI volume of z*y*x voxels with values that differ per seed.
std::string write_scan(const std::string& path, int64_t z, int64_t y, int64_t x, unsigned seed) {
  Tensor t({1, z, y, x, 1});
  for (int64_t i = 0; i < t.size(); ++i)
    t.data()[i] = static_cast<float>((i * 7919 + seed * 104729) % 1000) * 0.01f - 5.0f;
  Geometry g;
  g.spacing = {1.0, 1.5, 2.0};
  g.origin = {static_cast<double>(seed), -3.0, 4.5};
  fs::create_directories(fs::path(path).parent_path());
  volume::write_volume(path, t, g, false);
  return path;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

json read_json(const std::string& path) { return json::parse(std::ifstream(path)); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Names in a folder, hidden ones included.
std::set<std::string> names_in(const std::string& folder) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) names.insert(e.path().filename().string());
  return names;
}

struct FileId {
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileId& o) const { return inode == o.inode && mtime_ns == o.mtime_ns; }
};

FileId file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

TEST(Batch, OutputsEqualOneRunPerSample) {
  TempDir dir;
  const std::vector<std::string> subjects = {"s01", "s02", "s03"};
  std::string manifest = "subject,input\n";
  for (size_t i = 0; i < subjects.size(); ++i) {
    write_scan(dir / ("scans/" + subjects[i] + "/t1.nii"), 6 + static_cast<int64_t>(i), 7, 8, static_cast<unsigned>(i));
    manifest += subjects[i] + ",scans/" + subjects[i] + "/t1.nii\n";
  }
  write_text(dir / "cohort.csv", manifest);
  const std::string pattern = dir / "out/{subject}_{stem}.nii.gz";
  const ProcessResult r = voxconv(with_layer({"--manifest", dir / "cohort.csv", "--output", pattern, "--threads", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "batch: 3 samples: 3 written, 0 skipped")) << r.out;
  // Not a terminal: one plain line per sample.
  EXPECT_TRUE(contains(r.err, "[1/3] ok " + dir.path() + "/cohort.csv:2 -> " + dir.path() + "/out/s01_t1.nii.gz")) << r.err;
  EXPECT_TRUE(contains(r.err, "[3/3] ok")) << r.err;

  for (const auto& subject : subjects) {
    const std::string single = dir / ("single_" + subject + ".nii.gz");
    const ProcessResult one = voxconv(with_layer({"--input", dir / ("scans/" + subject + "/t1.nii"), "--output", single,
                                                  "--threads", "1"}));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const ProcessResult same = voxconv({"compare", single, dir / ("out/" + subject + "_t1.nii.gz"), "--atol", "0",
                                        "--rtol", "0", "--geometry-tol", "0"});
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  }
  EXPECT_EQ(names_in(dir / "out"), (std::set<std::string>{"s01_t1.nii.gz", "s02_t1.nii.gz", "s03_t1.nii.gz"}));
}

TEST(Batch, MatchesAnIndependentGoldenThroughCompare) {
  // tests/golden/cases/k5_same: float64 NumPy, cross-checked with PyTorch.
  const fs::path golden = source_dir() / "tests/golden/cases/k5_same";
  const json spec = json::parse(std::ifstream(golden / "case.json"));
  TempDir dir;
  const std::string input = (golden / "input.npy").string();
  write_text(dir / "m.jsonl", "{\"input\": \"" + input + "\", \"run\": \"a\"}\n{\"input\": [\"" + input +
                                  "\"], \"run\": \"b\"}\n");
  const ProcessResult r = voxconv({"run", "--config", (golden / "config.json").string(), "--weights",
                                   (golden / "weights.h5").string(), "--manifest", dir / "m.jsonl", "--output",
                                   dir / "{run}_{index}.npy"},
                                  {"KERAS_HOME=" + dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* out : {"a_0.npy", "b_1.npy"}) {
    std::ostringstream rtol, atol;
    rtol.precision(17);
    atol.precision(17);
    rtol << spec["rtol"].get<double>();
    atol << spec["atol"].get<double>();
    const ProcessResult c =
        voxconv({"compare", (golden / "expected.npy").string(), dir / out, "--rtol", rtol.str(), "--atol", atol.str()});
    EXPECT_EQ(c.exit_code, 0) << out << ": " << c.out << c.err;
  }
}

// Rows 1-3 fail three ways; rows 0 and 4 succeed.
std::string failing_manifest(const TempDir& dir) {
  write_scan(dir / "scans/a.nii", 6, 6, 6, 1);
  write_scan(dir / "scans/e.nii", 6, 6, 6, 5);
  write_text(dir / "scans/garbage.nii", "this is not a NIfTI file");
  const std::string a = dir / "scans/a.nii", e = dir / "scans/e.nii";
  write_text(dir / "m.jsonl", "{\"input\": \"" + a + "\", \"id\": \"0\"}\n" +
                                  "{\"input\": \"" + dir / "scans/garbage.nii" + "\", \"id\": \"1\"}\n" +
                                  "{\"input\": [\"" + a + "\", \"" + e + "\"], \"id\": \"2\"}\n" +  // 2 channels
                                  "{\"input\": \"" + dir / "scans/missing.nii" + "\", \"id\": \"3\"}\n" +
                                  "{\"input\": \"" + e + "\", \"id\": \"4\"}\n");
  return dir / "m.jsonl";
}

TEST(Batch, FailedSamplesAreReportedAndTheOthersWritten) {
  TempDir dir;
  const std::string manifest = failing_manifest(dir);
  const ProcessResult r = voxconv(with_layer({"--manifest", manifest, "--output", dir / "out/f{id}.nii", "--report",
                                              dir / "report.json"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.out, "5 samples: 2 written, 0 skipped (outputs exist), 3 failed, 0 not run")) << r.out;
  EXPECT_TRUE(contains(r.err, "[2/5] FAILED " + manifest + ":2: " + dir.path() + "/scans/garbage.nii: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "[4/5] FAILED " + manifest + ":4: " + dir.path() + "/scans/missing.nii")) << r.err;
  EXPECT_EQ(names_in(dir / "out"), (std::set<std::string>{"f0.nii", "f4.nii"}));  // no partial files left

  const json report = read_json(dir / "report.json");
  EXPECT_TRUE(report["complete"].get<bool>());
  ASSERT_EQ(report["samples"].size(), 5u);
  const std::vector<std::string> statuses = {"ok", "failed", "failed", "failed", "ok"};
  for (size_t i = 0; i < 5; ++i) {
    const json& s = report["samples"][i];
    EXPECT_EQ(s["index"], i);
    EXPECT_EQ(s["status"], statuses[i]) << s.dump();
    EXPECT_EQ(s["output"], dir / ("out/f" + std::to_string(i) + ".nii"));
    EXPECT_EQ(s["source"], manifest + ":" + std::to_string(i + 1));
  }
  EXPECT_TRUE(contains(report["samples"][1]["error"].get<std::string>(), "garbage.nii"));
  EXPECT_TRUE(contains(report["samples"][2]["error"].get<std::string>(), "2 input channels"));
  EXPECT_TRUE(contains(report["samples"][3]["error"].get<std::string>(), "missing.nii"));
  EXPECT_EQ(report["samples"][0]["input_shape"], json({1, 1, 6, 6, 6}));
  EXPECT_EQ(report["samples"][0]["output_shape"], json({1, 5, 4, 4, 4}));
  EXPECT_EQ(report["samples"][4]["inputs"], json({dir / "scans/e.nii"}));
  EXPECT_GT(report["samples"][4]["seconds"]["write"].get<double>(), 0.0);
  EXPECT_EQ(report["summary"]["failed"], 3);
  EXPECT_EQ(report["summary"]["ok"], 2);
}

TEST(Batch, FailFastStopsAtTheFirstFailure) {
  TempDir dir;
  const std::string manifest = failing_manifest(dir);
  const ProcessResult r = voxconv(with_layer({"--manifest", manifest, "--output", dir / "out/f{id}.nii", "--report",
                                              dir / "report.json", "--fail-fast"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.out, "1 written, 0 skipped (outputs exist), 1 failed, 3 not run")) << r.out;
  EXPECT_EQ(names_in(dir / "out"), std::set<std::string>{"f0.nii"});
  const json report = read_json(dir / "report.json");
  const std::vector<std::string> statuses = {"ok", "failed", "not_run", "not_run", "not_run"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(report["samples"][i]["status"], statuses[i]);
  EXPECT_EQ(voxconv(with_layer({"--manifest", manifest, "--output", dir / "o/{id}.nii", "--fail-fast", "--keep-going"}))
                .exit_code,
            2);
}

TEST(Batch, ReRunsSkipFinishedOutputsUnlessForced) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) write_scan(dir / ("scans/s" + std::to_string(i) + ".nii"), 5, 6, 7, static_cast<unsigned>(i));
  const std::vector<std::string> args =
      with_layer({"--batch-glob", dir / "scans/s*.nii", "--output", dir / "out/{stem}.mha"});
  ASSERT_EQ(voxconv(args).exit_code, 0);
  std::map<std::string, FileId> ids;
  for (const auto& name : names_in(dir / "out")) ids[name] = file_id(dir / ("out/" + name));
  ASSERT_EQ(ids.size(), 3u);

  ProcessResult r = voxconv(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "0 written, 3 skipped")) << r.out;
  EXPECT_TRUE(contains(r.err, "skipped " + dir.path() + "/scans/s1.nii")) << r.err;
  for (const auto& [name, id] : ids) EXPECT_TRUE(file_id(dir / ("out/" + name)) == id) << name << " was rewritten";

  fs::remove(dir / "out/s1.mha");
  r = voxconv(args);
  EXPECT_TRUE(contains(r.out, "1 written, 2 skipped")) << r.out;
  EXPECT_TRUE(file_id(dir / "out/s0.mha") == ids["s0.mha"]);

  std::vector<std::string> forced = args;
  forced.push_back("--force");
  r = voxconv(forced);
  EXPECT_TRUE(contains(r.out, "3 written, 0 skipped")) << r.out;
  EXPECT_FALSE(file_id(dir / "out/s0.mha") == ids["s0.mha"]);  // replaced by a new file
}

TEST(Batch, AnIncompleteSetOfSplitChannelFilesIsComputedAgain) {
  TempDir dir;
  for (int i = 0; i < 2; ++i) write_scan(dir / ("scans/s" + std::to_string(i) + ".nii"), 5, 6, 7, static_cast<unsigned>(i));
  const std::vector<std::string> args = with_layer(
      {"--batch-glob", dir / "scans/*.nii", "--output", dir / "out/{stem}.mhd", "--split-channels"});
  ASSERT_EQ(voxconv(args).exit_code, 0);
  EXPECT_EQ(names_in(dir / "out").size(), 2u * 5 * 2);  // 5 filters, .mhd + .raw each
  const FileId kept = file_id(dir / "out/s0_002.mhd");
  const FileId redone = file_id(dir / "out/s1_002.mhd");
  fs::remove(dir / "out/s1_004.mhd");  // as if the commit of s1 had been interrupted
  const ProcessResult r = voxconv(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "1 written, 1 skipped")) << r.out;
  EXPECT_EQ(names_in(dir / "out").size(), 2u * 5 * 2);
  EXPECT_TRUE(file_id(dir / "out/s0_002.mhd") == kept);
  EXPECT_FALSE(file_id(dir / "out/s1_002.mhd") == redone);
  EXPECT_EQ(volume::read_volume(dir / "out/s1_004.mhd").data.dims(), (Dims{1, 3, 4, 5, 1}));
}

TEST(Batch, ResumesAfterSigkillWithoutRewritingFinishedOutputs) {
  TempDir dir;
  constexpr int kSamples = 16;
  std::string manifest = "input\n";
  for (int i = 0; i < kSamples; ++i) {
    const std::string name = "scans/s" + std::to_string(100 + i) + ".nii";
    write_scan(dir / name, 40, 40, 40, static_cast<unsigned>(i));
    manifest += name + "\n";
  }
  write_text(dir / "m.csv", manifest);
  // Slow enough to be killed in the middle: one thread, gzip at level 9.
  const std::vector<std::string> args = with_layer({"--manifest", dir / "m.csv", "--output", dir / "out/{stem}.nii.gz",
                                                    "--threads", "1", "--compression-level", "9"});
  std::vector<std::string> env = kNoShardEnv;
  std::map<std::string, FileId> finished;
  {
    RunningProcess batch(voxconv_binary(), args, ProcessOptions{"", env});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto outputs = [&] {
      std::set<std::string> found;
      for (const auto& name : names_in(dir / "out"))
        if (name[0] != '.') found.insert(name);
      return found;
    };
    while (outputs().size() < 3 && batch.running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const ProcessResult killed = batch.kill_and_wait(SIGKILL);
    ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "the batch ended before it could be killed: " << killed.err;
    for (const auto& name : outputs()) finished[name] = file_id(dir / ("out/" + name));
  }
  ASSERT_GE(finished.size(), 3u);
  ASSERT_LT(finished.size(), static_cast<size_t>(kSamples)) << "the batch finished before it was killed";

  const ProcessResult resumed = voxconv(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.out, std::to_string(kSamples - finished.size()) + " written, " +
                                        std::to_string(finished.size()) + " skipped"))
      << resumed.out;
  // Every output once, nothing half-written left (the killed run's staging folder is gone).
  std::set<std::string> expected;
  for (int i = 0; i < kSamples; ++i) expected.insert("s" + std::to_string(100 + i) + ".nii.gz");
  EXPECT_EQ(names_in(dir / "out"), expected);
  for (const auto& [name, id] : finished) EXPECT_TRUE(file_id(dir / ("out/" + name)) == id) << name << " was rewritten";

  // Complete and correct: the same bytes as an uninterrupted batch.
  ASSERT_EQ(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", dir / "again/{stem}.nii.gz"})).exit_code, 0);
  for (const auto& name : expected) {
    const volume::Volume got = volume::read_volume(dir / ("out/" + name));
    const volume::Volume want = volume::read_volume(dir / ("again/" + name));
    EXPECT_EQ(got.data.dims(), (Dims{1, 38, 38, 38, 5})) << name;
    EXPECT_TRUE(got.data.values() == want.data.values()) << name;
  }
}

// Exit 2, one line on stderr naming `mention`, nothing written.
void expect_refused(const ProcessResult& r, const std::string& mention, const TempDir& dir) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, mention)) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Batch, ManifestErrorsNameTheFileAndLine) {
  TempDir dir;
  write_scan(dir / "a.nii", 5, 5, 5, 1);
  const std::string out = dir / "out/{stem}_{index}.nii";
  write_text(dir / "bad.csv", "input,output\na.nii,x.nii\na.nii,y.nii,z\n");
  expect_refused(voxconv(with_layer({"--manifest", dir / "bad.csv", "--output", out})),
                 dir / "bad.csv:3: 3 fields, but the header (line 1) has 2", dir);
  write_text(dir / "bad.jsonl", "{\"input\": \"a.nii\"}\n{\"input\": \"a.nii\",}\n");
  expect_refused(voxconv(with_layer({"--manifest", dir / "bad.jsonl", "--output", out})),
                 dir / "bad.jsonl:2: not valid JSON", dir);
  write_text(dir / "m.csv", "input,site\na.nii,x\na.nii,y\n");
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", dir / "out/{subject}.nii"})),
                 dir / "m.csv:2 has no \"subject\" (known: stem, name, dir, index, site)", dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", dir / "out/{stem}.nii"})),
                 dir / "m.csv:3 and " + dir / "m.csv:2 both write", dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", dir / "out/{stem.nii"})), "'{' without", dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "none.csv", "--output", out})), dir / "none.csv: cannot read", dir);
  expect_refused(voxconv(with_layer({"--batch-glob", dir / "*.nrrd", "--output", out})), "matches no file", dir);
  // Flags that do not fit together.
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--input", dir / "a.nii", "--output", out})),
                 "--input stacks the channels of one sample", dir);
  expect_refused(voxconv(with_layer({"--input", dir / "a.nii", "--output", dir / "out/a.nii", "--report", dir / "r.json"})),
                 "are for batches", dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", out, "--compression-level", "12"})),
                 "--compression-level = 12", dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", out, "--shard", "2/2"})), "--shard = '2/2'",
                 dir);
  expect_refused(voxconv(with_layer({"--manifest", dir / "m.csv", "--output", out, "--report", dir / "no/r.json"})),
                 "does not exist", dir);
  expect_refused(voxconv(with_layer({"--output", out})), "give --input FILE", dir);
}

// The sample indices a dry run lists.
std::vector<int> listed(const ProcessResult& r) {
  std::vector<int> indices;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) indices.push_back(std::stoi(line.substr(0, line.find('\t'))));
  return indices;
}

TEST(Batch, ShardsPartitionTheManifestExactly) {
  TempDir dir;
  constexpr int kRows = 11;
  std::string manifest = "input,output\n";
  for (int i = 0; i < kRows; ++i) manifest += "in" + std::to_string(i) + ".nii,out" + std::to_string(i) + ".nii\n";
  write_text(dir / "m.csv", manifest);
  const std::vector<std::string> base = with_layer({"--manifest", dir / "m.csv", "--dry-run"});
  for (int n : {1, 2, 3, 4, 5, 11, 12}) {
    std::vector<int> seen(kRows, 0);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> args = base;
      args.insert(args.end(), {"--shard", std::to_string(i) + "/" + std::to_string(n)});
      const ProcessResult flag = voxconv(args);
      ASSERT_EQ(flag.exit_code, 0) << flag.err;
      for (int index : listed(flag)) ++seen.at(static_cast<size_t>(index));
      // The same slice from a Slurm array (--array=1-N) and from a Kubernetes indexed Job.
      const ProcessResult slurm = voxconv(base, {"SLURM_ARRAY_TASK_ID=" + std::to_string(i + 1), "SLURM_ARRAY_TASK_MIN=1",
                                                 "SLURM_ARRAY_TASK_COUNT=" + std::to_string(n)});
      EXPECT_EQ(slurm.exit_code, 0) << slurm.err;
      EXPECT_EQ(slurm.out, flag.out) << "shard " << i << "/" << n;
      const ProcessResult job = voxconv(base, {"JOB_COMPLETION_INDEX=" + std::to_string(i), "VOXCONV_SHARD_COUNT=" + std::to_string(n)});
      EXPECT_EQ(job.exit_code, 0) << job.err;
      EXPECT_EQ(job.out, flag.out) << "shard " << i << "/" << n;
    }
    for (int row = 0; row < kRows; ++row) EXPECT_EQ(seen[static_cast<size_t>(row)], 1) << "row " << row << " with N = " << n;
  }
  const ProcessResult all = voxconv(base);
  EXPECT_EQ(listed(all).size(), static_cast<size_t>(kRows));
  EXPECT_TRUE(contains(all.out, "0\ttodo\t" + dir.path() + "/out0.nii\t" + dir.path() + "/in0.nii\n")) << all.out;
}

TEST(Batch, ShardedRunsTogetherWriteEverySampleOnce) {
  TempDir dir;
  for (int i = 0; i < 5; ++i) write_scan(dir / ("scans/s" + std::to_string(i) + ".nii"), 5, 5, 5, static_cast<unsigned>(i));
  const std::vector<std::string> args = with_layer({"--batch-glob", dir / "scans/*.nii", "--output", dir / "out/{stem}.nii"});
  const ProcessResult first = voxconv(args, {"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "batch: 3 samples: 3 written")) << first.out;
  EXPECT_TRUE(contains(first.err, "shard 0/2 of 5, from SLURM_ARRAY_TASK_ID=0")) << first.err;
  EXPECT_EQ(names_in(dir / "out"), (std::set<std::string>{"s0.nii", "s2.nii", "s4.nii"}));
  const ProcessResult second = voxconv(args, {"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=2"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "batch: 2 samples: 2 written")) << second.out;
  EXPECT_EQ(names_in(dir / "out").size(), 5u);
}

}  // namespace
}  // namespace voxconv::testing
