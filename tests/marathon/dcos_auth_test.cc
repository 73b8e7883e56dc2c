// DC/OS service-account login: the secret's parser (exact errors), the
// login JWT (decoded and verified with the public key), the login exchange
// against a fake DC/OS IAM, refresh timing on an injected clock, and
// Marathon requests and the event stream carrying the token, with one new
// login and one retry after a 401.
#include "core/marathon/dcos_auth.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/marathon/client.h"
#include "core/marathon/event_stream.h"
#include "tests/support/http_test_server.h"
#include "tests/support/service_account_keys.h"

namespace mlb {
namespace {

using testing::CredentialsJson;
using testing::SeenRequest;
using testing::TestHttpServer;
using testing::TestRsaKeys;
using SystemClock = std::chrono::system_clock;

constexpr char kLoginPath[] = "/acs/api/v1/auth/login";
constexpr char kSource[] = "--dcos-auth-credentials";
// A fixed "now" for the injected clocks: 2023-11-14T22:13:20Z.
constexpr int64_t kNow = 1700000000;

Poco::JSON::Object::Ptr ParseObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::set<std::string> Names(const Poco::JSON::Object& object) {
  std::set<std::string> names;
  for (const auto& [name, value] : object) {
    names.insert(name);
  }
  return names;
}

// The token checked against the public key (throws if it does not verify).
Poco::JWT::Token Verify(const std::string& jwt, const std::string& public_pem) {
  std::istringstream in(public_pem);
  Poco::JWT::Signer signer(
      Poco::SharedPtr<Poco::Crypto::RSAKey>(new Poco::Crypto::RSAKey(&in)));
  signer.setAlgorithms({"RS256"});
  return signer.verify(jwt);
}

DcosCredentials Credentials(const std::string& login_endpoint) {
  DcosCredentials credentials;
  credentials.uid = "mlb-principal";
  credentials.private_key = TestRsaKeys().private_pem;
  credentials.login_endpoint = login_endpoint;
  return credentials;
}

// ParseDcosCredentials --------------------------------------------------------

Status Parse(const std::string& json, DcosCredentials* out = nullptr) {
  DcosCredentials ignored;
  return ParseDcosCredentials(json, kSource, out != nullptr ? out : &ignored);
}

TEST(DcosCredentialsTest, ReadsTheThreeFields) {
  DcosCredentials credentials;
  const std::string json = CredentialsJson(
      "mlb-principal", TestRsaKeys().private_pem,
      "https://leader.mesos/acs/api/v1/auth/login");
  ASSERT_TRUE(Parse(json, &credentials).ok());
  EXPECT_EQ(credentials.uid, "mlb-principal");
  EXPECT_EQ(credentials.private_key, TestRsaKeys().private_pem);
  EXPECT_EQ(credentials.login_endpoint,
            "https://leader.mesos/acs/api/v1/auth/login");
}

TEST(DcosCredentialsTest, AcceptsPkcs8Keys) {
  // DC/OS's `dcos security org service-accounts keypair` writes PKCS#8.
  const std::string pkcs8 = testing::Pkcs8PrivateKey(TestRsaKeys());
  ASSERT_EQ(pkcs8.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << pkcs8;
  DcosCredentials credentials;
  EXPECT_TRUE(Parse(CredentialsJson("u", pkcs8, "http://iam.test/login"),
                    &credentials)
                  .ok());
}

TEST(DcosCredentialsTest, EachErrorNamesTheFieldAndNeverTheKey) {
  const std::string key = TestRsaKeys().private_pem;
  const std::string url = "http://127.0.0.1:1/acs/api/v1/auth/login";
  const struct {
    std::string json;
    std::string error;
  } kCases[] = {
      {"{\"uid\": \"u\", " + key.substr(0, 40), "not valid JSON"},
      {"", "not valid JSON"},
      {"[\"uid\"]", "not a JSON object"},
      {R"({"private_key": "k", "login_endpoint": "http://x/"})",
       "field uid: missing"},
      {R"({"uid": 7, "private_key": "k", "login_endpoint": "http://x/"})",
       "field uid: expected a non-empty string"},
      {R"({"uid": "", "private_key": "k", "login_endpoint": "http://x/"})",
       "field uid: expected a non-empty string"},
      {R"({"uid": "u", "login_endpoint": "http://x/"})",
       "field private_key: missing"},
      {R"({"uid": "u", "private_key": null, "login_endpoint": "http://x/"})",
       "field private_key: expected a non-empty string"},
      {CredentialsJson("u", "not a key", url),
       "field private_key: not a PEM RSA private key (without a passphrase)"},
      {CredentialsJson("u", TestRsaKeys().public_pem, url),
       "field private_key: not a PEM RSA private key (without a passphrase)"},
      {CredentialsJson("u", testing::MakeEcPrivateKey(), url),
       "field private_key: not a PEM RSA private key (without a passphrase)"},
      {CredentialsJson("u", testing::EncryptedPrivateKey(TestRsaKeys(), "pw"),
                       url),
       "field private_key: not a PEM RSA private key (without a passphrase)"},
      {CredentialsJson("u", key.substr(0, key.size() / 2), url),
       "field private_key: not a PEM RSA private key (without a passphrase)"},
      {CredentialsJson("u", key, ""), "field login_endpoint: expected a "
                                      "non-empty string"},
      {R"({"uid": "u", "private_key": "k"})", "field login_endpoint: missing"},
  };
  for (const auto& c : kCases) {
    const Status s = Parse(c.json);
    EXPECT_EQ(s.message(), std::string(kSource) + ": " + c.error) << c.json;
    EXPECT_EQ(s.message().find(testing::PemBodyLine(key)), std::string::npos);
  }
  for (const char* endpoint :
       {"ftp://iam.test/login", "/acs/api/v1/auth/login", "http://",
        "iam.test:443"}) {
    EXPECT_EQ(Parse(CredentialsJson("u", key, endpoint)).message(),
              std::string(kSource) +
                  ": field login_endpoint: expected an http:// or https:// URL")
        << endpoint;
  }
}

TEST(DcosCredentialsTest, ErrorsNameTheEnvironmentVariableWhenItIsTheSource) {
  DcosCredentials credentials;
  EXPECT_EQ(ParseDcosCredentials("{}", "DCOS_SERVICE_ACCOUNT_CREDENTIAL",
                                 &credentials)
                .message(),
            "DCOS_SERVICE_ACCOUNT_CREDENTIAL: field uid: missing");
}

// MakeLoginJwt ------------------------------------------------------------------

TEST(LoginJwtTest, Rs256WithExactlyUidAndExp) {
  std::string jwt;
  ASSERT_TRUE(
      MakeLoginJwt(Credentials("http://iam.test/login"), kNow + 60, &jwt).ok());
  const Poco::JWT::Token token = Verify(jwt, TestRsaKeys().public_pem);
  EXPECT_EQ(token.getAlgorithm(), "RS256");
  EXPECT_EQ(token.getType(), "JWT");
  EXPECT_EQ(Names(token.header()), (std::set<std::string>{"alg", "typ"}));
  EXPECT_EQ(Names(token.payload()), (std::set<std::string>{"uid", "exp"}));
  EXPECT_EQ(token.payload().getValue<std::string>("uid"), "mlb-principal");
  EXPECT_EQ(token.payload().getValue<int64_t>("exp"), kNow + 60);
}

TEST(LoginJwtTest, AnotherKeyDoesNotVerifyIt) {
  std::string jwt;
  ASSERT_TRUE(
      MakeLoginJwt(Credentials("http://iam.test/login"), kNow, &jwt).ok());
  const testing::RsaKeyPair other = testing::MakeRsaKeyPair();
  EXPECT_THROW(Verify(jwt, other.public_pem), Poco::Exception);
}

// DcosAuth against a fake DC/OS IAM -----------------------------------------

// What the fake IAM answers a login with.
enum class IamAnswer { kCookieAndBody, kBodyOnly, kCookieOnly, kNoToken,
                       kBadToken, kUnauthorized };

// A fake DC/OS IAM: answers logins with "token-<n>" (n from 1), as a cookie
// and/or a JSON body, as `answer` says.
class FakeIam {
 public:
  FakeIam()
      : server_([this](Poco::Net::HTTPServerRequest&,
                       Poco::Net::HTTPServerResponse& response,
                       int n) { Answer(response, n); }) {}

  std::string url() const { return server_.url(kLoginPath); }
  std::vector<SeenRequest> seen() { return server_.requests(); }
  void Set(IamAnswer answer) { answer_ = answer; }

 private:
  void Answer(Poco::Net::HTTPServerResponse& response, int n) {
    const std::string token = "token-" + std::to_string(n + 1);
    const IamAnswer answer = answer_;
    if (answer == IamAnswer::kUnauthorized) {
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
      response.setContentType("application/json");
      response.send() << R"({"title": "Unauthorized", "code": "ERR"})";
      return;
    }
    if (answer == IamAnswer::kCookieAndBody ||
        answer == IamAnswer::kCookieOnly) {
      response.add("Set-Cookie", "dcos-acs-info-cookie=e30=; Path=/");
      response.add("Set-Cookie", "dcos-acs-auth-cookie=cookie-" + token +
                                     "; Path=/; HttpOnly; Secure");
    }
    response.setContentType("application/json");
    std::ostream& out = response.send();
    if (answer == IamAnswer::kCookieAndBody || answer == IamAnswer::kBodyOnly) {
      out << R"({"token": ")" << token << R"("})";
    } else if (answer == IamAnswer::kBadToken) {
      out << R"({"token": "two words"})";
    } else {
      out << "{}";
    }
  }

  std::atomic<IamAnswer> answer_{IamAnswer::kCookieAndBody};
  TestHttpServer server_;  // last: stops first
};

// A clock the test moves.
struct FakeClock {
  std::atomic<int64_t> seconds{kNow};
  std::function<SystemClock::time_point()> Function() {
    return [this] {
      return SystemClock::time_point(std::chrono::seconds(seconds.load()));
    };
  }
};

std::unique_ptr<DcosAuth> MakeAuth(const std::string& login_endpoint,
                                   FakeClock* clock = nullptr) {
  DcosAuthOptions options;
  options.credentials = Credentials(login_endpoint);
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.read_timeout = std::chrono::milliseconds(2000);
  if (clock != nullptr) {
    options.now = clock->Function();
  }
  std::unique_ptr<DcosAuth> auth;
  EXPECT_TRUE(DcosAuth::Create(std::move(options), &auth).ok());
  return auth;
}

TEST(DcosAuthTest, LogsInWithASignedJwtAndUsesTheCookie) {
  FakeIam iam;
  FakeClock clock;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(), &clock);
  std::string value;
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=cookie-token-1");
  EXPECT_EQ(auth->logins(), 1);

  ASSERT_EQ(iam.seen().size(), 1u);
  const SeenRequest login = iam.seen()[0];
  EXPECT_EQ(login.method, "POST");
  EXPECT_EQ(login.target, kLoginPath);
  EXPECT_EQ(login.Header("Content-Type"), "application/json");
  EXPECT_EQ(login.Header("Authorization"), "");
  const Poco::JSON::Object::Ptr body = ParseObject(login.body);
  EXPECT_EQ(Names(*body), (std::set<std::string>{"uid", "token", "exp"}));
  EXPECT_EQ(body->getValue<std::string>("uid"), "mlb-principal");
  EXPECT_EQ(body->getValue<int64_t>("exp"), kNow + 3600);
  const Poco::JWT::Token jwt =
      Verify(body->getValue<std::string>("token"), TestRsaKeys().public_pem);
  EXPECT_EQ(jwt.payload().getValue<std::string>("uid"), "mlb-principal");
  EXPECT_EQ(jwt.payload().getValue<int64_t>("exp"), kNow + 60);

  // The same token until it is close to expiry.
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=cookie-token-1");
  EXPECT_EQ(iam.seen().size(), 1u);
}

TEST(DcosAuthTest, TakesTheJsonTokenWithoutTheCookie) {
  FakeIam iam;
  iam.Set(IamAnswer::kBodyOnly);
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  std::string value;
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=token-1");
  iam.Set(IamAnswer::kCookieOnly);
  ASSERT_TRUE(auth->Renew(value, &value).ok());
  EXPECT_EQ(value, "token=cookie-token-2");
}

TEST(DcosAuthTest, LogsInAgainTenSecondsBeforeTheTokenExpires) {
  FakeIam iam;
  FakeClock clock;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(), &clock);
  std::string value;
  ASSERT_TRUE(auth->Authorization(&value).ok());
  clock.seconds = kNow + 3589;  // 11 s left
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=cookie-token-1");
  EXPECT_EQ(auth->logins(), 1);
  clock.seconds = kNow + 3590;  // 10 s left
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=cookie-token-2");
  EXPECT_EQ(auth->logins(), 2);
  // The new login asked for a new hour, from the clock's now.
  ASSERT_EQ(iam.seen().size(), 2u);
  EXPECT_EQ(ParseObject(iam.seen()[1].body)->getValue<int64_t>("exp"),
            kNow + 3590 + 3600);
  clock.seconds = kNow + 3590 + 3589;
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(auth->logins(), 2);
}

TEST(DcosAuthTest, RenewLogsInOnceForTheRejectedToken) {
  FakeIam iam;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  std::string first, renewed, again;
  ASSERT_TRUE(auth->Authorization(&first).ok());
  ASSERT_TRUE(auth->Renew(first, &renewed).ok());
  EXPECT_EQ(renewed, "token=cookie-token-2");
  // A second caller rejected with the old token gets the new one.
  ASSERT_TRUE(auth->Renew(first, &again).ok());
  EXPECT_EQ(again, renewed);
  EXPECT_EQ(auth->logins(), 2);
}

TEST(DcosAuthTest, LoginFailuresNameTheEndpointWithoutCredentials) {
  FakeIam iam;
  const std::string shown = iam.url();  // http://127.0.0.1:PORT/acs/...
  const std::string port = std::to_string(
      std::stoi(shown.substr(shown.rfind(':') + 1)));
  const std::string prefix = "DC/OS login as mlb-principal at ";
  std::unique_ptr<DcosAuth> auth =
      MakeAuth("http://admin:hunter2@127.0.0.1:" + port + kLoginPath);
  std::string value = "unchanged";
  iam.Set(IamAnswer::kUnauthorized);
  EXPECT_EQ(auth->Authorization(&value).message(),
            prefix + shown + ": HTTP 401 Unauthorized");
  iam.Set(IamAnswer::kNoToken);
  EXPECT_EQ(auth->Authorization(&value).message(),
            prefix + shown +
                ": the answer has no dcos-acs-auth-cookie cookie and no JSON "
                "token");
  iam.Set(IamAnswer::kBadToken);
  EXPECT_EQ(auth->Authorization(&value).message(),
            prefix + shown + ": the answer's token is not a valid cookie value");
  EXPECT_EQ(value, "unchanged");
  EXPECT_EQ(auth->logins(), 0);
  // Each call tried again; the next good answer is used.
  iam.Set(IamAnswer::kCookieAndBody);
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=cookie-token-4");
  EXPECT_EQ(iam.seen().size(), 4u);

  const std::string dead =
      "http://127.0.0.1:" + std::to_string(testing::RefusingPort()) + "/login";
  EXPECT_EQ(MakeAuth(dead)->Authorization(&value).message(),
            prefix + dead + ": connect: Connection refused");
}

TEST(DcosAuthTest, CreateRefusesAKeyThatDoesNotLoad) {
  DcosAuthOptions options;
  options.credentials = Credentials("http://iam.test/login");
  options.credentials.private_key = TestRsaKeys().public_pem;
  std::unique_ptr<DcosAuth> auth;
  EXPECT_EQ(DcosAuth::Create(options, &auth).message(),
            "private_key: not a PEM RSA private key (without a passphrase)");
  EXPECT_EQ(auth, nullptr);
}

// Marathon requests with the token ----------------------------------------------

// A fake Marathon that wants "Authorization: token=<accepted>" and answers
// 401 otherwise.
class TokenMarathon {
 public:
  TokenMarathon()
      : server_([this](Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response, int) {
          std::string accepted;
          {
            std::lock_guard<std::mutex> lock(mu_);
            accepted = accepted_;
          }
          if (request.get("Authorization", "") != "token=" + accepted) {
            response.setStatusAndReason(
                Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
            response.set("WWW-Authenticate", "acsjwt");
            response.setContentLength(0);
            response.send();
            return;
          }
          response.setContentType("application/json");
          response.send() << R"({"apps": []})";
        }) {}

  std::string url() const { return server_.url(); }
  std::vector<SeenRequest> seen() { return server_.requests(); }
  void Accept(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    accepted_ = token;
  }

 private:
  std::mutex mu_;
  std::string accepted_;  // guarded by mu_
  TestHttpServer server_;  // last: stops first
};

TEST(MarathonDcosAuthTest, EveryRequestCarriesTheToken) {
  FakeIam iam;
  TokenMarathon marathon;
  marathon.Accept("cookie-token-1");
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  MarathonClient client(options);
  std::string json, source;
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  ASSERT_TRUE(client
                  .Request("POST",
                           "/v2/eventSubscriptions?callbackUrl=http://cb.test/",
                           "", &json, &source)
                  .ok());
  std::vector<App> apps;
  std::vector<std::string> warnings;
  ASSERT_TRUE(client.FetchAndParseApps(&apps, &warnings, &source).ok());
  ASSERT_EQ(marathon.seen().size(), 3u);
  for (const SeenRequest& seen : marathon.seen()) {
    EXPECT_EQ(seen.Header("Authorization"), "token=cookie-token-1");
  }
  EXPECT_EQ(auth->logins(), 1);
}

TEST(MarathonDcosAuthTest, A401IsFollowedByOneLoginAndOneRetry) {
  FakeIam iam;
  TokenMarathon marathon;
  marathon.Accept("cookie-token-2");  // the first login's token is refused
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  MarathonClient client(options);
  std::string json, source;
  const Status s = client.FetchApps(&json, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(json, R"({"apps": []})");
  ASSERT_EQ(marathon.seen().size(), 2u);
  EXPECT_EQ(marathon.seen()[0].Header("Authorization"), "token=cookie-token-1");
  EXPECT_EQ(marathon.seen()[1].Header("Authorization"), "token=cookie-token-2");
  EXPECT_EQ(iam.seen().size(), 2u);
}

TEST(MarathonDcosAuthTest, A401AfterTheNewLoginIsAnErrorNotALoop) {
  FakeIam iam;
  TokenMarathon marathon;
  marathon.Accept("never-issued");
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  MarathonClient client(options);
  std::string json, source;
  EXPECT_EQ(client.FetchApps(&json, &source).message(),
            "Marathon request GET /v2/apps?embed=apps.tasks failed: " +
                marathon.url() +
                ": GET /v2/apps?embed=apps.tasks: HTTP 401 Unauthorized");
  EXPECT_EQ(marathon.seen().size(), 2u);
  EXPECT_EQ(iam.seen().size(), 2u);
  // The next request starts over: at most one more login, one retry.
  EXPECT_FALSE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(marathon.seen().size(), 4u);
  EXPECT_EQ(iam.seen().size(), 3u);
}

TEST(MarathonDcosAuthTest, ALoginFailureIsTheErrorAndMarathonIsNotAsked) {
  FakeIam iam;
  iam.Set(IamAnswer::kUnauthorized);
  TokenMarathon marathon;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  MarathonClient client(options);
  std::string json, source;
  EXPECT_EQ(client.FetchApps(&json, &source).message(),
            "DC/OS login as mlb-principal at " + iam.url() +
                ": HTTP 401 Unauthorized");
  EXPECT_TRUE(marathon.seen().empty());
}

// The event stream with the token ------------------------------------------

TEST(EventStreamDcosAuthTest, ConnectsWithTheTokenAndLogsInAgainAfterA401) {
  FakeIam iam;
  FakeClock clock;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(), &clock);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> connected;
  // GET 1: 401 (token-1 refused); GET 2: token-2, a stream that ends; GET 3
  // (after the clock moved to the token's last 10 s): token-3, held open.
  TestHttpServer marathon([&](Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response, int n) {
    if (n == 0) {
      response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
      response.setContentLength(0);
      response.send();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      connected.push_back(request.get("Authorization", ""));
    }
    cv.notify_all();
    response.setContentType("text/event-stream");
    response.setChunkedTransferEncoding(true);
    response.send() << ": hello\n\n" << std::flush;
    if (n == 1) {
      clock.seconds = kNow + 3595;
      return;
    }
    marathon.HoldOpen();
  });
  EventStreamOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  options.initial_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(50);
  EventStream stream(options);
  std::thread runner([&] { EXPECT_TRUE(stream.Run({}).ok()); });
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5),
                            [&] { return connected.size() >= 2; }));
  }
  stream.Stop();
  runner.join();
  ASSERT_GE(marathon.requests().size(), 3u);
  EXPECT_EQ(marathon.requests()[0].Header("Authorization"),
            "token=cookie-token-1");
  EXPECT_EQ(connected[0], "token=cookie-token-2");
  EXPECT_EQ(connected[1], "token=cookie-token-3");
  EXPECT_EQ(auth->logins(), 3);
}

TEST(EventStreamDcosAuthTest, ALoginFailureIsAFailedAttemptNamingTheEndpoint) {
  FakeIam iam;
  iam.Set(IamAnswer::kUnauthorized);
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url());
  TestHttpServer marathon([](Poco::Net::HTTPServerRequest&,
                             Poco::Net::HTTPServerResponse& response, int) {
    response.setContentLength(0);
    response.send();
  });
  EventStreamOptions options;
  options.urls = {marathon.url()};
  options.dcos_auth = auth.get();
  options.initial_backoff = std::chrono::milliseconds(20);
  options.max_backoff = std::chrono::milliseconds(50);
  EventStream stream(options);
  std::thread runner([&] { EXPECT_TRUE(stream.Run({}).ok()); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (stream.GetStatus().failed_attempts < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stream.Stop();
  runner.join();
  const EventStreamStatus status = stream.GetStatus();
  EXPECT_GE(status.failed_attempts, 2u);
  EXPECT_EQ(status.last_error, "DC/OS login as mlb-principal at " + iam.url() +
                                   ": HTTP 401 Unauthorized");
  EXPECT_TRUE(marathon.requests().empty());
}

}  // namespace
}  // namespace mlb
