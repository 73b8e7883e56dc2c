#include "core/app/admin_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

namespace mlb {
namespace {

using Poco::Net::HTTPResponse;

class AdminHandler : public Poco::Net::HTTPRequestHandler {
 public:
  AdminHandler(const StatusBoard* board, std::chrono::seconds max_staleness)
      : board_(board), max_staleness_(max_staleness) {}

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
    } else {
      res.setStatus(HTTPResponse::HTTP_NOT_FOUND);
      res.setContentType("text/plain");
      res.send() << "not found: " << path << " (try /healthz or /status)\n";
    }
  }

 private:
  const StatusBoard* board_;
  std::chrono::seconds max_staleness_;
};

class AdminFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  AdminFactory(const StatusBoard* board, std::chrono::seconds max_staleness)
      : board_(board), max_staleness_(max_staleness) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new AdminHandler(board_, max_staleness_);
  }

 private:
  const StatusBoard* board_;
  std::chrono::seconds max_staleness_;
};

}  // namespace

Status AdminServer::Start(const std::string& address, const StatusBoard* board,
                          std::chrono::seconds max_staleness,
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
        new AdminFactory(board, max_staleness), socket, params);
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
