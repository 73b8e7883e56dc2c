// JSON helpers of marathon-sim: text of a value, Marathon's timestamps and
// ids, a canonical text for comparing values, parsing with key order kept.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>

#include "tools/marathon_sim/sim.h"

namespace mlb::tools::sim {

// The JSON text of `value` (Poco's stringify, no indentation).
std::string ToJson(const Poco::Dynamic::Var& value);

// Marathon's timestamp format: 2015-09-30T12:44:30.061Z (UTC).
std::string IsoNow();

// A random UUID, as Marathon's deployment ids.
std::string NewUuid();

// A JSON text with object keys sorted at every level, so that two values
// that differ only in key order compare equal.
std::string CanonicalJson(const Poco::Dynamic::Var& value);

// Parses `text` as JSON, keeping key order.  Returns false and sets `*error`
// (prefixed with `what`) if it is not JSON.
bool ParseJson(const std::string& text, const std::string& what,
               Poco::Dynamic::Var* result, std::string* error);

}  // namespace mlb::tools::sim
