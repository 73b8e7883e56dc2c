// A small HTTP/1.1 server for marathon-lb's own listeners (the admin
// address, event mode's callback URL), built so that misbehaving peers cannot
// take it away from a health checker or from Marathon.
//
// One thread runs a poll(2) loop over every connection. It reads each request
// whole before anything else happens — the head at most `max_head_bytes`,
// the body at most `max_body_bytes`, all of it before `read_deadline` — then
// calls the handler with the complete request and writes the reply without
// blocking, all of it before `write_deadline`. A peer that sends slowly, sends
// too much or never reads its answer costs one descriptor and some memory for
// a bounded time, never a thread: the next request is served at once. One
// request per connection (the reply says "Connection: close").
//
// The handler runs on the loop thread, so it must be quick (no network, no
// long computation): it answers from memory or a local file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace mlb {

struct ServerRequest {
  std::string method;  // "GET", as sent
  std::string target;  // "/path?query", as sent
  std::string path;    // target up to '?'
  std::string query;   // after '?', undecoded; "" if none
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;
  std::string peer;  // "127.0.0.1:40000"

  // The first value of header `name` (case-insensitive), or `fallback`.
  std::string Header(const std::string& name,
                     const std::string& fallback = "") const;
};

struct ServerReply {
  int status = 200;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
  std::string body;
  // When set, the body instead of `body`: an immutable text that many
  // replies share (the live config to every reader of it), written from
  // where it is instead of copied into each connection.
  std::shared_ptr<const std::string> shared_body;
};

// A text/plain reply.
inline ServerReply TextReply(int status, std::string body) {
  ServerReply reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

struct HttpServerLimits {
  // The request line and the headers; more: 431.
  size_t max_head_bytes = 16 * 1024;
  // The body (Content-Length or chunked); more: 413. A POST or PUT with
  // neither header: 411.
  size_t max_body_bytes = 1 << 20;
  // From the connection's accept to the request's last byte; then 408.
  std::chrono::milliseconds read_deadline{5000};
  // From the handler's reply to its last byte taken by the peer; then the
  // connection is closed.
  std::chrono::milliseconds write_deadline{10000};
  // Open connections. At the cap, a new connection always gets in and one
  // open connection goes, the first found of: the oldest that has its
  // answer (lingering for the peer's close), the oldest still being
  // answered (a peer that does not read), the oldest still sending its
  // request. So no kind of peer can hold every slot, and a health checker
  // or Marathon, who send at once, are answered.
  size_t max_connections = 64;
};

// Whether `given` equals the secret `wanted`, in a time that does not tell
// where they differ (tokens in headers or URLs).
bool SameSecret(const std::string& given, const std::string& wanted);

class HttpServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  // Listens on `address` ("127.0.0.1:9095", "[::1]:0", "0.0.0.0:8080"; port
  // 0 picks one) and serves every request with `handler`. Errors name
  // `what` (the flag or URL the address came from).
  static Status Start(const std::string& what, const std::string& address,
                      HttpServerLimits limits, Handler handler,
                      std::unique_ptr<HttpServer>* out);
  // Stops the loop and closes every connection.
  ~HttpServer();

  int port() const { return port_; }
  // The bound address: "127.0.0.1", "::", ...
  const std::string& host() const { return host_; }
  bool ipv6() const { return ipv6_; }

 private:
  struct Connection;
  HttpServer() = default;
  void Loop();
  void Accept();
  // Reads what `c` sent; false: close it now.
  bool Read(Connection& c);
  // Moves `c` to writing `reply`.
  void Answer(Connection& c, ServerReply reply, bool head_only = false);
  // Parses the head once complete and decides how the body comes. False:
  // the head is not complete yet (or an error reply was queued).
  bool TakeHead(Connection& c);
  // Consumes body bytes from c's buffer; true once the body is complete.
  bool TakeBody(Connection& c);
  // Writes what `c` has pending; false: close it now.
  bool Write(Connection& c);
  // At the connection cap: closes the connection that makes way for a new
  // one (see HttpServerLimits::max_connections).
  void Evict();
  void Dispatch(Connection& c);

  HttpServerLimits limits_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor wakes the loop
  int port_ = 0;
  std::string host_;
  bool ipv6_ = false;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
};

}  // namespace mlb
