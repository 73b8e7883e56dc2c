// core/base/text: the byte-level text helpers.
#include "core/base/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace mlb
