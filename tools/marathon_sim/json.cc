#include "tools/marathon_sim/json.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <sstream>
#include <vector>

namespace mlb::tools::sim {
namespace {

// Appends CanonicalJson(value) to *out.
void AppendCanonicalJson(const Poco::Dynamic::Var& value, std::string* out) {
  if (value.type() == typeid(Object::Ptr)) {
    const Object::Ptr object = value.extract<Object::Ptr>();
    std::vector<std::string> keys;
    for (const auto& member : *object) keys.push_back(member.first);
    std::sort(keys.begin(), keys.end());
    *out += '{';
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) *out += ',';
      *out += ToJson(Poco::Dynamic::Var(keys[i]));
      *out += ':';
      AppendCanonicalJson(object->get(keys[i]), out);
    }
    *out += '}';
  } else if (value.type() == typeid(Array::Ptr)) {
    const Array::Ptr array = value.extract<Array::Ptr>();
    *out += '[';
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (i > 0) *out += ',';
      AppendCanonicalJson(array->get(static_cast<unsigned>(i)), out);
    }
    *out += ']';
  } else {
    *out += ToJson(value);
  }
}

}  // namespace

std::string ToJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(value, out);
  return out.str();
}

std::string IsoNow() {
  return Poco::DateTimeFormatter::format(Poco::Timestamp(),
                                         "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string NewUuid() {
  return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

std::string CanonicalJson(const Poco::Dynamic::Var& value) {
  std::string out;
  AppendCanonicalJson(value, &out);
  return out;
}

bool ParseJson(const std::string& text, const std::string& what,
               Poco::Dynamic::Var* result, std::string* error) {
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    *result = parser.parse(text);
    return true;
  } catch (const Poco::Exception& e) {
    *error = "invalid JSON in " + what + ": " + e.displayText();
  } catch (const std::exception& e) {
    *error = "invalid JSON in " + what + ": " + e.what();
  }
  return false;
}

}  // namespace mlb::tools::sim
