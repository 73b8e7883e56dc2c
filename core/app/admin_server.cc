#include "core/app/admin_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "core/base/files.h"

namespace mlb {
namespace {

using Poco::Net::HTTPResponse;

// marathon-lb 1.15's read-only endpoints (Lua scripts of its HAProxy there):
// the live config and its maps, read from disk at each request. A missing
// map answers an empty body, as in 1.15.
struct FileEndpoint {
  const char* path;
  const char* file;  // beside the config; null: the config itself
};
constexpr FileEndpoint kFileEndpoints[] = {
    {"/_haproxy_getconfig", nullptr},
    {"/_haproxy_getvhostmap", "domain2backend.map"},
    {"/_haproxy_getappmap", "app2backend.map"},
};

class AdminHandler : public Poco::Net::HTTPRequestHandler {
 public:
  AdminHandler(const StatusBoard* board, std::chrono::seconds max_staleness,
               const std::string& config_path)
      : board_(board),
        max_staleness_(max_staleness),
        config_path_(config_path) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    const std::string path = req.getURI().substr(0, req.getURI().find('?'));
    if (req.getMethod() != "GET") {
      res.setStatus(HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
      res.send() << "only GET\n";
    } else if (path == "/healthz") {
      std::string why;
      const bool healthy = board_->Healthy(max_staleness_, &why);
      res.setStatus(healthy ? HTTPResponse::HTTP_OK
                            : HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      res.setContentType("text/plain");
      res.send() << why << "\n";
    } else if (path == "/status") {
      res.setContentType("application/json");
      res.send() << board_->Json() << "\n";
    } else if (const FileEndpoint* e = FindFileEndpoint(path)) {
      SendFile(*e, res);
    } else {
      res.setStatus(HTTPResponse::HTTP_NOT_FOUND);
      res.setContentType("text/plain");
      res.send() << "not found: " << path
                 << " (try /healthz, /status, /_haproxy_getconfig, "
                    "/_haproxy_getvhostmap or /_haproxy_getappmap)\n";
    }
  }

 private:
  static const FileEndpoint* FindFileEndpoint(const std::string& path) {
    for (const FileEndpoint& e : kFileEndpoints) {
      if (path == e.path) {
        return &e;
      }
    }
    return nullptr;
  }

  void SendFile(const FileEndpoint& e, Poco::Net::HTTPServerResponse& res) {
    const size_t slash = config_path_.rfind('/');
    const std::string path =
        e.file == nullptr
            ? config_path_
            : (slash == std::string::npos ? std::string(".")
                                          : config_path_.substr(0, slash)) +
                  "/" + e.file;
    std::string text;
    const Status s = ReadWholeFile(path, &text);
    res.setContentType("text/plain");
    if (!s.ok() && e.file == nullptr) {
      res.setStatus(HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      res.send() << "no config to show: " << s.message() << "\n";
      return;
    }
    res.send() << (s.ok() ? text : std::string());
  }

  const StatusBoard* board_;
  std::chrono::seconds max_staleness_;
  const std::string& config_path_;
};

class AdminFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  AdminFactory(const StatusBoard* board, std::chrono::seconds max_staleness,
               std::string config_path)
      : board_(board),
        max_staleness_(max_staleness),
        config_path_(std::move(config_path)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new AdminHandler(board_, max_staleness_, config_path_);
  }

 private:
  const StatusBoard* board_;
  std::chrono::seconds max_staleness_;
  const std::string config_path_;
};

}  // namespace

Status AdminServer::Start(const std::string& address, const StatusBoard* board,
                          std::chrono::seconds max_staleness,
                          const std::string& config_path,
                          std::unique_ptr<AdminServer>* out) {
  std::unique_ptr<AdminServer> admin(new AdminServer());
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(address), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(32);
    admin->port_ = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    admin->server_ = std::make_unique<Poco::Net::HTTPServer>(
        new AdminFactory(board, max_staleness, config_path), socket, params);
    admin->server_->start();
  } catch (const Poco::Exception& e) {
    return Status::Error("--admin-address " + address, e.displayText());
  }
  *out = std::move(admin);
  return Status::OK();
}

AdminServer::~AdminServer() {
  if (server_) {
    server_->stopAll(true);
  }
}

}  // namespace mlb
