#include "core/marathon/event_stream.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <istream>
#include <random>
#include <system_error>
#include <typeinfo>
#include <utility>

#include "core/base/logging.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock;

// How often a pending connect looks at the stop flag.
constexpr milliseconds kConnectPollSlice{50};
// An event this large is not Marathon's: drop the connection (and resync).
constexpr size_t kMaxEventBytes = 16 << 20;

std::string Ms(milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::string Excerpt(const std::string& text) {
  constexpr size_t kMax = 120;
  return "'" + (text.size() > kMax ? text.substr(0, kMax) + "..." : text) + "'";
}

// The eventType of one JSON document; false with *problem set if it has none.
bool EventTypeOf(const std::string& document, std::string* type,
                 std::string* problem) {
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var value = parser.parse(document);
    if (value.type() != typeid(Poco::JSON::Object::Ptr)) {
      *problem = "not a JSON object: " + Excerpt(document);
      return false;
    }
    const Poco::Dynamic::Var event_type =
        value.extract<Poco::JSON::Object::Ptr>()->get("eventType");
    if (!event_type.isString()) {
      *problem = "no eventType string: " + Excerpt(document);
      return false;
    }
    *type = event_type.toString();
    return true;
  } catch (const Poco::Exception& e) {
    *problem = "not JSON (" + e.displayText() + "): " + Excerpt(document);
    return false;
  }
}

// <base>/v2/events?plan-format=light&event_type=..., without user info.
Poco::URI EventsUri(const std::string& base,
                    const std::vector<std::string>& event_types) {
  Poco::URI uri(base);
  std::string path = uri.getPath();
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  uri.setPath(path + "/v2/events");
  std::string query = "plan-format=light";
  for (const std::string& type : event_types) {
    query += "&event_type=" + type;
  }
  uri.setRawQuery(query);
  uri.setUserInfo("");
  return uri;
}

bool IsRedirect(int code) {
  return code == 301 || code == 302 || code == 307 || code == 308;
}

}  // namespace

// SseParser ------------------------------------------------------------------

bool SseParser::FeedLine(const std::string& line, SseEvent* event) {
  if (line.empty()) {
    const bool dispatch = has_data_;
    if (dispatch) {
      event->type = type_;
      event->data = data_;
      event->id = last_id_;
    }
    type_.clear();
    data_.clear();
    has_data_ = false;
    return dispatch;
  }
  if (line[0] == ':') {
    return false;  // a comment, e.g. a keep-alive
  }
  const size_t colon = line.find(':');
  const std::string field = line.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') {
    value.erase(0, 1);
  }
  if (field == "event") {
    type_ = value;
  } else if (field == "data") {
    if (has_data_) {
      data_ += '\n';
    }
    data_ += value;
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string::npos) {
      last_id_ = value;
    }
  }
  // "retry" and unknown fields are ignored, as the spec says.
  return false;
}

std::vector<std::string> EventTypesInData(const std::string& data,
                                          std::vector<std::string>* problems) {
  std::vector<std::string> types;
  if (IsBlank(data)) {
    return types;
  }
  std::string type;
  std::string problem;
  // One document, possibly spread over several lines...
  if (EventTypeOf(data, &type, &problem)) {
    types.push_back(type);
    return types;
  }
  if (data.find_first_of("\r\n") == std::string::npos) {
    if (problems != nullptr) {
      problems->push_back(problem);
    }
    return types;
  }
  // ...or one document per line.
  for (size_t start = 0; start <= data.size();) {
    size_t end = data.find_first_of("\r\n", start);
    if (end == std::string::npos) {
      end = data.size();
    }
    const std::string piece = data.substr(start, end - start);
    if (!IsBlank(piece)) {
      if (EventTypeOf(piece, &type, &problem)) {
        types.push_back(type);
      } else if (problems != nullptr) {
        problems->push_back(problem);
      }
    }
    start = end + 1;
  }
  return types;
}

// EventStream::Connection ----------------------------------------------------

// One HTTP exchange: a socket connected by hand (so that a pending connect can
// be abandoned on Stop()), the Poco session over it and its response.
class EventStream::Connection {
 public:
  Connection(EventStream* owner, std::string url)
      : url(std::move(url)), owner_(owner) {}
  // Unregisters before the members (and so the socket) are destroyed.
  ~Connection() { owner_->UnregisterSocket(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to `uri`'s host and port within `timeout` and creates the
  // session. The error carries no URL; the caller adds it.
  Status Connect(const Poco::URI& uri, milliseconds timeout) {
    const Poco::Net::SocketAddress address(uri.getHost(), uri.getPort());
    socket = Poco::Net::StreamSocket(address.family());
    owner_->RegisterSocket(socket.impl()->sockfd());
    socket.connectNB(address);
    const auto deadline = SteadyTime::now() + timeout;
    const Poco::Timespan slice(
        std::chrono::microseconds(kConnectPollSlice).count());
    while (!socket.poll(slice, Poco::Net::Socket::SELECT_WRITE |
                                   Poco::Net::Socket::SELECT_ERROR)) {
      if (owner_->Stopping()) {
        return Status::Error("stopped");
      }
      if (SteadyTime::now() >= deadline) {
        return Status::Error("connect timed out after " + Ms(timeout));
      }
    }
    if (owner_->Stopping()) {
      return Status::Error("stopped");
    }
    const int error = socket.impl()->socketError();
    if (error != 0) {
      return Status::Error(
          "connect", std::error_code(error, std::system_category()).message());
    }
    socket.setBlocking(true);
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const Poco::Timespan limit(std::chrono::microseconds(timeout).count());
    socket.setSendTimeout(limit);
    socket.setReceiveTimeout(limit);  // for the response headers
    // Poco's comment says the socket must not be connected yet; its code
    // (1.11) only reconnects sockets that are not, which is what we rely on.
    session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
    return Status::OK();
  }

  const std::string url;  // without credentials
  Poco::Net::StreamSocket socket;
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  Poco::Net::HTTPResponse response;
  std::istream* body = nullptr;  // owned by `session`

 private:
  EventStream* const owner_;
};

// EventStream ----------------------------------------------------------------

EventStream::EventStream(EventStreamOptions options)
    : options_(std::move(options)) {}

EventStream::~EventStream() { UnregisterSocket(); }

void EventStream::RegisterSocket(int fd) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    Log().warning("event stream: dup() failed; Stop() will wait for a timeout");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (interrupt_fd_ >= 0) {
    ::close(interrupt_fd_);
  }
  interrupt_fd_ = copy;
  if (copy >= 0 && stop_.load()) {
    ::shutdown(copy, SHUT_RDWR);
  }
}

void EventStream::UnregisterSocket() {
  std::lock_guard<std::mutex> lock(mu_);
  if (interrupt_fd_ >= 0) {
    ::close(interrupt_fd_);
    interrupt_fd_ = -1;
  }
}

void EventStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    // Wakes a blocked connect, recv or header read in the Run() thread; the
    // socket then reports EOF or an error.
    if (interrupt_fd_ >= 0) {
      ::shutdown(interrupt_fd_, SHUT_RDWR);
    }
  }
  cv_.notify_all();
}

bool EventStream::SleepUnlessStopped(milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, duration, [this] { return stop_.load(); });
}

EventStreamStatus EventStream::GetStatus() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool EventStream::Subscribed(const std::string& event_type) const {
  return options_.event_types.empty() ||
         std::find(options_.event_types.begin(), options_.event_types.end(),
                   event_type) != options_.event_types.end();
}

Status EventStream::Run(const EventStreamCallbacks& callbacks) {
  if (options_.urls.empty()) {
    return Status::Error("event stream: no Marathon URL given");
  }
  for (const std::string& url : options_.urls) {
    try {
      if (Poco::URI(url).getScheme() != "http") {
        return Status::Error(url, "only http:// URLs are supported");
      }
    } catch (const Poco::Exception& e) {
      return Status::Error(url, "not a URL: " + e.displayText());
    }
  }
  std::mt19937_64 random(std::random_device{}());
  milliseconds window = options_.initial_backoff;
  // Exactly one round-robin step per attempt (marathon-lb's ecaefae fixed a
  // double step that kept two Marathons on the same, possibly dead, one).
  for (size_t attempt = 0; !Stopping(); ++attempt) {
    const std::string& base = options_.urls[attempt % options_.urls.size()];
    const auto started = SteadyTime::now();
    bool idle = false;
    const Status reason = RunSession(base, callbacks, &idle);
    if (Stopping()) {
      break;
    }
    if (SteadyTime::now() - started > options_.backoff_reset_after) {
      window = options_.initial_backoff;
    }
    if (idle) {
      Log().warning(reason.message() + "; reconnecting now");
      continue;
    }
    std::uniform_int_distribution<milliseconds::rep> pick(
        0, std::max<milliseconds::rep>(window.count() - 1, 0));
    const milliseconds wait(pick(random));
    window = std::min(window * 3 / 2, options_.max_backoff);
    Log().warning(reason.message() + "; reconnecting in " + Ms(wait));
    if (!SleepUnlessStopped(wait)) {
      break;
    }
  }
  return Status::OK();
}

Status EventStream::RunSession(const std::string& base,
                               const EventStreamCallbacks& callbacks,
                               bool* idle) {
  std::unique_ptr<Connection> connection;
  Status opened = Open(base, &connection);
  if (!opened.ok()) {
    if (Stopping()) {
      return opened;  // not a failure of the URL
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.failed_attempts;
    status_.last_error = opened.message();
    return opened;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.connected = true;
    status_.url = connection->url;
    status_.connected_since = std::chrono::system_clock::now();
    if (++status_.connections > 1) {
      ++status_.reconnects;
    }
  }
  Log().information("event stream connected: " + connection->url);
  if (callbacks.on_connected) {
    callbacks.on_connected(connection->url);
  }
  Status reason = ReadEvents(*connection, callbacks, idle);
  connection.reset();  // closed before anyone hears about it
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.connected = false;
    status_.connected_since.reset();
    status_.last_error = reason.message();
  }
  if (callbacks.on_disconnected) {
    callbacks.on_disconnected(reason);
  }
  return reason;
}

Status EventStream::Open(const std::string& base,
                         std::unique_ptr<Connection>* out) {
  std::string url = base;
  try {
    std::string user = options_.user;
    std::string password = options_.password;
    if (user.empty()) {
      const std::string info = Poco::URI(base).getUserInfo();
      const size_t colon = info.find(':');
      user = info.substr(0, colon);
      password = colon == std::string::npos ? "" : info.substr(colon + 1);
    }
    Poco::URI uri = EventsUri(base, options_.event_types);
    for (int redirects = 0;; ++redirects) {
      url = uri.toString();
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.url = url;
      }
      if (uri.getScheme() != "http") {
        return Status::Error("GET " + url, "only http:// URLs are supported");
      }
      auto connection = std::make_unique<Connection>(this, url);
      MLB_RETURN_IF_ERROR(connection->Connect(uri, options_.connect_timeout)
                              .WithContext("GET " + url));

      std::string target = uri.getPathAndQuery();
      if (target.empty() || target[0] != '/') {
        target.insert(0, "/");
      }
      Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target,
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.setHost(uri.getHost(), uri.getPort());
      request.set("Accept", "text/event-stream");
      request.set("Cache-Control", "no-cache");
      request.set("User-Agent", "marathon-lb");
      // No Accept-Encoding: Poco would not inflate the stream.
      if (!user.empty()) {
        // Sent to every host we are redirected to (marathon-lb 830a66c).
        Poco::Net::HTTPBasicCredentials(user, password).authenticate(request);
      }
      connection->session->sendRequest(request);
      std::istream& body =
          connection->session->receiveResponse(connection->response);

      const int code = connection->response.getStatus();
      const std::string status_line = "HTTP " + std::to_string(code) + " " +
                                      connection->response.getReason();
      if (IsRedirect(code)) {
        const std::string location = connection->response.get("Location", "");
        if (location.empty()) {
          return Status::Error("GET " + url,
                               status_line + " without a Location header");
        }
        if (redirects >= options_.max_redirects) {
          return Status::Error("GET " + url,
                               "more than " +
                                   std::to_string(options_.max_redirects) +
                                   " redirects");
        }
        uri.resolve(location);
        uri.setUserInfo("");
        Log().information("GET " + url + ": " + status_line + " to " +
                          uri.toString());
        continue;
      }
      if (code != Poco::Net::HTTPResponse::HTTP_OK) {
        return Status::Error("GET " + url, status_line);
      }
      // From now on the receive timeout is the idle timeout: any byte,
      // keep-alive comments included, restarts it.
      connection->socket.setReceiveTimeout(Poco::Timespan(
          std::chrono::microseconds(options_.idle_timeout).count()));
      connection->body = &body;
      *out = std::move(connection);
      return Status::OK();
    }
  } catch (const Poco::Exception& e) {
    return Status::Error("GET " + url,
                         Stopping() ? "stopped" : e.displayText());
  } catch (const std::exception& e) {
    return Status::Error("GET " + url, Stopping() ? "stopped" : e.what());
  }
}

Status EventStream::ReadEvents(Connection& connection,
                               const EventStreamCallbacks& callbacks,
                               bool* idle) {
  const std::string context = "GET " + connection.url;
  // Straight from the stream buffer: its exceptions (Poco::TimeoutException
  // for the idle timeout) reach us instead of being turned into badbit.
  std::streambuf* in = connection.body->rdbuf();
  SseParser parser;
  SseEvent event;
  std::string line;
  size_t event_bytes = 0;
  bool after_cr = false;
  try {
    for (;;) {
      const int c = in->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        return Status::Error(
            context, Stopping() ? "stopped" : "stream closed by the server");
      }
      // Lines end with LF, CR or CRLF.
      if (c == '\n' && after_cr) {
        after_cr = false;
        continue;
      }
      after_cr = c == '\r';
      if (c == '\n' || c == '\r') {
        if (line.empty()) {
          event_bytes = 0;
        }
        if (parser.FeedLine(line, &event)) {
          Dispatch(connection.url, event, callbacks);
        }
        line.clear();
        continue;
      }
      if (++event_bytes > kMaxEventBytes) {
        return Status::Error(
            context,
            "event larger than " + std::to_string(kMaxEventBytes) + " bytes");
      }
      line.push_back(static_cast<char>(c));
    }
  } catch (const Poco::TimeoutException&) {
    *idle = true;
    return Status::Error(context, "no data for " + Ms(options_.idle_timeout) +
                                      " (idle timeout)");
  } catch (const Poco::Exception& e) {
    return Status::Error(context, Stopping() ? "stopped" : e.displayText());
  } catch (const std::exception& e) {
    return Status::Error(context, Stopping() ? "stopped" : e.what());
  }
}

void EventStream::Dispatch(const std::string& url, const SseEvent& event,
                           const EventStreamCallbacks& callbacks) {
  std::vector<std::string> problems;
  const std::vector<std::string> types =
      EventTypesInData(event.data, &problems);
  for (const std::string& problem : problems) {
    Log().warning(url + ": skipping event data: " + problem);
  }
  for (const std::string& type : types) {
    if (!Subscribed(type)) {
      Log().debug(url + ": ignoring " + type);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++status_.events;
      status_.last_event_time = std::chrono::system_clock::now();
    }
    if (callbacks.on_event) {
      callbacks.on_event(type);
    }
  }
}

}  // namespace mlb
