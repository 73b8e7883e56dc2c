#include "core/haproxy_config.h"

#include <algorithm>
#include <map>

namespace mlb {

const ConfigSection* HaproxyConfig::Find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &sections_[it->second];
}

ConfigSection& HaproxyConfig::Section(const std::string& key, int rank) {
  auto [it, inserted] = index_.emplace(key, sections_.size());
  if (inserted) {
    ConfigSection section;
    section.key = key;
    section.rank = rank;
    sections_.push_back(std::move(section));
  }
  return sections_[it->second];
}

void HaproxyConfig::Finish() {
  std::stable_sort(sections_.begin(), sections_.end(),
                   [](const ConfigSection& a, const ConfigSection& b) {
                     return a.rank < b.rank;
                   });
  for (size_t i = 0; i < sections_.size(); ++i) {
    index_[sections_[i].key] = i;
  }
}

std::string HaproxyConfig::Text() const {
  size_t size = 0;
  for (const ConfigSection& s : sections_) {
    size += s.text.size();
    for (const auto& server : s.servers) {
      size += server.line.size();
    }
  }
  std::string out;
  out.reserve(size);
  for (const ConfigSection& s : sections_) {
    out += s.text;
    for (const auto& server : s.servers) {
      out += server.line;
    }
  }
  return out;
}

namespace {

// Server lines keyed by name (the name encodes host, address and port).
std::map<std::string, const sdk::ServerEntry*> ServersByName(
    const ConfigSection& section) {
  std::map<std::string, const sdk::ServerEntry*> out;
  for (const auto& server : section.servers) {
    out.emplace(server.name, &server);
  }
  return out;
}

}  // namespace

bool ConfigChanges::empty() const {
  return added_sections.empty() && removed_sections.empty() &&
         changed_sections.empty() && servers.empty();
}

bool ConfigChanges::ServersOnly() const {
  return added_sections.empty() && removed_sections.empty() &&
         changed_sections.empty() && !servers.empty();
}

std::string ConfigChanges::Summary() const {
  size_t added = 0;
  size_t removed = 0;
  std::string where;
  for (const Servers& s : servers) {
    added += s.added.size();
    removed += s.removed.size();
    where += (where.empty() ? " in " : ", ") + s.backend;
  }
  return "sections +" + std::to_string(added_sections.size()) + " -" +
         std::to_string(removed_sections.size()) + " ~" +
         std::to_string(changed_sections.size()) + ", servers +" +
         std::to_string(added) + " -" + std::to_string(removed) + where;
}

ConfigChanges Compare(const HaproxyConfig& before, const HaproxyConfig& after) {
  ConfigChanges changes;
  for (const ConfigSection& old_section : before.sections()) {
    if (after.Find(old_section.key) == nullptr) {
      changes.removed_sections.push_back(old_section.key);
    }
  }
  for (const ConfigSection& section : after.sections()) {
    const ConfigSection* old_section = before.Find(section.key);
    if (old_section == nullptr) {
      changes.added_sections.push_back(section.key);
      continue;
    }
    if (old_section->text != section.text) {
      changes.changed_sections.push_back(section.key);
    }
    const auto old_servers = ServersByName(*old_section);
    const auto new_servers = ServersByName(section);
    ConfigChanges::Servers diff;
    diff.backend = section.key;
    for (const auto& [name, entry] : new_servers) {
      auto it = old_servers.find(name);
      if (it == old_servers.end()) {
        diff.added.push_back(name);
      } else if (it->second->line != entry->line) {
        // Same server, other options (e.g. a new check interval): a
        // remove-and-add for the runtime API.
        diff.removed.push_back(name);
        diff.added.push_back(name);
      }
    }
    for (const auto& [name, entry] : old_servers) {
      if (new_servers.count(name) == 0) {
        diff.removed.push_back(name);
      }
    }
    if (!diff.added.empty() || !diff.removed.empty()) {
      changes.servers.push_back(std::move(diff));
    }
  }
  return changes;
}

}  // namespace mlb
