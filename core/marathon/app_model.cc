#include "core/marathon/app_model.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace mlb {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// obj[key] as a string; error naming the key unless it is one.
Status StringField(const Object::Ptr& obj, const std::string& key,
                   std::string* out) {
  const Poco::Dynamic::Var value = obj->get(key);
  if (!value.isString()) {
    return Status::Error("event", "no \"" + key + "\" string");
  }
  *out = value.toString();
  return Status::OK();
}

bool SameHealthCheck(const HealthCheck& a, const HealthCheck& b) {
  return std::tie(a.protocol, a.port_index, a.port, a.path, a.timeout_seconds,
                  a.interval_seconds, a.grace_period_seconds,
                  a.max_consecutive_failures, a.ignore_http1xx,
                  a.raw_repr) ==
         std::tie(b.protocol, b.port_index, b.port, b.path, b.timeout_seconds,
                  b.interval_seconds, b.grace_period_seconds,
                  b.max_consecutive_failures, b.ignore_http1xx, b.raw_repr);
}

bool SameTask(const Task& a, const Task& b) {
  return std::tie(a.id, a.host, a.ports, a.state, a.ip_addresses,
                  a.health_alive, a.draining) ==
         std::tie(b.id, b.host, b.ports, b.state, b.ip_addresses,
                  b.health_alive, b.draining);
}

// Tasks compared as a set: Marathon lists them in no promised order.
bool SameTasks(std::vector<Task> a, std::vector<Task> b) {
  if (a.size() != b.size()) {
    return false;
  }
  const auto by_id = [](const Task& x, const Task& y) { return x.id < y.id; };
  std::sort(a.begin(), a.end(), by_id);
  std::sort(b.begin(), b.end(), by_id);
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameTask(a[i], b[i])) {
      return false;
    }
  }
  return true;
}

bool SameApp(const App& a, const App& b) {
  if (std::tie(a.id, a.labels, a.networking, a.service_ports,
               a.container_ports, a.declared_ports, a.instances,
               a.last_scaling_at) !=
          std::tie(b.id, b.labels, b.networking, b.service_ports,
                   b.container_ports, b.declared_ports, b.instances,
                   b.last_scaling_at) ||
      a.health_checks.size() != b.health_checks.size()) {
    return false;
  }
  for (size_t i = 0; i < a.health_checks.size(); ++i) {
    const auto& x = a.health_checks[i];
    const auto& y = b.health_checks[i];
    if (x.has_value() != y.has_value() ||
        (x.has_value() && !SameHealthCheck(*x, *y))) {
      return false;
    }
  }
  return SameTasks(a.tasks, b.tasks);
}

}  // namespace

bool IsTerminalTaskState(const std::string& state) {
  static const std::set<std::string> kTerminal = {
      "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
      "TASK_ERROR",    "TASK_DROPPED", "TASK_GONE",
      "TASK_GONE_BY_OPERATOR"};
  return kTerminal.count(state) > 0;
}

Status ParseMarathonEvent(const std::string& document, MarathonEvent* out) {
  *out = MarathonEvent();
  Object::Ptr obj;
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var value = parser.parse(document);
    if (value.type() != typeid(Object::Ptr)) {
      return Status::Error("event", "not a JSON object");
    }
    obj = value.extract<Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return Status::Error("event", "not JSON: " + e.displayText());
  }
  MLB_RETURN_IF_ERROR(StringField(obj, "eventType", &out->type));
  try {
    if (out->type == "status_update_event") {
      MLB_RETURN_IF_ERROR(StringField(obj, "appId", &out->app_id));
      MLB_RETURN_IF_ERROR(StringField(obj, "taskId", &out->task_id));
      MLB_RETURN_IF_ERROR(StringField(obj, "taskStatus", &out->task_status));
      if (obj->has("host")) {
        MLB_RETURN_IF_ERROR(StringField(obj, "host", &out->host));
      }
      if (const Array::Ptr ports = obj->getArray("ports")) {
        for (size_t i = 0; i < ports->size(); ++i) {
          const Poco::Dynamic::Var port = ports->get(i);
          if (!port.isInteger()) {
            return Status::Error("event", "ports[" + std::to_string(i) +
                                              "] is not an integer");
          }
          out->ports.push_back(port.convert<int>());
        }
      }
      if (const Array::Ptr ips = obj->getArray("ipAddresses")) {
        for (size_t i = 0; i < ips->size(); ++i) {
          const Object::Ptr ip = ips->getObject(i);
          std::string address;
          if (ip.isNull() || !StringField(ip, "ipAddress", &address).ok()) {
            return Status::Error("event", "ipAddresses[" + std::to_string(i) +
                                              "] has no ipAddress string");
          }
          out->ip_addresses.push_back(address);
        }
      }
    } else if (out->type == "health_status_changed_event") {
      MLB_RETURN_IF_ERROR(StringField(obj, "appId", &out->app_id));
      MLB_RETURN_IF_ERROR(StringField(obj, "taskId", &out->task_id));
      const Poco::Dynamic::Var alive = obj->get("alive");
      if (!alive.isBoolean()) {
        return Status::Error("event", "no \"alive\" boolean");
      }
      out->alive = alive.convert<bool>();
    } else if (out->type == "app_terminated_event") {
      MLB_RETURN_IF_ERROR(StringField(obj, "appId", &out->app_id));
    } else if (out->type == "api_post_event") {
      const Object::Ptr definition = obj->getObject("appDefinition");
      if (definition.isNull()) {
        return Status::Error("event", "no \"appDefinition\" object");
      }
      MLB_RETURN_IF_ERROR(StringField(definition, "id", &out->app_id));
    }
  } catch (const Poco::Exception& e) {
    return Status::Error("event", out->type + ": " + e.displayText());
  }
  return Status::OK();
}

void AppModel::Reset(std::vector<App> apps) {
  apps_ = std::move(apps);
  index_.clear();
  for (size_t i = 0; i < apps_.size(); ++i) {
    index_[apps_[i].id] = i;
  }
  valid_ = true;
}

const App* AppModel::Get(const std::string& app_id) const {
  const auto it = index_.find(app_id);
  return it == index_.end() ? nullptr : &apps_[it->second];
}

App* AppModel::Find(const std::string& app_id) {
  const auto it = index_.find(app_id);
  return it == index_.end() ? nullptr : &apps_[it->second];
}

AppModel::Outcome AppModel::Apply(const MarathonEvent& event) {
  if (event.type == "app_terminated_event") {
    Remove(event.app_id);
    return Outcome::kApplied;
  }
  if (event.type == "api_post_event") {
    return Outcome::kFetchApp;
  }
  if (event.type != "status_update_event" &&
      event.type != "health_status_changed_event") {
    return Outcome::kApplied;  // nothing the config is made of
  }
  App* app = Find(event.app_id);
  if (app == nullptr) {
    return Outcome::kFetchApp;  // a new app: its definition is not here
  }
  auto task = std::find_if(app->tasks.begin(), app->tasks.end(),
                           [&](const Task& t) { return t.id == event.task_id; });
  if (event.type == "health_status_changed_event") {
    if (task == app->tasks.end()) {
      return Outcome::kFetchApp;
    }
    size_t checks = 0;
    for (const auto& check : app->health_checks) {
      checks += check.has_value();
    }
    if (checks != 1) {
      // None: Marathon would report no result. Several: the event does not
      // say which check changed.
      return checks == 0 ? Outcome::kApplied : Outcome::kFetchApp;
    }
    task->health_alive = std::vector<bool>{*event.alive};
    return Outcome::kApplied;
  }
  if (IsTerminalTaskState(event.task_status)) {
    if (task != app->tasks.end()) {
      app->tasks.erase(task);
    }
    return Outcome::kApplied;
  }
  if (task == app->tasks.end()) {
    app->tasks.emplace_back();
    task = app->tasks.end() - 1;
    task->id = event.task_id;
  }
  task->state = event.task_status;
  task->host = event.host;
  task->ports = event.ports;
  task->ip_addresses = event.ip_addresses;
  return Outcome::kApplied;
}

void AppModel::Put(App app) {
  if (App* existing = Find(app.id)) {
    *existing = std::move(app);
    return;
  }
  index_[app.id] = apps_.size();
  apps_.push_back(std::move(app));
}

void AppModel::Remove(const std::string& app_id) {
  const auto it = index_.find(app_id);
  if (it == index_.end()) {
    return;
  }
  apps_.erase(apps_.begin() + static_cast<long>(it->second));
  index_.clear();
  for (size_t i = 0; i < apps_.size(); ++i) {
    index_[apps_[i].id] = i;
  }
}

std::vector<std::string> AppModel::Differences(
    const std::vector<App>& fetched) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const App& app : fetched) {
    seen.insert(app.id);
    const auto it = index_.find(app.id);
    if (it == index_.end() || !SameApp(apps_[it->second], app)) {
      out.push_back(app.id);
    }
  }
  for (const App& app : apps_) {
    if (seen.count(app.id) == 0) {
      out.push_back(app.id);
    }
  }
  return out;
}

}  // namespace mlb
