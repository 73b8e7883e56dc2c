// Running external commands (haproxy -c, the reload command, HAProxy
// itself) without a shell.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/base/status.h"

namespace mlb {

struct SpawnOptions {
  // The child's stdout and stderr go to one pipe, whose read end is
  // SpawnedProcess::output_fd; otherwise the child shares ours.
  bool capture_output = true;
  // The child leads a process group of its own (set on both sides of fork(),
  // so a kill(-pid) right after Spawn() cannot miss it).
  bool new_process_group = false;
  // The child gets SIGTERM when the thread that spawned it ends (Linux's
  // parent-death signal is tied to that thread, not to the process); it
  // exits at once if that happened before the signal was armed.
  bool terminate_with_parent = false;
};

struct SpawnedProcess {
  pid_t pid = -1;
  // With capture_output: the read end of the output pipe (non-blocking,
  // close-on-exec); the caller closes it. -1 otherwise.
  int output_fd = -1;
};

// Starts argv[0] (looked up in PATH) with arguments argv[1...]. The child
// starts clean whatever the calling thread has set: stdin is /dev/null, no
// other descriptor than 0-2 is open, no signal is blocked (the controller
// blocks SIGTERM, SIGINT, SIGHUP and SIGUSR1 in every thread) and every
// signal has its default action. If exec fails the child writes
// "cannot run <argv[0]>: <reason>\n" to its stderr and exits with 127.
// The caller reaps the child. Errors: "empty command", "pipe: <reason>",
// "fork: <reason>".
Status Spawn(const std::vector<std::string>& argv, const SpawnOptions& options,
             SpawnedProcess* out);

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] as Spawn() starts it, its output captured, and waits for it
// to exit (not for children it leaves running in the background). Fails if
// the command could not be started or was killed after `timeout_ms`.
Status RunCommand(const std::vector<std::string>& argv, CommandResult* result,
                  int timeout_ms = 120000);

// Where the program `name` is: a name with a '/' is a path, used as it is if
// it is an executable file; any other name is looked up in $PATH's
// directories (as execvp would), then tried at each of `fallbacks` (paths).
// Errors say where it looked: "/opt/haproxy not found", "/opt/haproxy: not
// an executable file", "haproxy not found in PATH (/usr/bin:/bin) nor at
// /usr/sbin/haproxy".
Status FindExecutable(const std::string& name,
                      const std::vector<std::string>& fallbacks,
                      std::string* path);

// Splits a command line the way a POSIX shell would split words (quotes and
// backslashes), without expanding anything: "a 'b c'" -> {"a", "b c"}.
Status SplitCommandLine(const std::string& line, std::vector<std::string>* out);

// Quotes words for display: {"a", "b c"} -> "a 'b c'".
std::string JoinCommandLine(const std::vector<std::string>& argv);

}  // namespace mlb
