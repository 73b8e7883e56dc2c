#include "core/app/cli.h"

#include <Poco/Exception.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "core/app/template_archive.h"
#include "core/base/files.h"
#include "core/base/text.h"

namespace mlb {
namespace {

using Poco::Util::Option;
using Poco::Util::OptionSet;

// The flag table. Every flag's name, argument and help text live here only.
constexpr FlagSpec kFlags[] = {
    {"marathon", "m", "URL", true,
      "Marathon base URL (http://host:8080) or file:PATH of a saved "
      "/v2/apps?embed=apps.tasks response; several may follow, tried in "
      "order (default http://master.mesos:8080)"},
    {"haproxy-config", "", "PATH", false,
      "HAProxy config to write (default /etc/haproxy/haproxy.cfg)"},
    {"haproxy-binary", "", "PATH", false,
      "The HAProxy that checks configs (haproxy -c) and, with --run-haproxy, "
      "runs them: a path, or a name looked up in PATH (default: haproxy in "
      "PATH, then /usr/sbin/haproxy). Not found is an error of its own, "
      "never a refused config"},
    {"group", "", "GROUP", true,
      "Expose apps whose HAPROXY_GROUP contains GROUP; * exposes every app. "
      "At least one is required"},
    {"command", "c", "CMD", false,
      "Reload command, split like a shell would, run without a shell "
      "(default: detect upstart, systemd or init.d as marathon-lb does)"},
    {"strict-mode", "", nullptr, false,
      "Expose only the service ports whose HAPROXY_{n}_ENABLED is true "
      "(without it, every port whose ENABLED is not false)"},
    {"health-check", "H", nullptr, false,
      "Only route to tasks Marathon reports healthy (any alive result)"},
    {"haproxy-map", "", nullptr, false,
      "Route vhosts and app ids through HAProxy maps, domain2backend.map "
      "and app2backend.map beside the config, instead of one ACL per vhost "
      "and app (ports with a path or auth keep their ACLs), as marathon-lb"},
    {"group-https-by-vhost", "", nullptr, false,
      "Terminate TLS per vhost: :443 passes each connection by SNI to a TLS "
      "frontend of its vhost, with the certificates and bind options of "
      "its ports, as marathon-lb (with :80 and :443 bound only)"},
    {"dont-bind-http-https", "", nullptr, false,
      "Do not bind :80 and :443 (vhost routing); :9091 is always bound"},
    {"ssl-certs", "", "LIST", false,
      "Comma-separated certificates for the :443 frontend "
      "(default: the --default-ssl-cert)"},
    {"default-ssl-cert", "", "PATH", false,
      "Default certificate: HAPROXY_SSL_CERT is written there "
      "(HAPROXY_SSL_CERT<i> to cert<i>.pem beside it), a self-signed one is "
      "generated there if neither it nor --ssl-certs is set (default "
      "/etc/ssl/cert.pem)"},
    {"max-reload-retries", "", "N", false,
      "Try a failed reload (--command, or with --run-haproxy the reload "
      "through the master socket) again at most N times, each time in a "
      "new update (default 10; 0: never; -1: until it succeeds)"},
    {"reload-interval", "", "SECONDS", false,
      "Seconds between two tries of a failed reload, at least 1 (default "
      "10)"},
    {"archive-versions", "", "N", false,
      "Keep the last N configs written in $TMPDIR (else /tmp) as "
      "hap_cfg.1 (newest) to hap_cfg.N, and rejected ones as "
      "haproxy_temp_config_fail.1..N (default 5; 0: none)"},
    {"skip-config-cleanup", "", nullptr, false,
      "Accepted for marathon-lb 1.15 command lines; changes nothing: "
      "instead of 1.15's exclusion loop, the service ports whose lines "
      "haproxy -c refuses are dropped and the rest checked again"},
    {"skip-validation", "", nullptr, false,
      "Do not check the new config with haproxy -c"},
    {"dry", "d", nullptr, false,
      "Print the whole new config, if it changed, and exit; write nothing "
      "(as marathon-lb)"},
    {"dry-diff", "", nullptr, false,
      "--dry, printing the diff of the change instead of the whole config"},
    {"longhelp", "", nullptr, false,
      "Print the flag, label and template reference and exit"},
    {"log-level", "", "LEVEL", false,
      "CRITICAL, ERROR, WARNING, INFO or DEBUG (default DEBUG)"},
    {"log-format", "", "FORMAT", false,
      "Python logging format of the log lines: %(asctime)s, %(name)s, "
      "%(levelname)s, %(levelno)s, %(message)s, %(process)s, %(thread)s, "
      "%(msecs)s (default '%(asctime)-15s %(name)s: %(message)s'); json: "
      "one JSON object per line (time, level, name, message)"},
    {"syslog-socket", "", "PATH", false,
      "Also log to this syslog socket (default /dev/log; /dev/null: off)"},
    {"plugin-dir", "", "DIR", true,
      "Load template packs (*.so) from DIR instead of the default directory. "
      "DIR, its packs and the directories above must be owned by root or "
      "marathon-lb's user and writable by no one else"},
    {"family-pack", "", "FAMILY=PACK", true,
      "When several loaded template packs provide FAMILY, use the one named "
      "PACK (see marathon-lb plugins)"},
    {"templates-dir", "", "DIR", false,
      "Directory of HAPROXY_<TEMPLATE> override files (default templates)"},
    {"template-url", "", "URL", false,
      "Tarball (http://, https://, file://) whose templates/ directory "
      "overrides --templates-dir file by file; fetched at start and on "
      "SIGHUP (docs/templates-from-url.md)"},
    {"template-sha256", "", "HEX", false,
      "With --template-url: refuse the archive unless its SHA-256 is HEX"},
    {"poll-interval", "", "SECONDS", false,
      "In poll mode, update every SECONDS (default $POLL_INTERVAL, else "
      "once and exit)"},
    {"min-serv-port-ip-per-task", "", "PORT", false,
      "IP-per-task apps Marathon reports without service ports get them "
      "from this range, by a hash of app id and port (default 10050; with "
      "--max-serv-port-ip-per-task, 0 and 0: none)"},
    {"max-serv-port-ip-per-task", "", "PORT", false,
      "The end of that range (default 10100)"},
    {"lru-cache-capacity", "", "N", false,
      "Entries kept in the DNS and health-result caches (default 1000)"},
    {"render-threads", "", "N", false,
      "Threads that build and render the config while Marathon's answer is "
      "read (default: the cores, at most 4; 1: one thread)"},
    {"auth-credentials", "", "USER:PASS", false,
      "Basic auth for Marathon"},
    {"marathon-auth-credential-file", "", "PATH", false,
      "File whose first line is USER:PASS for Marathon (wins over "
      "--auth-credentials)"},
    {"dcos-auth-credentials", "", "JSON", false,
      "DC/OS service account for Marathon: a JSON object with uid, "
      "private_key (PEM RSA) and login_endpoint. marathon-lb logs in there "
      "and sends the token with every Marathon request, logging in again "
      "10 s before it expires and after a 401 (default "
      "$DCOS_SERVICE_ACCOUNT_CREDENTIAL; not used with --auth-credentials or "
      "--marathon-auth-credential-file)"},
    {"marathon-ca-cert", "", "PATH", false,
      "CA bundle to verify https Marathon URLs (default: the system CAs; "
      "verification is always on)"},
    {"marathon-max-bytes", "", "BYTES", false,
      "A Marathon answer larger than this is an error and the config in "
      "place stays (default 268435456, 256 MiB; 0: no limit)"},
    {"marathon-total-timeout", "", "SECONDS", false,
      "One Marathon request or DC/OS login, redirects and the whole answer "
      "included, failing when it takes longer; the config in place stays. "
      "For the sse stream, its connect and answer head only: the stream "
      "itself has --sse-idle-timeout (default 120; 0: no limit)"},
    {"sse", "s", nullptr, false,
      "Same as mode sse: follow Marathon's event stream"},
    {"listening", "l", "URL", false,
      "event mode: address to receive Marathon's event POSTs on (default: "
      "the callback URL's)"},
    {"callback-url", "u", "URL", false,
      "event mode: URL Marathon POSTs events to (same as the mode argument)"},
    {"callback-secret-file", "", "FILE", false,
      "event mode: the secret (first line of FILE, trimmed: at least 16 "
      "characters, no spaces) that marathon-lb adds to the callback URL it "
      "registers as ?secret=<it>; event POSTs without it answer 403"},
    {"max-backoff", "", "SECONDS", false,
      "sse: cap of the reconnect backoff (default 300)"},
    {"resync-interval", "", "SECONDS", false,
      "sse/event: full resync when no event came for this long (default 300)"},
    {"sse-idle-timeout", "", "SECONDS", false,
      "sse: reconnect when the stream sent no byte for this long (default "
      "300)"},
    {"debounce-ms", "", "MS", false,
      "sse/event: after an event, wait this long for more, plus a random "
      "0 to 20% of it so that several instances do not ask Marathon at the "
      "same instant (default 500)"},
    {"min-update-interval-ms", "", "MS", false,
      "sse/event: at least this long between two updates (default 2000)"},
    {"admin-address", "", "HOST:PORT", false,
      "Serve /healthz, /status and marathon-lb 1.15's /_haproxy_get* and "
      "/_mlb_signal/* there (default: off)"},
    {"admin-token-file", "", "FILE", false,
      "The token (first line of FILE, trimmed: at least 16 characters, no "
      "spaces) that "
      "/_mlb_signal/hup and usr1 need as 'Authorization: Bearer <token>'; "
      "without it they answer 403"},
    {"max-staleness", "", "SECONDS", false,
      "/healthz fails when the last good sync is older (default 900)"},
    {"run-haproxy", "", nullptr, false,
      "Start and own HAProxy (master-worker) and reload it through its "
      "master socket, instead of running --command"},
    {"always-reload", "", nullptr, false,
      "With --run-haproxy: reload HAProxy for every change, as marathon-lb "
      "1.15 does, instead of adding and removing the servers of a change "
      "that touches servers only through HAProxy's runtime API"},
    {"haproxy-master-socket", "", "PATH", false,
      "With --run-haproxy: the master CLI socket (default: "
      "<haproxy-config>.master.sock)"},
    {"max-old-workers", "", "N", false,
      "With --run-haproxy: old workers allowed to drain at once (default 3)"},
    {"label-policy", "", "LEVEL", false,
      "What app labels may write into the config: restricted (default; "
      "template overrides may not open sections, run code or touch files), "
      "deny (no template overrides) or allow (as marathon-lb); see "
      "docs/label-policy.md"},
    {"vhost-owners", "", "FILE", false,
      "Which apps may serve which hosts: lines of '<domain> <app id "
      "prefix>...' (domain: a host, '*.' and a host for its subdomains, or "
      "'*'); an app naming a host another line's apps own loses that "
      "service port. Default: any app may name any host, as marathon-lb; "
      "see docs/security.md"},
    {"version", "", nullptr, false, "Print 'marathon-lb VERSION' and exit"},
    {"help", "h", nullptr, false, "Print the flags and exit"},
};

OptionSet Options() { return OptionSetOf(kFlags, std::size(kFlags)); }

// A byte count: 1 to 15 decimal digits (up to about 1 PB).
bool ParseByteCount(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 15 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoull(text);
  return true;
}

// The plain numeric flags, by name.
int* NumberFlag(const std::string& name, CliOptions* out) {
  const std::pair<const char*, int*> kFlags[] = {
      {"max-backoff", &out->max_backoff},
      {"resync-interval", &out->resync_interval},
      {"sse-idle-timeout", &out->sse_idle_timeout},
      {"marathon-total-timeout", &out->marathon_total_timeout},
      {"debounce-ms", &out->debounce_ms},
      {"min-update-interval-ms", &out->min_update_interval_ms},
      {"max-staleness", &out->max_staleness},
      {"max-old-workers", &out->max_old_workers},
      {"archive-versions", &out->archive_versions},
  };
  for (const auto& [flag, field] : kFlags) {
    if (name == flag) {
      return field;
    }
  }
  return nullptr;
}

Status Apply(const std::string& name, const std::string& value,
             CliOptions* out) {
  if (name == "marathon") {
    MLB_RETURN_IF_ERROR(CheckUserInfo("--marathon", value));
    out->marathon.push_back(value);
  } else if (name == "haproxy-config") {
    out->haproxy_config = value;
  } else if (name == "haproxy-binary") {
    out->haproxy_binary = value;
  } else if (name == "group") {
    out->groups.push_back(value);
  } else if (name == "command") {
    out->command = value;
  } else if (name == "health-check") {
    out->health_check = true;
  } else if (name == "strict-mode") {
    out->strict_mode = true;
  } else if (name == "haproxy-map") {
    out->haproxy_map = true;
  } else if (name == "group-https-by-vhost") {
    out->group_https_by_vhost = true;
  } else if (name == "reload-interval") {
    if (!ParseCount(value, &out->reload_interval) || out->reload_interval < 1) {
      return Status::Error("--reload-interval",
                           "not a number of seconds from 1: '" + value + "'");
    }
  } else if (name == "min-serv-port-ip-per-task" ||
             name == "max-serv-port-ip-per-task") {
    int* port = name[1] == 'i' ? &out->min_serv_port_ip_per_task
                               : &out->max_serv_port_ip_per_task;
    if (!ParseCount(value, port) || *port > 65535) {
      return Status::Error("--" + name,
                           "not a port number (or 0): '" + value + "'");
    }
  } else if (name == "max-reload-retries") {
    if (value == "-1") {
      out->max_reload_retries = -1;
    } else if (!ParseCount(value, &out->max_reload_retries)) {
      return Status::Error("--max-reload-retries",
                           "not a number (or -1): '" + value + "'");
    }
  } else if (name == "dont-bind-http-https") {
    out->dont_bind_http_https = true;
  } else if (name == "ssl-certs") {
    out->ssl_certs = value;
  } else if (name == "default-ssl-cert") {
    out->default_ssl_cert = value;
  } else if (name == "skip-config-cleanup") {
    // marathon-lb 1.15's "add the apps one by one" loop after a refused
    // config is not run, so there is nothing to skip.
  } else if (name == "skip-validation") {
    out->skip_validation = true;
  } else if (name == "dry") {
    out->dry = true;
  } else if (name == "dry-diff") {
    out->dry = true;
    out->dry_diff = true;
  } else if (name == "longhelp") {
    out->longhelp = true;
  } else if (name == "log-level") {
    out->log_level = value;
  } else if (name == "log-format") {
    out->log_format = value;
  } else if (name == "syslog-socket") {
    out->syslog_socket = value;
  } else if (name == "plugin-dir") {
    out->plugin_dirs.push_back(value);
  } else if (name == "family-pack") {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
      return Status::Error("--family-pack " + value,
                           "expected FAMILY=PACK, e.g. "
                           "backends=com.example.backends_alt");
    }
    const std::string family = value.substr(0, eq);
    auto [it, added] = out->family_packs.emplace(family, value.substr(eq + 1));
    if (!added && it->second != value.substr(eq + 1)) {
      return Status::Error("--family-pack " + value,
                           "family " + family + " was already given pack " +
                               it->second);
    }
  } else if (name == "templates-dir") {
    out->templates_dir = value;
  } else if (name == "template-url") {
    // Schemes are case-insensitive (RFC 3986 3.1): HTTPS:// is https://.
    const size_t colon = value.find("://");
    const std::string scheme =
        colon == std::string::npos ? "" : Lower(value.substr(0, colon + 3));
    const bool known =
        scheme == "http://" || scheme == "https://" || scheme == "file://";
    MLB_RETURN_IF_ERROR(CheckUserInfo("--template-url", value));
    if (!known) {
      // Without "://" there is no user information to redact: what follows
      // the first ':' is not shown.
      const size_t first_colon = value.find(':');
      const std::string shown =
          colon != std::string::npos ? RedactUrlValue(value)
          : first_colon != std::string::npos
              ? value.substr(0, first_colon) + ":..."
              : value;
      return Status::Error("--template-url",
                           "expected an http://, https:// or file:// URL: '" +
                               shown + "'");
    }
    out->template_url = scheme + value.substr(scheme.size());
  } else if (name == "template-sha256") {
    if (!IsSha256Hex(value)) {
      return Status::Error("--template-sha256",
                           "expected 64 hex digits: '" + value + "'");
    }
    out->template_sha256 = value;
  } else if (name == "poll-interval") {
    if (!ParseCount(value, &out->poll_interval)) {
      return Status::Error("--poll-interval", "not a number of seconds: '" +
                                                  value + "'");
    }
  } else if (name == "lru-cache-capacity") {
    if (!ParseCount(value, &out->lru_cache_capacity) ||
        out->lru_cache_capacity < 1) {
      return Status::Error("--lru-cache-capacity",
                           "not a positive number: '" + value + "'");
    }
  } else if (name == "render-threads") {
    if (!ParseCount(value, &out->render_threads) || out->render_threads < 1 ||
        out->render_threads > 64) {
      return Status::Error("--render-threads",
                           "not a number of threads from 1 to 64: '" + value +
                               "'");
    }
  } else if (name == "auth-credentials") {
    out->auth_credentials = value;
  } else if (name == "marathon-auth-credential-file") {
    out->auth_credential_file = value;
  } else if (name == "dcos-auth-credentials") {
    out->dcos_auth_credentials = value;
  } else if (name == "marathon-ca-cert") {
    out->marathon_ca_cert = value;
  } else if (name == "marathon-max-bytes") {
    if (!ParseByteCount(value, &out->marathon_max_bytes)) {
      return Status::Error("--marathon-max-bytes",
                           "not a number of bytes: '" + value + "'");
    }
  } else if (name == "sse") {
    out->mode = "sse";
  } else if (name == "listening") {
    out->listening = value;
  } else if (name == "callback-url") {
    out->callback_url = value;
  } else if (name == "callback-secret-file") {
    out->callback_secret_file = value;
  } else if (name == "admin-address") {
    out->admin_address = value;
  } else if (name == "admin-token-file") {
    out->admin_token_file = value;
  } else if (name == "run-haproxy") {
    out->run_haproxy = true;
  } else if (name == "always-reload") {
    out->always_reload = true;
  } else if (name == "haproxy-master-socket") {
    out->haproxy_master_socket = value;
  } else if (int* number = NumberFlag(name, out)) {
    if (!ParseCount(value, number)) {
      return Status::Error("--" + name, "not a number: '" + value + "'");
    }
  } else if (name == "label-policy") {
    MLB_RETURN_IF_ERROR(ParseLabelPolicy(value, &out->label_policy));
  } else if (name == "vhost-owners") {
    out->vhost_owners = value;
  } else if (name == "help") {
    out->help = true;
  } else if (name == "version") {
    out->version = true;
  }
  return Status::OK();
}

}  // namespace

// A URL's user information as RFC 3986 3.2.1 has it: unreserved
// characters, sub-delims, ':' and '%' (%HH is decoded when sent, any other
// '%' kept, as 1.15 does). Anything else (a space, '"', '<') would end the
// URL in a log line, and with it the redaction of its password;
// percent-encoded it works.
Status CheckUserInfo(const std::string& flag, const std::string& url) {
  // "http:/alice:s3cret@m1" (a '/' short) has no user information to
  // redact: refused, showing its scheme only.
  const size_t colon = url.find(':');
  if (colon != std::string::npos && url.compare(colon, 3, "://") != 0) {
    std::string scheme = url.substr(0, colon);
    for (char& c : scheme) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (scheme == "http" || scheme == "https") {
      return Status::Error(flag + " " + scheme + ":...",
                           "not a URL: expected " + scheme +
                               "://HOST[:PORT][/PATH]");
    }
  }
  for (const char ch : UrlUserInfo(url)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c != '\0' &&
        (std::isalnum(c) || std::strchr("-._~!$&'()*+,;=:%", c) != nullptr)) {
      continue;
    }
    return Status::Error(flag + " " + RedactUrlValue(url),
                         "its user information holds a character RFC 3986 "
                         "does not allow there: percent-encode it (a space "
                         "as %20, '@' as %40)");
  }
  return Status::OK();
}

std::string ShownArgument(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (arg.rfind("-", 0) == 0 && eq != std::string::npos) {
    return arg.substr(0, eq);
  }
  return RedactUrlValue(arg);
}

Status ArgumentError(const std::string& arg, std::string message) {
  const size_t eq = arg.find('=');
  if (arg.rfind("-", 0) == 0 && eq != std::string::npos &&
      eq + 1 < arg.size()) {
    // Poco's messages repeat the argument ("Unknown option specified:
    // auth-creds=alice:s3cret"): its value goes, wherever it is.
    const std::string value = arg.substr(eq);
    for (size_t at = message.find(value); at != std::string::npos;
         at = message.find(value, at)) {
      message.erase(at, value.size());
    }
  }
  return Status::Error(ShownArgument(arg), RedactUrl(message));
}

Status CheckSecretFile(const std::string& flag, const std::string& path,
                       std::string* warning) {
  warning->clear();
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) {
    return Status::OK();
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::Error(flag + " " + path,
                         "not a regular file (" + KindText(st.st_mode) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    *warning = flag + " " + path + ": mode " + ModeText(st.st_mode) +
               " lets group or others read or write the secret; chmod 600 " +
               path;
  }
  return Status::OK();
}

bool OneShot(const CliOptions& options) {
  return options.dry || (options.mode == "poll" && options.poll_interval <= 0);
}

Status ParseCommandLine(const std::vector<std::string>& args, CliOptions* out) {
  *out = CliOptions();
  if (const char* env = std::getenv("POLL_INTERVAL"); env && *env) {
    if (!ParseCount(env, &out->poll_interval)) {
      return Status::Error("POLL_INTERVAL", std::string("not a number of "
                                                        "seconds: '") +
                                                env + "'");
    }
  }
  const OptionSet set = Options();
  Poco::Util::OptionProcessor processor(set);
  processor.setUnixStyle(true);
  bool mode_seen = false;
  std::string last_option;
  for (const std::string& arg : args) {
    std::string name;
    std::string value;
    try {
      if (processor.process(arg, name, value)) {
        if (!name.empty()) {
          last_option = name;
          MLB_RETURN_IF_ERROR(Apply(name, value, out));
        }
        continue;
      }
    } catch (const Poco::Exception& e) {
      return ArgumentError(arg, e.displayText());
    }
    if (last_option == "marathon") {  // --marathon URL URL ... (nargs='+')
      MLB_RETURN_IF_ERROR(CheckUserInfo("--marathon", arg));
      out->marathon.push_back(arg);
    } else if (!mode_seen) {
      out->mode = arg;
      mode_seen = true;
    } else if (out->mode == "event" && out->callback_url.empty()) {
      out->callback_url = arg;
    } else {
      return ArgumentError(arg, "unexpected argument");
    }
  }
  try {
    processor.checkRequired();
  } catch (const Poco::Exception& e) {
    return Status::Error(e.displayText());
  }
  if (out->help || out->longhelp || out->version) {
    return Status::OK();
  }
  // marathon-lb 2015: --listening alone selects event mode.
  if (!mode_seen && out->mode == "poll" &&
      (!out->listening.empty() || !out->callback_url.empty())) {
    out->mode = "event";
  }
  const bool listing = out->mode == "plugins" || out->mode == "reference";
  if (out->mode != "poll" && out->mode != "sse" && out->mode != "event" &&
      !listing) {
    return Status::Error(
        "mode " + out->mode,
        "unknown (expected poll, sse, event, plugins or reference)");
  }
  if (out->mode == "event") {
    if (out->callback_url.empty()) {
      out->callback_url = out->listening;
    }
    if (out->callback_url.empty()) {
      return Status::Error("mode event",
                           "needs a callback URL: marathon-lb event "
                           "http://HOST:PORT/ (or --listening URL)");
    }
    if (out->listening.empty()) {
      out->listening = out->callback_url;
    }
  } else if (!out->callback_secret_file.empty() && !listing) {
    return Status::Error("--callback-secret-file",
                         "only for event mode (marathon-lb event URL)");
  }
  if (out->run_haproxy && !out->dry && out->mode == "poll" &&
      out->poll_interval <= 0) {
    return Status::Error("--run-haproxy",
                         "needs a long-running mode: sse, event, or poll "
                         "with --poll-interval");
  }
  if (out->mode == "sse" || out->mode == "event") {
    for (const std::string& url : out->marathon) {
      if (url.rfind("file:", 0) == 0) {
        return Status::Error("--marathon " + RedactUrlValue(url),
                             "mode " + out->mode + " needs a live Marathon "
                             "(http:// or https://)");
      }
    }
  }
  // The DC/OS service account, used only without basic auth (marathon-lb
  // 1.15); a bad one stops start-up here, before anything runs.
  std::string dcos_source = "--dcos-auth-credentials";
  std::string from_environment;
  if (const char* env = std::getenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL")) {
    from_environment = env;
  }
  // The secret is ours alone: taken out of the environment (used or not),
  // so that HAProxy and the --command reload commands, which inherit it, do
  // not get it.
  unsetenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL");
  if (out->dcos_auth_credentials.empty() && !from_environment.empty()) {
    out->dcos_auth_credentials = from_environment;
    dcos_source = "DCOS_SERVICE_ACCOUNT_CREDENTIAL";
  }
  if (!out->dcos_auth_credentials.empty() && out->auth_credentials.empty() &&
      out->auth_credential_file.empty() && !listing) {
    MLB_RETURN_IF_ERROR(ParseDcosCredentials(
        out->dcos_auth_credentials, dcos_source, &out->dcos_credentials));
  }
  if (!out->template_sha256.empty() && out->template_url.empty()) {
    return Status::Error("--template-sha256", "needs --template-url");
  }
  if (out->marathon.empty()) {
    out->marathon.push_back("http://master.mesos:8080");  // as marathon-lb
  }
  const int min_port = out->min_serv_port_ip_per_task;
  const int max_port = out->max_serv_port_ip_per_task;
  if ((min_port == 0) != (max_port == 0) || min_port > max_port) {
    return Status::Error("--min-serv-port-ip-per-task " +
                             std::to_string(min_port) +
                             " --max-serv-port-ip-per-task " +
                             std::to_string(max_port),
                         "expected both 0, or a range from min to max");
  }
  if (!listing) {
    if (out->groups.empty()) {
      return Status::Error("--group", "at least one is required");
    }
  }
  for (const auto& [flag, path] :
       {std::pair<std::string, std::string>{"--admin-token-file",
                                            out->admin_token_file},
        {"--callback-secret-file", out->callback_secret_file}}) {
    std::string warning;
    MLB_RETURN_IF_ERROR(CheckSecretFile(flag, path, &warning));
    if (!warning.empty()) {
      out->warnings.push_back(std::move(warning));
    }
  }
  return Status::OK();
}

std::string FlagHelp() {
  std::ostringstream out;
  const OptionSet options = Options();  // the formatter keeps a reference
  Poco::Util::HelpFormatter formatter(options);
  formatter.setUnixStyle(true);
  formatter.setWidth(100);
  formatter.setCommand("marathon-lb");
  formatter.setUsage("[poll|sse|event CALLBACK_URL|plugins|reference] "
                     "--marathon URL [URL ...] --group GROUP [options]");
  formatter.setHeader(
      "Watches Marathon and renders, validates and reloads an HAProxy config "
      "that exposes every app on its service port, by virtual host on "
      ":80/:443 and by X-Marathon-App-Id on :9091.");
  formatter.format(out);
  return out.str();
}

OptionSet OptionSetOf(const FlagSpec* flags, size_t count) {
  OptionSet set;
  for (size_t i = 0; i < count; ++i) {
    const FlagSpec& flag = flags[i];
    Option option(flag.name, flag.short_name, flag.help);
    if (flag.argument != nullptr) {
      option.argument(flag.argument);
    }
    option.repeatable(flag.repeatable);
    set.addOption(option);
  }
  return set;
}

bool ParseCount(const std::string& text, int* out) {
  if (text.empty() || text.size() > 6) {
    return false;
  }
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::vector<FlagSpec> FlagTable() {
  return std::vector<FlagSpec>(std::begin(kFlags), std::end(kFlags));
}

}  // namespace mlb
