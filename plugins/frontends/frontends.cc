// Template family "frontends": the HEAD, the :80 vhost frontend, the :9091
// app-id frontend, the :443 SNI frontend and one frontend per service port.
//
// Routing follows marathon-lb 1.15 for the 2015 label set: vhosts are matched
// case-insensitively and their ACL names carry the app id, a comma in
// HAPROXY_{n}_VHOST gives several vhosts sharing one ACL, and with
// HAPROXY_{n}_REDIRECT_TO_HTTPS the redirect family adds its line after ours.
#include "frontends_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

using mlb::sdk::ConfigView;
using mlb::sdk::Emitter;
using mlb::sdk::ServiceView;
using mlb::sdk::Vars;
namespace sdk = mlb::sdk;

constexpr uint32_t kOverridable = MLB_TEMPLATE_OVERRIDABLE;
constexpr uint32_t kVerbatim = MLB_TEMPLATE_VERBATIM;

const mlb_template_def kTemplates[] = {
    {"HEAD", kTemplate_HEAD, kVerbatim, "",
     "global, defaults and the :9090 stats listener"},
    {"HTTP_FRONTEND_HEAD", kTemplate_HTTP_FRONTEND_HEAD, kVerbatim, "",
     "head of the :80 vhost frontend marathon_http_in"},
    {"HTTP_FRONTEND_APPID_HEAD", kTemplate_HTTP_FRONTEND_APPID_HEAD, kVerbatim,
     "", "head of the :9091 X-Marathon-App-Id frontend"},
    {"HTTPS_FRONTEND_HEAD", kTemplate_HTTPS_FRONTEND_HEAD, 0, "sslCerts",
     "head of the :443 SNI frontend marathon_https_in"},
    {"FRONTEND_HEAD", kTemplate_FRONTEND_HEAD, kOverridable,
     "bindAddr backend servicePort mode sslCert sslCertOptions bindOptions",
     "head of the frontend of one service port"},
    {"FRONTEND_BACKEND_GLUE", kTemplate_FRONTEND_BACKEND_GLUE, kOverridable,
     "backend", "routes a service frontend to its backend"},
    {"HTTP_FRONTEND_ACL", kTemplate_HTTP_FRONTEND_ACL, kOverridable,
     "cleanedUpHostname hostname appId backend",
     "vhost ACL and routing in marathon_http_in (single vhost)"},
    {"HTTP_FRONTEND_ACL_ONLY", kTemplate_HTTP_FRONTEND_ACL_ONLY, kOverridable,
     "cleanedUpHostname hostname",
     "vhost ACL in marathon_http_in, one per vhost of a multi-vhost label"},
    {"HTTP_FRONTEND_ROUTING_ONLY", kTemplate_HTTP_FRONTEND_ROUTING_ONLY,
     kOverridable, "cleanedUpHostname backend",
     "routing line after the vhost ACLs of a multi-vhost label"},
    {"HTTPS_FRONTEND_ACL", kTemplate_HTTPS_FRONTEND_ACL, kOverridable,
     "cleanedUpHostname hostname appId backend",
     "SNI routing in marathon_https_in, one per vhost"},
    {"HTTP_FRONTEND_APPID_ACL", kTemplate_HTTP_FRONTEND_APPID_ACL, kOverridable,
     "cleanedUpAppId hostname appId backend",
     "X-Marathon-App-Id routing in marathon_http_appid_in"},
};

class Frontends : public sdk::Family {
 public:
  bool BeginConfig(const ConfigView& config, Emitter& emit) override {
    std::string text;
    if (!emit.Render("HEAD", {}, &text)) {
      return false;
    }
    emit.Append(sdk::kHeadSection, sdk::kSectionHead, sdk::kLineHead, text);
    if (config.bind_http_https) {
      if (!emit.Render("HTTP_FRONTEND_HEAD", {}, &text)) {
        return false;
      }
      emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                  sdk::kLineHead, text);
      std::string certs;
      for (const std::string& cert : config.ssl_certs) {
        certs += (certs.empty() ? "crt " : " crt ") + cert;
      }
      if (!emit.Render("HTTPS_FRONTEND_HEAD", {{"sslCerts", certs}}, &text)) {
        return false;
      }
      emit.Append(sdk::kHttpsFrontend, sdk::kSectionHttpsFrontend,
                  sdk::kLineHead, text);
    }
    if (!emit.Render("HTTP_FRONTEND_APPID_HEAD", {}, &text)) {
      return false;
    }
    emit.Append(sdk::kAppIdFrontend, sdk::kSectionAppIdFrontend,
                sdk::kLineHead, text);
    return true;
  }

  bool AddService(const ConfigView& config, const ServiceView& svc,
                  Emitter& emit) override {
    return AddServiceFrontend(svc, emit) && AddVhostRouting(config, svc, emit) &&
           AddAppIdRouting(svc, emit);
  }

 private:
  static bool AddServiceFrontend(const ServiceView& svc, Emitter& emit) {
    const std::string section = sdk::ServiceFrontend(svc.backend);
    const std::string ssl_cert =
        svc.ssl_cert.empty() ? "" : " ssl crt " + svc.ssl_cert;
    std::string text;
    if (!emit.Render("FRONTEND_HEAD",
                     {{"bindAddr", svc.bind_addr},
                      {"backend", svc.backend},
                      {"servicePort", std::to_string(svc.service_port)},
                      {"mode", svc.mode},
                      {"sslCert", ssl_cert},
                      {"sslCertOptions", ssl_cert},  // marathon-lb 2015 name
                      {"bindOptions", ""}},
                     &text)) {
      return false;
    }
    emit.Append(section, sdk::kSectionServiceFrontend, sdk::kLineHead, text);
    if (!emit.Render("FRONTEND_BACKEND_GLUE", {{"backend", svc.backend}},
                     &text)) {
      return false;
    }
    emit.Append(section, sdk::kSectionServiceFrontend, sdk::kLineGlue, text);
    return true;
  }

  // marathon_http_in and marathon_https_in lines for the service's vhosts.
  static bool AddVhostRouting(const ConfigView& config, const ServiceView& svc,
                              Emitter& emit) {
    if (!config.bind_http_https || svc.vhosts.empty()) {
      return true;
    }
    const std::string acl_name = sdk::VhostAclName(svc);
    std::string text;
    if (svc.vhosts.size() == 1) {
      Vars vars = {{"cleanedUpHostname", acl_name},
                   {"hostname", svc.vhosts.front()},
                   {"backend", svc.backend}};
      // marathon-lb offers no appId here when the port redirects to https.
      if (!svc.redirect_to_https) {
        vars["appId"] = svc.app_id;
      }
      if (!emit.Render("HTTP_FRONTEND_ACL", vars, &text)) {
        return false;
      }
      emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend, sdk::kLineAcl,
                  text);
    } else {
      for (const std::string& vhost : svc.vhosts) {
        if (!emit.Render("HTTP_FRONTEND_ACL_ONLY",
                         {{"cleanedUpHostname", acl_name}, {"hostname", vhost}},
                         &text)) {
          return false;
        }
        emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                    sdk::kLineAcl, text);
      }
      // With a redirect, port 80 only redirects (redirect family).
      if (!svc.redirect_to_https) {
        if (!emit.Render("HTTP_FRONTEND_ROUTING_ONLY",
                         {{"cleanedUpHostname", acl_name},
                          {"backend", svc.backend}},
                         &text)) {
          return false;
        }
        emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                    sdk::kLineGlue, text);
      }
    }
    for (const std::string& vhost : svc.vhosts) {
      if (!emit.Render("HTTPS_FRONTEND_ACL",
                       {{"cleanedUpHostname", acl_name},
                        {"hostname", vhost},
                        {"appId", svc.app_id},
                        {"backend", svc.backend}},
                       &text)) {
        return false;
      }
      emit.Append(sdk::kHttpsFrontend, sdk::kSectionHttpsFrontend,
                  sdk::kLineAcl, text);
    }
    return true;
  }

  // The first http-mode service port of each app answers on :9091.
  static bool AddAppIdRouting(const ServiceView& svc, Emitter& emit) {
    if (svc.mode != "http" || !emit.ClaimOnce("appid " + svc.app_id)) {
      return true;
    }
    std::string text;
    if (!emit.Render("HTTP_FRONTEND_APPID_ACL",
                     {{"cleanedUpAppId", sdk::CleanName(svc.app_id)},
                      {"hostname", svc.vhost_label.empty() ? "None"
                                                           : svc.vhost_label},
                      {"appId", svc.app_id},
                      {"backend", svc.backend}},
                     &text)) {
      return false;
    }
    emit.Append(sdk::kAppIdFrontend, sdk::kSectionAppIdFrontend, sdk::kLineAcl,
                text);
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("frontends", "io.mlb.builtin", "1.0.0",
                   "marathon-lb frontends: :80 vhosts, :443 SNI, :9091 app id, "
                   "one frontend per service port",
                   kTemplates, Frontends);
