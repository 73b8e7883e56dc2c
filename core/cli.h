// marathon-lb's command line: the same flag names and meanings as the Python
// marathon-lb, plus --plugin-dir and --templates-dir.
//
//   marathon-lb [MODE] --marathon URL [URL ...] --group G [options]
//
// MODE is "poll" (the default; one update, or one every --poll-interval
// seconds), or "plugins" (list the loaded template packs). Like argparse,
// --marathon takes one or more URLs: words after it that are not options are
// URLs until the next option.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace mlb {

struct CliOptions {
  std::string mode = "poll";
  std::vector<std::string> marathon;
  std::string haproxy_config = "/etc/haproxy/haproxy.cfg";
  std::vector<std::string> groups;
  std::string command;  // --command; empty: detect as marathon-lb does
  bool health_check = false;
  bool dont_bind_http_https = false;
  std::string ssl_certs;  // comma list; empty: /etc/ssl/cert.pem
  bool skip_validation = false;
  bool dry = false;
  bool longhelp = false;
  bool help = false;
  std::string log_level = "DEBUG";
  std::string syslog_socket = "/dev/log";
  std::vector<std::string> plugin_dirs;
  std::string templates_dir = "templates";
  int poll_interval = 0;  // seconds; 0 = one update and exit
  int lru_cache_capacity = 1000;  // DNS and health-result caches
  std::string auth_credentials;      // --auth-credentials user:pass
  std::string auth_credential_file;  // --marathon-auth-credential-file
  std::string marathon_ca_cert;      // --marathon-ca-cert
};

// Parses argv (without argv[0]). $POLL_INTERVAL is the default of
// --poll-interval. Errors name the flag: "--group: at least one is required".
Status ParseCommandLine(const std::vector<std::string>& args, CliOptions* out);

// The flag reference, generated from the option table.
std::string FlagHelp();

// The label reference, generated from the label table.
std::string LabelHelp();

}  // namespace mlb
