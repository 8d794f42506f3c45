#include "core/child_process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <new>

namespace voxconv {
namespace {

TEST(ChildProcess, RunsInAnotherProcess) {
  const std::string child_pid = call_in_child([] { return std::to_string(::getpid()); }, "f", ErrorKind::weights, "x", 0);
  EXPECT_NE(child_pid, std::to_string(::getpid()));
  const std::string big(1 << 20, 'x');  // more than a pipe buffer
  EXPECT_EQ(call_in_child([&] { return big; }, "f", ErrorKind::weights, "x", 0), big);
}

TEST(ChildProcess, AnErrorCrossesWithItsKindAndMessage) {
  try {
    call_in_child([]() -> std::string { throw Error(ErrorKind::shape, "a.h5: kernel has rank 4"); }, "a.h5",
                  ErrorKind::weights, "failed", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::shape);
    EXPECT_STREQ(e.what(), "a.h5: kernel has rank 4");
  }
}

TEST(ChildProcess, ACrashBecomesAnErrorNamingTheFileAndTheSignal) {
  try {
    // SIGKILL: a sanitizer build turns SIGSEGV into a report and exit status 1.
    call_in_child([]() -> std::string { std::raise(SIGKILL); return ""; }, "bad.h5", ErrorKind::weights,
                  "the library crashed", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::weights);
    EXPECT_STREQ(e.what(), "bad.h5: the library crashed: signal 9 (SIGKILL)");
  }
}

TEST(ChildProcess, OutOfMemoryInTheChildIsAResourceError) {
  try {
    call_in_child([]() -> std::string { throw std::bad_alloc(); }, "big.h5", ErrorKind::weights, "crashed", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource);
    EXPECT_STREQ(e.what(), "big.h5: not enough memory to read it");
  }
}

TEST(ChildProcess, AChildThatHangsIsKilledAtTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  try {
    call_in_child([]() -> std::string { for (;;) ::pause(); }, "hang.h5", ErrorKind::weights, "no answer", 0.3);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "hang.h5: no answer: no answer after 0.3 s");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace voxconv
