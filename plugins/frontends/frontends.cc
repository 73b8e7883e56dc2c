// Template family "frontends": the HEAD, the :80 vhost frontend, the :9091
// app-id frontend, the :443 SNI frontend and one frontend per service port.
//
// Routing follows marathon-lb 1.15 for the 2015 label set: vhosts are matched
// case-insensitively and their ACL names carry the app id; a comma in
// HAPROXY_{n}_VHOST gives several vhosts sharing one ACL; a port with
// HAPROXY_{n}_REDIRECT_TO_HTTPS (the redirect family's label) is not routed
// on :80, where the redirect family's 301 follows its ACL; the vhost routing
// of a port with HAPROXY_{n}_AUTH is the auth family's.
#include <string>

#include "frontends_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_SSL_CERT", MLB_LABEL_CERTIFICATE,
     "Certificate file: the port's own frontend terminates TLS with it."},
};

class Frontends : public sdk::Family {
 public:
  bool Begin(sdk::Emitter& emit) override {
    const sdk::Config& config = emit.config();
    if (!emit.Add(HEAD, {})) {
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
    return emit.Add(HTTP_FRONTEND_APPID_HEAD, {});
  }

  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const bool vhosts = emit.config().bind_http_https && !svc.vhosts.empty();
    return AddServiceFrontend(svc, emit) &&
           (!vhosts || (AddHttpVhostRouting(svc, emit) &&
                        AddHttpsVhostRouting(svc, emit))) &&
           AddAppIdRouting(svc, emit);
  }

 private:
  static bool AddServiceFrontend(const sdk::Service& svc, sdk::Emitter& emit) {
    const std::string_view cert = svc.Text("HAPROXY_{n}_SSL_CERT");
    const std::string ssl_cert =
        cert.empty() ? "" : " ssl crt " + std::string(cert);
    return emit.Add(FRONTEND_HEAD, {{"bindAddr", svc.bind_addr},
                                    {"backend", svc.backend},
                                    {"servicePort", svc.service_port},
                                    {"mode", svc.mode},
                                    {"sslCert", ssl_cert},
                                    {"sslCertOptions", ssl_cert},  // 2015 name
                                    {"bindOptions", ""}}) &&
           emit.Add(FRONTEND_BACKEND_GLUE, {{"backend", svc.backend}});
  }

  // marathon_http_in: the vhost ACLs and the routing to the backend. The
  // redirect family's 301 takes the routing's place; behind auth the auth
  // family writes it.
  static bool AddHttpVhostRouting(const sdk::Service& svc,
                                  sdk::Emitter& emit) {
    const std::string acl = sdk::VhostAclName(svc);
    const bool redirect = svc.Flag("HAPROXY_{n}_REDIRECT_TO_HTTPS");
    const bool auth = svc.Label("HAPROXY_{n}_AUTH") != nullptr;
    if (svc.vhosts.size() == 1) {
      if (auth && !redirect) {
        return true;  // HTTP_FRONTEND_ACL_WITH_AUTH
      }
      sdk::Vars vars = {{"cleanedUpHostname", acl},
                        {"hostname", svc.vhosts.front()},
                        {"backend", svc.backend}};
      if (!redirect) {  // marathon-lb offers no {appId} with a redirect
        vars.Set("appId", svc.app_id);
      }
      return emit.Add(HTTP_FRONTEND_ACL, vars);
    }
    for (const std::string& vhost : svc.vhosts) {
      if (!emit.Add(HTTP_FRONTEND_ACL_ONLY,
                    {{"cleanedUpHostname", acl}, {"hostname", vhost}})) {
        return false;
      }
    }
    if (redirect || auth) {
      return true;  // the 301, or HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH
    }
    return emit.Add(HTTP_FRONTEND_ROUTING_ONLY,
                    {{"cleanedUpHostname", acl}, {"backend", svc.backend}});
  }

  // marathon_https_in: routing by SNI, one line per vhost.
  static bool AddHttpsVhostRouting(const sdk::Service& svc,
                                   sdk::Emitter& emit) {
    if (svc.Label("HAPROXY_{n}_AUTH") != nullptr) {
      return true;  // HTTPS_FRONTEND_ACL_WITH_AUTH
    }
    for (const std::string& vhost : svc.vhosts) {
      if (!emit.Add(HTTPS_FRONTEND_ACL, {{"cleanedUpHostname",
                                          sdk::VhostAclName(svc)},
                                         {"hostname", vhost},
                                         {"appId", svc.app_id},
                                         {"backend", svc.backend}})) {
        return false;
      }
    }
    return true;
  }

  // The first http-mode service port of each app answers on :9091.
  static bool AddAppIdRouting(const sdk::Service& svc, sdk::Emitter& emit) {
    if (!svc.first_http_port) {
      return true;
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
