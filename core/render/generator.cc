#include "core/render/generator.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>

#include "core/model/labels.h"

namespace mlb {

// The Emitter handed to families: one service (or BeginConfig) at a time,
// into a ServiceRender.
class ServiceRenderer::Emitter : public sdk::Emitter {
 public:
  explicit Emitter(const TemplateCatalog& catalog) : catalog_(catalog) {}

  // `service` null: BeginConfig.
  void Begin(const Service* service, const ClaimSet* claims,
             ServiceRender* out) {
    service_ = service;
    claims_ = claims;
    out_ = out;
    pieces_.clear();
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

  void Append(const std::string& section, int section_rank, int line_rank,
              const std::string& text) override {
    pieces_.push_back({section, section_rank, line_rank, text});
  }

  void AddServer(const std::string& section,
                 const sdk::ServerEntry& server) override {
    // The servers of a service go to one backend: one list per run.
    std::vector<ServiceRender::Servers>& runs = out_->servers;
    if (runs.empty() || runs.back().section != section) {
      runs.push_back({section, {}});
      // Usually one line per server of the service: no room to spare.
      if (service_ != nullptr) {
        runs.back().entries.reserve(service_->view.servers.size());
      }
    }
    runs.back().entries.push_back(server);
  }

  // The pieces of text appended so far, one per section (in order of first
  // use after a stable sort by line rank), into the render.
  void Seal() {
    std::stable_sort(pieces_.begin(), pieces_.end(),
                     [](const Piece& a, const Piece& b) {
                       return a.line_rank < b.line_rank;
                     });
    std::vector<ServiceRender::Section>& sections = out_->sections;
    for (Piece& p : pieces_) {
      auto it = std::find_if(sections.begin(), sections.end(),
                             [&](const ServiceRender::Section& s) {
                               return s.key == p.section;
                             });
      if (it == sections.end()) {
        sections.push_back({std::move(p.section), p.section_rank,
                            std::move(p.text)});
      } else {
        it->text += p.text;
      }
    }
    pieces_.clear();
  }

  // Answered from the claims committed before this service and this
  // service's own; the ConfigAssembler checks the answers still hold when
  // it commits the service.
  bool ClaimOnce(const std::string& key) override {
    if (claims_ != nullptr && claims_->count(key) > 0) {
      out_->claims.push_back({key, false});
      return false;
    }
    for (const ServiceRender::Claim& c : out_->claims) {
      if (c.key == key) {
        out_->claims.push_back({key, false});
        return false;
      }
    }
    out_->claims.push_back({key, true});
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

 private:
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
    // The server line's template, once per server: the last one found.
    if (last_ < resolved_.size() && resolved_[last_].pointer == name &&
        SameName(resolved_[last_].name, name)) {
      return resolved_[last_];
    }
    for (size_t i = 0; i < resolved_.size(); ++i) {
      if (resolved_[i].pointer == name && SameName(resolved_[i].name, name)) {
        last_ = i;
        return resolved_[i];
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

  struct Piece {
    std::string section;
    int section_rank;
    int line_rank;
    std::string text;
  };

  // name == text, without strlen(text) first (strncmp stops at text's end).
  static bool SameName(const std::string& name, const char* text) {
    return std::strncmp(text, name.c_str(), name.size() + 1) == 0;
  }

  const TemplateCatalog& catalog_;
  size_t last_ = 0;  // in resolved_: the entry Resolve() found last
  const Service* service_ = nullptr;
  const ClaimSet* claims_ = nullptr;
  ServiceRender* out_ = nullptr;
  std::vector<Piece> pieces_;  // of the current service, until Seal()
  std::vector<Resolved> resolved_;
  Status error_;
};

namespace {

// Runs `call` on every family, stopping at the first failure.
template <typename Call>
Status ForEachFamily(const PluginRegistry& registry,
                     const std::vector<sdk::Family*>& families,
                     ServiceRenderer::Emitter& emit, Call call) {
  for (size_t i = 0; i < families.size(); ++i) {
    const PluginRegistry::Pack& pack = *registry.packs()[i];
    bool ok = false;
    try {
      ok = call(*families[i]);
    } catch (const std::exception& e) {
      return Status::Error("template family " + pack.family + " (" +
                           pack.path + ") threw: " + e.what());
    } catch (...) {
      return Status::Error("template family " + pack.family + " (" +
                           pack.path + ") threw");
    }
    if (!ok) {
      return emit.TakeError(pack.family);
    }
  }
  return Status::OK();
}

// The addresses the `bind` lines of `sections` listen on, in *out.
void SectionListeners(const std::vector<ServiceRender::Section>& sections,
                      std::vector<Listener>* out) {
  out->clear();
  for (const ServiceRender::Section& s : sections) {
    if (s.text.find("bind") != std::string::npos) {
      BindListeners(s.text, s.key, out);
    }
  }
}

// Empties `render`, keeping its vectors' room for the next service.
void Clear(ServiceRender* render) {
  render->status = Status::OK();
  render->sections.clear();
  render->servers.clear();
  render->claims.clear();
  render->listeners.clear();
}

}  // namespace

ServiceRenderer::ServiceRenderer(const PluginRegistry& registry,
                                 const sdk::ConfigView& config,
                                 std::vector<sdk::Family*> families)
    : registry_(registry),
      config_(config),
      families_(std::move(families)),
      emit_(std::make_unique<Emitter>(registry.catalog())) {}

ServiceRenderer::~ServiceRenderer() = default;

std::vector<sdk::Family*> ServiceRenderer::RegistryFamilies(
    const PluginRegistry& registry) {
  std::vector<sdk::Family*> families;
  for (const auto& pack : registry.packs()) {
    families.push_back(pack->impl.get());
  }
  return families;
}

void ServiceRenderer::Begin(ServiceRender* out) {
  Clear(out);
  emit_->Begin(nullptr, nullptr, out);
  out->status = ForEachFamily(registry_, families_, *emit_,
                              [&](sdk::Family& f) {
                                return f.BeginConfig(config_, *emit_);
                              });
  emit_->Seal();
  SectionListeners(out->sections, &out->listeners);
}

void ServiceRenderer::Render(const Service& service, const ClaimSet& claims,
                             ServiceRender* out) {
  Clear(out);
  // BuildServices pointed view.labels at the app's labels.
  const sdk::ServiceView& view = service.view;
  emit_->Begin(&service, &claims, out);
  Status s = ForEachFamily(registry_, families_, *emit_, [&](sdk::Family& f) {
    return f.AddService(config_, view, *emit_);
  });
  sdk::Vars vars;
  for (size_t i = 0; s.ok() && i < view.servers.size(); ++i) {
    const sdk::ServerView& server = view.servers[i];
    vars.clear();
    s = ForEachFamily(registry_, families_, *emit_, [&](sdk::Family& f) {
      return f.ServerVars(config_, view, server, &vars, *emit_);
    });
    if (s.ok()) {
      s = ForEachFamily(registry_, families_, *emit_, [&](sdk::Family& f) {
        return f.AddServer(config_, view, server, vars, *emit_);
      });
    }
  }
  if (s.ok()) {
    emit_->Seal();
    SectionListeners(out->sections, &out->listeners);
  }
  out->status = std::move(s);
}

// The addresses bound so far: a service's `bind` may not share a port with
// the LB's own frontends (:80, :443, :9091, the HEAD's :9090) nor with an
// earlier service (SO_REUSEPORT would split the traffic between them).
class ConfigAssembler::Ports {
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

namespace {

// Claims the ports of one service's `bind` lines, or says whose they are.
// `view` must outlive `claims`; the listeners are moved into it.
Status ClaimServicePorts(std::vector<Listener>& listeners,
                         const Service& service,
                         const ConfigAssembler::AssignedPorts& assigned,
                         ConfigAssembler::Ports* claims) {
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

}  // namespace

namespace {

// Puts a render's text and servers into the config.
void Commit(ServiceRender* render, HaproxyConfig* config) {
  for (ServiceRender::Section& s : render->sections) {
    std::string& text = config->Section(s.key, s.rank).text;
    if (text.empty()) {
      text.swap(s.text);  // the service's own frontend and backend
    } else {
      text += s.text;
    }
  }
  for (ServiceRender::Servers& run : render->servers) {
    std::vector<sdk::ServerEntry>& servers =
        config->Section(run.section, sdk::kSectionBackend).servers;
    if (servers.empty()) {
      servers.swap(run.entries);  // a new backend: the common case
    } else {
      servers.reserve(servers.size() + run.entries.size());
      for (sdk::ServerEntry& entry : run.entries) {
        servers.push_back(std::move(entry));
      }
    }
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
  Commit(&render, &generation_.config);
  for (const ConfigSection& section : generation_.config.sections()) {
    for (Listener& l : BindListeners(section.text, section.key)) {
      ports_->Add(std::move(l), nullptr);
    }
  }
  return Status::OK();
}

bool ConfigAssembler::ClaimsHold(const ServiceRender& render) const {
  for (const ServiceRender::Claim& c : render.claims) {
    // A key the service claimed twice was granted the first time only.
    const bool before = std::any_of(
        render.claims.data(), &c,
        [&](const ServiceRender::Claim& o) { return o.key == c.key; });
    if (c.granted != (!before && claims_.count(c.key) == 0)) {
      return false;
    }
  }
  return true;
}

Status ConfigAssembler::Add(const Service& service, ServiceRender* render) {
  const sdk::ServiceView& view = service.view;
  Status s = render->status;
  if (s.ok()) {
    s = ClaimServicePorts(render->listeners, service, *assigned_, ports_.get());
  }
  if (s.ok()) {
    Commit(render, &generation_.config);
    for (ServiceRender::Claim& c : render->claims) {
      if (c.granted) {
        claims_.insert(std::move(c.key));
      }
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

void ConfigAssembler::Finish(Generation* out) {
  generation_.config.Finish();
  *out = std::move(generation_);
}

namespace {

// `release`, when set, is `services`: each service's servers are freed once
// it is rendered (the generation's own allocations reuse that memory).
Status GenerateImpl(const std::vector<Service>& services,
                    std::vector<Service>* release,
                    const sdk::ConfigView& config,
                    const PluginRegistry& registry, Generation* out) {
  *out = Generation();
  ServiceRenderer renderer(registry, config,
                           ServiceRenderer::RegistryFamilies(registry));
  std::vector<const Service*> order;
  order.reserve(services.size());
  for (const Service& s : services) {
    order.push_back(&s);
  }
  ConfigAssembler assembler(order);
  ServiceRender render;  // reused from service to service
  renderer.Begin(&render);
  MLB_RETURN_IF_ERROR(assembler.Begin(std::move(render)));
  for (size_t i = 0; i < services.size(); ++i) {
    // One thread: the claims are the assembler's own, so they hold.
    renderer.Render(services[i], assembler.claims(), &render);
    if (release != nullptr) {
      std::vector<sdk::ServerView>().swap((*release)[i].view.servers);
    }
    MLB_RETURN_IF_ERROR(assembler.Add(services[i], &render));
  }
  assembler.Finish(out);
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
