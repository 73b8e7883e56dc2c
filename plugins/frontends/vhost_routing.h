// The frontends family's vhost routing: the lines of a service port with
// HAPROXY_{n}_VHOST in marathon_http_in (:80) and marathon_https_in (:443),
// as marathon-lb 1.15 writes them for each combination of a path
// (HAPROXY_{n}_PATH), a redirect (the redirect family's label), basic
// auth (the auth family's, which then writes the routing itself) and
// --haproxy-map (a vhost without path or auth is a line of
// domain2backend.map, on :80 also without redirect).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontends_templates.h"
#include "mlb/plugin/sdk.h"

namespace frontends {

namespace sdk = mlb::sdk;

// Why HAPROXY_{n}_PATH cannot follow path_beg, or "". It takes path
// prefixes (each starting with '/') and the flags -i and --, at most 60
// words: another flag could make haproxy -c refuse every app's config (-m,
// -u) or read a file of the LB host (-f), and HAProxy reads 64 words a line.
inline std::string PathProblem(std::string_view path) {
  const std::vector<std::string_view> words = sdk::Words(path);
  if (words.size() > 60) {
    return "has more than 60 words";
  }
  bool prefix = false;
  for (std::string_view word : words) {
    if (!word.empty() && word[0] == '/') {
      prefix = true;
    } else if (word != "-i" && word != "--") {
      return "has '" + std::string(word) +
             "', which is neither a path prefix (/...) nor -i";
    }
  }
  return prefix ? "" : "names no path prefix (/...)";
}

// --haproxy-map: `vhost` goes to the backend through domain2backend.map;
// `lookup` (the map's use_backend line, in :80 or :443) is written once per
// config, after the vhost rules of weight 0 and more (marathon-lb 1.15 gives
// it weight -1).
inline bool AddToDomainMap(const sdk::Service& svc, const std::string& vhost,
                           sdk::TemplateId lookup, sdk::Emitter& emit) {
  const bool https = lookup == MAP_HTTPS_FRONTEND_ACL;
  return emit.AddMapEntry("domain2backend.map", vhost, svc.backend) &&
         emit.AddOnce(https ? "https map" : "http map", lookup,
                      {{"haproxy_dir", emit.config().haproxy_dir},
                       {"hostname", vhost}},
                      -1);
}

// marathon_http_in: the vhost (and path) ACLs and the routing to the
// backend. The redirect family's 301 takes the routing's place; behind
// auth the auth family writes the routing and its ACLs.
inline bool AddHttpVhostRouting(const sdk::Service& svc,
                                sdk::Emitter& emit) {
  const std::string acl = sdk::VhostAclName(svc);
  const std::string path(svc.Text("HAPROXY_{n}_PATH"));
  const bool redirect = svc.Flag("HAPROXY_{n}_REDIRECT_TO_HTTPS");
  const bool auth = svc.Label("HAPROXY_{n}_AUTH") != nullptr;
  const sdk::Vars path_acl = {{"cleanedUpHostname", acl},
                              {"hostname", svc.vhosts.front()},
                              {"path", path},
                              {"backend", svc.backend}};
  if (svc.vhosts.size() == 1) {
    if (!path.empty() && redirect) {
      return emit.Add(HTTP_FRONTEND_ACL_ONLY,
                      {{"cleanedUpHostname", acl},
                       {"hostname", svc.vhosts.front()}}) &&
             emit.Add(HTTP_FRONTEND_ACL_ONLY_WITH_PATH, path_acl);
    }
    if (auth && !redirect) {
      return true;  // HTTP_FRONTEND_ACL_WITH_AUTH[_AND_PATH]
    }
    if (path.empty() && !redirect && emit.config().haproxy_map) {
      return AddToDomainMap(svc, svc.vhosts.front(), MAP_HTTP_FRONTEND_ACL,
                            emit);
    }
    sdk::Vars vars = {{"cleanedUpHostname", acl},
                      {"hostname", svc.vhosts.front()},
                      {"backend", svc.backend}};
    if (!path.empty()) {
      vars.Set("path", path);
      vars.Set("appId", svc.app_id);
      return emit.Add(HTTP_FRONTEND_ACL_WITH_PATH, vars);
    }
    if (!redirect) {  // marathon-lb offers no {appId} with a redirect
      vars.Set("appId", svc.app_id);
    }
    return emit.Add(HTTP_FRONTEND_ACL, vars);
  }
  if (!path.empty() && !auth &&
      !emit.Add(HTTP_FRONTEND_ACL_ONLY_WITH_PATH, path_acl)) {
    return false;
  }
  const bool map = emit.config().haproxy_map && path.empty() && !auth &&
                   !redirect;
  for (const std::string& vhost : svc.vhosts) {
    if (map ? !AddToDomainMap(svc, vhost, MAP_HTTP_FRONTEND_ACL_ONLY, emit)
            : !emit.Add(HTTP_FRONTEND_ACL_ONLY,
                        {{"cleanedUpHostname", acl}, {"hostname", vhost}})) {
      return false;
    }
  }
  if (redirect || auth || map) {
    // the 301, HTTP_FRONTEND_ROUTING_ONLY_WITH_*AUTH, or the map's line
    return true;
  }
  return emit.Add(path.empty() ? HTTP_FRONTEND_ROUTING_ONLY
                               : HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH,
                  {{"cleanedUpHostname", acl}, {"backend", svc.backend}});
}

// marathon_https_in: the path ACL, then routing by SNI, one line per
// vhost (behind auth, the auth family's). With --group-https-by-vhost the
// same lines go to the TLS frontend of each vhost instead, the path ACL to
// each (marathon-lb 1.15 gives every vhost of the port the ACL it wrote for
// the first); a vhost that --haproxy-map routes is routed there by its
// line too (its map line is still written).
inline bool AddHttpsVhostRouting(const sdk::Service& svc,
                                 sdk::Emitter& emit) {
  const bool grouped = emit.config().group_https_by_vhost;
  const std::string acl = sdk::VhostAclName(svc);
  const std::string path(svc.Text("HAPROXY_{n}_PATH"));
  const sdk::Vars path_acl = {{"cleanedUpHostname", acl},
                              {"hostname", svc.vhosts.front()},
                              {"path", path},
                              {"backend", svc.backend}};
  if (!path.empty() && !grouped &&
      !emit.Add(HTTPS_FRONTEND_ACL_ONLY_WITH_PATH, path_acl)) {
    return false;
  }
  for (const std::string& vhost : svc.vhosts) {
    if (!path.empty() && grouped &&
        !sdk::AddToVhostSection(emit, vhost, HTTPS_FRONTEND_ACL_ONLY_WITH_PATH,
                                path_acl)) {
      return false;
    }
  }
  if (svc.Label("HAPROXY_{n}_AUTH") != nullptr) {
    return true;  // HTTPS_FRONTEND_ACL_WITH_AUTH[_AND_PATH]
  }
  for (const std::string& vhost : svc.vhosts) {
    if (path.empty() && emit.config().haproxy_map) {
      if (grouped ? !emit.AddMapEntry("domain2backend.map", vhost, svc.backend)
                  : !AddToDomainMap(svc, vhost, MAP_HTTPS_FRONTEND_ACL, emit)) {
        return false;
      }
      if (!grouped) {
        continue;
      }
    }
    const sdk::TemplateId routing =
        path.empty() ? HTTPS_FRONTEND_ACL : HTTPS_FRONTEND_ACL_WITH_PATH;
    const sdk::Vars vars = {{"cleanedUpHostname", acl},
                            {"hostname", vhost},
                            {"appId", svc.app_id},
                            {"backend", svc.backend}};
    if (grouped ? !sdk::AddToVhostSection(emit, vhost, routing, vars)
                : !emit.Add(routing, vars)) {
      return false;
    }
  }
  return true;
}

}  // namespace frontends
