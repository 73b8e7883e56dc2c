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
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/model/labels.h"
#include "core/base/lru_cache.h"
#include "core/marathon/apps.h"
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

// BuildServices() one app at a time, for a caller that gets the apps one by
// one (core/render/update_pipeline.h builds them while the next apps are read).
// Add() appends the app's service ports, in port index order, with their
// errors and warnings; SortServices() then does what is left of
// BuildServices(). A builder resolves each agent host once in its life, so
// use one per update. Several builders may run on different threads when
// they are given one `shared` mutex: it guards the resolver and the health
// cache, which they then share.
class ServiceBuilder {
 public:
  ServiceBuilder(const ServiceOptions& options, const TemplateCatalog& catalog,
                 HostResolver& resolver, HealthCache& health_cache,
                 std::mutex* shared = nullptr);
  ~ServiceBuilder();
  ServiceBuilder(const ServiceBuilder&) = delete;
  ServiceBuilder& operator=(const ServiceBuilder&) = delete;

  // The service ports of `app`; their labels point into `app`.
  void Add(const App& app, std::vector<Service>* services,
           std::vector<std::string>* errors,
           std::vector<std::string>* warnings);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The order of the generated config: by (appId, servicePort).
inline bool ServiceBefore(const sdk::ServiceView& a, const sdk::ServiceView& b) {
  return a.app_id < b.app_id ||
         (a.app_id == b.app_id && a.service_port < b.service_port);
}

// Two service ports with one backend name (HAPROXY_1_PORT equal to port 0's,
// or apps /a/b and /a_b on one port) would give HAProxy two sections of one
// name and it would reject the whole config. Given the services in order,
// the first keeps the name and the others are refused.
class BackendNames {
 public:
  // "" when `view` may use its backend name, else the error line that drops
  // it. `view` must outlive this object.
  std::string Claim(const sdk::ServiceView& view);

 private:
  std::map<std::string, const sdk::ServiceView*, std::less<>> owners_;
};

// The end of BuildServices() after the Add() of every app: services in
// (appId, servicePort) order (stable), duplicate backends dropped.
void SortServices(ServiceList* list);

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
