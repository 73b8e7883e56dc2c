// Running external commands (haproxy -c, the reload command) without a shell.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"

namespace mlb {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (looked up in PATH) with every other file descriptor closed,
// and waits for it to exit (not for children it leaves running in the
// background). Fails if the command could not be started or was killed after
// `timeout_ms`.
Status RunCommand(const std::vector<std::string>& argv, CommandResult* result,
                  int timeout_ms = 120000);

// Splits a command line the way a POSIX shell would split words (quotes and
// backslashes), without expanding anything: "a 'b c'" -> {"a", "b c"}.
Status SplitCommandLine(const std::string& line, std::vector<std::string>* out);

// Quotes words for display: {"a", "b c"} -> "a 'b c'".
std::string JoinCommandLine(const std::vector<std::string>& argv);

}  // namespace mlb
