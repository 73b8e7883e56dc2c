#include "tools/marathon_sim/state.h"

#include <Poco/Dynamic/Var.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tools/marathon_sim/json.h"

namespace mlb::tools::sim {

bool ParseState(const std::string& text, const std::string& what, State* state,
                std::string* error) {
  Poco::Dynamic::Var root;
  if (!ParseJson(text, what, &root, error)) return false;
  if (root.type() != typeid(Object::Ptr)) {
    *error = what + ": top level must be a JSON object";
    return false;
  }
  Object::Ptr top = root.extract<Object::Ptr>();
  if (!top->has("apps") || !top->isArray("apps")) {
    *error = what + ": missing \"apps\" array";
    return false;
  }
  Array::Ptr apps = top->getArray("apps");
  for (std::size_t i = 0; i < apps->size(); ++i) {
    Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    const std::string where = what + ": apps[" + std::to_string(i) + "]";
    if (app.isNull()) {
      *error = where + " is not an object";
      return false;
    }
    if (!app->has("id") || !app->get("id").isString()) {
      *error = where + " has no string \"id\"";
      return false;
    }
    if (app->has("tasks") && !app->isArray("tasks")) {
      *error = where + ".tasks is not an array";
      return false;
    }
  }
  state->apps = apps;
  return true;
}

bool StateStore::Load(State* state, std::string* error) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = "cannot read state file '" + path_ + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    *error = "error reading state file '" + path_ + "'";
    return false;
  }
  return ParseState(text.str(), "state file '" + path_ + "'", state, error);
}

FileIdentity StateStore::Stat() const {
  FileIdentity id;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return id;
  id.exists = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                st.st_mtim.tv_nsec;
  return id;
}

bool StateStore::CachedAnswer(
    const std::string& kind,
    const std::function<bool(const State&, std::string*, std::string*)>& make,
    std::shared_ptr<const std::string>* body, std::string* error) const {
  const FileIdentity identity = Stat();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Answer& answer : answers_) {
      if (answer.kind == kind && answer.identity == identity) {
        *body = answer.body;
        return true;
      }
    }
  }
  State state;
  if (!Load(&state, error)) return false;
  auto made = std::make_shared<std::string>();
  if (!make(state, made.get(), error)) return false;
  *body = made;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  // The file as it was before the read, and settled: cache it.
  if (identity.exists && identity == Stat() &&
      now_ns - identity.mtime_ns > 1000000000) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_.erase(std::remove_if(answers_.begin(), answers_.end(),
                                  [&](const Answer& a) {
                                    return a.kind == kind;
                                  }),
                   answers_.end());
    answers_.push_back({kind, identity, made});
  }
  return true;
}

std::string AppId(const Object::Ptr& app) {
  return app->getValue<std::string>("id");
}

Object::Ptr WithoutTasks(const Object::Ptr& app) {
  Object::Ptr copy = new Object(*app);
  copy->remove("tasks");
  return copy;
}

Array::Ptr ServicePorts(const Object::Ptr& app) {
  Array::Ptr ports = new Array;
  auto collect = [&ports](const Array::Ptr& list, const std::string& key) {
    if (list.isNull()) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      Object::Ptr entry = list->getObject(static_cast<unsigned>(i));
      if (!entry.isNull() && entry->has(key)) ports->add(entry->get(key));
    }
  };
  if (app->isArray("portDefinitions")) {
    collect(app->getArray("portDefinitions"), "port");
  } else if (Object::Ptr container = app->getObject("container");
             !container.isNull()) {
    if (container->isArray("portMappings")) {
      collect(container->getArray("portMappings"), "servicePort");
    } else if (Object::Ptr docker = container->getObject("docker");
               !docker.isNull() && docker->isArray("portMappings")) {
      collect(docker->getArray("portMappings"), "servicePort");
    }
  }
  return ports;
}

}  // namespace mlb::tools::sim
