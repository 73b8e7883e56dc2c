// marathon-lb 2015's `event` mode: Marathon POSTs every event to a callback
// URL that marathon-lb registers through /v2/eventSubscriptions at start and
// removes on exit.
//
// The listener is an HttpServer (core/base/http_server.h): bodies beyond
// 1 MiB are refused (413) unread, requests must arrive whole within 5 s, and
// slow or idle peers cost it no thread. It takes only what Marathon sends
// (a POST of JSON objects with a string eventType) and, with a secret
// (--callback-secret-file), only requests whose URL carries it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/base/http_server.h"
#include "core/base/status.h"
#include "core/marathon/client.h"

namespace mlb {

// The event types that make marathon-lb regenerate: marathon-lb 1.15's,
// and app_terminated_event, which the app model (app_model.h) reads.
bool IsRegenerationEvent(const std::string& event_type);

// Receives one event: its eventType and its JSON document.
using EventHandler = std::function<void(const std::string& event_type,
                                        const std::string& document)>;

// The eventType of every JSON document in `payload` (Marathon may put
// several, separated by newlines). Documents that are not JSON objects with a
// non-empty string eventType are skipped and counted in *bad. *documents
// (if not null) gets the text of each document whose type is returned.
std::vector<std::string> EventTypes(
    const std::string& payload, int* bad,
    std::vector<std::string>* documents = nullptr);

// The query parameter that carries the callback secret.
constexpr char kCallbackSecretParameter[] = "secret";

// `url` with the secret added as a query parameter ("...?secret=<s>", or
// "&secret=<s>" after a query), percent-encoded; `url` itself if the secret
// is empty. This is the URL registered with Marathon.
std::string CallbackUrlWithSecret(const std::string& url,
                                  const std::string& secret);

struct CallbackOptions {
  std::string listen_url;  // http://HOST:PORT/...; port 0 picks one
  // Non-empty: a POST is taken only when its URL's query has
  // secret=<this> (else 403).
  std::string secret;
  HttpServerLimits limits;
};

class EventCallbackServer {
 public:
  // Listens on the host:port of `options.listen_url` (http only) and calls
  // `on_event` with the eventType and document of every regeneration event
  // POSTed to it
  // (on the server's thread: it must be quick).
  static Status Start(CallbackOptions options,
                      EventHandler on_event,
                      std::unique_ptr<EventCallbackServer>* out);
  static Status Start(const std::string& listen_url,
                      EventHandler on_event,
                      std::unique_ptr<EventCallbackServer>* out);
  ~EventCallbackServer();

  int port() const { return port_; }

 private:
  EventCallbackServer() = default;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

// POST / DELETE /v2/eventSubscriptions?callbackUrl=<url with the secret>
// (CallbackUrlWithSecret). Errors show the secret as "<secret>".
Status RegisterCallback(MarathonClient& marathon, const std::string& url,
                        const std::string& secret = "");
Status UnregisterCallback(MarathonClient& marathon, const std::string& url,
                          const std::string& secret = "");

}  // namespace mlb
