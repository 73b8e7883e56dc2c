// The event bus of marathon-sim: every published event goes to each
// /v2/events stream that accepts its type and to every registered callback.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tools/marathon_sim/callbacks.h"
#include "tools/marathon_sim/faults.h"
#include "tools/marathon_sim/sim.h"
#include "tools/marathon_sim/stats.h"

namespace mlb::tools::sim {

// One open /v2/events stream.  Fields after `remote` are guarded by the
// bus's mutex.
struct Subscriber {
  std::set<std::string> types;  // Empty: every type.
  std::string remote;
  std::deque<std::string> frames;
  bool overflow_logged = false;

  bool Accepts(const std::string& type) const {
    return types.empty() || types.count(type) > 0;
  }
};

// Why EventBus::Next() returned.
enum class StreamWake { kFrames, kIdle, kStop, kDrop };
class EventBus {
 public:
  EventBus(Stats& stats, Faults& faults, Callbacks& callbacks)
      : stats_(stats), faults_(faults), callbacks_(callbacks) {}

  // Registers a stream; nullptr when kMaxEventStreams are already open or
  // the simulator is stopping.
  std::shared_ptr<Subscriber> Subscribe(std::set<std::string> types,
                                        std::string remote);

  void Unsubscribe(const std::shared_ptr<Subscriber>& subscriber);

  // Publishes one event of type `type`; returns its JSON text.
  std::string Publish(const std::string& type, const Object::Ptr& event);

  // Waits at most `max_wait` for something to do on `subscriber`'s stream:
  // queued frames (moved to `*frames`; never while stalled), the stop flag,
  // or a drop since `drop_generation`.
  StreamWake Next(Subscriber& subscriber, std::uint64_t drop_generation,
                  Millis max_wait, std::vector<std::string>* frames);

  // Waits at most `max_wait` while the stall fault is on; returns early on
  // stop, a drop since `drop_generation`, or the end of the stall.  Leaves
  // queued frames alone.
  void WaitWhileStalled(std::uint64_t drop_generation, Millis max_wait);

  // Wakes every waiting stream so it re-checks the faults.
  void WakeAll();

  void Stop();
  bool stopping() const;

 private:
  Stats& stats_;
  Faults& faults_;
  Callbacks& callbacks_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  bool stopping_ = false;
};

}  // namespace mlb::tools::sim
