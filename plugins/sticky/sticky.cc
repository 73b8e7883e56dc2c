// Template family "sticky": HAPROXY_{n}_STICKY session affinity. The backend
// inserts a cookie naming the server; each server line gets
// " check cookie <first 10 hex digits of SHA-1(server name)>", as in
// marathon-lb 1.15 (the cookie does not reveal agent host and port).
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include "mlb/plugin/sdk.h"
#include "sticky_templates.h"

namespace {

using mlb::sdk::ConfigView;
using mlb::sdk::Emitter;
using mlb::sdk::ServerView;
using mlb::sdk::ServiceView;
using mlb::sdk::Vars;
namespace sdk = mlb::sdk;

const mlb_template_def kTemplates[] = {
    {"BACKEND_STICKY_OPTIONS", kTemplate_BACKEND_STICKY_OPTIONS,
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_VERBATIM, "",
     "cookie line of sticky backends"},
};

std::string CookieValue(const std::string& server_name) {
  Poco::SHA1Engine sha1;
  sha1.update(server_name);
  return Poco::DigestEngine::digestToHex(sha1.digest()).substr(0, 10);
}

class Sticky : public sdk::Family {
 public:
  bool AddService(const ConfigView&, const ServiceView& svc,
                  Emitter& emit) override {
    if (!svc.sticky) {
      return true;
    }
    std::string text;
    if (!emit.Render("BACKEND_STICKY_OPTIONS", {}, &text)) {
      return false;
    }
    emit.Append(sdk::Backend(svc.backend), sdk::kSectionBackend,
                sdk::kLineSticky, text);
    return true;
  }

  bool ServerVars(const ConfigView&, const ServiceView& svc,
                  const ServerView& server, Vars* vars, Emitter&) override {
    if (svc.sticky) {
      (*vars)["cookieOptions"] = " check cookie " + CookieValue(server.name);
    }
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("sticky", "io.mlb.builtin", "1.0.0",
                   "marathon-lb sticky sessions: cookie insertion", kTemplates,
                   Sticky);
