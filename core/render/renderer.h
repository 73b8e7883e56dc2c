// Renders one service (or the global part of the config) by calling every
// template family in use, through the registry, into a ServiceRender: one
// piece of text per section, one list of servers per backend, the shape
// the config takes it in.
//
// The core owns the skeleton: the global part first (Family::Begin), then
// each service, each of its servers. A family adds a template's text; the
// template's declaration says which section it goes to and where among the
// service's other lines there (sdk.h, mlb_template_def).
//
// Each service is one transaction: if any family fails on it because of
// something in the app (a label template with an unknown placeholder, a
// placeholder value that adds a line), the render's status is a kService
// error and the caller drops the service. A failure that is not the app's
// (a templates/ file, a pack's default, a family that throws) is kGlobal:
// the caller keeps the live config.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/config/haproxy_config.h"
#include "core/config/listeners.h"
#include "core/model/services.h"
#include "core/render/plugin_registry.h"

namespace mlb {

// What every family made of one service (or of Begin).
struct ServiceRender {
  struct Section {
    std::string key;   // "backend web_80"; a named section's name
    int rank = 0;      // its MLB_SECTION_* kind: the order of sections
    std::string text;  // the service's lines, in template order
  };
  struct Servers {
    std::string section;
    std::vector<ServerEntry> entries;
  };

  Status status;  // not ok: the service is dropped (or, kGlobal, everything)
  std::vector<Section> sections;    // in order of first use
  std::vector<Servers> servers;
  std::vector<Listener> listeners;  // of the `bind` lines in `sections`
  // Emitter::SetRouteWeight: the order of its lines in the :80 and :443
  // frontends, higher first.
  long long route_weight = 0;
  // Emitter::AddOnce: lines of a shared section that only the first
  // service to add one under `key` puts in the config.
  struct Once {
    std::string key;      // "<family>/<the family's key>"
    std::string section;  // "frontend marathon_http_in"
    int rank = 0;
    long long weight = 0;
    std::string text;
  };
  std::vector<Once> once;
  // Emitter::DeclareMap (Begin) and AddMapEntry (a service).
  std::vector<std::string> maps;
  std::vector<MapEntry> map_entries;
  // Emitter::AddTo: the named sections it added to (each once), and what
  // each stands for.
  struct Claim {
    std::string name;
    std::string what;
  };
  std::vector<Claim> claims;
  // Emitter::Collect, in call order: ("<family>/<the family's key>", value).
  std::vector<std::pair<std::string, std::string>> collected;
  // Under --label-policy restricted: the host suffixes (hdr_end(host), -m
  // end) that a label's lines in a shared frontend match and the rule took
  // as the app's own (its vhost, or "." and it). The assembler, which
  // knows every app's vhosts, refuses one that another app's vhost ends
  // with.
  struct HostSuffix {
    std::string label;    // the label, "HAPROXY_0_<TEMPLATE>"
    std::string section;  // "frontend marathon_http_in"
    int line = 0;         // in the label, from 1
    std::string value;    // lower case
    std::string text;     // the line, trimmed
  };
  std::vector<HostSuffix> suffixes;
};

// What the committed services collected (Emitter::Collect), by
// "<family>/<key>": each value once, in order of first collection.
using Collection = std::unordered_map<std::string, std::vector<std::string>>;

// Whether sections of kind `rank` (MLB_SECTION_*) are a service's own
// (its frontend, backend, userlist) rather than shared by all (the head, the
// :80, :9091 and :443 frontends).
bool IsServiceSection(int rank);

// Renders services with one instance of every family in use. Not
// thread-safe: one renderer per thread, each with its own families (the
// registry's, or PluginRegistry::NewFamilies()).
class ServiceRenderer {
 public:
  // `families` in registry.packs() order; the renderer does not own them.
  ServiceRenderer(const PluginRegistry& registry, const sdk::Config& config,
                  std::vector<sdk::Family*> families);
  ~ServiceRenderer();
  ServiceRenderer(const ServiceRenderer&) = delete;
  ServiceRenderer& operator=(const ServiceRenderer&) = delete;

  // The registry's own families.
  static std::vector<sdk::Family*> RegistryFamilies(
      const PluginRegistry& registry);

  // Calls Begin on the families (every renderer must, once per generation,
  // before Render).
  void Begin(ServiceRender* out);

  // Renders `service`.
  void Render(const Service& service, ServiceRender* out);

  // Calls Finish on the families built for ABI 2.2 or later, with what the
  // committed services collected (once per generation, after the last
  // service was committed; on the renderer whose Begin render went into
  // the config).
  void Finish(const Collection& collected, ServiceRender* out);

  class Emitter;  // the sdk::Emitter of one family (renderer.cc)
  struct State;   // what the emitters share (renderer.cc)

 private:
  // Calls `call` on every family in turn, stopping at the first failure.
  template <typename Call>
  Status ForEachFamily(Call call, uint32_t min_abi_minor = 0);

  const PluginRegistry& registry_;
  std::vector<sdk::Family*> families_;
  std::unique_ptr<State> state_;
  std::vector<std::unique_ptr<Emitter>> emitters_;  // one per family
};

}  // namespace mlb
