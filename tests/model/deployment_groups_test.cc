// HAPROXY_DEPLOYMENT_GROUP: marathon-lb 1.15's blue/green merge (which app
// is old, how many old tasks drain), read from Marathon JSON, and the inputs
// it refuses.
#include "core/model/deployment_groups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace mlb {
namespace {

using ::testing::ElementsAre;

struct TaskSpec {
  std::string id;
  // "": no healthCheckResults; "1": alive; "0": not alive; "01": two.
  std::string health;
};

// One app of Marathon's JSON: `labels` is the inside of its labels object.
std::string AppJson(const std::string& id, int instances,
                    const std::string& labels,
                    const std::vector<TaskSpec>& tasks,
                    const std::string& last_scaling_at = "",
                    bool health_checks = false) {
  std::ostringstream out;
  out << R"({"id": ")" << id << R"(", "instances": )" << instances
      << R"(, "labels": {)" << labels << R"(}, "ports": [10001])";
  if (!last_scaling_at.empty()) {
    out << R"(, "versionInfo": {"lastScalingAt": ")" << last_scaling_at
        << R"("})";
  }
  if (health_checks) {
    out << R"(, "healthChecks": [{"protocol": "HTTP", "path": "/"}])";
  }
  out << R"(, "tasks": [)";
  for (size_t i = 0; i < tasks.size(); ++i) {
    out << (i ? ", " : "") << R"({"id": ")" << tasks[i].id
        << R"(", "host": "agent1", "ports": [)" << 31000 + i << "]";
    if (!tasks[i].health.empty()) {
      out << R"(, "healthCheckResults": [)";
      for (size_t r = 0; r < tasks[i].health.size(); ++r) {
        out << (r ? ", " : "") << R"({"alive": )"
            << (tasks[i].health[r] == '1' ? "true" : "false") << "}";
      }
      out << "]";
    }
    out << "}";
  }
  out << "]}";
  return out.str();
}

std::string Group(const std::string& group, const std::string& started_at,
                  const std::string& more = "") {
  std::string labels = R"("HAPROXY_DEPLOYMENT_GROUP": ")" + group + R"(")";
  if (!started_at.empty()) {
    labels += R"(, "HAPROXY_DEPLOYMENT_STARTED_AT": ")" + started_at + R"(")";
  }
  return labels + more;
}

class DeploymentGroupsTest : public ::testing::Test {
 protected:
  // Parses the apps and merges those with the label; the others' ids are
  // the ones a group may not take.
  std::vector<App> Merge(const std::vector<std::string>& apps,
                         bool named_members = true) {
    std::string json = R"({"apps": [)";
    for (size_t i = 0; i < apps.size(); ++i) {
      json += (i ? ", " : "") + apps[i];
    }
    json += "]}";
    std::vector<App> parsed;
    std::vector<std::string> warnings;
    EXPECT_TRUE(ParseApps(json, &parsed, &warnings).ok());
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    std::vector<App> grouped;
    std::set<std::string> others;
    for (App& app : parsed) {
      if (InDeploymentGroup(app)) {
        grouped.push_back(std::move(app));
      } else {
        others.insert(app.id);
      }
    }
    return MergeDeploymentGroups(std::move(grouped), others, named_members,
                                 &errors_);
  }

  // "task-id" for each task, with a '*' after a draining one.
  static std::vector<std::string> Tasks(const App& app) {
    std::vector<std::string> out;
    for (const Task& task : app.tasks) {
      out.push_back(task.id + (task.draining ? "*" : ""));
    }
    return out;
  }

  std::vector<std::string> errors_;
};

// 1.15's rule on a plain (not hybrid) deploy: the target is 1, so as many
// old tasks drain as the new app has healthy tasks; the old app (earlier
// STARTED_AT) gives the merged app its definition, and its tasks come first
// in task id order.
TEST_F(DeploymentGroupsTest, OldTasksDrainOnePerHealthyNewTask) {
  const std::vector<App> merged = Merge(
      {AppJson("/nginx-blue", 3,
               Group("nginx", "2016-02-01T15:51:38.184623") +
                   R"(, "HAPROXY_0_PORT": "10000")",
               {{"blue.3", "1"}, {"blue.1", "1"}, {"blue.2", "1"}}, "", true),
       AppJson("/nginx-green", 2, Group("nginx", "2016-02-01T16:00:00"),
               {{"green.1", "1"}, {"green.2", "01"}}, "", true)});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].id, "/nginx");
  EXPECT_EQ(merged[0].labels.at("HAPROXY_0_PORT"), "10000");
  EXPECT_EQ(merged[0].instances, 3);
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("blue.1*", "blue.2*", "blue.3",
                                            "green.1", "green.2"));
  EXPECT_TRUE(errors_.empty());
}

// Only new tasks with a passing result count as healthy: none (no result
// yet, or every result failing) drains nothing.
TEST_F(DeploymentGroupsTest, NewTasksWithoutAPassingCheckDrainNothing) {
  const std::vector<App> merged =
      Merge({AppJson("/a-blue", 2, Group("a", "2016-01-01T00:00:00"),
                     {{"blue.1", "1"}, {"blue.2", "1"}}, "", true),
             AppJson("/a-green", 2, Group("a", "2016-01-02T00:00:00"),
                     {{"green.1", ""}, {"green.2", "00"}}, "", true)});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]),
              ElementsAre("blue.1", "blue.2", "green.1", "green.2"));
}

// Without health checks the new app's instances count as healthy.
TEST_F(DeploymentGroupsTest, WithoutHealthChecksTheNewInstancesCount) {
  const std::vector<App> merged =
      Merge({AppJson("/a-green", 1, Group("a", "2016-01-02T00:00:00"),
                     {{"green.1", ""}}),
             AppJson("/a-blue", 3, Group("/a", "2016-01-01T00:00:00"),
                     {{"blue.1", ""}, {"blue.2", ""}, {"blue.3", ""}})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].id, "/a");
  EXPECT_THAT(Tasks(merged[0]),
              ElementsAre("blue.1*", "blue.2", "blue.3", "green.1"));
}

// A hybrid deploy (NEW_INSTANCES on the new app): the drain count keeps the
// group at TARGET_INSTANCES, and the app scaled last is the new one whatever
// STARTED_AT says.
TEST_F(DeploymentGroupsTest, HybridDeployKeepsTheTargetAndFollowsScaling) {
  const std::string hybrid =
      R"(, "HAPROXY_DEPLOYMENT_NEW_INSTANCES": "1",)"
      R"( "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "3")";
  // green started later but blue was scaled later: blue is the new app.
  const std::vector<App> merged = Merge(
      {AppJson("/h-blue", 2, Group("h", "2016-01-01T00:00:00") + hybrid,
               {{"blue.1", ""}, {"blue.2", ""}}, "2016-03-01T00:00:00.000Z"),
       AppJson("/h-green", 2, Group("h", "2016-01-02T00:00:00") + hybrid,
               {{"green.1", ""}, {"green.2", ""}},
               "2016-02-01T00:00:00.000Z")});
  ASSERT_EQ(merged.size(), 1u);
  // healthy new 2 (blue's instances) + old instances 2 - target 3 = 1.
  EXPECT_THAT(Tasks(merged[0]),
              ElementsAre("green.1*", "green.2", "blue.1", "blue.2"));
  EXPECT_TRUE(errors_.empty());
}

// FINDING (low; 1.15 parity). A hybrid deploy in its late phase: zdd killed
// old tasks with scale=true, so the OLD app (/h-blue, STARTED_AT earlier,
// TARGET_INSTANCES 4 from its own deploy, no NEW_INSTANCES) was scaled last.
// 1.15 then swaps the roles (blue is "new") and reads TARGET_INSTANCES of
// the app that is new after the swap: 4. Drainable = healthy new 3 (blue's
// instances) + old instances 1 - 4 = 0: nothing drains. This code reads the
// target only when the app that is new AFTER the swap has NEW_INSTANCES;
// blue has none, so the target silently falls back to 1, drainable is 3,
// and the new deploy's only task (green.1) is disabled: the new version gets
// no traffic until zdd finishes.
// Expected (as 1.15): after the swap the target is the new app's
// TARGET_INSTANCES (an app without one leaves the group, as for an
// unreadable one), and nothing drains here.
TEST_F(DeploymentGroupsTest, HybridSwapReadsTheTargetOfTheAppThatIsNewAfterIt) {
  const std::vector<App> merged = Merge(
      {AppJson("/h-blue", 3,
               Group("h", "2016-01-01T00:00:00") +
                   R"(, "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "4")",
               {{"blue.1", ""}, {"blue.2", ""}, {"blue.3", ""}},
               "2016-03-01T00:00:00.000Z"),
       AppJson("/h-green", 1,
               Group("h", "2016-01-02T00:00:00") +
                   R"(, "HAPROXY_DEPLOYMENT_NEW_INSTANCES": "1",)"
                   R"( "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "4")",
               {{"green.1", ""}}, "2016-02-01T00:00:00.000Z")});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]),
              ElementsAre("green.1", "blue.1", "blue.2", "blue.3"));
  EXPECT_TRUE(errors_.empty());
}

// A missing STARTED_AT is the oldest time; on equal times the app merged so
// far is the new one.
TEST_F(DeploymentGroupsTest, MissingStartTimeIsOldestAndTiesKeepTheFirstNew) {
  std::vector<App> merged =
      Merge({AppJson("/m-new", 1, Group("m", "2016-01-01"), {{"new.1", ""}}),
             AppJson("/m-old", 1, Group("m", ""), {{"old.1", ""}})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("old.1*", "new.1"));

  merged = Merge(
      {AppJson("/t-first", 1, Group("t", "2016-01-01T00:00:00Z"),
               {{"first.1", ""}}),
       AppJson("/t-second", 1, Group("t", "2016-01-01T02:00:00+02:00"),
               {{"second.1", ""}})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("second.1*", "first.1"));
}

// Three apps of one group merge in document order, the group so far being
// the old app of the next merge (its instances are the first app's, so one
// more task drains, as 1.15); the groups come out in the order of their
// first app.
TEST_F(DeploymentGroupsTest, ThreeAppsAndTwoGroupsMergeInDocumentOrder) {
  const std::vector<App> merged =
      Merge({AppJson("/z-1", 1, Group("z", "2016-01-01"), {{"z1.1", ""}}),
             AppJson("/y-1", 1, Group("y", "2016-01-01"), {{"y1.1", ""}}),
             AppJson("/z-2", 1, Group("z", "2016-01-02"), {{"z2.1", ""}}),
             AppJson("/z-3", 1, Group("z", "2016-01-03"), {{"z3.1", ""}})});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].id, "/z");
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("z1.1*", "z2.1", "z3.1"));
  EXPECT_EQ(merged[1].id, "/y");
  EXPECT_THAT(Tasks(merged[1]), ElementsAre("y1.1"));
}

// What cannot be read leaves its app out of the group, named with the
// label; the rest of the group stays.
TEST_F(DeploymentGroupsTest, UnreadableLabelsLeaveTheirAppOut) {
  const std::vector<App> merged = Merge(
      {AppJson("/g-blue", 1, Group("g", "2016-01-01"), {{"blue.1", ""}}),
       AppJson("/g-green", 1, Group("g", "soon"), {{"green.1", ""}}),
       AppJson("/g-red", 1,
               Group("g", "2016-01-03",
                     R"(, "HAPROXY_DEPLOYMENT_NEW_INSTANCES": "1")"),
               {{"red.1", ""}}),
       AppJson("/g-grey", 1,
               Group("g", "2016-01-04",
                     R"(, "HAPROXY_DEPLOYMENT_NEW_INSTANCES": "1",)"
                     R"( "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "many")"),
               {{"grey.1", ""}}),
       AppJson("/g-pink", 1,
               Group("g", "2016-01-05",
                     R"(, "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "-1")"),
               {{"pink.1", ""}}),
       AppJson("/bad", 1, Group("a b", "2016-01-01"), {{"bad.1", ""}}),
       AppJson("/dots", 1, Group("x/../y", "2016-01-01"), {{"dots.1", ""}})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("blue.1"));
  EXPECT_THAT(
      errors_,
      ElementsAre(
          "app /g-green: label HAPROXY_DEPLOYMENT_STARTED_AT: 'soon' is not "
          "an ISO 8601 time; the app is left out of deployment group /g",
          "app /g-red: label HAPROXY_DEPLOYMENT_NEW_INSTANCES is set but "
          "HAPROXY_DEPLOYMENT_TARGET_INSTANCES is not; the app is left out "
          "of deployment group /g",
          "app /g-grey: label HAPROXY_DEPLOYMENT_TARGET_INSTANCES: 'many' is "
          "not a number of instances (0-1000000); the app is left out of "
          "deployment group /g",
          "app /g-pink: label HAPROXY_DEPLOYMENT_TARGET_INSTANCES: '-1' is "
          "not a number of instances (0-1000000); the app is left out of "
          "deployment group /g",
          "app /bad: label HAPROXY_DEPLOYMENT_GROUP: 'a b' is not a Marathon "
          "app id (lower-case letters, digits, '.' and '-' between slashes); "
          "the app is left out",
          "app /dots: label HAPROXY_DEPLOYMENT_GROUP: 'x/../y' is not a "
          "Marathon app id (lower-case letters, digits, '.' and '-' between "
          "slashes); the app is left out"));
}

// A group may not take the id of an app outside it: its routes (app id
// ACL, backend name) would be that app's.
TEST_F(DeploymentGroupsTest, AGroupMayNotTakeAnotherAppsId) {
  const std::vector<App> merged =
      Merge({AppJson("/victim", 1, "", {{"victim.1", ""}}),
             AppJson("/victim-blue", 1, Group("victim", "2016-01-01"),
                     {{"blue.1", ""}}),
             AppJson("/victim-green", 1, Group("/victim", "2016-01-02"),
                     {{"green.1", ""}}),
             AppJson("/ok-blue", 1, Group("ok", "2016-01-01"),
                     {{"ok.1", ""}})});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].id, "/ok");
  EXPECT_THAT(errors_,
              ElementsAre("deployment group /victim: app /victim, which is "
                          "not in the group, has this id; the group's apps "
                          "/victim-blue, /victim-green are left out"));
}

// A tenant may not join another team's group: its app would become the new
// app (draining the team's tasks) or, without STARTED_AT, the old one (its
// labels defining the team's backend). Only /<group>-<name>, as zdd names
// the colours, joins; an upper-case group id (no Marathon id, but :9091
// matches ids without case) is no group.
TEST_F(DeploymentGroupsTest, OnlyAppsNamedAfterTheGroupJoinIt) {
  const std::vector<std::string> apps = {
      AppJson("/shop-green", 2, Group("shop", "2016-01-01"),
              {{"green.1", ""}, {"green.2", ""}}),
      AppJson("/mallory/x", 2, Group("shop", "2016-02-01"),
              {{"mallory.1", ""}}),
      AppJson("/shop/x", 1, Group("shop", ""), {{"nested.1", ""}}),
      AppJson("/shopx", 1, Group("shop", ""), {{"prefix.1", ""}}),
      AppJson("/shop-", 1, Group("shop", ""), {{"dash.1", ""}}),
      AppJson("/mallory/w", 1, Group("WEB", ""), {{"upper.1", ""}})};
  std::vector<App> merged = Merge(apps);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].id, "/shop");
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("green.1", "green.2"));
  const auto refused = [](const std::string& app) {
    return "app " + app +
           ": label HAPROXY_DEPLOYMENT_GROUP: only apps named /shop-<name> "
           "(as zdd names them) join deployment group /shop; the app is left "
           "out";
  };
  EXPECT_THAT(errors_,
              ElementsAre(refused("/mallory/x"), refused("/shop/x"),
                          refused("/shopx"), refused("/shop-"),
                          "app /mallory/w: label HAPROXY_DEPLOYMENT_GROUP: "
                          "'WEB' is not a Marathon app id (lower-case "
                          "letters, digits, '.' and '-' between slashes); the "
                          "app is left out"));

  // --label-policy allow: anyone joins, as in marathon-lb 1.15.
  errors_.clear();
  merged = Merge({apps[0], apps[1]}, /*named_members=*/false);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_THAT(Tasks(merged[0]), ElementsAre("green.1*", "green.2*",
                                            "mallory.1"));
  EXPECT_TRUE(errors_.empty());
}

TEST(ParseIsoTimeTest, ReadsTheShapesZddAndMarathonWrite) {
  long long t = 0;
  ASSERT_TRUE(ParseIsoTime("1970-01-01", &t));
  EXPECT_EQ(t, 0);
  ASSERT_TRUE(ParseIsoTime("2016-02-01T15:51:38.184623", &t));
  EXPECT_EQ(t, 1454341898184623LL);
  ASSERT_TRUE(ParseIsoTime("2016-02-01T15:51:38.184Z", &t));
  EXPECT_EQ(t, 1454341898184000LL);
  ASSERT_TRUE(ParseIsoTime("2016-02-01T17:51:38.184+02:00", &t));
  EXPECT_EQ(t, 1454341898184000LL);
  ASSERT_TRUE(ParseIsoTime("2016-02-01 15:51", &t));
  EXPECT_EQ(t, 1454341860000000LL);
  ASSERT_TRUE(ParseIsoTime("2000-02-29T00:00:00-0130", &t));
  EXPECT_EQ(t, 951782400000000LL + 5400000000LL);
  for (const char* bad :
       {"", "soon", "2016-2-01", "2016-02-30", "2015-02-29", "2016-13-01",
        "2016-02-01T24:00", "2016-02-01T15", "2016-02-01T15:51:38.",
        "2016-02-01T15:51:38Z junk", "2016-02-01T15:61", "2016-02-01Z"}) {
    EXPECT_FALSE(ParseIsoTime(bad, &t)) << bad;
  }
}

}  // namespace
}  // namespace mlb
