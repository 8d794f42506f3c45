#include "interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "pipeline/output_files.hpp"

namespace voxconv::app {

void install_interrupt_cleanup() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;  // keep the default behaviour
  // The terminal's stderr as it is now: writers redirect fd 2 for a while (volume_itk.cpp).
  const int err_fd = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  // The thread is waited for until it sits in sigwait: a fork (the HDF5 reader's child
  // process) while it is still starting could copy a lock it holds, in ASan's runtime say.
  static std::atomic<bool> started{false};
  std::thread([set, err_fd] {
    started.store(true);
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    pipeline::abort_all_output_transactions();
    const char* name = sigabbrev_np(sig);
    const std::string line = std::string("voxconv: interrupted by SIG") + (name != nullptr ? name : "?") +
                             ": unfinished outputs removed\n";
    (void)!::write(err_fd >= 0 ? err_fd : STDERR_FILENO, line.data(), line.size());
    // End by the same signal, as a shell expects of an interrupted program.
    ::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    ::raise(sig);
    ::_exit(128 + sig);
  }).detach();
  while (!started.load()) std::this_thread::yield();
}

}  // namespace voxconv::app
