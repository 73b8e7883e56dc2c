// JSON values of Marathon's answer printed as marathon-lb printed them: as
// Poco's Var::toString() did (numbers, strings, objects and arrays as Poco's
// stringify with an indent of 2), and as Python's repr() does (the
// {healthCheck} placeholder).
#pragma once

#include <string>

#include "core/marathon/json_reader.h"

namespace mlb::json {

// Poco's NumberFormatter::format(double): the shortest digits that read back
// as the same double, in positional notation for decimal exponents -15..14
// and as d.ddde+XX otherwise; -0 prints as 0.
std::string PocoDouble(double value);

// Var::toString() of the value at the reader, which it consumes. A null
// has no text: Poco threw, and so does this (FieldError{kEmptyValue},
// json_fields.h).
std::string PocoText(Reader& r);

// Python's repr() of the value at the reader, as marathon-lb (with nulls
// removed from objects) would print it; consumes the value. A null array
// element throws as PocoText does.
void AppendPyRepr(Reader& r, std::string* out);

}  // namespace mlb::json
