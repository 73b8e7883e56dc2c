// DC/OS service-account login for Marathon (--dcos-auth-credentials, as
// marathon-lb 1.15).
//
// A service account is a uid and an RSA private key. To log in, marathon-lb
// signs a short-lived RS256 JWT {"uid": uid, "exp": now + 60} with the key and
// POSTs {"uid", "token": <the JWT>, "exp": now + 3600} to the account's login
// endpoint (DC/OS IAM, /acs/api/v1/auth/login). The answer carries the
// authentication token as the cookie dcos-acs-auth-cookie (marathon-lb 1.15
// read that) and as the JSON body {"token": ...} (what DC/OS IAM documents);
// every Marathon request then sends "Authorization: token=<token>".
//
// The login POST follows no redirect (the signed JWT would go along to
// wherever the redirect leads, and it is good for a login at the real IAM
// for 60 s): the endpoint is a fixed URL of the cluster. The answer is
// bounded to 1 MiB and the whole login to total_timeout.
//
// The token is taken to be good until the exp it was asked for. A new login
// happens when none was done yet, when the token expires within 10 s (both
// checked before each request and each event-stream connect), and when
// Marathon answers 401 to a request that carried it (the caller then retries
// that request once: Renew()).
//
// Neither the private key nor a token ever appears in a message of this
// module.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/base/http_client.h"
#include "core/base/status.h"

namespace mlb {

// What a DC/OS service-account secret holds.
struct DcosCredentials {
  std::string uid;
  std::string private_key;     // PEM, RSA
  std::string login_endpoint;  // http(s)://...
};

// Reads the JSON object of a service-account secret: {"uid", "private_key",
// "login_endpoint"}, each a non-empty string, the key a PEM RSA private key
// without a passphrase, the endpoint an http:// or https:// URL. `source`
// names where the text came from in errors:
//   "<source>: not valid JSON"
//   "<source>: not a JSON object"
//   "<source>: field uid: missing"
//   "<source>: field uid: expected a non-empty string"
//   "<source>: field private_key: not a PEM RSA private key (without a
//    passphrase)"
//   "<source>: field login_endpoint: expected an http:// or https:// URL"
// Messages never quote the text.
Status ParseDcosCredentials(const std::string& json, const std::string& source,
                            DcosCredentials* out);

// The login JWT: header {"alg": "RS256", "typ": "JWT"}, claims exactly
// {"uid": uid, "exp": exp}, signed with the private key.
Status MakeLoginJwt(const DcosCredentials& credentials, int64_t exp,
                    std::string* jwt);

// The login endpoint as messages show it: without user info.
std::string ShownLoginEndpoint(const std::string& login_endpoint);

struct DcosAuthOptions {
  DcosCredentials credentials;
  // PEM bundle of the CAs for an https login endpoint; empty: the system CAs.
  std::string ca_cert;
  std::chrono::milliseconds connect_timeout{3050};  // marathon-lb's 3.05 s
  std::chrono::milliseconds read_timeout{46000};    // and 46 s
  // The whole login, the answer included: a login holds every Marathon
  // request, so a login endpoint trickling its answer must not hold it
  // longer. 0: connect_timeout + read_timeout. `total_timeout_flag` (if
  // any) is named in the error.
  std::chrono::milliseconds total_timeout{0};
  std::string total_timeout_flag;
  // The wall clock: the exp claims are Unix seconds. Tests inject one.
  std::function<std::chrono::system_clock::time_point()> now =
      [] { return std::chrono::system_clock::now(); };
};

// Thread-safety: every method may be called from several threads. One login
// at a time: a caller that needs a token waits for a login in progress.
class DcosAuth {
 public:
  // The token lives this long after a login (the exp asked for), and is
  // replaced when it expires within kRefreshMargin.
  static constexpr std::chrono::seconds kTokenLifetime{3600};
  static constexpr std::chrono::seconds kRefreshMargin{10};
  // The login JWT's own lifetime.
  static constexpr std::chrono::seconds kLoginJwtLifetime{60};

  // Fails when the private key does not load: "private_key: not a PEM RSA
  // private key (without a passphrase)".
  static Status Create(DcosAuthOptions options, std::unique_ptr<DcosAuth>* out);
  ~DcosAuth();
  DcosAuth(const DcosAuth&) = delete;
  DcosAuth& operator=(const DcosAuth&) = delete;

  // The Authorization value for the next Marathon request, "token=<token>":
  // the token in hand, or a new login's when there is none or it expires
  // within kRefreshMargin. A login logs "logged in to DC/OS as <uid> at
  // <endpoint>"; a failure names the endpoint:
  //   "DC/OS login as <uid> at <endpoint>: HTTP 401 Unauthorized"
  //   "DC/OS login as <uid> at <endpoint>: connect: Connection refused"
  //   "DC/OS login as <uid> at <endpoint>: the answer has no
  //    dcos-acs-auth-cookie cookie and no JSON token"
  //   "DC/OS login as <uid> at <endpoint>: HTTP 307 Temporary Redirect to
  //    <URL> not followed"
  //   "DC/OS login as <uid> at <endpoint>: no complete answer within N ms"
  // `cancel` (may be null) aborts a login in progress.
  Status Authorization(std::string* value, HttpCancel* cancel = nullptr);

  // Marathon answered 401 to a request that carried `rejected`: a new login,
  // unless another caller has replaced that token meanwhile (then its token).
  // *value as Authorization() gives it.
  Status Renew(const std::string& rejected, std::string* value,
               HttpCancel* cancel = nullptr);

  // Successful logins so far.
  int logins() const;
  const std::string& uid() const { return options_.credentials.uid; }

 private:
  explicit DcosAuth(DcosAuthOptions options);
  // Logs in and keeps the token; mu_ held.
  Status Login(HttpCancel* cancel);

  const DcosAuthOptions options_;
  const std::string shown_endpoint_;
  mutable std::mutex mu_;
  std::string authorization_;  // guarded by mu_; "token=..." or empty
  std::chrono::system_clock::time_point expiry_;  // guarded by mu_
  int logins_ = 0;                                // guarded by mu_
};

}  // namespace mlb
