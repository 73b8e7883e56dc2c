// The admin endpoint (/healthz, /status, marathon-lb 1.15's read-only
// /_haproxy_get* endpoints) and the event-mode callback server.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <csignal>
#include <functional>
#include <mutex>
#include <regex>
#include <vector>
#include <string>
#include <thread>

#include "core/app/admin_server.h"
#include "core/app/event_callback.h"
#include "core/app/status_board.h"
#include "core/app/update_scheduler.h"
#include "core/marathon/client.h"
#include "tests/support/http_call.h"
#include "tests/support/http_test_server.h"
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

// A reload HAProxy failed and that dropping service ports could not fix
// (rolled back): HAProxy runs an older config than marathon-lb wants, and
// /healthz says so until a config it wants runs.
TEST(AdminServerTest, HealthzFailsWhileHaproxyRunsAnOlderConfig) {
  StatusBoard board;
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  board.RecordSync(true, "http://m1:8080", "", 0);
  board.SetHaproxyRunning(true);
  board.SetConfigBehind("reload of haproxy.cfg failed: cannot bind socket");
  testing::HttpResponse a = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body,
            "HAProxy runs an older config than marathon-lb wants: reload of "
            "haproxy.cfg failed: cannot bind socket\n");
  a = Call(admin->port(), "GET", "/status");
  EXPECT_NE(a.body.find(R"("haproxy_config_behind":"reload of haproxy.cfg )"
                        R"(failed: cannot bind socket")"),
            std::string::npos)
      << a.body;
  board.SetConfigBehind("");
  a = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "ok\n");
  a = Call(admin->port(), "GET", "/status");
  EXPECT_NE(a.body.find(R"("haproxy_config_behind":"")"), std::string::npos)
      << a.body;
}

// HAProxy's deaths and restarts (issue 12 item 13) in /status: zero and
// empty before the first, then the counts, the last cause, its time in UTC
// to the millisecond and how long the restart took.
TEST(AdminServerTest, StatusCountsHaproxyDeathsAndRestarts) {
  StatusBoard board;
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  board.SetHaproxyRunning(true);
  board.SetHaproxyDeaths(0, 0, "", {}, -1);
  testing::HttpResponse a = Call(admin->port(), "GET", "/status");
  EXPECT_NE(a.body.find(R"("haproxy_restarts":0)"), std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find(R"("haproxy_worker_deaths":0)"), std::string::npos);
  EXPECT_NE(a.body.find(R"("haproxy_last_death":"")"), std::string::npos);
  EXPECT_NE(a.body.find(R"("haproxy_last_death_time":"")"),
            std::string::npos);
  EXPECT_NE(a.body.find(R"("haproxy_last_restart_ms":-1)"),
            std::string::npos);

  // 2026-12-06T00:13:00.123Z
  const std::chrono::system_clock::time_point when(
      std::chrono::milliseconds(1796515980123LL));
  board.SetHaproxyDeaths(3, 2,
                         "haproxy worker (pid 43) exited with code 137 "
                         "(Killed), and its master (pid 42) stopped every "
                         "worker and exited with code 137 (HAProxy's "
                         "exit-on-failure)",
                         when, 85);
  a = Call(admin->port(), "GET", "/status");
  EXPECT_NE(a.body.find(R"("haproxy_restarts":3)"), std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find(R"("haproxy_worker_deaths":2)"), std::string::npos);
  EXPECT_NE(a.body.find("\"haproxy_last_death\":\"haproxy worker (pid 43) "
                        "exited with code 137 (Killed), and its master (pid "
                        "42) stopped every worker and exited with code 137 "
                        "(HAProxy's exit-on-failure)\""),
            std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find(R"("haproxy_last_death_time":"2026-12-06T00:13:00.)"
                        R"(123Z")"),
            std::string::npos)
      << a.body;
  EXPECT_NE(a.body.find(R"("haproxy_last_restart_ms":85)"), std::string::npos);
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
                  [&](const std::string& type, const std::string&) {
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
       "\"health_status_changed_event\"}\r\n");
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


// ---- Hostile-peer review of the admin endpoint (review-admin) ----

// A raw TCP connection to 127.0.0.1:port (-1 on failure).
int RawConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// All bytes read from fd until it closes or `ms` pass without data.
std::string RawReadFor(int fd, int ms) {
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, ms) > 0) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

size_t CountOf(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Slow clients (slowloris: a request line and no end of headers) must
// not take /healthz away: the DC/OS health check probes it with a timeout
// of a few seconds, and marathon-lb would be killed as unhealthy. With 2
// server threads and Poco's 60 s receive timeout, both threads sit in the
// header read of the slow clients and /healthz waits in the queue.
TEST(AdminServerTest, HealthzAnswersWhileSlowClientsAreConnected) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  // 8 slow clients (a fix that only adds threads is not enough: a peer
  // opens as many as there are threads); /healthz gets 5 s.
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    const int fd = RawConnect(admin->port());
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(write(fd, partial.data(), partial.size()),
              static_cast<ssize_t>(partial.size()));
    slow.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const testing::HttpResponse r =
      testing::HttpCall("GET", "127.0.0.1", admin->port(), "/healthz", "", {},
                        std::chrono::milliseconds(5000));
  const auto took = std::chrono::steady_clock::now() - start;
  for (const int fd : slow) close(fd);
  EXPECT_EQ(r.status, 200) << r.Describe() << " after "
                           << std::chrono::duration_cast<
                                  std::chrono::milliseconds>(took).count()
                           << " ms";
}

// Guard (holds today: the server closes after each response): two idle
// HTTP/1.1 clients that would keep their connections open (e.g. a metrics
// scraper polling /status) must not hold the two server threads.
TEST(AdminServerTest, HealthzAnswersWhileTwoKeepAliveClientsIdle) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  std::vector<int> idle;
  for (int i = 0; i < 2; ++i) {
    const int fd = RawConnect(admin->port());
    ASSERT_GE(fd, 0);
    const std::string req = "GET /status HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(write(fd, req.data(), req.size()),
              static_cast<ssize_t>(req.size()));
    EXPECT_NE(RawReadFor(fd, 500).find("200"), std::string::npos);
    idle.push_back(fd);
  }
  const testing::HttpResponse r =
      testing::HttpCall("GET", "127.0.0.1", admin->port(), "/healthz", "", {},
                        std::chrono::milliseconds(3000));
  for (const int fd : idle) close(fd);
  EXPECT_EQ(r.status, 200) << r.Describe();
}

// Guard (holds today): a GET's body is not read by the handlers; it must
// not be parsed as a next request on the same connection (desync /
// smuggling behind a front proxy): one request, one response.
TEST(AdminServerTest, UnreadGetBodyIsNotASecondRequest) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  int raised = 0;
  const std::string token = "0123456789abcdef-token";
  std::unique_ptr<AdminServer> admin =
      StartAdmin(&board, "haproxy.cfg", token, [&](int) { ++raised; });
  ASSERT_NE(admin, nullptr);
  const std::string inner =
      "GET /_mlb_signal/usr1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
      token + "\r\nContent-Length: 0\r\n\r\n";
  const std::string outer = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(inner.size()) + "\r\n\r\n" + inner;
  const int fd = RawConnect(admin->port());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, outer.data(), outer.size()),
            static_cast<ssize_t>(outer.size()));
  const std::string got = RawReadFor(fd, 1000);
  close(fd);
  EXPECT_EQ(CountOf(got, "HTTP/1.1 "), 1u) << got;
  EXPECT_EQ(raised, 0) << got;
}

// RFC 7235 2.1 / RFC 6750: the auth scheme is case-insensitive, so
// "bearer <token>" is the same credential as "Bearer <token>".
TEST(AdminServerTest, BearerSchemeIsCaseInsensitive) {
  StatusBoard board;
  const std::string token = "0123456789abcdef-token";
  int raised = 0;
  std::unique_ptr<AdminServer> admin =
      StartAdmin(&board, "haproxy.cfg", token, [&](int) { ++raised; });
  ASSERT_NE(admin, nullptr);
  const testing::HttpResponse r = testing::HttpCall(
      "POST", "127.0.0.1", admin->port(), "/_mlb_signal/usr1", "",
      {{"Authorization", "bearer " + token}}, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(raised, 1);
}

// A health checker that probes with HEAD (as many load balancers do) gets
// 405 from /healthz instead of its health.
TEST(AdminServerTest, HeadHealthzAnswersTheHealth) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Call(admin->port(), "HEAD", "/healthz").status, 200);
}

// Path variants of the signal endpoints must not slip past the token
// check, and must not signal without it (these are expected to hold).
TEST(AdminServerTest, SignalPathVariantsNeverSignalWithoutTheToken) {
  StatusBoard board;
  int raised = 0;
  std::unique_ptr<AdminServer> admin = StartAdmin(
      &board, "haproxy.cfg", "0123456789abcdef-token", [&](int) { ++raised; });
  ASSERT_NE(admin, nullptr);
  for (const char* path :
       {"/_mlb_signal/hup", "/_mlb_signal/hup/", "//_mlb_signal/hup",
        "/_mlb_signal%2Fhup", "/_MLB_SIGNAL/HUP", "/_mlb_signal/hup?x=1",
        "/_mlb_signal/./hup", "/_mlb_signal/usr1#x"}) {
    for (const char* method : {"GET", "POST", "HEAD", "OPTIONS", "PUT"}) {
      const testing::HttpResponse r = testing::HttpCall(
          method, "127.0.0.1", admin->port(), path, "",
          {{"Authorization", "Bearer "}}, std::chrono::milliseconds(5000));
      EXPECT_NE(r.status, 200) << method << " " << path;
    }
  }
  EXPECT_EQ(raised, 0);
}


// --marathon accepts credentials in the URL (http://user:password@host,
// which the HTTP client turns into Basic auth); MarathonLb::Update records
// marathon_->CurrentUrl() as is, and the unauthenticated /status publishes
// it to anyone who can reach the admin address.
TEST(AdminServerTest, StatusDoesNotPublishMarathonCredentials) {
  StatusBoard board;
  board.RecordSync(true, "http://lb-user:s3cret-pass@m1:8080", "", 0);
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  const testing::HttpResponse r = Call(admin->port(), "GET", "/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("s3cret-pass"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"http://lb-user:***@m1:8080\""), std::string::npos)
      << r.body;
}

// Review (GUARD). Where the default HEAD's :9090 sends the admin paths
// (reach()): a wildcard admin address (0.0.0.0, [::]) is reached on
// loopback, never on the wildcard (which HAProxy would refuse as a server)
// nor on another interface; a host name is reached on the address it was
// bound to; the server answers there.
TEST(AdminServerTest, ReviewReachIsTheLoopbackForWildcardAddresses) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  const struct {
    std::string address;
    std::string reach_prefix;  // then the port
    std::string ip;            // where the test calls it
  } kCases[] = {
      {"0.0.0.0:0", "127.0.0.1:", "127.0.0.1"},
      {"127.0.0.1:0", "127.0.0.1:", "127.0.0.1"},
      {"[::]:0", "ipv6@::1:", "::1"},
      {"[::1]:0", "ipv6@::1:", "::1"},
  };
  for (const auto& c : kCases) {
    AdminOptions options;
    options.address = c.address;
    options.config_path = "haproxy.cfg";
    options.raise = [](int) {};
    std::unique_ptr<AdminServer> admin;
    const Status s = AdminServer::Start(std::move(options), &board, &admin);
    if (!s.ok() && c.ip == "::1") {
      continue;  // no IPv6 here
    }
    ASSERT_TRUE(s.ok()) << c.address << ": " << s.message();
    EXPECT_EQ(admin->reach(), c.reach_prefix + std::to_string(admin->port()))
        << c.address;
    EXPECT_EQ(testing::HttpCall("GET", c.ip, admin->port(), "/healthz", "",
                                {}, std::chrono::milliseconds(2000))
                  .status,
              200)
        << c.address;
  }
}

// Review (FINDING, medium): clients that ask for /_haproxy_getconfig and
// never read the answer hold the admin server's threads; /healthz must answer.
TEST(AdminServerTest, ReviewHealthzAnswersWhileConfigReadersStall) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  const std::string config = ::testing::TempDir() + "/review_big.cfg";
  testing::WriteFile(config, std::string(3 << 20, '#'));
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, config);
  ASSERT_NE(admin, nullptr);
  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(testing::SendAndStall(
        admin->port(), "GET /_haproxy_getconfig HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_GE(stalled.back(), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const testing::HttpResponse r = testing::HttpCall("GET", "127.0.0.1", admin->port(), "/healthz", "", {},
                        std::chrono::milliseconds(5000));
  for (const int fd : stalled) close(fd);
  EXPECT_EQ(r.status, 200) << r.Describe();
}

// ---- Issue 12 item 7: hostile peers of the callback and admin listeners ----

// The status code of a raw HTTP response ("HTTP/1.1 413 ..."), or 0.
int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) {
    return 0;
  }
  return std::atoi(response.substr(9, 3).c_str());
}

// The body of a raw HTTP response.
std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Sends `head`, then `piece` again and again (up to `max_bytes` of them)
// until the server answers, and returns the answer: a client that would
// stream a huge or endless body.
std::string SendUntilAnswered(int port, const std::string& head,
                              const std::string& piece, size_t max_bytes) {
  const int fd = RawConnect(port);
  if (fd < 0) {
    return "";
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  std::string pending = head;
  size_t sent = 0;
  while (true) {
    const bool more = !pending.empty() || (!piece.empty() && sent < max_bytes);
    pollfd p{fd, static_cast<short>(POLLIN | (more ? POLLOUT : 0)), 0};
    if (poll(&p, 1, 5000) <= 0 || (p.revents & (POLLIN | POLLHUP | POLLERR))) {
      break;
    }
    if (pending.empty()) {
      pending = piece;
      sent += piece.size();
    }
    const ssize_t n = send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    pending.erase(0, static_cast<size_t>(n));
  }
  const std::string answer = RawReadFor(fd, 3000);
  close(fd);
  return answer;
}

// Writes `text` on a new connection to `port` and keeps it open (-1 on
// failure).
int OpenWith(int port, const std::string& text) {
  const int fd = RawConnect(port);
  if (fd >= 0 && !text.empty() &&
      write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

// An event callback server that records the event types it delivers.
struct Callback {
  explicit Callback(CallbackOptions options = {}) {
    if (options.listen_url.empty()) {
      options.listen_url = "http://127.0.0.1:0/callback";
    }
    const Status s = EventCallbackServer::Start(
        std::move(options),
        [this](const std::string& type, const std::string&) {
          std::lock_guard<std::mutex> lock(mu);
          got.push_back(type);
        },
        &server);
    EXPECT_TRUE(s.ok()) << s.message();
  }
  std::vector<std::string> Got() {
    std::lock_guard<std::mutex> lock(mu);
    return got;
  }
  int port() const { return server->port(); }
  testing::HttpResponse Post(const std::string& body,
                             const std::string& target = "/callback") {
    return Call(port(), "POST", target, body);
  }

  std::mutex mu;
  std::vector<std::string> got;
  std::unique_ptr<EventCallbackServer> server;
};

const char kEvent[] =
    R"({"eventType":"status_update_event","taskId":"web.1","timestamp":"x"})";

// A body is taken up to 1 MiB. Larger ones, announced or chunked, are
// refused with 413 as soon as they are known to be too large (not after
// reading them), and the server goes on taking Marathon's events.
TEST(EventCallbackTest, BodiesOverOneMebibyteAre413WithoutBeingRead) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  const std::string junk(64 * 1024, 'x');
  struct Shape {
    std::string name, head, piece, body;
  };
  const std::vector<Shape> shapes = {
      {"1 GiB announced",
       "POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n",
       junk, "the body has 1073741824 bytes; at most 1048576 are taken here\n"},
      {"one byte over",
       "POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n",
       junk, "the body has 1048577 bytes; at most 1048576 are taken here\n"},
      {"one huge chunk",
       "POST /callback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "40000000\r\n",
       junk,
       "the chunked body exceeds 1048576 bytes, the most taken here\n"},
      {"endless small chunks",
       "POST /callback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
       "1000\r\n" + std::string(4096, 'y') + "\r\n",
       "the chunked body exceeds 1048576 bytes, the most taken here\n"},
  };
  for (const Shape& shape : shapes) {
    const std::string answer =
        SendUntilAnswered(cb.port(), shape.head, shape.piece, 8 << 20);
    EXPECT_EQ(StatusOf(answer), 413) << shape.name << ": " << answer;
    EXPECT_EQ(BodyOf(answer), shape.body) << shape.name;
  }
  // A POST without Content-Length or chunked is 411: the 2 MiB sent after
  // the head are not read, and no event is taken.
  const std::string unframed = SendUntilAnswered(
      cb.port(), "POST /callback HTTP/1.1\r\nHost: x\r\n\r\n", junk, 2 << 20);
  EXPECT_EQ(StatusOf(unframed), 411) << unframed;
  EXPECT_TRUE(cb.Got().empty());
  // A chunked event within the bound is an event.
  const std::string chunked = SendUntilAnswered(
      cb.port(),
      "POST /callback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          [] {
            const std::string e = kEvent;
            char size[16];
            snprintf(size, sizeof size, "%zx", e.size() - 10);
            return std::string(size) + "\r\n" + e.substr(0, e.size() - 10) +
                   "\r\na;ext=1\r\n" + e.substr(e.size() - 10) +
                   "\r\n0\r\nX-Trailer: t\r\n\r\n";
          }(),
      "", 0);
  EXPECT_EQ(StatusOf(chunked), 200) << chunked;
  const testing::HttpResponse r = cb.Post(kEvent);
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(cb.Got(), (std::vector<std::string>{"status_update_event",
                                                "status_update_event"}));
}

// Heads over 16 KiB (one long header, many headers, a long URL) are 431;
// framing a proxy could read otherwise is 400 or 501.
TEST(EventCallbackTest, OversizedHeadsAndAmbiguousFramingAreRefused) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  std::string many;
  for (int i = 0; i < 2000; ++i) {
    many += "X-H" + std::to_string(i) + ": v\r\n";
  }
  const std::vector<std::pair<std::string, int>> shapes = {
      {"POST /callback HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
       431},
      {"POST /callback HTTP/1.1\r\n" + many + "\r\n", 431},
      {"POST /callback?" + std::string(20000, 'q') + " HTTP/1.1\r\n\r\n", 431},
      // A head that never ends is refused at the bound, not at the deadline.
      {"POST /callback HTTP/1.1\r\nX-Endless: " + std::string(17000, 'e'), 431},
      {"POST /callback HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"POST /callback HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
       "\r\n",
       400},
      {"POST /callback HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST /callback HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400},
      {"POST /callback HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST /callback HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       400},
  };
  for (const auto& [request, status] : shapes) {
    const std::string answer = SendUntilAnswered(cb.port(), request, "", 0);
    EXPECT_EQ(StatusOf(answer), status) << request.substr(0, 80) << "\n"
                                        << answer;
  }
  EXPECT_TRUE(cb.Got().empty());
  EXPECT_EQ(cb.Post(kEvent).status, 200);
}

// Peers that send their request slowly (a partial head, a partial body)
// are answered 408 at the read deadline and hold nothing meanwhile: an
// event from Marathon is taken at once.
TEST(EventCallbackTest, SlowPeersGet408AndDoNotDelayEvents) {
  CallbackOptions options;
  options.limits.read_deadline = std::chrono::milliseconds(1500);
  Callback cb(options);
  ASSERT_NE(cb.server, nullptr);
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(OpenWith(cb.port(), "POST /callback HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(OpenWith(cb.port(),
                            "POST /callback HTTP/1.1\r\nContent-Length: 100\r\n"
                            "\r\n{\"eventType\""));
    slow.push_back(OpenWith(cb.port(),
                            "POST /callback HTTP/1.1\r\nTransfer-Encoding: "
                            "chunked\r\n\r\n10\r\n0123"));
  }
  for (const int fd : slow) {
    ASSERT_GE(fd, 0);
  }
  const testing::HttpResponse r = cb.Post(kEvent);
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(cb.Got(), std::vector<std::string>{"status_update_event"});
  for (const int fd : slow) {
    const std::string answer = RawReadFor(fd, 5000);
    EXPECT_EQ(StatusOf(answer), 408) << answer;
    EXPECT_EQ(BodyOf(answer),
              "the request did not arrive whole within 1500 ms\n");
    close(fd);
  }
}

// Idle connections beyond the cap (64) make way for new ones, oldest
// first: a flood of them does not lock Marathon out.
TEST(EventCallbackTest, ManyIdleConnectionsDoNotLockOutEvents) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  std::vector<int> idle;
  for (int i = 0; i < 150; ++i) {
    // Idle, a bare request line, and half a header, in turn.
    const char* starts[] = {"", "POST /callback HTTP/1.1\r\n", "POST / HTTP/1.1\r\nX-"};
    const int fd = OpenWith(cb.port(), starts[i % 3]);
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  const testing::HttpResponse r = cb.Post(kEvent);
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(cb.Got(), std::vector<std::string>{"status_update_event"});
  // The oldest were closed to make room.
  EXPECT_EQ(RawReadFor(idle.front(), 1000), "");
  for (const int fd : idle) {
    close(fd);
  }
}

// Only Marathon's event shape is taken: JSON objects with a non-empty
// string eventType, one per line. Anything else is 400 and delivers
// nothing, not even the valid events beside it.
TEST(EventCallbackTest, OnlyMarathonsEventShapeIsTaken) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& body :
       {std::string(""), std::string("not json"), std::string("[]"),
        std::string("{}"), std::string(R"({"eventType": 5})"),
        std::string(R"({"eventType": ""})"),
        std::string(R"({"eventType": null})"),
        std::string(R"({"type": "status_update_event"})"),
        std::string(R"(["status_update_event"])"),
        std::string(R"("status_update_event")"), deep,
        std::string(kEvent) + "\n{oops\n",
        std::string(kEvent) + "\n{\"eventType\": [1]}\n"}) {
    const testing::HttpResponse r = cb.Post(body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 60);
    EXPECT_EQ(r.body,
              "not a Marathon event: expected JSON objects with a string "
              "eventType, one per line\n");
  }
  EXPECT_TRUE(cb.Got().empty());
  // Events that do not regenerate are taken (200) and not delivered.
  EXPECT_EQ(cb.Post(R"({"eventType": "deployment_info"})").status, 200);
  EXPECT_EQ(cb.Post(kEvent).status, 200);
  EXPECT_EQ(cb.Got(), std::vector<std::string>{"status_update_event"});
}

// With a secret, only POSTs whose URL carries it (?secret=<it>, as
// registered) are taken; the rest are 403 whatever they carry.
TEST(EventCallbackTest, WithASecretOnlyItsUrlIsTaken) {
  const std::string secret = "0123456789abcdef-S3cret";
  CallbackOptions options;
  options.secret = secret;
  Callback cb(options);
  ASSERT_NE(cb.server, nullptr);
  for (const std::string& target :
       {std::string("/callback"), std::string("/callback?secret="),
        "/callback?secret=" + secret.substr(0, 16),
        "/callback?secret=" + secret + "x", "/callback?Secret=" + secret,
        "/callback?xsecret=" + secret, "/callback?secret=" + secret + "%00",
        "/" + secret, std::string("/callback?secret=%zz")}) {
    const testing::HttpResponse r = cb.Post(kEvent, target);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.body, "the callback URL's secret is missing or wrong\n");
  }
  // The secret in a header is not the URL's.
  EXPECT_EQ(testing::HttpCall("POST", "127.0.0.1", cb.port(), "/callback",
                              kEvent, {{"Authorization", "Bearer " + secret}})
                .status,
            403);
  EXPECT_TRUE(cb.Got().empty());
  EXPECT_EQ(cb.Post(kEvent, "/callback?secret=" + secret).status, 200);
  EXPECT_EQ(cb.Post(kEvent, "/callback?a=1&secret=0123456789abcdef%2DS3cret")
                .status,
            200);
  EXPECT_EQ(cb.Got(), (std::vector<std::string>{"status_update_event",
                                                "status_update_event"}));
}

// The URL marathon-lb registers carries the secret; errors of the
// registration do not show it.
TEST(EventCallbackTest, RegistrationCarriesTheSecretAndErrorsHideIt) {
  EXPECT_EQ(CallbackUrlWithSecret("http://lb:8080/cb", ""), "http://lb:8080/cb");
  EXPECT_EQ(CallbackUrlWithSecret("http://lb:8080/cb", "0123456789abcdef"),
            "http://lb:8080/cb?secret=0123456789abcdef");
  EXPECT_EQ(CallbackUrlWithSecret("http://lb:8080/cb?a=1#f", "s&t=u/v+w"),
            "http://lb:8080/cb?a=1&secret=s%26t%3Du%2Fv%2Bw#f");
  const std::string secret = "0123456789abcdef-S3cret";
  testing::TestHttpServer marathon(
      [](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res,
         int) {
        res.setStatus(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
        res.send() << "no";
      });
  MarathonOptions mo;
  mo.urls = {marathon.url()};
  MarathonClient client(mo);
  const Status s = RegisterCallback(client, "http://lb:8080/cb", secret);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find(secret), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("%3Fsecret%3D<secret>"), std::string::npos)
      << s.message();
  ASSERT_EQ(marathon.requests().size(), 1u);
  EXPECT_EQ(marathon.requests()[0].target,
            "/v2/eventSubscriptions?callbackUrl=http%3A%2F%2Flb%3A8080%2F"
            "cb%3Fsecret%3D" +
                secret);
}

// A flood of valid events costs one regeneration per batch: the scheduler
// (debounce, minimum interval) folds every event that arrives before a
// regeneration starts into it. Here 200 events arrive before the
// scheduler runs: one regeneration takes all 200.
TEST(EventCallbackTest, AFloodOfEventsFoldsIntoOneRegeneration) {
  std::vector<UpdateRequest> runs;
  UpdateSchedulerOptions so;
  so.debounce = std::chrono::milliseconds(0);
  so.min_interval = std::chrono::milliseconds(0);
  UpdateScheduler* scheduler_ptr = nullptr;
  UpdateScheduler scheduler(so, [&](const UpdateRequest& r) {
    runs.push_back(r);
    scheduler_ptr->Stop();
    return Status::OK();
  });
  scheduler_ptr = &scheduler;
  std::unique_ptr<EventCallbackServer> server;
  ASSERT_TRUE(EventCallbackServer::Start(
                  "http://127.0.0.1:0/callback",
                  [&](const std::string& type, const std::string&) {
                    scheduler.Trigger(type);
                  },
                  &server)
                  .ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Call(server->port(), "POST", "/callback", kEvent).status, 200);
  }
  scheduler.Run();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].event_count, 200u);
  EXPECT_FALSE(runs[0].resync);
}

// A peer that does not read its answer is dropped at the write deadline:
// what it reads afterwards ends early, at the connection's close.
TEST(AdminServerTest, ReadersThatDoNotReadAreDroppedAtTheWriteDeadline) {
  StatusBoard board;
  const std::string config = ::testing::TempDir() + "/deadline_big.cfg";
  testing::WriteFile(config, std::string(3 << 20, '#'));
  AdminOptions options;
  options.address = "127.0.0.1:0";
  options.config_path = config;
  options.raise = [](int) {};
  options.limits.write_deadline = std::chrono::milliseconds(1000);
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start(options, &board, &admin).ok());
  const int fd = testing::SendAndStall(
      admin->port(), "GET /_haproxy_getconfig HTTP/1.1\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  size_t got = 0;
  bool closed = false;
  char buf[65536];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 5000) > 0) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      closed = true;
      break;
    }
    got += static_cast<size_t>(n);
  }
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(got, size_t{3 << 20});
}

// The bounds the README states.
TEST(EventCallbackTest, DefaultBoundsAreTheDocumentedOnes) {
  const HttpServerLimits limits;
  EXPECT_EQ(limits.max_head_bytes, 16u * 1024);
  EXPECT_EQ(limits.max_body_bytes, 1u << 20);
  EXPECT_EQ(limits.read_deadline, std::chrono::milliseconds(5000));
  EXPECT_EQ(limits.write_deadline, std::chrono::milliseconds(10000));
  EXPECT_EQ(limits.max_connections, 64u);
  EXPECT_EQ(CallbackOptions().limits.max_body_bytes, limits.max_body_bytes);
  EXPECT_EQ(AdminOptions().limits.max_connections, limits.max_connections);
}

// The admin address under the same peers: /healthz answers while slow,
// idle and oversized requests come in, and those get their status.
TEST(AdminServerTest, HealthzAnswersWhileHostilePeersAreConnected) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  AdminOptions options;
  options.address = "127.0.0.1:0";
  options.config_path = "haproxy.cfg";
  options.raise = [](int) {};
  options.limits.read_deadline = std::chrono::milliseconds(1500);
  std::unique_ptr<AdminServer> admin;
  ASSERT_TRUE(AdminServer::Start(options, &board, &admin).ok());
  std::vector<int> peers;
  for (int i = 0; i < 100; ++i) {
    peers.push_back(OpenWith(admin->port(), i % 2 ? "" : "GET /healthz HTTP/1.1\r\n"));
    ASSERT_GE(peers.back(), 0);
  }
  const testing::HttpResponse r = Call(admin->port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, "ok\n");
  const std::string big = SendUntilAnswered(
      admin->port(),
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n",
      "", 0);
  EXPECT_EQ(StatusOf(big), 431) << big;
  const std::string body = SendUntilAnswered(
      admin->port(), "POST /_mlb_signal/hup HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n",
      std::string(65536, 'x'), 8 << 20);
  EXPECT_EQ(StatusOf(body), 413) << body;
  // The newest of the slow ones (not evicted) get 408 at the deadline.
  EXPECT_EQ(StatusOf(RawReadFor(peers[98], 5000)), 408);
  for (const int fd : peers) {
    close(fd);
  }
}


// ---- Review 12b: hostile peers of the admin and callback listeners ----

// A connection to `port` with a 4 KiB receive buffer that asks for `path`
// and reads `peek` bytes of the answer, then stops reading (-1 on failure).
int StalledReader(int port, const std::string& path, size_t peek) {
  const int fd = testing::SendAndStall(
      port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  if (fd < 0) {
    return -1;
  }
  char buf[64];
  size_t got = 0;
  pollfd p{fd, POLLIN, 0};
  while (got < peek && poll(&p, 1, 5000) > 0) {
    const ssize_t n = read(fd, buf, std::min(sizeof buf, peek - got));
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  if (got < peek) {
    close(fd);
    return -1;
  }
  return fd;
}

// Review 12b (FINDING, high): the connection cap evicts only connections
// still sending their request; connections being answered (kWrite) or
// lingering after the answer are never evicted, and when all 64 are such, a
// new connection is closed unanswered. Attack: 64 clients (any peer that
// reaches the admin address, or :9090 from 8 at a time through HAProxy plus
// direct ones) ask for /_haproxy_getconfig and read nothing; each holds its
// slot for the 10 s write deadline and reconnects.
// Impact: /healthz gets no answer (the DC/OS or Marathon health check kills
// marathon-lb), and the server holds 64 copies of the config meanwhile.
// Expected: /healthz answers 200 (a slot is kept for short requests, or a
// stalled reader is evicted first).
TEST(AdminServerTest, ReviewHealthzAnswersWhileSixtyFourConfigReadersStall) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  const std::string config = ::testing::TempDir() + "/review12b_big.cfg";
  testing::WriteFile(config, std::string(3 << 20, '#'));
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, config);
  ASSERT_NE(admin, nullptr);
  std::vector<int> stalled;
  for (int i = 0; i < 64; ++i) {
    const int fd = StalledReader(admin->port(), "/_haproxy_getconfig", 16);
    ASSERT_GE(fd, 0) << "reader " << i;
    stalled.push_back(fd);
  }
  const testing::HttpResponse r = Call(admin->port(), "GET", "/healthz");
  for (const int fd : stalled) {
    close(fd);
  }
  EXPECT_EQ(r.status, 200) << r.Describe();
}

// Review 12b (FINDING, low): http_server.h says "A POST or PUT with neither
// header: 411", but a POST without Content-Length or Transfer-Encoding is
// taken as a request without a body (here answered 405 by the admin
// handler), and what the peer sends after the head is dropped unread.
// Impact: a documented bound does not hold; a client's body is silently
// ignored instead of refused.
// Expected: 411 Length Required.
TEST(AdminServerTest, ReviewPostWithoutALengthIs411) {
  StatusBoard board;
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  const std::string answer = SendUntilAnswered(
      admin->port(), "POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n{}", "", 0);
  EXPECT_EQ(StatusOf(answer), 411) << answer;
}

// Review 12b (FINDING, low): only the first Transfer-Encoding header is
// read. "Transfer-Encoding: chunked" then "Transfer-Encoding: gzip" is the
// coding list "chunked, gzip" (RFC 9110 5.3), whose final coding is not
// chunked: the framing is unknown and RFC 9112 6.3 says 400. The server
// frames the body as chunked and answers; a proxy in front that reads the
// whole list frames it otherwise (request smuggling).
// Expected: 400 or 501, as for a single "Transfer-Encoding: chunked, gzip".
TEST(AdminServerTest, ReviewTwoTransferEncodingHeadersAreOneList) {
  StatusBoard board;
  board.RecordSync(true, "http://m1:8080", "", 0);
  std::unique_ptr<AdminServer> admin = StartAdmin(&board, "haproxy.cfg");
  ASSERT_NE(admin, nullptr);
  const std::string single = SendUntilAnswered(
      admin->port(),
      "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
      "0\r\n\r\n",
      "", 0);
  EXPECT_EQ(StatusOf(single), 501) << single;
  const std::string two = SendUntilAnswered(
      admin->port(),
      "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
      "", 0);
  EXPECT_TRUE(StatusOf(two) == 400 || StatusOf(two) == 501) << two;
}

// Review 12b GUARD: Content-Length shapes that a proxy and this server could
// read differently are refused (a sign, inner spaces, a list, hex), the
// plain and the zero-padded one are taken, a chunk extension is skipped,
// and a pipelined second request is never served.
TEST(EventCallbackTest, ReviewGuardLengthShapesAndPipelining) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  const std::string event(kEvent);
  const std::string n = std::to_string(event.size());
  const std::vector<std::pair<std::string, int>> shapes = {
      {"POST /callback HTTP/1.1\r\nContent-Length: +" + n + "\r\n\r\n" + event,
       400},
      {"POST /callback HTTP/1.1\r\nContent-Length: " + n + ", " + n +
           "\r\n\r\n" + event,
       400},
      {"POST /callback HTTP/1.1\r\nContent-Length: 1 0\r\n\r\n" + event, 400},
      {"POST /callback HTTP/1.1\r\nContent-Length: 00" + n + "\r\n\r\n" +
           event,
       200},
      {"POST /callback HTTP/1.0\r\nContent-Length:  " + n + " \r\n\r\n" +
           event,
       200},
      {"POST /callback HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
           [&] {
             char size[16];
             snprintf(size, sizeof size, "%zx", event.size());
             return std::string(size);
           }() +
           ";ext=\"a;b\"\r\n" + event + "\r\n0\r\n\r\n",
       200},
  };
  for (const auto& [request, status] : shapes) {
    const std::string answer = SendUntilAnswered(cb.port(), request, "", 0);
    EXPECT_EQ(StatusOf(answer), status) << request.substr(0, 80) << "\n"
                                        << answer;
  }
  // Pipelined: one answer, the second request is dropped.
  const std::string two =
      SendUntilAnswered(cb.port(),
                        "GET /nothing HTTP/1.1\r\n\r\nPOST /callback "
                        "HTTP/1.1\r\nContent-Length: " +
                            n + "\r\n\r\n" + event,
                        "", 0);
  EXPECT_EQ(CountOf(two, "HTTP/1.1 "), 1u) << two;
  EXPECT_EQ(cb.Got().size(), 3u);
}

// Review 12b (FINDING, medium): the same cap on the callback listener, which
// Marathon must reach over the network. A connection that got its answer
// lingers up to 1 s (kLinger) waiting for the peer's close, and a lingering
// connection is never evicted either. Attack: 64 peers each send any short
// request, read the answer and keep the connection open, 64 requests a
// second in all.
// Impact: Marathon's event POSTs are closed unanswered and the events are
// lost: in event mode the config goes stale until a later event gets through.
// Expected: the event is taken (200). (All 64 requests go out at once and
// are answered within milliseconds; the event follows at once, well inside
// the 1 s linger.)
TEST(EventCallbackTest, ReviewEventsAreTakenWhileSixtyFourPeersLinger) {
  Callback cb;
  ASSERT_NE(cb.server, nullptr);
  std::vector<int> peers;
  for (int i = 0; i < 64; ++i) {
    peers.push_back(OpenWith(cb.port(), "GET /x HTTP/1.1\r\n\r\n"));
    ASSERT_GE(peers.back(), 0);
  }
  for (const int fd : peers) {
    // The answer, then EOF from the server's shutdown: now it lingers.
    EXPECT_NE(StatusOf(RawReadFor(fd, 2000)), 0);
  }
  const testing::HttpResponse r = cb.Post(kEvent);
  for (const int fd : peers) {
    close(fd);
  }
  EXPECT_EQ(r.status, 200) << r.Describe();
}

}  // namespace
}  // namespace mlb
