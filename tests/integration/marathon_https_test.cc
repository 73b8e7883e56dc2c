// Marathon over https, end to end: marathon-sim serving its whole API (REST,
// the /v2/events stream, /_sim) over TLS with a server certificate signed by
// a test CA, and marathon-lb with --marathon-ca-cert <that CA> in poll, sse
// and event mode owning a real HAProxy (--run-haproxy), echo backends on
// 127.0.0.2-3. Also gzip: marathon-lb asks for it on its REST GETs, the
// simulator gzips GET /v2/apps (its stats count what it sent), and the SSE
// stream is never asked gzipped. A CA that did not sign the certificate is
// an error naming the URL and the certificate problem.
//
// The CA, the server key and certificate are made at run time with openssl
// into the suite's temp dir (never committed). Nothing binds outside
// 127.0.0.0/8 (--dont-bind-http-https, loopback HEAD and :9091 frontend,
// HAPROXY_0_BIND_ADDR 127.0.0.1); HAProxy runs with maxconn 200 and is
// stopped through marathon-lb (SIGTERM), or by its PID if it is left.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/base/http_client.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/live_support.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;

const char kEventsPath[] =
    "/v2/events?plan-format=light&event_type=api_post_event&event_type="
    "app_terminated_event&event_type=health_status_changed_event&"
    "event_type=status_update_event";

// Runs `command` with sh; true if it exited 0.
bool Shell(const std::string& command) {
  return std::system(command.c_str()) == 0;
}

class MarathonHttpsTest : public ManagedMarathonLbTest {
 protected:
  // A test CA (ca.pem) and a server certificate it signed for IP:127.0.0.1
  // (cert.pem, key.pem; both in server.pem too), and another CA that signed
  // nothing here (other-ca.pem).
  static void SetUpTestSuite() {
    ManagedMarathonLbTest::SetUpTestSuite();
    certs_ = ::testing::TempDir() + "/marathon_https_certs";
    const std::string d = certs_;
    const std::string quiet = " 2>>" + d + "/openssl.log >/dev/null";
    made_ =
        Shell("rm -rf " + d + " && mkdir -p " + d) &&
        Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
              "/CN=marathon-lb-test-ca -keyout " + d + "/ca-key.pem -out " +
              d + "/ca.pem" + quiet) &&
        Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
              "/CN=other-test-ca -keyout " + d + "/other-ca-key.pem -out " +
              d + "/other-ca.pem" + quiet) &&
        Shell("openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
              "-keyout " + d + "/key.pem -out " + d + "/server.csr" + quiet) &&
        Shell("printf 'subjectAltName=IP:127.0.0.1\\n' > " + d + "/ext.cnf") &&
        Shell("openssl x509 -req -in " + d + "/server.csr -CA " + d +
              "/ca.pem -CAkey " + d + "/ca-key.pem -CAcreateserial -days 1 "
              "-extfile " + d + "/ext.cnf -out " + d + "/cert.pem" + quiet) &&
        Shell("cat " + d + "/cert.pem " + d + "/key.pem > " + d +
              "/server.pem");
  }

  void SetUp() override {
    ManagedMarathonLbTest::SetUp();
    ASSERT_TRUE(made_) << "openssl failed: " << ReadFile(certs_ + "/openssl.log");
  }

  void TearDown() override {
    ManagedMarathonLbTest::TearDown();
    sim_.reset();
  }

  void DumpLogs() const override {
    ManagedMarathonLbTest::DumpLogs();
    if (sim_) {
      std::cerr << "---- marathon-sim log (tail) ----\n"
                << Tail(sim_->Output(), 60);
    }
  }

  static std::string Cert(const std::string& name) {
    return certs_ + "/" + name;
  }

  // marathon-sim over https (--tls-cert, --tls-key) serving State(tasks),
  // with `extra` arguments.
  void StartSim(const std::vector<TaskSpec>& tasks,
                const std::vector<std::string>& tls_args,
                const std::vector<std::string>& extra = {}) {
    state_file_ = dir_->File("state.json");
    AtomicWrite(state_file_, State(tasks));
    const std::string port_file = dir_->File("sim.port");
    std::remove(port_file.c_str());  // a simulator's before this one
    std::vector<std::string> argv = {sim_binary_,   "--state",
                                     state_file_,   "--listen",
                                     "127.0.0.1:0", "--port-file",
                                     port_file,     "--keepalive-ms",
                                     "300"};
    argv.insert(argv.end(), tls_args.begin(), tls_args.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    sim_ = std::make_unique<ScopedProcess>(argv, dir_->File("sim.log"));
    sim_url_ = "https://" + WaitForPortFile(*sim_, port_file);
  }
  std::vector<std::string> KeyAndCert() const {
    return {"--tls-cert", Cert("cert.pem"), "--tls-key", Cert("key.pem")};
  }

  // The common arguments: --marathon <sim> --marathon-ca-cert `ca`.
  std::vector<std::string> Args(const std::vector<std::string>& mode_args,
                                const std::string& ca) {
    return MarathonLbArgs(mode_args, {sim_url_, "--marathon-ca-cert", ca});
  }

  // marathon-lb MODE_ARGS ... --run-haproxy, the admin endpoint, short
  // timers; with `wait_for_haproxy`, waits until HAProxy serves the first
  // config.
  void StartMarathonLb(const std::vector<std::string>& mode_args,
                       const std::string& ca, bool wait_for_haproxy = true) {
    SpawnMarathonLb(
        ManagedArgs(mode_args, {sim_url_, "--marathon-ca-cert", ca}));
    if (wait_for_haproxy) {
      AwaitHaproxy();
    }
  }

  // A request to the simulator, over https (verified with the test CA).
  std::string SimCall(const std::string& method, const std::string& path,
                      const std::string& body = "") const {
    HttpClientOptions options;
    options.ca_file = Cert("ca.pem");
    options.read_timeout = Millis(5000);
    HttpRequest request;
    request.method = method;
    request.url = sim_url_ + path;
    request.body = body;
    request.content_type = body.empty() ? "" : "application/json";
    std::string answer;
    mlb::HttpResponse response;
    const Status s = HttpClient(options).Fetch(request, &answer, &response);
    if (!s.ok() || response.status != 200) {
      ADD_FAILURE() << method << " " << path << ": " << s.message() << " "
                    << response.status;
    }
    return answer;
  }
  void PostApps(const std::vector<TaskSpec>& tasks) {
    SimCall("POST", "/_sim/apps", State(tasks));
  }
  Poco::JSON::Object::Ptr SimStats() const {
    return JsonObject(SimCall("GET", "/_sim/stats"));
  }
  long SimRequests(const std::string& key) const {
    const Poco::JSON::Object::Ptr stats = SimStats();
    return stats.isNull() ? -1 : JsonInt(stats->getObject("requests"), key, 0);
  }

  // The simulator's request log lines ("marathon-sim: 127.0.0.1:P GET
  // /v2/apps?embed=apps.tasks 200 (Accept-Encoding: gzip)") for `path`.
  std::vector<std::string> SimLogLines(const std::string& path) const {
    std::vector<std::string> out;
    for (const std::string& line : Lines(sim_->Output())) {
      if (line.find(" GET " + path + " ") != std::string::npos) {
        out.push_back(line.substr(line.find(" GET ")));
      }
    }
    return out;
  }

  static inline std::string certs_;
  static inline bool made_ = false;
  std::string sim_url_, state_file_;
  std::unique_ptr<ScopedProcess> sim_;
};

// sse over https: the apps come gzipped (the simulator counts a gzip answer,
// fewer bytes on the wire than its JSON), the event stream connects over
// TLS without asking for gzip, changes reach HAProxy through it; after the
// stream idles past --sse-idle-timeout (kept alive by comments) it is still
// the one stream and still delivers; dropped, it reconnects over https.
TEST_F(MarathonHttpsTest, SseFollowsTasksOverTheHttpsEventStream) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  StartSim({{"127.0.0.2", {web1}}}, KeyAndCert());
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, Cert("ca.pem")));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  const std::string connected =
      "event stream connected: " + sim_url_ + kEventsPath;
  ASSERT_TRUE(WaitUntil([&] { return HasMessage(MlbLog(), connected); },
                        Millis(5000)))
      << Tail(MlbLog());

  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));

  // Idle for longer than --sse-idle-timeout 2: keep-alives hold it open.
  std::this_thread::sleep_for(Millis(2500));
  PostApps({{"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-2"}));
  EXPECT_EQ(CountMessages(MlbLog(), "event stream connected: "), 1);
  Poco::JSON::Object::Ptr stats = SimStats();
  EXPECT_EQ(JsonInt(stats, "eventStreamsOpened", -1), 1);
  EXPECT_EQ(JsonInt(stats, "openEventStreams", -1), 1);

  // Dropped by Marathon: a new stream over https, and it delivers.
  SimCall("POST", "/_sim/fault?drop=1");
  ASSERT_TRUE(WaitUntil(
      [&] { return CountMessages(MlbLog(), "event stream connected: ") == 2; },
      Millis(8000)))
      << Tail(MlbLog());
  PostApps({{"127.0.0.2", {web1}}});
  EXPECT_TRUE(WaitForBackends({"web-1"}));

  stats = SimStats();
  EXPECT_GE(JsonInt(stats, "appsAnswersGzipped", -1), 1);
  EXPECT_EQ(JsonInt(stats, "appsAnswersPlain", -1), 0);
  EXPECT_LT(JsonInt(stats, "appsWireBytes", -1),
            JsonInt(stats, "appsJsonBytes", -1));
  // Every REST GET asked for gzip; the event stream never did.
  const std::vector<std::string> apps = SimLogLines("/v2/apps?embed=apps.tasks");
  ASSERT_FALSE(apps.empty()) << sim_->Output();
  for (const std::string& line : apps) {
    EXPECT_THAT(line, HasSubstr(" 200 (Accept-Encoding: gzip)"));
  }
  const std::vector<std::string> events = SimLogLines(kEventsPath);
  ASSERT_EQ(events.size(), 2u) << sim_->Output();
  for (const std::string& line : events) {
    EXPECT_EQ(line, std::string(" GET ") + kEventsPath + " 200");
  }
}

// poll (every second) and event mode over https route the app and follow a
// change; the event subscription calls go over https too. The simulator
// serves the key and certificate from one PEM file.
TEST_F(MarathonHttpsTest, PollAndEventModesRouteOverHttps) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  StartSim({{"127.0.0.2", {web1}}}, {"--tls-cert", Cert("server.pem")});

  ASSERT_NO_THROW(
      StartMarathonLb({"poll", "--poll-interval", "1"}, Cert("ca.pem")));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));
  ASSERT_NO_FATAL_FAILURE(StopMarathonLb());
  EXPECT_GE(JsonInt(SimStats(), "appsAnswersGzipped", -1), 2);

  PostApps({{"127.0.0.2", {web1}}});
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/";
  ASSERT_NO_THROW(StartMarathonLb({"event", callback}, Cert("ca.pem")));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitUntil(
      [&] { return JsonInt(SimStats(), "callbackSubscriptions", -1) == 1; },
      Millis(5000)));
  EXPECT_TRUE(HasMessage(MlbLog(), "registered event callback " + callback));
  PostApps({{"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-2"}));
  ASSERT_NO_FATAL_FAILURE(StopMarathonLb());
  EXPECT_TRUE(HasMessage(final_mlb_log_, "removed event callback " + callback))
      << Tail(final_mlb_log_);
  EXPECT_EQ(JsonInt(SimStats(), "callbackSubscriptions", -1), 0);
}

// --no-gzip: the simulator answers plain JSON though asked for gzip, and
// marathon-lb reads it all the same; by default the same request gets gzip.
// (poll --dry: one update, the config printed.)
TEST_F(MarathonHttpsTest, GzipOrPlainTheAppsAreRead) {
  StartSim({{"127.0.0.2", {31001}}}, KeyAndCert(), {"--no-gzip"});
  RunResult poll = RunBounded(Args({"poll", "--dry"}, Cert("ca.pem")),
                              dir_->File("poll-plain.log"));
  EXPECT_EQ(poll.exit_code, 0) << poll.output;
  EXPECT_THAT(poll.output, HasSubstr(" 127.0.0.2:31001 "));
  Poco::JSON::Object::Ptr stats = SimStats();
  EXPECT_EQ(JsonInt(stats, "appsAnswersGzipped", -1), 0);
  EXPECT_EQ(JsonInt(stats, "appsAnswersPlain", -1), 1);
  EXPECT_EQ(JsonInt(stats, "appsWireBytes", -1),
            JsonInt(stats, "appsJsonBytes", -1));
  EXPECT_THAT(SimLogLines("/v2/apps?embed=apps.tasks"),
              ::testing::ElementsAre(
                  " GET /v2/apps?embed=apps.tasks 200 (Accept-Encoding: gzip)"));

  sim_.reset();
  StartSim({{"127.0.0.3", {31002}}}, KeyAndCert());
  poll = RunBounded(Args({"poll", "--dry"}, Cert("ca.pem")),
                    dir_->File("poll-gzip.log"));
  EXPECT_EQ(poll.exit_code, 0) << poll.output;
  EXPECT_THAT(poll.output, HasSubstr(" 127.0.0.3:31002 "));
  stats = SimStats();
  EXPECT_EQ(JsonInt(stats, "appsAnswersGzipped", -1), 1);
  EXPECT_EQ(JsonInt(stats, "appsAnswersPlain", -1), 0);
  EXPECT_LT(JsonInt(stats, "appsWireBytes", -1),
            JsonInt(stats, "appsJsonBytes", -1));
}

// A CA that did not sign Marathon's certificate: the error names the URL and
// OpenSSL's reason, word for word, in poll's output (exit 1) and, in sse
// mode, in the log (for the apps and for the event stream, which retries)
// and as /status last_error; the simulator never answered the apps.
TEST_F(MarathonHttpsTest, WrongCaIsAClearErrorNamingUrlAndReason) {
  StartSim({{"127.0.0.2", {31001}}}, KeyAndCert());
  const std::string tls_error =
      "SSL Exception: error:0A000086:SSL routines::certificate verify failed "
      "(unable to get local issuer certificate)";
  const std::string apps_error =
      "Marathon request GET /v2/apps?embed=apps.tasks failed: " + sim_url_ +
      ": " + tls_error;
  const RunResult poll = RunBounded(
      Args({"poll", "--dry"}, Cert("other-ca.pem")), dir_->File("poll.log"));
  EXPECT_EQ(poll.exit_code, 1) << poll.output;
  EXPECT_TRUE(HasMessage(poll.output, apps_error)) << poll.output;

  ASSERT_NO_THROW(StartMarathonLb({"sse"}, Cert("other-ca.pem"),
                                  /*wait_for_haproxy=*/false));
  // The stream's error, then its retry: "...; reconnecting in N ms".
  const std::string stream_error =
      "GET " + sim_url_ + kEventsPath + ": " + tls_error + "; reconnecting in ";
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(), apps_error) &&
               CountMessages(MlbLog(), stream_error) > 0;
      },
      Millis(10000)))
      << Tail(MlbLog());
  ASSERT_TRUE(WaitUntil(
      [&] {
        return JsonText(JsonObject(Admin("/status").body), "last_error") ==
               apps_error;
      },
      Millis(5000)))
      << Admin("/status").body;
  EXPECT_EQ(JsonInt(SimStats(), "appsAnswersGzipped", -1) +
                JsonInt(SimStats(), "appsAnswersPlain", -1),
            0);
}

}  // namespace
}  // namespace mlb::integration
