// Template family "backends": the backend head, http options and the server
// lines. Server lines take placeholders from every family (cookieOptions from
// sticky, healthCheckOptions from health_checks); a placeholder no family set
// renders empty.
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

class Backends : public sdk::Family {
 public:
  bool AddService(const ConfigView&, const ServiceView& svc,
                  Emitter& emit) override {
    const std::string section = sdk::Backend(svc.backend);
    std::string text;
    if (!emit.Render("BACKEND_HEAD",
                     {{"backend", svc.backend},
                      {"balance", "roundrobin"},
                      {"mode", svc.mode}},
                     &text)) {
      return false;
    }
    emit.Append(section, sdk::kSectionBackend, sdk::kLineHead, text);
    if (svc.mode == "http") {
      if (!emit.Render("BACKEND_HTTP_OPTIONS", {}, &text)) {
        return false;
      }
      emit.Append(section, sdk::kSectionBackend, sdk::kLineHttpOptions, text);
    }
    return true;
  }

  bool AddServer(const ConfigView&, const ServiceView& svc,
                 const ServerView& server, const Vars& family_vars,
                 Emitter& emit) override {
    Vars vars = {{"cookieOptions", ""},
                 {"healthCheckOptions", ""},
                 {"otherOptions", ""}};
    for (const auto& [key, value] : family_vars) {
      vars[key] = value;
    }
    vars["host"] = server.host;
    vars["host_ipv4"] = server.ip;
    vars["port"] = std::to_string(server.port);
    vars["serverName"] = server.name;
    vars["serverId"] = std::to_string(server.id);
    std::string text;
    if (!emit.Render("BACKEND_SERVER_OPTIONS", vars, &text)) {
      return false;
    }
    emit.AddServer(sdk::Backend(svc.backend),
                   {server.name, server.ip, server.port, server.id, text});
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("backends", "io.mlb.builtin", "1.0.0",
                   "marathon-lb backends: head, http options, server lines",
                   kTemplates, Backends);
