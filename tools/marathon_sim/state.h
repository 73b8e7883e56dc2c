// The state file of marathon-sim: Marathon's `GET /v2/apps?embed=apps.tasks`
// answer, read again on every request, and what the endpoints read from its
// apps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

// The parsed state file: the `apps` array, each element an object.
struct State {
  Array::Ptr apps;
};

// Checks that `text` looks like {"apps": [ {"id": "...", ...}, ... ]}.
// `what` names the text in error messages ("state file 'x.json'").
bool ParseState(const std::string& text, const std::string& what, State* state,
                std::string* error);

// What stat(2) says about the state file; a change means "re-read it".
struct FileIdentity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;

  bool operator==(const FileIdentity& other) const {
    return exists == other.exists && device == other.device &&
           inode == other.inode && size == other.size &&
           mtime_ns == other.mtime_ns;
  }
  bool operator!=(const FileIdentity& other) const { return !(*this == other); }
};

class StateStore {
 public:
  explicit StateStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Reads and parses the state file.  Returns false and sets `*error` to a
  // message naming the file when it is missing, unreadable, not JSON, or not
  // shaped like {"apps": [ {...}, ... ]}.
  bool Load(State* state, std::string* error) const;

  FileIdentity Stat() const;

  // The body of an answer made from the state file by `make` (`kind` names
  // which: "apps", "apps+tasks"), made again only when the file changed.
  // At 5,000 apps Marathon's answer is tens of MB of JSON, and making it
  // took the simulator seconds: a benchmark of marathon-lb would measure
  // the simulator. A file changed in the last second is not cached (its
  // identity may not show a second change within the clock's resolution).
  // false and *error as Load, or as `make` sets it.
  bool CachedAnswer(
      const std::string& kind,
      const std::function<bool(const State&, std::string*, std::string*)>&
          make,
      std::shared_ptr<const std::string>* body, std::string* error) const;

 private:
  struct Answer {
    std::string kind;
    FileIdentity identity;
    std::shared_ptr<const std::string> body;
  };

  std::string path_;
  mutable std::mutex mu_;
  mutable std::vector<Answer> answers_;
};

// The app's "id".
std::string AppId(const Object::Ptr& app);

// A shallow copy of `app` without its "tasks" member, keys kept in order.
Object::Ptr WithoutTasks(const Object::Ptr& app);

// The service ports Marathon reports for the app's tasks:
// portDefinitions[].port or, for container networking, the portMappings'
// servicePort.
Array::Ptr ServicePorts(const Object::Ptr& app);

}  // namespace mlb::tools::sim
