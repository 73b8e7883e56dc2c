#include "tools/marathon_sim/state_tracker.h"

#include <Poco/Dynamic/Var.h>

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "tools/marathon_sim/json.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

using Poco::Net::HTTPResponse;

enum class Health { kUnknown, kAlive, kDead };

// A task is alive when any of its health check results is; without results
// its health is unknown (Marathon after a leader change, or no checks).
Health TaskHealth(const Object::Ptr& task) {
  const Array::Ptr results = task->getArray("healthCheckResults");
  if (results.isNull() || results->size() == 0) return Health::kUnknown;
  for (std::size_t i = 0; i < results->size(); ++i) {
    const Object::Ptr result = results->getObject(static_cast<unsigned>(i));
    if (result.isNull() || !result->has("alive")) continue;
    const Poco::Dynamic::Var alive = result->get("alive");
    if (alive.type() == typeid(bool) && alive.extract<bool>()) {
      return Health::kAlive;
    }
  }
  return Health::kDead;
}

std::string StringField(const Object::Ptr& object, const std::string& key,
                        const std::string& fallback) {
  if (object->has(key) && object->get(key).isString()) {
    return object->getValue<std::string>(key);
  }
  return fallback;
}

// One task of the state, with the app it belongs to.
struct TaskRef {
  Object::Ptr app;
  Object::Ptr task;
};

// Tasks with a string "id", in state order, keyed by "<appId> <taskId>".
std::vector<std::pair<std::string, TaskRef>> IndexTasks(
    const Array::Ptr& apps) {
  std::vector<std::pair<std::string, TaskRef>> out;
  for (std::size_t i = 0; i < apps->size(); ++i) {
    const Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    const Array::Ptr tasks = app->getArray("tasks");
    if (tasks.isNull()) continue;
    for (std::size_t j = 0; j < tasks->size(); ++j) {
      const Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
      if (task.isNull() || !task->has("id") || !task->get("id").isString()) {
        continue;
      }
      out.push_back({AppId(app) + " " + task->getValue<std::string>("id"),
                     TaskRef{app, task}});
    }
  }
  return out;
}

// Where a task runs: its host, ports and IP addresses.  Marathon never
// moves a task; a test that does gets a status update for it.
std::string TaskPlacement(const Object::Ptr& task) {
  std::string out;
  for (const char* key : {"host", "ports", "ipAddresses"}) {
    out += task->has(key) ? CanonicalJson(task->get(key)) : "-";
    out += ' ';
  }
  return out;
}

Object::Ptr StatusUpdateEvent(const TaskRef& ref, const std::string& status,
                              const std::string& timestamp) {
  const Object::Ptr& task = ref.task;
  const std::string host = StringField(task, "host", "");
  Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  event->set("slaveId",
             StringField(task, "slaveId",
                         StringField(task, "agentId", "sim-agent-" + host)));
  event->set("taskId", task->getValue<std::string>("id"));
  event->set("taskStatus", status);
  event->set("message", "");
  event->set("appId", AppId(ref.app));
  event->set("host", host);
  if (task->isArray("ipAddresses")) {
    event->set("ipAddresses", task->getArray("ipAddresses"));
  }
  event->set("ports", task->isArray("ports") ? task->getArray("ports")
                                             : Array::Ptr(new Array));
  event->set(
      "version",
      StringField(task, "version", StringField(ref.app, "version", timestamp)));
  event->set("eventType", "status_update_event");
  event->set("timestamp", timestamp);
  return event;
}

// The events Marathon would publish for the change from `before` to `after`,
// in order.  `client_ip` goes into api_post_event.  Sets `*deployment_id`
// when the change is a deployment (anything but health changes).
std::vector<std::pair<std::string, Object::Ptr>> DiffEvents(
    const Array::Ptr& before, const Array::Ptr& after,
    const std::string& client_ip, std::string* deployment_id) {
  const std::string now = IsoNow();
  std::vector<std::pair<std::string, Object::Ptr>> api_posts, statuses, healths,
      terminated;
  Array::Ptr actions = new Array;
  std::set<std::string> apps_with_action;
  auto add_action = [&actions, &apps_with_action](const std::string& action,
                                                  const std::string& app) {
    apps_with_action.insert(app);
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("action", action);
    entry->set("app", app);
    actions->add(entry);
  };

  // App definitions.
  std::map<std::string, Object::Ptr> old_apps, new_apps;
  for (std::size_t i = 0; i < before->size(); ++i) {
    const Object::Ptr app = before->getObject(static_cast<unsigned>(i));
    old_apps.emplace(AppId(app), app);
  }
  for (std::size_t i = 0; i < after->size(); ++i) {
    const Object::Ptr app = after->getObject(static_cast<unsigned>(i));
    const std::string id = AppId(app);
    new_apps.emplace(id, app);
    const auto old = old_apps.find(id);
    const Object::Ptr definition = WithoutTasks(app);
    if (old != old_apps.end() &&
        CanonicalJson(WithoutTasks(old->second)) == CanonicalJson(definition)) {
      continue;
    }
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("clientIp", client_ip);
    event->set("uri", "/v2/apps" + id);
    event->set("appDefinition", definition);
    event->set("eventType", "api_post_event");
    event->set("timestamp", now);
    api_posts.emplace_back("api_post_event", event);
    add_action(
        old == old_apps.end() ? "StartApplication" : "RestartApplication", id);
  }
  for (std::size_t i = 0; i < before->size(); ++i) {
    const Object::Ptr app = before->getObject(static_cast<unsigned>(i));
    const std::string id = AppId(app);
    if (new_apps.count(id) > 0) continue;
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("appId", id);
    event->set("eventType", "app_terminated_event");
    event->set("timestamp", now);
    terminated.emplace_back("app_terminated_event", event);
    add_action("StopApplication", id);
  }

  // Tasks: started, changed state, killed; then health changes.
  const auto old_tasks = IndexTasks(before);
  const auto new_tasks = IndexTasks(after);
  std::map<std::string, TaskRef> old_by_key(old_tasks.begin(), old_tasks.end());
  std::set<std::string> new_keys;
  std::set<std::string> scaled_apps;
  for (const auto& [key, ref] : new_tasks) {
    new_keys.insert(key);
    const std::string state = StringField(ref.task, "state", "TASK_RUNNING");
    const auto old = old_by_key.find(key);
    if (old == old_by_key.end()) {
      statuses.emplace_back("status_update_event",
                            StatusUpdateEvent(ref, state, now));
      scaled_apps.insert(AppId(ref.app));
    } else if (StringField(old->second.task, "state", "TASK_RUNNING") !=
                   state ||
               TaskPlacement(old->second.task) != TaskPlacement(ref.task)) {
      statuses.emplace_back("status_update_event",
                            StatusUpdateEvent(ref, state, now));
    }
    const Health health = TaskHealth(ref.task);
    const Health old_health = old == old_by_key.end()
                                  ? Health::kUnknown
                                  : TaskHealth(old->second.task);
    if (health != Health::kUnknown && health != old_health) {
      Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      event->set("appId", AppId(ref.app));
      event->set("taskId", ref.task->getValue<std::string>("id"));
      event->set("version", StringField(ref.task, "version",
                                        StringField(ref.app, "version", now)));
      event->set("alive", health == Health::kAlive);
      event->set("eventType", "health_status_changed_event");
      event->set("timestamp", now);
      healths.emplace_back("health_status_changed_event", event);
    }
  }
  for (const auto& [key, ref] : old_tasks) {
    if (new_keys.count(key) > 0) continue;
    statuses.emplace_back("status_update_event",
                          StatusUpdateEvent(ref, "TASK_KILLED", now));
    scaled_apps.insert(AppId(ref.app));
  }
  for (const std::string& id : scaled_apps) {
    if (apps_with_action.count(id) == 0) add_action("ScaleApplication", id);
  }

  std::vector<std::pair<std::string, Object::Ptr>> events;
  const bool deployment = actions->size() > 0;
  Object::Ptr plan;
  if (deployment) {
    *deployment_id = NewUuid();
    Object::Ptr step = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    step->set("actions", actions);
    Array::Ptr steps = new Array;
    steps->add(step);
    plan = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    plan->set("id", *deployment_id);
    plan->set("steps", steps);
    plan->set("version", now);
    Object::Ptr info = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    info->set("plan", plan);
    info->set("currentStep", step);
    info->set("eventType", "deployment_info");
    info->set("timestamp", now);
    events.insert(events.end(), api_posts.begin(), api_posts.end());
    events.emplace_back("deployment_info", info);
  }
  events.insert(events.end(), statuses.begin(), statuses.end());
  events.insert(events.end(), healths.begin(), healths.end());
  events.insert(events.end(), terminated.begin(), terminated.end());
  if (deployment) {
    Object::Ptr success = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    success->set("id", *deployment_id);
    success->set("plan", plan);
    success->set("eventType", "deployment_success");
    success->set("timestamp", now);
    events.emplace_back("deployment_success", success);
  }
  return events;
}

}  // namespace

void StateTracker::Init() {
  std::lock_guard<std::mutex> lock(mu_);
  identity_ = store_.Stat();
  State state;
  std::string error;
  if (store_.Load(&state, &error)) {
    apps_ = state.apps;
  } else {
    LogLine(std::string(kProgram) + ": " + error);
  }
}

bool StateTracker::Replace(const std::string& text,
                           const std::string& client_ip, Change* change,
                           HTTPResponse::HTTPStatus* status,
                           std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  State next;
  if (!ParseState(text, "request body of POST /_sim/apps", &next, error)) {
    *status = HTTPResponse::HTTP_BAD_REQUEST;
    return false;
  }
  std::string write_error;
  if (!WriteFileAtomically(store_.path(), text, &write_error)) {
    *status = HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    *error =
        "cannot replace state file '" + store_.path() + "': " + write_error;
    return false;
  }
  identity_ = store_.Stat();
  *change = PublishChange(next.apps, client_ip);
  return true;
}

void StateTracker::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  const FileIdentity now = store_.Stat();
  if (now == identity_) return;
  identity_ = now;
  if (!now.exists) {
    LogLine(std::string(kProgram) + ": state file '" + store_.path() +
            "' disappeared; keeping the last state for events");
    return;
  }
  State next;
  std::string error;
  if (!store_.Load(&next, &error)) {
    LogLine(std::string(kProgram) + ": " + error +
            "; keeping the last state for events");
    return;
  }
  const Change change = PublishChange(next.apps, "127.0.0.1");
  if (change.events > 0) {
    LogLine(std::string(kProgram) + ": state file '" + store_.path() +
            "' changed: " + std::to_string(change.events) + " events");
  }
}

void StateTracker::StartWatching(int interval_ms) {
  if (interval_ms <= 0) return;
  watcher_ = std::thread([this, interval_ms] {
    std::unique_lock<std::mutex> lock(watch_mu_);
    while (!watch_stop_) {
      watch_cv_.wait_for(lock, Millis(interval_ms),
                         [this] { return watch_stop_; });
      if (watch_stop_) break;
      lock.unlock();
      Poll();
      lock.lock();
    }
  });
}

void StateTracker::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

StateTracker::Change StateTracker::PublishChange(const Array::Ptr& next,
                                                 const std::string& client_ip) {
  Change change;
  const auto events = DiffEvents(apps_, next, client_ip, &change.deployment_id);
  for (const auto& [type, event] : events) bus_.Publish(type, event);
  change.events = events.size();
  if (!events.empty()) ++stats_.state_changes;
  apps_ = next;
  return change;
}

}  // namespace mlb::tools::sim
