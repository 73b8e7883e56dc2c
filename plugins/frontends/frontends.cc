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
  // The placeholders of one template, in one map kept from one service to
  // the next: its nodes and their buffers are reused, where a map built per
  // call allocated every key and value again.
  template <size_t N>
  class FixedVars {
   public:
    explicit FixedVars(const char* const (&names)[N]) {
      for (size_t i = 0; i < N; ++i) {
        values_[i] = &vars_[names[i]];
      }
    }
    std::string& operator[](size_t i) { return *values_[i]; }
    const Vars& vars() const { return vars_; }

   private:
    Vars vars_;
    std::string* values_[N];
  };

  static constexpr const char* kFrontendHead[] = {
      "bindAddr", "backend",        "servicePort", "mode",
      "sslCert",  "sslCertOptions", "bindOptions"};
  static constexpr const char* kGlue[] = {"backend"};
  static constexpr const char* kAcl[] = {"cleanedUpHostname", "hostname",
                                         "backend"};
  static constexpr const char* kAclAppId[] = {"cleanedUpHostname", "hostname",
                                              "backend", "appId"};
  static constexpr const char* kAclOnly[] = {"cleanedUpHostname", "hostname"};
  static constexpr const char* kRoutingOnly[] = {"cleanedUpHostname",
                                                 "backend"};
  static constexpr const char* kAppIdAcl[] = {"cleanedUpAppId", "hostname",
                                              "appId", "backend"};

  bool AddServiceFrontend(const ServiceView& svc, Emitter& emit) {
    section_ = sdk::ServiceFrontend(svc.backend);
    FixedVars<7>& head = frontend_head_;
    head[0] = svc.bind_addr;
    head[1] = svc.backend;
    head[2] = std::to_string(svc.service_port);
    head[3] = svc.mode;
    std::string& ssl_cert = head[4];
    ssl_cert.clear();
    if (!svc.ssl_cert.empty()) {
      ssl_cert = " ssl crt ";
      ssl_cert += svc.ssl_cert;
    }
    head[5] = ssl_cert;  // marathon-lb 2015 name
    head[6].clear();
    if (!emit.Render("FRONTEND_HEAD", head.vars(), &text_)) {
      return false;
    }
    emit.Append(section_, sdk::kSectionServiceFrontend, sdk::kLineHead, text_);
    glue_[0] = svc.backend;
    if (!emit.Render("FRONTEND_BACKEND_GLUE", glue_.vars(), &text_)) {
      return false;
    }
    emit.Append(section_, sdk::kSectionServiceFrontend, sdk::kLineGlue, text_);
    return true;
  }

  // marathon_http_in and marathon_https_in lines for the service's vhosts.
  bool AddVhostRouting(const ConfigView& config, const ServiceView& svc,
                       Emitter& emit) {
    if (!config.bind_http_https || svc.vhosts.empty()) {
      return true;
    }
    const std::string acl_name = sdk::VhostAclName(svc);
    if (svc.vhosts.size() == 1) {
      // marathon-lb offers no appId here when the port redirects to https.
      const Vars* vars;
      if (svc.redirect_to_https) {
        acl_[0] = acl_name;
        acl_[1] = svc.vhosts.front();
        acl_[2] = svc.backend;
        vars = &acl_.vars();
      } else {
        acl_app_id_[0] = acl_name;
        acl_app_id_[1] = svc.vhosts.front();
        acl_app_id_[2] = svc.backend;
        acl_app_id_[3] = svc.app_id;
        vars = &acl_app_id_.vars();
      }
      if (!emit.Render("HTTP_FRONTEND_ACL", *vars, &text_)) {
        return false;
      }
      emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend, sdk::kLineAcl,
                  text_);
    } else {
      acl_only_[0] = acl_name;
      for (const std::string& vhost : svc.vhosts) {
        acl_only_[1] = vhost;
        if (!emit.Render("HTTP_FRONTEND_ACL_ONLY", acl_only_.vars(), &text_)) {
          return false;
        }
        emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                    sdk::kLineAcl, text_);
      }
      // With a redirect, port 80 only redirects (redirect family).
      if (!svc.redirect_to_https) {
        routing_only_[0] = acl_name;
        routing_only_[1] = svc.backend;
        if (!emit.Render("HTTP_FRONTEND_ROUTING_ONLY", routing_only_.vars(),
                         &text_)) {
          return false;
        }
        emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                    sdk::kLineGlue, text_);
      }
    }
    // HTTPS_FRONTEND_ACL has HTTP_FRONTEND_ACL's placeholders with appId.
    acl_app_id_[0] = acl_name;
    acl_app_id_[2] = svc.backend;
    acl_app_id_[3] = svc.app_id;
    for (const std::string& vhost : svc.vhosts) {
      acl_app_id_[1] = vhost;
      if (!emit.Render("HTTPS_FRONTEND_ACL", acl_app_id_.vars(), &text_)) {
        return false;
      }
      emit.Append(sdk::kHttpsFrontend, sdk::kSectionHttpsFrontend,
                  sdk::kLineAcl, text_);
    }
    return true;
  }

  // The first http-mode service port of each app answers on :9091.
  bool AddAppIdRouting(const ServiceView& svc, Emitter& emit) {
    if (svc.mode != "http") {
      return true;
    }
    claim_.assign("appid ");
    claim_ += svc.app_id;
    if (!emit.ClaimOnce(claim_)) {
      return true;
    }
    app_id_acl_[0] = sdk::CleanName(svc.app_id);
    app_id_acl_[1] = svc.vhost_label.empty() ? "None" : svc.vhost_label;
    app_id_acl_[2] = svc.app_id;
    app_id_acl_[3] = svc.backend;
    if (!emit.Render("HTTP_FRONTEND_APPID_ACL", app_id_acl_.vars(), &text_)) {
      return false;
    }
    emit.Append(sdk::kAppIdFrontend, sdk::kSectionAppIdFrontend, sdk::kLineAcl,
                text_);
    return true;
  }

  std::string section_;  // "frontend <backend>" of the current service
  std::string text_;     // the last rendered template
  std::string claim_;    // "appid <app id>"
  FixedVars<7> frontend_head_{kFrontendHead};
  FixedVars<1> glue_{kGlue};
  FixedVars<3> acl_{kAcl};
  FixedVars<4> acl_app_id_{kAclAppId};
  FixedVars<2> acl_only_{kAclOnly};
  FixedVars<2> routing_only_{kRoutingOnly};
  FixedVars<4> app_id_acl_{kAppIdAcl};
};

}  // namespace

MLB_DECLARE_PLUGIN("frontends", "io.mlb.builtin", "1.0.0",
                   "marathon-lb frontends: :80 vhosts, :443 SNI, :9091 app id, "
                   "one frontend per service port",
                   kTemplates, Frontends);
