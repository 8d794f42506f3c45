#pragma once
// A fixed set of worker threads that run index-addressed tasks. The pool only decides
// which thread runs which task: callers make each task own its outputs, which keeps
// results identical for any thread count.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace voxconv::engine {

class ThreadPool {
 public:
  // threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const noexcept { return static_cast<int>(workers_.size()) + 1; }

  // Runs task(i) for i in [0, count) on the pool (the calling thread helps) and waits.
  // The first exception thrown by a task is rethrown here after all tasks stop.
  void parallel_for(int64_t count, const std::function<void(int64_t)>& task);

 private:
  void worker_loop();
  void drain();
  void run_index(const std::function<void(int64_t)>& task, int64_t index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // The current job: task_ and count_ change under mutex_ only while no thread is in
  // drain() (active_ == 0); tasks are claimed from next_ without the lock.
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};  // threads inside drain() for the current job
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;  // under mutex_
};

}  // namespace voxconv::engine
