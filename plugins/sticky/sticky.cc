// Template family "sticky": session affinity for a service port labelled
// HAPROXY_{n}_STICKY=true. The backend inserts a cookie naming the server
// (BACKEND_STICKY_OPTIONS), and each server line gets
// " check cookie <first 10 hex digits of SHA-1(server name)>", as in
// marathon-lb 1.15 (the cookie does not reveal the agent host and port).
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include <string>

#include "mlb/plugin/sdk.h"
#include "sticky_templates.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_STICKY", MLB_LABEL_BOOL,
     "Session affinity through the mesosphere_server_id cookie."},
};

class Sticky : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    if (!svc.Flag("HAPROXY_{n}_STICKY")) {
      return true;
    }
    return emit.Add(BACKEND_STICKY_OPTIONS, {});
  }

  bool ServerOptions(const sdk::Service& svc, const sdk::Server& server,
                     sdk::Vars& options, sdk::Emitter&) override {
    if (svc.Flag("HAPROXY_{n}_STICKY")) {
      Poco::SHA1Engine sha1;
      sha1.update(server.name);
      const std::string hex = Poco::DigestEngine::digestToHex(sha1.digest());
      options.Set("cookieOptions", " check cookie " + hex.substr(0, 10));
    }
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("sticky", "io.mlb.builtin", "2.0.0",
                   "marathon-lb sticky sessions: cookie insertion", kTemplates,
                   MLB_LABELS(kLabels), Sticky);
