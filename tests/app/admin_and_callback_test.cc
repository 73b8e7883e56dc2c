// The admin endpoint (/healthz, /status, marathon-lb 1.15's read-only
// /_haproxy_get* endpoints) and the event-mode callback server.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <mutex>
#include <regex>
#include <vector>
#include <string>

#include "core/app/admin_server.h"
#include "core/app/event_callback.h"
#include "core/app/status_board.h"
#include "tests/support/http_call.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

// One request to the server on `port`, 5 s timeouts.
testing::HttpResponse Call(int port, const std::string& method,
                           const std::string& path,
                           const std::string& body = "") {
  return testing::HttpCall(method, "127.0.0.1", port, path, body, {},
                           std::chrono::milliseconds(5000));
}

// An admin server on 127.0.0.1:<any port>.
std::unique_ptr<AdminServer> StartAdmin(
    const StatusBoard* board, const std::string& config_path,
    const std::string& token = "",
    std::function<void(int)> raise = [](int) {}) {
  AdminOptions options;
  options.address = "127.0.0.1:0";
  options.max_staleness = std::chrono::seconds(60);
  options.config_path = config_path;
  options.token = token;
  options.raise = std::move(raise);
  std::unique_ptr<AdminServer> admin;
  const Status s = AdminServer::Start(std::move(options), board, &admin);
  EXPECT_TRUE(s.ok()) << s.message();
  return admin;
}

TEST(AdminServerTest, HealthzFollowsTheStatusBoard) {
  StatusBoard board;
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  testing::HttpResponse a = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "no successful sync with Marathon yet\n");

  board.RecordSync(true, "http://m1:8080", "", 1);
  a = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "ok\n");

  board.SetHaproxyRunning(false);
  a = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "HAProxy is not running\n");

  board.SetHaproxyRunning(true);
  board.RecordSync(false, "http://m2:8080", "connection refused", 0);
  board.SetStreamConnected(false, "");
  a = Call(admin->port(), "GET", "/status");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(R"("marathon":"http://m2:8080")"), std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find(R"("last_error":"connection refused")"),
            std::string::npos);
  EXPECT_NE(a.body.find(R"("syncs":2)"), std::string::npos);
  EXPECT_NE(a.body.find(R"("failed_syncs":1)"), std::string::npos);
  EXPECT_NE(a.body.find(R"("stream_connected":false)"), std::string::npos);
  EXPECT_NE(a.body.find(R"("dropped_service_ports":1)"), std::string::npos);
  EXPECT_EQ(Call(admin->port(), "GET", "/nope").status, 404);
}

// marathon-lb 1.15's read-only endpoints: the config in place and the
// maps beside it, read at each request; a missing map is an empty body, a
// missing config a 503 that says so.
TEST(AdminServerTest, ServesTheConfigAndItsMapsAsMarathonLb115) {
  const std::string dir = ::testing::TempDir() + "/admin_files";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  const std::string cfg = dir + "/haproxy.cfg";
  StatusBoard board;
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, cfg);
  ASSERT_NE(admin, nullptr);
  testing::HttpResponse r = Call(admin->port(), "GET", "/_haproxy_getconfig");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.rfind("no config to show: ", 0), 0u) << r.body;
  EXPECT_EQ(Call(admin->port(), "GET", "/_haproxy_getvhostmap").body, "");

  testing::WriteFile(cfg, "global\n  maxconn 10\n");
  testing::WriteFile(dir + "/domain2backend.map", "web.test web_10001\n");
  testing::WriteFile(dir + "/app2backend.map", "/web web_10001\n");
  r = Call(admin->port(), "GET", "/_haproxy_getconfig");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "global\n  maxconn 10\n");
  EXPECT_EQ(Call(admin->port(), "GET", "/_haproxy_getvhostmap").body,
            "web.test web_10001\n");
  EXPECT_EQ(Call(admin->port(), "GET", "/_haproxy_getappmap").body,
            "/web web_10001\n");
  EXPECT_EQ(Call(admin->port(), "POST", "/_haproxy_getconfig").status, 405);
}

// /_mlb_signal/hup and /usr1 signal marathon-lb only with the admin token;
// /_haproxy_getpids answers as `pidof haproxy`.
TEST(AdminServerTest, SignalsNeedTheAdminTokenAndPidsAreListed) {
  StatusBoard board;
  std::vector<int> raised;
  std::mutex mu;
  const auto raise = [&](int sig) {
    std::lock_guard<std::mutex> lock(mu);
    raised.push_back(sig);
  };
  std::unique_ptr<AdminServer> off = StartAdmin(&board, "haproxy.cfg", "", raise);
  testing::HttpResponse r = Call(off->port(), "POST", "/_mlb_signal/hup");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body,
            "signal endpoints are off: start marathon-lb with "
            "--admin-token-file\n");

  const std::string token = "0123456789abcdef-token";
  std::unique_ptr<AdminServer> on =
      StartAdmin(&board, "haproxy.cfg", token, raise);
  const auto signal = [&](const std::string& path,
                          const std::string& authorization) {
    testing::HttpHeaders headers;
    if (!authorization.empty()) {
      headers.emplace_back("Authorization", authorization);
    }
    return testing::HttpCall("POST", "127.0.0.1", on->port(), path, "",
                             headers, std::chrono::milliseconds(5000));
  };
  r = signal("/_mlb_signal/usr1", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "needs 'Authorization: Bearer <the admin token>'\n");
  EXPECT_EQ(signal("/_mlb_signal/usr1", "Bearer " + token + "x").status, 401);
  EXPECT_EQ(signal("/_mlb_signal/usr1", "Bearer 0123456789abcdef-tokem").status,
            401);
  r = signal("/_mlb_signal/usr1", "Bearer " + token);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "sent SIGUSR1\n");
  EXPECT_EQ(signal("/_mlb_signal/hup", "Bearer " + token).body, "sent SIGHUP\n");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(raised, (std::vector<int>{SIGUSR1, SIGHUP}));
  }

  r = Call(on->port(), "GET", "/_haproxy_getpids");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(std::regex_match(r.body, std::regex("([0-9]+( [0-9]+)*)?\n")))
      << r.body;
}

TEST(AdminServerTest, StaleViewIsUnhealthy) {
  StatusBoard board;
  board.RecordSync(true, "", "", 0);
  std::string why;
  EXPECT_TRUE(board.Healthy(std::chrono::seconds(10), &why));
  EXPECT_FALSE(board.Healthy(std::chrono::seconds(-1), &why));
  EXPECT_EQ(why.rfind("the view of Marathon is ", 0), 0u) << why;
}

TEST(EventCallbackTest, PostedEventsThatRegenerateAreDelivered) {
  std::mutex mu;
  std::vector<std::string> got;
  std::unique_ptr<EventCallbackServer> server;
  ASSERT_TRUE(EventCallbackServer::Start(
                  "http://127.0.0.1:0/callback",
                  [&](const std::string& type) {
                    std::lock_guard<std::mutex> lock(mu);
                    got.push_back(type);
                  },
                  &server)
                  .ok());
  testing::HttpResponse a = Call(server->port(), "POST", "/callback",
                  R"({"eventType": "status_update_event", "taskId": "t"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "Got it\n");
  Call(server->port(), "POST", "/callback",
       R"({"eventType": "deployment_info"})");
  Call(server->port(), "POST", "/callback",
       "{\"eventType\": \"api_post_event\"}\r\n{\"eventType\": "
       "\"health_status_changed_event\"}\r\nnot json\r\n");
  EXPECT_EQ(Call(server->port(), "GET", "/callback").status, 405);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(got, (std::vector<std::string>{"status_update_event",
                                           "api_post_event",
                                           "health_status_changed_event"}));
}

TEST(EventCallbackTest, EventTypesSplitsDocumentsAndCountsBadOnes) {
  int bad = 0;
  EXPECT_EQ(EventTypes("{\n  \"eventType\": \"a\"\n}", &bad),
            std::vector<std::string>{"a"});
  EXPECT_EQ(EventTypes("{\"eventType\":\"a\"}\n{oops\n{\"eventType\":\"b\"}",
                       &bad),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(bad, 1);
}

}  // namespace
}  // namespace mlb
