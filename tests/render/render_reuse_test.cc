// The template families and the generator keep state from one service (and
// one server line) to the next so as not to rebuild it: placeholder maps,
// rendered health-check options, resolved templates. None of it may leak
// into the next service: these render services that differ in exactly what
// is kept.
#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace mlb {
namespace {

class RenderReuseTest : public testing::WithBuiltinPacks<> {
 protected:
  std::string Config(const std::string& apps) {
    testing::RenderOptions options;
    options.hosts.emplace("agent1", "1.1.1.1");
    testing::RenderResult r =
        testing::Render(*registry_, R"({"apps": [)" + apps + "]}", options);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    errors_ = r.errors;
    return testing::WithoutHead(r.text);
  }

  std::vector<std::string> errors_;
};

// An app /<name> on service port `port` with one task on agent1:<task_port>.
std::string App(const std::string& name, int port, int task_port,
                const std::string& labels = "", const std::string& extra = "") {
  return R"({"id": "/)" + name +
         R"(", "labels": {"HAPROXY_GROUP": "external")" + labels +
         R"(}, "ports": [)" + std::to_string(port) +
         R"(], "tasks": [{"host": "agent1", "ports": [)" +
         std::to_string(task_port) + "]}]" + extra + "}";
}

TEST_F(RenderReuseTest, HealthCheckFieldsOfOneServiceAreNotSeenByTheNext) {
  const std::string config = Config(
      App("a", 1, 11, "",
          R"(, "healthChecks": [{"protocol": "HTTP", "portIndex": 0,
              "command": "from a"}])") +
      "," +
      App("b", 2, 12,
          R"(, "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS":
               "  # {healthCheck[command]}\n")",
          R"(, "healthChecks": [{"protocol": "HTTP", "portIndex": 0}])"));
  EXPECT_EQ(config.find("from a"), std::string::npos) << config;
  EXPECT_EQ(errors_, (std::vector<std::string>{
                         "app /b, service port index 0: label "
                         "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS: unknown "
                         "placeholder {healthCheck[command]}; service port "
                         "skipped"}));
  EXPECT_NE(config.find("\nbackend a_1\n"), std::string::npos);
  EXPECT_EQ(config.find("\nbackend b_2\n"), std::string::npos);
}

TEST_F(RenderReuseTest, EachServiceHasItsOwnServerCheckOptions) {
  const std::string config =
      Config(App("a", 1, 11, "",
                 R"(, "healthChecks": [{"protocol": "TCP", "portIndex": 0,
              "intervalSeconds": 3, "maxConsecutiveFailures": 1}])") +
             "," + App("b", 2, 12) + "," +
             App("c", 3, 13, "",
                 R"(, "healthChecks": [{"protocol": "TCP", "port": 9000,
              "intervalSeconds": 7, "maxConsecutiveFailures": 4}])"));
  EXPECT_NE(config.find("  server agent1_1_1_1_1_11 1.1.1.1:11 id"),
            std::string::npos);
  const auto line = [&](const std::string& start) {
    const size_t at = config.find(start);
    return at == std::string::npos
               ? std::string()
               : config.substr(at, config.find('\n', at) - at);
  };
  const std::string a = line("  server agent1_1_1_1_1_11 ");
  const std::string b = line("  server agent1_1_1_1_1_12 ");
  const std::string c = line("  server agent1_1_1_1_1_13 ");
  EXPECT_NE(a.find(" check inter 3s fall 2"), std::string::npos) << a;
  EXPECT_EQ(b.find("check"), std::string::npos) << b;
  EXPECT_NE(c.find(" check inter 7s fall 5 port 9000"), std::string::npos) << c;
}

TEST_F(RenderReuseTest, CookieOptionsStayWithStickyServices) {
  const std::string config =
      Config(App("a", 1, 11, R"(, "HAPROXY_0_STICKY": "true")") + "," +
             App("b", 2, 12));
  const size_t a = config.find("  server agent1_1_1_1_1_11 ");
  const size_t b = config.find("  server agent1_1_1_1_1_12 ");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_NE(config.substr(a, config.find('\n', a) - a).find(" cookie "),
            std::string::npos);
  EXPECT_EQ(config.substr(b, config.find('\n', b) - b).find("cookie"),
            std::string::npos)
      << config;
}

TEST_F(RenderReuseTest, ALabelTemplateAppliesToItsOwnServiceOnly) {
  const std::string config = Config(App("a", 1, 11,
                                        R"(, "HAPROXY_0_BACKEND_SERVER_OPTIONS":
               "  server {serverName} {host_ipv4}:{port} # a\n")") +
                                    "," + App("b", 2, 12));
  EXPECT_NE(config.find("  server agent1_1_1_1_1_11 1.1.1.1:11 # a\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  server agent1_1_1_1_1_12 1.1.1.1:12 id "),
            std::string::npos)
      << config;
}

TEST_F(RenderReuseTest, AFailedServerLineDropsOnlyItsService) {
  const std::string config =
      Config(App("a", 1, 11,
                 R"(, "HAPROXY_0_BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS":
               "{healthCheck[nothing]}")",
                 R"(, "healthChecks": [{"protocol": "TCP", "portIndex": 0}])") +
             "," +
             App("b", 2, 12, "",
                 R"(, "healthChecks": [{"protocol": "TCP", "portIndex": 0,
              "intervalSeconds": 9}])"));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_NE(errors_[0].find("app /a, service port index 0"), std::string::npos)
      << errors_[0];
  EXPECT_EQ(config.find("\nbackend a_1\n"), std::string::npos);
  EXPECT_NE(config.find("  server agent1_1_1_1_1_12 1.1.1.1:12 id"),
            std::string::npos);
  EXPECT_NE(config.find(" check inter 9s"), std::string::npos) << config;
}

}  // namespace
}  // namespace mlb
