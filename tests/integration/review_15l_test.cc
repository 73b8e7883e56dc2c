// Review 15l end to end: the real marathon-lb binary under the address
// space limits an operator sets (ulimit -v / -d, systemd LimitAS= /
// LimitDATA=) now that main() first reserves 4 GB of address space for the
// huge-page heap (core/base/heap.h), and under the operator's
// MALLOC_CONF=thp:never. Each test names what it expects; each failed on
// 2998c70 (the limits aborted the process, thp:never was ignored).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr long long kKiB = 1024;
constexpr long long kMiB = 1024 * kKiB;
constexpr long long kGiB = 1024 * kMiB;

class Review15lTest : public EndToEndTest {
 protected:
  // One `marathon-lb poll` of one app (file: URL) run by /bin/sh after
  // `ulimit -<option> <bytes / 1024>`.
  RunResult PollLimited(const std::string& option, long long bytes) {
    return PollAfter("ulimit -" + option + " " + std::to_string(bytes / kKiB) +
                     " || exit 99");
  }

  // The same, after the shell command `setup`.
  RunResult PollAfter(const std::string& setup) {
    const std::string state_file = dir_->File("state.json");
    AtomicWrite(state_file,
                StateJson({AppJson("/app-1", {10101},
                                   {{"HAPROXY_GROUP", "external"}},
                                   {{"127.0.0.2", {20001}}})}));
    const std::string script = setup + "; exec \"$@\"";
    return RunBounded(
        {"/bin/sh", "-c", script, "sh", mlb_binary_, "poll", "--marathon",
         "file:" + state_file, "--haproxy-config", cfg_, "--group",
         "external", "--templates-dir", templates_dir_, "--plugin-dir",
         plugin_dir_, "--dont-bind-http-https", "--syslog-socket",
         "/dev/null", "--command", "true", "--skip-validation"},
        dir_->File("marathon-lb-" + std::to_string(++poll_runs_) + ".log"));
  }

  // Every limit from just past the 4 GB reservation up to 4.5 GB, in 4 MB
  // steps (a thread's stack is 8 MB): each must give a working poll, as
  // 1 GB does. Stops at the first that does not.
  void ExpectEveryLimitPastTheReservationWorks(const std::string& option) {
    const RunResult low = PollLimited(option, 1 * kGiB);
    ASSERT_EQ(low.exit_code, 0) << low.output;
    for (long long limit = 4 * kGiB + 2 * kMiB; limit <= 4 * kGiB + 512 * kMiB;
         limit += 4 * kMiB) {
      const RunResult run = PollLimited(option, limit);
      ASSERT_EQ(run.exit_code, 0)
          << "ulimit -" << option << " " << limit / kKiB
          << " (KiB) breaks a poll that ulimit -" << option << " "
          << kGiB / kKiB << " allows:\n"
          << run.output;
    }
  }
};

// RLIMIT_AS: below 4 GB + 2 MB + what the process maps before main, the
// reservation fails and the heap falls back (logged at DEBUG). Just above,
// the reservation succeeds and leaves the rest of the process a few MB:
// the update thread's stack cannot be mapped, std::thread throws
// std::system_error ("Resource temporarily unavailable") and the process
// aborts (exit 134). On 2998c70 ulimit -v 4229120 (4.33 GB) aborts while
// ulimit -v 1048576 (1 GB) works. Expected: a larger limit never breaks
// what a smaller one allows; the fallback leaves the process room to run.
// Fixed: with an address-space limit the heap is jemalloc's own, and the
// DEBUG log says why.
TEST_F(Review15lTest, AnAddressSpaceLimitJustPastTheReservationStillPolls) {
  ExpectEveryLimitPastTheReservationWorks("v");
  EXPECT_THAT(PollLimited("v", 1 * kGiB).output,
              HasSubstr("heap in jemalloc's default pages: an address-space "
                        "limit is set (ulimit -v, LimitAS=)"));
}

// RLIMIT_DATA counts private writable mappings (Linux 4.7+), MAP_NORESERVE
// or not: the same window, ulimit -d 4208640 (4.31 GB) aborts on 2998c70.
// Fixed: the range is reserved PROT_NONE, which RLIMIT_DATA does not count;
// only what is handed out is made writable. The heap stays in huge pages.
TEST_F(Review15lTest, ADataLimitJustPastTheReservationStillPolls) {
  ExpectEveryLimitPastTheReservationWorks("d");
  EXPECT_THAT(PollLimited("d", 1 * kGiB).output,
              Not(HasSubstr("heap in jemalloc's default pages")));
}

// MALLOC_CONF=thp:never is the operator's way to keep the heap out of
// transparent huge pages (compaction stalls, RSS): the hook is not
// installed, and the DEBUG log says why. On 2998c70 the heap was madvised
// MADV_HUGEPAGE all the same.
TEST_F(Review15lTest, ThpNeverInMallocConfKeepsTheHeapJemallocsOwn) {
  const RunResult run = PollAfter("export MALLOC_CONF=thp:never");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("heap in jemalloc's default pages: "
                                    "MALLOC_CONF has thp:never"));
  EXPECT_THAT(PollAfter("true").output,
              Not(HasSubstr("heap in jemalloc's default pages")))
      << "without MALLOC_CONF the heap is the huge-page one";
}

}  // namespace
}  // namespace mlb::integration
