#include "tools/marathon_sim/control_endpoints.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "tools/marathon_sim/endpoint.h"
#include "tools/marathon_sim/json.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

// POST /_sim/apps with {"apps":[...]}: replaces the state and publishes the
// events of the change.
class SimAppsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    std::string text;
    if (!ReadBody(request, response, &text)) return;
    StateTracker::Change change;
    HTTPResponse::HTTPStatus status = HTTPResponse::HTTP_OK;
    std::string error;
    if (!context().tracker.Replace(text,
                                   request.clientAddress().host().toString(),
                                   &change, &status, &error)) {
      SendMessage(request, response, status, error);
      return;
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (change.deployment_id.empty()) {
      body->set("deploymentId", Poco::Dynamic::Var());
    } else {
      body->set("deploymentId", change.deployment_id);
    }
    body->set("events", change.events);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// POST /_sim/event with one event object: published as is, its type taken
// from its eventType member.
class SimEventEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override { return {"POST"}; }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    std::string text;
    if (!ReadBody(request, response, &text)) return;
    const std::string what = "request body of POST /_sim/event";
    Poco::Dynamic::Var root;
    std::string error;
    if (!ParseJson(text, what, &root, &error)) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST, error);
      return;
    }
    Object::Ptr event = root.type() == typeid(Object::Ptr)
                            ? root.extract<Object::Ptr>()
                            : Object::Ptr();
    if (event.isNull() || !event->has("eventType") ||
        !event->get("eventType").isString()) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  what + ": must be a JSON object with a string \"eventType\"");
      return;
    }
    const std::string type = event->getValue<std::string>("eventType");
    if (type.empty() || type.find_first_of("\r\n") != std::string::npos) {
      SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST,
                  what + ": \"eventType\" must be one non-empty line");
      return;
    }
    context().bus.Publish(type, event);
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("published", type);
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

// GET /_sim/fault shows the switches; POST /_sim/fault?... sets them.
class SimFaultEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  std::vector<std::string> AllowedMethods() const override {
    return {"GET", "POST"};
  }

  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    Faults& faults = context().faults;
    if (request.getMethod() == "POST") {
      std::string error;
      if (!Apply(faults, &error)) {
        SendMessage(request, response, HTTPResponse::HTTP_BAD_REQUEST, error);
        return;
      }
      LogLine(std::string(kProgram) + ": faults now " +
              ToJson(faults.ToJson()));
    }
    SendJson(request, response, HTTPResponse::HTTP_OK, faults.ToJson());
  }

 private:
  static bool ParseInt(const std::string& key, const std::string& text,
                       std::int64_t low, std::int64_t high, std::int64_t* value,
                       std::string* error) {
    std::size_t used = 0;
    try {
      *value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || *value < low || *value > high) {
      *error = "fault " + key + "=" + text + ": expected an integer from " +
               std::to_string(low) + " to " + std::to_string(high);
      return false;
    }
    return true;
  }

  // Validates every parameter first, then applies them: clear first, then
  // the others.
  bool Apply(Faults& faults, std::string* error) const {
    bool clear = false, drop = false;
    std::int64_t stall = -1, down_ms = -1, status = -1;
    bool has_redirect = false;
    std::string redirect;
    for (const auto& [key, value] : match().query) {
      std::int64_t flag = 0;
      if (key == "clear" || key == "drop" || key == "stall") {
        if (!ParseInt(key, value, 0, 1, &flag, error)) return false;
        if (key == "clear") clear = flag == 1;
        if (key == "drop") drop = flag == 1;
        if (key == "stall") stall = flag;
      } else if (key == "down_ms") {
        if (!ParseInt(key, value, 0, 3600000, &down_ms, error)) return false;
      } else if (key == "status") {
        if (!ParseInt(key, value, 0, 599, &status, error)) return false;
        if (status != 0 && status < 200) {
          *error = "fault status=" + value + ": expected 0 (off) or 200..599";
          return false;
        }
      } else if (key == "redirect") {
        has_redirect = true;
        redirect = value;
        while (!redirect.empty() && redirect.back() == '/') redirect.pop_back();
        if (!redirect.empty()) {
          try {
            const Poco::URI uri(redirect);
            if ((uri.getScheme() != "http" && uri.getScheme() != "https") ||
                uri.getHost().empty()) {
              throw Poco::SyntaxException("not an http(s) URL");
            }
          } catch (const Poco::Exception& e) {
            *error = "fault redirect=" + value +
                     ": expected an http:// URL: " + e.displayText();
            return false;
          }
        }
      } else {
        *error = "unknown fault parameter '" + key +
                 "' (known: clear, stall, drop, down_ms, redirect, status)";
        return false;
      }
    }
    if (clear) faults.Clear();
    if (stall >= 0) faults.SetStall(stall == 1);
    if (down_ms >= 0) faults.SetDown(down_ms);
    if (has_redirect) faults.SetRedirect(redirect);
    if (status >= 0) faults.SetStatus(static_cast<int>(status));
    if (drop) faults.Drop();
    return true;
  }
};

// GET /_sim/stats
class SimStatsEndpoint : public Endpoint {
 public:
  using Endpoint::Endpoint;

 protected:
  void Handle(HTTPServerRequest& request,
              HTTPServerResponse& response) override {
    SimContext& sim = context();
    Object::Ptr body = sim.stats.ToJson();
    body->set("callbackSubscriptions",
              static_cast<std::int64_t>(sim.callbacks.Urls().size()));
    body->set("faults", sim.faults.ToJson());
    SendJson(request, response, HTTPResponse::HTTP_OK, body);
  }
};

}  // namespace

void AddControlRoutes(Router* router) {
  router->AddExact("/_sim/apps", Make<SimAppsEndpoint>());
  router->AddExact("/_sim/event", Make<SimEventEndpoint>());
  router->AddExact("/_sim/fault", Make<SimFaultEndpoint>());
  router->AddExact("/_sim/stats", Make<SimStatsEndpoint>());
}

}  // namespace mlb::tools::sim
