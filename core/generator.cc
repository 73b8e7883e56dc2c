#include "core/generator.h"

#include <algorithm>
#include <exception>
#include <map>
#include <unordered_set>

#include "core/label_policy.h"
#include "core/labels.h"

namespace mlb {
namespace {

// The Emitter handed to families. Buffers one transaction (the global part,
// or one service) and writes it into the config only on Commit().
class TransactionEmitter : public sdk::Emitter {
 public:
  TransactionEmitter(const TemplateCatalog& catalog,
                     std::unordered_set<std::string>* claims)
      : catalog_(catalog), claims_(claims) {}

  void Begin(const Service* service) {
    service_ = service;
    pending_.clear();
    servers_.clear();
    server_sections_.clear();
    new_claims_.clear();
    resolved_.clear();
    error_ = Status::OK();
  }

  bool Render(const char* name, const sdk::Vars& vars,
              std::string* out) override {
    const Resolved& r = Resolve(name);
    if (r.tmpl == nullptr) {
      error_ = Status::Error(std::string("template ") + name +
                             " is not provided by any loaded pack");
      return false;
    }
    Status s = r.tmpl->Render(vars, out);
    if (!s.ok()) {
      error_ = r.scope == Status::Scope::kService
                   ? Status::ServiceError(s.message())
                   : Status::Error(s.message());
      return false;
    }
    // A service's placeholder values may not add lines, nor, under
    // `restricted`, make a label's lines refused ones; Marathon values used
    // as words must be one word (label_policy.h).
    if (service_ != nullptr) {
      s = CheckRenderedLines(*r.tmpl, vars, *out);
      if (s.ok() && r.override_info) {
        s = CheckRenderedOverride(r.label, *r.tmpl, *r.override_info, vars,
                                  *out);
        if (!s.ok()) {
          error_ = s;  // names the label
          return false;
        }
      }
      if (s.ok() && r.word_placeholders) {
        s = CheckPlaceholderWords(*r.tmpl, vars);
      }
      if (!s.ok()) {
        error_ = Status::ServiceError(
            catalog_.Resolve(name, &service_->port_labels,
                             service_->view.port_index)
                .origin +
            ": " + s.message());
        return false;
      }
    }
    return true;
  }

  // The addresses the `bind` lines of this service's text listen on, in
  // *out (cleared first).
  void PendingListeners(std::vector<Listener>* out) const {
    out->clear();
    for (const Pending& p : pending_) {
      if (p.text.find("bind") != std::string::npos) {
        BindListeners(p.text, p.section, out);
      }
    }
  }

  void Append(const std::string& section, int section_rank, int line_rank,
              const std::string& text) override {
    pending_.push_back({section, section_rank, line_rank, text});
  }

  void AddServer(const std::string& section,
                 const sdk::ServerEntry& server) override {
    // The servers of a service go to one backend: keep its name once.
    if (server_sections_.empty() || server_sections_.back() != section) {
      server_sections_.push_back(section);
    }
    servers_.push_back({server_sections_.size() - 1, server});
  }

  bool ClaimOnce(const std::string& key) override {
    if (!claims_->insert(key).second) {
      return false;
    }
    new_claims_.push_back(key);
    return true;
  }

  // During a service, a family's failure drops that service only.
  void Fail(const std::string& message) override {
    error_ = service_ != nullptr ? Status::ServiceError(message)
                                 : Status::Error(message);
  }

  // The error of a family that returned false.
  Status TakeError(const std::string& family) {
    if (error_.ok()) {
      return Status::Error("template family " + family +
                           " failed without saying why");
    }
    return error_;
  }

  void Commit(HaproxyConfig* config) {
    // Per section, in order of first use; inside a section by line rank.
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Pending& a, const Pending& b) {
                       return a.line_rank < b.line_rank;
                     });
    std::vector<const Pending*> order;  // first of each section
    for (const Pending& p : pending_) {
      if (std::find_if(order.begin(), order.end(), [&](const Pending* o) {
            return o->section == p.section;
          }) == order.end()) {
        order.push_back(&p);
      }
    }
    for (const Pending* first : order) {
      // One look-up per section rather than per piece of text.
      std::string& text =
          config->Section(first->section, first->section_rank).text;
      for (const Pending& p : pending_) {
        if (p.section == first->section) {
          text += p.text;
        }
      }
    }
    ConfigSection* section = nullptr;
    size_t section_index = 0;
    for (size_t i = 0; i < servers_.size(); ++i) {
      PendingServer& p = servers_[i];
      if (section == nullptr || p.section != section_index) {
        section_index = p.section;
        section = &config->Section(server_sections_[section_index],
                                   sdk::kSectionBackend);
        // Room for this run of servers at once.
        size_t run = 1;
        while (i + run < servers_.size() &&
               servers_[i + run].section == p.section) {
          ++run;
        }
        section->servers.reserve(section->servers.size() + run);
      }
      section->servers.push_back(std::move(p.entry));
    }
  }

  void Rollback() {
    for (const std::string& key : new_claims_) {
      claims_->erase(key);
    }
  }

 private:
  struct Pending {
    std::string section;
    int section_rank;
    int line_rank;
    std::string text;
  };
  struct PendingServer {
    size_t section;  // index in server_sections_
    sdk::ServerEntry entry;
  };
  // What TemplateCatalog::Resolve() said for one template name.
  struct Resolved {
    const char* pointer = nullptr;  // the name as the family passed it
    std::string name;
    const Template* tmpl = nullptr;
    Status::Scope scope = Status::Scope::kGlobal;
    // Set for a label override under `restricted`: its rendered text is
    // checked again (CheckRenderedOverride).
    std::shared_ptr<const TemplateLabelInfo> override_info;
    std::string label;  // with override_info: "HAPROXY_0_X"
    bool word_placeholders = false;  // HasWordPlaceholders(*tmpl)
  };

  // Resolve() depends only on the name and the service, and builds a
  // description string each time: called once per name and service here
  // rather than once per server line. Families pass string literals, so a
  // matching pointer finds the entry with one comparison of the text
  // (which still decides: a pointer may be reused for another name).
  const Resolved& Resolve(const char* name) {
    for (const Resolved& r : resolved_) {
      if (r.pointer == name && r.name == name) {
        return r;
      }
    }
    for (const Resolved& r : resolved_) {
      if (r.name == name) {
        return r;
      }
    }
    const TemplateCatalog::Resolved r =
        catalog_.Resolve(name, service_ ? &service_->port_labels : nullptr,
                         service_ ? service_->view.port_index : 0);
    Resolved& added = resolved_.emplace_back();
    added.pointer = name;
    added.name = name;
    added.tmpl = r.tmpl;
    added.scope = r.scope;
    if (service_ != nullptr && r.tmpl != nullptr) {
      added.word_placeholders = HasWordPlaceholders(*r.tmpl);
      if (r.scope == Status::Scope::kService &&
          service_->port_labels.policy == LabelPolicy::kRestricted) {
        added.override_info = std::make_shared<const TemplateLabelInfo>(
            TemplateOverrideInfo(catalog_, added.name,
                                 service_->view.port_index));
        added.label =
            LabelName("HAPROXY_{n}_" + added.name, service_->view.port_index);
      }
    }
    return added;
  }

  const TemplateCatalog& catalog_;
  std::unordered_set<std::string>* claims_;
  const Service* service_ = nullptr;
  std::vector<Pending> pending_;
  std::vector<std::string> server_sections_;
  std::vector<PendingServer> servers_;
  std::vector<std::string> new_claims_;
  std::vector<Resolved> resolved_;
  Status error_;
};

// The addresses bound so far: a service's `bind` may not share a port with
// the LB's own frontends (:80, :443, :9091, the HEAD's :9090) nor with an
// earlier service (SO_REUSEPORT would split the traffic between them).
class PortClaims {
 public:
  struct Claim {
    Listener listener;
    const sdk::ServiceView* service;  // null: the LB's own section

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

  void Add(Listener l, const sdk::ServiceView* service) {
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
class AssignedPorts {
 public:
  explicit AssignedPorts(const std::vector<Service>& services) {
    for (const Service& s : services) {
      if (s.port_labels.port == 0) {  // no HAPROXY_{n}_PORT: Marathon's port
        owners_.emplace(s.view.service_port, &s.view);  // the first keeps it
      }
    }
  }

  // The service other than `self` that was assigned a port of `l`, or null.
  // A service may always bind the port Marathon assigned to it (`own_port`,
  // -1 if none); two services given one port by Marathon are then held to
  // the first-come rule of PortClaims.
  const sdk::ServiceView* OtherOwner(const Listener& l,
                                     const sdk::ServiceView& self,
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
  std::map<int, const sdk::ServiceView*> owners_;
};

// Claims the ports of one service's `bind` lines, or says whose they are.
// `view` must outlive `claims`; the listeners are moved into it.
Status ClaimServicePorts(std::vector<Listener>& listeners,
                         const Service& service, const AssignedPorts& assigned,
                         PortClaims* claims) {
  const sdk::ServiceView& view = service.view;
  const int own_port =
      service.port_labels.port == 0 ? view.service_port : -1;
  for (const Listener& l : listeners) {
    int port = 0;
    if (const sdk::ServiceView* owner =
            assigned.OtherOwner(l, view, own_port, &port)) {
      return Status::ServiceError(
          "bind " + l.bind + " in " + l.section + " would take port " +
          std::to_string(port) + ", which Marathon assigned to app " +
          owner->app_id + ", service port index " +
          std::to_string(owner->port_index));
    }
  }
  for (const Listener& l : listeners) {
    if (const PortClaims::Claim* c = claims->Find(l)) {
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

// Runs `call` on every family, stopping at the first failure.
template <typename Call>
Status ForEachFamily(const PluginRegistry& registry, TransactionEmitter& emit,
                     Call call) {
  for (const auto& pack : registry.packs()) {
    bool ok = false;
    try {
      ok = call(*pack->impl);
    } catch (const std::exception& e) {
      return Status::Error("template family " + pack->family + " (" +
                           pack->path + ") threw: " + e.what());
    } catch (...) {
      return Status::Error("template family " + pack->family + " (" +
                           pack->path + ") threw");
    }
    if (!ok) {
      return emit.TakeError(pack->family);
    }
  }
  return Status::OK();
}

Status RenderService(const PluginRegistry& registry,
                     const sdk::ConfigView& config, const sdk::ServiceView& view,
                     TransactionEmitter& emit) {
  MLB_RETURN_IF_ERROR(ForEachFamily(registry, emit, [&](sdk::Family& f) {
    return f.AddService(config, view, emit);
  }));
  for (const sdk::ServerView& server : view.servers) {
    sdk::Vars vars;
    MLB_RETURN_IF_ERROR(ForEachFamily(registry, emit, [&](sdk::Family& f) {
      return f.ServerVars(config, view, server, &vars, emit);
    }));
    MLB_RETURN_IF_ERROR(ForEachFamily(registry, emit, [&](sdk::Family& f) {
      return f.AddServer(config, view, server, vars, emit);
    }));
  }
  return Status::OK();
}

}  // namespace

namespace {

// `release`, when set, is `services`: each service's servers are freed once
// it is rendered (the generation's own allocations reuse that memory).
Status GenerateImpl(const std::vector<Service>& services,
                    std::vector<Service>* release,
                    const sdk::ConfigView& config,
                    const PluginRegistry& registry, Generation* out) {
  *out = Generation();
  // A frontend and a backend per service, and a few shared sections.
  out->config.Reserve(2 * services.size() + 8);
  std::unordered_set<std::string> claims;
  TransactionEmitter emit(registry.catalog(), &claims);

  emit.Begin(nullptr);
  MLB_RETURN_IF_ERROR(ForEachFamily(registry, emit, [&](sdk::Family& f) {
    return f.BeginConfig(config, emit);
  }));
  emit.Commit(&out->config);
  PortClaims ports;
  const AssignedPorts assigned(services);
  std::vector<Listener> listeners;  // of one service, reused
  for (const ConfigSection& section : out->config.sections()) {
    for (Listener& l : BindListeners(section.text, section.key)) {
      ports.Add(std::move(l), nullptr);
    }
  }

  for (size_t i = 0; i < services.size(); ++i) {
    const Service& service = services[i];
    // BuildServices pointed view.labels at the app's labels.
    const sdk::ServiceView& view = service.view;
    emit.Begin(&service);
    Status s = RenderService(registry, config, view, emit);
    if (release != nullptr) {
      std::vector<sdk::ServerView>().swap((*release)[i].view.servers);
    }
    if (s.ok()) {
      emit.PendingListeners(&listeners);
      s = ClaimServicePorts(listeners, service, assigned, &ports);
    }
    if (s.ok()) {
      emit.Commit(&out->config);
      continue;
    }
    emit.Rollback();
    if (s.scope() != Status::Scope::kService) {
      return s;
    }
    out->errors.push_back("app " + view.app_id + ", service port index " +
                          std::to_string(view.port_index) + ": " + s.message() +
                          "; service port skipped");
  }
  out->config.Finish();
  return Status::OK();
}

}  // namespace

Status Generate(const std::vector<Service>& services,
                const sdk::ConfigView& config, const PluginRegistry& registry,
                Generation* out) {
  return GenerateImpl(services, nullptr, config, registry, out);
}

Status GenerateReleasingServers(std::vector<Service>* services,
                                const sdk::ConfigView& config,
                                const PluginRegistry& registry,
                                Generation* out) {
  return GenerateImpl(*services, services, config, registry, out);
}

}  // namespace mlb
