#include "core/app/admin_server.h"

#include <dirent.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <vector>

#include <Poco/String.h>

#include "core/base/files.h"
#include "core/base/http_server.h"

namespace mlb {
namespace {

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

class AdminHandler {
 public:
  AdminHandler(const StatusBoard* board, AdminOptions options)
      : board_(board), options_(std::move(options)) {}

  ServerReply operator()(const ServerRequest& req) const {
    const std::string& path = req.path;
    if (path == "/_mlb_signal/hup" || path == "/_mlb_signal/usr1") {
      return Signal(req, path == "/_mlb_signal/hup" ? SIGHUP : SIGUSR1);
    }
    if (req.method != "GET" && req.method != "HEAD") {
      return TextReply(405, "only GET\n");
    }
    if (path == "/healthz") {
      std::string why;
      const bool healthy = board_->Healthy(options_.max_staleness, &why);
      return {healthy ? 200 : 503, "text/plain", {}, why + "\n", nullptr};
    }
    if (path == "/status") {
      return {200, "application/json", {}, board_->Json() + "\n", nullptr};
    }
    if (path == "/metrics") {
      return {200, "text/plain; version=0.0.4; charset=utf-8", {},
              board_->Metrics(), nullptr};
    }
    if (const FileEndpoint* e = FindFileEndpoint(path)) {
      return SendFile(*e);
    }
    if (path == "/_haproxy_getpids") {
      return TextReply(200, HaproxyPids() + "\n");
    }
    return TextReply(404, "not found: " + path +
                              " (try /healthz, /status, /metrics, /_haproxy_getconfig, "
                              "/_haproxy_getvhostmap, /_haproxy_getappmap, "
                              "/_haproxy_getpids, /_mlb_signal/hup or "
                              "/_mlb_signal/usr1)\n");
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
  ServerReply Signal(const ServerRequest& req, int sig) const {
    if (options_.token.empty()) {
      return TextReply(403,
                       "signal endpoints are off: start marathon-lb with "
                       "--admin-token-file\n");
    }
    // "Bearer <token>", the scheme in any case (RFC 7235).
    const std::string header = req.Header("Authorization");
    const size_t space = header.find(' ');
    const std::string scheme = header.substr(0, space);
    const bool bearer = Poco::icompare(scheme, "Bearer") == 0;
    const size_t token_start =
        space == std::string::npos ? header.size()
                                   : header.find_first_not_of(' ', space);
    const std::string given =
        bearer && token_start != std::string::npos ? header.substr(token_start)
                                                   : std::string();
    if (!bearer || !SameSecret(given, options_.token)) {
      return {401,
              "text/plain",
              {{"WWW-Authenticate", "Bearer"}},
              "needs 'Authorization: Bearer <the admin token>'\n",
              nullptr};
    }
    options_.raise(sig);
    return TextReply(200, sig == SIGHUP ? "sent SIGHUP\n" : "sent SIGUSR1\n");
  }

  ServerReply SendFile(const FileEndpoint& e) const {
    const std::string& config = options_.config_path;
    const std::string path =
        e.file == nullptr ? config : DirectoryOf(config) + "/" + e.file;
    std::string text;
    // Not a FIFO or a device someone put there: the server's one thread
    // would wait on it (review 15i).
    const Status s = ReadRegularFile(path, &text);
    if (!s.ok() && e.file == nullptr) {
      return TextReply(503, "no config to show: " + s.message() + "\n");
    }
    ServerReply reply = TextReply(200, "");
    reply.shared_body = Snapshot(e, std::move(text));
    return reply;
  }

  // The text of `e` as one immutable copy that every reply writing it
  // shares: a reader that does not read its answer holds a reference, not a
  // copy of the config (64 stalled readers of a 3 MiB config held 192 MiB).
  // The file is still read at each request, as in 1.15; a text equal to the
  // last one is dropped for it.
  std::shared_ptr<const std::string> Snapshot(const FileEndpoint& e,
                                              std::string text) const {
    std::shared_ptr<const std::string>& last =
        (*snapshots_)[static_cast<size_t>(&e - kFileEndpoints)];
    if (last == nullptr || *last != text) {
      last = std::make_shared<const std::string>(std::move(text));
    }
    return last;
  }

  const StatusBoard* board_;
  const AdminOptions options_;
  // The last text of each file endpoint. Shared by the handler's copies
  // (std::function copies it); used on the server's one thread only.
  std::shared_ptr<std::vector<std::shared_ptr<const std::string>>>
      snapshots_ = std::make_shared<
          std::vector<std::shared_ptr<const std::string>>>(
          std::size(kFileEndpoints));
};

}  // namespace

Status AdminServer::Start(AdminOptions options, const StatusBoard* board,
                          std::unique_ptr<AdminServer>* out) {
  const std::string address = options.address;
  const HttpServerLimits limits = options.limits;
  std::unique_ptr<AdminServer> admin(new AdminServer());
  MLB_RETURN_IF_ERROR(HttpServer::Start(
      "--admin-address " + address, address, limits,
      AdminHandler(board, std::move(options)), &admin->server_));
  const HttpServer& server = *admin->server_;
  admin->port_ = server.port();
  const bool wildcard = server.host() == "0.0.0.0" || server.host() == "::";
  const std::string ip =
      wildcard ? (server.ipv6() ? "::1" : "127.0.0.1") : server.host();
  admin->reach_ =
      (server.ipv6() ? "ipv6@" : "") + ip + ":" + std::to_string(admin->port_);
  *out = std::move(admin);
  return Status::OK();
}

AdminServer::~AdminServer() = default;

}  // namespace mlb
