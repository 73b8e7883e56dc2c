#include "core/render/assembler.h"

#include <algorithm>
#include <map>
#include <unordered_set>

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
    for (const Service* s : services) {
      if (s->port_labels.port == 0) {  // no HAPROXY_{n}_PORT: Marathon's port
        owners_.emplace(s->view.service_port, &s->view);  // the first keeps it
      }
    }
  }

  // The service other than `self` that was assigned a port of `l`, or null.
  // A service may always bind the port Marathon assigned to it (`own_port`,
  // -1 if none); two services given one port by Marathon are then held to
  // the first-come rule of PortClaims.
  const sdk::Service* OtherOwner(const Listener& l,
                                     const sdk::Service& self,
                                     int own_port, int* port) const {
    for (auto it = owners_.lower_bound(l.first_port);
         it != owners_.end() && it->first <= l.last_port; ++it) {
      if (it->second != &self && it->first != own_port) {
        *port = it->first;
        return it->second;
      }
    }
    return nullptr;
  }

 private:
  std::map<int, const sdk::Service*> owners_;
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

bool IsVhostFrontend(int rank) {
  return rank == MLB_SECTION_HTTP_FRONTEND || rank == MLB_SECTION_HTTPS_FRONTEND;
}

// Puts a render's text, servers and map lines into the config; a service's
// lines in the :80 and :443 frontends into *vhost_blocks instead (null: the
// Begin render). Of its AddOnce lines, those whose key is not in
// *once_keys yet.
void Commit(ServiceRender* render, HaproxyConfig* config,
            std::vector<ConfigAssembler::VhostBlock>* vhost_blocks,
            std::unordered_set<std::string>* once_keys) {
  for (const std::string& map : render->maps) {
    config->DeclareMap(map);
  }
  for (ServiceRender::Section& s : render->sections) {
    if (vhost_blocks != nullptr && IsVhostFrontend(s.rank)) {
      vhost_blocks->push_back(
          {render->route_weight, s.key, s.rank, std::move(s.text)});
      continue;
    }
    std::string& text = config->Section(s.key, s.rank).text;
    if (text.empty()) {
      text.swap(s.text);  // the service's own frontend and backend
    } else {
      text += s.text;
    }
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
      vhost_blocks->push_back(
          {once.weight, once.section, once.rank, std::move(once.text)});
    } else {
      config->Section(once.section, once.rank).text += once.text;
    }
  }
  for (MapEntry& entry : render->map_entries) {
    config->AddMapEntry(std::move(entry));  // declared: the renderer checked
  }
}

}  // namespace

ConfigAssembler::ConfigAssembler(const std::vector<const Service*>& services)
    : ports_(std::make_unique<Ports>()),
      assigned_(std::make_unique<AssignedPorts>(services)) {
  // A frontend and a backend per service, and a few shared sections.
  generation_.config.Reserve(2 * services.size() + 8);
}

ConfigAssembler::~ConfigAssembler() = default;

Status ConfigAssembler::Begin(ServiceRender&& render) {
  MLB_RETURN_IF_ERROR(render.status);
  Commit(&render, &generation_.config, nullptr, nullptr);
  for (const ConfigSection& section : generation_.config.sections()) {
    for (Listener& l : BindListeners(section.text, section.key)) {
      ports_->Add(std::move(l), nullptr);
    }
  }
  return Status::OK();
}

Status ConfigAssembler::Add(const Service& service, ServiceRender* render) {
  const sdk::Service& view = service.view;
  Status s = render->status;
  // A shared section (the :80 frontend, say) exists when the global part
  // opened it; lines for one that is not there would join the section
  // before them.
  for (const ServiceRender::Section& section : render->sections) {
    if (s.ok() && !IsServiceSection(section.rank) &&
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
    s = ClaimServicePorts(render->listeners, service, *assigned_, ports_.get());
  }
  if (s.ok()) {
    Commit(render, &generation_.config, &vhost_blocks_, &once_keys_);
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

void ConfigAssembler::Finish(Generation* out) {
  // marathon-lb's vhost rule order: by weight, highest first; equal weights
  // in (app id, service port) order.
  std::stable_sort(vhost_blocks_.begin(), vhost_blocks_.end(),
                   [](const VhostBlock& a, const VhostBlock& b) {
                     return a.weight > b.weight;
                   });
  for (VhostBlock& block : vhost_blocks_) {
    generation_.config.Section(block.key, block.rank).text += block.text;
  }
  vhost_blocks_.clear();
  generation_.config.Finish();
  *out = std::move(generation_);
}

}  // namespace mlb
