// Template packs end to end: the real marathon-lb loads the built-in packs
// and the example packs of plugins/examples/ from several --plugin-dirs,
// `marathon-lb plugins` lists them, and a real HAProxy on 127.0.0.1 runs what
// they render: HAPROXY_0_RATE_LIMIT answers 429 past the limit, a chosen
// backends pack balances by least connections.
//
// Nothing binds outside 127.0.0.0/8 (templates dir as in integration_test.cc);
// every test makes at most 30 requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string DirOf(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

std::map<std::string, std::string> Labels(
    std::map<std::string, std::string> extra) {
  extra.emplace("HAPROXY_GROUP", "external");
  extra.emplace("HAPROXY_0_BIND_ADDR", "127.0.0.1");
  return extra;
}

class PacksTest : public EndToEndTest {
 protected:
  void SetUp() override {
    EndToEndTest::SetUp();
    builtin_dir_ = plugin_dir_;
    rate_limit_dir_ = DirOf(RequiredEnv("MLB_RATE_LIMIT_PACK"));
    backends_alt_dir_ = DirOf(RequiredEnv("MLB_BACKENDS_ALT_PACK"));
    pid_file_ = dir_->File("haproxy.pid");
    appid_port_ = FreePort();
    // Loopback HEAD and :9091 frontend; Poll() binds no :80 / :443.
    WriteTemplate("HEAD", LoopbackHead(dir_->File("haproxy.sock")));
    WriteTemplate("HTTP_FRONTEND_APPID_HEAD",
                  LoopbackFrontendHead("marathon_http_appid_in", appid_port_));
  }

  void TearDown() override {
    haproxy_.reset();
    echoes_.clear();
  }

  // marathon-lb with `args` after the common ones.
  RunResult RunMarathonLb(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {mlb_binary_};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* arg : {"--templates-dir", "--syslog-socket",
                            "--log-level"}) {
      argv.push_back(arg);
      argv.push_back(arg == std::string("--templates-dir") ? templates_dir_
                     : arg == std::string("--syslog-socket") ? "/dev/null"
                                                             : "info");
    }
    return RunBounded(
        argv, dir_->File("marathon-lb-" + std::to_string(++runs_) + ".log"));
  }

  // One `marathon-lb poll` update of `state` into cfg_, with `extra` flags.
  RunResult Poll(const std::string& state,
                 const std::vector<std::string>& extra) {
    const std::string state_file = dir_->File("state.json");
    AtomicWrite(state_file, state);
    std::vector<std::string> args = {"poll",     "--marathon",
                                     "file:" + state_file,
                                     "--haproxy-config", cfg_,
                                     "--group",  "external",
                                     "--dont-bind-http-https",
                                     "--command", "true"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunMarathonLb(args);
  }

  void StartHaproxy() {
    haproxy_ = StartLoopbackHaproxy(cfg_, pid_file_, dir_->File("haproxy.log"),
                                    {appid_port_});
  }


  // Statuses of `count` GETs on 127.0.0.1:port, each on a new connection.
  std::vector<int> Statuses(int port, int count) {
    std::vector<int> out;
    for (int i = 0; i < count; ++i) {
      out.push_back(HttpGet("127.0.0.1", port, "/", "packs.test").status);
    }
    return out;
  }

  std::string HaproxyLog() const {
    return haproxy_ ? haproxy_->Output() : std::string("(not started)");
  }

  std::string builtin_dir_, rate_limit_dir_, backends_alt_dir_;
  std::string pid_file_;
  int appid_port_ = 0;
  int runs_ = 0;
  std::unique_ptr<ScopedProcess> haproxy_;
};

// HAPROXY_0_RATE_LIMIT=5: five requests pass, then 429, while an app without
// the label is never refused; a bad value drops only its own service port.
TEST_F(PacksTest, RateLimitPackAnswers429PastTheLimit) {
  const int limited1 = StartEcho("limited-1", "127.0.0.2");
  const int free1 = StartEcho("free-1", "127.0.0.3");
  const int limited_port = FreePort();
  const int free_port = FreePort();
  const std::string state = StateJson(
      {AppJson("/broken", {FreePort()},
               Labels({{"HAPROXY_0_MODE", "http"},
                       {"HAPROXY_0_RATE_LIMIT", "lots"}}),
               {{"127.0.0.3", {free1}}}),
       AppJson("/free", {free_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.3", {free1}}}),
       AppJson("/limited", {limited_port},
               Labels({{"HAPROXY_0_MODE", "http"},
                       {"HAPROXY_0_RATE_LIMIT", "5"}}),
               {{"127.0.0.2", {limited1}}})});

  const RunResult run = Poll(state, {"--plugin-dir", builtin_dir_,
                                     "--plugin-dir", rate_limit_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(run.output,
                         "app /broken, service port index 0: label "
                         "HAPROXY_0_RATE_LIMIT: 'lots' is not an integer; "
                         "service port skipped"))
      << run.output;
  const std::string cfg = ReadFile(cfg_);
  const std::string limited = "limited_" + std::to_string(limited_port);
  EXPECT_THAT(cfg, HasSubstr("\nbackend " + limited +
                             "\n"
                             "  balance roundrobin\n"
                             "  mode http\n"
                             "  option forwardfor\n"
                             "  http-request set-header X-Forwarded-Port "
                             "%[dst_port]\n"
                             "  http-request add-header X-Forwarded-Proto "
                             "https if { ssl_fc }\n"
                             "  stick-table type ip size 100k expire 30s "
                             "store http_req_rate(10s)\n"
                             "  http-request track-sc0 src\n"
                             "  http-request deny deny_status 429 if { "
                             "sc_http_req_rate(0) gt 5 }\n"
                             "  server 127_0_0_2_" +
                             std::to_string(limited1) + " 127.0.0.2:" +
                             std::to_string(limited1) + " id "));
  // One stick-table: /free's backend has none, /broken has no backend.
  EXPECT_EQ(cfg.find("stick-table"), cfg.rfind("stick-table")) << cfg;
  EXPECT_THAT(cfg, Not(HasSubstr("broken")));
  ASSERT_NO_THROW(StartHaproxy());

  const HttpResponse first = HttpGet("127.0.0.1", limited_port, "/", "x");
  EXPECT_EQ(first.Backend(), "limited-1") << first.Describe();
  const std::vector<int> limited_statuses = Statuses(limited_port, 7);
  EXPECT_EQ(limited_statuses,
            (std::vector<int>{200, 200, 200, 200, 429, 429, 429}))
      << HaproxyLog();
  EXPECT_EQ(Statuses(free_port, 12), std::vector<int>(12, 200))
      << HaproxyLog();
}

// backends_alt chosen over the built-in backends pack: balance leastconn in
// the config, and the route still answers.
TEST_F(PacksTest, ChosenBackendsPackRendersAndRoutes) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web_port = FreePort();
  const std::string state = StateJson({AppJson(
      "/web", {web_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
      {{"127.0.0.2", {web1}}})});
  const std::vector<std::string> dirs = {"--plugin-dir", builtin_dir_,
                                         "--plugin-dir", backends_alt_dir_};

  // Both packs, no choice: marathon-lb refuses to start and says how to pick.
  RunResult run = Poll(state, dirs);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(HasMessage(
      run.output,
      "family 'backends' is provided by 2 packs: io.mlb.builtin 2.0.0 (" +
          builtin_dir_ + "/mlb_backends.so) and com.example.backends_alt "
          "1.0.0 (" + backends_alt_dir_ + "/backends_alt.so); choose one "
          "with --family-pack backends=io.mlb.builtin or --family-pack "
          "backends=com.example.backends_alt"))
      << run.output;
  EXPECT_FALSE(FileExists(cfg_));

  // A choice naming no loaded pack is an error too.
  std::vector<std::string> typo = dirs;
  typo.insert(typo.end(), {"--family-pack", "backends=com.example.typo"});
  run = Poll(state, typo);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(HasMessage(
      run.output,
      "--family-pack backends=com.example.typo: no loaded pack for family "
      "'backends' is named com.example.typo (loaded: io.mlb.builtin from " +
          builtin_dir_ + "/mlb_backends.so, com.example.backends_alt from " +
          backends_alt_dir_ + "/backends_alt.so)"))
      << run.output;

  std::vector<std::string> chosen = dirs;
  chosen.insert(chosen.end(),
                {"--family-pack", "backends=com.example.backends_alt"});
  run = Poll(state, chosen);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string cfg = ReadFile(cfg_);
  EXPECT_THAT(cfg, HasSubstr("\nbackend web_" + std::to_string(web_port) +
                             "\n  balance leastconn\n  mode http\n"
                             "  option forwardfor\n"));
  EXPECT_THAT(cfg, Not(HasSubstr("balance roundrobin")));
  ASSERT_NO_THROW(StartHaproxy());
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = HttpGet("127.0.0.1", web_port, "/", "web.test");
    EXPECT_EQ(r.status, 200) << r.Describe() << "\n" << HaproxyLog();
    EXPECT_EQ(r.Backend(), "web-1");
  }
  const HttpResponse by_id =
      HttpGet("127.0.0.1", appid_port_, "/", "lb.test",
              {{"X-Marathon-App-Id", "/web"}});
  EXPECT_EQ(by_id.Backend(), "web-1") << by_id.Describe();
}

// A --plugin-dir listed before the built-in one, holding a world-writable
// pack, a FIFO named *.so and a pack that declares a built-in template
// name: marathon-lb logs each refusal with the file and the reason, starts
// with the built-in packs, writes the config and HAProxy routes with it.
TEST_F(PacksTest, UnsafeAndConflictingPacksAreRefusedAndTheConfigIsWritten) {
  const std::string extra = dir_->File("extra");
  std::filesystem::create_directory(extra);
  std::filesystem::copy_file(RequiredEnv("MLB_RATE_LIMIT_PACK"),
                             extra + "/rate_limit.so");
  std::filesystem::permissions(extra + "/rate_limit.so",
                               std::filesystem::perms(0666));
  ASSERT_EQ(mkfifo((extra + "/fifo.so").c_str(), 0644), 0);
  std::filesystem::copy_file(
      RequiredEnv("MLB_BAD_PLUGIN_DIR") + "/bad_duplicate_template.so",
      extra + "/bad_duplicate_template.so");
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web_port = FreePort();
  const std::string state = StateJson({AppJson(
      "/web", {web_port}, Labels({{"HAPROXY_0_MODE", "http"}}),
      {{"127.0.0.2", {web1}}})});

  const RunResult run =
      Poll(state, {"--plugin-dir", extra, "--plugin-dir", builtin_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const std::string& refusal :
       {"plugin " + extra + "/fifo.so: not a regular file (a FIFO)",
        "plugin " + extra +
            "/rate_limit.so: writable by other users (mode 0666)",
        "plugin " + extra +
            "/bad_duplicate_template.so: template BACKEND_HEAD is already "
            "provided by pack io.mlb.builtin (family backends)"}) {
    EXPECT_TRUE(HasMessage(run.output, refusal)) << refusal << "\n"
                                                 << run.output;
  }
  const std::string cfg = ReadFile(cfg_);
  EXPECT_THAT(cfg, HasSubstr("\nbackend web_" + std::to_string(web_port) +
                             "\n  balance roundrobin\n"));
  EXPECT_THAT(cfg, Not(HasSubstr("stick-table")));
  ASSERT_NO_THROW(StartHaproxy());
  const HttpResponse r = HttpGet("127.0.0.1", web_port, "/", "web.test");
  EXPECT_EQ(r.Backend(), "web-1") << r.Describe() << "\n" << HaproxyLog();
}

// The sticky family implemented again by a third-party pack
// (tests/test_packs/sticky_again) and chosen with --family-pack: the config
// is the built-in pack's, byte for byte, and HAProxy keeps a client that
// sends the cookie on the server the cookie names.
TEST_F(PacksTest, StickyFromAnotherPackRendersTheSameConfigAndSticks) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web_port = FreePort();
  const std::string state = StateJson({AppJson(
      "/web", {web_port},
      Labels({{"HAPROXY_0_MODE", "http"}, {"HAPROXY_0_STICKY", "true"}}),
      {{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}})});
  RunResult run = Poll(state, {"--plugin-dir", builtin_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string builtin = ReadFile(cfg_);
  std::filesystem::remove(cfg_);
  run = Poll(state, {"--plugin-dir", builtin_dir_, "--plugin-dir",
                     DirOf(RequiredEnv("MLB_STICKY_AGAIN_PACK")),
                     "--family-pack", "sticky=test.sticky_again"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string again = ReadFile(cfg_);
  EXPECT_EQ(again, builtin);
  EXPECT_THAT(again, HasSubstr("  cookie mesosphere_server_id insert indirect "
                               "nocache dynamic\n"));

  ASSERT_NO_THROW(StartHaproxy());
  // The cookie HAProxy sets names one server; with it, every request goes
  // there.
  const HttpResponse first = HttpGet("127.0.0.1", web_port, "/", "web.test");
  ASSERT_EQ(first.status, 200) << first.Describe() << "\n" << HaproxyLog();
  const std::vector<std::string> cookies = first.HeaderValues("Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u) << first.Describe();
  const std::string cookie = cookies[0].substr(0, cookies[0].find(';'));
  EXPECT_EQ(cookie.rfind("mesosphere_server_id=", 0), 0u) << cookie;
  for (int i = 0; i < 6; ++i) {
    const HttpResponse r = HttpGet("127.0.0.1", web_port, "/", "web.test",
                                   {{"Cookie", cookie}});
    EXPECT_EQ(r.Backend(), first.Backend()) << r.Describe();
  }
}

// `marathon-lb reference` prints docs/reference.md as it is checked in.
TEST_F(PacksTest, ReferenceModePrintsTheCheckedInReference) {
  const RunResult run = RunMarathonLb({"reference", "--plugin-dir",
                                       builtin_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::string printed;
  for (const std::string& line : Lines(run.output)) {
    if (line.find(" marathon_lb: ") == std::string::npos) {
      printed += line + "\n";
    }
  }
  EXPECT_EQ(printed, ReadFile(RequiredEnv("MLB_SOURCE_DIR") +
                              "/docs/reference.md"));
}

// `marathon-lb plugins`: every pack, where it was found, what it provides and
// reads, which one is not chosen, and the refused files.
TEST_F(PacksTest, PluginsModeListsEveryPack) {
  const std::string junk_dir = dir_->File("junk");
  std::filesystem::create_directory(junk_dir);
  WriteFile(junk_dir + "/notes.so", "not a shared object\n");
  const RunResult run = RunMarathonLb(
      {"plugins", "--plugin-dir", builtin_dir_, "--plugin-dir",
       backends_alt_dir_, "--plugin-dir", rate_limit_dir_, "--plugin-dir",
       junk_dir, "--family-pack", "backends=io.mlb.builtin"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // stdout and stderr share the log: the listing is what is not a log line.
  std::string listing;
  for (const std::string& line : Lines(run.output)) {
    if (line.find(" marathon_lb: ") == std::string::npos) {
      listing += line + "\n";
    }
  }
  const std::string refusal_prefix =
      "  " + junk_dir + "/notes.so: not a readable shared object (";
  const std::string refusal = LineStartingWith(listing, refusal_prefix);
  ASSERT_NE(refusal, "") << listing;
  // The descriptions the built-in packs declare.
  const std::map<std::string, std::string> kAbout = {
      {"auth", "marathon-lb HTTP basic auth on the vhosts of a port"},
      {"backends",
       "marathon-lb backends: head, balance, http options, allowed source "
       "networks, server lines"},
      {"frontends",
       "marathon-lb frontends: :80 vhosts, :443 SNI, :9091 app id, one "
       "frontend per service port"},
      {"health_checks",
       "marathon-lb health checks: httpchk and server check options"},
      {"redirect", "marathon-lb HTTP to HTTPS redirects"},
      {"sticky", "marathon-lb sticky sessions: cookie insertion"}};
  const auto builtin = [&](const std::string& family,
                           const std::string& templates,
                           const std::string& labels) {
    return "\nfamily " + family + ": io.mlb.builtin 2.0.0, in use\n"
           "  about:     " + kAbout.at(family) + "\n"
           "  file:      " + builtin_dir_ + "/mlb_" + family + ".so\n"
           "  found in:  --plugin-dir " + builtin_dir_ + "\n"
           "  ABI:       2.3\n"
           "  templates: " + templates + "\n"
           "  labels:    " + labels + "\n";
  };
  EXPECT_EQ(
      listing,
      "Template packs (plugin ABI 2.3):\n" +
          builtin("auth",
                  "HTTPS_FRONTEND_ACL_WITH_AUTH "
                  "HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH "
                  "HTTPS_FRONTEND_AUTH_ACL_ONLY HTTPS_FRONTEND_AUTH_REQUEST_ONLY "
                  "HTTPS_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH "
                  "HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH "
                  "HTTP_FRONTEND_ACL_WITH_AUTH "
                  "HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH "
                  "HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH "
                  "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH USERLIST_HEAD",
                  "HAPROXY_{n}_AUTH") +
          builtin("backends",
                  "BACKEND_HEAD BACKEND_HSTS_OPTIONS BACKEND_HTTP_OPTIONS "
                  "BACKEND_SERVER_OPTIONS HTTP_BACKEND_ACL_ALLOW_DENY "
                  "HTTP_BACKEND_NETWORK_ALLOWED_ACL "
                  "HTTP_BACKEND_PROXYPASS_GLUE HTTP_BACKEND_REDIR "
                  "HTTP_BACKEND_REVPROXY_GLUE "
                  "TCP_BACKEND_ACL_ALLOW_DENY TCP_BACKEND_NETWORK_ALLOWED_ACL",
                  "HAPROXY_{n}_USE_HSTS "
                  "HAPROXY_{n}_HTTP_BACKEND_PROXYPASS_PATH "
                  "HAPROXY_{n}_HTTP_BACKEND_REVPROXY_PATH "
                  "HAPROXY_{n}_HTTP_BACKEND_REDIR HAPROXY_{n}_BALANCE "
                  "HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL") +
          "\nfamily backends: com.example.backends_alt 1.0.0, not chosen "
          "(--family-pack backends=io.mlb.builtin)\n"
          "  about:     example: backends balanced by least connections\n"
          "  file:      " + backends_alt_dir_ + "/backends_alt.so\n"
          "  found in:  --plugin-dir " + backends_alt_dir_ + "\n"
          "  ABI:       2.3\n"
          "  templates: BACKEND_HEAD BACKEND_HTTP_OPTIONS "
          "BACKEND_SERVER_OPTIONS\n"
          "  labels:    none\n" +
          builtin("frontends",
                  "FRONTEND_BACKEND_GLUE FRONTEND_HEAD GLOBAL_DEFAULT_OPTIONS HEAD "
                  "HTTPS_FRONTEND_ACL HTTPS_FRONTEND_ACL_ONLY_WITH_PATH "
                  "HTTPS_FRONTEND_ACL_WITH_PATH HTTPS_FRONTEND_HEAD "
                  "HTTPS_GROUPED_FRONTEND_HEAD HTTPS_GROUPED_VHOST_BACKEND_HEAD "
                  "HTTPS_GROUPED_VHOST_FRONTEND_ACL "
                  "HTTPS_GROUPED_VHOST_FRONTEND_HEAD "
                  "HTTP_FRONTEND_ACL HTTP_FRONTEND_ACL_ONLY "
                  "HTTP_FRONTEND_ACL_ONLY_WITH_PATH "
                  "HTTP_FRONTEND_ACL_WITH_PATH HTTP_FRONTEND_APPID_ACL "
                  "HTTP_FRONTEND_APPID_HEAD HTTP_FRONTEND_HEAD "
                  "HTTP_FRONTEND_ROUTING_ONLY "
                  "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH MAP_HTTPS_FRONTEND_ACL "
                  "MAP_HTTP_FRONTEND_ACL MAP_HTTP_FRONTEND_ACL_ONLY "
                  "MAP_HTTP_FRONTEND_APPID_ACL",
                  "HAPROXY_{n}_SSL_CERT HAPROXY_{n}_PATH "
                  "HAPROXY_{n}_BIND_OPTIONS HAPROXY_{n}_BACKEND_WEIGHT") +
          builtin("health_checks",
                  "BACKEND_HTTP_HEALTHCHECK_OPTIONS "
                  "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS "
                  "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS "
                  "BACKEND_TCP_HEALTHCHECK_OPTIONS",
                  "none") +
          "\nfamily rate_limit: com.example.rate_limit 1.0.0, in use\n"
          "  about:     example: per-client-IP request rate limit from "
          "HAPROXY_{n}_RATE_LIMIT\n"
          "  file:      " + rate_limit_dir_ + "/rate_limit.so\n"
          "  found in:  --plugin-dir " + rate_limit_dir_ + "\n"
          "  ABI:       2.3\n"
          "  templates: BACKEND_RATE_LIMIT BACKEND_TCP_RATE_LIMIT\n"
          "  labels:    HAPROXY_{n}_RATE_LIMIT\n" +
          builtin("redirect",
                  "BACKEND_REDIRECT_HTTP_TO_HTTPS "
                  "BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH",
                  "HAPROXY_{n}_REDIRECT_TO_HTTPS") +
          builtin("sticky", "BACKEND_STICKY_OPTIONS", "HAPROXY_{n}_STICKY") +
          "\nRefused files:\n" + refusal + "\n");
  EXPECT_EQ(refusal.back(), ')') << refusal;
}

// --longhelp lists the labels packs read, with their kind and the pack that
// reads them.
TEST_F(PacksTest, LonghelpListsPackLabels) {
  const RunResult run = RunMarathonLb(
      {"--longhelp", "--plugin-dir", builtin_dir_, "--plugin-dir",
       rate_limit_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("\n  HAPROXY_{n}_RATE_LIMIT  [integer, family "
                        "rate_limit, pack com.example.rate_limit]\n"
                        "      Requests per 10 s per client IP that port n's "
                        "backend accepts; more are answered 429 (tcp mode: "
                        "connections, refused). At least 1.\n"));
  EXPECT_THAT(run.output,
              HasSubstr("\n  BACKEND_RATE_LIMIT  [family rate_limit, "
                        "overridable]\n"));
}

}  // namespace
}  // namespace mlb::integration
