// What a log record shows of a message: one line, whatever the message
// quotes (issue: newlines in app ids, label keys or health-check values
// forged log records).
#include "core/base/logging.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>

namespace mlb {
namespace {

TEST(EscapeLogTextTest, ControlCharactersBecomeEscapesAndTheRestStays) {
  EXPECT_EQ(EscapeLogText("app /web: fine, ünïcode and\ttab"),
            "app /web: fine, ünïcode and\ttab");
  EXPECT_EQ(EscapeLogText("app /a\n2026-12-05 12:00:00,000 marathon_lb: "
                          "forged"),
            "app /a\\n2026-12-05 12:00:00,000 marathon_lb: forged");
  EXPECT_EQ(EscapeLogText("\r\n"), "\\r\\n");
  EXPECT_EQ(EscapeLogText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeLogText("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
  EXPECT_EQ(EscapeLogText(""), "");
  // A backslash already in the text stays one: the escapes are for reading,
  // not for decoding.
  EXPECT_EQ(EscapeLogText("C:\\n"), "C:\\n");
}

TEST(JsonQuoteTest, EveryMessageIsOneValidJsonString) {
  EXPECT_EQ(JsonQuote("plain ünïcode"), "\"plain ünïcode\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("one\ntwo\r\tthree"), "\"one\\ntwo\\r\\tthree\"");
  EXPECT_EQ(JsonQuote(std::string("\0\x1b", 2)), "\"\\u0000\\u001b\"");
  // Bytes that are no UTF-8: each one a replacement character.
  EXPECT_EQ(JsonQuote("x\xff\xc3y"), "\"x\\ufffd\\ufffdy\"");
  EXPECT_EQ(JsonQuote(""), "\"\"");
}

// What the console shows of one message, through SetupLogging's channel.
std::string ConsoleLine(const std::string& format, const std::string& text) {
  char path[] = "/tmp/mlb-log-XXXXXX";
  const int fd = mkstemp(path);
  const int saved = dup(2);
  std::clog.flush();
  dup2(fd, 2);
  EXPECT_TRUE(SetupLogging("INFO", "/dev/null", format).ok());
  Log().information(text);
  MLB_LOG(debug, [] {
    ADD_FAILURE() << "a level that is off formats nothing";
    return std::string("debug");
  }());
  std::clog.flush();
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  std::remove(path);
  return out.str();
}

// The channel itself hides URL passwords and keeps a record on one line,
// whoever wrote the message.
TEST(LogChannelTest, RedactsPasswordsAndEscapesInEveryFormat) {
  const std::string message =
      "GET http://lb:s3cret@127.0.0.1:8080/v2/apps: HTTP 500\nforged";
  EXPECT_EQ(ConsoleLine("%(levelname)s %(message)s", message),
            "INFO GET http://lb:***@127.0.0.1:8080/v2/apps: HTTP "
            "500\\nforged\n");
  const std::string json = ConsoleLine("json", message);
  EXPECT_TRUE(std::regex_match(
      json, std::regex("\\{\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T"
                       "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\",\"level\":"
                       "\"INFO\",\"name\":\"marathon_lb\",\"message\":"
                       "\"GET http://lb:\\*\\*\\*@127\\.0\\.0\\.1:8080/v2/"
                       "apps: HTTP 500\\\\nforged\"\\}\n")))
      << json;
}

// Review 15e, finding 1. Attack: a --marathon URL (or any URL a message
// quotes) whose password holds a "'", which RFC 3986 allows unencoded in
// the user information (a sub-delim, as ! $ & ( ) * + , ; = are):
// http://lb:it's-s3cret@127.0.0.1:8080. RedactUrl ends the authority at the
// quote, finds no '@' before it and redacts nothing. Expected: the password
// is shown as *** in every format, as one without a quote is.
TEST(LogChannelTest, RedactsAPasswordThatHoldsAQuote) {
  const std::string message =
      "GET http://lb:it's-s3cret@127.0.0.1:8080/v2/apps: HTTP 500";
  EXPECT_EQ(ConsoleLine("%(message)s", message),
            "GET http://lb:***@127.0.0.1:8080/v2/apps: HTTP 500\n");
  const std::string json = ConsoleLine("json", message);
  EXPECT_EQ(json.find("s3cret"), std::string::npos) << json;
}

}  // namespace
}  // namespace mlb
