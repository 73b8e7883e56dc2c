// marathon-sim: a small Marathon REST API simulator.
//
// Serves the apps and tasks described by a JSON state file shaped like
// Marathon's `GET /v2/apps?embed=apps.tasks` response.  The file is re-read
// on every request, so a test changes the simulated cluster by renaming a new
// file over it.
//
// Usage:
//   marathon-sim --state FILE [--listen HOST:PORT] [--port-file PATH]
//
// Endpoints (GET only):
//   /ping                 -> "pong"
//   /v2/info              -> {"name":"marathon","version":"1.15.0-sim",...}
//   /v2/apps              -> {"apps":[...]}  (tasks only with embed=apps.tasks)
//   /v2/apps/<id>         -> {"app":{...}}   (tasks embedded)
//   /v2/tasks             -> {"tasks":[...]} (every task, each with appId)
//
// Structure: one Endpoint subclass per resource and a Router that maps a
// request path to a freshly created endpoint.  New resources (for example
// /v2/events as Server-Sent Events, /v2/eventSubscriptions) are added as new
// Endpoint subclasses plus one AddExact() or AddPrefix() call in
// BuildRouter(); state they share lives in SimContext.

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/SharedPtr.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tools/tool_support.h"

namespace mlb::tools {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr char kProgram[] = "marathon-sim";
constexpr char kVersion[] = "1.15.0-sim";
constexpr char kJsonContentType[] = "application/json; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";
constexpr int kMaxThreads = 8;

// Writes one line to stderr without interleaving with other threads.
std::string ToJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

// ---------------------------------------------------------------------------
// State file.

// The parsed state file: the `apps` array, each element an object.
struct State {
  Array::Ptr apps;
};

class StateStore {
 public:
  explicit StateStore(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Reads and parses the state file.  Returns false and sets `*error` to a
  // message naming the file when it is missing, unreadable, not JSON, or not
  // shaped like {"apps": [ {...}, ... ]}.
  bool Load(State* state, std::string* error) const {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      *error = "cannot read state file '" + path_ + "': " + std::strerror(errno);
      return false;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      *error = "error reading state file '" + path_ + "'";
      return false;
    }

    Poco::Dynamic::Var root;
    try {
      // Keep key order so responses look like the file (and like Marathon).
      Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
      root = parser.parse(text.str());
    } catch (const Poco::Exception& e) {
      *error = "invalid JSON in state file '" + path_ + "': " + e.displayText();
      return false;
    } catch (const std::exception& e) {
      *error = "invalid JSON in state file '" + path_ + "': " + e.what();
      return false;
    }

    if (root.type() != typeid(Object::Ptr)) {
      *error = "state file '" + path_ + "': top level must be a JSON object";
      return false;
    }
    Object::Ptr top = root.extract<Object::Ptr>();
    if (!top->has("apps") || !top->isArray("apps")) {
      *error = "state file '" + path_ + "': missing \"apps\" array";
      return false;
    }
    Array::Ptr apps = top->getArray("apps");
    for (std::size_t i = 0; i < apps->size(); ++i) {
      Object::Ptr app = apps->getObject(static_cast<unsigned>(i));
      if (app.isNull()) {
        *error = "state file '" + path_ + "': apps[" + std::to_string(i) +
                 "] is not an object";
        return false;
      }
      if (!app->has("id") || !app->get("id").isString()) {
        *error = "state file '" + path_ + "': apps[" + std::to_string(i) +
                 "] has no string \"id\"";
        return false;
      }
      if (app->has("tasks") && !app->isArray("tasks")) {
        *error = "state file '" + path_ + "': apps[" + std::to_string(i) +
                 "].tasks is not an array";
        return false;
      }
    }
    state->apps = apps;
    return true;
  }

 private:
  std::string path_;
};

// Everything the endpoints share for the life of the server.  Shared
// services of later endpoints (an event bus for /v2/events, the list of
// /v2/eventSubscriptions) belong here too.
struct SimContext {
  explicit SimContext(std::string state_file) : state(std::move(state_file)) {}

  const StateStore state;
};

std::string AppId(const Object::Ptr& app) {
  return app->getValue<std::string>("id");
}

// A shallow copy of `app` without its "tasks" member, keys kept in order.
Object::Ptr WithoutTasks(const Object::Ptr& app) {
  Object::Ptr copy = new Object(*app);
  copy->remove("tasks");
  return copy;
}

// The service ports Marathon reports for the app's tasks: portDefinitions[].port
// or, for container networking, the portMappings' servicePort.
Array::Ptr ServicePorts(const Object::Ptr& app) {
  Array::Ptr ports = new Array;
  auto collect = [&ports](const Array::Ptr& list, const std::string& key) {
    if (list.isNull()) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
      Object::Ptr entry = list->getObject(static_cast<unsigned>(i));
      if (!entry.isNull() && entry->has(key)) ports->add(entry->get(key));
    }
  };
  if (app->isArray("portDefinitions")) {
    collect(app->getArray("portDefinitions"), "port");
  } else if (Object::Ptr container = app->getObject("container");
             !container.isNull()) {
    if (container->isArray("portMappings")) {
      collect(container->getArray("portMappings"), "servicePort");
    } else if (Object::Ptr docker = container->getObject("docker");
               !docker.isNull() && docker->isArray("portMappings")) {
      collect(docker->getArray("portMappings"), "servicePort");
    }
  }
  return ports;
}

// ---------------------------------------------------------------------------
// HTTP plumbing.

// What the router learned about a request, handed to the endpoint.
struct RouteMatch {
  std::string path;  // Decoded; no repeated or trailing slashes.
  std::string rest;  // Part of the path after a prefix route ("" for exact).
  Poco::URI::QueryParameters query;
};

// Base class of every endpoint.  Checks the method, catches exceptions and
// logs one line per request when the response is sent.
class Endpoint : public Poco::Net::HTTPRequestHandler {
 public:
  Endpoint(SimContext& context, RouteMatch match)
      : context_(context), match_(std::move(match)) {}

  void handleRequest(HTTPServerRequest& request,
                     HTTPServerResponse& response) override {
    try {
      const std::vector<std::string> allowed = AllowedMethods();
      bool ok = allowed.empty();
      for (const std::string& m : allowed) ok = ok || request.getMethod() == m;
      if (!ok) {
        std::string allow;
        for (const std::string& m : allowed) {
          allow += allow.empty() ? m : ", " + m;
        }
        response.set("Allow", allow);
        SendMessage(request, response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                    "Method " + request.getMethod() + " not allowed on " +
                        match_.path);
        return;
      }
      Handle(request, response);
    } catch (const std::exception& e) {
      const std::string what = ExceptionText(e);
      if (!response.sent()) {
        SendMessage(request, response,
                    HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                    std::string("internal error: ") + what);
      } else {
        LogLine(std::string(kProgram) + ": error while answering " +
                request.getMethod() + " " + request.getURI() + ": " + what);
      }
    }
  }

 protected:
  // Methods the endpoint answers; others get 405.  Empty means any method.
  virtual std::vector<std::string> AllowedMethods() const { return {"GET"}; }
  virtual void Handle(HTTPServerRequest& request,
                      HTTPServerResponse& response) = 0;

  SimContext& context() const { return context_; }
  const RouteMatch& match() const { return match_; }

  // True if any `embed` query parameter equals one of the given values.
  bool Embeds(const std::vector<std::string>& values) const {
    for (const auto& [key, value] : match_.query) {
      if (key != "embed") continue;
      for (const std::string& v : values) {
        if (value == v) return true;
      }
    }
    return false;
  }

  // Loads the state; on failure answers 500 and returns false.
  bool LoadState(HTTPServerRequest& request, HTTPServerResponse& response,
                 State* state) {
    std::string error;
    if (context_.state.Load(state, &error)) return true;
    SendMessage(request, response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                error);
    return false;
  }

  static void Send(HTTPServerRequest& request, HTTPServerResponse& response,
                   HTTPResponse::HTTPStatus status, const std::string& type,
                   const std::string& body) {
    response.setStatusAndReason(status);
    response.setContentType(type);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    LogRequest(request, status);
    response.sendBuffer(body.data(), body.size());
  }

  static void SendJson(HTTPServerRequest& request,
                       HTTPServerResponse& response,
                       HTTPResponse::HTTPStatus status,
                       const Poco::Dynamic::Var& body) {
    Send(request, response, status, kJsonContentType, ToJson(body));
  }

  static void SendMessage(HTTPServerRequest& request,
                          HTTPServerResponse& response,
                          HTTPResponse::HTTPStatus status,
                          const std::string& message) {
    Object::Ptr body = new Object;
    body->set("message", message);
    SendJson(request, response, status, body);
  }

  // The per-request log line.  Send() calls it; a streaming endpoint (such
  // as a future /v2/events) calls it before its long-lived response starts.
  static void LogRequest(const HTTPServerRequest& request, int status) {
    LogLine(std::string(kProgram) + ": " + request.clientAddress().toString() +
            " " + request.getMethod() + " " + request.getURI() + " " +
            std::to_string(status));
  }

 private:
  static std::string ExceptionText(const std::exception& e) {
    if (const auto* pe = dynamic_cast<const Poco::Exception*>(&e)) {
      return pe->displayText();
    }
    return e.what();
  }

  SimContext& context_;
  RouteMatch match_;
};

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
    State state;
    if (!LoadState(request, response, &state)) return;
    const bool embed_tasks = Embeds({"apps.tasks", "app.tasks"});
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
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
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
      SendJson(request, response, HTTPResponse::HTTP_OK, body);
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

// Any path without a route, whatever the method.
class NotFoundEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(request, response, HTTPResponse::HTTP_NOT_FOUND,
                "Not found: " + match().path);
  }
};

// Answers requests whose URI cannot be parsed, whatever the method.
class BadRequestEndpoint : public Endpoint {
 public:
  BadRequestEndpoint(SimContext& context, std::string reason)
      : Endpoint(context, RouteMatch{}), reason_(std::move(reason)) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                "Bad request URI: " + reason_);
  }

 private:
  std::string reason_;
};

// Maps request paths to endpoints.  Exact routes match the whole path; prefix
// routes match "<prefix>/..." and pass the remainder (with its leading slash)
// in RouteMatch::rest.
class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  using Factory =
      std::function<Poco::Net::HTTPRequestHandler*(SimContext&, RouteMatch)>;

  explicit Router(SimContext& context) : context_(context) {}

  void AddExact(std::string path, Factory factory) {
    routes_.push_back({std::move(path), false, std::move(factory)});
  }
  void AddPrefix(std::string prefix, Factory factory) {
    routes_.push_back({std::move(prefix), true, std::move(factory)});
  }

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const HTTPServerRequest& request) override {
    RouteMatch match;
    try {
      Poco::URI uri(request.getURI());
      match.path = uri.getPath();
      match.query = uri.getQueryParameters();
    } catch (const Poco::Exception& e) {
      return new BadRequestEndpoint(context_, e.displayText());
    }
    // Like Marathon's path ids: "//web//front/" is "/web/front".
    std::string path;
    for (char c : match.path) {
      if (c != '/' || path.empty() || path.back() != '/') path += c;
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    match.path = path;
    for (const Route& route : routes_) {
      if (match.path == route.path) {
        return route.factory(context_, std::move(match));
      }
      if (route.prefix && match.path.size() > route.path.size() + 1 &&
          match.path.compare(0, route.path.size(), route.path) == 0 &&
          match.path[route.path.size()] == '/') {
        match.rest = match.path.substr(route.path.size());
        return route.factory(context_, std::move(match));
      }
    }
    return new NotFoundEndpoint(context_, std::move(match));
  }

 private:
  struct Route {
    std::string path;
    bool prefix;
    Factory factory;
  };

  SimContext& context_;
  std::vector<Route> routes_;
};

template <typename T>
Router::Factory Make() {
  return [](SimContext& context, RouteMatch match) {
    return new T(context, std::move(match));
  };
}

// The first matching route wins.
Poco::Net::HTTPRequestHandlerFactory::Ptr BuildRouter(
    SimContext& context) {
  Poco::SharedPtr<Router> router = new Router(context);
  router->AddExact("/ping", Make<PingEndpoint>());
  router->AddExact("/v2/info", Make<InfoEndpoint>());
  router->AddExact("/v2/apps", Make<AppsEndpoint>());
  router->AddPrefix("/v2/apps", Make<AppEndpoint>());
  router->AddExact("/v2/tasks", Make<TasksEndpoint>());
  return router;
}

// ---------------------------------------------------------------------------
// Command line and process lifetime.

struct Options {
  std::string state_file;
  std::string listen = "127.0.0.1:0";
  std::string port_file;
};

void PrintUsage(std::ostream& out) {
  out << "usage: " << kProgram
      << " --state FILE [--listen HOST:PORT] [--port-file PATH]\n"
         "  --state FILE      JSON like Marathon's GET "
         "/v2/apps?embed=apps.tasks;\n"
         "                    re-read on every request\n"
         "  --listen HOST:PORT  address to bind (default 127.0.0.1:0; port 0 "
         "picks a free port)\n"
         "  --port-file PATH  write the bound host:port to PATH (atomically)\n";
}

// Parses argv; returns 0 to continue, or an exit code.
int ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(std::cout);
      return -1;
    }
    std::string value;
    const std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (arg == "--state" || arg == "--listen" || arg == "--port-file") {
      if (i + 1 >= argc) {
        std::cerr << kProgram << ": option " << arg << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    if (arg == "--state") {
      options->state_file = value;
    } else if (arg == "--listen") {
      options->listen = value;
    } else if (arg == "--port-file") {
      options->port_file = value;
    } else {
      std::cerr << kProgram << ": unknown argument '" << argv[i] << "'\n";
      PrintUsage(std::cerr);
      return 2;
    }
  }
  if (options->state_file.empty()) {
    std::cerr << kProgram << ": --state FILE is required\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return 0;
}

int Run(int argc, char** argv) {
  Options options;
  if (int rc = ParseArgs(argc, argv, &options); rc != 0) {
    return rc < 0 ? 0 : rc;
  }

  const sigset_t stop_signals = BlockStopSignals();

  Poco::Net::ServerSocket socket;
  std::string error;
  if (!Bind(options.listen, &socket, &error)) {
    std::cerr << kProgram << ": " << error << '\n';
    return 1;
  }
  const std::string bound = socket.address().toString();

  SimContext context(options.state_file);
  Poco::Net::HTTPServerParams::Ptr params = ServerParams(kMaxThreads);
  params->setSoftwareVersion(std::string(kProgram) + "/" + kVersion);

  Poco::ThreadPool pool(kProgram, 1, kMaxThreads);
  Poco::Net::HTTPServer server(BuildRouter(context), pool, socket, params);
  server.start();

  if (!options.port_file.empty()) {
    if (!WriteFileAtomically(options.port_file, bound + "\n", &error)) {
      std::cerr << kProgram << ": port file: " << error << '\n';
      server.stopAll(true);
      pool.joinAll();
      return 1;
    }
  }
  std::cout << kProgram << " listening on http://" << bound << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LogLine(std::string(kProgram) + ": received signal " + std::to_string(sig) +
          ", stopping");
  server.stopAll(true);
  pool.joinAll();
  return 0;
}

}  // namespace
}  // namespace mlb::tools

int main(int argc, char** argv) {
  try {
    return mlb::tools::Run(argc, argv);
  } catch (const Poco::Exception& e) {
    std::cerr << mlb::tools::kProgram << ": " << e.displayText() << '\n';
  } catch (const std::exception& e) {
    std::cerr << mlb::tools::kProgram << ": " << e.what() << '\n';
  }
  return 1;
}
