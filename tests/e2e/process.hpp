#pragma once
// Runs the voxconv binary as a user would, capturing exit code, stdout and stderr.
#include <string>
#include <vector>

namespace voxconv::testing {

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

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs `program args...` in `cwd` (empty: current folder) in the current environment
// changed by `extra_env`: "NAME=value" sets NAME, a bare "NAME" removes it.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args, const std::string& cwd = "",
                          const std::vector<std::string>& extra_env = {});

struct ProcessOptions {
  std::string cwd;                     // empty: current folder
  std::vector<std::string> extra_env;  // "NAME=value" sets NAME, a bare "NAME" removes it
  // RLIMIT_FSIZE in bytes (< 0: unchanged), with SIGXFSZ ignored, so that a write past it
  // fails with EFBIG as on a full disk.
  long long file_size_limit = -1;
};

// A started process: send it signals, look at its stderr so far, wait for its end. Its
// stdout and stderr are captured in files.
class RunningProcess {
 public:
  RunningProcess(const std::string& program, const std::vector<std::string>& args, const ProcessOptions& options);
  ~RunningProcess();  // kills and reaps it if still running
  RunningProcess(const RunningProcess&) = delete;
  RunningProcess& operator=(const RunningProcess&) = delete;

  int pid() const { return pid_; }
  bool running();  // false once it has exited (then wait() returns at once)
  void send_signal(int sig) const;
  std::string err_so_far() const;
  ProcessResult kill_and_wait(int sig);  // e.g. SIGKILL
  ProcessResult wait();

 private:
  TempDir capture_;
  int pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const ProcessOptions& options);

// Number of entries in a folder (hidden ones included).
int count_entries(const std::string& folder);

}  // namespace voxconv::testing
