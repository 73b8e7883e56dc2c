#include "core/app/update_scheduler.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Message.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/logging.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;
using ::testing::ElementsAre;

// Every bound below is generous: on an idle machine each wait is met in a few
// milliseconds, and a slow one must not make the tests flaky.
constexpr milliseconds kPatience{5000};

UpdateSchedulerOptions FastOptions() {
  UpdateSchedulerOptions options;
  options.debounce = milliseconds(20);
  options.min_interval = milliseconds(50);
  options.resync_interval = std::chrono::hours(1);
  return options;
}

// Stands in for the regeneration: records each request and its start time,
// and can hold the callback until released.
class FakeRegeneration {
 public:
  Status operator()(const UpdateRequest& request) {
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(request);
    starts_.push_back(Steady::now());
    cv_.notify_all();
    cv_.wait(lock, [this] { return !holding_; });
    const milliseconds duration = duration_;
    Status result = results_.empty() ? Status::OK() : results_.front();
    if (!results_.empty()) {
      results_.erase(results_.begin());
    }
    lock.unlock();
    std::this_thread::sleep_for(duration);
    return result;
  }

  UpdateScheduler::Callback AsCallback() {
    return [this](const UpdateRequest& request) { return (*this)(request); };
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    holding_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      holding_ = false;
    }
    cv_.notify_all();
  }
  void SetDuration(milliseconds duration) {
    std::lock_guard<std::mutex> lock(mu_);
    duration_ = duration;
  }
  void QueueResult(Status result) {
    std::lock_guard<std::mutex> lock(mu_);
    results_.push_back(std::move(result));
  }

  // Waits until `n` regenerations have started.
  bool WaitForStarts(size_t n, milliseconds timeout = kPatience) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  // Waits until the regenerations started so far absorbed `n` events.
  bool WaitForEvents(size_t n, milliseconds timeout = kPatience) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      size_t sum = 0;
      for (const UpdateRequest& r : requests_) {
        sum += r.event_count;
      }
      return sum >= n;
    });
  }

  std::vector<UpdateRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<Steady::time_point> starts() {
    std::lock_guard<std::mutex> lock(mu_);
    return starts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<UpdateRequest> requests_;
  std::vector<Steady::time_point> starts_;
  bool holding_ = false;
  milliseconds duration_{0};
  std::vector<Status> results_;
};

// Runs a scheduler on its own thread; stops and joins on destruction.
class Running {
 public:
  Running(UpdateSchedulerOptions options, UpdateScheduler::Callback callback,
          Clock& clock = SteadyClock())
      : scheduler_(options, std::move(callback), clock),
        thread_([this] { scheduler_.Run(); }) {}
  ~Running() { StopAndJoin(); }

  UpdateScheduler& operator*() { return scheduler_; }
  UpdateScheduler* operator->() { return &scheduler_; }

  // Returns how long Run() took to return after Stop().
  milliseconds StopAndJoin() {
    if (!thread_.joinable()) {
      return milliseconds(0);
    }
    const auto start = Steady::now();
    scheduler_.Stop();
    thread_.join();
    return std::chrono::duration_cast<milliseconds>(Steady::now() - start);
  }

 private:
  UpdateScheduler scheduler_;
  std::thread thread_;
};

// Time moves only when told to. WaitUntil polls in 1 ms steps of real time.
class ManualClock : public Clock {
 public:
  TimePoint Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock, TimePoint) override {
    cv.wait_for(lock, milliseconds(1));
  }
  void Advance(milliseconds duration) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += duration;
  }

 private:
  std::mutex mu_;
  TimePoint now_{};
};

// Collects what is logged through mlb::Log() while it is alive.
class CapturedLog : public Poco::Channel {
 public:
  void log(const Poco::Message& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(message.getText());
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class ScopedLogCapture {
 public:
  ScopedLogCapture()
      : capture_(new CapturedLog),
        old_channel_(Log().getChannel()),
        old_level_(Log().getLevel()) {
    Log().setChannel(capture_);
    Log().setLevel(Poco::Message::PRIO_INFORMATION);
  }
  ~ScopedLogCapture() {
    Log().setChannel(old_channel_);
    Log().setLevel(old_level_);
  }
  std::vector<std::string> lines() { return capture_->lines(); }

 private:
  Poco::AutoPtr<CapturedLog> capture_;
  Poco::Channel::Ptr old_channel_;
  int old_level_;
};

TEST(UpdateRequestTest, DescribesResyncAndEventTally) {
  UpdateRequest request;
  EXPECT_EQ(request.Describe(), "nothing requested");
  request.resync = true;
  request.resync_reason = "periodic";
  EXPECT_EQ(request.Describe(), "full resync (periodic)");
  request.event_count = 10;
  request.event_types = {{"status_update_event", 7}, {"api_post_event", 1}};
  EXPECT_EQ(request.Describe(),
            "full resync (periodic) + 10 events (status_update_event x7, "
            "api_post_event x1, 2 of other types)");
  request.resync = false;
  request.event_count = 1;
  request.event_types = {{"api_post_event", 1}};
  EXPECT_EQ(request.Describe(), "1 event (api_post_event x1)");
}

TEST(UpdateSchedulerTest, BurstFromFourThreadsCollapsesIntoAFewRegenerations) {
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options = FastOptions();
  options.debounce = milliseconds(100);
  options.min_interval = milliseconds(200);
  Running scheduler(options, regeneration.AsCallback());

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&scheduler, t] {
      for (int i = 0; i < 250; ++i) {
        scheduler->Trigger(i % 50 == 0
                               ? "api_post_event"
                               : (t % 2 == 0 ? "status_update_event"
                                             : "health_status_changed_event"));
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  ASSERT_TRUE(regeneration.WaitForEvents(1000));
  std::this_thread::sleep_for(milliseconds(400));  // nothing more may come
  scheduler.StopAndJoin();

  const std::vector<UpdateRequest> requests = regeneration.requests();
  size_t sum = 0;
  for (const UpdateRequest& request : requests) {
    sum += request.event_count;
    EXPECT_FALSE(request.resync);
    size_t tallied = 0;
    for (const UpdateRequest::TypeCount& t : request.event_types) {
      tallied += t.count;
    }
    EXPECT_EQ(tallied, request.event_count);  // only 3 types: all tallied
  }
  EXPECT_EQ(sum, 1000u);
  EXPECT_GE(requests.size(), 1u);
  EXPECT_LE(requests.size(), 3u);
  std::cout << "[ measured ] 1000 triggers from 4 threads -> "
            << requests.size() << " regeneration(s)\n";
}

TEST(UpdateSchedulerTest, TriggersDuringARegenerationYieldExactlyOneFollowUp) {
  FakeRegeneration regeneration;
  regeneration.Hold();
  Running scheduler(FastOptions(), regeneration.AsCallback());

  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(regeneration.WaitForStarts(1));
  // The regeneration is blocked: triggering must not wait for it.
  const auto start = Steady::now();
  for (int i = 0; i < 5; ++i) {
    scheduler->Trigger("health_status_changed_event");
  }
  scheduler->RequestResync("SIGHUP");
  EXPECT_LT(Steady::now() - start, milliseconds(100));
  EXPECT_EQ(scheduler->GetSnapshot().pending_events, 5u);
  EXPECT_TRUE(scheduler->GetSnapshot().running);
  regeneration.Release();

  ASSERT_TRUE(regeneration.WaitForStarts(2));
  std::this_thread::sleep_for(milliseconds(300));  // >> debounce + interval
  scheduler.StopAndJoin();

  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].number, 1u);
  EXPECT_EQ(requests[0].event_count, 1u);
  EXPECT_EQ(requests[1].number, 2u);
  EXPECT_EQ(requests[1].event_count, 5u);
  EXPECT_TRUE(requests[1].resync);
  EXPECT_EQ(requests[1].resync_reason, "SIGHUP");
  EXPECT_EQ(scheduler->GetSnapshot().regenerations, 2u);
}

// SIGUSR1 asks for a reload in place: a request of its own, which says so.
TEST(UpdateSchedulerTest, ReloadInPlaceIsARequestOfItsOwn) {
  FakeRegeneration regeneration;
  Running scheduler(FastOptions(), regeneration.AsCallback());
  scheduler->RequestReloadInPlace();
  ASSERT_TRUE(regeneration.WaitForStarts(1));
  scheduler.StopAndJoin();
  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].reload_in_place);
  EXPECT_FALSE(requests[0].resync);
  EXPECT_EQ(requests[0].event_count, 0u);
  EXPECT_EQ(requests[0].Describe(), "reload of the config in place");
}

TEST(UpdateSchedulerTest, StartsAreAtLeastMinIntervalApart) {
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options = FastOptions();
  options.debounce = milliseconds(5);
  options.min_interval = milliseconds(300);
  Running scheduler(options, regeneration.AsCallback());

  for (size_t n = 1; n <= 3; ++n) {
    scheduler->Trigger("status_update_event");
    ASSERT_TRUE(regeneration.WaitForStarts(n));
  }
  scheduler.StopAndJoin();
  // By the scheduler's start times: the callback's own clock readings come
  // a little after them, by a delay that differs from one call to the next.
  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_GE(requests[1].started - requests[0].started, milliseconds(300));
  EXPECT_GE(requests[2].started - requests[1].started, milliseconds(300));
  // And none of them is long after its callback was seen to start.
  const std::vector<Steady::time_point> starts = regeneration.starts();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LE(requests[i].started, starts[i]);
    EXPECT_LT(starts[i] - requests[i].started, milliseconds(100));
  }
}

TEST(UpdateSchedulerTest, ResyncsPeriodicallyWhenIdle) {
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options = FastOptions();
  options.resync_interval = milliseconds(150);
  const auto start = Steady::now();  // counted from construction
  Running scheduler(options, regeneration.AsCallback());

  ASSERT_TRUE(regeneration.WaitForStarts(2));
  scheduler.StopAndJoin();
  const std::vector<UpdateRequest> requests = regeneration.requests();
  const std::vector<Steady::time_point> starts = regeneration.starts();
  ASSERT_GE(requests.size(), 2u);
  for (const UpdateRequest& request : requests) {
    EXPECT_TRUE(request.resync);
    EXPECT_EQ(request.resync_reason, "periodic");
    EXPECT_EQ(request.event_count, 0u);
  }
  EXPECT_GE(starts[0] - start, milliseconds(150));
  EXPECT_GE(starts[1] - starts[0], milliseconds(150));
}

// For the ManualClock tests: no regeneration beyond `expected` within
// 50 ms; and whether `n` regenerations have finished, waiting up to
// kPatience (moving the clock while a callback runs would change its
// logged duration).
bool NothingHappens(FakeRegeneration& regeneration, size_t expected) {
  std::this_thread::sleep_for(milliseconds(50));
  return regeneration.requests().size() == expected;
}

bool Finished(Running& scheduler, uint64_t n) {
  const auto deadline = Steady::now() + kPatience;
  while (scheduler->GetSnapshot().regenerations < n &&
         Steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  return scheduler->GetSnapshot().regenerations >= n;
}

TEST(UpdateSchedulerTest, ManualClockDrivesResyncAndDebounceAndLogsEachOne) {
  ScopedLogCapture log;
  ManualClock clock;
  FakeRegeneration regeneration;
  Running scheduler(UpdateSchedulerOptions(), regeneration.AsCallback(), clock);
  const auto nothing_happens = [&](size_t expected) {
    return NothingHappens(regeneration, expected);
  };
  const auto finished = [&](uint64_t n) { return Finished(scheduler, n); };

  // Defaults: periodic resync after 300 s of quiet.
  clock.Advance(milliseconds(299999));
  EXPECT_TRUE(nothing_happens(0));
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(1));

  // Debounce: 500 ms after the first trigger, however many follow.
  clock.Advance(milliseconds(5000));
  scheduler->RequestResync("connected to http://marathon:8080");
  scheduler->Trigger("status_update_event");
  clock.Advance(milliseconds(499));
  scheduler->Trigger("status_update_event");
  scheduler->Trigger("api_post_event");
  EXPECT_TRUE(nothing_happens(1));
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(2));

  // Min interval: 2 s between starts even after the debounce.
  scheduler->Trigger("status_update_event");
  clock.Advance(milliseconds(1999));
  EXPECT_TRUE(nothing_happens(2));
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(3));
  scheduler.StopAndJoin();

  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].event_count, 3u);
  EXPECT_EQ(requests[1].resync_reason, "connected to http://marathon:8080");
  EXPECT_THAT(
      log.lines(),
      ElementsAre("regeneration #1: full resync (periodic): done in 0 ms",
                  "regeneration #2: full resync (connected to "
                  "http://marathon:8080) + 3 events "
                  "(status_update_event x2, api_post_event x1): done "
                  "in 0 ms",
                  "regeneration #3: 1 event (status_update_event x1): "
                  "done in 0 ms"));
}

// RequestUpdateAfter (the config file catching up with the express path):
// an update without a resync at its time, unless a regeneration starts
// before; a resync retry due at the same time wins.
TEST(UpdateSchedulerTest, ATimedUpdateIsNoResyncAndAnyRegenerationTakesIt) {
  ScopedLogCapture log;
  ManualClock clock;
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options;
  options.min_interval = milliseconds(0);
  Running scheduler(options, regeneration.AsCallback(), clock);
  const auto nothing_happens = [&](size_t expected) {
    return NothingHappens(regeneration, expected);
  };
  const auto finished = [&](uint64_t n) { return Finished(scheduler, n); };

  scheduler->RequestUpdateAfter(milliseconds(1500), "the file catching up");
  scheduler->RequestUpdateAfter(milliseconds(3000), "later");  // the earlier
  clock.Advance(milliseconds(1499));
  EXPECT_TRUE(nothing_happens(0));
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(1));

  // An event's regeneration before the time takes it.
  scheduler->RequestUpdateAfter(milliseconds(1500), "the file catching up");
  scheduler->Trigger("status_update_event");
  clock.Advance(milliseconds(500));
  ASSERT_TRUE(finished(2));
  clock.Advance(milliseconds(1000));
  EXPECT_TRUE(nothing_happens(2));

  // A resync retry due as well: the resync.
  scheduler->RequestUpdateAfter(milliseconds(100), "the file catching up");
  scheduler->RequestResyncAfter(milliseconds(100), "retry of the failed reload");
  clock.Advance(milliseconds(100));
  ASSERT_TRUE(finished(3));
  scheduler.StopAndJoin();

  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[0].resync);
  EXPECT_EQ(requests[0].event_count, 0u);
  EXPECT_EQ(requests[0].timed_reason, "the file catching up");
  EXPECT_EQ(requests[1].event_count, 1u);
  EXPECT_TRUE(requests[2].resync);
  EXPECT_THAT(
      log.lines(),
      ElementsAre("regeneration #1: the file catching up: done in 0 ms",
                  "regeneration #2: 1 event (status_update_event x1): done "
                  "in 0 ms",
                  "regeneration #3: full resync (retry of the failed "
                  "reload): done in 0 ms"));
}

// prompt_types (the express path's events): a batch of those only starts at
// once, neither debounced nor spaced by the minimum interval, while the
// callback allows it; any other event, a resync, or AllowPrompt(false)
// and the batch waits as ever.
TEST(UpdateSchedulerTest, ABatchOfPromptEventsOnlyStartsAtOnceWhileAllowed) {
  ManualClock clock;
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options;  // debounce 500 ms, min interval 2 s
  options.prompt_types = {"status_update_event"};
  Running scheduler(options, regeneration.AsCallback(), clock);
  const auto nothing_happens = [&](size_t expected) {
    return NothingHappens(regeneration, expected);
  };
  const auto finished = [&](uint64_t n) { return Finished(scheduler, n); };
  // The batch waits out the minimum interval since the last start, to the
  // millisecond: regeneration #done+1 starts at 2 s, not before.
  const auto waits_the_min_interval = [&](uint64_t done) {
    clock.Advance(milliseconds(1999));
    EXPECT_TRUE(nothing_happens(done));
    clock.Advance(milliseconds(1));
    ASSERT_TRUE(finished(done + 1));
  };

  // Not allowed yet (nothing said it is light): debounced.
  scheduler->Trigger("status_update_event");
  EXPECT_TRUE(nothing_happens(0));
  clock.Advance(milliseconds(500));
  ASSERT_TRUE(finished(1));

  scheduler->AllowPrompt(true);
  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(finished(2));  // the clock did not move: no wait at all
  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(finished(3));

  // Another type in the batch: the debounce and the minimum interval.
  scheduler->Trigger("api_post_event");
  scheduler->Trigger("status_update_event");
  ASSERT_NO_FATAL_FAILURE(waits_the_min_interval(3));

  // A resync is never prompt.
  scheduler->RequestResync("SIGHUP");
  scheduler->Trigger("status_update_event");
  ASSERT_NO_FATAL_FAILURE(waits_the_min_interval(4));

  // The last one was not light: as ever again.
  scheduler->AllowPrompt(false);
  scheduler->Trigger("status_update_event");
  ASSERT_NO_FATAL_FAILURE(waits_the_min_interval(5));
  scheduler.StopAndJoin();
}

// A ManualClock that also records every wait: at what time the scheduler
// waited and for which deadline.
class RecordingClock : public ManualClock {
 public:
  void WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    const TimePoint now = Now();
    {
      std::lock_guard<std::mutex> guard(waits_mu_);
      waits_.emplace_back(now, deadline);
    }
    ManualClock::WaitUntil(cv, lock, deadline);
  }
  // Whether the scheduler, at `now`, waited for `deadline`.
  bool Waited(TimePoint now, TimePoint deadline) {
    std::lock_guard<std::mutex> guard(waits_mu_);
    return std::find(waits_.begin(), waits_.end(),
                     std::make_pair(now, deadline)) != waits_.end();
  }

 private:
  std::mutex waits_mu_;
  std::vector<std::pair<TimePoint, TimePoint>> waits_;
};

// --debounce-ms's jitter: each batch (of events or a resync) waits the
// debounce plus an extra drawn once, when the batch starts, from 0 to
// debounce_jitter; the random source is the test's.
TEST(UpdateSchedulerTest, EachBatchWaitsTheDebouncePlusItsOwnDrawnJitter) {
  RecordingClock clock;
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options;
  options.debounce = milliseconds(500);
  options.debounce_jitter = milliseconds(100);
  options.min_interval = milliseconds(0);
  std::mutex mu;
  std::vector<milliseconds> asked;  // the maxima the draws were given
  const std::vector<milliseconds> draws = {milliseconds(73), milliseconds(0),
                                           milliseconds(100)};
  options.draw_jitter = [&](milliseconds max) {
    std::lock_guard<std::mutex> lock(mu);
    asked.push_back(max);
    return draws.at(asked.size() - 1);
  };
  Running scheduler(options, regeneration.AsCallback(), clock);
  const auto eventually = [](const std::function<bool()>& done) {
    const auto deadline = Steady::now() + kPatience;
    while (!done() && Steady::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    return done();
  };
  const auto finished = [&](uint64_t n) {
    return eventually(
        [&] { return scheduler->GetSnapshot().regenerations >= n; });
  };

  // Two events, one batch, one draw (73 ms): due 573 ms after the first.
  const Clock::TimePoint t0 = clock.Now();
  scheduler->Trigger("status_update_event");
  clock.Advance(milliseconds(572));
  scheduler->Trigger("api_post_event");
  ASSERT_TRUE(eventually([&] {
    return clock.Waited(t0 + milliseconds(572), t0 + milliseconds(573));
  }));
  EXPECT_TRUE(regeneration.requests().empty());
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(1));

  // The next batch draws again (0 ms): the debounce alone.
  const Clock::TimePoint t1 = clock.Now();
  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(eventually([&] {
    return clock.Waited(t1, t1 + milliseconds(500));
  }));
  clock.Advance(milliseconds(500));
  ASSERT_TRUE(finished(2));

  // A resync is a batch too (100 ms, the most).
  const Clock::TimePoint t2 = clock.Now();
  scheduler->RequestResync("SIGHUP");
  clock.Advance(milliseconds(599));
  ASSERT_TRUE(eventually([&] {
    return clock.Waited(t2 + milliseconds(599), t2 + milliseconds(600));
  }));
  EXPECT_EQ(regeneration.requests().size(), 2u);
  clock.Advance(milliseconds(1));
  ASSERT_TRUE(finished(3));
  scheduler.StopAndJoin();

  const std::vector<UpdateRequest> requests = regeneration.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].started, t0 + milliseconds(573));
  EXPECT_EQ(requests[0].event_count, 2u);
  EXPECT_EQ(requests[1].started, t1 + milliseconds(500));
  EXPECT_EQ(requests[2].started, t2 + milliseconds(600));
  EXPECT_EQ(requests[2].resync_reason, "SIGHUP");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(asked, ElementsAre(milliseconds(100), milliseconds(100),
                                 milliseconds(100)));
}

// The flags' scheduler: sse and event modes add a fifth of --debounce-ms
// as jitter (README, --help: "a random 0 to 20% of it"); poll mode has no
// debounce and no jitter.
TEST(SchedulerOptionsForTest, LiveModesJitterAFifthOfTheDebouncePollNone) {
  CliOptions o;
  ASSERT_TRUE(ParseCommandLine({"sse", "--group", "g"}, &o).ok());
  UpdateSchedulerOptions s = SchedulerOptionsFor(o);
  EXPECT_EQ(s.debounce, milliseconds(500));
  EXPECT_EQ(s.debounce_jitter, milliseconds(100));
  EXPECT_EQ(s.min_interval, milliseconds(2000));
  EXPECT_EQ(s.resync_interval, milliseconds(300000));
  EXPECT_FALSE(s.draw_jitter) << "marathon-lb draws at random";

  ASSERT_TRUE(ParseCommandLine({"event", "http://127.0.0.1:1/", "--group",
                                "g", "--debounce-ms", "1234"},
                               &o)
                  .ok());
  s = SchedulerOptionsFor(o);
  EXPECT_EQ(s.debounce, milliseconds(1234));
  EXPECT_EQ(s.debounce_jitter, milliseconds(246));

  ASSERT_TRUE(ParseCommandLine({"poll", "--group", "g", "--poll-interval",
                                "60", "--debounce-ms", "1000"},
                               &o)
                  .ok());
  s = SchedulerOptionsFor(o);
  EXPECT_EQ(s.debounce, milliseconds(0));
  EXPECT_EQ(s.debounce_jitter, milliseconds(0));
  EXPECT_EQ(s.resync_interval, milliseconds(60000));
}

TEST(UpdateSchedulerTest, FailuresAreLoggedCountedAndDoNotStopTheLoop) {
  ScopedLogCapture log;
  ManualClock clock;
  FakeRegeneration regeneration;
  regeneration.QueueResult(
      Status::Error("GET http://m:8080/v2/apps", "HTTP 503"));
  UpdateSchedulerOptions options;
  options.debounce = milliseconds(0);
  options.min_interval = milliseconds(0);
  Running scheduler(options, regeneration.AsCallback(), clock);

  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(regeneration.WaitForStarts(1));
  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(regeneration.WaitForStarts(2));
  scheduler.StopAndJoin();

  const UpdateScheduler::Snapshot snapshot = scheduler->GetSnapshot();
  EXPECT_EQ(snapshot.regenerations, 2u);
  EXPECT_EQ(snapshot.failures, 1u);
  EXPECT_EQ(snapshot.last_error, "GET http://m:8080/v2/apps: HTTP 503");
  EXPECT_THAT(
      log.lines(),
      ElementsAre("regeneration #1: 1 event (status_update_event x1): "
                  "failed after 0 ms: GET http://m:8080/v2/apps: HTTP 503",
                  "regeneration #2: 1 event (status_update_event x1): "
                  "done in 0 ms"));
}

TEST(UpdateSchedulerTest, ExceptionFromTheCallbackIsAFailure) {
  ScopedLogCapture log;
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  UpdateSchedulerOptions options = FastOptions();
  options.debounce = milliseconds(0);
  options.min_interval = milliseconds(0);
  Running scheduler(options, [&](const UpdateRequest&) -> Status {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    cv.notify_all();
    throw std::runtime_error("boom");
  });
  scheduler->Trigger("api_post_event");
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kPatience, [&] { return calls == 1; }));
  }
  scheduler->Trigger("api_post_event");
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kPatience, [&] { return calls == 2; }));
  }
  scheduler.StopAndJoin();
  EXPECT_EQ(scheduler->GetSnapshot().failures, 2u);
  EXPECT_EQ(scheduler->GetSnapshot().last_error, "uncaught exception: boom");
}

TEST(UpdateSchedulerTest, StopIsPromptDuringTheDebounce) {
  FakeRegeneration regeneration;
  UpdateSchedulerOptions options = FastOptions();
  options.debounce = milliseconds(10000);
  Running scheduler(options, regeneration.AsCallback());
  scheduler->Trigger("status_update_event");
  std::this_thread::sleep_for(milliseconds(50));

  const milliseconds took = scheduler.StopAndJoin();
  std::cout << "[ measured ] Stop() during debounce: Run() returned in "
            << took.count() << " ms\n";
  EXPECT_LT(took, milliseconds(500));  // typically < 1 ms
  EXPECT_TRUE(regeneration.requests().empty());
}

TEST(UpdateSchedulerTest, StopDuringALongRegenerationWaitsOnlyForIt) {
  FakeRegeneration regeneration;
  regeneration.SetDuration(milliseconds(400));
  Running scheduler(FastOptions(), regeneration.AsCallback());
  scheduler->Trigger("status_update_event");
  ASSERT_TRUE(regeneration.WaitForStarts(1));
  const auto started = Steady::now();
  scheduler->Trigger("status_update_event");  // would need a follow-up

  scheduler.StopAndJoin();
  const auto took =
      std::chrono::duration_cast<milliseconds>(Steady::now() - started);
  std::cout << "[ measured ] Stop() during a 400 ms regeneration: Run() "
               "returned after "
            << took.count() << " ms\n";
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_EQ(regeneration.requests().size(), 1u);  // the follow-up is dropped
}

}  // namespace
}  // namespace mlb
