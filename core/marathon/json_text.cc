#include "core/marathon/json_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "core/marathon/json_fields.h"

namespace mlb::json {
namespace {

using Mark = Reader::Mark;

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

}  // namespace

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

}  // namespace mlb::json
