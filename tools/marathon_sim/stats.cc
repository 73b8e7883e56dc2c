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
  return out;
}

}  // namespace mlb::tools::sim
