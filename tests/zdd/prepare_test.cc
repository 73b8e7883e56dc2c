// The app definition zdd deploys, against marathon-lb 1.15's test_zdd
// expectations (test_simple, test_simple_marathon15, test_hybrid,
// test_hybrid_marathon15): --dry-run prints exactly what zdd.py's
// json.dumps(sort_keys=True, indent=2) printed, the start time aside.
#include "core/zdd/prepare.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/zdd/app_json.h"

namespace mlb::zdd {
namespace {

std::string Fixture(const std::string& name) {
  const char* source = std::getenv("MLB_SOURCE_DIR");
  std::ifstream in(std::string(source != nullptr ? source : ".") +
                   "/tests/fixtures/zdd/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Object::Ptr Parse(const std::string& text) {
  Object::Ptr out;
  const Status s = ParseObject(text, "test", &out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out;
}

std::vector<Object::Ptr> GreenDeployed() {
  const Array::Ptr apps =
      Parse(Fixture("green_deployed.json"))->getArray("apps");
  std::vector<Object::Ptr> out;
  for (size_t i = 0; i < apps->size(); ++i) {
    out.push_back(apps->getObject(static_cast<unsigned>(i)));
  }
  return GroupApps(out, "nginx");
}

std::string Prepared(const std::string& fixture, int new_instances) {
  PrepareOptions options;
  options.new_instances = new_instances;
  Object::Ptr app;
  const Outcome prepared =
      PrepareDeploy(Parse(Fixture(fixture)), GreenDeployed(), options,
                    "2016-02-01T15:51:38.184623", &app);
  EXPECT_TRUE(prepared.ok()) << prepared.status().message();
  return prepared.ok() ? PrettyJson(app) : "";
}

std::string Expected(const std::string& container, const std::string& networks,
                     const std::string& protocol, const std::string& hybrid) {
  return R"({
  "acceptedResourceRoles": [
    "*",
    "slave_public"
  ],
  "container": {
)" + container +
         R"(
  },
  "cpus": 0.1,
  "healthChecks": [
    {
      "gracePeriodSeconds": 15,
      "intervalSeconds": 3,
      "maxConsecutiveFailures": 10,
      "path": "/",
      "portIndex": 0,
      "protocol": ")" +
         protocol + R"(",
      "timeoutSeconds": 15
    }
  ],
  "id": "/nginx-blue",
  "instances": 1,
  "labels": {
    "HAPROXY_0_PORT": "10000",
    "HAPROXY_APP_ID": "nginx",
    "HAPROXY_DEPLOYMENT_ALT_PORT": "10001",
    "HAPROXY_DEPLOYMENT_COLOUR": "blue",
    "HAPROXY_DEPLOYMENT_GROUP": "nginx",
    "HAPROXY_DEPLOYMENT_NEW_INSTANCES": ")" +
         hybrid + R"(",
    "HAPROXY_DEPLOYMENT_STARTED_AT": "2016-02-01T15:51:38.184623",
    "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "3",
    "HAPROXY_GROUP": "external"
  },
  "mem": 65)" +
         networks + R"(
})";
}

const char kDockerBridge[] = R"(    "docker": {
      "forcePullImage": true,
      "image": "brndnmtthws/nginx-echo-sleep",
      "network": "BRIDGE",
      "portMappings": [
        {
          "containerPort": 8080,
          "hostPort": 0,
          "servicePort": 10001
        }
      ]
    },
    "type": "DOCKER")";

const char kMarathon15[] = R"(    "docker": {
      "forcePullImage": true,
      "image": "brndnmtthws/nginx-echo-sleep"
    },
    "portMappings": [
      {
        "containerPort": 8080,
        "hostPort": 0,
        "servicePort": 10001
      }
    ],
    "type": "DOCKER")";

const char kNetworks[] = R"(,
  "networks": [
    {
      "mode": "container/bridge"
    }
  ])";

TEST(PrepareTest, Simple) {
  EXPECT_EQ(Prepared("nginx.json", 0),
            Expected(kDockerBridge, "", "HTTP", "0"));
}

TEST(PrepareTest, SimpleMarathon15) {
  EXPECT_EQ(Prepared("nginx_marathon15.json", 0),
            Expected(kMarathon15, kNetworks, "MESOS_HTTP", "0"));
}

TEST(PrepareTest, Hybrid) {
  EXPECT_EQ(Prepared("nginx.json", 1),
            Expected(kDockerBridge, "", "HTTP", "1"));
}

TEST(PrepareTest, HybridMarathon15) {
  EXPECT_EQ(Prepared("nginx_marathon15.json", 1),
            Expected(kMarathon15, kNetworks, "MESOS_HTTP", "1"));
}

TEST(PrepareTest, FirstDeploymentIsBlueOnItsOwnPortWithAllInstances) {
  Object::Ptr app;
  ASSERT_TRUE(PrepareDeploy(Parse(Fixture("nginx.json")), {}, PrepareOptions(),
                            "T", &app)
                  .ok());
  EXPECT_EQ(StringMember(app, "id"), "/nginx-blue");
  EXPECT_EQ(IntMember(app, "instances"), 5);
  EXPECT_EQ(Label(app, kTargetLabel), "5");
  EXPECT_EQ(Label(app, kNewInstancesLabel), "0");
  int port = 0;
  ASSERT_TRUE(ServicePort(app, &port).ok());
  EXPECT_EQ(port, 10000);
}

TEST(PrepareTest, ColourAndPortAlternate) {
  // After the blue app on the alt port comes green on the stable port.
  Object::Ptr blue;
  ASSERT_TRUE(PrepareDeploy(Parse(Fixture("nginx.json")), GreenDeployed(),
                            PrepareOptions(), "2017", &blue)
                  .ok());
  Object::Ptr green;
  ASSERT_TRUE(PrepareDeploy(Parse(Fixture("nginx.json")), {blue},
                            PrepareOptions(), "2018", &green)
                  .ok());
  EXPECT_EQ(StringMember(green, "id"), "/nginx-green");
  int port = 0;
  ASSERT_TRUE(ServicePort(green, &port).ok());
  EXPECT_EQ(port, 10000);
  EXPECT_EQ(Label(green, kFrontendPortLabel), "10000");
  EXPECT_EQ(Label(green, kTargetLabel), "1");  // blue's instances
}

TEST(PrepareTest, InitialInstancesCappedByTheOldSize) {
  PrepareOptions options;
  options.initial_instances = 10;
  Object::Ptr app;
  ASSERT_TRUE(PrepareDeploy(Parse(Fixture("nginx.json")), GreenDeployed(),
                            options, "T", &app)
                  .ok());
  EXPECT_EQ(IntMember(app, "instances"), 3);
}

TEST(PrepareTest, MissingFieldsAreExit4) {
  const Outcome no_labels = ValidateApp(Parse(R"({"id": "x"})"));
  EXPECT_EQ(no_labels.code(), 4);
  EXPECT_EQ(no_labels.status().message(),
            "app definition field labels: no labels: define the "
            "HAPROXY_DEPLOYMENT_GROUP label");
  const Outcome no_alt = ValidateApp(
      Parse(R"({"id": "x", "labels": {"HAPROXY_DEPLOYMENT_GROUP": "g"}})"));
  EXPECT_EQ(no_alt.code(), 4);
  EXPECT_EQ(no_alt.status().message(),
            "app definition field HAPROXY_DEPLOYMENT_ALT_PORT: define the "
            "HAPROXY_DEPLOYMENT_ALT_PORT label");
  Object::Ptr app;
  const Outcome no_port = PrepareDeploy(
      Parse(R"({"id": "x", "labels": {"HAPROXY_DEPLOYMENT_GROUP": "g",
                "HAPROXY_DEPLOYMENT_ALT_PORT": "2"}})"),
      {}, PrepareOptions(), "T", &app);
  EXPECT_EQ(no_port.code(), 4);
  EXPECT_EQ(no_port.status().message(),
            "app definition field container.portMappings: the app has no "
            "service port");
}

TEST(AppJsonTest, PythonJsonDumps) {
  const Object::Ptr value = Parse(
      R"({"b": [1, 2.5, 1e20, 0.0001, 1e-05, true, "é\n"], "a": {}, "c": [],
          "d": null})");
  EXPECT_EQ(PrettyJson(value),
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2.5,\n    1e+20,\n"
            "    0.0001,\n    1e-05,\n    true,\n    \"\\u00e9\\n\"\n  ],\n"
            "  \"c\": []\n}");
  EXPECT_EQ(CompactJson(Parse("{\"s\": \"q\\\"\\\\\\t\xf0\x9f\x98\x80\"}")),
            R"({"s": "q\"\\\t\ud83d\ude00"})");
  EXPECT_EQ(CompactJson(Parse(R"({"id": "oldApp", "n": [1, 2]})")),
            R"({"id": "oldApp", "n": [1, 2]})");
}

}  // namespace
}  // namespace mlb::zdd
