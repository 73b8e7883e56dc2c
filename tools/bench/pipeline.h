// marathon-lb's update path for the benchmark, as the controller runs it:
// the update pipeline (core/render/update_pipeline.h) on one or several
// threads, then HaproxyConfig::Text(); and the parse alone (ParseApps), to
// tell reading Marathon's JSON from the rest. Writing the config is left to
// the caller.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "core/marathon/apps.h"
#include "core/render/plugin_registry.h"
#include "core/model/services.h"
#include "core/base/status.h"
#include "core/render/update_pipeline.h"

namespace mlb::bench {

struct PipelineOptions {
  std::string plugin_dir;  // empty: DefaultPluginDir()
  std::vector<std::string> groups = {"external"};
  bool bind_http_https = true;
  std::vector<std::string> ssl_certs = {"/etc/ssl/cert.pem"};
  std::string haproxy_dir = "/etc/haproxy";
  // DNS and health-result cache entries (--lru-cache-capacity).
  size_t cache_capacity = static_cast<size_t>(CliOptions().lru_cache_capacity);
};

// Counts that describe a rendered config.
struct ConfigStats {
  size_t bytes = 0;
  size_t lines = 0;
  size_t backends = 0;
  size_t servers = 0;
};

class Pipeline {
 public:
  // Loads the template packs; fails if one is refused.
  static Status Create(const PipelineOptions& options,
                       std::unique_ptr<Pipeline>* out);

  // ParseApps of `json` alone; the apps are kept in *apps.
  Status Parse(const std::string& json, std::vector<App>* apps) const;
  // The controller's update (core/render/update_pipeline.h) on `json` in memory,
  // with `threads` threads, then Text() into *text.
  Status RunPipelined(const std::string& json, int threads,
                      UpdateResult* result, std::string* text);
  // The same, reading `path` in chunks as MarathonLb::UpdateOnce() reads
  // --marathon file:PATH (FetchAndParseApps).
  Status RunPipelinedFile(const std::string& path, int threads,
                          UpdateResult* result);

 private:
  explicit Pipeline(size_t cache_capacity)
      : resolver_(cache_capacity), health_cache_(cache_capacity) {}

  PluginRegistry registry_;
  ServiceOptions service_options_;
  DnsResolver resolver_;
  HealthCache health_cache_;
  sdk::Config view_;
};

ConfigStats Describe(const Generation& generation, const std::string& text);


}  // namespace mlb::bench
