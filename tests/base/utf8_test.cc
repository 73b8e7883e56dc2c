// core/base/utf8: UTF-8 decoding, the characters no value may carry, and a
// value shown on one log line.
#include "core/base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace mlb {
namespace {

TEST(NextCodePointTest, DecodesOneToFourBytes) {
  const std::string s = "a\xC3\xA9\xE2\x80\x8B\xF0\x9F\x98\x80";
  size_t i = 0;
  uint32_t cp = 0;
  ASSERT_TRUE(NextCodePoint(s, &i, &cp));
  EXPECT_EQ(cp, 0x61u);
  EXPECT_EQ(i, 1u);
  ASSERT_TRUE(NextCodePoint(s, &i, &cp));
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(i, 3u);
  ASSERT_TRUE(NextCodePoint(s, &i, &cp));
  EXPECT_EQ(cp, 0x200Bu);
  EXPECT_EQ(i, 6u);
  ASSERT_TRUE(NextCodePoint(s, &i, &cp));
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(i, s.size());
}

TEST(NextCodePointTest, RefusesInvalidSequencesAndLeavesTheIndex) {
  for (const std::string& s :
       {std::string("\x80"), std::string("\xC3"), std::string("\xC3("),
        std::string("\xC0\xAF"),          // overlong '/'
        std::string("\xED\xA0\x80"),      // surrogate
        std::string("\xF4\x90\x80\x80"),  // above U+10FFFF
        std::string("\xFF")}) {
    size_t i = 0;
    uint32_t cp = 0;
    EXPECT_FALSE(NextCodePoint(s, &i, &cp)) << Show(s);
    EXPECT_EQ(i, 0u) << Show(s);
  }
}

TEST(ShowTest, EscapesControlAndInvisibleCharacters) {
  EXPECT_EQ(Show("plain /path"), "plain /path");
  EXPECT_EQ(Show("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
  EXPECT_EQ(Show(std::string("x\x01y\x7f", 4)), "x\\x01y\\x7f");
  EXPECT_EQ(Show(std::string("no\xC2\xA0") + "break"), "no\\u00a0break");
  EXPECT_EQ(Show("\xC2\x85"), "\\u0085");
  EXPECT_EQ(Show("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(Show("bad\xFF"), "bad\\xff");
}

TEST(BadCharacterTest, NamesTheFirstBadCharacter) {
  EXPECT_EQ(BadCharacter("www.example.com", false), "");
  EXPECT_EQ(BadCharacter("caf\xC3\xA9", false), "");
  EXPECT_EQ(BadCharacter("a\nb", false),
            "has a newline (U+000A) at character 2");
  EXPECT_EQ(BadCharacter("ab\r", false),
            "has a carriage return (U+000D) at character 3");
  EXPECT_EQ(BadCharacter("\tx", false), "has a tab (U+0009) at character 1");
  EXPECT_EQ(BadCharacter(std::string("x\0", 2), false),
            "has a control character (U+0000) at character 2");
  EXPECT_EQ(BadCharacter("\xC3\xA9\xC2\xA0", false),
            "has U+00A0 (no-break space) at character 2");
  EXPECT_EQ(BadCharacter("a\xE2\x80\xAE", false),
            "has U+202E (bidi control) at character 2");
  EXPECT_EQ(BadCharacter("ab\xFF", false), "is not UTF-8 at byte 3");
}

TEST(BadCharacterTest, LinesAcceptTabsAndNewlines) {
  EXPECT_EQ(BadCharacter("  a\tb\n  c\n", true), "");
  EXPECT_EQ(BadCharacter("a\r\n", true),
            "has a carriage return (U+000D) at character 2");
}

}  // namespace
}  // namespace mlb
