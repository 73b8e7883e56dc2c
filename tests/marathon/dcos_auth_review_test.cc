// Review of the DC/OS service-account login (core/marathon/dcos_auth) as a
// hostile network, login endpoint or Marathon sees it: where the signed
// login JWT and the DC/OS token may go, how long a login may take, what a
// token may hold. Every server is on 127.0.0.1; every wait is bounded.
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/marathon/client.h"
#include "core/marathon/dcos_auth.h"
#include "tests/support/http_test_server.h"
#include "tests/support/service_account_keys.h"

namespace mlb {
namespace {

using ::testing::HasSubstr;
using testing::SeenRequest;
using testing::TestHttpServer;
using testing::TestRsaKeys;

constexpr char kLoginPath[] = "/acs/api/v1/auth/login";

std::unique_ptr<DcosAuth> MakeAuth(const std::string& login_endpoint,
                                   std::chrono::milliseconds read_timeout =
                                       std::chrono::milliseconds(2000)) {
  DcosAuthOptions options;
  options.credentials.uid = "mlb-principal";
  options.credentials.private_key = TestRsaKeys().private_pem;
  options.credentials.login_endpoint = login_endpoint;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.read_timeout = read_timeout;
  std::unique_ptr<DcosAuth> auth;
  EXPECT_TRUE(DcosAuth::Create(std::move(options), &auth).ok());
  return auth;
}

// Answers every request with a JSON {"token": token}.
void AnswerToken(Poco::Net::HTTPServerResponse& response,
                 const std::string& token) {
  response.setContentType("application/json");
  response.send() << R"({"token": ")" << token << R"("})";
}

// FINDING (medium). A login endpoint (or whatever answers at its URL: a
// proxy, a captive portal, a stale DNS name) answers the login POST with
// "307 Temporary Redirect" to another host. The HTTP client follows it and
// POSTs the body again there: {"uid", "token": <the login JWT signed with the
// service account's private key>, "exp"}. That host now holds a JWT that
// the real DC/OS IAM accepts for the next 60 s, i.e. it can log in as the
// service account (usually a Marathon superuser) and it can even hand
// marathon-lb a token of its choosing, which is then sent to Marathon.
// Expected: the login follows no redirect (a login endpoint is a fixed URL
// of the cluster; marathon-lb should say that it answered a redirect), the
// other host never sees the JWT.
TEST(DcosAuthReviewTest, LoginNeverPostsTheSignedJwtToARedirectTarget) {
  TestHttpServer elsewhere(
      [](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res,
         int) { AnswerToken(res, "token-chosen-by-elsewhere"); });
  const std::string target = elsewhere.url(kLoginPath);
  TestHttpServer iam([&target](Poco::Net::HTTPServerRequest&,
                               Poco::Net::HTTPServerResponse& res, int) {
    res.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
    res.set("Location", target);
    res.setContentLength(0);
    res.send();
  });
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(kLoginPath));
  std::string value = "unchanged";
  const Status s = auth->Authorization(&value);

  // The redirect target must not have received the signed login JWT.
  const std::vector<SeenRequest> leaked = elsewhere.requests();
  EXPECT_EQ(leaked.size(), 0u)
      << "the login JWT was POSTed to " << target << ": " << leaked[0].body;
  EXPECT_EQ(s.message(), "DC/OS login as mlb-principal at " +
                            iam.url(kLoginPath) +
                            ": HTTP 307 Temporary Redirect to " + target +
                            " not followed")
      << "logged in with " << value;
  EXPECT_EQ(value, "unchanged");
  EXPECT_EQ(auth->logins(), 0);
}

// FINDING (medium). A login endpoint that answers slowly but never stops:
// the headers at once, then the body one byte per 250 ms (each wait shorter
// than the read timeout, so no single read times out). The login has no
// deadline of its own (HttpClientOptions::total_timeout is left 0) and
// holds DcosAuth's mutex all along, so every Marathon request and every
// event-stream connect of marathon-lb waits behind it: with 1 MiB allowed
// at one byte per 45 s the update loop is stuck for weeks. Here the
// endpoint is done after 10 s of trickling.
// Expected: a login ends (with an error) within a bounded time of the order
// of its timeouts (here connect 1 s + read 1 s), not when the peer decides.
// The error says so (no timed assertion: the error is the proof).
TEST(DcosAuthReviewTest, ATricklingLoginEndpointCannotHoldTheLoginForever) {
  const std::string body =
      R"({"token": "slow-token-aaaaaaaaaaaaaaaa"})";  // 41 bytes: 10 s
  TestHttpServer* self = nullptr;
  TestHttpServer iam([&](Poco::Net::HTTPServerRequest&,
                         Poco::Net::HTTPServerResponse& res, int) {
    res.setContentType("application/json");
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    std::ostream& out = res.send();
    for (const char c : body) {
      out << c;
      out.flush();
      if (!self->Pause(std::chrono::milliseconds(250))) {
        return;  // shutting down
      }
    }
  });
  self = &iam;
  std::unique_ptr<DcosAuth> auth =
      MakeAuth(iam.url(kLoginPath), std::chrono::milliseconds(1000));
  std::string value = "unchanged";
  const Status s = auth->Authorization(&value);
  EXPECT_EQ(s.message(), "DC/OS login as mlb-principal at " +
                             iam.url(kLoginPath) +
                             ": no complete answer within 2000 ms")
      << "logged in with " << value;
  EXPECT_EQ(value, "unchanged");
  EXPECT_EQ(auth->logins(), 0);
}

// GUARD. A hostile login endpoint answers a token made to inject a header
// into every Marathon request ("t\r\nX-Injected: 1"), or one with a space
// or a quote: refused, nothing is kept, and the next good answer is used.
TEST(DcosAuthReviewTest, ATokenThatWouldBreakTheHeaderIsRefused) {
  const std::vector<std::string> bad = {
      R"(t\r\nX-Injected: 1)", R"(t\nX)", R"(t x)", R"(t\"x)", R"(t;x)",
      R"(t\u0000x)", R"(t\u00e9x)"};
  TestHttpServer iam([&bad](Poco::Net::HTTPServerRequest&,
                            Poco::Net::HTTPServerResponse& res, int n) {
    AnswerToken(res, static_cast<size_t>(n) < bad.size() ? bad[n] : "good");
  });
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(kLoginPath));
  const std::string prefix =
      "DC/OS login as mlb-principal at " + iam.url(kLoginPath) + ": ";
  std::string value = "unchanged";
  for (const std::string& token : bad) {
    EXPECT_EQ(auth->Authorization(&value).message(),
              prefix + "the answer's token is not a valid cookie value")
        << token;
  }
  EXPECT_EQ(value, "unchanged");
  ASSERT_TRUE(auth->Authorization(&value).ok());
  EXPECT_EQ(value, "token=good");
  EXPECT_EQ(auth->logins(), 1);
}

// GUARD. A login endpoint answering a body larger than 1 MiB is refused by
// size, and the error names neither the token nor the body.
TEST(DcosAuthReviewTest, AHugeLoginAnswerIsRefusedBySize) {
  const std::string huge(2 << 20, 'a');
  TestHttpServer iam([&huge](Poco::Net::HTTPServerRequest&,
                             Poco::Net::HTTPServerResponse& res, int) {
    AnswerToken(res, huge);
  });
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(kLoginPath));
  std::string value = "unchanged";
  EXPECT_EQ(auth->Authorization(&value).message(),
            "DC/OS login as mlb-principal at " + iam.url(kLoginPath) +
                ": larger than 1048576 bytes");
  EXPECT_EQ(value, "unchanged");
}

// GUARD. The REST client and the event stream (and the callback
// subscriptions) share one DcosAuth: eight threads that all need a token at
// once cause one login, and all get its token.
TEST(DcosAuthReviewTest, ConcurrentCallersShareOneLogin) {
  TestHttpServer* self = nullptr;
  TestHttpServer iam([&self](Poco::Net::HTTPServerRequest&,
                             Poco::Net::HTTPServerResponse& res, int n) {
    self->Pause(std::chrono::milliseconds(200));  // a login takes a while
    AnswerToken(res, "token-" + std::to_string(n + 1));
  });
  self = &iam;
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(kLoginPath));
  std::vector<std::string> values(8);
  std::vector<Status> statuses(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < values.size(); ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = auth->Authorization(&values[i]); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i].message();
    EXPECT_EQ(values[i], "token=token-1");
  }
  EXPECT_EQ(auth->logins(), 1);
  EXPECT_EQ(iam.requests().size(), 1u);
}

// FINDING (medium). marathon-lb talks to Marathon over https; Marathon (or
// anything that answers on its address) redirects to a plain http:// URL.
// The Marathon client follows with "Authorization: token=<the DC/OS token>"
// (credentials_to_plain_http = true, kept from the basic-auth days), so the
// service account's token (an hour-long bearer token for the whole cluster's
// Admin Router, not only for Marathon) crosses the network in clear text.
// Expected: the token never goes from https to http (the request to the
// http:// URL carries no Authorization, or the redirect is refused).
TEST(DcosAuthReviewTest, TheTokenNeverFollowsARedirectFromHttpsToHttp) {
  TestHttpServer iam([](Poco::Net::HTTPServerRequest&,
                        Poco::Net::HTTPServerResponse& res,
                        int) { AnswerToken(res, "secret-token"); });
  TestHttpServer plain([](Poco::Net::HTTPServerRequest&,
                          Poco::Net::HTTPServerResponse& res, int) {
    res.setContentType("application/json");
    res.send() << R"({"apps": []})";
  });
  const std::string dir = ::testing::TempDir() + "/dcos_review_tls";
  ASSERT_TRUE(std::system(("rm -rf " + dir).c_str()) == 0 &&
              testing::MakeTestCertificate(dir, "IP:127.0.0.1"));
  const std::string to_plain = plain.url("/v2/apps?embed=apps.tasks");
  TestHttpServer marathon(
      [&to_plain](Poco::Net::HTTPServerRequest&,
                  Poco::Net::HTTPServerResponse& res, int) {
        res.setStatusAndReason(
            Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
        res.set("Location", to_plain);
        res.setContentLength(0);
        res.send();
      },
      testing::TestServerContext(dir));
  std::unique_ptr<DcosAuth> auth = MakeAuth(iam.url(kLoginPath));
  MarathonOptions options;
  options.urls = {marathon.url()};
  options.ca_cert = dir + "/cert.pem";
  options.dcos_auth = auth.get();
  std::string json, source;
  const Status fetched = MarathonClient(options).FetchApps(&json, &source);
  SCOPED_TRACE(fetched.message());
  ASSERT_EQ(marathon.requests().size(), 1u);
  EXPECT_EQ(marathon.requests()[0].Header("Authorization"),
            "token=secret-token");
  for (const SeenRequest& seen : plain.requests()) {
    EXPECT_EQ(seen.Header("Authorization"), "")
        << "the DC/OS token went to " << to_plain << " in clear text";
  }
}

}  // namespace
}  // namespace mlb
