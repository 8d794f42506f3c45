#pragma once
// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run: unfinished outputs are removed (their
// hidden staging folders), finished ones stay, one line goes to stderr, and voxconv ends by
// that signal (exit status 128 + n in a shell).

namespace voxconv::app {

// Blocks those signals in the calling thread, which every thread started later inherits,
// and waits for them in a thread of its own, where the cleanup runs as ordinary code rather
// than in an async-signal context. Call at the start of main(), before other threads exist.
void install_interrupt_cleanup();

}  // namespace voxconv::app
