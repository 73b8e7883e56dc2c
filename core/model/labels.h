// The labels marathon-lb reads, in one table, and how a service port's
// labels are read from it.
//
// The core declares only the labels that define a service port: its groups
// (HAPROXY_GROUP), virtual hosts (HAPROXY_{n}_VHOST), bind address, port,
// mode, and the port its servers are health-checked on (which can change
// the mode). Every other label is declared by the template pack that reads it
// (sdk.h, mlb_label_def) with a kind; PluginRegistry adds those to the
// table. ParsePortLabels checks each declared label of a service port by its
// kind and the --label-policy, and hands the packs typed values
// (sdk::Service::labels). Template-override labels (HAPROXY_{n}_<TEMPLATE>)
// are the overridable templates of the TemplateCatalog.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/text.h"
#include "core/model/label_policy.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

class Template;
class TemplateCatalog;

// How a label's value is read. The first nine are the kinds a pack may
// declare (sdk.h, MLB_LABEL_*); the others are the core's own.
enum class LabelKind : uint32_t {
  kBool = MLB_LABEL_BOOL,
  kInteger = MLB_LABEL_INTEGER,
  kPort = MLB_LABEL_PORT,
  kWord = MLB_LABEL_WORD,
  kHostList = MLB_LABEL_HOST_LIST,
  kCertificate = MLB_LABEL_CERTIFICATE,
  kText = MLB_LABEL_TEXT,
  kWords = MLB_LABEL_WORDS,
  kNetworkList = MLB_LABEL_NETWORK_LIST,
  kGroupList = 100,  // comma-separated, no trimming (HAPROXY_GROUP)
  kBindAddress,      // an IP address, '*' or a host name
  kMode,             // tcp or http, any case, stored lower-case
  kTemplate,         // a template override, checked against the catalog
};

// "bool", "integer", ... as --longhelp names a kind.
std::string_view LabelKindName(LabelKind kind);

struct LabelSpec {
  std::string name;  // "HAPROXY_GROUP", "HAPROXY_{n}_VHOST", ...
  LabelKind kind;
  std::string family;  // the pack's family; "" for the core's own
  std::string pack;
  std::string description;

  // Per service port: the name has "{n}".
  bool per_port() const {
    return name.find("{n}") != std::string::npos;
  }
};

// Every label, the core's first, then the packs' in the order they were
// added. Filled at start-up; read-only afterwards.
class LabelTable {
 public:
  // The core's own labels.
  LabelTable();

  // Adds a label a pack declared. Fails with
  //   "label 'X' is not named HAPROXY_{n}_[A-Z0-9_]+ or HAPROXY_[A-Z0-9_]+"
  //   "label X has no kind a pack may declare (kind 42)"
  //   "label X is marathon-lb's own"
  //   "label X is already declared by pack P (family F)"
  Status Add(LabelSpec spec);

  const std::vector<LabelSpec>& labels() const { return labels_; }
  const LabelSpec* Find(std::string_view name) const;

  // The labels of packs loaded but not chosen for their family: an app
  // that sets one loses that service port (the pack in use does not read
  // it, and it may be one that narrows exposure).
  void AddNotChosen(const LabelSpec& spec) { not_chosen_.push_back(spec); }
  const LabelSpec* FindNotChosen(std::string_view name) const;

 private:
  std::vector<LabelSpec> labels_;
  std::vector<LabelSpec> not_chosen_;
};

// Typed values of one service port's labels.
struct PortLabels {
  // The core's own.
  std::string vhost;  // HAPROXY_{n}_VHOST, lower-cased; may hold commas
  std::string bind_addr = "*";
  int port = 0;      // HAPROXY_{n}_PORT; 0 = keep Marathon's service port
  std::string mode;  // "tcp", "http" or "" (unset)
  // HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX as written (any integer;
  // ServiceBuilder checks that it names a port of the app).
  std::optional<long long> healthcheck_port_index;
  // The packs' labels the app sets, in table order.
  std::vector<sdk::LabelValue> values;
  // HAPROXY_{n}_<TEMPLATE> overrides, compiled, by template name.
  std::map<std::string, std::shared_ptr<const Template>> templates;
  // The --label-policy they were accepted under: under `restricted` the
  // renderer reads what they render to again (CheckRenderedOverride).
  LabelPolicy policy = LabelPolicy::kRestricted;
};

// The label name for port index `n`: LabelName("HAPROXY_{n}_VHOST", 2) is
// "HAPROXY_2_VHOST".
std::string LabelName(std::string_view pattern, int n);

// HAPROXY_GROUP split on ',' (no trimming); empty if the label is absent.
std::vector<std::string> ParseAppGroups(
    const std::map<std::string, std::string>& labels);

// HAPROXY_{n}_GROUP of port `n` (it replaces HAPROXY_GROUP for that port),
// or null when the app does not set it.
const std::string* PortGroupLabel(
    const std::map<std::string, std::string>& labels, int n);

// Whether port `n` is exposed by HAPROXY_{n}_ENABLED (a boolean): when the
// label is absent, unless --strict-mode.
bool PortEnabled(const std::map<std::string, std::string>& labels, int n,
                 bool strict_mode);

// Reads the labels of port index `n` declared in `table` into *out. Fails on
// the first bad value with a kService Status such as
//   "label HAPROXY_0_PORT: 'abc' is not a port number (1-65535)"
// or on the first label `policy` refuses (label_policy.h; app-level labels
// such as HAPROXY_GROUP are checked too, as they apply to every port).
// Labels that look like HAPROXY_{n}_* but are neither declared nor an
// overridable template add a line to *warnings.
Status ParsePortLabels(const std::map<std::string, std::string>& labels, int n,
                       const LabelTable& table, const TemplateCatalog& catalog,
                       PortLabels* out, std::vector<std::string>* warnings,
                       LabelPolicy policy = LabelPolicy::kRestricted);

// What CheckLabel needs to know about a label overriding template `name`:
// the text the label replaces, whether it is one line, and what it must be
// emptied with.
TemplateLabelInfo TemplateOverrideInfo(const TemplateCatalog& catalog,
                                       const std::string& name);

// Shows a label value on one log line: control characters as \n, \t, \xNN.
std::string QuoteValue(std::string_view value);

// Python's int() as marathon-lb applies it to a label: optional surrounding
// whitespace, an optional sign, decimal digits (at most 18).
bool ParseInt(std::string_view s, long long* out);

}  // namespace mlb
