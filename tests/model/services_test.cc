// From Marathon JSON to service ports: parsing (bad apps skipped, bad
// documents refused), task filtering, health checks, FRAMEWORK_NAME, server
// names and ids.
#include "core/model/services.h"

#include <gtest/gtest.h>

#include "core/marathon/apps.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

class ServicesTest : public testing::WithBuiltinPacks<> {
 protected:
  testing::BuiltServices Build(const std::string& json, ServiceOptions options = {}) {
    std::vector<App> apps;
    std::vector<std::string> warnings;
    Status s = ParseApps(json, &apps, &warnings);
    EXPECT_TRUE(s.ok()) << s.message();
    if (options.groups.empty()) {
      options.groups = {"*"};
    }
    testing::BuiltServices out = testing::BuildServices(*registry_, apps,
                                                        options, resolver_,
                                                        cache_);
    out.warnings.insert(out.warnings.begin(), warnings.begin(), warnings.end());
    return out;
  }
  std::vector<std::string> ServerNames(const testing::BuiltServices& list, size_t i = 0) {
    std::vector<std::string> names;
    for (const auto& s : list.services.at(i).view.servers) {
      names.push_back(s.name);
    }
    return names;
  }

  testing::FakeResolver resolver_{{{"agent1", "10.0.0.1"}}};
  HealthCache cache_;
};

TEST(MarathonAppsTest, InvalidJsonIsAnError) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  Status s = ParseApps("{\"apps\": [", &apps, &warnings);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("Marathon JSON: ", 0), 0u) << s.message();
  EXPECT_EQ(ParseApps("{\"app\": []}", &apps, &warnings).message(),
            "Marathon JSON: no \"apps\" array");
}

TEST(MarathonAppsTest, MalformedAppIsSkippedAndNamed) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  ASSERT_TRUE(ParseApps(R"({"apps": [
      {"id": "/bad", "ports": [80, "eighty"]},
      {"id": "/labels", "labels": {"HAPROXY_GROUP": 7}},
      {"ports": [1]},
      {"id": "/good", "ports": [81]}]})",
                        &apps, &warnings)
                  .ok());
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].id, "/good");
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                "app /bad: ports[1] is not an integer: eighty; app skipped",
                "app /labels: label HAPROXY_GROUP is not a string; app skipped",
                "apps[2]: no \"id\"; app skipped"}));
}

TEST(MarathonAppsTest, NullsAreTreatedAsMissing) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  ASSERT_TRUE(ParseApps(R"({"apps": [{"id": "/n", "labels": null,
      "portDefinitions": null, "ports": [80], "container": null,
      "healthChecks": [{}], "tasks": [{"id": "t", "host": "h",
      "ports": [1], "state": null, "healthCheckResults": null}]}]})",
                        &apps, &warnings)
                  .ok())
      << (warnings.empty() ? "" : warnings[0]);
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].service_ports, std::vector<int>{80});
  ASSERT_EQ(apps[0].health_checks.size(), 1u);
  EXPECT_FALSE(apps[0].health_checks[0].has_value());
  EXPECT_FALSE(apps[0].tasks[0].health_alive.has_value());
}

// The ids marathon-lb's own tests pin, for server names the builder makes.
TEST_F(ServicesTest, ServerNamesAndIdsAreMarathonLbs) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/s",
      "ports": [80], "tasks": [{"host": "10.0.6.25", "ports": [23336]},
                               {"host": "agent1", "ports": [31000]}]}]})");
  ASSERT_EQ(list.services.size(), 1u);
  const auto& servers = list.services[0].view.servers;
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].name, "10_0_6_25_23336");
  EXPECT_EQ(servers[0].id, 14676);
  EXPECT_EQ(servers[1].name, "agent1_10_0_0_1_31000");
}

TEST(LruCacheTest, EvictsTheLeastRecentlyUsed) {
  LruCache<std::string, int> cache(2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  EXPECT_EQ(cache.Get("a"), 1);  // a is now the most recent
  cache.Put("c", 3);             // evicts b
  EXPECT_EQ(cache.Get("b"), std::nullopt);
  EXPECT_EQ(cache.Get("a"), 1);
  EXPECT_EQ(cache.Get("c"), 3);
  cache.Put("c", 4);
  EXPECT_EQ(cache.Get("c"), 4);
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(ServicesTest, DeadTaskStatesAndAgentlessTasksAreDropped) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/s", "ports": [80],
      "tasks": [
        {"id": "1", "host": "10.0.0.1", "ports": [1], "state": "TASK_RUNNING"},
        {"id": "2", "host": "10.0.0.1", "ports": [2], "state": "TASK_STAGING"},
        {"id": "3", "host": "10.0.0.1", "ports": [3], "state": "TASK_KILLING"},
        {"id": "4", "host": "10.0.0.1", "ports": [4], "state": "TASK_UNREACHABLE"},
        {"id": "5", "host": "10.0.0.1", "ports": [5], "state": "TASK_LOST"},
        {"id": "6", "host": "", "ports": [6]},
        {"id": "7", "host": "10.0.0.1", "ports": [7]},
        {"id": "8", "host": "10.0.0.1", "ports": [8], "state": "TASK_GONE"}]}]})");
  ASSERT_EQ(list.services.size(), 1u);
  EXPECT_EQ(ServerNames(list),
            (std::vector<std::string>{"10_0_0_1_1", "10_0_0_1_4", "10_0_0_1_5",
                                      "10_0_0_1_7"}));
}

TEST_F(ServicesTest, UnresolvableAgentDropsThatTaskWithAWarning) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/s", "ports": [80],
      "tasks": [{"id": "s.1", "host": "agent1", "ports": [1]},
                {"id": "s.2", "host": "nowhere.invalid", "ports": [2]}]}]})");
  EXPECT_EQ(ServerNames(list),
            (std::vector<std::string>{"agent1_10_0_0_1_1"}));
  EXPECT_EQ(list.warnings,
            (std::vector<std::string>{"app /s: task s.2 dropped: cannot "
                                      "resolve agent host nowhere.invalid"}));
}

TEST_F(ServicesTest, HealthCheckFlagKeepsTasksWithAnyAliveResult) {
  const std::string json = R"({"apps": [{"id": "/h", "ports": [80],
      "healthChecks": [{"protocol": "HTTP", "portIndex": 0}],
      "tasks": [
        {"id": "h.1", "host": "10.0.0.1", "ports": [1],
         "healthCheckResults": [{"alive": false}, {"alive": true}]},
        {"id": "h.2", "host": "10.0.0.1", "ports": [2],
         "healthCheckResults": [{"alive": false}]},
        {"id": "h.3", "host": "10.0.0.1", "ports": [3]}]}]})";
  EXPECT_EQ(ServerNames(Build(json)).size(), 3u);  // without --health-check
  ServiceOptions options;
  options.health_check = true;
  EXPECT_EQ(ServerNames(Build(json, options)),
            (std::vector<std::string>{"10_0_0_1_1"}));
}

TEST_F(ServicesTest, TaskWithoutResultsKeepsItsLastKnownHealth) {
  ServiceOptions options;
  options.health_check = true;
  Build(R"({"apps": [{"id": "/h", "ports": [80],
      "healthChecks": [{"protocol": "HTTP", "portIndex": 0}],
      "tasks": [{"id": "h.1", "host": "10.0.0.1", "ports": [1],
                 "healthCheckResults": [{"alive": true}]}]}]})",
        options);
  // After a Marathon leader failover the results are missing for a while.
  EXPECT_EQ(ServerNames(Build(R"({"apps": [{"id": "/h", "ports": [80],
      "healthChecks": [{"protocol": "HTTP", "portIndex": 0}],
      "tasks": [{"id": "h.1", "host": "10.0.0.1", "ports": [1]}]}]})",
                              options)),
            (std::vector<std::string>{"10_0_0_1_1"}));
}

TEST_F(ServicesTest, AppWithoutHealthChecksIgnoresTheHealthCheckFlag) {
  ServiceOptions options;
  options.health_check = true;
  EXPECT_EQ(ServerNames(Build(R"({"apps": [{"id": "/n", "ports": [80],
      "tasks": [{"id": "n.1", "host": "10.0.0.1", "ports": [1]}]}]})",
                              options)),
            (std::vector<std::string>{"10_0_0_1_1"}));
}

TEST_F(ServicesTest, FrameworkNameSkipsMarathonLbItself) {
  ServiceOptions options;
  options.framework_name = "marathon-lb";
  const testing::BuiltServices list = Build(R"({"apps": [
      {"id": "/marathon-lb", "ports": [80],
       "tasks": [{"host": "10.0.0.1", "ports": [1]}]},
      {"id": "/team/marathon-lb", "ports": [81],
       "tasks": [{"host": "10.0.0.1", "ports": [2]}]}]})",
                                 options);
  ASSERT_EQ(list.services.size(), 1u);
  EXPECT_EQ(list.services[0].view.app_id, "/team/marathon-lb");
}

TEST_F(ServicesTest, PortWithoutTasksIsLeftOut) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/idle", "ports": [80],
      "tasks": []}]})");
  EXPECT_TRUE(list.services.empty());
}

TEST_F(ServicesTest, TasksWithFewerPortsOnlyServeTheirPorts) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/p", "ports": [80, 81],
      "tasks": [{"host": "10.0.0.1", "ports": [1, 2]},
                {"host": "10.0.0.2", "ports": [3]}]}]})");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_EQ(ServerNames(list, 0),
            (std::vector<std::string>{"10_0_0_1_1", "10_0_0_2_3"}));
  EXPECT_EQ(ServerNames(list, 1), (std::vector<std::string>{"10_0_0_1_2"}));
}

TEST_F(ServicesTest, PortDefinitionsWinOverLegacyPorts) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/d", "ports": [1],
      "portDefinitions": [{"port": 9000}],
      "tasks": [{"host": "10.0.0.1", "ports": [5]}]}]})");
  ASSERT_EQ(list.services.size(), 1u);
  EXPECT_EQ(list.services[0].view.service_port, 9000);
}

TEST_F(ServicesTest, EmptyHealthCheckStillTurnsOnTheHealthFilter) {
  ServiceOptions options;
  options.health_check = true;
  EXPECT_TRUE(Build(R"({"apps": [{"id": "/e", "ports": [80],
      "healthChecks": [{}],
      "tasks": [{"id": "e.1", "host": "10.0.0.1", "ports": [1]}]}]})",
                    options)
                  .services.empty());
}

TEST_F(ServicesTest, TaskWithoutPortsUsesTheDeclaredPorts) {
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/np",
      "portDefinitions": [{"port": 10400}, {"name": "no-port"}, {"port": 10401}],
      "tasks": [{"id": "np.1", "host": "10.0.0.2", "ports": []}]}]})");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_EQ(list.services[0].view.service_port, 10400);
  EXPECT_EQ(ServerNames(list, 0), (std::vector<std::string>{"10_0_0_2_10400"}));
  EXPECT_EQ(list.services[1].view.service_port, 10401);
  EXPECT_EQ(list.services[1].view.port_index, 1);
}

TEST_F(ServicesTest, SecondServicePortWithTheSameBackendNameIsDropped) {
  const testing::BuiltServices list = Build(R"({"apps": [
      {"id": "/x", "labels": {"HAPROXY_1_PORT": "11000"}, "ports": [11000, 11001],
       "tasks": [{"host": "10.0.0.1", "ports": [1, 2]}]},
      {"id": "/a/b", "ports": [12000], "tasks": [{"host": "10.0.0.1", "ports": [3]}]},
      {"id": "/a_b", "ports": [12000], "tasks": [{"host": "10.0.0.1", "ports": [4]}]}]})");
  std::vector<std::string> backends;
  for (const Service& svc : list.services) {
    backends.push_back(svc.view.backend + "/" + std::to_string(svc.view.port_index));
  }
  EXPECT_EQ(backends, (std::vector<std::string>{"a_b_12000/0", "x_11000/0"}));
  EXPECT_EQ(list.errors,
            (std::vector<std::string>{
                "app /a_b, service port index 0: backend a_b_12000 is already "
                "used by app /a/b, service port index 0; service port skipped",
                "app /x, service port index 1: backend x_11000 is already used "
                "by app /x, service port index 0; service port skipped"}));
}

TEST_F(ServicesTest, UnicodeAppIdsCleanOneUnderscorePerCharacter) {
  EXPECT_EQ(sdk::CleanName("caf\xc3\xa9.example/\xe2\x82\xac"),
            "caf__example__");
}

}  // namespace
}  // namespace mlb
