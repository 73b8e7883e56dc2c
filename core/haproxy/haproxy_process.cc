#include "core/haproxy/haproxy_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/base/fd.h"
#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/process.h"
#include "core/haproxy/haproxy_binary.h"

namespace mlb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPollStep{10};
constexpr milliseconds kCliTimeout{5000};     // one-off commands
constexpr milliseconds kCliPollTimeout{1000};  // one poll while waiting
constexpr milliseconds kTermGrace{3000};      // SIGTERM before SIGKILL
constexpr milliseconds kMinRestartBackoff{1000};
constexpr std::chrono::seconds kStableRun{60};  // resets the backoff
constexpr size_t kMaxLineBytes = 4096;

long long Ms(Clock::duration d) {
  return static_cast<long long>(
      std::chrono::duration_cast<milliseconds>(d).count());
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return "exited with code " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "was killed by signal " + std::to_string(sig) +
           (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

// The parent PID from /proc/<pid>/stat; 0 if the process does not exist.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return 0;
  }
  std::istringstream rest(stat.substr(paren + 1));
  std::string state;
  long ppid = 0;
  rest >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

// The command line of `pid`, one string per argument. /proc/<pid>/cmdline
// reads as empty for a few milliseconds now and then (seen while HAProxy
// starts up), so an empty answer is retried briefly.
std::vector<std::string> CommandLineOf(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/cmdline";
  std::vector<std::string> args;
  for (int attempt = 0; attempt < 40 && args.empty(); ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      break;  // gone
    }
    std::string arg;
    while (std::getline(in, arg, '\0')) {
      args.push_back(arg);
    }
  }
  return args;
}

std::string WithOutput(const std::string& message, const std::string& output) {
  if (output.empty()) {
    return message + " (haproxy printed nothing)";
  }
  return message + "; haproxy output:\n" + output;
}

}  // namespace

// ---------------------------------------------------------------------------
// The output reader: one per started master, reads the pipe that the master
// and its workers share as stdout and stderr.

struct HaproxyProcess::OutputReader {
  int fd = -1;                // read end of HAProxy's stdout/stderr
  int wake[2] = {-1, -1};     // written to stop the thread
  std::atomic<bool> busy{false};  // between read() and the last AppendLine()
  std::thread thread;

  ~OutputReader() {
    CloseFd(&fd);
    CloseFd(&wake[0]);
    CloseFd(&wake[1]);
  }

  // Reads until EOF (every HAProxy process closed the pipe) or until woken;
  // when woken, first drains what is already in the pipe (`fd` is
  // non-blocking, so a writer that outlived the group cannot hold us).
  void Run(HaproxyProcess* owner) {
    std::string partial;
    auto consume = [&](const char* data, size_t size) {
      for (size_t i = 0; i < size; ++i) {
        if (data[i] == '\n') {
          owner->AppendLine(std::move(partial));
          partial.clear();
        } else if (partial.size() < kMaxLineBytes) {
          partial.push_back(data[i]);
        }
      }
    };
    char buf[4096];
    bool woken = false;
    while (true) {
      pollfd p[2] = {{fd, POLLIN, 0}, {wake[0], POLLIN, 0}};
      if (!woken && poll(p, 2, -1) < 0 && errno != EINTR) {
        break;
      }
      woken = woken || (p[1].revents & POLLIN) != 0;
      busy = true;
      const ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        consume(buf, static_cast<size_t>(n));
        busy = false;
        continue;
      }
      busy = false;
      if (n == 0 || (errno != EINTR && errno != EAGAIN) ||
          (woken && errno == EAGAIN)) {
        break;
      }
    }
    if (!partial.empty()) {
      owner->AppendLine(std::move(partial));
    }
  }

  void StopAndJoin() {
    if (thread.joinable()) {
      const char c = 1;
      ssize_t ignored = write(wake[1], &c, 1);
      (void)ignored;
      thread.join();
    }
  }
};

void HaproxyProcess::AppendLine(std::string line) {
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  if (options_.log_output) {
    if (line.find("[ALERT]") != std::string::npos) {
      Log().warning("haproxy: " + line);
    } else {
      MLB_LOG(debug, "haproxy: " + line);
    }
  }
  output_.Append(std::move(line));
}

uint64_t HaproxyProcess::OutputMark() const { return output_.Mark(); }

std::string HaproxyProcess::OutputSince(uint64_t since,
                                        size_t max_lines) const {
  return output_.Since(since, max_lines);
}

std::vector<std::string> HaproxyProcess::RecentOutput(size_t max_lines) const {
  return output_.Recent(max_lines);
}

std::string HaproxyProcess::LastExit() const {
  std::lock_guard<std::mutex> lock(out_mu_);
  return last_exit_;
}

HaproxyDeath HaproxyProcess::LastDeath() const {
  std::lock_guard<std::mutex> lock(out_mu_);
  return last_death_;
}

void HaproxyProcess::WaitForOutput(milliseconds limit) const {
  if (!reader_) {
    return;
  }
  const Clock::time_point deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int pending = 0;
    if (ioctl(reader_->fd, FIONREAD, &pending) != 0 ||
        (pending == 0 && !reader_->busy)) {
      return;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
}

// ---------------------------------------------------------------------------
// HaproxyProcess.

HaproxyProcess::HaproxyProcess(HaproxyProcessOptions options)
    : options_(std::move(options)), output_(options_.output_lines) {}

HaproxyProcess::~HaproxyProcess() {
  Status s = Stop();
  if (!s.ok()) {
    Log().error(s.message());
  }
}

std::vector<std::string> HaproxyProcess::Argv() const {
  std::string binary = binary_;
  if (binary.empty()) {  // not started yet
    binary = options_.haproxy_binary.empty() ? "haproxy"
                                             : options_.haproxy_binary;
  }
  std::vector<std::string> argv = {binary, "-W", "-db", "-S",
                                   options_.master_socket, "-f",
                                   options_.config_path};
  if (!options_.pid_file.empty()) {
    argv.push_back("-p");
    argv.push_back(options_.pid_file);
  }
  argv.insert(argv.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  return argv;
}

std::string HaproxyProcess::CommandLine() const {
  return JoinCommandLine(Argv());
}

pid_t HaproxyProcess::StaleMaster() const {
  if (!options_.replace_stale_master || options_.pid_file.empty()) {
    return 0;
  }
  std::ifstream in(options_.pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    return 0;
  }
  return IsForeignMaster(static_cast<pid_t>(pid)) ? static_cast<pid_t>(pid)
                                                  : 0;
}

bool HaproxyProcess::IsForeignMaster(pid_t pid) const {
  if (pid <= 1 || pid == getpid() || pid == pid_.load()) {
    return false;
  }
  std::ifstream comm_file("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(comm_file, comm);
  if (comm != "haproxy") {
    return false;
  }
  const std::vector<std::string> args = CommandLineOf(pid);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "-S" && (args[i + 1] == options_.master_socket ||
                            args[i + 1].rfind(options_.master_socket + ",",
                                              0) == 0)) {
      return true;
    }
  }
  return false;
}

bool HaproxyProcess::MasterExited() const {
  const pid_t pid = pid_.load();
  if (pid <= 0) {
    return true;
  }
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  if (waitid(P_PID, static_cast<id_t>(pid), &info,
             WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;  // reaped behind our back: gone all the same
  }
  return info.si_pid == pid;
}

void HaproxyProcess::KillAndReapLocked(int* wait_status) {
  *wait_status = -1;
  const pid_t pid = pid_.load();
  if (pid > 0) {
    // The master is not reaped yet (at worst a zombie), so its PID is still
    // the group's ID: whatever is left in the group is ours.
    kill(-pid, SIGKILL);
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      *wait_status = status;
    }
    pid_ = 0;
  }
  // The watcher returns once the master is a zombie or reaped, so this
  // does not block.
  if (exit_watcher_.joinable()) {
    exit_watcher_.join();
  }
  if (reader_) {
    reader_->StopAndJoin();
    reader_.reset();
  }
}

std::string HaproxyProcess::DeathCause(pid_t pid, int status,
                                       pid_t* worker) const {
  *worker = 0;
  const std::string master = "haproxy master (pid " + std::to_string(pid) +
                             ") ";
  const std::string how = status == -1 ? std::string("exited (status unknown)")
                                       : DescribeWaitStatus(status);
  // A master killed by a signal died of its own; one that exited by itself
  // did so because its current worker died (see the header comment).
  if (status == -1 || !WIFEXITED(status)) {
    return master + how;
  }
  // HAProxy 2.6: "[ALERT]    (42) : Current worker (43) exited with code 137
  // (Killed)", then "exit-on-failure: killing every processes with SIGTERM"
  // when it takes the others with it.
  const std::string marker = "Current worker (";
  std::string worker_exit;
  bool exit_on_failure = false;
  std::istringstream lines(OutputSince(start_mark_, options_.output_lines));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t at = line.find(marker);
    if (at != std::string::npos) {
      const size_t pid_start = at + marker.size();
      const size_t pid_end = line.find(") ", pid_start);
      if (pid_end == std::string::npos) {
        continue;
      }
      *worker = static_cast<pid_t>(
          std::atol(line.substr(pid_start, pid_end - pid_start).c_str()));
      worker_exit = line.substr(pid_end + 2);
      exit_on_failure = false;
    } else if (*worker != 0 && line.find("exit-on-failure") !=
                                    std::string::npos) {
      exit_on_failure = true;
    }
  }
  if (*worker <= 0) {
    *worker = 0;
    return master + how;
  }
  return "haproxy worker (pid " + std::to_string(*worker) + ") " +
         worker_exit + ", and its master (pid " + std::to_string(pid) + ") " +
         (exit_on_failure ? "stopped every worker and " + how +
                                " (HAProxy's exit-on-failure)"
                          : how + " (no worker left)");
}

bool HaproxyProcess::CheckAliveLocked() {
  const pid_t pid = pid_.load();
  if (pid <= 0) {
    return false;
  }
  if (!MasterExited()) {
    return true;
  }
  const Clock::time_point died = Clock::now();
  int status = -1;
  KillAndReapLocked(&status);  // also reads the rest of HAProxy's output
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    last_exit_ = "haproxy master (pid " + std::to_string(pid) + ") " +
                 (status == -1 ? std::string("exited (status unknown)")
                               : DescribeWaitStatus(status));
  }
  if (!should_run_) {
    return false;
  }
  pid_t worker = 0;
  const std::string cause = DeathCause(pid, status, &worker);
  // A death after a stable run is not a crash loop: restart at once (a
  // worker's death is an outage until then). Deaths that follow within a
  // minute of the start wait, doubling.
  const milliseconds base = std::max(options_.restart_backoff,
                                     kMinRestartBackoff);
  milliseconds delay{0};
  if (backoff_.count() == 0 || died - started_at_ >= kStableRun) {
    backoff_ = base;
  } else {
    delay = backoff_;
    backoff_ = std::min(backoff_ * 2,
                        std::max(options_.max_restart_backoff, base));
  }
  next_restart_ = died + delay;
  died_at_ = died;
  ++deaths_;
  if (worker != 0) {
    ++worker_deaths_;
  }
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    last_death_.master_pid = pid;
    last_death_.worker_pid = worker;
    last_death_.cause = cause;
    last_death_.when = std::chrono::system_clock::now();
  }
  const std::string line =
      cause + " after running " + std::to_string(Ms(died - started_at_)) +
      " ms; " +
      (delay.count() == 0
           ? std::string("restarting it now")
           : "restart in " + std::to_string(delay.count()) + " ms");
  // HAProxy's own words only when no worker's death explains it.
  Log().error(worker != 0 ? line
                          : WithOutput(line, OutputSince(start_mark_, 10)));
  return false;
}

bool HaproxyProcess::CheckAlive() {
  std::lock_guard<std::mutex> lock(op_mu_);
  return CheckAliveLocked();
}

Status HaproxyProcess::ShowProc(HaproxyProcList* out) const {
  std::string reply;
  MLB_RETURN_IF_ERROR(MasterCliCommand(options_.master_socket, "show proc",
                                       &reply, kCliTimeout));
  return ParseShowProc(reply, out);
}

Status HaproxyProcess::WorkerCommands(const std::vector<std::string>& commands,
                                      std::string* reply) const {
  std::string line;
  for (const std::string& command : commands) {
    line += (line.empty() ? "@1 " : ";@1 ") + command;
  }
  return MasterCliCommand(options_.master_socket, line, reply, kCliTimeout);
}

int HaproxyProcess::OldWorkers() const {
  HaproxyProcList procs;
  if (!ShowProc(&procs).ok()) {
    return -1;
  }
  return static_cast<int>(procs.old_workers.size());
}

Status HaproxyProcess::Start() {
  {
    std::lock_guard<std::mutex> lock(op_mu_);
    if (CheckAliveLocked()) {
      return Status::Error("haproxy", "already running (master pid " +
                                          std::to_string(pid_.load()) + ")");
    }
    MLB_RETURN_IF_ERROR(StartLocked());
    should_run_ = true;
    backoff_ = milliseconds(0);
  }
  if (options_.supervise_interval.count() > 0) {
    std::lock_guard<std::mutex> lock(sup_thread_mu_);
    if (!supervisor_.joinable()) {
      {
        std::lock_guard<std::mutex> sup_lock(sup_mu_);
        sup_stop_ = false;
      }
      supervisor_ = std::thread([this] { SuperviseLoop(); });
    }
  }
  return Status::OK();
}

Status HaproxyProcess::StartLocked() {
  // Not found is said as such, not as an HAProxy that exited with 127.
  MLB_RETURN_IF_ERROR(FindHaproxy(options_.haproxy_binary, &binary_)
                          .WithContext("cannot start HAProxy"));
  const std::string what = "haproxy `" + CommandLine() + "`";
  if (options_.config_path.empty()) {
    return Status::Error(what, "no config path");
  }
  constexpr size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (options_.master_socket.empty() ||
      options_.master_socket.size() > kMaxPath) {
    return Status::Error(what, "master socket path '" + options_.master_socket +
                                   "' is empty or longer than " +
                                   std::to_string(kMaxPath) + " bytes");
  }

  const std::vector<std::string> argv = Argv();

  auto reader = std::make_unique<OutputReader>();
  if (pipe2(reader->wake, O_CLOEXEC) != 0) {
    return Status::Error(what, std::string("pipe: ") + std::strerror(errno));
  }
  const uint64_t mark = OutputMark();
  start_mark_ = mark;
  const pid_t stale = StaleMaster();  // before ours rewrites pid_file
  SpawnOptions spawn;
  // Own process group, so that leftovers can be killed as a group.
  spawn.new_process_group = true;
  spawn.terminate_with_parent = options_.stop_with_owner;
  SpawnedProcess child;
  MLB_RETURN_IF_ERROR(Spawn(argv, spawn, &child).WithContext(what));
  reader->fd = child.output_fd;
  const pid_t pid = child.pid;
  pid_ = pid;
  started_at_ = Clock::now();
  OutputReader* raw = reader.get();
  raw->thread = std::thread([this, raw] { raw->Run(this); });
  reader_ = std::move(reader);
  exit_watcher_ = std::thread([this, pid] {
    siginfo_t info;
    int r;
    do {
      std::memset(&info, 0, sizeof(info));
      r = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
    } while (r != 0 && errno == EINTR);
    {
      std::lock_guard<std::mutex> lock(sup_mu_);
      exit_pending_ = true;
    }
    sup_cv_.notify_all();
  });

  // Ready: our master answers `show proc` and lists a worker.
  const Clock::time_point deadline = started_at_ + options_.ready_timeout;
  std::string last_problem = "no answer yet";
  while (true) {
    if (MasterExited()) {
      int status = -1;
      KillAndReapLocked(&status);
      const std::string reason =
          status == -1 ? "exited" : DescribeWaitStatus(status);
      {
        std::lock_guard<std::mutex> lock(out_mu_);
        last_exit_ = "haproxy master (pid " + std::to_string(pid) + ") " +
                     reason + " during start-up";
      }
      return Status::Error(WithOutput(
          what + " " + reason + " before it was ready", OutputSince(mark)));
    }
    HaproxyProcList procs;
    std::string reply;
    Status s = MasterCliCommand(
        options_.master_socket, "show proc", &reply,
        std::min(kCliPollTimeout, milliseconds(RemainingMs(deadline) + 1)));
    if (s.ok()) {
      s = ParseShowProc(reply, &procs);
    }
    if (!s.ok()) {
      last_problem = s.message();
    } else if (procs.master.pid != pid) {
      last_problem = "master socket " + options_.master_socket +
                     " is answered by another haproxy (master pid " +
                     std::to_string(procs.master.pid) + ")";
    } else if (procs.workers.empty()) {
      last_problem = "show proc lists no worker yet";
    } else {
      if (stale > 0 && IsForeignMaster(stale)) {  // still the same process
        Log().warning("haproxy master " + std::to_string(stale) +
                      " from an earlier run (" + options_.pid_file +
                      ") gets SIGUSR1 to finish its connections and exit");
        kill(stale, SIGUSR1);
      }
      return Status::OK();
    }
    if (Clock::now() >= deadline) {
      int status = -1;
      KillAndReapLocked(&status);
      return Status::Error(WithOutput(
          what + " was not ready within " +
              std::to_string(options_.ready_timeout.count()) +
              " ms and was killed (" + last_problem + ")",
          OutputSince(mark)));
    }
    std::this_thread::sleep_for(kPollStep);
  }
}

Status HaproxyProcess::Reload(HaproxyReloadReport* report) {
  HaproxyReloadReport local;
  if (report == nullptr) {
    report = &local;
  }
  const uint64_t mine = ++reload_requests_;
  std::lock_guard<std::mutex> lock(op_mu_);
  if (reloads_served_ >= mine) {
    // A reload that began after this call finished while we waited.
    *report = last_reload_report_;
    report->shared = true;
    return last_reload_status_;
  }
  const uint64_t covers = reload_requests_.load();
  *report = HaproxyReloadReport();
  Status s = ReloadLocked(report);
  reloads_served_ = covers;
  last_reload_status_ = s;
  last_reload_report_ = *report;
  return s;
}

Status HaproxyProcess::ReloadLocked(HaproxyReloadReport* report) {
  const std::string what = "reloading haproxy with " + options_.config_path;
  if (!CheckAliveLocked()) {
    const std::string last = LastExit();
    return Status::Error(what, "haproxy is not running" +
                                   (last.empty() ? "" : " (" + last + ")"));
  }
  const pid_t master = pid_.load();
  HaproxyProcList before;
  Status s = ShowProc(&before);
  if (!s.ok()) {
    return s.WithContext(what);
  }
  if (before.master.pid != master) {
    return Status::Error(what, "master socket " + options_.master_socket +
                                   " is answered by another haproxy (master "
                                   "pid " +
                                   std::to_string(before.master.pid) +
                                   ", ours is " + std::to_string(master) + ")");
  }
  std::set<pid_t> previous;
  for (const HaproxyProc& w : before.workers) {
    previous.insert(w.pid);
  }

  SaveServerState();
  const uint64_t mark = OutputMark();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + options_.reload_timeout;
  std::string ignored;
  s = MasterCliCommand(options_.master_socket, "reload", &ignored,
                       std::min(kCliTimeout, options_.reload_timeout));
  if (!s.ok()) {
    return s.WithContext(what);
  }
  std::string last_problem = "no answer yet";
  while (true) {
    if (MasterExited()) {
      CheckAliveLocked();  // reaps, records and logs
      return Status::Error(WithOutput(
          what + ": " + LastExit() + " during the reload", OutputSince(mark)));
    }
    HaproxyProcList now;
    std::string reply;
    s = MasterCliCommand(
        options_.master_socket, "show proc", &reply,
        std::min(kCliPollTimeout, milliseconds(RemainingMs(deadline) + 1)));
    if (s.ok()) {
      s = ParseShowProc(reply, &now);
    }
    if (!s.ok()) {
      last_problem = s.message();  // normal while the master re-executes
    } else if (now.master.reloads <= before.master.reloads) {
      last_problem = "the master has not re-executed yet";
    } else if (now.last_reload_failed) {
      WaitForOutput(milliseconds(500));
      return Status::Error(WithOutput(
          what + ": haproxy rejected the config and kept the previous worker",
          OutputSince(mark)));
    } else {
      pid_t fresh = 0;
      bool previous_current = false;
      for (const HaproxyProc& w : now.workers) {
        if (previous.count(w.pid) != 0) {
          previous_current = true;
        } else if (fresh == 0) {
          fresh = w.pid;
        }
      }
      if (fresh != 0 && !previous_current) {
        report->duration =
            std::chrono::duration_cast<milliseconds>(Clock::now() - start);
        report->worker_pid = fresh;
        EnforceOldWorkerBound(now, report);
        return Status::OK();
      }
      last_problem = fresh == 0 ? "no new worker yet"
                                : "the previous worker is still current";
    }
    if (Clock::now() >= deadline) {
      WaitForOutput(milliseconds(200));
      return Status::Error(WithOutput(
          what + ": not finished within " +
              std::to_string(options_.reload_timeout.count()) + " ms (" +
              last_problem + ")",
          OutputSince(mark)));
    }
    std::this_thread::sleep_for(kPollStep);
  }
}

void HaproxyProcess::SaveServerState() {
  if (options_.server_state_file.empty()) {
    return;
  }
  std::string state;
  Status s = MasterCliCommand(options_.master_socket, "@1 show servers state",
                              &state, kCliTimeout);
  if (s.ok() && state.find("# be_id ") == std::string::npos) {
    s = Status::Error("unexpected answer '" + state.substr(0, 200) + "'");
  }
  if (s.ok()) {
    s = WriteFileAtomically(options_.server_state_file, state);
  }
  if (!s.ok()) {
    Log().warning("server state not saved before the reload, servers start "
                  "from their config state: " +
                  s.WithContext(options_.server_state_file).message());
  }
}

void HaproxyProcess::EnforceOldWorkerBound(const HaproxyProcList& procs,
                                           HaproxyReloadReport* report) {
  std::vector<HaproxyProc> old = procs.old_workers;
  report->old_workers = static_cast<int>(old.size());
  if (options_.max_old_workers < 0 ||
      old.size() <= static_cast<size_t>(options_.max_old_workers)) {
    return;
  }
  // Most reloads survived = oldest.
  std::stable_sort(old.begin(), old.end(),
                   [](const HaproxyProc& a, const HaproxyProc& b) {
                     return a.reloads > b.reloads;
                   });
  const size_t extra = old.size() - static_cast<size_t>(options_.max_old_workers);
  const pid_t master = pid_.load();
  for (size_t i = 0; i < extra; ++i) {
    const HaproxyProc& w = old[i];
    // Still our master's child (not exited and its PID reused since).
    if (ParentOf(w.pid) != master) {
      continue;
    }
    if (kill(w.pid, SIGTERM) == 0) {
      report->stopped_old_workers.push_back(w.pid);
      Log().information(
          "stopped old haproxy worker " + std::to_string(w.pid) + " (" +
          std::to_string(w.reloads) + " reloads old, up " + w.uptime +
          "): more than " + std::to_string(options_.max_old_workers) +
          " old workers were still draining");
    }
  }
  report->old_workers -= static_cast<int>(report->stopped_old_workers.size());
}

Status HaproxyProcess::Stop() {
  {
    std::lock_guard<std::mutex> lock(op_mu_);
    should_run_ = false;
    if (CheckAliveLocked()) {
      StopChildLocked();
    }
  }
  std::lock_guard<std::mutex> lock(sup_thread_mu_);
  if (supervisor_.joinable()) {
    {
      std::lock_guard<std::mutex> sup_lock(sup_mu_);
      sup_stop_ = true;
    }
    sup_cv_.notify_all();
    if (supervisor_.get_id() == std::this_thread::get_id()) {
      supervisor_.detach();  // Stop() from the supervise thread itself
    } else {
      supervisor_.join();
    }
  }
  return Status::OK();
}

void HaproxyProcess::StopChildLocked() {
  const pid_t pid = pid_.load();
  auto wait_exit = [this](milliseconds limit) {
    const Clock::time_point deadline = Clock::now() + limit;
    while (!MasterExited()) {
      if (Clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(kPollStep);
    }
    return true;
  };
  const Clock::time_point start = Clock::now();
  std::string how = "SIGUSR1";
  kill(pid, SIGUSR1);  // graceful: workers finish their connections
  if (!wait_exit(options_.stop_grace)) {
    how = "SIGTERM after " + std::to_string(options_.stop_grace.count()) +
          " ms of SIGUSR1";
    kill(pid, SIGTERM);
    if (!wait_exit(kTermGrace)) {
      how += ", then SIGKILL";
    }
  }
  int status = -1;
  KillAndReapLocked(&status);  // SIGKILLs anything left in the group
  const std::string reason =
      "haproxy master (pid " + std::to_string(pid) + ") stopped by " + how +
      ", " + (status == -1 ? "exited" : DescribeWaitStatus(status)) +
      " after " + std::to_string(Ms(Clock::now() - start)) + " ms";
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    last_exit_ = reason;
  }
  Log().information(reason);
}

Status HaproxyProcess::Supervise() {
  std::lock_guard<std::mutex> lock(op_mu_);
  {
    // Handled below; a master that exits from here on sets it again.
    std::lock_guard<std::mutex> sup_lock(sup_mu_);
    exit_pending_ = false;
  }
  const bool alive = CheckAliveLocked();
  if (!should_run_ || alive) {
    return Status::OK();
  }
  const Clock::time_point now = Clock::now();
  if (now < next_restart_) {
    return Status::Error("haproxy is down (" + LastExit() +
                         "); next start in " +
                         std::to_string(Ms(next_restart_ - now)) + " ms");
  }
  const std::string why = LastDeath().cause;
  Status s = StartLocked();
  if (s.ok()) {
    ++restarts_;
    const long long took = Ms(Clock::now() - died_at_);
    last_restart_ms_ = took;
    Log().information("restarted haproxy, master pid " +
                      std::to_string(pid_.load()) + ", serving " +
                      std::to_string(took) + " ms after the death (" + why +
                      ")");
    return Status::OK();
  }
  backoff_ = std::min(backoff_ * 2,
                      std::max(options_.max_restart_backoff,
                               std::max(options_.restart_backoff,
                                        kMinRestartBackoff)));
  next_restart_ = Clock::now() + backoff_;
  Log().error("cannot restart haproxy (next attempt in " +
              std::to_string(backoff_.count()) + " ms): " + s.message());
  return s.WithContext("restarting haproxy");
}

void HaproxyProcess::WaitForExit(milliseconds limit) {
  std::unique_lock<std::mutex> lock(sup_mu_);
  sup_cv_.wait_for(lock, limit, [this] { return exit_pending_; });
}

void HaproxyProcess::SuperviseLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(sup_mu_);
      sup_cv_.wait_for(lock, options_.supervise_interval,
                       [this] { return sup_stop_ || exit_pending_; });
      if (sup_stop_) {
        return;
      }
    }
    Status ignored = Supervise();  // logs deaths and restarts itself
    (void)ignored;
  }
}

}  // namespace mlb
