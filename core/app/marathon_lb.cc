#include "core/app/marathon_lb.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/app/reference.h"
#include "core/app/refused_ports.h"
#include "core/app/unbindable_ports.h"
#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/text.h"
#include "core/marathon/apps.h"
#include "core/base/process.h"
#include "core/render/update_pipeline.h"

namespace mlb {
namespace {

void LogLines(const std::string& text, int priority) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    Log().log(Poco::Message("marathon_lb", line,
                            static_cast<Poco::Message::Priority>(priority)));
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
  std::string text;
  MLB_RETURN_IF_ERROR(ReadWholeFile(path, &text).WithContext(flag));
  text = Trim(text.substr(0, text.find('\n')));
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
    Log().debug("loaded template pack " + pack->pack + " " + pack->version +
                " for family " + pack->family + " from " + pack->path);
  }
  for (const auto& pack : lb->registry_.unused()) {
    Log().information("template pack " + pack->pack + " " + pack->version +
                      " (" + pack->path + ") not chosen for family " +
                      pack->family);
  }
  MLB_RETURN_IF_ERROR(lb->ReloadTemplates());
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

Status MarathonLb::ReloadManagedHaproxy() {
  if (haproxy_->MasterPid() == 0) {
    Status s = haproxy_->Start();
    board_.SetHaproxyRunning(s.ok());
    if (s.ok()) {
      Log().information("started HAProxy (master pid " +
                        std::to_string(haproxy_->MasterPid()) + ")");
    }
    return s;
  }
  HaproxyReloadReport report;
  Status s = haproxy_->Reload(&report);
  board_.RecordReload(s.ok(), s.ok() ? "" : s.message());
  if (s.ok()) {
    Log().information("reloaded HAProxy in " +
                      std::to_string(report.duration.count()) +
                      " ms, new worker " + std::to_string(report.worker_pid) +
                      ", " + std::to_string(report.old_workers) +
                      " old worker(s) draining");
  }
  return s;
}

Status MarathonLb::Update(const std::string& why) {
  Status s = UpdateOnce(why);
  board_.RecordSync(s.ok(), marathon_->CurrentUrl(), s.message(),
                    last_dropped_);
  return s;
}

Status MarathonLb::UpdateOnce(const std::string& why) {
  const auto start = std::chrono::steady_clock::now();
  Log().debug("update: " + why);
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
  for (int round = 1;; ++round) {
    UpdatePipeline pipeline(registry_, config_view_, service_options_,
                            *resolver_, *health_cache_, threads);
    pipeline.Skip(&dropped_by_haproxy_);
    result = UpdateResult();
    std::string source;
    MLB_RETURN_IF_ERROR(pipeline.Run(
        [&](AppSink* sink, std::vector<std::string>* warnings) {
          return marathon_->FetchAndParseApps(sink, warnings, &source);
        },
        &result));
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
    for (const std::string& e : result.errors) {
      Log().error(e);
    }
    MLB_RETURN_IF_ERROR(CheckFrontendCertificates().WithContext(
        "config not generated, the live config stays"));
    MLB_RETURN_IF_ERROR(result.generated.WithContext(
        "config not generated, the live config stays"));
    generation = &result.generation;
    for (const std::string& e : generation->errors) {
      Log().error(e);
    }
    text = generation->config.Text();
    std::vector<SideFile> maps;
    for (const MapFile& map : generation->config.maps()) {
      maps.push_back({map.name, map.Text()});
    }
    applied = config_writer_->Apply(text, maps, &report);
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
  {
    std::vector<std::string> unbindable;
    std::vector<std::string> refused;
    for (const auto& [key, dropped] : dropped_by_haproxy_) {
      (dropped.refused ? refused : unbindable)
          .push_back("app " + key.first + ", service port " +
                     std::to_string(key.second) + ": " + dropped.reason);
    }
    board_.SetDroppedByHaproxy(std::move(unbindable), std::move(refused));
  }
  board_.SetVhostConflicts(result.vhost_conflicts);
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
  } else if (!report.diff.empty()) {
    LogLines(report.diff, Poco::Message::PRIO_INFORMATION);
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
  if (live_ != nullptr && report.outcome == ApplyReport::Outcome::kApplied) {
    Log().information("changes: " +
                      Compare(*live_, generation->config).Summary());
  }
  if (report.outcome != ApplyReport::Outcome::kDryRun &&
      !report.rolled_back) {
    live_ = std::make_unique<HaproxyConfig>(std::move(generation->config));
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
