// Template family "auth": HAPROXY_{n}_AUTH=realm:user:password-hash puts the
// port's vhosts behind HTTP basic auth, as marathon-lb 1.15 does: a userlist
// user_<backend> with the one user, and in marathon_http_in and
// marathon_https_in the auth ACL, the 401 challenge and the routing. The
// frontends family leaves those vhost lines to this family when the label is
// set (and, on :80, when the redirect family does not answer with a 301).
// As in 1.15 the port's own frontend and the :9091 app-id route are not
// behind auth. With --group-https-by-vhost the :443 lines go to the TLS
// frontend of each vhost (the frontends family's named sections).
#include <string>
#include <vector>

#include "auth_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_AUTH", MLB_LABEL_TEXT,
     "realm:user:password-hash: the vhosts of port n ask for HTTP basic auth "
     "(the hash as HAProxy's `user ... password` takes it, e.g. from mkpasswd "
     "-m sha-512)."},
};

// Why one part of the label cannot go into the config, or "".
std::string PartProblem(const std::string& part, const char* refused) {
  if (part.empty()) {
    return "is empty";
  }
  const size_t bad = part.find_first_of(refused);
  if (bad != std::string::npos) {
    return std::string("has '") + part[bad] + "', which HAProxy would read "
           "as part of the config line";
  }
  return "";
}

class Auth : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const sdk::LabelValue* label = svc.Label("HAPROXY_{n}_AUTH");
    if (label == nullptr) {
      return true;
    }
    // realm:user:hash, each part checked: the realm goes inside double
    // quotes (where HAProxy expands $VARIABLES), user and hash are words.
    std::vector<std::string> parts(1);
    for (const char c : label->text) {
      if (c == ':') {
        parts.emplace_back();
      } else {
        parts.back() += c;
      }
    }
    if (parts.size() != 3) {
      return emit.Fail("label " + label->label +
                       ": expected realm:user:password-hash");
    }
    const char* names[] = {"realm", "user", "password hash"};
    const char* refused[] = {"\"\\$", " \"'\\#{}$", " \"'\\#{}"};
    for (int i = 0; i < 3; ++i) {
      const std::string problem = PartProblem(parts[i], refused[i]);
      if (!problem.empty()) {
        return emit.Fail("label " + label->label + ": the " + names[i] + " " +
                         problem);
      }
    }
    const std::string& realm = parts[0];
    if (!emit.Add(USERLIST_HEAD, {{"backend", svc.backend},
                                  {"user", parts[1]},
                                  {"passwd", parts[2]}})) {
      return false;
    }
    if (!emit.config().bind_http_https || svc.vhosts.empty()) {
      return true;
    }
    // The templates take the same values; each uses those it needs.
    const std::string path(svc.Text("HAPROXY_{n}_PATH"));
    sdk::Vars vars = {{"cleanedUpHostname", sdk::VhostAclName(svc)},
                      {"hostname", svc.vhosts.front()},
                      {"path", path},
                      {"appId", svc.app_id},
                      {"realm", realm},
                      {"backend", svc.backend}};
    const bool single = svc.vhosts.size() == 1;
    const bool redirect = svc.Flag("HAPROXY_{n}_REDIRECT_TO_HTTPS");
    if (!single && !path.empty() &&
        !emit.Add(HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH, vars)) {
      return false;
    }
    if (!redirect) {  // else :80 answers with the redirect family's 301
      sdk::TemplateId routing =
          single ? (path.empty() ? HTTP_FRONTEND_ACL_WITH_AUTH
                                 : HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH)
                 : (path.empty() ? HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH
                                 : HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH);
      if (!emit.Add(routing, vars)) {
        return false;
      }
    }
    // With --group-https-by-vhost, in the TLS frontend of each vhost.
    const sdk::TemplateId https = path.empty()
                                      ? HTTPS_FRONTEND_ACL_WITH_AUTH
                                      : HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH;
    for (const std::string& vhost : svc.vhosts) {
      vars.Set("hostname", vhost);
      if (emit.config().group_https_by_vhost
              ? !sdk::AddToVhostSection(emit, vhost, https, vars)
              : !emit.Add(https, vars)) {
        return false;
      }
    }
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("auth", "io.mlb.builtin", "2.0.0",
                   "marathon-lb HTTP basic auth on the vhosts of a port",
                   kTemplates, MLB_LABELS(kLabels), Auth);
