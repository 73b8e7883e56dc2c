// Helpers for the suites that run marathon-lb owning a real HAProxy
// (live_test.cc, marathon_https_test.cc, service_account_test.cc,
// zdd_integration_test.cc), on top of integration_support.h: HTTP with a
// method and a body, JSON answers, the HAProxy processes of one config found
// through /proc, HAProxy's master CLI, a last-resort guard that kills the
// HAProxy process groups marathon-lb started if the test process is
// terminated or crashes (HAProxy is marathon-lb's child, not ours, so
// PR_SET_PDEATHSIG does not reach it), and ManagedMarathonLbTest, the
// fixture that starts such a marathon-lb and stops it clean.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/haproxy/haproxy_process.h"
#include "tests/support/end_to_end_test.h"
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

// ---------------------------------------------------------------------------
// A managed marathon-lb.
//
// marathon-lb in a live mode (sse, event, poll --poll-interval) owning a real
// HAProxy (--run-haproxy) on loopback: per test, the app-id frontend
// (:9091), the app's service port and the admin endpoint on free ports of
// 127.0.0.1 and the loopback HEAD (maxconn 200); no :80/:443
// (--dont-bind-http-https). TearDown stops marathon-lb with SIGTERM, which
// must stop its HAProxy: it must exit 0 and leave no haproxy process naming
// this test's config (a failure if one is left, which is then killed).
class ManagedMarathonLbTest : public EndToEndTest {
 protected:
  static constexpr char kGroup[] = "external";

  static void SetUpTestSuite() { HaproxyGroupGuard::Install(); }

  void SetUp() override {
    EndToEndTest::SetUp();
    appid_port_ = FreePort();
    service_port_ = FreePort();
    admin_port_ = FreePort();
    WriteTemplate("HEAD", LoopbackHead(dir_->File("haproxy.sock")));
    WriteTemplate("HTTP_FRONTEND_APPID_HEAD",
                  LoopbackFrontendHead("marathon_http_appid_in", appid_port_));
  }

  void TearDown() override {
    if (HasFailure()) {
      DumpLogs();
    }
    StopMarathonLb();
    echoes_.clear();
  }

  // On a failure: the tail of marathon-lb's log (a fixture adds its
  // simulators').
  virtual void DumpLogs() const {
    std::cerr << "---- marathon-lb log (tail) ----\n" << Tail(MlbLog(), 150);
  }

  // marathon-lb MODE_ARGS --marathon MARATHON... (the URLs, then any flags
  // of the Marathon connection: --marathon-ca-cert CA) with this test's
  // config, group, templates dir and plugin dir, binding no :80/:443 and
  // logging to no syslog: what a run without HAProxy (poll --dry) takes.
  std::vector<std::string> MarathonLbArgs(
      const std::vector<std::string>& mode_args,
      const std::vector<std::string>& marathon) const {
    std::vector<std::string> argv = {mlb_binary_};
    argv.insert(argv.end(), mode_args.begin(), mode_args.end());
    argv.push_back("--marathon");
    argv.insert(argv.end(), marathon.begin(), marathon.end());
    for (const std::string& a :
         {std::string("--haproxy-config"), cfg_, std::string("--group"),
          std::string(kGroup), std::string("--templates-dir"), templates_dir_,
          std::string("--plugin-dir"), plugin_dir_,
          std::string("--dont-bind-http-https"), std::string("--syslog-socket"),
          std::string("/dev/null")}) {
      argv.push_back(a);
    }
    return argv;
  }

  // Those with --run-haproxy, the admin endpoint and flags_.
  std::vector<std::string> ManagedArgs(
      const std::vector<std::string>& mode_args,
      const std::vector<std::string>& marathon) const {
    std::vector<std::string> argv = MarathonLbArgs(mode_args, marathon);
    argv.push_back("--run-haproxy");
    argv.push_back("--admin-address");
    argv.push_back("127.0.0.1:" + std::to_string(admin_port_));
    for (const auto& [flag, value] : flags_) {
      argv.push_back(flag);
      if (!value.empty()) {  // "": a flag without a value
        argv.push_back(value);
      }
    }
    return argv;
  }

  // Starts marathon-lb with `argv` (its output in marathon-lb.log).
  void SpawnMarathonLb(const std::vector<std::string>& argv) {
    mlb_ = std::make_unique<ScopedProcess>(argv, dir_->File("marathon-lb.log"));
  }

  // Waits until HAProxy serves the first config (the app-id frontend accepts,
  // the pid file names a live haproxy and marathon-lb logged that it started
  // it) and registers its process group with HaproxyGroupGuard; throws with
  // marathon-lb's log if marathon-lb exits or 15 s pass first.
  void AwaitHaproxy() {
    const bool up = WaitUntil(
        [&] {
          return !mlb_->Running() ||
                 (Accepts("127.0.0.1", appid_port_) && HaproxyMasterPid() > 0 &&
                  CountMessages(MlbLog(), "started HAProxy (master pid ") > 0);
        },
        Millis(15000), Millis(20));
    if (!up || !mlb_->Running()) {
      throw std::runtime_error("marathon-lb did not start HAProxy on " +
                               std::to_string(appid_port_) + ":\n" +
                               Tail(MlbLog(), 80));
    }
    HaproxyGroupGuard::Add(HaproxyMasterPid());
  }

  // HAProxy's master PID from marathon-lb's pid file, if that process is
  // alive; 0 otherwise.
  pid_t HaproxyMasterPid() const {
    const std::string text = ReadFile(PidFile());
    const pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
    return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
  }
  std::string PidFile() const { return cfg_ + ".pid"; }
  std::string MasterSocket() const { return cfg_ + ".master.sock"; }

  // SIGTERM to marathon-lb: it must exit 0 and leave no HAProxy process of
  // this test's config behind. Leftovers fail the test and are SIGKILLed (by
  // the pid file's process group, then one by one).
  void StopMarathonLb() {
    if (!mlb_) {
      return;
    }
    const pid_t master = HaproxyMasterPid();
    if (mlb_->Running()) {
      kill(mlb_->pid(), SIGTERM);
    }
    // HaproxyProcess::Stop waits up to its 10 s grace for connections.
    const std::optional<int> code = mlb_->WaitExit(Millis(20000));
    EXPECT_EQ(code, std::optional<int>(0))
        << "marathon-lb did not exit 0 on SIGTERM\n"
        << Tail(MlbLog());
    const bool gone = WaitUntil(
        [&] { return HaproxyProcessesFor(cfg_).empty(); }, Millis(3000));
    if (!gone) {
      std::string left;
      for (pid_t pid : HaproxyProcessesFor(cfg_)) {
        left += " " + std::to_string(pid) + " (parent " +
                std::to_string(ParentPid(pid)) + ")";
      }
      ADD_FAILURE() << "haproxy processes of " << cfg_
                    << " still running after marathon-lb exited:" << left;
      if (master > 0) {
        kill(-master, SIGKILL);
      }
      for (pid_t pid : HaproxyProcessesFor(cfg_)) {
        kill(pid, SIGKILL);
      }
      WaitUntil([&] { return HaproxyProcessesFor(cfg_).empty(); },
                Millis(2000));
    }
    if (master > 0) {
      HaproxyGroupGuard::Remove(master);
    }
    mlb_->Stop(SIGKILL, Millis(0));
    final_mlb_log_ = MlbLog();
    mlb_.reset();
  }

  // marathon-lb's output so far (after StopMarathonLb, all of it).
  std::string MlbLog() const { return mlb_ ? mlb_->Output() : final_mlb_log_; }

  // The app /web on service_port_, http mode, with these tasks (and these
  // labels besides).
  std::string State(const std::vector<TaskSpec>& tasks,
                    const std::map<std::string, std::string>& more = {}) const {
    std::map<std::string, std::string> labels = {
        {"HAPROXY_GROUP", kGroup},
        {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
        {"HAPROXY_0_MODE", "http"}};
    labels.insert(more.begin(), more.end());
    return StateJson({AppJson("/web", {service_port_}, labels, tasks)});
  }

  // GET through the app's service-port frontend (a new connection).
  HttpResponse ViaService() const {
    return HttpGet("127.0.0.1", service_port_, "/", "web.test");
  }

  // Waits until 4 consecutive requests through HAProxy are answered by
  // `names` only and every name in `names` answered at least once (at most
  // `timeout`; backends_timeout_ if not given).
  bool WaitForBackends(const std::set<std::string>& names, Millis timeout) {
    return WaitUntil(
        [&] {
          std::set<std::string> seen;
          for (int i = 0; i < 4; ++i) {
            const std::string b = ViaService().Backend();
            if (names.count(b) == 0) {
              return false;
            }
            seen.insert(b);
          }
          return seen == names;
        },
        timeout, Millis(20));
  }
  bool WaitForBackends(const std::set<std::string>& names) {
    return WaitForBackends(names, backends_timeout_);
  }

  HttpResponse Admin(const std::string& path) const {
    return HttpGet("127.0.0.1", admin_port_, path, "admin.test");
  }

  int appid_port_ = 0, service_port_ = 0, admin_port_ = 0;
  // marathon-lb's flags after --run-haproxy and the admin address (a value
  // "" for a flag without a value): short live-mode timers by default; a
  // test changes them before starting marathon-lb.
  std::map<std::string, std::string> flags_ = {
      {"--sse-idle-timeout", "2"},
      {"--max-backoff", "1"},
      {"--debounce-ms", "100"},
      {"--min-update-interval-ms", "200"}};
  Millis backends_timeout_ = Millis(8000);
  std::unique_ptr<ScopedProcess> mlb_;
  std::string final_mlb_log_;
};

}  // namespace mlb::integration
