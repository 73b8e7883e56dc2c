// Review 15k: a hostile reviewer against today's URL credential redaction
// (RedactUrl, RedactUrlValue, CheckUserInfo) as the command lines of
// `marathon-lb` and `marathon-lb zdd` apply it. Each test names what it
// expects; a failing one is a finding of the review.
//
// main.cc and RunZddCommand print a command line's error to stderr as it
// stands: no logger, so no RedactUrl on the way. Whatever ParseCommandLine
// or ParseZddCommandLine puts in a message is what the operator's terminal,
// the container's log or the journal gets.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "tests/support/cli_support.h"
#include "core/app/zdd_command.h"
#include "core/base/text.h"

namespace mlb {
namespace {

Status Parse(std::vector<std::string> args, CliOptions* out) {
  return testing::ParseCleanCommandLine(std::move(args), out);
}

const char kNotAllowed[] =
    ": its user information holds a character RFC 3986 does not allow "
    "there: percent-encode it (a space as %20, '@' as %40)";

// `--marathon URL URL...` (nargs='+', as marathon-lb 1.15): the URLs after
// the first are pushed by ParseCommandLine's positional branch and skip
// CheckUserInfo, which only Apply() calls. A password with a space in the
// second URL is taken, and the start line ("... Marathon " +
// RedactUrl(Join(marathon, " "))) then shows it: the redaction stops at the
// space, so "pa ss@m2:8080" reaches the log.
TEST(Review15kCliTest, AMarathonUrlAfterTheFirstHasItsUserInfoChecked) {
  CliOptions o;
  const Status s = Parse({"sse", "--marathon", "http://m1:8080",
                          "http://alice:pa ss@m2:8080", "--group", "external"},
                         &o);
  EXPECT_EQ(s.message(),
            std::string("--marathon http://alice:***@m2:8080") + kNotAllowed);
  if (s.ok()) {
    // What modes.cc's start line shows of the list.
    EXPECT_EQ(RedactUrl(Join(o.marathon, " ")),
              "http://m1:8080 http://alice:***@m2:8080");
  }
  // The same with -m and three URLs, the bad one last.
  const Status last = Parse({"poll", "-m", "http://m1:8080", "http://m2:8080",
                             "http://bob:x\"y@m3:8080", "--group", "external"},
                            &o);
  EXPECT_EQ(last.message(),
            std::string("--marathon http://bob:***@m3:8080") + kNotAllowed);
}

// A URL given where no argument is expected (the flag before it forgotten:
// `--group external http://...`) is named as it stands: main.cc prints
// "marathon-lb: http://alice:s3cret@m2:8080: unexpected argument" on stderr.
TEST(Review15kCliTest, AnUnexpectedArgumentIsShownWithItsPasswordRedacted) {
  CliOptions o;
  const Status s =
      Parse({"sse", "--marathon", "http://m1:8080", "--group", "external",
             "http://alice:s3cret@m2:8080"},
            &o);
  EXPECT_EQ(s.message(), "http://alice:***@m2:8080: unexpected argument");
  // A token-only user information, the same.
  const Status token =
      Parse({"poll", "--group", "external", "--marathon", "http://m1:8080",
             "--dry", "https://ghp_0123456789abcdef@t/t.tgz"},
            &o);
  EXPECT_EQ(token.message(), "https://***@t/t.tgz: unexpected argument");
}

// A misspelt flag is named with the value it was given ("--flag=value"):
// the value of --auth-credentials (USER:PASS) or a URL with credentials
// reaches stderr, twice (Poco's "Unknown option specified: NAME=VALUE"
// repeats it). The name alone says which option is unknown.
TEST(Review15kCliTest, AnUnknownOptionIsNamedWithoutItsValue) {
  CliOptions o;
  const Status creds = Parse({"sse", "--marathon", "http://m1:8080",
                              "--group", "external",
                              "--auth-creds=alice:s3cret"},
                             &o);
  EXPECT_EQ(creds.message(),
            "--auth-creds: Unknown option specified: auth-creds");
  const Status url =
      Parse({"sse", "--marathon-url=http://alice:s3cret@m1:8080", "--group",
             "external"},
            &o);
  EXPECT_EQ(url.message(),
            "--marathon-url: Unknown option specified: marathon-url");
}

// `marathon-lb zdd`: the same unexpected argument.
TEST(Review15kZddCliTest, AnUnexpectedArgumentIsShownWithItsPasswordRedacted) {
  ZddCommandOptions o;
  const Status s = ParseZddCommandLine(
      {"--json", "app.json", "--marathon", "http://m1:8080", "--marathon-lb",
       "http://127.0.0.1:9090", "http://alice:s3cret@m2:8080"},
      &o);
  EXPECT_EQ(s.message(), "http://alice:***@m2:8080: unexpected argument");
}

// `marathon-lb zdd --marathon URL`: no CheckUserInfo at all. A password
// with a space is taken, and every error zdd logs names "GET " + the URL:
// RedactUrl stops at the space and the password is shown. marathon-lb's
// own --marathon refuses the same URL (CliTest.
// AUrlPasswordMustBePercentEncoded).
TEST(Review15kZddCliTest, TheMarathonUrlsUserInfoIsChecked) {
  ZddCommandOptions o;
  const Status s = ParseZddCommandLine(
      {"--json", "app.json", "--marathon", "http://alice:pa ss@m1:8080",
       "--marathon-lb", "http://127.0.0.1:9090"},
      &o);
  EXPECT_EQ(s.message(),
            std::string("--marathon http://alice:***@m1:8080") + kNotAllowed);
  const Status lb = ParseZddCommandLine(
      {"--json", "app.json", "--marathon", "http://m1:8080", "--marathon-lb",
       "http://ops:pa ss@127.0.0.1:9090"},
      &o);
  EXPECT_EQ(lb.message(), std::string("--marathon-lb "
                                      "http://ops:***@127.0.0.1:9090") +
                              kNotAllowed);
}

}  // namespace
}  // namespace mlb
