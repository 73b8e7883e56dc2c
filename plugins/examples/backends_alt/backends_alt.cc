// Example template pack: a replacement for the built-in "backends" family
// whose backends balance by least connections. Built out of tree with
// nothing but mlb/plugin/sdk.h (docs/plugin-sdk.md shows how).
//
// It provides the same template names and placeholders as the built-in pack,
// so operators' templates/ files and HAPROXY_{n}_<TEMPLATE> labels keep
// working; only the defaults differ. With both packs loaded, pick this one
// with --family-pack backends=com.example.backends_alt.
#include <string>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_template_def kTemplates[] = {
    {"BACKEND_HEAD",
     "\nbackend {backend}\n"
     "  balance leastconn\n"
     "  mode {mode}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend balance mode",
     "head of the backend of one service port ({balance} is leastconn)"},
    {"BACKEND_HTTP_OPTIONS",
     "  option forwardfor\n"
     "  http-request set-header X-Forwarded-Port %[dst_port]\n"
     "  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n",
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_VERBATIM, "",
     "options of http-mode backends"},
    {"BACKEND_SERVER_OPTIONS",
     "  server {serverName} {host_ipv4}:{port} id {serverId}{cookieOptions}"
     "{healthCheckOptions}{otherOptions}\n",
     MLB_TEMPLATE_OVERRIDABLE,
     "host host_ipv4 port serverName serverId cookieOptions "
     "healthCheckOptions otherOptions",
     "one server line per task"},
};

class BackendsAlt : public sdk::Family {
 public:
  bool AddService(const sdk::ConfigView&, const sdk::ServiceView& svc,
                  sdk::Emitter& emit) override {
    const std::string section = sdk::Backend(svc.backend);
    std::string text;
    if (!emit.Render("BACKEND_HEAD",
                     {{"backend", svc.backend},
                      {"balance", "leastconn"},
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

  // The server line takes every family's placeholders (cookieOptions from
  // sticky, healthCheckOptions from health_checks); the server's own fields
  // win.
  bool AddServer(const sdk::ConfigView&, const sdk::ServiceView& svc,
                 const sdk::ServerView& server, const sdk::Vars& family_vars,
                 sdk::Emitter& emit) override {
    sdk::Vars vars = {{"cookieOptions", ""},
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
    sdk::ServerEntry entry;
    if (!emit.Render("BACKEND_SERVER_OPTIONS", vars, &entry.line)) {
      return false;
    }
    entry.name = server.name;
    entry.address = server.ip;
    entry.port = server.port;
    entry.id = server.id;
    emit.AddServer(sdk::Backend(svc.backend), entry);
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("backends", "com.example.backends_alt", "1.0.0",
                   "example: backends balanced by least connections",
                   kTemplates, BackendsAlt);
