#include "tools/marathon_sim/faults.h"

namespace mlb::tools::sim {

void Faults::SetStall(bool on) {
  stall_ = on;
  Wake();
}

void Faults::Drop() {
  ++drop_generation_;
  Wake();
}

void Faults::SetDown(std::int64_t ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    down_until_ = SteadyClock::now() + Millis(ms);
  }
  if (ms > 0) Drop();
}

void Faults::SetRedirect(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  redirect_ = std::move(url);
}

void Faults::Clear() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    down_until_ = SteadyClock::time_point();
    redirect_.clear();
  }
  status_ = 0;
  SetStall(false);
}

std::string Faults::redirect() const {
  std::lock_guard<std::mutex> lock(mu_);
  return redirect_;
}

Object::Ptr Faults::ToJson() const {
  Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  out->set("stall", stalled());
  out->set("downRemainingMs", DownRemainingMs());
  out->set("redirect", redirect());
  out->set("status", status());
  out->set("drops", static_cast<std::int64_t>(drop_generation()));
  return out;
}

std::int64_t Faults::DownRemainingMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto left = down_until_ - SteadyClock::now();
  return left.count() > 0 ? std::chrono::duration_cast<Millis>(left).count() + 1
                          : 0;
}

void Faults::Wake() {
  if (wakeup_) wakeup_();
}

}  // namespace mlb::tools::sim
