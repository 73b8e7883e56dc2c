// Commits service renders into a config, in (appId, servicePort) order, on
// one thread: the global render first, then each service's, checking the
// ports of their `bind` lines (one owner per port: the LB's own frontends
// first, then the service Marathon assigned the port to, then the first
// service to bind it). A service whose render failed or whose ports are
// taken is dropped, with its error.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/base/status.h"
#include "core/config/haproxy_config.h"
#include "core/model/services.h"
#include "core/render/renderer.h"

namespace mlb {

struct Generation {
  HaproxyConfig config;
  std::vector<std::string> errors;  // one line per dropped service port
};

class ConfigAssembler {
 public:
  // `services`: every service that will be committed, in (appId,
  // servicePort) order (the Marathon-assigned ports are theirs from the
  // start). They must outlive the assembler.
  explicit ConfigAssembler(const std::vector<const Service*>& services);
  ~ConfigAssembler();
  ConfigAssembler(const ConfigAssembler&) = delete;
  ConfigAssembler& operator=(const ConfigAssembler&) = delete;

  // The Begin render: its sections come first and its `bind` ports are the
  // LB's own. Fails with its status.
  Status Begin(ServiceRender&& render);

  // Commits the next service's render, or drops the service (listed in
  // errors) when its render failed or its `bind` ports are taken. A
  // kGlobal failure is returned: the generation fails. The render is
  // consumed.
  Status Add(const Service& service, ServiceRender* render);

  // The config, in output order.
  void Finish(Generation* out);

  class Ports;          // ports taken so far (assembler.cc)
  class AssignedPorts;  // ports Marathon assigned (assembler.cc)

  // A service's lines in the :80 or :443 frontend, placed at Finish by
  // their route weight.
  struct VhostBlock {
    long long weight;
    std::string key;  // the section
    int rank;
    std::string text;
  };

 private:
  std::unique_ptr<Ports> ports_;
  std::vector<VhostBlock> vhost_blocks_;  // in commit order
  std::unordered_set<std::string> once_keys_;  // of AddOnce lines committed
  std::unique_ptr<AssignedPorts> assigned_;
  Generation generation_;
};

}  // namespace mlb
