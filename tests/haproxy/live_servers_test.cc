// PlanLiveChange and LiveServers: the exact runtime commands for a change of
// servers, what is refused (and so reloaded), and the deletions that wait
// for connections to end. HAProxy's answers here are the ones HAProxy 2.6
// gave by hand (live_servers.cc); LiveTest drives a real HAProxy.
#include "core/haproxy/live_servers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
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

TEST(PlanLiveChangeTest, ADisabledServerIsAddedAndLeftInMaintenance) {
  LiveChange change;
  ASSERT_TRUE(Plan(Backend({}), Backend({"server d_1 10.0.0.1:1 disabled"}),
                   &change)
                  .ok());
  EXPECT_THAT(Commands(change),
              ElementsAre(ElementsAre(
                  "add server web_80/d_1 10.0.0.1:1 disabled")));
}

TEST(PlanLiveChangeTest, WhatTheRuntimeApiCannotTakeIsRefusedByName) {
  LiveChange change;
  // HAProxy 2.6: "'cookie' option is not accepted for dynamic server".
  Status s = Plan(Backend({}),
                  Backend({"server s_1 10.0.0.1:1 check cookie 85c68fa98c"}),
                  &change);
  EXPECT_EQ(s.message(),
            "server s_1 of backend web_80: HAProxy 2.6 refuses 'cookie' on a "
            "server added through the runtime API");
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

}  // namespace
}  // namespace mlb
