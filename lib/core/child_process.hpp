#pragma once
// Runs a piece of work in a forked child process, for code that must not be able to take
// voxconv down with it (libhdf5 on a corrupt file can read out of bounds or crash). The
// child hands back bytes through a pipe; errors cross as voxconv::Error.
#include <functional>
#include <string>

#include "core/error.hpp"

namespace voxconv {

// Forks, runs `work` in the child and returns the bytes it returned. A voxconv::Error the
// child throws is thrown here again (same kind and message). When the child dies instead
// (a signal, or an exit without an answer), or gives no answer within `timeout_s` seconds
// (> 0; it is then killed), this throws
//   Error(failure_kind, file + ": " + failure_problem + ": signal 11 (SIGSEGV)")   or
//   Error(failure_kind, file + ": " + failure_problem + ": no answer after 20 s")
// and std::bad_alloc in the child becomes ErrorKind::resource naming `file`. Call it
// before starting threads that hold locks the work needs (the child has only this thread).
std::string call_in_child(const std::function<std::string()>& work, const std::string& file, ErrorKind failure_kind,
                          const std::string& failure_problem, double timeout_s);

}  // namespace voxconv
