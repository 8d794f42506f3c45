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

// Affine jobs, alternating with plain ones of every size: each index once.
TEST(ThreadPool, AffineJobsRunEachIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int job = 0; job < 2000; ++job) {
      const int64_t count = job % 11 == 10 ? 1000 : job % 11;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      const auto task = [&](int64_t i) { hits[static_cast<size_t>(i)]++; };
      if (job % 3 == 2) pool.parallel_for(count, task);
      else pool.parallel_for_affine(count, task);
      for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "job " << job << " with " << threads << " threads";
    }
  }
}

// Thread k starts on the k-th contiguous part of the indices: each thread's first task
// waits until every thread has one, so no thread can finish its part and take another's
// first index. (A shared counter would give the first tasks 0, 1, 2, 3.)
TEST(ThreadPool, AffineJobsStartEachThreadOnItsOwnPart) {
  constexpr int kThreads = 4;
  constexpr int64_t kCount = 40;
  ThreadPool pool(kThreads);
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> started{0};
    std::vector<std::atomic<int64_t>> first_by_part(kThreads);
    for (auto& f : first_by_part) f = -1;
    pool.parallel_for_affine(kCount, [&](int64_t i) {
      thread_local int last_round = -1;
      thread_local const void* last_pool = nullptr;
      if (last_round == round && last_pool == &started) return;  // not this thread's first task
      last_round = round, last_pool = &started;
      first_by_part[static_cast<size_t>(i * kThreads / kCount)] = i;
      started++;
      while (started.load() < kThreads) std::this_thread::yield();
    });
    for (int k = 0; k < kThreads; ++k)
      EXPECT_EQ(first_by_part[static_cast<size_t>(k)].load(), kCount * k / kThreads) << "round " << round;
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
  EXPECT_THROW(pool.parallel_for_affine(50, [](int64_t i) {
    if (i == 3 || i == 40) throw std::runtime_error("task failed");
  }),
               std::runtime_error);
  pool.parallel_for_affine(10, [&](int64_t) { count++; });
  EXPECT_EQ(count.load(), 20);
}

}  // namespace
}  // namespace voxconv::engine
