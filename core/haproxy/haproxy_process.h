// mlb::HaproxyProcess — marathon-lb starts and owns HAProxy in master-worker
// mode, reloads it through the master CLI, restarts it when it dies and stops
// it without leaving processes behind.
//
// HAProxy runs as our direct child, in the foreground, in its own process
// group:
//   <binary> -W -db -S <master_socket> -f <config> [-p <pid_file>] [extra_args]
// (-db keeps it in the foreground even if the config's global section says
// `daemon`, which would otherwise detach the master from us.)
// stdin is /dev/null; stdout and stderr (the master's and the workers'
// [NOTICE]/[WARNING]/[ALERT] lines) go to a pipe that a background thread
// reads into a bounded ring of recent lines, so that errors can quote HAProxy.
// The child gets an empty signal mask and default dispositions, so signals
// the owner blocks for sigwait() (SIGTERM, SIGUSR1, ...) still reach HAProxy.
//
// This class does not write or validate configs: ConfigWriter (or the
// caller) puts a checked config at `config_path` first, then calls Reload().
//
// Reload: "reload" on the master CLI, then `show proc` is polled every 10 ms
// until the master (same PID, re-executed) answers with a higher reload count
// and either a new current worker, with the previous one listed as old or
// gone (success), or "failed: 1" (HAProxy kept the old worker; the error
// quotes HAProxy's output since the reload began). Measured on 2.6.12: once
// Reload() returns, new connections are answered by the new config (200 of
// 200 first requests).
//
// Old workers: a worker that still has connections after a reload keeps
// running ("# old workers" in `show proc`). HAProxy bounds them with
// `hard-stop-after` (a time) and `mworker-max-reloads` (an age in reloads) when
// the config sets them. This class adds a third bound, a count: after each
// successful reload, when more than `max_old_workers` old workers remain, the
// oldest extra ones get SIGTERM (HAProxy's hard stop: their remaining
// connections are closed). SIGUSR1 would be useless (old workers are already
// soft-stopping) and the 2.6 master CLI has no command that stops one worker.
// The PID is checked to still be a child of our master just before the signal.
//
// Thread-safety: every public method may be called from any thread.
// Start/Reload/Stop/Supervise/CheckAlive are serialised by one mutex, so a
// Supervise() or Stop() waits for a reload in progress. Concurrent Reload()
// calls coalesce: a caller waits for the reload in flight, then either shares
// the result of a reload that began after its own call (that reload read the
// config as it was when the caller asked) or runs a new one. OldWorkers(),
// ShowProc(), MasterPid(), RecentOutput(), LastExit() and restarts() never wait
// for a reload.
//
// Supervision is passive by default: the owner's loop calls Supervise(), which
// reaps a dead master with waitpid(WNOHANG), logs why it died on one line
// (exit code or signal; HAProxy's last lines follow unless a worker's death
// explains it) and starts it again: at once after its first death since
// Start() or after a run of a minute or more; otherwise `restart_backoff`
// (>= 1 s) after the death, doubling up to `max_restart_backoff` while it
// keeps dying within a minute of its start (a crash loop). With
// `supervise_interval` > 0, Start() also runs a thread that calls Supervise()
// at that interval until Stop(). Call Supervise() unconditionally: it is a
// no-op before Start() and after Stop(), and MasterPid() is 0 while a dead
// master waits for its restart, so gating on MasterPid() would never restart
// it. A thread per master waits for its exit (waitid, WNOWAIT: it never
// reaps) and wakes WaitForExit() and the supervise thread, so a death is
// handled as soon as it happens, not at the next interval.
//
// A worker's death (issue 12 item 13): HAProxy 2.6's master exits when its
// current worker dies: killed or crashed, it stops every other worker and
// exits with the worker's code (exit-on-failure); ended by SIGTERM, the
// master exits once no worker is left (not before old workers still
// draining are gone: until then nothing accepts, and nothing here notices;
// HAProxy's source says so, not reproduced). `master-worker
// no-exit-on-failure` does not help: the master re-executes itself in "wait
// mode", without reading the config, after every start and reload, and
// forgets it (2.6.12: the master still exits). So the master's exit is the
// worker's death, and the restart above is the recovery; when HAProxy's
// output names the current worker that exited ("Current worker (<pid>)
// exited with code <n> (<why>)") the death is counted as a worker's
// (worker_deaths(), LastDeath()).
//
// Nothing else in the process may reap HAProxy's PID (no waitpid(-1), no
// SIGCHLD set to SIG_IGN).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "core/haproxy/line_ring.h"
#include "core/haproxy/master_cli.h"

namespace mlb {

struct HaproxyProcessOptions {
  // --haproxy-binary; empty: haproxy in PATH, then /usr/sbin/haproxy
  // (FindHaproxy, haproxy_binary.h), looked up at every start.
  std::string haproxy_binary;
  std::string config_path;                 // -f
  std::string master_socket;               // -S, a unix socket path
  std::string pid_file;                    // -p; empty: none
  std::vector<std::string> extra_args;     // appended to the command line

  // Old workers allowed to keep draining after a reload; the oldest extra ones
  // are hard-stopped. Negative: no bound.
  int max_old_workers = 3;
  std::chrono::milliseconds reload_timeout{30000};
  // Start(): until `show proc` lists a worker.
  std::chrono::milliseconds ready_timeout{30000};
  // Stop(): SIGUSR1 (graceful) and this long for connections to finish, then
  // SIGTERM, then SIGKILL to the whole process group.
  std::chrono::milliseconds stop_grace{10000};
  // First delay after a death before Supervise() restarts (raised to 1 s if
  // lower); doubles while HAProxy keeps dying within a minute of its start.
  std::chrono::milliseconds restart_backoff{1000};
  std::chrono::milliseconds max_restart_backoff{30000};
  // > 0: Start() runs a thread calling Supervise() this often. 0: the owner
  // calls Supervise().
  std::chrono::milliseconds supervise_interval{0};
  size_t output_lines = 200;  // ring size, lines of HAProxy output kept
  // Forward HAProxy's output to mlb::Log(): [ALERT] lines as warnings, the
  // rest as debug.
  bool log_output = true;
  // Start(): a master left running by an earlier run of marathon-lb (the PID
  // in pid_file, still an "haproxy" whose command line has our -S
  // master_socket, not our current master) gets SIGUSR1 once ours is ready, so it
  // finishes its connections and exits instead of serving its old config
  // beside ours (HAProxy binds with SO_REUSEPORT, so both would accept).
  bool replace_stale_master = true;
  // PR_SET_PDEATHSIG(SIGTERM) in the child: HAProxy stops if we die. Linux
  // sends it when the *thread* that forked exits, so only set this when
  // Start() and Supervise() run on threads that outlive HAProxy (the main
  // thread, or the built-in supervise thread). Default: HAProxy keeps serving
  // if marathon-lb crashes.
  bool stop_with_owner = false;
  // Before each reload, the current worker's `show servers state` goes to
  // this file (atomically), which a config naming it in server-state-file
  // and load-server-state-from-file loads, so that servers keep their
  // health and maintenance state across reloads (marathon-lb 1.15's
  // reload script did the same). Empty: none.
  std::string server_state_file;
};

// Why a master that should have run died, as Supervise() found it.
struct HaproxyDeath {
  pid_t master_pid = 0;
  // The current worker whose death took the master with it; 0 when HAProxy's
  // output names none (the master itself was killed, say).
  pid_t worker_pid = 0;
  // One line, e.g. "haproxy worker (pid 43) exited with code 137 (Killed),
  // and its master (pid 42) stopped every worker and exited with code 137
  // (HAProxy's exit-on-failure)" or "haproxy master (pid 42) was killed by
  // signal 9 (Killed)".
  std::string cause;
  std::chrono::system_clock::time_point when{};  // when Supervise() saw it
};

struct HaproxyReloadReport {
  std::chrono::milliseconds duration{0};  // from "reload" to the new worker
  pid_t worker_pid = 0;                   // the new current worker
  int old_workers = 0;  // still draining after the bound was applied
  std::vector<pid_t> stopped_old_workers;  // hard-stopped by max_old_workers
  bool shared = false;  // the result of a reload another caller ran
};

class HaproxyProcess {
 public:
  explicit HaproxyProcess(HaproxyProcessOptions options);
  // Stop()s HAProxy (graceful, bounded by stop_grace + a few seconds).
  ~HaproxyProcess();

  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  // Starts HAProxy and waits (ready_timeout) until `show proc` on the master
  // socket, answered by our child, lists a worker (see also
  // replace_stale_master). A master that died is started again at once (no
  // backoff; the backoff restarts from restart_backoff). Errors: already
  // running, the binary cannot be run, HAProxy exited first (code or signal
  // and its last output lines), or it was not ready in time (then it is
  // killed).
  Status Start();

  // Makes the master re-read config_path (see the file comment). Never starts
  // a dead master (that is Supervise()'s or Start()'s job; a fresh start reads
  // the current config anyway). Errors: not running, the master CLI cannot be
  // reached, HAProxy rejected the config
  // (the old worker keeps serving; the message quotes HAProxy), the master
  // died, or no new worker within reload_timeout.
  Status Reload(HaproxyReloadReport* report = nullptr);

  // Graceful stop (see stop_grace), escalating to SIGTERM and SIGKILL of the
  // process group; reaps the master. Also stops the supervise thread and
  // disables Supervise() until the next Start(). OK if nothing was running.
  Status Stop();

  // Reaps the master if it has exited (recording and logging why); returns
  // whether it is running. Never restarts.
  bool CheckAlive();

  // CheckAlive(), then, if HAProxy should run (Start() succeeded and Stop()
  // was not called) but does not, starts it again once the backoff allows.
  // OK when HAProxy is running on return; otherwise an error saying why it
  // died and when the next attempt is due (or why the restart failed).
  Status Supervise();

  // Runtime API commands for the current worker, through the master CLI
  // ("@1 a;@1 b"), in one exchange; the worker's answers, in order, go to
  // *reply. Commands must not contain ';' or a newline.
  Status WorkerCommands(const std::vector<std::string>& commands,
                        std::string* reply) const;

  // Count of old workers from `show proc`; -1 if the master does not answer.
  int OldWorkers() const;
  Status ShowProc(HaproxyProcList* out) const;
  // The current master's PID (set as soon as it is forked, so possibly still
  // starting); 0 when none.
  pid_t MasterPid() const { return pid_.load(); }
  // HAProxy's most recent output lines, oldest first (at most `max_lines`).
  std::vector<std::string> RecentOutput(size_t max_lines = 20) const;
  // Why the last master exited ("" if none has), e.g. "haproxy master (pid
  // 42) was killed by signal 9 (Killed)".
  std::string LastExit() const;
  // Restarts done by Supervise() since construction.
  int restarts() const { return restarts_.load(); }
  // Deaths of a master that should have run, since construction, and of
  // those the ones a worker's death caused (see the file comment).
  int deaths() const { return deaths_.load(); }
  int worker_deaths() const { return worker_deaths_.load(); }
  // The last of those deaths; cause "" if none.
  HaproxyDeath LastDeath() const;
  // How long the last restart took, from the death seen to the new master
  // serving (its first worker listed); -1 before the first.
  long long last_restart_ms() const { return last_restart_ms_.load(); }

  // For an owner that calls Supervise() in its own loop: returns when a
  // master has exited since the last Supervise() call (at once if one has),
  // or after `limit`.
  void WaitForExit(std::chrono::milliseconds limit);
  const HaproxyProcessOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct OutputReader;

  Status StartLocked();
  Status ReloadLocked(HaproxyReloadReport* report);
  // Reaps the master if it exited; records last_exit_ (and, if it should
  // have run, last_death_). Requires op_mu_.
  bool CheckAliveLocked();
  // The cause of the death of master `pid`, which exited with `status` (-1:
  // unknown), read from HAProxy's output since it started; *worker gets the
  // current worker named there, or 0.
  std::string DeathCause(pid_t pid, int status, pid_t* worker) const;
  // Signals the group, reaps the master, joins the reader. Requires op_mu_.
  void KillAndReapLocked(int* wait_status);
  // Escalating stop of a running master. Requires op_mu_.
  void StopChildLocked();
  // options_.server_state_file: the current worker's server state, before a
  // reload; a failure is logged, the reload goes on.
  void SaveServerState();
  void EnforceOldWorkerBound(const HaproxyProcList& procs,
                             HaproxyReloadReport* report);
  bool MasterExited() const;
  // The PID in pid_file if it is a stale master as described at
  // replace_stale_master; 0 otherwise.
  pid_t StaleMaster() const;
  // `pid` is an haproxy master for our master_socket other than ours.
  bool IsForeignMaster(pid_t pid) const;
  std::string CommandLine() const;
  // The command that starts HAProxy (CommandLine() is it, joined).
  std::vector<std::string> Argv() const;
  // Output since line `since`, last `max_lines` of them, one per line.
  std::string OutputSince(uint64_t since, size_t max_lines = 20) const;
  uint64_t OutputMark() const;
  // Waits until the reader has consumed everything HAProxy wrote so far (the
  // pipe is empty), at most `limit`.
  void WaitForOutput(std::chrono::milliseconds limit) const;
  void AppendLine(std::string line);
  void SuperviseLoop();

  const HaproxyProcessOptions options_;

  // Serialises Start, Reload, Stop, Supervise and CheckAlive.
  std::mutex op_mu_;
  // Guarded by op_mu_.
  std::unique_ptr<OutputReader> reader_;
  bool should_run_ = false;
  Clock::time_point started_at_{};
  uint64_t start_mark_ = 0;  // OutputMark() when the master was started
  // Waits for the master's exit (never reaps it); joined once it is reaped.
  std::thread exit_watcher_;
  Clock::time_point next_restart_{};
  std::chrono::milliseconds backoff_{0};
  uint64_t reloads_served_ = 0;  // requests covered by a finished reload
  Status last_reload_status_;
  HaproxyReloadReport last_reload_report_;
  std::string binary_;  // the HAProxy the last start found (FindHaproxy)

  std::atomic<uint64_t> reload_requests_{0};  // Reload() calls so far
  std::atomic<pid_t> pid_{0};
  std::atomic<int> restarts_{0};
  std::atomic<int> deaths_{0};
  std::atomic<int> worker_deaths_{0};
  std::atomic<long long> last_restart_ms_{-1};
  Clock::time_point died_at_{};  // guarded by op_mu_: the last death seen

  LineRing output_;  // HAProxy's recent output lines
  mutable std::mutex out_mu_;  // guards last_exit_ and last_death_
  std::string last_exit_;
  HaproxyDeath last_death_;

  // The supervise thread: sup_thread_mu_ guards the std::thread object (never
  // held while waiting for op_mu_), sup_mu_ guards sup_stop_ and
  // exit_pending_ (a master exited since the last Supervise(): set by the
  // exit watcher, cleared by Supervise()); sup_cv_ is signalled when either
  // is set.
  std::mutex sup_thread_mu_;
  std::thread supervisor_;
  std::mutex sup_mu_;
  std::condition_variable sup_cv_;
  bool sup_stop_ = false;
  bool exit_pending_ = false;
};

}  // namespace mlb
