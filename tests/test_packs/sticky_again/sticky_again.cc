// A second implementation of the "sticky" family, written as a third party
// would write it, out of tree with nothing but mlb/plugin/sdk.h and OpenSSL:
// its own label declaration (HAPROXY_{n}_STICKY), its own template
// (BACKEND_STICKY_OPTIONS) and its own cookie hash. Chosen with
// --family-pack sticky=test.sticky_again instead of the built-in pack, it
// must render configs identical to the built-in one's
// (tests/render/golden_test.cc): the core knows the family only through the
// registry.
#include <openssl/sha.h>

#include <string>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

enum : sdk::TemplateId { BACKEND_STICKY_OPTIONS };

const mlb_template_def kTemplates[] = {
    {"BACKEND_STICKY_OPTIONS",
     "  cookie mesosphere_server_id insert indirect nocache dynamic\n"
     "  dynamic-cookie-key marathon-lb\n",
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_VERBATIM, "",
     "the cookie line of a sticky backend", MLB_SECTION_BACKEND, 40, "", ""},
};

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_STICKY", MLB_LABEL_BOOL,
     "Session affinity: the backend inserts a cookie naming the server."},
};

// The first ten hex digits of SHA-1(name).
std::string CookieOf(const std::string& name) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(name.data()), name.size(),
       digest);
  static const char kHex[] = "0123456789abcdef";
  std::string cookie;
  for (int i = 0; i < 5; ++i) {
    cookie += kHex[digest[i] >> 4];
    cookie += kHex[digest[i] & 0xf];
  }
  return cookie;
}

class StickyAgain : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    return !svc.Flag("HAPROXY_{n}_STICKY") ||
           emit.Add(BACKEND_STICKY_OPTIONS, {});
  }

  bool ServerOptions(const sdk::Service& svc, const sdk::Server& server,
                     sdk::Vars& options, sdk::Emitter&) override {
    if (svc.Flag("HAPROXY_{n}_STICKY")) {
      options.Set("cookieOptions", " check cookie " + CookieOf(server.name));
    }
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("sticky", "test.sticky_again", "1.0.0",
                   "sticky sessions, implemented again outside marathon-lb",
                   kTemplates, MLB_LABELS(kLabels), StickyAgain);
