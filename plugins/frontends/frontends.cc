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
// (vhost_routing.h says which). With --group-https-by-vhost, :443 is a TCP
// frontend that passes each connection by SNI to a TLS frontend per vhost
// (a named section, opened in Finish from what the ports collected: their
// vhosts, certificates and bind options), where the vhost's routing goes.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

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

// marathon-lb 1.15 served these on :9090 with Lua; marathon-lb serves them
// on its admin address, where the default HEAD's stats listener passes them.
// Anyone who reaches :9090 reaches them, so HAProxy opens at most
// kAdminMaxconn connections to the admin server (it holds 64; the rest
// wait in HAProxy's queue): /healthz keeps room there whatever :9090 gets.
constexpr int kAdminMaxconn = 8;

std::string AdminRoute(const std::string& admin_address) {
  if (admin_address.empty()) {
    return "";
  }
  return "  use_backend marathon_lb_admin if { path /_haproxy_getconfig "
         "/_haproxy_getvhostmap /_haproxy_getappmap /_haproxy_getpids "
         "/_mlb_signal/hup /_mlb_signal/usr1 }\n"
         "backend marathon_lb_admin\n"
         "  mode http\n"
         "  server marathon_lb " +
         admin_address + " maxconn " + std::to_string(kAdminMaxconn) + "\n";
}

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
                              : "  load-server-state-from-file global\n"},
                         {"adminRoute", AdminRoute(config.admin_address)}})) {
      return false;
    }
    if (config.bind_http_https) {
      if (!emit.Add(HTTP_FRONTEND_HEAD, {}) ||
          !(config.group_https_by_vhost
                ? emit.Add(HTTPS_GROUPED_FRONTEND_HEAD, {})
                : emit.Add(HTTPS_FRONTEND_HEAD,
                           {{"sslCerts", CertList(config.ssl_certs)}}))) {
        return false;
      }
    }
    if (config.haproxy_map) {
      // The lookup lines name the maps by path, inside one config word.
      const size_t bad = config.haproxy_dir.find_first_of(" \t'\"#\\,()${}");
      if (bad != std::string::npos) {
        return emit.Fail("--haproxy-map: the directory of --haproxy-config, '" +
                         config.haproxy_dir + "', has '" +
                         config.haproxy_dir[bad] +
                         "', which a map lookup line cannot carry; keep the "
                         "config in another directory");
      }
      if (!emit.DeclareMap("domain2backend.map") ||
          !emit.DeclareMap("app2backend.map")) {
        return false;
      }
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
    const std::string bind_problem = frontends::BindOptionsProblem(
        sdk::Words(svc.Text("HAPROXY_{n}_BIND_OPTIONS")),
        !svc.Text("HAPROXY_{n}_SSL_CERT").empty());
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
    if (vhosts && emit.config().group_https_by_vhost) {
      CollectVhosts(svc, emit);
    }
    return AddServiceFrontend(svc, emit) &&
           (!vhosts || (frontends::AddHttpVhostRouting(svc, emit) &&
                        frontends::AddHttpsVhostRouting(svc, emit))) &&
           AddAppIdRouting(svc, emit);
  }

  // --group-https-by-vhost: in marathon_https_in the SNI of each vhost to
  // its backend; then, per vhost, that backend and the vhost's TLS frontend
  // (the ports' routing lines follow). Vhosts in byte order; certificates
  // and bind options in the order of the ports (app id, service port) that
  // first declared them.
  bool Finish(sdk::Emitter& emit) override {
    const sdk::Config& config = emit.config();
    if (!config.bind_http_https || !config.group_https_by_vhost) {
      return true;
    }
    std::vector<std::string> vhosts = emit.Collected("vhost");
    std::sort(vhosts.begin(), vhosts.end());
    for (const std::string& vhost : vhosts) {
      if (!emit.Add(HTTPS_GROUPED_VHOST_FRONTEND_ACL,
                    {{"backend", sdk::VhostSectionName(vhost)}, {"host", vhost}})) {
        return false;
      }
    }
    for (const std::string& vhost : vhosts) {
      const std::string name = sdk::VhostSectionName(vhost);
      std::string certs = CertList(emit.Collected("certificate " + vhost));
      if (certs.empty()) {
        certs = CertList(config.ssl_certs);
      }
      std::string bind_options;
      for (const std::string& options : emit.Collected("bind options " + vhost)) {
        bind_options += " " + options;
      }
      if (!sdk::AddToVhostSection(emit, vhost, HTTPS_GROUPED_VHOST_BACKEND_HEAD,
                                  {{"name", name}}) ||
          !sdk::AddToVhostSection(emit, vhost,
                                  HTTPS_GROUPED_VHOST_FRONTEND_HEAD,
                                  {{"name", name},
                                   {"sslCerts", certs},
                                   {"bindOpts", bind_options}})) {
        return false;
      }
    }
    return true;
  }

 private:
  // "crt a.pem crt b.pem".
  static std::string CertList(const std::vector<std::string>& certs) {
    std::string list;
    for (const std::string& cert : certs) {
      list += (list.empty() ? "crt " : " crt ") + cert;
    }
    return list;
  }

  // What Finish needs of the port, per vhost: the vhost, its certificate,
  // its bind options (a label of marathon-lb 1.15 another pack may
  // declare: "" when none does).
  static void CollectVhosts(const sdk::Service& svc, sdk::Emitter& emit) {
    const std::string_view cert = svc.Text("HAPROXY_{n}_SSL_CERT");
    const std::string_view options = svc.Text("HAPROXY_{n}_BIND_OPTIONS");
    for (const std::string& vhost : svc.vhosts) {
      emit.Collect("vhost", vhost);
      if (!cert.empty()) {
        emit.Collect("certificate " + vhost, cert);
      }
      if (!options.empty()) {
        emit.Collect("bind options " + vhost, options);
      }
    }
  }

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
        {{"cleanedUpAppId", sdk::AppIdAclName(svc)},
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
