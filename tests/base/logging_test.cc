// What a log record shows of a message: one line, whatever the message
// quotes (issue: newlines in app ids, label keys or health-check values
// forged log records).
#include "core/base/logging.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mlb
