#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run and the README call exactly this script):
#   1. dependencies (scripts/install-deps.sh)
#   2. Release build + every test                            (build/)
#   3. AddressSanitizer + UBSan build + every test again      (build-asan/, GCC; the SIMD kernels ASan only)
#   4. libFuzzer targets, VOXCONV_FUZZ_SECONDS (default 60) each (build-fuzz/, clang; tests/fuzz/README.md)
# Each stage prints its wall time. Any failure, test or sanitizer report stops the script
# with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_start=$SECONDS
stage() {
  echo "== test.sh: $1 done in $((SECONDS - stage_start)) s (total $SECONDS s)"
  stage_start=$SECONDS
}

bash scripts/install-deps.sh
stage "dependencies"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DVOXCONV_WERROR=ON
cmake --build build
ctest --test-dir build --output-on-failure -j "$(nproc)"
stage "Release build and tests"

# At -O1, the SIMD kernels at -O3 (their own flags) so that the property tests stay fast:
# with the sanitizers GCC took twice as long at -O3 (keras/model_graph.cpp: 39 s, 22 s at -O1),
# most of CI's time. The sanitizers abort at the first report.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DVOXCONV_WERROR=ON \
      -DVOXCONV_SANITIZE=address,undefined
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
stage "ASan+UBSan build and tests"

# clang builds only the fuzz targets (Debian's ITK headers accept GCC only).
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DVOXCONV_WERROR=ON -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DVOXCONV_SANITIZE=address,undefined -DVOXCONV_FUZZ=ON
cmake --build build-fuzz --target voxconv_fuzzers
VOXCONV_BIN=build/app/voxconv bash tests/fuzz/run_fuzzers.sh build-fuzz "${VOXCONV_FUZZ_SECONDS:-60}"
stage "fuzzing"
