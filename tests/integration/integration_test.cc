// End to end: marathon-lb renders a config from Marathon (marathon-sim or a
// saved file:), a real HAProxy runs it on 127.0.0.1, and requests through it
// reach echo-backend tasks on 127.0.0.2 / 127.0.0.3. Every test asserts what
// answered (X-Backend), exact statuses and headers, and exact config lines.
//
// Nothing binds outside 127.0.0.0/8: the HEAD and the :80 / :9091 / :443
// frontend heads are overridden in a per-test templates dir to bind
// 127.0.0.1:<free port>, and every app sets HAPROXY_{n}_BIND_ADDR=127.0.0.1.
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/SHA1Engine.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/app/template_archive.h"
#include "core/base/process.h"
#include "core/base/text.h"
#include "core/base/version.h"
#include "core/haproxy/master_cli.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/http_test_server.h"
#include "tests/support/integration_support.h"
#include "tests/support/prometheus_text.h"

namespace mlb::integration {
namespace {

using ::testing::AllOf;
using ::testing::AnyOfArray;
using ::testing::Contains;
using ::testing::Each;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const char kGroup[] = "external";

// marathon-lb's sticky cookie value for a server: the first 10 hex digits of
// SHA-1(server name), as in marathon-lb 1.15.
std::string CookieFor(const std::string& server_name) {
  Poco::SHA1Engine sha1;
  sha1.update(server_name);
  return Poco::DigestEngine::digestToHex(sha1.digest()).substr(0, 10);
}

// marathon-lb's server name for a task whose host is an IP: "127_0_0_2_PORT".
std::string ServerName(const std::string& ip, int port) {
  std::string name = ip + "_" + std::to_string(port);
  for (char& c : name) {
    c = c == '.' ? '_' : c;
  }
  return name;
}

class IntegrationTest : public EndToEndTest {
 protected:
  // One self-signed certificate for the whole suite (rsa:2048 is slow-ish).
  static void SetUpTestSuite() {
    try {
      suite_dir_ = new TempDir();
      const std::string key = suite_dir_->File("key.pem");
      const std::string crt = suite_dir_->File("crt.pem");
      RunResult r = RunBounded(
          {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
           "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost"},
          suite_dir_->File("openssl.log"), Millis(20000));
      if (r.exit_code != 0) {
        suite_error_ = "openssl req failed:\n" + r.output;
        return;
      }
      cert_ = suite_dir_->File("localhost.pem");
      WriteFile(cert_, ReadFile(crt) + ReadFile(key));
    } catch (const std::exception& e) {
      suite_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(suite_error_, "");
    EndToEndTest::SetUp();
    pid_file_ = dir_->File("haproxy.pid");
    state_file_ = dir_->File("state.json");
    http_port_ = FreePort();
    appid_port_ = FreePort();
    https_port_ = FreePort();
    WriteLoopbackFrontends(http_port_, appid_port_, https_port_);
  }

  void TearDown() override {
    // HAProxy first (it talks to the backends), then Marathon, then tasks.
    haproxy_.reset();
    sim_.reset();
    echoes_.clear();
  }

  std::string Head(const std::string& extra_global = "") const {
    return LoopbackHead(dir_->File("haproxy.sock"), extra_global);
  }

  // Starts marathon-sim on the state file (written first); returns its URL.
  std::string StartSim(const std::string& state) {
    AtomicWrite(state_file_, state);
    const std::string port_file = dir_->File("sim.port");
    sim_ = std::make_unique<ScopedProcess>(
        std::vector<std::string>{sim_binary_, "--state", state_file_,
                                 "--listen", "127.0.0.1:0", "--port-file",
                                 port_file},
        dir_->File("sim.log"));
    return "http://" + WaitForPortFile(*sim_, port_file);
  }

  // Writes the state for `--marathon file:...`; returns that URL.
  std::string StateFile(const std::string& state) {
    AtomicWrite(state_file_, state);
    return "file:" + state_file_;
  }

  // One `marathon-lb poll` update into cfg_. `command` is the reload command
  // (never the detected one: this machine has a haproxy.service).
  // The default HEAD's :9090 (tests 10d, 10e, 10e'): /web (http) with one
  // task, `marathon-lb sse` with the default HEAD, its admin server on a
  // free port and `extra` flags; then HAProxy on the config it wrote, with
  // only the HEAD's host-wide parts moved to the test (:9090 on
  // 127.0.0.1:stats_port, the stats socket in the test dir, no syslog, a
  // low maxconn).
  struct DefaultHeadLb {
    int web_port = 0;
    int admin_port = 0;
    int stats_port = 0;
    std::unique_ptr<ScopedProcess> mlb;
    std::string written;  // the config as marathon-lb wrote it
  };
  void StartDefaultHeadLb(const std::vector<std::string>& extra,
                          DefaultHeadLb* lb);

  RunResult RunMarathonLb(const std::string& marathon,
                          const std::string& command = "true",
                          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        mlb_binary_,      "poll",
        "--marathon",     marathon,
        "--haproxy-config", cfg_,
        "--group",        kGroup,
        "--templates-dir", templates_dir_,
        "--plugin-dir",   plugin_dir_,
        "--ssl-certs",    cert_,
        "--syslog-socket", "/dev/null",
        "--command",      command};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunBounded(
        argv, dir_->File("marathon-lb-" + std::to_string(++mlb_runs_) + ".log"));
  }

  // Starts HAProxy (master-worker, foreground) on cfg_ and waits until the
  // :9091 frontend (always generated) accepts and the pid file is written.
  void StartHaproxy() {
    haproxy_ = StartLoopbackHaproxy(cfg_, pid_file_, dir_->File("haproxy.log"),
                                    {appid_port_});
  }

  // The HAProxy master's pid, from the pid file.
  int HaproxyPid() const { return std::stoi(ReadFile(pid_file_)); }

  // GET through the :80 vhost frontend.
  HttpResponse ViaHttp(const std::string& host, const std::string& path = "/") {
    return HttpGet("127.0.0.1", http_port_, path, host);
  }

  // GET through the :9091 app-id frontend.
  HttpResponse ViaAppId(const std::string& app_id) {
    return HttpGet("127.0.0.1", appid_port_, "/", "lb.test",
                   {{"X-Marathon-App-Id", app_id}});
  }

  // The backends (X-Backend) of up to `count` GETs made within `timeout`,
  // stopping early once every name in `until` was seen. Failed requests show
  // up as "HTTP <status>" or "error: ...".
  template <typename Get>
  std::vector<std::string> Backends(Get get, int count,
                                    const std::set<std::string>& until = {},
                                    Millis timeout = Millis(5000)) {
    const auto deadline = Clock::now() + timeout;
    std::vector<std::string> seen;
    std::set<std::string> missing = until;
    for (int i = 0; i < count && (until.empty() || !missing.empty()) &&
                    Clock::now() < deadline;
         ++i) {
      const HttpResponse r = get();
      std::string name = r.Backend();
      if (r.status != 200 || name.empty()) {
        name = r.status == 0 ? "error: " + r.error
                             : "HTTP " + std::to_string(r.status);
      }
      missing.erase(name);
      seen.push_back(name);
    }
    return seen;
  }

  std::string Config() const { return ReadFile(cfg_); }
  std::string HaproxyLog() const {
    return haproxy_ ? haproxy_->Output() : std::string("(not started)");
  }

  static TempDir* suite_dir_;
  static std::string cert_;
  static std::string suite_error_;

  std::string pid_file_, state_file_;
  int http_port_ = 0, appid_port_ = 0, https_port_ = 0;
  int mlb_runs_ = 0;
  std::unique_ptr<ScopedProcess> sim_;
  std::unique_ptr<ScopedProcess> haproxy_;
};

TempDir* IntegrationTest::suite_dir_ = nullptr;
std::string IntegrationTest::cert_;
std::string IntegrationTest::suite_error_;

// Labels every app carries: the group, and a loopback bind for port 0.
std::map<std::string, std::string> Labels(
    std::map<std::string, std::string> extra) {
  extra.emplace("HAPROXY_GROUP", kGroup);
  extra.emplace("HAPROXY_0_BIND_ADDR", "127.0.0.1");
  return extra;
}

void IntegrationTest::StartDefaultHeadLb(
    const std::vector<std::string>& extra, DefaultHeadLb* lb) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  lb->web_port = FreePort();
  lb->admin_port = FreePort();
  lb->stats_port = FreePort();
  std::filesystem::remove(templates_dir_ + "/HAPROXY_HEAD");  // the default
  const std::string url = StartSim(StateJson(
      {AppJson("/web", {lb->web_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {web1}}})}));
  std::vector<std::string> argv = {
      mlb_binary_,  "sse",          "--marathon",      url,
      "--haproxy-config", cfg_,     "--group",         kGroup,
      "--templates-dir", templates_dir_, "--plugin-dir", plugin_dir_,
      "--ssl-certs", cert_,         "--syslog-socket", "/dev/null",
      "--command",  "true",         "--admin-address",
      "127.0.0.1:" + std::to_string(lb->admin_port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  lb->mlb = std::make_unique<ScopedProcess>(argv,
                                            dir_->File("marathon-lb.log"));
  ScopedProcess& mlb = *lb->mlb;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return !mlb.Running() ||
               Config().find("\nbackend web_") != std::string::npos;
      },
      Millis(10000)))
      << mlb.Output();
  ASSERT_TRUE(mlb.Running()) << mlb.Output();
  lb->written = Config();
  std::string run = lb->written;
  const auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = run.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    run.replace(at, from.size(), to);
  };
  replace("global\n", "global\n  maxconn 200\n");
  replace("  log /dev/log local0\n  log /dev/log local1 notice\n", "");
  replace("  bind 0.0.0.0:9090\n",
          "  bind 127.0.0.1:" + std::to_string(lb->stats_port) + "\n");
  replace("/var/run/haproxy/socket", dir_->File("haproxy.sock"));
  const std::string run_cfg = dir_->File("run.cfg");
  WriteFile(run_cfg, run);
  ASSERT_NO_THROW(haproxy_ = StartLoopbackHaproxy(
                      run_cfg, pid_file_, dir_->File("haproxy.log"),
                      {lb->stats_port, appid_port_}));
}

// 1. Host header on the :80 frontend; roundrobin over both tasks; an
// unknown Host has no backend.
TEST_F(IntegrationTest, VhostRoutesByHostHeaderOnHttpFrontend) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int service_port = FreePort();
  const std::string url = StartSim(StateJson({AppJson(
      "/web", {service_port}, Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
      {{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  const std::string backend = "web_" + std::to_string(service_port);
  EXPECT_THAT(cfg, HasSubstr("\nfrontend marathon_http_in\n  bind 127.0.0.1:" +
                             std::to_string(http_port_) +
                             "\n  mode http\n"
                             "  acl host_web_example_com_" + backend +
                             " hdr(host) -i web.example.com\n"
                             "  use_backend " + backend +
                             " if host_web_example_com_" + backend + "\n"));
  for (const auto& [ip, port] : {std::pair<std::string, int>{"127.0.0.2", web1},
                                 {"127.0.0.3", web2}}) {
    EXPECT_TRUE(std::regex_search(
        cfg, std::regex("\n  server " + ServerName(ip, port) + " " +
                        std::regex_replace(ip, std::regex("\\."), "\\.") + ":" +
                        std::to_string(port) + " id [0-9]+\n")))
        << cfg;
  }
  ASSERT_NO_THROW(StartHaproxy());

  const std::vector<std::string> seen = Backends(
      [&] { return ViaHttp("web.example.com"); }, 6, {"web-1", "web-2"});
  EXPECT_THAT(seen, Contains("web-1")) << HaproxyLog();
  EXPECT_THAT(seen, Contains("web-2")) << HaproxyLog();
  EXPECT_THAT(seen, Each(::testing::AnyOf("web-1", "web-2")));

  // What the task saw: the Host, option forwardfor, X-Forwarded-Port.
  const HttpResponse r = ViaHttp("web.example.com", "/some/path");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.body, r.Backend() + "\n");
  EXPECT_EQ(r.Header("X-Seen-Host"), "web.example.com");
  EXPECT_EQ(r.Header("X-Seen-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(r.Header("X-Seen-Forwarded-Port"), std::to_string(http_port_));

  const HttpResponse unknown = ViaHttp("other.example.com");
  EXPECT_EQ(unknown.status, 503) << unknown.Describe();
  EXPECT_FALSE(unknown.HasHeader("X-Backend")) << unknown.Describe();
}

// 2. X-Marathon-App-Id on the :9091 frontend picks the app.
TEST_F(IntegrationTest, AppIdHeaderRoutesOnAppIdFrontend) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int api1 = StartEcho("api-1", "127.0.0.3");
  const int web_port = FreePort();
  const int api_port = FreePort();
  const std::string url = StartSim(StateJson(
      {AppJson("/api", {api_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.3", {api1}}}),
       AppJson("/web", {web_port},
               Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
               {{"127.0.0.2", {web1}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  EXPECT_THAT(cfg, HasSubstr("\nfrontend marathon_http_appid_in\n"
                             "  bind 127.0.0.1:" + std::to_string(appid_port_) +
                             "\n  mode http\n"
                             "  acl app__api_" + std::to_string(api_port) +
                             " hdr(x-marathon-app-id) -i /api\n"
                             "  use_backend api_" + std::to_string(api_port) +
                             " if app__api_" + std::to_string(api_port) + "\n"
                             "  acl app__web_" + std::to_string(web_port) +
                             " hdr(x-marathon-app-id) -i /web\n"
                             "  use_backend web_" + std::to_string(web_port) +
                             " if app__web_" + std::to_string(web_port) + "\n"));
  ASSERT_NO_THROW(StartHaproxy());

  for (int i = 0; i < 3; ++i) {
    const HttpResponse api = ViaAppId("/api");
    EXPECT_EQ(api.status, 200) << api.Describe();
    EXPECT_EQ(api.Backend(), "api-1") << api.Describe();
    EXPECT_EQ(api.body, "api-1\n");
    const HttpResponse web = ViaAppId("/web");
    EXPECT_EQ(web.status, 200) << web.Describe();
    EXPECT_EQ(web.Backend(), "web-1") << web.Describe();
  }
  const HttpResponse none = ViaAppId("/nosuchapp");
  EXPECT_EQ(none.status, 503) << none.Describe();
  EXPECT_FALSE(none.HasHeader("X-Backend"));
}

// 3. An app without vhost is a tcp service port: bytes pass through as is.
TEST_F(IntegrationTest, TcpServicePortPassesThroughToBackend) {
  const int tcp1 = StartEcho("tcp-1", "127.0.0.2");
  const int db_port = FreePort();
  const std::string url = StateFile(StateJson({AppJson(
      "/db", {db_port}, Labels({}), {{"127.0.0.2", {tcp1}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  const std::string name = "db_" + std::to_string(db_port);
  EXPECT_THAT(cfg, HasSubstr("\nfrontend " + name + "\n  bind 127.0.0.1:" +
                             std::to_string(db_port) +
                             "\n  mode tcp\n  use_backend " + name + "\n"));
  EXPECT_THAT(cfg, HasSubstr("\nbackend " + name +
                             "\n  balance roundrobin\n  mode tcp\n  server "));
  // Only http-mode apps are routed by app id.
  EXPECT_THAT(cfg, Not(HasSubstr("app__db")));
  ASSERT_NO_THROW(StartHaproxy());

  const HttpResponse r = HttpGet("127.0.0.1", db_port, "/x", "db.test");
  ASSERT_EQ(r.status, 200) << r.Describe() << "\n" << HaproxyLog();
  EXPECT_EQ(r.Backend(), "tcp-1");
  EXPECT_EQ(r.body, "tcp-1\n");
  EXPECT_EQ(r.Header("X-Seen-Host"), "db.test");
  // tcp mode: HAProxy added no X-Forwarded-* headers.
  EXPECT_FALSE(r.HasHeader("X-Seen-Forwarded-For")) << r.Describe();
  EXPECT_FALSE(r.HasHeader("X-Seen-Forwarded-Port")) << r.Describe();
}

// 4. HAPROXY_0_STICKY: the cookie names the server and pins the client.
TEST_F(IntegrationTest, StickyCookiePinsClientToOneBackend) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int port = FreePort();
  const std::string url = StateFile(StateJson({AppJson(
      "/sticky", {port},
      Labels({{"HAPROXY_0_STICKY", "true"}, {"HAPROXY_0_MODE", "http"}}),
      {{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}})}));
  const std::map<std::string, std::string> cookie_of = {
      {"web-1", CookieFor(ServerName("127.0.0.2", web1))},
      {"web-2", CookieFor(ServerName("127.0.0.3", web2))}};

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  EXPECT_TRUE(HasLine(
      cfg, "  cookie mesosphere_server_id insert indirect nocache dynamic"))
      << cfg;
  const std::string server1 = LineStartingWith(cfg, "  server 127_0_0_2_");
  EXPECT_THAT(server1, HasSubstr(" check cookie " + cookie_of.at("web-1")));
  ASSERT_NO_THROW(StartHaproxy());

  // Without a cookie, each answer sets the cookie of the server that answered;
  // with it, every request goes back to that server.
  std::set<std::string> pinned;
  for (int round = 0; round < 2; ++round) {
    const HttpResponse first = HttpGet("127.0.0.1", port, "/", "sticky.test");
    ASSERT_EQ(first.status, 200) << first.Describe() << "\n" << HaproxyLog();
    const std::string backend = first.Backend();
    ASSERT_TRUE(cookie_of.count(backend)) << first.Describe();
    const std::string set_cookie = first.Header("Set-Cookie");
    EXPECT_TRUE(std::regex_match(set_cookie,
                                 std::regex("mesosphere_server_id=[0-9a-f]{10}; "
                                            "path=/")))
        << set_cookie;
    EXPECT_EQ(set_cookie,
              "mesosphere_server_id=" + cookie_of.at(backend) + "; path=/");
    pinned.insert(backend);

    const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
    const std::vector<std::string> seen = Backends(
        [&] {
          return HttpGet("127.0.0.1", port, "/", "sticky.test",
                         {{"Cookie", cookie}});
        },
        6);
    EXPECT_EQ(seen, std::vector<std::string>(6, backend)) << cookie;
  }
  // Roundrobin gave the two cookie-less requests different servers, so both
  // cookies were exercised.
  EXPECT_EQ(pinned, (std::set<std::string>{"web-1", "web-2"}));
}

// 5. HAPROXY_0_REDIRECT_TO_HTTPS: plain http on :80 gets a 301 to https.
TEST_F(IntegrationTest, RedirectToHttpsAnswers301OnHttpFrontend) {
  const int secure_port = FreePort();
  const int secure1 = StartEcho("secure-1", "127.0.0.2");
  const int web1 = StartEcho("web-1", "127.0.0.3");
  const std::string url = StateFile(StateJson(
      {AppJson("/secure", {secure_port},
               Labels({{"HAPROXY_0_VHOST", "secure.example.com"},
                       {"HAPROXY_0_REDIRECT_TO_HTTPS", "true"}}),
               {{"127.0.0.2", {secure1}}}),
       AppJson("/web", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
               {{"127.0.0.3", {web1}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(Config(),
                      "  redirect scheme https code 301 if !{ ssl_fc } "
                      "host_secure_example_com_secure_" +
                          std::to_string(secure_port)))
      << Config();
  ASSERT_NO_THROW(StartHaproxy());

  const HttpResponse r = ViaHttp("secure.example.com", "/path");
  EXPECT_EQ(r.status, 301) << r.Describe() << "\n" << HaproxyLog();
  EXPECT_EQ(r.Header("Location"), "https://secure.example.com/path");
  EXPECT_FALSE(r.HasHeader("X-Backend"));
  // The same frontend still serves the vhost that does not redirect.
  const HttpResponse web = ViaHttp("web.example.com", "/path");
  EXPECT_EQ(web.status, 200) << web.Describe();
  EXPECT_EQ(web.Backend(), "web-1");
}

// 5b. HAPROXY_0_AUTH (marathon-lb 1.15): the vhost answers 401 with the
// realm until the client sends the user and password whose hash the label
// holds; another vhost in the same frontend is not behind auth; a value auth
// cannot honour drops its port (an ignored AUTH would expose the vhost).
TEST_F(IntegrationTest, AuthLabelPutsTheVhostBehindBasicAuth) {
  const int private1 = StartEcho("private-1", "127.0.0.2");
  const int web1 = StartEcho("web-1", "127.0.0.3");
  const int broken1 = StartEcho("broken-1", "127.0.0.4");
  // SHA-256 crypt of "secret", as `openssl passwd -5 -salt abcdefgh secret`.
  const std::string hash = "$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.";
  const std::string url = StateFile(StateJson(
      {AppJson("/private", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "private.example.com"},
                       {"HAPROXY_0_AUTH", "Private Zone:alice:" + hash}}),
               {{"127.0.0.2", {private1}}}),
       AppJson("/web", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
               {{"127.0.0.3", {web1}}}),
       AppJson("/broken", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "broken.example.com"},
                       {"HAPROXY_0_AUTH", "Zone:alice"}}),
               {{"127.0.0.4", {broken1}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "app /broken, service port index 0: label "
                         "HAPROXY_0_AUTH: expected realm:user:password-hash; "
                         "service port skipped"))
      << run.output;
  EXPECT_TRUE(HasLine(Config(), "  user alice password " + hash)) << Config();
  ASSERT_NO_THROW(StartHaproxy());

  const HttpResponse challenge = ViaHttp("private.example.com");
  EXPECT_EQ(challenge.status, 401) << challenge.Describe() << HaproxyLog();
  EXPECT_EQ(challenge.Header("WWW-Authenticate"),
            "Basic realm=\"Private Zone\"");
  EXPECT_FALSE(challenge.HasHeader("X-Backend"));
  const auto with_auth = [&](const std::string& credentials) {
    return HttpGet("127.0.0.1", http_port_, "/", "private.example.com",
                   {{"Authorization", "Basic " + credentials}});
  };
  const HttpResponse wrong = with_auth("YWxpY2U6d3Jvbmc=");  // alice:wrong
  EXPECT_EQ(wrong.status, 401) << wrong.Describe();
  const HttpResponse right = with_auth("YWxpY2U6c2VjcmV0");  // alice:secret
  EXPECT_EQ(right.status, 200) << right.Describe();
  EXPECT_EQ(right.Backend(), "private-1");
  const HttpResponse web = ViaHttp("web.example.com");
  EXPECT_EQ(web.status, 200) << web.Describe();
  EXPECT_EQ(web.Backend(), "web-1");
  // Its port dropped, the broken app's vhost is not routed at all.
  const HttpResponse broken = ViaHttp("broken.example.com");
  EXPECT_EQ(broken.status, 503) << broken.Describe();
}

// 5c. HAPROXY_0_PATH (marathon-lb 1.15): two apps share a vhost. /a-web
// (no path) sorts first by app id, but the path's rule goes first, so
// /api/... reaches /b-api and everything else /a-web, over :80 and with
// the same ordering in the generated :443 frontend.
TEST_F(IntegrationTest, PathRoutesPartOfASharedVhost) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int api1 = StartEcho("api-1", "127.0.0.3");
  const std::string url = StateFile(StateJson(
      {AppJson("/a-web", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "shop.example.com"}}),
               {{"127.0.0.2", {web1}}}),
       AppJson("/b-api", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "shop.example.com"},
                       {"HAPROXY_0_PATH", "/api"}}),
               {{"127.0.0.3", {api1}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  for (const auto& [path, backend] :
       std::vector<std::pair<std::string, std::string>>{
           {"/api", "api-1"},
           {"/api/orders?id=1", "api-1"},
           {"/", "web-1"},
           {"/shop/api", "web-1"},
           {"/API", "web-1"}}) {
    const HttpResponse r = ViaHttp("shop.example.com", path);
    EXPECT_EQ(r.status, 200) << path << r.Describe() << HaproxyLog();
    EXPECT_EQ(r.Backend(), backend) << path;
  }
}

// 5d. HTTP_BACKEND_PROXYPASS_PATH: the task sees the path without the
// prefix and the vhost as Host; HTTP_BACKEND_REDIR: / of the vhost answers
// 301 to the target, other paths go to the task.
TEST_F(IntegrationTest, ProxypassAndRootRedirectThroughHaproxy) {
  const int api1 = StartEcho("api-1", "127.0.0.2");
  const std::string url = StateFile(StateJson({AppJson(
      "/api", {FreePort()},
      Labels({{"HAPROXY_0_VHOST", "api.example.com"},
              {"HAPROXY_0_HTTP_BACKEND_PROXYPASS_PATH", "/v1"},
              {"HAPROXY_0_HTTP_BACKEND_REDIR", "/docs"}}),
      {{"127.0.0.2", {api1}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  const HttpResponse r =
      HttpGet("127.0.0.1", http_port_, "/v1/orders?id=7", "API.example.com");
  EXPECT_EQ(r.status, 200) << r.Describe() << HaproxyLog();
  EXPECT_EQ(r.Backend(), "api-1");
  EXPECT_EQ(r.Header("X-Seen-Path"), "/orders?id=7");
  EXPECT_EQ(r.Header("X-Seen-Host"), "api.example.com");
  const HttpResponse root = ViaHttp("api.example.com", "/");
  EXPECT_EQ(root.status, 301) << root.Describe();
  EXPECT_EQ(root.Header("Location"), "/docs");
}

// 6. A bad label drops only its own service port; the rest is served.
// A message that quotes Marathon's data stays one log record: an app id
// with a line feed (or a carriage return, or an escape sequence) cannot
// forge a record of its own in marathon-lb's log.
TEST_F(IntegrationTest, AppIdsWithNewlinesCannotForgeLogRecords) {
  const std::string forged = "2026-12-05 00:00:00,000 marathon_lb: app /victim";
  const std::string url = StateFile(StateJson(
      {AppJson("/evil\n" + forged + "\r\x1b[2K", {FreePort()},
               Labels({}), {{"127.0.0.2", {FreePort("127.0.0.2")}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const std::string& line : Lines(run.output)) {
    EXPECT_THAT(line, Not(StartsWith(forged))) << run.output;
    EXPECT_THAT(line, Not(HasSubstr("\r"))) << run.output;
    EXPECT_THAT(line, Not(HasSubstr("\x1b"))) << run.output;
  }
  EXPECT_THAT(run.output, HasSubstr("app /evil\\n" + forged +
                                    "\\r\\x1b[2K, service port index 0: "
                                    "app id '/evil\\n"));
}

TEST_F(IntegrationTest, BadLabelSkipsOnlyItsServicePort) {
  const int bad1 = StartEcho("bad-1", "127.0.0.2");
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int api1 = StartEcho("api-1", "127.0.0.3");
  const int bad_port = FreePort();
  const int api_port = FreePort();
  const std::string url = StateFile(StateJson(
      {AppJson("/api", {api_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.3", {api1}}}),
       AppJson("/bad", {bad_port},
               Labels({{"HAPROXY_0_PORT", "notaport"},
                       {"HAPROXY_0_VHOST", "bad.example.com"}}),
               {{"127.0.0.2", {bad1}}}),
       AppJson("/web", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
               {{"127.0.0.2", {web1}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "app /bad, service port index 0: label "
                         "HAPROXY_0_PORT: 'notaport' is not a port number "
                         "(1-65535); service port skipped"))
      << run.output;
  const std::string cfg = Config();
  EXPECT_THAT(cfg, Not(HasSubstr("bad_")));
  EXPECT_THAT(cfg, Not(HasSubstr("bad.example.com")));
  EXPECT_THAT(cfg, Not(HasSubstr(std::to_string(bad1))));
  ASSERT_NO_THROW(StartHaproxy());

  const HttpResponse web = ViaHttp("web.example.com");
  EXPECT_EQ(web.status, 200) << web.Describe() << "\n" << HaproxyLog();
  EXPECT_EQ(web.Backend(), "web-1");
  const HttpResponse api = ViaAppId("/api");
  EXPECT_EQ(api.status, 200) << api.Describe();
  EXPECT_EQ(api.Backend(), "api-1");
  const HttpResponse api_port_r = HttpGet("127.0.0.1", api_port, "/", "x");
  EXPECT_EQ(api_port_r.Backend(), "api-1") << api_port_r.Describe();
  const HttpResponse bad = ViaHttp("bad.example.com");
  EXPECT_EQ(bad.status, 503) << bad.Describe();
}

// Shared start of scenarios 7 and 8: /web with web-1 written and served.
// Returns the state with web-2 added (which would change the config).
class LiveConfigTest : public IntegrationTest {
 protected:
  void StartGoodConfig() {
    web1_ = StartEcho("web-1", "127.0.0.2");
    web2_ = StartEcho("web-2", "127.0.0.3");
    web_port_ = FreePort();
    url_ = StateFile(State({{"127.0.0.2", {web1_}}}));
    const RunResult run = RunMarathonLb(url_);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    ASSERT_NO_THROW(StartHaproxy());
    ASSERT_EQ(ViaHttp("web.example.com").Backend(), "web-1") << HaproxyLog();
    live_ = Config();
    // The next run would add web-2 if it got as far as writing.
    StateFile(State({{"127.0.0.2", {web1_}}, {"127.0.0.3", {web2_}}}));
  }

  std::string State(const std::vector<TaskSpec>& tasks) const {
    return StateJson({AppJson("/web", {web_port_},
                              Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
                              tasks)});
  }

  // HAProxy still serves the old config: web-1 only.
  void ExpectStillServingLiveConfig() {
    const std::vector<std::string> seen =
        Backends([&] { return ViaHttp("web.example.com"); }, 4);
    EXPECT_EQ(seen, std::vector<std::string>(4, "web-1")) << HaproxyLog();
    EXPECT_TRUE(haproxy_->Running());
  }

  int web1_ = 0, web2_ = 0, web_port_ = 0;
  std::string url_, live_;
};

// 7. A templates/ file with an unknown placeholder: marathon-lb refuses to
// start, the live config and HAProxy are untouched.
TEST_F(LiveConfigTest, InvalidTemplateFileKeepsLiveConfig) {
  ASSERT_NO_FATAL_FAILURE(StartGoodConfig());
  const std::string glue = templates_dir_ + "/HAPROXY_FRONTEND_BACKEND_GLUE";
  WriteFile(glue, "  use_backend {nosuch}\n");

  const RunResult run = RunMarathonLb(url_);
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.exit_code, -1) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "template file " + glue +
                             ": unknown placeholder {nosuch} "
                             "(FRONTEND_BACKEND_GLUE supplies {backend})"))
      << run.output;
  EXPECT_EQ(Config(), live_);
  EXPECT_FALSE(FileExists(cfg_ + ".rejected"));
  ExpectStillServingLiveConfig();
}

// 8. A config haproxy -c rejects is kept aside; the live one stays.
TEST_F(LiveConfigTest, RejectedConfigKeepsLiveConfig) {
  ASSERT_NO_FATAL_FAILURE(StartGoodConfig());
  WriteTemplate("HEAD", Head("  nosuchkeyword on\n"));

  const RunResult run = RunMarathonLb(url_);
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.exit_code, -1) << run.output;
  const std::string rejected = cfg_ + ".rejected";
  ASSERT_TRUE(FileExists(rejected)) << run.output;
  const std::string bad = ReadFile(rejected);
  EXPECT_TRUE(HasLine(bad, "  nosuchkeyword on")) << bad;
  EXPECT_TRUE(HasLine(bad, LineStartingWith(bad, "  server 127_0_0_3_")));
  EXPECT_THAT(bad, HasSubstr(" 127.0.0.3:" + std::to_string(web2_) + " id "));
  EXPECT_EQ(Config(), live_);
  // HAProxy's own error line, relayed in marathon-lb's log.
  bool relayed = false;
  for (const std::string& m : LogMessages(run.output)) {
    relayed = relayed ||
              (m.rfind("[ALERT]", 0) == 0 &&
               m.find("unknown keyword 'nosuchkeyword' in 'global' section") !=
                   std::string::npos);
  }
  EXPECT_TRUE(relayed) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "haproxy -c rejected the new config, kept in " +
                             rejected + "; the live config is unchanged"))
      << run.output;
  ExpectStillServingLiveConfig();
}

// 9. Marathon changes (state file renamed over), marathon-lb writes the new
// config and reloads HAProxy with its --command; the new task answers.
TEST_F(IntegrationTest, SimulatorChangeReloadsHaproxyWithNewBackend) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int port = FreePort();
  auto state = [&](const std::vector<TaskSpec>& tasks) {
    return StateJson({AppJson("/web", {port},
                              Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
                              tasks)});
  };
  const std::string url = StartSim(state({{"127.0.0.2", {web1}}}));
  const RunResult first = RunMarathonLb(url);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_NO_THROW(StartHaproxy());
  ASSERT_EQ(HaproxyPid(), haproxy_->pid());
  EXPECT_EQ(Backends([&] { return ViaHttp("web.example.com"); }, 4),
            std::vector<std::string>(4, "web-1"))
      << HaproxyLog();

  AtomicWrite(state_file_,
              state({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  const std::string reload = "kill -USR2 " + std::to_string(HaproxyPid());
  const RunResult second = RunMarathonLb(url, reload);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string new_server = LineStartingWith(
      Config(), "  server " + ServerName("127.0.0.3", web2) + " 127.0.0.3:" +
                    std::to_string(web2) + " id ");
  ASSERT_NE(new_server, "") << Config();
  EXPECT_TRUE(HasMessage(second.output, "+" + new_server)) << second.output;
  for (const std::string& m : LogMessages(second.output)) {
    EXPECT_THAT(m, Not(::testing::StartsWith("-  server"))) << second.output;
  }
  // The --command reached the master: HAProxy logs the reload (the same
  // master, a new worker).
  auto reloads = [&] {
    int n = 0;
    for (const std::string& l : Lines(HaproxyLog())) {
      n += l.find(": Reloading HAProxy") != std::string::npos;
    }
    return n;
  };
  EXPECT_TRUE(WaitUntil([&] { return reloads() == 1; }, Millis(3000)))
      << HaproxyLog() << "\n" << second.output;
  EXPECT_EQ(HaproxyPid(), haproxy_->pid());

  // The new worker takes over: one request every 20 ms until web-2 answers
  // (at most 5 s), then both tasks share the traffic.
  std::vector<std::string> before_switch;
  const bool switched = WaitUntil(
      [&] {
        before_switch.push_back(ViaHttp("web.example.com").Backend());
        return before_switch.back() == "web-2";
      },
      Millis(5000), Millis(20));
  ASSERT_TRUE(switched) << ::testing::PrintToString(before_switch) << "\n"
                        << HaproxyLog();
  EXPECT_THAT(before_switch, Each(::testing::AnyOf("web-1", "web-2")));
  const std::vector<std::string> seen = Backends(
      [&] { return ViaHttp("web.example.com"); }, 6, {"web-1", "web-2"});
  EXPECT_THAT(seen, Contains("web-1")) << HaproxyLog();
  EXPECT_THAT(seen, Contains("web-2")) << HaproxyLog();
  EXPECT_TRUE(haproxy_->Running()) << HaproxyLog();

  // Nothing changed since: no write, and the reload command is not run.
  const std::string before = Config();
  const RunResult third = RunMarathonLb(url, reload);
  EXPECT_EQ(third.exit_code, 0) << third.output;
  bool unchanged = false;
  for (const std::string& m : LogMessages(third.output)) {
    unchanged = unchanged || m.rfind("config unchanged", 0) == 0;
  }
  EXPECT_TRUE(unchanged) << third.output;
  EXPECT_EQ(Config(), before);
  EXPECT_EQ(reloads(), 1) << HaproxyLog();
}

// 10. Every 2015 label at once: haproxy -c accepts what marathon-lb writes.
TEST_F(IntegrationTest, HaproxyAcceptsConfigUsingEveryLabel) {
  const int shop_port0 = FreePort(), shop_port1 = FreePort();
  const int shop_frontend = FreePort(), shop_tcp_frontend = FreePort();
  const int blog_port = FreePort(), db_port = FreePort();
  const std::string health =
      "\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/health\", "
      "\"portIndex\": 0, \"gracePeriodSeconds\": 10, \"intervalSeconds\": 2, "
      "\"timeoutSeconds\": 1, \"maxConsecutiveFailures\": 2}]";
  const std::string url = StateFile(StateJson(
      {AppJson("/blog", {blog_port},
               Labels({{"HAPROXY_0_VHOST", "Blog.Example.com"},
                       {"HAPROXY_0_REDIRECT_TO_HTTPS", "true"}}),
               {{"127.0.0.2", {31001}}}),
       AppJson("/db", {db_port}, Labels({{"HAPROXY_0_MODE", "tcp"}}),
               {{"127.0.0.3", {31002}}}),
       AppJson("/shop/front", {shop_port0, shop_port1},
               Labels({{"HAPROXY_0_VHOST", "shop.example.com,www.shop.example.com"},
                       {"HAPROXY_0_STICKY", "true"},
                       {"HAPROXY_0_REDIRECT_TO_HTTPS", "true"},
                       {"HAPROXY_0_SSL_CERT", cert_},
                       {"HAPROXY_0_PORT", std::to_string(shop_frontend)},
                       {"HAPROXY_0_MODE", "http"},
                       {"HAPROXY_1_BIND_ADDR", "127.0.0.1"},
                       {"HAPROXY_1_PORT", std::to_string(shop_tcp_frontend)},
                       {"HAPROXY_1_MODE", "tcp"}}),
               {{"127.0.0.2", {31010, 31011}}, {"127.0.0.3", {31020, 31021}}},
               health)}));

  const RunResult run = RunMarathonLb(url, "true", {"--skip-validation"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const std::string& m : LogMessages(run.output)) {
    EXPECT_THAT(m, Not(HasSubstr("skipped"))) << run.output;
    EXPECT_THAT(m, Not(HasSubstr("ignored"))) << run.output;
  }
  const std::string cfg = Config();
  const std::string shop = "shop_front_" + std::to_string(shop_frontend);
  const std::string acl = "host_shop_example_com_" + shop;
  for (const std::string& line : std::vector<std::string>{
           // VHOST (comma list) and REDIRECT_TO_HTTPS on :80 and :443.
           "  acl " + acl + " hdr(host) -i shop.example.com",
           "  acl " + acl + " hdr(host) -i www.shop.example.com",
           "  redirect scheme https code 301 if !{ ssl_fc } " + acl,
           "  use_backend " + shop + " if { ssl_fc_sni www.shop.example.com }",
           "  acl host_blog_example_com_blog_" + std::to_string(blog_port) +
               " hdr(host) -i blog.example.com",
           "  redirect scheme https code 301 if !{ ssl_fc } "
           "host_blog_example_com_blog_" + std::to_string(blog_port),
           // PORT, BIND_ADDR, SSL_CERT, MODE.
           "frontend " + shop,
           "  bind 127.0.0.1:" + std::to_string(shop_frontend) + " ssl crt " +
               cert_,
           "  bind 127.0.0.1:" + std::to_string(shop_tcp_frontend),
           "  bind 127.0.0.1:" + std::to_string(db_port),
           "  mode tcp",
           "  mode http",
           // STICKY and the HTTP health check.
           "  cookie mesosphere_server_id insert indirect nocache dynamic",
           "  dynamic-cookie-key marathon-lb",
           "  option  httpchk GET /health",
           "  timeout check 1s",
           // The --ssl-certs of the :443 frontend.
           "  bind 127.0.0.1:" + std::to_string(https_port_) + " ssl crt " +
               cert_,
       }) {
    EXPECT_TRUE(HasLine(cfg, line)) << "missing line: " << line << "\n" << cfg;
  }
  const std::string server = LineStartingWith(cfg, "  server 127_0_0_2_31010 ");
  EXPECT_THAT(server, HasSubstr(" check cookie " +
                                CookieFor("127_0_0_2_31010")));
  EXPECT_THAT(server, HasSubstr(" check inter 2s fall 3"));
  // PORT renames the backend: Marathon's service port is not used for it.
  EXPECT_THAT(cfg, Not(HasSubstr("shop_front_" + std::to_string(shop_port0))));

  const RunResult check = RunBounded({HaproxyBinary(), "-c", "-f", cfg_},
                                     dir_->File("haproxy-c.log"));
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << cfg;
  EXPECT_THAT(check.output, HasSubstr("Configuration file is valid"));
}

// The rows of a table HAProxy's stats socket answers `command` with, each
// keyed by the column names of the "# " header line, whose columns are
// separated by `separator` (',' for `show stat`, ' ' for `show servers
// state`).
std::vector<std::map<std::string, std::string>> CliTable(
    const std::string& socket, const std::string& command, char separator) {
  std::string reply;
  const Status s = MasterCliCommand(socket, command, &reply, Millis(2000));
  std::vector<std::map<std::string, std::string>> rows;
  if (!s.ok()) {
    return rows;
  }
  const auto split = [separator](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, separator);) {
      out.push_back(field);
    }
    return out;
  };
  std::vector<std::string> columns;
  for (const std::string& line : Lines(reply)) {
    if (line.rfind("# ", 0) == 0) {
      columns = split(line.substr(2));
    } else if (!columns.empty() && !line.empty()) {
      const std::vector<std::string> fields = split(line);
      std::map<std::string, std::string> row;
      for (size_t i = 0; i < columns.size() && i < fields.size(); ++i) {
        row[columns[i]] = fields[i];
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// 10b. HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX (marathon-lb issue #198):
// the task serves traffic on its port 0, where /health fails, and answers
// /health on its port 1. Three apps run that task: /own checks port 0
// (DOWN: 503), /indexed checks it on port 1 through the label (UP), and
// /borrowed takes port 1's check through the label, which also makes its
// MODE=tcp port http (UP). The stats socket shows where HAProxy checks.
TEST_F(IntegrationTest, HealthCheckPortIndexChecksOnTheOtherPort) {
  mlb::testing::TestHttpServer web(
      [](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
         int) {
        const bool health = req.getURI() == "/health";
        res.setStatus(health ? Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE
                             : Poco::Net::HTTPResponse::HTTP_OK);
        res.set("X-Backend", "web");
        res.send() << (health ? "no health here\n" : "web\n");
      });
  mlb::testing::TestHttpServer health(
      [](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
         int) {
        const bool ok = req.getURI() == "/health";
        res.setStatus(ok ? Poco::Net::HTTPResponse::HTTP_OK
                         : Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        res.set("X-Backend", "health");
        res.send() << (ok ? "ok\n" : "traffic does not go here\n");
      });
  const TaskSpec task{"127.0.0.1", {web.port(), health.port()}};
  // intervalSeconds 1 and maxConsecutiveFailures 0: "inter 1s fall 1".
  const auto check = [](int port_index) {
    return "{\"protocol\": \"HTTP\", \"path\": \"/health\", \"portIndex\": " +
           std::to_string(port_index) +
           ", \"gracePeriodSeconds\": 10, \"intervalSeconds\": 1, "
           "\"timeoutSeconds\": 1, \"maxConsecutiveFailures\": 0}";
  };
  const int own = FreePort(), indexed = FreePort(), borrowed = FreePort();
  const std::string url = StateFile(StateJson(
      {AppJson("/own", {own, FreePort()},
               Labels({{"HAPROXY_1_ENABLED", "false"}}), {task},
               "\"healthChecks\": [" + check(0) + "]"),
       AppJson("/indexed", {indexed, FreePort()},
               Labels({{"HAPROXY_1_ENABLED", "false"},
                       {"HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX", "1"}}),
               {task}, "\"healthChecks\": [" + check(0) + "]"),
       AppJson("/borrowed", {borrowed, FreePort()},
               Labels({{"HAPROXY_1_ENABLED", "false"},
                       {"HAPROXY_0_MODE", "tcp"},
                       {"HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX", "1"}}),
               {task}, "\"healthChecks\": [" + check(1) + "]")}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  const std::string own_backend = "own_" + std::to_string(own);
  const std::string indexed_backend = "indexed_" + std::to_string(indexed);
  const std::string borrowed_backend = "borrowed_" + std::to_string(borrowed);
  // The server line of a backend (each has one server).
  const auto server_line = [&](const std::string& backend) {
    const size_t at = cfg.find("\nbackend " + backend + "\n");
    return at == std::string::npos
               ? std::string()
               : LineStartingWith(cfg.substr(at), "  server ");
  };
  const std::string web_server = "127_0_0_1_" + std::to_string(task.ports[0]);
  const std::string checked = " check inter 1s fall 1";
  const std::string on_port_1 =
      checked + " port " + std::to_string(task.ports[1]);
  EXPECT_THAT(server_line(own_backend),
              AllOf(StartsWith("  server " + web_server + " 127.0.0.1:" +
                               std::to_string(task.ports[0]) + " id "),
                    EndsWith(checked)))
      << cfg;
  EXPECT_THAT(server_line(indexed_backend), EndsWith(on_port_1)) << cfg;
  EXPECT_THAT(server_line(borrowed_backend), EndsWith(on_port_1)) << cfg;
  EXPECT_THAT(cfg, HasSubstr("\nfrontend borrowed_" + std::to_string(borrowed) +
                             "\n  bind 127.0.0.1:" + std::to_string(borrowed) +
                             "\n  mode http\n"));
  EXPECT_TRUE(HasMessage(
      run.output,
      "app /borrowed, service port index 0: HAPROXY_0_MODE ignored: the port "
      "takes the HTTP health check of port index 1 "
      "(HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX), which makes it http"))
      << run.output;
  ASSERT_NO_THROW(StartHaproxy());

  // Per backend: the web server's state, check port and last check status.
  const std::string socket = dir_->File("haproxy.sock");
  const auto server = [&](const std::string& backend) {
    std::map<std::string, std::string> out;
    for (auto& row : CliTable(socket, "show servers state " + backend, ' ')) {
      if (row["srv_name"] == web_server) {
        out = row;
      }
    }
    for (auto& row : CliTable(socket, "show stat", ',')) {
      if (row["pxname"] == backend && row["svname"] == web_server) {
        out["status"] = row["status"];
        out["check_status"] = row["check_status"];
      }
    }
    return out;
  };
  // Every backend has had a check once /own is DOWN and both others passed
  // one (checks every second).
  std::map<std::string, std::string> own_state, indexed_state, borrowed_state;
  EXPECT_TRUE(WaitUntil(
      [&] {
        own_state = server(own_backend);
        indexed_state = server(indexed_backend);
        borrowed_state = server(borrowed_backend);
        return own_state["status"] == "DOWN" &&
               indexed_state["check_status"] == "L7OK" &&
               borrowed_state["check_status"] == "L7OK";
      },
      Millis(5000), Millis(100)))
      << ::testing::PrintToString(own_state) << "\n"
      << ::testing::PrintToString(indexed_state) << "\n"
      << ::testing::PrintToString(borrowed_state) << "\n"
      << HaproxyLog();
  EXPECT_EQ(own_state["check_status"], "L7STS");
  EXPECT_EQ(own_state["srv_check_port"], "0");  // the server's own port
  EXPECT_EQ(indexed_state["status"], "UP");
  EXPECT_EQ(indexed_state["srv_check_port"], std::to_string(task.ports[1]));
  EXPECT_EQ(borrowed_state["status"], "UP");
  EXPECT_EQ(borrowed_state["srv_check_port"], std::to_string(task.ports[1]));
  EXPECT_FALSE(health.requests().empty());

  // Traffic: /own has no server up; the others reach the task's port 0.
  const HttpResponse down = HttpGet("127.0.0.1", own, "/", "x");
  EXPECT_EQ(down.status, 503) << down.Describe();
  for (const int port : {indexed, borrowed}) {
    const HttpResponse r = HttpGet("127.0.0.1", port, "/", "x");
    EXPECT_EQ(r.status, 200) << port << ": " << r.Describe();
    EXPECT_EQ(r.Backend(), "web") << port << ": " << r.Describe();
  }
}

// 10c. HAPROXY_DEPLOYMENT_GROUP (blue/green, marathon-lb 1.15): /shop-blue
// (started first, two tasks) and /shop-green (one task, no health check: its
// instance counts as healthy) are one app /shop on the stable
// HAPROXY_0_PORT. One old task drains: task shop-blue.1's server is
// disabled and gets no request, the other old task and the new one share
// the traffic, by vhost, by service port and by X-Marathon-App-Id: /shop.
TEST_F(IntegrationTest, BlueGreenGroupMergesAndDrainsTheOldTask) {
  const int blue1 = StartEcho("blue-1", "127.0.0.2");
  const int blue2 = StartEcho("blue-2", "127.0.0.3");
  const int green1 = StartEcho("green-1", "127.0.0.4");
  const int port = FreePort();
  const auto labels = [&](const std::string& colour,
                          const std::string& started) {
    return Labels({{"HAPROXY_DEPLOYMENT_GROUP", "shop"},
                   {"HAPROXY_DEPLOYMENT_COLOUR", colour},
                   {"HAPROXY_DEPLOYMENT_STARTED_AT", started},
                   {"HAPROXY_DEPLOYMENT_TARGET_INSTANCES", "2"},
                   {"HAPROXY_DEPLOYMENT_ALT_PORT", std::to_string(port + 1)},
                   {"HAPROXY_0_PORT", std::to_string(port)},
                   {"HAPROXY_0_VHOST", "shop.test"}});
  };
  const std::string url = StartSim(StateJson(
      {AppJson("/shop-green", {FreePort()},
               labels("green", "2016-02-01T16:00:00.000000"),
               {{"127.0.0.4", {green1}}}),
       AppJson("/shop-blue", {FreePort()},
               labels("blue", "2016-02-01T15:51:38.184623"),
               {{"127.0.0.2", {blue1}}, {"127.0.0.3", {blue2}}})}));

  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = Config();
  const std::string backend = "shop_" + std::to_string(port);
  const size_t at = cfg.find("\nbackend " + backend + "\n");
  ASSERT_NE(at, std::string::npos) << cfg;
  const std::string section = cfg.substr(at, cfg.find("\n\n", at + 1) - at);
  const auto server = [&](const std::string& ip, int task_port) {
    return std::regex("\n  server 127_0_0_" + ip.substr(8) + "_" +
                      std::to_string(task_port) + " " + ip + ":" +
                      std::to_string(task_port) + " id [0-9]+( disabled)?\n");
  };
  std::smatch m;
  ASSERT_TRUE(std::regex_search(section, m, server("127.0.0.2", blue1)))
      << section;
  EXPECT_EQ(m[1], " disabled") << section;
  ASSERT_TRUE(std::regex_search(section, m, server("127.0.0.3", blue2)))
      << section;
  EXPECT_EQ(m[1], "") << section;
  ASSERT_TRUE(std::regex_search(section, m, server("127.0.0.4", green1)))
      << section;
  EXPECT_EQ(m[1], "") << section;
  EXPECT_THAT(cfg, HasSubstr("  acl app__shop_" + std::to_string(port) +
                             " hdr(x-marathon-app-id) -i /shop\n  use_backend " +
                             backend + " if app__shop_" + std::to_string(port) +
                             "\n"));
  EXPECT_THAT(cfg, Not(HasSubstr("shop-blue"))) << cfg;
  EXPECT_THAT(cfg, Not(HasSubstr("shop-green"))) << cfg;
  ASSERT_NO_THROW(StartHaproxy());

  const std::set<std::string> live = {"blue-2", "green-1"};
  const auto by_vhost = Backends([&] { return ViaHttp("shop.test"); }, 12);
  EXPECT_THAT(by_vhost, Each(AnyOfArray(live))) << HaproxyLog();
  EXPECT_THAT(by_vhost, Contains("blue-2"));
  EXPECT_THAT(by_vhost, Contains("green-1"));
  EXPECT_THAT(Backends([&] { return ViaAppId("/shop"); }, 6),
              Each(AnyOfArray(live)));
  EXPECT_THAT(Backends([&] { return HttpGet("127.0.0.1", port, "/", "x"); }, 6),
              Each(AnyOfArray(live)));
  EXPECT_EQ(ViaAppId("/shop-blue").status, 503);
}

// 10d. marathon-lb 1.15 served its admin paths on HAProxy's :9090 (Lua).
// With an admin address (sse mode here), the DEFAULT HEAD's stats listener
// passes them to marathon-lb's admin server: the pids, the config and the
// maps through :9090, and the signal refused there without the token, as on
// the admin address. The test runs the config marathon-lb wrote with the
// default HEAD's host-wide parts moved to the test (:9090 on 127.0.0.1, the
// stats socket in the test dir, no syslog, a low maxconn); nothing else of
// it is changed.
TEST_F(IntegrationTest, DefaultHeadServesTheAdminPathsOn9090) {
  DefaultHeadLb lb;
  ASSERT_NO_FATAL_FAILURE(StartDefaultHeadLb({}, &lb));
  ASSERT_THAT(lb.written, HasSubstr("\nbackend marathon_lb_admin\n  mode http\n"
                                    "  server marathon_lb 127.0.0.1:" +
                                    std::to_string(lb.admin_port) +
                                    " maxconn 8\n"));
  const int stats_port = lb.stats_port;
  const int web_port = lb.web_port;

  const auto via9090 = [&](const std::string& path,
                           const HttpHeaders& headers = {}) {
    return HttpGet("127.0.0.1", stats_port, path, "lb.test", headers);
  };
  const HttpResponse pids = via9090("/_haproxy_getpids");
  EXPECT_EQ(pids.status, 200) << pids.Describe();
  EXPECT_THAT(" " + pids.body, HasSubstr(" " + std::to_string(HaproxyPid())))
      << pids.Describe();
  const HttpResponse config = via9090("/_haproxy_getconfig");
  EXPECT_EQ(config.status, 200) << config.Describe();
  EXPECT_EQ(config.body, lb.written);
  EXPECT_EQ(via9090("/_haproxy_getappmap").status, 200);
  EXPECT_EQ(via9090("/_haproxy_getvhostmap").status, 200);
  EXPECT_EQ(via9090("/_mlb_signal/hup").status, 403);
  // The rest of :9090 is HAProxy's, as before.
  EXPECT_EQ(via9090("/_haproxy_health_check").status, 200);
  const HttpResponse csv = via9090("/haproxy?stats;csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("\nweb_" + std::to_string(web_port) +
                                  ",BACKEND,"));
  // Only the six paths go to marathon-lb (the listener has no servers).
  EXPECT_EQ(via9090("/_haproxy_getpidsx").status, 503);
}

// 10e. Review (GUARD): a hostile network client of :9090 with the admin
// token configured. Only the six exact paths reach marathon-lb (a query is
// allowed, as 1.15); spellings that a lenient server might map to them
// (double slash, case, %-encoding, a trailing slash, ';') and the admin
// server's own pages (/status, /healthz) are not passed; the signals need
// the token through :9090 as on the admin address (none, a wrong one, the
// right one as Basic: 401; 1.15's Lua answered anyone); the read-only paths
// take GET only.
TEST_F(IntegrationTest, AdminRouteOn9090PassesOnlyTheExactPathsAndWantsTheToken) {
  const std::string token = "review-token-0123456789abcdef";
  const std::string token_file = dir_->File("admin.token");
  WriteFile(token_file, token + "\n");
  DefaultHeadLb lb;
  ASSERT_NO_FATAL_FAILURE(
      StartDefaultHeadLb({"--admin-token-file", token_file}, &lb));
  const int stats_port = lb.stats_port;
  ScopedProcess& mlb = *lb.mlb;
  const auto via9090 = [&](const std::string& method, const std::string& path,
                           const HttpHeaders& headers = {}) {
    HttpHeaders all = {{"Host", "lb.test"}};
    all.insert(all.end(), headers.begin(), headers.end());
    return HttpCall(method, "127.0.0.1", stats_port, path, "", all,
                    Millis(2000));
  };

  EXPECT_EQ(via9090("GET", "/_haproxy_getpids?x=1").status, 200);
  for (const std::string path :
       {"//_haproxy_getpids", "/_HAPROXY_GETPIDS", "/%5Fhaproxy_getpids",
        "/_haproxy_getpids/", "/_haproxy_getpids;x", "/./_haproxy_getpids",
        "/_mlb_signal/HUP", "/_mlb_signal/hup/", "/_mlb_signal//hup",
        "/status", "/healthz", "/_haproxy_getconfig/../status"}) {
    const HttpResponse r = via9090("GET", path);
    EXPECT_EQ(r.status, 503) << path << ": " << r.Describe();
  }
  EXPECT_EQ(via9090("POST", "/_mlb_signal/hup").status, 401);
  EXPECT_EQ(via9090("POST", "/_mlb_signal/usr1",
                    {{"Authorization", "Bearer " + token + "x"}})
                .status,
            401);
  EXPECT_EQ(via9090("POST", "/_mlb_signal/hup",
                    {{"Authorization", "Basic " + token}})
                .status,
            401);
  const HttpResponse post = via9090("POST", "/_haproxy_getconfig");
  EXPECT_EQ(post.status, 405) << post.Describe();
  EXPECT_EQ(post.body, "only GET\n");
  // The right token through :9090 signals (SIGUSR1: the config reloaded).
  const HttpResponse usr1 = via9090(
      "POST", "/_mlb_signal/usr1", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(usr1.status, 200) << usr1.Describe();
  EXPECT_EQ(usr1.body, "sent SIGUSR1\n");
  EXPECT_TRUE(mlb.Running()) << mlb.Output();
}

// 10e'. Review (FINDING, medium): since ed723f6 anyone who reaches
// HAProxy's :9090 (bound on 0.0.0.0 by the default HEAD) reaches the admin
// server's /_haproxy_getconfig. The server has 16 threads and writes the
// whole config in one blocking send; a client that asks for the config and
// never reads keeps one thread busy for as long as its connection lives
// (HAProxy's timeout client, 30 s), whatever the server's 2 s timeout.
// Twenty such requests through :9090 against a large config (16 MB here,
// a shared load balancer of ~100 000 tasks; a smaller one needs a few more
// clients) and the admin address stops answering /healthz (and /status,
// /_mlb_signal/*): an orchestrator's liveness check then restarts
// marathon-lb (and with --run-haproxy, HAProxy), every 30 s, for everyone.
// Expected: /healthz on the admin address answers at once (200) while
// stalled config readers are connected: bound the time a response may take
// (send timeout / total deadline per response), keep a thread for /healthz,
// or cap the connections HAProxy opens to the admin server (maxconn on the
// server line of marathon_lb_admin, below the server's thread count).
TEST_F(IntegrationTest, ReviewStalledConfigReadersOn9090DoNotStopHealthz) {
  DefaultHeadLb lb;
  ASSERT_NO_FATAL_FAILURE(StartDefaultHeadLb({}, &lb));
  const int admin_port = lb.admin_port;
  const int stats_port = lb.stats_port;
  // A large config in place (marathon-lb serves the file as it is).
  WriteFile(cfg_, Config() + std::string(16 << 20, '#') + "\n");

  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(testing::SendAndStall(
        stats_port,
        "GET /_haproxy_getconfig HTTP/1.1\r\nHost: lb.test\r\n\r\n"));
    ASSERT_GE(stalled.back(), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const HttpResponse health =
      HttpCall("GET", "127.0.0.1", admin_port, "/healthz", "", {},
               Millis(5000));
  for (const int fd : stalled) {
    close(fd);
  }
  EXPECT_EQ(health.status, 200) << health.Describe();
}

// 10f. Review (FINDING, high): a hostile tenant joins another team's
// blue/green group. Team shop's /shop-green (the app a finished zdd deploy
// left, labelled HAPROXY_DEPLOYMENT_GROUP=shop) serves shop.test with two
// tasks. Mallory creates /mallory/x with HAPROXY_DEPLOYMENT_GROUP=shop and a
// later STARTED_AT: her app is the group's new app, her task joins
// shop's backend and both of shop's tasks are disabled (her two instances
// count as healthy). Every request for shop.test reaches Mallory.
// Expected: /mallory/x stays out of group /shop; shop.test is served by
// shop-1 and shop-2 only.
TEST_F(IntegrationTest, ReviewAnotherTeamsAppCannotJoinABlueGreenGroup) {
  const int shop1 = StartEcho("shop-1", "127.0.0.2");
  const int shop2 = StartEcho("shop-2", "127.0.0.3");
  const int evil = StartEcho("mallory-1", "127.0.0.4");
  const int evil2 = StartEcho("mallory-2", "127.0.0.5");
  const int port = FreePort();
  const std::string url = StartSim(StateJson(
      {AppJson("/shop-green", {FreePort()},
               Labels({{"HAPROXY_DEPLOYMENT_GROUP", "shop"},
                       {"HAPROXY_DEPLOYMENT_STARTED_AT",
                        "2016-02-01T16:00:00.000000"},
                       {"HAPROXY_0_PORT", std::to_string(port)},
                       {"HAPROXY_0_VHOST", "shop.test"}}),
               {{"127.0.0.2", {shop1}}, {"127.0.0.3", {shop2}}}),
       AppJson("/mallory/x", {FreePort()},
               Labels({{"HAPROXY_DEPLOYMENT_GROUP", "shop"},
                       {"HAPROXY_DEPLOYMENT_STARTED_AT",
                        "2030-01-01T00:00:00.000000"}}),
               {{"127.0.0.4", {evil}}, {"127.0.0.5", {evil2}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  const std::set<std::string> shop = {"shop-1", "shop-2"};
  const auto seen = Backends([&] { return ViaHttp("shop.test"); }, 8);
  EXPECT_THAT(seen, Each(AnyOfArray(shop))) << Config();
  EXPECT_THAT(seen, Contains("shop-1"));
  EXPECT_THAT(seen, Contains("shop-2"));
}

// 10g. Review (FINDING, high; not new: 1.15 names its ACLs so too). 1.15's
// :80 host ACL of a service is cleaned(vhost) + "_" + app id with '/' as
// '_': /a/b on v.test and /test/a/b on "v" (Mallory's, plain Marathon ids)
// both got "host_v_test_a_b", HAProxy ORs the two declarations, and
// Mallory's HAPROXY_0_BACKEND_WEIGHT put her use_backend first: requests
// for v.test went to her. Names now end with the service port: each app
// keeps its own vhost, neither port is dropped. A third app's label that
// adds, in the shared :80 frontend, a redirect of v.test (which HAProxy
// would run before any use_backend) drops that app's port instead.
TEST_F(IntegrationTest, ReviewAVhostAclNameClashDoesNotHandOverAVhost) {
  const int victim = StartEcho("a-b", "127.0.0.2");
  const int evil = StartEcho("mallory", "127.0.0.3");
  const std::string url = StartSim(StateJson(
      {AppJson("/a/b", {FreePort()}, Labels({{"HAPROXY_0_VHOST", "v.test"}}),
               {{"127.0.0.2", {victim}}}),
       AppJson("/test/a/b", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "v"},
                       {"HAPROXY_0_BACKEND_WEIGHT", "100"}}),
               {{"127.0.0.3", {evil}}}),
       AppJson("/zzz", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "z.test"},
                       {"HAPROXY_0_HTTP_FRONTEND_ACL",
                        "  acl host_{cleanedUpHostname} hdr(host) -i "
                        "{hostname}\n"
                        "  http-request redirect location http://evil.test/ "
                        "if {{ hdr(host) -i v.test }}\n"
                        "  use_backend {backend} if host_{cleanedUpHostname}\n"}}),
               {{"127.0.0.3", {evil}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_THAT(Backends([&] { return ViaHttp("v.test"); }, 4), Each("a-b"))
      << Config();
  EXPECT_THAT(Backends([&] { return ViaHttp("v"); }, 4), Each("mallory"))
      << Config();
  EXPECT_THAT(run.output,
              HasSubstr("app /zzz, service port index 0: label "
                        "HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                        "--label-policy restricted: line 2 in frontend "
                        "marathon_http_in is not limited to the app's own "
                        "vhosts or app id"));
  EXPECT_THAT(Config(), Not(HasSubstr("evil.test")));
  EXPECT_THAT(run.output, Not(HasSubstr("app /a/b, service port index 0")));
  EXPECT_THAT(run.output,
              Not(HasSubstr("app /test/a/b, service port index 0")));
}

// Issue 12 item 4: what passes marathon-lb's checks but haproxy -c refuses
// costs only the app that wrote it. Each bad app here fails another stage of
// HAProxy's check (a line it cannot parse, a server option, a bind address
// that does not resolve, and once the file is read, a use_backend naming no
// backend); HAProxy names the line or the proxy and the word, marathon-lb
// traces it to the service port that rendered it, drops that port with
// HAProxy's words and validates again, in the same update. The good app's
// change goes live and routes.
TEST_F(IntegrationTest, WhatHaproxyRefusesDropsOnlyTheAppThatWroteIt) {
  const int good = StartEcho("good", "127.0.0.2");
  const TaskSpec nowhere{"127.0.0.3", {FreePort()}};
  const int bind_port = FreePort();
  const int timeout_port = FreePort();
  const int server_port = FreePort();
  const int backend_port = FreePort();
  const std::string url = StartSim(StateJson({
      AppJson("/bad-backend", {backend_port},
              Labels({{"HAPROXY_0_VHOST", "bad-backend.example.com"},
                      {"HAPROXY_0_HTTP_FRONTEND_ACL",
                       "  acl host_{cleanedUpHostname} hdr(host) -i "
                       "{hostname}\n  use_backend no_such_backend if "
                       "host_{cleanedUpHostname}\n"}}),
              {nowhere}),
      AppJson("/bad-bind", {bind_port},
              Labels({{"HAPROXY_0_BIND_ADDR", "nosuchhost.invalid"}}),
              {nowhere}),
      AppJson("/bad-server", {server_port},
              Labels({{"HAPROXY_0_BACKEND_SERVER_OPTIONS",
                       "  server {serverName} {host_ipv4}:{port}"
                       "{cookieOptions}{healthCheckOptions}{otherOptions} "
                       "no-such-keyword\n"}}),
              {nowhere}),
      AppJson("/bad-timeout", {timeout_port},
              Labels({{"HAPROXY_0_MODE", "http"},
                      {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                       "  option forwardfor\n  timeout server 5zz\n"}}),
              {nowhere}),
      AppJson("/good", {FreePort()},
              Labels({{"HAPROXY_0_VHOST", "good.example.com"}}),
              {{"127.0.0.2", {good}}}),
  }));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string dropped =
      "\\); dropped until the app changes them or SIGHUP; service port "
      "skipped";
  for (const std::string& pattern : {
           "app /bad-bind, service port " + std::to_string(bind_port) +
               ": haproxy -c refused its lines \\(parsing \\[[^\\]]+:[0-9]+\\] "
               ": 'bind' : invalid address: 'nosuchhost.invalid' in "
               "'nosuchhost.invalid:" + std::to_string(bind_port) + "'" +
               dropped,
           "app /bad-server, service port " + std::to_string(server_port) +
               ": haproxy -c refused its lines \\(\\[[^\\]]+:[0-9]+\\] : "
               "'server bad-server_" + std::to_string(server_port) +
               "/[^']+' : unknown keyword 'no-such-keyword'[^)]*" + dropped,
           "app /bad-timeout, service port " + std::to_string(timeout_port) +
               ": haproxy -c refused its lines \\(parsing \\[[^\\]]+:[0-9]+\\] "
               ": unexpected character 'z' in 'timeout server'" + dropped,
           "app /bad-backend, service port " + std::to_string(backend_port) +
               ": haproxy -c refused its lines \\(Proxy 'marathon_http_in': "
               "unable to find required use_backend: 'no_such_backend'\\." +
               dropped}) {
    EXPECT_TRUE(std::regex_search(run.output, std::regex(pattern)))
        << pattern << "\n" << run.output;
  }
  // The config on disk is the one that passed: no line of a bad app.
  const std::string cfg = Config();
  for (const char* bad : {"bad-", "nosuchhost", "no-such-keyword", "5zz",
                          "no_such_backend"}) {
    EXPECT_THAT(cfg, Not(HasSubstr(bad))) << cfg;
  }
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_THAT(Backends([&] { return ViaHttp("good.example.com"); }, 3),
              Each("good"))
      << Config();
}

// Issue 12 item 3: with --vhost-owners, a host the file gives to a team is
// served by that team's apps only. /mallory sorts before /shop and outbids
// it (HAPROXY_0_BACKEND_WEIGHT), which wins a shared vhost in marathon-lb;
// here it loses its port instead, /shop keeps its host, and a host no line
// covers stays anyone's.
TEST_F(IntegrationTest, VhostOwnersKeepATeamsHostFromOtherApps) {
  const int shop = StartEcho("shop", "127.0.0.2");
  const int evil = StartEcho("mallory", "127.0.0.3");
  const std::string owners = dir_->File("owners.txt");
  WriteFile(owners,
            "# domain           app id prefixes\n"
            "shop.example.com   /shop\n"
            "*.shop.example.com /shop\n");
  const std::string url = StartSim(StateJson(
      {AppJson("/mallory", {FreePort()},
               Labels({{"HAPROXY_0_VHOST",
                        "shop.example.com,blog.example.com"},
                       {"HAPROXY_0_BACKEND_WEIGHT", "100"}}),
               {{"127.0.0.3", {evil}}}),
       AppJson("/mallory/blog", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "blog.example.com"}}),
               {{"127.0.0.3", {evil}}}),
       AppJson("/mallory/api", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "api.shop.example.com"}}),
               {{"127.0.0.3", {evil}}}),
       AppJson("/shop", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "shop.example.com"}}),
               {{"127.0.0.2", {shop}}})}));
  const RunResult run =
      RunMarathonLb(url, "true", {"--vhost-owners", owners});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const std::string& message :
       {"app /mallory, service port index 0: label HAPROXY_0_VHOST: vhost "
        "shop.example.com belongs to /shop (--vhost-owners " + owners +
            " line 2); service port skipped",
        "app /mallory/api, service port index 0: label HAPROXY_0_VHOST: "
        "vhost api.shop.example.com belongs to /shop (--vhost-owners " +
            owners + " line 3); service port skipped"}) {
    EXPECT_TRUE(HasMessage(run.output, message)) << message << "\n"
                                                 << run.output;
  }
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_THAT(Backends([&] { return ViaHttp("shop.example.com"); }, 4),
              Each("shop"))
      << Config();
  EXPECT_EQ(ViaHttp("api.shop.example.com").status, 503);
  EXPECT_THAT(Backends([&] { return ViaHttp("blog.example.com"); }, 2),
              Each("mallory"))
      << Config();

  // Without the file, marathon-lb's rule: the higher weight takes the host.
  const RunResult shared = RunMarathonLb(url);
  ASSERT_EQ(shared.exit_code, 0) << shared.output;
  ASSERT_EQ(kill(HaproxyPid(), SIGUSR2), 0);
  EXPECT_TRUE(WaitUntil(
      [&] { return ViaHttp("shop.example.com").Backend() == "mallory"; },
      Millis(5000), Millis(50)))
      << Config();
}

// Review 12c, the fixes through a real HAProxy: /aaa (sorts first) holds
// the parent domain wild.test and writes marathon-lb's documented wildcard
// (`hdr_end(host) -i {hostname}`), which would take shop.wild.test, another
// app's vhost: /aaa's port is dropped, naming the suffix and the vhost,
// and shop.wild.test reaches /shop. /web's wildcard over its own
// subdomains, which no other app holds, still routes x.web.test; /api
// routes /api of api.test with an ACL of its own named with its port.
TEST_F(IntegrationTest, ReviewCAWildcardCannotTakeAnotherAppsVhost) {
  const int shop = StartEcho("shop", "127.0.0.2");
  const int evil = StartEcho("mallory", "127.0.0.3");
  const int web = StartEcho("web", "127.0.0.4");
  const int api = StartEcho("api", "127.0.0.5");
  const std::string wildcard =
      "  acl host_{cleanedUpHostname} hdr_end(host) -i {hostname}\n"
      "  use_backend {backend} if host_{cleanedUpHostname}\n";
  const int api_port = FreePort();
  const std::string api_acl = "api_" + std::to_string(api_port);
  const std::string url = StartSim(StateJson(
      {AppJson("/aaa", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "wild.test"},
                       {"HAPROXY_0_BACKEND_WEIGHT", "100"},
                       {"HAPROXY_0_HTTP_FRONTEND_ACL", wildcard}}),
               {{"127.0.0.3", {evil}}}),
       AppJson("/shop", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "shop.wild.test"}}),
               {{"127.0.0.2", {shop}}}),
       AppJson("/web", {FreePort()},
               Labels({{"HAPROXY_0_VHOST", "web.test"},
                       {"HAPROXY_0_HTTP_FRONTEND_ACL", wildcard}}),
               {{"127.0.0.4", {web}}}),
       AppJson("/api", {api_port},
               Labels({{"HAPROXY_0_VHOST", "api.test"},
                       {"HAPROXY_0_HTTP_FRONTEND_ACL",
                        "  acl host_{cleanedUpHostname} hdr(host) -i "
                        "{hostname}\n  acl " + api_acl + " path_beg /api\n"
                        "  use_backend {backend} if host_{cleanedUpHostname} " +
                        api_acl + "\n"}}),
               {{"127.0.0.5", {api}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_THAT(Backends([&] { return ViaHttp("shop.wild.test"); }, 4),
              Each("shop"))
      << Config();
  EXPECT_THAT(Backends([&] { return ViaHttp("x.web.test"); }, 4), Each("web"))
      << Config();
  EXPECT_THAT(Backends([&] { return ViaHttp("api.test", "/api/x"); }, 4),
              Each("api"))
      << Config();
  EXPECT_THAT(run.output,
              HasSubstr("app /aaa, service port index 0: label "
                        "HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                        "--label-policy restricted: line 1 in frontend "
                        "marathon_http_in: the suffix 'wild.test' also "
                        "matches the vhost shop.wild.test of app /shop, "
                        "service port index 0"));
  EXPECT_THAT(Config(), Not(HasSubstr("aaa_")));
  EXPECT_THAT(run.output,
              Not(HasSubstr("marathon_lb: app /shop, service port index 0")));
  EXPECT_THAT(run.output,
              Not(HasSubstr("marathon_lb: app /web, service port index 0")));
  EXPECT_THAT(run.output,
              Not(HasSubstr("marathon_lb: app /api, service port index 0")));
}

// 10h. Review (FINDING, medium): HAPROXY_DEPLOYMENT_GROUP=WEB on Mallory's
// app makes an app /WEB (no Marathon app can have upper case), which sorts
// before /web; the :9091 ACLs match X-Marathon-App-Id without case, so
// "X-Marathon-App-Id: /web" reaches Mallory.
// Expected: /web's own task answers for /web on :9091.
TEST_F(IntegrationTest, ReviewAnUpperCaseGroupDoesNotTakeAnAppIdRoute) {
  const int web = StartEcho("web", "127.0.0.2");
  const int evil = StartEcho("mallory", "127.0.0.3");
  const std::string url = StartSim(StateJson(
      {AppJson("/web", {FreePort()}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {web}}}),
       AppJson("/mallory/w", {FreePort()},
               Labels({{"HAPROXY_DEPLOYMENT_GROUP", "WEB"},
                       {"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.3", {evil}}})}));
  const RunResult run = RunMarathonLb(url);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_THAT(Backends([&] { return ViaAppId("/web"); }, 4), Each("web"))
      << Config();
}

// --label-policy (docs/label-policy.md): apps whose labels try to inject
// config sit next to two good apps.
namespace label_policy {

// The state: /good-a and /good-b (with documented overrides) and seven apps
// each carrying one injection label. `dir` is where an injected command
// would leave its mark.
std::string InjectionState(const std::string& dir, int good_a, int good_b,
                           bool program_only = false, int shared_port = 0) {
  const TaskSpec a{"127.0.0.2", {good_a}};
  const TaskSpec b{"127.0.0.3", {good_b}};
  std::vector<std::string> apps = {
      AppJson("/good-a", {FreePort()},
              Labels({{"HAPROXY_0_VHOST", "good-a.example.com"},
                      {"HAPROXY_0_BACKEND_HEAD",
                       "backend {backend}\n  balance {balance}\n  mode "
                       "{mode}\n  timeout server 30m\n  timeout client 30m\n"}}),
              {a}),
      AppJson("/good-b", {FreePort()},
              Labels({{"HAPROXY_0_VHOST", "good-b.example.com"},
                      {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                       "  acl is_proxy_https hdr(X-Forwarded-Proto) https\n  "
                       "redirect scheme https unless { ssl_fc } or "
                       "is_proxy_https\n"}}),
              {b}),
      AppJson("/inj-program", {FreePort()},
              Labels({{"HAPROXY_0_BACKEND_HEAD",
                       "\nbackend {backend}\n  balance {balance}\n  mode "
                       "{mode}\nprogram injected_program\n  command "
                       "/usr/bin/touch " + dir +
                           "/pwned\n"
                           // Where the servers go, so that the config is
                           // valid: what an attacker would write.
                           "backend rest_{backend}\n  mode {mode}\n"}}),
              {a}),
  };
  if (!program_only) {
    apps.push_back(AppJson(
        "/inj-lua", {FreePort()},
        Labels({{"HAPROXY_0_MODE", "http"},
                {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                 "  option forwardfor\n  lua-load " + dir + "/injected.lua\n"}}),
        {a}));
    apps.push_back(AppJson(
        "/inj-vhost-nl", {FreePort()},
        Labels({{"HAPROXY_0_VHOST",
                 "inj-nl.example.com\n  use_backend injected_nl_backend"}}),
        {a}));
    apps.push_back(AppJson(
        "/inj-vhost-nbsp", {FreePort()},
        Labels({{"HAPROXY_0_VHOST", "inj-nbsp.example.com\xc2\xa0"}}), {a}));
    apps.push_back(AppJson(
        "/inj-extcheck", {FreePort()},
        Labels({{"HAPROXY_0_BACKEND_HEAD",
                 "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  "
                 "option external-check\n  external-check command " +
                     dir + "/injected-check\n"}}),
        {a}));
    apps.push_back(AppJson(
        "/inj-global", {FreePort()},
        Labels({{"HAPROXY_0_FRONTEND_HEAD",
                 "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n  "
                 "mode {mode}\nglobal\n  setenv INJECTED_GLOBAL 1\n"}}),
        {a}));
    apps.push_back(AppJson(
        "/inj-setenv", {FreePort()},
        Labels({{"HAPROXY_0_MODE", "http"},
                {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                 "  setenv INJECTED_SETENV 1\n"}}),
        {a}));
    // The refused word comes from Marathon's health-check path, not from
    // the label (review H1).
    apps.push_back(AppJson(
        "/inj-hc-file", {FreePort()},
        Labels({{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
                 "  option  httpchk GET /\n  http-request return status 200 "
                 "content-type text/plain {healthCheckPath} " +
                     dir + "/lb-secret\n"}}),
        {a},
        R"("healthChecks": [{"protocol": "HTTP", "portIndex": 0, )"
        R"("path": "file"}])"));
    // The default template with a path HAProxy would expand (review H2).
    apps.push_back(AppJson(
        "/inj-hc-env", {FreePort()}, Labels({}), {a},
        R"("healthChecks": [{"protocol": "HTTP", "portIndex": 0, )"
        R"("path": "\"/leak?${MARATHON_PASSWORD}\""}])"));
    // A bind on a path would replace that file with a socket (review H6).
    apps.push_back(AppJson(
        "/inj-bind-path", {FreePort()},
        Labels({{"HAPROXY_0_BIND_ADDR", dir + "/victim"}}), {a}));
  }
  if (shared_port != 0) {
    // A service on the LB's own :80 would share it (SO_REUSEPORT).
    apps.push_back(AppJson("/inj-port-shared", {FreePort()},
                           Labels({{"HAPROXY_0_PORT",
                                    std::to_string(shared_port)},
                                   {"HAPROXY_0_BIND_ADDR", "127.0.0.1"}}),
                           {a}));
  }
  return StateJson(apps);
}

}  // namespace label_policy

TEST_F(IntegrationTest, LabelPolicyRefusesInjectionsAndGoodAppsKeepRouting) {
  const int good_a = StartEcho("good-a", "127.0.0.2");
  const int good_b = StartEcho("good-b", "127.0.0.3");
  WriteFile(dir_->File("victim"), "victim\n");
  WriteFile(dir_->File("lb-secret"), "lb-secret-content\n");
  const std::string url = StateFile(label_policy::InjectionState(
      dir_->path(), good_a, good_b, false, http_port_));

  const RunResult run = RunMarathonLb(url);  // --label-policy restricted
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string refused = " refused by --label-policy restricted: ";
  const std::string skipped = "; service port skipped";
  for (const std::string& message : {
           "app /inj-extcheck, service port index 0: label "
           "HAPROXY_0_BACKEND_HEAD" + refused +
               "line 5 uses option external-check, which runs a program of "
               "the LB host (\"option external-check\")" + skipped,
           "app /inj-global, service port index 0: label "
           "HAPROXY_0_FRONTEND_HEAD" + refused +
               "line 5 opens a section (\"global\")" + skipped,
           "app /inj-lua, service port index 0: label "
           "HAPROXY_0_BACKEND_HTTP_OPTIONS" + refused +
               "line 2 uses lua-load, which loads or configures Lua code "
               "(\"lua-load " + dir_->path() + "/injected.lua\")" + skipped,
           "app /inj-program, service port index 0: label "
           "HAPROXY_0_BACKEND_HEAD" + refused +
               "line 5 opens a section (\"program injected_program\")" +
               skipped,
           "app /inj-setenv, service port index 0: label "
           "HAPROXY_0_BACKEND_HTTP_OPTIONS" + refused +
               "line 1 uses setenv, which changes HAProxy's environment "
               "(\"setenv INJECTED_SETENV 1\")" + skipped,
           "app /inj-vhost-nbsp, service port index 0: label "
           "HAPROXY_0_VHOST" + refused +
               "'inj-nbsp.example.com\\u00a0' has U+00A0 (no-break space) at "
               "character 21" + skipped,
           "app /inj-vhost-nl, service port index 0: label HAPROXY_0_VHOST" +
               refused +
               "'inj-nl.example.com\\n  use_backend injected_nl_backend' has a "
               "newline (U+000A) at character 19" + skipped,
           "app /inj-hc-file, service port index 0: label "
           "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS" + refused +
               "line 2 as rendered uses file, which reads a file of the LB "
               "host: {healthCheckPath} is 'file' (\"http-request return "
               "status 200 content-type text/plain file " + dir_->path() +
               "/lb-secret\")" + skipped,
           "app /inj-hc-env, service port index 0: default template "
           "BACKEND_HTTP_HEALTHCHECK_OPTIONS of pack io.mlb.builtin: "
           "placeholder {healthCheckPath} (the health check path) "
           "'\"/leak?${MARATHON_PASSWORD}\"' has '\"' at character 1: "
           "HAProxy reads quotes and backslashes as quoting" + skipped,
           "app /inj-bind-path, service port index 0: label "
           "HAPROXY_0_BIND_ADDR" + refused + "'" + dir_->path() +
               "/victim' has '/' at character 1: a path binds a UNIX socket "
               "(a file of the LB host); a bind address is an IP address, "
               "'*' or a host name" + skipped,
           "app /inj-port-shared, service port index 0: bind 127.0.0.1:" +
               std::to_string(http_port_) + " in frontend inj-port-shared_" +
               std::to_string(http_port_) + " would share port " +
               std::to_string(http_port_) +
               " with frontend marathon_http_in (bind 127.0.0.1:" +
               std::to_string(http_port_) + ")" + skipped}) {
    EXPECT_TRUE(HasMessage(run.output, message)) << message << "\n"
                                                 << run.output;
  }

  // None of the injected text reached the config, which HAProxy accepts.
  const std::string cfg = Config();
  for (const char* injected :
       {"inj-", "injected", "program", "lua-load", "external-check", "setenv",
        "pwned", "\nglobal\n  setenv", "lb-secret", "MARATHON_PASSWORD",
        "leak", "victim"}) {
    EXPECT_THAT(cfg, Not(HasSubstr(injected))) << cfg;
  }
  EXPECT_THAT(cfg, HasSubstr("  timeout server 30m\n  timeout client 30m\n"));
  EXPECT_THAT(cfg, HasSubstr("  redirect scheme https unless { ssl_fc } or "
                             "is_proxy_https\n"));
  const RunResult check = RunBounded({HaproxyBinary(), "-c", "-f", cfg_},
                                     dir_->File("haproxy-c.log"));
  EXPECT_EQ(check.exit_code, 0) << check.output;

  ASSERT_NO_THROW(StartHaproxy());
  const HttpResponse a = ViaHttp("good-a.example.com");
  EXPECT_EQ(a.status, 200) << a.Describe() << "\n" << HaproxyLog();
  EXPECT_EQ(a.Backend(), "good-a");
  const HttpResponse b =
      HttpGet("127.0.0.1", http_port_, "/", "good-b.example.com",
              {{"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(b.status, 200) << b.Describe();
  EXPECT_EQ(b.Backend(), "good-b");
  EXPECT_EQ(ViaHttp("inj-nbsp.example.com").status, 503);
  EXPECT_FALSE(FileExists(dir_->File("pwned")));
  // :80 is marathon_http_in's alone: every request reached good-a above.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(ViaHttp("good-a.example.com").Backend(), "good-a");
  }
  EXPECT_EQ(ReadFile(dir_->File("victim")), "victim\n");
}

// `--label-policy allow` is marathon-lb's behaviour, at the operator's risk:
// the same state reaches `haproxy -c` with every injection in it (which
// fails, so no app gets the update), and a `program` section alone passes
// the check and makes HAProxy's master run the label's command.
TEST_F(IntegrationTest, LabelPolicyAllowIsMarathonLbBehaviour) {
  const int good_a = StartEcho("good-a", "127.0.0.2");
  const int good_b = StartEcho("good-b", "127.0.0.3");
  const std::string url = StateFile(
      label_policy::InjectionState(dir_->path(), good_a, good_b));
  const RunResult run =
      RunMarathonLb(url, "true", {"--label-policy", "allow"});
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_FALSE(FileExists(cfg_));
  const std::string rejected = ReadFile(cfg_ + ".rejected");
  EXPECT_THAT(rejected, HasSubstr("\nprogram injected_program\n"));
  // The apps whose lines HAProxy refuses and names are dropped (their
  // lines are in no later config), the rest checked again.
  for (const char* app : {"/inj-lua", "/inj-global", "/inj-setenv"}) {
    EXPECT_TRUE(std::regex_search(
        run.output, std::regex(std::string("app ") + app +
                               ", service port [0-9]+: haproxy -c refused "
                               "its lines \\(")))
        << app << "\n" << run.output;
  }
  EXPECT_THAT(rejected, HasSubstr("\n  external-check command " +
                                  dir_->path() + "/injected-check\n"));
  // Typed labels are checked at every level.
  EXPECT_TRUE(HasMessage(
      run.output,
      "app /inj-vhost-nl, service port index 0: label HAPROXY_0_VHOST "
      "refused by --label-policy allow: 'inj-nl.example.com\\n  use_backend "
      "injected_nl_backend' has a newline (U+000A) at character 19; service "
      "port skipped"))
      << run.output;

  // HAProxy accepts a program section in master-worker mode, which is how
  // marathon-lb runs it since 1.12 (here: set in the operator's HEAD).
  WriteTemplate("HEAD", Head("  master-worker\n"));
  const RunResult program = RunMarathonLb(
      StateFile(label_policy::InjectionState(dir_->path(), good_a, good_b,
                                             /*program_only=*/true)),
      "true", {"--label-policy", "allow"});
  ASSERT_EQ(program.exit_code, 0) << program.output;
  EXPECT_THAT(Config(), HasSubstr("\nprogram injected_program\n  command "
                                  "/usr/bin/touch " + dir_->path() +
                                  "/pwned\n"));
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_TRUE(WaitUntil([&] { return FileExists(dir_->File("pwned")); },
                        Millis(5000)))
      << HaproxyLog();
  EXPECT_EQ(ViaHttp("good-a.example.com").Backend(), "good-a");
}

// ---------------------------------------------------------------------------
// --template-url: templates from a tarball (docs/templates-from-url.md).

// A TestHttpServer handler serving the file at `path` (read at each request,
// so a test can replace it) at /templates.tgz, and a redirect to it at
// /latest.
mlb::testing::TestHttpServer::Handler TarballServer(const std::string& path) {
  return [path](Poco::Net::HTTPServerRequest& req,
                Poco::Net::HTTPServerResponse& res, int) {
    if (req.getURI() == "/latest") {
      res.redirect("/templates.tgz");
      return;
    }
    const std::string body = ReadFile(path);
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    res.send() << body;
  };
}

class TemplateUrlTest : public IntegrationTest {
 protected:
  // BACKEND_HEAD with a line of its own, "  timeout server <ms>ms".
  static std::string BackendHead(int ms) {
    return "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n"
           "  timeout server " + std::to_string(ms) + "ms\n";
  }

  // Writes `tgz` (atomically) with tar: templates/HAPROXY_BACKEND_HEAD and,
  // if `escape` is set, the symbolic link templates/esc -> `escape`.
  void MakeTarball(const std::string& tgz, int ms,
                   const std::string& escape = "") {
    const std::string src = dir_->File("tarball-src");
    std::filesystem::remove_all(src);
    std::filesystem::create_directories(src + "/templates");
    WriteFile(src + "/templates/HAPROXY_BACKEND_HEAD", BackendHead(ms));
    if (!escape.empty()) {
      std::filesystem::create_symlink(escape, src + "/templates/esc");
    }
    const RunResult tar =
        RunBounded({"/usr/bin/tar", "-czf", tgz + ".tmp", "-C", src,
                    "templates"},
                   dir_->File("tar.log"));
    ASSERT_EQ(tar.exit_code, 0) << tar.output;
    ASSERT_EQ(std::rename((tgz + ".tmp").c_str(), tgz.c_str()), 0);
  }

  std::string WebState() {
    return StateFile(StateJson({AppJson(
        "/web", {service_port_},
        Labels({{"HAPROXY_0_VHOST", "web.example.com"}}),
        {{"127.0.0.2", {31001}}})}));
  }

  void ExpectValidConfigWithTimeout(int ms) {
    const std::string cfg = Config();
    const std::string backend = "web_" + std::to_string(service_port_);
    EXPECT_THAT(cfg, HasSubstr("\nbackend " + backend +
                               "\n  balance roundrobin\n  mode http\n"
                               "  timeout server " + std::to_string(ms) +
                               "ms\n"))
        << cfg;
    const RunResult check = RunBounded({HaproxyBinary(), "-c", "-f", cfg_},
                                       dir_->File("haproxy-c.log"));
    EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << cfg;
  }

  // The mlb-templates-* dirs marathon-lb made in $TMPDIR (set to dir_ by
  // SetUp), with their permissions.
  std::vector<std::pair<std::string, std::filesystem::perms>> ExtractDirs() {
    std::vector<std::pair<std::string, std::filesystem::perms>> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_->path())) {
      if (e.path().filename().string().rfind("mlb-templates-", 0) == 0) {
        out.emplace_back(e.path().string(), e.status().permissions());
      }
    }
    return out;
  }

  void SetUp() override {
    IntegrationTest::SetUp();
    const char* tmp = std::getenv("TMPDIR");
    saved_tmpdir_ = tmp != nullptr ? std::optional<std::string>(tmp)
                                   : std::nullopt;
    setenv("TMPDIR", dir_->path().c_str(), 1);  // inherited by marathon-lb
  }
  void TearDown() override {
    unsetenv("MESOS_SANDBOX");
    if (saved_tmpdir_) {
      setenv("TMPDIR", saved_tmpdir_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
    IntegrationTest::TearDown();
  }

  int service_port_ = 10001;
  std::optional<std::string> saved_tmpdir_;
};

// 11. file:// with the right pin: the archive's BACKEND_HEAD is in the
// config; the --templates-dir files (HEAD, frontends) still apply.
TEST_F(TemplateUrlTest, FileUrlWithPinOverridesBackendHead) {
  const std::string tgz = dir_->File("templates.tgz");
  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7001));
  const std::string sha = Sha256Hex(ReadFile(tgz));
  const RunResult run =
      RunMarathonLb(WebState(), "true",
                    {"--template-url", "file://" + tgz, "--template-sha256",
                     sha});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectValidConfigWithTimeout(7001);
  EXPECT_THAT(Config(), HasSubstr("\n  bind 127.0.0.1:" +
                                  std::to_string(http_port_) + "\n"));
  EXPECT_THAT(run.output, HasSubstr(" into " + dir_->path() +
                                    "/mlb-templates-"));
  // The private extraction dir is gone after exit.
  EXPECT_TRUE(ExtractDirs().empty());
}

// 12. http:// through a redirect.
TEST_F(TemplateUrlTest, HttpUrlThroughRedirect) {
  const std::string tgz = dir_->File("templates.tgz");
  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7002));
  mlb::testing::TestHttpServer server(TarballServer(tgz));
  const RunResult run = RunMarathonLb(
      WebState(), "true", {"--template-url", server.url("/latest")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectValidConfigWithTimeout(7002);
}

// 13. A hostile archive or a wrong pin at start-up: exit 1, the error names
// the URL and the entry, no config is written.
TEST_F(TemplateUrlTest, HostileTarballAtStartupExitsNonZero) {
  const std::string tgz = dir_->File("templates.tgz");
  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7003, "/etc"));
  RunResult run = RunMarathonLb(WebState(), "true",
                                {"--template-url", "file://" + tgz});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "template archive file://" + tgz +
                             ": entry 'templates/esc': symbolic link to the "
                             "absolute path '/etc'"))
      << run.output;
  EXPECT_FALSE(FileExists(cfg_));
  EXPECT_TRUE(ExtractDirs().empty());  // the partial dir was removed

  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7003));
  run = RunMarathonLb(WebState(), "true",
                      {"--template-url", "file://" + tgz, "--template-sha256",
                       std::string(64, '0')});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "template archive file://" + tgz +
                             ": sha256 mismatch: expected " +
                             std::string(64, '0') + ", got " +
                             Sha256Hex(ReadFile(tgz))))
      << run.output;
  EXPECT_FALSE(FileExists(cfg_));
}

// 14. $MESOS_SANDBOX/templates wins over --templates-dir, the archive wins
// over both.
TEST_F(TemplateUrlTest, SandboxTemplatesLayerBetweenDirAndArchive) {
  const std::string sandbox = dir_->File("sandbox");
  std::filesystem::create_directories(sandbox + "/templates");
  WriteFile(sandbox + "/templates/HAPROXY_BACKEND_HEAD", BackendHead(7010));
  WriteTemplate("BACKEND_HEAD", BackendHead(7009));
  setenv("MESOS_SANDBOX", sandbox.c_str(), 1);
  RunResult run = RunMarathonLb(WebState());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectValidConfigWithTimeout(7010);

  const std::string tgz = dir_->File("templates.tgz");
  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7011));
  run = RunMarathonLb(WebState(), "true", {"--template-url", "file://" + tgz});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectValidConfigWithTimeout(7011);
}

// 15. Running (poll with an interval): SIGHUP fetches the archive again. A
// good one is applied at once; a refused one is logged and the templates in
// use stay.
TEST_F(TemplateUrlTest, SighupRefetchesAndKeepsLastGoodOnRefusal) {
  const std::string tgz = dir_->File("templates.tgz");
  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7004));
  mlb::testing::TestHttpServer server(TarballServer(tgz));
  const std::string url = server.url("/templates.tgz");
  ScopedProcess mlb(
      {mlb_binary_, "poll", "--poll-interval", "300", "--marathon", WebState(),
       "--haproxy-config", cfg_, "--group", kGroup, "--templates-dir",
       templates_dir_, "--plugin-dir", plugin_dir_, "--ssl-certs", cert_,
       "--syslog-socket", "/dev/null", "--command", "true", "--template-url",
       url},
      dir_->File("marathon-lb-live.log"));
  auto has_timeout = [&](int ms) {
    return Config().find("  timeout server " + std::to_string(ms) + "ms\n") !=
           std::string::npos;
  };
  ASSERT_TRUE(WaitUntil([&] { return has_timeout(7004); }, Millis(10000)))
      << mlb.Output();

  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7005));
  kill(mlb.pid(), SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return has_timeout(7005); }, Millis(10000)))
      << mlb.Output();
  ExpectValidConfigWithTimeout(7005);

  ASSERT_NO_FATAL_FAILURE(MakeTarball(tgz, 7006, "../../.."));
  kill(mlb.pid(), SIGHUP);
  const std::string refused =
      "template archive " + url +
      ": entry 'templates/esc': symbolic link to '../../..' leads outside the "
      "archive; the templates in use stay";
  ASSERT_TRUE(WaitUntil([&] { return HasMessage(mlb.Output(), refused); },
                        Millis(10000)))
      << mlb.Output();
  EXPECT_TRUE(mlb.Running());
  ExpectValidConfigWithTimeout(7005);
  // One private dir (the last good archive's) while running, none after.
  const auto dirs = ExtractDirs();
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(dirs[0].second, std::filesystem::perms::owner_all);
  EXPECT_EQ(ReadFile(dirs[0].first + "/templates/HAPROXY_BACKEND_HEAD"),
            BackendHead(7005));
  mlb.Stop();
  EXPECT_TRUE(ExtractDirs().empty());
}

// --version prints "marathon-lb VERSION" (meson.build's, as Version()) and
// exits 0; the start-up log line names the version, the mode and the
// Marathons.
TEST_F(IntegrationTest, VersionIsPrintedAndInTheStartUpLine) {
  const RunResult version =
      RunBounded({mlb_binary_, "--version"}, dir_->File("version.log"));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output, std::string("marathon-lb ") + Version() + "\n");

  const std::string url = StateFile(StateJson({AppJson(
      "/web", {FreePort()}, Labels({}), {{"127.0.0.2", {31001}}})}));
  const RunResult run = RunMarathonLb(url);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(run.output, std::string("marathon-lb ") + Version() +
                                         " starting: mode poll, Marathon " +
                                         url))
      << run.output;
}

// A non-root Debian user has no /usr/sbin in PATH: without --haproxy-binary
// marathon-lb checks with /usr/sbin/haproxy all the same. A --haproxy-binary
// that does not exist is "not found", naming it, never "rejected".
TEST_F(IntegrationTest, HaproxyOutsidePathIsFoundAndAMissingOneIsNotFound) {
  // This PATH without its directories that hold a haproxy.
  std::string path;
  for (const std::string& d : Split(std::getenv("PATH"), ':')) {
    if (!d.empty() && !FileExists(d + "/haproxy")) {
      path += (path.empty() ? "" : ":") + d;
    }
  }
  std::string env;
  ASSERT_TRUE(FindExecutable("env", {}, &env).ok());
  const std::string url = StateFile(StateJson({AppJson(
      "/web", {FreePort()}, Labels({}), {{"127.0.0.2", {31001}}})}));
  const auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        env,           "PATH=" + path,  mlb_binary_,       "poll",
        "--marathon",  url,             "--haproxy-config", cfg_,
        "--group",     kGroup,          "--templates-dir",  templates_dir_,
        "--plugin-dir", plugin_dir_,    "--ssl-certs",      cert_,
        "--syslog-socket", "/dev/null", "--command",        "true"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunBounded(argv, dir_->File("marathon-lb-" +
                                       std::to_string(++mlb_runs_) + ".log"));
  };
  const RunResult found = run({});
  EXPECT_EQ(found.exit_code, 0) << found.output;
  EXPECT_THAT(LogMessages(found.output),
              Contains(StartsWith("wrote " + cfg_ + " (1 apps, 1 service "
                                  "ports, ")))
      << found.output;
  EXPECT_THAT(Config(), HasSubstr("\nbackend web_"));

  const std::string missing = dir_->File("no-such-haproxy");
  std::filesystem::remove(cfg_);
  const RunResult not_found = run({"--haproxy-binary", missing});
  EXPECT_EQ(not_found.exit_code, 1) << not_found.output;
  EXPECT_TRUE(HasMessage(not_found.output,
                         "cannot check the config: " + missing +
                             " not found (see --haproxy-binary); the live "
                             "config is unchanged"))
      << not_found.output;
  EXPECT_THAT(not_found.output, Not(HasSubstr("rejected")));
  EXPECT_FALSE(FileExists(cfg_));
}

// marathon-lb in sse mode on marathon-sim, owning a real HAProxy (the
// loopback HEAD: maxconn 200), its admin server on a free port.
class AdminLbTest : public IntegrationTest {
 protected:
  void TearDown() override {
    mlb_.reset();  // SIGTERM: marathon-lb stops its HAProxy
    IntegrationTest::TearDown();
  }

  // Starts it on `url` and waits for its first config to be live.
  void StartLb(const std::string& url) {
    admin_port_ = FreePort();
    mlb_ = std::make_unique<ScopedProcess>(
        std::vector<std::string>{
            mlb_binary_, "sse", "--marathon", url, "--haproxy-config", cfg_,
            "--group", kGroup, "--templates-dir", templates_dir_,
            "--plugin-dir", plugin_dir_, "--ssl-certs", cert_,
            "--syslog-socket", "/dev/null", "--run-haproxy",
            "--admin-address", "127.0.0.1:" + std::to_string(admin_port_)},
        dir_->File("marathon-lb.log"));
    ASSERT_TRUE(WaitUntil(
        [&] {
          return !mlb_->Running() ||
                 (Accepts("127.0.0.1", appid_port_) &&
                  StatusJson()->optValue("generation", 0) == 1);
        },
        Millis(15000)))
        << mlb_->Output();
    ASSERT_TRUE(mlb_->Running()) << mlb_->Output();
  }

  HttpResponse Admin(const std::string& path) {
    return HttpCall("GET", "127.0.0.1", admin_port_, path, "", {},
                    Millis(5000));
  }

  // /status, or an empty object if it did not answer with JSON.
  Poco::JSON::Object::Ptr StatusJson() {
    try {
      return Poco::JSON::Parser()
          .parse(Admin("/status").body)
          .extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      return new Poco::JSON::Object;
    }
  }

  int admin_port_ = 0;
  std::unique_ptr<ScopedProcess> mlb_;
};

// Issue 15: a config haproxy -c refuses as a whole is not live. In the
// update below, the first check names /bad-timeout's line (dropped), the
// second /bad-backend's, the only port left: nothing goes live. /status
// keeps the live config's ports (/web routed, nothing refused), with the
// refused attempt's error.
TEST_F(AdminLbTest, AWhollyRefusedConfigLeavesTheLivePortsInStatus) {
  const TaskSpec nowhere{"127.0.0.3", {FreePort()}};
  const int web_port = FreePort();
  const int timeout_port = FreePort();
  const std::string url = StartSim(StateJson(
      {AppJson("/web", {web_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {nowhere})}));
  const int sim_port = std::stoi(url.substr(url.rfind(':') + 1));
  ASSERT_NO_FATAL_FAILURE(StartLb(url));
  const Poco::JSON::Object::Ptr live = StatusJson();
  const std::string live_config = Config();
  const std::string web_since = live->getObject("apps")
                                    ->getObject("/web")
                                    ->getArray("ports")
                                    ->getObject(0)
                                    ->getValue<std::string>("since");

  const HttpResponse posted = HttpCall(
      "POST", "127.0.0.1", sim_port, "/_sim/apps",
      StateJson({AppJson("/bad-backend", {FreePort()},
                         Labels({{"HAPROXY_0_VHOST", "bad-backend.example.com"},
                                 {"HAPROXY_0_HTTP_FRONTEND_ACL",
                                  "  acl host_{cleanedUpHostname} hdr(host) "
                                  "-i {hostname}\n  use_backend "
                                  "no_such_backend if "
                                  "host_{cleanedUpHostname}\n"}}),
                         {nowhere}),
                 AppJson("/bad-timeout", {timeout_port},
                         Labels({{"HAPROXY_0_MODE", "http"},
                                 {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                                  "  option forwardfor\n  timeout server "
                                  "5zz\n"}}),
                         {nowhere})}),
      {}, Millis(5000));
  ASSERT_EQ(posted.status, 200) << posted.Describe();
  ASSERT_TRUE(WaitUntil(
      [&] { return StatusJson()->optValue("failed_syncs", 0) == 1; },
      Millis(15000)))
      << mlb_->Output();
  // The second check's config: /bad-timeout left out, /bad-backend in.
  const std::string rejected = ReadFile(cfg_ + ".rejected");
  EXPECT_THAT(rejected, HasSubstr("no_such_backend"));
  EXPECT_THAT(rejected, Not(HasSubstr("5zz")));
  EXPECT_TRUE(std::regex_search(
      mlb_->Output(),
      std::regex("app /bad-timeout, service port " +
                 std::to_string(timeout_port) +
                 ": haproxy -c refused its lines \\(parsing "
                 "\\[[^\\]]+:[0-9]+\\] : unexpected character 'z' in "
                 "'timeout server'\\); dropped until the app changes them or "
                 "SIGHUP; service port skipped")))
      << mlb_->Output();

  const Poco::JSON::Object::Ptr status = StatusJson();
  EXPECT_EQ(status->getValue<std::string>("last_error"),
            "haproxy -c rejected the new config, kept in " + cfg_ +
                ".rejected; the live config is unchanged");
  EXPECT_EQ(status->getArray("refused_service_ports")->size(), 0u)
      << Admin("/status").body;
  const Poco::JSON::Object::Ptr apps = status->getObject("apps");
  std::vector<std::string> ids;
  apps->getNames(ids);
  ASSERT_EQ(ids, std::vector<std::string>{"/web"}) << Admin("/status").body;
  const Poco::JSON::Array::Ptr ports =
      apps->getObject("/web")->getArray("ports");
  ASSERT_EQ(ports->size(), 1u);
  EXPECT_EQ(ports->getObject(0)->getValue<int>("service_port"), web_port);
  EXPECT_EQ(ports->getObject(0)->getValue<std::string>("state"), "routed");
  EXPECT_EQ(ports->getObject(0)->getValue<std::string>("since"), web_since);
  EXPECT_EQ(status->getValue<std::string>("config_sha256"),
            live->getValue<std::string>("config_sha256"));
  EXPECT_EQ(status->getValue<int>("generation"), 1);
  EXPECT_EQ(Config(), live_config);
}

// docs/operations.md's table of /metrics against a running marathon-lb's
// /metrics, read back by the Prometheus parser: every documented metric is
// exposed with its documented type (and label values), and every family
// exposed is documented.
TEST_F(AdminLbTest, MetricsAreTheOnesTheOperationsGuideDocuments) {
  const std::string url = StartSim(StateJson(
      {AppJson("/web", {FreePort()}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.3", {FreePort()}}})}));
  ASSERT_NO_FATAL_FAILURE(StartLb(url));
  const HttpResponse metrics = Admin("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.Describe();
  // "family type sample {label=value,...} value" per sample.
  std::map<std::string, std::string> exposed;               // family: type
  std::map<std::string, std::set<std::string>> label_sets;  // sample: labels
  for (const std::string& line :
       Lines(mlb::testing::PrometheusParsed(metrics.body))) {
    const std::vector<std::string> words = Split(line, ' ');
    ASSERT_EQ(words.size(), 5u) << line;
    exposed[words[0]] = words[1];
    label_sets[words[2]].insert(words[3]);
  }

  // | `marathonlb_syncs_total{result="ok"\|"failed"}` | counter | ... |
  const std::regex row(
      "^ *\\| `(marathonlb_[a-z_]+)(\\{([a-z_]+)=([^`]*)\\})?` \\| ([a-z]+) "
      "\\|.*");
  std::map<std::string, std::string> documented;  // family: type
  for (const std::string& line :
       Lines(ReadFile(RequiredEnv("MLB_SOURCE_DIR") + "/docs/operations.md"))) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) {
      continue;
    }
    const std::string name = m[1];
    const std::string type = m[5];
    // The parser names a counter's family without its _total.
    const std::string family =
        type == "counter" ? std::regex_replace(name, std::regex("_total$"), "")
                          : name;
    documented[family] = type;
    EXPECT_EQ(exposed.count(family) ? exposed[family] : "(not exposed)", type)
        << name;
    if (m[2].matched) {
      // result="ok"\|"failed": {result=ok} and {result=failed}.
      std::set<std::string> want;
      const std::string values = m[4];
      const std::regex quoted("\"([^\"]*)\"");
      for (auto it = std::sregex_iterator(values.begin(), values.end(), quoted);
           it != std::sregex_iterator(); ++it) {
        want.insert("{" + m[3].str() + "=" + (*it)[1].str() + "}");
      }
      EXPECT_EQ(label_sets[name], want) << name;
    }
  }
  EXPECT_EQ(documented, exposed) << metrics.body;
}

}  // namespace
}  // namespace mlb::integration
