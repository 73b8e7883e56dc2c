// The admin HTTP endpoint (--admin-address): GET /healthz answers 200 "ok"
// or 503 with the reason; GET /status answers the StatusBoard as JSON;
// marathon-lb 1.15's GET /_haproxy_getconfig, /_haproxy_getvhostmap and
// /_haproxy_getappmap answer the config in place and its maps.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/app/status_board.h"

namespace Poco::Net {
class HTTPServer;
}

namespace mlb {

class AdminServer {
 public:
  // Listens on `address` ("127.0.0.1:9095"; port 0 picks one).
  // `config_path`: --haproxy-config, whose maps lie beside it.
  static Status Start(const std::string& address, const StatusBoard* board,
                      std::chrono::seconds max_staleness,
                      const std::string& config_path,
                      std::unique_ptr<AdminServer>* out);
  ~AdminServer();

  int port() const { return port_; }

 private:
  AdminServer() = default;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

}  // namespace mlb
