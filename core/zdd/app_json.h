// App definitions as zdd handles them: Marathon's JSON, parsed with the key
// order kept and JSON nulls dropped (as zdd.py's cleanup), read and changed
// in place, and printed as Python's json.dumps prints them, so that --dry-run
// and the pre-kill hook's arguments read as zdd.py's did.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

#include "core/base/status.h"

namespace mlb::zdd {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Parses a JSON object, keeping the order of its keys and dropping every
// member whose value is null, at any depth. `what` names the text in
// errors: "app definition app.json: not a JSON object".
Status ParseObject(const std::string& text, const std::string& what,
                   Object::Ptr* out);

// A deep copy: changing it leaves `object` as it was.
Object::Ptr DeepCopy(const Object::Ptr& object);

// Python's json.dumps(value, sort_keys=True, indent=2): keys sorted, two
// spaces per level, non-ASCII escaped as \uXXXX, floats as repr() does.
std::string PrettyJson(const Var& value);

// Python's json.dumps(value): one line, ", " and ": " between items, keys
// in their order.
std::string CompactJson(const Var& value);

// The member `key` of `object` if it is an object, an array, a string or an
// integer; nullptr / nullopt otherwise (absent or of another type).
Object::Ptr ObjectMember(const Object::Ptr& object, const std::string& key);
Array::Ptr ArrayMember(const Object::Ptr& object, const std::string& key);
std::optional<std::string> StringMember(const Object::Ptr& object,
                                        const std::string& key);
std::optional<long long> IntMember(const Object::Ptr& object,
                                   const std::string& key);

// Python's int() of a label value: an optional sign and digits, with
// surrounding blanks allowed.
std::optional<long long> ParseInt(const std::string& text);

}  // namespace mlb::zdd
