#include "core/haproxy/master_cli.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "core/base/fd.h"

namespace mlb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

}  // namespace

Status ParseShowProc(const std::string& text, HaproxyProcList* out) {
  *out = HaproxyProcList();
  enum class Section { kNone, kWorkers, kOldWorkers, kOther } section =
      Section::kNone;
  bool have_master = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      if (line.rfind("# workers", 0) == 0) {
        section = Section::kWorkers;
      } else if (line.rfind("# old workers", 0) == 0) {
        section = Section::kOldWorkers;
      } else if (line.rfind("#<PID>", 0) != 0) {
        section = Section::kOther;  // "# programs" and anything newer
      }
      continue;
    }
    std::istringstream words(line);
    long pid = 0;
    std::string type;
    HaproxyProc proc;
    if (!(words >> pid >> type >> proc.reloads) || pid <= 0) {
      continue;
    }
    proc.pid = static_cast<pid_t>(pid);
    if (type == "master") {
      // "<pid> master <reloads> [failed: <n>] <uptime> <version>"
      std::string failed_word;
      int failed = 0;
      words >> failed_word;
      if (failed_word == "[failed:") {
        words >> failed;
        words.ignore(1);  // "]"
        words >> proc.uptime;
      } else {
        proc.uptime = failed_word;
      }
      out->master = proc;
      out->last_reload_failed = failed > 0;
      have_master = true;
    } else if (type == "worker") {
      words >> proc.uptime;
      if (section == Section::kWorkers) {
        out->workers.push_back(proc);
      } else if (section == Section::kOldWorkers) {
        out->old_workers.push_back(proc);
      }
    }
  }
  if (!have_master) {
    std::string shown = text.substr(0, 200);
    return Status::Error("show proc",
                         "no master line in the answer: '" + shown + "'");
  }
  return Status::OK();
}

Status MasterCliCommand(const std::string& socket_path,
                        const std::string& command, std::string* reply,
                        milliseconds timeout) {
  reply->clear();
  const std::string where = "master socket " + socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path)) {
    return Status::Error(where, "path empty or longer than " +
                                    std::to_string(sizeof(addr.sun_path) - 1) +
                                    " bytes");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const Clock::time_point deadline = Clock::now() + timeout;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return Status::Error(where, std::string("socket: ") + std::strerror(errno));
  }
  struct Closer {
    int* fd;
    ~Closer() { CloseFd(fd); }
  } closer{&fd};

  // A non-blocking connect on a unix socket either completes at once or fails
  // with EAGAIN when the listener's backlog is full: retry until the deadline.
  while (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) !=
         0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN || RemainingMs(deadline) == 0) {
      return Status::Error(where,
                           std::string("cannot connect: ") + std::strerror(errno));
    }
    std::this_thread::sleep_for(milliseconds(5));
  }

  const std::string request = command + "\n";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent,
                           MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN) {
      return Status::Error(where, "cannot send `" + command +
                                      "`: " + std::strerror(errno));
    }
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) == 0) {
      return Status::Error(where, "timed out sending `" + command + "`");
    }
  }
  // The master CLI answers a one-shot command only once our side is closed.
  shutdown(fd, SHUT_WR);

  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      reply->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      return Status::OK();  // EOF; "reload" closes the connection unanswered
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN) {
      return Status::Error(where, "cannot read the answer to `" + command +
                                      "`: " + std::strerror(errno));
    }
    const int left = RemainingMs(deadline);
    pollfd p{fd, POLLIN, 0};
    if (left == 0 || poll(&p, 1, left) == 0) {
      return Status::Error(where, "no complete answer to `" + command +
                                      "` within " +
                                      std::to_string(timeout.count()) + " ms");
    }
  }
}

}  // namespace mlb
