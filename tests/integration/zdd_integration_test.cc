// `marathon-lb zdd` end to end: marathon-sim in scheduler mode (its tasks
// are HTTP servers of its own on a pool of 127.0.0.1 ports, answering with
// their task id, gone once killed), two marathon-lb instances each owning a
// real HAProxy (loopback, maxconn 200), and a client sending requests
// through the first HAProxy while zdd swaps /web-green for /web-blue.
//
// What is asserted: zdd exits 0; no request fails; every old task was in
// maintenance (MAINT) on both HAProxy instances before the simulator saw it
// killed; at the end only /web-blue runs, at its full size, and answers
// through both HAProxy instances. The same after zdd is SIGKILLed mid-way
// and run again with --resume.
//
// Each HAProxy serves its stats (/haproxy?stats;csv) on a `listen stats` of
// its own HEAD, which also passes /_haproxy_getpids to marathon-lb's admin
// address: the URL zdd's --marathon-lb takes serves both, as marathon-lb
// 1.15's :9090 did. zdd runs with --max-haproxy-pids 0 because
// /_haproxy_getpids lists every haproxy process of the machine (as `pidof
// haproxy`), and this test runs two of them.
//
// The swap needs marathon-lb's blue/green merge: the apps of one
// HAPROXY_DEPLOYMENT_GROUP served by one backend `<group>_<HAPROXY_0_PORT>`
// whose old servers marathon-lb puts in maintenance as new tasks come up.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "core/base/version.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/live_support.h"

namespace mlb::integration {
namespace {

const char kGroup[] = "external";

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : sep) + item;
  }
  return out;
}

// GET on 127.0.0.1:port, 5 s.
HttpResponse Call(const std::string& method, int port, const std::string& path,
                  const std::string& body = "") {
  return HttpCall(method, "127.0.0.1", port, path, body, {}, Millis(5000));
}

// The tasks of one app in the simulator: id -> state (none if the app is
// gone); *known is false when the simulator did not answer 200 or 404.
std::map<std::string, std::string> TaskStates(int sim_port,
                                              const std::string& app_id,
                                              bool* known = nullptr) {
  std::map<std::string, std::string> out;
  const HttpResponse r = Call("GET", sim_port, "/v2/apps" + app_id);
  const Poco::JSON::Object::Ptr root = JsonObject(r.body);
  if (known != nullptr) {
    *known = r.status == 404 || (r.status == 200 && !root.isNull());
  }
  if (root.isNull() || !root->has("app")) {
    return out;
  }
  const Poco::JSON::Array::Ptr tasks =
      root->getObject("app")->getArray("tasks");
  for (size_t i = 0; !tasks.isNull() && i < tasks->size(); ++i) {
    const Poco::JSON::Object::Ptr task =
        tasks->getObject(static_cast<unsigned>(i));
    out[task->getValue<std::string>("id")] =
        task->optValue<std::string>("state", "TASK_RUNNING");
  }
  return out;
}

long AppInstances(int sim_port, const std::string& app_id) {
  const Poco::JSON::Object::Ptr root =
      JsonObject(Call("GET", sim_port, "/v2/apps" + app_id).body);
  if (root.isNull() || !root->has("app")) {
    return -1;
  }
  return JsonInt(root->getObject("app"), "instances", -1);
}

// ---------------------------------------------------------------------------
// The simulator's scheduler alone.

class SimSchedulerTest : public EndToEndTest {
 protected:
  void StartSim(int pool_size) {
    std::vector<std::string> pool;
    for (int i = 0; i < pool_size; ++i) {
      ports_.push_back(FreePort());
      pool.push_back("127.0.0.1:" + std::to_string(ports_.back()));
    }
    const std::string state = dir_->File("state.json");
    AtomicWrite(state, "{\"apps\": []}\n");
    const std::string port_file = dir_->File("sim.port");
    sim_ = std::make_unique<ScopedProcess>(
        std::vector<std::string>{sim_binary_, "--state", state, "--port-file",
                                 port_file, "--task-ports", Join(pool, ","),
                                 "--task-start-ms", "100", "--kill-grace-ms",
                                 "300"},
        dir_->File("sim.log"));
    const std::string bound = WaitForPortFile(*sim_, port_file);
    sim_port_ = std::stoi(bound.substr(bound.rfind(':') + 1));
  }

  bool Settled(const std::string& id, size_t running) {
    const std::map<std::string, std::string> tasks = TaskStates(sim_port_, id);
    size_t n = 0;
    for (const auto& [task, state] : tasks) {
      n += state == "TASK_RUNNING";
    }
    const Poco::JSON::Object::Ptr root =
        JsonObject(Call("GET", sim_port_, "/v2/apps" + id).body);
    return n == running && tasks.size() == running && !root.isNull() &&
           root->getObject("app")->getArray("deployments")->size() == 0;
  }

  std::unique_ptr<ScopedProcess> sim_;
  int sim_port_ = 0;
  std::vector<int> ports_;
};

TEST_F(SimSchedulerTest, StartsScalesKillsAndDeletesRealTasks) {
  StartSim(3);
  const std::string app =
      R"({"id": "web", "instances": 2, "portDefinitions": [{"port": 80}],
          "healthChecks": [{"protocol": "HTTP", "path": "/"}]})";
  HttpResponse r = Call("POST", sim_port_, "/v2/apps", app);
  ASSERT_EQ(r.status, 201) << r.Describe();
  EXPECT_EQ(Call("POST", sim_port_, "/v2/apps", app).status, 409);
  ASSERT_TRUE(WaitUntil([&] { return Settled("/web", 2); }, Millis(10000)))
      << Call("GET", sim_port_, "/v2/apps/web").body;

  // Each task answers with its id on its pool address.
  std::map<int, std::string> answered;
  for (int port : ports_) {
    const HttpResponse task = HttpGet("127.0.0.1", port, "/", "x");
    if (task.status == 200) {
      answered[port] = task.Backend();
      EXPECT_EQ(task.body, task.Backend() + "\n");
    }
  }
  ASSERT_EQ(answered.size(), 2u);
  std::set<std::string> ids;
  for (const auto& [task, state] : TaskStates(sim_port_, "/web")) {
    ids.insert(task);
  }
  for (const auto& [port, id] : answered) {
    EXPECT_EQ(ids.count(id), 1u) << id;
  }

  // Kill with scale: TASK_KILLING (still serving), then gone for good.
  const auto [killed_port, killed_id] = *answered.begin();
  r = Call("POST", sim_port_, "/v2/tasks/delete?scale=true",
           "{\"ids\": [\"" + killed_id + "\"]}");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(TaskStates(sim_port_, "/web")[killed_id], "TASK_KILLING");
  EXPECT_EQ(AppInstances(sim_port_, "/web"), 1);
  EXPECT_EQ(Call("PUT", sim_port_, "/v2/apps/web", "{\"instances\": 2}").status,
            409);  // locked by the kill's deployment
  ASSERT_TRUE(WaitUntil([&] { return Settled("/web", 1); }, Millis(10000)));
  EXPECT_NE(HttpGet("127.0.0.1", killed_port, "/", "x").status, 200);

  // Scale up: a new task on a free address.
  r = Call("PUT", sim_port_, "/v2/apps/web", "{\"instances\": 3}");
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_TRUE(WaitUntil([&] { return Settled("/web", 3); }, Millis(10000)));

  // Delete: every task killed, then the app is gone.
  ASSERT_EQ(Call("DELETE", sim_port_, "/v2/apps/web").status, 200);
  ASSERT_TRUE(WaitUntil(
      [&] { return Call("GET", sim_port_, "/v2/apps/web").status == 404; },
      Millis(10000)));
  for (int port : ports_) {
    EXPECT_FALSE(Accepts("127.0.0.1", port)) << port;
  }
  EXPECT_EQ(Call("DELETE", sim_port_, "/v2/apps/web").status, 404);
}

// ---------------------------------------------------------------------------
// The command's exit codes, from the built binary against the simulator.

class ZddCommandTest : public SimSchedulerTest {
 protected:
  RunResult Zdd(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {mlb_binary_, "zdd"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunBounded(argv,
                      dir_->File("zdd-" + std::to_string(++runs_) + ".log"),
                      Millis(20000));
  }
  std::vector<std::string> Flags(const std::string& json) {
    return {"--json",        json,
            "--marathon",    "http://127.0.0.1:" + std::to_string(sim_port_),
            "--marathon-lb", "http://127.0.0.1:1",
            "--force",       "--syslog-socket",
            "/dev/null"};
  }
  std::string Source(const std::string& fixture) {
    return RequiredEnv("MLB_SOURCE_DIR") + "/tests/fixtures/zdd/" + fixture;
  }
  // The green app of the nginx group, as a previous zdd left it.
  void PostGreenApp() {
  ASSERT_EQ(Call("POST", sim_port_, "/v2/apps",
                 R"({"id": "/nginx-green", "instances": 0,
                     "portDefinitions": [{"port": 10000}], "labels": {
                     "HAPROXY_DEPLOYMENT_GROUP": "nginx",
                     "HAPROXY_DEPLOYMENT_ALT_PORT": "10001",
                     "HAPROXY_DEPLOYMENT_COLOUR": "green",
                     "HAPROXY_0_PORT": "10000"}})")
                .status,
            201);
  }
  int runs_ = 0;
};

TEST_F(ZddCommandTest, ExitCodes) {
  StartSim(2);
  ASSERT_NO_FATAL_FAILURE(PostGreenApp());

  // --dry-run: the next colour on the alt port, printed, nothing created.
  std::vector<std::string> dry = Flags(Source("nginx.json"));
  dry.push_back("--dry-run");
  RunResult r = Zdd(dry);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(HasLine(r.output, "  \"id\": \"/nginx-blue\","));
  EXPECT_TRUE(HasLine(r.output, "          \"servicePort\": 10001"));
  EXPECT_TRUE(
      HasLine(r.output, "    \"HAPROXY_DEPLOYMENT_TARGET_INSTANCES\": \"0\","));
  EXPECT_EQ(Call("GET", sim_port_, "/v2/apps/nginx-blue").status, 404);

  // 7: Marathon refuses the create (an app of that id outside the group).
  ASSERT_EQ(Call("POST", sim_port_, "/v2/apps",
                 R"({"id": "/nginx-blue", "instances": 0})")
                .status,
            201);
  r = Zdd(Flags(Source("nginx.json")));
  EXPECT_EQ(r.exit_code, 7) << r.output;
  EXPECT_NE(r.output.find("POST http://127.0.0.1:" + std::to_string(sim_port_) +
                          "/v2/apps: HTTP 409 Conflict"),
            std::string::npos)
      << r.output;

  // --version, as marathon-lb's own: nothing else needed.
  r = Zdd({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string("marathon-lb ") + Version() + "\n");

  // 3: no hybrid deployment to complete.
  std::vector<std::string> complete = Flags(Source("nginx.json"));
  complete.push_back("--complete-cur");
  EXPECT_EQ(Zdd(complete).exit_code, 3);

  // 4: the definition lacks the group label.
  const std::string bare = dir_->File("bare.json");
  WriteFile(bare, R"({"id": "bare", "labels": {}})");
  r = Zdd(Flags(bare));
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("app definition field HAPROXY_DEPLOYMENT_GROUP: "
                          "define the HAPROXY_DEPLOYMENT_GROUP label"),
            std::string::npos)
      << r.output;

  // 6: no Marathon there.
  std::vector<std::string> nowhere = Flags(Source("nginx.json"));
  nowhere[3] = "http://127.0.0.1:" + std::to_string(FreePort());
  EXPECT_EQ(Zdd(nowhere).exit_code, 6);

  // 2: a command line it cannot parse, as argparse.
  r = Zdd({"--json"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

// Issue 15: zdd asks Marathon for gzip on its GETs, as marathon-lb does:
// the simulator logs the request asking for it and counts its answer
// gzipped.
TEST_F(ZddCommandTest, AsksMarathonForGzip) {
  StartSim(2);
  ASSERT_NO_FATAL_FAILURE(PostGreenApp());
  std::vector<std::string> dry = Flags(Source("nginx.json"));
  dry.push_back("--dry-run");
  const RunResult r = Zdd(dry);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(HasLine(r.output, "  \"id\": \"/nginx-blue\",")) << r.output;

  std::vector<std::string> gets;
  for (const std::string& line : Lines(sim_->Output())) {
    if (line.find(" GET /v2/apps") != std::string::npos) {
      gets.push_back(line.substr(line.find(" GET ")));
    }
  }
  EXPECT_EQ(gets, std::vector<std::string>{
                      " GET /v2/apps 200 (Accept-Encoding: gzip)"})
      << sim_->Output();
  const Poco::JSON::Object::Ptr stats =
      JsonObject(Call("GET", sim_port_, "/_sim/stats").body);
  EXPECT_EQ(JsonInt(stats, "appsAnswersGzipped", -1),
            static_cast<long>(gets.size()));
  EXPECT_EQ(JsonInt(stats, "appsAnswersPlain", -1), 0);
}

// ---------------------------------------------------------------------------
// zdd through two marathon-lb instances.

struct Lb {
  std::string dir;
  std::string cfg;
  std::string templates;
  std::string bind_ip;
  int stats_port = 0;
  int admin_port = 0;
  int appid_port = 0;
  std::unique_ptr<ScopedProcess> process;
};

// A client sending one request a time (new connection each) through an
// HAProxy until stopped or its bounds.
class ClientLoop {
 public:
  ClientLoop(const std::string& ip, int port) {
    thread_ = std::thread([this, ip, port] {
      const auto deadline = Clock::now() + Millis(180000);
      for (int i = 0; i < 20000 && !stop_ && Clock::now() < deadline; ++i) {
        const HttpResponse r = HttpGet(ip, port, "/", "web.test");
        std::lock_guard<std::mutex> lock(mu_);
        ++requests_;
        if (r.status == 200 && !r.Backend().empty()) {
          ++backends_[r.Backend()];
        } else if (failures_.size() < 10) {
          failures_.push_back(r.Describe());
        } else {
          failures_.push_back("");
        }
        std::this_thread::sleep_for(Millis(10));
      }
    });
  }
  ~ClientLoop() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }
  std::map<std::string, int> backends() {
    std::lock_guard<std::mutex> lock(mu_);
    return backends_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int requests_ = 0;
  std::vector<std::string> failures_;
  std::map<std::string, int> backends_;
  std::thread thread_;
};

// Watches the simulator and both HAProxy stats: for each old task, the last
// status its server had on each HAProxy before the simulator first showed
// the task killed.
class KillWatcher {
 public:
  KillWatcher(int sim_port, std::vector<int> stats_ports,
              std::map<std::string, std::string> servers)
      : servers_(std::move(servers)) {
    thread_ = std::thread([this, sim_port, stats_ports] {
      const auto deadline = Clock::now() + Millis(180000);
      while (!stop_ && Clock::now() < deadline) {
        bool known = false;
        const std::map<std::string, std::string> states =
            TaskStates(sim_port, "/web-green", &known);
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [task, server] : servers_) {
          if (!known) {
            break;
          }
          const auto state = states.find(task);
          const bool killed =
              state == states.end() || state->second != "TASK_RUNNING";
          if (killed && at_kill_.count(task) == 0) {
            at_kill_[task] = last_[task];
          }
        }
        for (size_t lb = 0; lb < stats_ports.size(); ++lb) {
          const HttpResponse csv =
              Call("GET", stats_ports[lb], "/haproxy?stats;csv");
          for (const std::string& line : Lines(csv.body)) {
            for (const auto& [task, server] : servers_) {
              const std::string prefix = "web_";
              if (line.rfind(prefix, 0) == 0 &&
                  line.find("," + server + ",") != std::string::npos &&
                  at_kill_.count(task) == 0) {
                last_[task][lb] = StatusOf(line);
              }
            }
          }
        }
        std::this_thread::sleep_for(Millis(50));
      }
    });
  }
  ~KillWatcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // task -> LB index -> status, at the first sight of the task killed.
  std::map<std::string, std::map<size_t, std::string>> AtKill() {
    std::lock_guard<std::mutex> lock(mu_);
    return at_kill_;
  }

 private:
  // The 18th field (status) of a stats CSV line.
  static std::string StatusOf(const std::string& line) {
    std::istringstream in(line);
    std::string field;
    for (int i = 0; i < 18 && std::getline(in, field, ','); ++i) {
    }
    return field;
  }

  const std::map<std::string, std::string> servers_;  // task -> svname
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, std::map<size_t, std::string>> last_;
  std::map<std::string, std::map<size_t, std::string>> at_kill_;
  std::thread thread_;
};

class ZddTest : public EndToEndTest {
 protected:
  static void SetUpTestSuite() { HaproxyGroupGuard::Install(); }

  void SetUp() override {
    EndToEndTest::SetUp();
    service_port_ = FreePort();
    alt_port_ = FreePort();
    std::vector<std::string> pool;
    for (int i = 0; i < 8; ++i) {
      pool_.push_back(FreePort());
      pool.push_back("127.0.0.1:" + std::to_string(pool_.back()));
    }
    // /web-green, 3 tasks on the pool's first addresses, running and alive.
    std::vector<std::string> tasks;
    for (int i = 0; i < 3; ++i) {
      const std::string id = "web-green.old" + std::to_string(i + 1);
      old_servers_[id] = "127_0_0_1_" + std::to_string(pool_[i]);
      tasks.push_back("{\"id\": \"" + id +
                      "\", \"appId\": \"/web-green\", \"host\": "
                      "\"127.0.0.1\", \"ports\": [" +
                      std::to_string(pool_[i]) +
                      "], \"state\": \"TASK_RUNNING\", \"healthCheckResults\": "
                      "[{\"alive\": true}]}");
    }
    const std::string green =
        "{\"id\": \"/web-green\", \"instances\": 3, \"portDefinitions\": "
        "[{\"port\": " +
        std::to_string(service_port_) + "}], " + HealthChecks() +
        ", \"labels\": {" + Labels() +
        ", \"HAPROXY_DEPLOYMENT_COLOUR\": \"green\", "
        "\"HAPROXY_DEPLOYMENT_STARTED_AT\": \"2026-01-01T00:00:00.000000\", "
        "\"HAPROXY_DEPLOYMENT_TARGET_INSTANCES\": \"3\", \"HAPROXY_0_PORT\": "
        "\"" +
        std::to_string(service_port_) +
        "\", \"HAPROXY_APP_ID\": "
        "\"web\"}, \"versionInfo\": {\"lastScalingAt\": "
        "\"2026-01-01T00:00:00.000Z\"}, \"deployments\": [], \"tasks\": [" +
        Join(tasks, ", ") + "]}";
    const std::string state = dir_->File("state.json");
    AtomicWrite(state, "{\"apps\": [" + green + "]}\n");
    const std::string port_file = dir_->File("sim.port");
    sim_ = std::make_unique<ScopedProcess>(
        std::vector<std::string>{
            sim_binary_, "--state", state, "--port-file", port_file,
            "--keepalive-ms", "300", "--task-ports", Join(pool, ","),
            "--task-start-ms", "300", "--kill-grace-ms", "500"},
        dir_->File("sim.log"));
    sim_url_ = "http://" + WaitForPortFile(*sim_, port_file);
    sim_port_ = UrlPort(sim_url_);
    // The app definition zdd deploys.
    app_json_ = dir_->File("web.json");
    WriteFile(app_json_,
              "{\"id\": \"web\", \"instances\": 3, \"portDefinitions\": "
              "[{\"port\": " +
                  std::to_string(service_port_) + "}], " + HealthChecks() +
                  ", \"labels\": {" + Labels() + "}}");
    StartLb(&lbs_[0], "lb1", "127.0.0.1");
    StartLb(&lbs_[1], "lb2", "127.0.0.2");
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const Lb& lb : lbs_) {
        if (lb.process) {
          std::cerr << "---- " << lb.dir << " marathon-lb ----\n"
                    << Tail(lb.process->Output(), 80);
        }
      }
      if (sim_) {
        std::cerr << "---- sim ----\n" << Tail(sim_->Output(), 60);
      }
    }
    for (Lb& lb : lbs_) {
      StopLb(&lb);
    }
    sim_.reset();
  }

  std::string Labels() const {
    return "\"HAPROXY_GROUP\": \"" + std::string(kGroup) +
           "\", \"HAPROXY_0_MODE\": \"http\", "
           "\"HAPROXY_DEPLOYMENT_GROUP\": \"web\", "
           "\"HAPROXY_DEPLOYMENT_ALT_PORT\": \"" +
           std::to_string(alt_port_) + "\"";
  }
  static std::string HealthChecks() {
    return "\"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/\", "
           "\"portIndex\": 0, \"gracePeriodSeconds\": 5, "
           "\"intervalSeconds\": 1, \"timeoutSeconds\": 2, "
           "\"maxConsecutiveFailures\": 3}]";
  }

  // marathon-lb sse owning an HAProxy whose service frontends bind
  // `bind_ip`, with the stats listener and admin endpoints zdd asks.
  void StartLb(Lb* lb, const std::string& name, const std::string& bind_ip) {
    lb->dir = dir_->File(name);
    lb->templates = lb->dir + "/templates";
    std::filesystem::create_directories(lb->templates);
    lb->cfg = lb->dir + "/haproxy.cfg";
    lb->bind_ip = bind_ip;
    lb->stats_port = FreePort();
    lb->admin_port = FreePort();
    lb->appid_port = FreePort();
    WriteFile(
        lb->templates + "/HAPROXY_HEAD",
        LoopbackHead(lb->dir + "/haproxy.sock") +
            "\nlisten stats\n  bind 127.0.0.1:" +
            std::to_string(lb->stats_port) +
            "\n  mode http\n  stats enable\n"
            "  use_backend mlb_admin if { path /_haproxy_getpids }\n"
            "\nbackend mlb_admin\n  mode http\n  server admin 127.0.0.1:" +
            std::to_string(lb->admin_port) + "\n");
    WriteFile(lb->templates + "/HAPROXY_HTTP_FRONTEND_APPID_HEAD",
              LoopbackFrontendHead("marathon_http_appid_in", lb->appid_port));
    WriteFile(lb->templates + "/HAPROXY_FRONTEND_HEAD",
              "\nfrontend {backend}\n  bind " + bind_ip +
                  ":{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n");
    lb->process = std::make_unique<ScopedProcess>(
        std::vector<std::string>{mlb_binary_,
                                 "sse",
                                 "--marathon",
                                 sim_url_,
                                 "--haproxy-config",
                                 lb->cfg,
                                 "--group",
                                 kGroup,
                                 "--templates-dir",
                                 lb->templates,
                                 "--plugin-dir",
                                 plugin_dir_,
                                 "--dont-bind-http-https",
                                 "--syslog-socket",
                                 "/dev/null",
                                 "--run-haproxy",
                                 "--admin-address",
                                 "127.0.0.1:" + std::to_string(lb->admin_port),
                                 "--debounce-ms",
                                 "100",
                                 "--min-update-interval-ms",
                                 "200",
                                 "--sse-idle-timeout",
                                 "2",
                                 "--max-backoff",
                                 "2"},
        lb->dir + "/marathon-lb.log");
    const bool up = WaitUntil(
        [&] {
          return !lb->process->Running() ||
                 (Accepts("127.0.0.1", lb->stats_port) &&
                  HttpGet(bind_ip, service_port_, "/", "web.test").status ==
                      200);
        },
        Millis(20000), Millis(50));
    if (!up || !lb->process->Running()) {
      throw std::runtime_error("marathon-lb " + name +
                               " did not route to /web-green:\n" +
                               Tail(lb->process->Output(), 80));
    }
    const pid_t master = MasterPid(*lb);
    if (master > 0) {
      HaproxyGroupGuard::Add(master);
    }
  }

  static pid_t MasterPid(const Lb& lb) {
    const pid_t pid =
        static_cast<pid_t>(std::atoi(ReadFile(lb.cfg + ".pid").c_str()));
    return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
  }

  void StopLb(Lb* lb) {
    if (!lb->process) {
      return;
    }
    const pid_t master = MasterPid(*lb);
    lb->process->Stop(SIGTERM, Millis(20000));
    WaitUntil([&] { return HaproxyProcessesFor(lb->cfg).empty(); },
              Millis(3000));
    for (pid_t pid : HaproxyProcessesFor(lb->cfg)) {
      ADD_FAILURE() << "haproxy " << pid << " of " << lb->cfg << " left";
      kill(pid, SIGKILL);
    }
    if (master > 0) {
      HaproxyGroupGuard::Remove(master);
    }
    lb->process.reset();
  }

  std::vector<std::string> ZddArgs() const {
    return {mlb_binary_,
            "zdd",
            "--json",
            app_json_,
            "--marathon",
            sim_url_,
            "--marathon-lb",
            "http://127.0.0.1:" + std::to_string(lbs_[0].stats_port),
            "--marathon-lb",
            "http://127.0.0.1:" + std::to_string(lbs_[1].stats_port),
            "--force",
            "--step-delay",
            "0.5",
            "--max-wait",
            "40",
            "--max-haproxy-pids",
            "0",
            "--syslog-socket",
            "/dev/null"};
  }

  // The end state: only /web-blue, 3 running tasks, answering through both
  // HAProxy instances; every old task was MAINT on both before it was
  // killed; no request of the client failed.
  void ExpectSwapped(ClientLoop& client, KillWatcher& watcher) {
    // Deleted: gone once its last tasks are killed.
    EXPECT_TRUE(WaitUntil(
        [&] {
          return Call("GET", sim_port_, "/v2/apps/web-green").status == 404;
        },
        Millis(10000)));
    EXPECT_EQ(AppInstances(sim_port_, "/web-blue"), 3);
    const std::map<std::string, std::string> blue =
        TaskStates(sim_port_, "/web-blue");
    EXPECT_EQ(blue.size(), 3u);
    for (const auto& [task, state] : blue) {
      EXPECT_EQ(state, "TASK_RUNNING") << task;
    }
    for (const Lb& lb : lbs_) {
      std::set<std::string> answered;
      for (int i = 0; i < 12; ++i) {
        const HttpResponse r =
            HttpGet(lb.bind_ip, service_port_, "/", "web.test");
        EXPECT_EQ(r.status, 200) << r.Describe();
        answered.insert(r.Backend());
      }
      for (const std::string& backend : answered) {
        EXPECT_EQ(blue.count(backend), 1u)
            << lb.bind_ip << " answered by " << backend;
      }
    }
    watcher.Stop();
    const auto at_kill = watcher.AtKill();
    EXPECT_EQ(at_kill.size(), old_servers_.size());
    for (const auto& [task, by_lb] : at_kill) {
      for (size_t i = 0; i < 2; ++i) {
        const auto status = by_lb.find(i);
        ASSERT_NE(status, by_lb.end()) << task << " never seen on LB " << i;
        EXPECT_EQ(status->second, "MAINT")
            << task << " was " << status->second << " on LB " << i
            << " when it was killed";
      }
    }
    client.Stop();
    EXPECT_GT(client.requests(), 100);
    EXPECT_TRUE(client.failures().empty())
        << client.failures().size() << " of " << client.requests()
        << " requests failed, e.g.:\n"
        << Join(client.failures(), "\n");
  }

  int service_port_ = 0;
  int alt_port_ = 0;
  std::vector<int> pool_;
  std::map<std::string, std::string> old_servers_;  // task -> svname
  std::unique_ptr<ScopedProcess> sim_;
  std::string sim_url_;
  int sim_port_ = 0;
  std::string app_json_;
  Lb lbs_[2];
};

TEST_F(ZddTest, SwapsColoursWithoutAFailedRequest) {
  ClientLoop client(lbs_[0].bind_ip, service_port_);
  KillWatcher watcher(sim_port_, {lbs_[0].stats_port, lbs_[1].stats_port},
                      old_servers_);
  const RunResult zdd =
      RunBounded(ZddArgs(), dir_->File("zdd.log"), Millis(150000));
  ASSERT_EQ(zdd.exit_code, 0) << zdd.output;
  EXPECT_NE(zdd.output.find("\"id\": \"/web-blue\""), std::string::npos);
  ExpectSwapped(client, watcher);
}

TEST_F(ZddTest, ResumesAfterBeingKilledMidWay) {
  ClientLoop client(lbs_[0].bind_ip, service_port_);
  KillWatcher watcher(sim_port_, {lbs_[0].stats_port, lbs_[1].stats_port},
                      old_servers_);
  {
    ScopedProcess zdd(ZddArgs(), dir_->File("zdd-1.log"));
    // Killed once the first old task is being killed.
    const bool mid_way = WaitUntil(
        [&] {
          return AppInstances(sim_port_, "/web-green") == 2 || !zdd.Running();
        },
        Millis(90000), Millis(20));
    ASSERT_TRUE(mid_way && zdd.Running()) << zdd.Output();
    zdd.Stop(SIGKILL, Millis(0));
  }
  EXPECT_EQ(Call("GET", sim_port_, "/v2/apps/web-blue").status, 200);
  std::vector<std::string> args = ZddArgs();
  args.push_back("--resume");
  const RunResult resumed =
      RunBounded(args, dir_->File("zdd-2.log"), Millis(150000));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("Resuming the deployment of group web: "
                                "/web-green -> /web-blue"),
            std::string::npos)
      << resumed.output;
  ExpectSwapped(client, watcher);
}

}  // namespace
}  // namespace mlb::integration
