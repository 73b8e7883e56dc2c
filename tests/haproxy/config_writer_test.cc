// The config writer against the real `haproxy -c`: unchanged configs
// do nothing, good ones are swapped in atomically and reloaded, bad ones never
// replace the live config.
#include "core/haproxy/config_writer.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/base/process.h"
#include "core/base/unified_diff.h"
#include "tests/support/temp_dir.h"
#include "tests/support/testing.h"

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

class ConfigWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
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
  testing::TempDir temp_{"config_writer_"};
  std::string dir_;
  ConfigWriterOptions options_;
};

TEST_F(ConfigWriterTest, NewConfigIsValidatedWrittenAndReloaded) {
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_TRUE(report.reloaded);
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
  struct stat st;
  ASSERT_EQ(stat(options_.config_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(Files(), (std::vector<std::string>{"haproxy.cfg", "reloads"}));
}

// SIGUSR1 (marathon-lb 1.15): the config in place is checked and reloaded;
// one HAProxy refuses is not reloaded.
TEST_F(ConfigWriterTest, ReloadInPlaceChecksThenReloads) {
  testing::WriteFile(options_.config_path, kValid);
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.ReloadInPlace(&report).ok());
  EXPECT_TRUE(report.reloaded);
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
  testing::WriteFile(options_.config_path, kInvalid);
  EXPECT_EQ(writer.ReloadInPlace(&report).message(),
            "haproxy -c rejected " + options_.config_path + "; not reloaded");
  EXPECT_NE(report.validation_output, "");
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
  options_.reload_command.clear();
  ConfigWriter without(options_);
  EXPECT_EQ(without.ReloadInPlace(&report).message(),
            "no reload command (--command) to reload with");
}

TEST_F(ConfigWriterTest, UnchangedConfigDoesNothing) {
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kUnchanged);
  EXPECT_EQ(report.diff, "");
  EXPECT_EQ(testing::ReadFile(dir_ + "/reloads"), "reloaded\n");
}

TEST_F(ConfigWriterTest, ChangeIsLoggedAsUnifiedDiffAndModeIsKept) {
  testing::WriteFile(options_.config_path, kValid);
  ASSERT_EQ(chmod(options_.config_path.c_str(), 0600), 0);
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid2, &report).ok());
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

TEST_F(ConfigWriterTest, SymlinkedConfigStaysALink) {
  ASSERT_EQ(mkdir((dir_ + "/volume").c_str(), 0755), 0);
  testing::WriteFile(dir_ + "/volume/real.cfg", "old\n");
  ASSERT_EQ(symlink("volume/real.cfg", options_.config_path.c_str()), 0);
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  struct stat st;
  ASSERT_EQ(lstat(options_.config_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(testing::ReadFile(dir_ + "/volume/real.cfg"), kValid);
}

TEST_F(ConfigWriterTest, RejectedConfigNeverReplacesTheLiveOne) {
  testing::WriteFile(options_.config_path, kValid);
  ConfigWriter writer(options_);
  ApplyReport report;
  Status s = writer.Apply(kInvalid, &report);
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

TEST_F(ConfigWriterTest, DryRunReportsTheDiffAndWritesNothing) {
  options_.dry_run = true;
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kDryRun);
  EXPECT_EQ(report.diff.rfind("--- " + options_.config_path + "\n", 0), 0u);
  EXPECT_TRUE(Files().empty());
}

// $PATH for one test, put back when it ends.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) : old_(std::getenv("PATH")) {
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() { setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

// Without --haproxy-binary and without haproxy in PATH (a non-root Debian
// user has no /usr/sbin there), haproxy -c is /usr/sbin/haproxy's: it
// refuses the invalid config and accepts the valid one.
TEST_F(ConfigWriterTest, WithoutHaproxyInPathUsrSbinHaproxyChecks) {
  ASSERT_EQ(mkdir((dir_ + "/bin").c_str(), 0755), 0);
  ScopedPath path(dir_ + "/bin");
  options_.reload_command.clear();
  ConfigWriter writer(options_);
  ApplyReport report;
  const Status refused = writer.Apply(kInvalid, &report);
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kRejected);
  EXPECT_EQ(refused.message(),
            "haproxy -c rejected the new config, kept in " +
                options_.config_path +
                ".rejected; the live config is unchanged");
  EXPECT_NE(report.validation_output.find("chek"), std::string::npos)
      << report.validation_output;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
}

// --haproxy-binary naming no file: "not found", never "rejected"; nothing
// is written or kept.
TEST_F(ConfigWriterTest, HaproxyNotFoundIsNotARefusal) {
  options_.haproxy_binary = dir_ + "/no-such-haproxy";
  ConfigWriter writer(options_);
  ApplyReport report;
  const Status s = writer.Apply(kValid, &report);
  EXPECT_EQ(s.message(), "cannot check the config: " + dir_ +
                             "/no-such-haproxy not found (see "
                             "--haproxy-binary); the live config is "
                             "unchanged");
  EXPECT_EQ(report.validation_output, "");
  EXPECT_EQ(report.rejected_path, "");
  EXPECT_TRUE(Files().empty());
  // SIGUSR1's reload in place checks the file first, the same way.
  testing::WriteFile(options_.config_path, kValid);
  EXPECT_EQ(writer.ReloadInPlace(&report).message(),
            "cannot check the config: " + dir_ +
                "/no-such-haproxy not found (see --haproxy-binary)");
}

// A file that is found but that the system cannot execute (here: its
// interpreter is missing) exits 127 from the exec: not a refusal either.
TEST_F(ConfigWriterTest, HaproxyThatCannotBeExecutedIsNotARefusal) {
  options_.haproxy_binary = dir_ + "/broken-haproxy";
  testing::WriteFile(options_.haproxy_binary, "#!/nonexistent/interpreter\n");
  ASSERT_EQ(chmod(options_.haproxy_binary.c_str(), 0755), 0);
  ConfigWriter writer(options_);
  ApplyReport report;
  const Status s = writer.Apply(kValid, &report);
  EXPECT_EQ(s.message(), "cannot check the config: cannot run " +
                             options_.haproxy_binary +
                             ": No such file or directory; the live config "
                             "is unchanged");
  EXPECT_EQ(report.rejected_path, "");
  EXPECT_EQ(Files(), std::vector<std::string>{"broken-haproxy"});
}

TEST_F(ConfigWriterTest, SkipValidationWritesWithoutHaproxy) {
  options_.skip_validation = true;
  options_.haproxy_binary = "/nonexistent/haproxy";
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kInvalid, &report).ok());
  EXPECT_EQ(testing::ReadFile(options_.config_path), kInvalid);
}

TEST_F(ConfigWriterTest, FailedReloadIsReportedAfterTheWrite) {
  options_.reload_command = {"sh", "-c", "echo no haproxy here; exit 3"};
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_FALSE(report.reloaded);
  EXPECT_EQ(report.reload_error,
            "reload command `sh -c 'echo no haproxy here; exit 3'` exited "
            "with 3: no haproxy here\n");
}

// --max-reload-retries: a failed reload is tried again by the next Apply,
// even of the same config, until it succeeds or the retries are used up;
// Apply itself never waits.
TEST_F(ConfigWriterTest, FailedReloadIsRetriedByTheNextApply) {
  const std::string count = dir_ + "/runs";
  options_.reload_command = {
      "sh", "-c",
      "n=$(cat " + count + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
          count + "; echo run $n; [ $n -ge 3 ]"};
  options_.max_reload_retries = 5;
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_FALSE(report.reloaded);
  EXPECT_EQ(report.reload_attempts, 1);
  EXPECT_TRUE(report.retry_reload);
  EXPECT_EQ(report.reload_error.substr(report.reload_error.find("exited")),
            "exited with 1: run 1\n");
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kUnchanged);
  EXPECT_EQ(report.reload_attempts, 2);
  EXPECT_TRUE(report.retry_reload);
  EXPECT_EQ(report.reload_error.substr(report.reload_error.find("exited")),
            "exited with 1: run 2\n (2 attempts)");
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_EQ(report.reload_attempts, 3);
  EXPECT_TRUE(report.reloaded);
  EXPECT_FALSE(report.retry_reload);
  EXPECT_EQ(report.reload_error, "");
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());  // nothing pending
  EXPECT_EQ(report.reload_attempts, 0);
  EXPECT_EQ(testing::ReadFile(count), "3\n");

  // One retry allowed: two runs, then the writer gives up until the next
  // config.
  std::remove(count.c_str());
  options_.max_reload_retries = 1;
  ConfigWriter once(options_);
  ASSERT_TRUE(once.Apply(kValid2, &report).ok());
  EXPECT_TRUE(report.retry_reload);
  ASSERT_TRUE(once.Apply(kValid2, &report).ok());
  EXPECT_EQ(report.reload_attempts, 2);
  EXPECT_FALSE(report.retry_reload);
  EXPECT_EQ(report.reload_error.substr(report.reload_error.find("exited")),
            "exited with 1: run 2\n (2 attempts)");
  ASSERT_TRUE(once.Apply(kValid2, &report).ok());
  EXPECT_EQ(report.reload_attempts, 0);
  EXPECT_EQ(testing::ReadFile(count), "2\n");
}

// With --run-haproxy the reload is a function (through the master socket);
// its failures are retried the same way; -1 retries without end.
TEST_F(ConfigWriterTest, FailedManagedReloadIsRetried) {
  int calls = 0;
  options_.reload = [&calls] {
    return ++calls < 4 ? Status::Error("master socket: no answer")
                       : Status::OK();
  };
  options_.max_reload_retries = -1;
  ConfigWriter writer(options_);
  ApplyReport report;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(writer.Apply(kValid, &report).ok());
    EXPECT_TRUE(report.retry_reload);
    EXPECT_EQ(report.reload_attempts, i);
  }
  EXPECT_EQ(report.reload_error, "master socket: no answer (3 attempts)");
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_TRUE(report.reloaded);
  EXPECT_EQ(calls, 4);
}

// With --run-haproxy a failed reload puts back the config and maps of the
// last reload that succeeded (what HAProxy runs), so that a restarted
// HAProxy runs them too; applying the failed config again is its retry.
TEST_F(ConfigWriterTest, FailedManagedReloadRollsBackToTheConfigHaproxyRuns) {
  bool fail = false;
  options_.reload = [&fail] {
    return fail ? Status::Error("reload failed: cannot bind socket")
                : Status::OK();
  };
  options_.roll_back_failed_reload = true;
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, {{"a.map", "x 1\n"}}, &report).ok());
  ASSERT_TRUE(report.reloaded);

  fail = true;
  ASSERT_TRUE(writer.Apply(kValid2, {{"a.map", "x 2\n"}}, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kApplied);
  EXPECT_FALSE(report.reloaded);
  EXPECT_TRUE(report.rolled_back);
  EXPECT_TRUE(report.retry_reload);
  EXPECT_EQ(report.reload_error,
            "reload failed: cannot bind socket; " + options_.config_path +
                " rolled back to the config HAProxy runs");
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);
  EXPECT_EQ(testing::ReadFile(dir_ + "/a.map"), "x 1\n");

  // The same config again: written, its reload's second attempt.
  ASSERT_TRUE(writer.Apply(kValid2, {{"a.map", "x 2\n"}}, &report).ok());
  EXPECT_EQ(report.reload_attempts, 2);
  EXPECT_EQ(report.reload_error,
            "reload failed: cannot bind socket (2 attempts); " +
                options_.config_path + " rolled back to the config HAProxy runs");
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);

  // The config HAProxy runs, generated again: nothing to do.
  ASSERT_TRUE(writer.Apply(kValid, {{"a.map", "x 1\n"}}, &report).ok());
  EXPECT_EQ(report.outcome, ApplyReport::Outcome::kUnchanged);
  EXPECT_EQ(report.reload_attempts, 0);

  fail = false;
  ASSERT_TRUE(writer.Apply(kValid2, {{"a.map", "x 2\n"}}, &report).ok());
  EXPECT_TRUE(report.reloaded);
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid2);
  EXPECT_EQ(testing::ReadFile(dir_ + "/a.map"), "x 2\n");
}

// Before any reload succeeded there is nothing to roll back to: the new
// config stays (HAProxy, not started, would read it anyway).
TEST_F(ConfigWriterTest, FailedFirstManagedReloadHasNothingToRollBackTo) {
  options_.reload = [] { return Status::Error("haproxy exited with 1"); };
  options_.roll_back_failed_reload = true;
  ConfigWriter writer(options_);
  ApplyReport report;
  ASSERT_TRUE(writer.Apply(kValid, &report).ok());
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(report.reload_error,
            "haproxy exited with 1; no config HAProxy ran is known, the new "
            "one stays in place");
  EXPECT_EQ(testing::ReadFile(options_.config_path), kValid);
}

// --archive-versions: each config put in place is kept as hap_cfg.1, the
// older ones moving up to .N; a rejected one as haproxy_temp_config_fail.1.
TEST_F(ConfigWriterTest, ArchiveKeepsTheLastConfigs) {
  const std::string archive = dir_ + "/archive";
  ASSERT_EQ(mkdir(archive.c_str(), 0755), 0);
  options_.archive_dir = archive;
  options_.archive_versions = 2;
  options_.skip_validation = true;
  ConfigWriter writer(options_);
  ApplyReport report;
  for (const char* text : {"# one\n", "# two\n", "# three\n", "# three\n"}) {
    ASSERT_TRUE(writer.Apply(text, &report).ok());
  }
  EXPECT_EQ(testing::ReadFile(archive + "/hap_cfg.1"), "# three\n");
  EXPECT_EQ(testing::ReadFile(archive + "/hap_cfg.2"), "# two\n");
  EXPECT_FALSE(std::filesystem::exists(archive + "/hap_cfg.3"));
  // On the config's filesystem the copy is a link to it, not a second
  // write; the config is only ever replaced, so .2 kept "# two" above.
  struct stat copy, config;
  ASSERT_EQ(stat((archive + "/hap_cfg.1").c_str(), &copy), 0);
  ASSERT_EQ(stat(options_.config_path.c_str(), &config), 0);
  EXPECT_EQ(copy.st_ino, config.st_ino);
  EXPECT_FALSE(std::filesystem::exists(archive + "/hap_cfg.1.link"));

  options_.skip_validation = false;
  ConfigWriter checking(options_);
  EXPECT_FALSE(checking.Apply(kInvalid, &report).ok());
  EXPECT_EQ(testing::ReadFile(archive + "/haproxy_temp_config_fail.1"),
            kInvalid);
  EXPECT_EQ(testing::ReadFile(archive + "/hap_cfg.1"), "# three\n");
}

// A config of `backends` blocks: 1200 backends make some 270 KB, several of
// Apply's 64 KiB read chunks.
std::string BigConfig(int backends) {
  std::string out = "global\n  maxconn 100\ndefaults\n  mode http\n";
  for (int b = 0; b < backends; ++b) {
    const std::string name = "app" + std::to_string(b);
    out += "\nbackend " + name + "_80\n  balance roundrobin\n  mode http\n";
    for (int s = 0; s < 3; ++s) {
      out += "  server " + name + "_" + std::to_string(s) + " 10.0." +
             std::to_string(b % 250) + "." + std::to_string(s) + ":" +
             std::to_string(31000 + b) + " check inter 10s fall 4\n";
    }
  }
  return out;
}

std::string ReplaceLine(std::string text, const std::string& line,
                        const std::string& with) {
  const size_t at = text.find(line);
  return at == std::string::npos ? "NOT FOUND " + line
                                  : text.replace(at, line.size(), with);
}

// Apply --dry over a live config `before` (none when nullptr) must report
// exactly the diff of the whole texts, and "unchanged" for equal ones.
class ConfigWriterDiffTest : public ConfigWriterTest {
 protected:
  void Check(const std::string* before, const std::string& after) {
    std::remove(options_.config_path.c_str());
    if (before != nullptr) {
      testing::WriteFile(options_.config_path, *before);
    }
    options_.dry_run = true;
    ConfigWriter writer(options_);
    ApplyReport report;
    ASSERT_TRUE(writer.Apply(after, &report).ok());
    const std::string live = before == nullptr ? "" : *before;
    EXPECT_EQ(report.outcome, live == after ? ApplyReport::Outcome::kUnchanged
                                            : ApplyReport::Outcome::kDryRun);
    EXPECT_EQ(report.diff, UnifiedDiff(live, after, options_.config_path,
                                       options_.config_path + " (new)"));
    if (before != nullptr) {
      EXPECT_EQ(testing::ReadFile(options_.config_path), *before);
    }
  }
  void Check(const std::string& before, const std::string& after) {
    Check(&before, after);
  }
};

TEST_F(ConfigWriterDiffTest, IdenticalConfigIsUnchanged) {
  const std::string config = BigConfig(1200);
  ASSERT_GT(config.size(), 4u * 65536);
  Check(config, config);
  Check("", "");
  Check(nullptr, "");
}

TEST_F(ConfigWriterDiffTest, ChangeAtStartAtEndAndInTheMiddle) {
  const std::string config = BigConfig(1200);
  Check(config, ReplaceLine(config, "  maxconn 100\n", "  maxconn 200\n"));
  Check(config, "# generated\n" + config);
  Check(config, config.substr(config.find('\n') + 1));
  Check(config, ReplaceLine(config, "app1199_2 10.0.199.2:32199",
                            "app1199_2 10.0.199.2:32200"));
  Check(config, config + "\nbackend extra\n  mode http\n");
  Check(config, ReplaceLine(config, "app300_1 10.0.50.1:31300",
                            "app300_1 10.0.50.1:31301"));
  // A new server line and a new backend block among similar ones.
  Check(config, ReplaceLine(config, "  server app300_1 ",
                            "  server app300_new 10.9.9.9:1 check inter 10s "
                            "fall 4\n  server app300_1 "));
  Check(config, ReplaceLine(config, "\nbackend app300_80\n",
                            "\nbackend new_80\n  balance roundrobin\n  mode "
                            "http\n\nbackend app300_80\n"));
}

TEST_F(ConfigWriterDiffTest, DifferencesAtTheEdgesOfReadChunks) {
  const std::string config = BigConfig(1200);
  for (size_t at : {65534u, 65535u, 65536u, 65537u, 131072u}) {
    std::string changed = config;
    changed[at] = changed[at] == 'x' ? 'y' : 'x';
    Check(config, changed);
    Check(changed, config);
    const size_t from_end = config.size() - at;
    std::string changed_tail = config;
    changed_tail[from_end] = changed_tail[from_end] == 'x' ? 'y' : 'x';
    Check(config, changed_tail);
  }
}

TEST_F(ConfigWriterDiffTest, SeveralDistantChanges) {
  const std::string config = BigConfig(1200);
  std::string changed =
      ReplaceLine(config, "  maxconn 100\n", "  maxconn 200\n");
  changed = ReplaceLine(changed, "app200_0 10.0.200.0:31200",
                        "app200_0 10.0.200.0:31999");
  changed = ReplaceLine(changed, "\nbackend app400_80\n",
                        "\nbackend app400_81\n");
  changed += "# end\n";
  Check(config, changed);
  Check(changed, config);
}

TEST_F(ConfigWriterDiffTest, EmptyOrMissingLiveConfig) {
  const std::string config = BigConfig(1200);
  Check("", config);
  Check(nullptr, config);
  Check(config, "");
}

TEST_F(ConfigWriterDiffTest, NewConfigShorterOrLonger) {
  const std::string config = BigConfig(1200);
  const size_t middle = config.find("\nbackend app300_80\n");
  const size_t next = config.find("\nbackend app301_80\n");
  const std::string without = config.substr(0, middle) + config.substr(next);
  Check(config, without);
  Check(without, config);
  Check(config, config.substr(0, middle + 1));
  Check(config.substr(0, middle + 1), config);
  Check(config, config.substr(next + 1));
  Check(config.substr(next + 1), config);
}

TEST_F(ConfigWriterDiffTest, MissingFinalNewline) {
  const std::string config = BigConfig(1200);
  const std::string cut = config.substr(0, config.size() - 1);
  Check(config, cut);
  Check(cut, config);
  Check(cut, cut + " check");
  Check(cut, ReplaceLine(cut, "app300_1 10.0.50.1:31300",
                         "app300_1 10.0.50.1:31301"));
  Check("a", "b");
  Check("a\n", "a");
}

TEST_F(ConfigWriterDiffTest, CrlfLineEnds) {
  std::string crlf;
  for (char c : BigConfig(1200)) {
    crlf += c == '\n' ? "\r\n" : std::string(1, c);
  }
  Check(crlf, ReplaceLine(crlf, "app300_1 10.0.50.1:31300",
                          "app300_1 10.0.50.1:31301"));
  Check(crlf, BigConfig(1200));
  Check(crlf, crlf.substr(0, crlf.size() - 1));
  Check(crlf.substr(0, crlf.size() - 1), crlf);
}

// Repetitive lines let diff -u slide changes far, across the edges of what
// Apply loads: the diff must still be the one of the whole files.
TEST_F(ConfigWriterDiffTest, RandomEditsOfRepetitiveConfigs) {
  std::mt19937 rng(11);
  const std::vector<std::string> alphabet = {
      "\n", "  mode http\n", "  server s 10.0.0.1:31000 check inter 10s\n",
      "backend b\n", std::string(60, ' ') + "option forwardfor\n"};
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::string before;
    const int lines = 1500 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < lines; ++i) {
      before += alphabet[rng() % (i % 7 == 0 ? alphabet.size() : 2)];
    }
    std::vector<std::string> split;
    for (size_t start = 0; start < before.size();) {
      const size_t end = before.find('\n', start) + 1;
      split.push_back(before.substr(start, end - start));
      start = end;
    }
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (split.size() + 1);
      const auto kind = rng() % 3;
      const std::string line = alphabet[rng() % alphabet.size()];
      if (kind == 0 || at == split.size()) {
        split.insert(split.begin() + static_cast<std::ptrdiff_t>(at), line);
      } else if (kind == 1) {
        split.erase(split.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        split[at] = line;
      }
    }
    std::string after;
    for (const std::string& line : split) {
      after += line;
    }
    Check(before, after);
    if (HasFatalFailure() || HasNonfatalFailure()) {
      return;
    }
  }
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
