// Helpers for the end-to-end suite (integration_test.cc): child processes
// that never outlive a test, free loopback ports, per-test temp dirs
// (temp_dir.h), HTTP GETs on 127.0.0.0/8 (http_call.h) and Marathon state
// JSON.
//
// Setup helpers throw std::runtime_error (with the child's log) when
// something cannot be started; gtest reports that as a failure of the test,
// and the destructors still stop every process.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/http_call.h"
#include "tests/support/temp_dir.h"
#include "tests/support/testing.h"

namespace mlb::integration {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using mlb::testing::HttpCall;
using mlb::testing::HttpHeaders;
using mlb::testing::HttpResponse;
using mlb::testing::JsonString;
using mlb::testing::ReadFile;
using mlb::testing::TempDir;
using mlb::testing::WriteFile;

// ---------------------------------------------------------------------------
// Environment, files, text.

// $name, or throws: the suite only runs under `meson test`, which sets them.
inline std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("$") + name +
                             " is not set (run the suite with meson test)");
  }
  return value;
}

inline bool FileExists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

// Writes a temp file beside `path` and renames it over `path`, so a reader
// (marathon-sim) sees the old or the new text, never half of it.
inline void AtomicWrite(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  WriteFile(temp, text);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("rename " + temp + " -> " + path + ": " +
                             std::strerror(errno));
  }
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line);
  }
  return out;
}

inline bool HasLine(const std::string& text, const std::string& line) {
  for (const std::string& l : Lines(text)) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

// The first line of `text` that starts with `prefix`, or "".
inline std::string LineStartingWith(const std::string& text,
                                    const std::string& prefix) {
  for (const std::string& l : Lines(text)) {
    if (l.rfind(prefix, 0) == 0) {
      return l;
    }
  }
  return "";
}

// marathon-lb logs "YYYY-MM-DD HH:MM:SS,mmm marathon_lb: TEXT"; this is the
// list of TEXTs (other output lines, e.g. haproxy's, are left out).
inline std::vector<std::string> LogMessages(const std::string& output) {
  static const std::string kTag = " marathon_lb: ";
  std::vector<std::string> out;
  for (const std::string& l : Lines(output)) {
    const size_t at = l.find(kTag);
    if (at != std::string::npos) {
      out.push_back(l.substr(at + kTag.size()));
    }
  }
  return out;
}

inline bool HasMessage(const std::string& output, const std::string& message) {
  for (const std::string& m : LogMessages(output)) {
    if (m == message) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Ports.

// A HEAD template for HAProxy on loopback in tests: low maxconn (the
// open-files limit here is 20000), the stats socket `stats_socket` (with
// expose-fd listeners, for seamless reloads), short timeouts, old workers
// hard-stopped after 3 s, no stats listener on :9090. `extra_global` is
// appended to the global section.
inline std::string LoopbackHead(const std::string& stats_socket,
                                const std::string& extra_global = "") {
  return "global\n"
         "  maxconn 200\n"
         "  stats socket " + stats_socket +
         " mode 600 level admin expose-fd listeners\n"
         "  stats timeout 10s\n"
         "  hard-stop-after 3s\n" +
         extra_global +
         "defaults\n"
         "  mode http\n"
         "  retries 2\n"
         "  timeout connect 2s\n"
         "  timeout client 5s\n"
         "  timeout server 5s\n"
         "  timeout http-request 5s\n"
         "  timeout http-keep-alive 1s\n"
         "  option redispatch\n";
}

// A TCP port nothing listens on at `ip` right now: bind port 0, read it back,
// close. Never returns the same port twice in one test process.
inline int FreePort(const std::string& ip = "127.0.0.1") {
  static std::set<int> handed_out;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      break;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port > 0 && handed_out.insert(port).second) {
      return port;
    }
  }
  throw std::runtime_error("no free port on " + ip);
}

// Whether a TCP connect to ip:port succeeds now.
inline bool Accepts(const std::string& ip, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Polls `done` every `step` until it is true or `timeout` has passed.
template <typename Predicate>
bool WaitUntil(Predicate done, Millis timeout, Millis step = Millis(20)) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(step);
  }
}

// ---------------------------------------------------------------------------
// Child processes.

// A child process (argv[0] is a path) in its own process group, with stdin
// from /dev/null and stdout+stderr appended to `log_path`. The destructor
// stops it (SIGTERM, then SIGKILL to the whole group) and reaps it. If the
// test process dies without running destructors (a crash, a meson timeout),
// the kernel SIGKILLs the child (PR_SET_PDEATHSIG); HAProxy workers then
// leave on their own when their master is gone.
class ScopedProcess {
 public:
  ScopedProcess(std::vector<std::string> argv, std::string log_path)
      : argv_(std::move(argv)), log_path_(std::move(log_path)) {
    std::vector<char*> args;
    for (std::string& a : argv_) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    const int log_fd =
        open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
      if (log_fd >= 0) close(log_fd);
      if (null_fd >= 0) close(null_fd);
      throw std::runtime_error("cannot open " + log_path_ + " or /dev/null");
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) {
        _exit(126);  // the test process is already gone
      }
      dup2(null_fd, 0);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      for (int fd = 3; fd < 1024; ++fd) {
        close(fd);
      }
      execv(args[0], args.data());
      const char kMsg[] = "exec failed\n";
      ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
      (void)ignored;
      _exit(127);
    }
    close(log_fd);
    close(null_fd);
    if (pid < 0) {
      throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
    }
    setpgid(pid, pid);  // also in the parent, so kill(-pid) works at once
    pid_ = pid;
  }

  ~ScopedProcess() { Stop(); }
  ScopedProcess(const ScopedProcess&) = delete;
  ScopedProcess& operator=(const ScopedProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string Output() const { return ReadFile(log_path_); }
  std::string CommandLine() const {
    std::string out;
    for (const std::string& a : argv_) {
      out += (out.empty() ? "" : " ") + a;
    }
    return out;
  }

  // Whether the process has not exited yet (reaps it if it has).
  bool Running() { return !Reap(/*block=*/false); }

  // Waits up to `timeout` for the process to exit; its exit code (128 +
  // signal if killed), or nullopt if it is still running.
  std::optional<int> WaitExit(Millis timeout) {
    WaitUntil([this] { return Reap(false); }, timeout, Millis(5));
    return exit_code_;
  }

  // Sends `sig` to the process, waits up to `grace`, then SIGKILLs its whole
  // process group (HAProxy workers, reload commands). Idempotent.
  void Stop(int sig = SIGTERM, Millis grace = Millis(3000)) {
    if (pid_ <= 0) {
      return;
    }
    if (!exit_code_) {
      kill(pid_, sig);
      if (!WaitExit(grace)) {
        kill(-pid_, SIGKILL);
        kill(pid_, SIGKILL);
        Reap(/*block=*/true);
      }
    }
    pid_ = -1;
  }

 private:
  // Collects the exit status once the leader has exited. Before reaping, the
  // rest of its process group gets SIGKILL: the leader's pid (and so the
  // group id) cannot have been reused while it is an unreaped zombie.
  bool Reap(bool block) {
    if (exit_code_) {
      return true;
    }
    if (pid_ <= 0) {
      return true;
    }
    siginfo_t info{};
    const int flags = WEXITED | WNOWAIT | (block ? 0 : WNOHANG);
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, flags) != 0 ||
        info.si_pid != pid_) {
      return false;
    }
    kill(-pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status)
                                   : 128 + WTERMSIG(status);
    return true;
  }

  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct RunResult {
  int exit_code = -1;  // -1: killed after the timeout
  std::string output;  // stdout and stderr
};

// Runs a command to completion, bounded by `timeout`.
inline RunResult RunBounded(const std::vector<std::string>& argv,
                            const std::string& log_path,
                            Millis timeout = Millis(15000)) {
  ScopedProcess process(argv, log_path);
  RunResult result;
  const std::optional<int> code = process.WaitExit(timeout);
  process.Stop(SIGKILL, Millis(0));
  result.exit_code = code ? *code : -1;
  result.output = ReadFile(log_path);
  if (!code) {
    result.output += "\n[integration test: killed after " +
                     std::to_string(timeout.count()) + " ms]\n";
  }
  return result;
}

// Waits for a tool's --port-file (written atomically) and returns its first
// line, "host:port". Throws with the tool's log if it does not appear.
inline std::string WaitForPortFile(ScopedProcess& process,
                                   const std::string& port_file,
                                   Millis timeout = Millis(5000)) {
  WaitUntil([&] { return FileExists(port_file) || !process.Running(); },
            timeout);
  if (!FileExists(port_file)) {
    throw std::runtime_error(process.CommandLine() + " wrote no port file " +
                             port_file + "; its output:\n" + process.Output());
  }
  std::string text = ReadFile(port_file);
  return text.substr(0, text.find('\n'));
}

// The HAProxy the tests run: $MLB_HAPROXY_BINARY, else Debian's.
inline std::string HaproxyBinary() {
  const char* path = std::getenv("MLB_HAPROXY_BINARY");
  return path != nullptr && *path != '\0' ? path : "/usr/sbin/haproxy";
}

// A shared http frontend (HTTP_FRONTEND_HEAD, HTTP_FRONTEND_APPID_HEAD,
// HTTPS_FRONTEND_HEAD) bound to 127.0.0.1:<port>, `bind_options` after the
// address (" ssl {sslCerts}").
inline std::string LoopbackFrontendHead(const std::string& name, int port,
                                        const std::string& bind_options = "") {
  return "\nfrontend " + name + "\n  bind 127.0.0.1:" + std::to_string(port) +
         bind_options + "\n  mode http\n";
}

// Starts `haproxy -W -f cfg -p pid_file` (output to `log`) and waits until
// it accepts on every one of `ports` of 127.0.0.1 and has written its pid;
// throws with its output and the config if it does not come up in 5 s.
inline std::unique_ptr<ScopedProcess> StartLoopbackHaproxy(
    const std::string& cfg, const std::string& pid_file,
    const std::string& log, const std::vector<int>& ports) {
  auto haproxy = std::make_unique<ScopedProcess>(
      std::vector<std::string>{HaproxyBinary(), "-W", "-f", cfg, "-p",
                               pid_file},
      log);
  const bool up = WaitUntil(
      [&] {
        if (!haproxy->Running()) {
          return true;
        }
        for (const int port : ports) {
          if (!Accepts("127.0.0.1", port)) {
            return false;
          }
        }
        return FileExists(pid_file) && !ReadFile(pid_file).empty();
      },
      Millis(5000));
  if (!up || !haproxy->Running()) {
    std::string where;
    for (const int port : ports) {
      where += " 127.0.0.1:" + std::to_string(port);
    }
    throw std::runtime_error("HAProxy did not come up on" + where +
                             "; its output:\n" + haproxy->Output() +
                             "\nconfig:\n" + ReadFile(cfg));
  }
  return haproxy;
}

// Starts tools/echo_backend answering NAME on ip:<free port>, its files in
// `dir`, the process kept in *echoes; returns the port it bound.
inline int StartEchoBackend(const std::string& echo_binary, const TempDir& dir,
                            const std::string& name, const std::string& ip,
                            std::vector<std::unique_ptr<ScopedProcess>>* echoes) {
  const std::string port_file = dir.File("echo-" + name + ".port");
  echoes->push_back(std::make_unique<ScopedProcess>(
      std::vector<std::string>{echo_binary, "--name", name, "--listen",
                               ip + ":0", "--port-file", port_file, "--quiet"},
      dir.File("echo-" + name + ".log")));
  const std::string bound = WaitForPortFile(*echoes->back(), port_file);
  return std::stoi(bound.substr(bound.rfind(':') + 1));
}

// ---------------------------------------------------------------------------
// HTTP.

// One GET on a new connection (closed afterwards), 2 s timeouts. `host` is
// the Host header.
inline HttpResponse HttpGet(const std::string& ip, int port,
                            const std::string& path, const std::string& host,
                            const HttpHeaders& headers = {}) {
  HttpHeaders all = {{"Host", host}};
  all.insert(all.end(), headers.begin(), headers.end());
  return HttpCall("GET", ip, port, path, "", all, Millis(2000));
}

// ---------------------------------------------------------------------------
// Marathon state JSON (the shape of GET /v2/apps?embed=apps.tasks).

// One task: the agent host and its host port for each service port.
struct TaskSpec {
  std::string host;
  std::vector<int> ports;
};

// A Marathon app with host networking: `service_ports` as portDefinitions,
// its labels, running tasks, and raw JSON members (`extra`, e.g.
// "\"healthChecks\": [...]") appended to the object.
inline std::string AppJson(const std::string& id,
                           const std::vector<int>& service_ports,
                           const std::map<std::string, std::string>& labels,
                           const std::vector<TaskSpec>& tasks,
                           const std::string& extra = "") {
  std::ostringstream out;
  out << "{\"id\": " << JsonString(id) << ", \"instances\": " << tasks.size()
      << ", \"labels\": {";
  bool first = true;
  for (const auto& [key, value] : labels) {
    out << (first ? "" : ", ") << JsonString(key) << ": " << JsonString(value);
    first = false;
  }
  out << "}, \"portDefinitions\": [";
  for (size_t i = 0; i < service_ports.size(); ++i) {
    out << (i ? ", " : "") << "{\"port\": " << service_ports[i]
        << ", \"protocol\": \"tcp\"}";
  }
  out << "], \"tasks\": [";
  for (size_t t = 0; t < tasks.size(); ++t) {
    out << (t ? ", " : "") << "{\"id\": "
        << JsonString(id.substr(1) + "." + std::to_string(t + 1))
        << ", \"appId\": " << JsonString(id)
        << ", \"host\": " << JsonString(tasks[t].host) << ", \"ports\": [";
    for (size_t p = 0; p < tasks[t].ports.size(); ++p) {
      out << (p ? ", " : "") << tasks[t].ports[p];
    }
    out << "], \"servicePorts\": [";
    for (size_t p = 0; p < service_ports.size(); ++p) {
      out << (p ? ", " : "") << service_ports[p];
    }
    out << "], \"state\": \"TASK_RUNNING\"}";
  }
  out << "]";
  if (!extra.empty()) {
    out << ", " << extra;
  }
  out << "}";
  return out.str();
}

inline std::string StateJson(const std::vector<std::string>& apps) {
  std::string out = "{\"apps\": [\n";
  for (size_t i = 0; i < apps.size(); ++i) {
    out += (i ? ",\n  " : "  ") + apps[i];
  }
  return out + "\n]}\n";
}

}  // namespace mlb::integration
