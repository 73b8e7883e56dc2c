// Template family "backends": the backend head, http options and the server
// lines. Server lines take placeholders from every family (cookieOptions from
// sticky, healthCheckOptions from health_checks); a placeholder no family set
// renders empty.
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "backends_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

using mlb::sdk::ConfigView;
using mlb::sdk::Emitter;
using mlb::sdk::ServerView;
using mlb::sdk::ServiceView;
using mlb::sdk::Vars;
namespace sdk = mlb::sdk;

const mlb_template_def kTemplates[] = {
    {"BACKEND_HEAD", kTemplate_BACKEND_HEAD, MLB_TEMPLATE_OVERRIDABLE,
     "backend balance mode", "head of the backend of one service port"},
    {"BACKEND_HTTP_OPTIONS", kTemplate_BACKEND_HTTP_OPTIONS,
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_VERBATIM, "",
     "options of http-mode backends"},
    {"BACKEND_SERVER_OPTIONS", kTemplate_BACKEND_SERVER_OPTIONS,
     MLB_TEMPLATE_OVERRIDABLE,
     "host host_ipv4 port serverName serverId cookieOptions "
     "healthCheckOptions otherOptions",
     "one server line per task"},
};

constexpr std::string_view kCookieOptions = "cookieOptions";
constexpr std::string_view kHealthCheckOptions = "healthCheckOptions";

class Backends : public sdk::Family {
 public:
  Backends() {
    cookie_options_ = &vars_[std::string(kCookieOptions)];
    health_check_options_ = &vars_[std::string(kHealthCheckOptions)];
    other_options_ = &vars_["otherOptions"];
    host_ = &vars_["host"];
    host_ipv4_ = &vars_["host_ipv4"];
    port_ = &vars_["port"];
    server_name_ = &vars_["serverName"];
    server_id_ = &vars_["serverId"];
    head_backend_ = &head_vars_["backend"];
    head_vars_["balance"] = "roundrobin";
    head_mode_ = &head_vars_["mode"];
  }

  bool AddService(const ConfigView&, const ServiceView& svc,
                  Emitter& emit) override {
    // Kept for the server lines of this service (AddServer follows).
    section_ = sdk::Backend(svc.backend);
    // Like the server lines, the head's few placeholders live in one map
    // for all services.
    *head_backend_ = svc.backend;
    *head_mode_ = svc.mode;
    if (!emit.Render("BACKEND_HEAD", head_vars_, &text_)) {
      return false;
    }
    emit.Append(section_, sdk::kSectionBackend, sdk::kLineHead, text_);
    if (svc.mode == "http") {
      if (!emit.Render("BACKEND_HTTP_OPTIONS", no_vars_, &text_)) {
        return false;
      }
      emit.Append(section_, sdk::kSectionBackend, sdk::kLineHttpOptions, text_);
    }
    return true;
  }

  bool AddServer(const ConfigView&, const ServiceView&,
                 const ServerView& server, const Vars& family_vars,
                 Emitter& emit) override {
    // One map for every server line, updated in place: its nodes and their
    // string buffers are reused rather than built and freed per server.
    // The three options default to ""; every family's vars come next; the
    // server's own fields last, as they always won.
    cookie_options_->clear();
    health_check_options_->clear();
    other_options_->clear();
    for (const auto& [key, value] : family_vars) {
      // The two options the built-in families set have their entry already:
      // found by one comparison rather than a search of the map.
      const std::string_view name = key;
      if (name == kHealthCheckOptions) {
        Set(value, health_check_options_);
        continue;
      }
      if (name == kCookieOptions) {
        Set(value, cookie_options_);
        continue;
      }
      auto [it, inserted] = vars_.try_emplace(key);
      it->second = value;
      if (inserted) {
        extra_.push_back(it);
      }
    }
    Set(server.host, host_);
    Set(server.ip, host_ipv4_);
    SetNumber(server.port, port_);
    Set(server.name, server_name_);
    SetNumber(server.id, server_id_);
    const bool ok = emit.Render("BACKEND_SERVER_OPTIONS", vars_, &entry_.line);
    // Placeholders only this server's families supplied do not carry over.
    for (const auto& it : extra_) {
      vars_.erase(it);
    }
    extra_.clear();
    if (!ok) {
      return false;
    }
    // entry_ is reused too: the host copies it.
    Set(server.name, &entry_.name);
    Set(server.ip, &entry_.address);
    entry_.port = server.port;
    entry_.id = server.id;
    emit.AddServer(section_, entry_);
    return true;
  }

 private:
  // *out = value, copied in place: consecutive servers' values mostly have
  // the same length (addresses, names, ports, ids), and a resize within the
  // capacity costs less than the string's assignment.
  static void Set(std::string_view value, std::string* out) {
    if (out->size() != value.size()) {
      out->resize(value.size());
    }
    char* to = out->data();
    const char* from = value.data();
    const size_t n = value.size();
    // Short values (ports, ids, addresses) without a call to memcpy.
    if (n <= 16 && n >= 8) {
      std::memcpy(to, from, 8);
      std::memcpy(to + n - 8, from + n - 8, 8);
    } else if (n < 8 && n >= 4) {
      std::memcpy(to, from, 4);
      std::memcpy(to + n - 4, from + n - 4, 4);
    } else {
      std::memcpy(to, from, n);
    }
  }
  static void SetNumber(int value, std::string* out) {
    char digits[16];
    const std::to_chars_result r =
        std::to_chars(digits, digits + sizeof(digits), value);
    Set(std::string_view(digits, static_cast<size_t>(r.ptr - digits)), out);
  }

  std::string section_;  // "backend <name>" of the current service
  Vars head_vars_;       // BACKEND_HEAD's
  std::string* head_backend_;
  std::string* head_mode_;
  const Vars no_vars_;
  std::string text_;
  Vars vars_;                          // BACKEND_SERVER_OPTIONS'
  std::vector<Vars::iterator> extra_;  // entries to drop after the line
  std::string* cookie_options_;
  std::string* health_check_options_;
  std::string* other_options_;
  std::string* host_;
  std::string* host_ipv4_;
  std::string* port_;
  std::string* server_name_;
  std::string* server_id_;
  sdk::ServerEntry entry_;  // the line rendered into entry_.line
};

}  // namespace

MLB_DECLARE_PLUGIN("backends", "io.mlb.builtin", "1.0.0",
                   "marathon-lb backends: head, http options, server lines",
                   kTemplates, Backends);
