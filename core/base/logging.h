// Logging set-up: marathon-lb's --log-level names and --syslog-socket.
#pragma once

#include <Poco/Logger.h>

#include <string>

#include "core/base/status.h"

namespace mlb {

// The logger every part of marathon-lb writes to.
Poco::Logger& Log();

// Console (stderr) always; syslog datagrams to `syslog_socket` too unless it is
// /dev/null or absent. Unknown level: "Invalid log level: BANANA".
Status SetupLogging(const std::string& level, const std::string& syslog_socket);

}  // namespace mlb
