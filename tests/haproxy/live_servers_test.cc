// PlanLiveChange and LiveServers: the exact runtime commands for a change of
// servers, what is refused (and so reloaded), and the deletions that wait
// for connections to end. HAProxy's answers here are the ones HAProxy 2.6
// gave by hand (live_servers.cc); LiveTest drives a real HAProxy.
#include "core/haproxy/live_servers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace mlb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A config with one backend, web_80, and these server lines.
HaproxyConfig Backend(const std::vector<std::string>& lines,
                      const std::string& text = "  balance roundrobin\n") {
  HaproxyConfig config;
  ConfigSection& section = config.Section("backend web_80", 3);
  section.text = "backend web_80\n" + text;
  for (const std::string& line : lines) {
    ServerEntry entry;
    entry.line = "  " + line + "\n";
    entry.name = line.substr(7, line.find(' ', 7) - 7);
    section.servers.push_back(entry);
  }
  config.Finish();
  return config;
}

Status Plan(const HaproxyConfig& before, const HaproxyConfig& after,
            LiveChange* change) {
  return PlanLiveChange(before, after, Compare(before, after), change);
}

std::vector<std::vector<std::string>> Commands(const LiveChange& change) {
  std::vector<std::vector<std::string>> out;
  for (const LiveServerStep& step : change.steps) {
    out.push_back(step.commands);
  }
  return out;
}

TEST(PlanLiveChangeTest, AddsWithTheLinesOptionsEnablesChecksThenRemoves) {
  const HaproxyConfig before =
      Backend({"server a_1 10.0.0.1:31000 id 5 check inter 5s fall 3"});
  const HaproxyConfig after =
      Backend({"server b_2 10.0.0.2:31001 id 6 check inter 5s fall 3",
               "server c_3 10.0.0.3:31002 id 7 weight 10"});
  LiveChange change;
  ASSERT_TRUE(Plan(before, after, &change).ok());
  EXPECT_EQ(change.added, 2);
  EXPECT_EQ(change.removed, 1);
  EXPECT_THAT(
      Commands(change),
      ElementsAre(
          ElementsAre("add server web_80/b_2 10.0.0.2:31001 id 6 check inter "
                      "5s fall 3",
                      "enable health web_80/b_2", "enable server web_80/b_2"),
          ElementsAre("add server web_80/c_3 10.0.0.3:31002 id 7 weight 10",
                      "enable server web_80/c_3"),
          ElementsAre("set server web_80/a_1 state maint",
                      "del server web_80/a_1")));
}

TEST(PlanLiveChangeTest, WhatTheRuntimeApiWouldReadOtherwiseIsReloaded) {
  LiveChange change;
  EXPECT_EQ(Plan(Backend({}), Backend({"server d_1 agent1:31000"}), &change)
                .message(),
            "server d_1 of backend web_80: 'agent1:31000' is not an IP "
            "address and port");
  EXPECT_TRUE(
      Plan(Backend({}), Backend({"server d_1 [::1]:31000 check"}), &change)
          .ok());
  // default-server in `defaults` (the HEAD) reaches the backend.
  auto with_defaults = [](const std::vector<std::string>& lines) {
    HaproxyConfig config = Backend(lines);
    config.Section("head", 0).text =
        "global\ndefaults\n  default-server inter 3s\n";
    config.Finish();
    return config;
  };
  EXPECT_EQ(Plan(with_defaults({}), with_defaults({"server d_1 10.0.0.1:1"}),
                 &change)
                .message(),
            "backend web_80: default-server options apply to it, which "
            "HAProxy does not give a server added through the runtime API");
}

// A sticky backend with dynamic cookies (the built-in BACKEND_STICKY_OPTIONS):
// the new server goes without its `cookie VALUE`, which HAProxy 2.6 refuses
// on `add server`, and gets a dynamic cookie from `enable dynamic-cookie`.
TEST(PlanLiveChangeTest, ACookieGoesLiveAsADynamicCookie) {
  const std::string sticky =
      "  balance roundrobin\n"
      "  cookie mesosphere_server_id insert indirect nocache dynamic\n"
      "  dynamic-cookie-key marathon-lb\n";
  LiveChange change;
  ASSERT_TRUE(
      Plan(Backend({"server s_1 10.0.0.1:1 id 3 check cookie 85c68fa98c"},
                   sticky),
           Backend({"server s_1 10.0.0.1:1 id 3 check cookie 85c68fa98c",
                    "server s_2 10.0.0.2:2 id 4 check cookie 0b1e2c4d5f "
                    "inter 2s"},
                   sticky),
           &change)
          .ok());
  ASSERT_EQ(change.steps.size(), 1u);
  EXPECT_EQ(change.steps[0].commands,
            (std::vector<std::string>{
                "add server web_80/s_2 10.0.0.2:2 id 4 check inter 2s",
                "enable health web_80/s_2", "enable server web_80/s_2",
                "enable dynamic-cookie backend web_80"}));
}

TEST(PlanLiveChangeTest, WhatTheRuntimeApiCannotTakeIsRefusedByName) {
  LiveChange change;
  // HAProxy 2.6: "'cookie' option is not accepted for dynamic server".
  Status s = Plan(Backend({}),
                  Backend({"server s_1 10.0.0.1:1 check cookie 85c68fa98c"}),
                  &change);
  EXPECT_EQ(s.message(),
            "server s_1 of backend web_80: HAProxy 2.6 refuses 'cookie' on a "
            "server added through the runtime API, and the backend has no "
            "dynamic cookies ('cookie ... dynamic' and 'dynamic-cookie-key') "
            "to give it one");
  // `dynamic` without a key, or a key without `dynamic`: no dynamic cookie.
  for (const char* text :
       {"  cookie mesosphere_server_id insert indirect nocache dynamic\n",
        "  cookie mesosphere_server_id insert indirect nocache\n"
        "  dynamic-cookie-key k\n"}) {
    s = Plan(Backend({}, text),
             Backend({"server s_1 10.0.0.1:1 check cookie 85c68fa98c"}, text),
             &change);
    EXPECT_THAT(s.message(), HasSubstr("refuses 'cookie'")) << text;
  }
  s = Plan(Backend({"server s_1 10.0.0.1:1 weight 1"}),
           Backend({"server s_1 10.0.0.1:1 weight 2"}), &change);
  EXPECT_EQ(s.message(), "server s_1 of backend web_80: its options changed");
  s = Plan(Backend({}), Backend({"server q_1 10.0.0.1:1 crt 'a b'"}), &change);
  EXPECT_THAT(s.message(), HasSubstr("server q_1 of backend web_80: its line "
                                     "has several lines, quotes"));
  // More than servers changed: the backend's own lines.
  s = Plan(Backend({}), Backend({"server s_1 10.0.0.1:1"}, "  balance first\n"),
           &change);
  EXPECT_THAT(s.message(), HasSubstr("not a change of servers only"));
}

// A fake HAProxy: records each exchange and answers from a script.
struct FakeRuntime {
  std::vector<std::vector<std::string>> sent;
  std::deque<std::string> answers;
  RuntimeSender Sender() {
    return [this](const std::vector<std::string>& commands,
                  std::string* reply) {
      sent.push_back(commands);
      *reply = answers.empty() ? "" : answers.front();
      if (!answers.empty()) {
        answers.pop_front();
      }
      return Status::OK();
    };
  }
};

TEST(LiveServersTest, ABusyServerWaitsInMaintenanceAndIsDeletedLater) {
  FakeRuntime haproxy;
  LiveServers live(haproxy.Sender());
  LiveChange change;
  ASSERT_TRUE(
      Plan(Backend({"server a_1 10.0.0.1:1"}), Backend({}), &change).ok());
  haproxy.answers = {
      "\nServer still has connections attached to it, cannot remove it.\n"};
  LiveReport report;
  ASSERT_TRUE(live.Apply(change, &report).ok());
  EXPECT_EQ(report.removed, 1);
  EXPECT_EQ(report.deleted, 0);
  EXPECT_EQ(live.pending_deletes(), 1u);

  haproxy.answers = {"\nServer deleted.\n"};
  LiveReport later;
  live.RetryDeletes(&later);
  EXPECT_EQ(later.deleted, 1);
  EXPECT_EQ(live.pending_deletes(), 0u);
  EXPECT_THAT(haproxy.sent.back(), ElementsAre("del server web_80/a_1"));
}

TEST(LiveServersTest, AServerBackBeforeItsDeletionIsSetReady) {
  FakeRuntime haproxy;
  LiveServers live(haproxy.Sender());
  const HaproxyConfig with = Backend({"server a_1 10.0.0.1:1"});
  const HaproxyConfig without = Backend({});
  LiveChange out, in;
  ASSERT_TRUE(Plan(with, without, &out).ok());
  ASSERT_TRUE(Plan(without, with, &in).ok());
  haproxy.answers = {
      "Server still has connections attached to it, cannot remove it.\n"};
  LiveReport report;
  ASSERT_TRUE(live.Apply(out, &report).ok());
  haproxy.answers = {"\n"};
  ASSERT_TRUE(live.Apply(in, &report).ok());
  EXPECT_THAT(haproxy.sent.back(),
              ElementsAre("set server web_80/a_1 state ready"));
  EXPECT_EQ(live.pending_deletes(), 0u);
}

TEST(LiveServersTest, AnAnswerOtherThanSuccessIsTheErrorToReloadOn) {
  FakeRuntime haproxy;
  LiveServers live(haproxy.Sender());
  LiveChange change;
  ASSERT_TRUE(Plan(Backend({}), Backend({"server a_1 10.0.0.1:1"}), &change)
                  .ok());
  // HAProxy 2.6 to a backend with `balance source` (map-based hashing).
  haproxy.answers = {
      "Backend must use a dynamic load balancing to support dynamic "
      "servers.\n"};
  LiveReport report;
  const Status s = live.Apply(change, &report);
  EXPECT_EQ(s.message(),
            "HAProxy's runtime API refused 'add server web_80/a_1 "
            "10.0.0.1:1': Backend must use a dynamic load balancing to "
            "support dynamic servers.");
  EXPECT_EQ(report.added, 0);
}


// ---- Review 14a (hostile review of the live servers): each test below
// fails on 96be5f2 and names the behaviour it expects. ----

// The words of a runtime command as HAProxy's CLI splits them.
size_t CliWords(const std::string& command) {
  size_t n = 0;
  bool in_word = false;
  for (char c : command) {
    const bool space = c == ' ' || c == '\t';
    n += !space && !in_word;
    in_word = !space;
  }
  return n;
}

// Attack: a server line of exactly 64 words, which `haproxy -c` accepts
// (its limit, MAX_LINE_ARGS, is 64 words a line), becomes an `add server`
// command of 65 words ("server NAME" is "add server BACKEND/NAME"), and
// HAProxy 2.6's CLI keeps 64 words (MAX_CLI_ARGS) and silently drops the
// rest: measured, `add server web_80/big 127.0.0.1:13 maxconn 10 (x30)
// backup` answers "New server registered." and the server is not a backup.
// A tenant's (or a long operator template's) last option — `backup`,
// `ssl`, `send-proxy`, `check-ssl` — is lost only for the servers added
// live, while the file says otherwise (`ssl` lost: plain text to the task).
// Expected: such a server is not added live (a reload), or no command is
// longer than the CLI takes.
TEST(PlanLiveChangeTest, NoCommandHasMoreWordsThanHaproxysCliKeeps) {
  std::string line = "server s_1 10.0.0.1:1";
  for (int i = 0; i < 30; ++i) {
    line += " maxconn 10";
  }
  line += " backup";
  ASSERT_EQ(CliWords(line), 64u);  // what haproxy -c still takes
  LiveChange change;
  // Fixed by reloading: such a line is not added live.
  EXPECT_EQ(Plan(Backend({}), Backend({line}), &change).message(),
            "server s_1 of backend web_80: more options than a runtime "
            "command can carry (60 words)");
  // One word less goes live, every command within the CLI's 64 words.
  line = line.substr(0, line.rfind(" backup"));
  ASSERT_TRUE(Plan(Backend({}), Backend({line}), &change).ok());
  for (const std::vector<std::string>& step : Commands(change)) {
    for (const std::string& command : step) {
      EXPECT_LE(CliWords(command), 64u)
          << "HAProxy 2.6's CLI drops the words after the 64th: " << command;
    }
  }
}

// Attack: a server line with `agent-check` (a tenant's
// HAPROXY_0_BACKEND_SERVER_OPTIONS, say, whose agent drains or weights the
// task). A server added through the runtime API starts with its agent
// check configured but not enabled, exactly as its health check (which the
// plan enables): measured on HAProxy 2.6, srv_agent_state 18 (configured)
// after `add server ... agent-check agent-port 9999` + `enable server`,
// where the same line loaded from the file runs with 22 (enabled). The
// agent of a server added live never runs; a reload would run it.
// Expected: `enable agent B/S` among the commands (or a reload).
TEST(PlanLiveChangeTest, AServerWithAnAgentCheckHasItsAgentEnabled) {
  LiveChange change;
  const Status s = Plan(
      Backend({}),
      Backend({"server s_1 10.0.0.1:1 check agent-check agent-port 9999"}),
      &change);
  // Fixed by reloading: added live, its agent would start down.
  EXPECT_EQ(s.message(),
            "server s_1 of backend web_80: an agent check starts otherwise on "
            "a server added through the runtime API");
}

// Attack: `default-server` lines (in the backend, e.g. a maxconn pack's
// `default-server maxconn 7` or a tenant's HAPROXY_0_BACKEND_HEAD, or in
// `defaults`) apply to the servers HAProxy reads from the file, never to a
// server added through the runtime API (HAProxy 2.6: dynamic servers do
// not inherit default-server; measured: `default-server weight 7 maxconn
// 3` in defaults, `add server` gives weight 1 and no limit). The server
// added live runs without the connection limit, check interval, `ssl
// verify required`, `send-proxy`... its backend's config gives it.
// Expected: the backend's default-server options are part of the add
// command, or the change is refused (a reload).
TEST(PlanLiveChangeTest, ABackendsDefaultServerOptionsReachTheServerAddedLive) {
  const std::string head = "  balance roundrobin\n  default-server maxconn 7\n";
  LiveChange change;
  const Status s =
      Plan(Backend({"server a_1 10.0.0.1:1"}, head),
           Backend({"server a_1 10.0.0.1:1", "server b_2 10.0.0.2:2"}, head),
           &change);
  // Fixed by reloading: HAProxy gives default-server to the file's servers.
  EXPECT_EQ(s.message(),
            "backend web_80: default-server options apply to it, which "
            "HAProxy does not give a server added through the runtime API");
}

// Attack: the plan decides whether a server is `disabled` (and whether to
// send `enable server`) by looking for the word anywhere in the line, also
// where it is the argument of another option. `check-sni disabled` (a
// check SNI that is the host name "disabled"; `haproxy -c` accepts it)
// makes the server stay in maintenance forever when added live, while the
// file, and any reload, has it in service. (The same for `check` as an
// argument: an `enable health` HAProxy refuses, a reload.)
// Expected: `enable server` for a line whose `disabled` is an argument.
// Fixed by reloading: a line with the word `disabled` anywhere is never
// added live (the file, reloaded, says what it means).
TEST(PlanLiveChangeTest, AnOptionsArgumentNamedDisabledDoesNotDisableTheServer) {
  LiveChange change;
  const Status s = Plan(Backend({}),
                        Backend({"server s_1 10.0.0.1:1 check-sni disabled"}),
                        &change);
  EXPECT_EQ(s.message(),
            "server s_1 of backend web_80: 'disabled' in its line: the file, "
            "reloaded, says what it means");
}

// Attack (state): a `disabled` server (a draining blue/green task has
// `disabled` on its line) removed while it still had connections waits in
// maintenance; when it comes back with the same line before its deletion,
// Apply() sets it `ready`: HAProxy now sends new requests to a server the
// file (and every reload) keeps in maintenance.
// Expected: a `disabled` server coming back stays in maintenance (no
// `state ready`).
TEST(LiveServersTest, ADisabledServerComingBackIsNotSetReady) {
  FakeRuntime haproxy;
  LiveServers live(haproxy.Sender());
  const HaproxyConfig with = Backend({"server a_1 10.0.0.1:1 disabled"});
  const HaproxyConfig without = Backend({});
  LiveChange out, in;
  ASSERT_TRUE(Plan(with, without, &out).ok());
  haproxy.answers = {
      "Server still has connections attached to it, cannot remove it.\n"};
  LiveReport report;
  ASSERT_TRUE(live.Apply(out, &report).ok());
  ASSERT_EQ(live.pending_deletes(), 1u);
  // Fixed by reloading: a `disabled` line is never added (or set ready)
  // live.
  EXPECT_FALSE(Plan(without, with, &in).ok());
  for (const std::vector<std::string>& sent : haproxy.sent) {
    EXPECT_THAT(sent, ::testing::Not(::testing::Contains(
                          "set server web_80/a_1 state ready")))
        << "the line says disabled";
  }
}


// Attack: a word HAProxy's CLI reads differently from the config parser.
// `<<` as the last word of a command starts a payload on HAProxy's CLI;
// in a config file it is a plain word (`check-sni <<`: `haproxy -c`
// accepts it). Measured on HAProxy 2.6 through the master CLI: `@1 add
// server web_80/p_1 127.0.0.1:11 check-sni <<;@1 enable server web_80/p_1`
// answers nothing at all and adds nothing (the rest of the exchange is
// swallowed as the payload); marathon-lb takes the empty answer for a
// refusal and reloads. The filter of AddCommands (quotes, ';', '#', '$',
// backslashes) misses it. (Today's effect: the exchange's commands never
// run and every change of that app's servers reloads.)
// Expected: the plan refuses the line by name (reload), as it does quotes.
TEST(PlanLiveChangeTest, ALineEndingInTheCliPayloadMarkerIsNotSentLive) {
  LiveChange change;
  const Status s = Plan(Backend({}),
                        Backend({"server s_1 10.0.0.1:1 check-sni <<"}),
                        &change);
  EXPECT_FALSE(s.ok()) << "sent: " << change.steps[0].commands.front();
  EXPECT_THAT(s.message(), HasSubstr("server s_1 of backend web_80"));
}

// The express path's configs: backend `key` written by service port
// (app_id, 80), with these server lines.
HaproxyConfig AppBackend(const std::string& app_id,
                         const std::vector<std::string>& lines,
                         const std::string& text = "  balance roundrobin\n",
                         const std::string& key = "backend web_80") {
  HaproxyConfig config;
  ConfigSection& defaults = config.Section("defaults", 1);
  config.Append(defaults, "defaults\n  mode http\n", HaproxyConfig::kTheLb);
  ConfigSection& section = config.Section(key, 3);
  const int author = config.AddAuthor({app_id, 80, ""});
  config.Append(section, key + "\n" + text, author);
  for (const std::string& line : lines) {
    ServerEntry entry;
    entry.line = "  " + line + "\n";
    entry.name = line.substr(7, line.find(' ', 7) - 7);
    section.servers.push_back(entry);
  }
  config.Finish();
  return config;
}

TEST(PlanLiveChangeOfAppsTest, AServerShapedLikeOneHaproxyCheckedGoesAtOnce) {
  const HaproxyConfig live = AppBackend(
      "/web", {"server a 10.0.0.1:31000 id 5 check inter 15s fall 4 port 31000",
               "server c 10.0.0.3:31002 id 9 check inter 15s fall 4 port 31002"});
  const HaproxyConfig app = AppBackend(
      "/web", {"server a 10.0.0.1:31000 id 5 check inter 15s fall 4 port 31000",
               "server b 10.0.0.2:31001 id 7 check inter 15s fall 4 port 31001"});
  LiveChange change;
  ASSERT_TRUE(PlanLiveChangeOfApps(live, app, &change).ok());
  EXPECT_THAT(
      Commands(change),
      ElementsAre(
          ElementsAre("add server web_80/b 10.0.0.2:31001 id 7 check inter "
                      "15s fall 4 port 31001",
                      "enable health web_80/b", "enable server web_80/b"),
          ElementsAre("set server web_80/c state maint",
                      "del server web_80/c")));
  EXPECT_EQ(change.added, 1);
  EXPECT_EQ(change.removed, 1);
  EXPECT_EQ(change.summary,
            "sections +0 -0 ~0, servers +1 -1 in backend web_80");
}

TEST(PlanLiveChangeOfAppsTest, AnOptionNeverCheckedInTheBackendWaitsForTheCheck) {
  const HaproxyConfig live = AppBackend("/web", {"server a 10.0.0.1:31000 id 5"});
  LiveChange change;
  // review 15e: `add server` takes `sni nbsrv(...)`, which the config
  // parser refuses, and the worker crashed on it.
  Status s = PlanLiveChangeOfApps(
      live,
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5",
                          "server b 10.0.0.2:31001 id 6 sni nbsrv(nope)"}),
      &change);
  EXPECT_EQ(s.message(),
            "server b of backend web_80: no server of the backend has had its "
            "options checked by haproxy -c");
  EXPECT_TRUE(change.steps.empty());
  // An app scaled up from no task: nothing of the backend was checked.
  s = PlanLiveChangeOfApps(
      AppBackend("/web", {}),
      AppBackend("/web", {"server b 10.0.0.2:31001 id 6"}), &change);
  EXPECT_EQ(s.message(),
            "server b of backend web_80: no server of the backend has had its "
            "options checked by haproxy -c");
  // A port that is not one: its value is part of the shape.
  s = PlanLiveChangeOfApps(
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5 check port 31000"}),
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5 check port 31000",
                          "server b 10.0.0.2:31001 id 6 check port 99999"}),
      &change);
  EXPECT_THAT(s.message(), HasSubstr("server b of backend web_80: no server"));
  // A name HAProxy's CLI would split.
  s = PlanLiveChangeOfApps(
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5"}),
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5",
                          "server x/y 10.0.0.2:31001 id 6"}),
      &change);
  EXPECT_THAT(s.message(), HasSubstr("server x/y of backend web_80: no server"));
}

TEST(PlanLiveChangeOfAppsTest, AnotherServicePortsBackendOfTheSameNameIsLeftAlone) {
  const HaproxyConfig live = AppBackend("/web", {"server a 10.0.0.1:31000 id 5"});
  const HaproxyConfig other =
      AppBackend("/web_", {"server b 10.0.0.2:31001 id 6"});
  LiveChange change;
  const Status s = PlanLiveChangeOfApps(live, other, &change);
  EXPECT_EQ(s.message(),
            "backend web_80: written by another service port in the live "
            "config");
  EXPECT_TRUE(change.steps.empty());
}

TEST(PlanLiveChangeOfAppsTest, ABackendNewOrChangedBeyondItsServersIsTheUpdatesToDo) {
  const HaproxyConfig live = AppBackend("/web", {"server a 10.0.0.1:31000 id 5"});
  LiveChange change;
  Status s = PlanLiveChangeOfApps(
      live,
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5"}, "  balance roundrobin\n",
                 "backend web_81"),
      &change);
  EXPECT_EQ(s.message(), "backend web_81: not in the live config");
  s = PlanLiveChangeOfApps(
      live,
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5",
                          "server b 10.0.0.2:31001 id 6"},
                 "  balance leastconn\n"),
      &change);
  EXPECT_EQ(s.message(),
            "backend web_80: its lines other than servers changed");
  // The same servers: nothing to send.
  ASSERT_TRUE(PlanLiveChangeOfApps(live, live, &change).ok());
  EXPECT_TRUE(change.steps.empty());
}

TEST(PlanLiveChangeOfAppsTest, WhatTheRuntimeApiCannotTakeIsStillRefused) {
  // The shape was checked, but `cookie` cannot go through `add server`
  // without dynamic cookies in the backend.
  const HaproxyConfig live =
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5 cookie a"});
  LiveChange change;
  const Status s = PlanLiveChangeOfApps(
      live,
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5 cookie a",
                          "server b 10.0.0.2:31001 id 6 cookie b"}),
      &change);
  EXPECT_THAT(s.message(),
              HasSubstr("server b of backend web_80: HAProxy 2.6 refuses "
                        "'cookie'"));
}

TEST(CheckedServerShapeTest, LeavesOutWhatDiffersFromTaskToTask) {
  EXPECT_EQ(CheckedServerShape("  server a_1 10.0.0.1:31000 id 12 cookie "
                               "x1 check inter 2s port 31000\n"),
            "server id * cookie * check inter 2s port *");
  EXPECT_EQ(CheckedServerShape("\tserver b 10.0.0.2:1\tid 65535\n"),
            "server id *");
  EXPECT_EQ(CheckedServerShape("server b 10.0.0.2:1 id 65536"),
            "server id 65536");
  EXPECT_EQ(CheckedServerShape("server b 10.0.0.2:1 port nbsrv(x)"),
            "server port nbsrv(x)");
  EXPECT_EQ(CheckedServerShape("server b 10.0.0.2:1 weight 10"),
            "server weight 10");
  EXPECT_EQ(CheckedServerShape("server b"), "");
}

// The express path's configs of a server joining /web: the live config has
// the server line `a`, the app's render `a` and `b` (after `text`).
std::pair<HaproxyConfig, HaproxyConfig> ServerBJoinsWeb(
    const std::string& a, const std::string& b,
    const std::string& text = "  balance roundrobin\n") {
  return {AppBackend("/web", {a}, text), AppBackend("/web", {a, b}, text)};
}

// No command of `change` holds `words` (`s`: the plan's status, shown on a
// failure).
void ExpectNoCommandHas(const LiveChange& change, const std::string& words,
                        const Status& s) {
  for (const LiveServerStep& step : change.steps) {
    for (const std::string& command : step.commands) {
      EXPECT_THAT(command, ::testing::Not(HasSubstr(words))) << s.message();
    }
  }
}

// Review 16a, finding 1: `cookie` as the argument of another option (here
// `sni`, whose sample fetch `cookie` the config parser takes) in a backend
// with dynamic cookies. haproxy -c accepts "sni cookie check-sni
// nbsrv(bad_0)"; the commands drop `cookie` and the word after it, so HAProxy
// is told "sni nbsrv(bad_0)", which its config parser refuses and which
// crashed the worker (review 15e). Expected: refused (a reload), or the line
// sent as the config parser read it.
TEST(PlanLiveChangeOfAppsTest, ACookieWordThatIsAnotherOptionsArgumentIsNotDropped) {
  const std::string sticky =
      "  balance roundrobin\n"
      "  cookie mesosphere_server_id insert indirect nocache dynamic\n"
      "  dynamic-cookie-key marathon-lb\n";
  const std::string options =
      " ssl verify none sni cookie check-sni nbsrv(bad_0)";
  const auto [live, app] = ServerBJoinsWeb("server a 10.0.0.1:31000" + options,
                                           "server b 10.0.0.2:31001" + options,
                                           sticky);
  LiveChange change;
  const Status s = PlanLiveChangeOfApps(live, app, &change);
  ExpectNoCommandHas(change, "sni nbsrv(", s);
  // Without an expression: "check-sni cookie weight 0" is, to the config
  // parser, check-sni "cookie" and weight 0 (no traffic); the command would
  // carry "check-sni 0", the server at the default weight.
  const std::string weight0 = " check-sni cookie weight 0";
  const auto [live0, app0] = ServerBJoinsWeb(
      "server a 10.0.0.1:31000" + weight0, "server b 10.0.0.2:31001" + weight0,
      sticky);
  LiveChange drained;
  const Status w = PlanLiveChangeOfApps(live0, app0, &drained);
  for (const LiveServerStep& step : drained.steps) {
    if (step.kind == LiveServerStep::Kind::kAdd) {
      EXPECT_THAT(step.commands.front(), HasSubstr("weight 0")) << w.message();
    }
  }
  // The live path of before (file checked first) sends the same command.
  LiveChange before;
  const Status p = Plan(live, app, &before);
  ExpectNoCommandHas(before, "sni nbsrv(", p);
}

// Review 16a, finding 3: the shape of a checked line is no proof for `add
// server` when the line holds a sample expression whose arguments name a
// proxy: haproxy -c resolves "nbsrv(web_80)" (the backend exists), `add
// server` never does, and HAProxy 2.6.12's worker dies (SIGSEGV) on the
// first connection to such a server. Expected: not sent through the runtime
// API (a reload instead).
TEST(PlanLiveChangeOfAppsTest, AnExpressionNamingAnExistingBackendIsNotSentLive) {
  const std::string options = " ssl verify none sni nbsrv(web_80)";
  const auto [live, app] =
      ServerBJoinsWeb("server a 10.0.0.1:31000 id 5" + options,
                      "server b 10.0.0.2:31001 id 6" + options);
  LiveChange change;
  const Status s = PlanLiveChangeOfApps(live, app, &change);
  ExpectNoCommandHas(change, "nbsrv(", s);
}

// Review 16a, a property to keep (passes on e56ae55): a backend the LB
// itself wrote (no app's run: a global template's, say) is no app's to
// change, even when an app's render has a backend of that name with the
// same text and a server line of a checked shape.
TEST(PlanLiveChangeOfAppsTest, ABackendTheLbWroteIsNoAppsToChange) {
  HaproxyConfig live;
  ConfigSection& section = live.Section("backend web_80", 3);
  live.Append(section, "backend web_80\n  balance roundrobin\n",
              HaproxyConfig::kTheLb);
  ServerEntry entry;
  entry.name = "a";
  entry.line = "  server a 10.0.0.1:31000 id 5\n";
  section.servers.push_back(entry);
  live.Finish();
  LiveChange change;
  const Status s = PlanLiveChangeOfApps(
      live,
      AppBackend("/web", {"server a 10.0.0.1:31000 id 5",
                          "server b 10.0.0.2:31001 id 6"}),
      &change);
  EXPECT_EQ(s.message(),
            "backend web_80: written by another service port in the live "
            "config");
  EXPECT_TRUE(change.steps.empty());
}

// Review 16a's class: what `add server` would read otherwise than the
// config parser, or never resolve, is a reload (the file says it), named.
TEST(PlanLiveChangeOfAppsTest, WordsTheRuntimeApiReadsOtherwiseAreReloaded) {
  const std::string sticky =
      "  balance roundrobin\n"
      "  cookie mesosphere_server_id insert indirect nocache dynamic\n"
      "  dynamic-cookie-key marathon-lb\n";
  const auto plan = [&](const std::string& options) {
    LiveChange change;
    const Status s = PlanLiveChangeOfApps(
        AppBackend("/web", {"server a 10.0.0.1:31000 id 5" + options}, sticky),
        AppBackend("/web", {"server a 10.0.0.1:31000 id 5" + options,
                            "server b 10.0.0.2:31001 id 6" + options},
                   sticky),
        &change);
    return s.ok() ? change.steps.front().commands.front() : s.message();
  };
  // The cookie option where a keyword goes: after the id, a flag, a value.
  EXPECT_EQ(plan(" cookie b1 check"),
            "add server web_80/b 10.0.0.2:31001 id 6 check");
  EXPECT_EQ(plan(" check cookie b1 inter 2s"),
            "add server web_80/b 10.0.0.2:31001 id 6 check inter 2s");
  EXPECT_EQ(plan(" check inter 2s cookie b1"),
            "add server web_80/b 10.0.0.2:31001 id 6 check inter 2s");
  // After a word that may take it as its argument: the fetch `cookie`.
  EXPECT_EQ(plan(" check-sni cookie weight 0"),
            "server b of backend web_80: 'cookie' where it may be another "
            "option's argument: the file, reloaded, says what it means");
  // Sample expressions: the Host header and constants go; anything that
  // may name a proxy or a table does not.
  EXPECT_EQ(plan(" ssl verify none sni req.hdr(host)"),
            "add server web_80/b 10.0.0.2:31001 id 6 ssl verify none sni "
            "req.hdr(host)");
  EXPECT_EQ(plan(" ssl verify none sni str(shop.example)"),
            "add server web_80/b 10.0.0.2:31001 id 6 ssl verify none sni "
            "str(shop.example)");
  EXPECT_EQ(plan(" ssl verify none sni str(x),concat(y)"),
            "server b of backend web_80: a sample expression "
            "('str(x),concat(y)') that may name a proxy, which HAProxy's "
            "runtime API never resolves");
  EXPECT_EQ(plan(" ssl verify none sni be_name(web_80)"),
            "server b of backend web_80: a sample expression "
            "('be_name(web_80)') that may name a proxy, which HAProxy's "
            "runtime API never resolves");
  EXPECT_EQ(plan(" track other_81/x check"),
            "server b of backend web_80: 'track' names another section of "
            "the config");
}

}  // namespace
}  // namespace mlb
