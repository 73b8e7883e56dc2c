// The admin HTTP endpoint (--admin-address): GET /healthz answers 200 "ok"
// or 503 with the reason; GET /status answers the StatusBoard as JSON and
// GET /metrics the same figures in the Prometheus text format;
// marathon-lb 1.15's GET /_haproxy_getconfig, /_haproxy_getvhostmap and
// /_haproxy_getappmap answer the config in place and its maps,
// /_haproxy_getpids the PIDs of the haproxy processes, and
// /_mlb_signal/hup and /_mlb_signal/usr1 (with the admin token) signal
// marathon-lb (SIGHUP: templates fetched again and a resync; SIGUSR1: the
// config in place reloaded).
//
// The server is an HttpServer (core/base/http_server.h): slow peers, peers
// that never read their answer (a 16 MB config) and floods of connections
// cost it no thread, so /healthz answers while they last.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/app/status_board.h"
#include "core/base/http_server.h"
#include "core/base/status.h"

namespace mlb {

struct AdminOptions {
  std::string address;  // "127.0.0.1:9095"; port 0 picks one
  std::chrono::seconds max_staleness{900};
  std::string config_path;  // --haproxy-config, whose maps lie beside it
  // /_mlb_signal/hup and /_mlb_signal/usr1 need "Authorization: Bearer
  // <token>"; empty: they answer 403.
  std::string token;
  // Sends the signal (SIGHUP, SIGUSR1) to marathon-lb.
  std::function<void(int)> raise;
  // Request size, time and connection bounds (defaults: the HttpServer's).
  HttpServerLimits limits;
};

class AdminServer {
 public:
  static Status Start(AdminOptions options, const StatusBoard* board,
                      std::unique_ptr<AdminServer>* out);
  ~AdminServer();

  int port() const { return port_; }
  // Where HAProxy, on this host, reaches the server: the bound address, a
  // wildcard one as loopback ("127.0.0.1:9089", "ipv6@::1:9089").
  const std::string& reach() const { return reach_; }

 private:
  AdminServer() = default;
  std::string reach_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

}  // namespace mlb
