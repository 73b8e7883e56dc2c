// One marathon-lb process: the template packs, the caches, and the update
// path that every mode shares (fetch -> parse -> services -> render ->
// config writer). poll calls Update() once or on a timer; the event-driven
// modes of later issues only add triggers.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "core/config/haproxy_config.h"
#include "core/haproxy/haproxy_process.h"
#include "core/haproxy/live_servers.h"
#include "core/haproxy/config_writer.h"
#include "core/marathon/app_model.h"
#include "core/marathon/client.h"
#include "core/render/plugin_registry.h"
#include "core/render/update_pipeline.h"
#include "core/model/services.h"
#include "core/app/status_board.h"
#include "core/base/status.h"
#include "core/app/template_archive.h"
#include "core/haproxy/tls_certs.h"

namespace mlb {

class MarathonLb {
 public:
  // Loads the template packs and the templates directory. Fails (and the
  // process should exit non-zero) if no pack loads or a templates/ file is
  // bad.
  static Status Create(const CliOptions& options,
                       std::unique_ptr<MarathonLb>* out);

  // Runs the mode of the command line until it is done (poll without an
  // interval: after one update) or SIGTERM/SIGINT arrives; returns the exit
  // code. SIGHUP and SIGUSR1 request a full resync. The caller must have
  // blocked those signals (BlockSignals) before any thread started.
  int Run();

  // Undoes what this process did outside itself that its destruction
  // would undo: removes the extracted --template-url archive. For a caller
  // about to end the process without destructors (main, after a one-shot
  // Run: the apps, renders and config, some 60 MB at 5,000 apps, then go
  // with the process rather than one free at a time).
  void ReleaseBeforeExit();

  // One update. Errors leave the live config as it was. Without `resync`,
  // in the live modes, Marathon's apps are those of the last full fetch as
  // the events queued since changed them (app_model.h), unless an event
  // could not be applied.
  Status Update(const std::string& why = "update", bool resync = true);

  // One Marathon event's JSON, for the next update (sse and event modes;
  // from any thread).
  void QueueEvent(const std::string& document);

  // SIGUSR1: the config in place validated and reloaded, Marathon not asked.
  Status ReloadInPlace();

  // When the config file is behind what the express path sent HAProxy:
  // how long until the update of every app that writes it is due (0: now);
  // none when the file is not behind.
  std::optional<std::chrono::milliseconds> CatchUpIn() const;

  // `marathon-lb plugins`: every loaded pack (in use or not chosen) with its
  // file, directory, templates and labels, then the refused files.
  std::string DescribePlugins() const;
  // --longhelp: flags, labels and every template with its placeholders.
  std::string LongHelp() const;

  const PluginRegistry& registry() const { return registry_; }

  // Blocks SIGTERM, SIGINT, SIGHUP, SIGUSR1 and ignores SIGPIPE, so that Run()
  // receives them with sigwait; call first thing in main().
  static void BlockSignals();

 private:
  explicit MarathonLb(const CliOptions& options);

  // Loads the template files: --templates-dir, then $MESOS_SANDBOX/templates,
  // then the --template-url archive (fetched again), a later file winning.
  // On error the templates in use stay.
  Status ReloadTemplates();
  Status ReloadManagedHaproxy();
  // docs/tls.md: the :443 certificates written or generated, then checked.
  Status SetUpCertificates();
  Status CheckFrontendCertificates();
  Status UpdateOnce(const std::string& why, bool resync);
  // Applies the queued events to model_, fetching the apps they ask for;
  // *changed: the ids of the apps they named, each once. False when the
  // model is not to be used: a full fetch is needed.
  // *tasks_only: whether every event was a task's status or health, and
  // no app was fetched.
  bool ApplyQueuedEvents(std::vector<std::string>* changed, bool* tasks_only);
  // Deletes the servers removed live that were still busy, if their
  // connections have ended (each update, and the supervise loop's tick).
  void DeleteDrainedServers();
  // Whether `next` differs from the live config in servers only, and the
  // runtime API can make the change (live_servers.h); *change: how.
  // After ExpressLive (`express`), a `next` that differs in nothing is the
  // file catching up: true, with no steps.
  bool PlanLive(const HaproxyConfig& next, LiveChange* change, bool express);
  // The express path (issue 14): the apps `app_ids` rendered alone, and
  // their servers changed through the runtime API at once, before the
  // update of every app (which writes and checks the file) runs; true when
  // it did (live_ then has the servers HAProxy was told). False, nothing
  // sent, when any of it cannot go so (live_servers.h,
  // PlanLiveChangeOfApps); false as well when HAProxy refused a command,
  // and the update reloads.
  bool ExpressLive(const std::vector<std::string>& app_ids,
                   std::chrono::steady_clock::time_point start);
  // Sends `change` to HAProxy; false (the reason logged) when HAProxy
  // refused a command and a reload is to follow.
  // `ahead_of_file`: from ExpressLive, the file not written yet.
  bool ApplyLive(const LiveChange& change,
                 std::chrono::steady_clock::time_point start,
                 bool ahead_of_file = false);
  // One update (and the retries of a failed reload); SIGTERM/SIGINT stop it.
  int RunOnce();
  int RunLive();
  // What a config put in place (or found unchanged) routes and drops, for
  // /status (the service ports, HAProxy's refusals, vhost conflicts), with
  // a log line for each drop that appears and each that clears.
  void PublishServicePorts(const UpdateResult& result,
                           const Generation& generation);
  // Whether an event's fields may be used: not in event mode without
  // --callback-secret-file (anyone may POST), where an event only names an
  // app to fetch.
  bool EventsTrusted() const {
    return options_.mode != "event" || !callback_secret_.empty();
  }

  CliOptions options_;
  PluginRegistry registry_;
  // The DC/OS service account's logins (--dcos-auth-credentials), if any;
  // before marathon_, which uses it, so that it outlives it.
  std::unique_ptr<DcosAuth> dcos_auth_;
  // Cancelled on SIGTERM/SIGINT: a request in progress (to Marathon,
  // MarathonOptions::cancel; for --template-url at the start) ends at once.
  // Before marathon_.
  HttpCancel stopping_;
  std::unique_ptr<MarathonClient> marathon_;
  ServiceOptions service_options_;
  sdk::Config config_view_;
  std::unique_ptr<ConfigWriter> config_writer_;
  std::unique_ptr<HaproxyProcess> haproxy_;  // with --run-haproxy
  // With --run-haproxy and without --always-reload.
  std::unique_ptr<LiveServers> live_servers_;
  // The update thread's CPU time when the current update started
  // (ThreadCpuSeconds): a live change logs what it cost.
  double update_cpu_start_ = 0;
  // sse and event modes: Marathon's apps between full fetches (issue 14
  // item 2), and the events received since the last update.
  bool use_model_ = false;
  AppModel model_;
  std::mutex events_mu_;
  std::vector<MarathonEvent> queued_events_;  // guarded by events_mu_
  bool unreadable_event_ = false;             // guarded by events_mu_
  // When the oldest event not yet taken by an update arrived (guarded by
  // events_mu_), and the oldest of those the updates took that none has
  // applied yet (the update thread's): marathonlb_event_lag_seconds.
  std::optional<std::chrono::steady_clock::time_point> oldest_event_;
  std::optional<std::chrono::steady_clock::time_point> taken_event_;
  StatusBoard board_;
  int last_dropped_ = 0;  // service ports dropped by the last update
  std::string admin_token_;  // --admin-token-file's first line
  std::string callback_secret_;  // --callback-secret-file's first line
  // The last update's reload failed and is to be tried again in
  // --reload-interval seconds (by another update).
  bool retry_reload_ = false;
  // Service ports whose lines haproxy -c refused, or that HAProxy could
  // not bind (a failed reload named them), left out of every update until
  // their app changes them or no longer has them, or SIGHUP
  // (retry_dropped_); each with the reason.
  SkippedServicePorts dropped_by_haproxy_;
  std::unique_ptr<VhostOwners> vhost_owners_;  // --vhost-owners
  std::atomic<bool> retry_dropped_{false};
  // The last generation that is live (written, or unchanged), to log what
  // the next one changes.
  std::unique_ptr<HaproxyConfig> live_;
  // HaproxyProcess::deaths() when ExpressLive sent its commands.
  int express_deaths_ = 0;
  // Since when the file on disk lacks servers ExpressLive told HAProxy of
  // (none: it has them all); and how long the last update that wrote (or
  // found unchanged) the config took.
  std::optional<std::chrono::steady_clock::time_point> behind_since_;
  bool FileBehind() const { return behind_since_.has_value(); }
  std::chrono::milliseconds last_full_update_{0};
  // Whether the last update of task events only was light (the express
  // path took it all): the scheduler then starts the next such batch at
  // once (UpdateSchedulerOptions::prompt_types); after one that was not,
  // the debounce again, until one is.
  bool prompt_ok_ = true;
  // How long the file may stay behind: 1 s and twice the last full update,
  // so that updates of every app take at most a third of the time in a
  // rolling deploy.
  std::chrono::milliseconds CatchUpWindow() const;
  std::unique_ptr<DnsResolver> resolver_;
  std::unique_ptr<HealthCache> health_cache_;
  CertificateChecker certificates_;  // label and :443 certificate files
  std::vector<FrontendCertificate> frontend_checks_;  // checked every update
  ExtractedArchivePtr template_archive_;  // --template-url, while in use
  std::atomic<bool> refetch_templates_{false};  // set on SIGHUP
};

}  // namespace mlb
