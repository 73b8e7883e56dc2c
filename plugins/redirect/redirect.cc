// Template family "redirect": HAPROXY_{n}_REDIRECT_TO_HTTPS. As in
// marathon-lb 1.15 the 301 lives in marathon_http_in, keyed on the vhost ACL
// of the frontends family (whose HTTP_FRONTEND_ACL comes before it), so it
// needs a vhost and the :80/:443 frontends.
#include "mlb/plugin/sdk.h"
#include "redirect_templates.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_REDIRECT_TO_HTTPS", MLB_LABEL_BOOL,
     "Answer plain-http requests for the vhost on :80 with a 301 to https."},
};

class Redirect : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    if (!svc.Flag("HAPROXY_{n}_REDIRECT_TO_HTTPS") ||
        !emit.config().bind_http_https || svc.vhosts.empty()) {
      return true;
    }
    // With the frontends family's HAPROXY_{n}_PATH, only the vhost's path.
    const bool path = !svc.Text("HAPROXY_{n}_PATH").empty();
    return emit.Add(path ? BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH
                         : BACKEND_REDIRECT_HTTP_TO_HTTPS,
                    {{"bindAddr", svc.bind_addr},
                     {"cleanedUpHostname", sdk::VhostAclName(svc)},
                     {"backend", svc.backend}});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("redirect", "io.mlb.builtin", "2.0.0",
                   "marathon-lb HTTP to HTTPS redirects", kTemplates,
                   MLB_LABELS(kLabels), Redirect);
