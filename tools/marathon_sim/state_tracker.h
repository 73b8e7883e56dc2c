// Keeps the last state marathon-sim has seen and turns every change of the
// state file (through POST /_sim/apps or by a rewrite the watcher notices)
// into the events Marathon would publish for it.
#pragma once

#include <Poco/Net/HTTPResponse.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "tools/marathon_sim/event_bus.h"
#include "tools/marathon_sim/sim.h"
#include "tools/marathon_sim/state.h"
#include "tools/marathon_sim/stats.h"

namespace mlb::tools::sim {

class StateTracker {
 public:
  StateTracker(const StateStore& store, EventBus& bus, Stats& stats)
      : store_(store), bus_(bus), stats_(stats) {}
  ~StateTracker() { StopWatching(); }
  StateTracker(const StateTracker&) = delete;
  StateTracker& operator=(const StateTracker&) = delete;

  // Reads the baseline without publishing anything.  A missing or invalid
  // file counts as no apps (requests will report the error).
  void Init();

  struct Change {
    std::string deployment_id;  // Empty if nothing but health changed.
    std::size_t events = 0;
  };

  // Validates `text` as a state, writes it to the state file atomically and
  // publishes the difference.  On failure sets `*status` (400 or 500) and
  // `*error`.
  bool Replace(const std::string& text, const std::string& client_ip,
               Change* change, Poco::Net::HTTPResponse::HTTPStatus* status,
               std::string* error);

  // One watcher step: re-reads the file if its identity changed.
  void Poll();

  void StartWatching(int interval_ms);
  void StopWatching();

 private:
  // Requires mu_.
  Change PublishChange(const Array::Ptr& next, const std::string& client_ip);

  const StateStore& store_;
  EventBus& bus_;
  Stats& stats_;
  std::mutex mu_;
  Array::Ptr apps_ = new Array;
  FileIdentity identity_;

  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
};

}  // namespace mlb::tools::sim
