// DC/OS service-account mode of marathon-sim (--service-account
// UID:PUBLIC_KEY_PEM_FILE [--token-ttl-s N]).
//
// As DC/OS IAM and Admin Router do:
//   POST /acs/api/v1/auth/login  body {"uid", "token": <RS256 JWT>, "exp"}:
//        the JWT must verify with the account's public key, carry
//        {"uid": <the account>, "exp": <not past>}, and the body's uid must
//        be the account's. The answer: Set-Cookie dcos-acs-auth-cookie=<new
//        token> and {"token": <new token>}; otherwise 401 (400 for a body
//        that is not such JSON) with {"title", "description", "code"}.
//   Every other path outside /_sim needs "Authorization: token=<token>" of a
//   token issued here, neither expired (--token-ttl-s after its login) nor
//   revoked; otherwise 401 with "WWW-Authenticate: acsjwt". An event stream
//   already open stays open when its token expires or is revoked.
// Control endpoints (404 without --service-account, as is the login):
//   POST /_sim/revoke              every token issued so far stops working
//   GET  /_sim/service-account     the account, counters, and every token
//                                  issued (for tests that look for leaks)
//   POST /_sim/service-account?accept_logins=0|1
//                                  refuse (401) or accept logins from now on
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

class Router;
struct RouteMatch;
struct SimContext;

inline constexpr char kLoginPath[] = "/acs/api/v1/auth/login";
inline constexpr char kAuthCookie[] = "dcos-acs-auth-cookie";

struct ServiceAccountOptions {
  std::string uid;             // empty: service-account mode off
  std::string public_key_pem;  // an RSA public key
  int token_ttl_s = 3600;
};

// Reads --service-account UID:PUBLIC_KEY_PEM_FILE: a non-empty uid without
// ':', then a file holding a PEM RSA public key. False with *error set.
bool ParseServiceAccount(const std::string& value, ServiceAccountOptions* out,
                         std::string* error);

// The accounts' tokens. Thread-safe.
class ServiceAccount {
 public:
  explicit ServiceAccount(ServiceAccountOptions options);

  bool enabled() const { return !options_.uid.empty(); }

  // A login with the request body `body`. True with a new *token; false with
  // the HTTP status to answer (400 or 401), a DC/OS-like code and *error.
  bool Login(const std::string& body, std::string* token, int* status,
             std::string* code, std::string* error);

  // Whether `request` (a Marathon path) may pass: always when the mode is
  // off; otherwise only with a live token. Counts the refusals.
  bool Admits(const Poco::Net::HTTPServerRequest& request);

  // Revokes every token issued so far; how many were live.
  std::int64_t RevokeAll();
  void SetAcceptLogins(bool accept);

  Object::Ptr ToJson() const;

 private:
  const ServiceAccountOptions options_;
  mutable std::mutex mu_;
  // All guarded by mu_.
  bool accept_logins_ = true;
  std::map<std::string, SteadyClock::time_point> live_;  // token -> expiry
  std::vector<std::string> issued_;
  std::int64_t logins_ = 0;
  std::int64_t refused_logins_ = 0;
  std::int64_t rejected_requests_ = 0;
  std::int64_t revocations_ = 0;
};

// The login route and the control routes above.
void AddServiceAccountRoutes(Router* router);

// The 401 answer to a Marathon request without a live token (Admits false),
// for the router. Owned by the caller (Poco's server).
Poco::Net::HTTPRequestHandler* NewTokenRequiredEndpoint(
    SimContext& context, RouteMatch match);

}  // namespace mlb::tools::sim
