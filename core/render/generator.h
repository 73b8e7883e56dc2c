// Renders the HAProxy config for a list of services by calling every loaded
// template family through the registry. The core owns the skeleton: HEAD and
// the shared frontends first (BeginConfig), then each service in
// (appId, servicePort) order, each server of each service.
//
// Each service is rendered as one transaction: if any family fails on it
// because of something in the app (a label template with an unknown
// placeholder), all of that service's text is dropped, the failure is listed
// in Generation::errors, and the other services render. A failure that is not
// the app's (a templates/ file, a pack's default) fails the whole generation,
// so the caller keeps the live config.
//
// Rendering and committing are separate steps, so that services can be
// rendered on several threads and committed in order on one:
//   ServiceRenderer  renders one service into a ServiceRender (one renderer
//                    per thread, each with its own instances of the families);
//   ConfigAssembler  commits renders in (appId, servicePort) order: it checks
//                    the ports of their `bind` lines (one owner per port) and
//                    the answers ClaimOnce gave them, and builds the config.
// Generate() runs both on one thread; core/render/update_pipeline.h on several.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/config/haproxy_config.h"
#include "core/model/label_policy.h"
#include "core/render/plugin_registry.h"
#include "core/model/services.h"
#include "core/base/status.h"

namespace mlb {

struct Generation {
  HaproxyConfig config;
  std::vector<std::string> errors;  // one line per dropped service port
};

Status Generate(const std::vector<Service>& services,
                const sdk::ConfigView& config, const PluginRegistry& registry,
                Generation* out);

// The same, freeing each service's servers (view.servers) once the service
// is rendered: the controller's update, which needs them no further.
Status GenerateReleasingServers(std::vector<Service>* services,
                                const sdk::ConfigView& config,
                                const PluginRegistry& registry,
                                Generation* out);

// What every family made of one service (or of BeginConfig), not yet in a
// config, in the shape the config takes it in: one piece of text per
// section, one list of servers per backend, so that committing it costs a
// few appends and moves, whatever the number of servers.
struct ServiceRender {
  struct Section {
    std::string key;
    int rank = 0;      // sdk::SectionRank
    std::string text;  // the pieces in line-rank order
  };
  struct Servers {
    std::string section;
    std::vector<sdk::ServerEntry> entries;
  };
  // A ClaimOnce(key) call and what it answered.
  struct Claim {
    std::string key;
    bool granted = false;
  };

  Status status;  // not ok: the service is dropped (or, kGlobal, everything)
  std::vector<Section> sections;  // in order of first use (after line ranks)
  std::vector<Servers> servers;
  std::vector<Claim> claims;
  std::vector<Listener> listeners;  // of the `bind` lines in `sections`
};

// Keys claimed through Emitter::ClaimOnce.
using ClaimSet = std::unordered_set<std::string>;

// Renders services with one instance of every family. Not thread-safe: one
// renderer per thread, each with its own families (the registry's, or
// PluginRegistry::NewFamilies()).
class ServiceRenderer {
 public:
  // `families` in registry.packs() order; the renderer does not own them.
  ServiceRenderer(const PluginRegistry& registry, const sdk::ConfigView& config,
                  std::vector<sdk::Family*> families);
  ~ServiceRenderer();

  // The registry's own families.
  static std::vector<sdk::Family*> RegistryFamilies(
      const PluginRegistry& registry);

  // Calls BeginConfig on the families (every renderer must, once per
  // generation, before Render).
  void Begin(ServiceRender* out);

  // Renders `service`. ClaimOnce answers from `claims` (keys already
  // claimed), which Render does not change.
  void Render(const Service& service, const ClaimSet& claims,
              ServiceRender* out);

  class Emitter;  // the sdk::Emitter of the families (generator.cc)

 private:
  const PluginRegistry& registry_;
  const sdk::ConfigView& config_;
  std::vector<sdk::Family*> families_;
  std::unique_ptr<Emitter> emit_;
};

// Commits renders into a config, in order.
class ConfigAssembler {
 public:
  // `services`: every service that will be committed, in (appId,
  // servicePort) order (the Marathon-assigned ports are theirs from the
  // start). They must outlive the assembler.
  explicit ConfigAssembler(const std::vector<const Service*>& services);
  ~ConfigAssembler();

  // The BeginConfig render: its sections come first and its `bind` ports
  // are the LB's own. Fails with its status.
  Status Begin(ServiceRender&& render);

  // Whether `render` was given the ClaimOnce answers the services committed
  // so far give; if not, render the service again with claims() and Add
  // that.
  bool ClaimsHold(const ServiceRender& render) const;
  const ClaimSet& claims() const { return claims_; }

  // Commits the next service's render, or drops the service (listed in
  // errors) when its render failed or its `bind` ports are taken. A
  // kGlobal failure is returned: the generation fails.
  // The render is consumed (its vectors keep their room, for the next).
  Status Add(const Service& service, ServiceRender* render);

  // The config, in output order.
  void Finish(Generation* out);

  class Ports;          // ports taken so far (generator.cc)
  class AssignedPorts;  // ports Marathon assigned (generator.cc)

 private:
  std::unique_ptr<Ports> ports_;
  std::unique_ptr<AssignedPorts> assigned_;
  ClaimSet claims_;
  Generation generation_;
};

}  // namespace mlb
