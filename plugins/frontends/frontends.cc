// Template family "frontends": the HEAD, the :80 vhost frontend, the :9091
// app-id frontend, the :443 SNI frontend and one frontend per service port.
//
// Routing follows marathon-lb 1.15 for the 2015 label set: vhosts are matched
// case-insensitively and their ACL names carry the app id; a comma in
// HAPROXY_{n}_VHOST gives several vhosts sharing one ACL; a port with
// HAPROXY_{n}_REDIRECT_TO_HTTPS (the redirect family's label) is not routed
// on :80, where the redirect family's 301 follows its ACL; the vhost routing
// of a port with HAPROXY_{n}_AUTH is the auth family's. HAPROXY_{n}_PATH
// narrows a vhost's routing to path prefixes; the vhost rules of all ports
// are ordered by HAPROXY_{n}_BACKEND_WEIGHT. With --haproxy-map, vhosts
// and app ids are routed through domain2backend.map and app2backend.map
// (vhost_routing.h says which).
#include <set>
#include <string>

#include "bind_options.h"
#include "frontends_templates.h"
#include "mlb/plugin/sdk.h"
#include "vhost_routing.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_SSL_CERT", MLB_LABEL_CERTIFICATE,
     "Certificate file: the port's own frontend terminates TLS with it."},
    {"HAPROXY_{n}_PATH", MLB_LABEL_WORDS,
     "With a vhost: only requests whose path begins so go to port n "
     "(HAProxy path_beg: several prefixes, flags such as -i)."},
    {"HAPROXY_{n}_BIND_OPTIONS", MLB_LABEL_WORDS,
     "Options appended to the bind line of the port's own frontend "
     "(HAProxy 2.6 bind keywords such as alpn, ssl-min-ver, verify, "
     "accept-proxy, maxconn; not crt, ssl, namespace or socket options)."},
    {"HAPROXY_{n}_BACKEND_WEIGHT", MLB_LABEL_INTEGER,
     "Order of the port's vhost rules on :80 and :443, highest first "
     "(default 0; 1 with a PATH)."},
};

class Frontends : public sdk::Family {
 public:
  bool Begin(sdk::Emitter& emit) override {
    const sdk::Config& config = emit.config();
    std::string options;
    // Servers keep their state across reloads when marathon-lb saves it.
    const std::string& state = config.server_state_file;
    if (!emit.Render(GLOBAL_DEFAULT_OPTIONS, {}, &options) ||
        !emit.Add(HEAD, {{"defaultOptions", OptionLines(options)},
                         {"serverStateFile",
                          state.empty() ? ""
                                        : "  server-state-file " + state + "\n"},
                         {"loadServerState",
                          state.empty()
                              ? ""
                              : "  load-server-state-from-file global\n"}})) {
      return false;
    }
    if (config.bind_http_https) {
      std::string certs;
      for (const std::string& cert : config.ssl_certs) {
        certs += (certs.empty() ? "crt " : " crt ") + cert;
      }
      if (!emit.Add(HTTP_FRONTEND_HEAD, {}) ||
          !emit.Add(HTTPS_FRONTEND_HEAD, {{"sslCerts", certs}})) {
        return false;
      }
    }
    if (config.haproxy_map && (!emit.DeclareMap("domain2backend.map") ||
                               !emit.DeclareMap("app2backend.map"))) {
      return false;
    }
    return emit.Add(HTTP_FRONTEND_APPID_HEAD, {});
  }

  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const bool vhosts = emit.config().bind_http_https && !svc.vhosts.empty();
    const std::string_view path = svc.Text("HAPROXY_{n}_PATH");
    if (vhosts && !path.empty()) {
      const std::string problem = frontends::PathProblem(path);
      if (!problem.empty()) {
        return emit.Fail("label HAPROXY_" + std::to_string(svc.port_index) +
                         "_PATH: '" + std::string(path) + "' " + problem);
      }
    }
    const std::string bind_problem =
        frontends::BindOptionsProblem(sdk::Words(svc.Text("HAPROXY_{n}_BIND_OPTIONS")));
    if (!bind_problem.empty()) {
      return emit.Fail("label HAPROXY_" + std::to_string(svc.port_index) +
                       "_BIND_OPTIONS: '" +
                       std::string(svc.Text("HAPROXY_{n}_BIND_OPTIONS")) +
                       "' " + bind_problem);
    }
    // marathon-lb 1.15 orders the vhost rules by weight; a path makes 0
    // count as 1, so that paths come before the vhost's catch-all.
    long long weight = svc.Number("HAPROXY_{n}_BACKEND_WEIGHT", 0);
    if (weight == 0 && !path.empty()) {
      weight = 1;
    }
    emit.SetRouteWeight(weight);
    return AddServiceFrontend(svc, emit) &&
           (!vhosts || (frontends::AddHttpVhostRouting(svc, emit) &&
                        frontends::AddHttpsVhostRouting(svc, emit))) &&
           AddAppIdRouting(svc, emit);
  }

 private:
  // GLOBAL_DEFAULT_OPTIONS "redispatch, dontlognull" -> "  option dontlognull\n
  // option redispatch\n": items trimmed, once each, sorted, as marathon-lb.
  static std::string OptionLines(const std::string& list) {
    std::set<std::string> options;
    std::string item;
    for (size_t i = 0; i <= list.size(); ++i) {
      if (i < list.size() && list[i] != ',') {
        item += list[i];
        continue;
      }
      const size_t first = item.find_first_not_of(" \t\r\n");
      if (first != std::string::npos) {
        const size_t last = item.find_last_not_of(" \t\r\n");
        options.insert(item.substr(first, last - first + 1));
      }
      item.clear();
    }
    std::string lines;
    for (const std::string& option : options) {
      lines += "  option " + option + "\n";
    }
    return lines;
  }

  static bool AddServiceFrontend(const sdk::Service& svc, sdk::Emitter& emit) {
    const std::string_view cert = svc.Text("HAPROXY_{n}_SSL_CERT");
    const std::string ssl_cert =
        cert.empty() ? "" : " ssl crt " + std::string(cert);
    const std::string_view options = svc.Text("HAPROXY_{n}_BIND_OPTIONS");
    const std::string bind_options =
        options.empty() ? "" : " " + std::string(options);
    return emit.Add(FRONTEND_HEAD, {{"bindAddr", svc.bind_addr},
                                    {"backend", svc.backend},
                                    {"servicePort", svc.service_port},
                                    {"mode", svc.mode},
                                    {"sslCert", ssl_cert},
                                    {"sslCertOptions", ssl_cert},  // 2015 name
                                    {"bindOptions", bind_options}}) &&
           emit.Add(FRONTEND_BACKEND_GLUE, {{"backend", svc.backend}});
  }

  // The first http-mode service port of each app answers on :9091.
  static bool AddAppIdRouting(const sdk::Service& svc, sdk::Emitter& emit) {
    if (!svc.first_http_port) {
      return true;
    }
    if (emit.config().haproxy_map) {
      return emit.AddMapEntry("app2backend.map", svc.app_id, svc.backend) &&
             emit.AddOnce("appid map", MAP_HTTP_FRONTEND_APPID_ACL,
                          {{"haproxy_dir", emit.config().haproxy_dir}}, -1);
    }
    return emit.Add(
        HTTP_FRONTEND_APPID_ACL,
        {{"cleanedUpAppId", sdk::CleanName(svc.app_id)},
         {"hostname", svc.vhost_label.empty() ? "None" : svc.vhost_label},
         {"appId", svc.app_id},
         {"backend", svc.backend}});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("frontends", "io.mlb.builtin", "2.0.0",
                   "marathon-lb frontends: :80 vhosts, :443 SNI, :9091 app id, "
                   "one frontend per service port",
                   kTemplates, MLB_LABELS(kLabels), Frontends);
