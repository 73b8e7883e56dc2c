#include "tools/marathon_sim/scheduler.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "tools/marathon_sim/context.h"
#include "tools/marathon_sim/endpoint.h"
#include "tools/marathon_sim/json.h"
#include "tools/marathon_sim/router.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {

constexpr Millis kTick(50);
constexpr char kStaging[] = "TASK_STAGING";
constexpr char kRunning[] = "TASK_RUNNING";
constexpr char kKilling[] = "TASK_KILLING";

// One task's HTTP server: 200 "<task id>\n" with X-Backend on every path.
class TaskServer {
 public:
  TaskServer(const std::string& address, const std::string& task_id)
      : socket_(Poco::Net::SocketAddress(address), 64),
        pool_("sim-task", 1, 4),
        server_(new Factory(task_id), pool_, socket_, Params()) {
    server_.start();
  }
  ~TaskServer() {
    server_.stopAll(true);
    pool_.joinAll();
  }
  TaskServer(const TaskServer&) = delete;
  TaskServer& operator=(const TaskServer&) = delete;

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::string id) : id_(std::move(id)) {}
    void handleRequest(HTTPServerRequest& request,
                       HTTPServerResponse& response) override {
      request.stream().ignore(1 << 20);
      const std::string body = id_ + "\n";
      response.setContentType("text/plain");
      response.set("X-Backend", id_);
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.sendBuffer(body.data(), body.size());
    }

   private:
    std::string id_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::string id) : id_(std::move(id)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const HTTPServerRequest&) override {
      return new Handler(id_);
    }

   private:
    std::string id_;
  };
  static Poco::Net::HTTPServerParams::Ptr Params() {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setMaxQueued(32);
    params->setKeepAlive(false);
    return params;
  }

  Poco::Net::ServerSocket socket_;
  Poco::ThreadPool pool_;
  Poco::Net::HTTPServer server_;
};

namespace {

std::string StringOf(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key) || !object->get(key).isString()) {
    return "";
  }
  return object->getValue<std::string>(key);
}

int InstancesOf(const Object::Ptr& app) {
  if (!app->has("instances") || !app->get("instances").isNumeric()) {
    return 0;
  }
  return app->get("instances").convert<int>();
}

Array::Ptr TasksOf(Object::Ptr app) {
  if (!app->isArray("tasks")) {
    app->set("tasks", Array::Ptr(new Array));
  }
  return app->getArray("tasks");
}

// "host:port" of a task's first port; "" without one.
std::string AddressOf(const Object::Ptr& task) {
  Array::Ptr ports = task->getArray("ports");
  if (ports.isNull() || ports->size() == 0) {
    return "";
  }
  return StringOf(task, "host") + ":" + ports->get(0).toString();
}

Object::Ptr Message(const std::string& text) {
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("message", text);
  return body;
}

Object::Ptr DeploymentReply(const std::string& deployment) {
  Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  body->set("version", IsoNow());
  body->set("deploymentId", deployment);
  return body;
}

Object::Ptr ParseBody(const std::string& text, const std::string& what,
                      std::string* error) {
  Poco::Dynamic::Var root;
  if (!ParseJson(text, what, &root, error)) {
    return nullptr;
  }
  if (root.type() != typeid(Object::Ptr)) {
    *error = what + ": expected a JSON object";
    return nullptr;
  }
  return root.extract<Object::Ptr>();
}

Object::Ptr FindApp(Array::Ptr apps, const std::string& id,
                    std::size_t* index = nullptr) {
  for (std::size_t i = 0; i < apps->size(); ++i) {
    Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    if (AppId(app) == id) {
      if (index != nullptr) *index = i;
      return app;
    }
  }
  return nullptr;
}

void TouchScaling(Object::Ptr app) {
  Object::Ptr info = app->getObject("versionInfo");
  if (info.isNull()) {
    info = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    info->set("lastConfigChangeAt", IsoNow());
  }
  info->set("lastScalingAt", IsoNow());
  app->set("versionInfo", info);
  app->set("version", IsoNow());
}

}  // namespace

Scheduler::Scheduler(SimContext& context, SchedulerOptions options)
    : context_(context), options_(std::move(options)) {
  free_.insert(options_.task_ports.begin(), options_.task_ports.end());
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string error;
    Array::Ptr apps = LoadApps(&error);
    if (!apps.isNull()) {
      for (std::size_t i = 0; i < apps->size(); ++i) {
        Array::Ptr tasks = TasksOf(apps->getObject(static_cast<unsigned>(i)));
        for (std::size_t j = 0; j < tasks->size(); ++j) {
          Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
          const std::string address = AddressOf(task);
          const std::string id = StringOf(task, "id");
          if (free_.count(address) == 0 || id.empty()) continue;
          free_.erase(address);
          task_address_[id] = address;
          if (StringOf(task, "state") == kStaging) continue;  // on its timer
          try {
            servers_[id] = std::make_unique<TaskServer>(address, id);
          } catch (const Poco::Exception& e) {
            LogLine(std::string(kProgram) + ": task " + id + " on " + address +
                    ": " + e.displayText());
          }
        }
      }
      if (Reconcile(apps)) Write(apps, "127.0.0.1", &error);
    }
  }
  clock_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(clock_mu_);
    while (!stop_) {
      clock_cv_.wait_for(lock, kTick, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      Tick();
      lock.lock();
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    stop_ = true;
  }
  clock_cv_.notify_all();
  if (clock_.joinable()) clock_.join();
  std::lock_guard<std::mutex> lock(mu_);
  servers_.clear();
}

void Scheduler::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string error;
  Array::Ptr apps = LoadApps(&error);
  if (apps.isNull()) return;
  if (Reconcile(apps) && !Write(apps, "127.0.0.1", &error)) {
    LogLine(std::string(kProgram) + ": scheduler: " + error);
  }
}

Array::Ptr Scheduler::LoadApps(std::string* error) {
  State state;
  if (!context_.state.Load(&state, error)) return nullptr;
  return state.apps;
}

bool Scheduler::Write(Array::Ptr apps, const std::string& client,
                      std::string* error) {
  Object::Ptr root = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  root->set("apps", apps);
  StateTracker::Change change;
  HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK;
  return context_.tracker.Replace(ToJson(root), client, &change, &status,
                                  error);
}

bool Scheduler::Reconcile(Array::Ptr apps) {
  const auto now = SteadyClock::now();
  bool changed = false;
  for (std::size_t i = apps->size(); i-- > 0;) {
    Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    const std::string app_id = AppId(app);
    Array::Ptr tasks = TasksOf(app);
    const bool checked = app->isArray("healthChecks") &&
                         app->getArray("healthChecks")->size() > 0;
    int live = 0;
    bool busy = false;
    for (std::size_t j = tasks->size(); j-- > 0;) {
      Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
      const std::string id = StringOf(task, "id");
      const std::string state = StringOf(task, "state");
      if (state != kStaging && state != kKilling) {
        ++live;
        continue;
      }
      auto timer = timers_.find(id);
      if (timer == timers_.end()) {
        const int ms =
            state == kStaging ? options_.task_start_ms : options_.kill_grace_ms;
        timer = timers_.emplace(id, Timer{now + Millis(ms)}).first;
      }
      if (timer->second.due > now) {
        busy = true;
        live += state == kStaging ? 1 : 0;
        continue;
      }
      changed = true;
      if (state == kKilling) {
        timers_.erase(timer);
        servers_.erase(id);
        if (auto at = task_address_.find(id); at != task_address_.end()) {
          free_.insert(at->second);
          task_address_.erase(at);
        }
        tasks->remove(static_cast<unsigned>(j));
        continue;
      }
      // Staged long enough: listening, running and healthy.
      ++live;
      if (auto at = task_address_.find(id); at != task_address_.end()) {
        try {
          servers_[id] = std::make_unique<TaskServer>(at->second, id);
        } catch (const Poco::Exception& e) {
          LogLine(std::string(kProgram) + ": task " + id +
                  " cannot listen on " + at->second + ": " + e.displayText() +
                  "; retrying");
          timer->second.due = now + Millis(options_.task_start_ms);
          busy = true;
          continue;
        }
      }
      timers_.erase(timer);
      task->set("state", std::string(kRunning));
      task->set("startedAt", IsoNow());
      if (checked) {
        Object::Ptr result = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        result->set("alive", true);
        result->set("consecutiveFailures", 0);
        result->set("firstSuccess", IsoNow());
        result->set("lastSuccess", IsoNow());
        result->set("taskId", id);
        Array::Ptr results = new Array;
        results->add(result);
        task->set("healthCheckResults", results);
      }
    }
    if (deleted_.count(app_id) > 0 && tasks->size() == 0) {
      apps->remove(static_cast<unsigned>(i));
      deleted_.erase(app_id);
      deployment_ids_.erase(app_id);
      changed = true;
      continue;
    }
    // An app of the state file without "instances" is left as it is.
    const int instances = app->has("instances") ? InstancesOf(app) : live;
    while (live < instances && !free_.empty()) {
      const std::string address = *free_.begin();
      free_.erase(free_.begin());
      std::string prefix = app_id.substr(1);
      std::replace(prefix.begin(), prefix.end(), '/', '_');
      const std::string id = prefix + "." + std::to_string(++next_task_) + "-" +
                             NewUuid().substr(0, 8);
      task_address_[id] = address;
      timers_[id] = Timer{now + Millis(options_.task_start_ms)};
      const std::size_t colon = address.rfind(':');
      Object::Ptr task = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      task->set("id", id);
      task->set("appId", app_id);
      task->set("host", address.substr(0, colon));
      Array::Ptr ports = new Array;
      ports->add(std::stoi(address.substr(colon + 1)));
      task->set("ports", ports);
      task->set("state", std::string(kStaging));
      task->set("stagedAt", IsoNow());
      task->set("version", StringOf(app, "version"));
      tasks->add(task);
      ++live;
      busy = true;
      changed = true;
    }
    busy = busy || live < instances;
    // Too many: the newest go first.
    for (std::size_t j = tasks->size(); live > instances && j-- > 0;) {
      Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
      if (StringOf(task, "state") == kKilling) continue;
      task->set("state", std::string(kKilling));
      timers_[StringOf(task, "id")] =
          Timer{now + Millis(options_.kill_grace_ms)};
      --live;
      busy = true;
      changed = true;
    }
    Array::Ptr deployments = new Array;
    if (busy) {
      std::string& deployment = deployment_ids_[app_id];
      if (deployment.empty()) deployment = NewUuid();
      Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      entry->set("id", deployment);
      deployments->add(entry);
    } else {
      deployment_ids_.erase(app_id);
    }
    if (!app->isArray("deployments") ||
        ToJson(app->getArray("deployments")) != ToJson(deployments)) {
      app->set("deployments", deployments);
      changed = true;
    }
  }
  return changed;
}

SchedulerReply Scheduler::CreateApp(const std::string& body,
                                    const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string error;
  Object::Ptr app = ParseBody(body, "request body of POST /v2/apps", &error);
  if (app.isNull()) return {422, Message(error)};
  std::string id = StringOf(app, "id");
  if (id.empty()) return {422, Message("the app needs a string \"id\"")};
  if (id[0] != '/') id = "/" + id;
  app->set("id", id);
  Array::Ptr apps = LoadApps(&error);
  if (apps.isNull()) return {500, Message(error)};
  if (!FindApp(apps, id).isNull()) {
    return {409, Message("An app with id [" + id + "] already exists.")};
  }
  if (!app->has("instances")) app->set("instances", 1);
  app->remove("tasks");
  Array::Ptr ports = ServicePorts(app);
  if (ports->size() > 0) app->set("ports", ports);
  TouchScaling(app);
  app->set("tasks", Array::Ptr(new Array));
  apps->add(app);
  Reconcile(apps);
  if (!Write(apps, client, &error)) return {500, Message(error)};
  Object::Ptr reply = WithoutTasks(app);
  return {201, reply};
}

SchedulerReply Scheduler::UpdateApp(const std::string& id,
                                    const std::string& body, bool force,
                                    const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string error;
  Object::Ptr update =
      ParseBody(body, "request body of PUT /v2/apps" + id, &error);
  if (update.isNull()) return {422, Message(error)};
  Array::Ptr apps = LoadApps(&error);
  if (apps.isNull()) return {500, Message(error)};
  Object::Ptr app = FindApp(apps, id);
  if (app.isNull() || deleted_.count(id) > 0) {
    return {404, Message("App '" + id + "' does not exist")};
  }
  if (!force && app->isArray("deployments") &&
      app->getArray("deployments")->size() > 0) {
    Object::Ptr reply = Message(
        "App is locked by one or more deployments. Override with the option "
        "'?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
    reply->set("deployments", app->getArray("deployments"));
    return {409, reply};
  }
  std::vector<std::string> names;
  update->getNames(names);
  for (const std::string& name : names) {
    if (name != "id" && name != "tasks") app->set(name, update->get(name));
  }
  TouchScaling(app);
  Reconcile(apps);
  if (!Write(apps, client, &error)) return {500, Message(error)};
  return {200,
          DeploymentReply(deployment_ids_[id].empty() ? NewUuid()
                                                      : deployment_ids_[id])};
}

SchedulerReply Scheduler::KillTasks(const std::string& body, bool scale,
                                    const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string error;
  Object::Ptr request =
      ParseBody(body, "request body of POST /v2/tasks/delete", &error);
  if (request.isNull() || !request->isArray("ids")) {
    return {422, Message(error.empty() ? "expected {\"ids\": [...]}" : error)};
  }
  Array::Ptr apps = LoadApps(&error);
  if (apps.isNull()) return {500, Message(error)};
  std::set<std::string> ids;
  Array::Ptr list = request->getArray("ids");
  for (std::size_t i = 0; i < list->size(); ++i) {
    ids.insert(list->get(static_cast<unsigned>(i)).toString());
  }
  const auto now = SteadyClock::now();
  Array::Ptr killed = new Array;
  for (std::size_t i = 0; i < apps->size(); ++i) {
    Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
    Array::Ptr tasks = TasksOf(app);
    int count = 0;
    for (std::size_t j = 0; j < tasks->size(); ++j) {
      Object::Ptr task = tasks->getObject(static_cast<unsigned>(j));
      const std::string id = StringOf(task, "id");
      if (ids.count(id) == 0 || StringOf(task, "state") == kKilling) continue;
      task->set("state", std::string(kKilling));
      timers_[id] = Timer{now + Millis(options_.kill_grace_ms)};
      killed->add(task);
      ++count;
    }
    if (scale && count > 0) {
      app->set("instances", std::max(0, InstancesOf(app) - count));
      TouchScaling(app);
    }
  }
  Reconcile(apps);
  if (!Write(apps, client, &error)) return {500, Message(error)};
  if (!scale) {
    Object::Ptr reply = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    reply->set("tasks", killed);
    return {200, reply};
  }
  return {200, DeploymentReply(NewUuid())};
}

SchedulerReply Scheduler::DeleteApp(const std::string& id,
                                    const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string error;
  Array::Ptr apps = LoadApps(&error);
  if (apps.isNull()) return {500, Message(error)};
  Object::Ptr app = FindApp(apps, id);
  if (app.isNull() || deleted_.count(id) > 0) {
    return {404, Message("App '" + id + "' does not exist")};
  }
  deleted_.insert(id);
  app->set("instances", 0);
  TouchScaling(app);
  Reconcile(apps);
  if (!Write(apps, client, &error)) return {500, Message(error)};
  return {200, DeploymentReply(NewUuid())};
}

namespace {

// An endpoint that hands the request to one scheduler call.
class SchedulerEndpoint : public Endpoint {
 public:
  using Action = std::function<SchedulerReply(
      Scheduler&, const std::string& method, const RouteMatch&,
      const std::string& body, const std::string& client)>;

  SchedulerEndpoint(SimContext& context, RouteMatch match, Scheduler* scheduler,
                    Action action)
      : Endpoint(context, std::move(match)),
        scheduler_(scheduler),
        action_(std::move(action)) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    std::string body;
    if (!ReadBody(request, response, &body)) return;
    const SchedulerReply reply =
        action_(*scheduler_, request.getMethod(), match(), body,
                request.clientAddress().host().toString());
    SendJson(request, response,
             static_cast<HTTPResponse::HTTPStatus>(reply.status), reply.body);
  }

 private:
  Scheduler* scheduler_;
  Action action_;
};

Router::Factory Route(Scheduler* scheduler, SchedulerEndpoint::Action action) {
  return [scheduler, action](SimContext& context, RouteMatch match) {
    return new SchedulerEndpoint(context, std::move(match), scheduler, action);
  };
}

bool QueryTrue(const RouteMatch& match, const std::string& key) {
  for (const auto& [k, value] : match.query) {
    if (k == key) return value == "true" || value == "1";
  }
  return false;
}

}  // namespace

void AddSchedulerRoutes(Router* router, Scheduler* scheduler) {
  router->AddExact(
      "/v2/apps", {"POST"},
      Route(scheduler, [](Scheduler& s, const std::string&, const RouteMatch&,
                          const std::string& body, const std::string& client) {
        return s.CreateApp(body, client);
      }));
  router->AddPrefix(
      "/v2/apps", "/v2/apps/<id>", {"PUT", "DELETE"},
      Route(scheduler,
            [](Scheduler& s, const std::string& method, const RouteMatch& match,
               const std::string& body, const std::string& client) {
              return method == "DELETE"
                         ? s.DeleteApp(match.rest, client)
                         : s.UpdateApp(match.rest, body,
                                       QueryTrue(match, "force"), client);
            }));
  router->AddExact(
      "/v2/tasks/delete", {"POST"},
      Route(scheduler,
            [](Scheduler& s, const std::string&, const RouteMatch& match,
               const std::string& body, const std::string& client) {
              return s.KillTasks(body, QueryTrue(match, "scale"), client);
            }));
}

}  // namespace mlb::tools::sim
