// Review 15k end to end: what the real marathon-lb binary prints of a
// password given on its command line, and how it reads a secret file.
// Each test names what it expects; a failing one is a finding of the
// review. Nothing listens on what the URLs name (127.0.0.1:1): `poll`
// reads its apps from a file: URL first in the --marathon list.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Review15kTest : public EndToEndTest {
 protected:
  static std::string OneApp() {
    return StateJson({AppJson("/app-1", {10101},
                              {{"HAPROXY_GROUP", "external"}},
                              {{"127.0.0.2", {20001}}})});
  }

  RunResult Poll(const std::vector<std::string>& extra) {
    std::vector<std::string> flags = {"--skip-validation"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return EndToEndTest::Poll(OneApp(), flags);
  }
};

// A command line error is printed by main.cc straight to stderr, not
// through the logger's RedactUrl: a URL that lands where no argument is
// expected is printed with its password.
TEST_F(Review15kTest, ACommandLineErrorNeverPrintsAPassword) {
  const RunResult run =
      RunBounded({mlb_binary_, "sse", "--marathon", "http://127.0.0.1:1",
                  "--group", "external", "http://alice:s3cret@127.0.0.1:1"},
                 dir_->File("bad-command-line.log"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(run.output,
            "marathon-lb: http://alice:***@127.0.0.1:1: unexpected argument\n"
            "Try 'marathon-lb --help'.\n");
}

// `--marathon file:STATE URL URL`: the second and later URLs skip the
// user information check, and the start line shows them through
// RedactUrl, which a space in the password stops. Expected: refused at the
// command line, as the same URL right after --marathon is.
TEST_F(Review15kTest, ASecondMarathonUrlsPasswordNeverReachesTheLog) {
  const RunResult run = Poll({"--marathon", "http://127.0.0.1:1",
                              "http://alice:pa ss@127.0.0.1:1"});
  EXPECT_THAT(run.output, Not(HasSubstr("pa ss"))) << run.output;
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("marathon-lb: --marathon http://alice:***@127.0.0.1:1: "
                        "its user information holds a character RFC 3986 "
                        "does not allow there"))
      << run.output;
}

// `marathon-lb zdd --marathon URL` takes a password with a space (no
// CheckUserInfo), and its first failure is logged as "GET " + the URL:
// "GET http://alice:pa ss@127.0.0.1:1/v2/apps: connect: Connection
// refused" on main. Expected: refused at the command line, as marathon-lb's
// own --marathon refuses it.
TEST_F(Review15kTest, ZddNeverLogsAMarathonPasswordWithASpace) {
  const std::string app = dir_->File("app.json");
  WriteFile(app,
            "{\"id\": \"/web\", \"instances\": 1, \"labels\": "
            "{\"HAPROXY_DEPLOYMENT_GROUP\": \"web\", "
            "\"HAPROXY_DEPLOYMENT_ALT_PORT\": \"10001\", "
            "\"HAPROXY_GROUP\": \"external\"}, "
            "\"portDefinitions\": [{\"port\": 10000}]}\n");
  const RunResult run = RunBounded(
      {mlb_binary_, "zdd", "--json", app, "--marathon",
       "http://alice:pa ss@127.0.0.1:1", "--marathon-lb",
       "http://127.0.0.1:1"},
      dir_->File("zdd.log"));
  EXPECT_THAT(run.output, Not(HasSubstr("pa ss"))) << run.output;
  EXPECT_THAT(run.output,
              HasSubstr("marathon-lb zdd: --marathon "
                        "http://alice:***@127.0.0.1:1: its user information "
                        "holds a character RFC 3986 does not allow there"))
      << run.output;
}

// A token file written with CRLF line ends (an editor on Windows, a
// Kubernetes secret made from such a file): its first line is the token
// and a CR. ReadSecretFile trims spaces and tabs only, then refuses the
// token for the '\r' with "... without spaces": marathon-lb does not start.
// The rest of marathon-lb reads CR LF as LF (CrLfToLf, the templates).
TEST_F(Review15kTest, ASecretFileWithCrLfLineEndsGivesItsToken) {
  const std::string token = dir_->File("admin.token");
  WriteFile(token, "0123456789abcdef-token\r\n");
  ASSERT_EQ(chmod(token.c_str(), 0600), 0);
  const RunResult run = Poll({"--admin-token-file", token});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, Not(HasSubstr("its first line must be a token")))
      << run.output;
}

}  // namespace
}  // namespace mlb::integration
