// Template family "redirect": HAPROXY_{n}_REDIRECT_TO_HTTPS. As in
// marathon-lb 1.15 the 301 lives in marathon_http_in, keyed on the vhost ACL
// the frontends family wrote just before it, so it needs a vhost and the
// :80/:443 frontends.
#include "mlb/plugin/sdk.h"
#include "redirect_templates.h"

namespace {

using mlb::sdk::ConfigView;
using mlb::sdk::Emitter;
using mlb::sdk::ServiceView;
namespace sdk = mlb::sdk;

const mlb_template_def kTemplates[] = {
    {"BACKEND_REDIRECT_HTTP_TO_HTTPS", kTemplate_BACKEND_REDIRECT_HTTP_TO_HTTPS,
     MLB_TEMPLATE_OVERRIDABLE, "bindAddr cleanedUpHostname",
     "301 to https for a vhost in marathon_http_in"},
};

class Redirect : public sdk::Family {
 public:
  bool AddService(const ConfigView& config, const ServiceView& svc,
                  Emitter& emit) override {
    if (!svc.redirect_to_https || !config.bind_http_https ||
        svc.vhosts.empty()) {
      return true;
    }
    std::string text;
    if (!emit.Render(
            "BACKEND_REDIRECT_HTTP_TO_HTTPS",
            {{"bindAddr", svc.bind_addr},
             {"cleanedUpHostname", sdk::VhostAclName(svc)}},
            &text)) {
      return false;
    }
    emit.Append(sdk::kHttpFrontend, sdk::kSectionHttpFrontend,
                sdk::kLineRedirect, text);
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("redirect", "io.mlb.builtin", "1.0.0",
                   "marathon-lb HTTP to HTTPS redirects", kTemplates, Redirect);
