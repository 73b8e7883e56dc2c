// Which service ports a failed HAProxy reload could not bind. A config can
// pass `haproxy -c` and still not run: a service port another local process
// already holds. HAProxy names the listener it could not bind, e.g.
//   [ALERT]    (10854) : Binding [/etc/haproxy/haproxy.cfg:9] for frontend
//   web_10002: cannot bind socket (Address already in use) for
//   [127.0.0.1:10002]
// (HAProxy 2.6, one line), and the address:port in brackets is matched
// against the `bind` lines of the config marathon-lb rendered, so that the
// service port whose frontend binds it can be dropped and the rest of the
// config can run.
#pragma once

#include <string>
#include <vector>

#include "core/config/haproxy_config.h"
#include "core/render/update_pipeline.h"

namespace mlb {

struct UnbindablePort {
  std::string app_id;
  int service_port = 0;
  std::string haproxy_line;  // HAProxy's line, without its [ALERT] prefix
};

// An HAProxy output line without its "[ALERT]    (10854) : " prefix.
std::string WithoutAlertPrefix(const std::string& line);

// The service ports of `ports` whose frontend in `config` binds an address
// and port a "cannot bind" line of `output` names. Lines that name no such
// frontend (a shared frontend, the stats listener, an address the config
// does not bind) go to *unmatched, without their [ALERT] prefix.
std::vector<UnbindablePort> FindUnbindablePorts(
    const std::string& output, const HaproxyConfig& config,
    const std::vector<BuiltServicePort>& ports,
    std::vector<std::string>* unmatched);

}  // namespace mlb
