// Marathon access: failover that sticks to the Marathon that answered,
// credentials (also across a redirect to a listed leader), User-Agent,
// file: URLs.
#include "core/marathon/client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/version.h"
#include "tests/support/http_test_server.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using testing::SeenRequest;

// A fake Marathon on 127.0.0.1 that records what it was asked.
class FakeMarathon {
 public:
  // `redirect_to`: answer everything with a 307 there (a non-leader).
  // With `tls`, serves https with that server context.
  explicit FakeMarathon(std::string name, std::string redirect_to = "",
                        Poco::Net::Context::Ptr tls = nullptr)
      : name_(std::move(name)),
        redirect_to_(std::move(redirect_to)),
        server_([this](Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res,
                       int) { Answer(req, res); },
                tls) {}

  std::string url() const { return server_.url(); }
  std::vector<SeenRequest> seen() { return server_.requests(); }
  // Answers everything with `status` and an empty body from now on.
  void FailWith(Poco::Net::HTTPResponse::HTTPStatus status) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_with_ = status;
  }

 private:
  void Answer(Poco::Net::HTTPServerRequest& req,
              Poco::Net::HTTPServerResponse& res) {
    Poco::Net::HTTPResponse::HTTPStatus fail_with;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fail_with = fail_with_;
    }
    if (fail_with != Poco::Net::HTTPResponse::HTTP_OK) {
      res.setStatusAndReason(fail_with);
      res.setContentLength(0);
      res.send();
      return;
    }
    if (!redirect_to_.empty()) {
      res.set("Location", redirect_to_ + req.getURI());
      res.setStatus(Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
      res.send();
      return;
    }
    res.setContentType("application/json");
    res.send() << R"({"apps": [], "from": ")" << name_ << R"("})";
  }

  const std::string name_;
  const std::string redirect_to_;
  std::mutex mu_;
  Poco::Net::HTTPResponse::HTTPStatus fail_with_ =
      Poco::Net::HTTPResponse::HTTP_OK;  // guarded by mu_
  testing::TestHttpServer server_;       // last: stops first
};

// A URL on which nothing listens.
std::string DeadUrl() {
  return "http://127.0.0.1:" + std::to_string(testing::RefusingPort());
}

TEST(MarathonClientTest, FetchesAppsWithMarathonLbHeaders) {
  FakeMarathon m("m1");
  MarathonOptions options;
  options.urls = {m.url() + "/"};
  MarathonClient client(options);
  std::string json, source;
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(json, R"({"apps": [], "from": "m1"})");
  EXPECT_EQ(source, m.url() + "/");
  ASSERT_EQ(m.seen().size(), 1u);
  EXPECT_EQ(m.seen()[0].target, "/v2/apps?embed=apps.tasks");
  EXPECT_EQ(m.seen()[0].Header("User-Agent"),
            std::string("marathon-lb/") + Version());
  EXPECT_EQ(m.seen()[0].Header("Authorization"), "");
}

// A --marathon URL's credentials are sent (basic auth) and its password is
// not in the error of a failed request, nor is a dead one's: user:***@.
TEST(MarathonClientTest, ErrorsShowTheUrlWithoutItsPassword) {
  FakeMarathon m("m1");
  m.FailWith(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
  const std::string dead = DeadUrl();
  MarathonOptions options;
  options.urls = {"http://lb:pw-s3cret@" + dead.substr(7),
                  "http://lb:pw-s3cret@" + m.url().substr(7)};
  MarathonClient client(options);
  std::string json, source;
  const Status s = client.FetchApps(&json, &source);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("pw-s3cret"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("http://lb:***@" + dead.substr(7) + ": "),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("; http://lb:***@" + m.url().substr(7) +
                             ": GET /v2/apps?embed=apps.tasks: HTTP 500"),
            std::string::npos)
      << s.message();
  ASSERT_EQ(m.seen().size(), 1u);
  EXPECT_EQ(m.seen()[0].Header("Authorization"),
            "Basic bGI6cHctczNjcmV0");  // lb:pw-s3cret
}

TEST(MarathonClientTest, DeadFirstMarathonFailsOverAndIsNotTriedFirstAgain) {
  FakeMarathon second("m2");
  MarathonOptions options;
  options.urls = {DeadUrl(), second.url()};
  options.connect_timeout_ms = 1000;
  MarathonClient client(options);
  std::string json, source;
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(source, second.url());
  EXPECT_EQ(client.CurrentUrl(), second.url());
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(second.seen().size(), 2u);
}

// MarathonOptions::cancel (SIGTERM in the live modes): a request waiting
// for a silent Marathon ends at once with "stopped", and the next Marathon
// is not asked; once cancelled, nothing more is sent.
TEST(MarathonClientTest, ACancelEndsTheRequestAndAsksNoOtherMarathon) {
  // Takes the connection and reads the request, never answers.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string silent_url =
      "http://127.0.0.1:" + std::to_string(silent.address().port());
  FakeMarathon second("m2");
  HttpCancel cancel;
  MarathonOptions options;
  options.urls = {silent_url, second.url()};
  options.cancel = &cancel;
  MarathonClient client(options);
  std::thread stopper([&] {
    Poco::Net::StreamSocket connection = silent.acceptConnection();
    std::string request;
    char buffer[512];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const int n = connection.receiveBytes(buffer, sizeof(buffer));
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    cancel.Cancel();  // the client now waits for the answer
  });
  std::string json, source;
  const Status s = client.FetchApps(&json, &source);
  stopper.join();
  EXPECT_EQ(s.message(), "Marathon request GET /v2/apps?embed=apps.tasks "
                         "stopped (" + silent_url + ": stopped)");
  EXPECT_TRUE(second.seen().empty());

  const Status again = client.FetchApps(&json, &source);
  EXPECT_EQ(again.message(),
            "Marathon request GET /v2/apps?embed=apps.tasks stopped");
  EXPECT_TRUE(second.seen().empty());
}

TEST(MarathonClientTest, AllMarathonsDownIsOneErrorNamingEach) {
  MarathonOptions options;
  const std::string a = DeadUrl();
  const std::string b = DeadUrl();
  options.urls = {a, b};
  options.connect_timeout_ms = 1000;
  MarathonClient client(options);
  std::string json, source;
  Status s = client.FetchApps(&json, &source);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("Marathon request GET /v2/apps?embed=apps.tasks "
                              "failed: " + a + ": ",
                              0),
            0u)
      << s.message();
  EXPECT_NE(s.message().find("; " + b + ": "), std::string::npos);
}

// The leader is one of the --marathon URLs: the credentials follow the
// redirect to it (to an unlisted host they do not: bounded_reads_test.cc).
TEST(MarathonClientTest, CredentialsAreSentAndKeptAcrossALeaderRedirect) {
  FakeMarathon leader("leader");
  FakeMarathon follower("follower", leader.url());
  MarathonOptions options;
  options.urls = {follower.url(), leader.url()};
  options.user = "mlb";
  options.password = "secret";
  MarathonClient client(options);
  std::string json, source;
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(json, R"({"apps": [], "from": "leader"})");
  const std::string basic = "Basic bWxiOnNlY3JldA==";  // mlb:secret
  ASSERT_EQ(follower.seen().size(), 1u);
  EXPECT_EQ(follower.seen()[0].Header("Authorization"), basic);
  ASSERT_EQ(leader.seen().size(), 1u);
  EXPECT_EQ(leader.seen()[0].Header("Authorization"), basic);
  EXPECT_EQ(leader.seen()[0].target, "/v2/apps?embed=apps.tasks");
}

// A 5xx answer is worth trying the next Marathon for; a 4xx is not.
TEST(MarathonClientTest, ServerErrorFailsOverClientErrorDoesNot) {
  FakeMarathon first("m1");
  FakeMarathon second("m2");
  first.FailWith(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
  MarathonOptions options;
  options.urls = {first.url(), second.url()};
  MarathonClient client(options);
  std::string json, source;
  ASSERT_TRUE(client.FetchApps(&json, &source).ok());
  EXPECT_EQ(source, second.url());

  second.FailWith(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
  Status s = client.FetchApps(&json, &source);
  EXPECT_EQ(s.message(),
            "Marathon request GET /v2/apps?embed=apps.tasks failed: " +
                second.url() +
                ": GET /v2/apps?embed=apps.tasks: HTTP 401 Unauthorized");
  EXPECT_EQ(first.seen().size(), 1u);  // not tried after the 401
}

// https: the certificate is checked against --marathon-ca-cert; a server
// the CA does not vouch for is refused.
TEST(MarathonClientTest, HttpsVerifiesTheCertificate) {
  const std::string dir = ::testing::TempDir() + "/marathon_tls";
  ASSERT_TRUE(std::system(("rm -rf " + dir).c_str()) == 0 &&
              testing::MakeTestCertificate(dir, "IP:127.0.0.1"));
  const Poco::Net::Context::Ptr server_tls = testing::TestServerContext(dir);
  FakeMarathon m("tls", "", server_tls);
  MarathonOptions options;
  options.urls = {m.url()};
  options.ca_cert = dir + "/cert.pem";
  std::string json, source;
  Status s = MarathonClient(options).FetchApps(&json, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(json, R"({"apps": [], "from": "tls"})");

  options.ca_cert = "";  // the system CAs do not know this certificate
  s = MarathonClient(options).FetchApps(&json, &source);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("certificate verify failed"), std::string::npos)
      << s.message();
}

TEST(MarathonClientTest, FileUrlReadsASavedResponse) {
  const std::string path = ::testing::TempDir() + "/saved_apps.json";
  testing::WriteFile(path, R"({"apps": []})");
  MarathonOptions options;
  options.urls = {"file:" + path};
  std::string json, source;
  ASSERT_TRUE(MarathonClient(options).FetchApps(&json, &source).ok());
  EXPECT_EQ(json, R"({"apps": []})");
  options.urls = {"file:/nonexistent/apps.json"};
  EXPECT_EQ(MarathonClient(options).FetchApps(&json, &source).message(),
            "file:/nonexistent/apps.json: cannot be read");
}

// FetchAndParseApps parses the body (or the file) as it is read: the same
// apps, errors and failover as FetchApps followed by ParseApps.
TEST(MarathonClientTest, FetchAndParseAppsIsFetchThenParse) {
  FakeMarathon leader("leader");
  FakeMarathon follower("follower", leader.url());
  MarathonOptions options;
  options.urls = {DeadUrl(), follower.url()};
  MarathonClient client(options);
  std::vector<App> apps;
  std::vector<std::string> warnings;
  std::string source;
  Status s = client.FetchAndParseApps(&apps, &warnings, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(apps.empty());
  EXPECT_EQ(source, follower.url());
  ASSERT_EQ(leader.seen().size(), 1u);
  EXPECT_EQ(leader.seen()[0].target, "/v2/apps?embed=apps.tasks");

  const std::string path = ::testing::TempDir() + "/streamed_apps.json";
  std::string text = R"({"apps": [{"id": "/web", "ports": [10000],
      "labels": {"HAPROXY_GROUP": "external"},
      "tasks": [{"id": "t1", "host": "10.0.0.1", "ports": [31000],
                 "state": "TASK_RUNNING"}]},
      {"id": "/bad", "ports": ["x"]}]})";
  testing::WriteFile(path, text);
  options.urls = {"file:" + path};
  s = MarathonClient(options).FetchAndParseApps(&apps, &warnings, &source);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<App> expected_apps;
  std::vector<std::string> expected_warnings;
  ASSERT_TRUE(ParseApps(text, &expected_apps, &expected_warnings).ok());
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].id, "/web");
  ASSERT_EQ(apps[0].tasks.size(), 1u);
  EXPECT_EQ(apps[0].tasks[0].host, "10.0.0.1");
  EXPECT_EQ(warnings, expected_warnings);
  ASSERT_EQ(warnings.size(), 1u);

  text.resize(text.size() - 3);  // cut short
  testing::WriteFile(path, text);
  warnings.clear();
  s = MarathonClient(options).FetchAndParseApps(&apps, &warnings, &source);
  EXPECT_EQ(s.message(), ParseApps(text, &expected_apps, &expected_warnings)
                             .WithContext("file:" + path)
                             .message());
  EXPECT_TRUE(apps.empty());
  options.urls = {"file:/nonexistent/apps.json"};
  EXPECT_EQ(
      MarathonClient(options).FetchAndParseApps(&apps, &warnings, &source)
          .message(),
      "file:/nonexistent/apps.json: cannot be read");
}

TEST(MarathonClientTest, CredentialFlagsFollowMarathonLbRules) {
  std::string user, password;
  ASSERT_TRUE(ReadCredentials("u:p", "", &user, &password).ok());
  EXPECT_EQ(user, "u");
  EXPECT_EQ(password, "p");
  EXPECT_EQ(ReadCredentials("u:p:x", "", &user, &password).message(),
            "--auth-credentials: expected user:password");
  const std::string file = ::testing::TempDir() + "/creds";
  testing::WriteFile(file, "fileuser:filepass\r\nignored\n");
  ASSERT_TRUE(ReadCredentials("u:p", file, &user, &password).ok());
  EXPECT_EQ(user, "fileuser");
  EXPECT_EQ(password, "filepass");
  testing::WriteFile(file, "nocolon\n");
  EXPECT_EQ(ReadCredentials("", file, &user, &password).message(),
            "--marathon-auth-credential-file " + file +
                ": expected one line user:password");
}

}  // namespace
}  // namespace mlb
