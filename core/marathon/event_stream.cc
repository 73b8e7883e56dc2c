#include "core/marathon/event_stream.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <exception>
#include <istream>
#include <random>
#include <typeinfo>
#include <utility>

#include "core/base/logging.h"
#include "core/base/text.h"

namespace mlb {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock;

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

// <base>/v2/events?plan-format=light&event_type=..., with the base's user
// info (credentials, when the options give none).
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
  return uri;
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
                                          std::vector<std::string>* problems,
                                          std::vector<std::string>* documents) {
  std::vector<std::string> types;
  if (IsBlank(data)) {
    return types;
  }
  std::string type;
  std::string problem;
  // One document, possibly spread over several lines...
  if (EventTypeOf(data, &type, &problem)) {
    types.push_back(type);
    if (documents != nullptr) {
      documents->push_back(data);
    }
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
        if (documents != nullptr) {
          documents->push_back(piece);
        }
      } else if (problems != nullptr) {
        problems->push_back(problem);
      }
    }
    start = end + 1;
  }
  return types;
}

// EventStream ----------------------------------------------------------------

EventStream::EventStream(EventStreamOptions options)
    : options_(std::move(options)), http_(HttpOptions()) {}

HttpClientOptions EventStream::HttpOptions() {
  HttpClientOptions http;
  http.user = options_.user;
  http.password = options_.password;
  // marathon-lb 830a66c sent them to every host it was redirected to; here
  // only to the hosts of the --marathon list (a non-leader redirects to the
  // leader), and never from https:// to plain http:// (issue 12, item 9).
  http.credentials_to_other_hosts = false;
  http.credentials_to_plain_http = false;
  for (const std::string& url : options_.urls) {
    const std::string host = HostAndPortOf(url);
    if (!host.empty()) {
      http.credential_hosts.push_back(host);
    }
  }
  http.max_redirects = options_.max_redirects;
  http.connect_timeout = options_.connect_timeout;
  http.read_timeout = options_.connect_timeout;  // for the headers
  // ... and their sum: the body has no end, so no total timeout here.
  http.head_timeout = options_.head_timeout;
  http.head_timeout_flag = "--marathon-total-timeout";
  // From the headers on: any byte, keep-alive comments included, restarts it.
  http.body_read_timeout = options_.idle_timeout;
  http.ca_file = options_.ca_cert;
  http.on_redirect = [this](const std::string& from,
                            const std::string& status_line,
                            const std::string& to) {
    Log().information("GET " + from + ": " + status_line + " to " + to);
    std::lock_guard<std::mutex> lock(mu_);
    status_.url = to;
  };
  http.cancel = &cancel_;
  return http;
}

EventStream::~EventStream() = default;

void EventStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  // Wakes a blocked connect, handshake, header or body read in the Run()
  // thread; the exchange then ends as "stopped".
  cancel_.Cancel();
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
      const std::string scheme = Poco::URI(url).getScheme();
      if (scheme != "http" && scheme != "https") {
        return Status::Error(RedactUrl(url),
                             "only http:// and https:// URLs are supported");
      }
    } catch (const Poco::Exception& e) {
      return Status::Error(RedactUrl(url),
                           "not a URL: " + RedactUrl(e.displayText()));
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
      Log().warning(RedactUrl(reason.message()) + "; reconnecting now");
      continue;
    }
    std::uniform_int_distribution<milliseconds::rep> pick(
        0, std::max<milliseconds::rep>(window.count() - 1, 0));
    const milliseconds wait(pick(random));
    window = std::min(window * 3 / 2, options_.max_backoff);
    Log().warning(RedactUrl(reason.message()) + "; reconnecting in " +
                  Ms(wait));
    if (!SleepUnlessStopped(wait)) {
      break;
    }
  }
  return Status::OK();
}

Status EventStream::RunSession(const std::string& base,
                               const EventStreamCallbacks& callbacks,
                               bool* idle) {
  HttpRequest request;
  request.url = EventsUri(base, options_.event_types).toString();
  // No Accept-Encoding (accept_gzip unset): the stream is read as it
  // comes, event by event.
  request.headers = {{"Accept", "text/event-stream"},
                     {"Cache-Control", "no-cache"}};
  {
    Poco::URI shown(request.url);
    shown.setUserInfo("");
    std::lock_guard<std::mutex> lock(mu_);
    status_.url = shown.toString();
  }
  bool connected = false;
  HttpResponse response;
  const HttpBodyReader read = [&](const HttpResponse& answer,
                                  std::istream& body) {
    connected = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.connected = true;
      status_.url = answer.url;
      status_.connected_since = std::chrono::system_clock::now();
      if (++status_.connections > 1) {
        ++status_.reconnects;
      }
    }
    Log().information("event stream connected: " + answer.url);
    if (callbacks.on_connected) {
      callbacks.on_connected(answer.url);
    }
    return ReadEvents(body, answer.url, callbacks, idle);
  };
  // A DC/OS login failure says where it failed: it ends the attempt as it
  // is.
  Status login;
  if (options_.dcos_auth != nullptr) {
    login = options_.dcos_auth->Authorization(&request.authorization, &cancel_);
  }
  Status ended = login.ok() ? http_.Send(request, read, &response) : login;
  if (ended.ok() && !connected && response.status == 401 &&
      options_.dcos_auth != nullptr) {
    // The token expired early or was revoked: one new login, one more try.
    Log().warning("GET " + response.url + ": " + response.StatusLine() +
                  "; logging in to DC/OS again");
    login = options_.dcos_auth->Renew(request.authorization,
                                      &request.authorization, &cancel_);
    ended = login.ok() ? http_.Send(request, read, &response) : login;
  }
  if (!connected) {
    const Status failed =
        !login.ok() ? login
                    : Status::Error("GET " + response.url,
                                    ended.ok() ? response.StatusLine()
                                               : ended.message());
    if (Stopping()) {
      return failed;  // not a failure of the URL
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.failed_attempts;
    status_.last_error = failed.message();
    return failed;
  }
  // The connection is closed by now, before anyone hears about it.
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.connected = false;
    status_.connected_since.reset();
    status_.last_error = ended.message();
  }
  if (callbacks.on_disconnected) {
    callbacks.on_disconnected(ended);
  }
  return ended;
}

Status EventStream::ReadEvents(std::istream& body, const std::string& url,
                               const EventStreamCallbacks& callbacks,
                               bool* idle) {
  const std::string context = "GET " + url;
  // Straight from the stream buffer: its exceptions (Poco::TimeoutException
  // for the idle timeout) reach us instead of being turned into badbit.
  std::streambuf* in = body.rdbuf();
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
          Dispatch(url, event, callbacks);
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
  std::vector<std::string> documents;
  const std::vector<std::string> types =
      EventTypesInData(event.data, &problems, &documents);
  for (const std::string& problem : problems) {
    Log().warning(url + ": skipping event data: " + problem);
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string& type = types[i];
    if (!Subscribed(type)) {
      MLB_LOG(debug, url + ": ignoring " + type);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++status_.events;
      status_.last_event_time = std::chrono::system_clock::now();
    }
    if (callbacks.on_event) {
      callbacks.on_event(type, documents[i]);
    }
  }
}

}  // namespace mlb
