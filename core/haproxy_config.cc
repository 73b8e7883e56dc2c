#include "core/haproxy_config.h"

#include <algorithm>

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

}  // namespace mlb
