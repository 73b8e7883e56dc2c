// Golden configs: whole marathon-lb outputs for fixture states in
// tests/fixtures/, compared byte for byte with tests/golden/. After an
// intended change, regenerate with tools/update-golden and review the diff.
//
// The suite also runs the real `haproxy -c` on every golden config (with the
// certificate paths pointed at a generated test certificate).
#include <gtest/gtest.h>

#include "core/base/process.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

struct GoldenCase {
  const char* name;          // fixtures/<name>.json -> golden/<name>.cfg
  bool health_check;         // --health-check
  bool bind_http_https;      // !--dont-bind-http-https
  const char* groups;        // --group values, comma-separated
};

const GoldenCase kCases[] = {
    {"no_apps", false, true, "external"},
    {"reference_example", true, true, "external"},
    {"every_2015_label", false, true, "external"},
    {"every_2015_label_internal_no_http", false, false, "internal"},
    {"marathon15_networking", false, true, "*"},
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    out.push_back(item);
  }
  return out;
}

// Fixture file for a case: cases may share one state.
std::string FixtureFor(const std::string& name) {
  if (name == "every_2015_label_internal_no_http") {
    return "every_2015_label";
  }
  return name;
}

class GoldenTest
    : public testing::WithBuiltinPacks<::testing::TestWithParam<GoldenCase>> {
 protected:
  std::string GoldenPath() const {
    return testing::SourceDir() + "/tests/golden/" + GetParam().name + ".cfg";
  }
};

// The case's state rendered with `registry`.
testing::RenderResult RenderCase(const PluginRegistry& registry,
                                 const GoldenCase& c) {
  const std::string json = testing::ReadFile(
      testing::SourceDir() + "/tests/fixtures/" + FixtureFor(c.name) + ".json");
  EXPECT_FALSE(json.empty());
  testing::RenderOptions options;
  options.groups = Split(c.groups);
  options.health_check = c.health_check;
  options.bind_http_https = c.bind_http_https;
  options.hosts = {{"agent1", "10.0.0.1"},
                   {"agent2", "10.0.0.2"},
                   {"agent3", "10.0.0.3"}};
  return testing::Render(registry, json, options);
}

TEST_P(GoldenTest, RendersExactlyTheGoldenConfig) {
  testing::RenderResult r = RenderCase(*registry_, GetParam());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  if (std::getenv("MLB_UPDATE_GOLDEN") != nullptr) {
    testing::WriteFile(GoldenPath(), r.text);
  }
  EXPECT_EQ(r.text, testing::ReadFile(GoldenPath()));
}

// Families are replaceable: the sticky family implemented again by another
// pack (tests/test_packs/sticky_again, its own label declaration, template
// and cookie hash), chosen as --family-pack does, renders the same configs.
TEST_P(GoldenTest, StickyFromAnotherPackRendersTheSameConfig) {
  const char* again = std::getenv("MLB_STICKY_AGAIN_PACK");
  ASSERT_NE(again, nullptr);
  const std::string path = again;
  PluginRegistry registry;
  registry.ChoosePack("sticky", "test.sticky_again");
  std::vector<std::string> refusals;
  ASSERT_TRUE(registry
                  .LoadDirectories({testing::PluginDir(),
                                    path.substr(0, path.rfind('/'))},
                                   &refusals)
                  .ok());
  ASSERT_TRUE(refusals.empty()) << refusals.front();
  ASSERT_EQ(registry.FindFamily("sticky")->pack, "test.sticky_again");
  ASSERT_EQ(registry.labels().Find("HAPROXY_{n}_STICKY")->pack,
            "test.sticky_again");
  ASSERT_EQ(registry.catalog().Find("BACKEND_STICKY_OPTIONS")->pack,
            "test.sticky_again");
  testing::RenderResult r = RenderCase(registry, GetParam());
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.text, testing::ReadFile(GoldenPath()));
}

TEST_P(GoldenTest, HaproxyAcceptsTheGoldenConfig) {
  const std::string dir = ::testing::TempDir() + "/golden_check";
  const std::string pem = dir + "/test.pem";
  ASSERT_EQ(system(("mkdir -p " + dir + " && [ -s " + pem +
                    " ] || openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
                    "-subj /CN=test -keyout " + dir + "/k.pem -out " + dir +
                    "/c.pem 2>/dev/null && cat " + dir + "/c.pem " + dir +
                    "/k.pem > " + pem)
                       .c_str()),
            0);
  // Point every "crt <path>" at the generated certificate.
  std::string text = testing::ReadFile(GoldenPath());
  ASSERT_FALSE(text.empty());
  for (size_t at = text.find("crt "); at != std::string::npos;
       at = text.find("crt ", at + 4 + pem.size())) {
    const size_t end = text.find_first_of(" \n", at + 4);
    text.replace(at + 4, end - at - 4, pem);
  }
  const std::string cfg = dir + "/" + GetParam().name + ".cfg";
  testing::WriteFile(cfg, text);
  CommandResult result;
  ASSERT_TRUE(RunCommand({"haproxy", "-c", "-f", cfg}, &result).ok());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Configuration file is valid"),
            std::string::npos)
      << result.output;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace mlb
