#include "core/generator.h"

#include <algorithm>
#include <exception>
#include <unordered_set>

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
    new_claims_.clear();
    error_ = Status::OK();
  }

  bool Render(const char* name, const sdk::Vars& vars,
              std::string* out) override {
    const TemplateCatalog::Resolved r = catalog_.Resolve(
        name, service_ ? &service_->port_labels : nullptr,
        service_ ? service_->view.port_index : 0);
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
    return true;
  }

  void Append(const std::string& section, int section_rank, int line_rank,
              const std::string& text) override {
    pending_.push_back({section, section_rank, line_rank, text});
  }

  void AddServer(const std::string& section,
                 const sdk::ServerEntry& server) override {
    servers_.emplace_back(section, server);
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
    std::vector<std::string> order;
    for (const Pending& p : pending_) {
      if (std::find(order.begin(), order.end(), p.section) == order.end()) {
        order.push_back(p.section);
      }
    }
    for (const std::string& key : order) {
      for (const Pending& p : pending_) {
        if (p.section == key) {
          config->Section(key, p.section_rank).text += p.text;
        }
      }
    }
    for (auto& [key, server] : servers_) {
      config->Section(key, sdk::kSectionBackend).servers.push_back(
          std::move(server));
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

  const TemplateCatalog& catalog_;
  std::unordered_set<std::string>* claims_;
  const Service* service_ = nullptr;
  std::vector<Pending> pending_;
  std::vector<std::pair<std::string, sdk::ServerEntry>> servers_;
  std::vector<std::string> new_claims_;
  Status error_;
};

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

Status Generate(const std::vector<Service>& services,
                const sdk::ConfigView& config, const PluginRegistry& registry,
                Generation* out) {
  *out = Generation();
  std::unordered_set<std::string> claims;
  TransactionEmitter emit(registry.catalog(), &claims);

  emit.Begin(nullptr);
  MLB_RETURN_IF_ERROR(ForEachFamily(registry, emit, [&](sdk::Family& f) {
    return f.BeginConfig(config, emit);
  }));
  emit.Commit(&out->config);

  for (const Service& service : services) {
    sdk::ServiceView view = service.view;
    view.labels = &service.labels;
    emit.Begin(&service);
    Status s = RenderService(registry, config, view, emit);
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

}  // namespace mlb
