// Helpers for the live-loop suite (live_test.cc), on top of
// integration_support.h: HTTP with a method and a body, JSON answers, the
// HAProxy processes of one config found through /proc, HAProxy's master CLI,
// and a last-resort guard that kills the HAProxy process groups marathon-lb
// started if the test process is terminated or crashes (HAProxy is
// marathon-lb's child, not ours, so PR_SET_PDEATHSIG does not reach it).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <regex>
#include <string>
#include <vector>

#include "core/haproxy/haproxy_process.h"
#include "tests/support/integration_support.h"

namespace mlb::integration {

// ---------------------------------------------------------------------------
// HTTP.

// "http://127.0.0.1:8080" -> 8080 (0 if there is no port).
inline int UrlPort(const std::string& url) {
  std::smatch m;
  if (!std::regex_search(url, m, std::regex(":([0-9]+)(/.*)?$"))) {
    return 0;
  }
  return std::stoi(m[1].str());
}

// ---------------------------------------------------------------------------
// JSON.

// The object `text` holds, or null if it is not a JSON object.
inline Poco::JSON::Object::Ptr JsonObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// obj[key] as an integer; `fallback` if absent or not a number.
inline long JsonInt(const Poco::JSON::Object::Ptr& obj, const std::string& key,
                    long fallback = 0) {
  if (obj.isNull() || !obj->has(key)) {
    return fallback;
  }
  try {
    return obj->getValue<long>(key);
  } catch (const Poco::Exception&) {
    return fallback;
  }
}

inline std::string JsonText(const Poco::JSON::Object::Ptr& obj,
                            const std::string& key) {
  if (obj.isNull() || !obj->has(key)) {
    return "";
  }
  try {
    return obj->get(key).toString();
  } catch (const Poco::Exception&) {
    return "";
  }
}

// ---------------------------------------------------------------------------
// Log lines.

// How many of marathon-lb's log messages (see LogMessages) start with
// `prefix`.
inline int CountMessages(const std::string& output, const std::string& prefix) {
  int n = 0;
  for (const std::string& m : LogMessages(output)) {
    n += m.rfind(prefix, 0) == 0;
  }
  return n;
}

// The messages that match `pattern` entirely.
inline std::vector<std::string> MatchingMessages(const std::string& output,
                                                 const std::string& pattern) {
  const std::regex re(pattern);
  std::vector<std::string> out;
  for (const std::string& m : LogMessages(output)) {
    if (std::regex_match(m, re)) {
      out.push_back(m);
    }
  }
  return out;
}

// The last `n` lines of `text`, for failure messages.
inline std::string Tail(const std::string& text, size_t n = 60) {
  const std::vector<std::string> lines = Lines(text);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size();
       ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------
// Processes.

// argv of a live process, from /proc/PID/cmdline (empty for zombies and
// processes that are gone).
inline std::vector<std::string> ProcessArgs(pid_t pid) {
  const std::string raw = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) {
      end = raw.size();
    }
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

// Every haproxy process (master, workers, `haproxy -c` checks) whose command
// line names `config_path`.
inline std::vector<pid_t> HaproxyProcessesFor(const std::string& config_path) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return out;
  }
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || end == nullptr || *end != '\0') {
      continue;
    }
    const std::vector<std::string> args = ProcessArgs(static_cast<pid_t>(pid));
    if (args.empty() ||
        std::filesystem::path(args[0]).filename().string() != "haproxy") {
      continue;
    }
    for (const std::string& a : args) {
      if (a == config_path) {
        out.push_back(static_cast<pid_t>(pid));
        break;
      }
    }
  }
  closedir(proc);
  return out;
}

// The parent PID of `pid` (0 if it is gone).
inline pid_t ParentPid(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return 0;
  }
  std::istringstream in(stat.substr(paren + 1));
  std::string state;
  pid_t ppid = 0;
  in >> state >> ppid;
  return ppid;
}

// `show proc` on HAProxy's master CLI (core's client: connect, write,
// shutdown(SHUT_WR), read to EOF).
inline Status ShowProc(const std::string& master_socket, HaproxyProcList* out) {
  std::string reply;
  MLB_RETURN_IF_ERROR(
      MasterCliCommand(master_socket, "show proc", &reply, Millis(2000)));
  return ParseShowProc(reply, out);
}

// ---------------------------------------------------------------------------
// Last-resort cleanup of HAProxy process groups.
//
// marathon-lb runs HAProxy in a process group of its own (leader: the master)
// and, by default, lets it survive marathon-lb's death. The fixture registers
// each master here; if the test process gets SIGTERM/SIGINT (a meson timeout,
// ^C) or crashes, the handler SIGKILLs those groups before dying. Normal
// clean-up does not rely on this.
class HaproxyGroupGuard {
 public:
  static constexpr int kSlots = 16;

  static void Install() {
    static bool installed = false;
    if (installed) {
      return;
    }
    installed = true;
    struct sigaction action {};
    action.sa_handler = &HaproxyGroupGuard::OnSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (int sig :
         {SIGTERM, SIGINT, SIGHUP, SIGSEGV, SIGABRT, SIGBUS, SIGFPE}) {
      sigaction(sig, &action, nullptr);
    }
  }

  static void Add(pid_t group) {
    for (int i = 0; i < kSlots; ++i) {
      pid_t expected = 0;
      if (Slot(i).load() == group ||
          Slot(i).compare_exchange_strong(expected, group)) {
        return;
      }
    }
  }

  static void Remove(pid_t group) {
    for (int i = 0; i < kSlots; ++i) {
      pid_t expected = group;
      Slot(i).compare_exchange_strong(expected, 0);
    }
  }

 private:
  static std::atomic<pid_t>& Slot(int i) {
    static std::atomic<pid_t> table[kSlots];
    return table[i];
  }

  static void OnSignal(int sig) {
    for (int i = 0; i < kSlots; ++i) {
      const pid_t group = Slot(i).load();
      if (group > 0) {
        kill(-group, SIGKILL);
      }
    }
    raise(sig);  // SA_RESETHAND: the default action now
  }
};

}  // namespace mlb::integration
