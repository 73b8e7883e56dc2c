// Commits service renders into a config, in (appId, servicePort) order, on
// one thread: the global render first, then each service's, checking the
// ports of their `bind` lines (one owner per port: the LB's own frontends
// first, then the service Marathon assigned the port to, then the first
// service to bind it). A service whose render failed or whose ports are
// taken is dropped, with its error.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
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

  // What the committed services collected (Emitter::Collect), for
  // ServiceRenderer::Finish.
  const Collection& collected() const { return collected_; }

  // The config, in output order, with the Finish render `render` (whose
  // text goes after the services' in the shared sections and first in
  // named sections). Fails with its status, or when it adds to a named
  // section under a name that is taken, or when a named section with lines
  // is not opened by its own section line.
  Status Finish(ServiceRender&& render, Generation* out);

  class Ports;          // ports taken so far (assembler.cc)
  class AssignedPorts;  // ports Marathon assigned (assembler.cc)

  // A service's lines in the :80 or :443 frontend, placed at Finish by
  // their route weight.
  struct VhostBlock {
    long long weight;
    std::string key;  // the section
    int rank;
    std::string text;
    int author;  // HaproxyConfig::AddAuthor's, or HaproxyConfig::kTheLb
  };

  // A named section (MLB_SECTION_NAMED): its opening text (from Finish),
  // the services' lines, and who claimed its name first.
  struct Named {
    std::string what;
    const sdk::Service* owner = nullptr;  // null: Finish
    std::string head;
    std::vector<VhostBlock> blocks;  // in commit order
  };

 private:
  // Why the named sections and the backend of `view` cannot be in the
  // config with what is there (names taken), or OK.
  Status CheckNames(const sdk::Service* view,
                    const std::vector<ServiceRender::Claim>& claims) const;
  // Why `render` of `view` declares an ACL that another app (or the LB's
  // own lines, or another family's AddOnce line) declares in the same
  // shared section, or OK; *declared gets the ACLs it would own.
  Status CheckAcls(const sdk::Service& view, const ServiceRender& render,
                   std::vector<std::pair<std::string, std::string>>* declared)
      const;
  void CommitNamed(const sdk::Service* view, int author,
                   ServiceRender* render);
  // Why a host suffix that `render`'s labels took as own (ServiceRender::
  // suffixes) also matches a vhost of another app of this update, or OK.
  Status CheckSuffixes(const sdk::Service& view, const ServiceRender& render);

  std::vector<const Service*> services_;  // the update's, in config order
  std::unique_ptr<Ports> ports_;
  std::vector<VhostBlock> vhost_blocks_;  // in commit order
  std::unordered_set<std::string> once_keys_;  // of AddOnce lines committed
  std::unique_ptr<AssignedPorts> assigned_;
  Collection collected_;
  std::unordered_set<std::string> collected_pairs_;  // "key\0value"
  std::map<std::string, Named> named_;  // by name: their order
  // HAProxy proxy names of the global part ("marathon_http_in", "stats")
  // and the backend names of committed services.
  std::unordered_map<std::string, std::string> global_names_;
  std::unordered_map<std::string, const sdk::Service*> service_names_;
  // Who declared each ACL of the shared sections, by "<section>\n<acl>":
  // an app id, "" for the LB's own lines (Begin), "once <key>" for an
  // AddOnce line. HAProxy merges the declarations of one name in a proxy
  // (it ORs them), so a second app's ACL of that name would route the
  // first app's requests too.
  std::unordered_map<std::string, std::string> acl_owners_;
  // Every vhost of every service of the update (dropped ones too), with its
  // service: a wildcard may not take a vhost whichever comes first. Made
  // from services_ when a render has host suffixes first.
  bool vhosts_made_ = false;
  std::vector<std::pair<std::string, const sdk::Service*>> vhosts_;
  Generation generation_;
};

}  // namespace mlb
