// core/base/text.h: Hex, and HexValue reading what it writes.
#include "core/base/text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/base/sha256.h"

namespace mlb {
namespace {

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
