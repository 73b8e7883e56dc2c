#include "core/app/update_scheduler.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "core/base/logging.h"

namespace mlb {
namespace {

class SteadyClockImpl : public Clock {
 public:
  TimePoint Now() override { return std::chrono::steady_clock::now(); }

  void WaitUntil(std::condition_variable& cv,
                 std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override {
    cv.wait_until(lock, deadline);
  }
};

}  // namespace

Clock& SteadyClock() {
  static SteadyClockImpl clock;
  return clock;
}

std::string UpdateRequest::Describe() const {
  std::string text;
  if (resync) {
    text = "full resync (" + resync_reason + ")";
  }
  if (event_count > 0) {
    if (!text.empty()) {
      text += " + ";
    }
    text += std::to_string(event_count) +
            (event_count == 1 ? " event (" : " events (");
    size_t listed = 0;
    for (size_t i = 0; i < event_types.size(); ++i) {
      text += (i == 0 ? "" : ", ") + event_types[i].type + " x" +
              std::to_string(event_types[i].count);
      listed += event_types[i].count;
    }
    if (listed < event_count) {
      text += ", " + std::to_string(event_count - listed) + " of other types";
    }
    text += ")";
  }
  if (!timed_reason.empty() && text.empty()) {
    text = timed_reason;
  }
  if (reload_in_place && text.empty()) {
    text = "reload of the config in place";
  }
  return text.empty() ? "nothing requested" : text;
}

std::chrono::milliseconds DebounceJitterFor(
    std::chrono::milliseconds debounce) {
  return debounce / 5;
}

UpdateScheduler::UpdateScheduler(UpdateSchedulerOptions options,
                                 Callback regenerate, Clock& clock)
    : options_(options),
      regenerate_(std::move(regenerate)),
      clock_(clock),
      idle_since_(clock.Now()) {}

void UpdateScheduler::Trigger(const std::string& event_type) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++pending_events_;
    auto it = std::find_if(pending_types_.begin(), pending_types_.end(),
                           [&](const UpdateRequest::TypeCount& t) {
                             return t.type == event_type;
                           });
    if (it != pending_types_.end()) {
      ++it->count;
    } else if (pending_types_.size() < UpdateRequest::kMaxEventTypes) {
      pending_types_.push_back({event_type, 1});
    }
    const bool prompt = options_.prompt_types.count(event_type) == 1;
    if (StartBatch()) {
      wake = true;
      batch_prompt_ = prompt;
    } else {
      batch_prompt_ = batch_prompt_ && prompt;
    }
  }
  if (wake) {
    cv_.notify_one();
  }
}

bool UpdateScheduler::StartBatch() {
  if (batch_started_) {
    return false;
  }
  batch_started_ = clock_.Now();
  batch_jitter_ = std::chrono::milliseconds(0);
  if (options_.debounce_jitter.count() > 0) {
    if (options_.draw_jitter) {
      batch_jitter_ = options_.draw_jitter(options_.debounce_jitter);
    } else {
      std::uniform_int_distribution<std::chrono::milliseconds::rep> pick(
          0, options_.debounce_jitter.count());
      batch_jitter_ = std::chrono::milliseconds(pick(random_));
    }
  }
  return true;
}

void UpdateScheduler::RequestResync(const std::string& why) {
  Request([&] {
    if (!pending_resync_) {
      pending_resync_ = true;
      resync_reason_ = why;
    }
  });
}

void UpdateScheduler::RequestReloadInPlace() {
  Request([&] { pending_reload_ = true; });
}

void UpdateScheduler::Request(const std::function<void()>& note) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    note();
    wake = StartBatch();
    batch_prompt_ = false;  // a resync or a reload: debounced
  }
  if (wake) {
    cv_.notify_one();
  }
}

void UpdateScheduler::RequestResyncAfter(std::chrono::milliseconds delay,
                                         const std::string& why) {
  RequestAt(delay, why, &retry_at_, &retry_reason_);
}

void UpdateScheduler::RequestUpdateAfter(std::chrono::milliseconds delay,
                                         const std::string& why) {
  RequestAt(delay, why, &update_at_, &update_reason_);
}

void UpdateScheduler::RequestAt(std::chrono::milliseconds delay,
                                const std::string& why,
                                std::optional<TimePoint>* at,
                                std::string* reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const TimePoint when = clock_.Now() + delay;
    if (!at->has_value() || when < **at) {
      *at = when;
      *reason = why;
    }
  }
  cv_.notify_one();
}

void UpdateScheduler::AllowPrompt(bool allowed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    prompt_allowed_ = allowed;
  }
  cv_.notify_one();
}

void UpdateScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

UpdateScheduler::Snapshot UpdateScheduler::GetSnapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot snapshot = snapshot_;
  snapshot.pending_events = pending_events_;
  return snapshot;
}

UpdateRequest UpdateScheduler::TakeBatch() {
  UpdateRequest request;
  request.number = ++started_;
  request.event_count = std::exchange(pending_events_, 0);
  request.event_types = std::exchange(pending_types_, {});
  request.resync = std::exchange(pending_resync_, false);
  request.resync_reason = std::exchange(resync_reason_, {});
  request.reload_in_place = std::exchange(pending_reload_, false);
  batch_started_.reset();
  retry_at_.reset();
  update_at_.reset();
  return request;
}

void UpdateScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const TimePoint now = clock_.Now();
    const bool prompt = batch_started_ && batch_prompt_ && prompt_allowed_;
    TimePoint due = batch_started_
                        ? *batch_started_ +
                              (prompt ? std::chrono::milliseconds(0)
                                      : options_.debounce + batch_jitter_)
                        : idle_since_ + options_.resync_interval;
    if (!batch_started_ && retry_at_) {
      due = std::min(due, *retry_at_);
    }
    if (!batch_started_ && update_at_) {
      due = std::min(due, *update_at_);
    }
    if (last_start_ && !prompt) {
      due = std::max(due, *last_start_ + options_.min_interval);
    }
    if (now < due) {
      clock_.WaitUntil(cv_, lock, due);
      continue;
    }
    std::string timed;
    if (!batch_started_) {
      if (update_at_ && *update_at_ <= now &&
          !(retry_at_ && *retry_at_ <= now)) {
        timed = update_reason_;  // an update, no resync
      } else {
        pending_resync_ = true;
        resync_reason_ = retry_at_ && *retry_at_ <= now ? retry_reason_
                                                        : "periodic";
      }
    }
    UpdateRequest request = TakeBatch();
    request.timed_reason = timed;
    request.started = now;
    last_start_ = now;
    snapshot_.running = true;

    // Triggers arriving from here on start the next batch: at most one
    // follow-up regeneration however many arrive.
    lock.unlock();
    const Status result = Regenerate(request);
    lock.lock();

    snapshot_.running = false;
    ++snapshot_.regenerations;
    if (!result.ok()) {
      ++snapshot_.failures;
      snapshot_.last_error = result.message();
    }
    idle_since_ = clock_.Now();
  }
}

Status UpdateScheduler::Regenerate(const UpdateRequest& request) {
  const std::string what = "regeneration #" + std::to_string(request.number) +
                           ": " + request.Describe();
  MLB_LOG(debug, what + ": starting");
  const TimePoint start = clock_.Now();
  Status result;
  try {
    result = regenerate_(request);
  } catch (const std::exception& e) {
    result = Status::Error("uncaught exception", e.what());
  } catch (...) {
    result = Status::Error("uncaught exception of unknown type");
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      clock_.Now() - start)
                      .count();
  if (result.ok()) {
    Log().information(what + ": done in " + std::to_string(ms) + " ms");
  } else {
    Log().error(what + ": failed after " + std::to_string(ms) +
                " ms: " + result.message());
  }
  return result;
}

}  // namespace mlb
