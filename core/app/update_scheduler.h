// Turns Marathon events and resync requests into config regenerations.
//
// marathon-lb's SSE mode runs every regeneration on one worker thread fed by
// boolean flags, so a burst of events collapses into one regeneration (plus one
// follow-up for events that arrive while it runs), and it resyncs every 5
// minutes in case events were missed. UpdateScheduler keeps that model and adds
// a debounce window and a minimum interval between regenerations, which cut
// reload storms during large deployments.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "core/base/status.h"

namespace mlb {

// Time source and timed wait for UpdateScheduler; a seam for tests.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  virtual TimePoint Now() = 0;

  // Waits on `cv` (with `lock` held on entry and on return) until notified or
  // until Now() >= `deadline`. May return early, spuriously: callers re-check
  // their condition and the time.
  virtual void WaitUntil(std::condition_variable& cv,
                         std::unique_lock<std::mutex>& lock,
                         TimePoint deadline) = 0;
};

// std::chrono::steady_clock. Shared, stateless and thread-safe.
Clock& SteadyClock();

struct UpdateSchedulerOptions {
  // After the first trigger of a batch, wait this long for more to arrive. The
  // window does not slide: a steady trickle still regenerates every
  // `debounce` (or `min_interval`, whichever is longer).
  std::chrono::milliseconds debounce{500};
  // Minimum time between the starts of two regenerations.
  std::chrono::milliseconds min_interval{2000};
  // A full resync when nothing regenerated for this long (marathon-lb: 300 s),
  // in case events were missed. Counted from the end of the last
  // regeneration, or from construction.
  std::chrono::milliseconds resync_interval{300000};
  // Each batch waits `debounce` plus a random extra of 0 to debounce_jitter,
  // drawn when the batch starts: several marathon-lb instances that see the
  // same events then do not all ask Marathon's leader at the same instant.
  std::chrono::milliseconds debounce_jitter{0};
  // Events of these types (a task's status or health: with --run-haproxy
  // the express path takes them without a reload) start a batch at once,
  // without the debounce or the minimum interval, while AllowPrompt(true)
  // says the last such update was light. A batch with any other event, a
  // resync or a reload in place is debounced as ever.
  std::set<std::string> prompt_types;
  // Draws that extra: a duration from 0 to `max`, both included. Empty: a
  // uniform draw from a generator seeded by std::random_device. A seam for
  // tests; called with the scheduler's mutex held.
  std::function<std::chrono::milliseconds(std::chrono::milliseconds max)>
      draw_jitter;
};

// The debounce jitter marathon-lb's live modes use: a fifth of the debounce
// (500 ms: up to 100 ms more).
std::chrono::milliseconds DebounceJitterFor(std::chrono::milliseconds debounce);

// The scheduler of a marathon-lb run with these flags: poll mode updates
// every --poll-interval only; sse and event modes debounce (--debounce-ms,
// plus up to a fifth of it at random), space updates
// (--min-update-interval-ms) and resync (--resync-interval).
UpdateSchedulerOptions SchedulerOptionsFor(const CliOptions& options);

// Why a regeneration runs.
struct UpdateRequest {
  // Distinct event types kept per request; the rest are only counted.
  static constexpr size_t kMaxEventTypes = 5;

  struct TypeCount {
    std::string type;
    size_t count = 0;
  };

  uint64_t number = 0;     // 1 for the first regeneration of this scheduler
  size_t event_count = 0;  // Trigger() calls absorbed by this regeneration
  // Up to kMaxEventTypes distinct types in order of first arrival, with their
  // counts. Their counts sum to event_count unless more types arrived.
  std::vector<TypeCount> event_types;
  bool resync = false;        // a full resync was requested or is periodic
  // SIGUSR1: reload the config in place (no Marathon request), as
  // marathon-lb 1.15; with a resync or events the update does instead.
  bool reload_in_place = false;
  std::string resync_reason;  // first reason given, "periodic" for the timer
  // RequestUpdateAfter's reason, when its time came with nothing else
  // pending: an update without a resync.
  std::string timed_reason;
  // When the scheduler started it (its clock): starts are at least
  // min_interval apart by this time.
  Clock::TimePoint started;

  // "full resync (periodic)", "3 events (status_update_event x2,
  // api_post_event x1)", "full resync (first start) + 1 event (...)".
  std::string Describe() const;
};

// Thread-safety: Trigger(), RequestResync(), Stop() and GetSnapshot() may be
// called from any thread at any time; they only hand flags over under a mutex
// and never wait for a running regeneration (marathon-lb's 2016 deadlock had
// the event reader blocked behind the worker). Run() is called once, on the
// thread that is to run the callback; the callback never runs concurrently
// with itself and is never called with the mutex held.
class UpdateScheduler {
 public:
  using Callback = std::function<Status(const UpdateRequest&)>;

  // For the admin endpoint.
  struct Snapshot {
    uint64_t regenerations = 0;  // finished, successful or not
    uint64_t failures = 0;
    bool running = false;       // a regeneration is in progress
    size_t pending_events = 0;  // triggers waiting for the next one
    std::string last_error;     // message of the last failure, if any
  };

  // `clock` must outlive the scheduler.
  UpdateScheduler(UpdateSchedulerOptions options, Callback regenerate,
                  Clock& clock = SteadyClock());
  UpdateScheduler(const UpdateScheduler&) = delete;
  UpdateScheduler& operator=(const UpdateScheduler&) = delete;

  // Records one Marathon event of `event_type`.
  void Trigger(const std::string& event_type);
  // Asks for a full resync (first start, stream reconnect, SIGHUP...).
  void RequestResync(const std::string& why);
  // Asks for a reload of the config in place (SIGUSR1).
  void RequestReloadInPlace();
  // Asks for a full resync `delay` from now, unless a regeneration starts
  // before (a failed reload tried again: any regeneration tries it).
  void RequestResyncAfter(std::chrono::milliseconds delay,
                          const std::string& why);
  // Asks for an update (no resync) `delay` from now, unless a regeneration
  // starts before (the config file catching up with what the express path
  // sent: any regeneration may).
  void RequestUpdateAfter(std::chrono::milliseconds delay,
                          const std::string& why);

  // Runs regenerations until Stop(). Returns within a few milliseconds of
  // Stop() unless a regeneration is running; then it returns when that
  // regeneration's callback returns. Pending work is dropped on Stop().
  void Run();
  // Whether a batch of prompt_types only may start at once (the callback
  // says so: the last one was light, no whole render of every app).
  void AllowPrompt(bool allowed);

  // Makes Run() return (and any later Run() return at once).
  void Stop();

  Snapshot GetSnapshot() const;

 private:
  using TimePoint = Clock::TimePoint;

  // Under mu_, runs `note` (it records what is asked) and starts a batch if
  // none is pending, waking the worker.
  void Request(const std::function<void()>& note);
  // RequestResyncAfter and RequestUpdateAfter: `*at` becomes `delay` from
  // now unless it is set earlier, with `why` as its reason.
  void RequestAt(std::chrono::milliseconds delay, const std::string& why,
                 std::optional<TimePoint>* at, std::string* reason);
  // Moves the pending batch into a request. Requires mu_.
  UpdateRequest TakeBatch();
  // Calls the callback (without mu_) and logs the outcome.
  Status Regenerate(const UpdateRequest& request);
  // Starts a batch now, with its jitter, if none is pending; true if it did
  // (the worker's deadline moved from resync to debounce). Requires mu_.
  bool StartBatch();

  const UpdateSchedulerOptions options_;
  const Callback regenerate_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // All below guarded by mu_.
  bool stop_ = false;
  bool pending_resync_ = false;
  bool pending_reload_ = false;
  std::string resync_reason_;
  size_t pending_events_ = 0;
  std::vector<UpdateRequest::TypeCount> pending_types_;
  std::optional<TimePoint> batch_started_;  // first pending trigger or resync
  bool batch_prompt_ = false;  // the pending batch: prompt_types only
  bool prompt_allowed_ = false;  // AllowPrompt's
  std::chrono::milliseconds batch_jitter_{0};  // the pending batch's
  std::mt19937_64 random_{std::random_device{}()};  // without draw_jitter
  std::optional<TimePoint> retry_at_;       // RequestResyncAfter's
  std::string retry_reason_;
  std::optional<TimePoint> update_at_;      // RequestUpdateAfter's
  std::string update_reason_;
  std::optional<TimePoint> last_start_;     // of the last regeneration
  TimePoint idle_since_;  // end of the last regeneration, or construction
  uint64_t started_ = 0;
  Snapshot snapshot_;
};

}  // namespace mlb
