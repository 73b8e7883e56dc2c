// The label table: every HAPROXY_* app label marathon-lb understands, how its
// value is parsed, and which typed field of PortLabels it sets.
//
// To add a label: add a field to PortLabels (or AppLabels) and a row to the
// table in labels.cc. Parsing, validation, --longhelp and the tests iterate
// over the table, so no other code path changes. Template-override labels
// (HAPROXY_{n}_<TEMPLATE>) are one row whose valid names come from the
// template catalog, i.e. from the loaded template packs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/label_policy.h"
#include "core/base/status.h"
#include "core/base/text.h"

namespace mlb {

class Template;
class TemplateCatalog;

// Typed values of one service port's HAPROXY_{n}_* labels.
struct PortLabels {
  std::string vhost;  // HAPROXY_{n}_VHOST, lower-cased; may hold commas
  bool sticky = false;
  bool redirect_to_https = false;
  std::string ssl_cert;
  std::string bind_addr = "*";
  int port = 0;      // HAPROXY_{n}_PORT; 0 = keep Marathon's service port
  std::string mode;  // "tcp", "http" or "" (unset)
  // HAPROXY_{n}_<TEMPLATE> overrides, compiled, by template name.
  std::map<std::string, std::shared_ptr<const Template>> templates;
  // The --label-policy they were accepted under: under `restricted` the
  // generator reads what they render to again (CheckRenderedOverride).
  LabelPolicy policy = LabelPolicy::kRestricted;
};

// How a label's value is read.
enum class LabelKind {
  kGroupList,  // comma-separated, no trimming
  kBool,       // true/t/yes/y (any case) is true, anything else false
  kText,       // one line: no newline or other control character
  kHostList,   // kText, lower-cased; a comma separates several hosts
  kBindAddress,  // kText that is an IP address, '*' or a host name
  kPort,       // integer 1..65535
  kMode,       // tcp or http, any case, stored lower-case
  kTemplate,   // a template override, checked against the template catalog
  kPackValue,  // read by a loaded template pack: one line, the pack checks it
};

struct LabelSpec {
  std::string_view name;  // "HAPROXY_GROUP", "HAPROXY_{n}_VHOST", ...
  LabelKind kind;
  bool per_port;
  // The PortLabels field set by the label (one, according to `kind`).
  std::string PortLabels::*text = nullptr;
  bool PortLabels::*flag = nullptr;
  int PortLabels::*number = nullptr;
  std::string_view since;  // marathon-lb version that introduced it
  std::string_view description;
};

// Every label, in documentation order.
const std::vector<LabelSpec>& LabelTable();

// The label name for port index `n`: LabelName("HAPROXY_{n}_VHOST", 2) is
// "HAPROXY_2_VHOST".
std::string LabelName(std::string_view pattern, int n);

// HAPROXY_GROUP split on ',' (no trimming); empty if the label is absent.
std::vector<std::string> ParseAppGroups(
    const std::map<std::string, std::string>& labels);

// Reads the HAPROXY_{n}_* labels of port index `n` into *out. Fails on the
// first bad value with a kService Status such as
//   "label HAPROXY_0_PORT: 'abc' is not a port number (1-65535)"
// or on the first label `policy` refuses (label_policy.h; HAPROXY_GROUP is
// checked too, as it applies to every port). Labels that look like
// HAPROXY_{n}_* but are neither in the table nor an overridable template add
// a line to *warnings.
Status ParsePortLabels(const std::map<std::string, std::string>& labels, int n,
                       const TemplateCatalog& catalog, PortLabels* out,
                       std::vector<std::string>* warnings,
                       LabelPolicy policy = LabelPolicy::kRestricted);

// What CheckLabel needs to know about template `name` overridden for port
// index `n`: the text the label replaces and whether it is one line.
TemplateLabelInfo TemplateOverrideInfo(const TemplateCatalog& catalog,
                                       const std::string& name, int n);

// Shows a label value on one log line: control characters as \n, \t, \xNN.
std::string QuoteValue(std::string_view value);

}  // namespace mlb
