// Tests of tools/marathon-sim's event bus, control API and faults.  Each
// test starts the simulator ($MLB_SIM_BINARY) as a child process on
// 127.0.0.1 with a port file, talks HTTP to it with Poco and stops it by PID.
// Every wait is bounded.

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/http_call.h"
#include "tests/support/temp_dir.h"

namespace mlb::tools {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Poco::JSON::Array;
using Poco::JSON::Object;
using testing::TempDir;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------
// Files, waiting, JSON.

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Writes `text` beside `path` and renames it over `path`.
void RenameOver(const std::string& path, const std::string& text) {
  const std::string temp = path + ".new";
  WriteFile(temp, text);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("rename " + temp + " -> " + path + ": " +
                             std::strerror(errno));
  }
}

template <typename Predicate>
bool WaitUntil(Predicate done, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(10));
  }
  return true;
}

Object::Ptr ParseObject(const std::string& text) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var value = parser.parse(text);
    if (value.type() == typeid(Object::Ptr)) {
      return value.extract<Object::Ptr>();
    }
  } catch (const Poco::Exception&) {
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// State JSON.

std::string TaskJson(const std::string& id, const std::string& host, int port,
                     std::optional<bool> alive = std::nullopt) {
  std::string out = "{\"id\": \"" + id + "\", \"host\": \"" + host +
                    "\", \"ports\": [" + std::to_string(port) +
                    "], \"state\": \"TASK_RUNNING\"";
  if (alive) {
    out += std::string(", \"healthCheckResults\": [{\"alive\": ") +
           (*alive ? "true" : "false") + "}]";
  }
  return out + "}";
}

std::string AppJson(const std::string& id, int service_port,
                    const std::vector<std::string>& tasks,
                    const std::string& labels = "{}") {
  std::string out =
      "{\"id\": \"" + id + "\", \"labels\": " + labels +
      ", \"portDefinitions\": [{\"port\": " + std::to_string(service_port) +
      "}], \"tasks\": [";
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    out += (i > 0 ? ", " : "") + tasks[i];
  }
  return out + "]}";
}

std::string StateJson(const std::vector<std::string>& apps) {
  std::string out = "{\"apps\": [";
  for (std::size_t i = 0; i < apps.size(); ++i) {
    out += (i > 0 ? ", " : "") + apps[i];
  }
  return out + "]}\n";
}

// ---------------------------------------------------------------------------
// HTTP client.

// The response, with its body read as a JSON object.
struct Response : testing::HttpResponse {
  Object::Ptr Json() const { return ParseObject(body); }
};

Poco::Net::SocketAddress Address(const std::string& host_port) {
  return Poco::Net::SocketAddress(host_port);
}

// One request on a fresh connection, 2 s timeouts.
Response Request(const std::string& host_port, const std::string& method,
                 const std::string& uri, const std::string& body = "",
                 const Headers& headers = {}) {
  const Poco::Net::SocketAddress address = Address(host_port);
  return {testing::HttpCall(method, address.host().toString(), address.port(),
                            uri, body, headers, Millis(2000))};
}

// ---------------------------------------------------------------------------
// The simulator as a child process.

std::string SimBinary() {
  const char* path = std::getenv("MLB_SIM_BINARY");
  return path != nullptr ? path : "";
}

class SimProcess {
 public:
  // Starts the simulator on `state_file`; throws with its log if it writes
  // no port file within 5 s.
  SimProcess(const TempDir& dir, const std::string& name,
             const std::string& state_file,
             const std::vector<std::string>& extra_args) {
    log_path_ = dir.File(name + ".log");
    const std::string port_file = dir.File(name + ".port");
    std::vector<std::string> argv = {SimBinary(), "--state",     state_file,
                                     "--listen",  "127.0.0.1:0", "--port-file",
                                     port_file};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int log_fd =
        open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_path_);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(126);
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    close(log_fd);
    if (pid_ < 0) throw std::runtime_error("fork failed");
    WaitUntil([&] { return !ReadFile(port_file).empty() || Exited(); },
              Millis(5000));
    const std::string text = ReadFile(port_file);
    if (text.empty()) {
      Stop();
      throw std::runtime_error("marathon-sim wrote no port file " + port_file +
                               "; its log:\n" + ReadFile(log_path_));
    }
    address_ = text.substr(0, text.find('\n'));
  }
  ~SimProcess() { Stop(); }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& address() const { return address_; }
  std::string Url() const { return "http://" + address_; }
  std::string Log() const { return ReadFile(log_path_); }
  pid_t pid() const { return pid_; }

  // SIGTERM, then SIGKILL after `grace`.  Returns the exit status (128 +
  // signal if killed), or -1 if it had already been reaped.
  int Stop(Millis grace = Millis(3000)) {
    if (pid_ <= 0) return exit_code_;
    if (!Exited()) {
      kill(pid_, SIGTERM);
      if (!WaitUntil([&] { return Exited(); }, grace)) {
        kill(pid_, SIGKILL);
        while (!Exited()) std::this_thread::sleep_for(Millis(5));
      }
    }
    pid_ = -1;
    return exit_code_;
  }

 private:
  bool Exited() {
    if (exit_code_ != -1) return true;
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r != pid_) return false;
    exit_code_ =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  std::string log_path_;
  std::string address_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// ---------------------------------------------------------------------------
// A /v2/events client that collects the stream on a thread.

struct SseEvent {
  std::string type;
  std::string data;
  Object::Ptr Json() const { return ParseObject(data); }
};

class SseClient {
 public:
  SseClient(const std::string& host_port, const std::string& uri,
            const Headers& headers = {})
      : session_(Address(host_port)) {
    session_.setTimeout(Poco::Timespan(3, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    request.set("Cache-Control", "no-cache");
    for (const auto& [name, value] : headers) request.add(name, value);
    session_.sendRequest(request);
    std::istream* in = &session_.receiveResponse(response_);
    session_.socket().setReceiveTimeout(Poco::Timespan(20, 0));
    reader_ = std::thread([this, in] {
      try {
        char c = 0;
        while (in->get(c)) {
          std::lock_guard<std::mutex> lock(mu_);
          bytes_ += c;
        }
      } catch (...) {
      }
      ended_ = true;
    });
  }
  ~SseClient() { Close(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  int status() const { return static_cast<int>(response_.getStatus()); }
  const Poco::Net::HTTPResponse& response() const { return response_; }

  void Close() {
    if (!reader_.joinable()) return;
    try {
      session_.socket().shutdown();
    } catch (const Poco::Exception&) {
    }
    reader_.join();
  }

  bool ended() const { return ended_; }
  std::size_t ByteCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_.size();
  }

  // Complete events so far (keep-alive comments left out), in order.
  std::vector<SseEvent> Events() const {
    std::vector<SseEvent> events;
    for (const std::string& block : Blocks()) {
      SseEvent event;
      std::istringstream lines(block);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("event: ", 0) == 0) event.type = line.substr(7);
        if (line.rfind("data: ", 0) == 0) event.data += line.substr(6);
      }
      if (!event.type.empty() || !event.data.empty()) events.push_back(event);
    }
    return events;
  }

  // Blocks made of comment lines only (":" keep-alives).
  int KeepAlives() const {
    int count = 0;
    for (const std::string& block : Blocks()) {
      std::istringstream lines(block);
      std::string line;
      bool only_comments = true;
      while (std::getline(lines, line)) {
        only_comments = only_comments && !line.empty() && line[0] == ':';
      }
      count += only_comments ? 1 : 0;
    }
    return count;
  }

  std::vector<std::string> Types() const {
    std::vector<std::string> types;
    for (const SseEvent& event : Events()) types.push_back(event.type);
    return types;
  }

  // The first event of `type` for which `match` holds, waiting up to
  // `timeout` for it.
  std::optional<SseEvent> WaitForEvent(
      const std::string& type, Millis timeout = Millis(3000),
      const std::function<bool(const Object::Ptr&)>& match = nullptr) const {
    std::optional<SseEvent> found;
    WaitUntil(
        [&] {
          for (const SseEvent& event : Events()) {
            if (event.type != type) continue;
            if (match && !match(event.Json())) continue;
            found = event;
            return true;
          }
          return false;
        },
        timeout);
    return found;
  }

 private:
  std::vector<std::string> Blocks() const {
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mu_);
      text = bytes_;
    }
    std::vector<std::string> blocks;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find("\n\n", start)) != std::string::npos;
         start = end + 2) {
      blocks.push_back(text.substr(start, end - start));
    }
    return blocks;
  }

  Poco::Net::HTTPClientSession session_;
  Poco::Net::HTTPResponse response_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::string bytes_;
  std::atomic<bool> ended_{false};
};

// ---------------------------------------------------------------------------
// An HTTP server that records the callbacks the simulator POSTs.

struct Delivery {
  std::string path;
  std::string content_type;
  std::string body;
};

class CallbackReceiver {
 public:
  CallbackReceiver()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(this), socket_, MakeParams()) {
    server_.start();
  }
  ~CallbackReceiver() { server_.stopAll(true); }
  CallbackReceiver(const CallbackReceiver&) = delete;
  CallbackReceiver& operator=(const CallbackReceiver&) = delete;

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) +
           path;
  }

  std::vector<Delivery> Deliveries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deliveries_;
  }

  // Deliveries to `path` whose JSON has eventType `type`.
  std::vector<Object::Ptr> Received(const std::string& path,
                                    const std::string& type) const {
    std::vector<Object::Ptr> out;
    for (const Delivery& d : Deliveries()) {
      const Object::Ptr event = ParseObject(d.body);
      if (d.path == path && event &&
          event->optValue<std::string>("eventType", "") == type) {
        out.push_back(event);
      }
    }
    return out;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(CallbackReceiver* owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      Delivery d;
      d.path = request.getURI();
      d.content_type = request.getContentType();
      Poco::StreamCopier::copyToString(request.stream(), d.body);
      {
        std::lock_guard<std::mutex> lock(owner_->mu_);
        owner_->deliveries_.push_back(d);
      }
      response.setContentLength(0);
      response.send();
    }

   private:
    CallbackReceiver* owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(CallbackReceiver* owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    CallbackReceiver* owner_;
  };
  static Poco::Net::HTTPServerParams::Ptr MakeParams() {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setKeepAlive(false);
    return params;
  }

  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
  mutable std::mutex mu_;
  std::vector<Delivery> deliveries_;
};

// ---------------------------------------------------------------------------
// Fixture.

class MarathonSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SimBinary().empty()) {
      GTEST_SKIP() << "$MLB_SIM_BINARY is not set (run with meson test)";
    }
    state_file_ = dir_.File("state.json");
    WriteFile(state_file_, StateJson({AppJson("/web", 10000, {})}));
  }
  // Every simulator must leave promptly and cleanly on SIGTERM.
  void TearDown() override {
    for (std::unique_ptr<SimProcess>* sim : {&leader_, &sim_}) {
      if (*sim == nullptr) continue;
      const auto start = Clock::now();
      const int code = (*sim)->Stop();
      const auto took =
          std::chrono::duration_cast<Millis>(Clock::now() - start).count();
      EXPECT_EQ(code, 0) << "marathon-sim did not exit cleanly on SIGTERM"
                         << " (" << took << " ms); its log:\n"
                         << (*sim)->Log();
      EXPECT_LT(took, 1500) << (*sim)->Log();
      sim->reset();
    }
  }

  SimProcess& Start(const std::vector<std::string>& args = {}) {
    sim_ = std::make_unique<SimProcess>(dir_, "sim", state_file_, args);
    return *sim_;
  }

  Response Get(const std::string& uri, const Headers& headers = {}) {
    return Request(sim_->address(), "GET", uri, "", headers);
  }
  Response Post(const std::string& uri, const std::string& body = "") {
    return Request(sim_->address(), "POST", uri, body);
  }
  // POST /_sim/fault?<query>; expects 200.
  void Fault(const std::string& query) {
    const Response r = Post("/_sim/fault?" + query);
    ASSERT_EQ(r.status, 200) << r.error << r.body;
  }

  Object::Ptr Stats() {
    const Response r = Get("/_sim/stats");
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    Object::Ptr stats = r.Json();
    return stats ? stats : Object::Ptr(new Object);
  }
  std::int64_t Stat(const std::string& key) {
    return Stats()->optValue<std::int64_t>(key, -1);
  }
  std::int64_t RequestCount(const std::string& key) {
    const Object::Ptr requests = Stats()->getObject("requests");
    return requests ? requests->optValue<std::int64_t>(key, 0) : -1;
  }

  std::unique_ptr<SseClient> OpenEvents(const std::string& uri = "/v2/events") {
    auto client = std::make_unique<SseClient>(sim_->address(), uri);
    EXPECT_EQ(client->status(), 200);
    return client;
  }

  TempDir dir_;
  std::string state_file_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<SimProcess> leader_;
};

// ---------------------------------------------------------------------------
// Tests.

TEST_F(MarathonSimTest, StreamStartsAttachedThenReportsStartedTask) {
  Start();
  auto events = OpenEvents();
  EXPECT_EQ(events->response().getContentType(), "text/event-stream");
  EXPECT_TRUE(events->response().getChunkedTransferEncoding());
  ASSERT_TRUE(events->WaitForEvent("event_stream_attached"));
  EXPECT_EQ(events->Events().front().type, "event_stream_attached");
  EXPECT_EQ(events->Events().front().Json()->getValue<std::string>("eventType"),
            "event_stream_attached");

  const Response r = Post(
      "/_sim/apps",
      StateJson(
          {AppJson("/web", 10000, {TaskJson("web.1", "127.0.0.2", 31000)})}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json()->getValue<std::string>("deploymentId").empty());

  const auto update = events->WaitForEvent("status_update_event");
  ASSERT_TRUE(update) << events->ByteCount() << " bytes";
  const Object::Ptr json = update->Json();
  ASSERT_TRUE(json);
  EXPECT_EQ(json->getValue<std::string>("taskStatus"), "TASK_RUNNING");
  EXPECT_EQ(json->getValue<std::string>("taskId"), "web.1");
  EXPECT_EQ(json->getValue<std::string>("appId"), "/web");
  EXPECT_EQ(json->getValue<std::string>("host"), "127.0.0.2");
  EXPECT_EQ(json->getArray("ports")->getElement<int>(0), 31000);
  EXPECT_EQ(json->getValue<std::string>("eventType"), "status_update_event");
  for (const char* key : {"slaveId", "version", "timestamp"}) {
    EXPECT_TRUE(json->has(key)) << key;
  }
  ASSERT_TRUE(events->WaitForEvent("deployment_success"));
  const std::vector<std::string> types = events->Types();
  const auto at = [&](const std::string& t) {
    return std::find(types.begin(), types.end(), t) - types.begin();
  };
  EXPECT_LT(at("deployment_info"), at("status_update_event"));
  EXPECT_LT(at("status_update_event"), at("deployment_success"));
  // The definition did not change: no api_post_event.
  EXPECT_EQ(at("api_post_event"), static_cast<long>(types.size()));

  // The state file is the source of truth.
  EXPECT_NE(ReadFile(state_file_).find("web.1"), std::string::npos);
  EXPECT_NE(Get("/v2/apps?embed=apps.tasks").body.find("\"web.1\""),
            std::string::npos);
}

TEST_F(MarathonSimTest, EventTypeFilterSendsOnlyThoseTypes) {
  Start();
  auto filtered = OpenEvents(
      "/v2/events?plan-format=light&event_type=status_update_event"
      "&event_type=health_status_changed_event");
  auto everything = OpenEvents();
  ASSERT_TRUE(everything->WaitForEvent("event_stream_attached"));

  ASSERT_EQ(
      Post("/_sim/apps",
           StateJson({AppJson("/web", 10000,
                              {TaskJson("web.1", "127.0.0.2", 31000, true)},
                              "{\"HAPROXY_GROUP\": \"external\"}")}))
          .status,
      200);
  ASSERT_EQ(
      Post("/_sim/event", "{\"eventType\": \"group_change_success\", \"x\": 1}")
          .status,
      200);
  // Last, as a marker: once it arrives everything before it has been sent.
  ASSERT_EQ(Post("/_sim/event",
                 "{\"eventType\": \"status_update_event\", \"taskId\": "
                 "\"marker\"}")
                .status,
            200);
  const auto is_marker = [](const Object::Ptr& e) {
    return e && e->optValue<std::string>("taskId", "") == "marker";
  };
  ASSERT_TRUE(
      filtered->WaitForEvent("status_update_event", Millis(3000), is_marker));
  ASSERT_TRUE(
      everything->WaitForEvent("status_update_event", Millis(3000), is_marker));

  EXPECT_EQ(filtered->Types(),
            (std::vector<std::string>{"status_update_event",
                                      "health_status_changed_event",
                                      "status_update_event"}));
  const auto health = filtered->WaitForEvent("health_status_changed_event");
  ASSERT_TRUE(health);
  EXPECT_TRUE(health->Json()->getValue<bool>("alive"));
  EXPECT_EQ(health->Json()->getValue<std::string>("taskId"), "web.1");

  const auto post = everything->WaitForEvent("api_post_event");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->Json()
                ->getObject("appDefinition")
                ->getObject("labels")
                ->getValue<std::string>("HAPROXY_GROUP"),
            "external");
  EXPECT_FALSE(post->Json()->getObject("appDefinition")->has("tasks"));
  const auto custom = everything->WaitForEvent("group_change_success");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->Json()->getValue<int>("x"), 1);
}

TEST_F(MarathonSimTest, KeepAlivesArriveWhileIdle) {
  Start({"--keepalive-ms", "100"});
  auto events = OpenEvents();
  EXPECT_TRUE(
      WaitUntil([&] { return events->KeepAlives() >= 3; }, Millis(2000)))
      << events->KeepAlives() << " keep-alives";
  EXPECT_GE(Stat("keepAlivesSent"), 3);
}

TEST_F(MarathonSimTest, StallSendsNothingUntilCleared) {
  Start({"--keepalive-ms", "50"});
  auto events = OpenEvents();
  ASSERT_TRUE(events->WaitForEvent("event_stream_attached"));
  Fault("stall=1");
  std::this_thread::sleep_for(Millis(150));  // Let bytes in flight land.
  const std::size_t before = events->ByteCount();
  ASSERT_EQ(
      Post("/_sim/event", "{\"eventType\": \"status_update_event\"}").status,
      200);
  std::this_thread::sleep_for(Millis(500));  // Ten keep-alive periods.
  EXPECT_EQ(events->ByteCount(), before);
  EXPECT_FALSE(events->ended());

  Fault("clear=1");
  EXPECT_TRUE(events->WaitForEvent("status_update_event"));
  EXPECT_TRUE(
      WaitUntil([&] { return events->KeepAlives() > 0; }, Millis(2000)));
}

TEST_F(MarathonSimTest, DropClosesOpenStreamsOnce) {
  Start();
  auto first = OpenEvents();
  auto second = OpenEvents("/v2/events?event_type=status_update_event");
  ASSERT_TRUE(first->WaitForEvent("event_stream_attached"));
  ASSERT_TRUE(
      WaitUntil([&] { return Stat("openEventStreams") == 2; }, Millis(2000)));
  Fault("drop=1");
  EXPECT_TRUE(WaitUntil([&] { return first->ended() && second->ended(); },
                        Millis(2000)));
  EXPECT_TRUE(
      WaitUntil([&] { return Stat("openEventStreams") == 0; }, Millis(2000)));
  EXPECT_EQ(Stat("eventStreamsDropped"), 2);

  // Once only: a new stream stays up.
  auto third = OpenEvents();
  ASSERT_TRUE(third->WaitForEvent("event_stream_attached"));
  std::this_thread::sleep_for(Millis(200));
  EXPECT_FALSE(third->ended());
}

TEST_F(MarathonSimTest, DownClosesConnectionsThenRecovers) {
  Start();
  auto events = OpenEvents();
  ASSERT_TRUE(events->WaitForEvent("event_stream_attached"));
  const auto start = Clock::now();
  Fault("down_ms=600");
  const Response dead = Get("/v2/apps");
  EXPECT_EQ(dead.status, 0) << "expected no response, got HTTP " << dead.status;
  EXPECT_TRUE(WaitUntil([&] { return events->ended(); }, Millis(2000)));
  EXPECT_EQ(Get("/_sim/stats").status, 200);  // The control API stays up.

  EXPECT_TRUE(
      WaitUntil([&] { return Get("/v2/apps").status == 200; }, Millis(3000)));
  EXPECT_GE(Clock::now() - start, Millis(500));
}

TEST_F(MarathonSimTest, RedirectAnswers307ToTheLeader) {
  Start();
  leader_ = std::make_unique<SimProcess>(dir_, "leader", state_file_,
                                         std::vector<std::string>{});
  Fault("redirect=" + leader_->Url());
  const std::string uri =
      "/v2/events?plan-format=light&event_type=status_update_event";
  const Response r = Get(uri);
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.Header("Location"), leader_->Url() + uri);
  EXPECT_EQ(Get("/v2/apps?embed=apps.tasks").Header("Location"),
            leader_->Url() + "/v2/apps?embed=apps.tasks");

  // Following the redirect reaches a working Marathon.
  const Poco::URI location(r.Header("Location"));
  SseClient followed(
      location.getHost() + ":" + std::to_string(location.getPort()),
      location.getPathAndQuery());
  EXPECT_EQ(followed.status(), 200);

  Fault("clear=1");
  EXPECT_EQ(Get("/v2/apps").status, 200);
}

TEST_F(MarathonSimTest, StatusFaultAnswersEveryRequestUntilCleared) {
  Start();
  Fault("status=503");
  EXPECT_EQ(Get("/v2/apps").status, 503);
  EXPECT_EQ(Get("/v2/events").status, 503);
  EXPECT_EQ(Get("/_sim/stats").status, 200);
  EXPECT_EQ(Post("/_sim/fault?bogus=1").status, 400);
  Fault("clear=1");
  EXPECT_EQ(Get("/v2/apps").status, 200);
}

TEST_F(MarathonSimTest, BasicAuthGuardsMarathonEndpoints) {
  Start({"--auth", "marathon:secret"});
  const Response anonymous = Get("/v2/apps");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("WWW-Authenticate"), "Basic realm=\"Mesosphere\"");

  const auto basic = [](const std::string& user, const std::string& pass) {
    Poco::Net::HTTPRequest request;
    Poco::Net::HTTPBasicCredentials(user, pass).authenticate(request);
    return Headers{{"Authorization", request.get("Authorization")}};
  };
  EXPECT_EQ(Get("/v2/apps", basic("marathon", "wrong")).status, 401);
  EXPECT_EQ(Get("/v2/apps", basic("marathon", "secret")).status, 200);
  SseClient events(sim_->address(), "/v2/events", basic("marathon", "secret"));
  EXPECT_EQ(events.status(), 200);
  EXPECT_EQ(Get("/_sim/stats").status, 200);  // Control API: no auth.
}

TEST_F(MarathonSimTest, EventSubscriptionsDeliverUntilUnsubscribed) {
  Start();
  CallbackReceiver receiver;
  const std::string url = receiver.Url("/callback");
  const std::string encoded = "callbackUrl=" + url;

  const Response subscribed = Post("/v2/eventSubscriptions?" + encoded);
  ASSERT_EQ(subscribed.status, 200) << subscribed.body;
  const Object::Ptr reply = subscribed.Json();
  EXPECT_EQ(reply->getValue<std::string>("callbackUrl"), url);
  EXPECT_EQ(reply->getValue<std::string>("clientIp"), "127.0.0.1");
  EXPECT_EQ(reply->getValue<std::string>("eventType"), "subscribe_event");
  const Response listed = Get("/v2/eventSubscriptions");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.Json()->getArray("callbackUrls")->getElement<std::string>(0),
            url);

  ASSERT_EQ(Post("/_sim/apps",
                 StateJson({AppJson("/web", 10000,
                                    {TaskJson("web.1", "127.0.0.2", 31000)})}))
                .status,
            200);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return !receiver.Received("/callback", "status_update_event").empty();
      },
      Millis(3000)));
  for (const Delivery& d : receiver.Deliveries()) {
    EXPECT_EQ(d.content_type, "application/json");
  }
  EXPECT_FALSE(receiver.Received("/callback", "subscribe_event").empty());
  EXPECT_GE(Stat("callbackDeliveriesOk"), 2);

  const Response unsubscribed =
      Request(sim_->address(), "DELETE", "/v2/eventSubscriptions?" + encoded);
  ASSERT_EQ(unsubscribed.status, 200);
  EXPECT_EQ(unsubscribed.Json()->getValue<std::string>("eventType"),
            "unsubscribe_event");
  ASSERT_EQ(
      Post("/_sim/event", "{\"eventType\": \"after_unsubscribe\"}").status,
      200);
  // Deliveries go out in order on one thread: once a second subscriber got
  // a later event, the first would already have had the earlier one.
  ASSERT_EQ(
      Post("/v2/eventSubscriptions?callbackUrl=" + receiver.Url("/second"))
          .status,
      200);
  ASSERT_EQ(Post("/_sim/event", "{\"eventType\": \"marker\"}").status, 200);
  ASSERT_TRUE(
      WaitUntil([&] { return !receiver.Received("/second", "marker").empty(); },
                Millis(3000)));
  EXPECT_TRUE(receiver.Received("/callback", "after_unsubscribe").empty());
  EXPECT_TRUE(receiver.Received("/callback", "marker").empty());
  EXPECT_EQ(Stat("callbackDeliveriesFailed"), 0);
}

TEST_F(MarathonSimTest, CallbacksOutsideLoopbackAreRefused) {
  Start();
  const Response remote =
      Post("/v2/eventSubscriptions?callbackUrl=http://10.0.0.1:8080/cb");
  EXPECT_EQ(remote.status, 422);
  EXPECT_NE(remote.body.find("10.0.0.1"), std::string::npos) << remote.body;
  EXPECT_EQ(
      Post("/v2/eventSubscriptions?callbackUrl=http://example.com/cb").status,
      422);
  EXPECT_EQ(Post("/v2/eventSubscriptions").status, 400);
  EXPECT_EQ(Get("/v2/eventSubscriptions").body, "{\"callbackUrls\":[]}");
}

// The simulator keeps the /v2/apps answer of a state file that has not
// changed for a second (at 5,000 apps making it took seconds); any change
// of the file, renamed over or written in place, is served at once.
TEST_F(MarathonSimTest, AppsAnswerOfASettledStateFileFollowsEveryChange) {
  const auto settle = [&] {
    const timeval old[2] = {{time(nullptr) - 10, 0}, {time(nullptr) - 10, 0}};
    ASSERT_EQ(utimes(state_file_.c_str(), old), 0);
  };
  const auto ids = [&](const std::string& uri) {
    const Response r = Get(uri);
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    std::vector<std::string> out;
    const Array::Ptr apps = r.Json()->getArray("apps");
    for (std::size_t i = 0; i < apps->size(); ++i) {
      out.push_back(apps->getObject(i)->getValue<std::string>("id"));
    }
    return out;
  };
  settle();
  Start();
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids("/v2/apps?embed=apps.tasks"), Ids{"/web"});
  EXPECT_EQ(ids("/v2/apps?embed=apps.tasks"), Ids{"/web"});
  EXPECT_EQ(ids("/v2/apps"), Ids{"/web"});
  RenameOver(state_file_, StateJson({AppJson("/web", 10000, {}),
                                     AppJson("/api", 10001, {})}));
  settle();
  EXPECT_EQ(ids("/v2/apps?embed=apps.tasks"), (Ids{"/web", "/api"}));
  EXPECT_EQ(ids("/v2/apps"), (Ids{"/web", "/api"}));
  WriteFile(state_file_, StateJson({AppJson("/db", 10002, {})}));
  settle();
  EXPECT_EQ(ids("/v2/apps?embed=apps.tasks"), Ids{"/db"});
  EXPECT_EQ(ids("/v2/apps"), Ids{"/db"});
}

TEST_F(MarathonSimTest, ExternalRenameOfTheStateFileIsDetected) {
  WriteFile(
      state_file_,
      StateJson({AppJson("/web", 10000,
                         {TaskJson("web.1", "127.0.0.2", 31000, true),
                          TaskJson("web.2", "127.0.0.3", 31001, true)})}));
  Start({"--watch-ms", "50"});
  auto events = OpenEvents();
  ASSERT_TRUE(events->WaitForEvent("event_stream_attached"));

  RenameOver(state_file_,
             StateJson({AppJson("/web", 10000,
                                {TaskJson("web.1", "127.0.0.2", 31000, false)}),
                        AppJson("/api", 10001,
                                {TaskJson("api.1", "127.0.0.4", 31002)})}));
  const auto killed = events->WaitForEvent(
      "status_update_event", Millis(3000), [](const Object::Ptr& e) {
        return e && e->getValue<std::string>("taskStatus") == "TASK_KILLED";
      });
  ASSERT_TRUE(killed) << sim_->Log();
  EXPECT_EQ(killed->Json()->getValue<std::string>("taskId"), "web.2");
  const auto started = events->WaitForEvent(
      "status_update_event", Millis(3000), [](const Object::Ptr& e) {
        return e && e->getValue<std::string>("taskStatus") == "TASK_RUNNING";
      });
  ASSERT_TRUE(started);
  EXPECT_EQ(started->Json()->getValue<std::string>("taskId"), "api.1");
  const auto added = events->WaitForEvent("api_post_event");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->Json()->getValue<std::string>("uri"), "/v2/apps/api");
  const auto health = events->WaitForEvent("health_status_changed_event");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->Json()->getValue<std::string>("taskId"), "web.1");
  EXPECT_FALSE(health->Json()->getValue<bool>("alive"));
  ASSERT_TRUE(events->WaitForEvent("deployment_success"));
  // Exactly one app changed definition (the new one).
  std::this_thread::sleep_for(Millis(150));
  int api_posts = 0;
  for (const std::string& t : events->Types())
    api_posts += t == "api_post_event";
  EXPECT_EQ(api_posts, 1);
  EXPECT_EQ(Stat("stateChanges"), 1);
}

TEST_F(MarathonSimTest, MovedTaskGetsStatusUpdateWithoutDeployment) {
  WriteFile(state_file_,
            StateJson({AppJson("/web", 10000,
                               {TaskJson("web.1", "127.0.0.2", 31000)})}));
  Start();
  auto events = OpenEvents(
      "/v2/events?event_type=status_update_event"
      "&event_type=deployment_info");
  const Response r = Post(
      "/_sim/apps",
      StateJson(
          {AppJson("/web", 10000, {TaskJson("web.1", "127.0.0.2", 31005)})}));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.Json()->isNull("deploymentId")) << r.body;
  const auto update = events->WaitForEvent("status_update_event");
  ASSERT_TRUE(update);
  EXPECT_EQ(update->Json()->getArray("ports")->getElement<int>(0), 31005);
  EXPECT_EQ(update->Json()->getValue<std::string>("taskStatus"),
            "TASK_RUNNING");
  EXPECT_EQ(events->Types(), std::vector<std::string>{"status_update_event"});
}

TEST_F(MarathonSimTest, InvalidStateBodyIsRejectedAndChangesNothing) {
  Start();
  const std::string before = ReadFile(state_file_);
  const Response r = Post("/_sim/apps", "{\"apps\": [{\"noid\": 1}]}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("apps[0]"), std::string::npos) << r.body;
  EXPECT_EQ(Post("/_sim/apps", "not json").status, 400);
  EXPECT_EQ(Post("/_sim/event", "{\"no\": \"type\"}").status, 400);
  EXPECT_EQ(ReadFile(state_file_), before);
  EXPECT_EQ(Stat("stateChanges"), 0);
}

// Without --service-account the service-account endpoints do not exist.
TEST_F(MarathonSimTest, ServiceAccountEndpointsAre404WithoutTheMode) {
  Start();
  for (const std::string path :
       {"/acs/api/v1/auth/login", "/_sim/revoke", "/_sim/service-account"}) {
    const Response r = Post(path, "{}");
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("Not found: " + path + " (no --service-account)"),
              std::string::npos)
        << path << ": " << r.body;
  }
}

TEST_F(MarathonSimTest, StatsCountRequestsStreamsAndEvents) {
  Start();
  EXPECT_EQ(Get("/v2/apps").status, 200);
  EXPECT_EQ(Get("/v2/apps?embed=apps.tasks").status, 200);
  EXPECT_EQ(Get("/v2/apps/web").status, 200);
  EXPECT_EQ(Get("/v2/apps/nope").status, 404);
  auto events = OpenEvents();
  ASSERT_TRUE(events->WaitForEvent("event_stream_attached"));
  ASSERT_EQ(Post("/_sim/event", "{\"eventType\": \"x\"}").status, 200);
  ASSERT_TRUE(events->WaitForEvent("x"));

  const Object::Ptr stats = Stats();
  const Object::Ptr requests = stats->getObject("requests");
  ASSERT_TRUE(requests);
  EXPECT_EQ(requests->getValue<int>("GET /v2/apps"), 2);
  EXPECT_EQ(requests->getValue<int>("GET /v2/apps/<id>"), 2);
  EXPECT_EQ(requests->getValue<int>("GET /v2/events"), 1);
  EXPECT_EQ(requests->getValue<int>("POST /_sim/event"), 1);
  EXPECT_EQ(stats->getValue<int>("openEventStreams"), 1);
  EXPECT_EQ(stats->getValue<int>("eventsSent"), 2);
  EXPECT_EQ(stats->getObject("eventsPublishedByType")->getValue<int>("x"), 1);

  events->Close();
  EXPECT_TRUE(
      WaitUntil([&] { return Stat("openEventStreams") == 0; }, Millis(2000)));
}

// GET /v2/apps (and /v2/apps/<id>) is gzipped when the request accepts gzip
// (not with q=0), the same JSON once inflated, counted in the stats; with
// --no-gzip never.
TEST_F(MarathonSimTest, AppsAreGzippedWhenAskedUnlessNoGzip) {
  const auto inflate = [](const std::string& bytes) {
    std::istringstream in(bytes);
    Poco::InflatingInputStream gunzip(in,
                                      Poco::InflatingStreamBuf::STREAM_GZIP);
    std::ostringstream out;
    out << gunzip.rdbuf();
    return out.str();
  };
  Start();
  const Response plain = Get("/v2/apps?embed=apps.tasks");
  ASSERT_EQ(plain.status, 200) << plain.Describe();
  EXPECT_FALSE(plain.HasHeader("Content-Encoding"));
  const Response gzipped =
      Get("/v2/apps?embed=apps.tasks", {{"Accept-Encoding", "deflate, gzip"}});
  ASSERT_EQ(gzipped.status, 200) << gzipped.Describe();
  EXPECT_EQ(gzipped.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(inflate(gzipped.body), plain.body);
  const Response one = Get("/v2/apps/web", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(one.Header("Content-Encoding"), "gzip");
  EXPECT_NE(inflate(one.body).find("\"id\":\"/web\""), std::string::npos);
  const Response refused =
      Get("/v2/apps", {{"Accept-Encoding", "gzip;q=0, identity"}});
  EXPECT_FALSE(refused.HasHeader("Content-Encoding")) << refused.Describe();
  EXPECT_EQ(Stat("appsAnswersGzipped"), 2);
  EXPECT_EQ(Stat("appsAnswersPlain"), 2);
  EXPECT_NE(sim_->Log().find(" GET /v2/apps?embed=apps.tasks 200 "
                             "(Accept-Encoding: deflate, gzip)\n"),
            std::string::npos)
      << sim_->Log();

  EXPECT_EQ(sim_->Stop(), 0);
  sim_ = std::make_unique<SimProcess>(dir_, "no-gzip", state_file_,
                                      std::vector<std::string>{"--no-gzip"});
  const Response no_gzip =
      Get("/v2/apps?embed=apps.tasks", {{"Accept-Encoding", "gzip"}});
  EXPECT_FALSE(no_gzip.HasHeader("Content-Encoding"));
  EXPECT_EQ(no_gzip.body, plain.body);
  EXPECT_EQ(Stat("appsAnswersGzipped"), 0);
  EXPECT_EQ(Stat("appsJsonBytes"), Stat("appsWireBytes"));
}

// Bad TLS options: a key without a certificate is a usage error (exit 2), a
// certificate that cannot be loaded an error naming it (exit 1).
TEST_F(MarathonSimTest, BadTlsOptionsAreRefused) {
  const std::string out = dir_.File("tls-args.out");
  const auto run = [&](const std::string& args) {
    const int status = std::system((SimBinary() + " --state " + state_file_ +
                                    " --listen 127.0.0.1:0 " + args + " > " +
                                    out + " 2>&1")
                                       .c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run("--tls-key " + dir_.File("key.pem")), 2);
  EXPECT_EQ(ReadFile(out), "marathon-sim: --tls-key needs --tls-cert\n");
  const std::string missing = dir_.File("missing.pem");
  EXPECT_EQ(run("--tls-cert " + missing), 1);
  EXPECT_EQ(ReadFile(out).rfind("marathon-sim: --tls-cert " + missing + ": ", 0),
            0u)
      << ReadFile(out);
}

TEST_F(MarathonSimTest, SigtermStopsPromptlyWithOpenStreams) {
  SimProcess& sim = Start({"--keepalive-ms", "0"});
  auto first = OpenEvents();
  auto second = OpenEvents();
  ASSERT_TRUE(first->WaitForEvent("event_stream_attached"));
  const auto start = Clock::now();
  EXPECT_EQ(sim.Stop(Millis(3000)), 0) << sim.Log();
  EXPECT_LT(Clock::now() - start, Millis(1500));
  EXPECT_TRUE(WaitUntil([&] { return first->ended() && second->ended(); },
                        Millis(1000)));
}

}  // namespace
}  // namespace mlb::tools
