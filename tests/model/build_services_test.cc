// ServiceBuilder's bookkeeping for large updates: agent hosts resolved once
// per update, server ids given through a bitset (the same ids, collisions
// included, as marathon-lb gives them), and the labels read for the packs.
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/model/services.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

class CountingResolver : public HostResolver {
 public:
  std::optional<std::string> Resolve(const std::string& host) override {
    ++calls[host];
    if (host.rfind("agent", 0) == 0) {
      return "10.0.0." + host.substr(5);
    }
    return std::nullopt;
  }
  std::map<std::string, int> calls;
};

class BuildServicesTest : public testing::WithBuiltinPacks<> {
 protected:
  testing::BuiltServices Build(const std::string& json, HostResolver& resolver) {
    apps_.clear();
    std::vector<std::string> warnings;
    const Status s = ParseApps(json, &apps_, &warnings);
    EXPECT_TRUE(s.ok()) << s.message();
    ServiceOptions options;
    options.groups = {"*"};
    HealthCache cache;
    return testing::BuildServices(*registry_, apps_, options, resolver, cache);
  }

  std::vector<App> apps_;
};

TEST_F(BuildServicesTest, EachAgentIsResolvedOncePerUpdate) {
  CountingResolver resolver;
  const testing::BuiltServices list = Build(R"({"apps": [
      {"id": "/a", "ports": [1, 2], "tasks": [
        {"id": "a.1", "host": "agent1", "ports": [11, 12]},
        {"id": "a.2", "host": "agent2", "ports": [13, 14]},
        {"id": "a.3", "host": "nowhere", "ports": [15, 16]}]},
      {"id": "/b", "ports": [3], "tasks": [
        {"id": "b.1", "host": "agent1", "ports": [17]},
        {"id": "b.2", "host": "nowhere", "ports": [18]}]}]})",
                                 resolver);
  EXPECT_EQ(resolver.calls, (std::map<std::string, int>{
                                {"agent1", 1}, {"agent2", 1}, {"nowhere", 1}}));
  // The unresolvable agent is still reported for each of its tasks.
  EXPECT_EQ(
      list.warnings,
      (std::vector<std::string>{
          "app /a: task a.3 dropped: cannot resolve agent host nowhere",
          "app /b: task b.2 dropped: cannot resolve agent host nowhere"}));
  ASSERT_EQ(list.services.size(), 3u);
  EXPECT_EQ(list.services[0].view.servers.size(), 2u);
  EXPECT_EQ(list.services[2].view.servers.at(0).ip, "10.0.0.1");
  // A new update asks again.
  Build(R"({"apps": [{"id": "/a", "ports": [1],
      "tasks": [{"host": "agent1", "ports": [11]}]}]})",
        resolver);
  EXPECT_EQ(resolver.calls["agent1"], 2);
}

// marathon-lb's server id, written here as marathon-lb computes it (the
// hex digest read as a big number, modulo 32767, digit by digit; on 0 or a
// taken id, the same of name + " " + the hex digest), with Poco's SHA-256:
// an oracle independent of the builder's arithmetic.
int MarathonLbServerId(const std::string& name, std::set<int>* taken) {
  std::string input = name;
  while (true) {
    Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
    sha256.update(input);
    const std::string hex = Poco::DigestEngine::digestToHex(sha256.digest());
    int id = 0;
    for (const char c : hex) {
      id = (id * 16 + (c <= '9' ? c - '0' : c - 'a' + 10)) % 32767;
    }
    if (id != 0 && taken->insert(id).second) {
      return id;
    }
    input += " " + hex;
  }
}

// The ports of this LB's groups that HAPROXY_{n}_ENABLED (or --strict-mode
// without it) leaves out are listed, for /status ("disabled"); those of
// another group are not.
TEST_F(BuildServicesTest, PortsLeftOutByEnabledAreListedAsDisabled) {
  std::vector<std::string> warnings;
  ASSERT_TRUE(ParseApps(R"({"apps": [
      {"id": "/a", "ports": [1, 2, 3],
       "labels": {"HAPROXY_GROUP": "external", "HAPROXY_1_ENABLED": "false",
                  "HAPROXY_2_GROUP": "internal"},
       "tasks": [{"id": "a.1", "host": "agent1", "ports": [11, 12, 13]}]},
      {"id": "/b", "ports": [4], "labels": {"HAPROXY_GROUP": "external"},
       "tasks": [{"id": "b.1", "host": "agent1", "ports": [14]}]},
      {"id": "/c", "ports": [5], "labels": {"HAPROXY_GROUP": "internal"},
       "tasks": [{"id": "c.1", "host": "agent1", "ports": [15]}]}]})",
                        &apps_, &warnings)
                  .ok());
  CountingResolver resolver;
  HealthCache cache;
  ServiceOptions options;
  options.groups = {"external"};
  auto disabled_ports = [&](const ServiceOptions& o) {
    ServiceBuilder builder(o, registry_->labels(), registry_->catalog(),
                           resolver, cache);
    std::vector<Service> services;
    std::vector<std::string> errors;
    std::map<std::string, std::vector<int>> out;
    for (const App& app : apps_) {
      std::vector<int> disabled;
      builder.Add(app, &services, &errors, &warnings, &disabled);
      if (!disabled.empty()) {
        out[app.id] = disabled;
      }
    }
    return out;
  };
  EXPECT_EQ(disabled_ports(options),
            (std::map<std::string, std::vector<int>>{{"/a", {2}}}));
  options.strict_mode = true;  // only HAPROXY_{n}_ENABLED=true ports
  EXPECT_EQ(disabled_ports(options),
            (std::map<std::string, std::vector<int>>{{"/a", {1, 2}},
                                                     {"/b", {4}}}));
}

TEST(ServerIdOracleTest, GivesTheIdsMarathonLbsTestsPin) {
  std::set<int> taken;
  EXPECT_EQ(MarathonLbServerId("0", &taken), 17068);
  EXPECT_EQ(MarathonLbServerId("1", &taken), 25733);
  EXPECT_EQ(MarathonLbServerId("a", &taken), 25929);
  EXPECT_EQ(MarathonLbServerId("10_0_6_25_23336", &taken), 14676);
  const int again = MarathonLbServerId("0", &taken);  // taken: retried
  EXPECT_NE(again, 17068);
  EXPECT_EQ(taken.size(), 5u);
}

TEST_F(BuildServicesTest, ServerIdsAreMarathonLbsCollisionsIncluded) {
  // 600 servers in one backend: some of their ids collide (birthday bound
  // over 32,767 values), which exercises the retry path.
  std::string tasks;
  for (int i = 0; i < 600; ++i) {
    tasks += std::string(i > 0 ? "," : "") +
             R"({"host": "agent1", "ports": [)" + std::to_string(20000 + i) +
             "]}";
  }
  testing::FakeResolver resolver(
      std::map<std::string, std::string>{{"agent1", "10.0.0.1"}});
  const testing::BuiltServices list = Build(
      R"({"apps": [{"id": "/big", "ports": [80], "tasks": [)" + tasks + "]}]}",
      resolver);
  ASSERT_EQ(list.services.size(), 1u);
  const auto& servers = list.services[0].view.servers;
  ASSERT_EQ(servers.size(), 600u);
  std::set<int> taken;
  int retried = 0;
  for (const sdk::Server& server : servers) {
    const int id = MarathonLbServerId(server.name, &taken);
    EXPECT_EQ(server.id, id) << server.name;
    // The id of the name alone, without the retries.
    std::set<int> alone;
    retried += MarathonLbServerId(server.name, &alone) != id ? 1 : 0;
  }
  EXPECT_GT(retried, 0);
}

// The labels the packs declared reach them typed, per port; the core's own
// and undeclared ones do not.
TEST_F(BuildServicesTest, DeclaredLabelsReachThePacksTypedPerPort) {
  testing::FakeResolver resolver;
  const testing::BuiltServices list = Build(R"({"apps": [{"id": "/l",
      "labels": {"team": "x", "HAPROXY_1_PORT": "9000",
                 "HAPROXY_0_STICKY": "Yes", "HAPROXY_1_STICKY": "no",
                 "HAPROXY_1_SSL_CERT": "/etc/ssl/l.pem",
                 "HAPROXY_1_VHOST": "L.example.com"},
      "ports": [1, 2], "tasks": [{"host": "10.0.0.1", "ports": [11, 12]}]}]})",
                                 resolver);
  ASSERT_EQ(list.services.size(), 2u);
  const sdk::Service& first = list.services[0].view;   // port 0: 1
  const sdk::Service& second = list.services[1].view;  // port 1: 9000
  ASSERT_EQ(first.port_index, 0);
  EXPECT_TRUE(first.Flag("HAPROXY_{n}_STICKY"));
  EXPECT_EQ(first.labels.size(), 1u);
  ASSERT_EQ(second.port_index, 1);
  EXPECT_FALSE(second.Flag("HAPROXY_{n}_STICKY"));
  ASSERT_NE(second.Label("HAPROXY_{n}_STICKY"), nullptr);
  EXPECT_EQ(second.Label("HAPROXY_{n}_STICKY")->text, "no");
  EXPECT_EQ(second.Text("HAPROXY_{n}_SSL_CERT"), "/etc/ssl/l.pem");
  EXPECT_EQ(second.Label("HAPROXY_{n}_SSL_CERT")->kind, MLB_LABEL_CERTIFICATE);
  EXPECT_EQ(second.Label("HAPROXY_{n}_VHOST"), nullptr);
  EXPECT_EQ(second.vhost_label, "l.example.com");
  EXPECT_EQ(second.service_port, 9000);
}

}  // namespace
}  // namespace mlb
