// Server membership changed in a running HAProxy through its runtime API,
// without a reload (issue 14).
//
// When two generations of the config differ only in the servers of their
// backends (ConfigChanges::ServersOnly), PlanLiveChange() turns the
// difference into runtime commands, and LiveServers::Apply() sends them to
// HAProxy's current worker:
//   a server added:   add server B/S ADDR:PORT <the line's options>
//                     enable health B/S (when the line says `check`)
//                     enable server B/S
//   a server removed: set server B/S state maint  (no new request; those in
//                                                  flight finish)
//                     del server B/S              (once no connection is
//                                                  left: retried until then)
// What the runtime API cannot express is a planning error, and the caller
// reloads instead (review 14a found most of these):
//   - `cookie` (HAProxy 2.6 refuses it on `add server`);
//   - `default-server` lines in the backend or in `defaults`, which HAProxy
//     gives only to the servers of the file;
//   - an address that is not an IP literal (`add server` resolves no name);
//   - `agent-check` (added live, its agent starts down, not up);
//   - more than 60 options (the CLI keeps 64 words a command, silently);
//   - `disabled`, a keyword or another option's argument: the words alone
//     do not say which;
//   - quotes, escapes, ';', '#', '$' or '<<' (a payload to the CLI);
//   - a server whose options changed.
// A command HAProxy refuses (a backend whose `balance` cannot take new
// servers, say) is an error of Apply(), and the caller reloads too: the
// reload sets every server as the config says.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/config/haproxy_config.h"

namespace mlb {

// The runtime commands of one server, sent together.
struct LiveServerStep {
  enum class Kind { kAdd, kRemove };
  Kind kind = Kind::kAdd;
  std::string backend;  // the proxy's name, "web_80"
  std::string server;   // "agent1_10_0_0_1_31050"
  std::string line;     // the server's line (kRemove: the one it had)
  std::vector<std::string> commands;
};

struct LiveChange {
  std::vector<LiveServerStep> steps;  // the additions first
  int added = 0;
  int removed = 0;
  std::string summary;  // for the log: ConfigChanges::Summary()
};

// The steps that turn the servers of `before` into those of `after`, given
// `changes` = Compare(before, after). Error, naming the backend and server,
// when the change is not servers only or a server cannot be added live.
Status PlanLiveChange(const HaproxyConfig& before, const HaproxyConfig& after,
                      const ConfigChanges& changes, LiveChange* out);

// The express path (issue 14): the steps that bring the servers of the live
// config's backends to those of `apps`, a render of the apps an event
// changed, alone. Sent at once, before the update of every app writes and
// checks the file, so each added server's line must have the shape
// (CheckedServerShape) of a server of its backend that HAProxy has read.
// Error, naming the backend or server, when a backend of `apps` is not in
// `live`, was written there by another service port, differs in more than
// servers, or a server cannot be added so: that update then decides.
// Frontends and other sections of `apps` are not looked at.
Status PlanLiveChangeOfApps(const HaproxyConfig& live,
                            const HaproxyConfig& apps, LiveChange* out);

// A server line less what differs from task to task: its name, its
// address, and the values of `cookie` and of `id` and `port` when they are
// numbers up to 65535. Two lines of one shape are the same to HAProxy's
// parser but for those values. "" for a line of fewer than three words.
std::string CheckedServerShape(std::string line);

// Sends commands to HAProxy's current worker in one exchange and returns
// its whole answer.
using RuntimeSender = std::function<Status(
    const std::vector<std::string>& commands, std::string* reply)>;

struct LiveReport {
  int added = 0;
  int removed = 0;  // in maintenance; deleted or still pending
  int deleted = 0;  // of the pending deletions, this Apply's included
  // RetryDeletes(): the answers that were neither "deleted" nor "busy".
  std::vector<std::string> errors;
};

// Applies live changes to one running HAProxy and remembers the servers
// set to maintenance that still had connections, to delete them later.
// Thread-safe: the update loop applies, a timer retries the deletions.
class LiveServers {
 public:
  explicit LiveServers(RuntimeSender send) : send_(std::move(send)) {}

  // Sends every step in order. Stops at the first step HAProxy refuses and
  // returns its answer as the error (the caller reloads). A server still
  // waiting for its deletion that comes back with the same line is set
  // ready instead of added.
  Status Apply(const LiveChange& change, LiveReport* report);
  // Tries again to delete the servers that still had connections; those
  // gone from HAProxy (a reload or restart) are forgotten.
  void RetryDeletes(LiveReport* report);
  // HAProxy was reloaded or restarted: it runs the config's servers only.
  void Forget() {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.clear();
  }
  size_t pending_deletes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.size();
  }

 private:
  // One delete; true when the server is gone (deleted, or never there).
  // Error: HAProxy answered something else.
  Status Delete(const std::string& backend, const std::string& server,
                bool* gone);

  RuntimeSender send_;
  mutable std::mutex mu_;  // one exchange at a time; guards pending_
  // "backend/server" -> the server's line, set to maint and not yet deleted.
  std::map<std::string, std::string> pending_;
};

}  // namespace mlb
