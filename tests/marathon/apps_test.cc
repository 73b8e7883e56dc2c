// The streaming Marathon JSON reader: json::Reader on its own (strictness,
// escapes, offsets), then ParseApps compared with the Poco-tree parser it
// replaced (tests/marathon/apps_poco_oracle.cc) on the fixtures, on generated
// documents full of odd types, nulls and repeated keys, and on mutations of
// them: the same apps, the same warnings, the same documents refused.
#include "core/marathon/apps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/marathon/json_reader.h"
#include "tests/marathon/apps_poco_oracle.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

// A source that hands out `json` (which must outlive it) in pieces of at
// most the size asked for.
AppSource SourceOf(const std::string& json) {
  return [&json, at = size_t{0}](char* buffer, size_t size) mutable {
    const size_t n = std::min(size, json.size() - at);
    std::copy(json.data() + at, json.data() + at + n, buffer);
    at += n;
    return n;
  };
}

struct Both {
  std::string streaming;
  std::string poco;
  Status streaming_status;
};

Both ParseBoth(const std::string& json) {
  Both b;
  std::vector<App> apps;
  std::vector<std::string> warnings;
  // From a buffer of exactly the document's size (no terminating NUL as in
  // a std::string), so that a read past the end shows under ASan.
  const std::unique_ptr<char[]> exact(new char[json.size()]);
  std::copy(json.begin(), json.end(), exact.get());
  b.streaming_status =
      ParseApps(std::string_view(exact.get(), json.size()), &apps, &warnings);
  b.streaming = testing::DescribeApps(b.streaming_status, apps, warnings);
  // The same bytes fed in chunks must read exactly alike; a difference is
  // appended, so that the comparison with Poco's reading fails and shows it.
  for (const size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    apps.clear();
    warnings.clear();
    const Status status = ParseApps(SourceOf(json), chunk, &apps, &warnings);
    const std::string chunked = testing::DescribeApps(status, apps, warnings);
    if (chunked != b.streaming) {
      b.streaming += "\n-- in chunks of " + std::to_string(chunk) + ":\n" +
                     chunked;
    }
  }
  apps.clear();
  warnings.clear();
  const Status poco = testing::ParseAppsWithPoco(json, &apps, &warnings);
  b.poco = testing::DescribeApps(poco, apps, warnings);
  return b;
}

std::string ParseError(const std::string& json) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  return ParseApps(json, &apps, &warnings).message();
}

// ParseApps of `json` fed in chunks of `chunk` bytes: the outcome as text.
std::string ParseChunked(const std::string& json, size_t chunk) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  const Status status = ParseApps(SourceOf(json), chunk, &apps, &warnings);
  return status.message() + "\n" +
         testing::DescribeApps(status, apps, warnings);
}

// The same in memory, from a buffer of exactly the document's size.
std::string ParseInMemory(const std::string& json) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  const std::unique_ptr<char[]> exact(new char[json.size()]);
  std::copy(json.begin(), json.end(), exact.get());
  const Status status =
      ParseApps(std::string_view(exact.get(), json.size()), &apps, &warnings);
  return status.message() + "\n" +
         testing::DescribeApps(status, apps, warnings);
}

// One piece of string contents that is not plain text, and what the reader
// makes of it: its decoded bytes, or the error found at its first byte.
struct Piece {
  std::string raw;
  std::string decoded;
  const char* error = nullptr;
};

const std::vector<Piece>& Pieces() {
  static const std::vector<Piece> pieces = {
      {"\\\"", "\""},
      {"\\\\", "\\"},
      {"\\/", "/"},
      {"\\n", "\n"},
      {"\\u00e9", "\xc3\xa9"},
      {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
      {"\\u0000", std::string(1, '\0')},
      {"\xc3\xa9", "\xc3\xa9"},
      {"\xe2\x82\xac", "\xe2\x82\xac"},
      {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
      {"\x7f", "\x7f"},
      {"\x01", "", "unescaped control character in string"},
      {"\x1f", "", "unescaped control character in string"},
      {"\t", "", "unescaped control character in string"},
      {"\xff", "", "invalid UTF-8 in string"},
      {"\x80", "", "invalid UTF-8 in string"},
      {"\xc3(", "", "invalid UTF-8 in string"},
      {"\xed\xa0\x80", "", "invalid UTF-8 in string"},
      {"\xf4\x90\x80\x80", "", "invalid UTF-8 in string"},
      {"\\x", "", "invalid escape in string"},
      {"\\u12g4", "", "invalid \\u escape in string"},
      {"\\udc00", "", "\\u escape of a lone low surrogate"},
      {"\\ud800\\u0041", "",
       "\\u escape of a high surrogate without its low surrogate"},
  };
  return pieces;
}

// `length` bytes of plain text with `piece` inserted at `at`.
std::string Contents(size_t length, size_t at, const std::string& piece) {
  std::string plain;
  for (size_t i = 0; i < length; ++i) {
    plain.push_back(static_cast<char>('a' + i % 26));
  }
  return plain.substr(0, at) + piece + plain.substr(at);
}

// Runs `read` on a reader of `text`; "ok" or the error and its offset.
std::string Outcome(const std::string& text,
                    const std::function<void(json::Reader&)>& read) {
  const std::unique_ptr<char[]> exact(new char[text.size()]);
  std::copy(text.begin(), text.end(), exact.get());
  json::Reader r(std::string_view(exact.get(), text.size()));
  try {
    read(r);
  } catch (const json::SyntaxError& e) {
    return e.reason + " at " + std::to_string(e.offset);
  }
  return "ok";
}

// --- json::Reader -----------------------------------------------------------

TEST(JsonReaderTest, ReadsNestedValuesAndSkipsTheRest) {
  json::Reader r(R"( {"a": [1, -2.5e1, "x\"y", true, false, null, {}],
                      "b": {"c": {"d": []}}, "e": "\u00e9\ud83d\ude00"} )");
  r.EnterObject();
  std::string_view key;
  ASSERT_TRUE(r.NextMember(&key));
  EXPECT_EQ(key, "a");
  r.EnterArray();
  ASSERT_TRUE(r.NextElement());
  EXPECT_EQ(r.ReadNumber().i, 1);
  ASSERT_TRUE(r.NextElement());
  const json::Number n = r.ReadNumber();
  EXPECT_EQ(n.type, json::Number::kDouble);
  EXPECT_EQ(n.d, -25.0);
  ASSERT_TRUE(r.NextElement());
  EXPECT_EQ(r.ReadString(), "x\"y");
  ASSERT_TRUE(r.NextElement());
  EXPECT_TRUE(r.ReadBool());
  ASSERT_TRUE(r.NextElement());
  EXPECT_FALSE(r.ReadBool());
  ASSERT_TRUE(r.NextElement());
  EXPECT_TRUE(r.SkipNull());
  ASSERT_TRUE(r.NextElement());
  r.SkipValue();
  EXPECT_FALSE(r.NextElement());
  ASSERT_TRUE(r.NextMember(&key));
  EXPECT_EQ(key, "b");
  r.SkipValue();
  ASSERT_TRUE(r.NextMember(&key));
  EXPECT_EQ(key, "e");
  EXPECT_EQ(r.ReadString(), "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(r.last_string_escaped());
  EXPECT_FALSE(r.NextMember(&key));
  r.ExpectEnd();
}

TEST(JsonReaderTest, IntegersKeepTheirRange) {
  const auto read = [](const char* text) {
    json::Reader r(text);
    return r.ReadNumber();
  };
  EXPECT_EQ(read("-9223372036854775808").i, INT64_MIN);
  EXPECT_EQ(read("9223372036854775807").i, INT64_MAX);
  EXPECT_EQ(read("9223372036854775808").type, json::Number::kUint);
  EXPECT_EQ(read("18446744073709551615").u, UINT64_MAX);
  EXPECT_EQ(read("1e-400").d, 0.0);
  EXPECT_EQ(read("1.7976931348623157e308").d,
            std::numeric_limits<double>::max());
  EXPECT_EQ(read("0.0000000000000000000001e-400").d, 0.0);
  EXPECT_EQ(read("100000000000000000000000000000e-20").d, 1e9);
}

TEST(JsonReaderTest, SeekReadsAValueAgain) {
  json::Reader r(R"({"a": {"b": [1, 2]}, "c": 3})");
  r.EnterObject();
  std::string_view key;
  ASSERT_TRUE(r.NextMember(&key));
  const json::Reader::Mark a = r.Here();
  r.SkipValue();
  ASSERT_TRUE(r.NextMember(&key));
  EXPECT_EQ(r.ReadNumber().i, 3);
  r.Seek(a);
  r.EnterObject();
  ASSERT_TRUE(r.NextMember(&key));
  EXPECT_EQ(key, "b");
  r.SkipValue();
  EXPECT_FALSE(r.NextMember(&key));
}

// The reader finds the end of a plain string sixteen bytes at a time and
// hands anything else to the byte-by-byte checks: a special piece at every
// position of the first 48 bytes, in strings of every length up to 48, must
// read the same whichever way the string is reached (read, skipped, a member
// name, a member name or value inside a skipped object).
TEST(JsonReaderTest, StringsWithASpecialPieceAnywhere) {
  for (const Piece& piece : Pieces()) {
    for (size_t length = 0; length <= 48; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        const std::string contents = Contents(length, at, piece.raw);
        const std::string quoted = "\"" + contents + "\"";
        const std::string decoded = Contents(length, at, piece.decoded);
        const std::string where = piece.raw + " at " + std::to_string(at) +
                                  " of " + std::to_string(length);
        // Where the piece starts, for an error, in each document below.
        const auto error_at = [&](size_t opening) {
          return std::string(piece.error) + " at " +
                 std::to_string(opening + 1 + at);
        };
        const std::string ok_or_error_at_1 =
            piece.error != nullptr ? error_at(1) : "ok";
        EXPECT_EQ(Outcome("[" + quoted + ",1]",
                          [&](json::Reader& r) {
                            r.EnterArray();
                            ASSERT_TRUE(r.NextElement());
                            EXPECT_EQ(r.ReadString(), decoded) << where;
                            ASSERT_TRUE(r.NextElement());
                            EXPECT_EQ(r.ReadNumber().i, 1) << where;
                          }),
                  ok_or_error_at_1)
            << where;
        EXPECT_EQ(Outcome("[" + quoted + ",1]",
                          [&](json::Reader& r) {
                            r.EnterArray();
                            ASSERT_TRUE(r.NextElement());
                            r.SkipValue();
                            ASSERT_TRUE(r.NextElement());
                            EXPECT_EQ(r.ReadNumber().i, 1) << where;
                          }),
                  ok_or_error_at_1)
            << where;
        EXPECT_EQ(Outcome("{" + quoted + ":1}",
                          [&](json::Reader& r) {
                            r.EnterObject();
                            std::string_view key;
                            ASSERT_TRUE(r.NextMember(&key));
                            EXPECT_EQ(key, decoded) << where;
                            EXPECT_EQ(r.ReadNumber().i, 1) << where;
                            EXPECT_FALSE(r.NextMember(&key));
                          }),
                  ok_or_error_at_1)
            << where;
        // {"k":1,<name>:<name>}: the name at offset 7, the value after it.
        const std::string nested = "[{\"k\":1," + quoted + ":" + quoted + "}]";
        EXPECT_EQ(Outcome(nested,
                          [&](json::Reader& r) {
                            r.EnterArray();
                            ASSERT_TRUE(r.NextElement());
                            r.SkipValue();
                            EXPECT_FALSE(r.NextElement());
                            r.ExpectEnd();
                          }),
                  piece.error != nullptr ? error_at(8) : "ok")
            << where;
      }
    }
  }
}

// The same pieces in a task's skipped field, the document fed in chunks of
// many sizes: chunk boundaries fall at every place around the piece, and the
// outcome (error and offset included) is the one read in memory.
TEST(MarathonJsonTest, SkippedStringsReadAlikeInChunks) {
  for (const Piece& piece : Pieces()) {
    for (const size_t at : {size_t{0}, size_t{5}, size_t{15}, size_t{16},
                            size_t{17}, size_t{31}, size_t{32}}) {
      const std::string json =
          "{\"apps\":[{\"id\":\"/a\",\"tasks\":[{\"id\":\"t\",\"stagedAt\":\"" +
          Contents(40, at, piece.raw) + "\",\"host\":\"h\",\"ports\":[1]}]}]}";
      const std::string in_memory = ParseInMemory(json);
      if (piece.error != nullptr) {
        EXPECT_NE(in_memory.find(piece.error), std::string::npos) << json;
      } else {
        EXPECT_EQ(in_memory.rfind("\nok\n", 0), 0u) << json;
      }
      for (size_t chunk = 1; chunk <= 40; ++chunk) {
        ASSERT_EQ(ParseChunked(json, chunk), in_memory)
            << json << " in chunks of " << chunk;
      }
    }
  }
}

// Skipped numbers: short integers are only checked for their syntax, the
// rest is read in full; the edges of that shortcut keep their messages.
TEST(MarathonJsonTest, SkippedNumbersAreCheckedAlike) {
  const auto skipped = [](const std::string& number) {
    // The number at offset 21, skipped twice: as a top-level member and in
    // an app.
    return ParseError("{\"apps\":[],\"x\":[0, " + number + "]}") + " | " +
           ParseError("{\"apps\":[{\"x\":" + number + "}]}");
  };
  EXPECT_EQ(skipped("123456789012345678"), " | ");
  EXPECT_EQ(skipped("-123456789012345678"), " | ");
  EXPECT_EQ(skipped("9223372036854775807"), " | ");
  EXPECT_EQ(skipped("18446744073709551615"), " | ");
  EXPECT_EQ(skipped("-9223372036854775808"), " | ");
  EXPECT_EQ(skipped("0.5e-400"), " | ");
  EXPECT_EQ(skipped("18446744073709551616"),
            "Marathon JSON: integer out of the range of 64-bit integers at "
            "offset 19 | Marathon JSON: integer out of the range of 64-bit "
            "integers at offset 14");
  EXPECT_EQ(skipped("-9223372036854775809"),
            "Marathon JSON: integer out of the range of 64-bit integers at "
            "offset 19 | Marathon JSON: integer out of the range of 64-bit "
            "integers at offset 14");
  EXPECT_EQ(skipped("1e400"),
            "Marathon JSON: number out of the range of doubles at offset 19 | "
            "Marathon JSON: number out of the range of doubles at offset 14");
  EXPECT_EQ(skipped("00"),
            "Marathon JSON: expected ',' or ']' after an array element at "
            "offset 20 | Marathon JSON: expected ',' or '}' after an object "
            "member at offset 15");
  EXPECT_EQ(skipped("-"),
            "Marathon JSON: expected a digit at offset 20 | Marathon JSON: "
            "expected a digit at offset 15");
  EXPECT_EQ(skipped("1."),
            "Marathon JSON: expected a digit after the decimal point at "
            "offset 21 | Marathon JSON: expected a digit after the decimal "
            "point at offset 16");
  EXPECT_EQ(skipped("2e"),
            "Marathon JSON: expected a digit in the exponent at offset 21 | "
            "Marathon JSON: expected a digit in the exponent at offset 16");
  // Arrays of them (a task's servicePorts), skipped at once when compact.
  EXPECT_EQ(skipped("[1,-2,30]"), " | ");
  EXPECT_EQ(skipped("[1 ,2, 3 ]"), " | ");
  EXPECT_EQ(skipped("[1,2.5,3e2]"), " | ");
  EXPECT_EQ(skipped("[1,]"),
            "Marathon JSON: expected a value at offset 22 | Marathon JSON: "
            "expected a value at offset 17");
  EXPECT_EQ(skipped("[01]"),
            "Marathon JSON: expected ',' or ']' after an array element at "
            "offset 21 | Marathon JSON: expected ',' or ']' after an array "
            "element at offset 16");
  EXPECT_EQ(skipped("[1,-]"),
            "Marathon JSON: expected a digit at offset 23 | Marathon JSON: "
            "expected a digit at offset 18");
  EXPECT_EQ(skipped("[1,18446744073709551616]"),
            "Marathon JSON: integer out of the range of 64-bit integers at "
            "offset 22 | Marathon JSON: integer out of the range of 64-bit "
            "integers at offset 17");
  EXPECT_EQ(skipped("[1:2]"),
            "Marathon JSON: expected ',' or ']' after an array element at "
            "offset 21 | Marathon JSON: expected ',' or ']' after an array "
            "element at offset 16");
  // A number that ends the text is read in full too.
  EXPECT_EQ(ParseError("{\"apps\":[],\"x\":12"),
            "Marathon JSON: unexpected end of text (expected a member or "
            "'}') at offset 17");
}

// Empty arrays and objects, and arrays of short integers, skipped in one
// step still count towards the nesting limit.
TEST(JsonReaderTest, ContainersSkippedAtOnceKeepTheDepthLimit) {
  for (const char* empty : {"[]", "{}", "[1,2]"}) {
    for (const int open : {126, 127, 128}) {
      const std::string text = std::string(static_cast<size_t>(open), '[') +
                               empty +
                               std::string(static_cast<size_t>(open), ']');
      const std::string outcome = Outcome(text, [&](json::Reader& r) {
        for (int i = 0; i < open; ++i) {
          r.EnterArray();
          ASSERT_TRUE(r.NextElement());
        }
        r.SkipValue();
        for (int i = 0; i < open; ++i) {
          EXPECT_FALSE(r.NextElement());
        }
        r.ExpectEnd();
      });
      EXPECT_EQ(outcome, open < 128 ? "ok"
                                    : "objects and arrays nested deeper than "
                                      "128 levels at 128")
          << empty << " " << open;
    }
  }
}

// Member names take a shortcut when the JSON is compact; spaces, escapes and
// odd places of the ':' take the general path, with the same results.
TEST(JsonReaderTest, MemberNamesReadAlikeWithAndWithoutSpaces) {
  for (const char* text : {R"({"a":1,"bb":2,"c\"":3,"":4})",
                           R"({ "a" : 1 , "bb":2 ,"c\"" :3,"":4 })",
                           "{\"a\"\n:1,\n\"bb\"\t:2,\"c\\\"\":3,\"\":4}"}) {
    EXPECT_EQ(Outcome(text,
                      [&](json::Reader& r) {
                        r.EnterObject();
                        std::string_view key;
                        std::string keys;
                        while (r.NextMember(&key)) {
                          keys += std::string(key) + "=" +
                                  std::to_string(r.ReadNumber().i) + ";";
                        }
                        EXPECT_EQ(keys, "a=1;bb=2;c\"=3;=4;") << text;
                        r.ExpectEnd();
                      }),
              "ok")
        << text;
  }
  EXPECT_EQ(ParseError(R"({"apps":[],"a" 1})"),
            "Marathon JSON: expected ':' after a member name at offset 15");
  EXPECT_EQ(ParseError(R"({"apps":[],"a")"),
            "Marathon JSON: unexpected end of text (expected ':' after a "
            "member name) at offset 14");
  EXPECT_EQ(ParseError(R"({"apps":[],"a)"),
            "Marathon JSON: unterminated string at offset 11");
  EXPECT_EQ(ParseError(R"({"apps":[],,"a":1})"),
            "Marathon JSON: expected a member name (a string) at offset 11");
  EXPECT_EQ(ParseError(R"({"apps":[]"a":1})"),
            "Marathon JSON: expected ',' or '}' after an object member at "
            "offset 10");
}

TEST(MarathonJsonTest, MalformedDocumentsAreRefusedWithAnOffset) {
  EXPECT_EQ(ParseError(R"({"apps": [)"),
            "Marathon JSON: unexpected end of text (expected an element or "
            "']') at offset 10");
  EXPECT_EQ(ParseError(R"({"apps": [1e400]})"),
            "Marathon JSON: number out of the range of doubles at offset 10");
  EXPECT_EQ(ParseError(R"({"apps": [1,]})"),
            "Marathon JSON: expected a value at offset 12");
  EXPECT_EQ(ParseError(R"({"apps": [] x})"),
            "Marathon JSON: expected ',' or '}' after an object member at "
            "offset 12");
  EXPECT_EQ(ParseError(R"({"apps": []} [])"),
            "Marathon JSON: unexpected data after the top-level value at "
            "offset 13");
  EXPECT_EQ(ParseError("{\"apps\": [\"\\x\"]}"),
            "Marathon JSON: invalid escape in string at offset 11");
  EXPECT_EQ(ParseError("{\"apps\": [\"\\udc00\"]}"),
            "Marathon JSON: \\u escape of a lone low surrogate at offset 11");
  EXPECT_EQ(ParseError("{\"apps\": [\"\xc0\xaf\"]}"),
            "Marathon JSON: invalid UTF-8 in string at offset 11");
  EXPECT_EQ(ParseError("{\"apps\": [01]}"),
            "Marathon JSON: expected ',' or ']' after an array element at "
            "offset 11");
  EXPECT_EQ(ParseError("{\"apps\": [18446744073709551616]}"),
            "Marathon JSON: integer out of the range of 64-bit integers at "
            "offset 10");
  EXPECT_EQ(ParseError("\"apps\""),
            "Marathon JSON: expected an object or an array at offset 0");
  EXPECT_EQ(ParseError(""),
            "Marathon JSON: unexpected end of text (expected a value) at "
            "offset 0");
}

// Every one of these is refused by both parsers, and everything in
// `accepted` by neither.
// Found by the marathon_json fuzz target (tests/fuzz/corpus/marathon_json/
// crash_short_u_escape.json): a streaming reader's text may end right after
// the closing quote of "\u0"; it said "unterminated string" there, where the
// whole document says the escape is invalid.
TEST(MarathonJsonTest, AShortUEscapeReadsAlikeInChunksAndInMemory) {
  const std::string json = R"({"x":{"a":"\u0"}},"apps":[]})";
  EXPECT_EQ(ParseInMemory(json),
            "Marathon JSON: invalid \\u escape in string at offset 11\n"
            "error\n");
  for (const size_t chunk : {size_t{1}, size_t{2}, size_t{7}}) {
    EXPECT_EQ(ParseChunked(json, chunk), ParseInMemory(json)) << chunk;
  }
}

TEST(MarathonJsonTest, RefusesWhatPocoRefused) {
  const std::vector<std::string> refused = {
      "{",
      "}",
      "[",
      "[1 2]",
      "[1,,2]",
      "[,]",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\" 1}",
      "{1:2}",
      "{'a':1}",
      "{\"a\":1,}",
      "[tru]",
      "[nul]",
      "[True]",
      "[+1]",
      "[.5]",
      "[1.]",
      "[1e]",
      "[1e+]",
      "[-]",
      "[0x10]",
      "[\"a\nb\"]",
      "[\"a\tb\"]",
      "[\"\\u12\"]",
      "[\"\\uD800\"]",
      "[\"\\uD800\\u0041\"]",
      "[\"\\uDFFF\"]",
      "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]",
      "[\"\xe0\x80\xaf\"]",
      "[\"\xff\"]",
      "[\"\xc3\"]",
      "[\"abc",
      "[\"\\",
      "\xef\xbb\xbf{}",
      "{} {}",
      "[-9223372036854775809]",
      "[99999999999999999999]",
      "[1]x",
      "nul",
      "[1e400]",
      "[-1.8e308]",
      "[0.00001e310]",
      "null",
      "1",
      "\"s\"",
      "[\"\x7f\x01\"]",
      std::string("{\"apps\":[]}\0", 12),
      std::string("[\"\0\"]", 5),
  };
  for (const std::string& json : refused) {
    const Both b = ParseBoth(json);
    EXPECT_EQ(b.streaming, b.poco) << json;
    EXPECT_FALSE(b.streaming_status.ok()) << json;
  }
  const std::vector<std::string> accepted = {
      "{}",
      "[]",
      " \t\r\n{ \"apps\" : [ ] } \n",
      "[[[]]]",
      "[\"\\u0000\", \"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]",
      "[\"\xf4\x8f\xbf\xbf\", \"\xee\x80\x80\", \"\x7f\"]",
      "[-0, 0.0e0, 1E+2, -1e-2, 9223372036854775808, -9223372036854775808]",
      "[1e-999, -1e-999, 100000e-330, 1.7976931348623157e308]",
  };
  for (const std::string& json : accepted) {
    const Both b = ParseBoth(json);
    EXPECT_EQ(b.streaming, b.poco) << json;
  }
}

TEST(MarathonJsonTest, NestingIsLimitedTo128Levels) {
  const auto nested = [](int levels) {
    return "{\"apps\": " + std::string(static_cast<size_t>(levels - 1), '[') +
           std::string(static_cast<size_t>(levels - 1), ']') + "}";
  };
  EXPECT_TRUE(ParseBoth(nested(128)).streaming_status.ok());
  const Both b = ParseBoth(nested(129));
  EXPECT_FALSE(b.streaming_status.ok());
  EXPECT_EQ(b.streaming, b.poco);
}

// Issue 12 item 8: an HAPROXY_* label longer than 64 KiB skips its app with
// a warning (a 100 MB label cost 26 s and 2 GB on every update); other
// labels (DC/OS package metadata) are not limited; the other apps stay.
TEST(MarathonAppsTest, AnHaproxyLabelLongerThan64KiBSkipsItsApp) {
  for (const char* label : {"HAPROXY_0_VHOST", "HAPROXY_0_BACKEND_HEAD",
                            "HAPROXY_GROUP", "HAPROXY_DEPLOYMENT_GROUP"}) {
    const std::string at_limit(kMaxHaproxyLabelBytes, 'a');
    const std::string json =
        std::string(R"({"apps": [{"id": "/big", "labels": {")") + label +
        R"(": ")" + at_limit + "a" + R"("}}, {"id": "/limit", "labels": {")" +
        label + R"(": ")" + at_limit + R"(", "DCOS_PACKAGE_METADATA": ")" +
        std::string(1 << 20, 'm') + R"("}}]})";
    std::vector<App> apps;
    std::vector<std::string> warnings;
    ASSERT_TRUE(ParseApps(json, &apps, &warnings).ok()) << label;
    ASSERT_EQ(apps.size(), 1u) << label;
    EXPECT_EQ(apps[0].id, "/limit");
    EXPECT_EQ(apps[0].labels.at(label).size(), kMaxHaproxyLabelBytes);
    EXPECT_EQ(warnings, std::vector<std::string>{
                            std::string("app /big: label ") + label +
                            " has 65537 bytes, more than 65536; app skipped"});
  }
}

// Review 12b (FINDING, medium): the 64 KiB cap is per label, so it bounds
// neither an app's HAPROXY_* text nor a label's name. Attack: a tenant
// writes 64 labels of 64 KiB each (HAPROXY_0_X0 ... X63: compressible, so
// Marathon's ZooKeeper node size lets them through like the 100 MB label of
// issue 12 item 8), or one HAPROXY_* label whose name is 1 MiB long.
// Impact: the parse, the label checks and the copies of every update scale
// with the app's whole HAPROXY_* text (4 MiB here, any size with more
// labels or ports), which the cap was meant to stop; a long unknown name is
// also repeated in the warning of every update.
// Expected: an app whose HAPROXY_* labels (names and values) total more than
// 1 MiB, or with a label name longer than the cap, is skipped with a warning
// naming the app, as a long value is.
TEST(MarathonAppsTest, ReviewTheHaproxyLabelCapBoundsTheAppNotOnlyEachValue) {
  std::string many = R"({"id": "/many", "labels": {)";
  for (int i = 0; i < 64; ++i) {
    many += (i ? ", " : "") + std::string(R"("HAPROXY_0_X)") +
            std::to_string(i) + R"(": ")" +
            std::string(kMaxHaproxyLabelBytes, 'a') + '"';
  }
  many += "}}";
  const std::string long_name = R"({"id": "/longname", "labels": {"HAPROXY_)" +
                                std::string(1 << 20, 'A') + R"(": "x"}})";
  for (const std::string& app : {many, long_name}) {
    const std::string json = R"({"apps": [)" + app +
                             R"(, {"id": "/ok", "labels": {"HAPROXY_GROUP": )"
                             R"("external"}}]})";
    std::vector<App> apps;
    std::vector<std::string> warnings;
    ASSERT_TRUE(ParseApps(json, &apps, &warnings).ok());
    EXPECT_EQ(apps.size(), 1u) << app.substr(0, 40);
    EXPECT_EQ(warnings.size(), 1u) << app.substr(0, 40);
    if (apps.size() != 1u || warnings.size() != 1u) {
      continue;  // the next shape
    }
    EXPECT_EQ(apps[0].id, "/ok");
    EXPECT_THAT(warnings[0], ::testing::StartsWith("app /"));
    EXPECT_THAT(warnings[0], ::testing::EndsWith("; app skipped"));
    EXPECT_LT(warnings[0].size(), 1024u);
  }
}

// --- ParseApps against the Poco tree -----------------------------------------

TEST(MarathonAppsCompatTest, FixturesReadAlike) {
  for (const char* name :
       {"every_2015_label.json", "marathon15_networking.json", "no_apps.json",
        "reference_example.json"}) {
    const std::string json =
        testing::ReadFile(testing::SourceDir() + "/tests/fixtures/" + name);
    ASSERT_FALSE(json.empty()) << name;
    const Both b = ParseBoth(json);
    EXPECT_EQ(b.streaming, b.poco) << name;
  }
}

TEST(MarathonAppsCompatTest, OddValuesGiveTheSameWarnings) {
  const std::vector<std::string> apps = {
      R"({"id": "/a", "ports": [true, false, 1.0, -0.0]})",
      R"({"id": "/a", "ports": [2147483648]})",
      R"({"id": "/a", "ports": [-2147483649]})",
      R"({"id": "/a", "ports": [18446744073709551615]})",
      R"({"id": "/a", "ports": [1.5]})",
      R"({"id": "/a", "ports": [1e20]})",
      R"({"id": "/a", "ports": [null]})",
      R"({"id": "/a", "ports": [{"b": [1, {"c": null}, [], {}], "d": "e\n\"\u0001"}]})",
      R"({"id": "/a", "ports": [[]]})",
      R"({"id": "/a", "ports": 80})",
      R"({"id": 5})",
      R"({"id": ""})",
      R"({"id": "/a", "id": null})",
      R"({"id": "/a", "labels": {"b": 1, "a": "x", "c": null}})",
      R"({"id": "/a", "labels": {"b": 1, "b": "fixed"}})",
      R"({"id": "/a", "labels": []})",
      R"({"id": "/a", "container": 1})",
      R"({"id": "/a", "networks": [{"mode": 1}]})",
      R"({"id": "/a", "networks": [{"mode": "container"}, null]})",
      R"({"id": "/a", "networks": {}})",
      R"({"id": "/a", "container": {"docker": []}})",
      R"({"id": "/a", "container": {"docker": {"network": 1}}})",
      R"({"id": "/a", "container": {"docker": {"portMappings": {}}}})",
      R"({"id": "/a", "container": {"portMappings": [1]}, "networks": [{}]})",
      R"({"id": "/a", "container": {"portMappings": [{"servicePort": "x"}]},
          "networks": [{"mode": "container/bridge"}]})",
      R"({"id": "/a", "ipAddress": {"discovery": {"ports": [{"number": "x"}]}}})",
      R"({"id": "/a", "ipAddress": {"discovery": {"ports": [{}, {"number": 5}]}}})",
      R"({"id": "/a", "ipAddress": {"discovery": []}})",
      R"({"id": "/a", "ipAddress": {"x": null}})",
      R"({"id": "/a", "portDefinitions": [{"port": 1}, {}, 3]})",
      R"({"id": "/a", "portDefinitions": {}, "ports": "x"})",
      R"({"id": "/a", "healthChecks": [{"protocol": 1}]})",
      R"({"id": "/a", "healthChecks": [{"ignoreHttp1xx": 1}]})",
      R"({"id": "/a", "healthChecks": [{"path": null, "x": [1, null]}]})",
      R"({"id": "/a", "healthChecks": [{"port": null}]})",
      R"({"id": "/a", "healthChecks": [{"p": 1, "a": {"z": 1, "y": [true, 2.5,
          "it's \\ ok"], "z": null}, "p": 0.1, "timeoutSeconds": 5.0}]})",
      R"({"id": "/a", "healthChecks": [null]})",
      R"({"id": "/a", "healthChecks": [{}, {"e": {}}]})",
      R"({"id": "/a", "tasks": {}})",
      R"({"id": "/a", "tasks": [1]})",
      R"({"id": "/a", "tasks": [{"id": 1, "ports": "x"}]})",
      R"({"id": "/a", "tasks": [{"ports": [1, "x"], "host": []}]})",
      R"({"id": "/a", "tasks": [{"ports": "x", "ports": [2]}]})",
      R"({"id": "/a", "tasks": [{"ipAddresses": [1]}]})",
      R"({"id": "/a", "tasks": [{"ipAddresses": [{"ipAddress": 1}]}]})",
      R"({"id": "/a", "tasks": [{"ipAddresses": [{"ipAddress": 1,
          "ipAddress": "1.2.3.4"}, {}]}]})",
      R"({"id": "/a", "tasks": [{"healthCheckResults": [{"alive": 1},
          {"alive": true}, {"alive": null}, {}, 5]}]})",
      R"({"id": "/a", "tasks": [{"healthCheckResults": {}}]})",
      R"({"id": "/a", "tasks": [{"state": 1}], "ports": ["x"]})",
      R"({"id": "/a", "tasks": [{"i\u0064": "t", "id\u0000x": "u"}]})",
      R"({"id\u0000": "/nul", "tasks": [], "tasks": [{"id": 1}]})",
      R"(null)",
      R"([])",
      R"("app")",
  };
  for (const std::string& app : apps) {
    const std::string json = "{\"apps\": [" + app + "]}";
    const Both b = ParseBoth(json);
    EXPECT_EQ(b.streaming, b.poco) << json;
  }
  // The last "apps" counts.
  for (const std::string json :
       {R"({"apps": [{"id": "/a"}, 1], "apps": [{"id": "/b"}, 2]})",
        R"({"apps": [{"id": "/a"}, 1], "apps": null})",
        R"({"apps": {}, "apps": [{"id": "/b"}]})"}) {
    const Both b = ParseBoth(json);
    EXPECT_EQ(b.streaming, b.poco) << json;
  }
}

// Random Marathon-like documents: each field has its expected type most of
// the time and any other type (null, numbers at the limits, nested values,
// escapes) otherwise; keys are shuffled and sometimes repeated.
class DocumentMaker {
 public:
  explicit DocumentMaker(uint32_t seed) : rng_(seed) {}

  std::string Document() {
    // Some documents are mostly well-formed, so that their health checks
    // and tasks are read to the end; others are mostly odd.
    const int levels[] = {4, 12, 40, 1000};
    odd_one_in_ = levels[Below(4)];
    std::string apps = "[";
    const int count = Below(5);
    for (int i = 0; i < count; ++i) {
      apps += (i > 0 ? "," : "") + (Chance(10) ? Value(2) : App());
    }
    return Object({{"apps", apps + "]"}});
  }

  bool Chance(int one_in) { return Below(one_in) == 0; }
  int Below(int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng_);
  }

  std::string Pick(const std::vector<std::string>& options) {
    return options[static_cast<size_t>(
        Below(static_cast<int>(options.size())))];
  }

  std::string String() {
    return "\"" +
           Pick({"a",
                 "/web",
                 "TASK_RUNNING",
                 "TASK_STAGING",
                 "HTTP",
                 "TCP",
                 "BRIDGE",
                 "USER",
                 "container",
                 "container/bridge",
                 "host",
                 "10.0.0.1",
                 "agent1",
                 "it's",
                 "back\\\\slash",
                 "\\u00e9t\\u00e9",
                 "\\ud83d\\ude00",
                 "caf\xc3\xa9",
                 "\\n\\t\\\"",
                 "\\u0000x",
                 "\\/path",
                 "",
                 "external",
                 "true"}) +
           "\"";
  }

  std::string Number() {
    if (Chance(4)) {
      // A random double, printed with all its digits.
      const double d = std::uniform_real_distribution<double>(-1e6, 1e6)(rng_) *
                       std::pow(10.0, Below(40) - 20);
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "%.*g", 1 + Below(17), d);
      std::string text = buffer;
      if (text.find_first_of(".eni") == std::string::npos) {
        text += ".0";
      }
      return text.find_first_of("ni") == std::string::npos ? text : "0.5";
    }
    return Pick({"0",
                 "1",
                 "-1",
                 "80",
                 "31000",
                 "2147483647",
                 "2147483648",
                 "-2147483648",
                 "-2147483649",
                 "9223372036854775807",
                 "9223372036854775808",
                 "18446744073709551615",
                 "-9223372036854775808",
                 "1.0",
                 "80.0",
                 "1.5",
                 "-0.0",
                 "-0",
                 "1e2",
                 "1E+2",
                 "2.5e-3",
                 "1e-400",
                 "0.1",
                 "1e15",
                 "1e14",
                 "123456789012345.6",
                 "1e-5",
                 "1e-16",
                 "3.14159",
                 "5e-324",
                 "1.7976931348623157e308"});
  }

  std::string Value(int depth) {
    switch (Below(depth > 0 ? 8 : 6)) {
      case 0:
        return "null";
      case 1:
        return Chance(2) ? "true" : "false";
      case 2:
      case 3:
        return Number();
      case 4:
      case 5:
        return String();
      case 6: {
        std::string out = "[";
        const int n = Below(4);
        for (int i = 0; i < n; ++i) {
          out += (i > 0 ? "," : "") + Value(depth - 1);
        }
        return out + "]";
      }
      default: {
        std::vector<std::pair<std::string, std::string>> members;
        const int n = Below(4);
        for (int i = 0; i < n; ++i) {
          members.emplace_back(Pick({"a", "b", "z", "y", "it's", "\\u00e9"}),
                               Value(depth - 1));
        }
        return Object(members);
      }
    }
  }

  // `good` most of the time, some other value otherwise.
  std::string Or(const std::string& good) {
    return Chance(odd_one_in_) ? Value(2) : good;
  }

  std::string Port() { return std::to_string(Below(40000)); }

  std::string Object(std::vector<std::pair<std::string, std::string>> members) {
    std::shuffle(members.begin(), members.end(), rng_);
    if (!members.empty() && Chance(8)) {
      // A repeated key: the last value counts, the first position.
      auto extra =
          members[static_cast<size_t>(Below(static_cast<int>(members.size())))];
      extra.second = Chance(2) ? "null" : Value(1);
      members.insert(
          members.begin() + Below(static_cast<int>(members.size()) + 1), extra);
    }
    std::string out = "{";
    for (size_t i = 0; i < members.size(); ++i) {
      out += (i > 0 ? "," : "") + std::string(Chance(10) ? " \n" : "") + "\"" +
             members[i].first + "\":" + members[i].second;
    }
    return out + "}";
  }

  std::string Array(int max, const std::function<std::string()>& element) {
    std::string out = "[";
    const int n = Below(max + 1);
    for (int i = 0; i < n; ++i) {
      out +=
          (i > 0 ? "," : "") + (Chance(odd_one_in_ * 2) ? Value(1) : element());
    }
    return out + "]";
  }

  std::string Ints(int max) {
    return Array(max, [&] { return std::to_string(Below(40000)); });
  }

  std::string App() {
    std::vector<std::pair<std::string, std::string>> m;
    m.emplace_back(
        "id",
        Or(Chance(2) ? "\"/app" + std::to_string(Below(9)) + "\"" : String()));
    if (Chance(2)) {
      std::vector<std::pair<std::string, std::string>> labels;
      for (int i = Below(4); i > 0; --i) {
        labels.emplace_back(
            Pick({"HAPROXY_GROUP", "HAPROXY_0_VHOST", "team", "b", "a"}),
            Chance(8) ? Value(1) : String());
      }
      m.emplace_back("labels", Or(Object(labels)));
    }
    if (Chance(2)) {
      std::vector<std::pair<std::string, std::string>> container;
      const auto mappings = [&] {
        return Array(3, [&] {
          return Object({{"servicePort", Or(Port())},
                         {"containerPort", Or(Port())},
                         {"protocol", String()}});
        });
      };
      if (Chance(2)) {
        std::vector<std::pair<std::string, std::string>> docker = {
            {"image", String()}};
        if (Chance(2)) {
          docker.emplace_back("network",
                              Or(Pick({"\"BRIDGE\"", "\"USER\"", "\"HOST\""})));
        }
        if (Chance(3)) {
          docker.emplace_back("portMappings", Or(mappings()));
        }
        container.emplace_back("docker", Or(Object(docker)));
      }
      if (Chance(2)) {
        container.emplace_back("portMappings", Or(mappings()));
      }
      m.emplace_back("container", Or(Object(container)));
    }
    if (Chance(2)) {
      m.emplace_back(
          "networks", Or(Array(2, [&] {
            return Object(
                {{"mode", Or(Pick({"\"container\"", "\"container/bridge\"",
                                   "\"host\""}))},
                 {"name", String()}});
          })));
    }
    if (Chance(3)) {
      m.emplace_back(
          "ipAddress",
          Or(Object({{"discovery",
                      Or(Object({{"ports", Or(Array(2,
                                                    [&] {
                                                      return Object(
                                                          {{"number",
                                                            Or(Port())},
                                                           {"name", String()}});
                                                    }))}}))},
                     {"groups", "[]"}})));
    }
    if (Chance(2)) {
      m.emplace_back("portDefinitions", Or(Array(3, [&] {
                       return Chance(4) ? Object({{"name", String()}})
                                        : Object({{"port", Or(Port())},
                                                  {"protocol", String()}});
                     })));
    }
    if (Chance(2)) {
      m.emplace_back("ports", Or(Ints(3)));
    }
    if (Chance(odd_one_in_)) {
      m.emplace_back("ports", Value(2));
    }
    if (Chance(2)) {
      m.emplace_back(
          "healthChecks", Or(Array(2, [&] {
            std::vector<std::pair<std::string, std::string>> hc;
            if (Chance(2)) {
              hc.emplace_back(
                  "protocol",
                  Or(Pick({"\"HTTP\"", "\"TCP\"", "\"MESOS_HTTP\""})));
            }
            if (Chance(2)) {
              hc.emplace_back("path", Or(String()));
            }
            if (Chance(2)) {
              hc.emplace_back("ignoreHttp1xx",
                              Or(Chance(2) ? "true" : "false"));
            }
            for (const char* key :
                 {"portIndex", "port", "timeoutSeconds", "intervalSeconds",
                  "gracePeriodSeconds", "maxConsecutiveFailures"}) {
              if (Chance(2)) {
                hc.emplace_back(key, Or(Port()));
              }
            }
            for (int extra = Below(3); extra > 0; --extra) {
              // Fields marathon-lb only repeats in {healthCheck}.
              hc.emplace_back(Pick({"delaySeconds", "command", "x"}), Value(3));
            }
            return Object(hc);
          })));
    }
    if (Chance(4) || m.size() > 3) {
      m.emplace_back("tasks", Or(Array(4, [&] { return Task(); })));
    }
    m.emplace_back("version", String());
    m.emplace_back("env", Value(2));
    return Object(m);
  }

  std::string Task() {
    std::vector<std::pair<std::string, std::string>> t = {
        {"id", Or(String())},
        {"host", Or(String())},
        {"ports", Or(Ints(2))},
        {"state", Or(Pick({"\"TASK_RUNNING\"", "\"TASK_STAGING\""}))},
        {"stagedAt", String()},
        {"servicePorts", Ints(2)},
    };
    if (Chance(2)) {
      t.emplace_back("ipAddresses", Or(Array(2, [&] {
                       return Object({{"ipAddress", Or(String())},
                                      {"protocol", String()}});
                     })));
    }
    if (Chance(2)) {
      t.emplace_back(
          "healthCheckResults", Or(Array(2, [&] {
            return Object({{"alive", Or(Chance(2) ? "true" : "false")},
                           {"lastSuccess", String()}});
          })));
    }
    return Object(t);
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
  int odd_one_in_ = 6;
};

TEST(MarathonAppsCompatTest, GeneratedDocumentsReadAlike) {
  DocumentMaker maker(20261126);
  size_t apps = 0;
  size_t checks = 0;
  size_t tasks = 0;
  const auto count = [](const std::string& text, const char* what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  for (int i = 0; i < 4000; ++i) {
    const std::string json = maker.Document();
    const Both b = ParseBoth(json);
    ASSERT_EQ(b.streaming, b.poco) << json;
    apps += count(b.streaming, "\napp ");
    checks += count(b.streaming, "\n  check ");
    tasks += count(b.streaming, "\n  task ");
  }
  // Enough of the documents get through to their health checks and tasks.
  EXPECT_GT(apps, 2000u);
  EXPECT_GT(checks, 800u);
  EXPECT_GT(tasks, 2500u);
}

// Whitespace between all tokens takes the reader's general paths (and, fed
// in chunks, its requests for more text at whitespace): the same apps as the
// compact document, and the same outcome in memory and in chunks.
TEST(MarathonAppsCompatTest, SpacedDocumentsReadAlike) {
  DocumentMaker maker(31);
  const char* const spaces[] = {" ", "\n", "\t ", "\r\n  "};
  int read = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string compact = maker.Document();
    std::string spaced;
    bool in_string = false;
    bool escape = false;
    for (const char c : compact) {
      spaced.push_back(c);
      if (in_string) {
        in_string = escape || c != '"';
        escape = !escape && c == '\\';
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (std::string_view("{}[]:,").find(c) != std::string::npos) {
        spaced += spaces[maker.Below(4)];
      }
    }
    const std::string in_memory = ParseInMemory(spaced);
    const std::string compact_result = ParseInMemory(compact);
    if (compact_result.rfind("\nok\n", 0) == 0) {
      EXPECT_EQ(in_memory, compact_result) << spaced;
      ++read;
    }
    for (const size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{16}}) {
      ASSERT_EQ(ParseChunked(spaced, chunk), in_memory)
          << spaced << " in chunks of " << chunk;
    }
  }
  EXPECT_GT(read, 100);
}

// Byte-level damage to generated documents: both parsers must agree on
// whether each is JSON, and on what it says when it is.
TEST(MarathonAppsCompatTest, DamagedDocumentsReadAlike) {
  DocumentMaker maker(7);
  const std::string bytes = "{}[]\":,\\ 0-.eE+tfnu\x01\xc3\xa9\xff";
  int refused = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string json = maker.Document();
    for (int n = 1 + maker.Below(3); n > 0; --n) {
      const size_t at =
          static_cast<size_t>(maker.Below(static_cast<int>(json.size())));
      switch (maker.Below(3)) {
        case 0:
          json.erase(at, 1);
          break;
        case 1:
          json.insert(at, 1,
                      bytes[static_cast<size_t>(
                          maker.Below(static_cast<int>(bytes.size())))]);
          break;
        default:
          json[at] = bytes[static_cast<size_t>(
              maker.Below(static_cast<int>(bytes.size())))];
      }
    }
    const Both b = ParseBoth(json);
    ASSERT_EQ(b.streaming, b.poco) << json;
    refused += b.streaming_status.ok() ? 0 : 1;
  }
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace mlb
