#include "tools/marathon_sim/endpoint.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/Socket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstddef>
#include <ios>
#include <sstream>

#include "tools/marathon_sim/json.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

constexpr char kJsonContentType[] = "application/json; charset=utf-8";
// Largest request body accepted on /_sim and /v2 endpoints.
constexpr std::size_t kMaxBodyBytes = 64 << 20;

// Whether an Accept-Encoding value lists gzip (or x-gzip) without "q=0".
bool AcceptsGzip(const std::string& accept_encoding) {
  std::istringstream in(accept_encoding);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::string lower;
    for (char c : item) {
      if (c != ' ' && c != '\t') {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    const std::string coding = lower.substr(0, lower.find(';'));
    const std::size_t q = lower.find(";q=");
    const bool refused =
        q != std::string::npos && std::atof(lower.c_str() + q + 3) == 0.0;
    if ((coding == "gzip" || coding == "x-gzip") && !refused) return true;
  }
  return false;
}

// The connection under a server request, or nullptr.
Poco::Net::StreamSocket* RequestSocket(HTTPServerRequest& request) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  return impl != nullptr ? &impl->socket() : nullptr;
}

}  // namespace

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

void Endpoint::handleRequest(HTTPServerRequest& request,
                             HTTPServerResponse& response) {
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

bool Endpoint::Embeds(const std::vector<std::string>& values) const {
  for (const auto& [key, value] : match_.query) {
    if (key != "embed") continue;
    for (const std::string& v : values) {
      if (value == v) return true;
    }
  }
  return false;
}

std::string Endpoint::QueryValue(const std::string& key, bool* present) const {
  for (const auto& [k, value] : match_.query) {
    if (k == key) {
      if (present != nullptr) *present = true;
      return value;
    }
  }
  if (present != nullptr) *present = false;
  return "";
}

bool Endpoint::LoadState(HTTPServerRequest& request,
                         HTTPServerResponse& response, State* state) {
  std::string error;
  if (context_.state.Load(state, &error)) return true;
  SendMessage(request, response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
              error);
  return false;
}

bool Endpoint::ReadBody(HTTPServerRequest& request,
                        HTTPServerResponse& response, std::string* body) {
  if (request.getContentLength() >
      static_cast<std::streamsize>(kMaxBodyBytes)) {
    SendMessage(
        request, response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE,
        "request body larger than " + std::to_string(kMaxBodyBytes) + " bytes");
    return false;
  }
  Poco::StreamCopier::copyToString(request.stream(), *body);
  return true;
}

void Endpoint::Send(HTTPServerRequest& request, HTTPServerResponse& response,
                    HTTPResponse::HTTPStatus status, const std::string& type,
                    const std::string& body) {
  response.setStatusAndReason(status);
  response.setContentType(type);
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  LogRequest(request, status);
  response.sendBuffer(body.data(), body.size());
}

void Endpoint::SendJson(HTTPServerRequest& request,
                        HTTPServerResponse& response,
                        HTTPResponse::HTTPStatus status,
                        const Poco::Dynamic::Var& body) {
  SendJsonText(request, response, status, ToJson(body));
}

void Endpoint::SendJsonText(HTTPServerRequest& request,
                            HTTPServerResponse& response,
                            HTTPResponse::HTTPStatus status,
                            const std::string& json) {
  Send(request, response, status, kJsonContentType, json);
}

void Endpoint::SendJsonMaybeGzip(HTTPServerRequest& request,
                                 HTTPServerResponse& response,
                                 HTTPResponse::HTTPStatus status,
                                 const Poco::Dynamic::Var& body) {
  const std::string json = ToJson(body);
  if (!WantsGzip(request)) {
    SendJsonOrGzipped(request, response, status, json, nullptr);
    return;
  }
  const std::string gzipped = Gzip(json);
  SendJsonOrGzipped(request, response, status, json, &gzipped);
}

bool Endpoint::WantsGzip(const HTTPServerRequest& request) const {
  return context_.gzip && AcceptsGzip(request.get("Accept-Encoding", ""));
}

std::string Endpoint::Gzip(const std::string& text) {
  std::ostringstream compressed;
  {
    Poco::DeflatingOutputStream deflate(compressed,
                                        Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflate << text;
    deflate.close();
  }
  return compressed.str();
}

void Endpoint::SendJsonOrGzipped(HTTPServerRequest& request,
                                 HTTPServerResponse& response,
                                 HTTPResponse::HTTPStatus status,
                                 const std::string& json,
                                 const std::string* gzipped) {
  if (gzipped == nullptr) {
    context_.stats.CountAppsAnswer(false, json.size(), json.size());
    Send(request, response, status, kJsonContentType, json);
    return;
  }
  context_.stats.CountAppsAnswer(true, json.size(), gzipped->size());
  response.set("Content-Encoding", "gzip");
  response.set("Vary", "Accept-Encoding");
  Send(request, response, status, kJsonContentType, *gzipped);
}

void Endpoint::SendMessage(HTTPServerRequest& request,
                           HTTPServerResponse& response,
                           HTTPResponse::HTTPStatus status,
                           const std::string& message) {
  Object::Ptr body = new Object;
  body->set("message", message);
  SendJson(request, response, status, body);
}

void Endpoint::LogRequest(const HTTPServerRequest& request, int status) {
  const std::string accept = request.get("Accept-Encoding", "");
  LogLine(std::string(kProgram) + ": " + request.clientAddress().toString() +
          " " + request.getMethod() + " " + request.getURI() + " " +
          std::to_string(status) +
          (accept.empty() ? "" : " (Accept-Encoding: " + accept + ")"));
}

std::string Endpoint::ExceptionText(const std::exception& e) {
  if (const auto* pe = dynamic_cast<const Poco::Exception*>(&e)) {
    return pe->displayText();
  }
  return e.what();
}

}  // namespace mlb::tools::sim
