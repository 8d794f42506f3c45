// Soak: 500 runs of the whole `voxconv run` flow in one process (config, HDF5 weights in the
// child process, input, fast and reference engines, atomic output in several formats), every
// fifth one on a malformed file that must fail cleanly. Memory must not grow after warm-up:
// heap bytes in use and resident size are compared between run 100 and run 500. In the ASan
// build LeakSanitizer checks at exit that nothing leaked, error paths included.
#include <gtest/gtest.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pipeline/apply_layer.hpp"
#include "test_paths.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which GCC does not install.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
// A small quarantine, so that freed memory ASan keeps back for use-after-free checks does
// not read as growth (the default holds up to 256 MB).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=4"; }
#endif

namespace voxconv {
namespace {

namespace fs = std::filesystem;

uint64_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

uint64_t resident_bytes() {
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST(Soak, FiveHundredRunsNeitherLeakNorGrow) {
  spdlog::set_level(spdlog::level::err);
  const fs::path src = testing::source_dir();
  const std::string config = (src / "configs/brainchop_model5ae_layer21.json").string();
  const std::string weights = (src / "data/model5ae.h5").string();
  const std::string input = (src / "tests/bad_inputs/good_input.npy").string();
  // Malformed files from the bad-input suite, one per reader, in the role they play.
  struct Bad {
    std::string config, weights, input;
  };
  const std::string bad = (src / "tests/bad_inputs").string();
  const std::vector<Bad> bad_runs = {
      {bad + "/configs/unknown_key.json", weights, input},
      {config, (src / "tests/data/weights/bad_nan.h5").string(), input},
      {config, bad + "/weights/text.h5", input},
      {config, weights, bad + "/arrays/data_truncated.npy"},
      {config, weights, bad + "/volumes/gzip_corrupt.nii.gz"},
      {config, weights, bad + "/volumes/nrrd_truncated.nrrd"},
  };
  const std::vector<std::string> outputs = {"out.npy", "out.nii.gz", "out.nrrd", "out.mha"};
  const fs::path dir = fs::temp_directory_path() / ("voxconv-soak-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  constexpr int kRuns = 500, kWarmUp = 100;
  uint64_t heap_after_warm_up = 0, rss_after_warm_up = 0;
  int failures = 0;
  for (int i = 0; i < kRuns; ++i) {
    pipeline::RunOptions options;
    options.force = true;
    options.threads = 2;
    options.reference_engine = i % 3 == 0;
    if (i % 5 == 4) {
      const Bad& b = bad_runs[static_cast<size_t>(i / 5) % bad_runs.size()];
      options.config_path = b.config;
      options.weights_path = b.weights;
      options.inputs = {b.input};
      options.output = (dir / "bad.npy").string();
      EXPECT_THROW(pipeline::run_layer(options), Error) << "run " << i;
      ++failures;
    } else {
      options.config_path = config;
      options.weights_path = weights;
      options.inputs = {input};
      options.output = (dir / outputs[static_cast<size_t>(i) % outputs.size()]).string();
      const pipeline::RunResult result = pipeline::run_layer(options);
      ASSERT_EQ(result.output_shape, (Dims{1, 5, 6, 6, 6})) << "run " << i;
    }
    if (i + 1 == kWarmUp) {
      heap_after_warm_up = heap_in_use();
      rss_after_warm_up = resident_bytes();
    }
  }
  const uint64_t heap_end = heap_in_use(), rss_end = resident_bytes();
  std::error_code ec;
  fs::remove_all(dir, ec);

  EXPECT_EQ(failures, kRuns / 5);
  const auto growth = [](uint64_t before, uint64_t after) { return after > before ? after - before : 0; };
  std::printf("heap in use: %llu -> %llu bytes; resident: %llu -> %llu bytes\n",
              static_cast<unsigned long long>(heap_after_warm_up), static_cast<unsigned long long>(heap_end),
              static_cast<unsigned long long>(rss_after_warm_up), static_cast<unsigned long long>(rss_end));
  // 400 runs after warm-up: 256 KB of heap is less than 700 bytes a run.
  EXPECT_LT(growth(heap_after_warm_up, heap_end), uint64_t{256} << 10);
  EXPECT_LT(growth(rss_after_warm_up, rss_end), uint64_t{8} << 20);
}

}  // namespace
}  // namespace voxconv
