// Marathon's apps kept between two full fetches and brought up to date by
// Marathon's events (issue 14 item 2), so that a task that starts, dies or
// changes health costs no refetch of every app.
//
//   status_update_event           the task is added or updated with its
//                                 state, host, ports and IP addresses; a
//                                 terminal state (Marathon forgets the task)
//                                 removes it
//   health_status_changed_event   the task's one health result (an app with
//                                 several checks is fetched again: the event
//                                 says which check only by version)
//   app_terminated_event          the app is removed
//   api_post_event                the app is fetched again (its definition
//                                 changed: labels, ports, checks)
// An event about an app the model does not know, or that it cannot apply by
// itself, asks for that app to be fetched (GET /v2/apps/<id>?embed=app.tasks)
// and Put() or Removed. A full fetch (first start, reconnect, resync
// interval) replaces everything (Reset), and Differences() tells what the
// events had got wrong.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/marathon/apps.h"

namespace mlb {

// The fields of one Marathon event that the model reads.
struct MarathonEvent {
  std::string type;  // eventType
  std::string app_id;
  std::string task_id;
  std::string task_status;  // status_update_event: "TASK_RUNNING", ...
  std::string host;
  std::vector<int> ports;
  std::vector<std::string> ip_addresses;  // ipAddresses[].ipAddress
  std::optional<bool> alive;  // health_status_changed_event
};

// Reads `document` (one event's JSON). Error: not a JSON object, or a field
// the event's type needs is missing or of the wrong type (named).
Status ParseMarathonEvent(const std::string& document, MarathonEvent* out);

// Whether Marathon forgets a task in `state` (it is no longer listed).
bool IsTerminalTaskState(const std::string& state);

class AppModel {
 public:
  enum class Outcome {
    kApplied,   // the model changed, or needed no change
    kFetchApp,  // fetch event.app_id and Put() it (Remove() if gone)
  };

  // After a full fetch: these apps, in Marathon's order; the model is valid.
  void Reset(std::vector<App> apps);
  // Until the next Reset, the model is not to be used (an event could not be
  // applied and its app not fetched).
  void Invalidate() { valid_ = false; }
  bool valid() const { return valid_; }

  Outcome Apply(const MarathonEvent& event);
  // Replaces the app of the same id, or appends it.
  void Put(App app);
  void Remove(const std::string& app_id);

  const std::vector<App>& apps() const { return apps_; }
  // The app `app_id`, or null.
  const App* Get(const std::string& app_id) const;
  // The ids of the apps that differ between the model and `fetched` (added,
  // removed or changed), in order: what the events got wrong.
  std::vector<std::string> Differences(const std::vector<App>& fetched) const;

 private:
  App* Find(const std::string& app_id);

  std::vector<App> apps_;
  std::unordered_map<std::string, size_t> index_;  // id -> position
  bool valid_ = false;
};

}  // namespace mlb
