// core/config/haproxy_words: config lines split into words as HAProxy's
// reader splits them, directive lines, section keywords, and the characters
// that reader gives a meaning to.
#include "core/config/haproxy_words.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlb {
namespace {

using WordList = std::vector<std::string>;

WordList WordsOf(const std::string& line, bool* dollar = nullptr) {
  bool unused = false;
  return Words(line, dollar != nullptr ? dollar : &unused);
}

TEST(WordsTest, SplitsOnSpacesAndTabsInLowerCase) {
  EXPECT_EQ(WordsOf("  Option\thttpchk  GET /  "),
            (WordList{"option", "httpchk", "get", "/"}));
  EXPECT_EQ(WordsOf(""), WordList{});
  EXPECT_EQ(WordsOf(" \t "), WordList{});
}

TEST(WordsTest, HashOutsideQuotesEndsTheLine) {
  EXPECT_EQ(WordsOf("timeout client 5s # comment"),
            (WordList{"timeout", "client", "5s"}));
  EXPECT_EQ(WordsOf("# bind *:84"), WordList{});
  EXPECT_EQ(WordsOf("acl a \"x # y\""), (WordList{"acl", "a", "x # y"}));
}

TEST(WordsTest, QuotesAndEscapesJoinOneWord) {
  EXPECT_EQ(WordsOf("\"lua-load\" /x"), (WordList{"lua-load", "/x"}));
  EXPECT_EQ(WordsOf("lua\"-\"load"), WordList{"lua-load"});
  EXPECT_EQ(WordsOf("'a b' c"), (WordList{"a b", "c"}));
  EXPECT_EQ(WordsOf("\\x6cua-load"), WordList{"lua-load"});
  EXPECT_EQ(WordsOf("a\\ b"), WordList{"a b"});
  EXPECT_EQ(WordsOf("'\\x41'"), WordList{"\\x41"});
  EXPECT_EQ(WordsOf("\"\""), WordList{""});
}

TEST(WordsTest, SetsDollarOnlyInDoubleQuotes) {
  bool dollar = false;
  WordsOf("http-request set-header X $HOME", &dollar);
  EXPECT_FALSE(dollar);
  WordsOf("http-request set-header X '$HOME'", &dollar);
  EXPECT_FALSE(dollar);
  WordsOf("http-request set-header X \"${HOME}\"", &dollar);
  EXPECT_TRUE(dollar);
}

TEST(DirectiveLinesTest, NumbersTheLinesThatHaveWords) {
  const std::vector<DirectiveLine> lines = DirectiveLines(
      "backend {backend}\n\n  # comment\n  balance \"roundrobin\"  \n"
      "  http-request set-var(txn.x) str(\"$X\")");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].number, 1);
  EXPECT_EQ(lines[0].text, "backend {backend}");
  EXPECT_EQ(lines[0].words, (WordList{"backend", "{backend}"}));
  EXPECT_FALSE(lines[0].dollar);
  EXPECT_EQ(lines[1].number, 4);
  EXPECT_EQ(lines[1].text, "balance \"roundrobin\"");
  EXPECT_EQ(lines[1].words, (WordList{"balance", "roundrobin"}));
  EXPECT_EQ(lines[2].number, 5);
  EXPECT_TRUE(lines[2].dollar);
  EXPECT_TRUE(DirectiveLines("\n  \n# x\n").empty());
}

TEST(SectionTest, KnowsTheSectionKeywords) {
  for (const char* section :
       {"global", "defaults", "frontend", "backend", "listen", "program",
        "userlist", "peers", "resolvers", "ring", "crt-store"}) {
    EXPECT_TRUE(IsSection(section)) << section;
    EXPECT_TRUE(IsSectionWord(section)) << section;
  }
  EXPECT_FALSE(IsSection("bind"));
  EXPECT_FALSE(IsSection("Backend"));
  EXPECT_TRUE(IsSectionWord("Backend"));
  EXPECT_FALSE(IsSectionWord("backends"));
  EXPECT_FALSE(IsSectionWord(""));
}

TEST(BadWordCharacterTest, NamesWhatHaproxyWouldReadIntoIt) {
  EXPECT_EQ(BadWordCharacter("www.example.com"), "");
  EXPECT_EQ(BadWordCharacter("/etc/ssl/cert.pem"), "");
  EXPECT_EQ(BadWordCharacter("a.com b.com"),
            "has a space at character 6: a space would add words to the "
            "HAProxy line");
  EXPECT_EQ(BadWordCharacter("x#y"),
            "has '#' at character 2: '#' starts an HAProxy comment");
  EXPECT_EQ(BadWordCharacter("\xC3\xA9\"x"),
            "has '\"' at character 2: HAProxy reads quotes and backslashes "
            "as quoting");
  EXPECT_EQ(BadWordCharacter("a\\b"),
            "has '\\' at character 2: HAProxy reads quotes and backslashes "
            "as quoting");
  EXPECT_EQ(BadWordCharacter("}"),
            "has '}' at character 1: braces delimit HAProxy conditions");
  EXPECT_EQ(BadWordCharacter("a\xFF b"), "");  // BadCharacter's to report
}

}  // namespace
}  // namespace mlb
