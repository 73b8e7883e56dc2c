#include "tools/marathon_sim/router.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/SharedPtr.h>
#include <Poco/URI.h>

#include <algorithm>

#include "tools/marathon_sim/control_endpoints.h"
#include "tools/marathon_sim/marathon_endpoints.h"
#include "tools/marathon_sim/scheduler.h"
#include "tools/marathon_sim/service_account.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

constexpr char kSimPrefix[] = "/_sim";

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

// Fault down_ms: closes the connection without a response.
class DownEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    LogLine(std::string(kProgram) + ": " + request.clientAddress().toString() +
            " " + request.getMethod() + " " + request.getURI() +
            " closed without a response (fault down_ms)");
    AbortConnection(request, response);
  }
};

// Fault redirect: 307 to the same path and query on another Marathon.
class RedirectEndpoint : public Endpoint {
 public:
  RedirectEndpoint(SimContext& context, RouteMatch match, std::string location)
      : Endpoint(context, std::move(match)), location_(std::move(location)) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    response.set("Location", location_);
    SendMessage(request, response, HTTPResponse::HTTP_TEMPORARY_REDIRECT,
                "not the leader; the leader is at " + location_);
  }

 private:
  std::string location_;
};

// Fault status: every request answered with that status.
class StatusEndpoint : public Endpoint {
 public:
  StatusEndpoint(SimContext& context, RouteMatch match, int status)
      : Endpoint(context, std::move(match)), status_(status) {}

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SendMessage(
        request, response, static_cast<HTTPResponse::HTTPStatus>(status_),
        "simulated failure (fault status=" + std::to_string(status_) + ")");
  }

 private:
  int status_;
};

// --auth without matching credentials.
class UnauthorizedEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {}; }
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    response.set("WWW-Authenticate", "Basic realm=\"Mesosphere\"");
    SendMessage(request, response, HTTPResponse::HTTP_UNAUTHORIZED,
                "Invalid username or password.");
  }
};

bool IsSimPath(const std::string& path) {
  const std::string prefix = kSimPrefix;
  return path == prefix || path.rfind(prefix + "/", 0) == 0;
}

// Whether the request carries the --auth credentials.
bool Authorized(const HTTPServerRequest& request, const std::string& auth) {
  if (auth.empty()) return true;
  if (!request.hasCredentials()) return false;
  try {
    const Poco::Net::HTTPBasicCredentials credentials(request);
    return credentials.getUsername() + ":" + credentials.getPassword() == auth;
  } catch (const Poco::Exception&) {
    return false;  // Not Basic, or not base64.
  }
}

}  // namespace

void Router::AddExact(std::string path, Factory factory) {
  std::string name = path;
  routes_.push_back(
      {std::move(path), std::move(name), false, std::move(factory)});
}

void Router::AddPrefix(std::string prefix, std::string name, Factory factory) {
  routes_.push_back(
      {std::move(prefix), std::move(name), true, std::move(factory)});
}

void Router::AddExact(std::string path, std::vector<std::string> methods,
                      Factory factory) {
  std::string name = path;
  routes_.push_back({std::move(path), std::move(name), false,
                     std::move(factory), std::move(methods)});
}

void Router::AddPrefix(std::string prefix, std::string name,
                       std::vector<std::string> methods, Factory factory) {
  routes_.push_back({std::move(prefix), std::move(name), true,
                     std::move(factory), std::move(methods)});
}

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(
    const HTTPServerRequest& request) {
  RouteMatch match;
  try {
    Poco::URI uri(request.getURI());
    match.path = uri.getPath();
    match.query = uri.getQueryParameters();
  } catch (const Poco::Exception& e) {
    context_.stats.CountRequest(request.getMethod() + " <bad uri>");
    return new BadRequestEndpoint(context_, e.displayText());
  }
  // Like Marathon's path ids: "//web//front/" is "/web/front".
  std::string path;
  for (char c : match.path) {
    if (c != '/' || path.empty() || path.back() != '/') path += c;
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  match.path = path;

  const Route* found = nullptr;
  for (const Route& route : routes_) {
    if (!route.methods.empty() &&
        std::find(route.methods.begin(), route.methods.end(),
                  request.getMethod()) == route.methods.end()) {
      continue;
    }
    if (match.path == route.path) {
      found = &route;
      break;
    }
    if (route.prefix && match.path.size() > route.path.size() + 1 &&
        match.path.compare(0, route.path.size(), route.path) == 0 &&
        match.path[route.path.size()] == '/') {
      match.rest = match.path.substr(route.path.size());
      found = &route;
      break;
    }
  }
  context_.stats.CountRequest(request.getMethod() + " " +
                              (found != nullptr ? found->name : "<unknown>"));

  if (!IsSimPath(match.path)) {
    const Faults& faults = context_.faults;
    if (faults.down()) return new DownEndpoint(context_, std::move(match));
    if (std::string leader = faults.redirect(); !leader.empty()) {
      return new RedirectEndpoint(context_, std::move(match),
                                  leader + request.getURI());
    }
    if (const int status = faults.status(); status != 0) {
      return new StatusEndpoint(context_, std::move(match), status);
    }
    if (!Authorized(request, context_.auth)) {
      return new UnauthorizedEndpoint(context_, std::move(match));
    }
    if (match.path != kLoginPath &&
        !context_.service_account.Admits(request)) {
      return NewTokenRequiredEndpoint(context_, std::move(match));
    }
  }
  if (found == nullptr) {
    return new NotFoundEndpoint(context_, std::move(match));
  }
  return found->factory(context_, std::move(match));
}

Poco::Net::HTTPRequestHandlerFactory::Ptr BuildRouter(SimContext& context) {
  Poco::SharedPtr<Router> router = new Router(context);
  if (context.scheduler != nullptr) {
    AddSchedulerRoutes(router.get(), context.scheduler);
  }
  AddMarathonRoutes(router.get());
  AddControlRoutes(router.get());
  AddServiceAccountRoutes(router.get());
  return router;
}

}  // namespace mlb::tools::sim
