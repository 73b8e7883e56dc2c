// HAProxy's master CLI (master-worker mode, HAProxy 2.6): one command over
// the master socket, and the answer to `show proc` read into the master and
// its current and old workers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace mlb {

// One process line of the master CLI's `show proc`.
struct HaproxyProc {
  pid_t pid = 0;
  int reloads = 0;  // master: reloads since start; worker: reloads since fork
  std::string uptime;
};

// `show proc`, parsed.
struct HaproxyProcList {
  HaproxyProc master;
  bool last_reload_failed = false;  // "[failed: 1]" on the master line
  std::vector<HaproxyProc> workers;      // current
  std::vector<HaproxyProc> old_workers;  // draining, newest first
};

// Parses the text of `show proc` (HAProxy 2.6). Error if there is no master
// line.
Status ParseShowProc(const std::string& text, HaproxyProcList* out);

// One master-CLI command over the unix socket: connect, write the command and
// "\n", shutdown(SHUT_WR) (the master waits for it), read to EOF. Errors name
// the socket and say whether connect, write or read failed or timed out.
Status MasterCliCommand(const std::string& socket_path,
                        const std::string& command, std::string* reply,
                        std::chrono::milliseconds timeout);

}  // namespace mlb
