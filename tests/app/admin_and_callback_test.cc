// The admin endpoint (/healthz, /status, marathon-lb 1.15's read-only
// /_haproxy_get* endpoints) and the event-mode callback server.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
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

TEST(AdminServerTest, HealthzFollowsTheStatusBoard) {
  StatusBoard board;
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start("127.0.0.1:0", &board,
                                 std::chrono::seconds(60), "haproxy.cfg",
                                 &admin)
                  .ok());
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
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start("127.0.0.1:0", &board,
                                 std::chrono::seconds(60), cfg, &admin)
                  .ok());
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
