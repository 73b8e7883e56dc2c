// What marathon-lb knows about its own health, for /healthz and /status:
// when it last had a good view of Marathon, whether the event stream is up,
// HAProxy's state, reloads and the last error.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace mlb {

class StatusBoard {
 public:
  using Clock = std::chrono::steady_clock;

  // A regeneration finished: `ok` when Marathon's apps were read and the
  // config is live (written, or unchanged).
  void RecordSync(bool ok, const std::string& marathon_url,
                  const std::string& error, int dropped_service_ports);
  void RecordReload(bool ok, const std::string& error);
  // `url`: the event stream's URL (kept apart from the Marathon base URL).
  void SetStreamConnected(bool connected, const std::string& url);
  // Only when marathon-lb runs HAProxy itself.
  void SetHaproxyRunning(bool running);
  // The deaths of that HAProxy and its restarts (HaproxyProcess): how many
  // restarts, how many deaths a worker's caused, the last death's cause
  // ("" if none) and time, and how long its restart took (-1: none yet).
  void SetHaproxyDeaths(int restarts, int worker_deaths,
                        const std::string& last_death,
                        std::chrono::system_clock::time_point last_death_time,
                        long long last_restart_ms);
  // Whether HAProxy runs an older config than the one marathon-lb wants (a
  // reload failed and was rolled back, and dropping the service ports
  // HAProxy named did not make one it runs), and why; "" when it runs the
  // wanted one.
  void SetConfigBehind(const std::string& why);
  // The service ports left out because HAProxy could not bind them, and
  // those whose lines haproxy -c refused, one line each: "app /x, service
  // port 10002: HAProxy cannot bind it (...)".
  void SetDroppedByHaproxy(std::vector<std::string> unbindable,
                           std::vector<std::string> refused);
  // Servers changed in the running HAProxy through its runtime API, without
  // a reload (live_servers.h): how many added and removed, how long it took
  // from the update's start to HAProxy's last answer, and the servers still
  // waiting in maintenance for their connections to end.
  void RecordLiveChange(int added, int removed, double millis,
                        size_t pending_deletes);
  // The servers still waiting in maintenance, after a retry of their
  // deletion.
  void SetLivePendingDeletes(size_t pending_deletes);
  // A change of servers only that was reloaded instead, and why.
  void RecordLiveFallback(const std::string& why);
  // Vhosts that several apps name (UpdateResult::vhost_conflicts).
  void SetVhostConflicts(std::vector<std::string> lines);

  // Healthy unless the last good sync is older than `max_staleness` (or
  // there was none yet), a managed HAProxy is down or runs an older config
  // than wanted (SetConfigBehind). *why says which.
  bool Healthy(std::chrono::seconds max_staleness, std::string* why) const;

  // {"last_sync_ok": ..., "last_sync_age_seconds": ..., ...}
  std::string Json() const;

 private:
  mutable std::mutex mu_;
  bool synced_ = false;
  Clock::time_point last_good_sync_;
  std::string marathon_url_;
  std::string last_error_;
  int dropped_service_ports_ = 0;
  int syncs_ = 0;
  int failed_syncs_ = 0;
  int reloads_ = 0;
  int failed_reloads_ = 0;
  int live_changes_ = 0;
  long long live_servers_added_ = 0;
  long long live_servers_removed_ = 0;
  double last_live_change_ms_ = -1;
  size_t live_pending_deletes_ = 0;
  int live_fallbacks_ = 0;
  std::string last_live_fallback_;
  std::string stream_url_;
  bool stream_known_ = false;
  bool stream_connected_ = false;
  bool haproxy_managed_ = false;
  bool haproxy_running_ = false;
  int haproxy_restarts_ = 0;
  int haproxy_worker_deaths_ = 0;
  std::string haproxy_last_death_;
  std::chrono::system_clock::time_point haproxy_last_death_time_{};
  long long haproxy_last_restart_ms_ = -1;
  std::string config_behind_;  // SetConfigBehind's
  std::vector<std::string> unbindable_;  // SetDroppedByHaproxy's
  std::vector<std::string> refused_;
  std::vector<std::string> vhost_conflicts_;
};

}  // namespace mlb
