#include "core/services.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace mlb {
namespace {

// Task states marathon-lb 1.15 leaves out (RUNNING, LOST, UNREACHABLE and
// unknown states stay).
const std::set<std::string, std::less<>> kDroppedStates = {
    "TASK_STAGING", "TASK_STARTING", "TASK_KILLING", "TASK_FINISHED",
    "TASK_FAILED",  "TASK_KILLED",   "TASK_ERROR",   "TASK_DROPPED",
    "TASK_GONE",    "TASK_GONE_BY_OPERATOR",         "TASK_UNKNOWN"};

bool SelectedByGroups(const std::vector<std::string>& lb_groups,
                      const std::vector<std::string>& app_groups) {
  for (const std::string& g : lb_groups) {
    if (g == "*" ||
        std::find(app_groups.begin(), app_groups.end(), g) != app_groups.end()) {
      return true;
    }
  }
  return false;
}

// marathon-lb 1.15: the first check that has a port, or whose portIndex is
// this port's index.
std::optional<HealthCheck> ChooseHealthCheck(const App& app, int index) {
  for (const auto& check : app.health_checks) {
    if (check && ((check->port && *check->port != 0) ||
                  (check->port_index && *check->port_index == index))) {
      return check;
    }
  }
  return std::nullopt;
}


// Whether Marathon considers the task healthy: any alive result counts.
bool IsHealthy(const Task& task, HealthCache& cache) {
  if (!task.health_alive) {
    return cache.Get(task.id).value_or(false);
  }
  const bool alive = std::any_of(task.health_alive->begin(),
                                 task.health_alive->end(),
                                 [](bool a) { return a; });
  cache.Put(task.id, alive);
  return alive;
}

std::string ServerName(const std::string& host, const std::string& ip,
                       int port) {
  const std::string raw = host == ip ? ip + "_" + std::to_string(port)
                                     : host + "_" + ip + "_" + std::to_string(port);
  return sdk::CleanName(raw);
}

// Builds one service port; a kService error drops it.
Status BuildPort(const App& app, int index, const TemplateCatalog& catalog,
                 Service* svc, std::vector<std::string>* warnings) {
  MLB_RETURN_IF_ERROR(
      ParsePortLabels(app.labels, index, catalog, &svc->port_labels, warnings));
  const PortLabels& pl = svc->port_labels;
  sdk::ServiceView& v = svc->view;
  v.app_id = app.id;
  v.port_index = index;
  v.service_port = pl.port != 0 ? pl.port : app.service_ports[index];
  v.backend = sdk::AppIdPath(app.id) + "_" + std::to_string(v.service_port);
  v.bind_addr = pl.bind_addr;
  v.vhost_label = pl.vhost;
  if (!pl.vhost.empty()) {
    v.vhosts = Split(pl.vhost, ',');
  }
  v.sticky = pl.sticky;
  v.redirect_to_https = pl.redirect_to_https;
  v.ssl_cert = pl.ssl_cert;
  v.health_check = ChooseHealthCheck(app, index);
  // Mode: http for an HTTP check, then the MODE label, then vhost => http.
  if (v.health_check && v.health_check->protocol == "HTTP") {
    v.mode = "http";
  }
  if (!pl.mode.empty()) {
    v.mode = pl.mode;
  }
  if (v.mode.empty()) {
    v.mode = v.vhosts.empty() ? "tcp" : "http";
  }
  // marathon-lb 1.15 would route the vhost from the http frontends to a tcp
  // backend, which HAProxy rejects, taking every app down with it. Keep the
  // port, without vhost routing.
  if (v.mode == "tcp" && !v.vhosts.empty()) {
    warnings->push_back("app " + app.id + ", service port index " +
                        std::to_string(index) + ": " +
                        LabelName("HAPROXY_{n}_VHOST", index) +
                        " ignored: vhost routing needs http mode, and " +
                        LabelName("HAPROXY_{n}_MODE", index) + " is tcp");
    v.vhosts.clear();
    v.vhost_label.clear();
  }
  return Status::OK();
}

// Two service ports with one backend name (HAPROXY_1_PORT equal to port 0's,
// or apps /a/b and /a_b on one port) would give HAProxy two sections of one
// name and it would reject the whole config. The first in sort order keeps
// the name; the others are dropped.
void DropDuplicateBackends(ServiceList* list) {
  std::map<std::string, const Service*> owners;
  std::vector<Service> kept;
  kept.reserve(list->services.size());
  for (Service& svc : list->services) {
    auto [it, inserted] = owners.emplace(svc.view.backend, nullptr);
    if (!inserted) {
      list->errors.push_back(
          "app " + svc.view.app_id + ", service port index " +
          std::to_string(svc.view.port_index) + ": backend " +
          svc.view.backend + " is already used by app " +
          it->second->view.app_id + ", service port index " +
          std::to_string(it->second->view.port_index) +
          "; service port skipped");
      continue;
    }
    kept.push_back(std::move(svc));
    it->second = &kept.back();
  }
  list->services = std::move(kept);
}

}  // namespace

std::optional<std::string> DnsResolver::Resolve(const std::string& host) {
  if (std::optional<std::string> cached = cache_.Get(host)) {
    return cached;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 ||
      result == nullptr) {
    return std::nullopt;
  }
  char buf[INET_ADDRSTRLEN];
  const auto* addr = reinterpret_cast<const sockaddr_in*>(result->ai_addr);
  const bool ok =
      inet_ntop(AF_INET, &addr->sin_addr, buf, sizeof(buf)) != nullptr;
  freeaddrinfo(result);
  if (!ok) {
    return std::nullopt;
  }
  cache_.Put(host, buf);
  return std::string(buf);
}

int ServerId(const std::string& name, std::vector<int>* taken) {
  std::string input = name;
  while (true) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(input);
    const std::string hex = Poco::DigestEngine::digestToHex(sha.digest());
    int id = 0;
    for (char c : hex) {
      const int digit = c <= '9' ? c - '0' : c - 'a' + 10;
      id = (id * 16 + digit) % 32767;
    }
    if (id != 0 && std::find(taken->begin(), taken->end(), id) == taken->end()) {
      taken->push_back(id);
      return id;
    }
    input = input + " " + hex;
  }
}

void BuildServices(const std::vector<App>& apps, const ServiceOptions& options,
                   const TemplateCatalog& catalog, HostResolver& resolver,
                   HealthCache& health_cache, ServiceList* out) {
  for (const App& app : apps) {
    if (!options.framework_name.empty() && app.id.size() > 1 &&
        app.id.substr(1) == options.framework_name) {
      continue;
    }
    const std::vector<std::string> groups = ParseAppGroups(app.labels);
    if (!SelectedByGroups(options.groups, groups)) {
      continue;
    }
    // Backends of the app: (agent host, address, task ports).
    struct Backend {
      std::string host;
      std::string ip;
      std::vector<int> ports;
    };
    std::vector<Backend> backends;
    // As marathon-lb: any healthChecks entry, even {}, turns the filter on.
    const bool check_health = options.health_check && !app.health_checks.empty();
    for (const Task& task : app.tasks) {
      if (task.host.empty() || kDroppedStates.count(task.state) > 0) {
        continue;
      }
      if (check_health && !IsHealthy(task, health_cache)) {
        continue;
      }
      Backend b{task.host, "", {}};
      if (app.networking == Networking::kContainer) {
        if (task.ip_addresses.empty()) {
          out->warnings.push_back("app " + app.id + ": task " + task.id +
                                  " has no IP address yet; task skipped");
          continue;
        }
        b.ip = task.ip_addresses.front();
        b.ports = app.container_ports;
      } else {
        std::optional<std::string> ip = resolver.Resolve(task.host);
        if (!ip) {
          out->warnings.push_back("app " + app.id + ": task " + task.id +
                                  " dropped: cannot resolve agent host " +
                                  task.host);
          continue;
        }
        b.ip = *ip;
        // A task without ports (e.g. "ports": []) listens on the app's
        // declared ports, as marathon-lb assumes.
        b.ports = task.ports.empty() ? app.declared_ports : task.ports;
      }
      backends.push_back(std::move(b));
    }
    for (size_t i = 0; i < app.service_ports.size(); ++i) {
      const int index = static_cast<int>(i);
      Service svc;
      svc.groups = groups;
      svc.labels = app.labels;
      Status status = BuildPort(app, index, catalog, &svc, &out->warnings);
      if (!status.ok()) {
        out->errors.push_back("app " + app.id + ", service port index " +
                              std::to_string(index) + ": " + status.message() +
                              "; service port skipped");
        continue;
      }
      for (const Backend& b : backends) {
        if (i < b.ports.size()) {
          svc.view.servers.push_back({b.host, b.ip, b.ports[i], "", 0});
        }
      }
      if (svc.view.servers.empty()) {
        continue;
      }
      std::sort(svc.view.servers.begin(), svc.view.servers.end(),
                [](const sdk::ServerView& a, const sdk::ServerView& b) {
                  return std::tie(a.host, a.port, a.ip) <
                         std::tie(b.host, b.port, b.ip);
                });
      std::vector<int> taken;
      for (sdk::ServerView& server : svc.view.servers) {
        server.name = ServerName(server.host, server.ip, server.port);
        server.id = ServerId(server.name, &taken);
      }
      out->services.push_back(std::move(svc));
    }
  }
  std::stable_sort(out->services.begin(), out->services.end(),
                   [](const Service& a, const Service& b) {
                     return std::tie(a.view.app_id, a.view.service_port) <
                            std::tie(b.view.app_id, b.view.service_port);
                   });
  DropDuplicateBackends(out);
}

}  // namespace mlb
