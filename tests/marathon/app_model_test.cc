// AppModel: Marathon's apps kept up to date by its events. The property
// test drives a simulated Marathon through 10,000 random changes, applies
// only the events Marathon would send (fetching an app where the model asks
// for it), and checks that the model equals Marathon's state.
#include "core/marathon/app_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace mlb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseMarathonEventTest, ReadsTheFieldsOfEachType) {
  MarathonEvent e;
  ASSERT_TRUE(ParseMarathonEvent(
                  R"({"eventType":"status_update_event","appId":"/web",)"
                  R"("taskId":"web.1","taskStatus":"TASK_RUNNING",)"
                  R"("host":"agent1","ports":[31000,31001],)"
                  R"("ipAddresses":[{"ipAddress":"10.0.0.1","protocol":"IPv4"}]})",
                  &e)
                  .ok());
  EXPECT_EQ(e.type, "status_update_event");
  EXPECT_EQ(e.app_id, "/web");
  EXPECT_EQ(e.task_id, "web.1");
  EXPECT_EQ(e.task_status, "TASK_RUNNING");
  EXPECT_EQ(e.host, "agent1");
  EXPECT_THAT(e.ports, ElementsAre(31000, 31001));
  EXPECT_THAT(e.ip_addresses, ElementsAre("10.0.0.1"));

  ASSERT_TRUE(ParseMarathonEvent(
                  R"({"eventType":"health_status_changed_event",)"
                  R"("appId":"/web","taskId":"web.1","alive":false})",
                  &e)
                  .ok());
  EXPECT_EQ(e.alive, std::optional<bool>(false));
  ASSERT_TRUE(ParseMarathonEvent(
                  R"({"eventType":"api_post_event","appDefinition":{"id":"/x"}})",
                  &e)
                  .ok());
  EXPECT_EQ(e.app_id, "/x");
}

TEST(ParseMarathonEventTest, AMissingFieldIsNamed) {
  MarathonEvent e;
  EXPECT_EQ(ParseMarathonEvent(
                R"({"eventType":"status_update_event","appId":"/web"})", &e)
                .message(),
            "event: no \"taskId\" string");
  EXPECT_EQ(ParseMarathonEvent(
                R"({"eventType":"status_update_event","appId":"/web",)"
                R"("taskId":"t","taskStatus":"TASK_RUNNING","ports":["x"]})",
                &e)
                .message(),
            "event: ports[0] is not an integer");
  EXPECT_EQ(ParseMarathonEvent(
                R"({"eventType":"health_status_changed_event",)"
                R"("appId":"/web","taskId":"t"})",
                &e)
                .message(),
            "event: no \"alive\" boolean");
  EXPECT_EQ(ParseMarathonEvent("[1]", &e).message(),
            "event: not a JSON object");
}

// A Marathon that changes at random and says so with the events the real
// one sends.
class RandomMarathon {
 public:
  explicit RandomMarathon(uint32_t seed) : rng_(seed) {
    for (int i = 0; i < 20; ++i) {
      NewApp();
    }
  }

  std::vector<App> Apps() const {
    std::vector<App> out;
    for (const auto& [id, app] : apps_) {
      out.push_back(app);
    }
    return out;
  }
  const App* Find(const std::string& id) const {
    const auto it = apps_.find(id);
    return it == apps_.end() ? nullptr : &it->second;
  }

  // One change; its events (usually one).
  std::vector<MarathonEvent> Step() {
    std::vector<MarathonEvent> events;
    const int what = Pick(100);
    App* app = apps_.empty() ? nullptr : &RandomApp();
    if (app == nullptr || what < 3) {
      events.push_back(ApiPost(NewApp()));
    } else if (what < 35) {
      events.push_back(StartTask(app));
    } else if (what < 55 && !app->tasks.empty()) {
      // A kill: TASK_KILLING during the grace period, later TASK_KILLED.
      Task& task = app->tasks[Pick(app->tasks.size())];
      task.state = "TASK_KILLING";
      events.push_back(Status(*app, task));
      if (Pick(2) == 0) {
        task.state = "TASK_KILLED";
        events.push_back(Status(*app, task));
        Erase(app, task.id);
      }
    } else if (what < 62 && !app->tasks.empty()) {
      Task& task = app->tasks[Pick(app->tasks.size())];
      task.state = Pick(2) ? "TASK_FAILED" : "TASK_UNREACHABLE";
      events.push_back(Status(*app, task));
      if (task.state == "TASK_FAILED") {
        Erase(app, task.id);
      }
    } else if (what < 85 && !app->tasks.empty()) {
      // A health result.
      Task& task = app->tasks[Pick(app->tasks.size())];
      const bool alive = Pick(2) == 0;
      if (app->health_checks.size() == 1) {
        task.health_alive = std::vector<bool>{alive};
      } else if (app->health_checks.size() == 2) {
        std::vector<bool> results = task.health_alive.value_or(
            std::vector<bool>{false, false});
        results.resize(2);
        results[Pick(2)] = alive;
        task.health_alive = results;
      }
      MarathonEvent e;
      e.type = "health_status_changed_event";
      e.app_id = app->id;
      e.task_id = task.id;
      e.alive = alive;
      events.push_back(e);
    } else if (what < 92) {
      app->labels["HAPROXY_0_VHOST"] = "v" + std::to_string(Pick(1000));
      events.push_back(ApiPost(app->id));
    } else if (what < 96) {
      MarathonEvent e;
      e.type = "app_terminated_event";
      e.app_id = app->id;
      apps_.erase(app->id);
      events.push_back(e);
    } else {
      MarathonEvent e;
      e.type = "deployment_info";
      events.push_back(e);
    }
    return events;
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  App& RandomApp() {
    auto it = apps_.begin();
    std::advance(it, static_cast<long>(Pick(apps_.size())));
    return it->second;
  }

  std::string NewApp() {
    App app;
    app.id = "/app-" + std::to_string(next_app_++);
    app.service_ports = {10000 + next_app_};
    app.labels["HAPROXY_GROUP"] = "external";
    app.health_checks.resize(Pick(3));  // none, one or two
    for (auto& check : app.health_checks) {
      check = HealthCheck();
      check->protocol = "HTTP";
    }
    const std::string id = app.id;
    apps_[id] = std::move(app);
    for (int i = Pick(4); i > 0; --i) {
      StartTask(&apps_[id]);
    }
    return id;
  }

  MarathonEvent StartTask(App* app) {
    Task task;
    task.id = app->id.substr(1) + "." + std::to_string(next_task_++);
    task.host = "agent" + std::to_string(Pick(5));
    task.ports = {31000 + static_cast<int>(Pick(1000))};
    task.state = "TASK_RUNNING";
    if (Pick(4) == 0) {
      task.ip_addresses = {"10.1.0." + std::to_string(Pick(250))};
    }
    app->tasks.push_back(task);
    return Status(*app, task);
  }

  static MarathonEvent Status(const App& app, const Task& task) {
    MarathonEvent e;
    e.type = "status_update_event";
    e.app_id = app.id;
    e.task_id = task.id;
    e.task_status = task.state;
    e.host = task.host;
    e.ports = task.ports;
    e.ip_addresses = task.ip_addresses;
    return e;
  }

  static MarathonEvent ApiPost(const std::string& id) {
    MarathonEvent e;
    e.type = "api_post_event";
    e.app_id = id;
    return e;
  }

  static void Erase(App* app, const std::string& task_id) {
    app->tasks.erase(std::remove_if(app->tasks.begin(), app->tasks.end(),
                                    [&](const Task& t) {
                                      return t.id == task_id;
                                    }),
                     app->tasks.end());
  }

  std::mt19937 rng_;
  std::map<std::string, App> apps_;
  int next_app_ = 1;
  int next_task_ = 1;
};

TEST(AppModelTest, TenThousandRandomEventsLeaveTheModelEqualToAFullFetch) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    RandomMarathon marathon(seed);
    AppModel model;
    model.Reset(marathon.Apps());
    int fetches = 0;
    for (int i = 1; i <= 10000; ++i) {
      for (const MarathonEvent& event : marathon.Step()) {
        if (model.Apply(event) == AppModel::Outcome::kFetchApp) {
          ++fetches;
          const App* app = marathon.Find(event.app_id);
          if (app != nullptr) {
            model.Put(*app);
          } else {
            model.Remove(event.app_id);
          }
        }
      }
      if (i % 1000 == 0) {
        ASSERT_THAT(model.Differences(marathon.Apps()), IsEmpty())
            << "seed " << seed << ", after " << i << " changes";
      }
    }
    // Most events are applied without asking Marathon.
    EXPECT_LT(fetches, 10000 / 4) << "seed " << seed;
  }
}

TEST(AppModelTest, DifferencesNameWhatTheEventsGotWrong) {
  RandomMarathon marathon(7);
  AppModel model;
  model.Reset(marathon.Apps());
  std::vector<App> truth = marathon.Apps();
  truth[1].tasks.clear();
  truth[1].tasks.push_back(Task());
  const std::string gone = truth[2].id;
  truth.erase(truth.begin() + 2);
  App extra;
  extra.id = "/extra";
  truth.push_back(extra);
  EXPECT_THAT(model.Differences(truth),
              ElementsAre(truth[1].id, "/extra", gone));
}

}  // namespace
}  // namespace mlb
