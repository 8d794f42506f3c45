# Sanitizer and fuzzing builds, for every target of the project (third-party libraries
# stay uninstrumented: ITK, HDF5 and zlib come from Debian).
#   -DVOXCONV_SANITIZE=address,undefined   AddressSanitizer (with LeakSanitizer) + UBSan
#   -DVOXCONV_FUZZ=ON                      libFuzzer targets in tests/fuzz (clang only)
# Undefined behaviour aborts at the first report (-fno-sanitize-recover), as ASan does,
# so a test with a report fails instead of printing and passing.
set(VOXCONV_SANITIZE "" CACHE STRING "Comma-separated sanitizers for every target, e.g. address,undefined")
option(VOXCONV_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

if(VOXCONV_SANITIZE)
  set(_voxconv_sanitizers ${VOXCONV_SANITIZE})
  # GCC leaves float->int conversion overflow out of "undefined" (clang includes it).
  if(_voxconv_sanitizers MATCHES "undefined" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    string(APPEND _voxconv_sanitizers ",float-cast-overflow")
  endif()
  add_compile_options(-fsanitize=${_voxconv_sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # GCC 12 with ASan reports -Wmaybe-uninitialized inside libstdc++'s <regex> (GCC bug
  # 105562, a false positive); the Release build keeps the warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=${_voxconv_sanitizers})
  # Line tables only: readable stack traces without the link time of full debug info.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_compile_options(-gline-tables-only)
  else()
    add_compile_options(-g1)
  endif()
  message(STATUS "voxconv: sanitizers ${_voxconv_sanitizers}")
  # Every test (and the voxconv processes the e2e tests start) runs with these options:
  # leaks inside third-party libraries that voxconv cannot fix are listed, with reasons,
  # in the suppressions file; UBSan prints where it stopped.
  set(VOXCONV_SANITIZER_TEST_ENV
      "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()

if(VOXCONV_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "VOXCONV_FUZZ needs clang (libFuzzer): configure with -DCMAKE_C_COMPILER=clang "
                        "-DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage feedback in every library the fuzz targets reach; only the targets link
  # libFuzzer's main (-fsanitize=fuzzer in tests/fuzz).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
