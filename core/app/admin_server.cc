#include "core/app/admin_server.h"

#include <dirent.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
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
  AdminHandler(const StatusBoard* board, const AdminOptions& options)
      : board_(board), options_(options) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    const std::string path = req.getURI().substr(0, req.getURI().find('?'));
    if (path == "/_mlb_signal/hup" || path == "/_mlb_signal/usr1") {
      Signal(req, path == "/_mlb_signal/hup" ? SIGHUP : SIGUSR1, res);
    } else if (req.getMethod() != Poco::Net::HTTPRequest::HTTP_GET &&
               req.getMethod() != Poco::Net::HTTPRequest::HTTP_HEAD) {
      res.setStatus(HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
      res.send() << "only GET\n";
    } else if (path == "/healthz") {
      std::string why;
      const bool healthy = board_->Healthy(options_.max_staleness, &why);
      res.setStatus(healthy ? HTTPResponse::HTTP_OK
                            : HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      res.setContentType("text/plain");
      res.send() << why << "\n";
    } else if (path == "/status") {
      res.setContentType("application/json");
      res.send() << board_->Json() << "\n";
    } else if (const FileEndpoint* e = FindFileEndpoint(path)) {
      SendFile(*e, res);
    } else if (path == "/_haproxy_getpids") {
      res.setContentType("text/plain");
      res.send() << HaproxyPids() << "\n";
    } else {
      res.setStatus(HTTPResponse::HTTP_NOT_FOUND);
      res.setContentType("text/plain");
      res.send() << "not found: " << path
                 << " (try /healthz, /status, /_haproxy_getconfig, "
                    "/_haproxy_getvhostmap, /_haproxy_getappmap, "
                    "/_haproxy_getpids, /_mlb_signal/hup or "
                    "/_mlb_signal/usr1)\n";
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

  // As `pidof haproxy` (marathon-lb 1.15's getpids.lua): the PIDs of the
  // processes named haproxy, separated by spaces (here in ascending order).
  static std::string HaproxyPids() {
    std::vector<long> pids;
    if (DIR* proc = opendir("/proc")) {
      while (const dirent* entry = readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') {
          continue;
        }
        std::string comm;
        if (ReadWholeFile("/proc/" + std::string(entry->d_name) + "/comm",
                          &comm)
                .ok() &&
            comm == "haproxy\n") {
          pids.push_back(pid);
        }
      }
      closedir(proc);
    }
    std::sort(pids.begin(), pids.end());
    std::string out;
    for (const long pid : pids) {
      out += (out.empty() ? "" : " ") + std::to_string(pid);
    }
    return out;
  }

  // /_mlb_signal/*: only with the admin token.
  void Signal(Poco::Net::HTTPServerRequest& req, int sig,
              Poco::Net::HTTPServerResponse& res) {
    res.setContentType("text/plain");
    if (options_.token.empty()) {
      res.setStatus(HTTPResponse::HTTP_FORBIDDEN);
      res.send() << "signal endpoints are off: start marathon-lb with "
                    "--admin-token-file\n";
      return;
    }
    // "Bearer <token>", the scheme in any case (RFC 7235).
    const std::string header = req.get("Authorization", "");
    const size_t space = header.find(' ');
    const std::string scheme = header.substr(0, space);
    const bool bearer = Poco::icompare(scheme, "Bearer") == 0;
    const size_t token_start =
        space == std::string::npos ? header.size()
                                   : header.find_first_not_of(' ', space);
    const std::string given =
        bearer && token_start != std::string::npos ? header.substr(token_start)
                                                   : std::string();
    const std::string& wanted = options_.token;
    unsigned char diff = bearer && given.size() == wanted.size() ? 0 : 1;
    for (size_t i = 0; i < given.size() && i < wanted.size(); ++i) {
      diff |= static_cast<unsigned char>(given[i] ^ wanted[i]);
    }
    if (diff != 0) {
      res.setStatus(HTTPResponse::HTTP_UNAUTHORIZED);
      res.set("WWW-Authenticate", "Bearer");
      res.send() << "needs 'Authorization: Bearer <the admin token>'\n";
      return;
    }
    options_.raise(sig);
    res.send() << (sig == SIGHUP ? "sent SIGHUP\n" : "sent SIGUSR1\n");
  }

  void SendFile(const FileEndpoint& e, Poco::Net::HTTPServerResponse& res) {
    const std::string& config = options_.config_path;
    const std::string path =
        e.file == nullptr ? config : DirectoryOf(config) + "/" + e.file;
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
  const AdminOptions& options_;
};

class AdminFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  AdminFactory(const StatusBoard* board, AdminOptions options)
      : board_(board), options_(std::move(options)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new AdminHandler(board_, options_);
  }

 private:
  const StatusBoard* board_;
  const AdminOptions options_;
};

}  // namespace

Status AdminServer::Start(AdminOptions options, const StatusBoard* board,
                          std::unique_ptr<AdminServer>* out) {
  const std::string address = options.address;
  std::unique_ptr<AdminServer> admin(new AdminServer());
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(address), /*reuseAddress=*/true,
                /*reusePort=*/false);
    socket.listen(32);
    admin->port_ = socket.address().port();
    const Poco::Net::IPAddress host = socket.address().host();
    const bool v6 = host.family() == Poco::Net::IPAddress::IPv6;
    const std::string ip =
        host.isWildcard() ? (v6 ? "::1" : "127.0.0.1") : host.toString();
    admin->reach_ =
        (v6 ? "ipv6@" : "") + ip + ":" + std::to_string(admin->port_);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    // Slow clients must not take /healthz away: a connection that sends
    // nothing for 2 s is dropped, and more threads than a few stalled
    // connections can hold (an event-driven server would bound this fully).
    params->setMaxThreads(16);
    params->setMaxQueued(64);
    params->setTimeout(Poco::Timespan(2, 0));
    params->setKeepAlive(false);
    admin->server_ = std::make_unique<Poco::Net::HTTPServer>(
        new AdminFactory(board, std::move(options)), socket, params);
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
