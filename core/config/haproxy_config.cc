#include "core/config/haproxy_config.h"

#include <algorithm>
#include <map>

namespace mlb {

const ConfigSection* HaproxyConfig::Find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &sections_[it->second];
}

bool HaproxyConfig::ReplaceServers(const std::string& key,
                                   std::vector<ServerEntry> servers) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    return false;
  }
  sections_[it->second].servers = std::move(servers);
  return true;
}

std::string MapFile::Text() const {
  std::string out;
  for (const auto& [key, value] : entries) {
    out += key;
    out += ' ';
    out += value;
    out += '\n';
  }
  return out;
}

void HaproxyConfig::DeclareMap(const std::string& name) {
  for (const MapFile& map : maps_) {
    if (map.name == name) {
      return;
    }
  }
  maps_.push_back({name, {}});
  map_lines_.emplace_back();
}

bool HaproxyConfig::AddMapEntry(MapEntry&& entry) {
  for (size_t i = 0; i < maps_.size(); ++i) {
    if (maps_[i].name != entry.map) {
      continue;
    }
    if (map_lines_[i].insert(entry.key + ' ' + entry.value).second) {
      maps_[i].entries.emplace_back(std::move(entry.key),
                                    std::move(entry.value));
    }
    return true;
  }
  return false;
}

ConfigSection& HaproxyConfig::Section(const std::string& key, int rank) {
  for (const size_t i : recent_) {
    if (i < sections_.size() && sections_[i].key == key) {
      return sections_[i];
    }
  }
  // try_emplace: emplace would build (allocate) a node even for a key that
  // is there.
  auto [it, inserted] = index_.try_emplace(key, sections_.size());
  if (inserted) {
    ConfigSection section;
    section.key = key;
    section.rank = rank;
    sections_.push_back(std::move(section));
  }
  recent_[next_recent_] = it->second;
  next_recent_ = (next_recent_ + 1) % recent_.size();
  return sections_[it->second];
}

int HaproxyConfig::AddAuthor(ConfigAuthor author) {
  authors_.push_back(std::move(author));
  return static_cast<int>(authors_.size()) - 1;
}

void HaproxyConfig::Append(ConfigSection& section, std::string&& text,
                           int author) {
  if (text.empty()) {
    return;
  }
  if (section.runs.empty() || section.runs.back().author != author) {
    section.runs.push_back({section.text.size(), author});
  }
  if (text.back() != '\n') {
    // A run that did not end its last line would join the next author's
    // first line to it (and put every later line under the wrong author).
    text += '\n';
  }
  if (section.text.empty()) {
    section.text.swap(text);  // a service's own frontend and backend
  } else {
    section.text += text;
  }
}

std::vector<int> HaproxyConfig::LineAuthors() const {
  std::vector<int> out;
  for (const ConfigSection& s : sections_) {
    size_t run = 0;
    int author = kTheLb;
    bool line_start = true;
    for (size_t i = 0; i < s.text.size(); ++i) {
      while (run < s.runs.size() && s.runs[run].offset <= i) {
        author = s.runs[run++].author;
      }
      if (line_start) {
        out.push_back(author);
      }
      line_start = s.text[i] == '\n';
    }
    const int servers_author = s.runs.empty() ? kTheLb : s.runs[0].author;
    for (const ServerEntry& server : s.servers) {
      for (const char c : server.line) {
        if (c == '\n') {
          out.push_back(servers_author);
        }
      }
    }
  }
  return out;
}

void HaproxyConfig::Reserve(size_t sections) {
  sections_.reserve(sections);
  index_.reserve(sections);
}

void HaproxyConfig::Finish() {
  // Sorted through an index, so that each section (its text and its server
  // entries) moves once rather than about log2(n) times.
  std::vector<size_t> order(sections_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return sections_[a].rank < sections_[b].rank;
  });
  std::vector<ConfigSection> sorted;
  sorted.reserve(sections_.size());
  std::vector<size_t> position(sections_.size());
  for (const size_t i : order) {
    position[i] = sorted.size();
    sorted.push_back(std::move(sections_[i]));
  }
  sections_ = std::move(sorted);
  // The index learns the new positions without hashing every key again.
  for (auto& entry : index_) {
    entry.second = position[entry.second];
  }
  recent_.fill(0);
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
std::map<std::string, const ServerEntry*> ServersByName(
    const ConfigSection& section) {
  std::map<std::string, const ServerEntry*> out;
  for (const auto& server : section.servers) {
    out.emplace(server.name, &server);
  }
  return out;
}

}  // namespace

bool ConfigChanges::empty() const {
  return added_sections.empty() && removed_sections.empty() &&
         changed_sections.empty() && changed_maps.empty() && servers.empty();
}

bool ConfigChanges::ServersOnly() const {
  return added_sections.empty() && removed_sections.empty() &&
         changed_sections.empty() && changed_maps.empty() && !servers.empty();
}

std::string SizeSummary(const HaproxyConfig& config, size_t bytes) {
  size_t backends = 0;
  size_t servers = 0;
  for (const ConfigSection& section : config.sections()) {
    if (section.key.rfind("backend ", 0) == 0) {
      ++backends;
    }
    servers += section.servers.size();
  }
  return std::to_string(config.sections().size()) + " sections, " +
         std::to_string(backends) + " backends, " + std::to_string(servers) +
         " servers, " + std::to_string(bytes) + " bytes";
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
         std::to_string(added) + " -" + std::to_string(removed) + where +
         (changed_maps.empty() ? "" : ", maps ~" +
                                          std::to_string(changed_maps.size()));
}

ConfigChanges::Servers CompareServers(const ConfigSection& before,
                                      const ConfigSection& after) {
  const auto old_servers = ServersByName(before);
  const auto new_servers = ServersByName(after);
  ConfigChanges::Servers diff;
  diff.backend = after.key;
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
  return diff;
}

ConfigChanges Compare(const HaproxyConfig& before, const HaproxyConfig& after) {
  ConfigChanges changes;
  for (const MapFile& map : after.maps()) {
    const auto old_map =
        std::find_if(before.maps().begin(), before.maps().end(),
                     [&](const MapFile& m) { return m.name == map.name; });
    if (old_map == before.maps().end() || old_map->entries != map.entries) {
      changes.changed_maps.push_back(map.name);
    }
  }
  for (const MapFile& old_map : before.maps()) {
    if (std::none_of(after.maps().begin(), after.maps().end(),
                     [&](const MapFile& m) { return m.name == old_map.name; })) {
      changes.changed_maps.push_back(old_map.name);
    }
  }
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
    ConfigChanges::Servers diff = CompareServers(*old_section, section);
    if (!diff.added.empty() || !diff.removed.empty()) {
      changes.servers.push_back(std::move(diff));
    }
  }
  return changes;
}

}  // namespace mlb
