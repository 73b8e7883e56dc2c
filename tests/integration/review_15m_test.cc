// Review 15m: SIGTERM/SIGINT while something marathon-lb waits for does
// not answer. The peers are on 127.0.0.1 and never answer; every wait is
// bounded far below the timeouts they would otherwise run into (46 s read,
// 30 s template download).
// Each of the five failed on f3d7386 (review 15m, branch review-15m).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/hostile_http_server.h"
#include "tests/support/integration_support.h"
#include "tests/support/service_account_keys.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;

class Review15mTest : public EndToEndTest {
 protected:
  std::vector<std::string> Argv(const std::vector<std::string>& head,
                                const std::string& marathon) const {
    std::vector<std::string> argv = {mlb_binary_};
    argv.insert(argv.end(), head.begin(), head.end());
    const std::vector<std::string> rest = {
        "--marathon", marathon, "--haproxy-config", cfg_, "--group",
        "external", "--plugin-dir", plugin_dir_, "--templates-dir",
        templates_dir_, "--dont-bind-http-https", "--syslog-socket",
        "/dev/null", "--skip-validation", "--command", "true"};
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  }

  std::string SilentUrl() const {
    return "http://127.0.0.1:" + std::to_string(silent_.address().port());
  }

  Poco::Net::ServerSocket silent_{Poco::Net::SocketAddress("127.0.0.1", 0),
                                  /*backlog=*/16};
};

// event mode: Marathon takes the callback, then stops answering (overloaded,
// a leader election). SIGTERM cancels the update waiting for it, but the
// callback's removal that follows uses a client nothing can cancel: the
// process waits for the 46 s read timeout, and a second SIGTERM does
// nothing (the signal thread is gone). An orchestrator's kill grace period
// runs out first; with --run-haproxy, HAProxy is stopped only after that.
TEST_F(Review15mTest, EventModeStopsWhileMarathonHangsAfterTakingTheCallback) {
  mlb::testing::HostileHttpServer marathon(
      [](mlb::testing::HostileHttpServer::Writer& out, int n) {
        if (n == 0) {  // POST /v2/eventSubscriptions
          out.Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
          return;
        }
        out.Pause(Millis(60000));  // ends with the server
      });
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/";
  ScopedProcess mlb(Argv({"event", callback}, marathon.url()),
                    dir_->File("event.log"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return mlb.Output().find("registered event callback") !=
               std::string::npos;
      },
      Millis(10000)))
      << mlb.Output();
  std::this_thread::sleep_for(Millis(500));  // the update waits for Marathon
  ASSERT_TRUE(mlb.Running()) << mlb.Output();
  kill(mlb.pid(), SIGTERM);
  std::optional<int> code = mlb.WaitExit(Millis(8000));
  if (!code.has_value()) {
    kill(mlb.pid(), SIGTERM);  // an operator's second try
    code = mlb.WaitExit(Millis(5000));
  }
  ASSERT_TRUE(code.has_value())
      << "still running 13 s after SIGTERM (and a second one)\n"
      << mlb.Output();
  EXPECT_EQ(*code, 0) << mlb.Output();
  EXPECT_THAT(mlb.Output(), HasSubstr("stopping on SIGTERM"));
}

// --template-url whose server never answers: marathon-lb fetches it at
// start, with SIGTERM and SIGINT blocked and no thread waiting for them, so
// ^C does nothing for the download's 30 s.
TEST_F(Review15mTest, SigintStopsAStartWaitingForTheTemplateUrl) {
  std::vector<std::string> argv = Argv({"poll"}, SilentUrl());
  argv.push_back("--template-url");
  argv.push_back(SilentUrl() + "/templates.tar.gz");
  ScopedProcess mlb(argv, dir_->File("template-url.log"));
  std::this_thread::sleep_for(Millis(1500));  // the download has started
  ASSERT_TRUE(mlb.Running()) << mlb.Output();
  kill(mlb.pid(), SIGINT);
  const std::optional<int> code = mlb.WaitExit(Millis(5000));
  ASSERT_TRUE(code.has_value())
      << "still running 5 s after SIGINT\n" << mlb.Output();
  EXPECT_NE(*code, 0) << mlb.Output();
}

// A one-shot poll whose reload fails retries it every --reload-interval;
// SIGTERM (or ^C) there ends it at once, but with exit status 0: the
// config was never taken by HAProxy, yet a script or a Job sees success.
// Stopped while waiting for Marathon, it exits 1 (StopTest); stopped before
// its reload ever succeeded, it should too.
TEST_F(Review15mTest, OneShotPollStoppedWhileItsReloadFailsExitsNonZero) {
  mlb::testing::HostileHttpServer marathon(
      [](mlb::testing::HostileHttpServer::Writer& out, int) {
        out.Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: 11\r\nConnection: close\r\n\r\n"
                 "{\"apps\":[]}");
      });
  std::vector<std::string> argv = Argv({"poll"}, marathon.url());
  argv.back() = "false";  // --command false: every reload fails
  argv.push_back("--reload-interval");
  argv.push_back("30");
  ScopedProcess mlb(argv, dir_->File("retry.log"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return mlb.Output().find("trying again in 30 s") != std::string::npos;
      },
      Millis(10000)))
      << mlb.Output();
  kill(mlb.pid(), SIGTERM);
  const std::optional<int> code = mlb.WaitExit(Millis(5000));
  ASSERT_TRUE(code.has_value())
      << "still running 5 s after SIGTERM\n" << mlb.Output();
  EXPECT_THAT(mlb.Output(), HasSubstr("stopping on SIGTERM"));
  EXPECT_NE(*code, 0) << "the reload never succeeded\n" << mlb.Output();
}

// event mode, SIGTERM while Marathon is still answering the callback's
// registration (POST /v2/eventSubscriptions, received: Marathon has added
// the subscription): the cancel ends the wait, the callback counts as not
// registered, and it is never removed. Marathon keeps POSTing every event
// to a callback nobody listens on. Before the cancel, the answer was awaited
// and the callback removed. A DELETE costs nothing if Marathon never took
// it.
TEST_F(Review15mTest, EventModeRemovesACallbackWhoseRegistrationWasCut) {
  mlb::testing::HostileHttpServer marathon(
      [](mlb::testing::HostileHttpServer::Writer& out, int n) {
        if (n == 0) {  // POST /v2/eventSubscriptions: a slow answer
          out.Pause(Millis(4000));
        }
        out.Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
      });
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/";
  ScopedProcess mlb(Argv({"event", callback}, marathon.url()),
                    dir_->File("event-cut.log"));
  ASSERT_TRUE(WaitUntil([&] { return !marathon.heads().empty(); },
                        Millis(10000)))
      << mlb.Output();
  ASSERT_THAT(marathon.heads()[0], HasSubstr("POST /v2/eventSubscriptions"));
  std::this_thread::sleep_for(Millis(300));
  ASSERT_TRUE(mlb.Running()) << mlb.Output();
  kill(mlb.pid(), SIGTERM);
  const std::optional<int> code = mlb.WaitExit(Millis(8000));
  ASSERT_TRUE(code.has_value())
      << "still running 8 s after SIGTERM\n" << mlb.Output();
  bool removed = false;
  for (const std::string& head : marathon.heads()) {
    removed = removed ||
              head.rfind("DELETE /v2/eventSubscriptions", 0) == 0;
  }
  EXPECT_TRUE(removed) << "Marathon was asked to add the callback and never "
                          "to remove it\n" << mlb.Output();
}

// DC/OS service account: Marathon answers 401 (the token was revoked), so
// the client logs in again (DcosAuth::Renew) -- without the cancel: that
// login is the one request SIGTERM does not end, and the IAM that does not
// answer holds a one-shot poll (and a live mode's stop) for the login's
// read timeout.
TEST_F(Review15mTest, SigtermEndsTheLoginAfterA401) {
  mlb::testing::HostileHttpServer iam(
      [](mlb::testing::HostileHttpServer::Writer& out, int n) {
        if (n == 0) {  // the first login: a token
          out.Send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: 16\r\nConnection: close\r\n\r\n"
                   "{\"token\":\"tok1\"}");
          return;
        }
        out.Pause(Millis(60000));  // the next login: no answer
      });
  mlb::testing::HostileHttpServer marathon(
      [](mlb::testing::HostileHttpServer::Writer& out, int) {
        out.Send("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n");
      });
  std::vector<std::string> argv = Argv({"poll"}, marathon.url());
  argv.push_back("--dcos-auth-credentials");
  argv.push_back(mlb::testing::CredentialsJson(
      "svc", mlb::testing::TestRsaKeys().private_pem,
      iam.url("/acs/api/v1/auth/login")));
  ScopedProcess mlb(argv, dir_->File("renew.log"));
  ASSERT_TRUE(WaitUntil([&] { return iam.heads().size() >= 2; },
                        Millis(10000)))
      << mlb.Output();
  std::this_thread::sleep_for(Millis(300));
  ASSERT_TRUE(mlb.Running()) << mlb.Output();
  kill(mlb.pid(), SIGTERM);
  const std::optional<int> code = mlb.WaitExit(Millis(5000));
  ASSERT_TRUE(code.has_value())
      << "still running 5 s after SIGTERM\n" << mlb.Output();
  EXPECT_EQ(*code, 1) << mlb.Output();
  EXPECT_THAT(mlb.Output(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace mlb::integration
