#include "core/app/status_board.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <sstream>

#include "core/base/text.h"

// /status is unauthenticated: every URL in it (a --marathon URL with
// user:password@, an error naming one) goes through RedactUrl.

namespace mlb {

void StatusBoard::RecordSync(bool ok, const std::string& marathon_url,
                             const std::string& raw_error,
                             int dropped_service_ports) {
  const std::string error = RedactUrl(raw_error);
  std::lock_guard<std::mutex> lock(mu_);
  ++syncs_;
  if (!marathon_url.empty()) {
    marathon_url_ = RedactUrl(marathon_url);
  }
  if (ok) {
    synced_ = true;
    last_good_sync_ = Clock::now();
    dropped_service_ports_ = dropped_service_ports;
  } else {
    ++failed_syncs_;
    last_error_ = error;
  }
}

void StatusBoard::RecordReload(bool ok, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  ++reloads_;
  if (!ok) {
    ++failed_reloads_;
    last_error_ = RedactUrl(error);
  }
}

void StatusBoard::RecordLiveChange(int added, int removed, double millis,
                                   size_t pending_deletes) {
  std::lock_guard<std::mutex> lock(mu_);
  ++live_changes_;
  live_servers_added_ += added;
  live_servers_removed_ += removed;
  last_live_change_ms_ = millis;
  live_pending_deletes_ = pending_deletes;
}

void StatusBoard::SetLivePendingDeletes(size_t pending_deletes) {
  std::lock_guard<std::mutex> lock(mu_);
  live_pending_deletes_ = pending_deletes;
}

void StatusBoard::RecordLiveFallback(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  ++live_fallbacks_;
  last_live_fallback_ = why;
}

void StatusBoard::SetStreamConnected(bool connected, const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  stream_known_ = true;
  stream_connected_ = connected;
  if (!url.empty()) {
    stream_url_ = RedactUrl(url);
  }
}

void StatusBoard::SetHaproxyRunning(bool running) {
  std::lock_guard<std::mutex> lock(mu_);
  haproxy_managed_ = true;
  haproxy_running_ = running;
}

void StatusBoard::SetHaproxyDeaths(
    int restarts, int worker_deaths, const std::string& last_death,
    std::chrono::system_clock::time_point last_death_time,
    long long last_restart_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  haproxy_restarts_ = restarts;
  haproxy_worker_deaths_ = worker_deaths;
  haproxy_last_death_ = last_death;
  haproxy_last_death_time_ = last_death_time;
  haproxy_last_restart_ms_ = last_restart_ms;
}

void StatusBoard::SetConfigBehind(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  config_behind_ = RedactUrl(why);
}

void StatusBoard::SetDroppedByHaproxy(std::vector<std::string> unbindable,
                                      std::vector<std::string> refused) {
  std::lock_guard<std::mutex> lock(mu_);
  unbindable_ = std::move(unbindable);
  refused_ = std::move(refused);
}

void StatusBoard::SetVhostConflicts(std::vector<std::string> lines) {
  std::lock_guard<std::mutex> lock(mu_);
  vhost_conflicts_ = std::move(lines);
}

bool StatusBoard::Healthy(std::chrono::seconds max_staleness,
                          std::string* why) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (haproxy_managed_ && !haproxy_running_) {
    *why = "HAProxy is not running";
    return false;
  }
  if (!config_behind_.empty()) {
    *why = "HAProxy runs an older config than marathon-lb wants: " +
           config_behind_;
    return false;
  }
  if (!synced_) {
    *why = "no successful sync with Marathon yet";
    return false;
  }
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(
      Clock::now() - last_good_sync_);
  if (age > max_staleness) {
    *why = "the view of Marathon is " + std::to_string(age.count()) +
           " s old (limit " + std::to_string(max_staleness.count()) + " s)";
    return false;
  }
  *why = "ok";
  return true;
}

std::string StatusBoard::Json() const {
  std::lock_guard<std::mutex> lock(mu_);
  Poco::JSON::Object out;
  out.set("synced", synced_);
  if (synced_) {
    out.set("last_sync_age_seconds",
            std::chrono::duration_cast<std::chrono::milliseconds>(
                Clock::now() - last_good_sync_)
                    .count() /
                1000.0);
  }
  out.set("marathon", marathon_url_);
  out.set("syncs", syncs_);
  out.set("failed_syncs", failed_syncs_);
  out.set("dropped_service_ports", dropped_service_ports_);
  out.set("reloads", reloads_);
  out.set("failed_reloads", failed_reloads_);
  if (stream_known_) {
    out.set("stream_connected", stream_connected_);
    out.set("stream_url", stream_url_);
  }
  if (haproxy_managed_) {
    out.set("haproxy_running", haproxy_running_);
    out.set("haproxy_config_behind", config_behind_);
    Poco::JSON::Array::Ptr unbindable = new Poco::JSON::Array;
    for (const std::string& line : unbindable_) {
      unbindable->add(line);
    }
    out.set("unbindable_service_ports", unbindable);
    out.set("haproxy_restarts", haproxy_restarts_);
    out.set("haproxy_worker_deaths", haproxy_worker_deaths_);
    out.set("haproxy_last_death", haproxy_last_death_);
    std::string when;
    if (!haproxy_last_death_.empty()) {
      // UTC, to the millisecond: 2026-12-06T00:13:00.123Z.
      const Poco::Timestamp stamp(
          std::chrono::duration_cast<std::chrono::microseconds>(
              haproxy_last_death_time_.time_since_epoch())
              .count());
      when = Poco::DateTimeFormatter::format(stamp, "%Y-%m-%dT%H:%M:%S.%iZ");
    }
    out.set("haproxy_last_death_time", when);
    out.set("haproxy_last_restart_ms", haproxy_last_restart_ms_);
    out.set("live_changes", live_changes_);
    out.set("live_servers_added", live_servers_added_);
    out.set("live_servers_removed", live_servers_removed_);
    out.set("last_live_change_ms", last_live_change_ms_);
    out.set("live_pending_deletes", static_cast<long long>(live_pending_deletes_));
    out.set("live_fallbacks", live_fallbacks_);
    out.set("last_live_fallback", last_live_fallback_);
  }
  Poco::JSON::Array::Ptr refused = new Poco::JSON::Array;
  for (const std::string& line : refused_) {
    refused->add(line);
  }
  out.set("refused_service_ports", refused);
  Poco::JSON::Array::Ptr conflicts = new Poco::JSON::Array;
  for (const std::string& line : vhost_conflicts_) {
    conflicts->add(line);
  }
  out.set("vhost_conflicts", conflicts);
  out.set("last_error", last_error_);
  std::ostringstream text;
  out.stringify(text);
  return text.str();
}

}  // namespace mlb
