#include "tools/marathon_sim/service_account.h"

#include <Poco/Crypto/RSAKey.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <chrono>
#include <exception>
#include <fstream>
#include <sstream>
#include <typeinfo>
#include <utility>

#include "tools/marathon_sim/endpoint.h"
#include "tools/marathon_sim/json.h"
#include "tools/marathon_sim/router.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

constexpr char kTokenPrefix[] = "token=";

Poco::SharedPtr<Poco::Crypto::RSAKey> PublicKey(const std::string& pem) {
  std::istringstream in(pem);
  return new Poco::Crypto::RSAKey(&in, nullptr);
}

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The string member `key` of `object`, or "" if it has none.
std::string StringMember(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key) || !object->get(key).isString()) {
    return "";
  }
  return object->getValue<std::string>(key);
}

// The DC/OS-like error body.
Object::Ptr ErrorBody(int status, const std::string& code,
                      const std::string& description) {
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("title", status == 400 ? "Bad Request" : "Unauthorized");
  body->set("description", description);
  body->set("code", code);
  return body;
}

// Whether `body` is a good login request of the account (logins accepted);
// if not, the status to answer (400, 401), a DC/OS-like code and why.
bool CheckLogin(const ServiceAccountOptions& account, bool accept_logins,
                const std::string& body, int* status, std::string* code,
                std::string* error) {
  Poco::Dynamic::Var root;
  *status = 400;
  *code = "ERR_INVALID_DATA";
  if (!ParseJson(body, "login request body", &root, error)) {
    return false;
  }
  if (root.type() != typeid(Object::Ptr)) {
    *error = "login request body: not a JSON object";
    return false;
  }
  const Object::Ptr request = root.extract<Object::Ptr>();
  const std::string uid = StringMember(request, "uid");
  const std::string jwt = StringMember(request, "token");
  if (uid.empty() || jwt.empty()) {
    *error = "login request body: expected string members uid and token";
    return false;
  }
  *status = 401;
  if (!accept_logins) {
    *code = "ERR_LOGIN_REFUSED";
    *error = "logins are refused (POST /_sim/service-account?accept_logins=0)";
    return false;
  }
  if (uid != account.uid) {
    *code = "ERR_INVALID_CREDENTIALS";
    *error = "unknown uid '" + uid + "'";
    return false;
  }
  *code = "ERR_INVALID_LOGIN_TOKEN";
  Poco::JWT::Token claims;
  try {
    Poco::JWT::Signer signer(PublicKey(account.public_key_pem));
    signer.setAlgorithms({"RS256"});
    claims = signer.verify(jwt);
  } catch (const Poco::Exception& e) {
    *error = "login token of " + uid + " does not verify (RS256): " +
             e.displayText();
    return false;
  }
  const Poco::JSON::Object& payload = claims.payload();
  if (!payload.has("uid") || payload.get("uid").toString() != uid) {
    *error = "login token: its uid claim is not '" + uid + "'";
    return false;
  }
  if (!payload.has("exp") || !payload.get("exp").isInteger() ||
      payload.getValue<Poco::Int64>("exp") <= UnixNow()) {
    *error = "login token: no exp claim, or it is past";
    return false;
  }
  return true;
}

// The endpoints of service-account mode: 404 when the simulator runs
// without --service-account.
class ServiceAccountModeEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  // The account, or null after answering 404.
  ServiceAccount* AccountOr404(HTTPServerRequest& request,
                               HTTPServerResponse& response) {
    ServiceAccount& account = context().service_account;
    if (!account.enabled()) {
      SendMessage(request, response, HTTPResponse::HTTP_NOT_FOUND,
                  "Not found: " + match().path + " (no --service-account)");
      return nullptr;
    }
    return &account;
  }
};

// POST /acs/api/v1/auth/login
class LoginEndpoint : public ServiceAccountModeEndpoint {
 public:
  using ServiceAccountModeEndpoint::ServiceAccountModeEndpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    ServiceAccount* found = AccountOr404(request, response);
    if (found == nullptr) return;
    ServiceAccount& account = *found;
    std::string body;
    if (!ReadBody(request, response, &body)) return;
    std::string token, code, error;
    int status = 0;
    if (!account.Login(body, &token, &status, &code, &error)) {
      LogLine(std::string(kProgram) + ": login refused: " + error);
      SendJson(request, response,
               static_cast<HTTPResponse::HTTPStatus>(status),
               ErrorBody(status, code, error));
      return;
    }
    response.add("Set-Cookie",
                 std::string(kAuthCookie) + "=" + token + "; Path=/; HttpOnly");
    Object::Ptr answer = new Object;
    answer->set("token", token);
    SendJson(request, response, HTTPResponse::HTTP_OK, answer);
  }
};

// A Marathon path without a live token.
class TokenRequiredEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    response.set("WWW-Authenticate", "acsjwt");
    SendJson(request, response, HTTPResponse::HTTP_UNAUTHORIZED,
             ErrorBody(401, "ERR_INVALID_TOKEN",
                       "no valid authentication token: log in at " +
                           std::string(kLoginPath)));
  }
};

// POST /_sim/revoke
class RevokeEndpoint : public ServiceAccountModeEndpoint {
 public:
  using ServiceAccountModeEndpoint::ServiceAccountModeEndpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    ServiceAccount* found = AccountOr404(request, response);
    if (found == nullptr) return;
    ServiceAccount& account = *found;
    const std::int64_t revoked = account.RevokeAll();
    LogLine(std::string(kProgram) + ": revoked " + std::to_string(revoked) +
            " tokens");
    Object::Ptr body = new Object;
    body->set("revoked", revoked);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /_sim/service-account; POST /_sim/service-account?accept_logins=0|1
class ServiceAccountEndpoint : public ServiceAccountModeEndpoint {
 public:
  using ServiceAccountModeEndpoint::ServiceAccountModeEndpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override {
    return {"GET", "POST"};
  }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    ServiceAccount* found = AccountOr404(request, response);
    if (found == nullptr) return;
    ServiceAccount& account = *found;
    if (request.getMethod() == "POST") {
      for (const auto& [key, value] : match().query) {
        if (key != "accept_logins" || (value != "0" && value != "1")) {
          SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                      "expected accept_logins=0 or accept_logins=1, got '" +
                          key + "=" + value + "'");
          return;
        }
        account.SetAcceptLogins(value == "1");
        LogLine(std::string(kProgram) + ": logins " +
                (value == "1" ? "accepted" : "refused") + " from now on");
      }
    }
    SendJson(request, response, HTTPResponse::HTTP_OK, account.ToJson());
  }
};

}  // namespace

bool ParseServiceAccount(const std::string& value, ServiceAccountOptions* out,
                         std::string* error) {
  const std::size_t colon = value.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
    *error = "option --service-account needs UID:PUBLIC_KEY_PEM_FILE, got '" +
             value + "'";
    return false;
  }
  const std::string file = value.substr(colon + 1);
  std::ifstream in(file);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) {
    *error = "option --service-account: cannot read " + file;
    return false;
  }
  try {
    PublicKey(pem.str());
  } catch (const Poco::Exception& e) {
    *error = "option --service-account: " + file +
             " is not a PEM RSA public key: " + e.displayText();
    return false;
  }
  out->uid = value.substr(0, colon);
  out->public_key_pem = pem.str();
  return true;
}

ServiceAccount::ServiceAccount(ServiceAccountOptions options)
    : options_(std::move(options)) {}

bool ServiceAccount::Login(const std::string& body, std::string* token,
                           int* status, std::string* code,
                           std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!CheckLogin(options_, accept_logins_, body, status, code, error)) {
    ++refused_logins_;
    return false;
  }
  ++logins_;
  *token = "sim-" + NewUuid();
  live_[*token] =
      SteadyClock::now() + std::chrono::seconds(options_.token_ttl_s);
  issued_.push_back(*token);
  return true;
}

bool ServiceAccount::Admits(const Poco::Net::HTTPServerRequest& request) {
  if (!enabled()) return true;
  const std::string value = request.get("Authorization", "");
  std::lock_guard<std::mutex> lock(mu_);
  if (value.rfind(kTokenPrefix, 0) == 0) {
    const auto it = live_.find(value.substr(sizeof(kTokenPrefix) - 1));
    if (it != live_.end()) {
      if (SteadyClock::now() < it->second) return true;
      live_.erase(it);
    }
  }
  ++rejected_requests_;
  return false;
}

std::int64_t ServiceAccount::RevokeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t revoked = 0;
  const SteadyClock::time_point now = SteadyClock::now();
  for (const auto& [token, expiry] : live_) {
    revoked += now < expiry ? 1 : 0;
  }
  live_.clear();
  ++revocations_;
  return revoked;
}

void ServiceAccount::SetAcceptLogins(bool accept) {
  std::lock_guard<std::mutex> lock(mu_);
  accept_logins_ = accept;
}

Object::Ptr ServiceAccount::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("uid", options_.uid);
  body->set("token_ttl_s", options_.token_ttl_s);
  body->set("accept_logins", accept_logins_);
  body->set("logins", logins_);
  body->set("refused_logins", refused_logins_);
  body->set("rejected_requests", rejected_requests_);
  body->set("revocations", revocations_);
  Array::Ptr issued = new Array;
  for (const std::string& token : issued_) {
    issued->add(token);
  }
  body->set("issued_tokens", issued);
  return body;
}

void AddServiceAccountRoutes(Router* router) {
  router->AddExact(kLoginPath, Make<LoginEndpoint>());
  router->AddExact("/_sim/revoke", Make<RevokeEndpoint>());
  router->AddExact("/_sim/service-account", Make<ServiceAccountEndpoint>());
}

Poco::Net::HTTPRequestHandler* NewTokenRequiredEndpoint(SimContext& context,
                                                        RouteMatch match) {
  return new TokenRequiredEndpoint(context, std::move(match));
}

}  // namespace mlb::tools::sim
