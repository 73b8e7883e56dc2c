// MarathonLb::Run: the run modes. Every mode ends in the same place —
// MarathonLb::Update — and differs only in what triggers it: a timer (poll),
// Marathon's event stream (sse) or Marathon's event POSTs (event). An
// UpdateScheduler folds bursts of triggers into few updates.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/app/admin_server.h"
#include "core/app/event_callback.h"
#include "core/app/signals.h"
#include "core/marathon/event_stream.h"
#include "core/base/logging.h"
#include "core/app/marathon_lb.h"
#include "core/app/update_scheduler.h"
#include "core/base/fd.h"
#include "core/base/files.h"
#include "core/base/text.h"
#include "core/base/version.h"

namespace mlb {

UpdateSchedulerOptions SchedulerOptionsFor(const CliOptions& o) {
  UpdateSchedulerOptions s;
  if (o.mode == "poll") {
    // A poll every interval, nothing else.
    s.debounce = std::chrono::milliseconds(0);
    s.min_interval = std::chrono::milliseconds(0);
    s.resync_interval = std::chrono::seconds(o.poll_interval);
  } else {
    s.debounce = std::chrono::milliseconds(o.debounce_ms);
    s.debounce_jitter = DebounceJitterFor(s.debounce);
    s.min_interval = std::chrono::milliseconds(o.min_update_interval_ms);
    s.resync_interval = std::chrono::seconds(o.resync_interval);
    if (o.run_haproxy && !o.always_reload && !o.dry) {
      // The express path: a task's change costs runtime commands, not a
      // reload (MarathonLb::ExpressLive).
      s.prompt_types = {"status_update_event", "health_status_changed_event"};
    }
  }
  return s;
}

void MarathonLb::BlockSignals() {
  // Before any thread exists, signals are reset to their defaults (a shell
  // starts background jobs with SIGINT ignored) and blocked, so that every
  // thread inherits the mask and only the signal thread receives them.
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    signal(sig, SIG_DFL);
  }
  const sigset_t set = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int MarathonLb::Run() {
  Log().information(std::string("marathon-lb ") + Version() +
                    " starting: mode " + options_.mode + ", Marathon " +
                    RedactUrl(Join(options_.marathon, " ")));
  for (const std::string& warning : options_.warnings) {
    Log().warning(warning);  // found by ParseCommandLine, once
  }
  // One marathon-lb per config: a second one would write over the first's
  // configs and take over its HAProxy. --dry writes nothing.
  struct HeldFd {
    int fd = -1;
    ~HeldFd() { CloseFd(&fd); }
  } lock;
  if (!options_.dry) {
    const std::string path = FollowSymlink(options_.haproxy_config) + ".lock";
    if (Status s = LockFile(path, &lock.fd); !s.ok()) {
      Log().critical(s.message() + ": another marathon-lb manages " +
                     options_.haproxy_config +
                     "; stop it, or give this one another --haproxy-config");
      return 1;
    }
  }
  if (OneShot(options_)) {
    return RunOnce();
  }
  return RunLive();
}

int MarathonLb::RunOnce() {
  // SIGTERM or SIGINT (^C) stops it at once, a Marathon request in progress
  // included.
  StopOnSignal stop(&stopping_);
  Status s = Update("one update");
  // A failed reload is tried again, every --reload-interval seconds,
  // unless a signal says stop.
  while (s.ok() && retry_reload_) {
    if (stop.WaitFor(std::chrono::seconds(options_.reload_interval))) {
      s = Status::Error("stopped before the reload succeeded");
      break;
    }
    s = Update("reload retry");
  }
  if (!s.ok()) {
    Log().error(s.message());
  }
  return s.ok() ? 0 : 1;
}

void MarathonLb::ReleaseBeforeExit() { template_archive_.reset(); }

int MarathonLb::RunLive() {
  std::unique_ptr<AdminServer> admin;
  if (!options_.admin_address.empty()) {
    AdminOptions admin_options;
    admin_options.address = options_.admin_address;
    admin_options.max_staleness = std::chrono::seconds(options_.max_staleness);
    admin_options.config_path = options_.haproxy_config;
    admin_options.token = admin_token_;
    admin_options.raise = [](int sig) { kill(getpid(), sig); };
    Status s = AdminServer::Start(std::move(admin_options), &board_, &admin);
    if (!s.ok()) {
      Log().critical(s.message());
      return 1;
    }
    // Template packs may route marathon-lb 1.15's admin paths here (the
    // default head template does, on :9090).
    config_view_.admin_address = admin->reach();
    Log().information("admin endpoint on port " +
                      std::to_string(admin->port()) + " (" +
                      options_.admin_address +
                      "): /healthz, /status, /_haproxy_getconfig, "
                      "/_haproxy_getvhostmap, /_haproxy_getappmap, "
                      "/_haproxy_getpids, /_mlb_signal/hup, "
                      "/_mlb_signal/usr1" +
                      (admin_token_.empty() ? " (off: no --admin-token-file)"
                                            : ""));
  }

  // event mode: (re)register the callback until Marathon has taken it. With
  // --callback-secret-file the URL Marathon gets carries the secret (never
  // logged).
  std::atomic<bool> callback_registered{false};
  // Whether a registration was sent: one a stop cut short may have reached
  // Marathon, so it is removed too (a removal of none is harmless).
  std::atomic<bool> callback_sent{false};
  const std::string shown_url =
      RedactUrl(options_.callback_url) +
      (callback_secret_.empty() ? "" : " (with its secret)");
  auto register_callback = [&] {
    if (options_.mode != "event" || callback_registered) {
      return;
    }
    callback_sent = true;
    Status s = RegisterCallback(*marathon_, options_.callback_url,
                                callback_secret_);
    if (s.ok()) {
      callback_registered = true;
      Log().information("registered event callback " + shown_url);
    } else {
      Log().error("cannot register event callback: " + s.message());
    }
  };

  UpdateScheduler* scheduler_ptr = nullptr;
  UpdateScheduler scheduler(
      SchedulerOptionsFor(options_), [&](const UpdateRequest& request) {
        register_callback();
        if (refetch_templates_.exchange(false)) {
          // A refused archive leaves the templates in use as they are.
          Status t = ReloadTemplates();
          if (!t.ok()) {
            Log().error(t.message() + "; the templates in use stay");
          }
        }
        Status s = request.reload_in_place && !request.resync &&
                           request.event_count == 0
                       ? ReloadInPlace()
                       : Update(request.Describe(), request.resync);
        scheduler_ptr->AllowPrompt(prompt_ok_);
        if (const auto in = CatchUpIn()) {
          scheduler_ptr->RequestUpdateAfter(*in, "the config file catching "
                                                 "up with HAProxy");
        }
        if (retry_reload_) {
          scheduler_ptr->RequestResyncAfter(
              std::chrono::seconds(options_.reload_interval),
              "retry of the failed reload");
        }
        if (!s.ok()) {
          Log().error(s.message());
          // Keep trying (Marathon down, a bad template file fixed later);
          // the scheduler's minimum interval spaces the attempts.
          if (options_.mode != "poll") {
            scheduler_ptr->RequestResync("retry after a failed update");
          }
        }
        return s;
      });
  scheduler_ptr = &scheduler;
  scheduler.RequestResync("first start");

  std::unique_ptr<EventStream> stream;
  std::thread stream_thread;
  if (options_.mode == "sse") {
    EventStreamOptions eo;
    eo.urls = options_.marathon;
    eo.user = marathon_->options().user;
    eo.password = marathon_->options().password;
    eo.dcos_auth = marathon_->options().dcos_auth;
    eo.ca_cert = marathon_->options().ca_cert;  // --marathon-ca-cert
    eo.idle_timeout = std::chrono::seconds(options_.sse_idle_timeout);
    eo.head_timeout = std::chrono::seconds(options_.marathon_total_timeout);
    eo.max_backoff = std::chrono::seconds(options_.max_backoff);
    eo.initial_backoff = std::min<std::chrono::milliseconds>(
        eo.initial_backoff, eo.max_backoff);
    stream = std::make_unique<EventStream>(std::move(eo));
    EventStreamCallbacks callbacks;
    callbacks.on_connected = [&](const std::string& url) {
      board_.SetStreamConnected(true, url);
      // Events may have been missed while disconnected.
      scheduler.RequestResync("event stream (re)connected");
    };
    callbacks.on_event = [&](const std::string& type,
                             const std::string& document) {
      QueueEvent(document);
      scheduler.Trigger(type);
    };
    callbacks.on_disconnected = [&](const Status&) {
      // EventStream logs the reason and the reconnect delay.
      board_.SetStreamConnected(false, "");
    };
    stream_thread = std::thread([&stream, callbacks] {
      Status s = stream->Run(callbacks);
      if (!s.ok()) {
        Log().error("event stream stopped: " + RedactUrl(s.message()));
      }
    });
  }

  std::unique_ptr<EventCallbackServer> callback_server;
  if (options_.mode == "event") {
    CallbackOptions callback_options;
    callback_options.listen_url = options_.listening;
    callback_options.secret = callback_secret_;
    Status s = EventCallbackServer::Start(
        std::move(callback_options),
        [&](const std::string& type, const std::string& document) {
          QueueEvent(document);
          scheduler.Trigger(type);
        },
        &callback_server);
    if (!s.ok()) {
      Log().critical(s.message());
      return 1;
    }
    Log().information("receiving Marathon events on " + options_.listening);
  }

  std::atomic<bool> stopping{false};
  std::thread supervise_thread;
  if (haproxy_ != nullptr) {
    supervise_thread = std::thread([&] {
      // Supervise() does nothing before the first Start(), and restarts a
      // HAProxy that died (at once, or with a backoff if it keeps dying).
      // WaitForExit() returns as soon as the master exits, so a worker's
      // death (which takes HAProxy 2.6's master with it) is not an outage
      // of up to the loop's interval.
      while (!stopping) {
        Status s = haproxy_->Supervise();
        if (!s.ok()) {
          Log().error(s.message());
        }
        if (haproxy_->MasterPid() != 0 || !s.ok()) {
          board_.SetHaproxyRunning(haproxy_->CheckAlive());
        }
        DeleteDrainedServers();
        const HaproxyDeath death = haproxy_->LastDeath();
        board_.SetHaproxyDeaths(haproxy_->restarts(),
                                haproxy_->worker_deaths(), death.cause,
                                death.when, haproxy_->last_restart_ms());
        haproxy_->WaitForExit(std::chrono::milliseconds(500));
      }
    });
  }

  std::thread signal_thread([&] {
    while (true) {
      const int sig = NextSignal();
      if (sig == SIGHUP && !options_.template_url.empty()) {
        refetch_templates_ = true;
      }
      if (sig == SIGHUP) {
        retry_dropped_ = true;  // service ports HAProxy refused or could not bind
        scheduler.RequestResync("SIGHUP");
        continue;
      }
      if (sig == SIGUSR1) {
        scheduler.RequestReloadInPlace();
        continue;
      }
      stopping = true;
      scheduler.Stop();
      Stopping(sig, &stopping_);  // an update waiting for Marathon ends
      if (stream) {
        stream->Stop();
      }
      return;
    }
  });

  scheduler.Run();

  signal_thread.join();
  if (stream_thread.joinable()) {
    stream_thread.join();
  }
  if (supervise_thread.joinable()) {
    supervise_thread.join();
  }
  if (callback_sent) {
    // With a client of its own (marathon_'s requests were cancelled) and a
    // short deadline: it is best effort, and what follows (stopping
    // HAProxy) must happen within the orchestrator's grace period.
    MarathonOptions removal = marathon_->options();
    removal.cancel = nullptr;
    removal.connect_timeout_ms = 2000;
    removal.read_timeout_ms = 2000;
    removal.total_timeout_ms = 2000;
    MarathonClient marathon(std::move(removal));
    Status s = UnregisterCallback(marathon, options_.callback_url,
                                  callback_secret_);
    Log().information(s.ok() ? "removed event callback " + shown_url
                             : "cannot remove event callback: " + s.message());
  }
  callback_server.reset();
  if (haproxy_ != nullptr) {
    Status s = haproxy_->Stop();
    if (!s.ok()) {
      Log().error(s.message());
    }
  }
  return 0;
}

}  // namespace mlb
