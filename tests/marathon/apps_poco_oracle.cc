// The Poco::JSON-tree ParseApps that core/marathon/apps.cc replaced, kept
// word for word (but for its name) as the reference the streaming reader is
// compared with: same apps, same warnings, same documents refused.
#include "tests/marathon/apps_poco_oracle.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace mlb::testing {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// A malformed field inside one app: caught per app, never escapes ParseApps.
struct FieldError {
  std::string message;
};

// Marathon 1.5 sends nulls for absent fields; marathon-lb strips them, so a
// null is treated exactly like a missing key.
bool Has(const Object::Ptr& obj, const std::string& key) {
  return obj && obj->has(key) && !obj->get(key).isEmpty();
}

Object::Ptr GetObject(const Object::Ptr& obj, const std::string& key,
                      const std::string& where) {
  if (!Has(obj, key)) {
    return nullptr;
  }
  Object::Ptr out = obj->getObject(key);
  if (!out) {
    throw FieldError{where + key + " is not an object"};
  }
  return out;
}

Array::Ptr GetArray(const Object::Ptr& obj, const std::string& key,
                    const std::string& where) {
  if (!Has(obj, key)) {
    return nullptr;
  }
  Array::Ptr out = obj->getArray(key);
  if (!out) {
    throw FieldError{where + key + " is not an array"};
  }
  return out;
}

int ToInt(const Var& v, const std::string& what) {
  if (v.isInteger()) {
    return v.convert<int>();
  }
  if (v.isNumeric()) {
    const double d = v.convert<double>();
    if (std::floor(d) == d && std::abs(d) < std::numeric_limits<int>::max()) {
      return static_cast<int>(d);
    }
  }
  throw FieldError{what + " is not an integer: " + v.toString()};
}

std::optional<int> GetInt(const Object::Ptr& obj, const std::string& key,
                          const std::string& where) {
  if (!Has(obj, key)) {
    return std::nullopt;
  }
  return ToInt(obj->get(key), where + key);
}

std::string GetString(const Object::Ptr& obj, const std::string& key,
                      const std::string& where) {
  if (!Has(obj, key)) {
    return "";
  }
  const Var v = obj->get(key);
  if (!v.isString()) {
    throw FieldError{where + key + " is not a string"};
  }
  return v.extract<std::string>();
}

std::vector<int> IntList(const Array::Ptr& arr, const std::string& what) {
  std::vector<int> out;
  if (!arr) {
    return out;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    out.push_back(ToInt(arr->get(i), what + "[" + std::to_string(i) + "]"));
  }
  return out;
}

Object::Ptr ObjectAt(const Array::Ptr& arr, size_t i, const std::string& what) {
  Object::Ptr out = arr->getObject(static_cast<unsigned>(i));
  if (!out) {
    throw FieldError{what + "[" + std::to_string(i) + "] is not an object"};
  }
  return out;
}

Networking ReadNetworking(const Object::Ptr& app, const Object::Ptr& container) {
  // Marathon >= 1.5: the mode of the last entry of networks[].
  if (Array::Ptr networks = GetArray(app, "networks", "");
      networks && networks->size() > 0) {
    Object::Ptr last = ObjectAt(networks, networks->size() - 1, "networks");
    const std::string mode = Has(last, "mode")
                                 ? GetString(last, "mode", "networks[].")
                                 : "container";
    if (mode == "container/bridge") {
      return Networking::kContainerBridge;
    }
    return mode == "container" ? Networking::kContainer : Networking::kHost;
  }
  Object::Ptr docker = GetObject(container, "docker", "container.");
  const std::string network = GetString(docker, "network", "container.docker.");
  if (network == "BRIDGE") {
    return Networking::kContainerBridge;
  }
  if (network == "USER") {
    return Networking::kContainer;
  }
  Object::Ptr ip_address = GetObject(app, "ipAddress", "");
  if (ip_address && ip_address->size() > 0) {
    return Networking::kContainer;
  }
  return Networking::kHost;
}

// container.docker.portMappings (Marathon <= 1.4) or container.portMappings.
Array::Ptr PortMappings(const Object::Ptr& container) {
  Object::Ptr docker = GetObject(container, "docker", "container.");
  if (Array::Ptr m = GetArray(docker, "portMappings", "container.docker.")) {
    return m;
  }
  return GetArray(container, "portMappings", "container.");
}

// Python's repr() of a JSON value as marathon-lb holds it (nulls removed).
std::string PyRepr(const Var& v);

// Python's str(): strings as they are, everything else as repr().
std::string PyStr(const Var& v) {
  return v.isString() ? v.extract<std::string>() : PyRepr(v);
}

std::string PyRepr(const Var& v) {
  if (v.isString()) {
    std::string out = "'";
    for (char c : v.extract<std::string>()) {
      if (c == '\\' || c == '\'') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    return out + "'";
  }
  if (v.isBoolean()) {
    return v.convert<bool>() ? "True" : "False";
  }
  if (v.type() == typeid(Object::Ptr)) {
    Object::Ptr obj = v.extract<Object::Ptr>();
    std::string out = "{";
    // getNames() keeps the JSON order (the parser preserves it); iterating
    // the object would sort the keys.
    for (const std::string& key : obj->getNames()) {
      const Var value = obj->get(key);
      if (value.isEmpty()) {
        continue;
      }
      out += (out.size() > 1 ? ", '" : "'") + key + "': " + PyRepr(value);
    }
    return out + "}";
  }
  if (v.type() == typeid(Array::Ptr)) {
    Array::Ptr arr = v.extract<Array::Ptr>();
    std::string out = "[";
    for (size_t i = 0; i < arr->size(); ++i) {
      out += (i > 0 ? ", " : "") + PyRepr(arr->get(i));
    }
    return out + "]";
  }
  return v.toString();
}

std::optional<HealthCheck> ReadHealthCheck(const Object::Ptr& hc,
                                           const std::string& where) {
  if (hc->size() == 0) {
    return std::nullopt;
  }
  HealthCheck out;
  out.protocol = Has(hc, "protocol") ? GetString(hc, "protocol", where) : "HTTP";
  out.port_index = GetInt(hc, "portIndex", where);
  out.port = GetInt(hc, "port", where);
  if (Has(hc, "path")) {
    out.path = GetString(hc, "path", where);
  }
  out.timeout_seconds =
      GetInt(hc, "timeoutSeconds", where).value_or(out.timeout_seconds);
  out.interval_seconds =
      GetInt(hc, "intervalSeconds", where).value_or(out.interval_seconds);
  out.grace_period_seconds = GetInt(hc, "gracePeriodSeconds", where)
                                 .value_or(out.grace_period_seconds);
  out.max_consecutive_failures = GetInt(hc, "maxConsecutiveFailures", where)
                                     .value_or(out.max_consecutive_failures);
  if (Has(hc, "ignoreHttp1xx")) {
    const Var v = hc->get("ignoreHttp1xx");
    if (!v.isBoolean()) {
      throw FieldError{where + "ignoreHttp1xx is not a boolean"};
    }
    out.ignore_http1xx = v.convert<bool>();
  }
  out.raw_repr = PyRepr(Var(hc));
  for (const auto& [key, value] : *hc) {
    if (!value.isEmpty()) {
      out.raw_fields[key] = PyStr(value);
    }
  }
  return out;
}

Task ReadTask(const Object::Ptr& t, const std::string& where) {
  Task task;
  task.id = GetString(t, "id", where);
  task.host = GetString(t, "host", where);
  task.ports = IntList(GetArray(t, "ports", where), where + "ports");
  task.state = GetString(t, "state", where);
  if (Array::Ptr ips = GetArray(t, "ipAddresses", where)) {
    for (size_t i = 0; i < ips->size(); ++i) {
      task.ip_addresses.push_back(GetString(
          ObjectAt(ips, i, where + "ipAddresses"), "ipAddress",
          where + "ipAddresses[].") );
    }
  }
  if (Array::Ptr results = GetArray(t, "healthCheckResults", where)) {
    task.health_alive.emplace();
    for (size_t i = 0; i < results->size(); ++i) {
      Object::Ptr r = ObjectAt(results, i, where + "healthCheckResults");
      task.health_alive->push_back(Has(r, "alive") &&
                                   r->get("alive").isBoolean() &&
                                   r->get("alive").convert<bool>());
    }
  }
  return task;
}

App ReadApp(const Object::Ptr& a) {
  App app;
  app.id = GetString(a, "id", "");
  if (app.id.empty()) {
    throw FieldError{"no \"id\""};
  }
  if (Object::Ptr labels = GetObject(a, "labels", "")) {
    for (const auto& [key, value] : *labels) {
      if (!value.isString()) {
        throw FieldError{"label " + key + " is not a string"};
      }
      app.labels[key] = value.extract<std::string>();
    }
    const std::string problem = HaproxyLabelSizeProblem(app.labels);
    if (!problem.empty()) {
      throw FieldError{problem};
    }
  }
  Object::Ptr container = GetObject(a, "container", "");
  app.networking = ReadNetworking(a, container);

  Array::Ptr mappings = PortMappings(container);
  if (app.networking != Networking::kHost && mappings) {
    for (size_t i = 0; i < mappings->size(); ++i) {
      Object::Ptr m = ObjectAt(mappings, i, "portMappings");
      if (auto port = GetInt(m, "servicePort", "portMappings[].")) {
        app.service_ports.push_back(*port);
      }
    }
  }
  if (Array::Ptr defs = GetArray(a, "portDefinitions", "")) {
    // Entries without a port are left out (so later indexes shift), as in
    // marathon-lb.
    for (size_t i = 0; i < defs->size(); ++i) {
      if (auto port = GetInt(ObjectAt(defs, i, "portDefinitions"), "port",
                             "portDefinitions[].")) {
        app.declared_ports.push_back(*port);
      }
    }
  } else {
    app.declared_ports = IntList(GetArray(a, "ports", ""), "ports");
  }
  if (app.service_ports.empty()) {
    app.service_ports = app.declared_ports;
  }
  if (app.networking == Networking::kContainer) {
    Object::Ptr discovery =
        GetObject(GetObject(a, "ipAddress", ""), "discovery", "ipAddress.");
    if (Array::Ptr ports = GetArray(discovery, "ports", "ipAddress.discovery.")) {
      for (size_t i = 0; i < ports->size(); ++i) {
        app.container_ports.push_back(
            GetInt(ObjectAt(ports, i, "ipAddress.discovery.ports"), "number",
                   "ipAddress.discovery.ports[].")
                .value_or(0));
      }
    } else if (mappings) {
      for (size_t i = 0; i < mappings->size(); ++i) {
        app.container_ports.push_back(
            GetInt(ObjectAt(mappings, i, "portMappings"), "containerPort",
                   "portMappings[].")
                .value_or(0));
      }
    }
  }
  if (Array::Ptr checks = GetArray(a, "healthChecks", "")) {
    for (size_t i = 0; i < checks->size(); ++i) {
      const std::string where = "healthChecks[" + std::to_string(i) + "].";
      app.health_checks.push_back(
          ReadHealthCheck(ObjectAt(checks, i, "healthChecks"), where));
    }
  }
  if (Array::Ptr tasks = GetArray(a, "tasks", "")) {
    for (size_t i = 0; i < tasks->size(); ++i) {
      app.tasks.push_back(
          ReadTask(ObjectAt(tasks, i, "tasks"),
                   "tasks[" + std::to_string(i) + "]."));
    }
  }
  return app;
}

}  // namespace

Status ParseAppsWithPoco(std::string_view json, std::vector<App>* apps,
                 std::vector<std::string>* warnings) {
  apps->clear();
  Var root;
  try {
    // Keep JSON key order: {healthCheck} renders the object as Python would.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    root = parser.parse(std::string(json));
  } catch (const Poco::Exception& e) {
    return Status::Error("Marathon JSON", e.displayText());
  }
  Object::Ptr top = root.type() == typeid(Object::Ptr)
                        ? root.extract<Object::Ptr>()
                        : nullptr;
  if (!top || !top->has("apps") || !top->getArray("apps")) {
    return Status::Error("Marathon JSON", "no \"apps\" array");
  }
  Array::Ptr list = top->getArray("apps");
  for (size_t i = 0; i < list->size(); ++i) {
    Object::Ptr a = list->getObject(static_cast<unsigned>(i));
    std::string name = "apps[" + std::to_string(i) + "]";
    try {
      if (!a) {
        throw FieldError{"not an object"};
      }
      if (Has(a, "id") && a->get("id").isString()) {
        name = "app " + a->get("id").extract<std::string>();
      }
      apps->push_back(ReadApp(a));
    } catch (const FieldError& e) {
      warnings->push_back(name + ": " + e.message + "; app skipped");
    } catch (const Poco::Exception& e) {
      warnings->push_back(name + ": " + e.displayText() + "; app skipped");
    }
  }
  return Status::OK();
}

std::string DescribeApps(const Status& status, const std::vector<App>& apps,
                         const std::vector<std::string>& warnings) {
  std::ostringstream out;
  out << (status.ok() ? "ok" : "error") << "\n";
  for (const std::string& w : warnings) {
    out << "warning " << w << "\n";
  }
  const auto ints = [&](const char* name, const std::vector<int>& v) {
    out << "  " << name;
    for (int i : v) {
      out << ' ' << i;
    }
    out << "\n";
  };
  for (const App& app : apps) {
    out << "app " << app.id << " networking "
        << static_cast<int>(app.networking) << "\n";
    for (const auto& [key, value] : app.labels) {
      out << "  label " << key << "=" << value << "\n";
    }
    ints("service_ports", app.service_ports);
    ints("container_ports", app.container_ports);
    ints("declared_ports", app.declared_ports);
    for (const auto& check : app.health_checks) {
      if (!check) {
        out << "  check none\n";
        continue;
      }
      out << "  check " << check->protocol << " "
          << sdk::PyStr(check->port_index) << " " << sdk::PyStr(check->port)
          << " " << check->path << " " << check->timeout_seconds << " "
          << check->interval_seconds << " " << check->grace_period_seconds
          << " " << check->max_consecutive_failures << " "
          << sdk::PyStr(check->ignore_http1xx) << "\n    repr "
          << check->raw_repr << "\n";
      for (const auto& [key, value] : check->raw_fields) {
        out << "    field " << key << "=" << value << "\n";
      }
    }
    for (const Task& task : app.tasks) {
      out << "  task " << task.id << " " << task.host << " " << task.state;
      ints("ports", task.ports);
      for (const std::string& ip : task.ip_addresses) {
        out << "    ip " << ip << "\n";
      }
      if (task.health_alive) {
        out << "    alive";
        for (bool a : *task.health_alive) {
          out << ' ' << a;
        }
        out << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace mlb::testing
