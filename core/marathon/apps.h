// Marathon's /v2/apps?embed=apps.tasks response as typed data.
//
// ParseApps() reads the fields marathon-lb reads and nothing
// else. A document that is not JSON, or has no "apps" array, is an error; an
// app whose own fields are malformed is skipped with a warning naming it, so
// one bad app never hides the others.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

using HealthCheck = sdk::HealthCheck;

// How an app's tasks are reached (Marathon's networking modes).
enum class Networking {
  kHost,             // agent host + task.ports
  kContainerBridge,  // agent host + task.ports (host ports of portMappings)
  kContainer,        // IP per task: task.ipAddresses + container ports
};

struct Task {
  std::string id;
  std::string host;
  std::vector<int> ports;
  std::string state;                      // "TASK_RUNNING", "" if absent
  std::vector<std::string> ip_addresses;  // ipAddresses[].ipAddress
  // healthCheckResults[].alive; nullopt when Marathon sent no results.
  std::optional<std::vector<bool>> health_alive;
  // Set by MergeDeploymentGroups: an old blue/green task HAProxy should send
  // no new requests to (its server line is rendered disabled).
  bool draining = false;
};

// The longest value of an HAPROXY_* label: an app with a longer one is
// skipped with a warning (HAProxy reads lines of a few kilobytes; a label of
// 100 MB cost 26 s of checks and 2 GB on every update). Other labels
// (DC/OS package metadata can be large) are not limited.
inline constexpr size_t kMaxHaproxyLabelBytes = 64 * 1024;
// The most an app's HAPROXY_* labels may hold in all, names and values: the
// per-value cap alone lets 64 labels of 64 KiB (or any number) through.
// marathon-lb 1.15's largest real labels are its template overrides, a few
// KiB each and some 40 kinds per service port; 1 MiB is 16 labels at the
// value cap.
inline constexpr size_t kMaxHaproxyLabelsTotalBytes = 1 << 20;
// The longest HAPROXY_* label name. 1.15's longest (a health-check options
// template) has 44 bytes with a one-digit port index; no name it reads
// comes near 256.
inline constexpr size_t kMaxHaproxyLabelNameBytes = 256;

// Why `labels` break one of the three caps above ("label X has N bytes,
// more than 65536"; a long name is shown by its first 64 bytes), or "" if
// they do not. Marathon readers skip the app with this.
std::string HaproxyLabelSizeProblem(
    const std::map<std::string, std::string>& labels);

struct App {
  std::string id;
  std::map<std::string, std::string> labels;
  Networking networking = Networking::kHost;
  std::vector<int> service_ports;    // one per service port index
  std::vector<int> container_ports;  // IP-per-task backend ports
  std::vector<int> declared_ports;   // portDefinitions[].port, else ports
  // Marathon order; nullopt for an empty check object ({} counts as none).
  std::vector<std::optional<HealthCheck>> health_checks;
  std::vector<Task> tasks;
  int instances = 0;            // "instances": the instances Marathon keeps
  std::string last_scaling_at;  // "versionInfo.lastScalingAt", ISO 8601
};

// Receives the apps of a document as ParseApps reads them, one at a time, so
// that a caller can work on an app while the next one is read.
class AppSink {
 public:
  virtual ~AppSink() = default;
  // The next app, in document order.
  virtual void Add(App app) = 0;
  // Forget every app added so far: a later "apps" member replaces them, or
  // the document turned out to be malformed (ParseApps then fails).
  virtual void Clear() = 0;
};

// Collects the apps in a vector.
class AppVectorSink : public AppSink {
 public:
  explicit AppVectorSink(std::vector<App>* apps) : apps_(apps) {}
  void Add(App app) override { apps_->push_back(std::move(app)); }
  void Clear() override { apps_->clear(); }

 private:
  std::vector<App>* apps_;
};

// Parses GET /v2/apps/<id>?embed=app.tasks: {"app": {...}}. Error: not
// JSON, no "app" object, or the app cannot be read (why, as ParseApps warns).
Status ParseApp(std::string_view json, App* app);

// Parses `json`. Apps that cannot be read are left out and one warning per
// app is appended to *warnings ("app /x: ports[1] is not an integer").
Status ParseApps(std::string_view json, std::vector<App>* apps,
                 std::vector<std::string>* warnings);

// The same, giving each app to `sink` as soon as it is read.
Status ParseApps(std::string_view json, AppSink* sink,
                 std::vector<std::string>* warnings);

// Fills up to `size` bytes at `buffer` with the next part of the document;
// returns how many, 0 at its end.
using AppSource = std::function<size_t(char* buffer, size_t size)>;

// The same, reading the document from `source` in chunks of about `chunk`
// bytes: only the app being read (and one chunk) is held in memory, never the
// whole document. Same apps, warnings and errors as ParseApps(text) on the
// same bytes. A source that fails returns 0 and reports its own error.
Status ParseApps(const AppSource& source, size_t chunk, std::vector<App>* apps,
                 std::vector<std::string>* warnings);
Status ParseApps(const AppSource& source, size_t chunk, AppSink* sink,
                 std::vector<std::string>* warnings);

}  // namespace mlb
