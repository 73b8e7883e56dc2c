// core/base/text: the byte-level text helpers.
#include "core/base/text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/sha256.h"

namespace mlb {
namespace {

TEST(SplitTest, KeepsEveryPieceUntrimmed) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(Split(" a ,b,", ','), (std::vector<std::string>{" a ", "b", ""}));
  EXPECT_EQ(Split("l1\nl2", '\n'), (std::vector<std::string>{"l1", "l2"}));
}

TEST(TrimTest, DropsSpacesAndTabsAtTheEnds) {
  EXPECT_EQ(Trim(" \t bind *:80 \t"), "bind *:80");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(Trim("x\n"), "x\n");
}

TEST(LowerTest, LowerCasesAsciiOnly) {
  EXPECT_EQ(Lower("BIND Ipv4@X"), "bind ipv4@x");
  std::string s = "FrontEnd \xC3\x89";
  LowerInPlace(&s);
  EXPECT_EQ(s, "frontend \xC3\x89");
  EXPECT_TRUE(EqualsLower("FrontEnd", "frontend"));
  EXPECT_FALSE(EqualsLower("frontends", "frontend"));
  EXPECT_FALSE(EqualsLower("backend", "frontend"));
}

TEST(HexTest, TwoLowerCaseDigitsPerByte) {
  const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(Hex(bytes, sizeof(bytes)), "00017f80abff");
  EXPECT_EQ(Hex(bytes, 0), "");
  EXPECT_EQ(Hex(std::string("\x12\xfe", 2)), "12fe");
  EXPECT_EQ(Hex(std::string("a\0b", 3)), "610062");
  EXPECT_EQ(Hex(""), "");
}

TEST(HexTest, OfADigest) {
  const Sha256Digest digest = Sha256("abc");
  EXPECT_EQ(Hex(digest.data(), digest.size()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HexTest, HexValueReadsWhatHexWrites) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    all.push_back(static_cast<char>(b));
  }
  const std::string text = Hex(all);
  ASSERT_EQ(text.size(), 512u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(HexValue(text[2 * i]) * 16 + HexValue(text[2 * i + 1]),
              static_cast<uint8_t>(all[i]));
  }
  EXPECT_EQ(HexValue('F'), 15);
  EXPECT_EQ(HexValue('g'), -1);
}

}  // namespace
}  // namespace mlb
