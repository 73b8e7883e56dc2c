// The labels that narrow what marathon-lb exposes, as marathon-lb 1.15
// reads them, end to end: `marathon-lb poll` renders a Marathon state, a
// real HAProxy on 127.0.0.1 serves it, requests show which ports are bound
// and who may connect. Each test fails if its label is ignored:
//   HAPROXY_{n}_GROUP       a port of another group is not bound
//   HAPROXY_{n}_ENABLED     a disabled port is not bound; --strict-mode
//                           binds only ports enabled by the label
//   HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL
//                           a source outside the list gets 403 (http) or a
//                           closed connection (tcp)
// and HAPROXY_{n}_BALANCE, which changes which task answers.
//
// Nothing binds outside 127.0.0.0/8; every test makes at most 40 requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;

class ExposureTest : public EndToEndTest {
 protected:
  void SetUp() override {
    EndToEndTest::SetUp();
    pid_file_ = dir_->File("haproxy.pid");
    appid_port_ = FreePort();
    WriteTemplate("HEAD", LoopbackHead(dir_->File("haproxy.sock")));
    WriteTemplate("HTTP_FRONTEND_APPID_HEAD",
                  LoopbackFrontendHead("marathon_http_appid_in", appid_port_));
  }

  void TearDown() override {
    haproxy_.reset();
    echoes_.clear();
  }

  void StartHaproxy() {
    haproxy_ = StartLoopbackHaproxy(cfg_, pid_file_, dir_->File("haproxy.log"),
                                    {appid_port_});
  }

  // Which echo backend answers a GET on 127.0.0.1:port: its name, or
  // "HTTP <status>" / "refused" / "error: ...".
  static std::string Answer(int port) {
    const HttpResponse r = HttpGet("127.0.0.1", port, "/", "exposure.test");
    if (r.status == 200 && !r.Backend().empty()) {
      return r.Backend();
    }
    if (r.status != 0) {
      return "HTTP " + std::to_string(r.status);
    }
    return Accepts("127.0.0.1", port) ? "error: " + r.error : "refused";
  }

  std::string HaproxyLog() const {
    return haproxy_ ? haproxy_->Output() : std::string("(not started)");
  }

  std::string pid_file_;
  int appid_port_ = 0;
  std::unique_ptr<ScopedProcess> haproxy_;
};

std::map<std::string, std::string> External(
    std::map<std::string, std::string> labels) {
  labels.emplace("HAPROXY_GROUP", "external");
  for (int n = 0; n < 4; ++n) {
    labels.emplace("HAPROXY_" + std::to_string(n) + "_BIND_ADDR", "127.0.0.1");
  }
  return labels;
}

// marathon-lb 1.15: a port's own group list replaces the app's; ENABLED
// false hides a port; under --strict-mode only ENABLED true shows one.
TEST_F(ExposureTest, PortGroupsAndEnabledDecideWhichPortsAreBound) {
  const std::vector<int> ports = {FreePort(), FreePort(), FreePort(),
                                  FreePort()};
  const int inner_port = FreePort();
  // One task listening on four ports, each answering with its own name.
  std::vector<int> task_ports;
  for (int i = 0; i < 4; ++i) {
    task_ports.push_back(StartEcho("shop-" + std::to_string(i), "127.0.0.2"));
  }
  const int inner = StartEcho("inner-0", "127.0.0.3");
  const std::string state = StateJson(
      {AppJson("/shop", ports,
               External({{"HAPROXY_1_GROUP", "internal"},
                         {"HAPROXY_2_ENABLED", "false"},
                         {"HAPROXY_3_ENABLED", "true"}}),
               {{"127.0.0.2", task_ports}}),
       AppJson("/inner", {inner_port},
               {{"HAPROXY_GROUP", "internal"},
                {"HAPROXY_0_GROUP", "internal,external"},
                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"}},
               {{"127.0.0.3", {inner}}})});

  RunResult run = Poll(state);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  // Ports 0 and 3 reach their own listener of the task.
  EXPECT_EQ(Answer(ports[0]), "shop-0") << HaproxyLog();
  EXPECT_EQ(Answer(ports[1]), "refused");  // group internal
  EXPECT_EQ(Answer(ports[2]), "refused");  // ENABLED false
  EXPECT_EQ(Answer(ports[3]), "shop-3");
  EXPECT_EQ(Answer(inner_port), "inner-0");  // its port's group
  const std::string cfg = ReadFile(cfg_);
  EXPECT_THAT(cfg, Not(HasSubstr("shop_" + std::to_string(ports[1]))));
  EXPECT_THAT(cfg, Not(HasSubstr("shop_" + std::to_string(ports[2]))));

  // --strict-mode: only port 3 says ENABLED true.
  run = Poll(state, {"--strict-mode"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  haproxy_.reset();
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Answer(ports[0]), "refused");
  EXPECT_EQ(Answer(ports[3]), "shop-3") << HaproxyLog();
  EXPECT_EQ(Answer(inner_port), "refused");
}

// HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL: the test's requests come from
// 127.0.0.1. An http port that allows it answers; one that does not says
// 403; a tcp port that does not closes the connection. A value that is not
// a network list drops its port with an error, and the others still route.
TEST_F(ExposureTest, NetworkAllowedAclLetsOnlyListedSourcesIn) {
  struct Case {
    std::string app;
    std::string mode;
    std::string allowed;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"/open-http", "http", "127.0.0.1", "open-http"},
      {"/closed-http", "http", "10.0.0.0/8 192.168.0.0/16", "HTTP 403"},
      {"/open-tcp", "tcp", "10.1.2.3 127.0.0.0/8", "open-tcp"},
      {"/closed-tcp", "tcp", "10.0.0.0/8", "closed"},
      {"/bad", "http", "127.0.0.1 office", "refused"},
  };
  std::vector<std::string> apps;
  std::vector<int> ports;
  int ip = 2;
  for (const Case& c : cases) {
    const int task = StartEcho(c.app.substr(1), "127.0.0." + std::to_string(ip));
    ports.push_back(FreePort());
    apps.push_back(AppJson(
        c.app, {ports.back()},
        External({{"HAPROXY_0_MODE", c.mode},
                  {"HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL", c.allowed}}),
        {{"127.0.0." + std::to_string(ip), {task}}}));
    ++ip;
  }
  const RunResult run = Poll(StateJson(apps));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(
      run.output,
      "app /bad, service port index 0: label "
      "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL: '127.0.0.1 office' has "
      "'office', which is not an IP address or network (address/prefix); "
      "service port skipped"))
      << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string answer = Answer(ports[i]);
    if (cases[i].mode == "tcp" && answer.rfind("error: ", 0) == 0) {
      answer = "closed";  // accepted, then rejected without a byte
    }
    EXPECT_EQ(answer, cases[i].expect) << cases[i].app << "\n" << HaproxyLog();
  }
}

// An operator's HTTP_FRONTEND_APPID_HEAD left empty: the config has no
// :9091 frontend, so an http app, whose X-Marathon-App-Id lines go there,
// is dropped with the section named (its lines would have joined the
// section before); a tcp app is served. (The assembler decides which shared
// sections a render writes to ahead of the commit:
// ConfigAssembler::Precheck.)
TEST_F(ExposureTest, AnAppsLinesForAFrontendTheConfigLacksDropOnlyThatApp) {
  WriteTemplate("HTTP_FRONTEND_APPID_HEAD", "");
  const int web_port = FreePort();
  const int db_port = FreePort();
  const std::string state = StateJson(
      {AppJson("/web", {web_port}, External({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {StartEcho("web-1", "127.0.0.2")}}}),
       AppJson("/db", {db_port}, External({}),
               {{"127.0.0.3", {StartEcho("db-1", "127.0.0.3")}}})});
  const RunResult run = Poll(state);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(
      run.output,
      "app /web, service port index 0: lines for frontend "
      "marathon_http_appid_in, which this config does not have: they would "
      "join the section before them; service port skipped"))
      << run.output;
  const std::string config = ReadFile(cfg_);
  EXPECT_EQ(config.find("marathon_http_appid_in"), std::string::npos)
      << config;
  EXPECT_EQ(config.find("web_" + std::to_string(web_port)), std::string::npos)
      << config;
  EXPECT_NE(config.find("\nbackend db_" + std::to_string(db_port) + "\n"),
            std::string::npos)
      << config;
  haproxy_ = StartLoopbackHaproxy(cfg_, pid_file_, dir_->File("haproxy.log"),
                                  {db_port});
  EXPECT_EQ(Answer(db_port), "db-1") << HaproxyLog();
  EXPECT_EQ(Answer(web_port), "refused") << HaproxyLog();
}

// HAPROXY_{n}_BALANCE=first sends every request to the first server; the
// default (roundrobin) spreads them.
TEST_F(ExposureTest, BalanceLabelChoosesTheAlgorithm) {
  const int a = StartEcho("task-a", "127.0.0.2");
  const int b = StartEcho("task-b", "127.0.0.3");
  const int first_port = FreePort();
  const int spread_port = FreePort();
  const RunResult run = Poll(StateJson(
      {AppJson("/first", {first_port},
               External({{"HAPROXY_0_BALANCE", "first"},
                         {"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {a}}, {"127.0.0.3", {b}}}),
       AppJson("/spread", {spread_port}, External({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {a}}, {"127.0.0.3", {b}}})}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(ReadFile(cfg_),
              HasSubstr("\nbackend first_" + std::to_string(first_port) +
                        "\n  balance first\n"));
  ASSERT_NO_THROW(StartHaproxy());
  std::vector<std::string> first, spread;
  for (int i = 0; i < 6; ++i) {
    first.push_back(Answer(first_port));
    spread.push_back(Answer(spread_port));
  }
  EXPECT_THAT(first, Each(first[0])) << HaproxyLog();
  EXPECT_THAT(first[0], ::testing::AnyOf("task-a", "task-b"));
  EXPECT_THAT(spread, ::testing::Contains("task-a"));
  EXPECT_THAT(spread, ::testing::Contains("task-b"));
}

// Review (fea31cf): --max-reload-retries / --reload-interval retry a failed
// reload inside the update, sleeping between tries, so nothing newer is
// rendered until the retries run out (10 x 10 s by default; never with -1).
// An app can make every reload fail while `haproxy -c` passes, e.g. a
// HAPROXY_0_BIND_ADDR that is not an address of the LB host, or a
// HAPROXY_0_PORT another process of the host holds (the new worker cannot
// bind; the master keeps the old one). Here the reload command stands in
// for that: it fails while the config has /evil's backend. The operator then
// removes /evil from Marathon: the next poll (1 s) should write a config
// without it and reload, but the update is still sleeping between retries
// of the old config. SIGTERM is not heard either while it sleeps.
TEST_F(ExposureTest, FailingReloadRetriesDoNotHoldBackTheNextState) {
  const int good_port = FreePort();
  const int evil_port = FreePort();
  const int task = StartEcho("good", "127.0.0.2");
  const std::string state_file = dir_->File("state.json");
  const std::string runs = dir_->File("reload-runs");
  const std::string script = dir_->File("reload.sh");
  WriteFile(script, "echo run >> " + runs + "\n! grep -q 'backend evil_' " +
                        cfg_ + "\n");
  const auto state = [&](bool with_evil) {
    std::vector<std::string> apps = {
        AppJson("/good", {good_port}, External({}), {{"127.0.0.2", {task}}})};
    if (with_evil) {
      apps.push_back(AppJson("/evil", {evil_port}, External({}),
                             {{"127.0.0.2", {task}}}));
    }
    return StateJson(apps);
  };
  AtomicWrite(state_file, state(true));
  ScopedProcess mlb(
      {mlb_binary_, "poll", "--poll-interval", "1", "--marathon",
       "file:" + state_file, "--haproxy-config", cfg_, "--group", "external",
       "--templates-dir", templates_dir_, "--plugin-dir", plugin_dir_,
       "--dont-bind-http-https", "--syslog-socket", "/dev/null", "--command",
       "/bin/sh " + script, "--reload-interval", "2"},
      dir_->File("marathon-lb-loop.log"));
  ASSERT_TRUE(WaitUntil([&] { return FileExists(runs); }, Millis(10000)))
      << mlb.Output();
  ASSERT_THAT(ReadFile(cfg_), HasSubstr("backend evil_"));

  AtomicWrite(state_file, state(false));  // the operator removes /evil
  const bool applied = WaitUntil(
      [&] {
        return ReadFile(cfg_).find("backend evil_") == std::string::npos;
      },
      Millis(8000), Millis(100));
  EXPECT_TRUE(applied)
      << "8 s after /evil left Marathon, the config still has it; reload "
         "runs: "
      << Lines(ReadFile(runs)).size() << "\n"
      << mlb.Output();

  kill(mlb.pid(), SIGTERM);
  EXPECT_TRUE(mlb.WaitExit(Millis(4000)).has_value())
      << "SIGTERM not obeyed within 4 s\n"
      << mlb.Output();
}

// HAPROXY_{n}_USE_HSTS: the task's answer reaches the client with the HSTS
// header; an app without the label gets none.
TEST_F(ExposureTest, UseHstsHeaderReachesTheClient) {
  const int task = StartEcho("task", "127.0.0.2");
  const int hsts_port = FreePort();
  const int plain_port = FreePort();
  const RunResult run = Poll(StateJson(
      {AppJson("/hsts", {hsts_port},
               External({{"HAPROXY_0_MODE", "http"},
                         {"HAPROXY_0_USE_HSTS", "yes"}}),
               {{"127.0.0.2", {task}}}),
       AppJson("/plain", {plain_port}, External({{"HAPROXY_0_MODE", "http"}}),
               {{"127.0.0.2", {task}}})}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  const HttpResponse hsts = HttpGet("127.0.0.1", hsts_port, "/", "h.test");
  EXPECT_EQ(hsts.status, 200) << hsts.Describe() << HaproxyLog();
  EXPECT_EQ(hsts.Header("Strict-Transport-Security"), "max-age=15768000");
  const HttpResponse plain = HttpGet("127.0.0.1", plain_port, "/", "p.test");
  EXPECT_EQ(plain.status, 200) << plain.Describe();
  EXPECT_FALSE(plain.HasHeader("Strict-Transport-Security"));
}

// An IP-per-task app Marathon reports without service ports gets one from
// --min/--max-serv-port-ip-per-task (here a range of one free port) and is
// routed there to its task's own address.
TEST_F(ExposureTest, IpPerTaskAppWithoutServicePortsIsRouted) {
  const int task_port = StartEcho("ippt", "127.0.0.2");
  const int service_port = FreePort();
  const std::string app =
      R"({"id": "/ippt", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_0_BIND_ADDR": "127.0.0.1"},
          "ipAddress": {"discovery": {"ports": [{"number": )" +
      std::to_string(task_port) + R"(}]}},
          "tasks": [{"id": "ippt.1", "host": "agent-1", "state": "TASK_RUNNING",
                     "ipAddresses": [{"ipAddress": "127.0.0.2"}]}]})";
  const std::string port = std::to_string(service_port);
  RunResult run = Poll(StateJson({app}), {"--min-serv-port-ip-per-task", port,
                                          "--max-serv-port-ip-per-task", port});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ASSERT_NO_THROW(StartHaproxy());
  EXPECT_EQ(Answer(service_port), "ippt") << HaproxyLog();
  // 0 and 0: marathon-lb assigns none, and the app is not routed.
  run = Poll(StateJson({app}), {"--min-serv-port-ip-per-task", "0",
                                "--max-serv-port-ip-per-task", "0"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(ReadFile(cfg_), Not(HasSubstr("ippt_")));
}

// --dry prints the whole config an update would write, as marathon-lb
// 1.15 does, and writes nothing; --dry-diff prints the diff; with the config
// already in place neither prints any.
TEST_F(ExposureTest, DryPrintsTheWholeConfigAndDryDiffTheChange) {
  const int task = StartEcho("task", "127.0.0.2");
  const int port = FreePort();
  const std::string state = StateJson(
      {AppJson("/web", {port}, External({}), {{"127.0.0.2", {task}}})});
  const std::string backend = "backend web_" + std::to_string(port);
  RunResult run = Poll(state, {"--dry"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, backend)) << run.output;
  EXPECT_TRUE(HasLine(run.output, "frontend marathon_http_appid_in"));
  EXPECT_FALSE(HasLine(run.output, "+" + backend)) << run.output;
  EXPECT_FALSE(FileExists(cfg_));
  run = Poll(state, {"--dry-diff"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(run.output, "+" + backend)) << run.output;
  EXPECT_FALSE(FileExists(cfg_));
  ASSERT_EQ(Poll(state).exit_code, 0);  // the config in place
  run = Poll(state, {"--dry"});
  EXPECT_FALSE(HasLine(run.output, backend)) << run.output;
}

// --archive-versions (default 5, as marathon-lb): the config written is
// kept as $TMPDIR/hap_cfg.1, the one before as hap_cfg.2.
TEST_F(ExposureTest, ArchiveVersionsKeepTheConfigsInTmpdir) {
  const int task = StartEcho("task", "127.0.0.2");
  const std::string archive = dir_->File("tmp");
  std::filesystem::create_directory(archive);
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", archive.c_str(), 1);
  const RunResult first = Poll(StateJson(
      {AppJson("/one", {FreePort()}, External({}), {{"127.0.0.2", {task}}})}));
  const RunResult second = Poll(StateJson(
      {AppJson("/two", {FreePort()}, External({}), {{"127.0.0.2", {task}}})}));
  if (old != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(ReadFile(archive + "/hap_cfg.1"), ReadFile(cfg_));
  EXPECT_THAT(ReadFile(archive + "/hap_cfg.2"), HasSubstr("backend one_"));
  EXPECT_FALSE(FileExists(archive + "/hap_cfg.3"));
}

// --log-format takes Python logging's format, as marathon-lb 1.15.
TEST_F(ExposureTest, LogFormatShapesTheLogLines) {
  const int task = StartEcho("task", "127.0.0.2");
  const std::string state = StateJson(
      {AppJson("/web", {FreePort()}, External({}), {{"127.0.0.2", {task}}})});
  RunResult run = Poll(state, {"--log-format",
                               "[%(levelname)-8s] %(name)s %(levelno)d: "
                               "%(message)s %%"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string wrote =
      LineStartingWith(run.output, "[INFO    ] marathon_lb 20: wrote ");
  ASSERT_NE(wrote, "") << run.output;
  EXPECT_EQ(wrote.back(), '%');
  // The default is 1.15's: time, name, message.
  run = Poll(state);
  EXPECT_TRUE(std::regex_search(
      run.output, std::regex("(^|\n)[0-9]{4}-[0-9]{2}-[0-9]{2} "
                             "[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3} "
                             "marathon_lb: config unchanged")))
      << run.output;
  run = Poll(state, {"--log-format", "%(when)s"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("--log-format: '%(when)s': unknown field "
                            "%(when)"),
            std::string::npos)
      << run.output;
}

// One `marathon-lb poll` whose reload fails twice: it tries again every
// --reload-interval seconds, each time through a whole update, and stops
// once the reload succeeds; with --max-reload-retries 1 it gives up after
// the one retry.
TEST_F(ExposureTest, OneShotPollRetriesAFailedReload) {
  const int task = StartEcho("task", "127.0.0.2");
  const std::string state = StateJson(
      {AppJson("/web", {FreePort()}, External({}), {{"127.0.0.2", {task}}})});
  const std::string runs = dir_->File("runs");
  const std::string reload =
      "/bin/sh -c 'echo x >> " + runs + "; [ $(wc -l < " + runs + ") -ge 3 ]'";
  RunResult run = Poll(state, {"--command", reload, "--reload-interval", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Lines(ReadFile(runs)).size(), 3u);
  const std::vector<std::string> messages = LogMessages(run.output);
  EXPECT_EQ(std::count_if(messages.begin(), messages.end(),
                          [](const std::string& m) {
                            return m.find("exited with 1: ") !=
                                       std::string::npos &&
                                   m.find("; trying again in 1 s") !=
                                       std::string::npos;
                          }),
            2)
      << run.output;
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(),
                          [](const std::string& m) {
                            return m.rfind("config unchanged, reload attempt "
                                           "3 succeeded (",
                                           0) == 0;
                          }))
      << run.output;

  std::remove(runs.c_str());
  std::remove(cfg_.c_str());
  run = Poll(state, {"--command", reload, "--reload-interval", "1",
                     "--max-reload-retries", "1"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Lines(ReadFile(runs)).size(), 2u) << run.output;
}

}  // namespace
}  // namespace mlb::integration
