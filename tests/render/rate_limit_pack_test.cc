// The example pack plugins/examples/rate_limit: a template family the core
// has never heard of, driven by its own label HAPROXY_{n}_RATE_LIMIT.
#include <dirent.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <cctype>
#include <cstdlib>

#include "tests/support/testing.h"

namespace mlb {
namespace {

std::string RateLimitPack() {
  const char* path = std::getenv("MLB_RATE_LIMIT_PACK");
  return path != nullptr ? path : "rate_limit.so";
}

// One app with one task on 10.0.0.1:31000 and service port 10000.
std::string State(const std::string& labels) {
  return R"({"apps": [{"id": "/limited", "labels": {"HAPROXY_GROUP": "external")" +
         labels +
         R"(}, "portDefinitions": [{"port": 10000}], "tasks": [{"id":
         "limited.1", "host": "10.0.0.1", "ports": [31000], "servicePorts":
         [10000], "state": "TASK_RUNNING"}]}]})";
}

// The backend section of /limited, up to its server line.
std::string Backend(const std::string& config) {
  const size_t begin = config.find("\nbackend limited_10000\n");
  if (begin == std::string::npos) {
    return "";
  }
  return config.substr(begin, config.find("  server ", begin) - begin);
}

class RateLimitPackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    testing::LoadBuiltinPacks(registry_);
    Status s = registry_->LoadFile(RateLimitPack());
    ASSERT_TRUE(s.ok()) << s.message();
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  static inline PluginRegistry* registry_ = nullptr;
};

TEST_F(RateLimitPackTest, HttpBackendGetsStickTableTrackAndDeny) {
  const testing::RenderResult r = testing::Render(
      *registry_, State(R"(, "HAPROXY_0_MODE": "http",
                            "HAPROXY_0_RATE_LIMIT": "5")"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_EQ(Backend(r.text),
            "\nbackend limited_10000\n"
            "  balance roundrobin\n"
            "  mode http\n"
            "  option forwardfor\n"
            "  http-request set-header X-Forwarded-Port %[dst_port]\n"
            "  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n"
            "  stick-table type ip size 100k expire 30s store "
            "http_req_rate(10s)\n"
            "  http-request track-sc0 src\n"
            "  http-request deny deny_status 429 if { sc_http_req_rate(0) gt "
            "5 }\n");
}

TEST_F(RateLimitPackTest, TcpBackendLimitsConnections) {
  const testing::RenderResult r = testing::Render(
      *registry_, State(R"(, "HAPROXY_0_RATE_LIMIT": "12")"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(Backend(r.text),
            "\nbackend limited_10000\n"
            "  balance roundrobin\n"
            "  mode tcp\n"
            "  stick-table type ip size 100k expire 30s store "
            "conn_rate(10s)\n"
            "  tcp-request content track-sc0 src\n"
            "  tcp-request content reject if { sc_conn_rate(0) gt 12 }\n");
}

TEST_F(RateLimitPackTest, WithoutTheLabelNothingChanges) {
  const testing::RenderResult r = testing::Render(
      *registry_, State(R"(, "HAPROXY_0_MODE": "http")"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.text.find("stick-table"), std::string::npos) << r.text;
  PluginRegistry builtin_only;
  testing::LoadBuiltinPacks(&builtin_only);
  EXPECT_EQ(testing::Render(builtin_only,
                            State(R"(, "HAPROXY_0_MODE": "http")"))
                .text,
            r.text);
}

// The template is overridable like marathon-lb's own, per port by label.
TEST_F(RateLimitPackTest, LabelOverridesTheTemplate) {
  const testing::RenderResult r = testing::Render(
      *registry_,
      State(R"(, "HAPROXY_0_MODE": "http", "HAPROXY_0_RATE_LIMIT": "7",
               "HAPROXY_0_BACKEND_RATE_LIMIT":
               "  http-request deny if {{ src_http_req_rate gt {rateLimit} }}\n")"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_NE(Backend(r.text).find("{ ssl_fc }\n"
                                 "  http-request deny if { src_http_req_rate "
                                 "gt 7 }\n"),
            std::string::npos)
      << r.text;
}

struct BadRateLimit {
  const char* value;
  const char* why;  // what the error says of the value
};

class BadRateLimitTest : public RateLimitPackTest,
                         public ::testing::WithParamInterface<BadRateLimit> {};

// marathon-lb reads the label as an integer (the label's declared kind)
// before the pack sees it; the pack refuses one below 1.
TEST_P(BadRateLimitTest, DropsTheServicePortNamingAppLabelAndValue) {
  const std::string value = GetParam().value;
  const testing::RenderResult r = testing::Render(
      *registry_,
      State(R"(, "HAPROXY_0_MODE": "http", "HAPROXY_0_RATE_LIMIT": ")" +
            value + "\""));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "app /limited, service port index 0: label HAPROXY_0_RATE_LIMIT: " +
                std::string(GetParam().why) + "; service port skipped");
  EXPECT_EQ(r.text.find("limited"), std::string::npos) << r.text;
}

INSTANTIATE_TEST_SUITE_P(
    Values, BadRateLimitTest,
    ::testing::Values(
        BadRateLimit{"abc", "'abc' is not an integer"},
        BadRateLimit{"5.5", "'5.5' is not an integer"},
        BadRateLimit{"", "'' is not an integer"},
        BadRateLimit{"1e3", "'1e3' is not an integer"},
        BadRateLimit{"0", "0 is below 1 (requests per 10 s per client IP)"},
        BadRateLimit{"-3", "-3 is below 1 (requests per 10 s per client IP)"}));

// Python's int() as marathon-lb reads integers: spaces and leading zeros
// are fine.
TEST_F(RateLimitPackTest, LabelIsReadAsPythonReadsAnInteger) {
  for (const char* value : {" 5", "05", "+5"}) {
    const testing::RenderResult r = testing::Render(
        *registry_, State(R"(, "HAPROXY_0_MODE": "http",
                              "HAPROXY_0_RATE_LIMIT": ")" +
                          std::string(value) + "\""));
    EXPECT_TRUE(r.errors.empty()) << value;
    EXPECT_NE(r.text.find("if { sc_http_req_rate(0) gt 5 }"),
              std::string::npos)
        << value;
  }
}

TEST_F(RateLimitPackTest, LabelIsUnknownWithoutThePack) {
  const std::string state =
      State(R"(, "HAPROXY_0_MODE": "http", "HAPROXY_0_RATE_LIMIT": "5")");
  PluginRegistry builtin_only;
  testing::LoadBuiltinPacks(&builtin_only);
  const testing::RenderResult without = testing::Render(builtin_only, state);
  EXPECT_EQ(without.warnings,
            (std::vector<std::string>{
                "label HAPROXY_0_RATE_LIMIT is not a marathon-lb label or "
                "template; ignored"}));
  EXPECT_EQ(without.text.find("stick-table"), std::string::npos);
  EXPECT_TRUE(testing::Render(*registry_, state).warnings.empty());
}

// The core gives a pack's label the character rules of every typed label
// before the pack sees it: a line end cannot reach the config.
TEST_F(RateLimitPackTest, PackLabelWithALineEndIsRefusedByTheCore) {
  const testing::RenderResult r = testing::Render(
      *registry_, State(R"(, "HAPROXY_0_MODE": "http",
                            "HAPROXY_0_RATE_LIMIT": "5\nlua-load /x")"));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rfind("app /limited, service port index 0: label "
                              "HAPROXY_0_RATE_LIMIT refused by --label-policy "
                              "restricted: ",
                              0),
            0u)
      << r.errors[0];
  EXPECT_EQ(r.text.find("lua-load"), std::string::npos) << r.text;
}

// Everything above works without the core knowing the family: no file under
// core/ (the SDK header included) names it.
TEST(RateLimitCoreTest, CoreNeverMentionsRateLimit) {
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           testing::SourceDir() + "/core")) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() ||
        (entry.path().extension() != ".h" && entry.path().extension() != ".cc")) {
      continue;
    }
    std::string text = testing::ReadFile(path);
    for (char& c : text) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(text.find("rate_limit"), std::string::npos) << path;
    EXPECT_EQ(text.find("rate limit"), std::string::npos) << path;
    ++files;
  }
  EXPECT_GT(files, 40);
}

}  // namespace
}  // namespace mlb
