// The admin endpoint (/healthz, /status, marathon-lb 1.15's read-only
// /_haproxy_get* endpoints) and the event-mode callback server.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
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

}  // namespace
}  // namespace mlb
