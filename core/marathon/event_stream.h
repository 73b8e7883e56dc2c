// Marathon's /v2/events Server-Sent Events stream (marathon-lb's --sse mode).
//
// EventStream keeps one streaming GET open to one of the Marathon URLs, parses
// the SSE framing, reads each event's JSON "eventType" and hands the subscribed
// types to a callback. It never ends on its own: every end of the stream (EOF,
// error, idle timeout) is a disconnect followed by a reconnect to the next URL,
// after a randomised, growing backoff. The owner is
// expected to request a full resync on every (re)connect, because events sent
// while it was disconnected are lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <istream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/http_client.h"
#include "core/base/status.h"
#include "core/marathon/dcos_auth.h"

namespace mlb {

struct EventStreamOptions {
  // Marathon base URLs, http(s)://[user:password@]host[:port][/prefix]. One
  // step of round-robin per connection attempt.
  std::vector<std::string> urls;
  // Basic auth for every request, kept across redirects to the hosts of
  // `urls` (never to others, nor from https:// to http://). When `user` is
  // empty, the user info of the URL in use (if any) is sent.
  std::string user;
  std::string password;
  // A DC/OS service account, in place of basic auth: its token goes with
  // every connect (a new login first when it expires within 10 s), and a
  // 401 answer is followed by a new login and one more try at once. Null:
  // none. Not owned: it outlives the stream.
  DcosAuth* dcos_auth = nullptr;
  // PEM bundle of the CAs for https; empty: the system CAs.
  std::string ca_cert;
  // For TCP connect, and again for each wait for the response headers.
  std::chrono::milliseconds connect_timeout{10000};
  // From the connect to the whole head of the answer, redirects included
  // (--marathon-total-timeout): a Marathon that trickles its status line
  // and headers byte by byte, each within connect_timeout, is cut and the
  // next URL tried. 0: no limit.
  std::chrono::milliseconds head_timeout{10000};
  // No byte at all (keep-alive comments count) for this long: the stream is
  // silently dead. Reconnects at once, without backoff.
  std::chrono::milliseconds idle_timeout{300000};
  // Backoff after other failures: a random wait in [0, w), where w starts at
  // `initial_backoff`, grows x1.5 per failure up to `max_backoff` and is reset
  // when a stream lived longer than `backoff_reset_after`.
  std::chrono::milliseconds initial_backoff{3000};
  std::chrono::milliseconds max_backoff{300000};
  std::chrono::milliseconds backoff_reset_after{600000};
  int max_redirects = 3;  // 301, 302, 303, 307 and 308
  // Sent as event_type query parameters (server-side filtering) and used to
  // filter on this side too. Empty: everything is subscribed and delivered.
  std::vector<std::string> event_types = {
      "api_post_event", "app_terminated_event", "health_status_changed_event",
      "status_update_event"};
};

// All are called on the thread running EventStream::Run(), one at a time, and
// must not throw. Any may be empty.
struct EventStreamCallbacks {
  // The stream is open (a 2xx received); `url` is the final URL after
  // redirects, without credentials.
  std::function<void(const std::string& url)> on_connected;
  // One subscribed event, its type and its JSON document. Called in stream
  // order.
  std::function<void(const std::string& event_type,
                     const std::string& document)>
      on_event;
  // Follows every on_connected, with why the stream ended. Failed connection
  // attempts only update EventStreamStatus and the log.
  std::function<void(const Status& reason)> on_disconnected;
};

// A snapshot for the admin endpoint.
struct EventStreamStatus {
  bool connected = false;
  std::string url;  // the stream in use, or the last one tried
  std::optional<std::chrono::system_clock::time_point> connected_since;
  std::optional<std::chrono::system_clock::time_point> last_event_time;
  uint64_t events = 0;           // delivered to on_event
  uint64_t connections = 0;      // successful connects
  uint64_t reconnects = 0;       // connections after the first
  uint64_t failed_attempts = 0;  // connects that never reached a 2xx
  std::string last_error;        // last failed attempt or disconnect reason
};

// One dispatched Server-Sent Event.
struct SseEvent {
  std::string type;  // "event:" field, empty if absent
  std::string data;  // "data:" lines joined with '\n'
  std::string id;    // last "id:" seen on the stream, as the SSE spec says
};

// The SSE line protocol
// (https://html.spec.whatwg.org/#event-stream-interpretation) on lines already
// split from the stream. Not thread-safe; one per stream.
class SseParser {
 public:
  // Feeds one line without its terminator. Returns true, with *event filled,
  // when the line is blank and the event collected so far has data.
  bool FeedLine(const std::string& line, SseEvent* event);

 private:
  std::string type_;
  std::string data_;
  std::string last_id_;
  bool has_data_ = false;
};

// The "eventType" of every JSON document in an SSE data payload. The payload
// is one document, or several separated by line breaks (marathon-lb splits on
// CRLF). A document that is not a JSON object with a string eventType is
// described in *problems (if not null) and skipped. *documents (if not
// null) gets the text of each document whose type is returned, in order.
std::vector<std::string> EventTypesInData(
    const std::string& data, std::vector<std::string>* problems,
    std::vector<std::string>* documents = nullptr);

// Thread-safety: Run() is called once, on the thread that is to receive the
// callbacks. Stop() and GetStatus() may be called from any thread. Stop()
// makes Run() return within about 100 ms whether it is connecting, waiting
// for headers, reading or backing off (DNS resolution is the one blocking
// step it cannot cut short).
class EventStream {
 public:
  explicit EventStream(EventStreamOptions options);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Connects, reads and reconnects until Stop(). Returns an error at once,
  // without connecting, if the options are unusable (no URL, a URL that is
  // not http:// or https://); otherwise OK after Stop().
  Status Run(const EventStreamCallbacks& callbacks);
  void Stop();

  EventStreamStatus GetStatus() const;

 private:
  // The client's options, from options_ (and cancel_, status_).
  HttpClientOptions HttpOptions();
  // One attempt on one base URL: the GET (redirects followed), on_connected,
  // read, on_disconnected. Sets *idle when the stream ended by the idle
  // timeout.
  Status RunSession(const std::string& base,
                    const EventStreamCallbacks& callbacks, bool* idle);
  Status ReadEvents(std::istream& body, const std::string& url,
                    const EventStreamCallbacks& callbacks, bool* idle);
  void Dispatch(const std::string& url, const SseEvent& event,
                const EventStreamCallbacks& callbacks);
  bool Subscribed(const std::string& event_type) const;

  // Waits up to `duration`; false if Stop() was called.
  bool SleepUnlessStopped(std::chrono::milliseconds duration);
  bool Stopping() const { return stop_.load(); }

  const EventStreamOptions options_;
  // Stop() cancels the exchange in progress through it.
  HttpCancel cancel_;
  const HttpClient http_;

  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  EventStreamStatus status_;  // guarded by mu_
};

}  // namespace mlb
