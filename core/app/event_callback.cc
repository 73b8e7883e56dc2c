#include "core/app/event_callback.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

#include "core/base/logging.h"

namespace mlb {
namespace {

using Poco::Net::HTTPResponse;

class CallbackHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit CallbackHandler(const std::function<void(const std::string&)>* cb)
      : on_event_(cb) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    if (req.getMethod() != "POST") {
      res.setStatus(HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
      res.send() << "marathon-lb takes Marathon events as POST\n";
      return;
    }
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    int bad = 0;
    for (const std::string& type : EventTypes(body, &bad)) {
      if (IsRegenerationEvent(type)) {
        (*on_event_)(type);
      }
    }
    if (bad > 0) {
      Log().warning("event callback: " + std::to_string(bad) +
                    " malformed event(s) from " +
                    req.clientAddress().toString() + " ignored");
    }
    res.setContentType("text/plain");
    res.send() << "Got it\n";
  }

 private:
  const std::function<void(const std::string&)>* on_event_;
};

class CallbackFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit CallbackFactory(std::function<void(const std::string&)> cb)
      : on_event_(std::move(cb)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new CallbackHandler(&on_event_);
  }

 private:
  std::function<void(const std::string&)> on_event_;
};

std::string Encode(const std::string& url) {
  std::string out;
  Poco::URI::encode(url, ":/?#[]@!$&'()*+,;=", out);
  return out;
}

}  // namespace

bool IsRegenerationEvent(const std::string& event_type) {
  return event_type == "status_update_event" ||
         event_type == "health_status_changed_event" ||
         event_type == "api_post_event";
}

std::vector<std::string> EventTypes(const std::string& payload, int* bad) {
  std::vector<std::string> types;
  std::istringstream in(payload);
  std::string document;
  // One JSON document per line (CRLF or LF); a single pretty-printed
  // document spanning lines is tried whole first.
  auto type_of = [](const std::string& text, std::string* type) {
    try {
      Poco::JSON::Parser parser;
      Poco::Dynamic::Var v = parser.parse(text);
      Poco::JSON::Object::Ptr obj = v.extract<Poco::JSON::Object::Ptr>();
      *type = obj->optValue<std::string>("eventType", "");
      return true;
    } catch (const Poco::Exception&) {
      return false;
    } catch (const std::exception&) {
      return false;
    }
  };
  std::string type;
  if (type_of(payload, &type)) {
    types.push_back(type);
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
    } else {
      ++*bad;
    }
  }
  return types;
}

Status EventCallbackServer::Start(
    const std::string& listen_url,
    std::function<void(const std::string&)> on_event,
    std::unique_ptr<EventCallbackServer>* out) {
  std::unique_ptr<EventCallbackServer> server(new EventCallbackServer());
  try {
    // Poco::URI refuses port 0, which tests and "pick a port" need.
    constexpr char kScheme[] = "http://";
    if (listen_url.rfind(kScheme, 0) != 0) {
      return Status::Error("callback URL " + listen_url,
                           "only http:// is supported");
    }
    const std::string authority = listen_url.substr(
        sizeof(kScheme) - 1, listen_url.find('/', sizeof(kScheme) - 1) -
                                 (sizeof(kScheme) - 1));
    const size_t colon = authority.rfind(':');
    const std::string host = authority.substr(0, colon);
    const std::string port =
        colon == std::string::npos ? "80" : authority.substr(colon + 1);
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(host, port), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(64);
    server->port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    server->server_ = std::make_unique<Poco::Net::HTTPServer>(
        new CallbackFactory(std::move(on_event)), socket, params);
    server->server_->start();
  } catch (const Poco::Exception& e) {
    return Status::Error("callback URL " + listen_url, e.displayText());
  }
  *out = std::move(server);
  return Status::OK();
}

EventCallbackServer::~EventCallbackServer() {
  if (server_) {
    server_->stopAll(true);
  }
}

Status RegisterCallback(MarathonClient& marathon, const std::string& url) {
  std::string response, source;
  return marathon.Request("POST", "/v2/eventSubscriptions?callbackUrl=" +
                                      Encode(url),
                          "", &response, &source);
}

Status UnregisterCallback(MarathonClient& marathon, const std::string& url) {
  std::string response, source;
  return marathon.Request("DELETE", "/v2/eventSubscriptions?callbackUrl=" +
                                        Encode(url),
                          "", &response, &source);
}

}  // namespace mlb
