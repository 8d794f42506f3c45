// main() for the fuzz targets in ordinary builds: runs LLVMFuzzerTestOneInput once on every
// file named on the command line or found (recursively) in a folder named there, so the
// corpus (seeds and the inputs of every crash found so far) is a regression test in the
// Release and sanitizer builds. Folders that do not exist are skipped (../shared absent).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void run_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes, so ASan sees reads past the end of the input.
  std::vector<uint8_t> input(bytes.begin(), bytes.end());
  static const uint8_t kEmpty = 0;
  LLVMFuzzerTestOneInput(input.empty() ? &kEmpty : input.data(), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_regular_file(arg, ec)) {
      run_file(arg);
      ++count;
    } else if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        run_file(file);
        ++count;
      }
    } else {
      std::printf("skipped (absent): %s\n", argv[i]);
    }
  }
  std::printf("ran %d inputs\n", count);
  return 0;
}
