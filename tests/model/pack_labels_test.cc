// Labels a pack declares, read by their kind (labels.cc ReadPackLabel,
// label_policy.cc TypedProblem), attacked as a hostile tenant: every kind
// with every refused character at the start, middle and end of a good
// value, at every --label-policy level; the word kinds with every HAProxy
// word break; host lists with '-' on any host; integers and ports at their
// edges; bool spellings; app-level pack labels; label names with odd
// suffixes. The labels are the review pack's (tests/test_packs/
// review_pack.cc), loaded next to the built-in packs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/model/label_policy.h"
#include "core/model/labels.h"
#include "core/model/template_catalog.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using Labels = std::map<std::string, std::string>;

class PackLabelsTest : public testing::WithReviewPack<> {
 protected:
  // ParsePortLabels for port `n`: the error message, "" when accepted.
  static std::string Refusal(const Labels& labels,
                             LabelPolicy policy = LabelPolicy::kRestricted,
                             int n = 0, PortLabels* out = nullptr) {
    PortLabels scratch;
    std::vector<std::string> warnings;
    return ParsePortLabels(labels, n, registry_->labels(), registry_->catalog(),
                           out != nullptr ? out : &scratch, &warnings, policy)
        .message();
  }

  // The value the pack would see for `name` ("HAPROXY_{n}_REVIEW_WORD").
  static const sdk::LabelValue* Value(const PortLabels& pl,
                                      const std::string& name) {
    return testing::PackLabelValue(pl, name);
  }
};

constexpr LabelPolicy kLevels[] = {LabelPolicy::kAllow,
                                   LabelPolicy::kRestricted,
                                   LabelPolicy::kDeny};

// A pack label of each kind, a good value of it, and whether it is one word
// of a config line.
struct KindCase {
  const char* label;  // as the app writes it, port 0
  const char* good;
  bool word;
};
constexpr KindCase kKinds[] = {
    {"HAPROXY_0_REVIEW_BOOL", "true", false},
    {"HAPROXY_0_REVIEW_INTEGER", "42", false},
    {"HAPROXY_0_REVIEW_PORT", "8080", false},
    {"HAPROXY_0_REVIEW_WORD", "tenant-a", true},
    {"HAPROXY_0_REVIEW_HOSTS", "a.example.com,b.example.com", true},
    {"HAPROXY_0_REVIEW_CERT", "/etc/ssl/a.pem", true},
    {"HAPROXY_0_REVIEW_TEXT", "one line of text", false},
    {"HAPROXY_0_REVIEW_WORDS", "url_param userid", false},
    {"HAPROXY_0_REVIEW_NETWORKS", "10.0.0.0/8 127.0.0.1", false},
    {"HAPROXY_REVIEW_APP_WORD", "tenant-a", true},
};

// Encodes code point `cp` as UTF-8.
std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

// `bad` at the start, in the middle and at the end of `good`.
std::vector<std::string> Placed(const std::string& good,
                                const std::string& bad) {
  return {bad + good, good.substr(0, good.size() / 2) + bad +
                          good.substr(good.size() / 2),
          good + bad};
}

// Every character the docs say no typed label may carry: C0 (NUL
// included), DEL, C1, the invisible and Unicode space characters, bytes
// that are not UTF-8.
std::vector<std::string> RefusedEverywhere() {
  std::vector<std::string> out;
  for (uint32_t cp = 0; cp < 0x20; ++cp) {
    out.push_back(std::string(1, static_cast<char>(cp)));
  }
  out.push_back("\x7f");
  for (uint32_t cp = 0x80; cp <= 0x9F; ++cp) {
    out.push_back(Utf8(cp));
  }
  for (uint32_t cp : {0x00A0u, 0x00ADu, 0x1680u, 0x180Eu, 0x2028u, 0x2029u,
                      0x202Fu, 0x205Fu, 0x2060u, 0x3000u, 0xFEFFu}) {
    out.push_back(Utf8(cp));
  }
  for (uint32_t cp = 0x2000; cp <= 0x200F; ++cp) {
    out.push_back(Utf8(cp));
  }
  for (uint32_t cp = 0x202A; cp <= 0x202E; ++cp) {
    out.push_back(Utf8(cp));
  }
  for (uint32_t cp = 0x2066; cp <= 0x2069; ++cp) {
    out.push_back(Utf8(cp));
  }
  // Not UTF-8: a stray continuation byte, a lead byte without its
  // continuation, an overlong '/', a surrogate, past U+10FFFF, 0xFF.
  for (const char* bytes : {"\x80", "\xe2\x80", "\xc0\xaf", "\xed\xa0\x80",
                            "\xf4\x90\x80\x80", "\xff"}) {
    out.push_back(bytes);
  }
  return out;
}

TEST_F(PackLabelsTest, GoodValueOfEveryKindIsAcceptedAtEveryLevel) {
  for (const KindCase& k : kKinds) {
    for (const LabelPolicy policy : kLevels) {
      PortLabels pl;
      EXPECT_EQ(Refusal({{k.label, k.good}}, policy, 0, &pl), "") << k.label;
    }
  }
}

TEST_F(PackLabelsTest, EveryKindRefusesControlInvisibleAndNonUtf8Characters) {
  int checked = 0;
  for (const KindCase& k : kKinds) {
    for (const std::string& bad : RefusedEverywhere()) {
      for (const std::string& value : Placed(k.good, bad)) {
        for (const LabelPolicy policy : kLevels) {
          const std::string refusal = Refusal({{k.label, value}}, policy);
          const std::string prefix = "label " + std::string(k.label) +
                                     " refused by --label-policy " +
                                     std::string(LabelPolicyName(policy)) +
                                     ": ";
          EXPECT_EQ(refusal.compare(0, prefix.size(), prefix), 0)
              << QuoteValue(value) << " at " << LabelPolicyName(policy)
              << ": " << refusal;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 10 * 3 * 3 * 80);
}

// HAProxy's word breaks in a label that becomes one word: refused for the
// word kinds, accepted for the others (their values are numbers, flags or
// the pack's own text).
TEST_F(PackLabelsTest, WordKindsRefuseHaproxyWordBreaksOthersKeepThem) {
  for (const KindCase& k : kKinds) {
    for (const char* brk : {" ", "#", "\"", "'", "\\", "{", "}"}) {
      for (const std::string& value : Placed(k.good, brk)) {
        const std::string refusal = Refusal({{k.label, value}});
        if (k.word) {
          EXPECT_NE(refusal.find(" refused by --label-policy restricted: '"),
                    std::string::npos)
              << k.label << " " << QuoteValue(value);
        } else if (std::string(k.label) == "HAPROXY_0_REVIEW_TEXT" ||
                   std::string(k.label) == "HAPROXY_0_REVIEW_BOOL") {
          EXPECT_EQ(refusal, "") << k.label << " " << QuoteValue(value);
        }
      }
    }
  }
}

TEST_F(PackLabelsTest, WordRefusalNamesTheCharacterAndWhy) {
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_WORD", "a b"}}),
            "label HAPROXY_0_REVIEW_WORD refused by --label-policy "
            "restricted: 'a b' has a space at character 2: a space would add "
            "words to the HAProxy line");
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_CERT", "/a.pem#x"}}),
            "label HAPROXY_0_REVIEW_CERT refused by --label-policy "
            "restricted: '/a.pem#x' has '#' at character 7: '#' starts an "
            "HAProxy comment");
  EXPECT_EQ(Refusal({{"HAPROXY_REVIEW_APP_WORD", "x}"}}, LabelPolicy::kAllow),
            "label HAPROXY_REVIEW_APP_WORD refused by --label-policy allow: "
            "'x}' has '}' at character 2: braces delimit HAProxy conditions");
}

// WORDS: spaces separate the words (any number of them; the pack gets one
// between two words); every other word break is refused, wherever it is.
TEST_F(PackLabelsTest, WordsSeparatedBySpacesEachAWord) {
  PortLabels pl;
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_WORDS", "  url_param   userid  "}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  ASSERT_NE(Value(pl, "HAPROXY_{n}_REVIEW_WORDS"), nullptr);
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_WORDS")->text, "url_param userid");
  for (const char* brk : {"#", "\"", "'", "\\", "{", "}", "$"}) {
    for (const std::string& value : Placed("url_param userid", brk)) {
      EXPECT_NE(Refusal({{"HAPROXY_0_REVIEW_WORDS", value}}).find(
                    "label HAPROXY_0_REVIEW_WORDS refused by --label-policy "
                    "restricted: word '"),
                std::string::npos)
          << QuoteValue(value);
    }
  }
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_WORDS", "hdr(x) a{b"}}),
            "label HAPROXY_0_REVIEW_WORDS refused by --label-policy "
            "restricted: word 'a{b' has '{' at character 2: braces delimit "
            "HAProxy conditions");
}

// NETWORK_LIST: IPv4 and IPv6 addresses and networks, handed over canonical;
// anything else (a host name, a prefix too long, brackets, nothing at all)
// drops the port.
TEST_F(PackLabelsTest, NetworkListTakesAddressesAndNetworksOnly) {
  PortLabels pl;
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_NETWORKS",
                      " 10.0.0.0/8  127.0.0.1 FD00:0::/16 ::1 0.0.0.0/0 "}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  ASSERT_NE(Value(pl, "HAPROXY_{n}_REVIEW_NETWORKS"), nullptr);
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_NETWORKS")->text,
            "10.0.0.0/8 127.0.0.1 fd00::/16 ::1 0.0.0.0/0");
  // An IPv4-mapped IPv6 address is the IPv4 one; its prefix counts 96 more
  // bits (::ffff:10.0.0.0/8 would be ::/8: every IPv4 source).
  EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_NETWORKS",
                      "::ffff:10.0.0.0/104 ::FFFF:127.0.0.1"}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_NETWORKS")->text,
            "10.0.0.0/8 127.0.0.1");
  for (const char* bad :
       {"10.0.0.300", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1",
        "10.0.0.0/08a", "[::1]", "example.com", "10.0.0.0/8/8", "/8",
        "10.1", "acl", "!10.0.0.1", "10.0.0.1,10.0.0.2", "::ffff:10.0.0.0/8",
        "::ffff:10.0.0.0/129"}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_NETWORKS",
                        std::string("127.0.0.1 ") + bad}}),
              "label HAPROXY_0_REVIEW_NETWORKS: '127.0.0.1 " +
                  std::string(bad) + "' has '" + bad +
                  "', which is not an IP address or network (address/prefix)")
        << bad;
  }
  for (const char* none : {"", " ", "   "}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_NETWORKS", none}}),
              "label HAPROXY_0_REVIEW_NETWORKS: '" + std::string(none) +
                  "' names no address or network");
  }
}

// A host list: no host may start with '-', wherever it is in the list;
// '-' elsewhere is a host name's.
TEST_F(PackLabelsTest, HostListRefusesALeadingDashOnAnyHost) {
  for (const char* value :
       {"-a.com", "a.com,-b.com", "a.com,b.com,-c.com", "a.com,,-b.com",
        "a.com,-", "-", "-f,a.com", "-m,reg"}) {
    EXPECT_NE(Refusal({{"HAPROXY_0_REVIEW_HOSTS", value}})
                  .find("starts with '-': HAProxy would read an ACL flag"),
              std::string::npos)
        << value;
  }
  for (const char* value : {"a-b.com", "a.com-", "a.com,b-.com", "x--y.com"}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_HOSTS", value}}), "") << value;
  }
  PortLabels pl;
  ASSERT_EQ(Refusal({{"HAPROXY_0_REVIEW_HOSTS", "A.Example.COM,b.example.com"}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  ASSERT_NE(Value(pl, "HAPROXY_{n}_REVIEW_HOSTS"), nullptr);
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_HOSTS")->text,
            "a.example.com,b.example.com");
}

// Python's int() as marathon-lb applies it, on the safe side: what it
// reads is read alike; what this reader refuses (underscores, non-ASCII
// digits, 19 digits and more) Python would read, but never as something
// else.
TEST_F(PackLabelsTest, IntegersAtTheirEdges) {
  struct Good {
    const char* value;
    long long number;
  };
  for (const Good& g : {Good{"42", 42}, Good{" 42 ", 42}, Good{"+7", 7},
                        Good{"-0", 0}, Good{"0", 0}, Good{"-42", -42},
                        Good{"000000000000000042", 42},
                        Good{"999999999999999999", 999999999999999999LL},
                        Good{"-999999999999999999", -999999999999999999LL}}) {
    PortLabels pl;
    ASSERT_EQ(Refusal({{"HAPROXY_0_REVIEW_INTEGER", g.value}},
                      LabelPolicy::kRestricted, 0, &pl),
              "")
        << g.value;
    ASSERT_NE(Value(pl, "HAPROXY_{n}_REVIEW_INTEGER"), nullptr);
    EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_INTEGER")->number, g.number)
        << g.value;
  }
  for (const char* bad :
       {"", " ", "+", "-", "++1", "+-1", "1_000", "1 000", "0x10", "1e3",
        "1.0", "\xd9\xa1\xd9\xa2", "\xef\xbc\x91\xef\xbc\x92",
        "1000000000000000000", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999999999"}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_INTEGER", bad}}),
              "label HAPROXY_0_REVIEW_INTEGER: " + QuoteValue(bad) +
                  " is not an integer")
        << bad;
  }
}

TEST_F(PackLabelsTest, PortsAtTheirEdges) {
  for (const char* good : {"1", "65535", " 80 ", "+80", "080"}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_PORT", good}}), "") << good;
  }
  for (const char* bad : {"0", "-0", "65536", "-1", "-80", "", "80a",
                          "99999999999999999999", "4294967377"}) {
    EXPECT_EQ(Refusal({{"HAPROXY_0_REVIEW_PORT", bad}}),
              "label HAPROXY_0_REVIEW_PORT: " + QuoteValue(bad) +
                  " is not a port number (1-65535)")
        << bad;
  }
}

// marathon-lb's string_to_bool: true/t/yes/y in any case; anything else
// (with spaces around, "1", "on") is false, never an error.
TEST_F(PackLabelsTest, BoolSpellings) {
  for (const char* value : {"true", "TRUE", "True", "tRuE", "t", "T", "yes",
                            "YES", "y", "Y"}) {
    PortLabels pl;
    ASSERT_EQ(Refusal({{"HAPROXY_0_REVIEW_BOOL", value}},
                      LabelPolicy::kRestricted, 0, &pl),
              "");
    EXPECT_TRUE(Value(pl, "HAPROXY_{n}_REVIEW_BOOL")->flag) << value;
  }
  for (const char* value : {"", "1", "on", "tru", " true", "true ", "yes!",
                            "false", "no", "n", "f", "enabled"}) {
    PortLabels pl;
    ASSERT_EQ(Refusal({{"HAPROXY_0_REVIEW_BOOL", value}},
                      LabelPolicy::kRestricted, 0, &pl),
              "");
    EXPECT_FALSE(Value(pl, "HAPROXY_{n}_REVIEW_BOOL")->flag) << value;
  }
}

// A very long value of each kind is read whole: no truncation, no offset
// wrap (sdk::Vars keeps offsets as uint32).
TEST_F(PackLabelsTest, VeryLongValuesAreReadWhole) {
  const std::string word(1 << 20, 'w');
  PortLabels pl;
  ASSERT_EQ(Refusal({{"HAPROXY_0_REVIEW_WORD", word},
                     {"HAPROXY_0_REVIEW_TEXT", word + " " + word}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_WORD")->text.size(), word.size());
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_TEXT")->text.size(),
            2 * word.size() + 1);
}

// An app-level pack label (no {n}) applies to, and is checked for, every
// port; a per-port one only for its own port.
TEST_F(PackLabelsTest, AppLevelLabelIsCheckedForEveryPort) {
  for (int n : {0, 1, 7}) {
    PortLabels pl;
    ASSERT_EQ(Refusal({{"HAPROXY_REVIEW_APP_WORD", "tenant-a"}},
                      LabelPolicy::kRestricted, n, &pl),
              "");
    ASSERT_NE(Value(pl, "HAPROXY_REVIEW_APP_WORD"), nullptr) << n;
    EXPECT_EQ(Value(pl, "HAPROXY_REVIEW_APP_WORD")->text, "tenant-a");
    EXPECT_NE(Refusal({{"HAPROXY_REVIEW_APP_WORD", "a b"}},
                      LabelPolicy::kRestricted, n),
              "")
        << n;
  }
  PortLabels pl;
  ASSERT_EQ(Refusal({{"HAPROXY_1_REVIEW_WORD", "a b"}},
                    LabelPolicy::kRestricted, 0, &pl),
            "");
  EXPECT_EQ(Value(pl, "HAPROXY_{n}_REVIEW_WORD"), nullptr);
}

// Names shaped like a pack label but not one: never read as the label nor
// as a template override, whatever their value.
TEST_F(PackLabelsTest, OddLabelNamesAreNeitherPackLabelsNorOverrides) {
  for (const char* name :
       {"HAPROXY_0_", "HAPROXY_0_review_word", "HAPROXY_0_REVIEW_WORD ",
        " HAPROXY_0_REVIEW_WORD", "HAPROXY_00_REVIEW_WORD",
        "HAPROXY_-0_REVIEW_WORD", "HAPROXY_+0_REVIEW_WORD",
        "HAPROXY_0000000_REVIEW_WORD", "HAPROXY_4294967296_REVIEW_WORD",
        "HAPROXY__REVIEW_WORD", "HAPROXY_{n}_REVIEW_WORD", "HAPROXY_0__REVIEW_WORD",
        "HAPROXY_0_REVIEW_WORD\n", "haproxy_0_REVIEW_WORD",
        "HAPROXY_\xd9\xa0_REVIEW_WORD", "HAPROXY_0_REVIEW_FIRST ",
        "HAPROXY_0_review_first", "HAPROXY_00_REVIEW_FIRST"}) {
    for (const LabelPolicy policy : kLevels) {
      PortLabels pl;
      EXPECT_EQ(Refusal({{name, "a b\n  program x"}}, policy, 0, &pl), "")
          << QuoteValue(name);
      EXPECT_TRUE(pl.values.empty()) << QuoteValue(name);
      EXPECT_TRUE(pl.templates.empty()) << QuoteValue(name);
    }
  }
}


// ---------------------------------------------------------------------------
// Review defects: these fail until the label rules change.

// '$' in a label of a word kind: inside double quotes of a template HAProxy
// expands it (tests/render/hostile_pack_test.cc,
// WordLabelInsideQuotesExpandsNoEnvironmentVariable). MarathonWordProblem
// refuses it for Marathon values; the word kinds should too.
TEST_F(PackLabelsTest, WordKindsRefuseDollar) {
  for (const KindCase& k : kKinds) {
    if (!k.word) {
      continue;
    }
    // "${X}" is refused for its braces; "$X" is expanded all the same.
    for (const char* dollar : {"$MARATHON_PASSWORD", "$", "$HOME/"}) {
      for (const std::string& value : Placed(k.good, dollar)) {
        EXPECT_NE(Refusal({{k.label, value}}), "")
            << k.label << " " << QuoteValue(value);
      }
    }
  }
}

// Invisible format characters outside the refused list: the Arabic letter
// mark U+061C is a bidi control like U+200E/U+200F (listed), the invisible
// operators U+2061-U+2064 and the deprecated format characters
// U+206A-U+206F are invisible like U+2060 (listed), the tag characters
// U+E0001 and U+E0020-U+E007F are invisible, the Hangul fillers render as
// blanks. Each passes every kind today.
TEST_F(PackLabelsTest, InvisibleFormatCharactersAreRefused) {
  std::vector<uint32_t> invisible = {0x061C, 0x115F, 0x1160, 0x3164,
                                     0xFFA0, 0xE0001};
  for (uint32_t cp = 0x2061; cp <= 0x2064; ++cp) {
    invisible.push_back(cp);
  }
  for (uint32_t cp = 0x206A; cp <= 0x206F; ++cp) {
    invisible.push_back(cp);
  }
  for (uint32_t cp = 0xE0020; cp <= 0xE007F; cp += 0x2F) {
    invisible.push_back(cp);
  }
  for (const KindCase& k : kKinds) {
    for (const uint32_t cp : invisible) {
      const std::string value = std::string(k.good) + Utf8(cp);
      EXPECT_NE(Refusal({{k.label, value}}), "")
          << k.label << " U+" << std::hex << cp;
    }
  }
}

}  // namespace
}  // namespace mlb
