// --admin-token-file and --callback-secret-file: a secret that group or
// others may read is taken with one warning (a container's secret mount is
// often 0444); anything but a regular file (after symbolic links) is
// refused at start, before anything opens it (a FIFO would block).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "tests/support/cli_support.h"
#include "tests/support/temp_dir.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using mlb::testing::TempDir;

Status Parse(std::vector<std::string> args, CliOptions* out) {
  return testing::ParseCleanCommandLine(std::move(args), out);
}

// A token file with `mode` in `dir`.
std::string TokenFile(const TempDir& dir, const std::string& name,
                      mode_t mode) {
  const std::string path = dir.File(name);
  mlb::testing::WriteFile(path, "0123456789abcdef-token\n");
  EXPECT_EQ(chmod(path.c_str(), mode), 0);
  return path;
}

TEST(SecretFileTest, AFileOthersMayReadIsTakenWithOneWarning) {
  TempDir dir;
  const std::string token = TokenFile(dir, "admin.token", 0644);
  CliOptions o;
  ASSERT_TRUE(Parse({"sse", "-m", "http://m1:8080", "--group", "g",
                     "--admin-token-file", token},
                    &o)
                  .ok());
  EXPECT_EQ(o.admin_token_file, token);
  EXPECT_EQ(o.warnings,
            std::vector<std::string>{
                "--admin-token-file " + token +
                ": mode 0644 lets group or others read or write the secret; "
                "chmod 600 " + token});
}

TEST(SecretFileTest, AReadOnlySecretMountAndAGroupWritableFileAreNamedToo) {
  TempDir dir;
  const std::string token = TokenFile(dir, "admin.token", 0444);
  const std::string secret = TokenFile(dir, "callback.secret", 0620);
  CliOptions o;
  ASSERT_TRUE(Parse({"event", "http://127.0.0.1:8080/", "-m",
                     "http://m1:8080", "--group", "g", "--admin-token-file",
                     token, "--callback-secret-file", secret},
                    &o)
                  .ok());
  EXPECT_EQ(o.warnings,
            (std::vector<std::string>{
                "--admin-token-file " + token +
                    ": mode 0444 lets group or others read or write the "
                    "secret; chmod 600 " + token,
                "--callback-secret-file " + secret +
                    ": mode 0620 lets group or others read or write the "
                    "secret; chmod 600 " + secret}));
}

TEST(SecretFileTest, AFileOnlyItsOwnerMayReadIsTakenWithoutAWarning) {
  TempDir dir;
  for (const mode_t mode : {0600, 0400, 0700}) {
    const std::string token = TokenFile(dir, "admin.token", mode);
    CliOptions o;
    ASSERT_TRUE(Parse({"sse", "-m", "http://m1:8080", "--group", "g",
                       "--admin-token-file", token},
                      &o)
                    .ok());
    EXPECT_EQ(o.warnings, std::vector<std::string>{}) << mode;
  }
  // No secret file, no warning.
  CliOptions o;
  ASSERT_TRUE(Parse({"sse", "-m", "http://m1:8080", "--group", "g"}, &o).ok());
  EXPECT_EQ(o.warnings, std::vector<std::string>{});
}

// The mode that counts is the file's, not the link's (lrwxrwxrwx).
TEST(SecretFileTest, ASymbolicLinkIsJudgedByItsTarget) {
  TempDir dir;
  const std::string owned = TokenFile(dir, "owned.token", 0600);
  const std::string shared = TokenFile(dir, "shared.token", 0640);
  ASSERT_EQ(symlink(owned.c_str(), dir.File("owned.link").c_str()), 0);
  ASSERT_EQ(symlink(shared.c_str(), dir.File("shared.link").c_str()), 0);
  std::string warning = "x";
  ASSERT_TRUE(
      CheckSecretFile("--admin-token-file", dir.File("owned.link"), &warning)
          .ok());
  EXPECT_EQ(warning, "");
  ASSERT_TRUE(
      CheckSecretFile("--admin-token-file", dir.File("shared.link"), &warning)
          .ok());
  EXPECT_EQ(warning, "--admin-token-file " + dir.File("shared.link") +
                         ": mode 0640 lets group or others read or write the "
                         "secret; chmod 600 " + dir.File("shared.link"));
}

TEST(SecretFileTest, ADirectoryOrAFifoIsRefused) {
  TempDir dir;
  const std::string fifo = dir.File("admin.token");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ASSERT_EQ(symlink(fifo.c_str(), dir.File("fifo.link").c_str()), 0);
  ASSERT_EQ(mkdir(dir.File("secrets").c_str(), 0700), 0);
  CliOptions o;
  EXPECT_EQ(Parse({"sse", "-m", "http://m1:8080", "--group", "g",
                   "--admin-token-file", dir.File("secrets")},
                  &o)
                .message(),
            "--admin-token-file " + dir.File("secrets") +
                ": not a regular file (a directory)");
  EXPECT_EQ(Parse({"sse", "-m", "http://m1:8080", "--group", "g",
                   "--admin-token-file", fifo},
                  &o)
                .message(),
            "--admin-token-file " + fifo + ": not a regular file (a FIFO)");
  EXPECT_EQ(Parse({"event", "http://127.0.0.1:8080/", "-m", "http://m1:8080",
                   "--group", "g", "--callback-secret-file",
                   dir.File("fifo.link")},
                  &o)
                .message(),
            "--callback-secret-file " + dir.File("fifo.link") +
                ": not a regular file (a FIFO)");
  std::string warning;
  EXPECT_EQ(CheckSecretFile("--admin-token-file", "/dev/null", &warning)
                .message(),
            "--admin-token-file /dev/null: not a regular file (a character "
            "device)");
}

// A file that is not there is left to the reader, which says why (as
// before): not refused, and no warning.
TEST(SecretFileTest, AMissingFileIsLeftToTheReader) {
  TempDir dir;
  std::string warning = "x";
  EXPECT_TRUE(
      CheckSecretFile("--admin-token-file", dir.File("none"), &warning).ok());
  EXPECT_EQ(warning, "");
}

}  // namespace
}  // namespace mlb
