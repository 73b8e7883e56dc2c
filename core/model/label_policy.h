// --label-policy: what an app's labels may put into the HAProxy config.
//
// Whoever can edit a Marathon app's labels writes text that HAProxy parses
// (and that `haproxy -c` parses before anything else). Without limits, a
// template-override label can open a `program` section or `lua-load` a file,
// i.e. run code in the load balancer. The policy decides, for
// each label of a service port, whether the label is accepted:
//
//   every level   typed labels (HAPROXY_GROUP, HAPROXY_{n}_VHOST, _PORT, ...)
//                 carry no control character and no invisible or Unicode
//                 space character; the ones that become one word of a config
//                 line (VHOST, BIND_ADDR, and the word, host list and
//                 certificate kinds) carry nothing HAProxy reads as a word
//                 break, comment, quote or condition brace.
//                 BIND_ADDR is an IP address, '*' or a host name. No
//                 placeholder value adds a line to the template it fills
//                 (CheckRenderedLines); the health-check path and the app id
//                 are one word (CheckPlaceholderWords, MarathonWordProblem);
//                 a port the config binds has one owner (BindListeners).
//   restricted    (default) template overrides may not open a section, nor
//                 use a directive of the refused-directive table (Lua, external
//                 programs, process settings, files and local sockets of the
//                 LB host), and must stay inside the section they belong to;
//                 as written (CheckLabel) and as rendered, with the
//                 placeholders filled (CheckRenderedOverride).
//   deny          template overrides are refused.
//   allow         template overrides are accepted as marathon-lb does.
//
// A refused label drops its service port only (see services.h). The refusal
// says which label, which level and which line or character:
//   label HAPROXY_0_<NAME> refused by --label-policy restricted: line 3
//   opens a section ("program evil")
// docs/label-policy.md lists the table with the reason for each entry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

enum class LabelKind : uint32_t;
class Template;

enum class LabelPolicy { kAllow, kRestricted, kDeny };

// "allow", "restricted" or "deny".
std::string_view LabelPolicyName(LabelPolicy policy);

// Reads a --label-policy value; an unknown one fails with
//   "--label-policy: 'x' is not allow, restricted or deny".
Status ParseLabelPolicy(std::string_view text, LabelPolicy* out);

// What the check needs to know about a template-override label.
struct TemplateLabelInfo {
  std::string name;  // the template's
  // The text the label replaces (operator file or pack default): its first
  // directive line, if it opens a section, is the one section line the
  // label may write.
  std::string replaced_text;
  bool inline_option = false;  // spliced into another line (server options)
  // It writes into a userlist section, where `user` and `group` lines name
  // the list's users, not the HAProxy process's.
  bool userlist = false;
  // The templates a label must empty along with this one, if it empties it
  // (the pack's declaration); none: it may not be emptied.
  std::vector<std::string> empty_with;
};

// Checks one label of a service port under `policy`. `value` is the label's
// raw value; `labels` are all labels of the app (a template that empties
// its section head needs the templates of that section emptied too).
// `tmpl` is set for template overrides (kind kTemplate) and null otherwise.
// Returns OK or a kService error:
//   "label <LABEL> refused by --label-policy <level>: <reason>"
Status CheckLabel(LabelPolicy policy, const std::string& label, LabelKind kind,
                  std::string_view value, const TemplateLabelInfo* tmpl,
                  const std::map<std::string, std::string>& labels);

// At every level: whether rendering `tmpl` into `rendered` added a line end
// through a placeholder value. A value with a newline or carriage return
// (a Marathon health-check path "/\n  lua-load /x" in {healthCheckPath},
// used by a default template or a label) would smuggle lines into the
// config, or into a one-line template. OK, or a kService error naming the
// placeholder, for the caller to prefix with the template's origin:
//   "placeholder {healthCheckPath} has a newline: '/\n  lua-load /x'"
Status CheckRenderedLines(
    const Template& tmpl,
    const sdk::Vars& vars,
    std::string_view rendered);

// Under `restricted`, after CheckRenderedLines: the text a template override
// (`label`, e.g. HAPROXY_0_<NAME>) rendered into,
// read as HAProxy reads it, passes the rules CheckLabel applied to the raw
// label. A placeholder value ({healthCheckPath} "file", a vhost "file") can
// put a refused word where the label has a placeholder; the override's own
// section line (a backend head's "backend {backend}") is still accepted. Only
// lines with a placeholder are read again. OK, or a kService error:
//   "label HAPROXY_0_X refused by --label-policy restricted: line 2 as
//    rendered uses file, which reads a file of the LB host: {healthCheckPath}
//    is 'file' ("http-request return ... file /etc/passwd")"
Status CheckRenderedOverride(
    const std::string& label, const Template& tmpl,
    const TemplateLabelInfo& info,
    const sdk::Vars& vars,
    std::string_view rendered);

// At every level: the placeholders of `tmpl` that carry a Marathon value as
// one word of a config line (Template::words(), declared by the pack: the
// health-check path) may not contain what HAProxy's config reader gives a
// meaning to (space, '#', quotes, '\', braces, '$', control
// and Unicode space characters). OK, or a kService error for the caller to
// prefix with the template's origin:
//   "placeholder {healthCheckPath} (the health check path)
//    '"/leak?${X}"' has '"' at character 1: HAProxy reads quotes and
//    backslashes as quoting"
Status CheckPlaceholderWords(
    const Template& tmpl,
    const sdk::Vars& vars);

// The requests that are a service's own: its vhosts (lower case) and its
// app id; and its service port, which ends the names of the ACLs its labels
// declare in a shared frontend.
struct OwnRequests {
  std::vector<std::string> vhosts;
  std::string app_id;
  int service_port = 0;
};

// A host suffix (hdr_end(host), `-m end`) that a label's line in a shared
// frontend matches and SharedSectionOverrideProblem took as the service's
// own (its vhost, or "." and its vhost): it also matches every other host
// that ends with it, which only the whole list of services can tell
// (ConfigAssembler).
struct HostSuffix {
  int line = 0;        // in the override, from 1
  std::string value;   // lower case
  std::string text;    // the line, trimmed
};

// Under `restricted`: why the lines a template override (`label`) put into
// a section other services share (the :80, :443 and :9091 frontends, a
// vhost's TLS frontend) could act on requests that are not the service's,
// or "". HAProxy runs every http-request rule of a frontend before any
// use_backend, so a rule in :80 could redirect another app's vhost. Every
// line but `acl` must end with `if` and a condition whose every alternative
// (split on `||` and `or`) has a term that matches only the service's own
// requests: `{ <fetch> [-i] <values> }` with a host fetch (hdr(host),
// req.hdr(host), ssl_fc_sni, req_ssl_sni, req.ssl_sni) and only its vhosts,
// or hdr(x-marathon-app-id) and its app id; or the name of an ACL that
// `section_text` (all the service's lines in that section) declares with
// only such criteria. An empty value is never own. The ACLs the override
// declares have names ending with "_<own.service_port>" (so that no other
// service holds one). A word HAProxy reads differently (WordsAsWritten's
// `kept`: `\i\f` is not `if` there) or an empty word (HAProxy ends the line
// there) refuses the line. The suffixes it accepted as own go to
// *suffixes. Returns e.g.
//   "line 2 in frontend marathon_http_in is not limited to the app's own
//    vhosts or app id: every alternative of its condition must test ...
//    ("http-request redirect location http://evil.example/ if ...")"
// `other_text`: the service's lines in the section that no label wrote
// (its templates' defaults): an ACL they use may not get a declaration from
// the label that is not own (HAProxy ORs declarations of one name, so a
// default `use_backend` would route what the label's `acl` adds).
std::string SharedSectionOverrideProblem(std::string_view override_text,
                                         std::string_view section,
                                         std::string_view section_text,
                                         std::string_view other_text,
                                         const OwnRequests& own,
                                         std::vector<HostSuffix>* suffixes);

// Why HAProxy (2.6) refuses the ACL name of `line`, an `acl` line, or ""
// (also for other lines): a name it reads differently from this reader (a
// backslash it keeps), an empty name, `or` in any case (the condition
// operator: "will never match"), or a character other than ASCII letters,
// digits, '-', '_', '.' and ':'. haproxy -c refuses the whole config for
// any of them. E.g. "declares ACL 'a/b', a name HAProxy refuses: ..."
std::string AclNameProblem(std::string_view line);

// Why a Marathon value used as one word of a config line is refused
// (e.g. "has a space at character 4: a space would add words to the HAProxy
// line"), or "". The rule of CheckPlaceholderWords, for the callers that
// check a value outside a template (the app id, once per app).
std::string MarathonWordProblem(std::string_view value);

}  // namespace mlb
