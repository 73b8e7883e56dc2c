#include "tools/marathon_sim/stats.h"

namespace mlb::tools::sim {

void Stats::CountRequest(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[key];
}

void Stats::CountPublished(const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  ++published_by_type_[type];
  ++events_published;
}

void Stats::CountAppsAnswer(bool gzipped, std::size_t json_bytes,
                            std::size_t wire_bytes) {
  ++(gzipped ? apps_gzipped : apps_plain);
  apps_json_bytes += static_cast<std::int64_t>(json_bytes);
  apps_wire_bytes += static_cast<std::int64_t>(wire_bytes);
}

Object::Ptr Stats::ToJson() const {
  Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Object::Ptr requests = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  Object::Ptr by_type = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, count] : requests_) requests->set(key, count);
    for (const auto& [key, count] : published_by_type_) {
      by_type->set(key, count);
    }
  }
  out->set("requests", requests);
  out->set("openEventStreams", open_streams.load());
  out->set("eventStreamsOpened", streams_opened.load());
  out->set("eventStreamsRefused", streams_refused.load());
  out->set("eventStreamsDropped", streams_dropped.load());
  out->set("eventsPublished", events_published.load());
  out->set("eventsPublishedByType", by_type);
  out->set("eventsSent", events_sent.load());
  out->set("eventsDropped", events_dropped.load());
  out->set("keepAlivesSent", keepalives_sent.load());
  out->set("callbackDeliveriesOk", callback_ok.load());
  out->set("callbackDeliveriesFailed", callback_failed.load());
  out->set("callbackDeliveriesDropped", callback_dropped.load());
  out->set("stateChanges", state_changes.load());
  out->set("appsAnswersGzipped", apps_gzipped.load());
  out->set("appsAnswersPlain", apps_plain.load());
  out->set("appsJsonBytes", apps_json_bytes.load());
  out->set("appsWireBytes", apps_wire_bytes.load());
  return out;
}

}  // namespace mlb::tools::sim
