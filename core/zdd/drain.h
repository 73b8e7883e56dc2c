// When an old task may be killed. marathon-lb drains the old tasks of a
// group by putting their servers in maintenance (the ` disabled` server
// option, MAINT in HAProxy's stats); zdd reads every marathon-lb's stats
// and kills an old task only once no load balancer routes to it any more.
//
// Stricter than zdd.py, which after --max-wait killed tasks that were in
// maintenance but still had sessions, and took a marathon-lb it could not
// reach as a reason to retry, not to hold back: here a task is killable
// only when EVERY marathon-lb answered, none is reloading, and on each its
// servers are MAINT with no current and no queued session. Nothing else.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/zdd/app_json.h"

namespace mlb::zdd {

// One row of HAProxy's stats CSV (/haproxy?stats;csv).
struct StatsRow {
  std::string proxy;   // pxname
  std::string server;  // svname; FRONTEND and BACKEND for the proxy's rows
  std::string status;  // UP, DOWN, MAINT, no check, ...
  long scur = 0;       // current sessions
  long qcur = 0;       // queued requests
};

// Parses the CSV: the first line is "# pxname,svname,..." (columns found by
// name); several exports one after the other are accepted (their own "# "
// header lines are skipped).
Status ParseStatsCsv(const std::string& text, std::vector<StatsRow>* rows);

// What zdd learned from one marathon-lb in one probe.
struct LbView {
  std::string url;
  Status error;   // not OK: unreachable, or an answer zdd cannot read
  int pids = -1;  // from /_haproxy_getpids
  std::vector<StatsRow> rows;
};

// An old task and the names of its servers in HAProxy (one per port).
struct TaskServers {
  std::string id;
  std::vector<std::string> servers;
};

// The server names marathon-lb gives a task's ports: "<ip>_<port>", or
// "<host>_<ip>_<port>" when the agent host is not the address, each
// character outside [a-zA-Z0-9-] made '_'. `ip` is the task's address (the
// resolved host, or its own IP with IP-per-task).
std::vector<std::string> ServerNames(const std::string& host,
                                     const std::string& ip,
                                     const std::vector<int>& ports);

struct DrainInput {
  std::string backend;  // "<group>_<HAPROXY_0_PORT>"
  std::vector<TaskServers> old_tasks;
  int expected_servers = 0;  // old + new instances, on each LB
  int min_up = 0;            // servers UP on each LB, at least
  int max_pids = 2;          // more: reloading; 0: not checked
};

struct DrainVerdict {
  // The old tasks no marathon-lb routes to any more, in old_tasks order.
  std::vector<std::string> drained;
  // Why nothing is killable yet (empty when `drained` is not).
  std::string waiting;
};

DrainVerdict JudgeDrain(const DrainInput& input,
                        const std::vector<LbView>& lbs);

// The new app's next size: +50% of (instances + 1), or +`linear`, and once
// it reaches the old app's size, the target; a hybrid deployment
// (`hybrid_new` > 0) stops at its new instance count.
int NextInstances(int new_instances, int old_instances, int target,
                  int hybrid_new, int linear);

}  // namespace mlb::zdd
