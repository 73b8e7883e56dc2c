#include "core/app/marathon_lb.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "core/app/reference.h"
#include "core/app/refused_ports.h"
#include "core/app/signals.h"
#include "core/app/unbindable_ports.h"
#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/text.h"
#include "core/marathon/apps.h"
#include "core/model/deployment_groups.h"
#include "core/base/process.h"
#include "core/render/update_pipeline.h"

namespace mlb {
namespace {

// The calling thread's CPU time (user and system), in seconds.
double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec / 1e9;
}

void LogLines(const std::string& text, int priority) {
  if (!Log().is(priority)) {
    return;
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    Log().log(Poco::Message("marathon_lb", line,
                            static_cast<Poco::Message::Priority>(priority)));
  }
}

// A config's diff in the log: its first kDiffLinesAtInfo lines at INFO and
// the rest at DEBUG (marathon-lb's default level, so by default the whole
// diff); with DEBUG off, one line says how many were left out.
constexpr size_t kDiffLinesAtInfo = 40;

void LogDiff(std::string_view diff) {
  if (!Log().information()) {
    return;
  }
  size_t logged = 0;
  for (size_t pos = 0; pos < diff.size();) {
    size_t end = diff.find('\n', pos);
    if (end == std::string_view::npos) {
      end = diff.size();
    }
    if (logged < kDiffLinesAtInfo) {
      Log().information(std::string(diff.substr(pos, end - pos)));
    } else if (Log().debug()) {
      Log().debug(std::string(diff.substr(pos, end - pos)));
    } else {
      const size_t more = static_cast<size_t>(std::count(
                              diff.begin() + static_cast<long>(pos),
                              diff.end(), '\n')) +
                          (diff.back() == '\n' ? 0 : 1);
      Log().information("... " + std::to_string(more) +
                        " more line(s) of the diff (--log-level DEBUG logs "
                        "them)");
      return;
    }
    ++logged;
    pos = end + 1;
  }
}

// A token or secret file (--admin-token-file, --callback-secret-file): its
// first line, trimmed, at least 16 characters without spaces. An empty
// `path` leaves *secret empty.
Status ReadSecretFile(const std::string& flag, const std::string& path,
                      std::string* secret) {
  if (path.empty()) {
    return Status::OK();
  }
  // A regular file of a token: the command line checked it, but what is
  // there now may be a FIFO put in its place (a read would block start-up)
  // or a file of gigabytes.
  constexpr uint64_t kMaxSecretBytes = 64 * 1024;
  std::string text;
  MLB_RETURN_IF_ERROR(
      ReadRegularFile(path, &text, kMaxSecretBytes).WithContext(flag + " " + path));
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();  // a CR LF line end, read as LF as everywhere else
  }
  text = Trim(line);
  if (text.size() < 16 ||
      text.find_first_of(" \t\r\v\f") != std::string::npos) {
    return Status::Error(flag + " " + path,
                         "its first line must be a token of at least 16 "
                         "characters without spaces");
  }
  *secret = text;
  return Status::OK();
}

}  // namespace

MarathonLb::MarathonLb(const CliOptions& options) : options_(options) {}

Status MarathonLb::Create(const CliOptions& options,
                          std::unique_ptr<MarathonLb>* out) {
  std::unique_ptr<MarathonLb> lb(new MarathonLb(options));
  std::vector<std::string> dirs = options.plugin_dirs;
  if (dirs.empty()) {
    dirs.push_back(DefaultPluginDir());
  }
  for (const auto& [family, pack] : options.family_packs) {
    lb->registry_.ChoosePack(family, pack);
  }
  std::vector<std::string> refusals;
  Status loaded = lb->registry_.LoadDirectories(dirs, &refusals);
  for (const std::string& refusal : refusals) {
    Log().error(refusal);
  }
  MLB_RETURN_IF_ERROR(loaded);
  MLB_RETURN_IF_ERROR(lb->registry_.RequireFamilies(BuiltinFamilies()));
  for (const auto& pack : lb->registry_.packs()) {
    MLB_LOG(debug, "loaded template pack " + pack->pack + " " +
                       pack->version + " for family " + pack->family +
                       " from " + pack->path);
  }
  for (const auto& pack : lb->registry_.unused()) {
    Log().information("template pack " + pack->pack + " " + pack->version +
                      " (" + pack->path + ") not chosen for family " +
                      pack->family);
  }
  {
    // ^C or SIGTERM while --template-url downloads ends the start.
    StopOnSignal stop(&lb->stopping_);
    MLB_RETURN_IF_ERROR(lb->ReloadTemplates());
    if (stop.stopped()) {
      return Status::Error("stopped while starting");
    }
  }
  std::vector<std::string> env_warnings;
  MLB_RETURN_IF_ERROR(lb->registry_.catalog().LoadEnvironment(&env_warnings));
  for (const std::string& w : env_warnings) {
    Log().warning(w);
  }

  lb->resolver_ = std::make_unique<DnsResolver>(options.lru_cache_capacity);
  lb->health_cache_ = std::make_unique<HealthCache>(options.lru_cache_capacity);
  MarathonOptions marathon;
  marathon.urls = options.marathon;
  MLB_RETURN_IF_ERROR(ReadCredentials(options.auth_credentials,
                                      options.auth_credential_file,
                                      &marathon.user, &marathon.password));
  marathon.ca_cert = options.marathon_ca_cert;
  marathon.max_bytes = options.marathon_max_bytes;
  marathon.total_timeout_ms = options.marathon_total_timeout * 1000;
  marathon.cancel = &lb->stopping_;
  if (!options.dcos_credentials.uid.empty()) {
    DcosAuthOptions auth;
    auth.credentials = options.dcos_credentials;
    auth.ca_cert = options.marathon_ca_cert;  // DC/OS's CA signs both
    auth.total_timeout =
        std::chrono::milliseconds(marathon.total_timeout_ms);
    auth.total_timeout_flag = "--marathon-total-timeout";
    MLB_RETURN_IF_ERROR(DcosAuth::Create(std::move(auth), &lb->dcos_auth_)
                            .WithContext("--dcos-auth-credentials"));
    marathon.dcos_auth = lb->dcos_auth_.get();
  } else if (!options.dcos_auth_credentials.empty() &&
             (!options.auth_credentials.empty() ||
              !options.auth_credential_file.empty())) {
    Log().warning("DC/OS service account not used: basic auth for Marathon "
                  "is given (as marathon-lb 1.15)");
  }
  MLB_RETURN_IF_ERROR(ReadSecretFile("--admin-token-file",
                                     options.admin_token_file,
                                     &lb->admin_token_));
  MLB_RETURN_IF_ERROR(ReadSecretFile("--callback-secret-file",
                                     options.callback_secret_file,
                                     &lb->callback_secret_));
  lb->marathon_ = std::make_unique<MarathonClient>(std::move(marathon));
  lb->service_options_.groups = options.groups;
  lb->service_options_.health_check = options.health_check;
  lb->service_options_.strict_mode = options.strict_mode;
  lb->service_options_.auto_port_min = options.min_serv_port_ip_per_task;
  lb->service_options_.auto_port_max = options.max_serv_port_ip_per_task;
  lb->service_options_.label_policy = options.label_policy;
  if (!options.vhost_owners.empty()) {
    lb->vhost_owners_ = std::make_unique<VhostOwners>();
    MLB_RETURN_IF_ERROR(
        VhostOwners::Load(options.vhost_owners, lb->vhost_owners_.get()));
    lb->service_options_.vhost_owners = lb->vhost_owners_.get();
  }
  if (const char* name = std::getenv("FRAMEWORK_NAME")) {
    lb->service_options_.framework_name = name;
  }
  lb->config_view_.bind_http_https = !options.dont_bind_http_https;
  lb->config_view_.haproxy_map = options.haproxy_map;
  lb->config_view_.group_https_by_vhost = options.group_https_by_vhost;
  if (options.mode != "plugins" && options.mode != "reference" &&
      !options.longhelp) {
    MLB_RETURN_IF_ERROR(lb->SetUpCertificates());
  }
  lb->config_view_.haproxy_dir = DirectoryOf(options.haproxy_config);
  lb->use_model_ = options.mode == "sse" || options.mode == "event";

  ConfigWriterOptions writer;
  writer.config_path = options.haproxy_config;
  writer.haproxy_binary = options.haproxy_binary;
  writer.skip_validation = options.skip_validation;
  writer.dry_run = options.dry;
  writer.max_reload_retries = options.max_reload_retries;
  const char* tmpdir = std::getenv("TMPDIR");
  writer.archive_dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  writer.archive_versions = options.archive_versions;
  // Only an HAProxy marathon-lb runs is known to run the file it reloaded.
  writer.roll_back_failed_reload = options.run_haproxy;
  if (options.run_haproxy) {
    HaproxyProcessOptions hp;
    hp.haproxy_binary = options.haproxy_binary;
    hp.config_path = options.haproxy_config;
    hp.master_socket = options.haproxy_master_socket.empty()
                           ? options.haproxy_config + ".master.sock"
                           : options.haproxy_master_socket;
    hp.pid_file = options.haproxy_config + ".pid";
    hp.max_old_workers = options.max_old_workers;
    hp.server_state_file = options.haproxy_config + ".state";
    lb->config_view_.server_state_file = hp.server_state_file;
    lb->haproxy_ = std::make_unique<HaproxyProcess>(std::move(hp));
    MarathonLb* self = lb.get();
    writer.reload = [self] { return self->ReloadManagedHaproxy(); };
    if (!options.always_reload) {
      HaproxyProcess* haproxy = lb->haproxy_.get();
      lb->live_servers_ = std::make_unique<LiveServers>(
          [haproxy](const std::vector<std::string>& commands,
                    std::string* reply) {
            return haproxy->WorkerCommands(commands, reply);
          });
    }
  } else if (!options.command.empty()) {
    MLB_RETURN_IF_ERROR(
        SplitCommandLine(options.command, &writer.reload_command));
  } else {
    writer.reload_command = DetectReloadCommand();
  }
  lb->config_writer_ = std::make_unique<ConfigWriter>(std::move(writer));
  *out = std::move(lb);
  return Status::OK();
}

Status MarathonLb::ReloadTemplates() {
  std::vector<std::string> dirs = {options_.templates_dir};
  if (const char* sandbox = std::getenv("MESOS_SANDBOX");
      sandbox != nullptr && *sandbox != '\0') {
    dirs.push_back(std::string(sandbox) + "/templates");  // may not exist
  }
  ExtractedArchivePtr archive;
  if (!options_.template_url.empty()) {
    TemplateArchiveOptions fetch;
    fetch.url = options_.template_url;
    fetch.sha256 = options_.template_sha256;
    fetch.cancel = &stopping_;  // SIGTERM
    // The URL may carry a password (user:password@): not shown.
    if (Status s = FetchTemplateArchive(fetch, &archive); !s.ok()) {
      return Status::Error(RedactUrl(s.message()));
    }
    Log().information("template archive " + RedactUrl(fetch.url) + ": " +
                      archive->summary + " into " + archive->dir());
    dirs.push_back(archive->templates_dir());
  }
  std::vector<std::string> warnings;
  Status loaded = registry_.catalog().ReloadDirectories(dirs, &warnings);
  for (const std::string& w : warnings) {
    Log().warning(w);
  }
  MLB_RETURN_IF_ERROR(loaded);
  template_archive_ = std::move(archive);  // removes the previous one
  return Status::OK();
}

Status MarathonLb::SetUpCertificates() {
  if (!options_.skip_validation) {
    service_options_.check_certificate = [this](const std::string& path) {
      return certificates_.Check(path);
    };
  }
  if (options_.dont_bind_http_https) {
    // No :443 frontend: nothing to write, generate or check.
    config_view_.ssl_certs = Split(options_.ssl_certs.empty()
                                       ? options_.default_ssl_cert
                                       : options_.ssl_certs,
                                   ',');
    return Status::OK();
  }
  FrontendCertificateOptions tls;
  tls.ssl_certs = options_.ssl_certs;
  tls.default_path = options_.default_ssl_cert;
  tls.write = !options_.dry;
  FrontendCertificates certs;
  Status prepared =
      PrepareFrontendCertificates(tls, ReadEnvironmentCertificates(), &certs);
  if (!prepared.ok() && options_.skip_validation) {
    // Rendering offline (as an unprivileged user, say): the config names the
    // certificates all the same, as the Python marathon-lb does.
    Log().warning(prepared.message() +
                  " (--skip-validation: the config names it anyway)");
    config_view_.ssl_certs = Split(options_.ssl_certs.empty()
                                       ? options_.default_ssl_cert
                                       : options_.ssl_certs,
                                   ',');
    return Status::OK();
  }
  MLB_RETURN_IF_ERROR(prepared);
  for (const std::string& note : certs.notes) {
    Log().information(note);
  }
  for (const FrontendCertificate& cert : certs.certs) {
    config_view_.ssl_certs.push_back(cert.path);
    if (!cert.pending && !options_.skip_validation) {
      frontend_checks_.push_back(cert);
    }
  }
  return CheckFrontendCertificates();
}

// A :443 certificate that became unusable fails the update (HAProxy would
// refuse the whole config), so the live config stays.
Status MarathonLb::CheckFrontendCertificates() {
  for (const FrontendCertificate& cert : frontend_checks_) {
    MLB_RETURN_IF_ERROR(
        certificates_.Check(cert.path).WithContext(cert.source));
  }
  return Status::OK();
}

namespace {

// Gives every app to `sink` and keeps a copy.
class CopyingSink : public AppSink {
 public:
  CopyingSink(AppSink* sink, std::vector<App>* copies)
      : sink_(sink), copies_(copies) {}
  void Add(App app) override {
    copies_->push_back(app);
    sink_->Add(std::move(app));
  }
  void Clear() override {
    copies_->clear();
    sink_->Clear();
  }

 private:
  AppSink* sink_;
  std::vector<App>* copies_;
};

}  // namespace

Status MarathonLb::ReloadManagedHaproxy() {
  // Reloaded or started, HAProxy runs the config's servers, no others; a
  // failed reload leaves the worker, and its servers waiting for deletion.
  const auto forget_pending = [this] {
    if (live_servers_ != nullptr) {
      live_servers_->Forget();
      board_.SetLivePendingDeletes(0);
    }
  };
  if (haproxy_->MasterPid() == 0) {
    Status s = haproxy_->Start();
    board_.SetHaproxyRunning(s.ok());
    if (s.ok()) {
      forget_pending();
      Log().information("started HAProxy (master pid " +
                        std::to_string(haproxy_->MasterPid()) + ")");
    }
    return s;
  }
  HaproxyReloadReport report;
  Status s = haproxy_->Reload(&report);
  board_.RecordReload(s.ok(), s.ok() ? "" : s.message());
  if (s.ok()) {
    forget_pending();
    Log().information("reloaded HAProxy in " +
                      std::to_string(report.duration.count()) +
                      " ms, new worker " + std::to_string(report.worker_pid) +
                      ", " + std::to_string(report.old_workers) +
                      " old worker(s) draining");
  }
  return s;
}

Status MarathonLb::Update(const std::string& why, bool resync) {
  const auto start = std::chrono::steady_clock::now();
  Status s = UpdateOnce(why, resync);
  const auto end = std::chrono::steady_clock::now();
  board_.RecordUpdate(std::chrono::duration<double>(end - start).count());
  board_.RecordSync(s.ok(), marathon_->CurrentUrl(), s.message(),
                    last_dropped_);
  if (s.ok() && taken_event_.has_value()) {
    // The events taken are applied (or a full fetch made them moot).
    board_.RecordEventLag(
        std::chrono::duration<double>(end - *taken_event_).count());
    taken_event_.reset();
  }
  return s;
}

void MarathonLb::DeleteDrainedServers() {
  if (live_servers_ == nullptr || live_servers_->pending_deletes() == 0) {
    return;
  }
  LiveReport deleted;
  live_servers_->RetryDeletes(&deleted);
  for (const std::string& e : deleted.errors) {
    Log().warning(e);
  }
  if (deleted.deleted > 0) {
    Log().information("deleted " + std::to_string(deleted.deleted) +
                      " server(s) whose connections have ended");
  }
  board_.SetLivePendingDeletes(live_servers_->pending_deletes());
}

bool MarathonLb::PlanLive(const HaproxyConfig& next, LiveChange* change,
                          bool express) {
  if (live_servers_ == nullptr || live_ == nullptr || retry_reload_ ||
      haproxy_->MasterPid() == 0 || options_.dry) {
    return false;
  }
  const ConfigChanges changes = Compare(*live_, next);
  if ((express || FileBehind()) && changes.empty()) {
    *change = LiveChange();  // HAProxy has it all: the file catches up
    return true;
  }
  if (!changes.ServersOnly()) {
    return false;  // nothing, or more than servers: a reload
  }
  const Status s = PlanLiveChange(*live_, next, changes, change);
  if (!s.ok()) {
    Log().information("servers changed, reloading: " + s.message());
    board_.RecordLiveFallback(s.message());
    return false;
  }
  change->summary = changes.Summary();
  return true;
}

bool MarathonLb::ExpressLive(const std::vector<std::string>& app_ids,
                             std::chrono::steady_clock::time_point start) {
  if (live_servers_ == nullptr || live_ == nullptr || retry_reload_ ||
      haproxy_->MasterPid() == 0 || options_.dry) {
    return false;
  }
  std::vector<const App*> apps;
  for (const std::string& id : app_ids) {
    const App* app = model_.Get(id);
    // An app gone is sections gone; one in a deployment group shares its
    // backend with another app.
    if (app == nullptr || InDeploymentGroup(*app)) {
      return false;
    }
    apps.push_back(app);
  }
  SkippedServicePorts skip = dropped_by_haproxy_;  // as the update will
  UpdatePipeline pipeline(registry_, config_view_, service_options_,
                          *resolver_, *health_cache_, /*threads=*/1);
  pipeline.Skip(&skip);
  UpdateResult result;
  const Status read = pipeline.Run(
      [&](AppSink* sink, std::vector<std::string>*) {
        for (const App* app : apps) {
          sink->Add(*app);
        }
        return Status::OK();
      },
      &result);
  if (!read.ok() || !result.generated.ok()) {
    return false;
  }
  LiveChange change;
  const Status planned =
      PlanLiveChangeOfApps(*live_, result.generation.config, &change);
  if (!planned.ok()) {
    MLB_LOG(debug, "express path not taken: " + planned.message());
    return false;
  }
  if (change.steps.empty()) {
    return false;
  }
  // A restart from the first change sent ahead of the file until the file
  // has them reads one without them (UpdateOnce reloads then); after one,
  // live_ is not what HAProxy runs (review 16b).
  const int deaths = haproxy_->deaths();
  if (FileBehind() && deaths != express_deaths_) {
    return false;
  }
  if (!ApplyLive(change, start, /*ahead_of_file=*/true)) {
    return false;
  }
  for (const LiveServerStep& step : change.steps) {
    const std::string key = "backend " + step.backend;
    const ConfigSection* told = result.generation.config.Find(key);
    live_->ReplaceServers(key, told->servers);
  }
  if (!FileBehind()) {  // the first change ahead of the file
    express_deaths_ = deaths;
    behind_since_ = std::chrono::steady_clock::now();  // until it is written
  }
  return true;
}

std::chrono::milliseconds MarathonLb::CatchUpWindow() const {
  return std::chrono::milliseconds(1000) + 2 * last_full_update_;
}

std::optional<std::chrono::milliseconds> MarathonLb::CatchUpIn() const {
  if (!FileBehind()) {
    return std::nullopt;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *behind_since_ + CatchUpWindow() - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

bool MarathonLb::ApplyLive(const LiveChange& change,
                           std::chrono::steady_clock::time_point start,
                           bool ahead_of_file) {
  LiveReport report;
  const Status s = live_servers_->Apply(change, &report);
  if (!s.ok()) {
    // A reload sets every server as the config says, whatever went through.
    Log().warning("servers changed, reloading: " + s.message());
    board_.RecordLiveFallback(s.message());
    return false;
  }
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  board_.RecordLiveChange(report.added, report.removed, ms,
                          live_servers_->pending_deletes());
  char took[64];
  std::snprintf(took, sizeof(took), "%.1f ms, %.1f ms CPU", ms,
                (ThreadCpuSeconds() - update_cpu_start_) * 1000);
  Log().information(
      "servers changed without a reload: +" + std::to_string(report.added) +
      " -" + std::to_string(report.removed) + " (" + change.summary +
      "), " + took + (ahead_of_file ? ", ahead of the config file" : "") +
      (live_servers_->pending_deletes() > 0
           ? ", " + std::to_string(live_servers_->pending_deletes()) +
                 " in maintenance until their connections end"
           : ""));
  return true;
}

void MarathonLb::QueueEvent(const std::string& document) {
  MarathonEvent event;
  const Status s = ParseMarathonEvent(document, &event);
  // Events kept for one update at most: past that, a flood (a hostile
  // stream or callback) costs one fetch of every app, not memory.
  constexpr size_t kMaxQueuedEvents = 100000;
  std::lock_guard<std::mutex> lock(events_mu_);
  if (!s.ok() && !EventsTrusted()) {
    // Anyone may POST to the callback: not worth a fetch of every app.
    Log().warning(s.message() + "; ignored");
  } else if (!s.ok()) {
    // The next update fetches every app instead.
    Log().warning(s.message() + "; the next update fetches every app");
    unreadable_event_ = true;
  } else if (queued_events_.size() >= kMaxQueuedEvents) {
    if (!unreadable_event_) {
      Log().warning(std::to_string(kMaxQueuedEvents) +
                    " events waiting for an update; the next one fetches "
                    "every app instead");
    }
    queued_events_.clear();
    unreadable_event_ = true;
  } else if (!unreadable_event_) {
    queued_events_.push_back(std::move(event));
  }
  if (!oldest_event_.has_value()) {
    oldest_event_ = std::chrono::steady_clock::now();
  }
}

bool MarathonLb::ApplyQueuedEvents(std::vector<std::string>* changed,
                                   bool* tasks_only) {
  *tasks_only = true;
  std::vector<MarathonEvent> events;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    events.swap(queued_events_);
    if (oldest_event_.has_value() && !taken_event_.has_value()) {
      taken_event_ = oldest_event_;
    }
    oldest_event_.reset();
    if (unreadable_event_) {
      unreadable_event_ = false;
      model_.Invalidate();
    }
  }
  if (!model_.valid()) {
    return false;
  }
  // The apps to fetch, each once, after every event: what Marathon answers
  // then is at least as new as any of them (a storm of api_post_events for
  // one app is one GET). In event mode without --callback-secret-file anyone
  // who reaches the callback can POST an event: its fields are not trusted
  // (review 16a: a forged status_update_event put the forger's host into
  // an app's backend), only the app it names, fetched from Marathon, as
  // marathon-lb 1.15 treated every event.
  const bool trusted = EventsTrusted();
  std::vector<std::string> to_fetch;
  std::unordered_set<std::string> named;
  std::unordered_set<std::string> fetching;
  for (const MarathonEvent& event : events) {
    *tasks_only = *tasks_only && (event.type == "status_update_event" ||
                                  event.type == "health_status_changed_event");
    if (!event.app_id.empty() && named.insert(event.app_id).second) {
      changed->push_back(event.app_id);
    }
    const bool fetch =
        trusted ? model_.Apply(event) == AppModel::Outcome::kFetchApp
                : !event.app_id.empty();
    if (fetch && fetching.insert(event.app_id).second) {
      to_fetch.push_back(event.app_id);
    }
  }
  // Past a few apps, one fetch of every app costs Marathon less than a GET
  // each (and a flood of events naming apps cannot hold the update).
  constexpr size_t kMaxAppsFetchedAlone = 50;
  if (to_fetch.size() > kMaxAppsFetchedAlone) {
    MLB_LOG(information, std::to_string(to_fetch.size()) +
                             " apps to fetch alone; fetching every app");
    model_.Invalidate();
    return false;
  }
  *tasks_only = *tasks_only && to_fetch.empty();
  for (const std::string& app_id : to_fetch) {
    App app;
    bool gone = false;
    const Status s = marathon_->FetchApp(app_id, &app, &gone);
    if (gone) {
      // Marathon has no such app (deleted since, or a forged event's).
      model_.Remove(app_id);
      continue;
    }
    if (!s.ok()) {
      Log().warning(s.message() + "; fetching every app instead");
      model_.Invalidate();
      return false;
    }
    model_.Put(std::move(app));
  }
  MLB_LOG(debug, "apps from " + std::to_string(events.size()) + " event(s), " +
                 std::to_string(to_fetch.size()) + " app(s) fetched alone");
  return true;
}

void MarathonLb::PublishServicePorts(const UpdateResult& result,
                                     const Generation& generation) {
  std::vector<std::string> unbindable;
  std::vector<std::string> refused;
  for (const auto& [key, dropped] : dropped_by_haproxy_) {
    (dropped.refused ? refused : unbindable)
        .push_back("app " + key.first + ", service port " +
                   std::to_string(key.second) + ": " + dropped.reason);
  }
  board_.SetDroppedByHaproxy(std::move(unbindable), std::move(refused));
  board_.SetVhostConflicts(result.vhost_conflicts);
  // Every service port, routed (in the config) or dropped, for /status; a
  // drop is logged when it appears and when it clears.
  std::vector<std::pair<std::string, int>> routed;
  for (const ConfigAuthor& author : generation.config.authors()) {
    routed.emplace_back(author.app_id, author.service_port);
  }
  std::vector<std::string> dropped = result.errors;
  dropped.insert(dropped.end(), generation.errors.begin(),
                 generation.errors.end());
  const PortChanges changes =
      board_.SetServicePorts(routed, dropped, result.disabled);
  for (const std::string& e : changes.dropped) {
    Log().error(e);
  }
  for (const std::string& line : changes.cleared) {
    Log().information(line);
  }
}

Status MarathonLb::UpdateOnce(const std::string& why, bool resync) {
  const auto start = std::chrono::steady_clock::now();
  update_cpu_start_ = ThreadCpuSeconds();
  MLB_LOG(debug, "update: " + why);
  // Marathon's apps from the events, or from a full fetch that also makes
  // the model anew; a resync first brings the model up to date, so that
  // what differs is what the events got wrong.
  bool from_events = false;
  bool compare = false;
  std::vector<std::string> changed_apps;  // named by the events applied
  bool tasks_only = false;  // and those events changed tasks only
  if (use_model_) {
    const bool applied = ApplyQueuedEvents(&changed_apps, &tasks_only);
    from_events = applied && !resync;
    compare = applied && resync;
    if (!from_events) {
      model_.Invalidate();  // until the fetch succeeds
    }
  }
  // The servers of the apps the events changed go to HAProxy first, if
  // they can; the update of every app below then writes the file.
  const bool express =
      from_events && !changed_apps.empty() && ExpressLive(changed_apps, start);
  DeleteDrainedServers();
  if (from_events && tasks_only) {
    prompt_ok_ = express;
  }
  if (express && tasks_only && !retry_dropped_.load() &&
      std::chrono::steady_clock::now() < *behind_since_ + CatchUpWindow()) {
    // Tasks changed, nothing else: HAProxy has them. The file (and any
    // other consequence of the tasks) follows within the window, in an
    // update of every app (CatchUpIn), so that a rolling deploy is not a
    // whole render and check per event.
    MLB_LOG(debug, "the config file follows within " +
                       std::to_string(CatchUpWindow().count()) + " ms");
    return Status::OK();
  }
  if (retry_dropped_.exchange(false) && !dropped_by_haproxy_.empty()) {
    Log().information("SIGHUP: trying again " +
                      std::to_string(dropped_by_haproxy_.size()) +
                      " service port(s) HAProxy refused or could not bind");
    dropped_by_haproxy_.clear();
  }
  // Apps are built and rendered while Marathon's answer is still read.
  const int threads = options_.render_threads > 0
                          ? options_.render_threads
                          : UpdatePipeline::DefaultThreads();
  UpdateResult result;
  Generation* generation = nullptr;
  ApplyReport report;
  std::string text;
  Status applied;
  // What HAProxy refuses (haproxy -c) or cannot bind (a reload that fails,
  // with the config rolled back) it names by line or listener: the service
  // ports that wrote those are dropped and the config made again, a few
  // rounds at most (HAProxy names every error of a stage at once: the
  // lines, then the checks of the whole file, then the binds).
  constexpr int kMaxRounds = 4;
  bool went_live = false;  // the servers changed through the runtime API
  for (int round = 1;; ++round) {
    UpdatePipeline pipeline(registry_, config_view_, service_options_,
                            *resolver_, *health_cache_, threads);
    pipeline.Skip(&dropped_by_haproxy_);
    result = UpdateResult();
    std::string source;
    std::vector<App> fetched;  // a copy for the model
    MLB_RETURN_IF_ERROR(pipeline.Run(
        [&](AppSink* sink, std::vector<std::string>* warnings) {
          if (from_events) {
            for (const App& app : model_.apps()) {
              sink->Add(app);
            }
            return Status::OK();
          }
          if (!use_model_) {
            return marathon_->FetchAndParseApps(sink, warnings, &source);
          }
          CopyingSink copying(sink, &fetched);
          return marathon_->FetchAndParseApps(&copying, warnings, &source);
        },
        &result));
    if (use_model_ && !from_events) {
      if (compare) {
        const std::vector<std::string> wrong = model_.Differences(fetched);
        if (!wrong.empty()) {
          Log().warning("full resync: the events had made " +
                        std::to_string(wrong.size()) +
                        " app(s) differ from Marathon's: " +
                        Join(std::vector<std::string>(
                                 wrong.begin(),
                                 wrong.begin() + std::min<size_t>(
                                                     wrong.size(), 5)),
                             ", ") +
                        (wrong.size() > 5 ? ", ..." : ""));
        }
      }
      model_.Reset(std::move(fetched));
      compare = false;  // a later round compares fetch with fetch
    }
    // An app gone (or its service port moved) takes its dropped port along.
    for (auto it = dropped_by_haproxy_.begin();
         it != dropped_by_haproxy_.end();) {
      bool seen = false;
      for (const BuiltServicePort& port : result.service_ports) {
        seen = seen || (port.app_id == it->first.first &&
                        port.service_port == it->first.second);
      }
      it = seen ? std::next(it) : dropped_by_haproxy_.erase(it);
    }
    for (const std::string& w : result.parse_warnings) {
      Log().warning(w);
    }
    for (const std::string& w : result.warnings) {
      Log().warning(w);
    }
    for (const std::string& r : result.retried) {
      Log().information(r);
    }
    // The service ports dropped are logged once they are known, after
    // the rounds (SetServicePorts below), once when they appear and once
    // when they clear; without a config, each time.
    if (!result.generated.ok()) {
      for (const std::string& e : result.errors) {
        Log().error(e);
      }
    }
    MLB_RETURN_IF_ERROR(CheckFrontendCertificates().WithContext(
        "config not generated, the live config stays"));
    MLB_RETURN_IF_ERROR(result.generated.WithContext(
        "config not generated, the live config stays"));
    generation = &result.generation;
    text = generation->config.Text();
    std::vector<SideFile> maps;
    for (const MapFile& map : generation->config.maps()) {
      maps.push_back({map.name, map.Text()});
    }
    // A change of servers only goes to the running HAProxy through its
    // runtime API, once the files are in place (checked as ever): an
    // HAProxy restarted meanwhile reads the same servers, and then refuses
    // to add them twice, which reloads.
    LiveChange change;
    if (round == 1 && PlanLive(generation->config, &change, express)) {
      applied = config_writer_->Apply(text, maps, &report, /*reload=*/false);
      if (applied.ok() && report.outcome != ApplyReport::Outcome::kDryRun) {
        // Its log line has the changes.
        went_live = change.steps.empty() || ApplyLive(change, start);
        if (went_live && FileBehind() &&
            haproxy_->deaths() != express_deaths_ &&
            haproxy_->MasterPid() != 0) {
          // Restarted after the express path's commands and before this
          // file: it read the one before, without those servers.
          Log().warning("HAProxy restarted on the config file of before the "
                        "servers sent to it; reloading");
          went_live = false;
        }
        if (went_live) {
          config_writer_->NoteRunning();  // what a failed reload goes back to
        } else {
          config_writer_->ReloadSkipped(&report);
        }
      }
      if (applied.ok() || report.outcome != ApplyReport::Outcome::kRejected) {
        break;
      }
      // haproxy -c refused it: the rounds below, with reloads.
    } else {
      applied = config_writer_->Apply(text, maps, &report);
    }
    if (round == kMaxRounds) {
      break;
    }
    if (!applied.ok() && report.outcome == ApplyReport::Outcome::kRejected) {
      // haproxy -c refused it: the service ports whose lines it names.
      std::vector<std::string> unmatched;
      const std::vector<RefusedPort> refused = FindRefusedPorts(
          report.validation_output, text, generation->config, &unmatched);
      // Nothing to trace, or every port (a template of the operator's that
      // slipped through): the live config stays for everyone.
      if (refused.empty() || refused.size() >= result.services) {
        break;
      }
      Log().error(applied.message());
      LogLines(report.validation_output, Poco::Message::PRIO_ERROR);
      for (const RefusedPort& port : refused) {
        // The next round's update logs and reports it (a skipped port).
        dropped_by_haproxy_[{port.app_id, port.service_port}] = {
            "haproxy -c refused its lines (" + port.haproxy_line +
                "); dropped until the app changes them or SIGHUP",
            0, true};
      }
      continue;
    }
    // A managed HAProxy that failed to reload (rolled back) or to start
    // (nothing to roll back to yet) names what it could not bind.
    if (!applied.ok() || haproxy_ == nullptr || report.reload_error.empty()) {
      break;
    }
    std::vector<std::string> unmatched;
    const std::vector<UnbindablePort> found = FindUnbindablePorts(
        report.reload_error, generation->config, result.service_ports,
        &unmatched);
    if (found.empty()) {
      break;
    }
    Log().error(report.reload_error);
    // Until the next round ends, HAProxy runs an older config than wanted
    // (the next round may also fail to reach Marathon).
    board_.SetConfigBehind(report.reload_error);
    for (const UnbindablePort& port : found) {
      const std::string reason =
          "HAProxy cannot bind it (" + port.haproxy_line +
          "); dropped until the app changes it or SIGHUP";
      // The next round's update logs and reports it (a skipped port).
      dropped_by_haproxy_[{port.app_id, port.service_port}] = {reason, 0,
                                                               false};
    }
  }
  if (!applied.ok()) {
    // Nothing of this config is live (haproxy -c refused it, or it was not
    // written): /status keeps the live config's service ports, and the
    // update's error says why (RecordSync). Its drops are logged each time,
    // as without a config.
    for (const std::string& e : result.errors) {
      Log().error(e);
    }
    for (const std::string& e : generation->errors) {
      Log().error(e);
    }
  } else {
    PublishServicePorts(result, *generation);
  }
  if (haproxy_ == nullptr &&
      (report.reloaded || !report.reload_error.empty())) {
    board_.RecordReload(report.reloaded, report.reload_error);  // --command
  }
  if (report.rolled_back) {
    board_.SetConfigBehind(report.reload_error);
  } else if (report.reloaded ||
             (report.outcome == ApplyReport::Outcome::kUnchanged &&
              report.reload_error.empty())) {
    // HAProxy runs this config: reloaded, or the one rolled back to.
    board_.SetConfigBehind("");
  }
  retry_reload_ = report.retry_reload;
  last_dropped_ =
      static_cast<int>(result.errors.size() + generation->errors.size());
  const size_t app_count = result.apps;
  const size_t service_count = result.services;

  if (report.outcome == ApplyReport::Outcome::kDryRun) {
    // marathon-lb's --dry prints the new config; --dry-diff the change.
    std::cout << (options_.dry_diff ? report.diff : text) << std::flush;
  } else if (report.first && report.outcome == ApplyReport::Outcome::kApplied) {
    // A diff from nothing would be the whole file, line by line.
    MLB_LOG(information, "first config: " +
                             SizeSummary(generation->config, text.size()) +
                             " (not logged as a diff: there was none before)");
  } else if (!report.diff.empty()) {
    LogDiff(report.diff);
  }
  if (!report.validation_output.empty() && !applied.ok()) {
    LogLines(report.validation_output, Poco::Message::PRIO_ERROR);
  }
  MLB_RETURN_IF_ERROR(applied);
  // An owned HAProxy starts on the first live config, even an unchanged one.
  if (haproxy_ != nullptr && haproxy_->MasterPid() == 0 &&
      report.outcome == ApplyReport::Outcome::kUnchanged) {
    MLB_RETURN_IF_ERROR(ReloadManagedHaproxy());
    config_writer_->NoteRunning();  // what a failed reload rolls back to
    board_.SetConfigBehind("");
  }
  if (live_ != nullptr && report.outcome == ApplyReport::Outcome::kApplied &&
      !went_live) {
    Log().information("changes: " +
                      Compare(*live_, generation->config).Summary());
  }
  if (report.outcome != ApplyReport::Outcome::kDryRun &&
      !report.rolled_back) {
    board_.SetConfig(std::move(text),  // not read after this
                     report.outcome == ApplyReport::Outcome::kApplied);
    live_ = std::make_unique<HaproxyConfig>(std::move(generation->config));
    behind_since_.reset();
    last_full_update_ = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  }

  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  const std::string summary =
      std::to_string(app_count) + " apps, " +
      std::to_string(service_count - generation->errors.size()) +
      " service ports, " + std::to_string(ms) + " ms";
  switch (report.outcome) {
    case ApplyReport::Outcome::kUnchanged:
      if (report.reload_attempts == 0) {
        Log().information("config unchanged, skipping reload (" + summary +
                          ")");
      } else if (report.reloaded) {
        Log().information("config unchanged, reload attempt " +
                          std::to_string(report.reload_attempts) +
                          " succeeded (" + summary + ")");
      }
      break;
    case ApplyReport::Outcome::kDryRun:
      Log().information("dry run: config changed, nothing written (" + summary +
                        ")");
      break;
    case ApplyReport::Outcome::kApplied:
      Log().information("wrote " + options_.haproxy_config + " (" + summary +
                        ")");
      if (report.reloaded && !options_.run_haproxy) {
        Log().information("reload command succeeded");
      }
      break;
    case ApplyReport::Outcome::kRejected:
      break;
  }
  if (!report.reload_error.empty()) {
    Log().error(report.reload_error +
                (report.retry_reload
                     ? "; trying again in " +
                           std::to_string(options_.reload_interval) + " s"
                     : ""));
  }
  return Status::OK();
}

Status MarathonLb::ReloadInPlace() {
  if (FileBehind()) {
    // The file lacks servers sent ahead of it: written first (review 16b:
    // reloading the file of before took them away, and nothing wrote it).
    MLB_RETURN_IF_ERROR(UpdateOnce("SIGUSR1 with the config file behind",
                                   /*resync=*/false));
  }
  ApplyReport report;
  Status s = config_writer_->ReloadInPlace(&report);
  if (!s.ok()) {
    LogLines(report.validation_output, Poco::Message::PRIO_ERROR);
    return s;
  }
  retry_reload_ = report.retry_reload;
  if (!report.reloaded) {
    if (report.rolled_back) {
      board_.SetConfigBehind(report.reload_error);
    }
    return Status::Error(report.reload_error);
  }
  board_.SetConfigBehind("");
  if (FileBehind()) {
    // Still behind (the update above failed): HAProxy now runs the file of
    // before, so what live_ says is not known; the next update writes the
    // file and reloads.
    live_.reset();
    behind_since_.reset();
  }
  Log().information("reloaded " + options_.haproxy_config +
                    " in place (SIGUSR1; Marathon not asked)");
  return Status::OK();
}

std::string MarathonLb::DescribePlugins() const {
  return registry_.Describe(options_.plugin_dirs.empty());
}

std::string MarathonLb::LongHelp() const {
  return mlb::LongHelp(registry_, options_.templates_dir);
}

}  // namespace mlb
