#include "core/zdd/app_json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <utility>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace mlb::zdd {
namespace {

Var WithoutNulls(const Var& value) {
  if (value.type() == typeid(Object::Ptr)) {
    const Object::Ptr in = value.extract<Object::Ptr>();
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    std::vector<std::string> names;
    in->getNames(names);
    for (const std::string& name : names) {
      const Var member = in->get(name);
      if (!member.isEmpty()) {
        out->set(name, WithoutNulls(member));
      }
    }
    return out;
  }
  if (value.type() == typeid(Array::Ptr)) {
    const Array::Ptr in = value.extract<Array::Ptr>();
    Array::Ptr out = new Array;
    for (size_t i = 0; i < in->size(); ++i) {
      out->add(WithoutNulls(in->get(static_cast<unsigned>(i))));
    }
    return out;
  }
  return value;
}

// The next code point of UTF-8 text at s[*i] (advances *i); a byte that
// does not start a valid sequence stands for itself.
unsigned NextCodePoint(const std::string& s, size_t* i) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (*i + static_cast<size_t>(extra) >= s.size()) {
    extra = 0;
  }
  unsigned cp = extra == 0 ? c : c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  }
  *i += static_cast<size_t>(extra) + 1;
  return cp;
}

void AppendEscape(unsigned unit, std::string* out) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "\\u%04x", unit);
  out->append(buffer);
}

// The two-character escape of a code point, or nullptr.
const char* ShortEscape(unsigned cp) {
  static const std::pair<unsigned, const char*> kEscapes[] = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\r', "\\r"},
      {'\t', "\\t"}, {'\b', "\\b"},   {'\f', "\\f"}};
  for (const auto& [code, escape] : kEscapes) {
    if (code == cp) {
      return escape;
    }
  }
  return nullptr;
}

// Python's json string: ASCII only.
void AppendString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned cp = NextCodePoint(s, &i);
    if (const char* escape = ShortEscape(cp)) {
      out->append(escape);
    } else if (cp < 0x20 || (cp >= 0x7F && cp < 0x10000)) {
      AppendEscape(cp, out);
    } else if (cp >= 0x10000) {
      const unsigned v = cp - 0x10000;
      AppendEscape(0xD800 + (v >> 10), out);
      AppendEscape(0xDC00 + (v & 0x3FF), out);
    } else {
      out->push_back(static_cast<char>(cp));
    }
  }
  out->push_back('"');
}

// Python's repr() of a float: the shortest digits that read back, positional
// for decimal exponents -4..15, else d.ddde+XX.
std::string PythonFloat(double d) {
  if (std::isnan(d)) {
    return "NaN";
  }
  if (std::isinf(d)) {
    return d < 0 ? "-Infinity" : "Infinity";
  }
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*e", precision - 1, d);
    if (std::strtod(buffer, nullptr) == d) {
      break;
    }
  }
  // buffer: [-]D[.DDD]e[+-]XX
  std::string text = buffer;
  const size_t e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  std::string sign = text[0] == '-' ? "-" : "";
  std::string digits;
  for (size_t i = sign.size(); i < e; ++i) {
    if (text[i] != '.') {
      digits.push_back(text[i]);
    }
  }
  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) {
      mantissa += "." + digits.substr(1);
    }
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    return sign + mantissa + exp;
  }
  if (exponent < 0) {
    return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') +
           digits;
  }
  const size_t point = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= point) {
    return sign + digits + std::string(point - digits.size(), '0') + ".0";
  }
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

void AppendScalar(const Var& value, std::string* out) {
  if (value.isEmpty()) {
    out->append("null");
  } else if (value.isString()) {
    AppendString(value.extract<std::string>(), out);
  } else if (value.isBoolean()) {
    out->append(value.convert<bool>() ? "true" : "false");
  } else if (value.isInteger()) {
    out->append(value.convert<std::string>());
  } else if (value.isNumeric()) {
    out->append(PythonFloat(value.convert<double>()));
  } else {
    AppendString(value.convert<std::string>(), out);
  }
}

// `indent` < 0: one line.
void Append(const Var& value, bool sort, int indent, int depth,
            std::string* out) {
  const bool object = value.type() == typeid(Object::Ptr);
  const bool array = value.type() == typeid(Array::Ptr);
  if (!object && !array) {
    AppendScalar(value, out);
    return;
  }
  std::vector<std::string> names;
  size_t size = 0;
  if (object) {
    value.extract<Object::Ptr>()->getNames(names);
    if (sort) {
      std::sort(names.begin(), names.end());
    }
    size = names.size();
  } else {
    size = value.extract<Array::Ptr>()->size();
  }
  out->push_back(object ? '{' : '[');
  if (size > 0) {
    const std::string inner =
        indent < 0 ? "" : "\n" + std::string(indent * (depth + 1), ' ');
    for (size_t i = 0; i < size; ++i) {
      out->append(i == 0 ? inner : (indent < 0 ? ", " : "," + inner));
      if (object) {
        AppendString(names[i], out);
        out->append(": ");
        Append(value.extract<Object::Ptr>()->get(names[i]), sort, indent,
               depth + 1, out);
      } else {
        Append(value.extract<Array::Ptr>()->get(static_cast<unsigned>(i)), sort,
               indent, depth + 1, out);
      }
    }
    if (indent >= 0) {
      out->append("\n" + std::string(indent * depth, ' '));
    }
  }
  out->push_back(object ? '}' : ']');
}

}  // namespace

Status ParseObject(const std::string& text, const std::string& what,
                   Object::Ptr* out) {
  Var root;
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    root = parser.parse(text);
  } catch (const Poco::Exception& e) {
    return Status::Error(what, "not JSON: " + e.displayText());
  }
  if (root.type() != typeid(Object::Ptr)) {
    return Status::Error(what, "not a JSON object");
  }
  *out = WithoutNulls(root).extract<Object::Ptr>();
  return Status::OK();
}

Object::Ptr DeepCopy(const Object::Ptr& object) {
  return WithoutNulls(object).extract<Object::Ptr>();
}

std::string PrettyJson(const Var& value) {
  std::string out;
  Append(value, /*sort=*/true, 2, 0, &out);
  return out;
}

std::string CompactJson(const Var& value) {
  std::string out;
  Append(value, /*sort=*/false, -1, 0, &out);
  return out;
}

Object::Ptr ObjectMember(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key) ||
      object->get(key).type() != typeid(Object::Ptr)) {
    return nullptr;
  }
  return object->getObject(key);
}

Array::Ptr ArrayMember(const Object::Ptr& object, const std::string& key) {
  if (object.isNull() || !object->has(key) ||
      object->get(key).type() != typeid(Array::Ptr)) {
    return nullptr;
  }
  return object->getArray(key);
}

std::optional<std::string> StringMember(const Object::Ptr& object,
                                        const std::string& key) {
  if (object.isNull() || !object->has(key) || !object->get(key).isString()) {
    return std::nullopt;
  }
  return object->get(key).extract<std::string>();
}

std::optional<long long> IntMember(const Object::Ptr& object,
                                   const std::string& key) {
  if (object.isNull() || !object->has(key)) {
    return std::nullopt;
  }
  const Var value = object->get(key);
  if (value.isInteger() && !value.isBoolean()) {
    return value.convert<long long>();
  }
  if (value.isNumeric() && !value.isBoolean()) {
    const double d = value.convert<double>();
    if (d == std::floor(d) && std::fabs(d) < 1e15) {
      return static_cast<long long>(d);
    }
  }
  return std::nullopt;
}

std::optional<long long> ParseInt(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\n\r");
  const size_t end = text.find_last_not_of(" \t\n\r");
  if (begin == std::string::npos) {
    return std::nullopt;
  }
  const std::string digits = text.substr(begin, end - begin + 1);
  size_t i = digits[0] == '-' || digits[0] == '+' ? 1 : 0;
  if (i == digits.size() || digits.size() > 18) {
    return std::nullopt;
  }
  for (size_t k = i; k < digits.size(); ++k) {
    if (digits[k] < '0' || digits[k] > '9') {
      return std::nullopt;
    }
  }
  return std::stoll(digits);
}

}  // namespace mlb::zdd
