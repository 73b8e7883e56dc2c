// The live loop end to end: marathon-lb in sse or event mode, owning a real
// HAProxy (--run-haproxy: master-worker, reloaded through its master socket),
// follows marathon-sim's event bus; requests go through HAProxy to
// echo-backend tasks on 127.0.0.2 / 127.0.0.3, and every test asserts which
// backend answered, exact log lines or /status and /_sim/stats fields.
//
// Nothing binds outside 127.0.0.0/8: marathon-lb runs with
// --dont-bind-http-https (no :80/:443), the :9091 app-id frontend and the
// HEAD are overridden in a per-test templates dir (loopback, maxconn 200:
// this machine's open-files limit is too low for HAProxy's default), and the
// app binds its service port on 127.0.0.1 (HAPROXY_0_BIND_ADDR). Every port
// is picked at run time.
//
// Clean-up: marathon-lb is stopped with SIGTERM in TearDown, which must stop
// its HAProxy; TearDown then checks /proc for any haproxy process naming this
// test's config (a failure if one is left) and kills what it finds, then
// stops the simulators and the backends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <iterator>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/JSON/Array.h>

#include "core/base/sha256.h"
#include "core/base/text.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/live_support.h"
#include "tests/support/prometheus_text.h"

namespace mlb::integration {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using mlb::testing::MetricValue;
using mlb::testing::PrometheusParsed;

const char kGroup[] = "external";  // ManagedMarathonLbTest::kGroup
// What marathon-lb subscribes to on /v2/events (EventStreamOptions).
const char kEventsQuery[] =
    "/v2/events?plan-format=light&event_type=api_post_event&event_type="
    "app_terminated_event&event_type=health_status_changed_event&"
    "event_type=status_update_event";

long MillisSince(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<Millis>(Clock::now() - start).count());
}

// A marathon-sim and its state file.
struct Sim {
  std::unique_ptr<ScopedProcess> process;
  std::string url;  // http://127.0.0.1:PORT
  int port = 0;
  std::string state_file;
};

// Requests through HAProxy made by a background client, one new connection
// each, until Stop() or its own bounds (count and time).
class ClientLoop {
 public:
  // `get` makes one request; `pause` between two requests.
  ClientLoop(std::function<HttpResponse()> get, Millis pause, int max_requests,
             Millis max_time)
      : get_(std::move(get)) {
    thread_ = std::thread([this, pause, max_requests, max_time] {
      const auto deadline = Clock::now() + max_time;
      for (int i = 0; i < max_requests && !stop_ && Clock::now() < deadline;
           ++i) {
        const HttpResponse r = get_();
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++requests_;
          if (r.status == 200 && !r.Backend().empty()) {
            ++backends_[r.Backend()];
          } else {
            ++failures_;
            if (failure_samples_.size() < 10) {
              failure_samples_.push_back("request " + std::to_string(i) + ": " +
                                         r.Describe());
            }
          }
        }
        if (pause.count() > 0) {
          std::this_thread::sleep_for(pause);
        }
      }
      finished_ = true;
    });
  }
  ~ClientLoop() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  bool finished() const { return finished_; }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }
  std::map<std::string, int> backends() const {
    std::lock_guard<std::mutex> lock(mu_);
    return backends_;
  }
  std::string FailureSamples() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const std::string& s : failure_samples_) {
      out += s + "\n";
    }
    return out;
  }

 private:
  std::function<HttpResponse()> get_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  mutable std::mutex mu_;
  int requests_ = 0;
  int failures_ = 0;
  std::map<std::string, int> backends_;
  std::vector<std::string> failure_samples_;
  std::thread thread_;
};

// One row of `show stat` per server of `backend` (pxname, svname and the
// other columns of HAProxy's CSV by name), through the master CLI.
std::string last_stat_reply;  // for the failure messages
std::vector<std::map<std::string, std::string>> ServerStats(
    const std::string& master_socket, const std::string& backend) {
  std::string reply;
  std::vector<std::map<std::string, std::string>> out;
  const Status s = MasterCliCommand(
      master_socket, "@1 show stat -1 4 -1", &reply, Millis(2000));
  last_stat_reply = s.ok() ? reply : s.message();
  if (!s.ok()) {
    return out;
  }
  std::vector<std::string> header;
  for (const std::string& line : Lines(reply)) {
    if (line.rfind("# ", 0) == 0) {
      header = Split(line.substr(2), ',');
      continue;
    }
    const std::vector<std::string> fields = Split(line, ',');
    if (header.empty() || fields.size() < 2 || fields[0] != backend) {
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) {
      row[header[i]] = fields[i];
    }
    out.push_back(std::move(row));
  }
  return out;
}

// "srv_name" -> the words of its `show servers state` line.
std::map<std::string, std::vector<std::string>> ServersState(
    const std::string& master_socket, const std::string& backend) {
  std::string reply;
  std::map<std::string, std::vector<std::string>> out;
  if (!MasterCliCommand(master_socket, "@1 show servers state " + backend,
                        &reply, Millis(2000))
           .ok()) {
    return out;
  }
  for (const std::string& line : Lines(reply)) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
      words.push_back(w);
    }
    if (words.size() > 14 && words[1] == backend) {
      out[words[3]] = words;
    }
  }
  return out;
}

class LiveTest : public ManagedMarathonLbTest {
 protected:
  void SetUp() override {
    ManagedMarathonLbTest::SetUp();
    backends_timeout_ = Millis(5000);
    // Defaults of the live flags, small so that the suite stays fast; a test
    // changes them before StartMarathonLb().
    flags_ = {{"--sse-idle-timeout", "2"},  {"--max-backoff", "2"},
              {"--debounce-ms", "100"},     {"--min-update-interval-ms", "200"},
              {"--resync-interval", "300"}, {"--max-staleness", "900"},
              {"--max-old-workers", "3"}};
  }

  void TearDown() override {
    ManagedMarathonLbTest::TearDown();
    sims_.clear();
  }

  std::string Head() const {
    return LoopbackHead(dir_->File("haproxy.sock"));
  }

  // ---- processes -----------------------------------------------------------

  // A marathon-sim on 127.0.0.1 (keep-alive comments every 300 ms), with
  // `extra` flags (--auth USER:PASS).
  Sim& StartSim(const std::string& name, const std::string& state,
                const std::vector<std::string>& extra = {}) {
    auto sim = std::make_unique<Sim>();
    sim->state_file = dir_->File(name + "-state.json");
    AtomicWrite(sim->state_file, state);
    const std::string port_file = dir_->File(name + ".port");
    std::vector<std::string> argv = {sim_binary_, "--state", sim->state_file,
                                     "--listen", "127.0.0.1:0", "--port-file",
                                     port_file, "--keepalive-ms", "300"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    sim->process =
        std::make_unique<ScopedProcess>(argv, dir_->File(name + ".log"));
    sim->url = "http://" + WaitForPortFile(*sim->process, port_file);
    sim->port = UrlPort(sim->url);
    sims_.push_back(std::move(sim));
    return *sims_.back();
  }

  // marathon-lb MODE_ARGS --marathon URLS... with --run-haproxy, the admin
  // endpoint and flags_. Waits until HAProxy serves the first config (the
  // app-id frontend accepts and the pid file names a live haproxy).
  void StartMarathonLb(const std::vector<std::string>& mode_args,
                       const std::vector<std::string>& urls) {
    SpawnMarathonLb(ManagedArgs(mode_args, urls));
    AwaitHaproxy();
  }

  void DumpLogs() const override {
    ManagedMarathonLbTest::DumpLogs();
    for (const auto& sim : sims_) {
      std::cerr << "---- " << sim->process->log_path() << " (tail) ----\n"
                << Tail(sim->process->Output(), 40);
    }
  }

  // How many reloads marathon-lb logged ("reloaded HAProxy in N ms, ...").
  int LoggedReloads() const {
    return CountMessages(MlbLog(), "reloaded HAProxy in ");
  }

  // ---- Marathon state and the simulator's API -------------------------------

  static void PostApps(const Sim& sim, const std::string& state) {
    const HttpResponse r =
        HttpCall("POST", "127.0.0.1", sim.port, "/_sim/apps", state, {},
                 Millis(5000));
    ASSERT_EQ(r.status, 200) << r.Describe();
  }

  static void Fault(const Sim& sim, const std::string& query) {
    const HttpResponse r =
        HttpCall("POST", "127.0.0.1", sim.port, "/_sim/fault?" + query,
                 "", {}, Millis(5000));
    ASSERT_EQ(r.status, 200) << query << ": " << r.Describe();
  }

  static Poco::JSON::Object::Ptr SimJson(const Sim& sim,
                                         const std::string& path) {
    return JsonObject(
        HttpCall("GET", "127.0.0.1", sim.port, path, "", {}, Millis(5000))
            .body);
  }

  // /_sim/stats requests["GET /v2/apps"] and the like; -1 if unreadable.
  static long SimRequests(const Sim& sim, const std::string& key) {
    Poco::JSON::Object::Ptr stats = SimJson(sim, "/_sim/stats");
    if (stats.isNull() || !stats->has("requests")) {
      return -1;
    }
    return JsonInt(stats->getObject("requests"), key, 0);
  }

  // ---- through HAProxy and the admin endpoint -------------------------------

  // marathon-lb (sse) with --admin-token-file holding `file_text`, once
  // HAProxy serves the app /web on web-1.
  void StartWithAdminTokenFile(const std::string& file_text) {
    WriteFile(dir_->File("admin.token"), file_text);
    flags_["--admin-token-file"] = dir_->File("admin.token");
    const int web1 = StartEcho("web-1", "127.0.0.2");
    Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
    StartMarathonLb({"sse"}, {sim.url});
    if (!WaitForBackends({"web-1"})) {
      throw std::runtime_error("web-1 not served: " + ViaService().Describe());
    }
  }

  // POST /_mlb_signal/usr1 on the admin address with `authorization`.
  HttpResponse SignalUsr1(const std::string& authorization) const {
    return HttpCall("POST", "127.0.0.1", admin_port_, "/_mlb_signal/usr1", "",
                    {{"Authorization", authorization}}, Millis(5000));
  }

  // Waits for marathon-lb's first reload, which must be SIGUSR1's in place.
  void ExpectOneReloadInPlace() {
    EXPECT_TRUE(WaitUntil([&] { return LoggedReloads() == 1; }, Millis(5000)))
        << Tail(MlbLog());
    EXPECT_TRUE(HasMessage(MlbLog(), "reloaded " + cfg_ +
                                         " in place (SIGUSR1; Marathon not "
                                         "asked)"))
        << Tail(MlbLog());
  }

  Poco::JSON::Object::Ptr StatusJson() const {
    return JsonObject(Admin("/status").body);
  }
  // One sample of /metrics ("marathonlb_syncs_total{result=\"ok\"}"); -1
  // if none.
  double Metric(const std::string& sample) const {
    return MetricValue(Admin("/metrics").body, sample);
  }
  // /status's entry of the app's service port: its state and reason, or ""
  // if /status lists none.
  std::string PortState(const std::string& app_id, int service_port) const {
    Poco::JSON::Object::Ptr status = StatusJson();
    if (status.isNull() || status->getObject("apps").isNull() ||
        status->getObject("apps")->getObject(app_id).isNull()) {
      return "";
    }
    Poco::JSON::Array::Ptr ports =
        status->getObject("apps")->getObject(app_id)->getArray("ports");
    for (size_t i = 0; ports != nullptr && i < ports->size(); ++i) {
      Poco::JSON::Object::Ptr port = ports->getObject(i);
      if (JsonInt(port, "service_port", -1) == service_port) {
        return JsonText(port, "state") + ": " + JsonText(port, "reason");
      }
    }
    return "";
  }
  // The live changes the express path sent ahead of the config file.
  size_t ExpressChanges() const {
    return MatchingMessages(MlbLog(), "servers changed without a reload: "
                                      ".*, ahead of the config file.*")
        .size();
  }
  // marathon-lb in event mode without a secret, its callback on a free
  // port of 127.0.0.1, started on `sim` until web-1 is served and the
  // callback registered. Returns the callback's port (to POST events to).
  int StartEventModeServingWeb1(const Sim& sim) {
    const int callback_port = FreePort();
    const std::string callback =
        "http://127.0.0.1:" + std::to_string(callback_port) + "/";
    EXPECT_NO_THROW(StartMarathonLb({"event", callback}, {sim.url}));
    EXPECT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
    EXPECT_TRUE(WaitUntil(
        [&] {
          return CountMessages(MlbLog(), "registered event callback") == 1;
        },
        Millis(5000)));
    return callback_port;
  }
  // /web on web-1 (127.0.0.2) and web-2 (127.0.0.3), served; then web-2
  // replaced by web-3 (127.0.0.4) in Marathon, task events only. Returns
  // once the express path has sent that; the echoes' ports in *web.
  void StartWebThenReplaceATaskAhead(Sim** sim, std::array<int, 3>* web) {
    *web = {StartEcho("web-1", "127.0.0.2"), StartEcho("web-2", "127.0.0.3"),
            StartEcho("web-3", "127.0.0.4")};
    *sim = &StartSim("sim", State({{"127.0.0.2", {(*web)[0]}},
                                   {"127.0.0.3", {(*web)[1]}}}));
    ASSERT_NO_THROW(StartMarathonLb({"sse"}, {(*sim)->url}));
    ASSERT_TRUE(WaitForBackends({"web-1", "web-2"}))
        << ViaService().Describe();
    ASSERT_TRUE(WaitForStream());
    PostApps(**sim, State({{"127.0.0.2", {(*web)[0]}},
                           {"127.0.0.4", {(*web)[2]}}}));
    ASSERT_TRUE(
        WaitUntil([&] { return ExpressChanges() == 1; }, Millis(5000),
                  Millis(2)))
        << Tail(MlbLog());
  }

  // Review 16a's crash tests: `state` scales the tenant's app /bad (on
  // `bad_port`) to a second task; its requests (round robin, no cookie: the
  // second reaches the new server) must not kill HAProxy's worker, and /web
  // is still served.
  void ScaleTheBadAppAndExpectNoWorkerDeath(Sim& sim, const std::string& state,
                                            int bad_port, pid_t master) {
    PostApps(sim, state);
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::string log = MlbLog();
          return log.find("servers changed without a reload") !=
                     std::string::npos ||
                 log.find("servers changed, reloading") != std::string::npos ||
                 log.find("haproxy -c rejected the new config") !=
                     std::string::npos;
        },
        Millis(10000)))
        << Tail(MlbLog());
    for (int i = 0; i < 4; ++i) {
      HttpGet("127.0.0.1", bad_port, "/", "bad.test");
    }
    // Settled: a death is noticed within a few ms (measured: 20 ms).
    WaitUntil(
        [&] { return JsonInt(StatusJson(), "haproxy_worker_deaths", 0) > 0; },
        Millis(3000));
    EXPECT_EQ(JsonInt(StatusJson(), "haproxy_worker_deaths", -1), 0)
        << Tail(MlbLog());
    EXPECT_EQ(MatchingMessages(MlbLog(), ".*All workers exited.*").size(), 0u)
        << Tail(MlbLog());
    EXPECT_EQ(HaproxyMasterPid(), master) << Tail(MlbLog());
    EXPECT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe() << "\n"
                                            << Tail(MlbLog());
  }

  // /web on web-1 (127.0.0.2), with `more` labels, then web-2 (127.0.0.3)
  // added in Marathon; returns once HAProxy has both servers (or a fatal
  // failure says why not), logging how the change was made.
  void ScaleWebFromOneToTwo(const std::map<std::string, std::string>& more) {
    const int web1 = StartEcho("web-1", "127.0.0.2");
    const int web2 = StartEcho("web-2", "127.0.0.3");
    Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}, more));
    ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
    ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
    ASSERT_TRUE(WaitForStream());
    PostApps(sim,
             State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}, more));
    const std::string backend = "web_" + std::to_string(service_port_);
    ASSERT_TRUE(WaitUntil(
        [&] { return ServerStats(MasterSocket(), backend).size() == 2; },
        Millis(5000)))
        << Tail(MlbLog());
    std::cout << "[ info     ] live_changes "
              << JsonInt(StatusJson(), "live_changes", -1) << ", reloads "
              << LoggedReloads() << std::endl;
  }

  // Waits (5 s at most) until /status says the event stream is connected.
  bool WaitForStream() const {
    return WaitUntil(
        [&] { return JsonText(StatusJson(), "stream_connected") == "true"; },
        Millis(5000));
  }
  // `n` requests through the service port that each backend answers
  // `delay_ms` late, started 20 ms apart, each on a thread of its own; the
  // destructor waits for them.
  class SlowRequests {
   public:
    SlowRequests(int port, int n, int delay_ms) : responses_(n) {
      for (int i = 0; i < n; ++i) {
        threads_.emplace_back([this, port, delay_ms, i] {
          responses_[i] = HttpCall(
              "GET", "127.0.0.1", port, "/", "",
              {{"Host", "web.test"},
               {"X-Echo-Delay-Ms", std::to_string(delay_ms)}},
              Millis(8000));
        });
        std::this_thread::sleep_for(Millis(20));
      }
    }
    ~SlowRequests() { Wait(); }
    const std::vector<HttpResponse>& Wait() {
      for (std::thread& t : threads_) {
        if (t.joinable()) t.join();
      }
      return responses_;
    }

   private:
    std::vector<HttpResponse> responses_;
    std::vector<std::thread> threads_;
  };

  std::vector<std::unique_ptr<Sim>> sims_;
};

// A `haproxy -c` that takes `seconds`: the update of every app takes longer,
// so the window in which the file may stay behind (1 s + 2x the last full
// update) is wide enough for a test to act inside it.
std::string SlowCheckHaproxy(TempDir& dir, int seconds) {
  const std::string wrapper = dir.File("slow-check-haproxy");
  WriteFile(wrapper,
            "#!/bin/sh\n"
            "for a in \"$@\"; do [ \"$a\" = -c ] && sleep " +
                std::to_string(seconds) +
                "; done\n"
                "h=$(command -v haproxy || echo /usr/sbin/haproxy)\n"
                "exec \"$h\" \"$@\"\n");
  chmod(wrapper.c_str(), 0755);
  return wrapper;
}

// 1. sse: a task added in Marathon is routed by HAProxy within 2 s of the
// change (the simulator's POST /_sim/apps publishes status_update_event on
// the stream; marathon-lb regenerates and reloads its HAProxy).
TEST_F(LiveTest, SseNewTaskIsRoutedWithinTwoSeconds) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(),
                          "event stream connected: " + sim.url + kEventsQuery);
      },
      Millis(5000)));
  // The first config started HAProxy; nothing was reloaded yet.
  const pid_t master = HaproxyMasterPid();
  EXPECT_TRUE(HasMessage(
      MlbLog(), "started HAProxy (master pid " + std::to_string(master) + ")"));
  EXPECT_EQ(LoggedReloads(), 0);

  const auto posted = Clock::now();
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  std::vector<std::string> before;
  const bool routed = WaitUntil(
      [&] {
        before.push_back(ViaService().Backend());
        return before.back() == "web-2";
      },
      Millis(5000), Millis(10));
  const long latency = MillisSince(posted);
  std::cout << "[ measure  ] event -> routed latency: " << latency << " ms ("
            << before.size() << " requests)" << std::endl;
  ASSERT_TRUE(routed) << ::testing::PrintToString(before);
  EXPECT_LT(latency, 2000);
  EXPECT_THAT(before, Each(::testing::AnyOf("web-1", "web-2")));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));

  // A regeneration triggered by the stream's events, and no reload: the
  // new server went in through HAProxy's runtime API (issue 14).
  // (The app's "instances" changed too, hence also an api_post_event.)
  const std::string regeneration =
      "regeneration #[0-9]+: 2 events \\(api_post_event x1, "
      "status_update_event x1\\): done in [0-9]+ ms";
  EXPECT_TRUE(WaitUntil(
      [&] { return MatchingMessages(MlbLog(), regeneration).size() == 1; },
      Millis(3000)))
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
  EXPECT_EQ(MatchingMessages(MlbLog(),
                             "servers changed without a reload: \\+1 -0 "
                             "\\(sections \\+0 -0 ~0, servers \\+1 -0 in "
                             "backend web_[0-9]+\\), "
                             "[0-9.]+ ms, [0-9.]+ ms CPU, ahead of the "
                             "config file")
                .size(),
            1u)
      << Tail(MlbLog());
  EXPECT_EQ(HaproxyMasterPid(), master);
  const Poco::JSON::Object::Ptr status = StatusJson();
  ASSERT_FALSE(status.isNull());
  EXPECT_EQ(JsonText(status, "marathon"), sim.url);
  EXPECT_EQ(JsonText(status, "stream_connected"), "true");
  EXPECT_EQ(JsonText(status, "haproxy_running"), "true");
  EXPECT_EQ(JsonInt(status, "reloads", -1), 0);
  EXPECT_EQ(JsonInt(status, "live_changes", -1), 1);
  EXPECT_EQ(JsonInt(status, "live_servers_added", -1), 1);
  EXPECT_EQ(JsonInt(status, "failed_reloads", -1), 0);
  EXPECT_EQ(JsonInt(status, "failed_syncs", -1), 0);
}

// 1a. Issue 14: scaling an app 1 -> 10 -> 1 task by task changes HAProxy's
// servers through its runtime API. The worker never changes (no reload),
// each new task answers through HAProxy, each removed one gets no new
// request, and in the end HAProxy's servers are the config's.
TEST_F(LiveTest, ScalingTaskByTaskChangesServersWithoutAReload) {
  constexpr int kTasks = 10;
  std::vector<TaskSpec> tasks;
  for (int i = 1; i <= kTasks; ++i) {
    const std::string ip = "127.0.0." + std::to_string(1 + i);
    tasks.push_back({ip, {StartEcho("web-" + std::to_string(i), ip)}});
  }
  auto first = [&](int n) {
    return std::vector<TaskSpec>(tasks.begin(), tasks.begin() + n);
  };
  Sim& sim = StartSim("sim", State(first(1)));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  HaproxyProcList start;
  ASSERT_TRUE(ShowProc(MasterSocket(), &start).ok());
  ASSERT_EQ(start.workers.size(), 1u);
  // Who answers `n` requests in a row, each on a new connection.
  auto answers = [&](int n) {
    std::set<std::string> seen;
    for (int i = 0; i < n; ++i) {
      seen.insert(ViaService().Backend());
    }
    return seen;
  };

  std::vector<long> latencies;
  for (int n = 2; n <= kTasks; ++n) {
    const std::string newest = "web-" + std::to_string(n);
    const auto posted = Clock::now();
    PostApps(sim, State(first(n)));
    ASSERT_TRUE(WaitUntil([&] { return ViaService().Backend() == newest; },
                          Millis(5000), Millis(2)))
        << newest << " never answered\n" << Tail(MlbLog());
    latencies.push_back(MillisSince(posted));
  }
  std::set<std::string> all;
  for (int i = 1; i <= kTasks; ++i) {
    all.insert("web-" + std::to_string(i));
  }
  EXPECT_EQ(answers(3 * kTasks), all);

  for (int n = kTasks - 1; n >= 1; --n) {
    const std::string removed = "web-" + std::to_string(n + 1);
    PostApps(sim, State(first(n)));
    ASSERT_TRUE(WaitUntil(
        [&] {
          return JsonInt(StatusJson(), "live_servers_removed") == kTasks - n;
        },
        Millis(5000)))
        << removed << " not removed\n" << Tail(MlbLog());
    const std::set<std::string> seen = answers(2 * n + 2);
    EXPECT_EQ(seen.count(removed), 0u) << removed << " still answers";
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));
  }
  std::sort(latencies.begin(), latencies.end());
  std::cout << "[ measure  ] event -> new task answering, median "
            << latencies[latencies.size() / 2] << " ms, max "
            << latencies.back() << " ms (" << latencies.size()
            << " changes, debounce 100 ms)" << std::endl;

  // Marathon was asked for every app once, at the start; then the events
  // did (app_model.h), each change's api_post_event (the app's instances
  // changed) fetching that app alone.
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), 1);
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps/<id>"), 2 * (kTasks - 1));

  // The same worker all along, and no reload logged or counted.
  HaproxyProcList end;
  ASSERT_TRUE(ShowProc(MasterSocket(), &end).ok());
  ASSERT_EQ(end.workers.size(), 1u);
  EXPECT_EQ(end.workers[0].pid, start.workers[0].pid);
  EXPECT_TRUE(end.old_workers.empty());
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
  const Poco::JSON::Object::Ptr status = StatusJson();
  EXPECT_EQ(JsonInt(status, "reloads", -1), 0);
  EXPECT_EQ(JsonInt(status, "live_servers_added", -1), kTasks - 1);
  EXPECT_EQ(JsonInt(status, "live_servers_removed", -1), kTasks - 1);
  EXPECT_EQ(JsonInt(status, "live_fallbacks", -1), 0);
  EXPECT_EQ(JsonInt(status, "live_pending_deletes", -1), 0);

  // HAProxy's servers (show servers state: one line per server after the
  // version and header lines) are the one server line of the file.
  const std::string backend = "web_" + std::to_string(service_port_);
  std::string reply;
  ASSERT_TRUE(MasterCliCommand(MasterSocket(),
                               "@1 show servers state " + backend, &reply,
                               Millis(2000))
                  .ok());
  std::vector<std::string> servers;
  for (const std::string& line : Lines(reply)) {
    std::istringstream words(line);
    std::string be_id, be_name, srv_id, srv_name;
    if (words >> be_id >> be_name >> srv_id >> srv_name && be_name == backend) {
      servers.push_back(srv_name);
    }
  }
  // (The express path sends the runtime commands first; the file, checked,
  // follows within the same update.)
  std::vector<std::string> in_file;
  std::vector<std::string> addresses;
  auto read_file = [&] {
    in_file.clear();
    addresses.clear();
    for (const std::string& line : Lines(ReadFile(cfg_))) {
      std::istringstream words(line);
      std::string keyword, name, address;
      if (words >> keyword >> name >> address && keyword == "server") {
        in_file.push_back(name);
        addresses.push_back(address);
      }
    }
    return in_file.size() == 1;
  };
  ASSERT_TRUE(WaitUntil(read_file, Millis(5000))) << ReadFile(cfg_);
  EXPECT_EQ(addresses[0],
            tasks[0].host + ":" + std::to_string(tasks[0].ports[0]));
  EXPECT_EQ(servers, in_file) << reply;
}

// 1a'. A task replaced (one ends, another starts; the app's definition the
// same, so status_update_events only) takes the express path: the app is
// rendered alone and its servers sent to HAProxy at once; an update of
// every app then writes the file, checked, without a reload, within a
// second and twice the last such update. Marathon is not asked for
// anything.
TEST_F(LiveTest, AReplacedTaskGoesLiveAheadOfTheFileAndMarathonIsNotAsked) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  const pid_t master = HaproxyMasterPid();

  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.4", {web3}}}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-3"})) << Tail(MlbLog());
  const std::string backend = "web_" + std::to_string(service_port_);
  EXPECT_EQ(MatchingMessages(
                MlbLog(),
                "servers changed without a reload: \\+1 -1 \\(sections \\+0 "
                "-0 ~0, servers \\+1 -1 in backend " + backend +
                    "\\), [0-9.]+ ms, [0-9.]+ ms CPU, ahead of the config "
                    "file(, 1 in maintenance until their connections "
                    "end)?")
                .size(),
            1u)
      << Tail(MlbLog());
  // The file follows, with the servers HAProxy has.
  auto file_servers = [&] {
    std::set<std::string> out;
    for (const std::string& line : Lines(ReadFile(cfg_))) {
      std::istringstream words(line);
      std::string keyword, name, address;
      if (words >> keyword >> name >> address && keyword == "server") {
        out.insert(address);
      }
    }
    return out;
  };
  const std::set<std::string> want = {"127.0.0.2:" + std::to_string(web1),
                                      "127.0.0.4:" + std::to_string(web3)};
  EXPECT_TRUE(WaitUntil([&] { return file_servers() == want; }, Millis(5000)))
      << ReadFile(cfg_);
  // Written by an update of its own, a second or so later (tasks changed,
  // nothing else: a rolling deploy is not a whole render per event).
  EXPECT_TRUE(WaitUntil(
      [&] {
        return MatchingMessages(MlbLog(),
                                "regeneration #[0-9]+: the config file "
                                "catching up with HAProxy: done in [0-9]+ ms")
                   .size() == 1;
      },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), 1);
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps/<id>"), 0);
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
  EXPECT_EQ(HaproxyMasterPid(), master);
  EXPECT_EQ(JsonInt(StatusJson(), "live_fallbacks", -1), 0);
}

// 1a''. The express path's window: HAProxy restarted after the servers were
// sent and before the file had them read the file of before. The update
// reloads it once the file is written (a `haproxy -c` made slow keeps the
// window open; the master is killed inside it).
TEST_F(LiveTest, AnHaproxyRestartedBeforeTheFileCaughtUpIsReloadedOntoIt) {
  flags_["--haproxy-binary"] = SlowCheckHaproxy(*dir_, 1);
  Sim* sim = nullptr;
  std::array<int, 3> web;
  ASSERT_NO_FATAL_FAILURE(StartWebThenReplaceATaskAhead(&sim, &web));
  const pid_t master = HaproxyMasterPid();
  ASSERT_EQ(kill(master, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(),
                             "HAProxy restarted on the config file of before "
                             "the servers sent to it; reloading") == 1;
      },
      Millis(10000)))
      << Tail(MlbLog());
  HaproxyGroupGuard::Remove(master);
  ASSERT_TRUE(WaitUntil([&] { return HaproxyMasterPid() > 0; }, Millis(5000)));
  HaproxyGroupGuard::Add(HaproxyMasterPid());
  EXPECT_TRUE(WaitForBackends({"web-1", "web-3"}, Millis(10000)))
      << Tail(MlbLog());
  EXPECT_NE(ReadFile(cfg_).find("127.0.0.4:" + std::to_string(web[2])),
            std::string::npos);
}

// 1a''''. A deployment group's apps share one backend (/shop-blue and
// /shop-green are /shop): one of them rendered alone would be the group
// without the other's tasks. A task of the new app replaced does not take
// the express path; the update of every app changes the servers, live, and
// the old app's task keeps its traffic all along.
TEST_F(LiveTest, ADeploymentGroupsTaskChangeDoesNotTakeTheExpressPath) {
  const int blue1 = StartEcho("blue-1", "127.0.0.2");
  const int green1 = StartEcho("green-1", "127.0.0.3");
  const int green2 = StartEcho("green-2", "127.0.0.4");
  const int port = FreePort();
  const auto app = [&](const std::string& colour, const std::string& started,
                       const std::vector<TaskSpec>& tasks) {
    std::map<std::string, std::string> labels = {
        {"HAPROXY_GROUP", kGroup},
        {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
        {"HAPROXY_0_MODE", "http"},
        {"HAPROXY_DEPLOYMENT_GROUP", "shop"},
        {"HAPROXY_DEPLOYMENT_COLOUR", colour},
        {"HAPROXY_DEPLOYMENT_STARTED_AT", started},
        {"HAPROXY_DEPLOYMENT_TARGET_INSTANCES", "2"},
        {"HAPROXY_DEPLOYMENT_ALT_PORT", std::to_string(port + 1)},
        {"HAPROXY_0_PORT", std::to_string(port)}};
    if (colour == "green") {
      labels["HAPROXY_DEPLOYMENT_NEW_INSTANCES"] = "1";
    }
    return AppJson("/shop-" + colour, {port}, labels, tasks);
  };
  const auto state = [&](int green) {
    return StateJson(
        {app("blue", "2016-02-01T15:51:38.184623", {{"127.0.0.2", {blue1}}}),
         app("green", "2016-02-01T16:00:00.000000",
             {{green == 1 ? "127.0.0.3" : "127.0.0.4",
               {green == 1 ? green1 : green2}}})});
  };
  Sim& sim = StartSim("sim", state(1));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForStream());
  const auto answers = [&](int n) {
    std::set<std::string> seen;
    for (int i = 0; i < n; ++i) {
      seen.insert(HttpGet("127.0.0.1", port, "/", "x").Backend());
    }
    return seen;
  };
  ASSERT_TRUE(WaitUntil(
      [&] { return answers(6) == std::set<std::string>{"blue-1", "green-1"}; },
      Millis(10000)))
      << Tail(MlbLog());

  PostApps(sim, state(2));
  ASSERT_TRUE(WaitUntil(
      [&] { return answers(6) == std::set<std::string>{"blue-1", "green-2"}; },
      Millis(10000)))
      << Tail(MlbLog());
  EXPECT_EQ(ExpressChanges(), 0u)
      << Tail(MlbLog());
  EXPECT_EQ(MatchingMessages(MlbLog(),
                             "servers changed without a reload: \\+1 -1 "
                             "\\(sections \\+0 -0 ~0, servers \\+1 -1 in "
                             "backend shop_" + std::to_string(port) +
                                 "\\), [0-9.]+ ms, [0-9.]+ ms CPU(, 1 in "
                                 "maintenance until their connections end)?")
                .size(),
            1u)
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
}

// 1a'''''. Task events skip the debounce and the minimum interval (the
// express path takes them without a reload): with a minimum interval of a
// minute between updates, a replaced task is served at once, twice in a
// row. A label change (api_post_event) still waits the minute.
TEST_F(LiveTest, TaskEventsAreNotHeldByTheMinimumIntervalBetweenUpdates) {
  flags_["--min-update-interval-ms"] = "60000";
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());

  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.4", {web3}}}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-3"}, Millis(10000)))
      << Tail(MlbLog());
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(10000)))
      << Tail(MlbLog());
  EXPECT_EQ(ExpressChanges(),
            2u)
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0);

  // A label: not a task event, so the minute holds it.
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}},
                      {{"HAPROXY_0_BALANCE", "leastconn"}}));
  std::this_thread::sleep_for(Millis(1500));
  EXPECT_EQ(ReadFile(cfg_).find("balance leastconn"), std::string::npos);
}

// 1a'''. A task killed with requests in flight (TASK_KILLING, then gone):
// its server goes to maintenance at once, so new requests go elsewhere,
// those in flight finish (none fails), and it is deleted once they have.
TEST_F(LiveTest, KillingATaskWithRequestsInFlightFailsNone) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const std::vector<TaskSpec> both = {{"127.0.0.2", {web1}},
                                      {"127.0.0.3", {web2}}};
  Sim& sim = StartSim("sim", State(both));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());

  // Six slow requests, round-robin: three on each task.
  SlowRequests slow(service_port_, 6, 2500);

  // Marathon's kill: TASK_KILLING during the grace period, then gone.
  std::string killing = State(both);
  const size_t second = killing.rfind("TASK_RUNNING");
  killing.replace(second, std::string("TASK_RUNNING").size(), "TASK_KILLING");
  PostApps(sim, killing);
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_servers_removed") == 1; },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(JsonInt(StatusJson(), "live_pending_deletes", -1), 1);
  std::set<std::string> after;
  for (int i = 0; i < 6; ++i) {
    after.insert(ViaService().Backend());
  }
  EXPECT_EQ(after, std::set<std::string>{"web-1"});
  PostApps(sim, State({both[0]}));

  int on_web2 = 0;
  for (const HttpResponse& r : slow.Wait()) {
    EXPECT_EQ(r.status, 200) << r.Describe();
    on_web2 += r.Backend() == "web-2";
  }
  EXPECT_GE(on_web2, 1);

  // Once its connections have ended (idle ones HAProxy kept for reuse
  // included) the server is deleted, without another update.
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_pending_deletes", -1) == 0; },
      Millis(15000)))
      << Tail(MlbLog());
  EXPECT_TRUE(HasMessage(MlbLog(),
                         "deleted 1 server(s) whose connections have ended"))
      << Tail(MlbLog());
  std::string reply;
  ASSERT_TRUE(MasterCliCommand(MasterSocket(),
                               "@1 show servers state web_" +
                                   std::to_string(service_port_),
                               &reply, Millis(2000))
                  .ok());
  EXPECT_THAT(reply, Not(HasSubstr("127_0_0_3_"))) << reply;
  EXPECT_THAT(reply, HasSubstr("127_0_0_2_")) << reply;
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
}

// 1a'''. Issue 14 item 2: between full fetches the events are the truth;
// a full resync (SIGHUP here, or --resync-interval, or a reconnect) puts back
// Marathon's and says what the events got wrong. The event below names a
// task Marathon does not have.
TEST_F(LiveTest, AResyncCorrectsWhatTheEventsGotWrongAndSaysSo) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());

  const std::string event =
      "{\"eventType\": \"status_update_event\", \"appId\": \"/web\", "
      "\"taskId\": \"web.99\", \"taskStatus\": \"TASK_RUNNING\", "
      "\"host\": \"127.0.0.3\", \"ports\": [" +
      std::to_string(web2) + "], \"timestamp\": \"2026-12-06T00:00:00Z\"}";
  const HttpResponse posted = HttpCall("POST", "127.0.0.1", sim.port,
                                       "/_sim/event", event, {}, Millis(5000));
  ASSERT_EQ(posted.status, 200) << posted.Describe();
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), 1);

  kill(mlb_->pid(), SIGHUP);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(),
                          "full resync: the events had made 1 app(s) differ "
                          "from Marathon's: /web");
      },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), 2);
}

// 1e. Issue 14: a storm of task changes (200 states posted as fast as the
// simulator takes them, some 1,000 events) ends with HAProxy serving
// exactly the last state's tasks, without a reload, the config on disk
// saying the same, and a full resync finding nothing the events got wrong.
TEST_F(LiveTest, AStormOfTaskChangesEndsWithHaproxyServingTheLastState) {
  constexpr int kTasks = 10;
  std::vector<TaskSpec> tasks;
  for (int i = 1; i <= kTasks; ++i) {
    const std::string ip = "127.0.0." + std::to_string(1 + i);
    tasks.push_back({ip, {StartEcho("web-" + std::to_string(i), ip)}});
  }
  // Subsets of the tasks, at random (fixed seed), each different from the
  // one before.
  std::mt19937 rng(14);
  auto subset = [&](unsigned bits) {
    std::vector<TaskSpec> out;
    for (int i = 0; i < kTasks; ++i) {
      if (bits & (1u << i)) {
        out.push_back(tasks[i]);
      }
    }
    return out;
  };
  unsigned bits = 0x1f;
  Sim& sim = StartSim("sim", State(subset(bits)));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForStream());
  for (int i = 0; i < 200; ++i) {
    unsigned next = 0;
    while (next == 0 || next == bits) {
      next = std::uniform_int_distribution<unsigned>(1, (1u << kTasks) - 1)(
          rng);
    }
    bits = next;
    PostApps(sim, State(subset(bits)));
  }
  std::set<std::string> want;
  for (const TaskSpec& t : subset(bits)) {
    want.insert(t.host + ":" + std::to_string(t.ports[0]));
  }
  const std::string backend = "web_" + std::to_string(service_port_);
  // HAProxy's servers (address:port of each), and the config file's.
  auto haproxy_servers = [&] {
    std::string reply;
    std::set<std::string> out;
    if (!MasterCliCommand(MasterSocket(), "@1 show servers state " + backend,
                          &reply, Millis(2000))
             .ok()) {
      return out;
    }
    for (const std::string& line : Lines(reply)) {
      std::istringstream words(line);
      std::vector<std::string> w{std::istream_iterator<std::string>(words),
                                 std::istream_iterator<std::string>()};
      // be_id be_name srv_id srv_name srv_addr ... srv_port (the 19th)
      if (w.size() > 18 && w[1] == backend) {
        out.insert(w[4] + ":" + w[18]);
      }
    }
    return out;
  };
  auto file_servers = [&] {
    std::set<std::string> out;
    for (const std::string& line : Lines(ReadFile(cfg_))) {
      std::istringstream words(line);
      std::string keyword, name, address;
      if (words >> keyword >> name >> address && keyword == "server") {
        out.insert(address);
      }
    }
    return out;
  };
  EXPECT_TRUE(WaitUntil([&] { return haproxy_servers() == want; },
                        Millis(15000)))
      << ::testing::PrintToString(haproxy_servers()) << " vs "
      << ::testing::PrintToString(want) << "\n"
      << Tail(MlbLog());
  // The file follows HAProxy (the express path sends servers first).
  EXPECT_TRUE(WaitUntil([&] { return file_servers() == want; }, Millis(5000)))
      << ::testing::PrintToString(file_servers()) << " vs "
      << ::testing::PrintToString(want);
  const Poco::JSON::Object::Ptr stats = SimJson(sim, "/_sim/stats");
  std::cout << "[ measure  ] storm: " << JsonInt(stats, "eventsPublished", -1)
            << " events published, "
            << JsonInt(StatusJson(), "live_changes", -1) << " live changes, "
            << SimRequests(sim, "GET /v2/apps/<id>") << " apps fetched alone"
            << std::endl;
  EXPECT_GE(JsonInt(stats, "eventsPublished", -1), 1000);
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());
  EXPECT_EQ(JsonInt(StatusJson(), "live_fallbacks", -1), 0);

  kill(mlb_->pid(), SIGHUP);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return MatchingMessages(MlbLog(),
                                "regeneration #[0-9]+: full resync "
                                "\\(SIGHUP\\): done in [0-9]+ ms")
                   .size() == 1;
      },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), 2);
  EXPECT_EQ(CountMessages(MlbLog(), "full resync: the events had made"), 0)
      << Tail(MlbLog());
  EXPECT_EQ(haproxy_servers(), want);
  EXPECT_EQ(LoggedReloads(), 0);
}

// 1f. Issue 14: a structural change (a new app) still reloads, while the
// servers of the first app change live, with a client loop on the first
// app losing no request across both.
TEST_F(LiveTest, ANewAppReloadsATaskChangeDoesNotAndNoRequestFails) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int other = StartEcho("other-1", "127.0.0.4");
  const int other_port = FreePort();
  auto apps = [&](const std::vector<TaskSpec>& web_tasks, bool with_other) {
    std::vector<std::string> out = {AppJson(
        "/web", {service_port_},
        {{"HAPROXY_GROUP", kGroup},
         {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
         {"HAPROXY_0_MODE", "http"}},
        web_tasks)};
    if (with_other) {
      out.push_back(AppJson("/other", {other_port},
                            {{"HAPROXY_GROUP", kGroup},
                             {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                             {"HAPROXY_0_MODE", "http"}},
                            {{"127.0.0.4", {other}}}));
    }
    return StateJson(out);
  };
  Sim& sim = StartSim("sim", apps({{"127.0.0.2", {web1}}}, false));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());

  ClientLoop client([&] { return ViaService(); }, Millis(2), 20000,
                    Millis(30000));
  // A task: live, no reload.
  PostApps(sim, apps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}, false));
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_servers_added") == 1; },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0);
  // A new app: a reload.
  PostApps(sim, apps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}, true));
  ASSERT_TRUE(WaitUntil([&] { return LoggedReloads() == 1; }, Millis(5000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitUntil(
      [&] {
        return HttpGet("127.0.0.1", other_port, "/", "other.test").Backend() ==
               "other-1";
      },
      Millis(5000)));
  // Some more requests after the reload, then the tally.
  const int seen = client.requests();
  EXPECT_TRUE(
      WaitUntil([&] { return client.requests() > seen + 50; }, Millis(5000)));
  client.Stop();
  std::cout << "[ measure  ] " << client.requests() << " requests, "
            << client.failures() << " failed, across a live change and a "
            << "reload" << std::endl;
  EXPECT_EQ(client.failures(), 0) << client.FailureSamples();
  EXPECT_GT(client.backends()["web-2"], 0);
  EXPECT_EQ(JsonInt(StatusJson(), "live_changes", -1), 1);
}

// Issue 15 item 4: /metrics as the Prometheus parser reads it, its figures
// moving with a live change (servers only), then a reload (a new app), each
// a new generation of the config, whose size and SHA-256 /metrics and
// /status give; the events' lag is measured.
TEST_F(LiveTest, MetricsMoveWithALiveChangeAndAReload) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int other = StartEcho("other-1", "127.0.0.4");
  const int other_port = FreePort();
  const std::map<std::string, std::string> labels = {
      {"HAPROXY_GROUP", kGroup},
      {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
      {"HAPROXY_0_MODE", "http"}};
  const std::string web_one =
      AppJson("/web", {service_port_}, labels, {{"127.0.0.2", {web1}}});
  const std::string web_two =
      AppJson("/web", {service_port_}, labels,
              {{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  Sim& sim = StartSim("sim", StateJson({web_one}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  // The config's size, SHA-256 and generation (1: the first written).
  auto config_matches = [&](double generation) {
    const std::string cfg = ReadFile(cfg_);
    const Sha256Digest digest = Sha256(cfg);
    const Poco::JSON::Object::Ptr status = StatusJson();
    return Metric("marathonlb_config_generation") == generation &&
           JsonInt(status, "generation", -1) == generation &&
           Metric("marathonlb_config_bytes") == static_cast<double>(cfg.size()) &&
           JsonText(status, "config_sha256") ==
               Hex(digest.data(), digest.size());
  };
  EXPECT_TRUE(WaitUntil([&] { return config_matches(1); }, Millis(5000)))
      << Admin("/metrics").body << Admin("/status").body;
  std::string metrics = Admin("/metrics").body;
  const std::string parsed = PrometheusParsed(metrics);
  for (const char* sample :
       {"marathonlb_reloads counter marathonlb_reloads_total {result=ok} 0.0\n",
        "marathonlb_live_changes counter marathonlb_live_changes_total {} "
        "0.0\n",
        "marathonlb_syncs counter marathonlb_syncs_total {result=failed} "
        "0.0\n",
        "marathonlb_event_stream_connected gauge "
        "marathonlb_event_stream_connected {} 1.0\n",
        "marathonlb_haproxy_running gauge marathonlb_haproxy_running {} "
        "1.0\n"}) {
    EXPECT_THAT(parsed, HasSubstr(sample));
  }
  const double syncs = MetricValue(metrics, "marathonlb_syncs_total{result=\"ok\"}");
  EXPECT_GE(syncs, 1);
  EXPECT_EQ(MetricValue(metrics, "marathonlb_update_duration_seconds_count"),
            syncs);
  EXPECT_EQ(PortState("/web", service_port_), "routed: ");

  // A task: a live change, a new generation, no reload; the event's lag.
  PostApps(sim, StateJson({web_two}));
  EXPECT_TRUE(WaitUntil(
      [&] { return Metric("marathonlb_live_changes_total") == 1; },
      Millis(5000)))
      << Admin("/metrics").body;
  EXPECT_TRUE(WaitUntil([&] { return config_matches(2); }, Millis(5000)))
      << Admin("/metrics").body;
  metrics = Admin("/metrics").body;
  EXPECT_EQ(MetricValue(metrics, "marathonlb_reloads_total{result=\"ok\"}"), 0);
  EXPECT_GT(MetricValue(metrics, "marathonlb_event_lag_seconds"), 0) << metrics;
  EXPECT_GT(MetricValue(metrics, "marathonlb_syncs_total{result=\"ok\"}"), syncs);

  // A new app: a reload, the next generation.
  PostApps(sim, StateJson({web_two, AppJson("/other", {other_port}, labels,
                                            {{"127.0.0.4", {other}}})}));
  EXPECT_TRUE(WaitUntil(
      [&] { return Metric("marathonlb_reloads_total{result=\"ok\"}") == 1; },
      Millis(5000)))
      << Admin("/metrics").body;
  EXPECT_TRUE(WaitUntil([&] { return config_matches(3); }, Millis(5000)))
      << Admin("/metrics").body;
  EXPECT_EQ(Metric("marathonlb_live_changes_total"), 1);
  EXPECT_EQ(Metric("marathonlb_reloads_total{result=\"failed\"}"), 0);
  EXPECT_EQ(PortState("/other", other_port), "routed: ");
  EXPECT_EQ(LoggedReloads(), 1);
}

// 1a'. What the runtime API cannot add is reloaded in: sticky sessions put
// `cookie` on the server lines, which HAProxy 2.6 refuses on `add server`.
TEST_F(LiveTest, AServerLineTheRuntimeApiRefusesIsReloadedIn) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  // Sticky with marathon-lb 1.15's cookie line: no dynamic cookies.
  auto sticky = [&](const std::vector<TaskSpec>& tasks) {
    return State(tasks, {{"HAPROXY_0_STICKY", "true"},
                         {"HAPROXY_0_BACKEND_STICKY_OPTIONS",
                          "  cookie mesosphere_server_id insert indirect "
                          "nocache\n"}});
  };
  Sim& sim = StartSim("sim", sticky({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  PostApps(sim, sticky({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitUntil([&] { return LoggedReloads() == 1; }, Millis(5000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  const std::string why =
      "server 127_0_0_3_" + std::to_string(web2) + " of backend web_" +
      std::to_string(service_port_) +
      ": HAProxy 2.6 refuses 'cookie' on a server added through the runtime "
      "API, and the backend has no dynamic cookies ('cookie ... dynamic' and "
      "'dynamic-cookie-key') to give it one";
  EXPECT_TRUE(HasMessage(MlbLog(), "servers changed, reloading: " + why))
      << Tail(MlbLog());
  const Poco::JSON::Object::Ptr status = StatusJson();
  EXPECT_EQ(JsonInt(status, "live_fallbacks", -1), 1);
  EXPECT_EQ(JsonText(status, "last_live_fallback"), why);
  EXPECT_EQ(JsonInt(status, "live_changes", -1), 0);
}

// Sticky sessions across a live change (the built-in cookie line has
// dynamic cookies): a task scaled in goes live, no reload; a client whose
// cookie names web-1 stays on web-1; the new server web-2 hands out a
// cookie of its own, and a client holding it stays on web-2.
TEST_F(LiveTest, StickySessionsHoldAcrossALiveScaleUp) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  auto sticky = [&](const std::vector<TaskSpec>& tasks) {
    return State(tasks, {{"HAPROXY_0_STICKY", "true"}});
  };
  Sim& sim = StartSim("sim", sticky({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  // The cookie web-1 hands out (its line's own: marathon-lb 1.15's).
  const auto request = [&](const std::string& cookie) {
    HttpHeaders headers = {{"Host", "web.test"}};
    if (!cookie.empty()) {
      headers.push_back({"Cookie", "mesosphere_server_id=" + cookie});
    }
    return HttpCall("GET", "127.0.0.1", service_port_, "/", "", headers,
                    Millis(3000));
  };
  const auto cookie_of = [](const HttpResponse& r) {
    const std::string set = r.Header("Set-Cookie");
    const std::string key = "mesosphere_server_id=";
    if (set.rfind(key, 0) != 0) {
      return std::string();
    }
    return set.substr(key.size(), set.find(';') - key.size());
  };
  const std::string cookie1 = cookie_of(request(""));
  ASSERT_FALSE(cookie1.empty());

  PostApps(sim, sticky({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  const std::string backend = "web_" + std::to_string(service_port_);
  ASSERT_TRUE(WaitUntil(
      [&] { return ServerStats(MasterSocket(), backend).size() == 2; },
      Millis(5000)))
      << Tail(MlbLog());
  // (Counted once HAProxy has answered the last command.)
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_changes", -1) == 1; },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0) << Tail(MlbLog());

  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(request(cookie1).Backend(), "web-1");
  }
  // Without a cookie, round robin reaches web-2, which sets its own.
  std::string cookie2;
  for (int i = 0; i < 6 && cookie2.empty(); ++i) {
    const HttpResponse r = request("");
    if (r.Backend() == "web-2") {
      cookie2 = cookie_of(r);
    }
  }
  ASSERT_FALSE(cookie2.empty()) << "web-2 set no cookie";
  EXPECT_NE(cookie2, cookie1);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(request(cookie2).Backend(), "web-2");
  }
}

// 1b. SIGUSR1 (marathon-lb 1.15): the config in place is checked and
// HAProxy reloaded by the same master, without asking Marathon; the app
// keeps answering.
TEST_F(LiveTest, Sigusr1ReloadsTheConfigInPlace) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  const pid_t master = HaproxyMasterPid();
  ASSERT_TRUE(WaitUntil([&] { return SimRequests(sim, "GET /v2/apps") > 0; },
                        Millis(5000)));
  const long apps_requests = SimRequests(sim, "GET /v2/apps");
  ASSERT_EQ(LoggedReloads(), 0);
  kill(mlb_->pid(), SIGUSR1);
  ExpectOneReloadInPlace();
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), apps_requests);
  EXPECT_EQ(HaproxyMasterPid(), master);
  EXPECT_EQ(JsonInt(StatusJson(), "reloads", -1), 1);
  EXPECT_TRUE(WaitForBackends({"web-1"}));
}

// marathon-lb 1.15's server state across reloads: a server an operator put
// in maintenance through the runtime API stays there when a Marathon change
// reloads HAProxy (the state is saved before the reload and the config loads
// it), while the new task is routed.
TEST_F(LiveTest, ServerStateSurvivesAReload) {
  flags_["--always-reload"] = "";  // the new task is reloaded in
  std::string head = LoopbackHead(dir_->File("haproxy.sock"),
                                  "  server-state-file " + cfg_ + ".state\n");
  head.replace(head.find("defaults\n"), 9,
               "defaults\n  load-server-state-from-file global\n");
  WriteTemplate("HEAD", head);
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  std::string web2_server;
  for (const std::string& line : Lines(ReadFile(cfg_))) {
    if (line.find(" 127.0.0.3:" + std::to_string(web2) + " ") != std::string::npos) {
      std::istringstream words(line);
      std::string keyword;
      words >> keyword >> web2_server;  // "  server <name> <address> ..."

    }
  }
  ASSERT_NE(web2_server, "") << ReadFile(cfg_);
  std::string reply;
  ASSERT_TRUE(MasterCliCommand(dir_->File("haproxy.sock"),
                               "disable server web_" +
                                   std::to_string(service_port_) + "/" +
                                   web2_server,
                               &reply, Millis(2000))
                  .ok());
  ASSERT_TRUE(WaitForBackends({"web-1"})) << reply;

  PostApps(sim, State({{"127.0.0.2", {web1}},
                       {"127.0.0.3", {web2}},
                       {"127.0.0.4", {web3}}}));
  ASSERT_TRUE(WaitUntil([&] { return LoggedReloads() == 1; }, Millis(5000)))
      << Tail(MlbLog());
  EXPECT_THAT(ReadFile(cfg_ + ".state"), HasSubstr(" " + web2_server + " "));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-3"})) << ViaService().Describe();
}

// marathon-lb 1.15's read-only endpoints on the admin address of a running
// marathon-lb: the config in place and its maps (--haproxy-map).
TEST_F(LiveTest, AdminServesTheConfigAndMapsAsMarathonLb115) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse", "--haproxy-map"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  const HttpResponse config = Admin("/_haproxy_getconfig");
  EXPECT_EQ(config.status, 200);
  EXPECT_EQ(config.body, ReadFile(cfg_));
  EXPECT_EQ(Admin("/_haproxy_getappmap").body,
            "/web web_" + std::to_string(service_port_) + "\n");
  EXPECT_EQ(Admin("/_haproxy_getvhostmap").body, "");  // no vhosts (no :80)
  // `pidof haproxy`: our master is among the haproxy processes.
  const std::string pids = " " + Admin("/_haproxy_getpids").body;
  EXPECT_NE(pids.find(" " + std::to_string(HaproxyMasterPid())),
            std::string::npos)
      << pids;
}

// One marathon-lb per config: a second one on the same --haproxy-config
// (sse, --run-haproxy) is refused with a message naming the holder, and the
// first keeps its HAProxy (two used to take over each other's master).
TEST_F(LiveTest, ASecondMarathonLbOnTheSameConfigIsRefused) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  const pid_t master = HaproxyMasterPid();
  const RunResult second = RunBounded(
      {mlb_binary_, "sse", "--marathon", sim.url, "--haproxy-config", cfg_,
       "--group", kGroup, "--templates-dir", templates_dir_, "--plugin-dir",
       plugin_dir_, "--dont-bind-http-https", "--syslog-socket", "/dev/null",
       "--run-haproxy"},
      dir_->File("second.log"));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_TRUE(HasMessage(
      second.output,
      cfg_ + ".lock is locked by another process (pid " +
          std::to_string(mlb_->pid()) + "): another marathon-lb manages " +
          cfg_ + "; stop it, or give this one another --haproxy-config"))
      << second.output;
  EXPECT_EQ(HaproxyMasterPid(), master);
  EXPECT_TRUE(WaitForBackends({"web-1"}));
}

// /_mlb_signal/usr1 with the admin token reloads the config in place, as
// SIGUSR1 does; without the token nothing happens.
TEST_F(LiveTest, AdminSignalWithTheTokenReloadsInPlace) {
  const std::string token = "a-token-of-some-length-42";
  ASSERT_NO_THROW(StartWithAdminTokenFile(token + "\n"));
  const auto signal = [&](const std::string& a) { return SignalUsr1(a); };
  EXPECT_EQ(signal("Bearer wrong").status, 401);
  EXPECT_EQ(signal("Bearer " + token).status, 200);
  ExpectOneReloadInPlace();
  EXPECT_TRUE(WaitForBackends({"web-1"}));
}

// Hostile review: a token file saved by an editor or `echo "tok " >` with
// trailing blanks (or a Windows line end plus blanks) is read with the
// blanks kept in the token; HTTP header values are trimmed, so no
// Authorization header can ever match and the signal endpoints answer 401
// to everyone, the operator included. Expected: the token is trimmed.
TEST_F(LiveTest, AdminTokenFileWithTrailingBlanksStillAuthorizes) {
  const std::string token = "a-token-of-some-length-42";
  ASSERT_NO_THROW(StartWithAdminTokenFile(token + "  \t\n"));
  const auto signal = [&](const std::string& a) { return SignalUsr1(a); };
  const int plain = signal("Bearer " + token).status;
  const int with_blanks = signal("Bearer " + token + "  \t").status;
  EXPECT_TRUE(plain == 200 || with_blanks == 200)
      << "plain " << plain << ", with the blanks " << with_blanks;
}

// 2. A stream that goes silent (stall: not even keep-alives) is given up
// after --sse-idle-timeout, reconnected and resynced; a dropped stream is
// reconnected too; changes keep arriving after each.
TEST_F(LiveTest, StalledAndDroppedStreamsReconnectAndResync) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  const std::string events_url = sim.url + kEventsQuery;
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(), "event stream connected: ") == 1 &&
               SimRequests(sim, "GET /v2/apps") >= 1;
      },
      Millis(5000)));
  EXPECT_EQ(SimRequests(sim, "GET /v2/events"), 1);
  const long apps_before = SimRequests(sim, "GET /v2/apps");

  // Stall: the open stream sends nothing at all; after 2 s marathon-lb gives
  // up on it and reconnects at once. The new stream gets no headers while the
  // stall lasts.
  const auto stalled = Clock::now();
  Fault(sim, "stall=1");
  const std::string idle_message =
      "GET " + events_url +
      ": no data for 2000 ms (idle timeout); reconnecting now";
  ASSERT_TRUE(WaitUntil([&] { return HasMessage(MlbLog(), idle_message); },
                        Millis(6000)))
      << idle_message;
  const long detected = MillisSince(stalled);
  std::cout << "[ measure  ] stall detected after " << detected << " ms"
            << std::endl;
  // Not before the idle timeout (which runs from the last byte, a keep-alive
  // sent up to 300 ms before the stall, later under load).
  EXPECT_GE(detected, 1000);
  ASSERT_TRUE(WaitUntil([&] { return SimRequests(sim, "GET /v2/events") == 2; },
                        Millis(3000)));
  EXPECT_EQ(JsonText(StatusJson(), "stream_connected"), "false");
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps"), apps_before);
  // HAProxy serves on meanwhile.
  EXPECT_EQ(ViaService().Backend(), "web-1");

  // End of the stall: the waiting stream gets its headers; marathon-lb
  // counts it as a (re)connect and resyncs: one more GET /v2/apps.
  Fault(sim, "clear=1");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(),
                             "event stream connected: " + events_url) == 2 &&
               SimRequests(sim, "GET /v2/apps") == apps_before + 1;
      },
      Millis(5000)))
      << "GET /v2/apps: " << SimRequests(sim, "GET /v2/apps");
  EXPECT_EQ(SimRequests(sim, "GET /v2/events"), 2);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return MatchingMessages(MlbLog(),
                                "regeneration #[0-9]+: full resync \\(event "
                                "stream \\(re\\)connected\\): done in "
                                "[0-9]+ ms")
                   .size() == 1;  // (the first connect's was folded
                                  // into "first start")
      },
      Millis(2000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonText(StatusJson(), "stream_connected") == "true"; },
      Millis(2000)));

  // A change after the stall arrives through the new stream.
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(3000)));

  // Drop: the stream is cut abruptly; marathon-lb reconnects after a
  // randomised backoff (< 3 s, its first window) and resyncs.
  const long apps_before_drop = SimRequests(sim, "GET /v2/apps");
  const auto dropped = Clock::now();
  Fault(sim, "drop=1");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(),
                             "event stream connected: " + events_url) == 3 &&
               SimRequests(sim, "GET /v2/apps") > apps_before_drop;
      },
      Millis(6000)))
      << "GET /v2/apps: " << SimRequests(sim, "GET /v2/apps");
  std::cout << "[ measure  ] reconnected and resynced " << MillisSince(dropped)
            << " ms after the drop" << std::endl;
  EXPECT_EQ(SimRequests(sim, "GET /v2/events"), 3);
  EXPECT_EQ(MatchingMessages(
                MlbLog(), "GET " +
                              std::regex_replace(
                                  events_url, std::regex("[.?&/:]"), "\\$&") +
                              ": .*; reconnecting in [0-9]+ ms")
                .size(),
            1u)
      << Tail(MlbLog());

  PostApps(sim, State({{"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-2"}, Millis(3000)));
  EXPECT_EQ(JsonInt(StatusJson(), "failed_reloads", -1), 0);
}

// 3. Marathon down for 10 s: HAProxy keeps serving the existing backends,
// /healthz turns 503 once the view is older than --max-staleness and 200
// again after marathon-lb recovers on its own; a later change is routed.
TEST_F(LiveTest, MarathonOutageKeepsServingAndRecovers) {
  flags_["--max-staleness"] = "5";
  // A resync every 2 s keeps the view fresh (< 5 s) while Marathon is up:
  // without events, nothing else would refresh it.
  flags_["--resync-interval"] = "2";
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  ASSERT_TRUE(WaitForStream());
  {
    const HttpResponse h = Admin("/healthz");
    ASSERT_EQ(h.status, 200) << h.Describe();
    EXPECT_EQ(h.body, "ok\n");
  }

  // One request every 100 ms through HAProxy for the whole outage and the
  // recovery (at most 400 requests, 40 s).
  ClientLoop client([&] { return ViaService(); }, Millis(100), 400,
                    Millis(40000));
  const auto down = Clock::now();
  Fault(sim, "down_ms=10000");
  const HttpResponse early = Admin("/healthz");
  EXPECT_EQ(early.status, 200) << early.Describe();

  // /healthz during the outage: 200 while the view is fresh enough, then
  // 503 with the staleness reason.
  HttpResponse unhealthy;
  long unhealthy_at = -1;
  WaitUntil(
      [&] {
        unhealthy = Admin("/healthz");
        if (unhealthy.status != 200) {
          unhealthy_at = MillisSince(down);
          return true;
        }
        return false;
      },
      Millis(9500), Millis(100));
  std::cout << "[ measure  ] /healthz " << unhealthy.status << " after "
            << unhealthy_at << " ms of outage: " << unhealthy.body
            << std::flush;
  ASSERT_EQ(unhealthy.status, 503) << unhealthy.Describe();
  EXPECT_LT(unhealthy_at, 10000);
  EXPECT_TRUE(std::regex_match(
      unhealthy.body,
      std::regex("the view of Marathon is [6-9] s old \\(limit 5 s\\)\n")))
      << unhealthy.body;

  // The outage ends (the simulator counts down).
  ASSERT_TRUE(WaitUntil(
      [&] {
        return JsonInt(SimJson(sim, "/_sim/fault"), "downRemainingMs", -1) == 0;
      },
      Millis(12000), Millis(100)));
  const long outage_ms = MillisSince(down);
  const Poco::JSON::Object::Ptr during = StatusJson();
  EXPECT_GT(JsonInt(during, "failed_syncs", 0), 0);

  // marathon-lb recovers on its own: the stream reconnects, resyncs, and
  // /healthz is 200 again.
  long recovered_at = -1;
  const bool healthy = WaitUntil(
      [&] {
        if (Admin("/healthz").status == 200) {
          recovered_at = MillisSince(down);
          return true;
        }
        return false;
      },
      Millis(8000), Millis(100));
  EXPECT_TRUE(healthy) << Admin("/healthz").Describe();
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonText(StatusJson(), "stream_connected") == "true"; },
      Millis(5000)));
  client.Stop();
  std::cout << "[ measure  ] outage " << outage_ms << " ms; /healthz 200 again "
            << recovered_at
            << " ms after its start; client: " << client.requests()
            << " requests, " << client.failures() << " failed" << std::endl;
  EXPECT_GE(client.requests(), 100);
  EXPECT_EQ(client.failures(), 0) << client.FailureSamples();
  EXPECT_EQ(client.backends(),
            (std::map<std::string, int>{{"web-1", client.requests()}}));

  // A change after the recovery reaches HAProxy.
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(3000)));
  EXPECT_EQ(Admin("/healthz").status, 200);
}

// 4. event mode: marathon-lb registers its callback with Marathon, changes
// arrive as POSTs to it, and SIGTERM removes the subscription.
TEST_F(LiveTest, EventModeRegistersCallbackAndRemovesItOnSigterm) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/";
  ASSERT_NO_THROW(StartMarathonLb({"event", callback}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));

  auto subscriptions = [&] {
    std::vector<std::string> out;
    Poco::JSON::Object::Ptr body = SimJson(sim, "/v2/eventSubscriptions");
    if (!body.isNull() && body->has("callbackUrls")) {
      for (const auto& url : *body->getArray("callbackUrls")) {
        out.push_back(url.toString());
      }
    }
    return out;
  };
  ASSERT_TRUE(WaitUntil(
      [&] { return subscriptions() == std::vector<std::string>{callback}; },
      Millis(5000)))
      << ::testing::PrintToString(subscriptions());
  EXPECT_TRUE(HasMessage(MlbLog(), "registered event callback " + callback));
  EXPECT_EQ(SimRequests(sim, "GET /v2/events"), 0);

  const auto posted = Clock::now();
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(3000)));
  std::cout << "[ measure  ] event mode: change routed within "
            << MillisSince(posted) << " ms" << std::endl;
  Poco::JSON::Object::Ptr stats = SimJson(sim, "/_sim/stats");
  EXPECT_GT(JsonInt(stats, "callbackDeliveriesOk", 0), 0);
  EXPECT_EQ(JsonInt(stats, "callbackDeliveriesFailed", -1), 0);
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_servers_added") == 1; },
      Millis(3000)));
  EXPECT_EQ(LoggedReloads(), 0);

  // SIGTERM: marathon-lb unsubscribes, stops HAProxy and exits 0.
  ASSERT_NO_FATAL_FAILURE(StopMarathonLb());
  EXPECT_EQ(subscriptions(), std::vector<std::string>{});
  EXPECT_TRUE(HasMessage(final_mlb_log_, "removed event callback " + callback))
      << Tail(final_mlb_log_);
  EXPECT_EQ(SimRequests(sim, "DELETE /v2/eventSubscriptions"), 1);
  EXPECT_FALSE(Accepts("127.0.0.1", service_port_));
}

// 4b. event mode with --callback-secret-file: Marathon gets the callback URL
// with ?secret=<it> and its POSTs update HAProxy; POSTs to the URL without
// the secret are 403 and change nothing; the log never shows the secret.
TEST_F(LiveTest, EventModeWithASecretTakesOnlyPostsThatCarryIt) {
  const std::string secret = "0123456789abcdef-live-S3cret";
  WriteFile(dir_->File("callback.secret"), secret + "\n");
  flags_["--callback-secret-file"] = dir_->File("callback.secret");
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  const int callback_port = FreePort();
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(callback_port) + "/";
  ASSERT_NO_THROW(StartMarathonLb({"event", callback}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  ASSERT_TRUE(WaitUntil(
      [&] {
        Poco::JSON::Object::Ptr body = SimJson(sim, "/v2/eventSubscriptions");
        return !body.isNull() && body->has("callbackUrls") &&
               body->getArray("callbackUrls")->size() == 1 &&
               body->getArray("callbackUrls")->getElement<std::string>(0) ==
                   callback + "?secret=" + secret;
      },
      Millis(5000)));
  // Strangers' POSTs, even of a valid event: 403 (the unit tests show
  // that nothing is delivered).
  const std::string event = R"({"eventType":"status_update_event"})";
  for (const std::string& target :
       {std::string("/"), std::string("/?secret=wrong-0123456789abcdef")}) {
    const HttpResponse r = HttpCall("POST", "127.0.0.1", callback_port,
                                    target, event, {}, Millis(5000));
    EXPECT_EQ(r.status, 403) << r.Describe();
  }
  // Marathon's own POSTs carry the secret: the change is routed.
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(5000)));
  EXPECT_TRUE(HasMessage(MlbLog(), "registered event callback " + callback +
                                       " (with its secret)"));
  ASSERT_NO_FATAL_FAILURE(StopMarathonLb());
  EXPECT_EQ(final_mlb_log_.find(secret), std::string::npos);
  // Two refusals, one message (at most one a minute).
  EXPECT_EQ(CountMessages(final_mlb_log_, "event callback: refused "), 1)
      << Tail(final_mlb_log_);
  EXPECT_EQ(CountMessages(final_mlb_log_,
                          "event callback: refused 1 request(s) since the "
                          "last message; the last from 127.0.0.1:"),
            1)
      << Tail(final_mlb_log_);
}

// 5. Reloads under load: >= 50 changes, each waited for until marathon-lb
// has reloaded HAProxy, while a client makes a request every ~2 ms, each on
// a new connection. No request may fail. Each reload also leaves an old
// worker busy (a half-sent request), so that --max-old-workers has to cut
// the old workers down.
TEST_F(LiveTest, FiftyReloadsUnderLoadLoseNoRequest) {
  flags_["--always-reload"] = "";  // each change of tasks a reload
  const int kChanges = 52;
  const int kMaxOldWorkers = 2;
  flags_["--max-old-workers"] = std::to_string(kMaxOldWorkers);
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  ASSERT_TRUE(WaitForStream());
  const pid_t master = HaproxyMasterPid();

  // Old workers, from `show proc` on the master socket, every 100 ms.
  std::atomic<bool> stop_watch{false};
  std::atomic<int> max_old_seen{0}, show_proc_ok{0};
  std::thread watcher([&] {
    const auto deadline = Clock::now() + Millis(90000);
    while (!stop_watch && Clock::now() < deadline) {
      HaproxyProcList procs;
      if (ShowProc(MasterSocket(), &procs).ok()) {
        ++show_proc_ok;
        const int old = static_cast<int>(procs.old_workers.size());
        if (old > max_old_seen) {
          max_old_seen = old;
        }
      }
      std::this_thread::sleep_for(Millis(100));
    }
  });
  // Joins the watcher and closes held sockets however the test ends (an
  // ASSERT returning early must not leave a joinable thread).
  std::vector<int> held;
  struct Cleanup {
    std::atomic<bool>& stop;
    std::thread& thread;
    std::vector<int>& fds;
    void Run() {
      stop = true;
      if (thread.joinable()) {
        thread.join();
      }
      for (int fd : fds) {
        close(fd);
      }
      fds.clear();
    }
    ~Cleanup() { Run(); }
  } cleanup{stop_watch, watcher, held};

  // A request every ~2 ms on a new connection (a pause keeps the loopback's
  // TIME_WAIT sockets well below the ephemeral port range).
  ClientLoop client([&] { return ViaService(); }, Millis(2), 30000,
                    Millis(70000));
  // Half-sent requests: each keeps the worker that accepted it busy for up
  // to `timeout http-request` (5 s), i.e. past the next reloads.
  auto hold_connection = [&] {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(service_port_));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (fd >= 0 &&
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const char partial[] = "GET / HTTP/1.1\r\nHost: held.test\r\n";
      ssize_t ignored = send(fd, partial, sizeof(partial) - 1, MSG_NOSIGNAL);
      (void)ignored;
      held.push_back(fd);
    } else if (fd >= 0) {
      close(fd);
    }
  };

  const auto start = Clock::now();
  int reloads = LoggedReloads();
  int changes = 0;
  std::vector<long> change_ms;
  for (; changes < kChanges && MillisSince(start) < 60000; ++changes) {
    hold_connection();
    const auto t = Clock::now();
    const std::vector<TaskSpec> tasks =
        changes % 2 == 0 ? std::vector<TaskSpec>{{"127.0.0.2", {web1}},
                                                 {"127.0.0.3", {web2}}}
                         : std::vector<TaskSpec>{{"127.0.0.2", {web1}}};
    ASSERT_NO_FATAL_FAILURE(PostApps(sim, State(tasks)));
    const bool reloaded = WaitUntil([&] { return LoggedReloads() > reloads; },
                                    Millis(5000), Millis(5));
    ASSERT_TRUE(reloaded) << "change " << changes << " not reloaded\n"
                          << Tail(MlbLog());
    reloads = LoggedReloads();
    change_ms.push_back(MillisSince(t));
  }
  client.Stop();
  stop_watch = true;
  watcher.join();
  const long elapsed = MillisSince(start);
  // At the end, held requests still open: old workers within the bound.
  HaproxyProcList final_procs;
  const mlb::Status final_status = ShowProc(MasterSocket(), &final_procs);
  cleanup.Run();  // closes the held requests
  // With the held requests gone, the old workers leave: the master's only
  // live child is the current worker (/proc), and `show proc` lists no old
  // one.
  auto master_children = [&] {
    int n = 0;
    for (pid_t pid : HaproxyProcessesFor(cfg_)) {
      n += ParentPid(pid) == master;
    }
    return n;
  };
  HaproxyProcList drained;
  EXPECT_TRUE(WaitUntil(
      [&] {
        return master_children() == 1 &&
               ShowProc(MasterSocket(), &drained).ok() &&
               drained.old_workers.empty() && drained.workers.size() == 1;
      },
      Millis(5000)))
      << master_children() << " children of the master, "
      << drained.old_workers.size() << " old workers";

  // Old workers reported by marathon-lb after each reload.
  int max_old_logged = 0;
  for (const std::string& m :
       MatchingMessages(MlbLog(),
                        "reloaded HAProxy in [0-9]+ ms, new worker [0-9]+, "
                        "[0-9]+ old worker\\(s\\) draining")) {
    const size_t comma = m.rfind(", ");
    max_old_logged = std::max(max_old_logged, std::atoi(m.c_str() + comma + 2));
  }
  std::sort(change_ms.begin(), change_ms.end());
  std::cout << "[ measure  ] " << changes << " changes, " << reloads
            << " reloads in " << elapsed << " ms (change -> reload median "
            << change_ms[change_ms.size() / 2] << " ms, max "
            << change_ms.back() << " ms); client: " << client.requests()
            << " requests, " << client.failures() << " failed "
            << ::testing::PrintToString(client.backends())
            << "; old workers: max " << max_old_seen << " in " << show_proc_ok
            << " show proc samples, max " << max_old_logged << " logged, "
            << final_procs.old_workers.size()
            << " at the end (0 once the held requests are closed)" << std::endl;

  EXPECT_EQ(changes, kChanges);
  EXPECT_GE(reloads, 50);
  EXPECT_EQ(client.failures(), 0) << client.FailureSamples();
  EXPECT_GE(client.requests(), 500);
  EXPECT_GT(client.backends()["web-2"], 0);
  ASSERT_TRUE(final_status.ok()) << final_status.message();
  EXPECT_EQ(final_procs.master.pid, master);
  EXPECT_FALSE(final_procs.last_reload_failed);
  EXPECT_LE(static_cast<int>(final_procs.old_workers.size()), kMaxOldWorkers);
  // Held requests made old workers pile up (a reload every ~0.2 s, each old
  // worker kept up to hard-stop-after 3 s): the bound was reached, never
  // passed.
  EXPECT_EQ(max_old_logged, kMaxOldWorkers);
  // The bound was exercised: some worker was held past later reloads.
  EXPECT_GE(max_old_seen.load(), 1);
  // `show proc` is sampled between a reload and the bound being applied
  // (marathon-lb sends SIGTERM to the extra ones right after the reload), so
  // a sample may show one more than the bound, never more.
  EXPECT_LE(max_old_seen.load(), kMaxOldWorkers + 1);
  const Poco::JSON::Object::Ptr status = StatusJson();
  EXPECT_EQ(JsonInt(status, "reloads", -1), reloads);
  EXPECT_EQ(JsonInt(status, "failed_reloads", -1), 0);
}

// 6. Failover: the first --marathon is dead, the second answers. The config
// comes from the second, /status names it, and later resyncs go to it
// directly.
//
// How "not tried first" is shown: the dead Marathon is a marathon-sim with
// the fault down_ms (every connection closed without a response: a dead
// Marathon to marathon-lb), bound on the dead port only to count what
// arrives there; /_sim/stats counts faulted requests too. With
// --resync-interval 1, marathon-lb resyncs every second. Each sync is one
// GET /v2/apps: if the dead one were tried first, its count would grow with
// every sync. Instead, it stays at 1 (the very first sync) while the live
// one's count equals the number of syncs in /status, i.e. one request per
// resync, each to the live one.
// (The sse stream round-robins over the URLs on each connection attempt, by
// design, so GET /v2/events may reach the dead one; that is not checked.)
TEST_F(LiveTest, FailoverToSecondMarathonSticksToIt) {
  flags_["--resync-interval"] = "1";
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& dead = StartSim("dead", State({}));
  Fault(dead, "down_ms=3600000");
  Sim& live = StartSim("live", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {dead.url, live.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  EXPECT_EQ(SimRequests(dead, "GET /v2/apps"), 1);

  // /status names the live Marathon (the stream, once connected to it,
  // reports its URL there too; wait for it and for a sync after it).
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonText(StatusJson(), "stream_connected") == "true"; },
      Millis(8000)));
  const long syncs_at_connect = JsonInt(StatusJson(), "syncs", 0);
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "syncs", 0) > syncs_at_connect; },
      Millis(4000)));
  EXPECT_EQ(JsonText(StatusJson(), "marathon"), live.url);

  // Readings between two syncs: syncs, the live sim's count, syncs again,
  // both equal. (A sync may have fetched but not finished while we read:
  // then the next reading, 10 ms later, is taken. If each sync made more or
  // fewer than one GET /v2/apps to the live Marathon, no reading would ever
  // match.)
  auto reading = [&](long* syncs, long* live_apps) {
    return WaitUntil(
        [&] {
          const long a = JsonInt(StatusJson(), "syncs", -1);
          *live_apps = SimRequests(live, "GET /v2/apps");
          const long b = JsonInt(StatusJson(), "syncs", -2);
          *syncs = a;
          return a == b && a == *live_apps;
        },
        Millis(3000), Millis(10));
  };
  long syncs0 = 0, live0 = 0;
  ASSERT_TRUE(reading(&syncs0, &live0))
      << "syncs " << syncs0 << ", live GET /v2/apps " << live0;
  // At least three more resyncs.
  ASSERT_TRUE(
      WaitUntil([&] { return JsonInt(StatusJson(), "syncs", 0) >= syncs0 + 3; },
                Millis(6000), Millis(50)));
  long syncs1 = 0, live1 = 0;
  ASSERT_TRUE(reading(&syncs1, &live1))
      << "syncs " << syncs1 << ", live GET /v2/apps " << live1;
  std::cout << "[ measure  ] failover: " << syncs1 - syncs0
            << " resyncs -> live GET /v2/apps +" << live1 - live0
            << ", dead GET /v2/apps " << SimRequests(dead, "GET /v2/apps")
            << " (dead GET /v2/events " << SimRequests(dead, "GET /v2/events")
            << ")" << std::endl;
  EXPECT_GE(syncs1, syncs0 + 3);
  EXPECT_EQ(live1 - live0, syncs1 - syncs0);
  EXPECT_EQ(live1, syncs1);
  EXPECT_EQ(SimRequests(dead, "GET /v2/apps"), 1);
  const Poco::JSON::Object::Ptr status = StatusJson();
  EXPECT_EQ(JsonText(status, "marathon"), live.url);
  EXPECT_EQ(JsonInt(status, "failed_syncs", -1), 0);
  EXPECT_EQ(ViaService().Backend(), "web-1");
}

// /status "marathon" names the Marathon base URL, also between a stream
// (re)connect and the resync it triggers (the stream URL has its own field).
// A longer --debounce-ms makes that window 1.5 s wide.
TEST_F(LiveTest, StatusNamesMarathonBaseUrlAfterStreamReconnect) {
  flags_["--debounce-ms"] = "1500";
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"}));
  ASSERT_TRUE(
      WaitUntil([&] { return JsonText(StatusJson(), "marathon") == sim.url; },
                Millis(5000)));
  Fault(sim, "drop=1");
  ASSERT_TRUE(WaitUntil(
      [&] { return CountMessages(MlbLog(), "event stream connected: ") == 2; },
      Millis(6000)));
  EXPECT_EQ(JsonText(StatusJson(), "marathon"), sim.url);
}

// A plain listening socket on 127.0.0.1:port (no SO_REUSEPORT, so HAProxy
// cannot bind the port beside it), closed by Close() or the destructor.
class PortHog {
 public:
  explicit PortHog(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (fd_ < 0 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 1) != 0) {
      throw std::runtime_error("cannot hold 127.0.0.1:" +
                               std::to_string(port));
    }
  }
  ~PortHog() { Close(); }
  void Close() {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

// Issue 12 item 5: a config that passes `haproxy -c` but cannot run (an
// app's service port another local process holds). The reload fails,
// marathon-lb puts back the config HAProxy runs, finds the port in HAProxy's
// "cannot bind socket" line, drops that service port and reloads the rest:
// the other apps keep routing, later updates take effect, /healthz stays ok
// (one tenant's port must not fail marathon-lb's health), a HAProxy master
// that dies starts again on the file in place, and SIGHUP tries the port
// again once it is free.
TEST_F(LiveTest, ServicePortHaproxyCannotBindIsDroppedAndTheRestRuns) {
  const int busy_port = FreePort();
  PortHog hog(busy_port);
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int busy1 = StartEcho("busy-1", "127.0.0.3");
  auto busy_app = [&] {
    return AppJson("/busy", {busy_port},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"}},
                   {{"127.0.0.3", {busy1}}});
  };
  auto web_app = [&](const std::vector<TaskSpec>& tasks) {
    return AppJson("/web", {service_port_},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"}},
                   tasks);
  };
  Sim& sim = StartSim("sim", StateJson({web_app({{"127.0.0.2", {web1}}})}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  const std::string busy = std::to_string(busy_port);

  // /busy arrives on the port the hog holds.
  PostApps(sim, StateJson({web_app({{"127.0.0.2", {web1}}}), busy_app()}));
  const std::string dropped =
      "app /busy, service port " + busy +
      ": HAProxy cannot bind it \\(Binding \\[[^\\]]+:[0-9]+\\] for frontend "
      "busy_" + busy + ": cannot bind socket \\(Address already in use\\) "
      "for \\[127\\.0\\.0\\.1:" + busy + "\\]\\); dropped until the app "
      "changes it or SIGHUP";
  ASSERT_TRUE(WaitUntil(
      [&] {
        return !MatchingMessages(MlbLog(), dropped + "; service port skipped")
                    .empty();
      },
      Millis(10000)))
      << Tail(MlbLog());
  // The failed reload was rolled back; the config without /busy is the one
  // HAProxy runs, so nothing else is reloaded.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(),
                             "config unchanged, skipping reload (2 apps, 1 "
                             "service ports, ") == 1;
      },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(LoggedReloads(), 0);
  EXPECT_THAT(MlbLog(),
              HasSubstr(cfg_ + " rolled back to the config HAProxy runs"));
  const std::string cfg_text = ReadFile(cfg_);
  EXPECT_EQ(cfg_text.find("frontend busy_"), std::string::npos);
  EXPECT_NE(cfg_text.find("frontend web_" + std::to_string(service_port_)),
            std::string::npos);
  Poco::JSON::Object::Ptr status = StatusJson();
  ASSERT_FALSE(status.isNull());
  Poco::JSON::Array::Ptr unbindable =
      status->getArray("unbindable_service_ports");
  ASSERT_FALSE(unbindable.isNull()) << Admin("/status").body;
  ASSERT_EQ(unbindable->size(), 1u) << Admin("/status").body;
  EXPECT_TRUE(std::regex_match(unbindable->getElement<std::string>(0),
                               std::regex(dropped)))
      << unbindable->getElement<std::string>(0);
  EXPECT_THAT(JsonText(status, "last_error"),
              HasSubstr("cannot bind socket (Address already in use) for "
                        "[127.0.0.1:" + busy + "]"));
  EXPECT_EQ(JsonInt(status, "failed_reloads", -1), 1);
  EXPECT_EQ(JsonInt(status, "dropped_service_ports", -1), 1);
  EXPECT_EQ(JsonText(status, "haproxy_config_behind"), "");
  EXPECT_TRUE(std::regex_match(
      PortState("/busy", busy_port),
      std::regex("dropped: HAProxy cannot bind it \\(.*\\); dropped until "
                 "the app changes it or SIGHUP")))
      << Admin("/status").body;
  EXPECT_EQ(PortState("/web", service_port_), "routed: ");
  EXPECT_EQ(Metric("marathonlb_dropped_service_ports"), 1);
  EXPECT_EQ(Metric("marathonlb_reloads_total{result=\"failed\"}"), 1);
  EXPECT_EQ(Admin("/healthz").status, 200) << Admin("/healthz").body;
  EXPECT_TRUE(WaitForBackends({"web-1"}));

  // A later update of another app takes effect, without trying /busy again.
  PostApps(sim, StateJson({web_app({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}),
                           busy_app()}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());
  EXPECT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_servers_added") == 1; },
      Millis(5000)));
  EXPECT_EQ(LoggedReloads(), 0);
  EXPECT_EQ(JsonInt(StatusJson(), "failed_reloads", -1), 1);
  // The drop is logged once, not at each update.
  EXPECT_EQ(MatchingMessages(MlbLog(), dropped + "; service port skipped")
                .size(),
            1u)
      << Tail(MlbLog());

  // The HAProxy master dies: it starts again on the config in place.
  const pid_t master = HaproxyMasterPid();
  ASSERT_GT(master, 0);
  ASSERT_EQ(kill(master, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const pid_t now = HaproxyMasterPid();
        return now > 0 && now != master;
      },
      Millis(15000)))
      << Tail(MlbLog());
  HaproxyGroupGuard::Remove(master);
  HaproxyGroupGuard::Add(HaproxyMasterPid());
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(10000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitUntil([&] { return Admin("/healthz").status == 200; },
                        Millis(5000)))
      << Admin("/healthz").body;

  // The port is free again; SIGHUP tries it again and /busy is served.
  hog.Close();
  ASSERT_EQ(kill(mlb_->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitUntil(
      [&] {
        return HttpGet("127.0.0.1", busy_port, "/", "busy.test").Backend() ==
               "busy-1";
      },
      Millis(10000), Millis(50)))
      << Tail(MlbLog());
  // (The new worker may answer before marathon-lb has seen the reload end.)
  EXPECT_TRUE(WaitUntil(
      [&] {
        status = StatusJson();
        return !status.isNull() &&
               JsonInt(status, "dropped_service_ports", -1) == 0;
      },
      Millis(5000)))
      << Admin("/status").body;
  ASSERT_FALSE(status.isNull());
  EXPECT_EQ(status->getArray("unbindable_service_ports")->size(), 0u);
  EXPECT_EQ(Admin("/healthz").status, 200);
  // Its clearing too, once.
  EXPECT_EQ(PortState("/busy", busy_port), "routed: ");
  EXPECT_EQ(CountMessages(MlbLog(), "app /busy, service port " + busy +
                                        ": no longer dropped (routed)"),
            1)
      << Tail(MlbLog());
  EXPECT_EQ(MatchingMessages(MlbLog(), dropped + "; service port skipped")
                .size(),
            1u);
}

// Issue 12 item 4: a service port whose lines haproxy -c refuses is dropped
// in the update that brings it, and stays out of later updates without
// costing another refused check, until its app changes it: then it is tried
// again, and served once it passes.
TEST_F(LiveTest, ARefusedAppIsTriedAgainOnceItChanges) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int bad1 = StartEcho("bad-1", "127.0.0.3");
  const int bad_port = FreePort();
  auto bad_app = [&](const std::string& timeout) {
    return AppJson("/bad", {bad_port},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"},
                    {"HAPROXY_0_BACKEND_HTTP_OPTIONS",
                     "  option forwardfor\n  timeout server " + timeout +
                         "\n"}},
                   {{"127.0.0.3", {bad1}}});
  };
  auto web_app = [&](const std::vector<TaskSpec>& tasks) {
    return AppJson("/web", {service_port_},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"}},
                   tasks);
  };
  Sim& sim = StartSim(
      "sim", StateJson({web_app({{"127.0.0.2", {web1}}}), bad_app("5zz")}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  const std::string bad = std::to_string(bad_port);
  const std::string dropped =
      "app /bad, service port " + bad +
      ": haproxy -c refused its lines \\(parsing \\[[^\\]]+:[0-9]+\\] : "
      "unexpected character 'z' in 'timeout server'\\); dropped until the "
      "app changes "
      "them or SIGHUP";
  // (Logged once the update has ended, after HAProxy started.)
  EXPECT_TRUE(WaitUntil(
      [&] {
        return !MatchingMessages(MlbLog(), dropped + "; service port skipped")
                    .empty();
      },
      Millis(5000)))
      << Tail(MlbLog());
  EXPECT_EQ(CountMessages(MlbLog(), "haproxy -c rejected the new config"), 1)
      << Tail(MlbLog());
  Poco::JSON::Object::Ptr status = StatusJson();
  ASSERT_FALSE(status.isNull());
  Poco::JSON::Array::Ptr refused = status->getArray("refused_service_ports");
  ASSERT_FALSE(refused.isNull()) << Admin("/status").body;
  ASSERT_EQ(refused->size(), 1u) << Admin("/status").body;
  EXPECT_TRUE(std::regex_match(refused->getElement<std::string>(0),
                               std::regex(dropped)))
      << refused->getElement<std::string>(0);
  EXPECT_EQ(Admin("/healthz").status, 200) << Admin("/healthz").body;

  // Another app's change goes live; /bad, unchanged, is not checked again.
  PostApps(sim, StateJson({web_app({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}),
                           bad_app("5zz")}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());
  EXPECT_EQ(CountMessages(MlbLog(), "haproxy -c rejected the new config"), 1)
      << Tail(MlbLog());

  // /bad fixes its label: tried again, and served.
  PostApps(sim, StateJson({web_app({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}),
                           bad_app("5s")}));
  EXPECT_TRUE(WaitUntil(
      [&] {
        return HttpGet("127.0.0.1", bad_port, "/", "bad.test").Backend() ==
               "bad-1";
      },
      Millis(10000), Millis(50)))
      << Tail(MlbLog());
  EXPECT_EQ(MatchingMessages(MlbLog(), "app /bad, service port " + bad +
                                           " changed and is tried again "
                                           "\\(was: haproxy -c refused its "
                                           "lines .*")
                .size(),
            1u)
      << Tail(MlbLog());
  EXPECT_TRUE(WaitUntil(
      [&] {
        status = StatusJson();
        return !status.isNull() &&
               status->getArray("refused_service_ports")->size() == 0;
      },
      Millis(5000)))
      << Admin("/status").body;
  EXPECT_EQ(CountMessages(MlbLog(), "haproxy -c rejected the new config"), 1);
}

// Requests through HAProxy back to back, one new connection each, while a
// test kills HAProxy: the longest time between two answers by `backend`
// spanning the kill is the outage (a measurement, printed, never asserted).
class OutageProbe {
 public:
  explicit OutageProbe(std::function<HttpResponse()> get,
                       const std::string& backend)
      : get_(std::move(get)) {
    thread_ = std::thread([this, backend] {
      const auto deadline = Clock::now() + Millis(20000);
      for (int i = 0; i < 20000 && !stop_ && Clock::now() < deadline; ++i) {
        const bool ok = get_().Backend() == backend;
        const Clock::time_point now = Clock::now();
        std::unique_lock<std::mutex> lock(mu_);
        if (ok) {
          if (answered_ > 0) {
            longest_ = std::max(longest_, now - last_answer_);
          }
          last_answer_ = now;
          ++answered_;
        } else {
          ++failed_;
        }
        lock.unlock();
        if (!ok) {
          std::this_thread::sleep_for(Millis(1));  // refused at once: pace
        }
      }
    });
  }
  ~OutageProbe() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  int answered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return answered_;
  }
  int failed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }
  long LongestGapMs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<long>(
        std::chrono::duration_cast<Millis>(longest_).count());
  }

 private:
  std::function<HttpResponse()> get_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  int answered_ = 0, failed_ = 0;
  Clock::time_point last_answer_{};
  Clock::duration longest_{0};
  std::thread thread_;
};

// Issue 12 item 13. HAProxy 2.6's master exits when its current worker dies
// of a signal (exit-on-failure; `master-worker no-exit-on-failure` does not
// survive the master's re-execution in wait mode, checked on 2.6.12), so
// marathon-lb starts a new master at once, counts the death in /status and
// logs it on one line. The outage is printed: run this test with
// --gtest_repeat=5 for a median (docs/performance.md).
TEST_F(LiveTest, KilledHaproxyWorkerIsReplacedAtOnceAndCounted) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  Poco::JSON::Object::Ptr status = StatusJson();
  ASSERT_FALSE(status.isNull());
  EXPECT_EQ(JsonInt(status, "haproxy_worker_deaths", -1), 0)
      << Admin("/status").body;
  EXPECT_EQ(JsonInt(status, "haproxy_restarts", -1), 0);
  EXPECT_EQ(JsonText(status, "haproxy_last_death"), "");

  const pid_t master = HaproxyMasterPid();
  ASSERT_GT(master, 0);
  std::string reply;
  HaproxyProcList procs;
  ASSERT_TRUE(MasterCliCommand(MasterSocket(), "show proc", &reply,
                               Millis(2000))
                  .ok());
  ASSERT_TRUE(ParseShowProc(reply, &procs).ok()) << reply;
  ASSERT_EQ(procs.workers.size(), 1u) << reply;
  const pid_t worker = procs.workers[0].pid;

  OutageProbe probe([&] { return ViaService(); }, "web-1");
  ASSERT_TRUE(WaitUntil([&] { return probe.answered() > 0; }, Millis(5000)));
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const pid_t now = HaproxyMasterPid();
        return now > 0 && now != master;
      },
      Millis(15000)))
      << Tail(MlbLog());
  HaproxyGroupGuard::Remove(master);
  HaproxyGroupGuard::Add(HaproxyMasterPid());
  const int answered_before = probe.answered();
  EXPECT_TRUE(WaitUntil([&] { return probe.answered() > answered_before; },
                        Millis(10000)))
      << Tail(MlbLog());
  probe.Stop();
  EXPECT_EQ(ViaService().Backend(), "web-1");
  std::printf("[ metrics  ] SIGKILL of the haproxy worker: %ld ms without an "
              "answer (%d requests failed)\n",
              probe.LongestGapMs(), probe.failed());

  // The master went with its worker: a new one serves, the old is gone.
  EXPECT_NE(HaproxyMasterPid(), master);
  EXPECT_NE(kill(master, 0), 0) << "the old master still runs";
  const std::string death =
      "haproxy worker (pid " + std::to_string(worker) +
      ") exited with code 137 (Killed), and its master (pid " +
      std::to_string(master) +
      ") stopped every worker and exited with code 137 (HAProxy's "
      "exit-on-failure)";
  EXPECT_TRUE(WaitUntil(
      [&] {
        status = StatusJson();
        return !status.isNull() &&
               JsonInt(status, "haproxy_restarts", -1) == 1;
      },
      Millis(5000)))
      << Admin("/status").body;
  ASSERT_FALSE(status.isNull());
  EXPECT_EQ(JsonInt(status, "haproxy_worker_deaths", -1), 1)
      << Admin("/status").body;
  EXPECT_EQ(JsonText(status, "haproxy_last_death"), death);
  EXPECT_TRUE(std::regex_match(
      JsonText(status, "haproxy_last_death_time"),
      std::regex("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                 "\\.[0-9]{3}Z")))
      << JsonText(status, "haproxy_last_death_time");
  EXPECT_TRUE(status->getValue<bool>("haproxy_running"));
  EXPECT_EQ(Admin("/healthz").status, 200) << Admin("/healthz").body;
  EXPECT_EQ(MatchingMessages(MlbLog(), std::regex_replace(
                                           death, std::regex("[()]"), "\\$&") +
                                           " after running [0-9]+ ms; "
                                           "restarting it now")
                .size(),
            1u)
      << Tail(MlbLog());
  EXPECT_EQ(CountMessages(MlbLog(), "restarted haproxy, master pid " +
                                        std::to_string(HaproxyMasterPid())),
            1)
      << Tail(MlbLog());
  // Later updates reach the new master.
  const int web2 = StartEcho("web-2", "127.0.0.3");
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}}));
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());
}


// ---- Review 14a (hostile review of the live servers): each test below
// fails on 96be5f2 and names the behaviour it expects. ----


// Review 14a, finding 1. Attack: the operator's HEAD gives every server a
// connection limit and a weight through `defaults` / `default-server` (a
// maxconn pack puts `default-server maxconn N` in a backend, a tenant's
// HAPROXY_0_BACKEND_HEAD may too). HAProxy applies default-server to the
// servers it reads from the file only: a server added through the runtime
// API (`add server`) inherits none of it. So a task scaled in without a
// reload runs without the limit (and without the `ssl verify required`,
// `send-proxy`, `inter`, ... a default-server would give it) while the
// file says otherwise, until some later reload.
// Expected: every server of the backend has the config's weight 7 and
// maxconn 5, the one added live included.
TEST_F(LiveTest, AServerAddedLiveHasTheDefaultServerOptionsOfTheConfig) {
  std::string head = Head();
  head.replace(head.find("defaults\n"), 9,
               "defaults\n  default-server weight 7 maxconn 5\n");
  WriteTemplate("HEAD", head);
  ASSERT_NO_FATAL_FAILURE(ScaleWebFromOneToTwo({}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());

  // (A reload may still be under way: the master answers once it is done.)
  std::vector<std::map<std::string, std::string>> stats;
  EXPECT_TRUE(WaitUntil(
      [&] {
        stats = ServerStats(MasterSocket(),
                            "web_" + std::to_string(service_port_));
        return stats.size() == 2;
      },
      Millis(5000)));
  ASSERT_EQ(stats.size(), 2u) << last_stat_reply;
  for (const auto& row : stats) {
    EXPECT_EQ(row.at("weight"), "7")
        << "server " << row.at("svname") << ": default-server weight 7";
    EXPECT_EQ(row.at("slim"), "5")
        << "server " << row.at("svname") << ": default-server maxconn 5";
  }
}

// Review 14a, finding 2. Attack: a tenant's HAPROXY_0_BACKEND_SERVER_OPTIONS
// makes its server line exactly 64 words, the most `haproxy -c` takes on a
// line, the last one `backup` (or `ssl`, `send-proxy`...). As a runtime
// command ("add server BACKEND/NAME ...") the line is one word longer, and
// HAProxy 2.6's CLI keeps 64 words and drops the rest without a word: the
// server added live is not a backup (with `ssl`: plain text to the task)
// while the file, and the servers read from it, say it is.
// Expected: every server of the backend is a backup, the one added live
// included.
TEST_F(LiveTest, AServerLineOfSixtyFourWordsKeepsItsLastWordWhenAddedLive) {
  std::string line = "  server {serverName} {host_ipv4}:{port} id {serverId}";
  for (int i = 0; i < 29; ++i) {
    line += " maxconn 10";
  }
  line += " backup\n";  // word 64
  ASSERT_NO_FATAL_FAILURE(
      ScaleWebFromOneToTwo({{"HAPROXY_0_BACKEND_SERVER_OPTIONS", line}}));
  const std::string backend = "web_" + std::to_string(service_port_);
  for (const auto& row : ServerStats(MasterSocket(), backend)) {
    EXPECT_EQ(row.at("bck"), "1")
        << "server " << row.at("svname") << ": its line ends in 'backup'";
  }
}

// Review 14a, finding 3. Attack: a server line with `agent-check` (a
// tenant's agent that drains or re-weights its task). `add server` creates
// the server with its agent check configured but stopped, like its health
// check; the plan sends `enable health` for `check` but no `enable agent`:
// the agent of a server added live never runs (srv_agent_state 18 instead
// of the file's 22), so `drain`/`down`/weights the agent answers are
// ignored for every task scaled in without a reload.
// Expected: every server of the backend runs its agent check (bit 0x4,
// CHK_ST_ENABLED, of srv_agent_state), the one added live included.
TEST_F(LiveTest, AServerAddedLiveRunsItsAgentCheck) {
  const int agent_port = FreePort();  // nothing answers: no effect on state
  const std::string line =
      "  server {serverName} {host_ipv4}:{port} id {serverId} agent-check "
      "agent-port " + std::to_string(agent_port) + " agent-inter 1s\n";
  ASSERT_NO_FATAL_FAILURE(
      ScaleWebFromOneToTwo({{"HAPROXY_0_BACKEND_SERVER_OPTIONS", line}}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << Tail(MlbLog());
  // (A reload may still be under way: the master answers once it is done.)
  std::map<std::string, std::vector<std::string>> servers;
  EXPECT_TRUE(WaitUntil(
      [&] {
        servers = ServersState(MasterSocket(),
                               "web_" + std::to_string(service_port_));
        return servers.size() == 2;
      },
      Millis(5000)));
  ASSERT_EQ(servers.size(), 2u);
  for (const auto& [name, words] : servers) {
    const int agent_state = std::atoi(words[14].c_str());  // srv_agent_state
    EXPECT_NE(agent_state & 0x4, 0)
        << "server " << name << ": srv_agent_state " << agent_state
        << ", its agent check is not running";
  }
}

// Review 14a, finding 4. Attack: a server line that names the task by its
// host name (a tenant's or the operator's BACKEND_SERVER_OPTIONS with
// `{host}`, for SNI or certificates, say; Marathon's task host). HAProxy
// resolves a host name in the file when it starts, but HAProxy 2.6
// initializes a server added through the runtime API with `init-addr none`:
// measured, `add server web_80/hn localhost:19081` answers "New server
// registered." and the server is UP with no address (srv_addr "-"). Every
// request HAProxy sends it fails, until some reload puts it right.
// Expected: the task added live answers through HAProxy, and its server has
// the address its name resolves to.
TEST_F(LiveTest, AServerAddedLiveByHostNameGetsItsAddress) {
  const std::string line =
      "  server {serverName} {host}:{port} id {serverId}\n";
  auto state = [&](const std::vector<TaskSpec>& tasks) {
    return State(tasks, {{"HAPROXY_0_BACKEND_SERVER_OPTIONS", line}});
  };
  // Both tasks on the host "localhost" (127.0.0.1 in /etc/hosts).
  const int web1 = StartEcho("web-1", "127.0.0.1");
  const int web2 = StartEcho("web-2", "127.0.0.1");
  Sim& sim = StartSim("sim", state({{"localhost", {web1}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe() << "\n"
                                          << ReadFile(cfg_);
  ASSERT_TRUE(WaitForStream());
  PostApps(sim, state({{"localhost", {web1}}, {"localhost", {web2}}}));
  const std::string backend = "web_" + std::to_string(service_port_);
  ASSERT_TRUE(WaitUntil(
      [&] { return ServersState(MasterSocket(), backend).size() == 2; },
      Millis(5000)))
      << Tail(MlbLog());
  std::cout << "[ info     ] live_changes "
            << JsonInt(StatusJson(), "live_changes", -1) << ", reloads "
            << LoggedReloads() << std::endl;
  for (const auto& [name, words] : ServersState(MasterSocket(), backend)) {
    EXPECT_EQ(words[4], "127.0.0.1") << "server " << name << " (srv_addr)";
  }
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}))
      << ViaService().Describe() << "\n" << Tail(MlbLog());
}

// Review 14a, finding 5. Attack (state): a task killed while it still has
// requests in flight waits in maintenance for its deletion
// (live_pending_deletes). Any tenant can then make a reload fail (an app on
// a port another process holds): ReloadManagedHaproxy() forgets the
// pending deletions *before* reloading, the reload fails, the same worker
// keeps running, and nobody deletes the server once its connections end:
// it stays in HAProxy, in maintenance, until some later reload succeeds
// (and when the task comes back, `add server` answers "Already exists.",
// a reload).
// Expected: once its requests have ended, the removed server is gone from
// the HAProxy that runs.
TEST_F(LiveTest, AServerRemovedLiveIsDeletedEvenAfterAFailedReload) {
  const int busy_port = FreePort();
  PortHog hog(busy_port);
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int busy1 = StartEcho("busy-1", "127.0.0.4");
  auto web_app = [&](const std::vector<TaskSpec>& tasks) {
    return AppJson("/web", {service_port_},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"}},
                   tasks);
  };
  const std::string busy_app =
      AppJson("/busy", {busy_port},
              {{"HAPROXY_GROUP", kGroup},
               {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
               {"HAPROXY_0_MODE", "http"}},
              {{"127.0.0.4", {busy1}}});
  const std::vector<TaskSpec> both = {{"127.0.0.2", {web1}},
                                      {"127.0.0.3", {web2}}};
  Sim& sim = StartSim("sim", StateJson({web_app(both)}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());

  // Slow requests, round-robin: some on web-2.
  SlowRequests slow(service_port_, 4, 3000);

  // web-2 goes, busy: in maintenance, its deletion pending.
  PostApps(sim, StateJson({web_app({both[0]})}));
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonInt(StatusJson(), "live_servers_removed") == 1; },
      Millis(5000)))
      << Tail(MlbLog());
  ASSERT_EQ(JsonInt(StatusJson(), "live_pending_deletes", -1), 1)
      << Tail(MlbLog());
  // Another tenant's app on a port HAProxy cannot bind: a failed reload,
  // rolled back; the same worker runs on.
  PostApps(sim, StateJson({web_app({both[0]}), busy_app}));
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountMessages(MlbLog(),
                             "config unchanged, skipping reload (2 apps, 1 "
                             "service ports, ") == 1;
      },
      Millis(10000)))
      << Tail(MlbLog());
  ASSERT_THAT(MlbLog(),
              HasSubstr(cfg_ + " rolled back to the config HAProxy runs"));
  for (const HttpResponse& r : slow.Wait()) {
    EXPECT_EQ(r.status, 200) << r.Describe();
  }

  // Its requests over, web-2's server leaves HAProxy.
  const std::string backend = "web_" + std::to_string(service_port_);
  const bool deleted = WaitUntil(
      [&] {
        for (const auto& [name, words] : ServersState(MasterSocket(), backend)) {
          if (name.find("127_0_0_3_") != std::string::npos) {
            return false;
          }
        }
        return true;
      },
      Millis(15000));
  std::string reply;
  (void)MasterCliCommand(MasterSocket(), "@1 show servers state " + backend,
                         &reply, Millis(2000));
  EXPECT_TRUE(deleted) << "web-2's server is still in HAProxy (and "
                          "live_pending_deletes is "
                       << JsonInt(StatusJson(), "live_pending_deletes", -1)
                       << "):\n"
                       << reply;
}

// A change of servers is checked with `haproxy -c` before any runtime
// command (review 15e: the runtime API accepts lines the config parser
// refuses). Attack: a tenant's server line that `haproxy -c` refuses on the
// app's second task only (BACKEND_SERVER_OPTIONS giving every server the
// id 7: one server is fine, two clash). Expected: nothing reaches HAProxy's
// runtime API; the files are kept as .rejected, the app's port is dropped
// with haproxy -c's words, the other app keeps its route.
TEST_F(LiveTest, AServerLineTheCheckRefusesDropsOnlyItsPort) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad1 = StartEcho("bad-1", "127.0.0.3");
  const int bad2 = StartEcho("bad-2", "127.0.0.4");
  const int bad_port = FreePort();
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  auto bad_app = [&](const std::vector<TaskSpec>& tasks) {
    return AppJson("/bad", {bad_port},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"},
                    {"HAPROXY_0_BACKEND_SERVER_OPTIONS",
                     "  server {serverName} {host_ipv4}:{port} id 7\n"}},
                   tasks);
  };
  Sim& sim =
      StartSim("sim", StateJson({web_app, bad_app({{"127.0.0.3", {bad1}}})}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());

  PostApps(sim, StateJson({web_app, bad_app({{"127.0.0.3", {bad1}},
                                             {"127.0.0.4", {bad2}}})}));
  const std::string dropped =
      "app /bad, service port " + std::to_string(bad_port) +
      ": haproxy -c refused its lines \\(\\[[^\\]]+:[0-9]+\\] : 'server "
      "bad_[0-9]+/127_0_0_4_[0-9]+' : 'id' : custom id 7 already used at "
      ".*\\); dropped until the app changes them or SIGHUP; service port "
      "skipped";
  EXPECT_TRUE(WaitUntil(
      [&] { return !MatchingMessages(MlbLog(), dropped).empty(); },
      Millis(10000)))
      << Tail(MlbLog());
  EXPECT_TRUE(HasMessage(MlbLog(), "haproxy -c rejected the new config, kept "
                                   "in " + cfg_ + ".rejected; the live config "
                                   "is unchanged"))
      << Tail(MlbLog());
  EXPECT_THAT(MlbLog(), Not(HasSubstr("New server registered")))
      << Tail(MlbLog());
  const std::string rejected = ReadFile(cfg_ + ".rejected");
  EXPECT_THAT(rejected, HasSubstr("127_0_0_3_" + std::to_string(bad1) +
                                  " 127.0.0.3:" + std::to_string(bad1) +
                                  " id 7\n"));
  EXPECT_THAT(rejected, HasSubstr("127_0_0_4_" + std::to_string(bad2) +
                                  " 127.0.0.4:" + std::to_string(bad2) +
                                  " id 7\n"));
  EXPECT_TRUE(WaitUntil(
      [&] { return ReadFile(cfg_).find("backend bad_") == std::string::npos; },
      Millis(5000)))
      << ReadFile(cfg_);
  EXPECT_EQ(JsonInt(StatusJson(), "live_changes", -1), 0);
  EXPECT_EQ(ViaService().Backend(), "web-1");
}

// Credentials in a --marathon URL (user:password@, which Marathon here
// requires) are used and their password is shown nowhere: not in /status,
// not in any log line, not in the error of a failed Marathon request nor in
// the event stream's; where the URL is shown it reads user:***@ (***@ for a
// token alone).
class UrlCredentialsTest : public LiveTest {
 protected:
  // marathon-lb on http://USERINFO@sim, the sim asking for SIM_AUTH
  // (USER:PASS) as basic auth; `password` must be shown nowhere and the URL
  // is shown as http://SHOWN@sim.
  void ExpectShownNowhere(const std::string& userinfo,
                          const std::string& sim_auth,
                          const std::string& password,
                          const std::string& shown);
};

TEST_F(UrlCredentialsTest, UrlPasswordIsShownNowhere) {
  const std::string password = "pw-Qx7z0Kc41";
  ExpectShownNowhere("lb:" + password, "lb:" + password, password, "lb:***");
}

// A token alone as the user information (http://TOKEN@host, sent as basic
// auth with TOKEN as the user and no password) is a secret too: hidden
// whole, shown as ***@.
TEST_F(UrlCredentialsTest, UrlTokenIsShownNowhere) {
  const std::string token = "tk-Wm3v8Rr07";
  ExpectShownNowhere(token, token + ":", token, "***");
}

void UrlCredentialsTest::ExpectShownNowhere(const std::string& userinfo,
                                            const std::string& sim_auth,
                                            const std::string& password,
                                            const std::string& shown) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}),
                      {"--auth", sim_auth});
  const std::string host = "127.0.0.1:" + std::to_string(sim.port);
  StartMarathonLb({"sse"}, {"http://" + userinfo + "@" + host});
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());
  const std::string before = Admin("/metrics").body;
  EXPECT_GT(MetricValue(before, "marathonlb_last_success_timestamp_seconds"),
            0)
      << before;
  EXPECT_EQ(MetricValue(before, "marathonlb_syncs_total{result=\"failed\"}"),
            0)
      << before;
  EXPECT_EQ(MetricValue(before, "marathonlb_event_stream_connected"), 1)
      << before;

  // Marathon fails: every request answers 500, the stream is dropped (and
  // its reconnects refused); SIGHUP asks for a resync, which fails.
  Fault(sim, "status=500");
  Fault(sim, "drop=1");
  kill(mlb_->pid(), SIGHUP);
  const std::string failed =
      "Marathon request GET /v2/apps?embed=apps.tasks failed: http://" +
      shown + "@" + host + ": GET /v2/apps?embed=apps.tasks: HTTP 500";
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MlbLog().find(failed) != std::string::npos &&
               MlbLog().find("; reconnecting in ") != std::string::npos;
      },
      Millis(10000)))
      << Tail(MlbLog());
  // The outage in /metrics: failed syncs, no stream, and the last success
  // stays where it was while more syncs fail.
  const std::string failed_syncs =
      "marathonlb_syncs_total{result=\"failed\"}";
  const std::string success = "marathonlb_last_success_timestamp_seconds";
  std::string metrics;
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Admin("/metrics").body;
        return MetricValue(metrics, failed_syncs) >= 1 &&
               MetricValue(metrics, "marathonlb_event_stream_connected") == 0;
      },
      Millis(10000)))
      << metrics;
  const double last_success = MetricValue(metrics, success);
  const double failed_count = MetricValue(metrics, failed_syncs);
  EXPECT_GE(last_success, MetricValue(before, success));
  kill(mlb_->pid(), SIGHUP);
  EXPECT_TRUE(WaitUntil(
      [&] {
        metrics = Admin("/metrics").body;
        return MetricValue(metrics, failed_syncs) > failed_count;
      },
      Millis(10000)))
      << metrics;
  EXPECT_EQ(MetricValue(metrics, success), last_success) << metrics;
  EXPECT_THAT(PrometheusParsed(metrics),
              HasSubstr("marathonlb_syncs counter marathonlb_syncs_total "
                        "{result=failed} "));
  const std::string status = Admin("/status").body;
  const Poco::JSON::Object::Ptr fields = JsonObject(status);
  Fault(sim, "clear=1");
  StopMarathonLb();

  const std::string log = MlbLog();
  EXPECT_EQ(log.find(password), std::string::npos) << log;
  EXPECT_EQ(status.find(password), std::string::npos) << status;
  EXPECT_EQ(before.find(password), std::string::npos) << before;
  EXPECT_EQ(metrics.find(password), std::string::npos) << metrics;
  EXPECT_THAT(log, HasSubstr("starting: mode sse, Marathon http://" + shown +
                             "@" + host + "\n"));
  ASSERT_FALSE(fields.isNull()) << status;
  EXPECT_EQ(fields->optValue<std::string>("marathon", ""),
            "http://" + shown + "@" + host);
  EXPECT_THAT(fields->optValue<std::string>("last_error", ""),
              HasSubstr(failed));
}

// Review 15e: /web on web-1 and /bad, whose HAPROXY_0_BACKEND_SERVER_OPTIONS
// line asks `sni nbsrv(bad_{port})`: a backend named after the task's port.
// Its first task's port is the app's service port, so that its line names
// the app's own backend (haproxy -c accepts it); its second task's port is
// the next one, a backend no config has (haproxy -c refuses: "unable to
// find backend 'bad_<port>' referenced in arg 1 of sample fetch keyword
// 'nbsrv'"). HAProxy's `add server` parses the expression but resolves its
// arguments only in the config's post-parsing, so it ACCEPTS that line.
// No request goes to /bad's tasks before the change; none listens there.
class UnresolvedSniLine {
 public:
  explicit UnresolvedSniLine(int bad_port) : bad_port_(bad_port) {}
  std::string Apps(const std::string& web_app, int tasks) const {
    std::vector<TaskSpec> specs = {{"127.0.0.3", {bad_port_}}};
    if (tasks == 2) {
      specs.push_back({"127.0.0.4", {bad_port_ + 1}});
    }
    return StateJson(
        {web_app,
         AppJson("/bad", {bad_port_},
                 {{"HAPROXY_GROUP", kGroup},
                  {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                  {"HAPROXY_0_MODE", "http"},
                  {"HAPROXY_0_BACKEND_SERVER_OPTIONS",
                   "  server {serverName} {host_ipv4}:{port} ssl verify none "
                   "sni nbsrv(bad_{port})\n"}},
                 specs)});
  }
  // The second task's line as the config has it.
  std::string SecondLine() const {
    return "127.0.0.4:" + std::to_string(bad_port_ + 1) +
           " ssl verify none sni nbsrv(bad_" + std::to_string(bad_port_ + 1) +
           ")";
  }

 private:
  int bad_port_;
};

// Review 15e, finding 2. Attack (hostile tenant): a server line that
// HAProxy's runtime `add server` accepts and its config parser refuses (an
// argument of a sample expression that only the config's post-parsing
// resolves: `sni nbsrv(<no such backend>)`), added by scaling the app from
// one task to two. Since c1be82d a change of servers only is written to
// disk without `haproxy -c` and HAProxy accepted the command, so nothing
// ever checks the file. Expected: the file on disk is one `haproxy -c`
// accepts (else the next HAProxy start or restart refuses it, for every
// app), and HAProxy does not run the refused line.
TEST_F(LiveTest, AServerLineOnlyTheConfigParserRefusesIsNotWrittenUnchecked) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad_port = FreePort();
  const UnresolvedSniLine bad(bad_port);
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  Sim& sim = StartSim("sim", bad.Apps(web_app, 1));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());
  ASSERT_THAT(ReadFile(cfg_), HasSubstr("sni nbsrv(bad_" +
                                        std::to_string(bad_port) + ")\n"));

  PostApps(sim, bad.Apps(web_app, 2));
  // Settled: the change went live, or haproxy -c refused it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string log = MlbLog();
        return log.find("servers changed without a reload") !=
                   std::string::npos ||
               log.find("haproxy -c rejected the new config") !=
                   std::string::npos;
      },
      Millis(10000)))
      << Tail(MlbLog());
  const RunResult check = RunBounded({HaproxyBinary(), "-c", "-f", cfg_},
                                     dir_->File("haproxy-c.log"));
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << ReadFile(cfg_);
  EXPECT_THAT(ReadFile(cfg_), Not(HasSubstr(bad.SecondLine())));
  EXPECT_EQ(ServerStats(MasterSocket(), "bad_" + std::to_string(bad_port))
                .size(),
            1u)
      << Tail(MlbLog());
  EXPECT_EQ(ViaService().Backend(), "web-1");
}

// Review 15e, finding 3. Attack (hostile tenant): the same line, then
// requests through the tenant's own service port. The server HAProxy added
// live holds an expression whose argument was never resolved (the string
// "bad_<port>" where a backend is expected); evaluating it for a connection
// to that server crashes HAProxy's worker (measured on 2.6.12: SIGSEGV on
// the first request routed to it), which takes down every app's traffic,
// and an HAProxy started again reads the file with that line and refuses
// it. Expected: /web is still served by web-1 after the tenant's requests.
TEST_F(LiveTest, RequestsToATenantsLiveServerDoNotStopOtherAppsTraffic) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad_port = FreePort();
  const UnresolvedSniLine bad(bad_port);
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  Sim& sim = StartSim("sim", bad.Apps(web_app, 1));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());

  PostApps(sim, bad.Apps(web_app, 2));
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string log = MlbLog();
        return log.find("servers changed without a reload") !=
                   std::string::npos ||
               log.find("haproxy -c rejected the new config") !=
                   std::string::npos;
      },
      Millis(10000)))
      << Tail(MlbLog());
  // Round robin over the app's servers: the second request goes to the
  // second one, if HAProxy runs it. Neither answers (nothing listens).
  for (int i = 0; i < 4; ++i) {
    HttpGet("127.0.0.1", bad_port, "/", "bad.test");
  }
  EXPECT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe() << "\n"
                                          << Tail(MlbLog());
}

// Review 15e, finding 4. Attack (hostile tenant): the same gap without a
// sample expression, so that refusing '(' on the live path would not close
// it: /bad's task is replaced and, in the same Marathon change, its
// HAPROXY_0_BACKEND_SERVER_OPTIONS becomes "... proto fcgi" (no section
// changes: the old server goes, a new one comes, a change of servers only).
// HAProxy's `add server` accepts `proto fcgi` in a backend with no
// `use-fcgi-app`; haproxy -c refuses it ("FCGI server '<name>' has no FCGI
// app configured"). Expected: the file on disk is one haproxy -c accepts.
TEST_F(LiveTest, AProtoFcgiServerLineIsNotWrittenUnchecked) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad_port = FreePort();
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  auto bad_app = [&](const std::string& ip, const std::string& options) {
    return AppJson("/bad", {bad_port},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"},
                    {"HAPROXY_0_BACKEND_SERVER_OPTIONS",
                     "  server {serverName} {host_ipv4}:{port}" + options +
                         "\n"}},
                   {{ip, {bad_port}}});
  };
  Sim& sim =
      StartSim("sim", StateJson({web_app, bad_app("127.0.0.3", "")}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());

  PostApps(sim, StateJson({web_app, bad_app("127.0.0.4", " proto fcgi")}));
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string log = MlbLog();
        return log.find("servers changed without a reload") !=
                   std::string::npos ||
               log.find("haproxy -c rejected the new config") !=
                   std::string::npos ||
               log.find("servers changed, reloading") != std::string::npos;
      },
      Millis(10000)))
      << Tail(MlbLog());
  const RunResult check = RunBounded({HaproxyBinary(), "-c", "-f", cfg_},
                                     dir_->File("haproxy-c.log"));
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << ReadFile(cfg_);
  EXPECT_EQ(ViaService().Backend(), "web-1");
}

// Review 16a, finding 1 (express path and the live path alike). Attack
// (hostile tenant): a sticky app (HAPROXY_0_STICKY: the backend has dynamic
// cookies) whose HAPROXY_0_BACKEND_SERVER_OPTIONS has the word `cookie` as
// the ARGUMENT of another option: "sni cookie check-sni nbsrv(bad_<port>)".
// HAProxy's config parser reads `sni` = the sample fetch `cookie` and
// `check-sni` = the string "nbsrv(bad_<port>)": haproxy -c accepts it. The
// runtime path (AddCommands) takes `cookie` for the server's cookie option
// and drops it with the word after it, so `add server` gets "... sni
// nbsrv(bad_<port>)": the expression review 15e found crashing the worker
// (SIGSEGV) on the first connection to that server. The second task of the
// app has the shape of the first (checked), so the express path sends it at
// once. Expected: /web is still served after the tenant's own requests.
TEST_F(LiveTest, ACookieWordThatIsAnotherOptionsArgumentDoesNotCrashHaproxy) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad_port = FreePort();
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  auto bad_app = [&](int tasks) {
    std::vector<TaskSpec> specs = {{"127.0.0.3", {bad_port}}};
    if (tasks == 2) {
      specs.push_back({"127.0.0.4", {bad_port + 1}});
    }
    return AppJson(
        "/bad", {bad_port},
        {{"HAPROXY_GROUP", kGroup},
         {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
         {"HAPROXY_0_MODE", "http"},
         {"HAPROXY_0_STICKY", "true"},
         {"HAPROXY_0_BACKEND_SERVER_OPTIONS",
          "  server {serverName} {host_ipv4}:{port} ssl verify none sni "
          "cookie check-sni nbsrv(no_such_backend)\n"}},
        specs);
  };
  Sim& sim = StartSim("sim", StateJson({web_app, bad_app(1)}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());
  ASSERT_THAT(ReadFile(cfg_),
              HasSubstr("sni cookie check-sni nbsrv(no_such_backend)\n"));
  ASSERT_THAT(ReadFile(cfg_), HasSubstr("dynamic-cookie-key"));
  const pid_t master = HaproxyMasterPid();

  ScaleTheBadAppAndExpectNoWorkerDeath(
      sim, StateJson({web_app, bad_app(2)}), bad_port, master);
}

// Review 16a, finding 2 (hostile network; the app model of issue 14, made
// immediate by the express path). Attack: event mode without
// --callback-secret-file (the default, as marathon-lb 1.15), anyone who
// reaches the callback listener POSTs a status_update_event of their own:
// a TASK_RUNNING task of /web on their host and port. marathon-lb 1.15 only
// took a POST as a reason to fetch the apps from Marathon; the app model
// applies the event's host and ports as they are, and the express path
// sends the server to HAProxy at once: /web's requests go to the forger
// (until the periodic resync, minutes later). Expected: no request of /web
// reaches the forger's server.
TEST_F(LiveTest, AForgedCallbackPostDoesNotRouteAnAppsTrafficToTheForger) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int evil = StartEcho("evil", "127.0.0.3");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  const int callback_port = StartEventModeServingWeb1(sim);
  ASSERT_FALSE(HasFailure());

  const std::string forged =
      R"({"eventType":"status_update_event","appId":"/web",)"
      R"("taskId":"web.forged-1","taskStatus":"TASK_RUNNING",)"
      R"("host":"127.0.0.3","ports":[)" +
      std::to_string(evil) + R"(],"ipAddresses":[]})";
  const HttpResponse r = HttpCall("POST", "127.0.0.1", callback_port, "/",
                                  forged, {}, Millis(5000));
  EXPECT_LT(r.status, 500) << r.Describe();
  // Settled: the forged task went live (the finding), or nothing changed.
  WaitUntil(
      [&] {
        return CountMessages(MlbLog(), "servers changed without a reload") +
                   LoggedReloads() >
               0;
      },
      Millis(3000));
  int to_evil = 0;
  for (int i = 0; i < 6; ++i) {
    to_evil += ViaService().Backend() == "evil";
  }
  EXPECT_EQ(to_evil, 0) << Tail(MlbLog());
}

// Review 16a, finding 3 (express path and the live path alike). Attack
// (hostile tenant): review 15e's `sni nbsrv(...)`, but naming a backend
// that EXISTS (the tenant's own), so that haproxy -c accepts the first
// task's line and every later task's line has its shape. HAProxy's `add
// server` parses the expression but never resolves its arguments, whatever
// they name (measured on 2.6.12: `add server bad/b ... sni nbsrv(bad)`, with
// backend bad there, kills the worker with SIGSEGV on the first connection
// to b). So "a line haproxy -c checked" is no proof for the runtime API: the
// app scaled from one task to two, the express path sends the second
// server at once, and the tenant's requests take down every app.
// Expected: no worker death; /web still served.
TEST_F(LiveTest, AnSniExpressionNamingAnExistingBackendDoesNotCrashHaproxy) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int bad_port = FreePort();
  const auto web_app = AppJson("/web", {service_port_},
                               {{"HAPROXY_GROUP", kGroup},
                                {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                                {"HAPROXY_0_MODE", "http"}},
                               {{"127.0.0.2", {web1}}});
  const std::string own_backend = "bad_" + std::to_string(bad_port);
  auto bad_app = [&](int tasks) {
    std::vector<TaskSpec> specs = {{"127.0.0.3", {bad_port}}};
    if (tasks == 2) {
      specs.push_back({"127.0.0.4", {bad_port + 1}});
    }
    return AppJson("/bad", {bad_port},
                   {{"HAPROXY_GROUP", kGroup},
                    {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
                    {"HAPROXY_0_MODE", "http"},
                    {"HAPROXY_0_BACKEND_SERVER_OPTIONS",
                     "  server {serverName} {host_ipv4}:{port} ssl verify "
                     "none sni nbsrv(" + own_backend + ")\n"}},
                   specs);
  };
  Sim& sim = StartSim("sim", StateJson({web_app, bad_app(1)}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << Tail(MlbLog());
  ASSERT_TRUE(WaitForStream());
  ASSERT_THAT(ReadFile(cfg_), HasSubstr("backend " + own_backend + "\n"));
  ASSERT_THAT(ReadFile(cfg_), HasSubstr("sni nbsrv(" + own_backend + ")\n"));
  const pid_t master = HaproxyMasterPid();

  ScaleTheBadAppAndExpectNoWorkerDeath(
      sim, StateJson({web_app, bad_app(2)}), bad_port, master);
}


// ---- Review 16b -------------------------------------------------------------

// Review 16b, finding 1 (high). ExpressLive sets express_deaths_ to
// HaproxyProcess::deaths() at EVERY express change, and the catch-up only
// reloads when deaths() differs from the LAST one. A HAProxy restart between
// two express changes (of two apps) is therefore forgotten: the restarted
// HAProxy read the file of before the first change (app /a's new task
// missing, its removed task back), the second change (app /b) overwrites
// express_deaths_, and the catch-up writes the file with reload=false
// because live_ and the file agree. HAProxy keeps routing /a to the task
// Marathon replaced until some other reload.
TEST_F(LiveTest, Review16bAnHaproxyRestartBetweenTwoExpressChangesIsReloaded) {
  flags_["--haproxy-binary"] = SlowCheckHaproxy(*dir_, 2);
  const int a1 = StartEcho("a-1", "127.0.0.2");
  const int a2 = StartEcho("a-2", "127.0.0.3");
  const int a3 = StartEcho("a-3", "127.0.0.4");
  const int b1 = StartEcho("b-1", "127.0.0.5");
  const int b2 = StartEcho("b-2", "127.0.0.6");
  const int b3 = StartEcho("b-3", "127.0.0.7");
  const int port_b = FreePort();
  const std::map<std::string, std::string> labels = {
      {"HAPROXY_GROUP", kGroup},
      {"HAPROXY_0_BIND_ADDR", "127.0.0.1"},
      {"HAPROXY_0_MODE", "http"}};
  const auto state = [&](bool a_moved, bool b_moved) {
    return StateJson(
        {AppJson("/a", {service_port_}, labels,
                 {{"127.0.0.2", {a1}},
                  a_moved ? TaskSpec{"127.0.0.4", {a3}}
                          : TaskSpec{"127.0.0.3", {a2}}}),
         AppJson("/b", {port_b}, labels,
                 {{"127.0.0.5", {b1}},
                  b_moved ? TaskSpec{"127.0.0.7", {b3}}
                          : TaskSpec{"127.0.0.6", {b2}}})});
  };
  Sim& sim = StartSim("sim", state(false, false));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"a-1", "a-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  const pid_t master = HaproxyMasterPid();

  PostApps(sim, state(true, false));  // /a: a-2 -> a-3, express
  ASSERT_TRUE(WaitUntil([&] { return ExpressChanges() == 1; }, Millis(5000),
                        Millis(2)))
      << Tail(MlbLog());
  ASSERT_EQ(kill(master, SIGKILL), 0);
  HaproxyGroupGuard::Remove(master);
  ASSERT_TRUE(WaitUntil(
      [&] {
        const pid_t now = HaproxyMasterPid();
        return now > 0 && now != master;
      },
      Millis(5000), Millis(2)))
      << Tail(MlbLog());
  HaproxyGroupGuard::Add(HaproxyMasterPid());
  // /b: b-2 -> b-3. (Fixed: no express change after a restart while the
  // file is behind; the update of every app takes it, and reloads.)
  PostApps(sim, state(true, true));
  // The file is written...
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ReadFile(cfg_).find("127.0.0.4:" + std::to_string(a3)) !=
               std::string::npos;
      },
      Millis(20000)))
      << Tail(MlbLog());
  // ...and HAProxy must serve it: /a on a-1 and a-3 (fails: a-1 and a-2,
  // the file of before, for as long as nothing else reloads).
  EXPECT_TRUE(WaitForBackends({"a-1", "a-3"}, Millis(10000)))
      << ViaService().Describe() << "\n"
      << Tail(MlbLog());
  EXPECT_EQ(ExpressChanges(), 1u) << Tail(MlbLog());
}

// Review 16b, finding 2 (medium/high). SIGUSR1 while the file is behind
// the express path: ReloadInPlace reloads the file of before (HAProxy loses
// the servers sent ahead of it: the replaced task is back, the new one
// gone), resets live_ and the file-behind state -- and the catch-up is gone too:
// TakeBatch cleared update_at_ and CatchUpIn() is now empty. Nothing writes
// the file until the next event or the periodic resync (--resync-interval,
// 300 s here): Marathon's change is lost meanwhile.
TEST_F(LiveTest, Review16bSigusr1WhileTheFileIsBehindKeepsTheExpressChange) {
  flags_["--haproxy-binary"] = SlowCheckHaproxy(*dir_, 2);
  Sim* sim_ptr = nullptr;
  std::array<int, 3> web;
  ASSERT_NO_FATAL_FAILURE(StartWebThenReplaceATaskAhead(&sim_ptr, &web));
  const int web3 = web[2];
  ASSERT_EQ(kill(mlb_->pid(), SIGUSR1), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(), "reloaded " + cfg_ +
                                        " in place (SIGUSR1; Marathon not "
                                        "asked)") ||
               ReadFile(cfg_).find("127.0.0.4:" + std::to_string(web3)) !=
                   std::string::npos;
      },
      Millis(10000)))
      << Tail(MlbLog());
  // Marathon has web-1 and web-3: HAProxy must come back to them (and the
  // file with it) well before the 300 s resync.
  EXPECT_TRUE(WaitForBackends({"web-1", "web-3"}, Millis(15000)))
      << ViaService().Describe() << "\n"
      << Tail(MlbLog());
  EXPECT_NE(ReadFile(cfg_).find("127.0.0.4:" + std::to_string(web3)),
            std::string::npos);
}

// Review 16b, finding 3 (medium, hostile network). Event mode without
// --callback-secret-file: an event only names an app to fetch, and more
// than 50 such apps are one fetch of every app -- but a single forged POST
// naming an app Marathon does not have is a fetch of every app too
// (FetchApp's 404 is "fetching every app instead"), and so is any POST the
// event parser refuses ('{"eventType":"api_post_event"}': "no
// appDefinition object; the next update fetches every app"), each followed
// by a render of every app. One tiny POST per update interval keeps
// marathon-lb doing a full fetch (GET /v2/apps?embed=apps.tasks) and a
// full update each time. An app Marathon answers 404 for is an app gone:
// expected, no fetch of every app.
TEST_F(LiveTest, Review16bAForgedEventNamingNoAppDoesNotForceAFetchOfEveryApp) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}}}));
  const int callback_port = StartEventModeServingWeb1(sim);
  ASSERT_FALSE(HasFailure());
  const long full_before = SimRequests(sim, "GET /v2/apps");
  ASSERT_GE(full_before, 1);
  constexpr int kPosts = 5;
  for (int i = 0; i < kPosts; ++i) {
    // Even: an app Marathon answers 404 for; odd: an event the parser
    // refuses (it does not even need an app id: "the next update fetches
    // every app").
    const std::string forged =
        i % 2 == 0 ? R"({"eventType":"app_terminated_event","appId":)"
                     R"("/no-such-app-)" + std::to_string(i) + R"("})"
                   : std::string(R"({"eventType":"api_post_event"})");
    const HttpResponse r = HttpCall("POST", "127.0.0.1", callback_port, "/",
                                    forged, {}, Millis(5000));
    ASSERT_LT(r.status, 500) << r.Describe();
    // Each POST's update done (the update logs its end).
    ASSERT_TRUE(WaitUntil(
        [&] {
          return MatchingMessages(MlbLog(), ".*regeneration #[0-9]+: .*done.*")
                         .size() >= static_cast<size_t>(i + 2);
        },
        Millis(10000)))
        << Tail(MlbLog());
  }
  EXPECT_EQ(SimRequests(sim, "GET /v2/apps") - full_before, 0)
      << "full fetches forced by " << kPosts << " forged POSTs\n"
      << Tail(MlbLog());
}

// Review 16b, pin (passes at 93213e7; worth keeping): task events that
// never stop do not starve the file. Each event's update takes the express
// path, but once the window (1 s + 2x the last full update) has passed the
// event's own update writes the file (UpdateOnce's behind_since_ check), so
// the config file is written while the flood goes on, not only after it.
TEST_F(LiveTest, Review16bContinuousTaskEventsDoNotStarveTheConfigFile) {
  flags_["--haproxy-binary"] = SlowCheckHaproxy(*dir_, 1);
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  Sim& sim = StartSim("sim", State({{"127.0.0.2", {web1}},
                                    {"127.0.0.3", {web2}}}));
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, {sim.url}));
  ASSERT_TRUE(WaitForBackends({"web-1", "web-2"})) << ViaService().Describe();
  ASSERT_TRUE(WaitForStream());
  const auto written = [&] {
    return MatchingMessages(MlbLog(), "wrote " + cfg_ + " .*").size();
  };
  const size_t written_before = written();
  // ~12 s of a task replaced back and forth every 250 ms: never 1 s quiet.
  for (int i = 0; i < 48; ++i) {
    PostApps(sim, State({{"127.0.0.2", {web1}},
                         i % 2 == 0 ? TaskSpec{"127.0.0.4", {web3}}
                                    : TaskSpec{"127.0.0.3", {web2}}}));
    std::this_thread::sleep_for(Millis(250));
  }
  const size_t during = written() - written_before;
  std::string writes;
  for (const std::string& line :
       MatchingMessages(MlbLog(), ".*(wrote |update: |catching up).*")) {
    writes += line + "\n";
  }
  EXPECT_GE(during, 1u) << "config files written during ~12 s of events\n"
                        << writes;
  EXPECT_GE(ExpressChanges(),
            2u)
      << Tail(MlbLog());
}

// Review 16b, pin (passes at 93213e7; worth keeping): a label change
// (api_post_event, the app fetched) inside the window in which the file is
// behind the express path is not deferred: its update writes the file with
// both the task and the label, and HAProxy runs it.
TEST_F(LiveTest, Review16bALabelChangeInsideTheWindowWritesTheFileAtOnce) {
  flags_["--haproxy-binary"] = SlowCheckHaproxy(*dir_, 2);
  Sim* sim_ptr = nullptr;
  std::array<int, 3> web;
  ASSERT_NO_FATAL_FAILURE(StartWebThenReplaceATaskAhead(&sim_ptr, &web));
  Sim& sim = *sim_ptr;
  const int web1 = web[0];
  const int web3 = web[2];
  PostApps(sim, State({{"127.0.0.2", {web1}}, {"127.0.0.4", {web3}}},
                      {{"HAPROXY_0_BALANCE", "leastconn"}}));
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadFile(cfg_).find("leastconn") != std::string::npos; },
      Millis(15000)))
      << Tail(MlbLog());
  // Written by the label's update, not by the timed catch-up.
  EXPECT_EQ(CountMessages(MlbLog(), "update: the config file catching up"), 0)
      << Tail(MlbLog());
  EXPECT_NE(ReadFile(cfg_).find("127.0.0.4:" + std::to_string(web3)),
            std::string::npos);
  EXPECT_TRUE(WaitForBackends({"web-1", "web-3"}, Millis(10000)))
      << ViaService().Describe() << "\n"
      << Tail(MlbLog());
}

}  // namespace
}  // namespace mlb::integration
