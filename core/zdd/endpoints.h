// What zdd talks to: Marathon's REST API (the calls of a deployment) and
// every marathon-lb instance (its HAProxy PIDs and stats). Interfaces, so
// that the deployment loop runs against fakes in tests, and their HTTP
// implementations on the core's HttpClient.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/http_client.h"
#include "core/zdd/app_json.h"
#include "core/zdd/drain.h"
#include "core/zdd/outcome.h"

namespace mlb::zdd {

class MarathonApi {
 public:
  virtual ~MarathonApi() = default;
  // GET /v2/apps (exit 6 on failure).
  virtual Outcome ListApps(std::vector<Object::Ptr>* apps) = 0;
  // GET /v2/apps/<id> with its tasks; *app is null when Marathon answers
  // 404 (exit 6 on any other failure).
  virtual Outcome GetApp(const std::string& id, Object::Ptr* app) = 0;
  // POST /v2/apps (exit 7).
  virtual Outcome CreateApp(const Object::Ptr& app) = 0;
  // PUT /v2/apps/<id> {"instances": n} (exit 9).
  virtual Outcome ScaleApp(const std::string& id, int instances) = 0;
  // POST /v2/tasks/delete?scale=true {"ids": [...]} (exit 9).
  virtual Outcome KillTasks(const std::vector<std::string>& ids) = 0;
  // DELETE /v2/apps/<id> (exit 8).
  virtual Outcome DeleteApp(const std::string& id) = 0;
};

class LbProbe {
 public:
  virtual ~LbProbe() = default;
  // One view per marathon-lb instance, asked now.
  virtual std::vector<LbView> Observe() = 0;
};

struct HttpEndpointOptions {
  std::string marathon;  // base URL
  std::string user;      // basic auth for Marathon; empty: none
  std::string password;
  std::string ca_cert;  // for https Marathon URLs
  // marathon-lb base URLs, each serving /_haproxy_getpids and
  // /haproxy?stats;csv; each host name stands for all its IPv4 addresses.
  std::vector<std::string> marathon_lb;
};

std::unique_ptr<MarathonApi> NewHttpMarathonApi(
    const HttpEndpointOptions& options);
std::unique_ptr<LbProbe> NewHttpLbProbe(const HttpEndpointOptions& options);

// `url` with its host replaced by each of the host's IPv4 addresses
// (sorted), as zdd.py's get_marathon_lb_urls; an address stays itself.
Status ExpandLbUrl(const std::string& url, std::vector<std::string>* out);

}  // namespace mlb::zdd
