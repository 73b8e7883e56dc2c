#include "tools/marathon_sim/event_bus.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "tools/marathon_sim/json.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

// Events queued for one stream that is not reading (or is stalled); more are
// dropped for that stream, like Marathon drops events for slow consumers.
constexpr std::size_t kMaxQueuedFrames = 1000;

}  // namespace

std::shared_ptr<Subscriber> EventBus::Subscribe(std::set<std::string> types,
                                                std::string remote) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || subscribers_.size() >= kMaxEventStreams) return nullptr;
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->types = std::move(types);
  subscriber->remote = std::move(remote);
  subscribers_.push_back(subscriber);
  ++stats_.open_streams;
  ++stats_.streams_opened;
  return subscriber;
}

void EventBus::Unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(subscribers_.begin(), subscribers_.end(), subscriber);
  if (it == subscribers_.end()) return;
  subscribers_.erase(it);
  --stats_.open_streams;
}

std::string EventBus::Publish(const std::string& type,
                              const Object::Ptr& event) {
  const std::string json = ToJson(event);
  const std::string frame = "event: " + type + "\ndata: " + json + "\n\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& subscriber : subscribers_) {
      if (!subscriber->Accepts(type)) continue;
      if (subscriber->frames.size() >= kMaxQueuedFrames) {
        ++stats_.events_dropped;
        if (!subscriber->overflow_logged) {
          subscriber->overflow_logged = true;
          LogLine(std::string(kProgram) + ": event stream to " +
                  subscriber->remote + " is not reading; dropping events");
        }
        continue;
      }
      subscriber->frames.push_back(frame);
    }
    stats_.CountPublished(type);
    // Under the bus lock, so callbacks see events in publication order.
    callbacks_.Enqueue(json);
  }
  cv_.notify_all();
  return json;
}

StreamWake EventBus::Next(Subscriber& subscriber, std::uint64_t drop_generation,
                          Millis max_wait, std::vector<std::string>* frames) {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [&] {
    return stopping_ || faults_.drop_generation() != drop_generation ||
           (!faults_.stalled() && !subscriber.frames.empty());
  };
  cv_.wait_for(lock, max_wait, ready);
  if (stopping_) return StreamWake::kStop;
  if (faults_.drop_generation() != drop_generation) return StreamWake::kDrop;
  if (faults_.stalled() || subscriber.frames.empty()) {
    return StreamWake::kIdle;
  }
  frames->assign(std::make_move_iterator(subscriber.frames.begin()),
                 std::make_move_iterator(subscriber.frames.end()));
  subscriber.frames.clear();
  subscriber.overflow_logged = false;
  return StreamWake::kFrames;
}

void EventBus::WaitWhileStalled(std::uint64_t drop_generation,
                                Millis max_wait) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, max_wait, [&] {
    return stopping_ || faults_.drop_generation() != drop_generation ||
           !faults_.stalled();
  });
}

void EventBus::WakeAll() {
  { std::lock_guard<std::mutex> lock(mu_); }
  cv_.notify_all();
}

void EventBus::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

bool EventBus::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

}  // namespace mlb::tools::sim
