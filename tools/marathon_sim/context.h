// The options of marathon-sim and the services its endpoints share for the
// life of the server.
#pragma once

#include <string>
#include <vector>

#include "tools/marathon_sim/callbacks.h"
#include "tools/marathon_sim/event_bus.h"
#include "tools/marathon_sim/faults.h"
#include "tools/marathon_sim/service_account.h"
#include "tools/marathon_sim/state.h"
#include "tools/marathon_sim/state_tracker.h"
#include "tools/marathon_sim/stats.h"

namespace mlb::tools::sim {

class Scheduler;

struct Options {
  std::string state_file;
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  int keepalive_ms = 1000;
  int watch_ms = 200;
  std::string auth;  // "user:pass", or empty for no authentication.
  // Scheduler mode (scheduler.h): the task address pool and its timings.
  std::vector<std::string> task_ports;
  int task_start_ms = 300;
  int kill_grace_ms = 500;
  ServiceAccountOptions service_account;  // service_account.h
  // https (--tls-cert, --tls-key): the server's certificate chain and key,
  // PEM; the key may be in the certificate's file. Empty: plain http.
  std::string tls_cert;
  std::string tls_key;
  // GET /v2/apps is gzip-compressed when the request accepts gzip, unless
  // --no-gzip.
  bool gzip = true;
};

// Everything the endpoints share for the life of the server.
struct SimContext {
  explicit SimContext(const Options& options)
      : keepalive_ms(options.keepalive_ms),
        gzip(options.gzip),
        auth(options.auth),
        state(options.state_file),
        callbacks(stats),
        bus(stats, faults, callbacks),
        tracker(state, bus, stats),
        service_account(options.service_account) {
    faults.SetWakeup([this] { bus.WakeAll(); });
  }

  const int keepalive_ms;
  const bool gzip;
  const std::string auth;
  const StateStore state;
  Stats stats;
  Faults faults;
  Callbacks callbacks;
  EventBus bus;
  StateTracker tracker;
  // Set in scheduler mode (--task-ports), before the router is built.
  Scheduler* scheduler = nullptr;
  ServiceAccount service_account;
};

}  // namespace mlb::tools::sim
