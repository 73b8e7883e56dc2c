// Template family "backends": the backend of each service port (its balance
// algorithm, http options and source allow-list) and one server line per
// task. The server line takes the options the other families set for it
// (cookieOptions from sticky, healthCheckOptions from health_checks, and its
// own otherOptions for a draining blue/green task); one no family set is
// empty.
#include <string>

#include "backends_templates.h"
#include "balance.h"
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_USE_HSTS", MLB_LABEL_BOOL,
     "http mode: responses carry Strict-Transport-Security "
     "(BACKEND_HSTS_OPTIONS)."},
    {"HAPROXY_{n}_HTTP_BACKEND_PROXYPASS_PATH", MLB_LABEL_WORD,
     "http mode: requests reach the task without this path prefix, with "
     "the vhost as Host (HTTP_BACKEND_PROXYPASS_GLUE)."},
    {"HAPROXY_{n}_HTTP_BACKEND_REVPROXY_PATH", MLB_LABEL_WORD,
     "http mode: a Location header pointing at the vhost becomes this path "
     "(HTTP_BACKEND_REVPROXY_GLUE)."},
    {"HAPROXY_{n}_HTTP_BACKEND_REDIR", MLB_LABEL_WORD,
     "http mode: / of the vhost answers 301 to this location "
     "(HTTP_BACKEND_REDIR)."},
    {"HAPROXY_{n}_BALANCE", MLB_LABEL_WORDS,
     "HAProxy balance algorithm of the backend (default roundrobin)."},
    {"HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL", MLB_LABEL_NETWORK_LIST,
     "Source addresses or networks (address/prefix) allowed into the "
     "backend, separated by spaces; other sources are denied (http) or "
     "rejected (tcp)."},
};

class Backends : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    std::string balance(svc.Text("HAPROXY_{n}_BALANCE"));
    if (balance.empty()) {
      balance = "roundrobin";
    } else if (!backends::IsBalance(sdk::Words(balance))) {
      return emit.Fail("label HAPROXY_" + std::to_string(svc.port_index) +
                       "_BALANCE: '" + balance + "' is not one of " +
                       backends::kBalanceHelp);
    }
    if (!emit.Add(BACKEND_HEAD, {{"backend", svc.backend},
                                 {"balance", balance},
                                 {"mode", svc.mode}})) {
      return false;
    }
    if (svc.mode == "http") {
      if (svc.Flag("HAPROXY_{n}_USE_HSTS") &&
          !emit.Add(BACKEND_HSTS_OPTIONS, {})) {
        return false;
      }
      if (!emit.Add(BACKEND_HTTP_OPTIONS, {}) || !AddHttpGlue(svc, emit)) {
        return false;
      }
    }
    return AddAllowedNetworks(svc, emit);
  }

  // An old blue/green task being drained (HAPROXY_DEPLOYMENT_GROUP) stays in
  // the backend, disabled: HAProxy sends it no new request (as 1.15).
  bool ServerOptions(const sdk::Service& svc, const sdk::Server& server,
                     sdk::Vars& options, sdk::Emitter&) override {
    if (svc.Draining(server)) {
      options.Set("otherOptions", " disabled");
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

 private:
  // The rewrites of the backend's http labels, in marathon-lb 1.15's order.
  static bool AddHttpGlue(const sdk::Service& svc, sdk::Emitter& emit) {
    const std::string hostname =
        svc.vhost_label.empty() ? "None" : svc.vhost_label;  // as 1.15
    const std::string_view proxypath =
        svc.Text("HAPROXY_{n}_HTTP_BACKEND_PROXYPASS_PATH");
    const std::string_view rootpath =
        svc.Text("HAPROXY_{n}_HTTP_BACKEND_REVPROXY_PATH");
    const std::string_view redirpath =
        svc.Text("HAPROXY_{n}_HTTP_BACKEND_REDIR");
    return (proxypath.empty() ||
            emit.Add(HTTP_BACKEND_PROXYPASS_GLUE,
                     {{"hostname", hostname}, {"proxypath", proxypath}})) &&
           (rootpath.empty() ||
            emit.Add(HTTP_BACKEND_REVPROXY_GLUE,
                     {{"hostname", hostname}, {"rootpath", rootpath}})) &&
           (redirpath.empty() ||
            emit.Add(HTTP_BACKEND_REDIR,
                     {{"hostname", hostname}, {"redirpath", redirpath}}));
  }

  // One ACL line per allowed network, then the rule that denies the rest.
  static bool AddAllowedNetworks(const sdk::Service& svc, sdk::Emitter& emit) {
    const sdk::LabelValue* allowed =
        svc.Label("HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL");
    if (allowed == nullptr) {
      return true;
    }
    const bool http = svc.mode == "http";
    for (std::string_view network : sdk::Words(allowed->text)) {
      if (!emit.Add(http ? HTTP_BACKEND_NETWORK_ALLOWED_ACL
                         : TCP_BACKEND_NETWORK_ALLOWED_ACL,
                    {{"network_allowed", network}})) {
        return false;
      }
    }
    return emit.Add(
        http ? HTTP_BACKEND_ACL_ALLOW_DENY : TCP_BACKEND_ACL_ALLOW_DENY, {});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("backends", "io.mlb.builtin", "2.0.0",
                   "marathon-lb backends: head, balance, http options, "
                   "allowed source networks, server lines",
                   kTemplates, MLB_LABELS(kLabels), Backends);
