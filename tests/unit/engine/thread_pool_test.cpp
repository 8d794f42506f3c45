#include "engine/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace voxconv::engine {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(1000);
    pool.parallel_for(1000, [&](int64_t i) { hits[static_cast<size_t>(i)]++; });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    // The pool is reusable.
    std::atomic<int64_t> sum{0};
    pool.parallel_for(100, [&](int64_t i) { sum += i; });
    EXPECT_EQ(sum.load(), 4950);
  }
}

// Jobs of a few tiny tasks back to back: a worker still claiming from one job must never
// run an index of the next with the old task, nor miss or repeat one (each job's tasks
// write only its own counters, checked after it returns).
TEST(ThreadPool, BackToBackShortJobsRunEachIndexOnce) {
  for (int threads : {2, 3, 8}) {
    ThreadPool pool(threads);
    for (int job = 0; job < 3000; ++job) {
      const int64_t count = 1 + job % 7;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      pool.parallel_for(count, [&](int64_t i) { hits[static_cast<size_t>(i)]++; });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "job " << job << " with " << threads << " threads";
    }
  }
}

TEST(ThreadPool, RethrowsTheFirstTaskError) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(50, [](int64_t i) {
    if (i == 17) throw std::runtime_error("task failed");
  }),
               std::runtime_error);
  // Still usable afterwards.
  std::atomic<int> count{0};
  pool.parallel_for(10, [&](int64_t) { count++; });
  EXPECT_EQ(count.load(), 10);
}

}  // namespace
}  // namespace voxconv::engine
