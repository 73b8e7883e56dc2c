// A rendered HAProxy configuration kept as data: ordered sections keyed by
// name, backends with their server entries. Two generations can be compared
// section by section and server by server; Text() is what goes on disk.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "mlb/plugin/sdk.h"

namespace mlb {

struct ConfigSection {
  std::string key;   // "head", "frontend marathon_http_in", "backend web_80"
  int rank = 0;      // sdk::SectionRank
  std::string text;  // everything but the server lines
  std::vector<sdk::ServerEntry> servers;  // backends only, in order
};

class HaproxyConfig {
 public:
  // Sections in output order: by rank, then by first use.
  const std::vector<ConfigSection>& sections() const { return sections_; }
  const ConfigSection* Find(const std::string& key) const;
  std::string Text() const;

  // Builder interface, used by the generator: Section() returns the section
  // `key`, creating it on first use; Finish() puts sections in output order.
  ConfigSection& Section(const std::string& key, int rank);
  void Finish();

 private:
  std::vector<ConfigSection> sections_;
  std::unordered_map<std::string, size_t> index_;  // key -> position
};

}  // namespace mlb
