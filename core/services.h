// From Marathon apps to the service ports marathon-lb exposes.
//
// BuildServices() applies marathon-lb 1.15's rules for the 2015 feature set:
// FRAMEWORK_NAME skip; group selection; per-port labels (a bad label drops
// only its own service port, with one error line naming app, label and value);
// the health check of each port; the mode; task filtering (agentless tasks,
// dead states, --health-check); backend address resolution (an unresolvable
// agent drops that task with a warning); stable server names and ids; and the
// (appId, servicePort) order. Service ports without any server are left out.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/labels.h"
#include "core/lru_cache.h"
#include "core/marathon_apps.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

class TemplateCatalog;

// Agent host name -> IPv4 address.
class HostResolver {
 public:
  virtual ~HostResolver() = default;
  virtual std::optional<std::string> Resolve(const std::string& host) = 0;
};

// getaddrinfo(AF_INET) with an LRU cache of successful lookups (failures are
// retried next time), like marathon-lb's.
class DnsResolver : public HostResolver {
 public:
  explicit DnsResolver(size_t capacity = 1000) : cache_(capacity) {}
  std::optional<std::string> Resolve(const std::string& host) override;

 private:
  LruCache<std::string, std::string> cache_;
};

// Remembers the last health verdict per task id, for tasks Marathon sends
// without healthCheckResults (e.g. right after a leader failover).
using HealthCache = LruCache<std::string, bool>;

struct ServiceOptions {
  std::vector<std::string> groups;  // --group; "*" selects every app
  bool health_check = false;        // --health-check
  std::string framework_name;       // $FRAMEWORK_NAME
  // Checks the file of a HAPROXY_{n}_SSL_CERT label; an error drops that
  // service port. Empty: not checked.
  std::function<Status(const std::string& path)> check_certificate;
  LabelPolicy label_policy = LabelPolicy::kRestricted;  // --label-policy
};

struct Service {
  // view.labels points at `labels`.
  sdk::ServiceView view;
  std::vector<std::string> groups;
  // The app's labels: a pointer into the apps BuildServices read, not a copy
  // per service port, so those apps must outlive the services (in an update
  // both live until the config is generated).
  const std::map<std::string, std::string>* labels = nullptr;
  PortLabels port_labels;
};

struct ServiceList {
  std::vector<Service> services;      // sorted by (appId, servicePort)
  std::vector<std::string> errors;    // one per dropped service port
  std::vector<std::string> warnings;  // dropped tasks, ignored labels
};

void BuildServices(const std::vector<App>& apps, const ServiceOptions& options,
                   const TemplateCatalog& catalog, HostResolver& resolver,
                   HealthCache& health_cache, ServiceList* out);

// The same, freeing each app's tasks once its servers are made (the apps
// keep their labels, which the services point to): the controller's update,
// which needs the tasks no further.
void BuildServicesReleasingTasks(std::vector<App>* apps,
                                 const ServiceOptions& options,
                                 const TemplateCatalog& catalog,
                                 HostResolver& resolver,
                                 HealthCache& health_cache, ServiceList* out);

// Stable server id: SHA-256 of `name` as a number modulo 32767; on 0 or a
// collision with `taken`, retried with name + " " + hex digest. Adds the id
// to *taken. (BuildServices uses a faster equivalent.)
int ServerId(const std::string& name, std::vector<int>* taken);

}  // namespace mlb
