// One HTTP request from a test to a server on this machine, on a new
// connection closed afterwards, and its response. Header-only, Poco only
// (the simulator's tests link no part of marathon-lb).
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <istream>
#include <string>
#include <utility>
#include <vector>

namespace mlb::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no HTTP response; `error` says why
  std::string error;
  std::string body;
  HttpHeaders headers;

  // All values of header `name` (case-insensitive), in order.
  std::vector<std::string> HeaderValues(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [key, value] : headers) {
      if (strcasecmp(key.c_str(), name.c_str()) == 0) {
        out.push_back(value);
      }
    }
    return out;
  }
  bool HasHeader(const std::string& name) const {
    return !HeaderValues(name).empty();
  }
  // The first value of header `name`, or "".
  std::string Header(const std::string& name) const {
    const std::vector<std::string> values = HeaderValues(name);
    return values.empty() ? "" : values.front();
  }
  // The name tools/echo_backend answers with (its X-Backend header), or "".
  std::string Backend() const { return Header("X-Backend"); }
  std::string Describe() const {
    if (status == 0) {
      return "no response: " + error;
    }
    std::string out = "HTTP " + std::to_string(status);
    for (const auto& [key, value] : headers) {
      out += "\n  " + key + ": " + value;
    }
    return out + "\n  body: " + body;
  }
};

// `method` `path` to ip:port with `headers` added (a "Host" among them
// replaces the default, ip:port). `body` is sent as application/json when it
// is not empty or the method is POST or PUT. `timeout` bounds the connect,
// the send and each receive. A failure to connect, send or receive gives
// status 0 and the error.
inline HttpResponse HttpCall(
    const std::string& method, const std::string& ip, int port,
    const std::string& path, const std::string& body = "",
    const HttpHeaders& headers = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  HttpResponse out;
  try {
    Poco::Net::HTTPClientSession session(ip, static_cast<Poco::UInt16>(port));
    const Poco::Timespan span(static_cast<long>(timeout.count() / 1000),
                              static_cast<long>(timeout.count() % 1000) * 1000);
    session.setTimeout(span, span, span);
    session.setKeepAlive(false);
    Poco::Net::HTTPRequest request(method, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(false);
    for (const auto& [name, value] : headers) {
      request.add(name, value);
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, out.body);
    out.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
      out.headers.emplace_back(name, value);
    }
  } catch (const Poco::Exception& e) {
    out.status = 0;
    out.error = e.displayText();
  }
  return out;
}

// A peer that never takes its answer: a connection to 127.0.0.1:port with
// a small receive buffer that has sent `request` and reads nothing. Its
// descriptor (the caller closes it), or -1 if it could not connect or send.
inline int SendAndStall(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  const int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      write(fd, request.data(), request.size()) !=
          static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace mlb::testing
