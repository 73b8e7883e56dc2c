// `marathon-lb zdd [options]`: the command line of the zero-downtime
// deployment (core/zdd/deployer.h), marathon-lb 1.15's zdd.py flags and
// exit codes.
#pragma once

#include <string>
#include <vector>

#include "core/app/cli.h"
#include "core/base/status.h"
#include "core/zdd/deployer.h"

namespace mlb {

struct ZddCommandOptions {
  zdd::ZddOptions zdd;
  std::string marathon;
  std::vector<std::string> marathon_lb;
  std::string auth_credentials;
  std::string auth_credential_file;
  std::string marathon_ca_cert;
  std::string log_level = "INFO";
  std::string log_format = kDefaultLogFormat;
  std::string syslog_socket = "/dev/null";
  bool help = false;
  bool version = false;
};

// Parses the words after "zdd". Errors name the flag.
Status ParseZddCommandLine(const std::vector<std::string>& args,
                           ZddCommandOptions* out);

// zdd's flags, in --help order.
std::vector<FlagSpec> ZddFlagTable();
std::string ZddFlagHelp();

// Runs `marathon-lb zdd ARGS...`; returns the exit code (zdd.py's; 2 for a
// command line it cannot parse, as argparse did).
int RunZddCommand(const std::vector<std::string>& args);

}  // namespace mlb
