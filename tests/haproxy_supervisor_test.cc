// The one-shot supervisor against the real `haproxy -c`: unchanged configs
// do nothing, good ones are swapped in atomically and reloaded, bad ones never
// replace the live config.
#include "core/haproxy_supervisor.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "core/process.h"
#include "tests/testing.h"

namespace mlb {
namespace {

constexpr char kValid[] =
    "global\n  maxconn 100\ndefaults\n  mode http\n  timeout connect 1s\n"
    "  timeout client 1s\n  timeout server 1s\n"
    "\nfrontend f\n  bind 127.0.0.1:1\n  default_backend b\n"
    "\nbackend b\n  server s1 127.0.0.1:1\n";
constexpr char kValid2[] =
    "global\n  maxconn 100\ndefaults\n  mode http\n  timeout connect 1s\n"
    "  timeout client 1s\n  timeout server 1s\n"
    "\nfrontend f\n  bind 127.0.0.1:1\n  default_backend b\n"
    "\nbackend b\n  server s1 127.0.0.1:2\n";
constexpr char kInvalid[] =
    "global\n  maxconn 100\n\nbackend b\n  server s1 127.0.0.1:1 chek\n";

class HaproxySupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/supervisor_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    options_.config_path = dir_ + "/haproxy.cfg";
    options_.reload_command = {"sh", "-c", "echo reloaded >> " + dir_ +
                                               "/reloads"};
  }
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.' || std::string(e->d_name).size() > 2) {
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") {
          out.push_back(e->d_name);
        }
      }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string dir_;
  SupervisorOptions options_;
};

TEST_F(HaproxySupervisorTest, NewConfigIsValidatedWrittenAndReloaded) {
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_TRUE(report.reloaded);
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
  struct stat st;
  ASSERT_EQ(stat(options_.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(Files(), (std::vector<std::string>{"haproxy.cfg", "reloads"}));
}

TEST_F(HaproxySupervisorTest, UnchangedConfigDoesNothing) {
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kUnchanged);
  EXPECT_EQ(report.diff, "");
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
}

TEST_F(HaproxySupervisorTest, ChangeIsLoggedAsUnifiedDiffAndModeIsKept) {
  testing::WriteFile(options_.config_path, kValid);
  ASSERT_EQ(chmod(options_.config_path.c_str(), 0600), 0);
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid2, &report).ok());
  EXPECT_EQ(report.diff, "--- " + options_.config_path + "\n+++ " +
                             options_.config_path + " (new)\n"
                             "@@ -11,4 +11,4 @@\n"
                             "   default_backend b\n"
                             " \n"
                             " backend b\n"
                             "-  server s1 127.0.0.1:1\n"
                             "+  server s1 127.0.0.1:2\n");
  struct stat st;
  ASSERT_EQ(stat(options_.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(HaproxySupervisorTest, SymlinkedConfigStaysALink) {
  ASSERT_EQ(mkdir((dir_ + "/volume").c_str(), 0755), 0);
  testing::WriteFile(dir_ + "/volume/real.cfg", "old\n");
  ASSERT_EQ(symlink("volume/real.cfg", options_.config_path.c_str()), 0);
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  struct stat st;
  ASSERT_EQ(lstat(options_.config_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(testing::ReadFile(dir_ + "/volume/real.cfg"), kValid);
}

TEST_F(HaproxySupervisorTest, RejectedConfigNeverReplacesTheLiveOne) {
  testing::WriteFile(options_.config_path, kValid);
  HaproxySupervisor sup(options_);
  ApplyReport report;
  Status s = sup.Apply(kInvalid, &report);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "haproxy -c rejected the new config, kept in " +
                             options_.config_path +
                             ".rejected; the live config is unchanged");
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kRejected);
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);
  EXPECT_EQ(testing::ReadFile(options_.config_path + ".rejected"), kInvalid);
  EXPECT_NE(report.validation_output.find("unknown keyword 'chek'"),
            std::string::npos)
      << report.validation_output;
  EXPECT_EQ(Files(),
            (std::vector<std::string>{"haproxy.cfg", "haproxy.cfg.rejected"}));
}

TEST_F(HaproxySupervisorTest, DryRunReportsTheDiffAndWritesNothing) {
  options_.dry_run = true;
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kDryRun);
  EXPECT_EQ(report.diff.rfind("--- " + options_.config_path + "\n", 0), 0u);
  EXPECT_TRUE(Files().empty());
}

TEST_F(HaproxySupervisorTest, SkipValidationWritesWithoutHaproxy) {
  options_.skip_validation = true;
  options_.haproxy_binary = "/nonexistent/haproxy";
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kInvalid, &report).ok());
  EXPECT_EQ(testing::ReadFile(options_.config_path), kInvalid);
}

TEST_F(HaproxySupervisorTest, FailedReloadIsReportedAfterTheWrite) {
  options_.reload_command = {"sh", "-c", "echo no haproxy here; exit 3"};
  HaproxySupervisor sup(options_);
  ApplyReport report;
  ASSERT_TRUE(sup.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_FALSE(report.reloaded);
  EXPECT_EQ(report.reload_error,
            "reload command `sh -c 'echo no haproxy here; exit 3'` exited "
            "with 3: no haproxy here\n");
}

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  CommandResult r;
  ASSERT_TRUE(RunCommand({"sh", "-c", "echo out; echo err >&2; exit 4"}, &r).ok());
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.output, "out\nerr\n");
}

// A reload command may leave a daemon behind that keeps our pipe open; the
// update must not wait for it.
TEST(RunCommandTest, DoesNotWaitForBackgroundChildren) {
  const auto start = std::chrono::steady_clock::now();
  CommandResult r;
  ASSERT_TRUE(RunCommand({"sh", "-c", "sleep 3 & echo started"}, &r).ok());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  EXPECT_EQ(r.output, "started\n");
  EXPECT_LT(ms, 2000);
}

TEST(RunCommandTest, CommandThatNeverEndsIsKilledAtTheTimeout) {
  CommandResult r;
  Status s = RunCommand({"sleep", "30"}, &r, 300);
  EXPECT_EQ(s.message(), "command `sleep 30`: killed after 0 s without finishing");
}

TEST(RunCommandTest, MissingProgramExits127WithAMessage) {
  CommandResult r;
  ASSERT_TRUE(RunCommand({"/nonexistent/haproxy", "-c"}, &r).ok());
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.output, "cannot run /nonexistent/haproxy: No such file or directory\n");
}

TEST(CommandLineSplitTest, SplitsLikeAShellWithoutExpanding) {
  std::vector<std::string> argv;
  ASSERT_TRUE(SplitCommandLine(R"(sv reload 'a b' "c \"d\"" e\ f $HOME)", &argv)
                  .ok());
  EXPECT_EQ(argv, (std::vector<std::string>{"sv", "reload", "a b", "c \"d\"",
                                            "e f", "$HOME"}));
  EXPECT_EQ(SplitCommandLine("echo 'open", &argv).message(),
            "command echo 'open: unterminated single quote");
}

}  // namespace
}  // namespace mlb
