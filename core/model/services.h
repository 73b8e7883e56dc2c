// From Marathon apps to the service ports marathon-lb exposes.
//
// ServiceBuilder applies marathon-lb 1.15's rules, one app at a time:
// FRAMEWORK_NAME skip; group selection; per-port labels (a bad label drops
// only its own service port, with one error line naming app, label and value);
// the health check of each port; the mode; task filtering (agentless tasks,
// dead states, --health-check); backend address resolution (an unresolvable
// agent drops that task with a warning); stable server names and ids.
// Service ports without any server are left out. ConfigOrder() then puts
// every app's services in the order of the config.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model/labels.h"
#include "core/model/vhost_owners.h"
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
  bool strict_mode = false;         // --strict-mode: HAPROXY_{n}_ENABLED
  std::string framework_name;       // $FRAMEWORK_NAME
  // Checks the file a certificate label (MLB_LABEL_CERTIFICATE) names; an
  // error drops that service port. Empty: not checked.
  std::function<Status(const std::string& path)> check_certificate;
  LabelPolicy label_policy = LabelPolicy::kRestricted;  // --label-policy
  // --vhost-owners: which apps may serve which hosts; null: any app any.
  const VhostOwners* vhost_owners = nullptr;
  // --min/--max-serv-port-ip-per-task: the range of AutoServicePorts; 0 and
  // 0: none assigned.
  int auto_port_min = 10050;
  int auto_port_max = 10100;
};

// marathon-lb 1.15's service ports for IP-per-task apps Marathon reports
// without any (Marathon issue 3636): one per container port, from
// [min, max]: the first free of 50 candidates chosen by a hash of the app id
// and the container port, else the lowest free port; 0 once the range is
// used up. One assigner per update, given the apps in app id order (1.15
// went by Marathon's order, so that its ports could change with it).
class AutoServicePorts {
 public:
  AutoServicePorts(int min, int max) : min_(min), max_(max) {}

  // Whether `app` takes its service ports from here: container networking,
  // no service port from Marathon, a task, container ports, and a range.
  bool Wants(const App& app) const;

  // Sets app->service_ports, one per container port.
  void Assign(App* app);

 private:
  int Pick(const std::string& app_id, int container_port);

  int min_;
  int max_;
  std::map<std::pair<std::string, int>, int> by_app_;  // (app, port) -> port
  std::set<int> taken_;
};

// One service port: what the template packs see (`view`), and what the
// core keeps of its labels (template overrides, the policy).
struct Service {
  sdk::Service view;
  PortLabels port_labels;  // its `values` are moved into view.labels
  // Once rendered (the labels are freed then): the values of its labels,
  // one per line, to tell what an app wrote from what the operator's
  // templates did when HAProxy refuses a line (core/app/refused_ports.h).
  std::string label_text;
};

// Builds the service ports of one app after another (core/render/
// update_pipeline.h builds them while the next apps are read). A builder
// resolves each agent host once in its life, so use one per update. Several
// builders may run on different threads when they are given one `shared`
// mutex: it guards the resolver and the health cache, which they then
// share.
class ServiceBuilder {
 public:
  ServiceBuilder(const ServiceOptions& options, const LabelTable& labels,
                 const TemplateCatalog& catalog, HostResolver& resolver,
                 HealthCache& health_cache, std::mutex* shared = nullptr);
  ~ServiceBuilder();
  ServiceBuilder(const ServiceBuilder&) = delete;
  ServiceBuilder& operator=(const ServiceBuilder&) = delete;

  // Appends the service ports of `app` to *services, in service port order
  // (the order of the config), with their errors and warnings. *disabled
  // (unless null) gets the service ports of this LB's groups that
  // HAPROXY_{n}_ENABLED (or --strict-mode without it) leaves out.
  void Add(const App& app, std::vector<Service>* services,
           std::vector<std::string>* errors,
           std::vector<std::string>* warnings,
           std::vector<int>* disabled = nullptr);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The order of the generated config: by (appId, servicePort).
inline bool ServiceBefore(const sdk::Service& a, const sdk::Service& b) {
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
  std::string Claim(const sdk::Service& view);
  // Room for `services` names, so that the map does not rehash as it grows.
  void Reserve(size_t services) { owners_.reserve(services); }

 private:
  // By backend name, a view of the owner's `backend`.
  std::unordered_map<std::string_view, const sdk::Service*> owners_;
};

// The order of the config: the indexes of `services` by (appId,
// servicePort) (stable), leaving out each service whose backend name an
// earlier one has (BackendNames; the error goes to *errors).
std::vector<size_t> ConfigOrder(const std::vector<const Service*>& services,
                                std::vector<std::string>* errors);

}  // namespace mlb
