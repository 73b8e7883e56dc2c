// marathon-lb template-pack SDK: the only header a template-family plugin
// includes.
//
// A template pack is a shared object that marathon-lb loads at run time from
// a --plugin-dir. It exports one symbol, `mlb_plugin`, a plain C descriptor
// (MLB_DECLARE_PLUGIN below). The host reads and checks the descriptor — ABI
// version, struct size, family and pack names, every default template — before
// it calls any code in the pack. Only then does it call `create_family` to get
// the pack's Family object, which it keeps (and the library) for the life of
// the process.
//
// A Family owns a template family: its default templates, when they apply,
// and which placeholders they receive. The host owns the skeleton: the order
// of sections and of services. A Family never writes text directly; it asks
// the Emitter to render a template by name (the Emitter applies the operator's
// precedence: HAPROXY_{n}_<NAME> label > templates/HAPROXY_<NAME> file > the
// pack's default) and to append the result to a named section.
//
// Compatibility: the descriptor is C. The Family interface uses C++ standard
// library types, so a pack must be built with the same compiler and standard
// library as marathon-lb (g++ / libstdc++ on Debian 12). No exception may leave
// a Family method: report failures through Emitter::Fail and return false.
//
// ABI versions: a major bump breaks packs; a minor bump only appends fields to
// the descriptor, and the host reads a field only when the pack's struct_size
// covers it, so a pack built for 1.0 still loads in a 1.1 host.
//   1.0  the descriptor up to create_family
//   1.1  + labels / label_count: the app labels the pack reads
// docs/plugin-sdk.md is the guide for pack authors.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#define MLB_PLUGIN_ABI_MAJOR 1u
#define MLB_PLUGIN_ABI_MINOR 1u

#define MLB_PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {

// mlb_template_def.flags
#define MLB_TEMPLATE_OVERRIDABLE 1u  // HAPROXY_{n}_<NAME> labels may replace it
#define MLB_TEMPLATE_VERBATIM 2u     // inserted as is: no {placeholders}
// Part of another line (marathon-lb's server health-check options): the text
// is trimmed and, when not empty, prefixed with one space, before its
// placeholders are filled.
#define MLB_TEMPLATE_INLINE 4u

struct mlb_template_def {
  const char* name;          // "BACKEND_HEAD": file HAPROXY_BACKEND_HEAD
  const char* text;          // default text, marathon-lb syntax
  uint32_t flags;            // MLB_TEMPLATE_*
  const char* placeholders;  // space-separated names the pack supplies
  const char* description;   // one line for --longhelp
};

// An app label a pack reads through ServiceView::labels (ABI 1.1). Declaring
// it lists it in --longhelp and `marathon-lb plugins`, and marathon-lb no
// longer warns that the label is unknown.
struct mlb_label_def {
  const char* name;         // "HAPROXY_{n}_MAXCONN": per service port n
  const char* description;  // one line for --longhelp
};

struct mlb_plugin_descriptor {
  // Never reorder these three: the host reads them before anything else.
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;

  const char* family;        // e.g. "backends", or a family of the pack's own
  const char* pack;          // reverse-DNS pack name, e.g. "io.mlb.builtin"
  const char* pack_version;  // e.g. "1.0.0"
  const char* description;
  const struct mlb_template_def* templates;
  uint32_t template_count;
  // Returns a new mlb::sdk::Family (as void*); the host owns it.
  void* (*create_family)(void);

  // ABI 1.1. Read only when struct_size covers them.
  const struct mlb_label_def* labels;
  uint32_t label_count;
};

}  // extern "C"

namespace mlb {
namespace sdk {

using Vars = std::map<std::string, std::string, std::less<>>;

// Section ranks: the skeleton order of the generated config. Sections are
// written by rank, then in the order they were first created (which follows
// the (appId, servicePort) order of services).
enum SectionRank : int {
  kSectionHead = 0,          // global, defaults, listen stats
  kSectionUserlist = 10,
  kSectionHttpFrontend = 20,   // marathon_http_in (:80)
  kSectionAppIdFrontend = 30,  // marathon_http_appid_in (:9091)
  kSectionHttpsFrontend = 40,  // marathon_https_in (:443)
  kSectionServiceFrontend = 50,
  kSectionBackend = 60,
};

// Line ranks inside a section, for one service's (or the global) contribution.
// Lower ranks come first; equal ranks keep the order of the Append calls.
enum LineRank : int {
  kLineHead = 0,
  kLineAcl = 10,
  kLineRedirect = 20,
  kLineHttpOptions = 30,
  kLineSticky = 40,
  kLineHealthCheck = 50,
  kLineGlue = 90,
};

// Logical section keys used by the built-in packs.
inline const char kHeadSection[] = "head";
inline const char kHttpFrontend[] = "frontend marathon_http_in";
inline const char kAppIdFrontend[] = "frontend marathon_http_appid_in";
inline const char kHttpsFrontend[] = "frontend marathon_https_in";
inline std::string ServiceFrontend(const std::string& backend) {
  return "frontend " + backend;
}
inline std::string Backend(const std::string& backend) {
  return "backend " + backend;
}

// A Marathon health check, as chosen for one service port.
struct HealthCheckView {
  std::string protocol;  // HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, ...
  std::optional<int> port_index;
  std::optional<int> port;
  std::string path = "/";
  int timeout_seconds = 20;
  int interval_seconds = 60;
  int grace_period_seconds = 300;
  int max_consecutive_failures = 3;
  std::optional<bool> ignore_http1xx;
  // The raw Marathon object, for {healthCheck} (Python's repr of the dict)
  // and {healthCheck[key]} (Python's str of one field).
  std::string raw_repr;
  std::map<std::string, std::string> raw_fields;
};

// One task of a service: one future `server` line.
struct ServerView {
  std::string host;  // Mesos agent host as Marathon reports it
  std::string ip;    // address HAProxy connects to
  int port = 0;
  std::string name;  // stable server name, e.g. "agent1_10_0_0_1_31000"
  int id = 0;        // stable server id, 1..32766
};

// One service port of one app that passed group and label checks.
struct ServiceView {
  std::string app_id;    // "/web/front"
  std::string backend;   // "web_front_10001"
  int port_index = 0;    // n in HAPROXY_{n}_*
  int service_port = 0;  // after HAPROXY_{n}_PORT
  std::string mode;      // "http" or "tcp"
  std::string bind_addr = "*";
  std::string vhost_label;          // HAPROXY_{n}_VHOST, lower-cased; "" if unset
  std::vector<std::string> vhosts;  // vhost_label split on ','
  bool sticky = false;
  bool redirect_to_https = false;
  std::string ssl_cert;
  std::optional<HealthCheckView> health_check;
  std::vector<ServerView> servers;  // sorted by (host, port)
  const std::map<std::string, std::string>* labels = nullptr;  // all labels
};

// Generation-wide settings from the command line.
struct ConfigView {
  bool bind_http_https = true;
  std::vector<std::string> ssl_certs;  // --ssl-certs, defaults applied
  std::string haproxy_dir;             // directory of --haproxy-config
};

// One `server` entry of a backend, kept as data as well as text.
struct ServerEntry {
  std::string name;
  std::string address;
  int port = 0;
  int id = 0;
  std::string line;  // the rendered line(s), ending in '\n'
};

// Host services offered to a Family during one generation.
class Emitter {
 public:
  virtual ~Emitter() = default;
  // Renders template `name` with `vars` for the current service (or
  // globally during BeginConfig). On failure records the error and returns
  // false; the Family should then return false.
  virtual bool Render(const char* name, const Vars& vars, std::string* out) = 0;
  // Appends text to a section, creating the section (with `section_rank`) on
  // first use.
  virtual void Append(const std::string& section, int section_rank,
                      int line_rank, const std::string& text) = 0;
  // Adds a server entry to a backend section.
  virtual void AddServer(const std::string& section,
                         const ServerEntry& server) = 0;
  // True the first time `key` is claimed in this generation, in (appId,
  // servicePort) order. Claims made for a service that is later dropped are
  // released (the host renders again whatever was told otherwise).
  virtual bool ClaimOnce(const std::string& key) = 0;
  // Records an error (the Family then returns false). During AddService,
  // ServerVars and AddServer it drops that service port only; during
  // BeginConfig it fails the whole generation.
  virtual void Fail(const std::string& message) = 0;
};

// A template family. Each generation calls, on each instance: BeginConfig;
// then for each service it renders AddService, and for each of its servers
// ServerVars (every family) and AddServer (every family). Return false after
// Emitter::Fail (or a failed Render).
//
// Threads: the host may create several instances (create_family once per
// rendering thread) and render different services on each at once; one
// instance is only ever called from one thread. So instances must share no
// mutable state, and nothing may carry from one service to the next except
// through Emitter::ClaimOnce (docs/plugin-sdk.md, "Threads").
class Family {
 public:
  virtual ~Family() = default;
  virtual bool BeginConfig(const ConfigView&, Emitter&) { return true; }
  virtual bool AddService(const ConfigView&, const ServiceView&, Emitter&) {
    return true;
  }
  // Contributes placeholder values for the server line of `server`.
  virtual bool ServerVars(const ConfigView&, const ServiceView&,
                          const ServerView&, Vars*, Emitter&) {
    return true;
  }
  // Emits the server line, given every family's ServerVars.
  virtual bool AddServer(const ConfigView&, const ServiceView&,
                         const ServerView&, const Vars&, Emitter&) {
    return true;
  }
};

// marathon-lb's name cleaning, re.sub("[^a-zA-Z0-9-]", "_", s): one '_' per
// Unicode code point (UTF-8 continuation bytes do not add underscores).
inline std::string CleanName(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-') {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xC0) != 0x80) {
      out.push_back('_');
    }
  }
  return out;
}

// App id without its leading '/', remaining '/' as '_': "/web/front" ->
// "web_front".
inline std::string AppIdPath(const std::string& app_id) {
  std::string out = !app_id.empty() && app_id[0] == '/' ? app_id.substr(1)
                                                         : app_id;
  for (char& c : out) {
    if (c == '/') {
      c = '_';
    }
  }
  return out;
}

// {cleanedUpHostname}: the name of a service's vhost ACL, shared by all its
// vhosts: cleaned first vhost + '_' + app id path ("www_example_com_web_front"),
// so that two apps sharing a vhost get distinct ACLs (marathon-lb 1.15).
inline std::string VhostAclName(const ServiceView& svc) {
  return CleanName(svc.vhosts.empty() ? "" : svc.vhosts.front()) + "_" +
         AppIdPath(svc.app_id);
}

// Python's rendering of optional values: None when absent.
inline std::string PyStr(const std::optional<int>& v) {
  return v ? std::to_string(*v) : "None";
}
inline std::string PyStr(const std::optional<bool>& v) {
  return v ? (*v ? "True" : "False") : "None";
}

}  // namespace sdk
}  // namespace mlb

// Declares the pack descriptor. Use once per pack, at namespace scope:
//   MLB_DECLARE_PLUGIN("backends", "io.mlb.builtin", "1.0.0", "…",
//                      kTemplates, MyFamily)
// `templates` is an array of mlb_template_def (its size is taken with sizeof).
#define MLB_DECLARE_PLUGIN(family, pack, version, description, templates,   \
                           FamilyClass)                                     \
  MLB_DECLARE_PLUGIN_DESCRIPTOR_(family, pack, version, description,        \
                                 templates, nullptr, 0, FamilyClass)

// The same, for a pack that reads its own app labels: `labels` is an array of
// mlb_label_def.
//   MLB_DECLARE_PLUGIN_WITH_LABELS("limits", "com.example.limits",
//                                  "1.0.0", "…", kTemplates, kLabels, Limits)
#define MLB_DECLARE_PLUGIN_WITH_LABELS(family, pack, version, description,  \
                                       templates, labels, FamilyClass)      \
  MLB_DECLARE_PLUGIN_DESCRIPTOR_(family, pack, version, description,        \
                                 templates, labels,                         \
                                 sizeof(labels) / sizeof((labels)[0]),      \
                                 FamilyClass)

#define MLB_DECLARE_PLUGIN_DESCRIPTOR_(family, pack, version, description,  \
                                       templates, labels, label_count,      \
                                       FamilyClass)                         \
  static void* mlb_create_family_() {                                       \
    return static_cast< ::mlb::sdk::Family*>(new FamilyClass());            \
  }                                                                         \
  extern "C" MLB_PLUGIN_EXPORT const mlb_plugin_descriptor mlb_plugin;      \
  extern "C" const mlb_plugin_descriptor mlb_plugin = {                     \
      MLB_PLUGIN_ABI_MAJOR,                                                 \
      MLB_PLUGIN_ABI_MINOR,                                                 \
      sizeof(mlb_plugin_descriptor),                                        \
      family,                                                               \
      pack,                                                                 \
      version,                                                              \
      description,                                                          \
      templates,                                                            \
      sizeof(templates) / sizeof((templates)[0]),                           \
      &mlb_create_family_,                                                  \
      labels,                                                               \
      label_count}
