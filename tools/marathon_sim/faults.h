// Misbehaviour switches of marathon-sim (POST /_sim/fault): stall the event
// streams, drop them, play dead, redirect to another Marathon, answer every
// request with one status.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

class Faults {
 public:
  // Called whenever stall or drop change, so that waiting streams re-check.
  void SetWakeup(std::function<void()> wakeup) { wakeup_ = std::move(wakeup); }

  bool stalled() const { return stall_.load(); }
  std::uint64_t drop_generation() const { return drop_generation_.load(); }

  void SetStall(bool on);
  // Closes every open event stream once.
  void Drop();
  // Plays dead for `ms` milliseconds; open streams die with it.
  void SetDown(std::int64_t ms);
  void SetRedirect(std::string url);
  void SetStatus(int status) { status_ = status; }
  void Clear();

  bool down() const { return DownRemainingMs() > 0; }
  std::string redirect() const;
  int status() const { return status_.load(); }

  Object::Ptr ToJson() const;

 private:
  std::int64_t DownRemainingMs() const;
  void Wake();

  mutable std::mutex mu_;
  std::atomic<bool> stall_{false};
  std::atomic<std::uint64_t> drop_generation_{0};
  std::atomic<int> status_{0};
  SteadyClock::time_point down_until_;
  std::string redirect_;
  std::function<void()> wakeup_;
};

}  // namespace mlb::tools::sim
