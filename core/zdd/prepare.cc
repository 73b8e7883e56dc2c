#include "core/zdd/prepare.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace mlb::zdd {
namespace {

Outcome MissingField(const std::string& field, const std::string& message) {
  return Outcome::Fail(Exit::kMissingField, "app definition field " + field,
                       message);
}

// The first portMapping of the app: container.docker.portMappings[0], else
// container.portMappings[0] (Marathon 1.5); nullptr if none.
Object::Ptr FirstPortMapping(const Object::Ptr& app) {
  const Object::Ptr container = ObjectMember(app, "container");
  Array::Ptr mappings =
      ArrayMember(ObjectMember(container, "docker"), "portMappings");
  if (mappings.isNull() || mappings->size() == 0) {
    mappings = ArrayMember(container, "portMappings");
  }
  if (mappings.isNull() || mappings->size() == 0) {
    return nullptr;
  }
  return mappings->getObject(0);
}

Object::Ptr FirstPortDefinition(const Object::Ptr& app) {
  const Array::Ptr definitions = ArrayMember(app, "portDefinitions");
  if (definitions.isNull() || definitions->size() == 0) {
    return nullptr;
  }
  return definitions->getObject(0);
}

}  // namespace

std::string Label(const Object::Ptr& app, const std::string& name) {
  return StringMember(ObjectMember(app, "labels"), name).value_or("");
}

Outcome ValidateApp(const Object::Ptr& app) {
  const std::optional<std::string> id = StringMember(app, "id");
  if (!id || id->empty()) {
    return MissingField("id", "the app definition has no id");
  }
  const Object::Ptr labels = ObjectMember(app, "labels");
  if (labels.isNull()) {
    return MissingField("labels", "no labels: define the " +
                                      std::string(kGroupLabel) + " label");
  }
  for (const char* name : {kGroupLabel, kAltPortLabel}) {
    if (Label(app, name).empty()) {
      return MissingField(name, std::string("define the ") + name + " label");
    }
  }
  const std::optional<long long> alt = ParseInt(Label(app, kAltPortLabel));
  if (!alt || *alt < 1 || *alt > 65535) {
    return MissingField(kAltPortLabel, "not a port number: '" +
                                           Label(app, kAltPortLabel) + "'");
  }
  return Outcome::Ok();
}

Outcome ServicePort(const Object::Ptr& app, int* port) {
  std::optional<long long> found =
      IntMember(FirstPortMapping(app), "servicePort");
  if (!found || *found == 0) {
    found = IntMember(FirstPortDefinition(app), "port");
  }
  if (!found || *found == 0) {
    const Array::Ptr ports = ArrayMember(app, "ports");
    if (!ports.isNull() && ports->size() > 0 && ports->get(0).isInteger()) {
      found = ports->get(0).convert<long long>();
    }
  }
  if (!found || *found <= 0 || *found > 65535) {
    return MissingField("container.portMappings",
                        "the app has no service port");
  }
  *port = static_cast<int>(*found);
  return Outcome::Ok();
}

void SetServicePort(Object::Ptr app, int port) {
  if (Object::Ptr mapping = FirstPortMapping(app); !mapping.isNull()) {
    mapping->set("servicePort", port);
  } else if (Object::Ptr definition = FirstPortDefinition(app);
             !definition.isNull()) {
    definition->set("port", port);
  } else if (Array::Ptr ports = ArrayMember(app, "ports");
             !ports.isNull() && ports->size() > 0) {
    ports->set(0, port);
  } else {
    Array::Ptr list = new Array;
    list->add(port);
    app->set("ports", list);
  }
}

std::vector<Object::Ptr> GroupApps(const std::vector<Object::Ptr>& apps,
                                   const std::string& group) {
  std::vector<Object::Ptr> out;
  for (const Object::Ptr& app : apps) {
    if (Label(app, kGroupLabel) == group) {
      out.push_back(app);
    }
  }
  auto started = [](const Object::Ptr& app) {
    const std::string at = Label(app, kStartedAtLabel);
    return at.empty() ? std::string("0") : at;
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Object::Ptr& a, const Object::Ptr& b) {
                     return started(a) < started(b);
                   });
  return out;
}

std::string NextColour(const Object::Ptr& last) {
  return Label(last, kColourLabel) == "blue" ? "green" : "blue";
}

Outcome NextPort(const Object::Ptr& last, int* port) {
  const std::optional<long long> alt = ParseInt(Label(last, kAltPortLabel));
  int current = 0;
  if (alt && ServicePort(last, &current).ok() && current == *alt) {
    const std::optional<long long> stable =
        ParseInt(Label(last, kFrontendPortLabel));
    if (!stable) {
      return MissingField(kFrontendPortLabel,
                          "app " + StringMember(last, "id").value_or("?") +
                              " runs on the alt port but has no " +
                              kFrontendPortLabel + " label");
    }
    *port = static_cast<int>(*stable);
    return Outcome::Ok();
  }
  if (!alt) {
    return MissingField(kAltPortLabel,
                        "app " + StringMember(last, "id").value_or("?") +
                            " has no valid " + kAltPortLabel + " label");
  }
  *port = static_cast<int>(*alt);
  return Outcome::Ok();
}

Outcome PrepareDeploy(const Object::Ptr& source,
                      const std::vector<Object::Ptr>& previous,
                      const PrepareOptions& options, const std::string& now,
                      Object::Ptr* out) {
  MLB_ZDD_RETURN_IF_FAILED(ValidateApp(source));
  Object::Ptr app = DeepCopy(source);
  Object::Ptr labels = app->getObject("labels");
  std::string colour = "blue";
  int next_port = 0;
  long long target = IntMember(app, "instances").value_or(1);
  if (!previous.empty()) {
    const Object::Ptr& last = previous.back();
    colour = NextColour(last);
    MLB_ZDD_RETURN_IF_FAILED(NextPort(last, &next_port));
    target = IntMember(last, "instances").value_or(0);
    const long long hybrid = std::min<long long>(options.new_instances, target);
    const long long limit = hybrid > 0 ? hybrid : target;
    app->set("instances",
             std::min<long long>(options.initial_instances, limit));
    labels->set(kNewInstancesLabel, std::to_string(hybrid));
  } else {
    MLB_ZDD_RETURN_IF_FAILED(ServicePort(app, &next_port));
    labels->set(kNewInstancesLabel, std::string("0"));
  }
  const std::string id = app->getValue<std::string>("id");
  labels->set(kAppIdLabel, id);
  app->set("id", (id[0] == '/' ? "" : "/") + id + "-" + colour);
  int own_port = 0;
  MLB_ZDD_RETURN_IF_FAILED(ServicePort(app, &own_port));
  labels->set(kFrontendPortLabel, std::to_string(own_port));
  SetServicePort(app, next_port);
  labels->set(kTargetLabel, std::to_string(target));
  labels->set(kColourLabel, colour);
  labels->set(kStartedAtLabel, now);
  *out = app;
  return Outcome::Ok();
}

std::string IsoNowLocal() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::tm local{};
  localtime_r(&tv.tv_sec, &local);
  char text[40];
  const size_t n =
      std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &local);
  std::snprintf(text + n, sizeof(text) - n, ".%06ld",
                static_cast<long>(tv.tv_usec));
  return text;
}

}  // namespace mlb::zdd
