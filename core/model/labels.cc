#include "core/model/labels.h"

#include <cctype>
#include <cstdio>

#include "core/model/template_catalog.h"
#include "core/base/text.h"

namespace mlb {
namespace {

constexpr std::string_view kTemplateLabel = "HAPROXY_{n}_<TEMPLATE>";

Status BadValue(const std::string& label, std::string_view value,
                const std::string& why) {
  return Status::ServiceError("label " + label + ": " + QuoteValue(value) +
                              " " + why);
}

// Python's int() as marathon-lb applies it: optional surrounding whitespace,
// an optional sign, decimal digits.
bool ParseInt(std::string_view s, long* out) {
  const char* kSpace = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return false;
  }
  s = s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 9) {
    return false;
  }
  long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *out = negative ? -value : value;
  return true;
}

Status ApplyLabel(const LabelSpec& spec, const std::string& label,
                  const std::string& value, PortLabels* out) {
  switch (spec.kind) {
    case LabelKind::kBool: {
      const std::string v = Lower(value);
      out->*spec.flag = v == "true" || v == "t" || v == "yes" || v == "y";
      return Status::OK();
    }
    case LabelKind::kText:
    case LabelKind::kHostList:
    case LabelKind::kBindAddress:
      // CheckLabel has refused control characters and word breaks.
      out->*spec.text = spec.kind == LabelKind::kHostList ? Lower(value) : value;
      return Status::OK();
    case LabelKind::kPort: {
      long port = 0;
      if (!ParseInt(value, &port) || port < 1 || port > 65535) {
        return BadValue(label, value, "is not a port number (1-65535)");
      }
      out->*spec.number = static_cast<int>(port);
      return Status::OK();
    }
    case LabelKind::kMode: {
      const std::string mode = Lower(value);
      if (mode != "tcp" && mode != "http") {
        return BadValue(label, value, "is not a mode (tcp or http)");
      }
      out->*spec.text = mode;
      return Status::OK();
    }
    case LabelKind::kGroupList:
    case LabelKind::kTemplate:
    case LabelKind::kPackValue:
      break;
  }
  return Status::OK();
}

// "HAPROXY_3_VHOST" -> {3, "VHOST"}; false for other names.
bool SplitPortLabel(const std::string& label, int* n, std::string* suffix) {
  constexpr std::string_view kPrefix = "HAPROXY_";
  if (label.compare(0, kPrefix.size(), kPrefix) != 0) {
    return false;
  }
  size_t i = kPrefix.size();
  size_t digits = 0;
  int value = 0;
  while (i < label.size() && std::isdigit(static_cast<unsigned char>(label[i])) &&
         digits < 6) {
    value = value * 10 + (label[i] - '0');
    ++i;
    ++digits;
  }
  // "HAPROXY_00_X" is not port 0's label (marathon-lb builds names from the
  // index, so it never matches).
  if (digits == 0 || i >= label.size() || label[i] != '_' ||
      (digits > 1 && label[kPrefix.size()] == '0')) {
    return false;
  }
  *n = value;
  *suffix = label.substr(i + 1);
  return true;
}

}  // namespace

const std::vector<LabelSpec>& LabelTable() {
  static const std::vector<LabelSpec> kTable = {
      {"HAPROXY_GROUP", LabelKind::kGroupList, false, nullptr, nullptr, nullptr,
       "2015",
       "Comma-separated load-balancer groups of every port of the app; a "
       "marathon-lb started with --group G exposes the app if G is one of "
       "them (or if G is *)."},
      {"HAPROXY_{n}_VHOST", LabelKind::kHostList, true, &PortLabels::vhost,
       nullptr, nullptr, "2015",
       "Virtual host(s) of port n, comma-separated: routed by Host header on "
       ":80 and by SNI on :443; makes the port http unless MODE says tcp."},
      {"HAPROXY_{n}_STICKY", LabelKind::kBool, true, nullptr,
       &PortLabels::sticky, nullptr, "2015",
       "Session affinity through the mesosphere_server_id cookie."},
      {"HAPROXY_{n}_REDIRECT_TO_HTTPS", LabelKind::kBool, true, nullptr,
       &PortLabels::redirect_to_https, nullptr, "2015",
       "Answer plain-http requests for the vhost on :80 with a 301 to https."},
      {"HAPROXY_{n}_SSL_CERT", LabelKind::kText, true, &PortLabels::ssl_cert,
       nullptr, nullptr, "2015",
       "Certificate file: the port's own frontend terminates TLS with it."},
      {"HAPROXY_{n}_BIND_ADDR", LabelKind::kBindAddress, true, &PortLabels::bind_addr,
       nullptr, nullptr, "2015",
       "Address the port's frontend binds to (default *)."},
      {"HAPROXY_{n}_PORT", LabelKind::kPort, true, nullptr, nullptr,
       &PortLabels::port, "2015",
       "Frontend port instead of Marathon's service port; also renames the "
       "backend."},
      {"HAPROXY_{n}_MODE", LabelKind::kMode, true, &PortLabels::mode, nullptr,
       nullptr, "2015", "tcp or http: the HAProxy mode of the port."},
      {kTemplateLabel, LabelKind::kTemplate, true, nullptr, nullptr, nullptr,
       "2015",
       "Replaces template <TEMPLATE> for port n only (see the template "
       "list: only templates marked overridable)."},
  };
  return kTable;
}

std::string LabelName(std::string_view pattern, int n) {
  std::string out(pattern);
  const size_t at = out.find("{n}");
  if (at != std::string::npos) {
    out.replace(at, 3, std::to_string(n));
  }
  return out;
}

std::vector<std::string> ParseAppGroups(
    const std::map<std::string, std::string>& labels) {
  auto it = labels.find("HAPROXY_GROUP");
  return it == labels.end() ? std::vector<std::string>()
                            : Split(it->second, ',');
}

Status ParsePortLabels(const std::map<std::string, std::string>& labels, int n,
                       const TemplateCatalog& catalog, PortLabels* out,
                       std::vector<std::string>* warnings,
                       LabelPolicy policy) {
  *out = PortLabels();
  out->policy = policy;
  for (const LabelSpec& spec : LabelTable()) {
    if (spec.kind == LabelKind::kTemplate) {
      continue;
    }
    const std::string label = LabelName(spec.name, n);
    auto it = labels.find(label);
    if (it == labels.end()) {
      continue;
    }
    MLB_RETURN_IF_ERROR(
        CheckLabel(policy, label, spec.kind, it->second, nullptr, labels));
    if (spec.per_port) {
      MLB_RETURN_IF_ERROR(ApplyLabel(spec, label, it->second, out));
    }
  }
  // Everything else shaped HAPROXY_{n}_*: a template override or a mistake.
  for (const auto& [label, value] : labels) {
    int index = 0;
    std::string suffix;
    if (!SplitPortLabel(label, &index, &suffix) || index != n) {
      continue;
    }
    bool known = false;
    for (const LabelSpec& spec : LabelTable()) {
      known = known || (spec.per_port && spec.kind != LabelKind::kTemplate &&
                        LabelName(spec.name, n) == label);
    }
    if (known) {
      continue;
    }
    const TemplateCatalog::Entry* entry = catalog.Find(suffix);
    if (entry == nullptr && catalog.FindPackLabel(suffix) != nullptr) {
      // A loaded template pack reads it. Its value may end up in config
      // lines, so it gets the character rules every typed label gets (no
      // line ends, control or Unicode space characters); the rest is the
      // pack's to check.
      MLB_RETURN_IF_ERROR(CheckLabel(policy, label, LabelKind::kPackValue,
                                     value, nullptr, labels));
      continue;
    }
    if (entry == nullptr) {
      warnings->push_back("label " + label +
                          " is not a marathon-lb label or template; ignored");
      continue;
    }
    if (!entry->overridable) {
      warnings->push_back("label " + label + ": template " + suffix +
                          " cannot be overridden per app; ignored");
      continue;
    }
    std::shared_ptr<const Template> compiled;
    MLB_RETURN_IF_ERROR(catalog.CompileLabelOverride(suffix, label, value,
                                                     &compiled));
    const TemplateLabelInfo info = TemplateOverrideInfo(catalog, suffix, n);
    MLB_RETURN_IF_ERROR(
        CheckLabel(policy, label, LabelKind::kTemplate, value, &info, labels));
    out->templates[suffix] = std::move(compiled);
  }
  return Status::OK();
}

TemplateLabelInfo TemplateOverrideInfo(const TemplateCatalog& catalog,
                                       const std::string& name, int n) {
  TemplateLabelInfo info;
  info.name = name;
  if (const TemplateCatalog::Entry* entry = catalog.Find(name)) {
    info.inline_option = entry->inline_option;
  }
  if (const Template* replaced = catalog.Resolve(name, nullptr, n).tmpl) {
    info.replaced_text = replaced->source();
  }
  return info;
}

std::string QuoteValue(std::string_view value) {
  std::string out = "'";
  for (unsigned char c : value) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "'";
}

}  // namespace mlb
