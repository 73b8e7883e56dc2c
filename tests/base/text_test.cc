// core/base/text: the byte-level text helpers.
#include "core/base/text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/sha256.h"

namespace mlb {
namespace {

// The user and password of a URL decoded as 1.15 (Python's unquote)
// decodes them: %HH is a byte, any other '%' stays.
TEST(PercentDecodeTest, DecodesWhatIsAnEscapeAndKeepsTheRest) {
  EXPECT_EQ(PercentDecode("s3%40c%3Aret"), "s3@c:ret");
  EXPECT_EQ(PercentDecode("%41%4a%4A"), "AJJ");
  EXPECT_EQ(PercentDecode("50%off"), "50%off");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("%%41"), "%A");
}

// A whole value that is one URL: the password goes, whatever it holds.
TEST(RedactUrlValueTest, HidesAPasswordThatWouldEndAUrlInText) {
  EXPECT_EQ(RedactUrlValue("http://alice:pa ss@m1:8080"),
            "http://alice:***@m1:8080");
  EXPECT_EQ(RedactUrlValue("http://alice:a\"b@m1/x?y=http://u:p@z"),
            "http://alice:***@m1/x?y=http://u:***@z");
  EXPECT_EQ(RedactUrlValue("http://m1:8080"), "http://m1:8080");
  EXPECT_EQ(RedactUrlValue("http://@m1:8080"), "http://@m1:8080");
}

// A user information without a ':' is a token (a GitHub or S3 style
// https://TOKEN@host/...): a secret, hidden whole, whatever it holds.
TEST(RedactUrlValueTest, HidesAUserOnlyUserInfoWhole) {
  EXPECT_EQ(RedactUrlValue("https://TOKEN@host/t.tgz"),
            "https://***@host/t.tgz");
  EXPECT_EQ(RedactUrlValue("http://tok en\"<x>@m1:8080"),
            "http://***@m1:8080");
  EXPECT_EQ(RedactUrlValue("http://t@k@m1?x=1"), "http://***@m1?x=1");
  EXPECT_EQ(RedactUrlValue("http://tok@m1/x?y=http://other@z"),
            "http://***@m1/x?y=http://***@z");
  EXPECT_EQ(RedactUrlValue("ftp://tok%40en@m1"), "ftp://***@m1");
  // A token with an empty password, as curl -u TOKEN: sends it.
  EXPECT_EQ(RedactUrlValue("https://TOKEN:@host/t.tgz"),
            "https://***@host/t.tgz");
}

// What marathon-lb shows of a --marathon URL with credentials: the user,
// never the password.
TEST(RedactUrlTest, HidesThePasswordOfEveryUrlInTheText) {
  EXPECT_EQ(RedactUrl("http://lb:s3cret@m1:8080"), "http://lb:***@m1:8080");
  EXPECT_EQ(RedactUrl("https://lb:s3cret@m1:8443/marathon/"),
            "https://lb:***@m1:8443/marathon/");
  EXPECT_EQ(
      RedactUrl("Marathon request GET /v2/apps failed: "
                "http://lb:s3cret@m1:8080: HTTP 500 Internal Server Error; "
                "https://ops:other@m2?x=1: connection refused"),
      "Marathon request GET /v2/apps failed: "
      "http://lb:***@m1:8080: HTTP 500 Internal Server Error; "
      "https://ops:***@m2?x=1: connection refused");
  EXPECT_EQ(RedactUrl("'http://lb:s3cret@m1' \"http://a:b@m2\""),
            "'http://lb:***@m1' \"http://a:***@m2\"");
  // A password with ':' or '@' in it is hidden whole.
  EXPECT_EQ(RedactUrl("http://lb:a:b@c@m1:8080/x"), "http://lb:***@m1:8080/x");
  // An empty password: the user is a token (curl -u TOKEN:), hidden whole.
  EXPECT_EQ(RedactUrl("http://lb:@m1"), "http://***@m1");
  // A "'" may be in a password (RFC 3986); review 15e.
  EXPECT_EQ(RedactUrl("GET http://lb:it's@m1:8080/v2"),
            "GET http://lb:***@m1:8080/v2");
  EXPECT_EQ(RedactUrl("'http://lb:it's@m1'"), "'http://lb:***@m1'");
}

// A token as the whole user information: shown as ***@, never the token.
TEST(RedactUrlTest, HidesAUserOnlyUserInfoWhole) {
  EXPECT_EQ(RedactUrl("https://TOKEN@host/t.tgz"), "https://***@host/t.tgz");
  EXPECT_EQ(RedactUrl("starting: mode sse, Marathon http://TOKEN@m1:8080"),
            "starting: mode sse, Marathon http://***@m1:8080");
  EXPECT_EQ(RedactUrl("http://lb@m1:8080 http://a:b@m2 'https://tok@m3'"),
            "http://***@m1:8080 http://a:***@m2 'https://***@m3'");
  EXPECT_EQ(RedactUrl("http://t@k@m1:8080/x"), "http://***@m1:8080/x");
  EXPECT_EQ(RedactUrl("template archive https://ghp_x1@h/t.tgz: HTTP 404"),
            "template archive https://***@h/t.tgz: HTTP 404");
  EXPECT_EQ(RedactUrl("GET https://TOKEN:@m1:8443/v2/apps: HTTP 401"),
            "GET https://***@m1:8443/v2/apps: HTTP 401");
  EXPECT_EQ(RedactUrl("http://a:@m1 http://a:b@m2"),
            "http://***@m1 http://a:***@m2");
}

TEST(RedactUrlTest, LeavesEverythingElseAsItIs) {
  for (const char* text :
       {"", "no URL here", "http://m1:8080/v2/apps", "http://@m1:8080",
        "file:/var/state.json", "http://m1:8080/x?a=b:c@d",
        "http://m1/x#a:b@c", "://", "lb:s3cret@m1", "http://"}) {
    EXPECT_EQ(RedactUrl(text), text);
  }
}

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
