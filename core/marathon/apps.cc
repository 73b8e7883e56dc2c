#include "core/marathon/apps.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <iterator>
#include <set>
#include <utility>

#include "core/marathon/json_reader.h"

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

// A malformed field inside one app: the app is skipped with this message.
struct FieldError {
  std::string message;
};

// The messages of the Poco exceptions the old parser let through (their
// displayText()).
constexpr char kEmptyValue[] = "Invalid access: Can not convert empty value.";
constexpr char kTooLarge[] = "Out of range: Value too large.";
constexpr char kTooSmall[] = "Out of range: Value too small.";

// Poco's parser stored keys as C strings: an escaped NUL ends the key.
std::string_view PocoKey(std::string_view key) {
  const size_t nul = key.find('\0');
  return nul == std::string_view::npos ? key : key.substr(0, nul);
}

// The member name NextMember just read, as Poco kept it (only a name with
// escapes can hold a NUL).
inline std::string_view KeyRead(const Reader& r, std::string_view key) {
  return r.last_string_escaped() ? PocoKey(key) : key;
}

// ---------------------------------------------------------------------------
// Values as Poco printed them (Poco::Dynamic::Var::toString()).

// Poco's NumberFormatter::format(double): the shortest digits that read back
// as the same double, in positional notation for decimal exponents -15..14
// and as d.ddde+XX otherwise; -0 prints as 0.
std::string PocoDouble(double value) {
  if (std::isnan(value)) {
    return "nan";
  }
  if (std::isinf(value)) {
    return value < 0 ? "-inf" : "inf";
  }
  if (value == 0) {
    return "0";
  }
  char buffer[64];
  const std::to_chars_result r = std::to_chars(
      buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<size_t>(r.ptr - buffer));
  // text: [-]D[.DDD]e(+|-)XX
  const bool negative = text[0] == '-';
  const size_t e = text.find('e');
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (text[i] != '.') {
      digits.push_back(text[i]);
    }
  }
  int exponent = 0;
  std::from_chars(text.data() + e + (text[e + 1] == '+' ? 2 : 1),
                  text.data() + text.size(), exponent);
  std::string out = negative ? "-" : "";
  const int length = static_cast<int>(digits.size());
  const int point = exponent + 1;  // digits before the decimal point
  if (exponent >= -15 && exponent < 15) {
    if (point <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-point), '0');
      out += digits;
    } else if (point >= length) {
      out += digits;
      out.append(static_cast<size_t>(point - length), '0');
    } else {
      out.append(digits, 0, static_cast<size_t>(point));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(point), std::string::npos);
    }
    return out;
  }
  out.push_back(digits[0]);
  if (length > 1) {
    out.push_back('.');
    out.append(digits, 1, std::string::npos);
  }
  out += exponent < 0 ? "e-" : "e+";
  out += std::to_string(exponent < 0 ? -exponent : exponent);
  return out;
}

std::string NumberText(const Number& n) {
  switch (n.type) {
    case Number::kInt:
      return std::to_string(n.i);
    case Number::kUint:
      return std::to_string(n.u);
    case Number::kDouble:
      break;
  }
  return PocoDouble(n.d);
}

// Poco::toJSON(s, JSON_WRAP_STRINGS): quotes, backslash and control
// characters escaped, everything else as is.
void AppendPocoJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      default:
        if (c >= 0 && c < 0x20) {
          static const char kHex[] = "0123456789ABCDEF";
          *out += "\\u00";
          out->push_back(kHex[(c >> 4) & 0xF]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// The members of the object at the reader, in the order Poco kept them: a
// key given twice keeps its first position and its last value. Nulls are
// included.
std::vector<std::pair<std::string, Mark>> Members(Reader& r) {
  std::vector<std::pair<std::string, Mark>> members;
  // Room for a health check's members without growing.
  members.reserve(16);
  r.EnterObject();
  std::string_view key;
  while (r.NextMember(&key)) {
    const std::string_view name = KeyRead(r, key);
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const auto& m) { return m.first == name; });
    if (it == members.end()) {
      members.emplace_back(std::string(name), r.Here());
    } else {
      it->second = r.Here();
    }
    r.SkipValue();
  }
  return members;
}

// Object and array values as Var::toString() printed them: Poco's
// stringify with an indent of 2.
void AppendPocoPretty(Reader& r, int indent, int step, std::string* out) {
  const auto spaces = [&](int n) {
    out->append(static_cast<size_t>(std::max(n, 0)), ' ');
  };
  switch (r.Peek()) {
    case Kind::kObject: {
      const auto members = Members(r);
      const Mark end = r.Here();
      out->push_back('{');
      if (indent > 0) {
        out->push_back('\n');
      }
      for (size_t i = 0; i < members.size(); ++i) {
        spaces(indent);
        AppendPocoJsonString(members[i].first, out);
        *out += indent > 0 ? ": " : ":";
        r.Seek(members[i].second);
        AppendPocoPretty(r, indent + step, step, out);
        if (i + 1 < members.size()) {
          out->push_back(',');
        }
        if (step > 0) {
          out->push_back('\n');
        }
      }
      spaces(indent >= step ? indent - step : indent);
      out->push_back('}');
      r.Seek(end);
      return;
    }
    case Kind::kArray: {
      out->push_back('[');
      if (indent > 0) {
        out->push_back('\n');
      }
      r.EnterArray();
      bool first = true;
      while (r.NextElement()) {
        if (!first) {
          out->push_back(',');
          if (step > 0) {
            out->push_back('\n');
          }
        }
        first = false;
        spaces(indent);
        AppendPocoPretty(r, indent + step, step, out);
      }
      if (step > 0) {
        out->push_back('\n');
      }
      spaces(indent >= step ? indent - step : indent);
      out->push_back(']');
      return;
    }
    case Kind::kString:
      AppendPocoJsonString(r.ReadString(), out);
      return;
    case Kind::kNumber:
      *out += NumberText(r.ReadNumber());
      return;
    case Kind::kTrue:
    case Kind::kFalse:
      *out += r.ReadBool() ? "true" : "false";
      return;
    case Kind::kNull:
    case Kind::kBad:
      r.SkipValue();
      *out += "null";
      return;
  }
}

// Var::toString() of the value at the reader, which it consumes. A null
// has no text: Poco threw.
std::string PocoText(Reader& r) {
  switch (r.Peek()) {
    case Kind::kString:
      return std::string(r.ReadString());
    case Kind::kNumber:
      return NumberText(r.ReadNumber());
    case Kind::kTrue:
    case Kind::kFalse:
      return r.ReadBool() ? "true" : "false";
    case Kind::kObject:
    case Kind::kArray: {
      std::string out;
      AppendPocoPretty(r, 2, 2, &out);
      return out;
    }
    case Kind::kNull:
    case Kind::kBad:
      break;
  }
  r.SkipValue();
  throw FieldError{kEmptyValue};
}

// Python's repr() of the value at the reader, as marathon-lb (with nulls
// removed from objects) would print it; consumes the value.
void AppendPyRepr(Reader& r, std::string* out) {
  switch (r.Peek()) {
    case Kind::kString: {
      out->push_back('\'');
      // Runs between the characters to escape are appended whole.
      const std::string_view text = r.ReadString();
      size_t run = 0;
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' || text[i] == '\'') {
          out->append(text.data() + run, i - run);
          out->push_back('\\');
          run = i;
        }
      }
      out->append(text.data() + run, text.size() - run);
      out->push_back('\'');
      return;
    }
    case Kind::kTrue:
    case Kind::kFalse:
      *out += r.ReadBool() ? "True" : "False";
      return;
    case Kind::kObject: {
      const auto members = Members(r);
      const Mark end = r.Here();
      out->push_back('{');
      bool first = true;
      for (const auto& [key, value] : members) {
        r.Seek(value);
        if (r.Peek() == Kind::kNull) {
          continue;
        }
        *out += first ? "'" : ", '";
        first = false;
        *out += key;
        *out += "': ";
        AppendPyRepr(r, out);
      }
      out->push_back('}');
      r.Seek(end);
      return;
    }
    case Kind::kArray: {
      out->push_back('[');
      r.EnterArray();
      bool first = true;
      while (r.NextElement()) {
        if (!first) {
          *out += ", ";
        }
        first = false;
        AppendPyRepr(r, out);
      }
      out->push_back(']');
      return;
    }
    default:
      *out += PocoText(r);
  }
}

// ---------------------------------------------------------------------------
// Typed reads with the old parser's checks and messages.

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

std::string Indexed(const std::string& what, size_t i) {
  return what + "[" + std::to_string(i) + "]";
}

// Marks of the fields of an object read again later; nullopt for absent
// and null fields.
using Field = std::optional<Mark>;

Kind KindAt(Reader& r, const Mark& m) {
  r.Seek(m);
  return r.Peek();
}

// The last value of `key` in the object at `obj`, nullopt when absent or
// null (Poco's obj->has(key) && !obj->get(key).isEmpty()).
Field Member(Reader& r, const Field& obj, std::string_view key) {
  if (!obj) {
    return std::nullopt;
  }
  r.Seek(*obj);
  r.EnterObject();
  Field found;
  std::string_view name;
  while (r.NextMember(&name)) {
    if (KeyRead(r, name) == key) {
      found = r.Here();
      if (r.SkipNull()) {
        found.reset();
        continue;
      }
    }
    r.SkipValue();
  }
  return found;
}

Field ObjectOf(Reader& r, const Field& value, std::string_view key,
               const std::string& where) {
  if (value && KindAt(r, *value) != Kind::kObject) {
    throw FieldError{where + std::string(key) + " is not an object"};
  }
  return value;
}

Field ArrayOf(Reader& r, const Field& value, std::string_view key,
              const std::string& where) {
  if (value && KindAt(r, *value) != Kind::kArray) {
    throw FieldError{where + std::string(key) + " is not an array"};
  }
  return value;
}

std::string StringOf(Reader& r, const Field& value, std::string_view key,
                     const std::string& where) {
  if (!value) {
    return "";
  }
  if (KindAt(r, *value) != Kind::kString) {
    throw FieldError{where + std::string(key) + " is not a string"};
  }
  return std::string(r.ReadString());
}

std::optional<int> IntOf(Reader& r, const Field& value, std::string_view key,
                         const std::string& where) {
  if (!value) {
    return std::nullopt;
  }
  r.Seek(*value);
  return ReadInt(r, [&] { return where + std::string(key); });
}

Field GetObject(Reader& r, const Field& obj, std::string_view key,
                const std::string& where) {
  return ObjectOf(r, Member(r, obj, key), key, where);
}

Field GetArray(Reader& r, const Field& obj, std::string_view key,
               const std::string& where) {
  return ArrayOf(r, Member(r, obj, key), key, where);
}

std::string GetString(Reader& r, const Field& obj, std::string_view key,
                      const std::string& where) {
  return StringOf(r, Member(r, obj, key), key, where);
}

std::optional<int> GetInt(Reader& r, const Field& obj, std::string_view key,
                          const std::string& where) {
  return IntOf(r, Member(r, obj, key), key, where);
}

// The elements of the array at `arr`, nulls included.
std::vector<Mark> Elements(Reader& r, const Mark& arr) {
  std::vector<Mark> out;
  out.reserve(8);
  r.Seek(arr);
  r.EnterArray();
  while (r.NextElement()) {
    out.push_back(r.Here());
    r.SkipValue();
  }
  return out;
}

Mark ObjectAt(Reader& r, const std::vector<Mark>& elements, size_t i,
              const std::string& what) {
  if (KindAt(r, elements[i]) != Kind::kObject) {
    throw FieldError{Indexed(what, i) + " is not an object"};
  }
  return elements[i];
}

bool HasMembers(Reader& r, const Mark& obj) {
  r.Seek(obj);
  r.EnterObject();
  std::string_view key;
  return r.NextMember(&key);
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
  bool tasks_failed = false;
  std::string tasks_error;
  // The tasks read, moved to the App at the end; this vector and `ints`
  // keep their capacity from app to app.
  std::vector<Task> tasks;
  std::vector<int> ints;

  // Forgets the last app, keeping the buffers.
  void Reset() {
    id = labels = container = networks = ip_address = port_definitions = ports =
        health_checks = std::nullopt;
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
                                      : nullptr;
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

}  // namespace mlb
