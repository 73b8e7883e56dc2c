#include "core/app/status_board.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/base/utf8.h"

// /status is unauthenticated: every URL in it (a --marathon URL with
// user:password@, an error naming one) goes through RedactUrl.

namespace mlb {
namespace {

// UTC, to the millisecond: 2026-12-06T00:13:00.123Z.
std::string IsoTime(std::chrono::system_clock::time_point when) {
  const Poco::Timestamp stamp(
      std::chrono::duration_cast<std::chrono::microseconds>(
          when.time_since_epoch())
          .count());
  return Poco::DateTimeFormatter::format(stamp, "%Y-%m-%dT%H:%M:%S.%iZ");
}

double UnixSeconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             when.time_since_epoch())
             .count() /
         1000.0;
}

// A sample's value: integers as such, others with the fewest significant
// digits (15 to 17) that read back as the same double ("+Inf" for
// infinity): 1796540266.656, not 1796540266.6559999.
std::string Number(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buf[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, value);
    if (std::strtod(buf, nullptr) == value) {
      break;
    }
  }
  return buf;
}

// The Prometheus text format, one family at a time.
class MetricsText {
 public:
  void Family(const std::string& name, const std::string& type,
              const std::string& help) {
    out_ += "# HELP " + name + " " + help + "\n";
    out_ += "# TYPE " + name + " " + type + "\n";
  }
  // `labels`: (name, value) pairs; the values are escaped here.
  void Sample(const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels,
              double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        out_ += (i == 0 ? "" : ",") + labels[i].first + "=\"" +
                PrometheusLabelValue(labels[i].second) + "\"";
      }
      out_ += "}";
    }
    out_ += " " + Number(value) + "\n";
  }
  void One(const std::string& name, const std::string& type,
           const std::string& help, double value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

std::string DescribePort(const std::string& app_id, DroppedPort::Kind kind,
                         int number) {
  switch (kind) {
    case DroppedPort::Kind::kServicePort:
      return "app " + app_id + ", service port " + std::to_string(number);
    case DroppedPort::Kind::kPortIndex:
      return "app " + app_id + ", service port index " +
             std::to_string(number);
    case DroppedPort::Kind::kApp:
      break;
  }
  return app_id.empty() ? std::string("a service port") : "app " + app_id;
}

}  // namespace

std::string PrometheusLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

DroppedPort ParseDroppedLine(const std::string& line) {
  DroppedPort out;
  out.line = line;
  out.reason = line;
  static const std::string kApp = "app ";
  static const std::string kPort = ", service port ";
  static const std::string kIndex = "index ";
  static const std::string kSkipped = "; service port skipped";
  if (line.compare(0, kApp.size(), kApp) != 0) {
    return out;
  }
  const size_t port = line.find(kPort, kApp.size());
  const size_t colon = line.find(": ", kApp.size());
  if (colon == std::string::npos) {
    return out;
  }
  std::string reason = line.substr(colon + 2);
  if (reason.size() >= kSkipped.size() &&
      reason.compare(reason.size() - kSkipped.size(), kSkipped.size(),
                     kSkipped) == 0) {
    reason.resize(reason.size() - kSkipped.size());
  }
  if (port != std::string::npos && port < colon) {
    size_t at = port + kPort.size();
    DroppedPort::Kind kind = DroppedPort::Kind::kServicePort;
    if (line.compare(at, kIndex.size(), kIndex) == 0) {
      kind = DroppedPort::Kind::kPortIndex;
      at += kIndex.size();
    }
    const std::string digits = line.substr(at, colon - at);
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return out;
    }
    out.app_id = line.substr(kApp.size(), port - kApp.size());
    out.kind = kind;
    out.number = std::stoi(digits);
  } else {
    out.app_id = line.substr(kApp.size(), colon - kApp.size());
    out.kind = DroppedPort::Kind::kApp;
  }
  out.reason = reason;
  return out;
}

void StatusBoard::RecordSync(bool ok, const std::string& marathon_url,
                             const std::string& raw_error,
                             int dropped_service_ports) {
  const std::string error = RedactUrl(raw_error);
  std::lock_guard<std::mutex> lock(mu_);
  ++syncs_;
  if (!marathon_url.empty()) {
    marathon_url_ = RedactUrlValue(marathon_url);
  }
  if (ok) {
    synced_ = true;
    last_good_sync_ = Clock::now();
    last_success_time_ = std::chrono::system_clock::now();
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
    stream_url_ = RedactUrlValue(url);
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

void StatusBoard::RecordUpdate(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++updates_;
  update_seconds_sum_ += seconds;
  for (size_t i = 0; i < kUpdateBuckets.size(); ++i) {
    if (seconds <= kUpdateBuckets[i]) {
      ++update_buckets_[i];
    }
  }
}

void StatusBoard::RecordEventLag(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  event_lag_known_ = true;
  event_lag_seconds_ = seconds;
}

void StatusBoard::SetConfig(std::string text, bool changed) {
  std::lock_guard<std::mutex> lock(mu_);
  // Found unchanged, the config is the one of last time (every update that
  // keeps a config in place comes here): nothing to hash again.
  const bool known = !config_sha256_.empty() || !config_text_.empty();
  if (!changed && known && config_bytes_ == text.size()) {
    return;
  }
  config_bytes_ = text.size();
  config_sha256_.clear();
  config_text_ = std::move(text);
  if (changed) {
    ++generation_;
  }
}

PortChanges StatusBoard::SetServicePorts(
    const std::vector<std::pair<std::string, int>>& routed,
    const std::vector<std::string>& dropped_lines,
    const std::vector<std::pair<std::string, int>>& disabled) {
  const auto now = std::chrono::system_clock::now();
  std::map<PortKey, PortState> next;
  for (const auto& [app_id, port] : disabled) {
    PortState& state = next[{app_id, DroppedPort::Kind::kServicePort, port}];
    state.state = kDisabled;
    state.reason = "HAPROXY_{n}_ENABLED (or --strict-mode) leaves it out";
  }
  for (const auto& [app_id, port] : routed) {
    PortState& state = next[{app_id, DroppedPort::Kind::kServicePort, port}];
    state.state = kRouted;
    state.reason.clear();
  }
  for (const std::string& raw : dropped_lines) {
    DroppedPort dropped = ParseDroppedLine(RedactUrl(raw));
    PortState& state = next[{dropped.app_id, dropped.kind, dropped.number}];
    if (state.state == kDropped && !state.lines.empty()) {
      // Several reasons for one port (or lines of no known shape).
      state.reason += "; " + dropped.reason;
      state.lines.push_back(dropped.line);
      continue;
    }
    state.state = kDropped;
    state.reason = dropped.reason;
    state.lines = {dropped.line};
  }
  PortChanges changes;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, state] : next) {
    const auto old = ports_.find(key);
    const bool same = old != ports_.end() &&
                      old->second.state == state.state &&
                      old->second.reason == state.reason;
    state.since = same ? old->second.since : now;
    if (state.state == kDropped && !same) {
      changes.dropped.insert(changes.dropped.end(), state.lines.begin(),
                             state.lines.end());
    }
  }
  for (const auto& [key, state] : ports_) {
    if (state.state != kDropped) {
      continue;
    }
    const auto now_state = next.find(key);
    if (now_state != next.end() && now_state->second.state == kDropped) {
      continue;  // still dropped (for another reason: logged above)
    }
    const std::string what = DescribePort(std::get<0>(key), std::get<1>(key),
                                          std::get<2>(key));
    changes.cleared.push_back(what + ": no longer dropped (" +
                              (now_state != next.end()
                                   ? std::string(now_state->second.state)
                                   : std::string("gone from the config")) +
                              ")");
  }
  ports_ = std::move(next);
  return changes;
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
    out.set("haproxy_last_death_time",
            haproxy_last_death_.empty() ? std::string()
                                        : IsoTime(haproxy_last_death_time_));
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
  out.set("last_success_time",
          synced_ ? IsoTime(last_success_time_) : std::string());
  out.set("updates", updates_);
  if (event_lag_known_) {
    out.set("event_lag_seconds", event_lag_seconds_);
  }
  if (config_sha256_.empty() && !config_text_.empty()) {
    const Sha256Digest digest = Sha256(config_text_);
    config_sha256_ = Hex(digest.data(), digest.size());
    config_text_ = std::string();  // its memory too
  }
  out.set("config_sha256", config_sha256_);
  out.set("config_bytes", static_cast<long long>(config_bytes_));
  out.set("generation", generation_);
  // "apps": {"/web": {"ports": [{"service_port": 10000, "state": "routed",
  // "reason": "", "since": "..."}]}}, the first kMaxListedApps apps in id
  // order; "apps_not_listed": the others. Lines of no known shape:
  // "unattributed_drops".
  Poco::JSON::Object::Ptr apps = new Poco::JSON::Object;
  Poco::JSON::Array::Ptr unattributed = new Poco::JSON::Array;
  size_t listed = 0;
  size_t not_listed = 0;
  bool any_app = false;
  std::string app_id;
  Poco::JSON::Array::Ptr ports;
  for (const auto& [key, state] : ports_) {
    const auto& [id, kind, number] = key;
    if (id.empty()) {
      unattributed->add(state.reason);
      continue;
    }
    if (!any_app || id != app_id) {
      any_app = true;
      app_id = id;
      ports.reset();
      if (listed == kMaxListedApps) {
        ++not_listed;
        continue;
      }
      ++listed;
      ports = new Poco::JSON::Array;
      Poco::JSON::Object::Ptr app = new Poco::JSON::Object;
      app->set("ports", ports);
      apps->set(id, app);
    }
    if (ports.isNull()) {
      continue;  // an app not listed
    }
    Poco::JSON::Object::Ptr port = new Poco::JSON::Object;
    if (kind == DroppedPort::Kind::kServicePort) {
      port->set("service_port", number);
    } else if (kind == DroppedPort::Kind::kPortIndex) {
      port->set("port_index", number);
    }
    port->set("state", std::string(state.state));
    port->set("reason", state.reason);
    port->set("since", IsoTime(state.since));
    ports->add(port);
  }
  out.set("apps", apps);
  out.set("apps_not_listed", static_cast<long long>(not_listed));
  out.set("unattributed_drops", unattributed);
  std::ostringstream text;
  out.stringify(text);
  // Poco copies the bytes of a string as they are: a reason phrase of
  // Marathon's (or any text from outside) that is not UTF-8 would make the
  // whole answer unreadable as JSON (review 15i).
  return ValidUtf8(text.str());
}

std::string StatusBoard::Metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  MetricsText m;
  m.Family("marathonlb_update_duration_seconds", "histogram",
           "Time an update took: Marathon read, config made, written and "
           "applied (failed updates too).");
  for (size_t i = 0; i < kUpdateBuckets.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof(le), "%g", kUpdateBuckets[i]);
    m.Sample("marathonlb_update_duration_seconds_bucket", {{"le", le}},
             static_cast<double>(update_buckets_[i]));
  }
  m.Sample("marathonlb_update_duration_seconds_bucket", {{"le", "+Inf"}},
           static_cast<double>(updates_));
  m.Sample("marathonlb_update_duration_seconds_sum", {}, update_seconds_sum_);
  m.Sample("marathonlb_update_duration_seconds_count", {},
           static_cast<double>(updates_));
  m.Family("marathonlb_syncs_total", "counter",
           "Updates by result: ok (Marathon read, config live) or failed.");
  m.Sample("marathonlb_syncs_total", {{"result", "ok"}},
           syncs_ - failed_syncs_);
  m.Sample("marathonlb_syncs_total", {{"result", "failed"}}, failed_syncs_);
  m.Family("marathonlb_reloads_total", "counter",
           "HAProxy reloads by result.");
  m.Sample("marathonlb_reloads_total", {{"result", "ok"}},
           reloads_ - failed_reloads_);
  m.Sample("marathonlb_reloads_total", {{"result", "failed"}},
           failed_reloads_);
  m.One("marathonlb_live_changes_total", "counter",
        "Server changes made through HAProxy's runtime API, without a "
        "reload.",
        live_changes_);
  m.One("marathonlb_live_fallbacks_total", "counter",
        "Server changes reloaded instead of made through the runtime API.",
        live_fallbacks_);
  m.One("marathonlb_event_stream_connected", "gauge",
        "1 while the Marathon event stream is connected (sse mode), else 0.",
        stream_known_ && stream_connected_ ? 1 : 0);
  m.One("marathonlb_event_lag_seconds", "gauge",
        "The last update that applied events: seconds from the arrival of "
        "its oldest event to the update's end (0 until one).",
        event_lag_known_ ? event_lag_seconds_ : 0);
  m.One("marathonlb_dropped_service_ports", "gauge",
        "Service ports the last good update left out of the config.",
        dropped_service_ports_);
  m.One("marathonlb_config_bytes", "gauge",
        "Size of the config in place, in bytes (0 until one).",
        static_cast<double>(config_bytes_));
  m.One("marathonlb_config_generation", "gauge",
        "Configs written and applied since marathon-lb started.",
        static_cast<double>(generation_));
  m.One("marathonlb_last_success_timestamp_seconds", "gauge",
        "Unix time of the last good update (0 until one).",
        synced_ ? UnixSeconds(last_success_time_) : 0);
  if (haproxy_managed_) {
    m.One("marathonlb_haproxy_running", "gauge",
          "1 while the HAProxy marathon-lb runs is up, else 0.",
          haproxy_running_ ? 1 : 0);
  }
  return m.text();
}

}  // namespace mlb
