#include "core/model/vhost_owners.h"

#include <sstream>

#include "core/base/files.h"
#include "core/base/text.h"

namespace mlb {
namespace {

// A lower-case host name: labels of [a-z0-9-], not starting or ending
// with '-', joined by '.'.
bool IsHostName(const std::string& s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string::npos) {
      end = s.size();
    }
    const std::string label = s.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-' ||
        label.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
            std::string::npos) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// "/" or "/a/b": Marathon path segments, no trailing '/'.
bool IsAppIdPrefix(const std::string& s) {
  if (s == "/") {
    return true;
  }
  if (s.size() < 2 || s[0] != '/' || s.back() == '/' ||
      s.find("//") != std::string::npos) {
    return false;
  }
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-._/") ==
         std::string::npos;
}

bool Covers(const std::string& prefix, const std::string& app_id) {
  return prefix == "/" || app_id == prefix ||
         (app_id.size() > prefix.size() &&
          app_id.compare(0, prefix.size(), prefix) == 0 &&
          app_id[prefix.size()] == '/');
}

}  // namespace

Status VhostOwners::Parse(const std::string& text, const std::string& file,
                          VhostOwners* out) {
  VhostOwners owners;
  owners.file_ = file;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const std::string where = file + " line " + std::to_string(number);
    const std::string line = raw.substr(0, raw.find('#'));
    const std::vector<std::string> words = Words(line);
    if (words.empty()) {
      continue;
    }
    if (words.size() < 2) {
      return Status::Error(where, "'" + words[0] +
                                      "' names no app id prefix (a line is "
                                      "<domain> <app id prefix>...)");
    }
    Rule rule;
    rule.line = number;
    const std::string& domain = words[0];
    if (domain == "*") {
      rule.domain = "";
    } else if (domain.rfind("*.", 0) == 0 && IsHostName(domain.substr(2))) {
      rule.domain = domain.substr(1);  // ".example.com"
    } else if (IsHostName(domain)) {
      rule.domain = domain;
    } else {
      return Status::Error(where, "'" + domain +
                                      "' is not a lower-case host name, "
                                      "'*.' and one, or '*'");
    }
    for (const Rule& other : owners.rules_) {
      if (other.domain == rule.domain) {
        return Status::Error(where, "'" + domain + "' is already on line " +
                                        std::to_string(other.line));
      }
    }
    for (size_t i = 1; i < words.size(); ++i) {
      if (!IsAppIdPrefix(words[i])) {
        return Status::Error(where, "'" + words[i] +
                                        "' is not an app id prefix (\"/\" or "
                                        "\"/team\", lower case, no trailing "
                                        "'/')");
      }
      rule.prefixes.push_back(words[i]);
    }
    owners.rules_.push_back(std::move(rule));
  }
  *out = std::move(owners);
  return Status::OK();
}

Status VhostOwners::Load(const std::string& path, VhostOwners* out) {
  std::string text;
  MLB_RETURN_IF_ERROR(ReadWholeFile(path, &text, 1 << 20)
                          .WithContext("--vhost-owners " + path));
  return Parse(text, path, out).WithContext("--vhost-owners");
}

const VhostOwners::Rule* VhostOwners::Covering(const std::string& host) const {
  const Rule* best = nullptr;
  const Rule* any = nullptr;
  for (const Rule& rule : rules_) {
    if (rule.domain.empty()) {
      any = &rule;
    } else if (rule.domain == host) {
      return &rule;
    } else if (rule.domain[0] == '.' && host.size() > rule.domain.size() &&
               host.compare(host.size() - rule.domain.size(),
                            rule.domain.size(), rule.domain) == 0 &&
               (best == nullptr || rule.domain.size() > best->domain.size())) {
      best = &rule;
    }
  }
  return best != nullptr ? best : any;
}

Status VhostOwners::Check(const std::string& app_id,
                          const std::string& vhost) const {
  // HAProxy's hdr(host) matches "shop.example.com." and
  // "shop.example.com:80" as written: they are shop.example.com's.
  std::string host = vhost.substr(0, vhost.find(':'));
  while (!host.empty() && host.back() == '.') {
    host.pop_back();
  }
  const Rule* rule = Covering(host);
  if (rule == nullptr) {
    return Status::OK();
  }
  for (const std::string& prefix : rule->prefixes) {
    if (Covers(prefix, app_id)) {
      return Status::OK();
    }
  }
  std::string owners;
  for (const std::string& prefix : rule->prefixes) {
    owners += (owners.empty() ? "" : ", ") + prefix;
  }
  return Status::Error("vhost " + vhost + " belongs to " + owners +
                       " (--vhost-owners " +
                       file_ + " line " + std::to_string(rule->line) + ")");
}

}  // namespace mlb
