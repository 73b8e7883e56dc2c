// From Marathon JSON to service ports: parsing (bad apps skipped, bad
// documents refused), task filtering, health checks, FRAMEWORK_NAME, server
// names and ids.
#include "core/model/services.h"

#include <gtest/gtest.h>

#include <set>

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

// One backend with more servers than marathon-lb's ids (1..32766): every
// server gets an id, all distinct, in bounded time (marathon-lb looped for
// ever past 32766 servers and took 17 s at 32766); the first servers keep
// their hash ids.
TEST_F(ServicesTest, EveryServerOfAHugeBackendGetsADistinctId) {
  std::string json = R"({"apps": [{"id": "/s", "ports": [80], "tasks": [)";
  constexpr int kTasks = 33000;
  for (int i = 0; i < kTasks; ++i) {
    json += (i ? "," : "") + std::string(R"({"host": "10.)") +
            std::to_string(i / 250) + "." + std::to_string(i % 250) +
            R"(.1", "ports": [31000]})";
  }
  json += "]}]}";
  const testing::BuiltServices list = Build(json);
  ASSERT_EQ(list.services.size(), 1u);
  const auto& servers = list.services[0].view.servers;
  ASSERT_EQ(servers.size(), static_cast<size_t>(kTasks));
  std::set<int> ids;
  for (const auto& server : servers) {
    EXPECT_GE(server.id, 1);
    ids.insert(server.id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(*ids.rbegin(), kTasks);  // 1..32766 by hash, then 32767 up
  // The first server (sorted by host) has its marathon-lb hash id.
  const testing::BuiltServices one = Build(
      R"({"apps": [{"id": "/s", "ports": [80], "tasks": [{"host": ")" +
      servers[0].host + R"(", "ports": [31000]}]}]})");
  EXPECT_EQ(one.services[0].view.servers[0].id, servers[0].id);
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

// HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX (marathon-lb issue #198): port
// 0 serves traffic, port 1 answers the health checks.
class HealthCheckPortIndexTest : public ServicesTest {
 protected:
  // /h with ports 10000 and 10001, `labels` (JSON members) and `checks`
  // (the healthChecks array). Both tasks run on one agent, their port
  // orders crossed: by (host, port) t1 comes first for port 0, t2 for
  // port 1.
  testing::BuiltServices BuildApp(const std::string& labels,
                                  const std::string& checks) {
    return Build(R"({"apps": [{"id": "/h", "labels": {)" + labels +
                 R"(}, "ports": [10000, 10001], "healthChecks": )" + checks +
                 R"(, "tasks": [
                     {"id": "h.1", "host": "10.0.0.1", "ports": [31000, 31005]},
                     {"id": "h.2", "host": "10.0.0.1", "ports": [31002, 31001]}]}]})");
  }
};

constexpr char kPortIndex1[] =
    R"("HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": "1")";

std::string Check(const std::string& protocol, int port_index) {
  return R"({"protocol": ")" + protocol + R"(", "portIndex": )" +
         std::to_string(port_index) + "}";
}

TEST_F(HealthCheckPortIndexTest, PortWithoutACheckTakesTheCheckOfTheIndex) {
  const testing::BuiltServices list =
      BuildApp(kPortIndex1, "[" + Check("HTTP", 1) + "]");
  ASSERT_EQ(list.services.size(), 2u) << ::testing::PrintToString(list.errors);
  const sdk::Service& web = list.services[0].view;
  ASSERT_TRUE(web.health_check.has_value());
  EXPECT_EQ(web.health_check->protocol, "HTTP");
  EXPECT_EQ(web.health_check->port_index, 1);
  EXPECT_EQ(web.mode, "http");
  // Each server is checked on its own task's port 1: 31000 is h.1's, whose
  // port 1 is 31005.
  EXPECT_EQ(ServerNames(list, 0),
            (std::vector<std::string>{"10_0_0_1_31000", "10_0_0_1_31002"}));
  EXPECT_EQ(web.check_ports, (std::vector<int>{31005, 31001}));
  EXPECT_EQ(web.CheckPort(web.servers[1]), 31001);
  const sdk::Server elsewhere = web.servers[1];
  EXPECT_EQ(web.CheckPort(elsewhere), std::nullopt);
  // Port 1 has the check of its own and no label: no ports of another index.
  const sdk::Service& health = list.services[1].view;
  EXPECT_EQ(health.health_check->port_index, 1);
  EXPECT_TRUE(health.check_ports.empty());
  EXPECT_EQ(health.CheckPort(health.servers[0]), std::nullopt);
  EXPECT_TRUE(list.warnings.empty()) << list.warnings[0];
}

TEST_F(HealthCheckPortIndexTest, APortsOwnCheckWinsAndTheIndexGivesThePorts) {
  const testing::BuiltServices list = BuildApp(
      kPortIndex1, "[" + Check("HTTP", 1) + ", " + Check("TCP", 0) + "]");
  ASSERT_EQ(list.services.size(), 2u);
  const sdk::Service& web = list.services[0].view;
  EXPECT_EQ(web.health_check->protocol, "TCP");
  EXPECT_EQ(web.mode, "tcp");
  EXPECT_EQ(web.check_ports, (std::vector<int>{31005, 31001}));
}

TEST_F(HealthCheckPortIndexTest, ACheckWithAPortIsEveryPortsOwn) {
  const testing::BuiltServices list = BuildApp(
      kPortIndex1,
      R"([{"protocol": "TCP", "port": 9999}, )" + Check("HTTP", 1) + "]");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_EQ(list.services[0].view.health_check->port, 9999);
  EXPECT_EQ(list.services[1].view.health_check->port, 9999);
  EXPECT_EQ(list.services[0].view.check_ports,
            (std::vector<int>{31005, 31001}));
}

TEST_F(HealthCheckPortIndexTest, WithoutAnyCheckTheLabelChangesNothing) {
  const testing::BuiltServices list = BuildApp(kPortIndex1, "[]");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_FALSE(list.services[0].view.health_check.has_value());
  EXPECT_EQ(list.services[0].view.mode, "tcp");
  EXPECT_TRUE(list.services[0].view.check_ports.empty());
}

struct ModeCase {
  const char* protocol;
  const char* mode_label;  // HAPROXY_0_MODE, or "" for none
  const char* mode;
};

class HealthCheckPortIndexModeTest
    : public HealthCheckPortIndexTest,
      public ::testing::WithParamInterface<ModeCase> {};

// marathon-lb 1.15: a check taken through the label makes the port http when
// it is of the HTTP family, even over HAPROXY_{n}_MODE; a port's own check
// only when it is HTTP.
TEST_P(HealthCheckPortIndexModeTest, BorrowedHttpFamilyCheckMakesThePortHttp) {
  const ModeCase& c = GetParam();
  std::string labels = kPortIndex1;
  if (*c.mode_label != '\0') {
    labels += std::string(R"(, "HAPROXY_0_MODE": ")") + c.mode_label + "\"";
  }
  const testing::BuiltServices list =
      BuildApp(labels, "[" + Check(c.protocol, 1) + "]");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_EQ(list.services[0].view.mode, c.mode);
  const bool overridden = std::string(c.mode_label) == "tcp" &&
                          std::string(c.mode) == "http";
  EXPECT_EQ(list.warnings,
            overridden ? std::vector<std::string>{
                             "app /h, service port index 0: HAPROXY_0_MODE "
                             "ignored: the port takes the " +
                             std::string(c.protocol) +
                             " health check of port index 1 "
                             "(HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX), "
                             "which makes it http"}
                       : std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Protocols, HealthCheckPortIndexModeTest,
    ::testing::Values(ModeCase{"HTTP", "", "http"},
                      ModeCase{"HTTPS", "", "http"},
                      ModeCase{"MESOS_HTTP", "", "http"},
                      ModeCase{"MESOS_HTTPS", "", "http"},
                      ModeCase{"HTTP", "tcp", "http"},
                      ModeCase{"MESOS_HTTPS", "tcp", "http"},
                      ModeCase{"TCP", "", "tcp"},
                      ModeCase{"MESOS_TCP", "", "tcp"},
                      ModeCase{"COMMAND", "", "tcp"},
                      ModeCase{"TCP", "tcp", "tcp"},
                      ModeCase{"TCP", "http", "http"}));

TEST_F(HealthCheckPortIndexTest, OwnMesosHttpCheckDoesNotMakeThePortHttp) {
  const testing::BuiltServices list = BuildApp(
      kPortIndex1, "[" + Check("MESOS_HTTP", 0) + "]");
  ASSERT_EQ(list.services.size(), 2u);
  EXPECT_EQ(list.services[0].view.mode, "tcp");
}

struct BadIndex {
  const char* value;
  int ports;  // service ports of the app
  const char* message;
};

class HealthCheckPortIndexBadTest
    : public HealthCheckPortIndexTest,
      public ::testing::WithParamInterface<BadIndex> {};

// A value that names no port of the app drops port 0 (marathon-lb 1.15 used
// the port's own servers for some and failed every update for others); port
// 1 stays.
TEST_P(HealthCheckPortIndexBadTest, ValueNamingNoPortDropsThePort) {
  const BadIndex& c = GetParam();
  std::string ports = "[10000";
  std::string task_ports = "[31000";
  for (int i = 1; i < c.ports; ++i) {
    ports += ", " + std::to_string(10000 + i);
    task_ports += ", " + std::to_string(31000 + i);
  }
  const testing::BuiltServices list = Build(
      R"({"apps": [{"id": "/h", "labels": {"HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": ")" +
      std::string(c.value) + R"("}, "ports": )" + ports +
      R"(], "healthChecks": [{"protocol": "HTTP", "portIndex": 0}],
          "tasks": [{"id": "h.1", "host": "10.0.0.1", "ports": )" +
      task_ports + "]}]}]}");
  EXPECT_EQ(list.errors, std::vector<std::string>{c.message});
  ASSERT_EQ(list.services.size(), static_cast<size_t>(c.ports - 1));
  if (c.ports > 1) {
    EXPECT_EQ(list.services[0].view.port_index, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, HealthCheckPortIndexBadTest,
    ::testing::Values(
        BadIndex{"2", 2,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '2' is not a port "
                 "index of the app (0-1); service port skipped"},
        BadIndex{"3", 2,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '3' is not a port "
                 "index of the app (0-1); service port skipped"},
        BadIndex{"-1", 2,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '-1' is not a "
                 "port index of the app (0-1); service port skipped"},
        BadIndex{"1", 1,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '1' is not a port "
                 "index of the app (0); service port skipped"},
        BadIndex{"one", 2,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: 'one' is not an "
                 "integer; service port skipped"},
        BadIndex{"1.0", 2,
                 "app /h, service port index 0: label "
                 "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '1.0' is not an "
                 "integer; service port skipped"}));

TEST_F(HealthCheckPortIndexTest, TaskWithoutThatPortDropsThePort) {
  const std::string app = R"({"apps": [{"id": "/h",
      "labels": {"HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": "1"},
      "ports": [10000, 10001], "healthChecks": )";
  const std::string tasks = R"(, "tasks": [
      {"id": "h.1", "host": "10.0.0.1", "ports": [31000, 31001]},
      {"id": "h.2", "host": "10.0.0.2", "ports": [31002]}]}]})";
  const testing::BuiltServices list =
      Build(app + "[" + Check("HTTP", 0) + "]" + tasks);
  EXPECT_EQ(list.errors,
            std::vector<std::string>{
                "app /h, service port index 0: label "
                "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX: '1' names a port "
                "the servers cannot be checked on: task h.2 has no port of "
                "index 1; service port skipped"});
  ASSERT_EQ(list.services.size(), 1u);
  EXPECT_EQ(list.services[0].view.port_index, 1);
  // Without a check no server is checked: the port stays.
  EXPECT_EQ(Build(app + "[]" + tasks).services.size(), 2u);
}

TEST_F(ServicesTest, UnicodeAppIdsCleanOneUnderscorePerCharacter) {
  EXPECT_EQ(sdk::CleanName("caf\xc3\xa9.example/\xe2\x82\xac"),
            "caf__example__");
}

}  // namespace
}  // namespace mlb
