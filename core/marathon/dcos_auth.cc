#include "core/marathon/dcos_auth.h"

#include <Poco/Crypto/RSAKey.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/SharedPtr.h>
#include <Poco/URI.h>

#include <exception>
#include <sstream>
#include <typeinfo>
#include <utility>

#include "core/base/logging.h"
#include "core/base/text.h"

namespace mlb {
namespace {

using SystemClock = std::chrono::system_clock;

constexpr char kCookieName[] = "dcos-acs-auth-cookie";
constexpr char kKeyError[] =
    "not a PEM RSA private key (without a passphrase)";

// Given as the passphrase of every key: OpenSSL ignores it for a plain key,
// and without one it would prompt on the terminal for an encrypted key.
constexpr char kNoPassphrase[] = "(none: service-account keys have none)";

// The RSA private key of a PEM text; null if it is not one.
Poco::SharedPtr<Poco::Crypto::RSAKey> LoadPrivateKey(const std::string& pem) {
  try {
    std::istringstream in(pem);
    return new Poco::Crypto::RSAKey(nullptr, &in, kNoPassphrase);
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool IsHttpUrl(const std::string& text) {
  try {
    const Poco::URI uri(text);
    return (uri.getScheme() == "http" || uri.getScheme() == "https") &&
           !uri.getHost().empty();
  } catch (const Poco::Exception&) {
    return false;
  }
}

// A cookie-octet string (RFC 6265): visible ASCII but for '"', ',', ';' and
// '\'. What a token must be to go into a header as it is.
bool IsTokenText(const std::string& text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' ||
        c == '\\') {
      return false;
    }
  }
  return true;
}

// The value of cookie `name` in the Set-Cookie headers; empty if none.
std::string CookieValue(const HttpResponse& response, const std::string& name) {
  for (const auto& [header, value] : response.headers) {
    if (Lower(header) != "set-cookie") {
      continue;
    }
    const std::string pair = value.substr(0, value.find(';'));
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || Trim(pair.substr(0, eq)) != name) {
      continue;
    }
    std::string cookie = Trim(pair.substr(eq + 1));
    if (cookie.size() >= 2 && cookie.front() == '"' && cookie.back() == '"') {
      cookie = cookie.substr(1, cookie.size() - 2);
    }
    return cookie;
  }
  return "";
}

// The "token" string of a JSON object body; empty if there is none.
std::string JsonToken(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var root = parser.parse(body);
    if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
      return "";
    }
    const Poco::Dynamic::Var token =
        root.extract<Poco::JSON::Object::Ptr>()->get("token");
    return token.isString() ? token.toString() : "";
  } catch (const Poco::Exception&) {
    return "";
  }
}

int64_t UnixSeconds(SystemClock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             when.time_since_epoch())
      .count();
}

}  // namespace

Status ParseDcosCredentials(const std::string& json, const std::string& source,
                            DcosCredentials* out) {
  Poco::Dynamic::Var root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(json);
  } catch (const Poco::Exception&) {
    // Poco's message may quote the text, and the text holds the key.
    return Status::Error(source, "not valid JSON");
  }
  if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
    return Status::Error(source, "not a JSON object");
  }
  const Poco::JSON::Object::Ptr object = root.extract<Poco::JSON::Object::Ptr>();
  DcosCredentials credentials;
  const std::pair<const char*, std::string*> kFields[] = {
      {"uid", &credentials.uid},
      {"private_key", &credentials.private_key},
      {"login_endpoint", &credentials.login_endpoint},
  };
  for (const auto& [name, field] : kFields) {
    const std::string context = source + ": field " + name;
    if (!object->has(name)) {
      return Status::Error(context, "missing");
    }
    const Poco::Dynamic::Var value = object->get(name);
    if (!value.isString() || value.toString().empty()) {
      return Status::Error(context, "expected a non-empty string");
    }
    *field = value.toString();
  }
  if (LoadPrivateKey(credentials.private_key).isNull()) {
    return Status::Error(source + ": field private_key", kKeyError);
  }
  if (!IsHttpUrl(credentials.login_endpoint)) {
    return Status::Error(source + ": field login_endpoint",
                         "expected an http:// or https:// URL");
  }
  *out = std::move(credentials);
  return Status::OK();
}

Status MakeLoginJwt(const DcosCredentials& credentials, int64_t exp,
                    std::string* jwt) {
  const Poco::SharedPtr<Poco::Crypto::RSAKey> key =
      LoadPrivateKey(credentials.private_key);
  if (key.isNull()) {
    return Status::Error("private_key", kKeyError);
  }
  try {
    Poco::JWT::Token token;
    token.setType("JWT");
    token.payload().set("uid", credentials.uid);
    token.payload().set("exp", static_cast<Poco::Int64>(exp));
    *jwt = Poco::JWT::Signer(key).sign(token, "RS256");
  } catch (const Poco::Exception& e) {
    return Status::Error("signing the login JWT", e.displayText());
  }
  return Status::OK();
}

std::string ShownLoginEndpoint(const std::string& login_endpoint) {
  try {
    Poco::URI uri(login_endpoint);
    uri.setUserInfo("");
    return uri.toString();
  } catch (const Poco::Exception&) {
    return "(not a URL)";
  }
}

// DcosAuth -------------------------------------------------------------------

DcosAuth::DcosAuth(DcosAuthOptions options)
    : options_(std::move(options)),
      shown_endpoint_(ShownLoginEndpoint(options_.credentials.login_endpoint)) {}

DcosAuth::~DcosAuth() = default;

Status DcosAuth::Create(DcosAuthOptions options,
                        std::unique_ptr<DcosAuth>* out) {
  if (LoadPrivateKey(options.credentials.private_key).isNull()) {
    return Status::Error("private_key", kKeyError);
  }
  out->reset(new DcosAuth(std::move(options)));
  return Status::OK();
}

int DcosAuth::logins() const {
  std::lock_guard<std::mutex> lock(mu_);
  return logins_;
}

Status DcosAuth::Authorization(std::string* value, HttpCancel* cancel) {
  std::lock_guard<std::mutex> lock(mu_);
  if (authorization_.empty() || options_.now() >= expiry_ - kRefreshMargin) {
    MLB_RETURN_IF_ERROR(Login(cancel));
  }
  *value = authorization_;
  return Status::OK();
}

Status DcosAuth::Renew(const std::string& rejected, std::string* value,
                       HttpCancel* cancel) {
  std::lock_guard<std::mutex> lock(mu_);
  if (authorization_.empty() || authorization_ == rejected) {
    MLB_RETURN_IF_ERROR(Login(cancel));
  }
  *value = authorization_;
  return Status::OK();
}

Status DcosAuth::Login(HttpCancel* cancel) {
  // A token that failed to be renewed is not used again.
  authorization_.clear();
  const std::string context =
      "DC/OS login as " + options_.credentials.uid + " at " + shown_endpoint_;
  const SystemClock::time_point now = options_.now();
  const SystemClock::time_point expiry = now + kTokenLifetime;
  std::string jwt;
  MLB_RETURN_IF_ERROR(
      MakeLoginJwt(options_.credentials, UnixSeconds(now + kLoginJwtLifetime),
                   &jwt)
          .WithContext(context));
  Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
  body.set("uid", options_.credentials.uid);
  body.set("token", jwt);
  body.set("exp", static_cast<Poco::Int64>(UnixSeconds(expiry)));
  std::ostringstream text;
  body.stringify(text);

  HttpClientOptions http;
  http.connect_timeout = options_.connect_timeout;
  http.read_timeout = options_.read_timeout;
  http.total_timeout = options_.total_timeout.count() > 0
                          ? options_.total_timeout
                          : options_.connect_timeout + options_.read_timeout;
  http.total_timeout_flag = options_.total_timeout_flag;
  // The signed login JWT goes to the endpoint configured, nowhere else.
  http.max_redirects = 0;
  http.max_body_bytes = 1 << 20;
  http.ca_file = options_.ca_cert;
  http.cancel = cancel;
  HttpRequest request;
  request.method = Poco::Net::HTTPRequest::HTTP_POST;
  request.url = options_.credentials.login_endpoint;
  request.headers = {{"Accept", "application/json"}};
  request.body = text.str();
  request.content_type = "application/json";
  HttpResponse response;
  std::string answer;
  MLB_RETURN_IF_ERROR(HttpClient(std::move(http))
                          .Fetch(request, &answer, &response)
                          .WithContext(context));
  if (!response.ok()) {
    return Status::Error(context, response.StatusLine());
  }
  // The cookie, as marathon-lb 1.15; else the body, as DC/OS IAM documents.
  std::string token = CookieValue(response, kCookieName);
  if (token.empty()) {
    token = JsonToken(answer);
  }
  if (token.empty()) {
    return Status::Error(context, std::string("the answer has no ") +
                                      kCookieName +
                                      " cookie and no JSON token");
  }
  if (!IsTokenText(token)) {
    return Status::Error(context,
                         "the answer's token is not a valid cookie value");
  }
  authorization_ = "token=" + token;
  expiry_ = expiry;
  ++logins_;
  Log().information("logged in to DC/OS as " + options_.credentials.uid +
                    " at " + shown_endpoint_);
  return Status::OK();
}

}  // namespace mlb
