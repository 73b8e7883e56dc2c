#include "core/render/assembler.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "core/base/text.h"
#include "core/config/haproxy_words.h"

namespace mlb {

// The addresses bound so far: a service's `bind` may not share a port with
// the LB's own frontends (:80, :443, :9091, the stats listener's :9090) nor
// with an earlier service (SO_REUSEPORT would split the traffic between them).
class ConfigAssembler::Ports {
 public:
  struct Claim {
    Listener listener;
    const sdk::Service* service;  // null: the LB's own section

    // "frontend marathon_https_in (bind *:443)", "app /a, service port
    // index 0 (bind *:10001 in frontend a_10001)".
    std::string Owner() const {
      if (service == nullptr) {
        return listener.section + " (bind " + listener.bind + ")";
      }
      return "app " + service->app_id + ", service port index " +
             std::to_string(service->port_index) + " (bind " + listener.bind +
             " in " + listener.section + ")";
    }
  };

  // The claim `l` would share a port with, or null.
  const Claim* Find(const Listener& l) const {
    for (auto it = claims_.lower_bound(l.first_port - max_span_);
         it != claims_.end() && it->first <= l.last_port; ++it) {
      if (SharesPort(l, it->second.listener)) {
        return &it->second;
      }
    }
    return nullptr;
  }

  void Add(Listener l, const sdk::Service* service) {
    max_span_ = std::max(max_span_, l.last_port - l.first_port);
    const int port = l.first_port;
    claims_.emplace(port, Claim{std::move(l), service});
  }

 private:
  std::multimap<int, Claim> claims_;  // by first port
  int max_span_ = 0;
};

// The service ports Marathon assigned, and to which service. Such a port
// stays its app's whatever another app's HAPROXY_{n}_PORT label or `bind`
// lines ask for: otherwise an app whose id sorts first could take another
// app's port, and the owner would be the one dropped.
class ConfigAssembler::AssignedPorts {
 public:
  explicit AssignedPorts(const std::vector<const Service*>& services) {
    // (port, service) sorted by port, the first in `services` first; then
    // each port once, kept by the first.
    const auto by_port = [](const Entry& a, const Entry& b) {
      return a.first < b.first;
    };
    const auto same_port = [](const Entry& a, const Entry& b) {
      return a.first == b.first;
    };
    for (const Service* s : services) {
      if (s->port_labels.port == 0) {  // no HAPROXY_{n}_PORT: Marathon's port
        owners_.emplace_back(s->view.service_port, &s->view);
      }
    }
    std::stable_sort(owners_.begin(), owners_.end(), by_port);
    owners_.erase(std::unique(owners_.begin(), owners_.end(), same_port),
                  owners_.end());
    // The names a service generates end with "_<service port>" (sdk.h):
    // the service that will hold the port holds them, the one Marathon
    // assigned it first, else the first that chose it by HAPROXY_{n}_PORT.
    name_owners_ = owners_;
    for (const Service* s : services) {
      name_owners_.emplace_back(s->view.service_port, &s->view);
    }
    std::stable_sort(name_owners_.begin(), name_owners_.end(), by_port);
    name_owners_.erase(std::unique(name_owners_.begin(), name_owners_.end(),
                                   same_port),
                       name_owners_.end());
  }

  // The service whose generated names end with "_<port>", or null.
  const sdk::Service* NameOwner(int port) const {
    auto it = LowerBound(name_owners_, port);
    return it != name_owners_.end() && it->first == port ? it->second
                                                         : nullptr;
  }

  // The service other than `self` that was assigned a port of `l`, or null.
  // A service may always bind the port Marathon assigned to it (`own_port`,
  // -1 if none); two services given one port by Marathon are then held to
  // the first-come rule of PortClaims.
  const sdk::Service* OtherOwner(const Listener& l,
                                     const sdk::Service& self,
                                     int own_port, int* port) const {
    for (auto it = LowerBound(owners_, l.first_port);
         it != owners_.end() && it->first <= l.last_port; ++it) {
      if (it->second != &self && it->first != own_port) {
        *port = it->first;
        return it->second;
      }
    }
    return nullptr;
  }

 private:
  using Entry = std::pair<int, const sdk::Service*>;

  static std::vector<Entry>::const_iterator LowerBound(
      const std::vector<Entry>& entries, int port) {
    return std::lower_bound(
        entries.begin(), entries.end(), port,
        [](const Entry& e, int p) { return e.first < p; });
  }

  // Sorted by port, each port once.
  std::vector<Entry> owners_;
  std::vector<Entry> name_owners_;
};

namespace {

// Claims the ports of one service's `bind` lines, or says whose they are.
// `view` must outlive `claims`; the listeners are moved into it.
Status ClaimServicePorts(std::vector<Listener>& listeners,
                         const Service& service,
                         const ConfigAssembler::AssignedPorts& assigned,
                         ConfigAssembler::Ports* claims) {
  const sdk::Service& view = service.view;
  const int own_port =
      service.port_labels.port == 0 ? view.service_port : -1;
  for (const Listener& l : listeners) {
    int port = 0;
    if (const sdk::Service* owner =
            assigned.OtherOwner(l, view, own_port, &port)) {
      return Status::ServiceError(
          "bind " + l.bind + " in " + l.section + " would take port " +
          std::to_string(port) + ", which Marathon assigned to app " +
          owner->app_id + ", service port index " +
          std::to_string(owner->port_index));
    }
  }
  for (const Listener& l : listeners) {
    if (const ConfigAssembler::Ports::Claim* c = claims->Find(l)) {
      const int port = std::max(l.first_port, c->listener.first_port);
      return Status::ServiceError("bind " + l.bind + " in " + l.section +
                                  " would share port " + std::to_string(port) +
                                  " with " + c->Owner());
    }
  }
  for (Listener& l : listeners) {
    claims->Add(std::move(l), &view);
  }
  return Status::OK();
}

// "app /a, service port index 0".
std::string Who(const sdk::Service& view) {
  return "app " + view.app_id + ", service port index " +
         std::to_string(view.port_index);
}

// The proxies `text` declares: ("marathon_http_in", "frontend
// marathon_http_in"), ("stats", "listen stats"), ...
void ProxyNames(std::string_view text,
                std::unordered_map<std::string, std::string>* out) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view()
                                         : text.substr(end + 1);
    const auto word = [&line]() {
      const size_t start = line.find_first_not_of(" \t");
      if (start == std::string_view::npos) {
        line = {};
        return std::string_view();
      }
      line.remove_prefix(start);
      const size_t stop = std::min(line.find_first_of(" \t\r"), line.size());
      const std::string_view w = line.substr(0, stop);
      line.remove_prefix(stop);
      return w;
    };
    const std::string_view kind = word();
    if (kind == "frontend" || kind == "backend" || kind == "listen") {
      const std::string_view name = word();
      if (!name.empty()) {
        out->emplace(std::string(name),
                     std::string(kind) + " " + std::string(name));
      }
    }
  }
}

// Whether the first line of `text` with a word declares the proxy `name`.
bool OpensProxy(std::string_view text, std::string_view name) {
  std::unordered_map<std::string, std::string> names;
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    return false;
  }
  const size_t end = text.find('\n', start);
  ProxyNames(text.substr(start, end == std::string_view::npos
                                    ? std::string_view::npos
                                    : end - start),
             &names);
  return names.count(std::string(name)) != 0;
}

// Whether `line` has a '"', '\'' or '\\' (what find_first_of does with a
// memchr per byte of `line`).
bool HasQuoteOrBackslash(std::string_view line) {
  for (const char c : line) {
    if (c == '"' || c == '\'' || c == '\\') {
      return true;
    }
  }
  return false;
}

// Calls `f(name)` for each `acl <name> ...` line of `text`.
template <typename F>
void ForEachAcl(std::string_view text, F f) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view()
                                         : text.substr(end + 1);
    if (HasQuoteOrBackslash(line)) {
      // HAProxy unquotes words: acl "x", acl 'x' and acl x"" name ACL x.
      bool dollar = false;
      const std::vector<std::string> words = WordsAsWritten(line, &dollar);
      if (words.size() > 1 && words[0] == "acl") {
        f(std::string_view(words[1]));
      }
      continue;
    }
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos ||
        (line.compare(start, 4, "acl ") != 0 &&
         line.compare(start, 4, "acl\t") != 0)) {
      continue;
    }
    line.remove_prefix(start + 4);
    const size_t name = line.find_first_not_of(" \t");
    if (name == std::string_view::npos) {
      continue;
    }
    line.remove_prefix(name);
    f(line.substr(0, std::min(line.find_first_of(" \t\r"), line.size())));
  }
}

// The service port an ACL name ends with ("host_x_10002": 10002), or -1.
int NamePort(std::string_view name) {
  const size_t underscore = name.rfind('_');
  if (underscore == std::string_view::npos || underscore + 1 == name.size() ||
      name.size() - underscore - 1 > 5) {
    return -1;
  }
  int port = 0;
  for (const char c : name.substr(underscore + 1)) {
    if (c < '0' || c > '9') {
      return -1;
    }
    port = port * 10 + (c - '0');
  }
  return port;
}

std::string AclKey(std::string_view section, std::string_view acl) {
  std::string key(section);
  key += '\n';
  key += acl;
  return key;
}

// Who an ACL's owner in ConfigAssembler::acl_owners_ is, for a message.
std::string AclOwner(const std::string& owner) {
  if (owner.empty()) {
    return "the load balancer's own lines";
  }
  if (owner.compare(0, 5, "once ") == 0) {
    return "a shared line of " + owner.substr(5);
  }
  return "app " + owner;
}

bool IsVhostFrontend(int rank) {
  return rank == MLB_SECTION_HTTP_FRONTEND || rank == MLB_SECTION_HTTPS_FRONTEND;
}

// Puts a render's text, servers and map lines into the config, as written
// by `author`; a service's lines in the :80 and :443 frontends into
// *vhost_blocks instead (null: the Begin render). Of its AddOnce lines,
// those whose key is not in *once_keys yet.
void Commit(ServiceRender* render, int author, HaproxyConfig* config,
            std::vector<ConfigAssembler::VhostBlock>* vhost_blocks,
            std::unordered_set<std::string>* once_keys) {
  for (const std::string& map : render->maps) {
    config->DeclareMap(map);
  }
  for (ServiceRender::Section& s : render->sections) {
    if (s.rank == MLB_SECTION_NAMED) {
      continue;  // ConfigAssembler::CommitNamed
    }
    if (vhost_blocks != nullptr && IsVhostFrontend(s.rank)) {
      vhost_blocks->push_back(
          {render->route_weight, s.key, s.rank, std::move(s.text), author});
      continue;
    }
    config->Append(config->Section(s.key, s.rank), std::move(s.text), author);
  }
  for (ServiceRender::Servers& run : render->servers) {
    std::vector<ServerEntry>& servers =
        config->Section(run.section, MLB_SECTION_BACKEND).servers;
    if (servers.empty()) {
      servers.swap(run.entries);  // a new backend: the common case
    } else {
      servers.reserve(servers.size() + run.entries.size());
      for (ServerEntry& entry : run.entries) {
        servers.push_back(std::move(entry));
      }
    }
  }
  for (ServiceRender::Once& once : render->once) {
    if (once_keys == nullptr || !once_keys->insert(once.key).second) {
      continue;
    }
    if (IsVhostFrontend(once.rank)) {
      vhost_blocks->push_back({once.weight, once.section, once.rank,
                               std::move(once.text), author});
    } else {
      config->Append(config->Section(once.section, once.rank),
                     std::move(once.text), author);
    }
  }
  for (MapEntry& entry : render->map_entries) {
    config->AddMapEntry(std::move(entry));  // declared: the renderer checked
  }
}

}  // namespace

ConfigAssembler::ConfigAssembler(const std::vector<const Service*>& services)
    : services_(services),
      ports_(std::make_unique<Ports>()),
      assigned_(std::make_unique<AssignedPorts>(services)) {
  // A frontend and a backend per service, and a few shared sections.
  generation_.config.Reserve(2 * services.size() + 8);
  service_names_.reserve(services.size());
}

ConfigAssembler::~ConfigAssembler() = default;

Status ConfigAssembler::Begin(ServiceRender&& render) {
  MLB_RETURN_IF_ERROR(render.status);
  if (!render.claims.empty()) {
    return Status::Error("named sections are added to from AddService or "
                         "Finish, not Begin");
  }
  Commit(&render, HaproxyConfig::kTheLb, &generation_.config, nullptr,
         nullptr);
  for (const ConfigSection& section : generation_.config.sections()) {
    for (Listener& l : BindListeners(section.text, section.key)) {
      ports_->Add(std::move(l), nullptr);
    }
    ProxyNames(section.text, &global_names_);
    ForEachAcl(section.text, [&](std::string_view acl) {
      acl_owners_.emplace(AclKey(section.key, acl), "");
    });
  }
  return Status::OK();
}

Status ConfigAssembler::CheckAcls(
    const sdk::Service& view, const ServiceRender& render,
    std::vector<std::pair<std::string, std::string>>* declared) const {
  Status s;
  const auto check = [&](const std::string& section, std::string_view text,
                         const std::string& owner) {
    ForEachAcl(text, [&](std::string_view acl) {
      std::string key = AclKey(section, acl);
      auto it = acl_owners_.find(key);
      if (s.ok() && it != acl_owners_.end() && it->second != owner) {
        s = Status::ServiceError(
            "acl " + std::string(acl) + " in " + section +
            " is already declared by " + AclOwner(it->second) +
            " (HAProxy would merge the two, and one app would get the "
            "other's requests)");
      }
      // A name another app will generate is that app's, whoever comes
      // first: else an app whose id sorts first could declare it and have
      // the other's service port dropped. (A service's own port: if it is
      // another's, the port rule drops the service, naming the port.)
      const int name_port = NamePort(acl);
      const sdk::Service* name_owner = assigned_->NameOwner(name_port);
      if (s.ok() && name_owner != nullptr && name_port != view.service_port &&
          name_owner->app_id != view.app_id) {
        s = Status::ServiceError(
            "acl " + std::string(acl) + " in " + section + " ends with _" +
            std::to_string(name_owner->service_port) +
            ", which names the ACLs of app " + name_owner->app_id +
            "'s service port " + std::to_string(name_owner->service_port));
      }
      declared->emplace_back(std::move(key), owner);
    });
  };
  for (const ServiceRender::Section& section : render.sections) {
    if (!IsServiceSection(section.rank)) {
      check(section.key, section.text, view.app_id);
    }
  }
  for (const ServiceRender::Once& once : render.once) {
    if (once_keys_.count(once.key) == 0) {
      check(once.section, once.text, "once " + once.key);
    }
  }
  return s;
}

Status ConfigAssembler::CheckSuffixes(const sdk::Service& view,
                                      const ServiceRender& render) {
  if (render.suffixes.empty()) {
    return Status::OK();
  }
  if (!vhosts_made_) {  // only --label-policy restricted has suffixes
    for (const Service* s : services_) {
      for (const std::string& vhost : s->view.vhosts) {
        vhosts_.emplace_back(Lower(vhost), &s->view);
      }
    }
    vhosts_made_ = true;
  }
  for (const ServiceRender::HostSuffix& suffix : render.suffixes) {
    const std::string& value = suffix.value;
    for (const auto& [vhost, holder] : vhosts_) {
      // HAProxy's suffix match (-i: the values are lower case). The app's
      // own other ports are its own business.
      if (holder->app_id == view.app_id || vhost.size() < value.size() ||
          vhost.compare(vhost.size() - value.size(), value.size(), value) !=
              0) {
        continue;
      }
      return Status::ServiceError(
          "label " + suffix.label +
          " refused by --label-policy restricted: line " +
          std::to_string(suffix.line) + " in " + suffix.section +
          ": the suffix '" + value + "' also matches the vhost " + vhost +
          " of " + Who(*holder) +
          " (a wildcard may not take another app's vhost) (\"" + suffix.text +
          "\")");
    }
  }
  return Status::OK();
}

Status ConfigAssembler::CheckNames(
    const sdk::Service* view,
    const std::vector<ServiceRender::Claim>& claims) const {
  const auto scope = [view](std::string message) {
    return view != nullptr ? Status::ServiceError(std::move(message))
                           : Status::Error(std::move(message));
  };
  for (const ServiceRender::Claim& claim : claims) {
    const std::string named =
        "named section " + claim.name + " (" + claim.what + ")";
    if (auto it = global_names_.find(claim.name); it != global_names_.end()) {
      return scope(named + " would have the name of " + it->second);
    }
    if (view != nullptr && claim.name == view->backend) {
      return scope(named + " would have the name of its own frontend and "
                           "backend");
    }
    if (auto it = service_names_.find(claim.name);
        it != service_names_.end()) {
      return scope(named + " would have the name of the frontend and backend "
                           "of " + Who(*it->second));
    }
    if (auto it = named_.find(claim.name);
        it != named_.end() && it->second.what != claim.what) {
      return scope(named + " would have the name of named section " +
                   claim.name + " (" + it->second.what + ")" +
                   (it->second.owner != nullptr
                        ? " of " + Who(*it->second.owner)
                        : std::string()));
    }
  }
  if (view != nullptr) {
    if (auto it = named_.find(view->backend); it != named_.end()) {
      return scope("its frontend and backend " + view->backend +
                   " would have the name of named section " + it->first +
                   " (" + it->second.what + ")" +
                   (it->second.owner != nullptr
                        ? " of " + Who(*it->second.owner)
                        : std::string()));
    }
  }
  return Status::OK();
}

void ConfigAssembler::CommitNamed(const sdk::Service* view, int author,
                                  ServiceRender* render) {
  for (ServiceRender::Claim& claim : render->claims) {
    Named& named = named_[claim.name];
    if (named.what.empty()) {
      named.what = std::move(claim.what);
      named.owner = view;
    }
  }
  for (ServiceRender::Section& s : render->sections) {
    if (s.rank != MLB_SECTION_NAMED) {
      continue;
    }
    Named& named = named_[s.key];
    if (view == nullptr) {
      named.head += s.text;
    } else {
      named.blocks.push_back({render->route_weight, s.key, s.rank,
                              std::move(s.text), author});
    }
  }
  if (view == nullptr) {
    return;
  }
  service_names_.emplace(view->backend, view);
  for (auto& [key, value] : render->collected) {
    if (collected_pairs_.insert(key + '\0' + value).second) {
      collected_[key].push_back(std::move(value));
    }
  }
}

Status ConfigAssembler::Add(const Service& service, ServiceRender* render) {
  const sdk::Service& view = service.view;
  Status s = render->status;
  // A shared section (the :80 frontend, say) exists when the global part
  // opened it; lines for one that is not there would join the section
  // before them.
  for (const ServiceRender::Section& section : render->sections) {
    if (s.ok() && !IsServiceSection(section.rank) &&
        section.rank != MLB_SECTION_NAMED &&
        generation_.config.Find(section.key) == nullptr) {
      s = Status::ServiceError("lines for " + section.key +
                               ", which this config does not have: they "
                               "would join the section before them");
    }
  }
  for (const ServiceRender::Once& once : render->once) {
    if (s.ok() && generation_.config.Find(once.section) == nullptr) {
      s = Status::ServiceError("a line for " + once.section +
                               ", which this config does not have: it "
                               "would join the section before it");
    }
  }
  if (s.ok()) {
    s = CheckNames(&view, render->claims);
  }
  std::vector<std::pair<std::string, std::string>> acls;
  if (s.ok()) {
    s = CheckAcls(view, *render, &acls);
  }
  if (s.ok()) {
    s = CheckSuffixes(view, *render);
  }
  if (s.ok()) {
    s = ClaimServicePorts(render->listeners, service, *assigned_, ports_.get());
  }
  if (s.ok()) {
    const int author =
        generation_.config.AddAuthor(
            {view.app_id, view.service_port, service.label_text});
    Commit(render, author, &generation_.config, &vhost_blocks_, &once_keys_);
    CommitNamed(&view, author, render);
    for (auto& [key, owner] : acls) {
      acl_owners_.emplace(std::move(key), std::move(owner));
    }
    return Status::OK();
  }
  if (s.scope() != Status::Scope::kService) {
    return s;
  }
  generation_.errors.push_back("app " + view.app_id + ", service port index " +
                               std::to_string(view.port_index) + ": " +
                               s.message() + "; service port skipped");
  return Status::OK();
}

Status ConfigAssembler::Finish(ServiceRender&& render, Generation* out) {
  MLB_RETURN_IF_ERROR(render.status);
  for (const ServiceRender::Section& section : render.sections) {
    if (section.rank != MLB_SECTION_NAMED &&
        generation_.config.Find(section.key) == nullptr) {
      return Status::Error("Finish added lines for " + section.key +
                           ", which this config does not have: they would "
                           "join the section before them");
    }
  }
  MLB_RETURN_IF_ERROR(CheckNames(nullptr, render.claims));
  // marathon-lb's vhost rule order: by weight, highest first; equal weights
  // in (app id, service port) order.
  std::stable_sort(vhost_blocks_.begin(), vhost_blocks_.end(),
                   [](const VhostBlock& a, const VhostBlock& b) {
                     return a.weight > b.weight;
                   });
  for (VhostBlock& block : vhost_blocks_) {
    generation_.config.Append(generation_.config.Section(block.key, block.rank),
                              std::move(block.text), block.author);
  }
  vhost_blocks_.clear();
  // The Finish render: after the services' lines in the shared sections,
  // first in named ones.
  Commit(&render, HaproxyConfig::kTheLb, &generation_.config, nullptr,
         nullptr);
  CommitNamed(nullptr, HaproxyConfig::kTheLb, &render);
  // Named sections in name order, after marathon_https_in (created at
  // Begin, so that the stable sort by rank keeps them after it), each its
  // opening text and then its services' lines by route weight.
  for (auto& [name, named] : named_) {
    std::stable_sort(named.blocks.begin(), named.blocks.end(),
                     [](const VhostBlock& a, const VhostBlock& b) {
                       return a.weight > b.weight;
                     });
    ConfigSection section;
    generation_.config.Append(section, std::move(named.head),
                              HaproxyConfig::kTheLb);
    for (VhostBlock& block : named.blocks) {
      generation_.config.Append(section, std::move(block.text), block.author);
    }
    const std::string& text = section.text;
    if (text.empty()) {
      continue;
    }
    if (!OpensProxy(text, name)) {
      return Status::Error("named section " + name + " (" + named.what +
                           ") does not start with a frontend, backend or "
                           "listen line of that name: its lines would join "
                           "the section before them");
    }
    ConfigSection& placed =
        generation_.config.Section("named " + name, MLB_SECTION_HTTPS_FRONTEND);
    placed.text = std::move(section.text);
    placed.runs = std::move(section.runs);
  }
  named_.clear();
  generation_.config.Finish();
  *out = std::move(generation_);
  return Status::OK();
}

}  // namespace mlb
