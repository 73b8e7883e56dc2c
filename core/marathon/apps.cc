#include "core/marathon/apps.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <iterator>
#include <set>
#include <utility>

#include "core/marathon/json_fields.h"
#include "core/marathon/json_reader.h"
#include "core/marathon/json_text.h"

// How this reads Marathon's answer, and why.
//
// The answer is large (80 MB for 100,000 tasks) and marathon-lb reads a few
// fields of it, so it is read in one pass with json::Reader and no document
// tree: every app object is walked once, its tasks are filled in directly
// (they are most of the bytes) and the offsets of the other fields
// marathon-lb reads are noted; then those few, small values are read again
// from their offsets in the order the checks below have always run. That
// order matters: an app with two malformed fields is reported for the one
// checked first.
//
// Up to this version ParseApps built a Poco::JSON tree, and the warnings for
// malformed apps, the {healthCheck} text and which documents are refused are
// kept exactly as they were with it (tests/marathon/apps_test.cc compares the
// two on many documents). Poco's ways show through in places:
//   - a key given twice keeps its last value, in the position of its first;
//   - a null is a missing field, except as a label value or an array element;
//   - true and false are the integers 1 and 0;
//   - some messages are the text of a Poco exception ("Out of range: Value
//     too large.") or quote a value the way Poco prints it.
namespace mlb {
namespace {

using json::Kind;
using json::Number;
using json::Reader;
using Mark = json::Reader::Mark;
using json::AppendPyRepr;
using json::ArrayOf;
using json::Elements;
using json::Field;
using json::FieldError;
using json::GetArray;
using json::GetObject;
using json::GetString;
using json::HasMembers;
using json::Indexed;
using json::KeyRead;
using json::KindAt;
using json::kTooLarge;
using json::kTooSmall;
using json::Member;
using json::Members;
using json::ObjectAt;
using json::ObjectOf;
using json::PocoDouble;
using json::PocoText;
using json::StringOf;

// ---------------------------------------------------------------------------
// Integers, with the old parser's checks and messages (json_fields.h reads
// the other types).

// The value at the reader as an int; consumes it. `what` names the field for
// the message and is only called on failure.
template <typename What>
int ReadInt(Reader& r, const What& what) {
  switch (r.Peek()) {
    case Kind::kNumber: {
      const Number n = r.ReadNumber();
      if (n.type == Number::kInt) {
        if (n.i > INT_MAX) {
          throw FieldError{kTooLarge};
        }
        if (n.i < INT_MIN) {
          throw FieldError{kTooSmall};
        }
        return static_cast<int>(n.i);
      }
      if (n.type == Number::kUint) {
        throw FieldError{kTooLarge};
      }
      if (std::floor(n.d) == n.d && std::abs(n.d) < INT_MAX) {
        return static_cast<int>(n.d);
      }
      throw FieldError{what() + " is not an integer: " + PocoDouble(n.d)};
    }
    case Kind::kTrue:
    case Kind::kFalse:
      return r.ReadBool() ? 1 : 0;
    default: {
      std::string text = PocoText(r);
      throw FieldError{what() + " is not an integer: " + text};
    }
  }
}

// Reads an array of ints into *out. On the first bad element sets *error
// and skips the rest of the array; returns whether all were read.
template <typename What>
bool ReadIntArray(Reader& r, std::vector<int>* out, std::string* error,
                  const What& what) {
  out->clear();
  r.EnterArray();
  bool ok = true;
  size_t i = 0;
  while (r.NextElement()) {
    if (!ok) {
      r.SkipValue();
      continue;
    }
    try {
      out->push_back(ReadInt(r, [&] { return what(i); }));
    } catch (FieldError& e) {
      ok = false;
      *error = std::move(e.message);
    }
    ++i;
  }
  return ok;
}

std::optional<int> IntOf(Reader& r, const Field& value, std::string_view key,
                         const std::string& where) {
  if (!value) {
    return std::nullopt;
  }
  r.Seek(*value);
  return ReadInt(r, [&] { return where + std::string(key); });
}

std::optional<int> GetInt(Reader& r, const Field& obj, std::string_view key,
                          const std::string& where) {
  return IntOf(r, Member(r, obj, key), key, where);
}

// ---------------------------------------------------------------------------
// Tasks, read in the first pass.

// A task's fields in the order the checks ran; the first one with an error
// names the task's error.
enum TaskField {
  kTaskId,
  kTaskHost,
  kTaskPorts,
  kTaskState,
  kTaskIpAddresses,
  kTaskHealth,
  kTaskFieldCount
};

// Reads one task object at the reader. Returns false with *error set when
// one of its fields is malformed; `where` is "tasks[i].". `ints` is a buffer
// for the ports, reused from task to task so that each task's ports take a
// single allocation.
bool ReadTask(Reader& r, size_t index, Task* task, std::vector<int>* ints,
              std::string* error) {
  // A key given twice is read twice and the last one wins, errors included.
  std::string errors[kTaskFieldCount];
  bool failed[kTaskFieldCount] = {};
  const auto where = [index] { return Indexed("tasks", index) + "."; };
  const auto read_string = [&](TaskField field, std::string_view name,
                               std::string* out) {
    failed[field] = false;
    const Kind kind = r.Peek();
    if (kind == Kind::kString) {
      // Constructed, not assigned: the task's strings start out empty.
      *out = std::string(r.ReadString());
      return;
    }
    out->clear();
    r.SkipValue();
    if (kind != Kind::kNull) {
      failed[field] = true;
      errors[field] = where() + std::string(name) + " is not a string";
    }
  };

  r.EnterObject();
  std::string_view key;
  while (r.NextMember(&key)) {
    // Dispatch on the length first: most keys are skipped after one compare.
    TaskField field = kTaskFieldCount;
    switch (key.size()) {
      case 2:
        field = key == "id" ? kTaskId : field;
        break;
      case 4:
        field = key == "host" ? kTaskHost : field;
        break;
      case 5:
        field =
            key == "ports" ? kTaskPorts : (key == "state" ? kTaskState : field);
        break;
      case 11:
        field = key == "ipAddresses" ? kTaskIpAddresses : field;
        break;
      case 18:
        field = key == "healthCheckResults" ? kTaskHealth : field;
        break;
      default:
        break;
    }
    if (field == kTaskFieldCount && r.last_string_escaped()) {
      // An escaped NUL ends a key for Poco: "id\u0000x" is "id".
      const std::string_view name = KeyRead(r, key);
      field = name == "id"      ? kTaskId
              : name == "host"  ? kTaskHost
              : name == "ports" ? kTaskPorts
              : name == "state" ? kTaskState
              : name == "ipAddresses"
                  ? kTaskIpAddresses
                  : (name == "healthCheckResults" ? kTaskHealth : field);
    }
    switch (field) {
      case kTaskId:
        read_string(kTaskId, "id", &task->id);
        break;
      case kTaskHost:
        read_string(kTaskHost, "host", &task->host);
        break;
      case kTaskState:
        read_string(kTaskState, "state", &task->state);
        break;
      case kTaskPorts: {
        failed[kTaskPorts] = false;
        task->ports.clear();
        const Kind kind = r.Peek();
        if (kind == Kind::kArray) {
          failed[kTaskPorts] = !ReadIntArray(
              r, ints, &errors[kTaskPorts],
              [&](size_t i) { return Indexed(where() + "ports", i); });
          task->ports.assign(ints->begin(), ints->end());
        } else {
          r.SkipValue();
          if (kind != Kind::kNull) {
            failed[kTaskPorts] = true;
            errors[kTaskPorts] = where() + "ports is not an array";
          }
        }
        break;
      }
      case kTaskIpAddresses: {
        failed[kTaskIpAddresses] = false;
        task->ip_addresses.clear();
        const Kind kind = r.Peek();
        if (kind != Kind::kArray) {
          r.SkipValue();
          if (kind != Kind::kNull) {
            failed[kTaskIpAddresses] = true;
            errors[kTaskIpAddresses] = where() + "ipAddresses is not an array";
          }
          break;
        }
        r.EnterArray();
        size_t i = 0;
        while (r.NextElement()) {
          if (failed[kTaskIpAddresses]) {
            r.SkipValue();
            continue;
          }
          if (r.Peek() != Kind::kObject) {
            r.SkipValue();
            failed[kTaskIpAddresses] = true;
            errors[kTaskIpAddresses] =
                Indexed(where() + "ipAddresses", i) + " is not an object";
            continue;
          }
          std::string& ip = task->ip_addresses.emplace_back();
          bool bad = false;
          r.EnterObject();
          std::string_view name;
          while (r.NextMember(&name)) {
            if (KeyRead(r, name) != "ipAddress") {
              r.SkipValue();
              continue;
            }
            const Kind value = r.Peek();
            bad = value != Kind::kString && value != Kind::kNull;
            if (value == Kind::kString) {
              ip.assign(r.ReadString());
            } else {
              ip.clear();
              r.SkipValue();
            }
          }
          if (bad) {
            failed[kTaskIpAddresses] = true;
            errors[kTaskIpAddresses] =
                where() + "ipAddresses[].ipAddress is not a string";
          }
          ++i;
        }
        break;
      }
      case kTaskHealth: {
        failed[kTaskHealth] = false;
        task->health_alive.reset();
        const Kind kind = r.Peek();
        if (kind != Kind::kArray) {
          r.SkipValue();
          if (kind != Kind::kNull) {
            failed[kTaskHealth] = true;
            errors[kTaskHealth] =
                where() + "healthCheckResults is not an array";
          }
          break;
        }
        task->health_alive.emplace();
        r.EnterArray();
        size_t i = 0;
        while (r.NextElement()) {
          if (failed[kTaskHealth]) {
            r.SkipValue();
            continue;
          }
          if (r.Peek() != Kind::kObject) {
            r.SkipValue();
            failed[kTaskHealth] = true;
            errors[kTaskHealth] = Indexed(where() + "healthCheckResults", i) +
                                  " is not an object";
            continue;
          }
          // Alive only for a boolean true; anything else counts as not.
          bool alive = false;
          r.EnterObject();
          std::string_view name;
          while (r.NextMember(&name)) {
            if (KeyRead(r, name) == "alive") {
              alive = r.Peek() == Kind::kTrue;
            }
            r.SkipValue();
          }
          task->health_alive->push_back(alive);
          ++i;
        }
        break;
      }
      case kTaskFieldCount:
        r.SkipValue();
        break;
    }
  }
  for (int field = 0; field < kTaskFieldCount; ++field) {
    if (failed[field]) {
      *error = std::move(errors[field]);
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Apps.

// What the first pass over an app object leaves for the second.
struct AppScan {
  Field id;
  Field labels;
  Field container;
  Field networks;
  Field ip_address;
  Field port_definitions;
  Field ports;
  Field health_checks;
  Field instances;
  Field version_info;
  bool tasks_failed = false;
  std::string tasks_error;
  // The tasks read, moved to the App at the end; this vector and `ints`
  // keep their capacity from app to app.
  std::vector<Task> tasks;
  std::vector<int> ints;

  // Forgets the last app, keeping the buffers.
  void Reset() {
    id = labels = container = networks = ip_address = port_definitions = ports =
        health_checks = instances = version_info = std::nullopt;
    tasks_failed = false;
    tasks_error.clear();
    tasks.clear();
  }
};

void ScanTasks(Reader& r, AppScan* scan) {
  scan->tasks.clear();
  scan->tasks_failed = false;
  const Kind kind = r.Peek();
  if (kind != Kind::kArray) {
    r.SkipValue();
    if (kind != Kind::kNull) {
      scan->tasks_failed = true;
      scan->tasks_error = "tasks is not an array";
    }
    return;
  }
  r.EnterArray();
  size_t i = 0;
  while (r.NextElement()) {
    if (scan->tasks_failed) {
      // The app is skipped for its first bad task; the rest is only checked.
      r.SkipValue();
      continue;
    }
    if (r.Peek() != Kind::kObject) {
      r.SkipValue();
      scan->tasks_failed = true;
      scan->tasks_error = Indexed("tasks", i) + " is not an object";
      continue;
    }
    scan->tasks.emplace_back();
    if (!ReadTask(r, i, &scan->tasks.back(), &scan->ints, &scan->tasks_error)) {
      scan->tasks_failed = true;
    }
    ++i;
  }
}

// First pass: walks the app object at the reader once.
void ScanApp(Reader& r, AppScan* scan) {
  scan->Reset();
  r.EnterObject();
  std::string_view key;
  while (r.NextMember(&key)) {
    const std::string_view name = KeyRead(r, key);
    Field* field = nullptr;
    switch (name.size()) {
      case 2:
        field = name == "id" ? &scan->id : nullptr;
        break;
      case 5:
        if (name == "tasks") {
          ScanTasks(r, scan);
          continue;
        }
        field = name == "ports" ? &scan->ports : nullptr;
        break;
      case 6:
        field = name == "labels" ? &scan->labels : nullptr;
        break;
      case 8:
        field = name == "networks" ? &scan->networks : nullptr;
        break;
      case 9:
        field = name == "container"   ? &scan->container
                : name == "ipAddress" ? &scan->ip_address
                : name == "instances" ? &scan->instances
                                      : nullptr;
        break;
      case 11:
        field = name == "versionInfo" ? &scan->version_info : nullptr;
        break;
      case 12:
        field = name == "healthChecks" ? &scan->health_checks : nullptr;
        break;
      case 15:
        field = name == "portDefinitions" ? &scan->port_definitions : nullptr;
        break;
      default:
        break;
    }
    if (field == nullptr) {
      r.SkipValue();
      continue;
    }
    *field = r.Here();
    if (r.SkipNull()) {
      field->reset();
    } else {
      r.SkipValue();
    }
  }
}

void ReadLabels(Reader& r, const Mark& obj,
                std::map<std::string, std::string>* labels) {
  // Poco checked the labels in key order, each key with its last value.
  std::set<std::string> not_strings;
  r.Seek(obj);
  r.EnterObject();
  std::string_view key;
  while (r.NextMember(&key)) {
    std::string name(KeyRead(r, key));
    if (r.Peek() == Kind::kString) {
      if (!not_strings.empty()) {
        not_strings.erase(name);
      }
      (*labels)[std::move(name)] = std::string(r.ReadString());
    } else {
      r.SkipValue();
      labels->erase(name);
      not_strings.insert(std::move(name));
    }
  }
  if (!not_strings.empty()) {
    throw FieldError{"label " + *not_strings.begin() + " is not a string"};
  }
  const std::string problem = HaproxyLabelSizeProblem(*labels);
  if (!problem.empty()) {
    throw FieldError{problem};
  }
}

Networking ReadNetworking(Reader& r, const AppScan& scan,
                          const Field& container) {
  // Marathon >= 1.5: the mode of the last entry of networks[].
  if (const Field networks = ArrayOf(r, scan.networks, "networks", "")) {
    const std::vector<Mark> entries = Elements(r, *networks);
    if (!entries.empty()) {
      const Field last = ObjectAt(r, entries, entries.size() - 1, "networks");
      const Field mode_value = Member(r, last, "mode");
      const std::string mode =
          mode_value ? StringOf(r, mode_value, "mode", "networks[].")
                     : "container";
      if (mode == "container/bridge") {
        return Networking::kContainerBridge;
      }
      return mode == "container" ? Networking::kContainer : Networking::kHost;
    }
  }
  const Field docker = GetObject(r, container, "docker", "container.");
  const std::string network =
      GetString(r, docker, "network", "container.docker.");
  if (network == "BRIDGE") {
    return Networking::kContainerBridge;
  }
  if (network == "USER") {
    return Networking::kContainer;
  }
  const Field ip_address = ObjectOf(r, scan.ip_address, "ipAddress", "");
  if (ip_address && HasMembers(r, *ip_address)) {
    return Networking::kContainer;
  }
  return Networking::kHost;
}

// container.docker.portMappings (Marathon <= 1.4) or container.portMappings.
Field PortMappings(Reader& r, const Field& container) {
  const Field docker = GetObject(r, container, "docker", "container.");
  if (Field m = GetArray(r, docker, "portMappings", "container.docker.")) {
    return m;
  }
  return GetArray(r, container, "portMappings", "container.");
}

std::optional<HealthCheck> ReadHealthCheck(Reader& r, const Mark& hc,
                                           const std::string& where) {
  r.Seek(hc);
  const auto members = Members(r);
  if (members.empty()) {
    return std::nullopt;
  }
  // The repr is about as long as the object's JSON: room for it up front.
  const size_t json_size = r.offset() - hc.offset;
  // The fields read, in the order they are checked; nullopt when absent or
  // null.
  static constexpr std::string_view kNames[] = {"protocol",
                                                "portIndex",
                                                "port",
                                                "path",
                                                "timeoutSeconds",
                                                "intervalSeconds",
                                                "gracePeriodSeconds",
                                                "maxConsecutiveFailures",
                                                "ignoreHttp1xx"};
  Field fields[std::size(kNames)];
  for (const auto& [name, value] : members) {
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (name == kNames[i]) {
        if (KindAt(r, value) != Kind::kNull) {
          fields[i] = value;
        }
        break;
      }
    }
  }
  const auto& [protocol, port_index, port, path, timeout, interval, grace,
               failures, ignore] = fields;
  HealthCheck out;
  out.protocol = protocol ? StringOf(r, protocol, "protocol", where) : "HTTP";
  out.port_index = IntOf(r, port_index, "portIndex", where);
  out.port = IntOf(r, port, "port", where);
  if (path) {
    out.path = StringOf(r, path, "path", where);
  }
  out.timeout_seconds =
      IntOf(r, timeout, "timeoutSeconds", where).value_or(out.timeout_seconds);
  out.interval_seconds = IntOf(r, interval, "intervalSeconds", where)
                             .value_or(out.interval_seconds);
  out.grace_period_seconds = IntOf(r, grace, "gracePeriodSeconds", where)
                                 .value_or(out.grace_period_seconds);
  out.max_consecutive_failures =
      IntOf(r, failures, "maxConsecutiveFailures", where)
          .value_or(out.max_consecutive_failures);
  if (ignore) {
    const Kind kind = KindAt(r, *ignore);
    if (kind != Kind::kTrue && kind != Kind::kFalse) {
      throw FieldError{where + "ignoreHttp1xx is not a boolean"};
    }
    out.ignore_http1xx = r.ReadBool();
  }
  // {healthCheck}: repr() of the object (AppendPyRepr's object case, with
  // the members already at hand); {healthCheck[key]}: str() of each value,
  // which is its repr() but for strings.
  out.raw_repr.reserve(json_size + 32);
  out.raw_repr.push_back('{');
  for (const auto& [key, value] : members) {
    r.Seek(value);
    const Kind kind = r.Peek();
    if (kind == Kind::kNull) {
      continue;
    }
    out.raw_repr += out.raw_repr.size() > 1 ? ", '" : "'";
    out.raw_repr += key;
    out.raw_repr += "': ";
    const size_t start = out.raw_repr.size();
    AppendPyRepr(r, &out.raw_repr);
    if (kind == Kind::kString) {
      r.Seek(value);
      out.raw_fields[key] = r.ReadString();
    } else {
      out.raw_fields[key] = out.raw_repr.substr(start);
    }
  }
  out.raw_repr.push_back('}');
  return out;
}

// Second pass: the checks, in their order, on the fields noted by ScanApp.
App ReadApp(Reader& r, AppScan& scan) {
  App app;
  app.id = StringOf(r, scan.id, "id", "");
  if (app.id.empty()) {
    throw FieldError{"no \"id\""};
  }
  if (const Field labels = ObjectOf(r, scan.labels, "labels", "")) {
    ReadLabels(r, *labels, &app.labels);
  }
  const Field container = ObjectOf(r, scan.container, "container", "");
  app.networking = ReadNetworking(r, scan, container);

  const Field mappings = PortMappings(r, container);
  std::vector<Mark> mapping_entries;
  if (mappings) {
    mapping_entries = Elements(r, *mappings);
  }
  if (app.networking != Networking::kHost && mappings) {
    for (size_t i = 0; i < mapping_entries.size(); ++i) {
      const Field m = ObjectAt(r, mapping_entries, i, "portMappings");
      if (auto port = GetInt(r, m, "servicePort", "portMappings[].")) {
        app.service_ports.push_back(*port);
      }
    }
  }
  if (const Field defs =
          ArrayOf(r, scan.port_definitions, "portDefinitions", "")) {
    // Entries without a port are left out (so later indexes shift), as in
    // marathon-lb.
    const std::vector<Mark> entries = Elements(r, *defs);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (auto port = GetInt(r, ObjectAt(r, entries, i, "portDefinitions"),
                             "port", "portDefinitions[].")) {
        app.declared_ports.push_back(*port);
      }
    }
  } else if (const Field ports = ArrayOf(r, scan.ports, "ports", "")) {
    r.Seek(*ports);
    std::string error;
    if (!ReadIntArray(r, &app.declared_ports, &error,
                      [](size_t i) { return Indexed("ports", i); })) {
      throw FieldError{std::move(error)};
    }
  }
  if (app.service_ports.empty()) {
    app.service_ports = app.declared_ports;
  }
  if (app.networking == Networking::kContainer) {
    const Field discovery =
        GetObject(r, ObjectOf(r, scan.ip_address, "ipAddress", ""), "discovery",
                  "ipAddress.");
    if (const Field ports =
            GetArray(r, discovery, "ports", "ipAddress.discovery.")) {
      const std::vector<Mark> entries = Elements(r, *ports);
      for (size_t i = 0; i < entries.size(); ++i) {
        app.container_ports.push_back(
            GetInt(r, ObjectAt(r, entries, i, "ipAddress.discovery.ports"),
                   "number", "ipAddress.discovery.ports[].")
                .value_or(0));
      }
    } else if (mappings) {
      for (size_t i = 0; i < mapping_entries.size(); ++i) {
        app.container_ports.push_back(
            GetInt(r, ObjectAt(r, mapping_entries, i, "portMappings"),
                   "containerPort", "portMappings[].")
                .value_or(0));
      }
    }
  }
  if (const Field checks = ArrayOf(r, scan.health_checks, "healthChecks", "")) {
    const std::vector<Mark> entries = Elements(r, *checks);
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string where = Indexed("healthChecks", i) + ".";
      app.health_checks.push_back(
          ReadHealthCheck(r, ObjectAt(r, entries, i, "healthChecks"), where));
    }
  }
  app.instances = IntOf(r, scan.instances, "instances", "").value_or(0);
  app.last_scaling_at = GetString(
      r, ObjectOf(r, scan.version_info, "versionInfo", ""), "lastScalingAt",
      "versionInfo.");
  // The tasks were read in the first pass; their checks ran last.
  if (scan.tasks_failed) {
    throw FieldError{std::move(scan.tasks_error)};
  }
  // Moved into a vector of the right size (one allocation), leaving
  // scan.tasks its capacity for the next app.
  app.tasks.reserve(scan.tasks.size());
  std::move(scan.tasks.begin(), scan.tasks.end(),
            std::back_inserter(app.tasks));
  return app;
}

void ReadApps(Reader& r, AppSink* apps, std::vector<std::string>* warnings) {
  AppScan scan;
  r.EnterArray();
  size_t i = 0;
  while (r.NextElement()) {
    const size_t index = i++;
    if (r.Peek() != Kind::kObject) {
      r.SkipValue();
      warnings->push_back(Indexed("apps", index) +
                          ": not an object; app skipped");
      continue;
    }
    // A streaming reader keeps the app's text until it has been read.
    r.Pin(r.offset());
    ScanApp(r, &scan);
    const Mark after = r.Here();
    std::string name;
    try {
      if (scan.id && KindAt(r, *scan.id) == Kind::kString) {
        name = "app " + std::string(r.ReadString());
      } else {
        name = Indexed("apps", index);
      }
      apps->Add(ReadApp(r, scan));
    } catch (FieldError& e) {
      warnings->push_back(name + ": " + e.message + "; app skipped");
    }
    r.Seek(after);
    r.Unpin();
  }
}

}  // namespace

namespace {

Status ParseAppsWith(Reader& r, AppSink* apps,
                     std::vector<std::string>* warnings) {
  apps->Clear();
  const size_t warnings_before = warnings->size();
  const auto forget = [&] {
    apps->Clear();
    warnings->erase(warnings->begin() + static_cast<long>(warnings_before),
                    warnings->end());
  };
  bool have_apps = false;
  try {
    const Kind top = r.Peek();
    if (top == Kind::kObject) {
      r.EnterObject();
      std::string_view key;
      while (r.NextMember(&key)) {
        if (KeyRead(r, key) != "apps") {
          r.SkipValue();
          continue;
        }
        // As with any key, the last "apps" is the one that counts.
        forget();
        have_apps = r.Peek() == Kind::kArray;
        if (have_apps) {
          ReadApps(r, apps, warnings);
        } else {
          r.SkipValue();
        }
      }
    } else if (top == Kind::kArray) {
      r.SkipValue();
    } else if (top == Kind::kBad) {
      r.Fail("expected a value");
    } else {
      r.Fail("expected an object or an array");
    }
    r.ExpectEnd();
  } catch (const json::SyntaxError& e) {
    forget();
    return Status::Error("Marathon JSON",
                         e.reason + " at offset " + std::to_string(e.offset));
  }
  if (!have_apps) {
    forget();
    return Status::Error("Marathon JSON", "no \"apps\" array");
  }
  return Status::OK();
}

}  // namespace

Status ParseApp(std::string_view json, App* app) {
  Reader r(json);
  bool found = false;
  std::string problem;
  try {
    if (r.Peek() != Kind::kObject) {
      r.Fail("expected an object");
    }
    r.EnterObject();
    std::string_view key;
    while (r.NextMember(&key)) {
      if (KeyRead(r, key) != "app" || r.Peek() != Kind::kObject) {
        r.SkipValue();
        continue;
      }
      // As with any key, the last "app" is the one that counts.
      AppScan scan;
      ScanApp(r, &scan);
      const Mark after = r.Here();
      try {
        *app = ReadApp(r, scan);
        found = true;
        problem.clear();
      } catch (FieldError& e) {
        found = false;
        problem = e.message;
      }
      r.Seek(after);
    }
    r.ExpectEnd();
  } catch (const json::SyntaxError& e) {
    return Status::Error("Marathon JSON",
                         e.reason + " at offset " + std::to_string(e.offset));
  }
  if (!problem.empty()) {
    return Status::Error("Marathon JSON", "app: " + problem);
  }
  if (!found) {
    return Status::Error("Marathon JSON", "no \"app\" object");
  }
  return Status::OK();
}

Status ParseApps(std::string_view json, AppSink* sink,
                 std::vector<std::string>* warnings) {
  Reader r(json);
  return ParseAppsWith(r, sink, warnings);
}

Status ParseApps(const AppSource& source, size_t chunk, AppSink* sink,
                 std::vector<std::string>* warnings) {
  Reader r(source, chunk);
  return ParseAppsWith(r, sink, warnings);
}

Status ParseApps(std::string_view json, std::vector<App>* apps,
                 std::vector<std::string>* warnings) {
  AppVectorSink sink(apps);
  return ParseApps(json, &sink, warnings);
}

Status ParseApps(const AppSource& source, size_t chunk, std::vector<App>* apps,
                 std::vector<std::string>* warnings) {
  AppVectorSink sink(apps);
  return ParseApps(source, chunk, &sink, warnings);
}

std::string HaproxyLabelSizeProblem(
    const std::map<std::string, std::string>& labels) {
  size_t total = 0;
  for (const auto& [name, value] : labels) {
    if (name.compare(0, 8, "HAPROXY_") != 0) {
      continue;
    }
    if (name.size() > kMaxHaproxyLabelNameBytes) {
      // Not the whole name: it may be megabytes, and is repeated in the
      // warning of every update.
      return "label " + name.substr(0, 64) + "... has a name of " +
             std::to_string(name.size()) + " bytes, more than " +
             std::to_string(kMaxHaproxyLabelNameBytes);
    }
    if (value.size() > kMaxHaproxyLabelBytes) {
      return "label " + name + " has " + std::to_string(value.size()) +
             " bytes, more than " + std::to_string(kMaxHaproxyLabelBytes);
    }
    total += name.size() + value.size();
  }
  if (total > kMaxHaproxyLabelsTotalBytes) {
    return "its HAPROXY_* labels have " + std::to_string(total) +
           " bytes in all (names and values), more than " +
           std::to_string(kMaxHaproxyLabelsTotalBytes);
  }
  return "";
}

}  // namespace mlb

