// marathon-lb's update path for the benchmark: one stage at a time
// (ParseApps -> BuildServices -> Generate -> HaproxyConfig::Text()), each
// timed on its own, and as the controller runs it (UpdatePipeline, the
// stages overlapping on several threads). Writing (ConfigWriter) is
// left to the caller.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/app/cli.h"
#include "core/render/generator.h"
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

// Everything one update produces, kept until the caller drops it.
struct Pass {
  std::vector<App> apps;
  std::vector<std::string> parse_warnings;
  ServiceList services;
  Generation generation;
  std::string text;
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

  Status Parse(const std::string& json, Pass* pass) const;
  // Uses the pipeline's resolver, whose cache lives as long as the pipeline
  // (as the controller's does) and has the controller's default capacity.
  void Build(Pass* pass);
  // Generate + Text().
  Status Render(Pass* pass) const;
  // Parse, Build and Render.
  Status RunAll(const std::string& json, Pass* pass);
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
  sdk::ConfigView view_;
};

ConfigStats Describe(const Generation& generation, const std::string& text);

}  // namespace mlb::bench
