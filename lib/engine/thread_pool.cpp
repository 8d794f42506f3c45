#include "engine/thread_pool.hpp"

namespace voxconv::engine {

namespace {

// Engines call parallel_for in quick succession (a layer, then its activation; a model's
// layers, a batch's samples); a condition-variable wake-up costs tens of microseconds, so
// waiters first spin this many rounds (a few tens of microseconds) before they block.
constexpr int kSpinRounds = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

template <typename Ready>
void spin_until(Ready ready) {
  for (int i = 0; i < kSpinRounds && !ready(); ++i) cpu_relax();
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run_index(const std::function<void(int64_t)>& task, int64_t index) {
  try {
    if (!failed_.load(std::memory_order_relaxed)) task(index);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_ = true;
  }
}

void ThreadPool::drain() {
  // Joins the current job under the lock, then claims tasks with an atomic counter: a
  // lock per task made two threads queue on the mutex for short tasks (16k rows of a
  // first layer). The caller returns only once every joined thread has left, so no thread
  // can carry a claim over into the next job.
  const std::function<void(int64_t)>* task;
  int64_t count;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (task_ == nullptr) return;
    task = task_;
    count = count_;
    active_.fetch_add(1);
  }
  for (int64_t index; (index = next_.fetch_add(1)) < count;) run_index(*task, index);
  if (active_.fetch_sub(1) == 1) {
    std::lock_guard<std::mutex> lock(mutex_);  // a waiter checks under the lock: no lost wake-up
    done_.notify_all();
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    spin_until([&] { return stop_.load() || generation_.load() != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    drain();
  }
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t)>& task) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i) task(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    count_ = count;
    next_ = 0;
    failed_ = false;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  drain();
  // The calling thread claimed until no index was left and each thread leaves drain()
  // only after its last task: with none left inside, every task has finished.
  const auto done = [&] { return active_.load() == 0; };
  spin_until(done);
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, done);
    task_ = nullptr;
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace voxconv::engine
