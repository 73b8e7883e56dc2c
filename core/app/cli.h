// marathon-lb's command line: the same flag names and meanings as the Python
// marathon-lb, plus --plugin-dir and --templates-dir.
//
//   marathon-lb [MODE] --marathon URL [URL ...] --group G [options]
//
// MODE is "poll" (the default; one update, or one every --poll-interval
// seconds), "sse" (follow Marathon's event stream; also --sse/-s), "event
// CALLBACK_URL" (Marathon POSTs events to us; also --listening/--callback-url)
// or "plugins" (list the loaded template packs). Like argparse, --marathon
// takes one or more URLs: words after it that are not options are URLs until
// the next option.
#pragma once

#include <Poco/Util/OptionSet.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/logging.h"
#include "core/base/status.h"
#include "core/marathon/client.h"
#include "core/marathon/dcos_auth.h"
#include "core/model/label_policy.h"

namespace mlb {

struct CliOptions {
  std::string mode = "poll";
  std::vector<std::string> marathon;
  std::string haproxy_config = "/etc/haproxy/haproxy.cfg";
  // --haproxy-binary; empty: haproxy in PATH, then /usr/sbin/haproxy.
  std::string haproxy_binary;
  std::vector<std::string> groups;
  std::string command;  // --command; empty: detect as marathon-lb does
  bool health_check = false;
  bool strict_mode = false;  // --strict-mode: ports need ENABLED true
  int max_reload_retries = 10;  // -1: until the reload succeeds
  int reload_interval = 10;     // s between two tries of a failed reload
  // Service ports of IP-per-task apps without any; 0 and 0: none.
  int min_serv_port_ip_per_task = 10050;
  int max_serv_port_ip_per_task = 10100;
  bool haproxy_map = false;  // --haproxy-map: vhost and app id maps
  // --group-https-by-vhost: one TLS frontend per vhost behind :443
  bool group_https_by_vhost = false;
  bool dont_bind_http_https = false;
  std::string ssl_certs;  // comma list; empty: /etc/ssl/cert.pem
  // HAPROXY_SSL_CERT is written here, a self-signed certificate generated
  // here when neither it nor --ssl-certs is given (docs/tls.md).
  std::string default_ssl_cert = "/etc/ssl/cert.pem";
  bool skip_validation = false;
  bool dry = false;
  bool dry_diff = false;  // --dry-diff: with dry, print the diff instead
  int archive_versions = 5;  // configs kept in $TMPDIR (hap_cfg.1..N)
  bool longhelp = false;
  bool help = false;
  bool version = false;  // --version
  std::string log_level = "DEBUG";
  std::string syslog_socket = "/dev/log";
  std::string log_format = kDefaultLogFormat;  // --log-format, Python's
  std::vector<std::string> plugin_dirs;
  // --family-pack FAMILY=PACK: the pack to use when several provide FAMILY.
  std::map<std::string, std::string> family_packs;
  std::string templates_dir = "templates";
  std::string template_url;     // --template-url: a tarball with templates/
  std::string template_sha256;  // --template-sha256: its pinned digest
  int poll_interval = 0;  // seconds; 0 = one update and exit
  int lru_cache_capacity = 1000;  // DNS and health-result caches
  // Threads that build and render an update (core/render/update_pipeline.h); 0:
  // the machine's cores, at most 4.
  int render_threads = 0;
  std::string auth_credentials;      // --auth-credentials user:pass
  std::string auth_credential_file;  // --marathon-auth-credential-file
  std::string marathon_ca_cert;      // --marathon-ca-cert
  uint64_t marathon_max_bytes = kDefaultMarathonMaxBytes;  // 0: no limit
  // --marathon-total-timeout, seconds; 0: no limit.
  int marathon_total_timeout = kDefaultMarathonTotalTimeoutMs / 1000;
  // --dcos-auth-credentials, else $DCOS_SERVICE_ACCOUNT_CREDENTIAL: the JSON
  // of a DC/OS service account, and that account once read. It is read (and
  // used) only when neither basic auth option is given, as marathon-lb 1.15:
  // dcos_credentials.uid is empty otherwise.
  std::string dcos_auth_credentials;
  DcosCredentials dcos_credentials;

  // Live modes (sse, event).
  std::string callback_url;  // event mode: registered with Marathon
  std::string listening;     // event mode: where to listen (default: callback)
  std::string callback_secret_file;  // event mode: the secret POSTs need
  int max_backoff = 300;          // s, SSE reconnect backoff cap
  int resync_interval = 300;      // s, full resync without events
  int sse_idle_timeout = 300;     // s without a byte => reconnect
  int debounce_ms = 500;          // wait for more events after the first
  int min_update_interval_ms = 2000;  // between two regenerations
  std::string admin_address;      // /healthz and /status; empty: off
  std::string admin_token_file;   // the token /_mlb_signal/* need
  int max_staleness = 900;        // s: /healthz fails when older

  // marathon-lb starts and owns HAProxy (master-worker) instead of --command.
  bool run_haproxy = false;
  // --always-reload: no runtime-API server changes (live_servers.h).
  bool always_reload = false;
  std::string haproxy_master_socket;  // default: <config>.master.sock
  int max_old_workers = 3;

  // What app labels may write into the config (label_policy.h).
  LabelPolicy label_policy = LabelPolicy::kRestricted;
  // Which apps may serve which hosts (vhost_owners.h); "": any app any.
  std::string vhost_owners;

  // What parsing found worth a warning (a --admin-token-file that others
  // may read); MarathonLb::Run logs each once, logging being set up then.
  std::vector<std::string> warnings;
};

// Parses argv (without argv[0]). $POLL_INTERVAL is the default of
// --poll-interval. $DCOS_SERVICE_ACCOUNT_CREDENTIAL is read and then removed
// from the environment (unsetenv), so that no child process inherits it. Errors name the flag: "--group: at least one is required".
// A --admin-token-file or --callback-secret-file that is not a regular
// file (after symbolic links) is refused (CheckSecretFile).
Status ParseCommandLine(const std::vector<std::string>& args, CliOptions* out);

// Why the URL `url`, given to `flag`, is refused: its user information
// holds a character RFC 3986 does not allow there (a space, '"', '<', ...,
// which would end the URL in a log line and with it the redaction of its
// password). OK otherwise. The error shows the URL redacted.
Status CheckUserInfo(const std::string& flag, const std::string& url);

// A command-line argument as an error shows it: an "--option=value" by its
// option alone, anything else with a URL's credentials redacted.
std::string ShownArgument(const std::string& arg);
// The error `message` about the argument `arg`, shown so (ShownArgument;
// the value is also taken out of `message`, which may repeat it).
Status ArgumentError(const std::string& arg, std::string message);

// The file of a secret flag (--admin-token-file, --callback-secret-file),
// checked without opening it (a FIFO would block the reader). Error, naming
// the flag and the file: "--admin-token-file /run/t: not a regular file (a
// directory)". A file that group or others may read or write (mode & 077;
// a container's secret mount is often 0444) is taken, with *warning:
// "--admin-token-file /run/t: mode 0644 lets group or others read or write
// the secret; chmod 600 /run/t"; else *warning is empty. A file stat(2)
// cannot see (missing) is left to the reader, which says why.
Status CheckSecretFile(const std::string& flag, const std::string& path,
                       std::string* warning);

// Whether the run is one update and then exit: --dry, or poll without
// --poll-interval (MarathonLb::Run).
bool OneShot(const CliOptions& options);

// One flag of the command line.
struct FlagSpec {
  const char* name;        // "marathon": --marathon
  const char* short_name;  // "m": -m; "" for none
  const char* argument;    // "URL"; null for a switch
  bool repeatable;
  const char* help;
};

// Every flag, in --help order.
std::vector<FlagSpec> FlagTable();

// Poco's option set of the `count` flags at `flags` (marathon-lb's, zdd's).
Poco::Util::OptionSet OptionSetOf(const FlagSpec* flags, size_t count);

// A count flag's value: 1 to 6 decimal digits.
bool ParseCount(const std::string& text, int* out);

// The flag reference (--help), generated from the flag table.
std::string FlagHelp();

}  // namespace mlb
