#include "tools/marathon_sim/marathon_endpoints.h"

#include <Poco/Dynamic/Var.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tools/marathon_sim/endpoint.h"
#include "tools/marathon_sim/json.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

constexpr char kTextContentType[] = "text/plain; charset=utf-8";
constexpr char kEventStreamContentType[] = "text/event-stream";
// How often a waiting stream looks at the stop flag and its client socket.
constexpr Millis kStreamTick(100);

// GET /ping
class PingEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    Send(request, response, HTTPResponse::HTTP_OK, kTextContentType, "pong");
  }
};

// GET /v2/info
class InfoEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    const std::string leader = request.serverAddress().toString();
    Object::Ptr config = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    config->set("hostname", request.serverAddress().host().toString());
    config->set("http_port", request.serverAddress().port());
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("name", "marathon");
    body->set("version", kVersion);
    body->set("buildref", "marathon-sim");
    body->set("elected", true);
    body->set("leader", leader);
    body->set("frameworkId", "marathon-sim-framework");
    body->set("marathon_config", config);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /v2/apps[?embed=apps.tasks]
class AppsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    const bool embed_tasks = Embeds({"apps.tasks", "app.tasks"});
    const std::string kind = embed_tasks ? "apps+tasks" : "apps";
    std::shared_ptr<const std::string> json;
    std::shared_ptr<const std::string> gzipped;
    std::string error;
    bool ok = context().state.CachedAnswer(
        kind,
        [embed_tasks](const State& state, std::string* out, std::string*) {
          *out = AppsJson(state, embed_tasks);
          return true;
        },
        &json, &error);
    if (ok && WantsGzip(request)) {
      ok = context().state.CachedAnswer(
          kind + "+gzip",
          // From the state read with it, not from `json`: the file may
          // have changed in between.
          [embed_tasks](const State& state, std::string* out, std::string*) {
            *out = Gzip(AppsJson(state, embed_tasks));
            return true;
          },
          &gzipped, &error);
    }
    if (!ok) {
      SendMessage(request, response,
                  HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, error);
      return;
    }
    SendJsonOrGzipped(request, response, HTTPResponse::HTTP_OK, *json,
                      gzipped.get());
  }

 private:
  static std::string AppsJson(const State& state, bool embed_tasks) {
    Array::Ptr apps = new Array;
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      if (embed_tasks) {
        // Marathon always has a tasks array when asked to embed it.
        if (!app->has("tasks")) {
          app = new Object(*app);
          app->set("tasks", Array::Ptr(new Array));
        }
        apps->add(app);
      } else {
        apps->add(WithoutTasks(app));
      }
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("apps", apps);
    return ToJson(body);
  }
};

// GET /v2/apps/<id>, where <id> may contain slashes (/web/front).
class AppEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    State state;
    if (!LoadState(request, response, &state)) return;
    const std::string id = match().rest;  // Always starts with '/'.
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      if (AppId(app) != id) continue;
      if (!app->has("tasks")) {
        app = new Object(*app);
        app->set("tasks", Array::Ptr(new Array));
      }
      Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      body->set("app", app);
      SendJsonMaybeGzip(request, response, HTTPResponse::HTTP_OK, body);
      return;
    }
    SendMessage(request, response, HTTPResponse::HTTP_NOT_FOUND,
                "App '" + id + "' does not exist");
  }
};

// GET /v2/tasks
class TasksEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    State state;
    if (!LoadState(request, response, &state)) return;
    Array::Ptr tasks = new Array;
    for (std::size_t i = 0; i < state.apps->size(); ++i) {
      Object::Ptr app = state.apps->getObject(static_cast<unsigned>(i));
      Array::Ptr app_tasks = app->getArray("tasks");
      if (app_tasks.isNull()) continue;
      Array::Ptr service_ports = ServicePorts(app);
      for (std::size_t j = 0; j < app_tasks->size(); ++j) {
        Object::Ptr task = app_tasks->getObject(static_cast<unsigned>(j));
        if (task.isNull()) continue;
        if (!task->has("appId") || !task->has("servicePorts")) {
          task = new Object(*task);
          if (!task->has("appId")) task->set("appId", AppId(app));
          if (!task->has("servicePorts")) {
            task->set("servicePorts", service_ports);
          }
        }
        tasks->add(task);
      }
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("tasks", tasks);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /v2/events[?event_type=T]...: Server-Sent Events.  Like Marathon, the
// stream's own event_stream_attached goes through the bus (and so through
// its event_type filter), and event_stream_detached follows its end.
// plan-format=light is accepted and ignored (plans are always light here).
class EventsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    std::set<std::string> types;
    for (const auto& [key, value] : match().query) {
      if (key == "event_type" && !value.empty()) types.insert(value);
    }
    const std::string remote = request.clientAddress().host().toString();
    const std::shared_ptr<Subscriber> subscriber =
        sim.bus.Subscribe(types, remote);
    if (subscriber == nullptr) {
      ++sim.stats.streams_refused;
      SendMessage(request, response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE,
                  sim.bus.stopping()
                      ? std::string("marathon-sim is stopping")
                      : "too many open event streams (limit " +
                            std::to_string(kMaxEventStreams) + ")");
      return;
    }
    StreamEnd end(sim, subscriber, request.clientAddress().toString());
    const std::uint64_t drop_generation = sim.faults.drop_generation();
    // A stalled Marathon sends not even the headers.
    bool peer_closed = false;
    while (sim.faults.stalled() && !sim.bus.stopping() &&
           sim.faults.drop_generation() == drop_generation &&
           !(peer_closed = PeerClosed(request))) {
      sim.bus.WaitWhileStalled(drop_generation, kStreamTick);
    }
    if (sim.bus.stopping()) {
      end.reason = "stopping";
    } else if (sim.faults.drop_generation() != drop_generation) {
      ++sim.stats.streams_dropped;
      AbortConnection(request, response);
      end.reason = "dropped by fault before the headers";
    } else if (peer_closed) {
      end.reason = "client closed the connection";
    } else {
      response.setStatusAndReason(HTTPResponse::HTTP_OK);
      response.setContentType(kEventStreamContentType);
      response.set("Cache-Control", "no-cache, no-store, must-revalidate");
      response.setChunkedTransferEncoding(true);
      response.setKeepAlive(false);
      LogRequest(request, HTTPResponse::HTTP_OK);
      std::ostream& out = response.send();
      out.flush();
      end.attached = true;
      PublishStreamEvent(sim, "event_stream_attached", remote);
      end.reason = Stream(request, response, out, *subscriber, drop_generation,
                          &end.sent);
    }
  }

 private:
  // Unsubscribes the stream however Handle() ends, logs how it ended and,
  // for a stream that was attached, publishes event_stream_detached.
  struct StreamEnd {
    StreamEnd(SimContext& sim, std::shared_ptr<Subscriber> subscriber,
              std::string client)
        : sim(sim),
          subscriber(std::move(subscriber)),
          client(std::move(client)) {}
    ~StreamEnd() {
      sim.bus.Unsubscribe(subscriber);
      LogLine(std::string(kProgram) + ": event stream to " + client +
              " ended (" + reason + ") after " + std::to_string(sent) +
              " events");
      if (!attached) return;
      try {
        PublishStreamEvent(sim, "event_stream_detached", subscriber->remote);
      } catch (const std::exception& e) {
        LogLine(std::string(kProgram) +
                ": cannot publish event_stream_detached: " + e.what());
      }
    }
    StreamEnd(const StreamEnd&) = delete;
    StreamEnd& operator=(const StreamEnd&) = delete;

    SimContext& sim;
    const std::shared_ptr<Subscriber> subscriber;
    const std::string client;
    const char* reason = "error";
    bool attached = false;
    std::int64_t sent = 0;
  };

  static void PublishStreamEvent(SimContext& sim, const std::string& type,
                                 const std::string& remote) {
    Object::Ptr event = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    event->set("remoteAddress", remote);
    event->set("eventType", type);
    event->set("timestamp", IsoNow());
    sim.bus.Publish(type, event);
  }

  // Writes events and keep-alives until the client leaves, the stream is
  // dropped, or the simulator stops.  Returns why it ended.
  const char* Stream(HTTPServerRequest& request, HTTPServerResponse& response,
                     std::ostream& out, Subscriber& subscriber,
                     std::uint64_t drop_generation, std::int64_t* sent) {
    SimContext& sim = context();
    const Millis keepalive(sim.keepalive_ms);
    auto last_write = SteadyClock::now();
    while (true) {
      Millis wait = kStreamTick;
      if (keepalive.count() > 0) {
        const auto due = last_write + keepalive - SteadyClock::now();
        wait = std::clamp(std::chrono::duration_cast<Millis>(due), Millis(1),
                          kStreamTick);
      }
      std::vector<std::string> frames;
      switch (sim.bus.Next(subscriber, drop_generation, wait, &frames)) {
        case StreamWake::kStop:
          return "stopping";
        case StreamWake::kDrop:
          ++sim.stats.streams_dropped;
          AbortConnection(request, response);
          return "dropped by fault";
        case StreamWake::kFrames:
          for (const std::string& frame : frames) out << frame;
          out.flush();
          if (!out) return "write failed";
          *sent += static_cast<std::int64_t>(frames.size());
          sim.stats.events_sent += static_cast<std::int64_t>(frames.size());
          last_write = SteadyClock::now();
          break;
        case StreamWake::kIdle:
          if (!sim.faults.stalled() && keepalive.count() > 0 &&
              SteadyClock::now() - last_write >= keepalive) {
            out << ":\n\n";
            out.flush();
            if (!out) return "write failed";
            ++sim.stats.keepalives_sent;
            last_write = SteadyClock::now();
          }
          break;
      }
      if (PeerClosed(request)) return "client closed the connection";
    }
  }
};

// GET /v2/eventSubscriptions, POST|DELETE /v2/eventSubscriptions?callbackUrl=
class EventSubscriptionsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override {
    return {"GET", "POST", "DELETE"};
  }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    if (request.getMethod() == "GET") {
      Array::Ptr urls = new Array;
      for (const std::string& url : sim.callbacks.Urls()) urls->add(url);
      Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      body->set("callbackUrls", urls);
      SendJson(request, response, HTTPResponse::HTTP_OK, body);
      return;
    }
    bool present = false;
    const std::string url = QueryValue("callbackUrl", &present);
    if (!present || url.empty()) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  "query parameter callbackUrl is required");
      return;
    }
    const bool subscribe = request.getMethod() == "POST";
    if (subscribe) {
      std::string error;
      if (!ValidateCallbackUrl(url, &error)) {
        SendMessage(request, response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY,
                    error);
        return;
      }
      sim.callbacks.Add(url);
    } else {
      sim.callbacks.Remove(url);
    }
    const std::string type =
        subscribe ? "subscribe_event" : "unsubscribe_event";
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("callbackUrl", url);
    body->set("clientIp", request.clientAddress().host().toString());
    body->set("eventType", type);
    Object::Ptr event = new Object(*body);
    event->set("timestamp", IsoNow());
    sim.bus.Publish(type, event);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

}  // namespace

void AddMarathonRoutes(Router* router) {
  router->AddExact("/ping", Make<PingEndpoint>());
  router->AddExact("/v2/info", Make<InfoEndpoint>());
  router->AddExact("/v2/apps", Make<AppsEndpoint>());
  router->AddPrefix("/v2/apps", "/v2/apps/<id>", Make<AppEndpoint>());
  router->AddExact("/v2/tasks", Make<TasksEndpoint>());
  router->AddExact("/v2/events", Make<EventsEndpoint>());
  router->AddExact("/v2/eventSubscriptions",
                   Make<EventSubscriptionsEndpoint>());
}

}  // namespace mlb::tools::sim
