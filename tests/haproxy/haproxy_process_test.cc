// HaproxyProcess against a real HAProxy 2.6 in master-worker mode on
// 127.0.0.1: start, reload, rejected configs, restarts after a crash, reloads
// under load, the bound on old workers and a stop that leaves nothing behind.
// Every test cleans up in TearDown, even after a failed assertion.
#include "core/haproxy/haproxy_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mlb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long MsSince(Clock::time_point start) {
  return static_cast<long long>(
      std::chrono::duration_cast<milliseconds>(Clock::now() - start).count());
}

std::string HaproxyBinary() {
  const char* env = std::getenv("MLB_HAPROXY");
  if (env != nullptr && *env != '\0') {
    return env;
  }
  return access("/usr/sbin/haproxy", X_OK) == 0 ? "/usr/sbin/haproxy"
                                                : "haproxy";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A loopback port nobody listens on right now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// A listening socket on a free loopback port; the kernel completes
// connections into its backlog even when nobody calls accept().
int Listen(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      close(fd);
    }
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One HTTP/1.1 request on a new connection. Returns the body of a 200, or
// "ERROR: ..." for anything else.
std::string Get(int port) {
  const int fd = Connect(port);
  if (fd < 0) {
    return std::string("ERROR: connect: ") + std::strerror(errno);
  }
  const std::string request =
      "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    const std::string err = std::strerror(errno);
    close(fd);
    return "ERROR: send: " + err;
  }
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
    response.append(buf, static_cast<size_t>(n));
  }
  const int err = errno;
  close(fd);
  if (n < 0) {
    return std::string("ERROR: recv: ") + std::strerror(err) + " after '" +
           response + "'";
  }
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) {
    return "ERROR: response '" + response + "'";
  }
  return response.substr(body + 4);
}

// Polls until Get(port) answers `want`; how long that took, or -1.
long long WaitForAnswer(int port, const std::string& want,
                        milliseconds limit = milliseconds(3000)) {
  const Clock::time_point start = Clock::now();
  while (MsSince(start) < limit.count()) {
    if (Get(port) == want) {
      return MsSince(start);
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return -1;
}

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgrp = 0;
  std::string comm;
  char state = '?';
};

std::vector<ProcInfo> AllProcesses() {
  std::vector<ProcInfo> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) {
    return out;
  }
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') {
      continue;
    }
    const std::string stat =
        ReadFile(std::string("/proc/") + e->d_name + "/stat");
    const size_t open = stat.find('(');
    const size_t close_paren = stat.rfind(')');
    if (open == std::string::npos || close_paren == std::string::npos) {
      continue;
    }
    ProcInfo p;
    p.pid = static_cast<pid_t>(std::atol(e->d_name));
    p.comm = stat.substr(open + 1, close_paren - open - 1);
    std::istringstream rest(stat.substr(close_paren + 1));
    long ppid = 0;
    long pgrp = 0;
    rest >> p.state >> ppid >> pgrp;
    p.ppid = static_cast<pid_t>(ppid);
    p.pgrp = static_cast<pid_t>(pgrp);
    out.push_back(p);
  }
  closedir(d);
  return out;
}

// Live (not zombie) processes of the process groups `groups`, plus any
// haproxy that is our own child (zombie or not). A process SIGKILLed a
// moment ago may still be tearing down (state R or D on a loaded machine):
// what is left after `patience` is left.
std::vector<ProcInfo> Leftovers(const std::set<pid_t>& groups,
                                milliseconds patience = milliseconds(2000)) {
  std::vector<ProcInfo> out;
  const Clock::time_point start = Clock::now();
  do {
    out.clear();
    for (const ProcInfo& p : AllProcesses()) {
      const bool in_group = groups.count(p.pgrp) != 0 && p.state != 'Z';
      const bool our_child = p.ppid == getpid() && p.comm == "haproxy";
      if (in_group || our_child) {
        out.push_back(p);
      }
    }
    if (!out.empty()) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  } while (!out.empty() && Clock::now() - start < patience);
  return out;
}

std::string Describe(const std::vector<ProcInfo>& procs) {
  std::string out;
  for (const ProcInfo& p : procs) {
    out += " " + std::to_string(p.pid) + "(" + p.comm + " " + p.state +
           " ppid " + std::to_string(p.ppid) + ")";
  }
  return out;
}

// True when `fd`'s peer closed or reset it within `limit`.
bool ClosedByPeer(int fd, milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) {
    return false;
  }
  char c;
  return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

long long Median(std::vector<long long> v) {
  if (v.empty()) {
    return -1;
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class HaproxyProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_ = std::make_unique<testing::TempDir>("mlb_hp_");
    dir_ = temp_->path();
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    options_.haproxy_binary = HaproxyBinary();
    options_.config_path = dir_ + "/haproxy.cfg";
    options_.master_socket = dir_ + "/master.sock";
    options_.pid_file = dir_ + "/haproxy.pid";
    options_.ready_timeout = milliseconds(10000);
    options_.reload_timeout = milliseconds(10000);
    options_.stop_grace = milliseconds(3000);
    options_.stop_with_owner = true;  // no orphans if this binary crashes
    options_.log_output = false;
  }

  void TearDown() override {
    for (int fd : fds_) {
      close(fd);
    }
    if (proc_) {
      Track();
      Status s = proc_->Stop();
      EXPECT_TRUE(s.ok()) << s.message();
      proc_.reset();
    }
    // Safety net for failed tests: kill by PID whatever is left, and reap our
    // own children.
    for (const ProcInfo& p : Leftovers(groups_, milliseconds(0))) {
      kill(p.pid, SIGKILL);
    }
    for (const ProcInfo& p : Leftovers(groups_, milliseconds(0))) {
      if (p.ppid == getpid()) {
        waitpid(p.pid, nullptr, 0);
      }
    }
    if (!dir_.empty()) {
      EXPECT_EQ(std::system(("rm -rf " + dir_).c_str()), 0);
    }
  }

  // An HTTP listener that answers 200 `answer` itself; `extra` is appended.
  std::string Config(const std::string& answer,
                     const std::string& extra = "") const {
    return "global\n"
           "  maxconn 100\n"
           "defaults\n"
           "  mode http\n"
           "  timeout connect 1s\n"
           "  timeout client 30s\n"
           "  timeout server 30s\n"
           "\n"
           "listen web\n"
           "  bind 127.0.0.1:" + std::to_string(port_) + "\n"
           "  http-request return status 200 content-type text/plain string " +
           answer + "\n" + extra;
  }

  void WriteConfig(const std::string& text) {
    WriteFile(options_.config_path, text);
  }

  HaproxyProcess& Make() {
    proc_ = std::make_unique<HaproxyProcess>(options_);
    return *proc_;
  }

  // Remembers the current master's process group for the safety net.
  void Track() {
    if (proc_ && proc_->MasterPid() > 0) {
      groups_.insert(proc_->MasterPid());
    }
  }

  std::unique_ptr<testing::TempDir> temp_;
  std::string dir_;
  int port_ = 0;
  HaproxyProcessOptions options_;
  std::unique_ptr<HaproxyProcess> proc_;
  std::set<pid_t> groups_;
  std::vector<int> fds_;  // closed in TearDown
};

TEST_F(HaproxyProcessTest, StartServesAndStopLeavesNoProcess) {
  WriteConfig(Config("one"));
  HaproxyProcess& hp = Make();
  const Clock::time_point start = Clock::now();
  Status s = hp.Start();
  ASSERT_TRUE(s.ok()) << s.message();
  const long long start_ms = MsSince(start);
  Track();
  const pid_t master = hp.MasterPid();
  ASSERT_GT(master, 0);
  EXPECT_EQ(ReadFile(options_.pid_file), std::to_string(master) + "\n");
  EXPECT_EQ(Get(port_), "one");
  HaproxyProcList procs;
  ASSERT_TRUE(hp.ShowProc(&procs).ok());
  EXPECT_EQ(procs.master.pid, master);
  EXPECT_EQ(procs.workers.size(), 1u);
  EXPECT_EQ(hp.OldWorkers(), 0);
  EXPECT_TRUE(hp.CheckAlive());
  EXPECT_FALSE(hp.Start().ok()) << "a second Start must be refused";

  const Clock::time_point stop = Clock::now();
  s = hp.Stop();
  ASSERT_TRUE(s.ok()) << s.message();
  const long long stop_ms = MsSince(stop);
  EXPECT_EQ(hp.MasterPid(), 0);
  EXPECT_NE(hp.LastExit().find("stopped by SIGUSR1, exited with code 0"),
            std::string::npos)
      << hp.LastExit();
  std::vector<ProcInfo> left = Leftovers({master});
  EXPECT_TRUE(left.empty()) << Describe(left);
  EXPECT_NE(Get(port_).find("ERROR"), std::string::npos);
  EXPECT_TRUE(hp.Stop().ok());
  EXPECT_TRUE(hp.Supervise().ok()) << "stopped: nothing to supervise";
  EXPECT_EQ(hp.MasterPid(), 0);
  std::printf("[ metrics  ] start %lld ms, graceful stop %lld ms\n", start_ms,
              stop_ms);
}

TEST_F(HaproxyProcessTest, StartReportsHaproxysOutputWhenItExits) {
  WriteConfig(Config("one") + "  http-request bogus-action\n");
  HaproxyProcess& hp = Make();
  Status s = hp.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("exited with code 1 before it was ready"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("[ALERT]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(options_.config_path + ":12"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("bogus-action"), std::string::npos)
      << s.message();
  EXPECT_EQ(hp.MasterPid(), 0);
  EXPECT_TRUE(hp.Supervise().ok()) << "never started: nothing to restart";
  EXPECT_EQ(hp.MasterPid(), 0);

  options_.haproxy_binary = dir_ + "/no-such-haproxy";
  HaproxyProcess& missing = Make();
  s = missing.Start();
  ASSERT_FALSE(s.ok());
  // Not found is said as such (--haproxy-binary), not as an exit 127.
  EXPECT_EQ(s.message(), "cannot start HAProxy: " + options_.haproxy_binary +
                             " not found (see --haproxy-binary)");
  std::vector<ProcInfo> left = Leftovers({});
  EXPECT_TRUE(left.empty()) << Describe(left);
}

TEST_F(HaproxyProcessTest, ReloadServesTheNewConfig) {
  WriteConfig(Config("v0"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  ASSERT_EQ(Get(port_), "v0");
  std::vector<long long> durations;
  int first_request_new = 0;
  constexpr int kReloads = 5;
  for (int i = 1; i <= kReloads; ++i) {
    const std::string answer = "v" + std::to_string(i);
    WriteConfig(Config(answer));
    HaproxyReloadReport report;
    const pid_t before = hp.MasterPid();
    Status s = hp.Reload(&report);
    ASSERT_TRUE(s.ok()) << s.message();
    const std::string first = Get(port_);
    first_request_new += first == answer ? 1 : 0;
    EXPECT_GE(WaitForAnswer(port_, answer, milliseconds(1000)), 0)
        << "reload " << i << " still answers " << Get(port_);
    durations.push_back(report.duration.count());
    EXPECT_EQ(hp.MasterPid(), before) << "the master re-executes in place";
    EXPECT_GT(report.worker_pid, 0);
    EXPECT_FALSE(report.shared);
  }
  std::printf(
      "[ metrics  ] reload latency, small config: median %lld ms, max %lld "
      "ms; first request after Reload() answered by the new config %d/%d\n",
      Median(durations), *std::max_element(durations.begin(), durations.end()),
      first_request_new, kReloads);
  EXPECT_EQ(first_request_new, kReloads);
}

TEST_F(HaproxyProcessTest, RejectedConfigKeepsTheOldOneServing) {
  WriteConfig(Config("good"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  HaproxyProcList before;
  ASSERT_TRUE(hp.ShowProc(&before).ok());

  WriteConfig(Config("bad") + "  server-nonsense here\n");
  HaproxyReloadReport report;
  Status s = hp.Reload(&report);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("reloading haproxy with " + options_.config_path +
                             ": haproxy rejected the config and kept the "
                             "previous worker; haproxy output:\n"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("[ALERT]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("server-nonsense"), std::string::npos)
      << s.message();
  EXPECT_EQ(Get(port_), "good");
  HaproxyProcList after;
  ASSERT_TRUE(hp.ShowProc(&after).ok());
  EXPECT_TRUE(after.last_reload_failed);
  ASSERT_EQ(after.workers.size(), 1u);
  EXPECT_EQ(after.workers[0].pid, before.workers[0].pid);
  EXPECT_TRUE(hp.CheckAlive());

  WriteConfig(Config("fixed"));
  s = hp.Reload(&report);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Get(port_), "fixed");
}

// A master that dies after a stable run (here: its first death since Start())
// is started again at once; one that dies again within a minute of its start
// waits for the backoff (at least 1 s), so a crash loop is not a busy loop.
TEST_F(HaproxyProcessTest, SuperviseRestartsAKilledMasterAtOnceThenBacksOff) {
  WriteConfig(Config("alive"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  const pid_t first = hp.MasterPid();
  ASSERT_EQ(kill(first, SIGKILL), 0);
  const Clock::time_point killed = Clock::now();
  while (hp.CheckAlive() && MsSince(killed) < 2000) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(hp.MasterPid(), 0);
  EXPECT_EQ(hp.LastExit(), "haproxy master (pid " + std::to_string(first) +
                               ") was killed by signal 9 (Killed)");
  EXPECT_EQ(hp.LastDeath().cause, hp.LastExit());
  EXPECT_EQ(hp.LastDeath().master_pid, first);
  EXPECT_EQ(hp.LastDeath().worker_pid, 0);
  std::vector<ProcInfo> left = Leftovers({first});
  EXPECT_TRUE(left.empty()) << "workers of the dead master:" << Describe(left);
  Status s = hp.Supervise();
  ASSERT_TRUE(s.ok()) << "the first death is restarted at once: "
                      << s.message();
  const long long restart_ms = MsSince(killed);
  Track();
  const pid_t second = hp.MasterPid();
  ASSERT_GT(second, 0);
  EXPECT_NE(second, first);
  EXPECT_EQ(hp.restarts(), 1);
  EXPECT_EQ(hp.deaths(), 1);
  EXPECT_EQ(hp.worker_deaths(), 0);
  EXPECT_GE(hp.last_restart_ms(), 0);
  EXPECT_EQ(Get(port_), "alive");
  EXPECT_EQ(ReadFile(options_.pid_file), std::to_string(second) + "\n");

  // Dead again within a minute of its start: the backoff.
  ASSERT_EQ(kill(second, SIGKILL), 0);
  const Clock::time_point killed_again = Clock::now();
  while (hp.CheckAlive() && MsSince(killed_again) < 2000) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  s = hp.Supervise();
  ASSERT_FALSE(s.ok()) << "restarted without a backoff";
  EXPECT_NE(s.message().find("next start in"), std::string::npos)
      << s.message();
  while (!hp.Supervise().ok() && MsSince(killed_again) < 5000) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  Track();
  ASSERT_GT(hp.MasterPid(), 0);
  EXPECT_NE(hp.MasterPid(), second);
  EXPECT_EQ(hp.restarts(), 2);
  EXPECT_EQ(hp.deaths(), 2);
  EXPECT_EQ(Get(port_), "alive");
  WriteConfig(Config("reloaded"));
  s = hp.Reload();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Get(port_), "reloaded");
  std::printf("[ metrics  ] passive Supervise(): serving again %lld ms after "
              "SIGKILL of the master\n",
              restart_ms);
}

// The supervise thread is woken by the master's exit, not by its interval
// (a minute here).
TEST_F(HaproxyProcessTest, SuperviseThreadRestartsAKilledMasterWhenItExits) {
  options_.supervise_interval = milliseconds(60000);
  WriteConfig(Config("alive"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  const pid_t first = hp.MasterPid();
  ASSERT_EQ(kill(first, SIGKILL), 0);
  const Clock::time_point killed = Clock::now();
  while (hp.restarts() == 0 && MsSince(killed) < 5000) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  Track();
  ASSERT_GT(hp.MasterPid(), 0);
  ASSERT_NE(hp.MasterPid(), first);
  const long long waited = WaitForAnswer(port_, "alive");
  ASSERT_GE(waited, 0);
  const long long restart_ms = MsSince(killed);
  EXPECT_EQ(hp.restarts(), 1);
  EXPECT_EQ(hp.LastExit(), "haproxy master (pid " + std::to_string(first) +
                               ") was killed by signal 9 (Killed)");
  std::printf("[ metrics  ] supervise thread: serving again %lld ms after "
              "SIGKILL\n",
              restart_ms);
}

// Issue 12 item 13: HAProxy 2.6's master does not outlive its current worker
// (even with `master-worker no-exit-on-failure`, which its re-execution in
// wait mode forgets): killed, the worker takes every process with it
// (exit-on-failure); ended by SIGTERM, the master exits as no worker is left.
// Either way the death is the worker's, counted as such, and the master is
// started again.
TEST_F(HaproxyProcessTest, AWorkersDeathTakesItsMasterAndCountsAsTheWorkers) {
  WriteConfig(Config("alive", "") +
              "global\n  master-worker no-exit-on-failure\n");
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  auto current_worker = [&] {
    HaproxyProcList procs;
    Status s = hp.ShowProc(&procs);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(procs.workers.size(), 1u);
    return procs.workers.empty() ? 0 : procs.workers[0].pid;
  };
  const pid_t first = hp.MasterPid();
  const pid_t worker = current_worker();
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  hp.WaitForExit(milliseconds(10000));
  EXPECT_FALSE(hp.CheckAlive()) << "the master is gone";
  std::vector<ProcInfo> left = Leftovers({first});
  EXPECT_TRUE(left.empty()) << Describe(left);
  Status s = hp.Supervise();
  ASSERT_TRUE(s.ok()) << s.message();
  Track();
  ASSERT_GT(hp.MasterPid(), 0);
  EXPECT_NE(hp.MasterPid(), first) << "the master went with its worker";
  EXPECT_EQ(hp.restarts(), 1);
  EXPECT_EQ(hp.worker_deaths(), 1);
  EXPECT_EQ(hp.LastExit(), "haproxy master (pid " + std::to_string(first) +
                               ") exited with code 137");
  HaproxyDeath death = hp.LastDeath();
  EXPECT_EQ(death.master_pid, first);
  EXPECT_EQ(death.worker_pid, worker);
  EXPECT_EQ(death.cause, "haproxy worker (pid " + std::to_string(worker) +
                             ") exited with code 137 (Killed), and its "
                             "master (pid " + std::to_string(first) +
                             ") stopped every worker and exited with code "
                             "137 (HAProxy's exit-on-failure)");
  EXPECT_EQ(Get(port_), "alive");

  // SIGTERM: within a minute of the restart, so after the backoff.
  const pid_t second = hp.MasterPid();
  const pid_t second_worker = current_worker();
  ASSERT_GT(second_worker, 0);
  ASSERT_EQ(kill(second_worker, SIGTERM), 0);
  const Clock::time_point killed = Clock::now();
  while ((hp.restarts() < 2 || !hp.Supervise().ok()) &&
         MsSince(killed) < 10000) {
    hp.WaitForExit(milliseconds(100));
    (void)hp.Supervise();
  }
  Track();
  EXPECT_EQ(hp.restarts(), 2);
  EXPECT_EQ(hp.worker_deaths(), 2);
  death = hp.LastDeath();
  EXPECT_EQ(death.worker_pid, second_worker);
  EXPECT_EQ(death.cause, "haproxy worker (pid " +
                             std::to_string(second_worker) +
                             ") exited with code 143 (Terminated), and its "
                             "master (pid " + std::to_string(second) +
                             ") exited with code 0 (no worker left)");
  EXPECT_EQ(Get(port_), "alive");
}

TEST_F(HaproxyProcessTest, ReloadsUnderLoadFailNoRequest) {
  WriteConfig(Config("a"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  ASSERT_EQ(Get(port_), "a");

  std::atomic<bool> stop{false};
  std::atomic<int> requests{0};
  std::atomic<int> failures{0};
  std::string first_failure;
  std::thread client([&] {
    const Clock::time_point start = Clock::now();
    while (!stop && MsSince(start) < 15000) {
      const std::string body = Get(port_);
      ++requests;
      if (body != "a" && body != "b") {
        if (failures++ == 0) {
          first_failure = body;
        }
      }
    }
  });
  constexpr int kReloads = 20;
  std::vector<long long> durations;
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kReloads; ++i) {
    std::this_thread::sleep_for(milliseconds(80));
    WriteConfig(Config(i % 2 == 0 ? "b" : "a"));
    HaproxyReloadReport report;
    Status s = hp.Reload(&report);
    EXPECT_TRUE(s.ok()) << s.message();
    durations.push_back(report.duration.count());
  }
  std::this_thread::sleep_for(milliseconds(100));
  stop = true;
  client.join();
  const long long total_ms = MsSince(start);
  EXPECT_EQ(failures.load(), 0) << "first failure: " << first_failure;
  EXPECT_GT(requests.load(), 100);
  std::printf(
      "[ metrics  ] %d reloads in %lld ms under a new-connection-per-request "
      "client: %d requests, %d failed; reload median %lld ms, max %lld ms\n",
      kReloads, total_ms, requests.load(), failures.load(), Median(durations),
      *std::max_element(durations.begin(), durations.end()));
}

TEST_F(HaproxyProcessTest, OldWorkersAreBoundedAndStopEscalates) {
  options_.max_old_workers = 2;
  options_.stop_grace = milliseconds(500);
  int backend_port = 0;
  const int backend = Listen(&backend_port);
  ASSERT_GE(backend, 0);
  fds_.push_back(backend);
  const int tcp_port = FreePort();
  const std::string tcp = "\nlisten hold\n  mode tcp\n  bind 127.0.0.1:" +
                          std::to_string(tcp_port) +
                          "\n  server s 127.0.0.1:" +
                          std::to_string(backend_port) + "\n";
  WriteConfig(Config("r0", tcp));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();

  // Each worker generation gets one long-lived TCP connection, then a reload
  // turns it into an old worker that cannot finish.
  constexpr int kReloads = 5;
  std::vector<int> clients;
  int max_seen = 0;
  int stopped = 0;
  for (int i = 1; i <= kReloads; ++i) {
    const int client = Connect(tcp_port);
    ASSERT_GE(client, 0);
    fds_.push_back(client);
    clients.push_back(client);
    // HAProxy has connected to the backend: the worker owns a session.
    pollfd p{backend, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1) << "haproxy did not connect to the backend";
    const int server_side = accept4(backend, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(server_side, 0);
    fds_.push_back(server_side);

    WriteConfig(Config("r" + std::to_string(i), tcp));
    HaproxyReloadReport report;
    Status s = hp.Reload(&report);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_LE(report.old_workers, 2);
    stopped += static_cast<int>(report.stopped_old_workers.size());
    max_seen = std::max(max_seen, report.old_workers);
    const int listed = hp.OldWorkers();
    EXPECT_LE(listed, 3) << "at most the bound plus one being stopped";
  }
  EXPECT_EQ(stopped, kReloads - 2);
  // The oldest generations were hard-stopped: their clients are cut.
  for (int i = 0; i < kReloads - 2; ++i) {
    EXPECT_TRUE(ClosedByPeer(clients[i], milliseconds(2000)))
        << "client " << i << " of a stopped old worker still open";
  }
  for (int i = kReloads - 2; i < kReloads; ++i) {
    EXPECT_FALSE(ClosedByPeer(clients[i], milliseconds(50)))
        << "client " << i << " of a kept old worker was cut";
  }
  int listed = -1;
  const Clock::time_point wait = Clock::now();
  while ((listed = hp.OldWorkers()) != 2 && MsSince(wait) < 2000) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(listed, 2);
  EXPECT_EQ(Get(port_), "r" + std::to_string(kReloads));

  // Stop with connections still held: SIGUSR1 cannot finish, so SIGTERM.
  const pid_t master = hp.MasterPid();
  const Clock::time_point stop = Clock::now();
  Status s = hp.Stop();
  ASSERT_TRUE(s.ok()) << s.message();
  const long long stop_ms = MsSince(stop);
  EXPECT_LT(stop_ms, 500 + 3000 + 1000);
  EXPECT_NE(hp.LastExit().find("SIGTERM after 500 ms of SIGUSR1"),
            std::string::npos)
      << hp.LastExit();
  std::vector<ProcInfo> left = Leftovers({master});
  EXPECT_TRUE(left.empty()) << Describe(left);
  std::printf(
      "[ metrics  ] max_old_workers 2, %d reloads with held connections: "
      "at most %d old workers after a reload, %d hard-stopped; Stop() with "
      "held connections took %lld ms\n",
      kReloads, max_seen, stopped, stop_ms);
}

TEST_F(HaproxyProcessTest, StartRetiresAStaleMasterFromThePidFile) {
  // An HAProxy left by an earlier run, on the same socket, pid file and port.
  WriteConfig(Config("stale"));
  const std::string binary = options_.haproxy_binary;
  const pid_t stale = fork();
  ASSERT_GE(stale, 0);
  if (stale == 0) {
    setpgid(0, 0);
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execlp(binary.c_str(), binary.c_str(), "-W", "-db", "-S",
           options_.master_socket.c_str(), "-f", options_.config_path.c_str(),
           "-p", options_.pid_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  groups_.insert(stale);
  const Clock::time_point launched = Clock::now();
  while (Get(port_) != "stale" && MsSince(launched) < 5000) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(Get(port_), "stale");
  ASSERT_EQ(ReadFile(options_.pid_file), std::to_string(stale) + "\n");

  WriteConfig(Config("fresh"));
  HaproxyProcess& hp = Make();
  Status s = hp.Start();
  ASSERT_TRUE(s.ok()) << s.message();
  Track();
  // The stale master got SIGUSR1: it exits once its connections are done.
  const Clock::time_point started = Clock::now();
  int status = 0;
  pid_t reaped = 0;
  while ((reaped = waitpid(stale, &status, WNOHANG)) == 0 &&
         MsSince(started) < 3000) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(reaped, stale) << "the stale master is still running";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  groups_.erase(stale);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Get(port_), "fresh");
  }
  EXPECT_EQ(ReadFile(options_.pid_file),
            std::to_string(hp.MasterPid()) + "\n");
}

TEST_F(HaproxyProcessTest, ConcurrentReloadsCoalesce) {
  WriteConfig(Config("c0"));
  HaproxyProcess& hp = Make();
  ASSERT_TRUE(hp.Start().ok());
  Track();
  HaproxyProcList before;
  ASSERT_TRUE(hp.ShowProc(&before).ok());
  WriteConfig(Config("c1"));

  constexpr int kCallers = 4;
  std::vector<std::thread> callers;
  std::vector<Status> results(kCallers);
  std::vector<HaproxyReloadReport> reports(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { results[i] = hp.Reload(&reports[i]); });
  }
  for (std::thread& t : callers) {
    t.join();
  }
  int shared = 0;
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i].message();
    shared += reports[i].shared ? 1 : 0;
  }
  HaproxyProcList after;
  ASSERT_TRUE(hp.ShowProc(&after).ok());
  const int reloads = after.master.reloads - before.master.reloads;
  EXPECT_EQ(reloads + shared, kCallers);
  EXPECT_LT(reloads, kCallers) << "waiting callers should share a reload";
  EXPECT_EQ(Get(port_), "c1");
  std::printf("[ metrics  ] %d concurrent Reload() calls: %d reloads ran\n",
              kCallers, reloads);
}

}  // namespace
}  // namespace mlb
