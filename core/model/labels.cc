#include "core/model/labels.h"

#include <cctype>
#include <cstdio>

#include "core/base/text.h"
#include "core/config/listeners.h"
#include "core/model/template_catalog.h"

namespace mlb {
namespace {

constexpr std::string_view kTemplateLabel = "HAPROXY_{n}_<TEMPLATE>";

Status BadValue(const std::string& label, std::string_view value,
                const std::string& why) {
  return Status::ServiceError("label " + label + ": " + QuoteValue(value) +
                              " " + why);
}


// marathon-lb's booleans: true, t, yes or y in any case; anything else false.
bool IsTrue(std::string_view value) {
  const std::string v = Lower(value);
  return v == "true" || v == "t" || v == "yes" || v == "y";
}

// Reads one label of a pack into *out.
Status ReadPackLabel(const LabelSpec& spec, const std::string& label,
                     const std::string& value, sdk::LabelValue* out) {
  out->name = spec.name;
  out->label = label;
  out->kind = static_cast<uint32_t>(spec.kind);
  out->text = spec.kind == LabelKind::kHostList ? Lower(value) : value;
  switch (spec.kind) {
    case LabelKind::kBool:
      out->flag = IsTrue(value);
      break;
    case LabelKind::kInteger: {
      long long number = 0;
      if (!ParseInt(value, &number)) {
        return BadValue(label, value, "is not an integer");
      }
      out->number = number;
      break;
    }
    case LabelKind::kPort: {
      long long port = 0;
      if (!ParseInt(value, &port) || port < 1 || port > 65535) {
        return BadValue(label, value, "is not a port number (1-65535)");
      }
      out->number = port;
      break;
    }
    case LabelKind::kWords:
      out->text = Join(Words(value), " ");
      break;
    case LabelKind::kNetworkList: {
      std::vector<std::string> networks;
      for (const std::string& word : Words(value)) {
        std::string network = CanonicalNetwork(word);
        if (network.empty()) {
          return BadValue(label, value,
                          "has '" + word +
                              "', which is not an IP address or network "
                              "(address/prefix)");
        }
        networks.push_back(std::move(network));
      }
      if (networks.empty()) {
        return BadValue(label, value, "names no address or network");
      }
      out->text = Join(networks, " ");
      break;
    }
    default:
      break;
  }
  return Status::OK();
}

// Reads one of the core's per-port labels into *out.
Status ReadCoreLabel(const LabelSpec& spec, const std::string& label,
                     const std::string& value, PortLabels* out) {
  switch (spec.kind) {
    case LabelKind::kHostList:  // HAPROXY_{n}_VHOST
      out->vhost = Lower(value);
      return Status::OK();
    case LabelKind::kBindAddress:
      out->bind_addr = value;
      return Status::OK();
    case LabelKind::kPort: {  // HAPROXY_{n}_PORT
      long long port = 0;
      if (!ParseInt(value, &port) || port < 1 || port > 65535) {
        return BadValue(label, value, "is not a port number (1-65535)");
      }
      out->port = static_cast<int>(port);
      return Status::OK();
    }
    case LabelKind::kInteger: {  // HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX
      long long index = 0;
      if (!ParseInt(value, &index)) {
        return BadValue(label, value, "is not an integer");
      }
      out->healthcheck_port_index = index;
      return Status::OK();
    }
    case LabelKind::kMode: {
      const std::string mode = Lower(value);
      if (mode != "tcp" && mode != "http") {
        return BadValue(label, value, "is not a mode (tcp or http)");
      }
      out->mode = mode;
      return Status::OK();
    }
    default:
      return Status::OK();
  }
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

bool IsLabelSuffix(std::string_view s) {
  return !s.empty() &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
             std::string_view::npos;
}

}  // namespace

bool ParseInt(std::string_view s, long long* out) {
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
  if (s.empty() || s.size() > 18) {
    return false;
  }
  long long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *out = negative ? -value : value;
  return true;
}

std::string_view LabelKindName(LabelKind kind) {
  switch (kind) {
    case LabelKind::kBool:
      return "bool";
    case LabelKind::kInteger:
      return "integer";
    case LabelKind::kPort:
      return "port";
    case LabelKind::kWord:
      return "word";
    case LabelKind::kHostList:
      return "host list";
    case LabelKind::kCertificate:
      return "certificate";
    case LabelKind::kText:
      return "text";
    case LabelKind::kWords:
      return "words";
    case LabelKind::kNetworkList:
      return "network list";
    case LabelKind::kGroupList:
      return "group list";
    case LabelKind::kBindAddress:
      return "bind address";
    case LabelKind::kMode:
      return "mode";
    case LabelKind::kTemplate:
      return "template";
  }
  return "?";
}

LabelTable::LabelTable() {
  labels_ = {
      {"HAPROXY_GROUP", LabelKind::kGroupList, "", "",
       "Comma-separated load-balancer groups of every port of the app; a "
       "marathon-lb started with --group G exposes the app if G is one of "
       "them (or if G is *)."},
      {"HAPROXY_{n}_GROUP", LabelKind::kGroupList, "", "",
       "Comma-separated load-balancer groups of port n, in place of "
       "HAPROXY_GROUP for this port (set but empty: the one group \"\")."},
      {"HAPROXY_{n}_ENABLED", LabelKind::kBool, "", "",
       "false: port n is not exposed. Under --strict-mode only ports with "
       "ENABLED true (true, t, yes, y in any case) are exposed."},
      {"HAPROXY_{n}_VHOST", LabelKind::kHostList, "", "",
       "Virtual host(s) of port n, comma-separated: routed by Host header on "
       ":80 and by SNI on :443; makes the port http unless MODE says tcp."},
      {"HAPROXY_{n}_BIND_ADDR", LabelKind::kBindAddress, "", "",
       "Address the port's frontend binds to (default *)."},
      {"HAPROXY_{n}_PORT", LabelKind::kPort, "", "",
       "Frontend port instead of Marathon's service port; also renames the "
       "backend."},
      {"HAPROXY_{n}_MODE", LabelKind::kMode, "", "",
       "tcp or http: the HAProxy mode of the port."},
      {"HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX", LabelKind::kInteger, "",
       "",
       "Port index k of the same app: port n's servers are health-checked on "
       "their task's port k, with port n's Marathon health check or, if it "
       "has none, port k's (an HTTP-family one makes the port http, over "
       "MODE)."},
      {"HAPROXY_DEPLOYMENT_GROUP", LabelKind::kWord, "", "",
       "Blue/green: the apps with one value merge into the one app "
       "/<value> (one backend per port, the old app's labels and ports), "
       "their old tasks drained (disabled) as the new ones turn healthy, as "
       "marathon-lb 1.15 (written by marathon-lb zdd)."},
      {"HAPROXY_DEPLOYMENT_STARTED_AT", LabelKind::kText, "", "",
       "Blue/green: when the app's deploy started (ISO 8601); the later app "
       "of a group is the new one."},
      {"HAPROXY_DEPLOYMENT_TARGET_INSTANCES", LabelKind::kInteger, "", "",
       "Blue/green: the instances the deploy ends with; the drain count of a "
       "group whose new app has NEW_INSTANCES uses the target of the app "
       "that is new after the hybrid swap (a value that is not a number "
       "leaves the app out of its group)."},
      {"HAPROXY_DEPLOYMENT_NEW_INSTANCES", LabelKind::kInteger, "", "",
       "Blue/green, hybrid deploy: on the new app of a group, the app scaled "
       "last (versionInfo.lastScalingAt) is the new one and the drain count "
       "uses TARGET_INSTANCES (an app without one leaves the group)."},
      {"HAPROXY_DEPLOYMENT_ALT_PORT", LabelKind::kPort, "", "",
       "Blue/green: the service port the deploy alternates with "
       "HAPROXY_0_PORT (Marathon wants each app's own); not read when "
       "routing."},
      {"HAPROXY_DEPLOYMENT_COLOUR", LabelKind::kWord, "", "",
       "Blue/green: blue or green, written by the deploy; not read when "
       "routing."},
      {"HAPROXY_APP_ID", LabelKind::kText, "", "",
       "The app's id before the deploy renamed it; not read when routing."},
      {std::string(kTemplateLabel), LabelKind::kTemplate, "", "",
       "Replaces template <TEMPLATE> for port n only (see the template "
       "list: only templates marked overridable)."},
  };
}

Status LabelTable::Add(LabelSpec spec) {
  constexpr std::string_view kPerPort = "HAPROXY_{n}_";
  constexpr std::string_view kPerApp = "HAPROXY_";
  const std::string& name = spec.name;
  const bool named =
      (name.compare(0, kPerPort.size(), kPerPort) == 0 &&
       IsLabelSuffix(std::string_view(name).substr(kPerPort.size()))) ||
      (name.compare(0, kPerApp.size(), kPerApp) == 0 &&
       IsLabelSuffix(std::string_view(name).substr(kPerApp.size())));
  if (!named) {
    return Status::Error("label '" + name +
                         "' is not named HAPROXY_{n}_[A-Z0-9_]+ or "
                         "HAPROXY_[A-Z0-9_]+");
  }
  // An app's label may not read as a service port's: HAPROXY_0_X.
  if (name.compare(0, kPerApp.size(), kPerApp) == 0 &&
      name.size() > kPerApp.size() &&
      std::isdigit(static_cast<unsigned char>(name[kPerApp.size()]))) {
    return Status::Error("label '" + name +
                         "' is named like a label of one service port "
                         "(HAPROXY_{n}_...)");
  }
  if (static_cast<uint32_t>(spec.kind) < MLB_LABEL_BOOL ||
      static_cast<uint32_t>(spec.kind) > MLB_LABEL_NETWORK_LIST) {
    return Status::Error("label " + name +
                         " has no kind a pack may declare (kind " +
                         std::to_string(static_cast<uint32_t>(spec.kind)) +
                         ")");
  }
  if (const LabelSpec* other = Find(name)) {
    if (other->family.empty()) {
      return Status::Error("label " + name + " is marathon-lb's own");
    }
    return Status::Error("label " + name + " is already declared by pack " +
                         other->pack + " (family " + other->family + ")");
  }
  labels_.push_back(std::move(spec));
  return Status::OK();
}

const LabelSpec* LabelTable::Find(std::string_view name) const {
  for (const LabelSpec& spec : labels_) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

const LabelSpec* LabelTable::FindNotChosen(std::string_view name) const {
  for (const LabelSpec& spec : not_chosen_) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
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

const std::string* PortGroupLabel(
    const std::map<std::string, std::string>& labels, int n) {
  auto it = labels.find(LabelName("HAPROXY_{n}_GROUP", n));
  return it == labels.end() ? nullptr : &it->second;
}

bool PortEnabled(const std::map<std::string, std::string>& labels, int n,
                 bool strict_mode) {
  auto it = labels.find(LabelName("HAPROXY_{n}_ENABLED", n));
  if (it == labels.end()) {
    return !strict_mode;
  }
  return IsTrue(it->second);
}

Status ParsePortLabels(const std::map<std::string, std::string>& labels, int n,
                       const LabelTable& table, const TemplateCatalog& catalog,
                       PortLabels* out, std::vector<std::string>* warnings,
                       LabelPolicy policy) {
  *out = PortLabels();
  out->policy = policy;
  // Every declared label's name for port n, in one buffer: "HAPROXY_{n}_"
  // is the only place a name may hold "{n}" (LabelTable::Add).
  constexpr std::string_view kPerPort = "HAPROXY_{n}_";
  const std::string prefix = "HAPROXY_" + std::to_string(n) + "_";
  std::string label;
  for (const LabelSpec& spec : table.labels()) {
    if (spec.kind == LabelKind::kTemplate) {
      continue;
    }
    if (spec.per_port()) {
      label.assign(prefix).append(spec.name, kPerPort.size());
    } else {
      label.assign(spec.name);
    }
    auto it = labels.find(label);
    if (it == labels.end()) {
      continue;
    }
    MLB_RETURN_IF_ERROR(
        CheckLabel(policy, label, spec.kind, it->second, nullptr, labels));
    if (!spec.family.empty()) {
      sdk::LabelValue value;
      MLB_RETURN_IF_ERROR(ReadPackLabel(spec, label, it->second, &value));
      out->values.push_back(std::move(value));
    } else if (spec.per_port()) {
      MLB_RETURN_IF_ERROR(ReadCoreLabel(spec, label, it->second, out));
    }
  }
  // Everything else shaped HAPROXY_{n}_*: a template override or a mistake.
  for (const auto& [label, value] : labels) {
    int index = 0;
    std::string suffix;
    if (!SplitPortLabel(label, &index, &suffix) || index != n ||
        table.Find("HAPROXY_{n}_" + suffix) != nullptr) {
      continue;
    }
    const TemplateCatalog::Entry* entry = catalog.Find(suffix);
    if (entry == nullptr) {
      if (const LabelSpec* other =
              table.FindNotChosen("HAPROXY_{n}_" + suffix)) {
        return Status::ServiceError(
            "label " + label + " is read by pack " + other->pack +
            " (family " + other->family + "), which is loaded but not the "
            "pack of its family: the pack in use would ignore it");
      }
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
    const TemplateLabelInfo info = TemplateOverrideInfo(catalog, suffix);
    MLB_RETURN_IF_ERROR(
        CheckLabel(policy, label, LabelKind::kTemplate, value, &info, labels));
    out->templates[suffix] = std::move(compiled);
  }
  return Status::OK();
}

TemplateLabelInfo TemplateOverrideInfo(const TemplateCatalog& catalog,
                                       const std::string& name) {
  TemplateLabelInfo info;
  info.name = name;
  if (const TemplateCatalog::Entry* entry = catalog.Find(name)) {
    info.inline_option = entry->inline_option;
    info.userlist = entry->section == MLB_SECTION_USERLIST;
    info.empty_with = entry->empty_with;
    if (const Template* replaced = catalog.Resolve(*entry, nullptr).tmpl) {
      info.replaced_text = replaced->source();
    }
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
