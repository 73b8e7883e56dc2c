#include "core/marathon/json_fields.h"

#include <algorithm>

namespace mlb::json {

using Mark = Reader::Mark;

std::string_view PocoKey(std::string_view key) {
  const size_t nul = key.find('\0');
  return nul == std::string_view::npos ? key : key.substr(0, nul);
}

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

std::string Indexed(const std::string& what, size_t i) {
  return what + "[" + std::to_string(i) + "]";
}

Kind KindAt(Reader& r, const Mark& m) {
  r.Seek(m);
  return r.Peek();
}

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

}  // namespace mlb::json
