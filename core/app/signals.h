// The signals marathon-lb handles (SIGTERM, SIGINT, SIGHUP, SIGUSR1), blocked
// in every thread (MarathonLb::BlockSignals) and taken by one thread with
// sigwait, and a waiter for a stop while something slow runs.
#pragma once

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/base/http_client.h"

namespace mlb {

sigset_t HandledSignals();

// The next of HandledSignals() sent to the process.
int NextSignal();

// SIGTERM or SIGINT: logs "stopping on SIGTERM" (or SIGINT) and cancels
// `cancel`, so that a request in progress ends at once.
void Stopping(int sig, HttpCancel* cancel);

// While it lives, a thread of its own waits for SIGTERM or SIGINT; on one it
// logs "stopping on SIGTERM" (or SIGINT) and cancels `cancel` (requests in
// progress end at once). SIGHUP and SIGUSR1 are ignored meanwhile. For the
// parts of marathon-lb that run without RunLive's signal thread: the start
// (--template-url) and a one-shot poll.
class StopOnSignal {
 public:
  explicit StopOnSignal(HttpCancel* cancel);
  ~StopOnSignal();  // ends the thread
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  bool stopped() const;
  // Waits up to `timeout`, or until a stop; whether one came.
  bool WaitFor(std::chrono::seconds timeout);

 private:
  HttpCancel* const cancel_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool finished_ = false;  // guarded by mu_
  bool stopped_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace mlb
