#include "core/app/zdd_command.h"

#include <Poco/Exception.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/app/cli.h"
#include "core/base/logging.h"
#include "core/base/version.h"
#include "core/marathon/client.h"

namespace mlb {
namespace {

using Poco::Util::OptionSet;

constexpr FlagSpec kZddFlags[] = {
    {"json", "j", "FILE", false,
     "The app definition to deploy (required); it needs the labels "
     "HAPROXY_DEPLOYMENT_GROUP and HAPROXY_DEPLOYMENT_ALT_PORT"},
    {"marathon", "m", "URL", false, "Marathon base URL (required)"},
    {"marathon-lb", "l", "URL", true,
     "A marathon-lb serving /_haproxy_getpids and /haproxy?stats;csv, e.g. "
     "http://marathon-lb.marathon.mesos:9090 (required); the host stands "
     "for every IPv4 address it resolves to, each asked; may be repeated"},
    {"dry-run", "d", nullptr, false,
     "Print the app definition that would be deployed and exit"},
    {"force", "f", nullptr, false,
     "Do not ask before creating, killing and "
     "deleting"},
    {"step-delay", "s", "SECONDS", false,
     "Seconds between two steps (default 5; fractions allowed)"},
    {"initial-instances", "i", "N", false,
     "Instances the new colour starts with, at most the old app's (default "
     "1)"},
    {"linear-increase", "", "N", false,
     "Grow the new colour by N instances a step instead of by half (default "
     "0: by half)"},
    {"resume", "r", nullptr, false,
     "Continue an interrupted deployment from the group's two apps in "
     "Marathon"},
    {"max-wait", "w", "SECONDS", false,
     "How long a step waits for an old task to drain on every marathon-lb; "
     "then zdd exits 5 without killing it (default 300)"},
    {"new-instances", "n", "N", false,
     "Hybrid deployment: only N instances of the new colour, as many fewer "
     "of the old (default 0: replace all)"},
    {"complete-cur", "c", nullptr, false,
     "Finish a hybrid deployment: all instances of the new colour"},
    {"complete-prev", "p", nullptr, false,
     "Finish a hybrid deployment: all instances of the previous colour"},
    {"pre-kill-hook", "", "PATH", false,
     "Run PATH before each kill with 3 JSON arguments (the old app, the task "
     "ids, the new app); a non-zero exit stops the deployment"},
    {"max-haproxy-pids", "", "N", false,
     "A marathon-lb listing more HAProxy PIDs is reloading (old workers may "
     "still hold connections): nothing is killed meanwhile (default 2, "
     "master and worker; 0: do not ask)"},
    {"auth-credentials", "", "USER:PASS", false, "Basic auth for Marathon"},
    {"marathon-auth-credential-file", "", "PATH", false,
     "File whose first line is USER:PASS for Marathon"},
    {"marathon-ca-cert", "", "PATH", false,
     "CA bundle to verify an https Marathon"},
    {"log-level", "", "LEVEL", false,
     "CRITICAL, ERROR, WARNING, INFO or DEBUG (default INFO)"},
    {"log-format", "", "FORMAT", false,
     "Python logging format of the log lines (as marathon-lb's)"},
    {"syslog-socket", "", "PATH", false,
     "Also log to this syslog socket (default /dev/null: off)"},
    {"version", "", nullptr, false, "Print 'marathon-lb VERSION' and exit"},
    {"help", "h", nullptr, false, "Print the flags and exit"},
};

OptionSet Options() { return OptionSetOf(kZddFlags, std::size(kZddFlags)); }

bool ParseSeconds(const std::string& text, double* out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0) || v > 86400) {
    return false;
  }
  *out = v;
  return true;
}

Status Apply(const std::string& name, const std::string& value,
             ZddCommandOptions* out) {
  zdd::ZddOptions& z = out->zdd;
  const std::pair<const char*, int*> counts[] = {
      {"initial-instances", &z.initial_instances},
      {"linear-increase", &z.linear_increase},
      {"new-instances", &z.new_instances},
      {"max-haproxy-pids", &z.max_haproxy_pids},
  };
  for (const auto& [flag, field] : counts) {
    if (name == flag) {
      if (!ParseCount(value, field)) {
        return Status::Error("--" + name, "not a number: '" + value + "'");
      }
      return Status::OK();
    }
  }
  if (name == "step-delay" || name == "max-wait") {
    double* field = name == "step-delay" ? &z.step_delay : &z.max_wait;
    if (!ParseSeconds(value, field)) {
      return Status::Error("--" + name,
                           "not a number of seconds: '" + value + "'");
    }
  } else if (name == "json") {
    z.json_path = value;
  } else if (name == "marathon") {
    if (!out->marathon.empty()) {
      return Status::Error("--marathon",
                           "given twice (zdd talks to one "
                           "Marathon)");
    }
    MLB_RETURN_IF_ERROR(CheckUserInfo("--marathon", value));
    out->marathon = value;
  } else if (name == "marathon-lb") {
    MLB_RETURN_IF_ERROR(CheckUserInfo("--marathon-lb", value));
    out->marathon_lb.push_back(value);
  } else if (name == "dry-run") {
    z.dry_run = true;
  } else if (name == "force") {
    z.force = true;
  } else if (name == "resume") {
    z.resume = true;
  } else if (name == "complete-cur") {
    z.complete_cur = true;
  } else if (name == "complete-prev") {
    z.complete_prev = true;
  } else if (name == "pre-kill-hook") {
    z.pre_kill_hook = value;
  } else if (name == "auth-credentials") {
    out->auth_credentials = value;
  } else if (name == "marathon-auth-credential-file") {
    out->auth_credential_file = value;
  } else if (name == "marathon-ca-cert") {
    out->marathon_ca_cert = value;
  } else if (name == "log-level") {
    out->log_level = value;
  } else if (name == "log-format") {
    out->log_format = value;
  } else if (name == "syslog-socket") {
    out->syslog_socket = value;
  } else if (name == "help") {
    out->help = true;
  } else if (name == "version") {
    out->version = true;
  }
  return Status::OK();
}

}  // namespace

Status ParseZddCommandLine(const std::vector<std::string>& args,
                           ZddCommandOptions* out) {
  *out = ZddCommandOptions();
  const OptionSet set = Options();
  Poco::Util::OptionProcessor processor(set);
  processor.setUnixStyle(true);
  for (const std::string& arg : args) {
    std::string name;
    std::string value;
    try {
      if (!processor.process(arg, name, value)) {
        return ArgumentError(arg, "unexpected argument");
      }
    } catch (const Poco::Exception& e) {
      return ArgumentError(arg, e.displayText());
    }
    if (!name.empty()) {
      MLB_RETURN_IF_ERROR(Apply(name, value, out));
    }
  }
  try {
    processor.checkRequired();
  } catch (const Poco::Exception& e) {
    return Status::Error(e.displayText());
  }
  if (out->help || out->version) {
    return Status::OK();
  }
  if (out->marathon.empty()) {
    return Status::Error("--marathon", "required");
  }
  if (out->marathon_lb.empty()) {
    return Status::Error("--marathon-lb", "required");
  }
  if (out->zdd.json_path.empty()) {
    return Status::Error("--json", "required");
  }
  if (out->zdd.complete_cur && out->zdd.complete_prev) {
    return Status::Error("--complete-cur --complete-prev",
                         "choose one of the two");
  }
  if (out->zdd.step_delay <= 0) {
    return Status::Error("--step-delay", "must be more than 0");
  }
  return Status::OK();
}

std::vector<FlagSpec> ZddFlagTable() {
  return std::vector<FlagSpec>(std::begin(kZddFlags), std::end(kZddFlags));
}

std::string ZddFlagHelp() {
  std::ostringstream out;
  const OptionSet options = Options();
  Poco::Util::HelpFormatter formatter(options);
  formatter.setUnixStyle(true);
  formatter.setWidth(100);
  formatter.setCommand("marathon-lb zdd");
  formatter.setUsage(
      "--json FILE --marathon URL --marathon-lb URL "
      "[--marathon-lb URL ...] [options]");
  formatter.setHeader(
      "Zero-downtime blue/green deployment through marathon-lb (as "
      "marathon-lb 1.15's zdd.py): an old task is killed only once every "
      "marathon-lb has drained it. Exit codes: 0 done, 1 declined, 2 other "
      "error, 3 invalid arguments, 4 missing field, 5 marathon-lb, "
      "6 Marathon, 7 create, 8 delete, 9 scale failed.");
  formatter.format(out);
  return out.str();
}

int RunZddCommand(const std::vector<std::string>& args) {
  ZddCommandOptions options;
  if (Status s = ParseZddCommandLine(args, &options); !s.ok()) {
    std::cerr << "marathon-lb zdd: " << s.message() << "\n"
              << "Try 'marathon-lb zdd --help'.\n";
    return 2;
  }
  if (options.help) {
    std::cout << ZddFlagHelp();
    return 0;
  }
  if (options.version) {
    std::cout << "marathon-lb " << Version() << "\n";
    return 0;
  }
  if (Status s = SetupLogging(options.log_level, options.syslog_socket,
                              options.log_format);
      !s.ok()) {
    std::cerr << "marathon-lb zdd: " << s.message() << "\n";
    return 2;
  }
  zdd::HttpEndpointOptions endpoints;
  endpoints.marathon = options.marathon;
  endpoints.marathon_lb = options.marathon_lb;
  endpoints.ca_cert = options.marathon_ca_cert;
  if (Status s = ReadCredentials(options.auth_credentials,
                                 options.auth_credential_file, &endpoints.user,
                                 &endpoints.password);
      !s.ok()) {
    Log().critical(s.message());
    return static_cast<int>(zdd::Exit::kInvalidArgs);
  }
  const auto marathon = zdd::NewHttpMarathonApi(endpoints);
  const auto lbs = zdd::NewHttpLbProbe(endpoints);
  const zdd::Outcome outcome =
      zdd::RunZdd(options.zdd, *marathon, *lbs, zdd::SystemEnvironment());
  if (!outcome.ok()) {
    Log().critical(outcome.status().message());
  }
  return outcome.code();
}

}  // namespace mlb
