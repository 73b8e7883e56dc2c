// marathon-sim's scheduler mode (--task-ports): the simulator acts as
// Marathon does for deployments, so that `marathon-lb zdd` can drive it.
//
//   POST   /v2/apps                   create an app (409 if it exists)
//   PUT    /v2/apps/<id>              {"instances": n}: scale (409 while the
//                                     app has a deployment, unless
//                                     ?force=true)
//   POST   /v2/tasks/delete[?scale=true]  {"ids": [...]}: kill tasks
//   DELETE /v2/apps/<id>              kill every task, then the app is gone
//
// Tasks are real HTTP servers run by the simulator itself on addresses of
// the --task-ports pool: a new task takes a free address and is
// TASK_STAGING for --task-start-ms, then TASK_RUNNING, listening and (when
// the app has health checks) alive; it answers every request with 200, body
// "<task id>\n" and the header X-Backend: <task id>. A killed task is
// TASK_KILLING for --kill-grace-ms (still serving), then TASK_KILLED: its
// server stops, aborting open connections, the task leaves the app and its
// address goes back to the pool. An app has "deployments" while its tasks
// are starting or being killed, or its task count is not its "instances".
// Tasks of the state file that sit on pool addresses are served too.
//
// Every change goes through the state tracker, so the state file stays the
// source of truth and the events (status_update_event, api_post_event,
// deployment_info/deployment_success) are those of any other change.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

class Router;
struct SimContext;

struct SchedulerOptions {
  std::vector<std::string> task_ports;  // "127.0.0.1:PORT"
  int task_start_ms = 300;
  int kill_grace_ms = 500;
};

// What an endpoint answers.
struct SchedulerReply {
  int status = 200;
  Object::Ptr body;
};

class TaskServer;

class Scheduler {
 public:
  Scheduler(SimContext& context, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Serves the state's tasks on pool addresses and starts the clock.
  void Start();
  void Stop();

  SchedulerReply CreateApp(const std::string& body, const std::string& client);
  SchedulerReply UpdateApp(const std::string& id, const std::string& body,
                           bool force, const std::string& client);
  SchedulerReply KillTasks(const std::string& body, bool scale,
                           const std::string& client);
  SchedulerReply DeleteApp(const std::string& id, const std::string& client);

 private:
  struct Timer {
    SteadyClock::time_point due;
  };

  // Requires mu_. Moves every app of `apps` one step towards its
  // instances; true if anything changed.
  bool Reconcile(Array::Ptr apps);
  // Requires mu_. Writes `apps` as the new state (publishing its events).
  bool Write(Array::Ptr apps, const std::string& client, std::string* error);
  // Requires mu_. Loads the state's apps; null on failure (*error set).
  Array::Ptr LoadApps(std::string* error);
  void Tick();

  SimContext& context_;
  const SchedulerOptions options_;
  std::mutex mu_;
  std::set<std::string> free_;                                  // addresses
  std::map<std::string, std::unique_ptr<TaskServer>> servers_;  // by task
  std::map<std::string, std::string> task_address_;             // task -> addr
  std::map<std::string, Timer> timers_;                         // by task id
  std::map<std::string, std::string> deployment_ids_;           // by app id
  std::set<std::string> deleted_;                               // app ids
  long long next_task_ = 0;

  std::thread clock_;
  std::mutex clock_mu_;
  std::condition_variable clock_cv_;
  bool stop_ = false;
};

// The routes of the scheduler's endpoints, added before Marathon's so that
// they take the methods they handle on the same paths.
void AddSchedulerRoutes(Router* router, Scheduler* scheduler);

}  // namespace mlb::tools::sim
