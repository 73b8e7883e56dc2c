// marathon-lb 2015's `event` mode: Marathon POSTs every event to a callback
// URL that marathon-lb registers through /v2/eventSubscriptions at start and
// removes on exit.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/marathon/client.h"
#include "core/base/status.h"

namespace Poco::Net {
class HTTPServer;
}

namespace mlb {

// The event types that make marathon-lb regenerate (marathon-lb 1.15).
bool IsRegenerationEvent(const std::string& event_type);

// The eventType of every JSON document in `payload` (Marathon may put
// several, separated by newlines). Malformed documents are skipped and
// counted in *bad.
std::vector<std::string> EventTypes(const std::string& payload, int* bad);

class EventCallbackServer {
 public:
  // Listens on the host:port of `listen_url` (http only) and calls
  // `on_event` with the eventType of every event POSTed to it.
  static Status Start(const std::string& listen_url,
                      std::function<void(const std::string&)> on_event,
                      std::unique_ptr<EventCallbackServer>* out);
  ~EventCallbackServer();

  int port() const { return port_; }

 private:
  EventCallbackServer() = default;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

// POST / DELETE /v2/eventSubscriptions?callbackUrl=<url>.
Status RegisterCallback(MarathonClient& marathon, const std::string& url);
Status UnregisterCallback(MarathonClient& marathon, const std::string& url);

}  // namespace mlb
