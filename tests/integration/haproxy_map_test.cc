// --haproxy-map end to end, as marathon-lb 1.15: vhosts without path or auth
// (on :80 also without redirect) and every http app id are lines of
// domain2backend.map / app2backend.map beside the config, each frontend has
// one map lookup after its ACL rules, and the maps are checked and put in
// place together with the config. A real HAProxy on 127.0.0.1 routes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/haproxy/tls_certs.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"
#include "tests/support/tls_client.h"

namespace mlb::integration {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class HaproxyMapTest : public EndToEndTest {
 protected:
  void SetUp() override {
    EndToEndTest::SetUp();
    cert_ = dir_->File("lb.pem");
    ASSERT_TRUE(GenerateSelfSignedCertificate(cert_, "lb.test", 2).ok());
    http_port_ = FreePort();
    appid_port_ = FreePort();
    https_port_ = FreePort();
    WriteLoopbackFrontends(http_port_, appid_port_, https_port_);
  }

  void TearDown() override {
    haproxy_.reset();
    echoes_.clear();
  }

  // One `marathon-lb poll --haproxy-map` update of `state` into cfg_.
  RunResult Poll(const std::string& state, const std::string& command = "true") {
    const std::string state_file = dir_->File("state.json");
    AtomicWrite(state_file, state);
    return RunBounded(
        {mlb_binary_, "poll", "--marathon", "file:" + state_file,
         "--haproxy-config", cfg_, "--group", "external", "--templates-dir",
         templates_dir_, "--plugin-dir", plugin_dir_, "--ssl-certs", cert_,
         "--syslog-socket", "/dev/null", "--command", command,
         "--haproxy-map"},
        dir_->File("marathon-lb-" + std::to_string(++runs_) + ".log"));
  }

  void StartHaproxy() {
    haproxy_ = StartLoopbackHaproxy(cfg_, dir_->File("haproxy.pid"),
                                    dir_->File("haproxy.log"),
                                    {appid_port_, https_port_});
  }

  // Who answers a GET: the echo backend's name, else "HTTP <status>".
  static std::string Who(const HttpResponse& r) {
    if (r.status == 200 && !r.Backend().empty()) {
      return r.Backend();
    }
    return r.status != 0 ? "HTTP " + std::to_string(r.status)
                         : "error: " + r.error;
  }
  std::string Via80(const std::string& host, const std::string& path = "/") {
    return Who(HttpGet("127.0.0.1", http_port_, path, host));
  }
  std::string Via9091(const std::string& app_id) {
    return Who(HttpGet("127.0.0.1", appid_port_, "/", "lb.test",
                       {{"X-Marathon-App-Id", app_id}}));
  }
  std::string Via443(const std::string& sni) {
    const TlsReply r = HttpsGet("127.0.0.1", https_port_, sni, sni);
    if (!r.error.empty()) {
      return "error: " + r.error;
    }
    return r.status == 200 ? r.backend : "HTTP " + std::to_string(r.status);
  }

  std::string Map(const std::string& name) const {
    return ReadFile(dir_->File(name));
  }
  std::string HaproxyLog() const {
    return haproxy_ ? haproxy_->Output() : std::string("(not started)");
  }

  // The lines of section `key` ("frontend marathon_http_in") of cfg_.
  std::vector<std::string> SectionLines(const std::string& key) const {
    std::vector<std::string> out;
    bool in = false;
    for (const std::string& line : Lines(ReadFile(cfg_))) {
      if (!line.empty() && line[0] != ' ') {
        in = line == key;
        continue;
      }
      if (in && !line.empty()) {
        out.push_back(line);
      }
    }
    return out;
  }

  std::string cert_;
  int http_port_ = 0, appid_port_ = 0, https_port_ = 0;
  int runs_ = 0;
  std::unique_ptr<ScopedProcess> haproxy_;
};

// Every routing case of 1.15's map mode at once: plain vhosts (one or
// several) through the map, path, auth and redirect ports through their
// ACLs before the map lookup, app ids through app2backend.map.
TEST_F(HaproxyMapTest, HostsSniAndAppIdsRouteThroughTheMaps) {
  const int api = FreePort(), auth = FreePort(), multi = FreePort(),
            secure = FreePort(), web = FreePort();
  const std::string state = StateJson(
      {EchoApp("/api", api, "api", "127.0.0.2",
           {{"HAPROXY_0_VHOST", "web.test"}, {"HAPROXY_0_PATH", "/api"}}),
       EchoApp("/auth", auth, "auth", "127.0.0.3",
           {{"HAPROXY_0_VHOST", "auth.test"},
            {"HAPROXY_0_AUTH", "realm:user:pass"}}),
       EchoApp("/multi", multi, "multi", "127.0.0.4",
           {{"HAPROXY_0_VHOST", "a.test,B.test"}}),
       EchoApp("/secure", secure, "secure", "127.0.0.5",
           {{"HAPROXY_0_VHOST", "sec.test"},
            {"HAPROXY_0_REDIRECT_TO_HTTPS", "true"}}),
       EchoApp("/web", web, "web", "127.0.0.6", {{"HAPROXY_0_VHOST", "Web.test"}})});
  const RunResult run = Poll(state);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto backend = [](const std::string& app, int port) {
    return app + "_" + std::to_string(port);
  };

  // Lines in service order, each once; the redirect port is in the map for
  // :443 only, the path and auth ports are not in it.
  EXPECT_EQ(Map("domain2backend.map"),
            "a.test " + backend("multi", multi) + "\n" +
            "b.test " + backend("multi", multi) + "\n" +
            "sec.test " + backend("secure", secure) + "\n" +
            "web.test " + backend("web", web) + "\n");
  EXPECT_EQ(Map("app2backend.map"),
            "/api " + backend("api", api) + "\n" +
            "/auth " + backend("auth", auth) + "\n" +
            "/multi " + backend("multi", multi) + "\n" +
            "/secure " + backend("secure", secure) + "\n" +
            "/web " + backend("web", web) + "\n");
  const std::string dir = std::filesystem::path(cfg_).parent_path().string();
  const std::string http_lookup =
      "  use_backend %[req.hdr(host),lower,regsub(:.*$,,),map(" + dir +
      "/domain2backend.map)]";
  const std::vector<std::string> http = SectionLines("frontend marathon_http_in");
  ASSERT_FALSE(http.empty()) << ReadFile(cfg_);
  EXPECT_EQ(http.back(), http_lookup) << ReadFile(cfg_);
  EXPECT_EQ(std::count(http.begin(), http.end(), http_lookup), 1);
  EXPECT_EQ(SectionLines("frontend marathon_https_in").back(),
            "  use_backend %[ssl_fc_sni,lower,map(" + dir +
                "/domain2backend.map)]");
  EXPECT_THAT(SectionLines("frontend marathon_http_appid_in"),
              ElementsAre(HasSubstr("bind "), "  mode http",
                          "  use_backend %[req.hdr(x-marathon-app-id),lower,"
                          "map(" + dir + "/app2backend.map)]"));

  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Via80("web.test"), "web") << HaproxyLog();
  EXPECT_EQ(Via80("WEB.test:8080"), "web");  // port stripped, lower-cased
  EXPECT_EQ(Via80("web.test", "/api/x"), "api");  // the path ACL comes first
  EXPECT_EQ(Via80("a.test"), "multi");
  EXPECT_EQ(Via80("b.test"), "multi");
  EXPECT_EQ(Via80("sec.test"), "HTTP 301");  // the redirect's ACL, not the map
  EXPECT_EQ(Via80("auth.test"), "HTTP 401");
  EXPECT_EQ(Via80("other.test"), "HTTP 503");
  EXPECT_EQ(Via443("web.test"), "web");
  EXPECT_EQ(Via443("B.test"), "multi");
  EXPECT_EQ(Via443("sec.test"), "secure");
  EXPECT_EQ(Via443("other.test"), "HTTP 503");
  EXPECT_EQ(Via9091("/web"), "web");
  EXPECT_EQ(Via9091("/MULTI"), "multi");  // the header is lower-cased
  EXPECT_EQ(Via9091("/nope"), "HTTP 503");
}

// A change only the maps show (a vhost renamed) is written and reloaded;
// a config HAProxy refuses leaves the live maps as they were, and no temp
// file stays behind.
TEST_F(HaproxyMapTest, MapsAreWrittenCheckedAndSwappedWithTheConfig) {
  const int port = FreePort();
  const int task = StartEcho("web", "127.0.0.2");
  const auto state = [&](const std::string& vhost) {
    return StateJson({AppJson(
        "/web", {port},
        {{"HAPROXY_GROUP", "external"}, {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
         {"HAPROXY_0_VHOST", vhost}},
        {{"127.0.0.2", {task}}})});
  };
  ASSERT_EQ(Poll(state("old.test")).exit_code, 0);
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Via80("old.test"), "web") << HaproxyLog();
  const std::string config = ReadFile(cfg_);

  const std::string reload =
      "kill -USR2 " + std::to_string(std::stoi(ReadFile(dir_->File("haproxy.pid"))));
  const RunResult renamed = Poll(state("new.test"), reload);
  ASSERT_EQ(renamed.exit_code, 0) << renamed.output;
  EXPECT_EQ(ReadFile(cfg_), config);  // the config text did not change
  EXPECT_EQ(Map("domain2backend.map"),
            "new.test web_" + std::to_string(port) + "\n");
  EXPECT_TRUE(HasMessage(renamed.output, "+new.test web_" + std::to_string(port)))
      << renamed.output;
  EXPECT_TRUE(WaitUntil([&] { return Via80("new.test") == "web"; },
                        Millis(5000), Millis(50)))
      << HaproxyLog();
  EXPECT_EQ(Via80("old.test"), "HTTP 503");

  // Unchanged: nothing written.
  const RunResult again = Poll(state("new.test"));
  EXPECT_THAT(LogMessages(again.output),
              Contains(StartsWith("config unchanged, skipping reload (")))
      << again.output;

  // haproxy -c refuses the next config: maps and config stay.
  WriteTemplate("BACKEND_HEAD", "\nbackend {backend}\n  no-such-keyword\n");
  const RunResult refused = Poll(state("refused.test"));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_EQ(Map("domain2backend.map"),
            "new.test web_" + std::to_string(port) + "\n");
  EXPECT_EQ(ReadFile(cfg_), config);
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(cfg_).parent_path())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".map."), std::string::npos) << name;
  }
}

// The DC/OS package's argument list (tools/dcos, rendered as Cosmos would,
// defaults plus strict mode: sse, --health-check, --haproxy-map,
// --max-reload-retries, --reload-interval, --strict-mode) starts and routes
// through the maps; only the port with ENABLED true is exposed.
TEST_F(HaproxyMapTest, DcosPackageArgumentsStartAndRoute) {
  const std::string state_file = dir_->File("state.json");
  AtomicWrite(state_file,
              StateJson({EchoApp("/hidden", FreePort(), "hidden", "127.0.0.2",
                             {{"HAPROXY_0_VHOST", "hidden.test"}}),
                         AppJson("/web", {FreePort()},
                                 {{"HAPROXY_GROUP", "external"},
                                  {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                  {"HAPROXY_0_VHOST", "web.test"},
                                  {"HAPROXY_0_ENABLED", "true"}},
                                 {{"127.0.0.3", {StartEcho("web", "127.0.0.3")}}})}));
  const std::string port_file = dir_->File("sim.port");
  ScopedProcess sim({sim_binary_, "--state", state_file, "--listen",
                     "127.0.0.1:0", "--port-file", port_file},
                    dir_->File("sim.log"));
  const std::string marathon = "http://" + WaitForPortFile(sim, port_file);

  const std::string options = dir_->File("options.json");
  WriteFile(options, "{\"marathon-lb\": {\"marathon-uri\": \"" + marathon +
                         "\", \"strict-mode\": true}}");
  const RunResult rendered = RunBounded(
      {"/usr/bin/python3", "-c",
       "import json, subprocess, sys\n"
       "app = json.loads(subprocess.run([sys.executable, sys.argv[1] + "
       "'/tools/dcos/render.py', '--json', '--strict', '--options', "
       "sys.argv[2], sys.argv[1] + '/tools/dcos'], check=True, "
       "capture_output=True, text=True).stdout)\n"
       "print('\\n'.join(app['args']))\n",
       RequiredEnv("MLB_SOURCE_DIR"), options},
      dir_->File("render.log"));
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  std::vector<std::string> argv = {mlb_binary_};
  for (const std::string& arg : Lines(rendered.output)) {
    if (!arg.empty()) {
      argv.push_back(arg);
    }
  }
  EXPECT_EQ(std::vector<std::string>(argv.begin() + 1, argv.end()),
            (std::vector<std::string>{
                "sse", "--marathon", marathon, "--health-check",
                "--haproxy-map", "--strict-mode", "--max-reload-retries", "10",
                "--reload-interval", "10", "--admin-address", "0.0.0.0:9092",
                "--group", "external"}));
  // Where the container would differ: files in the test directory, the
  // admin endpoint (the package's health check) on loopback.
  const auto admin = std::find(argv.begin(), argv.end(), "--admin-address");
  ASSERT_NE(admin, argv.end());
  *(admin + 1) = "127.0.0.1:" + std::to_string(FreePort());
  argv.insert(argv.end(),
              {"--haproxy-config", cfg_, "--templates-dir", templates_dir_,
               "--plugin-dir", plugin_dir_, "--ssl-certs", cert_,
               "--syslog-socket", "/dev/null", "--command", "true"});
  ScopedProcess lb(argv, dir_->File("marathon-lb.log"));
  ASSERT_TRUE(WaitUntil(
      [&] { return Map("domain2backend.map").find("web.test") != std::string::npos; },
      Millis(10000)))
      << lb.Output();
  EXPECT_EQ(Lines(Map("domain2backend.map")).size(), 1u) << Map("domain2backend.map");
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_TRUE(WaitUntil([&] { return Via80("web.test") == "web"; },
                        Millis(5000), Millis(50)))
      << HaproxyLog();
  EXPECT_EQ(Via80("hidden.test"), "HTTP 503");
  EXPECT_EQ(Via9091("/web"), "web");
}

// ---------------------------------------------------------------------------
// Review (review-parity): each test fails until the defect it is named after
// is fixed.

// HAProxy 2.6 reads map files with fgets() into a 16384-byte buffer: a line
// of 16383 characters or more is read as two lines. An app whose id is
// "/" + 16382 x 'a' + "/victim" (it sorts before "/victim") writes the map
// line "/aaa.../victim <its backend>", which HAProxy reads as "/aaa..." and
// "/victim <the first 16375 characters of its backend name>", ahead of the
// victim's own line (the first line of a key wins): X-Marathon-App-Id
// /victim now names no backend and gets a 503. Without --haproxy-map the
// ACL matches the whole id and the victim answers.
TEST_F(HaproxyMapTest, MapLineSplitLetsALongAppIdTakeAnotherAppsAppId) {
  const std::string attacker = "/" + std::string(16382, 'a') + "/victim";
  const RunResult run = Poll(StateJson(
      {EchoApp(attacker, FreePort(), "attacker", "127.0.0.2", {}),
       EchoApp("/victim", FreePort(), "victim", "127.0.0.3", {})}));
  ASSERT_EQ(run.exit_code, 0) << run.output.substr(0, 2000);
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Via9091("/victim"), "victim") << HaproxyLog().substr(0, 2000);
}

// The same split through a vhost label: the tenant's HAPROXY_0_VHOST of
// 16383 x 'x' + "victim.test" becomes the map entry "victim.test <tenant's
// backend>" on :80 and :443; the tenant's app id sorts first.
TEST_F(HaproxyMapTest, MapLineSplitLetsALongVhostTakeAnotherAppsHost) {
  const RunResult run = Poll(StateJson(
      {EchoApp("/tenant", FreePort(), "tenant", "127.0.0.2",
           {{"HAPROXY_0_VHOST", std::string(16383, 'x') + "victim.test"}}),
       EchoApp("/victim", FreePort(), "victim", "127.0.0.3",
           {{"HAPROXY_0_VHOST", "victim.test"}})}));
  ASSERT_EQ(run.exit_code, 0) << run.output.substr(0, 2000);
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Via80("victim.test"), "victim") << HaproxyLog().substr(0, 2000);
  EXPECT_EQ(Via443("victim.test"), "victim");
}

// HAPROXY_{n}_BIND_OPTIONS values that pass the keyword table's checks but
// that haproxy -c refuses ("'nice' : invalid value 2000, allowed range is
// -1024..1024"; "Couldn't open the ca-file '/etc/passwd' (no certificate or
// crl found)"): one tenant's label makes every update fail, so no app's
// change reaches HAProxy. The bad ports must be dropped, the others served.
TEST_F(HaproxyMapTest, BindOptionsHaproxyRefusesFreezeEveryAppsUpdates) {
  const int web = FreePort();
  const RunResult run = Poll(StateJson(
      {EchoApp("/bad-ca", FreePort(), "bad-ca", "127.0.0.2",
           {{"HAPROXY_0_BIND_OPTIONS", "ca-file /etc/passwd"}}),
       EchoApp("/bad-nice", FreePort(), "bad-nice", "127.0.0.3",
           {{"HAPROXY_0_BIND_OPTIONS", "nice 2000"}}),
       EchoApp("/web", web, "web", "127.0.0.4", {{"HAPROXY_0_VHOST", "web.test"}})}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string config = ReadFile(cfg_);
  EXPECT_THAT(config, HasSubstr("\nfrontend web_" + std::to_string(web) + "\n"));
  EXPECT_EQ(config.find("\nfrontend bad-ca_"), std::string::npos);
  EXPECT_EQ(config.find("\nfrontend bad-nice_"), std::string::npos);
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Via80("web.test"), "web") << HaproxyLog();
}

// A --haproxy-config directory a map lookup line cannot carry (a space
// splits its word) is refused with an error naming it, every update, rather
// than making haproxy -c refuse every config: the live config stays.
TEST_F(HaproxyMapTest, ConfigDirWithASpaceIsRefusedByName) {
  const std::string dir = dir_->File("my lb");
  std::filesystem::create_directory(dir);
  cfg_ = dir + "/haproxy.cfg";
  const RunResult run = Poll(StateJson(
      {EchoApp("/web", FreePort(), "web", "127.0.0.2", {{"HAPROXY_0_VHOST", "web.test"}})}));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("--haproxy-map: the directory of --haproxy-config, '" +
                        dir + "', has ' ', which a map lookup line cannot "
                        "carry; keep the config in another directory"))
      << run.output;
  EXPECT_FALSE(FileExists(cfg_));
}

}  // namespace
}  // namespace mlb::integration
