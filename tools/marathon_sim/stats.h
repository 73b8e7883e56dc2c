// Counters of marathon-sim, shown by GET /_sim/stats.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

class Stats {
 public:
  void CountRequest(const std::string& key);
  void CountPublished(const std::string& type);
  // One answer of GET /v2/apps or /v2/apps/<id> (gzipped or not): its JSON's size and the
  // bytes of its body on the wire.
  void CountAppsAnswer(bool gzipped, std::size_t json_bytes,
                       std::size_t wire_bytes);

  std::atomic<std::int64_t> events_published{0};
  std::atomic<std::int64_t> events_sent{0};     // SSE frames written
  std::atomic<std::int64_t> events_dropped{0};  // slow or stalled streams
  std::atomic<std::int64_t> keepalives_sent{0};
  std::atomic<std::int64_t> open_streams{0};
  std::atomic<std::int64_t> streams_opened{0};
  std::atomic<std::int64_t> streams_refused{0};  // over kMaxEventStreams
  std::atomic<std::int64_t> streams_dropped{0};  // by fault drop / down
  std::atomic<std::int64_t> callback_ok{0};
  std::atomic<std::int64_t> callback_failed{0};
  std::atomic<std::int64_t> callback_dropped{0};  // delivery queue full
  std::atomic<std::int64_t> state_changes{0};     // diffs that emitted events
  std::atomic<std::int64_t> apps_gzipped{0};  // GET /v2/apps[/<id>] answers
  std::atomic<std::int64_t> apps_plain{0};
  std::atomic<std::int64_t> apps_json_bytes{0};  // their JSON, uncompressed
  std::atomic<std::int64_t> apps_wire_bytes{0};  // their bodies as sent

  // Everything except the faults and subscriptions, which their owners add.
  Object::Ptr ToJson() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> requests_;
  std::map<std::string, std::int64_t> published_by_type_;
};

}  // namespace mlb::tools::sim
