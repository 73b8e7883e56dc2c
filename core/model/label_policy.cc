#include "core/model/label_policy.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "core/base/text.h"
#include "core/base/utf8.h"
#include "core/config/haproxy_words.h"
#include "core/config/listeners.h"
#include "core/config/refused_directives.h"
#include "core/config/template.h"
#include "core/model/labels.h"

namespace mlb {
namespace {

std::string Quoted(std::string_view line) { return "(\"" + Show(line) + "\")"; }

// A line of a userlist template, as the refused-directive table reads it:
// `user` and `group` name the list's own users and groups, so only their
// arguments are read. Sets *problem when the line names a group the
// template does not define (`groups`; `groups` of a template: `defined`) or
// any users (`users`): a name the list lacks makes haproxy -c refuse every
// app's config.
std::vector<std::string> UserlistWords(std::vector<std::string> words,
                                       const std::set<std::string>& defined,
                                       std::string* problem) {
  if (words[0] != "user" && words[0] != "group") {
    return words;
  }
  for (size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "users") {
      *problem = "names users of a group (list the group on the user line)";
    } else if (words[i] == "groups" && i + 1 < words.size()) {
      for (const std::string& group : Split(words[i + 1], ',')) {
        if (defined.count(group) == 0) {
          *problem = "names group '" + group +
                     "', which the userlist does not define (haproxy -c "
                     "would refuse the whole config)";
        }
      }
    }
  }
  words[0].clear();
  return words;
}

// The groups `group` lines of a userlist template define.
std::set<std::string> UserlistGroups(
    const std::vector<std::vector<std::string>>& lines) {
  std::set<std::string> out;
  for (const std::vector<std::string>& words : lines) {
    if (words.size() >= 2 && words[0] == "group") {
      out.insert(words[1]);
    }
  }
  return out;
}

// Why the template override is refused under `restricted`, or "".
std::string RestrictedTemplateProblem(
    const std::string& label, std::string_view raw,
    const TemplateLabelInfo& tmpl,
    const std::map<std::string, std::string>& labels) {
  const std::string text = CrLfToLf(raw);
  if (std::string bad = BadCharacter(text, true); !bad.empty()) {
    return "the value " + bad;
  }
  // Trimmed as the catalog trims one-line templates before splicing them.
  const size_t first = text.find_first_not_of(" \t\n\f\v");
  const size_t last = text.find_last_not_of(" \t\n\f\v");
  if (tmpl.inline_option && first != std::string::npos &&
      text.substr(first, last - first + 1).find('\n') != std::string::npos) {
    return tmpl.name + " is one line (spliced into the server line), but the "
           "value has a newline";
  }
  std::vector<std::string> opener;
  std::string opener_text;
  const std::vector<DirectiveLine> defaults = DirectiveLines(tmpl.replaced_text);
  if (!defaults.empty() && IsSection(defaults.front().words[0])) {
    opener = defaults.front().words;
    opener_text = defaults.front().text;
  }
  const std::vector<DirectiveLine> lines = DirectiveLines(text);
  std::vector<std::vector<std::string>> all_words;
  for (const DirectiveLine& line : lines) {
    all_words.push_back(line.words);
  }
  const std::set<std::string> groups = UserlistGroups(all_words);
  for (size_t i = 0; i < lines.size(); ++i) {
    const DirectiveLine& line = lines[i];
    const std::string at = "line " + std::to_string(line.number);
    if (IsSection(line.words[0])) {
      if (i == 0 && line.words == opener) {
        continue;
      }
      return at + " opens a section " + Quoted(line.text);
    }
    if (i == 0 && !opener.empty()) {
      return at + " is outside its section: " + tmpl.name +
             " must start with \"" + opener_text + "\" " + Quoted(line.text);
    }
    std::string userlist_problem;
    const std::vector<std::string> words =
        tmpl.userlist ? UserlistWords(line.words, groups, &userlist_problem)
                      : line.words;
    if (!userlist_problem.empty()) {
      return at + " " + userlist_problem + " " + Quoted(line.text);
    }
    std::string hit;
    if (const RefusedDirective* row = RefusedIn(words, &hit)) {
      return at + " uses " + hit + ", which " + std::string(row->why) + " " +
             Quoted(line.text);
    }
    if (line.dollar) {
      return at + " reads an environment variable of the LB host " +
             Quoted(line.text);
    }
    // A placeholder in the name is read as rendered
    // (RenderedOverrideProblem).
    if (words[0] == "acl" &&
        (words.size() < 2 || words[1].find('{') == std::string::npos)) {
      if (std::string bad = AclNameProblem(line.text); !bad.empty()) {
        return at + " " + bad + " " + Quoted(line.text);
      }
    }
  }
  // A section head may be emptied only when its pack says which templates
  // render into that section and the app's labels empty them too (else
  // their lines would join the section before it); any other head may not
  // be: an empty backend head would put the port's servers into another
  // backend.
  if (lines.empty() && !opener.empty()) {
    if (tmpl.empty_with.empty()) {
      return "an empty " + tmpl.name +
             " would put the rest of its section into the previous section";
    }
    const std::string prefix = label.substr(0, label.size() - tmpl.name.size());
    for (const std::string& name : tmpl.empty_with) {
      const std::string body = prefix + name;
      auto it = labels.find(body);
      if (it == labels.end() || !DirectiveLines(CrLfToLf(it->second)).empty()) {
        return "an empty " + tmpl.name + " needs an empty " + body +
               " too (its lines would join the previous section)";
      }
    }
  }
  return "";
}

std::string BindAddressProblem(std::string_view value);

// Why a typed label's value is refused, or "".
std::string TypedProblem(LabelKind kind, std::string_view value) {
  if (std::string bad = BadCharacter(value, false); !bad.empty()) {
    return "'" + Show(value) + "' " + bad;
  }
  if (kind == LabelKind::kWords) {
    for (const std::string& word : Words(value)) {
      if (std::string bad = MarathonWordProblem(word); !bad.empty()) {
        return "word '" + Show(word) + "' " + bad;
      }
    }
    return "";
  }
  if (kind != LabelKind::kWord && kind != LabelKind::kCertificate &&
      kind != LabelKind::kHostList && kind != LabelKind::kBindAddress) {
    return "";
  }
  // One word of a config line, which a template may put inside double
  // quotes: no word break, and no '$' (HAProxy expands what follows it).
  if (std::string bad = MarathonWordProblem(value); !bad.empty()) {
    return "'" + Show(value) + "' " + bad;
  }
  if (kind == LabelKind::kBindAddress) {
    return BindAddressProblem(value);
  }
  if (kind == LabelKind::kHostList) {
    for (const std::string& host : Split(value, ',')) {
      if (!host.empty() && host[0] == '-') {
        return "host '" + Show(host) +
               "' starts with '-': HAProxy would read an ACL flag";
      }
    }
  }
  return "";
}

}  // namespace

std::string_view LabelPolicyName(LabelPolicy policy) {
  switch (policy) {
    case LabelPolicy::kAllow:
      return "allow";
    case LabelPolicy::kRestricted:
      return "restricted";
    case LabelPolicy::kDeny:
      return "deny";
  }
  return "restricted";
}

Status ParseLabelPolicy(std::string_view text, LabelPolicy* out) {
  for (LabelPolicy p :
       {LabelPolicy::kAllow, LabelPolicy::kRestricted, LabelPolicy::kDeny}) {
    if (text == LabelPolicyName(p)) {
      *out = p;
      return Status::OK();
    }
  }
  return Status::Error("--label-policy", "'" + std::string(text) +
                                             "' is not allow, restricted or "
                                             "deny");
}

Status CheckRenderedLines(
    const Template& tmpl,
    const sdk::Vars& vars,
    std::string_view rendered) {
  if (tmpl.verbatim() || tmpl.placeholders().empty()) {
    return Status::OK();
  }
  // Runs for every server line: memchr rather than a loop over the bytes,
  // and the template's own counts were taken once, at Compile().
  auto count = [](std::string_view s, char c) {
    size_t n = 0;
    const char* p = s.data();
    const char* end = p + s.size();
    while (p != end &&
           (p = static_cast<const char*>(std::memchr(p, c, end - p)))) {
      ++n;
      ++p;
    }
    return n;
  };
  if (count(rendered, '\n') == tmpl.source_newlines() &&
      count(rendered, '\r') == tmpl.source_returns()) {
    return Status::OK();
  }
  for (const std::string& name : tmpl.placeholders()) {
    const std::string_view value = vars.Get(name);
    const size_t at = value.find_first_of("\r\n");
    if (at != std::string_view::npos) {
      return Status::ServiceError(
          "placeholder {" + name + "} has " +
          (value[at] == '\n' ? "a newline" : "a carriage return") + ": '" +
          Show(value) + "'");
    }
  }
  return Status::OK();
}

Status CheckLabel(LabelPolicy policy, const std::string& label, LabelKind kind,
                  std::string_view value, const TemplateLabelInfo* tmpl,
                  const std::map<std::string, std::string>& labels) {
  std::string problem;
  if (kind != LabelKind::kTemplate) {
    problem = TypedProblem(kind, value);
  } else if (policy == LabelPolicy::kDeny) {
    problem = "template overrides are not accepted";
  } else if (policy == LabelPolicy::kRestricted && tmpl != nullptr) {
    problem = RestrictedTemplateProblem(label, value, *tmpl, labels);
  }
  if (problem.empty()) {
    return Status::OK();
  }
  return Status::ServiceError("label " + label + " refused by --label-policy " +
                              std::string(LabelPolicyName(policy)) + ": " +
                              problem);
}

// ---------------------------------------------------------------------------
// What placeholder values make of a template, and bind addresses.

namespace {

// ": {healthCheckPath} is 'file'" for the first placeholder of `source_line`
// whose value has `needle` (compared in lower case), else "".
std::string Culprit(const Template& tmpl, const sdk::Vars& vars,
                    std::string_view source_line, std::string_view needle) {
  if (needle.empty()) {
    return "";
  }
  // A value that is the word, else one that has it.
  for (const bool whole : {true, false}) {
    for (const std::string& name : tmpl.placeholders()) {
      if (!vars.Has(name) ||
          source_line.find("{" + name + "}") == std::string_view::npos) {
        continue;
      }
      const std::string value = Lower(vars.Get(name));
      if (whole ? value == needle : value.find(needle) != std::string::npos) {
        return ": {" + name + "} is '" + Show(vars.Get(name)) + "'";
      }
    }
  }
  return "";
}

// Why the rendered text of a template override is refused under
// `restricted`, or "". Lines without a placeholder are as the raw label was,
// and CheckLabel has read them.
std::string RenderedOverrideProblem(const Template& tmpl,
                                    const TemplateLabelInfo& info,
                                    const sdk::Vars& vars,
                                    std::string_view rendered) {
  const std::vector<std::string> source = Split(tmpl.source(), '\n');
  const std::vector<std::string> lines = Split(rendered, '\n');
  if (source.size() != lines.size()) {
    // A value added a line: CheckRenderedLines, which runs first, says so.
    return "the placeholder values change its lines";
  }
  std::vector<std::string> opener;
  const std::vector<DirectiveLine> replaced = DirectiveLines(info.replaced_text);
  if (!replaced.empty() && IsSection(replaced.front().words[0])) {
    opener = replaced.front().words;
  }
  std::set<std::string> groups;
  if (info.userlist) {
    std::vector<std::vector<std::string>> all_words;
    for (const std::string& line : lines) {
      bool unused = false;
      all_words.push_back(Words(line, &unused));
    }
    groups = UserlistGroups(all_words);
  }
  for (size_t k = 0; k < lines.size(); ++k) {
    if (source[k].find('{') == std::string::npos) {
      continue;
    }
    const std::string at = "line " + std::to_string(k + 1) + " as rendered";
    const std::string& line = lines[k];
    if (std::string bad = BadCharacter(line, true); !bad.empty()) {
      return at + " " + bad + " " + Quoted(Trim(line));
    }
    bool dollar = false;
    std::vector<std::string> words = Words(line, &dollar);
    if (words.empty()) {
      continue;
    }
    if (info.userlist) {
      std::string userlist_problem;
      words = UserlistWords(std::move(words), groups, &userlist_problem);
      if (!userlist_problem.empty()) {
        return at + " " + userlist_problem + " " + Quoted(Trim(line));
      }
    }
    if (IsSection(words[0])) {
      bool unused = false;
      if (!opener.empty() && Words(source[k], &unused) == opener) {
        continue;  // the override's own section line, as CheckLabel saw it
      }
      return at + " opens a section" +
             Culprit(tmpl, vars, source[k], words[0]) + " " +
             Quoted(Trim(line));
    }
    std::string hit;
    if (const RefusedDirective* row = RefusedIn(words, &hit)) {
      const size_t space = hit.rfind(' ');
      const std::string needle =
          space == std::string::npos ? hit : hit.substr(space + 1);
      return at + " uses " + hit + ", which " + std::string(row->why) +
             Culprit(tmpl, vars, source[k], needle) + " " + Quoted(Trim(line));
    }
    if (dollar) {
      return at + " reads an environment variable of the LB host" +
             Culprit(tmpl, vars, source[k], "$") + " " + Quoted(Trim(line));
    }
    if (words[0] == "acl") {
      if (std::string bad = AclNameProblem(line); !bad.empty()) {
        return at + " " + bad + " " + Quoted(Trim(line));
      }
    }
  }
  return "";
}


std::string BindAddressProblem(std::string_view value) {
  if (value.empty() || value == "*" || !CanonicalAddress(value).empty()) {
    return "";
  }
  const std::string shown = "'" + Show(value) + "'";
  const std::string only =
      "; a bind address is an IP address, '*' or a host name";
  struct Refused {
    char c;
    std::string_view why;
  };
  constexpr Refused kRefused[] = {
      {'/', "a path binds a UNIX socket (a file of the LB host)"},
      {'@', "'@' selects a socket (unix@, abns@, fd@, ...)"},
      {',', "',' adds another address to the bind line"},
      {':', "':' adds a port (the port is the service port's)"},
  };
  for (size_t i = 0; i < value.size(); ++i) {
    for (const Refused& r : kRefused) {
      if (value[i] == r.c) {
        return shown + " has '" + std::string(1, r.c) + "' at character " +
               std::to_string(i + 1) + ": " + std::string(r.why) + only;
      }
    }
  }
  if (!IsHostName(value)) {
    return shown + " is not an IP address, '*' or a host name";
  }
  return "";
}

}  // namespace

std::string MarathonWordProblem(std::string_view value) {
  // Runs for every app and health check: most values are plain ASCII words.
  bool plain = true;
  for (const char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c >= 0x7F || c == '#' || c == '"' || c == '\'' ||
        c == '\\' || c == '{' || c == '}' || c == '$') {
      plain = false;
      break;
    }
  }
  if (plain) {
    return "";
  }
  if (std::string bad = BadCharacter(value, false); !bad.empty()) {
    return bad;
  }
  // BadWordCharacter's characters, and '$', whichever comes first.
  const size_t dollar = value.find('$');
  const std::string_view before = value.substr(0, dollar);
  if (std::string bad = BadWordCharacter(before); !bad.empty()) {
    return bad;
  }
  if (dollar != std::string_view::npos) {
    size_t i = 0;
    size_t n = 1;
    for (uint32_t cp = 0; i < dollar && NextCodePoint(value, &i, &cp);) {
      ++n;
    }
    return "has '$' at character " + std::to_string(n) +
           ": HAProxy expands environment variables after '$'";
  }
  return "";
}

Status CheckPlaceholderWords(const Template& tmpl, const sdk::Vars& vars) {
  for (const Template::Word& word : tmpl.words()) {
    const std::string& name = tmpl.placeholders()[word.placeholder];
    const std::string_view value = vars.Get(name);
    const std::string problem = MarathonWordProblem(value);
    if (!problem.empty()) {
      return Status::ServiceError("placeholder {" + name + "} (" + word.what +
                                  ") '" + Show(value) + "' " + problem);
    }
  }
  return Status::OK();
}

Status CheckRenderedOverride(const std::string& label, const Template& tmpl,
                             const TemplateLabelInfo& info,
                             const sdk::Vars& vars,
                             std::string_view rendered) {
  if (tmpl.verbatim() || tmpl.placeholders().empty()) {
    return Status::OK();  // rendered == the label CheckLabel read
  }
  const std::string problem =
      RenderedOverrideProblem(tmpl, info, vars, rendered);
  if (problem.empty()) {
    return Status::OK();
  }
  return Status::ServiceError("label " + label +
                              " refused by --label-policy restricted: " +
                              problem);
}

namespace {

// Whether `words[begin, end)`, an ACL criterion "<fetch> [flags] <values>",
// matches only requests of `own`. Flags other than -i, -m str and -m end
// change what a value matches (-m beg, -m sub, -f a file): not own. A
// suffix match (hdr_end(host), -m end) of an own vhost, or of "." and an
// own vhost, is marathon-lb's documented wildcard override: it takes the
// vhost's subdomains too (who may hold a vhost is issue 12 item 3).
// The suffix values among them go to *suffixes (if set) when it is own.
// An empty value is never own (HAProxy ends the line at an empty word).
bool OwnCriterion(const std::vector<std::string>& words, size_t begin,
                  size_t end, const OwnRequests& own,
                  std::vector<std::string>* suffixes = nullptr) {
  if (begin >= end) {
    return false;
  }
  const std::string fetch = Lower(words[begin]);
  bool suffix = fetch == "hdr_end(host)" || fetch == "req.hdr_end(host)";
  const bool host = suffix || fetch == "hdr(host)" ||
                    fetch == "req.hdr(host)" || fetch == "ssl_fc_sni" ||
                    fetch == "req_ssl_sni" || fetch == "req.ssl_sni";
  const bool app_id = fetch == "hdr(x-marathon-app-id)" ||
                      fetch == "req.hdr(x-marathon-app-id)";
  if (!host && !app_id) {
    return false;
  }
  size_t i = begin + 1;
  while (i < end && !words[i].empty() && words[i][0] == '-') {
    if (words[i] == "-i") {
      ++i;
    } else if (words[i] == "-m" && i + 1 < end &&
               (words[i + 1] == "str" || (host && words[i + 1] == "end"))) {
      suffix = suffix || words[i + 1] == "end";
      i += 2;
    } else if (words[i] == "--") {
      ++i;
      break;
    } else {
      return false;
    }
  }
  if (i == end) {
    return false;  // no value: any request that has the header
  }
  const auto own_vhost = [&own](std::string_view v) {
    return !v.empty() && std::find(own.vhosts.begin(), own.vhosts.end(), v) !=
                             own.vhosts.end();
  };
  std::vector<std::string> found;
  for (; i < end; ++i) {
    const std::string value = Lower(words[i]);
    const bool ok =
        !value.empty() &&
        (app_id ? value == Lower(own.app_id)
                : own_vhost(value) ||
                      (suffix && value.size() > 1 && value[0] == '.' &&
                       own_vhost(std::string_view(value).substr(1))));
    if (!ok) {
      return false;
    }
    if (suffix) {
      found.push_back(value);
    }
  }
  if (suffixes != nullptr) {
    suffixes->insert(suffixes->end(), found.begin(), found.end());
  }
  return true;
}

// The index of the `redirect` options' end in `w` from `i` (after
// "redirect"): scheme|prefix|location <x>, then code <n>, drop-query,
// append-slash, set-cookie <c>, clear-cookie <c>; or 0 if not that shape.
size_t RedirectEnd(const std::vector<std::string>& w, size_t i) {
  if (i >= w.size() ||
      (w[i] != "scheme" && w[i] != "prefix" && w[i] != "location")) {
    return 0;
  }
  i += 2;
  while (i < w.size()) {
    if (w[i] == "code" || w[i] == "set-cookie" || w[i] == "clear-cookie") {
      i += 2;
    } else if (w[i] == "drop-query" || w[i] == "append-slash") {
      i += 1;
    } else {
      break;
    }
  }
  return i;
}

// Where the `if` of line `w` must stand, for the actions a label may put
// into a frontend the apps share, or 0. The position comes from the
// action's own arguments: a scan for the first "if" could be fooled by an
// argument spelled "if" (content-type if), with HAProxy reading no
// condition at all.
size_t ConditionAt(const std::vector<std::string>& w) {
  size_t i = 0;
  if (w[0] == "use_backend") {
    i = 2;
  } else if (w[0] == "redirect") {
    i = RedirectEnd(w, 1);
  } else if (w[0] == "http-request" && w.size() > 1) {
    const std::string& action = w[1];
    if (action == "auth") {
      i = w.size() > 2 && w[2] == "realm" ? 4 : 2;
    } else if (action == "redirect") {
      i = RedirectEnd(w, 2);
    } else if (action == "set-header" || action == "add-header") {
      i = 4;
    } else if (action == "del-header") {
      i = 3;
    } else if (action == "deny" || action == "allow" || action == "tarpit") {
      i = w.size() > 2 && w[2] == "deny_status" ? 4 : 2;
    }
  }
  return i != 0 && i < w.size() && w[i] == "if" ? i : 0;
}

// Why the condition `w[begin, end)` is not limited to own requests, or "".
// Every word is a term (an ACL the service declares in the section, `!`
// and such a name, `{ ... }` or `!{ ... }`) or `||` / `or`; every
// alternative has a term, not negated, that is own.
std::string ConditionProblem(const std::vector<std::string>& w, size_t begin,
                             size_t end, const std::map<std::string, bool>& acls,
                             const OwnRequests& own,
                             std::vector<std::string>* suffixes) {
  bool alternative_own = false;
  bool negated = false;
  for (size_t i = begin; i <= end; ++i) {
    if (i == end || w[i] == "||" || w[i] == "or") {
      if (!alternative_own) {
        return "every alternative of its condition must test one of the "
               "app's vhosts or its app id (a `{ hdr(host) -i <vhost> }` or "
               "an ACL of the app that does)";
      }
      alternative_own = false;
      continue;
    }
    if (w[i] == "!") {
      negated = true;
      continue;
    }
    std::string_view term = w[i];
    if (!term.empty() && term[0] == '!') {
      negated = true;
      term.remove_prefix(1);
    }
    bool own_term = false;
    if (term == "{") {
      size_t close = i + 1;
      while (close < end && w[close] != "}") {
        ++close;
      }
      if (close == end) {
        return "`{` without `}`";
      }
      own_term = OwnCriterion(w, i + 1, close, own, suffixes);
      i = close;
    } else if (auto it = acls.find(std::string(term)); it != acls.end()) {
      own_term = it->second;
    } else {
      return "`" + std::string(term) +
             "` is not an ACL the app declares in this frontend";
    }
    alternative_own = alternative_own || (own_term && !negated);
    negated = false;
  }
  return "";
}

}  // namespace

std::string AclNameProblem(std::string_view line) {
  bool dollar = false;
  std::vector<bool> kept;
  const std::vector<std::string> words = WordsAsWritten(line, &dollar, &kept);
  if (words.empty() || words[0] != "acl") {
    return "";
  }
  const std::string why =
      ", a name HAProxy refuses (haproxy -c would refuse the whole config)";
  if (words.size() < 2 || words[1].empty()) {
    return "declares an ACL without a name" + why;
  }
  const std::string& name = words[1];
  const std::string shown = "declares ACL '" + Show(name) + "'";
  if (kept[1]) {
    return shown + " written with a backslash HAProxy keeps in the name" +
           why;
  }
  if (Lower(name) == "or") {
    return shown + why + ": an ACL named like the `or` operator never matches";
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
          c == ':')) {
      return shown + why +
             ": an ACL name has only letters, digits, '-', '_', '.' and ':'";
    }
  }
  return "";
}

namespace {

// Whether a line of `text` other than an `acl` line has the word `acl` (or
// `!acl`).
bool UsedOutsideLabels(std::string_view text, const std::string& acl) {
  for (const std::string& line : Split(text, '\n')) {
    bool dollar = false;
    const std::vector<std::string> words = WordsAsWritten(line, &dollar);
    if (words.empty() || words[0] == "acl") {
      continue;
    }
    for (const std::string& word : words) {
      if (word == acl || (word.size() == acl.size() + 1 && word[0] == '!' &&
                          word.compare(1, std::string::npos, acl) == 0)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::string SharedSectionOverrideProblem(std::string_view override_text,
                                         std::string_view section,
                                         std::string_view section_text,
                                         std::string_view other_text,
                                         const OwnRequests& own,
                                         std::vector<HostSuffix>* suffixes) {
  // The ACLs the service declares in the section, each with only own
  // criteria in every declaration (HAProxy ORs the declarations).
  std::map<std::string, bool> acls;
  for (const std::string& line : Split(section_text, '\n')) {
    bool dollar = false;
    const std::vector<std::string> words = WordsAsWritten(line, &dollar);
    if (words.size() >= 2 && words[0] == "acl") {
      const bool ok = OwnCriterion(words, 2, words.size(), own);
      auto [it, added] = acls.emplace(words[1], ok);
      it->second = it->second && ok;
    }
  }
  const std::string port_suffix = "_" + std::to_string(own.service_port);
  int number = 0;
  for (const std::string& line : Split(override_text, '\n')) {
    ++number;
    bool dollar = false;
    std::vector<bool> kept;
    const std::vector<std::string> words =
        WordsAsWritten(line, &dollar, &kept);
    if (words.empty()) {
      continue;
    }
    const auto refuse = [&](const std::string& why) {
      return "line " + std::to_string(number) + " in " +
             std::string(section) +
             " is not limited to the app's own vhosts or app id: " + why +
             " " + Quoted(Trim(line));
    };
    // The rule reads the words as HAProxy does, or refuses the line: a
    // keyword or ACL name written `\i\f` is another word there, and HAProxy
    // stops reading a line at an empty word.
    for (size_t k = 0; k < words.size(); ++k) {
      if (kept[k]) {
        return refuse("word " + std::to_string(k + 1) + " ('" +
                      Show(words[k]) +
                      "' here) is written with a backslash HAProxy keeps, "
                      "so HAProxy reads another word");
      }
      if (words[k].empty()) {
        return refuse("word " + std::to_string(k + 1) +
                      " is empty, and HAProxy stops reading the line there");
      }
    }
    std::vector<std::string> found;
    const auto record = [&]() {
      for (std::string& value : found) {
        suffixes->push_back({number, std::move(value), Show(Trim(line))});
      }
    };
    if (words[0] == "acl") {
      // Another app cannot declare a name that ends with this service's
      // port (ConfigAssembler::CheckAcls), so the name stays the app's
      // whoever sorts first.
      if (words.size() < 2 || words[1].size() <= port_suffix.size() ||
          words[1].compare(words[1].size() - port_suffix.size(),
                           port_suffix.size(), port_suffix) != 0) {
        return "line " + std::to_string(number) + " in " +
               std::string(section) + " declares ACL '" +
               (words.size() < 2 ? std::string() : Show(words[1])) +
               "': in a frontend the apps share, the name of an ACL a label "
               "declares ends with " + port_suffix +
               " (its service port), e.g. " +
               (words.size() < 2 ? std::string("x") : Show(words[1])) +
               port_suffix + ", so that no other app holds it " +
               Quoted(Trim(line));
      }
      if (OwnCriterion(words, 2, words.size(), own, &found)) {
        record();
      } else if (UsedOutsideLabels(other_text, words[1])) {
        // HAProxy ORs the declarations of a name: the app's template lines
        // that use it (a default use_backend) would act on what this adds.
        return refuse("it adds a criterion that is not the app's own to ACL "
                      "'" + Show(words[1]) + "', which the app's other lines "
                      "in this frontend use (HAProxy ORs the declarations)");
      }
      continue;
    }
    const size_t at = ConditionAt(words);
    if (at == 0) {
      return refuse(
          "a label's line in a frontend the apps share is `acl`, or "
          "use_backend, redirect or http-request auth, redirect, "
          "set-header, add-header, del-header, deny, allow or tarpit, with "
          "`if` and a condition on them (HAProxy runs it for every request "
          "of the frontend)");
    }
    const std::string problem =
        ConditionProblem(words, at + 1, words.size(), acls, own, &found);
    if (!problem.empty()) {
      return refuse(problem);
    }
    record();
  }
  return "";
}

}  // namespace mlb
