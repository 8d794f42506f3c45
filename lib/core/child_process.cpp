#include "core/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>

namespace voxconv {
namespace {

// Answer tags: what the child wrote first.
constexpr char kValue = 'V';
constexpr char kError = 'E';
constexpr char kOutOfMemory = 'M';

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF; false when `deadline` passed first (no deadline: time_point::max()).
bool read_all(int fd, std::chrono::steady_clock::time_point deadline, std::string& out) {
  char buffer[1 << 16];
  for (;;) {
    int wait_ms = -1;
    if (deadline != std::chrono::steady_clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // deadline re-checked above
    if (ready < 0) return true;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buffer, static_cast<size_t>(n));
  }
}

[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  // Die with the parent (e.g. Ctrl-C), and take signals as a plain process does.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  // Whatever the work's libraries print when they fail (a sanitizer report included) would
  // break voxconv's one-line errors: the answer, or the way the child ended, says it all.
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);
  std::string answer;
  try {
    answer = kValue + work();
  } catch (const Error& e) {
    answer = std::string(1, kError) + static_cast<char>(e.kind()) + e.what();
  } catch (const std::bad_alloc&) {
    answer = std::string(1, kOutOfMemory);
  } catch (...) {
    ::_exit(3);  // no answer: reported as a failure of the child
  }
  // _exit: no destructors or atexit handlers of the parent's objects run twice.
  ::_exit(write_all(fd, answer) ? 0 : 4);
}

std::string describe_end(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "signal " + std::to_string(sig) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", s);
  return text;
}

}  // namespace

std::string call_in_child(const std::function<std::string()>& work, const std::string& file, ErrorKind failure_kind,
                          const std::string& failure_problem, double timeout_s) {
  const auto deadline = timeout_s > 0 ? std::chrono::steady_clock::now() +
                                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                std::chrono::duration<double>(timeout_s))
                                      : std::chrono::steady_clock::time_point::max();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(ErrorKind::resource, file + ": cannot create a pipe: " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int saved = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(ErrorKind::resource, file + ": cannot start a process: " + std::strerror(saved));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], work);
  }
  ::close(fds[1]);
  std::string answer;
  const bool finished = read_all(fds[0], deadline, answer);
  ::close(fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished) throw Error(failure_kind, file + ": " + failure_problem + ": no answer after " + seconds_text(timeout_s) + " s");
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean_exit || answer.empty()) throw Error(failure_kind, file + ": " + failure_problem + ": " + describe_end(status));
  switch (answer[0]) {
    case kValue: return answer.substr(1);
    case kError:
      if (answer.size() >= 2) throw Error(static_cast<ErrorKind>(answer[1]), answer.substr(2));
      break;
    case kOutOfMemory: throw Error(ErrorKind::resource, file + ": not enough memory to read it");
    default: break;
  }
  throw Error(ErrorKind::internal, file + ": unreadable answer from the child process");
}

}  // namespace voxconv
