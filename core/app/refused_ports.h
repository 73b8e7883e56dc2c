// Which service ports wrote the lines `haproxy -c` refused. HAProxy names
// the line of most errors (HAProxy 2.6):
//   [ALERT]    (24348) : config : parsing [/tmp/h.cfg:14] : 'bind' :
//   invalid port '0'
//   [ALERT]    (24390) : config : [h.cfg:16] : 'server web_1/s2' : could not
//   resolve address 'word.word'.
// (one line each), and the proxy of the checks it runs once the file is
// read:
//   [ALERT]    (24370) : config : Proxy 'marathon_http_in': unable to find
//   required use_backend: 'nosuch'.
// A line is traced to the service port that wrote it (HaproxyConfig's
// authors); a proxy to the one author of its lines that carry a word the
// message quotes, or of all its lines. The port is taken as the cause only
// when a word the message quotes comes from its labels' values: a line of
// the operator's templates fails every app that renders it and is nobody's
// (the live config stays). Then that port can be dropped and the rest
// validated again, instead of every app waiting for one app's fix.
#pragma once

#include <string>
#include <vector>

#include "core/config/haproxy_config.h"

namespace mlb {

struct RefusedPort {
  std::string app_id;
  int service_port = 0;
  std::string haproxy_line;  // HAProxy's line, without its [ALERT] prefix
};

// The service ports of `config` (whose Text() is `text`) that wrote what
// the [ALERT] lines of `output` refuse, each once, in order. Alerts that
// name a line or proxy of the LB's own, or nothing this can trace, go to
// *unmatched; HAProxy's closing summaries ("Fatal errors found in
// configuration.") are left out.
std::vector<RefusedPort> FindRefusedPorts(const std::string& output,
                                          const std::string& text,
                                          const HaproxyConfig& config,
                                          std::vector<std::string>* unmatched);

}  // namespace mlb
