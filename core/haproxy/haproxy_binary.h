// Which HAProxy marathon-lb runs, for `haproxy -c` (config_writer.h) and for
// the HAProxy it owns (haproxy_process.h): --haproxy-binary, else haproxy in
// PATH, else Debian's /usr/sbin/haproxy (not in a non-root user's PATH).
#pragma once

#include <string>

#include "core/base/status.h"

namespace mlb {

// Where HAProxy is looked for after PATH.
inline constexpr char kHaproxyFallbackPath[] = "/usr/sbin/haproxy";

// The path of the HAProxy to run. `binary` is --haproxy-binary: empty for
// the default (haproxy in PATH, then kHaproxyFallbackPath), a path (with a
// '/') used as it is, or a name looked up in PATH. Not found is an error of
// its own, never a refusal of a config:
//   "haproxy not found in PATH (/usr/bin:/bin) nor at /usr/sbin/haproxy
//    (see --haproxy-binary)",
//   "/opt/haproxy/bin/haproxy not found (see --haproxy-binary)".
Status FindHaproxy(const std::string& binary, std::string* path);

}  // namespace mlb
