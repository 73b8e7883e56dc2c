#include "tools/bench/pipeline.h"

#include <algorithm>

#include "core/marathon/client.h"

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

Status Pipeline::Parse(const std::string& json, std::vector<App>* apps) const {
  std::vector<std::string> warnings;
  return ParseApps(json, apps, &warnings);
}

Status Pipeline::RunPipelined(const std::string& json, int threads,
                              UpdateResult* result, std::string* text) {
  UpdatePipeline update(registry_, view_, service_options_, resolver_,
                        health_cache_, threads);
  MLB_RETURN_IF_ERROR(update.Run(
      [&](AppSink* sink, std::vector<std::string>* warnings) {
        return ParseApps(json, sink, warnings);
      },
      result));
  MLB_RETURN_IF_ERROR(result->generated);
  *text = result->generation.config.Text();
  return Status::OK();
}

Status Pipeline::RunPipelinedFile(const std::string& path, int threads,
                                  UpdateResult* result) {
  UpdatePipeline update(registry_, view_, service_options_, resolver_,
                        health_cache_, threads);
  MarathonOptions marathon;
  marathon.urls = {"file:" + path};
  MarathonClient client(marathon);
  std::string source;
  return update.Run(
      [&](AppSink* sink, std::vector<std::string>* warnings) {
        return client.FetchAndParseApps(sink, warnings, &source);
      },
      result);
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
