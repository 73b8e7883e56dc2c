// Template family "sticky": HAPROXY_{n}_STICKY session affinity. The backend
// inserts a cookie naming the server; each server line gets
// " check cookie <first 10 hex digits of SHA-1(server name)>", as in
// marathon-lb 1.15 (the cookie does not reveal agent host and port).
#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include <string>

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
      SetCookieOptions(server.name);
      (*vars)["cookieOptions"] = cookie_options_;
    }
    return true;
  }

 private:
  // cookie_options_ = " check cookie " + the first 10 hex digits (lower
  // case, as Poco's digestToHex writes them) of SHA-1(server_name). One
  // engine and one string serve every server.
  void SetCookieOptions(const std::string& server_name) {
    static constexpr char kHex[] = "0123456789abcdef";
    static constexpr char kPrefix[] = " check cookie ";
    sha1_.reset();
    sha1_.update(server_name);
    const Poco::DigestEngine::Digest& digest = sha1_.digest();
    cookie_options_.assign(kPrefix, sizeof(kPrefix) - 1);
    for (size_t i = 0; i < 5; ++i) {
      cookie_options_.push_back(kHex[digest[i] >> 4]);
      cookie_options_.push_back(kHex[digest[i] & 0x0F]);
    }
  }

  Poco::SHA1Engine sha1_;
  std::string cookie_options_;
};

}  // namespace

MLB_DECLARE_PLUGIN("sticky", "io.mlb.builtin", "1.0.0",
                   "marathon-lb sticky sessions: cookie insertion", kTemplates,
                   Sticky);
