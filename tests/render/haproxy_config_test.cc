// The rendered config as data (core/config/haproxy_config.h): sections in
// order, servers as entries, two generations compared section by section and
// server by server.
#include "core/config/haproxy_config.h"

#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace mlb {
namespace {

class HaproxyConfigTest : public testing::WithBuiltinPacks<> {
 protected:
  // Renders `apps` (JSON array body) and returns the config as data.
  HaproxyConfig Generation(const std::string& apps) {
    testing::RenderOptions options;
    options.groups = {"*"};
    UpdateResult result;
    const testing::RenderResult r = testing::RenderWithThreads(
        *registry_, R"({"apps": [)" + apps + "]}", 1, options, &result);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    return std::move(result.generation.config);
  }
};

constexpr char kWeb[] = R"({"id": "/web", "ports": [8080],
    "tasks": [{"host": "10.0.0.1", "ports": [1]},
              {"host": "10.0.0.2", "ports": [2]}]})";
constexpr char kWebScaled[] = R"({"id": "/web", "ports": [8080],
    "tasks": [{"host": "10.0.0.1", "ports": [1]},
              {"host": "10.0.0.3", "ports": [3]}]})";
constexpr char kDb[] = R"({"id": "/db", "ports": [5432],
    "tasks": [{"host": "10.0.0.4", "ports": [4]}]})";

TEST_F(HaproxyConfigTest, SectionsAreKeyedAndOrderedAndServersAreData) {
  const HaproxyConfig config = Generation(kWeb);
  std::vector<std::string> keys;
  for (const ConfigSection& s : config.sections()) {
    keys.push_back(s.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "head", "frontend marathon_http_in",
                      "frontend marathon_http_appid_in",
                      "frontend marathon_https_in", "frontend web_8080",
                      "backend web_8080"}));
  const ConfigSection* backend = config.Find("backend web_8080");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->text, "\nbackend web_8080\n  balance roundrobin\n  mode tcp\n");
  ASSERT_EQ(backend->servers.size(), 2u);
  EXPECT_EQ(backend->servers[0].name, "10_0_0_1_1");
  EXPECT_EQ(backend->servers[0].address, "10.0.0.1");
  EXPECT_EQ(backend->servers[0].port, 1);
  EXPECT_EQ(backend->servers[0].line,
            "  server 10_0_0_1_1 10.0.0.1:1 id " +
                std::to_string(backend->servers[0].id) + "\n");
}

TEST_F(HaproxyConfigTest, ScalingChangesOnlyServers) {
  const ConfigChanges changes =
      Compare(Generation(kWeb), Generation(kWebScaled));
  EXPECT_TRUE(changes.ServersOnly());
  ASSERT_EQ(changes.servers.size(), 1u);
  EXPECT_EQ(changes.servers[0].backend, "backend web_8080");
  EXPECT_EQ(changes.servers[0].added, std::vector<std::string>{"10_0_0_3_3"});
  EXPECT_EQ(changes.servers[0].removed, std::vector<std::string>{"10_0_0_2_2"});
  EXPECT_EQ(changes.Summary(),
            "sections +0 -0 ~0, servers +1 -1 in backend web_8080");
}

TEST_F(HaproxyConfigTest, NewAppAddsSections) {
  const ConfigChanges changes =
      Compare(Generation(kWeb), Generation(std::string(kWeb) + "," + kDb));
  EXPECT_FALSE(changes.ServersOnly());
  EXPECT_EQ(changes.added_sections,
            (std::vector<std::string>{"frontend db_5432", "backend db_5432"}));
  EXPECT_TRUE(changes.removed_sections.empty());
  EXPECT_EQ(changes.Summary(), "sections +2 -0 ~0, servers +0 -0");
  EXPECT_TRUE(Compare(Generation(kWeb), Generation(kWeb)).empty());
}

}  // namespace
}  // namespace mlb
