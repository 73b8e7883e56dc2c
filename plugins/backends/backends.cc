// Template family "backends": the backend of each service port, its http
// options and one server line per task. The server line takes the options
// the other families set for it (cookieOptions from sticky,
// healthCheckOptions from health_checks); one no family set is empty.
#include "backends_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

class Backends : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    if (!emit.Add(BACKEND_HEAD, {{"backend", svc.backend},
                                 {"balance", "roundrobin"},
                                 {"mode", svc.mode}})) {
      return false;
    }
    if (svc.mode == "http") {
      return emit.Add(BACKEND_HTTP_OPTIONS, {});
    }
    return true;
  }

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

MLB_DECLARE_PLUGIN("backends", "io.mlb.builtin", "2.0.0",
                   "marathon-lb backends: head, http options, server lines",
                   kTemplates, MLB_NO_LABELS, Backends);
