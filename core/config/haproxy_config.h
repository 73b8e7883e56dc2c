// A rendered HAProxy configuration kept as data: ordered sections keyed by
// name, backends with their server entries. Two generations can be compared
// section by section and server by server; Text() is what goes on disk.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace mlb {

// One `server` entry of a backend, kept as data as well as text.
struct ServerEntry {
  std::string name;
  std::string address;
  int port = 0;
  int id = 0;
  std::string line;  // the rendered line(s), ending in '\n'
};

// Who wrote a run of a section's text, from `offset` to the next run: an
// index into HaproxyConfig::authors(), or kTheLb.
struct TextRun {
  size_t offset = 0;
  int author = 0;
};

struct ConfigSection {
  std::string key;   // "head", "frontend marathon_http_in", "backend web_80"
  int rank = 0;      // the section's kind: sections are written in its order
  std::string text;  // everything but the server lines
  std::vector<ServerEntry> servers;  // backends only, in order
  // Who wrote `text`, in order; the server lines are the first run's
  // author's. Empty: the LB.
  std::vector<TextRun> runs;
};

// The service port that wrote part of a config (HaproxyConfig::Append), so
// that a line HAProxy refuses can be traced to the app that rendered it.
struct ConfigAuthor {
  std::string app_id;
  int service_port = 0;
  std::string label_text;  // its labels' values, one per line
};

// One line of an HAProxy map file.
struct MapEntry {
  std::string map;  // the file's name, "domain2backend.map"
  std::string key;
  std::string value;
};

// A map file written beside the config: its lines in order, each once.
struct MapFile {
  std::string name;
  std::vector<std::pair<std::string, std::string>> entries;  // key, value
  std::string Text() const;  // "key value\n" per entry
};

class HaproxyConfig {
 public:
  // Sections in output order: by rank, then by first use.
  const std::vector<ConfigSection>& sections() const { return sections_; }
  const ConfigSection* Find(const std::string& key) const;
  std::string Text() const;
  // The servers of section `key` are now `servers` (what HAProxy was told
  // through its runtime API); false when there is no such section.
  bool ReplaceServers(const std::string& key, std::vector<ServerEntry> servers);
  // The map files, in order of declaration.
  const std::vector<MapFile>& maps() const { return maps_; }

  // Builder interface, used by the generator: Section() returns the section
  // `key`, creating it on first use; Finish() puts sections in output order.
  ConfigSection& Section(const std::string& key, int rank);
  void Finish();
  // Appends `text` to `section` as written by `author` (AddAuthor, or
  // kTheLb for the global part and Finish), ending its last line if it did
  // not; the text is moved from.
  static constexpr int kTheLb = -1;
  int AddAuthor(ConfigAuthor author);
  void Append(ConfigSection& section, std::string&& text, int author);
  const std::vector<ConfigAuthor>& authors() const { return authors_; }
  // Per line of Text() (line 1 at [0]), who wrote it: an index into
  // authors(), or kTheLb.
  std::vector<int> LineAuthors() const;
  // Declares the map file `name` (once; later calls do nothing).
  void DeclareMap(const std::string& name);
  // Appends "key value" to the declared map `entry.map` unless the map
  // has that line already. False when the map was not declared.
  bool AddMapEntry(MapEntry&& entry);
  // Room for `sections` sections, so that neither the sections nor their
  // index are moved or rehashed as they grow.
  void Reserve(size_t sections);

 private:
  std::vector<ConfigSection> sections_;
  std::unordered_map<std::string, size_t> index_;  // key -> position
  std::vector<MapFile> maps_;
  std::vector<ConfigAuthor> authors_;
  // Per map (same position): its lines so far, "key value", to write each
  // line once.
  std::vector<std::unordered_set<std::string>> map_lines_;
  // Positions of the sections Section() returned last: every service adds
  // to the shared frontends, and its servers go to the backend it has just
  // created, so most look-ups end here, before the (large) index.
  std::array<size_t, 4> recent_ = {};
  size_t next_recent_ = 0;
};

// The size of a config in one line, as the log shows a first config:
// "12 sections, 5000 backends, 25000 servers, 3456789 bytes" (`bytes`: its
// text's).
std::string SizeSummary(const HaproxyConfig& config, size_t bytes);

// What changed between two generations, section by section and server by
// server. When only server membership changed, a later version can apply the
// change through HAProxy's runtime API instead of reloading.
struct ConfigChanges {
  struct Servers {
    std::string backend;               // section key
    std::vector<std::string> added;    // server names
    std::vector<std::string> removed;  // server names
  };
  std::vector<std::string> added_sections;
  std::vector<std::string> removed_sections;
  std::vector<std::string> changed_sections;  // same key, other text
  std::vector<std::string> changed_maps;      // map files, by name
  std::vector<Servers> servers;  // sections in both with other servers

  bool empty() const;
  // True when sections are the same and only server lines differ.
  bool ServersOnly() const;
  // One line: "sections +1 -0 ~2, servers +3 -1 in backend web_80, ...".
  std::string Summary() const;
};

ConfigChanges Compare(const HaproxyConfig& before, const HaproxyConfig& after);

// The servers added and removed between two versions of one section (its
// key: `after`'s); a server whose line changed is both.
ConfigChanges::Servers CompareServers(const ConfigSection& before,
                                      const ConfigSection& after);

}  // namespace mlb
