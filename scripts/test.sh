#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run and the README call exactly this script):
#   1. dependencies (scripts/install-deps.sh)
#   2. Release build + every test                            (build/)
#   3. AddressSanitizer + UBSan build + every test again      (build-asan/, GCC)
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

# Optimised (-O3) so the suite stays fast; the sanitizers abort at the first report.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DVOXCONV_WERROR=ON -DVOXCONV_SANITIZE=address,undefined
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
stage "ASan+UBSan build and tests"
