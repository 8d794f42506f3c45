#pragma once
// Runs the voxconv binary as a user would, capturing exit code, stdout and stderr.
#include <string>
#include <vector>

namespace voxconv::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs `program args...` in `cwd` (empty: current folder) in the current environment
// changed by `extra_env`: "NAME=value" sets NAME, a bare "NAME" removes it.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args, const std::string& cwd = "",
                          const std::vector<std::string>& extra_env = {});

// A process started without waiting for it, its stdout and stderr captured in files.
// The destructor kills (SIGKILL) and reaps it if it still runs.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args, const std::string& cwd = "",
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  bool running();                          // false once it has exited (then wait() returns at once)
  ProcessResult kill_and_wait(int signal);  // e.g. SIGKILL
  ProcessResult wait();

 private:
  std::string capture_;  // folder of the stdout/stderr files
  int pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// A fresh empty temporary folder, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Number of entries in a folder (hidden ones included).
int count_entries(const std::string& folder);

}  // namespace voxconv::testing
