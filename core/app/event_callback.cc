#include "core/app/event_callback.h"

#include <chrono>
#include <optional>
#include <sstream>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include "core/base/logging.h"

namespace mlb {
namespace {

// The value of parameter `name` in a URL query ("a=1&secret=x"),
// percent-decoded; "" if absent.
std::string QueryValue(const std::string& query, const std::string& name) {
  std::istringstream in(query);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string::npos) {
      continue;
    }
    std::string value;
    try {
      Poco::URI::decode(pair.substr(eq + 1), value);
    } catch (const Poco::Exception&) {
      return "";
    }
    return value;
  }
  return "";
}

// Answers Marathon's event POSTs. Runs on the HttpServer's one thread.
class CallbackHandler {
 public:
  CallbackHandler(std::string secret,
                  EventHandler on_event)
      : secret_(std::move(secret)), on_event_(std::move(on_event)) {}

  ServerReply operator()(const ServerRequest& req) {
    if (req.method != "POST") {
      return Refuse(
          req, TextReply(405, "marathon-lb takes Marathon events as POST\n"));
    }
    if (!secret_.empty() &&
        !SameSecret(QueryValue(req.query, kCallbackSecretParameter), secret_)) {
      return Refuse(
          req,
          TextReply(403, "the callback URL's secret is missing or wrong\n"));
    }
    int bad = 0;
    std::vector<std::string> documents;
    const std::vector<std::string> types =
        EventTypes(req.body, &bad, &documents);
    if (types.empty() || bad > 0) {
      return Refuse(
          req, TextReply(400,
                         "not a Marathon event: expected JSON objects with "
                         "a string eventType, one per line\n"));
    }
    for (size_t i = 0; i < types.size(); ++i) {
      if (IsRegenerationEvent(types[i])) {
        on_event_(types[i], documents[i]);
      }
    }
    return TextReply(200, "Got it\n");
  }

 private:
  // Logs refusals at most once a minute, so that a flood does not flood the
  // log: the first one, then a count with the last reason.
  ServerReply Refuse(const ServerRequest& req, ServerReply reply) {
    ++refused_;
    const auto now = std::chrono::steady_clock::now();
    if (!last_log_ || now - *last_log_ >= std::chrono::minutes(1)) {
      std::string reason = reply.body;
      reason.pop_back();  // its newline
      Log().warning("event callback: refused " + std::to_string(refused_) +
                    " request(s) since the last message; the last from " +
                    req.peer + ": " + std::to_string(reply.status) + " " +
                    reason);
      refused_ = 0;
      last_log_ = now;
    }
    return reply;
  }

  const std::string secret_;
  const EventHandler on_event_;
  size_t refused_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_log_;
};

std::string Encode(const std::string& url) {
  std::string out;
  Poco::URI::encode(url, ":/?#[]@!$&'()*+,;=", out);
  return out;
}

// The secret, as is and in both encodings a subscription request's path
// carries it, replaced by "<secret>" in `text`.
std::string HideSecret(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  const std::string once =
      CallbackUrlWithSecret("", secret).substr(sizeof("?secret=") - 1);
  for (const std::string& form : {Encode(once), once, secret}) {
    for (size_t at = text.find(form); at != std::string::npos;
         at = text.find(form, at)) {
      text.replace(at, form.size(), "<secret>");
    }
  }
  return text;
}

Status Subscription(MarathonClient& marathon, const std::string& method,
                    const std::string& url, const std::string& secret) {
  std::string response, source;
  const Status s =
      marathon.Request(method,
                       "/v2/eventSubscriptions?callbackUrl=" +
                           Encode(CallbackUrlWithSecret(url, secret)),
                       "", &response, &source);
  return s.ok() ? s : Status::Error(HideSecret(s.message(), secret));
}

}  // namespace

bool IsRegenerationEvent(const std::string& event_type) {
  return event_type == "status_update_event" ||
         event_type == "health_status_changed_event" ||
         event_type == "api_post_event" ||
         event_type == "app_terminated_event";
}

std::vector<std::string> EventTypes(const std::string& payload, int* bad,
                                    std::vector<std::string>* documents) {
  std::vector<std::string> types;
  std::istringstream in(payload);
  std::string document;
  // One JSON document per line (CRLF or LF); a single pretty-printed
  // document spanning lines is tried whole first.
  auto type_of = [](const std::string& text, std::string* type) {
    try {
      // Poco's parser refuses nesting deeper than 128 levels.
      Poco::JSON::Parser parser;
      Poco::Dynamic::Var v = parser.parse(text);
      Poco::JSON::Object::Ptr obj = v.extract<Poco::JSON::Object::Ptr>();
      const Poco::Dynamic::Var t = obj->get("eventType");
      if (!t.isString()) {
        return false;
      }
      *type = t.extract<std::string>();
      return !type->empty();
    } catch (const Poco::Exception&) {
      return false;
    } catch (const std::exception&) {
      return false;
    }
  };
  std::string type;
  if (type_of(payload, &type)) {
    types.push_back(type);
    if (documents != nullptr) {
      documents->push_back(payload);
    }
    return types;
  }
  while (std::getline(in, document)) {
    if (!document.empty() && document.back() == '\r') {
      document.pop_back();
    }
    if (document.find_first_not_of(" \t") == std::string::npos) {
      continue;
    }
    if (type_of(document, &type)) {
      types.push_back(type);
      if (documents != nullptr) {
        documents->push_back(document);
      }
    } else {
      ++*bad;
    }
  }
  return types;
}

std::string CallbackUrlWithSecret(const std::string& url,
                                  const std::string& secret) {
  if (secret.empty()) {
    return url;
  }
  std::string encoded;
  // Everything but unreserved characters (RFC 3986 2.3) is encoded.
  Poco::URI::encode(secret, "!#$&'()*+,/:;=?@[]%\"<>\\^`{|} ", encoded);
  const size_t fragment = url.find('#');
  const std::string base = url.substr(0, fragment);
  return base + (base.find('?') == std::string::npos ? "?" : "&") +
         kCallbackSecretParameter + "=" + encoded +
         (fragment == std::string::npos ? "" : url.substr(fragment));
}

Status EventCallbackServer::Start(
    CallbackOptions options, EventHandler on_event,
    std::unique_ptr<EventCallbackServer>* out) {
  const std::string& listen_url = options.listen_url;
  // Poco::URI refuses port 0, which tests and "pick a port" need.
  constexpr char kScheme[] = "http://";
  if (listen_url.rfind(kScheme, 0) != 0) {
    return Status::Error("callback URL " + listen_url,
                         "only http:// is supported");
  }
  const size_t start = sizeof(kScheme) - 1;
  const std::string authority =
      listen_url.substr(start, listen_url.find_first_of("/?#", start) - start);
  // "host", "host:port", "[v6]", "[v6]:port"; port 80 by default.
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  const bool has_port = colon != std::string::npos &&
                        (bracket == std::string::npos || colon > bracket);
  const std::string address = has_port ? authority : authority + ":80";
  std::unique_ptr<EventCallbackServer> server(new EventCallbackServer());
  MLB_RETURN_IF_ERROR(HttpServer::Start(
      "callback URL " + listen_url, address, options.limits,
      CallbackHandler(options.secret, std::move(on_event)), &server->server_));
  server->port_ = server->server_->port();
  *out = std::move(server);
  return Status::OK();
}

Status EventCallbackServer::Start(
    const std::string& listen_url,
    EventHandler on_event,
    std::unique_ptr<EventCallbackServer>* out) {
  CallbackOptions options;
  options.listen_url = listen_url;
  return Start(std::move(options), std::move(on_event), out);
}

EventCallbackServer::~EventCallbackServer() = default;

Status RegisterCallback(MarathonClient& marathon, const std::string& url,
                        const std::string& secret) {
  return Subscription(marathon, "POST", url, secret);
}

Status UnregisterCallback(MarathonClient& marathon, const std::string& url,
                          const std::string& secret) {
  return Subscription(marathon, "DELETE", url, secret);
}

}  // namespace mlb
