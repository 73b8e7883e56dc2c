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
#pragma once

#include <string>
#include <vector>

#include "core/haproxy_config.h"
#include "core/plugin_registry.h"
#include "core/services.h"
#include "core/status.h"

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

}  // namespace mlb
