// One marathon-lb process: the template packs, the caches, and the update
// path that every mode shares (fetch -> parse -> services -> render ->
// supervisor). poll calls Update() once or on a timer; the event-driven modes
// of later issues only add triggers.
#pragma once

#include <memory>
#include <string>

#include "core/cli.h"
#include "core/haproxy_config.h"
#include "core/haproxy_supervisor.h"
#include "core/marathon_client.h"
#include "core/plugin_registry.h"
#include "core/services.h"
#include "core/status.h"

namespace mlb {

class MarathonLb {
 public:
  // Loads the template packs and the templates directory. Fails (and the
  // process should exit non-zero) if no pack loads or a templates/ file is
  // bad.
  static Status Create(const CliOptions& options,
                       std::unique_ptr<MarathonLb>* out);

  // One update. Errors leave the live config as it was.
  Status Update();

  // `marathon-lb plugins`: one line per loaded pack and its templates.
  std::string DescribePlugins() const;
  // --longhelp: flags, labels and every template with its placeholders.
  std::string LongHelp() const;

  const PluginRegistry& registry() const { return registry_; }

 private:
  explicit MarathonLb(const CliOptions& options);

  CliOptions options_;
  PluginRegistry registry_;
  std::unique_ptr<MarathonClient> marathon_;
  ServiceOptions service_options_;
  sdk::ConfigView config_view_;
  std::unique_ptr<HaproxySupervisor> supervisor_;
  // The last generation that is live (written, or unchanged), to log what
  // the next one changes.
  std::unique_ptr<HaproxyConfig> live_;
  std::unique_ptr<DnsResolver> resolver_;
  std::unique_ptr<HealthCache> health_cache_;
};

}  // namespace mlb
