// Review of the 1.15 exposure labels (commit fea31cf) as a hostile tenant:
// label values that get past the label checks and then either make
// `haproxy -c` refuse the whole config (every app frozen on the last good
// config) or are silently not honoured while the port stays up.
//
// Each test renders a good app next to the hostile one and expects the
// hostile port to be dropped with an error naming the app, the port index
// and the label, and HAProxy to accept what is left.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "tests/support/hostile_render.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using testing::Render;
using testing::RenderOptions;

class ExposureReviewTest : public testing::HostileRenderTest {};

// A bystander app and /evil, whose labels are `evil_labels` (JSON members).
std::string TwoApps(const std::string& evil_labels) {
  return R"({"apps": [
    {"id": "/good", "labels": {"HAPROXY_GROUP": "external"},
     "ports": [10000],
     "tasks": [{"id": "good.1", "host": "agent1", "ports": [1024],
                "state": "TASK_RUNNING"}]},
    {"id": "/evil", "labels": {"HAPROXY_GROUP": "external")" +
         evil_labels + R"(},
     "ports": [10001],
     "tasks": [{"id": "evil.1", "host": "agent1", "ports": [1025],
                "state": "TASK_RUNNING"}]}]})";
}

using testing::MentionsEvilPortAndLabel;

// HAPROXY_{n}_BALANCE: IsBalanceAlgorithm checks only the first word (up to
// a space or '('), so a known algorithm with missing or bad arguments
// reaches the config, and haproxy -c refuses the whole file: every app is
// frozen on the last good config. Each value below was checked against
// HAProxy 2.6.12 (`balance <value>` alone in a backend fails -c).
class BalanceArgumentsTest
    : public ExposureReviewTest,
      public ::testing::WithParamInterface<const char*> {};

TEST_P(BalanceArgumentsTest, BadArgumentsDropThePortNotTheConfig) {
  const testing::RenderResult r = RenderApps(TwoApps(
      std::string(R"(, "HAPROXY_0_BALANCE": ")") + GetParam() + "\""));
  EXPECT_EQ(HaproxyRefusal(r.text), "")
      << "balance " << GetParam() << " reached the config";
  EXPECT_NE(r.text.find("\nbackend good_10000\n"), std::string::npos);
  EXPECT_EQ(r.text.find("evil_10001"), std::string::npos);
  EXPECT_TRUE(MentionsEvilPortAndLabel(r.errors, "HAPROXY_0_BALANCE"))
      << ::testing::PrintToString(r.errors);
}

INSTANTIATE_TEST_SUITE_P(
    HaproxyRefuses, BalanceArgumentsTest,
    ::testing::Values("url_param", "hdr(", "hdr()", "random(x)",
                      "random(0)", "uri len -1", "uri depth x", "hash",
                      "hash no_such_fetch", "rdp-cookie(",
                      "url_param id max_wait 0"));

// `balance hash <expr>` takes any sample expression, and the WORDS kind
// applies only the character rules: the refused-directive table (env(),
// map files, Lua) that every template override is held to is skipped, even
// under --label-policy deny, which refuses all overrides. With two tasks,
// `hash env(MARATHON_PASSWORD),bytes(i,1),hex,hex2i,and(1)` sends all
// traffic to one task or the other by bit i of the LB's secret: the app
// owner reads the secret one label change per bit (HAProxy accepts the
// expression: checked with haproxy -c).
TEST_F(ExposureReviewTest, BalanceHashIsHeldToTheRefusedFetches) {
  for (const char* value :
       {"hash env(MARATHON_PASSWORD),bytes(0,1),hex,hex2i,and(1)",
        "hash src,map(/etc/haproxy/domain2backend.map)",
        "hash src,lua.pick"}) {
    for (const LabelPolicy policy :
         {LabelPolicy::kRestricted, LabelPolicy::kDeny}) {
      RenderOptions options;
      options.label_policy = policy;
      const testing::RenderResult r = RenderApps(
          TwoApps(std::string(R"(, "HAPROXY_0_BALANCE": ")") + value + "\""),
          options);
      EXPECT_EQ(r.text.find("evil_10001"), std::string::npos)
          << "--label-policy " << LabelPolicyName(policy) << ": balance "
          << value << " reached the config";
      EXPECT_TRUE(MentionsEvilPortAndLabel(r.errors, "HAPROXY_0_BALANCE"))
          << ::testing::PrintToString(r.errors);
    }
  }
}

// HTTP_/TCP_BACKEND_NETWORK_ALLOWED_ACL may be overridden by label under
// the default `restricted` policy, but HTTP_/TCP_BACKEND_ACL_ALLOW_DENY,
// always added after it, names the ACL `network_allowed`: an override that
// is empty (the usual way to switch a template off) or names its ACL
// otherwise leaves `http-request allow if network_allowed` pointing at no
// ACL, and haproxy -c refuses every app's config.
TEST_F(ExposureReviewTest, NetworkAllowedOverrideCannotFreezeTheConfig) {
  for (const std::string& override_value :
       {std::string(""), std::string("  acl office src {network_allowed}\\n")}) {
    for (const char* template_name : {"HTTP_BACKEND_NETWORK_ALLOWED_ACL",
                                      "TCP_BACKEND_NETWORK_ALLOWED_ACL"}) {
      const std::string vhost =
          template_name[0] == 'H' ? R"(, "HAPROXY_0_VHOST": "evil.example")"
                                  : "";
      const testing::RenderResult r = RenderApps(TwoApps(
          vhost +
          R"(, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "10.0.0.0/8",
              "HAPROXY_0_)" +
          template_name + R"(": ")" + override_value + "\""));
      EXPECT_EQ(HaproxyRefusal(r.text), "")
          << template_name << " = '" << override_value << "'";
      EXPECT_NE(r.text.find("\nbackend good_10000\n"), std::string::npos);
      // The allow-list still holds: the override is not taken.
      EXPECT_NE(r.text.find("  acl network_allowed src 10.0.0.0/8\n"),
                std::string::npos)
          << template_name << "\n" << r.text;
    }
  }
}

// CanonicalNetwork keeps an IPv4-mapped address with an IPv4-sized prefix
// as it is: "::ffff:10.0.0.0/8" is the IPv6 network ::/8, which holds every
// IPv4-mapped address, and HAProxy matches IPv4 clients against it as
// such. Checked with HAProxy 2.6.12 on 127.0.0.1: `acl network_allowed src
// ::ffff:10.0.0.0/8` lets 127.0.0.1 through (10.0.0.0/8 gives it 403), so
// an allow-list meant as "10/8 only" admits every IPv4 source. The value
// must be refused (port dropped) or read as 10.0.0.0/8.
TEST_F(ExposureReviewTest, MappedAddressWithShortPrefixDoesNotAdmitAllIpv4) {
  const testing::RenderResult r = RenderApps(TwoApps(
      R"(, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "::ffff:10.0.0.0/8")"));
  EXPECT_EQ(r.text.find("acl network_allowed src ::ffff:10.0.0.0/8\n"),
            std::string::npos)
      << "an allow-list that admits every IPv4 source";
  const bool dropped = r.text.find("evil_10001") == std::string::npos;
  EXPECT_TRUE(dropped || r.text.find("acl network_allowed src 10.0.0.0/8\n") !=
                             std::string::npos)
      << r.text;
  if (dropped) {
    EXPECT_TRUE(MentionsEvilPortAndLabel(
        r.errors, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL"))
        << ::testing::PrintToString(r.errors);
  }
}

// The built-in backends pack declares HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL;
// the replacement pack the project ships (plugins/examples/backends_alt,
// "operators' templates/ files and HAPROXY_{n}_<TEMPLATE> labels keep
// working") does not. With it, the allow-list label is only "not a
// marathon-lb label or template; ignored" (a warning) and the port is
// served to every source: a label that narrows exposure is ignored while
// its port stays up.
TEST(ExposureReviewPackTest, AllowListIsNotIgnoredByAReplacementBackendsPack) {
  const char* alt = std::getenv("MLB_BACKENDS_ALT_PACK");
  ASSERT_NE(alt, nullptr);
  const std::string alt_path = alt;
  PluginRegistry registry;
  registry.ChoosePack("backends", "com.example.backends_alt");
  std::vector<std::string> refusals;
  ASSERT_TRUE(registry
                  .LoadDirectories({testing::PluginDir(),
                                    alt_path.substr(0, alt_path.rfind('/'))},
                                   &refusals)
                  .ok());
  ASSERT_EQ(registry.FindFamily("backends")->pack, "com.example.backends_alt");
  RenderOptions options;
  options.hosts.emplace("agent1", "1.1.1.1");
  const testing::RenderResult r = Render(
      registry,
      TwoApps(R"(, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "10.0.0.0/8")"),
      options);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const bool restricted =
      r.text.find("acl network_allowed src 10.0.0.0/8") != std::string::npos;
  const bool dropped = r.text.find("evil_10001") == std::string::npos;
  EXPECT_TRUE(restricted || dropped)
      << "port served to every source; warnings: "
      << ::testing::PrintToString(r.warnings) << "\n"
      << (dropped ? "" : r.text.substr(r.text.find("\nbackend evil_10001")));
  if (dropped) {
    EXPECT_TRUE(MentionsEvilPortAndLabel(
        r.errors, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL"))
        << ::testing::PrintToString(r.errors);
  }
}

// Issue 12, item 2: a port token HAProxy reads differently from us.
// HAProxy 2.6 reads the port of a bind address with atoi: "9091x" binds
// 9091 (the admin/app-id port), "1e3" binds 1, "80-+90" binds 80-90; the
// owner check saw no port and let them through. Every bind address is now a
// socket or an exact port (or range), or its service port is dropped.
class BindPortShapeTest : public ExposureReviewTest,
                          public ::testing::WithParamInterface<const char*> {
};

TEST_P(BindPortShapeTest, ABindPortWeCannotReadExactlyDropsThePort) {
  const std::string bind = std::string("127.0.0.1:") + GetParam();
  const testing::RenderResult r = RenderApps(TwoApps(
      R"(, "HAPROXY_0_FRONTEND_HEAD": "\nfrontend {backend}\n  bind )" + bind +
      R"(\n  mode tcp\n")"));
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                "app /evil, service port index 0: bind " + bind +
                " in frontend evil_10001 is neither a socket nor an address "
                "with a port of digits (1-65535, or a range N-M): the port "
                "HAProxy would bind cannot be checked; service port skipped"});
  EXPECT_NE(r.text.find("\nbackend good_10000\n"), std::string::npos);
  EXPECT_EQ(r.text.find("evil_10001"), std::string::npos);
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

INSTANTIATE_TEST_SUITE_P(Shapes, BindPortShapeTest,
                         ::testing::Values("9091x", "9091.5", "1e3",
                                           "10000-10001x", "10000-+10001",
                                           "80abc", "0x2383"));

}  // namespace
}  // namespace mlb
