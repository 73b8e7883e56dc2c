// Template::Render through ctemplate with a positional dictionary that
// points at the caller's values: many placeholders (two-digit positions),
// an output buffer that is reused, or that is itself one of the values.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/template_text.h"

namespace mlb {
namespace {

std::unique_ptr<Template> MustCompile(const std::string& text) {
  std::unique_ptr<Template> tpl;
  const Status status = Template::Compile("T", text, false, &tpl);
  EXPECT_TRUE(status.ok()) << status.message();
  return tpl;
}

TEST(TemplateRenderTest, TwelvePlaceholdersAndRepeats) {
  std::string text;
  std::string expected;
  TemplateVars vars;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "p" + std::to_string(i);
    text += "{" + name + "}-";
    expected += "value" + std::to_string(i) + "-";
    vars[name] = "value" + std::to_string(i);
  }
  text += "{p11}{p0}";
  expected += "value11value0";
  std::string out;
  ASSERT_TRUE(MustCompile(text)->Render(vars, &out).ok());
  EXPECT_EQ(out, expected);
}

TEST(TemplateRenderTest, OutputBufferIsReplacedNotAppended) {
  const auto tpl = MustCompile("server {name}\n");
  std::string out = "left over from before";
  ASSERT_TRUE(tpl->Render({{"name", "a"}}, &out).ok());
  ASSERT_TRUE(tpl->Render({{"name", "b"}}, &out).ok());
  EXPECT_EQ(out, "server b\n");
}

TEST(TemplateRenderTest, OutputMayBeOneOfTheValues) {
  const auto tpl = MustCompile("<{a}|{b}>");
  TemplateVars vars = {{"a", "x"}, {"b", "y"}};
  ASSERT_TRUE(tpl->Render(vars, &vars["a"]).ok());
  EXPECT_EQ(vars["a"], "<x|y>");
}

TEST(TemplateRenderTest, UnknownPlaceholderLeavesTheOutputAlone) {
  const auto tpl = MustCompile("{a}{b}");
  std::string out = "kept";
  const Status s = tpl->Render({{"a", "x"}}, &out);
  EXPECT_EQ(s.message(), "T: unknown placeholder {b}");
  EXPECT_EQ(out, "kept");
}

TEST(TemplateRenderTest, LookupFollowsStringOrder) {
  // Names that share a first letter, and names that differ only in case.
  const auto tpl =
      MustCompile("{host}{host_ipv4}{hostA}{Host}{serverId}{serverName}");
  std::string out;
  ASSERT_TRUE(tpl->Render({{"host", "1"},
                           {"host_ipv4", "2"},
                           {"hostA", "3"},
                           {"Host", "4"},
                           {"serverId", "5"},
                           {"serverName", "6"}},
                          &out)
                  .ok());
  EXPECT_EQ(out, "123456");
}

}  // namespace
}  // namespace mlb
