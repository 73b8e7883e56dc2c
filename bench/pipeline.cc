#include "bench/pipeline.h"

#include <algorithm>

namespace mlb::bench {

Status Pipeline::Create(const PipelineOptions& options,
                        std::unique_ptr<Pipeline>* out) {
  std::unique_ptr<Pipeline> pipeline(new Pipeline(options.cache_capacity));
  const std::string dir =
      options.plugin_dir.empty() ? DefaultPluginDir() : options.plugin_dir;
  std::vector<std::string> refusals;
  MLB_RETURN_IF_ERROR(pipeline->registry_.LoadDirectories({dir}, &refusals));
  if (!refusals.empty()) {
    return Status::Error(refusals.front());
  }
  pipeline->service_options_.groups = options.groups;
  pipeline->view_.bind_http_https = options.bind_http_https;
  pipeline->view_.ssl_certs = options.ssl_certs;
  pipeline->view_.haproxy_dir = options.haproxy_dir;
  *out = std::move(pipeline);
  return Status::OK();
}

Status Pipeline::Parse(const std::string& json, Pass* pass) const {
  return ParseApps(json, &pass->apps, &pass->parse_warnings);
}

void Pipeline::BuildReleasingTasks(Pass* pass) {
  BuildServicesReleasingTasks(&pass->apps, service_options_,
                              registry_.catalog(), resolver_, health_cache_,
                              &pass->services);
}

void Pipeline::Build(Pass* pass) {
  BuildServices(pass->apps, service_options_, registry_.catalog(), resolver_,
                health_cache_, &pass->services);
}

Status Pipeline::Render(Pass* pass) const {
  MLB_RETURN_IF_ERROR(Generate(pass->services.services, view_, registry_,
                               &pass->generation));
  pass->text = pass->generation.config.Text();
  return Status::OK();
}

Status Pipeline::GenerateOnly(Pass* pass) const {
  return GenerateReleasingServers(&pass->services.services, view_, registry_,
                                  &pass->generation);
}

Status Pipeline::RunAll(const std::string& json, Pass* pass) {
  MLB_RETURN_IF_ERROR(Parse(json, pass));
  Build(pass);
  return Render(pass);
}

ConfigStats Describe(const Generation& generation, const std::string& text) {
  ConfigStats stats;
  stats.bytes = text.size();
  stats.lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  for (const ConfigSection& section : generation.config.sections()) {
    if (section.key.rfind("backend ", 0) == 0) {
      ++stats.backends;
      stats.servers += section.servers.size();
    }
  }
  return stats;
}

}  // namespace mlb::bench
