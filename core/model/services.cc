#include "core/model/services.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <deque>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/config/listeners.h"

namespace mlb {
namespace {

// The first port of `ports` outside 1..65535, or null.
const int* OutOfRange(const std::vector<int>& ports) {
  for (const int& port : ports) {
    if (port < 1 || port > 65535) {
      return &port;
    }
  }
  return nullptr;
}

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

// marathon-lb 1.15 makes a port http when it borrows one of these checks
// through HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX.
bool IsHttpFamily(const std::string& protocol) {
  return protocol == "HTTP" || protocol == "HTTPS" ||
         protocol == "MESOS_HTTP" || protocol == "MESOS_HTTPS";
}

constexpr std::string_view kHealthCheckPortIndexLabel =
    "HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX";

// Whether Marathon considers the task healthy: any alive result counts.
// `shared`, when set, guards the cache.
bool IsHealthy(const Task& task, HealthCache& cache, std::mutex* shared) {
  std::unique_lock<std::mutex> lock;
  if (shared != nullptr) {
    lock = std::unique_lock<std::mutex>(*shared);
  }
  if (!task.health_alive) {
    return cache.Get(task.id).value_or(false);
  }
  const bool alive = std::any_of(task.health_alive->begin(),
                                 task.health_alive->end(),
                                 [](bool a) { return a; });
  cache.Put(task.id, alive);
  return alive;
}

// Appends `s` cleaned as sdk::CleanName does (one '_' per code point that
// is not [a-zA-Z0-9-]), without the temporary strings of CleanName(a + b).
void AppendCleaned(std::string_view s, std::string* out) {
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-') {
      out->push_back(ch);
    } else if ((c & 0xC0) != 0x80) {
      out->push_back('_');
    }
  }
}

// CleanName(host + "_" + ip + "_" + port), or of ip + "_" + port when the
// agent host is the address.
std::string ServerName(const std::string& host, const std::string& ip,
                       int port) {
  std::string out;
  out.reserve(host.size() + ip.size() + 8);
  if (host != ip) {
    AppendCleaned(host, &out);
    out.push_back('_');
  }
  AppendCleaned(ip, &out);
  out.push_back('_');
  char digits[16];
  const std::to_chars_result r =
      std::to_chars(digits, digits + sizeof(digits), port);
  // A '-' (never in a real port) is kept by CleanName too.
  out.append(digits, r.ptr);
  return out;
}

// The ids given so far in one backend: 1..32766 by hash, then, past 32766
// servers, 32767 upward in server order.
struct IdSet {
  std::bitset<32767> bits;
  size_t count = 0;      // of 1..32766 given
  size_t lowest = 1;     // no free id below it
  int overflow = 32767;  // the next id past 32766
  void reset() { *this = IdSet(); }
};

// Hash tries per server before AssignServerId takes the lowest free id: a
// backend needs thousands of servers before a server needs as many.
constexpr int kIdTries = 64;

// x reduced modulo 32767 = 2^15 - 1, up to adding a multiple of it:
// since 2^15 = 1 (mod 32767), the 15-bit digits of x add up to the same
// residue.
uint64_t Fold(uint64_t x) {
  while (x > 0xFFFF) {
    x = (x & 0x7FFF) + (x >> 15);
  }
  return x;
}

// The 256-bit big-endian digest modulo 32767, the number marathon-lb gets
// by reading its hex digits one by one, 64 bits at a step: 2^64 = 2^4
// (mod 32767), so r * 2^64 + w = r * 16 + w.
int DigestModulo(const Sha256Digest& digest) {
  uint64_t residue = 0;
  for (size_t i = 0; i < digest.size(); i += 8) {
    uint64_t word = 0;
    for (size_t j = 0; j < 8; ++j) {
      word = (word << 8) | digest[i + j];
    }
    residue = Fold(residue * 16 + Fold(word));
  }
  residue %= 32767;
  return static_cast<int>(residue);
}

// marathon-lb's stable server id: SHA-256 of `name` as a number modulo
// 32767; on 0 or an id `taken` by an earlier server of the backend, the same
// of name + " " + hex digest, again. The digest is reduced arithmetically
// (DigestModulo), its hex text made only for a retry.
// Beyond marathon-lb, which looped for ever past 32766 servers and slowed
// down long before (each retry hashes a longer name): after kIdTries the
// lowest free id, and past 32766 servers ids from 32767 up.
int AssignServerId(const std::string& name, IdSet* taken) {
  if (taken->count >= taken->bits.size() - 1) {
    return taken->overflow++;
  }
  std::string retry;  // name + " " + hex + " " + hex ..., on collisions
  const std::string* input = &name;
  int id = 0;
  for (int tries = 0; tries < kIdTries; ++tries) {
    const Sha256Digest digest = Sha256(*input);
    id = DigestModulo(digest);
    if (id != 0 && !taken->bits.test(static_cast<size_t>(id))) {
      break;
    }
    id = 0;
    retry = *input + " " + Hex(digest.data(), digest.size());
    input = &retry;
  }
  if (id == 0) {
    while (taken->bits.test(taken->lowest)) {
      ++taken->lowest;
    }
    id = static_cast<int>(taken->lowest);
  }
  taken->bits.set(static_cast<size_t>(id));
  ++taken->count;
  return id;
}

// Resolves each agent host once per update: a host has hundreds of tasks,
// and the resolver's LRU cache may be smaller than the number of agents (so
// that, visiting apps one by one, it would miss on most of them).
//
// A small open-addressing table rather than std::unordered_map: one look-up
// per task, and the standard map's prime-modulo bucket index and hash cost
// more than the rest of the look-up.
class UpdateResolver {
 public:
  // `shared`, when set, guards `resolver`.
  UpdateResolver(HostResolver& resolver, std::mutex* shared)
      : resolver_(resolver), shared_(shared), slots_(64) {}

  // Null when the host does not resolve. Valid until the end of the update.
  const std::string* Resolve(const std::string& host) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Hash(host) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.host == nullptr) {
        break;
      }
      if (*slot.host == host) {
        return slot.ip;
      }
    }
    std::optional<std::string> ip;
    if (shared_ != nullptr) {
      std::lock_guard<std::mutex> lock(*shared_);
      ip = resolver_.Resolve(host);
    } else {
      ip = resolver_.Resolve(host);
    }
    const std::string* result = nullptr;
    if (ip) {
      addresses_.push_back(std::move(*ip));
      result = &addresses_.back();
    }
    if (2 * (++size_ + 1) > slots_.size()) {
      Grow();
    }
    // A copy of the name: the tasks may be freed during the update.
    hosts_.push_back(host);
    Insert({&hosts_.back(), result});
    return result;
  }

 private:
  struct Slot {
    const std::string* host = nullptr;  // in hosts_
    const std::string* ip = nullptr;    // null: does not resolve
  };

  // FNV-1a: host names and addresses are short.
  static size_t Hash(const std::string& s) {
    uint64_t h = 14695981039346656037ull;
    for (const char c : s) {
      h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    return static_cast<size_t>(h ^ (h >> 29));
  }

  void Insert(const Slot& slot) {
    const size_t mask = slots_.size() - 1;
    size_t i = Hash(*slot.host) & mask;
    while (slots_[i].host != nullptr) {
      i = (i + 1) & mask;
    }
    slots_[i] = slot;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.host != nullptr) {
        Insert(slot);
      }
    }
  }

  HostResolver& resolver_;
  std::mutex* shared_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  size_t size_ = 0;
  std::deque<std::string> addresses_;  // stable addresses for the slots
  std::deque<std::string> hosts_;      // and names
};

// Builds one service port; a kService error drops it.
Status BuildPort(const App& app, int index, const ServiceOptions& options,
                 const LabelTable& labels, const TemplateCatalog& catalog,
                 Service* svc, std::vector<std::string>* warnings) {
  // The id is a word of the config (backend names, {appId}); Marathon
  // allows none of these characters, a file or another source might.
  if (std::string bad = MarathonWordProblem(app.id); !bad.empty()) {
    return Status::ServiceError("app id " + QuoteValue(app.id) + " " + bad);
  }
  MLB_RETURN_IF_ERROR(ParsePortLabels(app.labels, index, labels, catalog,
                                      &svc->port_labels, warnings,
                                      options.label_policy));
  PortLabels& pl = svc->port_labels;
  for (const sdk::LabelValue& value : pl.values) {
    // An empty value names no file: no certificate.
    if (value.kind != MLB_LABEL_CERTIFICATE || value.text.empty() ||
        !options.check_certificate) {
      continue;
    }
    Status cert = options.check_certificate(value.text);
    if (!cert.ok()) {
      return Status::ServiceError("label " + LabelName(value.name, index) +
                                  ": " + cert.message());
    }
  }
  sdk::Service& v = svc->view;
  v.app_id = app.id;
  v.port_index = index;
  v.service_port = pl.port != 0 ? pl.port : app.service_ports[index];
  if (v.service_port < 1 || v.service_port > 65535) {
    return Status::ServiceError("service port " +
                                std::to_string(v.service_port) +
                                " is outside 1..65535");
  }
  v.backend = sdk::AppIdPath(app.id) + "_" + std::to_string(v.service_port);
  v.bind_addr = pl.bind_addr;
  v.vhost_label = pl.vhost;
  if (!pl.vhost.empty()) {
    // An empty host (a trailing or doubled comma) would write an ACL with
    // no value, or an empty word that ends the HAProxy line (the review's
    // `hdr_end(host) -i ""`, which haproxy -c refuses): left out.
    bool empty = false;
    for (std::string& host : Split(pl.vhost, ',')) {
      if (host.empty()) {
        empty = true;
      } else {
        v.vhosts.push_back(std::move(host));
      }
    }
    if (empty) {
      warnings->push_back("app " + app.id + ", service port index " +
                          std::to_string(index) + ": " +
                          LabelName("HAPROXY_{n}_VHOST", index) + " " +
                          QuoteValue(pl.vhost) +
                          " has an empty host name (a trailing or doubled "
                          "comma): left out");
      std::string joined;
      for (const std::string& host : v.vhosts) {
        joined += (joined.empty() ? "" : ",") + host;
      }
      v.vhost_label = joined;
    }
  }
  v.labels = std::move(pl.values);
  v.health_check = ChooseHealthCheck(app, index);
  // HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX: must name a port of the app.
  // Without a check of its own the port borrows that port's check.
  bool borrowed_http_check = false;
  if (pl.healthcheck_port_index) {
    const long long k = *pl.healthcheck_port_index;
    const size_t count = app.service_ports.size();
    if (k < 0 || static_cast<unsigned long long>(k) >= count) {
      const std::string label =
          LabelName(kHealthCheckPortIndexLabel, index);
      return Status::ServiceError(
          "label " + label + ": " + QuoteValue(app.labels.at(label)) +
          " is not a port index of the app (" +
          (count == 1 ? "0" : "0-" + std::to_string(count - 1)) + ")");
    }
    if (!v.health_check) {
      v.health_check = ChooseHealthCheck(app, static_cast<int>(k));
      borrowed_http_check =
          v.health_check && IsHttpFamily(v.health_check->protocol);
    }
  }
  // Mode: http for an HTTP check, then the MODE label, then http for a
  // borrowed HTTP-family check, then vhost => http.
  if (v.health_check && v.health_check->protocol == "HTTP") {
    v.mode = "http";
  }
  if (!pl.mode.empty()) {
    v.mode = pl.mode;
  }
  if (borrowed_http_check && v.mode != "http") {
    if (!v.mode.empty()) {
      warnings->push_back(
          "app " + app.id + ", service port index " + std::to_string(index) +
          ": " + LabelName("HAPROXY_{n}_MODE", index) +
          " ignored: the port takes the " + v.health_check->protocol +
          " health check of port index " +
          std::to_string(*pl.healthcheck_port_index) + " (" +
          LabelName(kHealthCheckPortIndexLabel, index) +
          "), which makes it http");
    }
    v.mode = "http";
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
  if (options.vhost_owners != nullptr) {
    for (const std::string& vhost : v.vhosts) {
      const Status owned = options.vhost_owners->Check(app.id, vhost);
      if (!owned.ok()) {
        return Status::ServiceError(
            "label " + LabelName("HAPROXY_{n}_VHOST", index) + ": " +
            owned.message());
      }
    }
  }
  return Status::OK();
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

std::string BackendNames::Claim(const sdk::Service& view) {
  auto [it, inserted] = owners_.emplace(view.backend, &view);
  if (inserted) {
    return "";
  }
  return "app " + view.app_id + ", service port index " +
         std::to_string(view.port_index) + ": backend " + view.backend +
         " is already used by app " + it->second->app_id +
         ", service port index " + std::to_string(it->second->port_index) +
         "; service port skipped";
}

// Scratch of one builder, reused from app to app.
struct ServiceBuilder::State {
  State(const ServiceOptions& options, const LabelTable& labels,
        const TemplateCatalog& catalog, HostResolver& resolver,
        HealthCache& health_cache, std::mutex* shared)
      : options(Guarded(options, shared)),
        labels(labels),
        catalog(catalog),
        update_resolver(resolver, shared),
        health_cache(health_cache),
        shared(shared) {}

  // `options` with its certificate check (which may keep a cache) under
  // `shared`.
  static ServiceOptions Guarded(ServiceOptions options, std::mutex* shared) {
    if (shared != nullptr && options.check_certificate) {
      options.check_certificate =
          [check = std::move(options.check_certificate),
           shared](const std::string& path) {
            std::lock_guard<std::mutex> lock(*shared);
            return check(path);
          };
    }
    return options;
  }

  const ServiceOptions options;
  const LabelTable& labels;
  const TemplateCatalog& catalog;
  UpdateResolver update_resolver;
  HealthCache& health_cache;
  std::mutex* shared;
  IdSet taken;
  // Backends of one app: (agent host, address, task ports), all pointing
  // into the app or the resolver.
  struct Backend {
    const std::string* host;
    const std::string* ip;
    const std::vector<int>* ports;
    const std::string* task_id;
    bool draining;
  };
  std::vector<Backend> backends;
  struct ServerKey {
    const std::string* host;
    int port;
    const std::string* ip;
    const Backend* backend;
  };
  std::vector<ServerKey> keys;
  std::vector<bool> exposed;  // by service port index: group and ENABLED
};

ServiceBuilder::ServiceBuilder(const ServiceOptions& options,
                               const LabelTable& labels,
                               const TemplateCatalog& catalog,
                               HostResolver& resolver, HealthCache& health_cache,
                               std::mutex* shared)
    : state_(std::make_unique<State>(options, labels, catalog, resolver,
                                     health_cache, shared)) {}

ServiceBuilder::~ServiceBuilder() = default;

void ServiceBuilder::Add(const App& app, std::vector<Service>* services,
                         std::vector<std::string>* errors,
                         std::vector<std::string>* warnings,
                         std::vector<int>* disabled) {
  State& st = *state_;
  const ServiceOptions& options = st.options;
  if (!options.framework_name.empty() && app.id.size() > 1 &&
      std::string_view(app.id).substr(1) == options.framework_name) {
    return;
  }
  // marathon-lb 1.15's order: the port's groups (HAPROXY_{n}_GROUP, else
  // the app's), then HAPROXY_{n}_ENABLED; the labels of a port another load
  // balancer serves are not read.
  const std::vector<std::string> app_groups = ParseAppGroups(app.labels);
  // Most apps set neither label: one answer for all their ports.
  bool per_port = false;
  for (const auto& [label, value] : app.labels) {
    const std::string_view name(label);
    const auto ends = [&](std::string_view end) {
      return name.size() > end.size() &&
             name.substr(name.size() - end.size()) == end;
    };
    per_port = per_port || (name != "HAPROXY_GROUP" &&
                            (ends("_GROUP") || ends("_ENABLED")));
  }
  const bool app_selected = SelectedByGroups(options.groups, app_groups);
  st.exposed.assign(app.service_ports.size(),
                    app_selected && !options.strict_mode);
  bool any = !per_port && app_selected && !options.strict_mode;
  for (size_t i = 0; !per_port && disabled != nullptr && app_selected &&
                     options.strict_mode && i < app.service_ports.size();
       ++i) {
    disabled->push_back(app.service_ports[i]);
  }
  for (size_t i = 0; per_port && i < app.service_ports.size(); ++i) {
    const int index = static_cast<int>(i);
    const std::string* port_groups = PortGroupLabel(app.labels, index);
    const bool selected =
        port_groups == nullptr
            ? app_selected
            : SelectedByGroups(options.groups, Split(*port_groups, ','));
    st.exposed[i] =
        selected && PortEnabled(app.labels, index, options.strict_mode);
    if (selected && !st.exposed[i] && disabled != nullptr) {
      disabled->push_back(app.service_ports[i]);
    }
    any = any || st.exposed[i];
  }
  if (!any) {
    return;
  }
  st.backends.clear();
  // As marathon-lb: any healthChecks entry, even {}, turns the filter on.
  const bool check_health = options.health_check && !app.health_checks.empty();
  for (const Task& task : app.tasks) {
    // Most tasks run: one comparison before the set.
    if (task.host.empty() || (task.state != "TASK_RUNNING" &&
                              kDroppedStates.count(task.state) > 0)) {
      continue;
    }
    if (check_health && !IsHealthy(task, st.health_cache, st.shared)) {
      continue;
    }
    if (app.networking == Networking::kContainer) {
      if (task.ip_addresses.empty()) {
        warnings->push_back("app " + app.id + ": task " + task.id +
                            " has no IP address yet; task skipped");
        continue;
      }
      // The address goes into a server line as it is: an IP literal only.
      if (CanonicalAddress(task.ip_addresses.front()).empty()) {
        warnings->push_back("app " + app.id + ": task " + task.id +
                            " dropped: ipAddress " +
                            QuoteValue(task.ip_addresses.front()) +
                            " is not an IP address");
        continue;
      }
      st.backends.push_back({&task.host, &task.ip_addresses.front(),
                             &app.container_ports, &task.id, task.draining});
    } else {
      const std::string* ip = st.update_resolver.Resolve(task.host);
      if (ip == nullptr) {
        warnings->push_back("app " + app.id + ": task " + task.id +
                            " dropped: cannot resolve agent host " +
                            task.host);
        continue;
      }
      if (const int* bad = OutOfRange(task.ports)) {
        warnings->push_back("app " + app.id + ": task " + task.id +
                            " dropped: port " + std::to_string(*bad) +
                            " is outside 1..65535");
        continue;
      }
      // A task without ports (e.g. "ports": []) listens on the app's
      // declared ports, as marathon-lb assumes.
      st.backends.push_back(
          {&task.host, ip,
           task.ports.empty() ? &app.declared_ports : &task.ports, &task.id,
           task.draining});
    }
  }
  const size_t first = services->size();
  for (size_t i = 0; i < app.service_ports.size(); ++i) {
    if (!st.exposed[i]) {
      continue;
    }
    const int index = static_cast<int>(i);
    Service svc;
    const auto skip = [&](const std::string& why) {
      errors->push_back("app " + app.id + ", service port index " +
                        std::to_string(index) + ": " + why +
                        "; service port skipped");
    };
    Status status =
        BuildPort(app, index, options, st.labels, st.catalog, &svc, warnings);
    if (!status.ok()) {
      skip(status.message());
      continue;
    }
    // Servers sorted by (host, port, address) as small keys pointing into
    // the app, before any ServerView (three strings) is made.
    st.keys.clear();
    size_t out_of_range = 0;
    for (const State::Backend& b : st.backends) {
      if (i < b.ports->size()) {
        const int port = (*b.ports)[i];
        if (port < 1 || port > 65535) {
          ++out_of_range;  // the app's own ports (container, declared)
          continue;
        }
        st.keys.push_back({b.host, port, b.ip, &b});
      }
    }
    if (out_of_range > 0) {
      warnings->push_back("app " + app.id + ", service port index " +
                          std::to_string(index) + ": " +
                          std::to_string(out_of_range) +
                          " task(s) dropped: their port is outside 1..65535");
    }
    if (st.keys.empty()) {
      continue;
    }
    std::sort(st.keys.begin(), st.keys.end(),
              [](const State::ServerKey& a, const State::ServerKey& b) {
                return std::tie(*a.host, a.port, *a.ip) <
                       std::tie(*b.host, b.port, *b.ip);
              });
    // HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX=k: each server is checked
    // on its own task's port k (BuildPort checked that k is a port index).
    if (svc.view.health_check && svc.port_labels.healthcheck_port_index) {
      const size_t k =
          static_cast<size_t>(*svc.port_labels.healthcheck_port_index);
      std::string why;
      for (const State::ServerKey& key : st.keys) {
        const std::vector<int>& ports = *key.backend->ports;
        if (k >= ports.size()) {
          why = "task " + *key.backend->task_id + " has no port of index " +
                std::to_string(k);
        } else if (ports[k] < 1 || ports[k] > 65535) {
          why = "the port of index " + std::to_string(k) + " of task " +
                *key.backend->task_id + " is " + std::to_string(ports[k]) +
                ", outside 1..65535";
        }
        if (!why.empty()) {
          break;
        }
        svc.view.check_ports.push_back(ports[k]);
      }
      if (!why.empty()) {
        const std::string label = LabelName(kHealthCheckPortIndexLabel, index);
        skip("label " + label + ": " + QuoteValue(app.labels.at(label)) +
             " names a port the servers cannot be checked on: " + why);
        continue;
      }
    }
    svc.view.servers.reserve(st.keys.size());
    for (const State::ServerKey& key : st.keys) {
      svc.view.servers.push_back({*key.host, *key.ip, key.port, "", 0});
    }
    // HAPROXY_DEPLOYMENT_GROUP: the old tasks being drained.
    for (size_t s = 0; s < st.keys.size(); ++s) {
      if (st.keys[s].backend->draining) {
        svc.view.draining.resize(st.keys.size(), 0);
        svc.view.draining[s] = 1;
      }
    }
    st.taken.reset();
    for (sdk::Server& server : svc.view.servers) {
      server.name = ServerName(server.host, server.ip, server.port);
      server.id = AssignServerId(server.name, &st.taken);
    }
    services->push_back(std::move(svc));
  }
  // In the order of the config; the first http port answers for the app.
  std::stable_sort(services->begin() + static_cast<std::ptrdiff_t>(first),
                   services->end(), [](const Service& a, const Service& b) {
                     return a.view.service_port < b.view.service_port;
                   });
  for (size_t i = first; i < services->size(); ++i) {
    if ((*services)[i].view.mode == "http") {
      (*services)[i].view.first_http_port = true;
      break;
    }
  }
}

bool AutoServicePorts::Wants(const App& app) const {
  return min_ > 0 && max_ >= min_ && app.networking == Networking::kContainer &&
         app.service_ports.empty() && !app.tasks.empty() &&
         !app.container_ports.empty();
}

void AutoServicePorts::Assign(App* app) {
  for (const int container_port : app->container_ports) {
    app->service_ports.push_back(Pick(app->id, container_port));
  }
}

int AutoServicePorts::Pick(const std::string& app_id, int container_port) {
  const auto key = std::make_pair(app_id, container_port);
  if (auto it = by_app_.find(key); it != by_app_.end()) {
    return it->second;
  }
  const int range = max_ - min_ + 1;
  if (taken_.size() >= static_cast<size_t>(range)) {
    return 0;
  }
  int port = 0;
  for (int i = 0; i < 50 && port == 0; ++i) {
    Poco::SHA1Engine sha1;
    sha1.update(app_id + "-" + std::to_string(container_port) + "-" +
                std::to_string(i));
    const std::string hex = Poco::DigestEngine::digestToHex(sha1.digest());
    const int trial = min_ + static_cast<int>(
                                 std::stoul(hex.substr(0, 8), nullptr, 16) %
                                 static_cast<unsigned long>(range));
    if (taken_.count(trial) == 0) {
      port = trial;
    }
  }
  for (int trial = min_; port == 0 && trial <= max_; ++trial) {
    if (taken_.count(trial) == 0) {
      port = trial;
    }
  }
  taken_.insert(port);
  by_app_[key] = port;
  return port;
}

std::vector<size_t> ConfigOrder(const std::vector<const Service*>& services,
                                std::vector<std::string>* errors) {
  std::vector<size_t> order(services.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  // The keys side by side, not behind two pointers each: the sort reads
  // them some 13 times per service at 5,000.
  struct Key {
    std::string_view app_id;
    int service_port;
    size_t index;
  };
  std::vector<Key> keys;
  keys.reserve(services.size());
  for (size_t i = 0; i < services.size(); ++i) {
    keys.push_back({services[i]->view.app_id, services[i]->view.service_port,
                    i});
  }
  const auto before = [](const Key& a, const Key& b) {
    const int c = a.app_id.compare(b.app_id);
    return c < 0 || (c == 0 && a.service_port < b.service_port);
  };
  // Marathon lists apps by id: most often in order already (one pass).
  if (!std::is_sorted(keys.begin(), keys.end(), before)) {
    std::stable_sort(keys.begin(), keys.end(), before);
    for (size_t i = 0; i < keys.size(); ++i) {
      order[i] = keys[i].index;
    }
  }
  BackendNames names;
  names.Reserve(services.size());
  std::vector<size_t> kept;
  kept.reserve(order.size());
  for (const size_t i : order) {
    std::string error = names.Claim(services[i]->view);
    if (error.empty()) {
      kept.push_back(i);
    } else {
      errors->push_back(std::move(error));
    }
  }
  return kept;
}

}  // namespace mlb
