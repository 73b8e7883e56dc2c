// The example pack plugins/examples/maxconn (the running example of
// docs/plugin-sdk.md) through the whole render path: its label, its
// template at its declared place in the backend, its refusals, a label
// override of its template, and what marathon-lb says without it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/support/testing.h"

namespace mlb {
namespace {

using Labels = std::map<std::string, std::string>;

std::string MaxconnPack() {
  const char* path = std::getenv("MLB_MAXCONN_PACK");
  return path != nullptr ? path : "maxconn.so";
}

// A JSON string: the label values below need only these escapes.
std::string Json(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// App /capped with two service ports, 10000 and 10001 (backends
// capped_10000 and capped_10001), and one task on 10.0.0.1:31000/31001.
std::string Capped(const Labels& labels) {
  std::string json = "{\"HAPROXY_GROUP\": \"external\"";
  for (const auto& [name, value] : labels) {
    json += ", " + Json(name) + ": " + Json(value);
  }
  return R"({"apps": [{"id": "/capped", "labels": )" + json +
         R"(}, "portDefinitions": [{"port": 10000}, {"port": 10001}],
         "tasks": [{"id": "capped.1", "host": "10.0.0.1",
         "ports": [31000, 31001], "servicePorts": [10000, 10001],
         "state": "TASK_RUNNING"}]}]})";
}

// The section `head` ("backend capped_10000") of `config`, its server lines
// included, up to the blank line that starts the next section; "" if none.
std::string SectionOf(const std::string& config, const std::string& head) {
  const size_t at = config.find("\n" + head + "\n");
  if (at == std::string::npos) {
    return "";
  }
  const size_t end = config.find("\n\n", at + 1);
  return config.substr(at + 1, end == std::string::npos ? std::string::npos
                                                        : end - at);
}

// A render that dropped nothing and warned of nothing.
void ExpectClean(const testing::RenderResult& r) {
  EXPECT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, std::vector<std::string>());
  EXPECT_EQ(r.warnings, std::vector<std::string>());
}

class MaxconnPackTest : public testing::WithBuiltinPacks<> {
 protected:
  static void SetUpTestSuite() {
    testing::WithBuiltinPacks<>::SetUpTestSuite();
    const Status s = registry_->LoadFile(MaxconnPack());
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Renders /capped with `labels`, with and without the pack.
  static testing::RenderResult With(const Labels& labels) {
    return testing::Render(*registry_, Capped(labels));
  }
  static testing::RenderResult Without(const Labels& labels) {
    PluginRegistry builtin_only;
    testing::LoadBuiltinPacks(&builtin_only);
    return testing::Render(builtin_only, Capped(labels));
  }
};

// After the http options (order 30), before the sticky cookie (40).
TEST_F(MaxconnPackTest, StickyHttpBackendGetsTheLineBetweenOptionsAndCookie) {
  const Labels labels = {{"HAPROXY_0_MODE", "http"},
                         {"HAPROXY_0_STICKY", "true"},
                         {"HAPROXY_0_MAXCONN", "7"}};
  const testing::RenderResult r = With(labels);
  ExpectClean(r);
  EXPECT_EQ(SectionOf(r.text, "backend capped_10000"),
            "backend capped_10000\n"
            "  balance roundrobin\n"
            "  mode http\n"
            "  option forwardfor\n"
            "  http-request set-header X-Forwarded-Port %[dst_port]\n"
            "  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n"
            "  default-server maxconn 7\n"
            "  cookie mesosphere_server_id insert indirect nocache dynamic\n"
            "  dynamic-cookie-key marathon-lb\n"
            "  server 10_0_0_1_31000 10.0.0.1:31000 id 28035 check cookie "
            "13d473d85a\n");
  // Nothing else changes: the config without the pack, plus that line.
  std::string expected = Without(labels).text;
  const size_t cookie =
      expected.find("  cookie mesosphere_server_id insert indirect nocache "
                    "dynamic\n");
  ASSERT_NE(cookie, std::string::npos) << expected;
  expected.insert(cookie, "  default-server maxconn 7\n");
  EXPECT_EQ(r.text, expected);
}

// A tcp backend has no http options: the line follows the head.
TEST_F(MaxconnPackTest, TcpBackendGetsTheLineAfterItsHead) {
  const testing::RenderResult r = With({{"HAPROXY_1_MAXCONN", "250"}});
  ExpectClean(r);
  EXPECT_EQ(SectionOf(r.text, "backend capped_10001"),
            "backend capped_10001\n"
            "  balance roundrobin\n"
            "  mode tcp\n"
            "  default-server maxconn 250\n"
            "  server 10_0_0_1_31001 10.0.0.1:31001 id 26814\n");
  // Port 0 has no label: its backend is as without the pack.
  EXPECT_EQ(SectionOf(r.text, "backend capped_10000"),
            SectionOf(Without({}).text, "backend capped_10000"));
  EXPECT_EQ(r.text.find("maxconn 250"), r.text.rfind("maxconn 250"));
}

// Python's int(): spaces, a sign and leading zeros are fine.
TEST_F(MaxconnPackTest, LabelIsReadAsAnInteger) {
  for (const char* value : {"7", " 7 ", "+7", "007"}) {
    const testing::RenderResult r = With({{"HAPROXY_0_MAXCONN", value}});
    ExpectClean(r);
    EXPECT_NE(SectionOf(r.text, "backend capped_10000")
                  .find("\n  mode tcp\n  default-server maxconn 7\n"),
              std::string::npos)
        << value << "\n"
        << r.text;
  }
}

struct BadMaxconn {
  const char* value;
  const char* error;  // after "app /capped, service port index 1: "
};

class BadMaxconnTest : public MaxconnPackTest,
                       public ::testing::WithParamInterface<BadMaxconn> {};

// The core refuses what is not an integer (the label's kind) and line ends
// (every kind); the pack refuses an integer below 1. Either drops port 1
// only, with one error naming the app, the port and the label.
TEST_P(BadMaxconnTest, DropsOnlyThatServicePort) {
  const testing::RenderResult r =
      With({{"HAPROXY_0_MAXCONN", "3"}, {"HAPROXY_1_MAXCONN", GetParam().value}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            std::vector<std::string>{"app /capped, service port index 1: " +
                                     std::string(GetParam().error) +
                                     "; service port skipped"});
  EXPECT_EQ(r.text.find("capped_10001"), std::string::npos) << r.text;
  EXPECT_NE(SectionOf(r.text, "backend capped_10000")
                .find("  default-server maxconn 3\n"),
            std::string::npos)
      << r.text;
  EXPECT_NE(SectionOf(r.text, "frontend capped_10000"), "") << r.text;
}

INSTANTIATE_TEST_SUITE_P(
    Values, BadMaxconnTest,
    ::testing::Values(
        BadMaxconn{"0", "label HAPROXY_1_MAXCONN: '0' is below 1 (connections "
                        "per server)"},
        BadMaxconn{"-5", "label HAPROXY_1_MAXCONN: '-5' is below 1 "
                         "(connections per server)"},
        BadMaxconn{" -0", "label HAPROXY_1_MAXCONN: ' -0' is below 1 "
                          "(connections per server)"},
        BadMaxconn{"many", "label HAPROXY_1_MAXCONN: 'many' is not an integer"},
        BadMaxconn{"7.5", "label HAPROXY_1_MAXCONN: '7.5' is not an integer"},
        BadMaxconn{"1e3", "label HAPROXY_1_MAXCONN: '1e3' is not an integer"},
        BadMaxconn{"", "label HAPROXY_1_MAXCONN: '' is not an integer"},
        BadMaxconn{"7\n", "label HAPROXY_1_MAXCONN refused by --label-policy "
                          "restricted: '7\\n' has a newline (U+000A) at "
                          "character 2"}));

// BACKEND_MAXCONN is overridable: HAPROXY_{n}_BACKEND_MAXCONN replaces its
// text for that port, at the same place, with the same placeholders.
TEST_F(MaxconnPackTest, LabelOverridesTheTemplateForItsPort) {
  const testing::RenderResult r = With(
      {{"HAPROXY_0_MODE", "http"},
       {"HAPROXY_0_MAXCONN", "7"},
       {"HAPROXY_0_BACKEND_MAXCONN",
        "  default-server maxconn {maxconn} maxqueue 20\n"},
       {"HAPROXY_1_MAXCONN", "9"}});
  ExpectClean(r);
  EXPECT_NE(SectionOf(r.text, "backend capped_10000")
                .find("{ ssl_fc }\n"
                      "  default-server maxconn 7 maxqueue 20\n"
                      "  server "),
            std::string::npos)
      << r.text;
  EXPECT_NE(SectionOf(r.text, "backend capped_10001")
                .find("  mode tcp\n  default-server maxconn 9\n  server "),
            std::string::npos)
      << r.text;
}

// The label replaces the text; the family still decides whether it applies.
TEST_F(MaxconnPackTest, OverrideAloneAddsNothing) {
  const Labels labels = {{"HAPROXY_0_BACKEND_MAXCONN",
                          "  default-server maxconn 99\n"}};
  const testing::RenderResult r = With(labels);
  ExpectClean(r);
  EXPECT_EQ(r.text, Without({}).text);
}

// An override is checked against the placeholders the pack gives.
TEST_F(MaxconnPackTest, OverrideWithAnUnknownPlaceholderDropsThePort) {
  const testing::RenderResult r =
      With({{"HAPROXY_0_MAXCONN", "7"},
            {"HAPROXY_0_BACKEND_MAXCONN", "  default-server maxconn {max}\n"}});
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                "app /capped, service port index 0: label "
                "HAPROXY_0_BACKEND_MAXCONN: unknown placeholder {max} "
                "(BACKEND_MAXCONN supplies {backend}, {maxconn}); service "
                "port skipped"});
  EXPECT_EQ(r.text.find("capped_10000"), std::string::npos) << r.text;
}

// Without the pack marathon-lb knows neither the label nor the template.
TEST_F(MaxconnPackTest, WithoutThePackTheLabelsAreUnknown) {
  const Labels labels = {
      {"HAPROXY_0_MAXCONN", "7"},
      {"HAPROXY_0_BACKEND_MAXCONN", "  default-server maxconn {maxconn}\n"}};
  const testing::RenderResult without = Without(labels);
  ASSERT_TRUE(without.status.ok()) << without.status.message();
  EXPECT_EQ(without.errors, std::vector<std::string>());
  EXPECT_EQ(without.warnings,
            (std::vector<std::string>{
                "label HAPROXY_0_BACKEND_MAXCONN is not a marathon-lb label or "
                "template; ignored",
                "label HAPROXY_0_MAXCONN is not a marathon-lb label or "
                "template; ignored"}));
  EXPECT_EQ(without.text, Without({}).text);
  EXPECT_EQ(With(labels).warnings, std::vector<std::string>());
}

}  // namespace
}  // namespace mlb
