// marathon-sim: a small Marathon REST API simulator.
//
// Serves the apps and tasks described by a JSON state file shaped like
// Marathon's `GET /v2/apps?embed=apps.tasks` response.  The file is the
// source of truth and is re-read on every request, so a test changes the
// simulated cluster by renaming a new file over it.  The simulator also
// watches the file and, like Marathon, publishes events on its event bus
// when the state changes: to Server-Sent Events streams (/v2/events) and to
// registered HTTP callbacks (/v2/eventSubscriptions).
//
// Usage:
//   marathon-sim --state FILE [--listen HOST:PORT] [--port-file PATH]
//                [--keepalive-ms N] [--watch-ms N] [--auth USER:PASS]
//
// Marathon endpoints:
//   GET  /ping                 -> "pong"
//   GET  /v2/info              -> {"name":"marathon",...}
//   GET  /v2/apps              -> {"apps":[...]} (tasks only with
//                                 embed=apps.tasks)
//   GET  /v2/apps/<id>         -> {"app":{...}}  (tasks embedded)
//   GET  /v2/tasks             -> {"tasks":[...]} (every task, with appId)
//   GET  /v2/events            -> text/event-stream (event_type= filters)
//   GET|POST|DELETE /v2/eventSubscriptions[?callbackUrl=URL]
//
// Control endpoints for tests (never faulted, never behind --auth):
//   POST /_sim/apps            body {"apps":[...]}: replace the state, emit
//                              the events Marathon would emit
//   POST /_sim/event           body: one raw event, published as is
//   GET|POST /_sim/fault       stall / drop / down_ms / redirect / status /
//                              clear
//   GET  /_sim/stats           counters
//
// Structure: one Endpoint subclass per resource and a Router that maps a
// request path to a freshly created endpoint.  Services shared by the
// endpoints (state tracking, event bus, callbacks, faults, counters) live in
// SimContext.

#include <Poco/DateTimeFormatter.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/SharedPtr.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tools/tool_support.h"

namespace mlb::tools {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr char kProgram[] = "marathon-sim";
constexpr char kVersion[] = "1.15.0-sim";
constexpr char kJsonContentType[] = "application/json; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";
constexpr char kEventStreamContentType[] = "text/event-stream";
constexpr char kSimPrefix[] = "/_sim";
// HTTP worker threads.  Every open /v2/events stream holds one, so streams
// are capped below this, leaving threads for ordinary and /_sim requests.
constexpr int kMaxThreads = 16;
constexpr std::size_t kMaxEventStreams = 12;
// Events queued for one stream that is not reading (or is stalled); more are
// dropped for that stream, like Marathon drops events for slow consumers.
constexpr std::size_t kMaxQueuedFrames = 1000;
// Callback deliveries waiting for the delivery thread; more are dropped.
constexpr std::size_t kMaxQueuedDeliveries = 10000;
// How often a waiting stream looks at the stop flag and its client socket.
constexpr Millis kStreamTick(100);
// Largest request body accepted on /_sim and /v2 endpoints.
constexpr std::size_t kMaxBodyBytes = 64 << 20;

std::string ToJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

// Marathon's timestamp format: 2015-09-30T12:44:30.061Z (UTC).
std::string IsoNow() {
  return Poco::DateTimeFormatter::format(Poco::Timestamp(),
                                         "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string NewUuid() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

// A JSON text with object keys sorted at every level, so that two values
// that differ only in key order compare equal.
void AppendCanonicalJson(const Poco::Dynamic::Var& value, std::string* out) {
  if (value.type() == typeid(Object::Ptr)) {
    const Object::Ptr object = value.extract<Object::Ptr>();
    std::vector<std::string> keys;
    for (const auto& member : *object) keys.push_back(member.first);
    std::sort(keys.begin(), keys.end());
    *out += '{';
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) *out += ',';
      *out += ToJson(Poco::Dynamic::Var(keys[i]));
      *out += ':';
      AppendCanonicalJson(object->get(keys[i]), out);
    }
    *out += '}';
  } else if (value.type() == typeid(Array::Ptr)) {
    const Array::Ptr array = value.extract<Array::Ptr>();
    *out += '[';
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (i > 0) *out += ',';
      AppendCanonicalJson(array->get(static_cast<unsigned>(i)), out);
    }
    *out += ']';
  } else {
    *out += ToJson(value);
  }
}

std::string CanonicalJson(const Poco::Dynamic::Var& value) {
  std::string out;
  AppendCanonicalJson(value, &out);
  return out;
}

// Parses `text` as JSON, keeping key order.  Returns false and sets `*error`
// (prefixed with `what`) if it is not JSON.
bool ParseJson(const std::string& text, const std::string& what,
               Poco::Dynamic::Var* result, std::string* error) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    *result = parser.parse(text);
    return true;
  } catch (const Poco::Exception& e) {
    *error = "invalid JSON in " + what + ": " + e.displayText();
  } catch (const std::exception& e) {
    *error = "invalid JSON in " + what + ": " + e.what();
  }
  return false;
}

// ---------------------------------------------------------------------------
// State file.

// The parsed state file: the `apps` array, each element an object.
struct State {
  Array::Ptr apps;
};

// Checks that `text` looks like {"apps": [ {"id": "...", ...}, ... ]}.
// `what` names the text in error messages ("state file 'x.json'").
bool ParseState(const std::string& text, const std::string& what, State* state,
                std::string* error) {
  Poco::Dynamic::Var root;
  if (!ParseJson(text, what, &root, error)) return false;
  if (root.type() != typeid(Object::Ptr)) {
    *error = what + ": top level must be a JSON object";
    return false;
  }
  Object::Ptr top = root.extract<Object::Ptr>();
  if (!top->has("apps") || !top->isArray("apps")) {
    *error = what + ": missing \"apps\" array";
    return false;
  }
  Array::Ptr apps = top->getArray("apps");
  for (std::size_t i = 0; i < apps->size(); ++i) {
    Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    const std::string where = what + ": apps[" + std::to_string(i) + "]";
    if (app.isNull()) {
      *error = where + " is not an object";
      return false;
    }
    if (!app->has("id") || !app->get("id").isString()) {
      *error = where + " has no string \"id\"";
      return false;
    }
    if (app->has("tasks") && !app->isArray("tasks")) {
      *error = where + ".tasks is not an array";
      return false;
    }
  }
  state->apps = apps;
  return true;
}

// What stat(2) says about the state file; a change means "re-read it".
struct FileIdentity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;

  bool operator==(const FileIdentity& other) const {
    return exists == other.exists && device == other.device &&
           inode == other.inode && size == other.size &&
           mtime_ns == other.mtime_ns;
  }
  bool operator!=(const FileIdentity& other) const { return !(*this == other); }
};

class StateStore {
 public:
  explicit StateStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Reads and parses the state file.  Returns false and sets `*error` to a
  // message naming the file when it is missing, unreadable, not JSON, or not
  // shaped like {"apps": [ {...}, ... ]}.
  bool Load(State* state, std::string* error) const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      *error =
          "cannot read state file '" + path_ + "': " + std::strerror(errno);
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      *error = "error reading state file '" + path_ + "'";
      return false;
    }
    return ParseState(text.str(), "state file '" + path_ + "'", state, error);
  }

  FileIdentity Stat() const {
    FileIdentity id;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return id;
    id.exists = true;
    id.device = st.st_dev;
    id.inode = st.st_ino;
    id.size = st.st_size;
    id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                  st.st_mtim.tv_nsec;
    return id;
  }

 private:
  std::string path_;
};

std::string AppId(const Object::Ptr& app) {
  return app->getValue<std::string>("id");
}

// A shallow copy of `app` without its "tasks" member, keys kept in order.
Object::Ptr WithoutTasks(const Object::Ptr& app) {
  Object::Ptr copy = new Object(*app);
  copy->remove("tasks");
  return copy;
}

// The service ports Marathon reports for the app's tasks:
// portDefinitions[].port or, for container networking, the portMappings'
// servicePort.
Array::Ptr ServicePorts(const Object::Ptr& app) {
  Array::Ptr ports = new Array;
  auto collect = [&ports](const Array::Ptr& list, const std::string& key) {
    if (list.isNull()) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      Object::Ptr entry = list->getObject(static_cast<unsigned>(i));
      if (!entry.isNull() && entry->has(key)) ports->add(entry->get(key));
    }
  };
  if (app->isArray("portDefinitions")) {
    collect(app->getArray("portDefinitions"), "port");
  } else if (Object::Ptr container = app->getObject("container");
             !container.isNull()) {
    if (container->isArray("portMappings")) {
      collect(container->getArray("portMappings"), "servicePort");
    } else if (Object::Ptr docker = container->getObject("docker");
               !docker.isNull() && docker->isArray("portMappings")) {
      collect(docker->getArray("portMappings"), "servicePort");
    }
  }
  return ports;
}

// ---------------------------------------------------------------------------
// Counters for GET /_sim/stats.

class Stats {
 public:
  void CountRequest(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[key];
  }
  void CountPublished(const std::string& type) {
    std::lock_guard<std::mutex> lock(mu_);
    ++published_by_type_[type];
    ++events_published;
  }

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

  // Everything except the faults and subscriptions, which their owners add.
  Object::Ptr ToJson() const {
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

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> requests_;
  std::map<std::string, std::int64_t> published_by_type_;
};

// ---------------------------------------------------------------------------
// Misbehaviour switches (POST /_sim/fault).

class Faults {
 public:
  // Called whenever stall or drop change, so that waiting streams re-check.
  void SetWakeup(std::function<void()> wakeup) { wakeup_ = std::move(wakeup); }

  bool stalled() const { return stall_.load(); }
  std::uint64_t drop_generation() const { return drop_generation_.load(); }

  void SetStall(bool on) {
    stall_ = on;
    Wake();
  }
  // Closes every open event stream once.
  void Drop() {
    ++drop_generation_;
    Wake();
  }
  // Plays dead for `ms` milliseconds; open streams die with it.
  void SetDown(std::int64_t ms) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      down_until_ = SteadyClock::now() + Millis(ms);
    }
    if (ms > 0) Drop();
  }
  void SetRedirect(std::string url) {
    std::lock_guard<std::mutex> lock(mu_);
    redirect_ = std::move(url);
  }
  void SetStatus(int status) { status_ = status; }
  void Clear() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      down_until_ = SteadyClock::time_point();
      redirect_.clear();
    }
    status_ = 0;
    SetStall(false);
  }

  bool down() const { return DownRemainingMs() > 0; }
  std::string redirect() const {
    std::lock_guard<std::mutex> lock(mu_);
    return redirect_;
  }
  int status() const { return status_.load(); }

  Object::Ptr ToJson() const {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("stall", stalled());
    out->set("downRemainingMs", DownRemainingMs());
    out->set("redirect", redirect());
    out->set("status", status());
    out->set("drops", static_cast<std::int64_t>(drop_generation()));
    return out;
  }

 private:
  std::int64_t DownRemainingMs() const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto left = down_until_ - SteadyClock::now();
    return left.count() > 0
               ? std::chrono::duration_cast<Millis>(left).count() + 1
               : 0;
  }
  void Wake() {
    if (wakeup_) wakeup_();
  }

  mutable std::mutex mu_;
  std::atomic<bool> stall_{false};
  std::atomic<std::uint64_t> drop_generation_{0};
  std::atomic<int> status_{0};
  SteadyClock::time_point down_until_;
  std::string redirect_;
  std::function<void()> wakeup_;
};

// ---------------------------------------------------------------------------
// HTTP callbacks (/v2/eventSubscriptions) and their delivery thread.

// Only http://127.0.0.0/8 callbacks: the simulator must not reach out of the
// machine.  Returns false and sets `*error` otherwise.
bool ValidateCallbackUrl(const std::string& url, std::string* error) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    *error =
        "callback URL '" + url + "' is not a valid URL: " + e.displayText();
    return false;
  }
  if (uri.getScheme() != "http") {
    *error = "callback URL '" + url + "' refused: only http:// is supported";
    return false;
  }
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(uri.getHost(), address) ||
      address.family() != Poco::Net::AddressFamily::IPv4 ||
      !address.isLoopback()) {
    *error = "callback URL '" + url +
             "' refused: the host must be an IPv4 address in 127.0.0.0/8";
    return false;
  }
  return true;
}

class Callbacks {
 public:
  explicit Callbacks(Stats& stats) : stats_(stats) {}
  ~Callbacks() { Stop(); }
  Callbacks(const Callbacks&) = delete;
  Callbacks& operator=(const Callbacks&) = delete;

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  // Stops the delivery thread; deliveries still queued are abandoned.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Returns false if `url` was already registered.
  bool Add(const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(urls_.begin(), urls_.end(), url) != urls_.end()) {
      return false;
    }
    urls_.push_back(url);
    return true;
  }
  // Returns false if `url` was not registered.
  bool Remove(const std::string& url) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find(urls_.begin(), urls_.end(), url);
    if (it == urls_.end()) return false;
    urls_.erase(it);
    return true;
  }
  std::vector<std::string> Urls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return urls_;
  }

  // Queues `body` (one event as JSON) for every registered URL.
  void Enqueue(const std::string& body) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& url : urls_) {
        if (queue_.size() >= kMaxQueuedDeliveries) {
          ++stats_.callback_dropped;
          continue;
        }
        queue_.emplace_back(url, body);
      }
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    while (true) {
      std::pair<std::string, std::string> delivery;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        delivery = std::move(queue_.front());
        queue_.pop_front();
      }
      std::string error;
      if (Post(delivery.first, delivery.second, &error)) {
        ++stats_.callback_ok;
      } else {
        ++stats_.callback_failed;
        LogLine(std::string(kProgram) + ": callback delivery to " +
                delivery.first + " failed: " + error);
      }
    }
  }

  static bool Post(const std::string& url, const std::string& body,
                   std::string* error) {
    try {
      const Poco::URI uri(url);
      Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
      session.setTimeout(Poco::Timespan(1, 0), Poco::Timespan(2, 0),
                         Poco::Timespan(2, 0));
      std::string target = uri.getPathAndQuery();
      if (target.empty()) target = "/";
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, target,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setKeepAlive(false);
      request.set("User-Agent", std::string(kProgram) + "/" + kVersion);
      session.sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = session.receiveResponse(response);
      std::string ignored;
      Poco::StreamCopier::copyToString(in, ignored);
      const int status = static_cast<int>(response.getStatus());
      if (status < 200 || status > 299) {
        *error = "HTTP " + std::to_string(status) + " " + response.getReason();
        return false;
      }
      return true;
    } catch (const Poco::Exception& e) {
      *error = e.displayText();
    } catch (const std::exception& e) {
      *error = e.what();
    }
    return false;
  }

  Stats& stats_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> urls_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// The event bus: every published event goes to each /v2/events stream that
// accepts its type and to every registered callback.

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

  void Unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find(subscribers_.begin(), subscribers_.end(), subscriber);
    if (it == subscribers_.end()) return;
    subscribers_.erase(it);
    --stats_.open_streams;
  }

  // Publishes one event of type `type`; returns its JSON text.
  std::string Publish(const std::string& type, const Object::Ptr& event) {
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

  // Waits at most `max_wait` for something to do on `subscriber`'s stream:
  // queued frames (moved to `*frames`; never while stalled), the stop flag,
  // or a drop since `drop_generation`.
  StreamWake Next(Subscriber& subscriber, std::uint64_t drop_generation,
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

  // Waits at most `max_wait` while the stall fault is on; returns early on
  // stop, a drop since `drop_generation`, or the end of the stall.  Leaves
  // queued frames alone.
  void WaitWhileStalled(std::uint64_t drop_generation, Millis max_wait) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, max_wait, [&] {
      return stopping_ || faults_.drop_generation() != drop_generation ||
             !faults_.stalled();
    });
  }

  // Wakes every waiting stream so it re-checks the faults.
  void WakeAll() {
    { std::lock_guard<std::mutex> lock(mu_); }
    cv_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }
  bool stopping() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

 private:
  Stats& stats_;
  Faults& faults_;
  Callbacks& callbacks_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  bool stopping_ = false;
};

// ---------------------------------------------------------------------------
// State changes -> events.

enum class Health { kUnknown, kAlive, kDead };

// A task is alive when any of its health check results is; without results
// its health is unknown (Marathon after a leader change, or no checks).
Health TaskHealth(const Object::Ptr& task) {
  const Array::Ptr results = task->getArray("healthCheckResults");
  if (results.isNull() || results->size() == 0) return Health::kUnknown;
  for (std::size_t i = 0; i < results->size(); ++i) {
    const Object::Ptr result = results->getObject(static_cast<unsigned>(i));
    if (result.isNull() || !result->has("alive")) continue;
    const Poco::Dynamic::Var alive = result->get("alive");
    if (alive.type() == typeid(bool) && alive.extract<bool>()) {
      return Health::kAlive;
    }
  }
  return Health::kDead;
}

std::string StringField(const Object::Ptr& object, const std::string& key,
                        const std::string& fallback) {
  if (object->has(key) && object->get(key).isString()) {
    return object->getValue<std::string>(key);
  }
  return fallback;
}

// One task of the state, with the app it belongs to.
struct TaskRef {
  Object::Ptr app;
  Object::Ptr task;
};

// Tasks with a string "id", in state order, keyed by "<appId> <taskId>".
std::vector<std::pair<std::string, TaskRef>> IndexTasks(
    const Array::Ptr& apps) {
  std::vector<std::pair<std::string, TaskRef>> out;
  for (std::size_t i = 0; i < apps->size(); ++i) {
    const Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    const Array::Ptr tasks = app->getArray("tasks");
    if (tasks.isNull()) continue;
    for (std::size_t j = 0; j < tasks->size(); ++j) {
      const Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
      if (task.isNull() || !task->has("id") || !task->get("id").isString()) {
        continue;
      }
      out.push_back({AppId(app) + " " + task->getValue<std::string>("id"),
                     TaskRef{app, task}});
    }
  }
  return out;
}

// Where a task runs: its host, ports and IP addresses.  Marathon never
// moves a task; a test that does gets a status update for it.
std::string TaskPlacement(const Object::Ptr& task) {
  std::string out;
  for (const char* key : {"host", "ports", "ipAddresses"}) {
    out += task->has(key) ? CanonicalJson(task->get(key)) : "-";
    out += ' ';
  }
  return out;
}

Object::Ptr StatusUpdateEvent(const TaskRef& ref, const std::string& status,
                              const std::string& timestamp) {
  const Object::Ptr& task = ref.task;
  const std::string host = StringField(task, "host", "");
  Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  event->set("slaveId",
             StringField(task, "slaveId",
                         StringField(task, "agentId", "sim-agent-" + host)));
  event->set("taskId", task->getValue<std::string>("id"));
  event->set("taskStatus", status);
  event->set("message", "");
  event->set("appId", AppId(ref.app));
  event->set("host", host);
  if (task->isArray("ipAddresses")) {
    event->set("ipAddresses", task->getArray("ipAddresses"));
  }
  event->set("ports", task->isArray("ports") ? task->getArray("ports")
                                             : Array::Ptr(new Array));
  event->set(
      "version",
      StringField(task, "version", StringField(ref.app, "version", timestamp)));
  event->set("eventType", "status_update_event");
  event->set("timestamp", timestamp);
  return event;
}

// The events Marathon would publish for the change from `before` to `after`,
// in order.  `client_ip` goes into api_post_event.  Sets `*deployment_id`
// when the change is a deployment (anything but health changes).
std::vector<std::pair<std::string, Object::Ptr>> DiffEvents(
    const Array::Ptr& before, const Array::Ptr& after,
    const std::string& client_ip, std::string* deployment_id) {
  const std::string now = IsoNow();
  std::vector<std::pair<std::string, Object::Ptr>> api_posts, statuses, healths,
      terminated;
  Array::Ptr actions = new Array;
  std::set<std::string> apps_with_action;
  auto add_action = [&actions, &apps_with_action](const std::string& action,
                                                  const std::string& app) {
    apps_with_action.insert(app);
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("action", action);
    entry->set("app", app);
    actions->add(entry);
  };

  // App definitions.
  std::map<std::string, Object::Ptr> old_apps, new_apps;
  for (std::size_t i = 0; i < before->size(); ++i) {
    const Object::Ptr app = before->getObject(static_cast<unsigned>(i));
    old_apps.emplace(AppId(app), app);
  }
  for (std::size_t i = 0; i < after->size(); ++i) {
    const Object::Ptr app = after->getObject(static_cast<unsigned>(i));
    const std::string id = AppId(app);
    new_apps.emplace(id, app);
    const auto old = old_apps.find(id);
    const Object::Ptr definition = WithoutTasks(app);
    if (old != old_apps.end() &&
        CanonicalJson(WithoutTasks(old->second)) == CanonicalJson(definition)) {
      continue;
    }
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("clientIp", client_ip);
    event->set("uri", "/v2/apps" + id);
    event->set("appDefinition", definition);
    event->set("eventType", "api_post_event");
    event->set("timestamp", now);
    api_posts.emplace_back("api_post_event", event);
    add_action(
        old == old_apps.end() ? "StartApplication" : "RestartApplication", id);
  }
  for (std::size_t i = 0; i < before->size(); ++i) {
    const Object::Ptr app = before->getObject(static_cast<unsigned>(i));
    const std::string id = AppId(app);
    if (new_apps.count(id) > 0) continue;
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("appId", id);
    event->set("eventType", "app_terminated_event");
    event->set("timestamp", now);
    terminated.emplace_back("app_terminated_event", event);
    add_action("StopApplication", id);
  }

  // Tasks: started, changed state, killed; then health changes.
  const auto old_tasks = IndexTasks(before);
  const auto new_tasks = IndexTasks(after);
  std::map<std::string, TaskRef> old_by_key(old_tasks.begin(), old_tasks.end());
  std::set<std::string> new_keys;
  std::set<std::string> scaled_apps;
  for (const auto& [key, ref] : new_tasks) {
    new_keys.insert(key);
    const std::string state = StringField(ref.task, "state", "TASK_RUNNING");
    const auto old = old_by_key.find(key);
    if (old == old_by_key.end()) {
      statuses.emplace_back("status_update_event",
                            StatusUpdateEvent(ref, state, now));
      scaled_apps.insert(AppId(ref.app));
    } else if (StringField(old->second.task, "state", "TASK_RUNNING") !=
                   state ||
               TaskPlacement(old->second.task) != TaskPlacement(ref.task)) {
      statuses.emplace_back("status_update_event",
                            StatusUpdateEvent(ref, state, now));
    }
    const Health health = TaskHealth(ref.task);
    const Health old_health = old == old_by_key.end()
                                  ? Health::kUnknown
                                  : TaskHealth(old->second.task);
    if (health != Health::kUnknown && health != old_health) {
      Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      event->set("appId", AppId(ref.app));
      event->set("taskId", ref.task->getValue<std::string>("id"));
      event->set("version", StringField(ref.task, "version",
                                        StringField(ref.app, "version", now)));
      event->set("alive", health == Health::kAlive);
      event->set("eventType", "health_status_changed_event");
      event->set("timestamp", now);
      healths.emplace_back("health_status_changed_event", event);
    }
  }
  for (const auto& [key, ref] : old_tasks) {
    if (new_keys.count(key) > 0) continue;
    statuses.emplace_back("status_update_event",
                          StatusUpdateEvent(ref, "TASK_KILLED", now));
    scaled_apps.insert(AppId(ref.app));
  }
  for (const std::string& id : scaled_apps) {
    if (apps_with_action.count(id) == 0) add_action("ScaleApplication", id);
  }

  std::vector<std::pair<std::string, Object::Ptr>> events;
  const bool deployment = actions->size() > 0;
  Object::Ptr plan;
  if (deployment) {
    *deployment_id = NewUuid();
    Object::Ptr step = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    step->set("actions", actions);
    Array::Ptr steps = new Array;
    steps->add(step);
    plan = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    plan->set("id", *deployment_id);
    plan->set("steps", steps);
    plan->set("version", now);
    Object::Ptr info = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    info->set("plan", plan);
    info->set("currentStep", step);
    info->set("eventType", "deployment_info");
    info->set("timestamp", now);
    events.insert(events.end(), api_posts.begin(), api_posts.end());
    events.emplace_back("deployment_info", info);
  }
  events.insert(events.end(), statuses.begin(), statuses.end());
  events.insert(events.end(), healths.begin(), healths.end());
  events.insert(events.end(), terminated.begin(), terminated.end());
  if (deployment) {
    Object::Ptr success = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    success->set("id", *deployment_id);
    success->set("plan", plan);
    success->set("eventType", "deployment_success");
    success->set("timestamp", now);
    events.emplace_back("deployment_success", success);
  }
  return events;
}

// Keeps the last state seen, turns every change of the state file (through
// POST /_sim/apps or by a rewrite the watcher notices) into events.
class StateTracker {
 public:
  StateTracker(const StateStore& store, EventBus& bus, Stats& stats)
      : store_(store), bus_(bus), stats_(stats) {}
  ~StateTracker() { StopWatching(); }
  StateTracker(const StateTracker&) = delete;
  StateTracker& operator=(const StateTracker&) = delete;

  // Reads the baseline without publishing anything.  A missing or invalid
  // file counts as no apps (requests will report the error).
  void Init() {
    std::lock_guard<std::mutex> lock(mu_);
    identity_ = store_.Stat();
    State state;
    std::string error;
    if (store_.Load(&state, &error)) {
      apps_ = state.apps;
    } else {
      LogLine(std::string(kProgram) + ": " + error);
    }
  }

  struct Change {
    std::string deployment_id;  // Empty if nothing but health changed.
    std::size_t events = 0;
  };

  // Validates `text` as a state, writes it to the state file atomically and
  // publishes the difference.  On failure sets `*status` (400 or 500) and
  // `*error`.
  bool Replace(const std::string& text, const std::string& client_ip,
               Change* change, HTTPResponse::HTTPStatus* status,
               std::string* error) {
    std::lock_guard<std::mutex> lock(mu_);
    State next;
    if (!ParseState(text, "request body of POST /_sim/apps", &next, error)) {
      *status = HTTPResponse::HTTP_BAD_REQUEST;
      return false;
    }
    std::string write_error;
    if (!WriteFileAtomically(store_.path(), text, &write_error)) {
      *status = HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
      *error =
          "cannot replace state file '" + store_.path() + "': " + write_error;
      return false;
    }
    identity_ = store_.Stat();
    *change = PublishChange(next.apps, client_ip);
    return true;
  }

  // One watcher step: re-reads the file if its identity changed.
  void Poll() {
    std::lock_guard<std::mutex> lock(mu_);
    const FileIdentity now = store_.Stat();
    if (now == identity_) return;
    identity_ = now;
    if (!now.exists) {
      LogLine(std::string(kProgram) + ": state file '" + store_.path() +
              "' disappeared; keeping the last state for events");
      return;
    }
    State next;
    std::string error;
    if (!store_.Load(&next, &error)) {
      LogLine(std::string(kProgram) + ": " + error +
              "; keeping the last state for events");
      return;
    }
    const Change change = PublishChange(next.apps, "127.0.0.1");
    if (change.events > 0) {
      LogLine(std::string(kProgram) + ": state file '" + store_.path() +
              "' changed: " + std::to_string(change.events) + " events");
    }
  }

  void StartWatching(int interval_ms) {
    if (interval_ms <= 0) return;
    watcher_ = std::thread([this, interval_ms] {
      std::unique_lock<std::mutex> lock(watch_mu_);
      while (!watch_stop_) {
        watch_cv_.wait_for(lock, Millis(interval_ms),
                           [this] { return watch_stop_; });
        if (watch_stop_) break;
        lock.unlock();
        Poll();
        lock.lock();
      }
    });
  }

  void StopWatching() {
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      watch_stop_ = true;
    }
    watch_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
  }

 private:
  // Requires mu_.
  Change PublishChange(const Array::Ptr& next, const std::string& client_ip) {
    Change change;
    const auto events =
        DiffEvents(apps_, next, client_ip, &change.deployment_id);
    for (const auto& [type, event] : events) bus_.Publish(type, event);
    change.events = events.size();
    if (!events.empty()) ++stats_.state_changes;
    apps_ = next;
    return change;
  }

  const StateStore& store_;
  EventBus& bus_;
  Stats& stats_;
  std::mutex mu_;
  Array::Ptr apps_ = new Array;
  FileIdentity identity_;

  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
};

// ---------------------------------------------------------------------------
// Shared services.

struct Options {
  std::string state_file;
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  int keepalive_ms = 1000;
  int watch_ms = 200;
  std::string auth;  // "user:pass", or empty for no authentication.
};

// Everything the endpoints share for the life of the server.
struct SimContext {
  explicit SimContext(const Options& options)
      : keepalive_ms(options.keepalive_ms),
        auth(options.auth),
        state(options.state_file),
        callbacks(stats),
        bus(stats, faults, callbacks),
        tracker(state, bus, stats) {
    faults.SetWakeup([this] { bus.WakeAll(); });
  }

  const int keepalive_ms;
  const std::string auth;
  const StateStore state;
  Stats stats;
  Faults faults;
  Callbacks callbacks;
  EventBus bus;
  StateTracker tracker;
};

// ---------------------------------------------------------------------------
// HTTP plumbing.

// What the router learned about a request, handed to the endpoint.
struct RouteMatch {
  std::string path;  // Decoded; no repeated or trailing slashes.
  std::string rest;  // Part of the path after a prefix route ("" for exact).
  Poco::URI::QueryParameters query;
};

// The connection under a server request, or nullptr.
Poco::Net::StreamSocket* RequestSocket(HTTPServerRequest& request) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  return impl != nullptr ? &impl->socket() : nullptr;
}

// Ends the connection under `request` at once: no response, or no final
// chunk of a response already under way.
void AbortConnection(HTTPServerRequest& request, HTTPServerResponse& response) {
  response.setKeepAlive(false);
  if (Poco::Net::StreamSocket* socket = RequestSocket(request)) {
    try {
      socket->shutdown();
    } catch (const Poco::Exception&) {
      // Already gone.
    }
  }
}

// Whether the client has closed its end (or reset it).
bool PeerClosed(HTTPServerRequest& request) {
  Poco::Net::StreamSocket* socket = RequestSocket(request);
  if (socket == nullptr) return false;
  try {
    if (!socket->poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ |
                                             Poco::Net::Socket::SELECT_ERROR)) {
      return false;
    }
  } catch (const Poco::Exception&) {
    return true;
  }
  char byte = 0;
  const ssize_t n =
      ::recv(socket->impl()->sockfd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// Base class of every endpoint.  Checks the method, catches exceptions and
// logs one line per request when the response is sent.
class Endpoint : public Poco::Net::HTTPRequestHandler {
 public:
  Endpoint(SimContext& context, RouteMatch match)
      : context_(context), match_(std::move(match)) {}

  void handleRequest(HTTPServerRequest& request,
                     HTTPServerResponse& response) override {
    try {
      const std::vector<std::string> allowed = AllowedMethods();
      bool ok = allowed.empty();
      for (const std::string& m : allowed) ok = ok || request.getMethod() == m;
      if (!ok) {
        std::string allow;
        for (const std::string& m : allowed) {
          allow += allow.empty() ? m : ", " + m;
        }
        response.set("Allow", allow);
        SendMessage(
            request, response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
            "Method " + request.getMethod() + " not allowed on " + match_.path);
        return;
      }
      Handle(request, response);
    } catch (const std::exception& e) {
      const std::string what = ExceptionText(e);
      if (!response.sent()) {
        SendMessage(request, response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                    std::string("internal error: ") + what);
      } else {
        LogLine(std::string(kProgram) + ": error while answering " +
                request.getMethod() + " " + request.getURI() + ": " + what);
      }
    }
  }

 protected:
  // Methods the endpoint answers; others get 405.  Empty means any method.
  virtual std::vector<std::string> AllowedMethods() const { return {"GET"}; }
  virtual void Handle(HTTPServerRequest& request,
                      HTTPServerResponse& response) = 0;

  SimContext& context() const { return context_; }
  const RouteMatch& match() const { return match_; }

  // True if any `embed` query parameter equals one of the given values.
  bool Embeds(const std::vector<std::string>& values) const {
    for (const auto& [key, value] : match_.query) {
      if (key != "embed") continue;
      for (const std::string& v : values) {
        if (value == v) return true;
      }
    }
    return false;
  }

  // The first value of query parameter `key`, or "" if absent.
  std::string QueryValue(const std::string& key,
                         bool* present = nullptr) const {
    for (const auto& [k, value] : match_.query) {
      if (k == key) {
        if (present != nullptr) *present = true;
        return value;
      }
    }
    if (present != nullptr) *present = false;
    return "";
  }

  // Loads the state; on failure answers 500 and returns false.
  bool LoadState(HTTPServerRequest& request, HTTPServerResponse& response,
                 State* state) {
    std::string error;
    if (context_.state.Load(state, &error)) return true;
    SendMessage(request, response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                error);
    return false;
  }

  // Reads the request body; on failure (too large) answers 413 and returns
  // false.
  static bool ReadBody(HTTPServerRequest& request, HTTPServerResponse& response,
                       std::string* body) {
    if (request.getContentLength() >
        static_cast<std::streamsize>(kMaxBodyBytes)) {
      SendMessage(request, response,
                  HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
                  "request body larger than " + std::to_string(kMaxBodyBytes) +
                      " bytes");
      return false;
    }
    Poco::StreamCopier::copyToString(request.stream(), *body);
    return true;
  }

  static void Send(HTTPServerRequest& request, HTTPServerResponse& response,
                   HTTPResponse::HTTPStatus status, const std::string& type,
                   const std::string& body) {
    response.setStatusAndReason(status);
    response.setContentType(type);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    LogRequest(request, status);
    response.sendBuffer(body.data(), body.size());
  }

  static void SendJson(HTTPServerRequest& request, HTTPServerResponse& response,
                       HTTPResponse::HTTPStatus status,
                       const Poco::Dynamic::Var& body) {
    Send(request, response, status, kJsonContentType, ToJson(body));
  }

  static void SendMessage(HTTPServerRequest& request,
                          HTTPServerResponse& response,
                          HTTPResponse::HTTPStatus status,
                          const std::string& message) {
    Object::Ptr body = new Object;
    body->set("message", message);
    SendJson(request, response, status, body);
  }

  // The per-request log line.  Send() calls it; /v2/events calls it before
  // its long-lived response starts.
  static void LogRequest(const HTTPServerRequest& request, int status) {
    LogLine(std::string(kProgram) + ": " + request.clientAddress().toString() +
            " " + request.getMethod() + " " + request.getURI() + " " +
            std::to_string(status));
  }

 private:
  static std::string ExceptionText(const std::exception& e) {
    if (const auto* pe = dynamic_cast<const Poco::Exception*>(&e)) {
      return pe->displayText();
    }
    return e.what();
  }

  SimContext& context_;
  RouteMatch match_;
};

// GET /ping
class PingEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    Send(request, response, HTTPResponse::HTTP_OK, kTextContentType, "pong");
  }
};

// GET /v2/info
class InfoEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    const std::string leader = request.serverAddress().toString();
    Object::Ptr config = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    config->set("hostname", request.serverAddress().host().toString());
    config->set("http_port", request.serverAddress().port());
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("name", "marathon");
    body->set("version", kVersion);
    body->set("buildref", "marathon-sim");
    body->set("elected", true);
    body->set("leader", leader);
    body->set("frameworkId", "marathon-sim-framework");
    body->set("marathon_config", config);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /v2/apps[?embed=apps.tasks]
class AppsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    State state;
    if (!LoadState(request, response, &state)) return;
    const bool embed_tasks = Embeds({"apps.tasks", "app.tasks"});
    Array::Ptr apps = new Array;
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      if (embed_tasks) {
        // Marathon always has a tasks array when asked to embed it.
        if (!app->has("tasks")) {
          app = new Object(*app);
          app->set("tasks", Array::Ptr(new Array));
        }
        apps->add(app);
      } else {
        apps->add(WithoutTasks(app));
      }
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("apps", apps);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /v2/apps/<id>, where <id> may contain slashes (/web/front).
class AppEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    State state;
    if (!LoadState(request, response, &state)) return;
    const std::string id = match().rest;  // Always starts with '/'.
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      if (AppId(app) != id) continue;
      if (!app->has("tasks")) {
        app = new Object(*app);
        app->set("tasks", Array::Ptr(new Array));
      }
      Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      body->set("app", app);
      SendJson(request, response, HTTPResponse::HTTP_OK, body);
      return;
    }
    SendMessage(request, response, HTTPResponse::HTTP_NOT_FOUND,
                "App '" + id + "' does not exist");
  }
};

// GET /v2/tasks
class TasksEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    State state;
    if (!LoadState(request, response, &state)) return;
    Array::Ptr tasks = new Array;
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      Array::Ptr app_tasks = app->getArray("tasks");
      if (app_tasks.isNull()) continue;
      Array::Ptr service_ports = ServicePorts(app);
      for (std::size_t j = 0; j < app_tasks->size(); ++j) {
        Object::Ptr task = app_tasks->getObject(static_cast<unsigned>(j));
        if (task.isNull()) continue;
        if (!task->has("appId") || !task->has("servicePorts")) {
          task = new Object(*task);
          if (!task->has("appId")) task->set("appId", AppId(app));
          if (!task->has("servicePorts")) {
            task->set("servicePorts", service_ports);
          }
        }
        tasks->add(task);
      }
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("tasks", tasks);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /v2/events[?event_type=T]...: Server-Sent Events.  Like Marathon, the
// stream's own event_stream_attached goes through the bus (and so through
// its event_type filter), and event_stream_detached follows its end.
// plan-format=light is accepted and ignored (plans are always light here).
class EventsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    std::set<std::string> types;
    for (const auto& [key, value] : match().query) {
      if (key == "event_type" && !value.empty()) types.insert(value);
    }
    const std::string remote = request.clientAddress().host().toString();
    const std::shared_ptr<Subscriber> subscriber =
        sim.bus.Subscribe(types, remote);
    if (subscriber == nullptr) {
      ++sim.stats.streams_refused;
      SendMessage(request, response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                  sim.bus.stopping()
                      ? std::string("marathon-sim is stopping")
                      : "too many open event streams (limit " +
                            std::to_string(kMaxEventStreams) + ")");
      return;
    }
    StreamEnd end(sim, subscriber, request.clientAddress().toString());
    const std::uint64_t drop_generation = sim.faults.drop_generation();
    // A stalled Marathon sends not even the headers.
    bool peer_closed = false;
    while (sim.faults.stalled() && !sim.bus.stopping() &&
           sim.faults.drop_generation() == drop_generation &&
           !(peer_closed = PeerClosed(request))) {
      sim.bus.WaitWhileStalled(drop_generation, kStreamTick);
    }
    if (sim.bus.stopping()) {
      end.reason = "stopping";
    } else if (sim.faults.drop_generation() != drop_generation) {
      ++sim.stats.streams_dropped;
      AbortConnection(request, response);
      end.reason = "dropped by fault before the headers";
    } else if (peer_closed) {
      end.reason = "client closed the connection";
    } else {
      response.setStatusAndReason(HTTPResponse::HTTP_OK);
      response.setContentType(kEventStreamContentType);
      response.set("Cache-Control", "no-cache, no-store, must-revalidate");
      response.setChunkedTransferEncoding(true);
      response.setKeepAlive(false);
      LogRequest(request, HTTPResponse::HTTP_OK);
      std::ostream& out = response.send();
      out.flush();
      end.attached = true;
      PublishStreamEvent(sim, "event_stream_attached", remote);
      end.reason = Stream(request, response, out, *subscriber, drop_generation,
                          &end.sent);
    }
  }

 private:
  // Unsubscribes the stream however Handle() ends, logs how it ended and,
  // for a stream that was attached, publishes event_stream_detached.
  struct StreamEnd {
    StreamEnd(SimContext& sim, std::shared_ptr<Subscriber> subscriber,
              std::string client)
        : sim(sim),
          subscriber(std::move(subscriber)),
          client(std::move(client)) {}
    ~StreamEnd() {
      sim.bus.Unsubscribe(subscriber);
      LogLine(std::string(kProgram) + ": event stream to " + client +
              " ended (" + reason + ") after " + std::to_string(sent) +
              " events");
      if (!attached) return;
      try {
        PublishStreamEvent(sim, "event_stream_detached", subscriber->remote);
      } catch (const std::exception& e) {
        LogLine(std::string(kProgram) +
                ": cannot publish event_stream_detached: " + e.what());
      }
    }
    StreamEnd(const StreamEnd&) = delete;
    StreamEnd& operator=(const StreamEnd&) = delete;

    SimContext& sim;
    const std::shared_ptr<Subscriber> subscriber;
    const std::string client;
    const char* reason = "error";
    bool attached = false;
    std::int64_t sent = 0;
  };

  static void PublishStreamEvent(SimContext& sim, const std::string& type,
                                 const std::string& remote) {
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("remoteAddress", remote);
    event->set("eventType", type);
    event->set("timestamp", IsoNow());
    sim.bus.Publish(type, event);
  }

  // Writes events and keep-alives until the client leaves, the stream is
  // dropped, or the simulator stops.  Returns why it ended.
  const char* Stream(HTTPServerRequest& request, HTTPServerResponse& response,
                     std::ostream& out, Subscriber& subscriber,
                     std::uint64_t drop_generation, std::int64_t* sent) {
    SimContext& sim = context();
    const Millis keepalive(sim.keepalive_ms);
    auto last_write = SteadyClock::now();
    while (true) {
      Millis wait = kStreamTick;
      if (keepalive.count() > 0) {
        const auto due = last_write + keepalive - SteadyClock::now();
        wait = std::clamp(std::chrono::duration_cast<Millis>(due), Millis(1),
                          kStreamTick);
      }
      std::vector<std::string> frames;
      switch (sim.bus.Next(subscriber, drop_generation, wait, &frames)) {
        case StreamWake::kStop:
          return "stopping";
        case StreamWake::kDrop:
          ++sim.stats.streams_dropped;
          AbortConnection(request, response);
          return "dropped by fault";
        case StreamWake::kFrames:
          for (const std::string& frame : frames) out << frame;
          out.flush();
          if (!out) return "write failed";
          *sent += static_cast<std::int64_t>(frames.size());
          sim.stats.events_sent += static_cast<std::int64_t>(frames.size());
          last_write = SteadyClock::now();
          break;
        case StreamWake::kIdle:
          if (!sim.faults.stalled() && keepalive.count() > 0 &&
              SteadyClock::now() - last_write >= keepalive) {
            out << ":\n\n";
            out.flush();
            if (!out) return "write failed";
            ++sim.stats.keepalives_sent;
            last_write = SteadyClock::now();
          }
          break;
      }
      if (PeerClosed(request)) return "client closed the connection";
    }
  }
};

// GET /v2/eventSubscriptions, POST|DELETE /v2/eventSubscriptions?callbackUrl=
class EventSubscriptionsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override {
    return {"GET", "POST", "DELETE"};
  }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    if (request.getMethod() == "GET") {
      Array::Ptr urls = new Array;
      for (const std::string& url : sim.callbacks.Urls()) urls->add(url);
      Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      body->set("callbackUrls", urls);
      SendJson(request, response, HTTPResponse::HTTP_OK, body);
      return;
    }
    bool present = false;
    const std::string url = QueryValue("callbackUrl", &present);
    if (!present || url.empty()) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  "query parameter callbackUrl is required");
      return;
    }
    const bool subscribe = request.getMethod() == "POST";
    if (subscribe) {
      std::string error;
      if (!ValidateCallbackUrl(url, &error)) {
        SendMessage(request, response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
                    error);
        return;
      }
      sim.callbacks.Add(url);
    } else {
      sim.callbacks.Remove(url);
    }
    const std::string type =
        subscribe ? "subscribe_event" : "unsubscribe_event";
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("callbackUrl", url);
    body->set("clientIp", request.clientAddress().host().toString());
    body->set("eventType", type);
    Object::Ptr event = new Object(*body);
    event->set("timestamp", IsoNow());
    sim.bus.Publish(type, event);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// POST /_sim/apps with {"apps":[...]}: replaces the state and publishes the
// events of the change.
class SimAppsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    std::string text;
    if (!ReadBody(request, response, &text)) return;
    StateTracker::Change change;
    HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK;
    std::string error;
    if (!context().tracker.Replace(text,
                                   request.clientAddress().host().toString(),
                                   &change, &status, &error)) {
      SendMessage(request, response, status, error);
      return;
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (change.deployment_id.empty()) {
      body->set("deploymentId", Poco::Dynamic::Var());
    } else {
      body->set("deploymentId", change.deployment_id);
    }
    body->set("events", change.events);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// POST /_sim/event with one event object: published as is, its type taken
// from its eventType member.
class SimEventEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    std::string text;
    if (!ReadBody(request, response, &text)) return;
    const std::string what = "request body of POST /_sim/event";
    Poco::Dynamic::Var root;
    std::string error;
    if (!ParseJson(text, what, &root, &error)) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST, error);
      return;
    }
    Object::Ptr event = root.type() == typeid(Object::Ptr)
                            ? root.extract<Object::Ptr>()
                            : Object::Ptr();
    if (event.isNull() || !event->has("eventType") ||
        !event->get("eventType").isString()) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  what + ": must be a JSON object with a string \"eventType\"");
      return;
    }
    const std::string type = event->getValue<std::string>("eventType");
    if (type.empty() || type.find_first_of("\r\n") != std::string::npos) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  what + ": \"eventType\" must be one non-empty line");
      return;
    }
    context().bus.Publish(type, event);
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("published", type);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /_sim/fault shows the switches; POST /_sim/fault?... sets them.
class SimFaultEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override {
    return {"GET", "POST"};
  }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    Faults& faults = context().faults;
    if (request.getMethod() == "POST") {
      std::string error;
      if (!Apply(faults, &error)) {
        SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST, error);
        return;
      }
      LogLine(std::string(kProgram) + ": faults now " +
              ToJson(faults.ToJson()));
    }
    SendJson(request, response, HTTPResponse::HTTP_OK, faults.ToJson());
  }

 private:
  static bool ParseInt(const std::string& key, const std::string& text,
                       std::int64_t low, std::int64_t high, std::int64_t* value,
                       std::string* error) {
    std::size_t used = 0;
    try {
      *value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || *value < low || *value > high) {
      *error = "fault " + key + "=" + text + ": expected an integer from " +
               std::to_string(low) + " to " + std::to_string(high);
      return false;
    }
    return true;
  }

  // Validates every parameter first, then applies them: clear first, then
  // the others.
  bool Apply(Faults& faults, std::string* error) const {
    bool clear = false, drop = false;
    std::int64_t stall = -1, down_ms = -1, status = -1;
    bool has_redirect = false;
    std::string redirect;
    for (const auto& [key, value] : match().query) {
      std::int64_t flag = 0;
      if (key == "clear" || key == "drop" || key == "stall") {
        if (!ParseInt(key, value, 0, 1, &flag, error)) return false;
        if (key == "clear") clear = flag == 1;
        if (key == "drop") drop = flag == 1;
        if (key == "stall") stall = flag;
      } else if (key == "down_ms") {
        if (!ParseInt(key, value, 0, 3600000, &down_ms, error)) return false;
      } else if (key == "status") {
        if (!ParseInt(key, value, 0, 599, &status, error)) return false;
        if (status != 0 && status < 200) {
          *error = "fault status=" + value + ": expected 0 (off) or 200..599";
          return false;
        }
      } else if (key == "redirect") {
        has_redirect = true;
        redirect = value;
        while (!redirect.empty() && redirect.back() == '/') redirect.pop_back();
        if (!redirect.empty()) {
          try {
            const Poco::URI uri(redirect);
            if ((uri.getScheme() != "http" && uri.getScheme() != "https") ||
                uri.getHost().empty()) {
              throw Poco::SyntaxException("not an http(s) URL");
            }
          } catch (const Poco::Exception& e) {
            *error = "fault redirect=" + value +
                     ": expected an http:// URL: " + e.displayText();
            return false;
          }
        }
      } else {
        *error = "unknown fault parameter '" + key +
                 "' (known: clear, stall, drop, down_ms, redirect, status)";
        return false;
      }
    }
    if (clear) faults.Clear();
    if (stall >= 0) faults.SetStall(stall == 1);
    if (down_ms >= 0) faults.SetDown(down_ms);
    if (has_redirect) faults.SetRedirect(redirect);
    if (status >= 0) faults.SetStatus(static_cast<int>(status));
    if (drop) faults.Drop();
    return true;
  }
};

// GET /_sim/stats
class SimStatsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    Object::Ptr body = sim.stats.ToJson();
    body->set("callbackSubscriptions",
              static_cast<std::int64_t>(sim.callbacks.Urls().size()));
    body->set("faults", sim.faults.ToJson());
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// Any path without a route, whatever the method.
class NotFoundEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(request, response, HTTPResponse::HTTP_NOT_FOUND,
                "Not found: " + match().path);
  }
};

// Answers requests whose URI cannot be parsed, whatever the method.
class BadRequestEndpoint : public Endpoint {
 public:
  BadRequestEndpoint(SimContext& context, std::string reason)
      : Endpoint(context, RouteMatch{}), reason_(std::move(reason)) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                "Bad request URI: " + reason_);
  }

 private:
  std::string reason_;
};

// Fault down_ms: closes the connection without a response.
class DownEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    LogLine(std::string(kProgram) + ": " + request.clientAddress().toString() +
            " " + request.getMethod() + " " + request.getURI() +
            " closed without a response (fault down_ms)");
    AbortConnection(request, response);
  }
};

// Fault redirect: 307 to the same path and query on another Marathon.
class RedirectEndpoint : public Endpoint {
 public:
  RedirectEndpoint(SimContext& context, RouteMatch match, std::string location)
      : Endpoint(context, std::move(match)), location_(std::move(location)) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    response.set("Location", location_);
    SendMessage(request, response, HTTPResponse::HTTP_TEMPORARY_REDIRECT,
                "not the leader; the leader is at " + location_);
  }

 private:
  std::string location_;
};

// Fault status: every request answered with that status.
class StatusEndpoint : public Endpoint {
 public:
  StatusEndpoint(SimContext& context, RouteMatch match, int status)
      : Endpoint(context, std::move(match)), status_(status) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(
        request, response, static_cast<HTTPResponse::HTTPStatus>(status_),
        "simulated failure (fault status=" + std::to_string(status_) + ")");
  }

 private:
  int status_;
};

// --auth without matching credentials.
class UnauthorizedEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    response.set("WWW-Authenticate", "Basic realm=\"Mesosphere\"");
    SendMessage(request, response, HTTPResponse::HTTP_UNAUTHORIZED,
                "Invalid username or password.");
  }
};

bool IsSimPath(const std::string& path) {
  const std::string prefix = kSimPrefix;
  return path == prefix || path.rfind(prefix + "/", 0) == 0;
}

// Whether the request carries the --auth credentials.
bool Authorized(const HTTPServerRequest& request, const std::string& auth) {
  if (auth.empty()) return true;
  if (!request.hasCredentials()) return false;
  try {
    const Poco::Net::HTTPBasicCredentials credentials(request);
    return credentials.getUsername() + ":" + credentials.getPassword() == auth;
  } catch (const Poco::Exception&) {
    return false;  // Not Basic, or not base64.
  }
}

// Maps request paths to endpoints.  Exact routes match the whole path; prefix
// routes match "<prefix>/..." and pass the remainder (with its leading slash)
// in RouteMatch::rest.  Requests outside /_sim first meet the faults and
// --auth.  Every request is counted under "<METHOD> <route name>".
class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  using Factory =
      std::function<Poco::Net::HTTPRequestHandler*(SimContext&, RouteMatch)>;

  explicit Router(SimContext& context) : context_(context) {}

  void AddExact(std::string path, Factory factory) {
    std::string name = path;
    routes_.push_back(
        {std::move(path), std::move(name), false, std::move(factory)});
  }
  // `name` is the route's name in /_sim/stats, e.g. "/v2/apps/<id>".
  void AddPrefix(std::string prefix, std::string name, Factory factory) {
    routes_.push_back(
        {std::move(prefix), std::move(name), true, std::move(factory)});
  }

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const HTTPServerRequest& request) override {
    RouteMatch match;
    try {
      Poco::URI uri(request.getURI());
      match.path = uri.getPath();
      match.query = uri.getQueryParameters();
    } catch (const Poco::Exception& e) {
      context_.stats.CountRequest(request.getMethod() + " <bad uri>");
      return new BadRequestEndpoint(context_, e.displayText());
    }
    // Like Marathon's path ids: "//web//front/" is "/web/front".
    std::string path;
    for (char c : match.path) {
      if (c != '/' || path.empty() || path.back() != '/') path += c;
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    match.path = path;

    const Route* found = nullptr;
    for (const Route& route : routes_) {
      if (match.path == route.path) {
        found = &route;
        break;
      }
      if (route.prefix && match.path.size() > route.path.size() + 1 &&
          match.path.compare(0, route.path.size(), route.path) == 0 &&
          match.path[route.path.size()] == '/') {
        match.rest = match.path.substr(route.path.size());
        found = &route;
        break;
      }
    }
    context_.stats.CountRequest(request.getMethod() + " " +
                                (found != nullptr ? found->name : "<unknown>"));

    if (!IsSimPath(match.path)) {
      const Faults& faults = context_.faults;
      if (faults.down()) return new DownEndpoint(context_, std::move(match));
      if (std::string leader = faults.redirect(); !leader.empty()) {
        return new RedirectEndpoint(context_, std::move(match),
                                    leader + request.getURI());
      }
      if (const int status = faults.status(); status != 0) {
        return new StatusEndpoint(context_, std::move(match), status);
      }
      if (!Authorized(request, context_.auth)) {
        return new UnauthorizedEndpoint(context_, std::move(match));
      }
    }
    if (found == nullptr) {
      return new NotFoundEndpoint(context_, std::move(match));
    }
    return found->factory(context_, std::move(match));
  }

 private:
  struct Route {
    std::string path;
    std::string name;
    bool prefix;
    Factory factory;
  };

  SimContext& context_;
  std::vector<Route> routes_;
};

template <typename T>
Router::Factory Make() {
  return [](SimContext& context, RouteMatch match) {
    return new T(context, std::move(match));
  };
}

// The first matching route wins.
Poco::Net::HTTPRequestHandlerFactory::Ptr BuildRouter(SimContext& context) {
  Poco::SharedPtr<Router> router = new Router(context);
  router->AddExact("/ping", Make<PingEndpoint>());
  router->AddExact("/v2/info", Make<InfoEndpoint>());
  router->AddExact("/v2/apps", Make<AppsEndpoint>());
  router->AddPrefix("/v2/apps", "/v2/apps/<id>", Make<AppEndpoint>());
  router->AddExact("/v2/tasks", Make<TasksEndpoint>());
  router->AddExact("/v2/events", Make<EventsEndpoint>());
  router->AddExact("/v2/eventSubscriptions",
                   Make<EventSubscriptionsEndpoint>());
  router->AddExact("/_sim/apps", Make<SimAppsEndpoint>());
  router->AddExact("/_sim/event", Make<SimEventEndpoint>());
  router->AddExact("/_sim/fault", Make<SimFaultEndpoint>());
  router->AddExact("/_sim/stats", Make<SimStatsEndpoint>());
  return router;
}

// ---------------------------------------------------------------------------
// Command line and process lifetime.

void PrintUsage(std::ostream& out) {
  out << "usage: " << kProgram
      << " --state FILE [--listen HOST:PORT] [--port-file PATH]\n"
         "       [--keepalive-ms N] [--watch-ms N] [--auth USER:PASS]\n"
         "  --state FILE        JSON like Marathon's GET "
         "/v2/apps?embed=apps.tasks;\n"
         "                      re-read on every request\n"
         "  --listen HOST:PORT  address to bind (default 127.0.0.1:0; port 0 "
         "picks a free port)\n"
         "  --port-file PATH    write the bound host:port to PATH "
         "(atomically)\n"
         "  --keepalive-ms N    /v2/events keep-alive comment after N ms "
         "without\n"
         "                      output (default 1000; 0: none)\n"
         "  --watch-ms N        look for rewrites of the state file every N "
         "ms and\n"
         "                      publish their events (default 200; 0: off)\n"
         "  --auth USER:PASS    require HTTP basic auth outside /_sim\n";
}

bool ParseMillis(const std::string& option, const std::string& text,
                 int* value) {
  std::size_t used = 0;
  long parsed = -1;
  try {
    parsed = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || parsed < 0 || parsed > 3600000) {
    std::cerr << kProgram << ": option " << option
              << " needs a number of milliseconds from 0 to 3600000, got '"
              << text << "'\n";
    return false;
  }
  *value = static_cast<int>(parsed);
  return true;
}

// Parses argv; returns 0 to continue, or an exit code.
int ParseArgs(int argc, char** argv, Options* options) {
  const std::set<std::string> with_value = {"--state",     "--listen",
                                            "--port-file", "--keepalive-ms",
                                            "--watch-ms",  "--auth"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(std::cout);
      return -1;
    }
    std::string value;
    const std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (with_value.count(arg) > 0) {
      if (i + 1 >= argc) {
        std::cerr << kProgram << ": option " << arg << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    if (arg == "--state") {
      options->state_file = value;
    } else if (arg == "--listen") {
      options->listen = value;
    } else if (arg == "--port-file") {
      options->port_file = value;
    } else if (arg == "--keepalive-ms") {
      if (!ParseMillis(arg, value, &options->keepalive_ms)) return 2;
    } else if (arg == "--watch-ms") {
      if (!ParseMillis(arg, value, &options->watch_ms)) return 2;
    } else if (arg == "--auth") {
      if (value.find(':') == std::string::npos) {
        std::cerr << kProgram << ": option --auth needs USER:PASS\n";
        return 2;
      }
      options->auth = value;
    } else {
      std::cerr << kProgram << ": unknown argument '" << argv[i] << "'\n";
      PrintUsage(std::cerr);
      return 2;
    }
  }
  if (options->state_file.empty()) {
    std::cerr << kProgram << ": --state FILE is required\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return 0;
}

int Run(int argc, char** argv) {
  Options options;
  if (int rc = ParseArgs(argc, argv, &options); rc != 0) {
    return rc < 0 ? 0 : rc;
  }

  const sigset_t stop_signals = BlockStopSignals();

  Poco::Net::ServerSocket socket;
  std::string error;
  if (!Bind(options.listen, &socket, &error)) {
    std::cerr << kProgram << ": " << error << '\n';
    return 1;
  }
  const std::string bound = socket.address().toString();

  SimContext context(options);
  context.tracker.Init();
  context.callbacks.Start();

  Poco::Net::HTTPServerParams::Ptr params = ServerParams(kMaxThreads);
  params->setSoftwareVersion(std::string(kProgram) + "/" + kVersion);

  Poco::ThreadPool pool(kProgram, 1, kMaxThreads);
  Poco::Net::HTTPServer server(BuildRouter(context), pool, socket, params);
  server.start();
  context.tracker.StartWatching(options.watch_ms);

  auto stop = [&] {
    // Streams notice the bus stopping within kStreamTick; stopAll(true)
    // shuts down every other connection.
    context.bus.Stop();
    server.stopAll(true);
    pool.joinAll();
    context.tracker.StopWatching();
    context.callbacks.Stop();
  };

  if (!options.port_file.empty()) {
    if (!WriteFileAtomically(options.port_file, bound + "\n", &error)) {
      std::cerr << kProgram << ": port file: " << error << '\n';
      stop();
      return 1;
    }
  }
  std::cout << kProgram << " listening on http://" << bound << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LogLine(std::string(kProgram) + ": received signal " + std::to_string(sig) +
          ", stopping");
  stop();
  return 0;
}

}  // namespace
}  // namespace mlb::tools

int main(int argc, char** argv) {
  return mlb::tools::RunTool(mlb::tools::kProgram, mlb::tools::Run, argc, argv);
}
