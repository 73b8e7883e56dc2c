// The deployment loop against a fake Marathon and fake marathon-lbs: the
// whole swap (kill what is drained, grow the new colour, delete the old
// app), the exit codes, and the safety rule: with a load balancer that does
// not answer, or sessions still on an old task, nothing is killed and zdd
// ends with exit 5 after --max-wait.
#include "core/zdd/deployer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace mlb::zdd {
namespace {

using mlb::testing::TempDir;

// Apps by id; records every change asked for.
class FakeMarathon : public MarathonApi {
 public:
  Outcome ListApps(std::vector<Object::Ptr>* apps) override {
    apps->clear();
    for (const auto& [id, app] : apps_) {
      apps->push_back(DeepCopy(app));
    }
    return Outcome::Ok();
  }
  Outcome GetApp(const std::string& id, Object::Ptr* app) override {
    const auto it = apps_.find(id);
    *app = it == apps_.end() ? nullptr : DeepCopy(it->second);
    return Outcome::Ok();
  }
  Outcome CreateApp(const Object::Ptr& app) override {
    calls.push_back("create " + StringMember(app, "id").value_or(""));
    Object::Ptr copy = DeepCopy(app);
    copy->set("tasks", Array::Ptr(new Array));
    apps_[StringMember(app, "id").value_or("")] = copy;
    Resize(copy, static_cast<int>(IntMember(copy, "instances").value_or(0)));
    return Outcome::Ok();
  }
  Outcome ScaleApp(const std::string& id, int instances) override {
    calls.push_back("scale " + id + " " + std::to_string(instances));
    apps_[id]->set("instances", instances);
    Resize(apps_[id], instances);
    return Outcome::Ok();
  }
  Outcome KillTasks(const std::vector<std::string>& ids) override {
    std::string call = "kill";
    for (const std::string& id : ids) {
      call += " " + id;
    }
    calls.push_back(call);
    for (auto& [app_id, app] : apps_) {
      Array::Ptr tasks = app->getArray("tasks");
      for (size_t i = tasks->size(); i-- > 0;) {
        const std::string task =
            StringMember(tasks->getObject(static_cast<unsigned>(i)), "id")
                .value_or("");
        if (std::find(ids.begin(), ids.end(), task) != ids.end()) {
          tasks->remove(static_cast<unsigned>(i));
          app->set(
              "instances",
              static_cast<int>(IntMember(app, "instances").value_or(0)) - 1);
        }
      }
    }
    return Outcome::Ok();
  }
  Outcome DeleteApp(const std::string& id) override {
    calls.push_back("delete " + id);
    apps_.erase(id);
    return Outcome::Ok();
  }

  void Add(const std::string& json) {
    Object::Ptr app;
    ASSERT_TRUE(ParseObject(json, "app", &app).ok());
    apps_[StringMember(app, "id").value_or("")] = app;
  }

  // Tasks "<colour>-<n>" on host 10.0.0.1, port 1000 + n (blue) or 2000 + n.
  void Resize(Object::Ptr app, int instances) {
    Array::Ptr tasks = app->getArray("tasks");
    const std::string id = StringMember(app, "id").value_or("");
    const bool blue = id.find("blue") != std::string::npos;
    while (static_cast<int>(tasks->size()) < instances) {
      const int n = ++started_;
      Object::Ptr task = new Object;
      task->set("id",
                std::string(blue ? "blue-" : "green-") + std::to_string(n));
      task->set("host", std::string("10.0.0.1"));
      Array::Ptr ports = new Array;
      ports->add((blue ? 1000 : 2000) + n);
      task->set("ports", ports);
      tasks->add(task);
    }
  }

  std::map<std::string, Object::Ptr> apps_;
  std::vector<std::string> calls;
  int started_ = 0;
};

// Load balancers that drain as marathon-lb does: all tasks of the group as
// servers, the first k old ones (by id) in maintenance, k = min(old tasks,
// new instances, new + old - target).
class FakeLbs : public LbProbe {
 public:
  explicit FakeLbs(FakeMarathon* marathon) : marathon_(marathon) {}

  std::vector<LbView> Observe() override {
    std::string csv = "# pxname,svname,qcur,scur,status\n";
    Object::Ptr old_app = marathon_->apps_.count("/web-green")
                              ? marathon_->apps_["/web-green"]
                              : nullptr;
    Object::Ptr new_app = marathon_->apps_["/web-blue"];
    const int new_n = static_cast<int>(new_app->getArray("tasks")->size());
    std::vector<std::string> old_servers;
    if (!old_app.isNull()) {
      Array::Ptr tasks = old_app->getArray("tasks");
      for (size_t i = 0; i < tasks->size(); ++i) {
        const Object::Ptr task = tasks->getObject(static_cast<unsigned>(i));
        old_servers.push_back("10_0_0_1_" +
                              task->getArray("ports")->get(0).toString());
      }
    }
    std::sort(old_servers.begin(), old_servers.end());
    const int old_n = static_cast<int>(old_servers.size());
    const int k = std::max(0, std::min({old_n, new_n, new_n + old_n - 3}));
    for (int i = 0; i < old_n; ++i) {
      const bool maint = i < k;
      csv += "web_80," + old_servers[i] + ",0," +
             std::to_string(maint ? sessions_on_maint : 0) + "," +
             (maint ? "MAINT" : "UP") + "\n";
    }
    Array::Ptr tasks = new_app->getArray("tasks");
    for (size_t i = 0; i < tasks->size(); ++i) {
      csv += "web_80,10_0_0_1_" +
             tasks->getObject(static_cast<unsigned>(i))
                 ->getArray("ports")
                 ->get(0)
                 .toString() +
             ",0,0,UP\n";
    }
    std::vector<LbView> views;
    for (int lb = 1; lb <= 2; ++lb) {
      LbView view;
      view.url = "http://127.0.0.1:" + std::to_string(9089 + lb);
      view.pids = 2;
      if (lb == 2 && lb2_down) {
        view.error = Status::Error(view.url, "connect: Connection refused");
      } else {
        view.error = ParseStatsCsv(csv, &view.rows);
      }
      views.push_back(view);
    }
    return views;
  }

  bool lb2_down = false;
  int sessions_on_maint = 0;

 private:
  FakeMarathon* marathon_;
};

std::string App(const std::string& colour, int instances, int port,
                const std::string& started) {
  return R"({"id": "/web-)" + colour + R"(", "instances": )" +
         std::to_string(instances) + R"(, "portDefinitions": [{"port": )" +
         std::to_string(port) + R"(}], "labels": {
           "HAPROXY_DEPLOYMENT_GROUP": "web", "HAPROXY_DEPLOYMENT_ALT_PORT":
           "81", "HAPROXY_0_PORT": "80", "HAPROXY_DEPLOYMENT_COLOUR": ")" +
         colour + R"(", "HAPROXY_DEPLOYMENT_STARTED_AT": ")" + started +
         R"(", "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "3"}, "tasks": []})";
}

class DeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json_ = dir_.File("web.json");
    std::ofstream(json_) << R"({"id": "web", "instances": 3,
        "portDefinitions": [{"port": 80}], "labels": {
        "HAPROXY_DEPLOYMENT_GROUP": "web",
        "HAPROXY_DEPLOYMENT_ALT_PORT": "81"}})";
    options_.json_path = json_;
    options_.force = true;
    options_.step_delay = 1;
    options_.max_wait = 10;
    env_.sleep = [this](double seconds) { now_ += seconds; };
    env_.now = [this] { return now_; };
    env_.confirm = [](const std::string&) { return false; };
    env_.run = [this](const std::vector<std::string>& argv, int* code) {
      hook_calls_.push_back(argv);
      *code = hook_exit_;
      return Status::OK();
    };
    env_.started_at = [] { return std::string("2026-01-01T00:00:00.000000"); };
    env_.out = &out_;
  }

  // The old green app with 3 tasks (ids green-1..3).
  void GreenRunning() {
    marathon_.Add(App("green", 3, 80, "2025"));
    marathon_.Resize(marathon_.apps_["/web-green"], 3);
  }

  Outcome Run() { return RunZdd(options_, marathon_, lbs_, env_); }

  TempDir dir_;
  std::string json_;
  ZddOptions options_;
  ZddEnvironment env_;
  double now_ = 0;
  FakeMarathon marathon_;
  FakeLbs lbs_{&marathon_};
  std::ostringstream out_;
  std::vector<std::vector<std::string>> hook_calls_;
  int hook_exit_ = 0;
};

TEST_F(DeployerTest, SwapsColoursKillingOnlyDrainedTasks) {
  GreenRunning();
  const Outcome outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(marathon_.calls,
            (std::vector<std::string>{
                "create /web-blue", "kill green-1", "scale /web-blue 2",
                "kill green-2", "scale /web-blue 3", "delete /web-green"}));
  EXPECT_EQ(IntMember(marathon_.apps_["/web-blue"], "instances"), 3);
  EXPECT_NE(out_.str().find("\"id\": \"/web-blue\""), std::string::npos);
}

TEST_F(DeployerTest, ResumeContinuesFromMarathonsState) {
  // zdd died after the first kill, before growing blue: blue has 1 task,
  // green 2; marathon-lb drains nothing until blue grows.
  GreenRunning();
  marathon_.Add(App("blue", 1, 81, "2026"));
  marathon_.Resize(marathon_.apps_["/web-blue"], 1);
  ASSERT_TRUE(marathon_.KillTasks({"green-1"}).ok());
  marathon_.calls.clear();
  EXPECT_EQ(Run().code(), 2);  // not without --resume
  options_.resume = true;
  const Outcome outcome = Run();
  ASSERT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(marathon_.calls, (std::vector<std::string>{"scale /web-blue 3",
                                                       "delete /web-green"}));
}

TEST_F(DeployerTest, AnUnreachableLbStopsWithExit5KillingNothing) {
  GreenRunning();
  lbs_.lb2_down = true;
  const Outcome outcome = Run();
  EXPECT_EQ(outcome.code(), 5);
  EXPECT_EQ(outcome.status().message(),
            "marathon-lb: nothing killable after waiting 10 s (--max-wait), "
            "no task killed in this step: marathon-lb http://127.0.0.1:9091 "
            "did not answer: http://127.0.0.1:9091: connect: Connection "
            "refused");
  EXPECT_EQ(marathon_.calls, std::vector<std::string>{"create /web-blue"});
}

TEST_F(DeployerTest, SessionsOnADrainingTaskStopWithExit5KillingNothing) {
  GreenRunning();
  lbs_.sessions_on_maint = 1;
  EXPECT_EQ(Run().code(), 5);
  EXPECT_EQ(marathon_.calls, std::vector<std::string>{"create /web-blue"});
}

TEST_F(DeployerTest, PreKillHookGetsJsonAndCanStopTheDeployment) {
  GreenRunning();
  options_.pre_kill_hook = "hook";
  hook_exit_ = 1;
  const Outcome outcome = Run();
  EXPECT_EQ(outcome.code(), 2);
  EXPECT_EQ(outcome.status().message(),
            "--pre-kill-hook hook: exited with 1: deployment stopped before "
            "killing green-1; an operator must intervene");
  ASSERT_EQ(hook_calls_.size(), 1u);
  ASSERT_EQ(hook_calls_[0].size(), 4u);
  EXPECT_EQ(hook_calls_[0][2], R"(["green-1"])");
  EXPECT_EQ(
      hook_calls_[0][1].rfind(R"({"id": "/web-green", "instances": 3,)", 0), 0u)
      << hook_calls_[0][1];
  EXPECT_EQ(marathon_.calls, std::vector<std::string>{"create /web-blue"});
}

TEST_F(DeployerTest, PreKillHookRunsBeforeEveryKillAndTheDelete) {
  GreenRunning();
  options_.pre_kill_hook = "hook";
  ASSERT_TRUE(Run().ok());
  ASSERT_EQ(hook_calls_.size(), 3u);
  EXPECT_EQ(hook_calls_[0][2], R"(["green-1"])");
  EXPECT_EQ(hook_calls_[1][2], R"(["green-2"])");
  EXPECT_EQ(hook_calls_[2][2], R"(["green-3"])");  // then the delete
  EXPECT_EQ(marathon_.calls.back(), "delete /web-green");
}

TEST_F(DeployerTest, DryRunPrintsAndChangesNothing) {
  GreenRunning();
  options_.dry_run = true;
  ASSERT_TRUE(Run().ok());
  EXPECT_TRUE(marathon_.calls.empty());
  EXPECT_NE(out_.str().find("\"HAPROXY_DEPLOYMENT_COLOUR\": \"blue\""),
            std::string::npos);
}

TEST_F(DeployerTest, DeclinedIsExit1) {
  GreenRunning();
  options_.force = false;
  EXPECT_EQ(Run().code(), 1);
  EXPECT_TRUE(marathon_.calls.empty());
}

TEST_F(DeployerTest, CompleteWithoutHybridIsExit3) {
  GreenRunning();
  options_.complete_cur = true;
  const Outcome outcome = Run();
  EXPECT_EQ(outcome.code(), 3);
  EXPECT_EQ(outcome.status().message(),
            "--complete-cur/--complete-prev: group web has no hybrid "
            "deployment in progress (1 app)");
}

TEST_F(DeployerTest, HybridStopsWithBothColours) {
  GreenRunning();
  options_.new_instances = 1;
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(marathon_.calls,
            (std::vector<std::string>{"create /web-blue", "kill green-1"}));
  EXPECT_EQ(IntMember(marathon_.apps_["/web-green"], "instances"), 2);
}

}  // namespace
}  // namespace mlb::zdd

namespace mlb::zdd {
namespace {

TEST(LbUrlTest, EachAddressOfTheHostIsOneLoadBalancer) {
  std::vector<std::string> urls;
  ASSERT_TRUE(ExpandLbUrl("http://127.0.0.2:9090", &urls).ok());
  EXPECT_EQ(urls, std::vector<std::string>{"http://127.0.0.2:9090"});
  ASSERT_TRUE(ExpandLbUrl("http://localhost:9090/", &urls).ok());
  EXPECT_NE(std::find(urls.begin(), urls.end(), "http://127.0.0.1:9090"),
            urls.end());
  EXPECT_EQ(ExpandLbUrl("ftp://x:1", &urls).message(),
            "--marathon-lb ftp://x:1: expected an http:// or https:// URL");
}

}  // namespace
}  // namespace mlb::zdd
