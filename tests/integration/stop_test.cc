// SIGTERM while Marathon does not answer: marathon-lb stops at once,
// not when its Marathon request times out (46 s without an answer, 120 s
// for a whole one). An orchestrator that waits less (systemd's default 90
// s, Marathon's and Kubernetes' kill grace periods) would otherwise SIGKILL
// it, leaving its HAProxy behind.
//
// The "Marathon" here is a listener on 127.0.0.1 that never accepts: the
// kernel completes the connection and takes the request, and no answer
// ever comes. No HAProxy runs (the reload command is `true`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;

class StopTest : public EndToEndTest {
 protected:
  // marathon-lb in `mode` (with `extra` flags) against the silent Marathon;
  // returns once it has been running for a moment.
  std::unique_ptr<ScopedProcess> StartAgainstSilentMarathon(
      const std::string& mode, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        mlb_binary_, mode, "--marathon", SilentUrl(), "--haproxy-config",
        cfg_, "--group", "external", "--plugin-dir", plugin_dir_,
        "--templates-dir", templates_dir_, "--dont-bind-http-https",
        "--syslog-socket", "/dev/null", "--skip-validation", "--command",
        "true"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto mlb = std::make_unique<ScopedProcess>(argv, dir_->File(mode + ".log"));
    // The request is sent once the update has started; then it waits.
    EXPECT_TRUE(WaitUntil(
        [&] { return mlb->Output().find("update:") != std::string::npos; },
        Millis(10000)))
        << mlb->Output();
    std::this_thread::sleep_for(Millis(300));
    return mlb;
  }

  // Sends `sig` and expects the process gone within 5 s with `code`;
  // returns its log.
  static std::string ExpectStopsOn(ScopedProcess* mlb, int sig, int code) {
    EXPECT_TRUE(mlb->Running()) << mlb->Output();
    kill(mlb->pid(), sig);
    const std::optional<int> exit_code = mlb->WaitExit(Millis(5000));
    EXPECT_TRUE(exit_code.has_value())
        << "still running 5 s after signal " << sig << "\n" << mlb->Output();
    EXPECT_EQ(exit_code.value_or(-1), code) << mlb->Output();
    return mlb->Output();
  }

  std::string SilentUrl() const {
    return "http://127.0.0.1:" + std::to_string(silent_.address().port());
  }

  Poco::Net::ServerSocket silent_{Poco::Net::SocketAddress("127.0.0.1", 0),
                                  /*backlog=*/16};
};

TEST_F(StopTest, PollWithAnIntervalStopsOnSigtermWhileMarathonIsSilent) {
  auto mlb = StartAgainstSilentMarathon("poll", {"--poll-interval", "1"});
  EXPECT_THAT(ExpectStopsOn(mlb.get(), SIGTERM, 0),
              HasSubstr("stopping on SIGTERM"));
}

TEST_F(StopTest, SseStopsOnSigtermWhileMarathonIsSilent) {
  auto mlb = StartAgainstSilentMarathon("sse", {});
  EXPECT_THAT(ExpectStopsOn(mlb.get(), SIGTERM, 0),
              HasSubstr("stopping on SIGTERM"));
}

// A one-shot poll (no --poll-interval) that waits for Marathon: ^C ends
// it at once, with the update's error and exit status 1 (it did not do its
// job), not after the 46 s read timeout.
TEST_F(StopTest, OneShotPollStopsOnSigintWhileMarathonIsSilent) {
  auto mlb = StartAgainstSilentMarathon("poll", {});
  const std::string log = ExpectStopsOn(mlb.get(), SIGINT, 1);
  EXPECT_THAT(log, HasSubstr("stopping on SIGINT"));
  EXPECT_THAT(log, HasSubstr("Marathon request GET /v2/apps?embed=apps.tasks "
                             "failed: " + SilentUrl() + ": stopped"));
  EXPECT_FALSE(FileExists(cfg_)) << "a config was written";
}

}  // namespace
}  // namespace mlb::integration
