// The command line as the app tests parse it: without the environment
// variables that would add to it (POLL_INTERVAL, a DC/OS service account).
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "core/app/cli.h"

namespace mlb::testing {

inline Status ParseCleanCommandLine(std::vector<std::string> args,
                                    CliOptions* out) {
  unsetenv("POLL_INTERVAL");
  unsetenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL");
  return ParseCommandLine(args, out);
}

}  // namespace mlb::testing
