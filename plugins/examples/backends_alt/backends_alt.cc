// Example template pack: a replacement for the built-in "backends" family
// whose backends balance by least connections. Built out of tree with
// nothing but mlb/plugin/sdk.h (docs/plugin-sdk.md shows how).
//
// It provides the same template names and placeholders as the built-in pack,
// so operators' templates/ files and HAPROXY_{n}_<TEMPLATE> labels keep
// working; only the defaults differ. With both packs loaded, pick this one
// with --family-pack backends=com.example.backends_alt.
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

// The templates, by id: their index in kTemplates.
enum : sdk::TemplateId {
  BACKEND_HEAD,
  BACKEND_HTTP_OPTIONS,
  BACKEND_SERVER_OPTIONS
};

const mlb_template_def kTemplates[] = {
    {"BACKEND_HEAD",
     "\nbackend {backend}\n"
     "  balance leastconn\n"
     "  mode {mode}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend balance mode",
     "head of the backend of one service port ({balance} is leastconn)",
     MLB_SECTION_BACKEND, 0, "", ""},
    {"BACKEND_HTTP_OPTIONS",
     "  option forwardfor\n"
     "  http-request set-header X-Forwarded-Port %[dst_port]\n"
     "  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n",
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_VERBATIM, "",
     "options of http-mode backends", MLB_SECTION_BACKEND, 30, "", ""},
    {"BACKEND_SERVER_OPTIONS",
     "  server {serverName} {host_ipv4}:{port} id {serverId}{cookieOptions}"
     "{healthCheckOptions}{otherOptions}\n",
     MLB_TEMPLATE_OVERRIDABLE,
     "host host_ipv4 port serverName serverId cookieOptions "
     "healthCheckOptions otherOptions",
     "one server line per task", MLB_SECTION_BACKEND, 0, "", ""},
};

class BackendsAlt : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    if (!emit.Add(BACKEND_HEAD, {{"backend", svc.backend},
                                 {"balance", "leastconn"},
                                 {"mode", svc.mode}})) {
      return false;
    }
    return svc.mode != "http" || emit.Add(BACKEND_HTTP_OPTIONS, {});
  }

  // The server line takes the options the other families set (cookieOptions
  // from sticky, healthCheckOptions from health_checks).
  bool AddServer(const sdk::Service&, const sdk::Server& server,
                 const sdk::Vars& options, sdk::Emitter& emit) override {
    return emit.AddServer(
        server, BACKEND_SERVER_OPTIONS,
        {{"host", server.host},
         {"host_ipv4", server.ip},
         {"port", server.port},
         {"serverName", server.name},
         {"serverId", server.id},
         {"cookieOptions", options.Get("cookieOptions")},
         {"healthCheckOptions", options.Get("healthCheckOptions")},
         {"otherOptions", options.Get("otherOptions")}});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("backends", "com.example.backends_alt", "1.0.0",
                   "example: backends balanced by least connections",
                   kTemplates, MLB_NO_LABELS, BackendsAlt);
