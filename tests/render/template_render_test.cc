// Template::Render through ctemplate with a positional dictionary that
// points at the caller's values: many placeholders (two-digit positions),
// an output buffer that is reused, or that is itself one of the values.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/config/template.h"

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

TEST(TemplateRenderTest, MorePlaceholdersThanFitOnTheStack) {
  // Render keeps up to 16 value pointers on the stack; 40 take the heap, 17
  // just do, and a render with 3 afterwards uses the stack again.
  for (const int count : {40, 17, 3}) {
    std::string text;
    std::string expected;
    TemplateVars vars;
    for (int i = 0; i < count; ++i) {
      const std::string name = "p" + std::to_string(i);
      text += "{" + name + "},";
      expected += std::to_string(i * 7) + ",";
      vars[name] = std::to_string(i * 7);
    }
    std::string out;
    ASSERT_TRUE(MustCompile(text)->Render(vars, &out).ok());
    EXPECT_EQ(out, expected);
  }
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


// Render walks a small map once in key order, and searches a large one: both
// must find the same values among keys that share prefixes, lengths around
// the 4- and 8-byte word compares, bytes above 0x7F and the empty key.
TEST(TemplateRenderTest, SmallAndLargeMapsGiveTheSameText) {
  const auto tpl = MustCompile(
      "{serverName} {host_ipv4}:{port} id {serverId}{cookieOptions}"
      "{healthCheckOptions}{otherOptions}|{abcdefgh}{abcdefghi}{abcdefghijklmnopq}"
      "{h}{port}\n");
  const TemplateVars exact = {
      {"serverName", "a_1"},        {"host_ipv4", "10.0.0.1"},
      {"port", "31000"},            {"serverId", "7"},
      {"cookieOptions", ""},        {"healthCheckOptions", " check"},
      {"otherOptions", ""},         {"abcdefgh", "8"},
      {"abcdefghi", "9"},           {"abcdefghijklmnopq", "17"},
      {"h", "one"}};
  const std::string expected =
      "a_1 10.0.0.1:31000 id 7 check|8917one31000\n";
  std::string out;
  ASSERT_TRUE(tpl->Render(exact, &out).ok());
  EXPECT_EQ(out, expected);

  TemplateVars extra = exact;  // a few more keys: still walked
  for (const char* key : {"", "A", "abcdefgg", "abcdefghh", "abcdefghijklmnopp",
                          "ho", "host", "port0", "\xc3\xa9", "\xff"}) {
    extra[key] = "x";
  }
  ASSERT_LE(extra.size(), 2 * tpl->placeholders().size() + 2);
  out.clear();
  ASSERT_TRUE(tpl->Render(extra, &out).ok());
  EXPECT_EQ(out, expected);

  TemplateVars large = extra;  // many more: searched
  for (int i = 0; i < 40; ++i) {
    large["k" + std::to_string(i)] = "x";
  }
  out.clear();
  ASSERT_TRUE(tpl->Render(large, &out).ok());
  EXPECT_EQ(out, expected);
}

// A missing placeholder is named in order of appearance, not in the order in
// which the walk through the map meets the names.
TEST(TemplateRenderTest, FirstMissingInOrderOfAppearance) {
  const auto tpl = MustCompile("{zeta} {alpha} {mu}");
  std::string out = "kept";
  Status s = tpl->Render({{"alpha", "a"}}, &out);
  EXPECT_EQ(s.message(), "T: unknown placeholder {zeta}");
  s = tpl->Render({{"alpha", "a"}, {"zeta", "z"}}, &out);
  EXPECT_EQ(s.message(), "T: unknown placeholder {mu}");
  TemplateVars large = {{"zeta", "z"}, {"mu", "m"}};
  for (int i = 0; i < 20; ++i) {
    large["k" + std::to_string(i)] = "x";
  }
  s = tpl->Render(large, &out);
  EXPECT_EQ(s.message(), "T: unknown placeholder {alpha}");
  EXPECT_EQ(out, "kept");
  // A key past every placeholder name, and none before: the walk ends early.
  s = tpl->Render({{"zz", "x"}}, &out);
  EXPECT_EQ(s.message(), "T: unknown placeholder {zeta}");
  EXPECT_EQ(out, "kept");
}

TEST(TemplateRenderTest, LongValuesAndLiterals) {
  // Parts longer than 16 bytes are copied by memcpy, shorter ones inline.
  const std::string long_literal(40, 'L');
  const auto tpl = MustCompile(long_literal + "{a}{b}{c}{d}-{a}");
  const std::string long_value(100, 'v');
  std::string out;
  ASSERT_TRUE(tpl->Render({{"a", long_value},
                           {"b", "12345678"},
                           {"c", "123"},
                           {"d", "12345"}},
                          &out)
                  .ok());
  EXPECT_EQ(out, long_literal + long_value + "12345678" + "123" + "12345" +
                     "-" + long_value);
}

TEST(TemplateRenderTest, SourceLineEndsAreCounted) {
  EXPECT_EQ(MustCompile("a\n{b}\r\n{{c}}\n")->source_newlines(), 3u);
  EXPECT_EQ(MustCompile("a\n{b}\r\n{{c}}\n")->source_returns(), 1u);
  std::unique_ptr<Template> verbatim;
  ASSERT_TRUE(Template::Compile("V", "x\r\n{y\n", true, &verbatim).ok());
  EXPECT_EQ(verbatim->source_newlines(), 2u);
  EXPECT_EQ(verbatim->source_returns(), 1u);
  EXPECT_EQ(MustCompile("")->source_newlines(), 0u);
}

}  // namespace
}  // namespace mlb
