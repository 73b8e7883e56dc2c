// What marathon-lb knows about its own health, for /healthz, /status and
// /metrics: when it last had a good view of Marathon, whether the event
// stream is up, HAProxy's state, reloads, the config in place, the state of
// every service port and the last error. The board is the one owner of
// these figures: /status (Json) and /metrics (Metrics) read the same ones.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace mlb {

// A label value of the Prometheus text format: backslash, double quote and
// newline escaped (\\, \", \n).
std::string PrometheusLabelValue(const std::string& value);

// What the dropped service port lines (UpdateResult::errors,
// Generation::errors) say, read back: "app <id>, service port <n>: <why>",
// "app <id>, service port index <i>: <why>" or "app <id>: <why>", the
// trailing "; service port skipped" left out of the reason. A line in none
// of these shapes is kept whole as the reason, with an empty app id.
struct DroppedPort {
  enum class Kind { kServicePort, kPortIndex, kApp };
  std::string app_id;
  Kind kind = Kind::kApp;
  int number = 0;  // the service port or its index
  std::string reason;
  std::string line;  // as logged
};
DroppedPort ParseDroppedLine(const std::string& line);

// What changed in the dropped service ports (StatusBoard::SetServicePorts):
// the lines of those dropped now that were not (or for another reason), and
// one line each for those no longer dropped, to log once.
struct PortChanges {
  std::vector<std::string> dropped;
  std::vector<std::string> cleared;
};

class StatusBoard {
 public:
  using Clock = std::chrono::steady_clock;
  // /status lists this many apps at most; the others are counted.
  static constexpr size_t kMaxListedApps = 10000;
  // The buckets of marathonlb_update_duration_seconds, in seconds.
  static constexpr std::array<double, 12> kUpdateBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

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
  // An update (a regeneration, ok or not) took `seconds`.
  void RecordUpdate(double seconds);
  // An update applied events, the oldest received `seconds` before the
  // update ended.
  void RecordEventLag(double seconds);
  // The config in place (written, or found unchanged): its size and
  // SHA-256; `changed` (written and applied) counts a new generation. The
  // text is kept until /status first asks for its SHA-256 (Json), so that
  // an update does not hash megabytes nobody reads (a one-shot run never
  // does).
  void SetConfig(std::string text, bool changed);
  // The service ports of the config the last update made: `routed`, (app
  // id, service port) each, the lines of those dropped, and those
  // `disabled` (UpdateResult::disabled). A port keeps its "since" while its
  // state and reason stay.
  PortChanges SetServicePorts(
      const std::vector<std::pair<std::string, int>>& routed,
      const std::vector<std::string>& dropped_lines,
      const std::vector<std::pair<std::string, int>>& disabled = {});

  // Healthy unless the last good sync is older than `max_staleness` (or
  // there was none yet), a managed HAProxy is down or runs an older config
  // than wanted (SetConfigBehind). *why says which.
  bool Healthy(std::chrono::seconds max_staleness, std::string* why) const;

  // {"last_sync_ok": ..., "last_sync_age_seconds": ..., ...}
  std::string Json() const;
  // The same figures in the Prometheus text format (version 0.0.4).
  std::string Metrics() const;

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
  std::chrono::system_clock::time_point last_success_time_{};
  std::array<long long, kUpdateBuckets.size()> update_buckets_{};
  long long updates_ = 0;
  double update_seconds_sum_ = 0;
  bool event_lag_known_ = false;
  double event_lag_seconds_ = 0;
  size_t config_bytes_ = 0;
  // "" until a config is in place, or until Json() hashes config_text_.
  mutable std::string config_sha256_;
  mutable std::string config_text_;  // not hashed yet; "" once it is
  long long generation_ = 0;
  // The state of every service port of the last update, by (app id, kind,
  // number) (DroppedPort).
  static constexpr const char* kRouted = "routed";
  static constexpr const char* kDropped = "dropped";
  static constexpr const char* kDisabled = "disabled";
  struct PortState {
    const char* state = kDropped;  // kRouted, kDropped or kDisabled
    std::string reason;            // a dropped or disabled port's
    std::vector<std::string> lines;  // a dropped port's, as logged
    std::chrono::system_clock::time_point since;
  };
  using PortKey = std::tuple<std::string, DroppedPort::Kind, int>;
  std::map<PortKey, PortState> ports_;
};

}  // namespace mlb
