// Fields of Marathon's JSON read through json::Reader as marathon-lb's
// Poco-tree parser read them: member names as Poco kept them (C strings; a
// key given twice keeps its first position and its last value), null as a
// missing field, and the type checks with its messages. A malformed field
// throws FieldError; ParseApps skips the app with its message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/marathon/json_reader.h"

namespace mlb::json {

// A malformed field inside one app: the app is skipped with this message.
struct FieldError {
  std::string message;
};

// The messages of the Poco exceptions the old parser let through (their
// displayText()).
inline constexpr char kEmptyValue[] =
    "Invalid access: Can not convert empty value.";
inline constexpr char kTooLarge[] = "Out of range: Value too large.";
inline constexpr char kTooSmall[] = "Out of range: Value too small.";

// Poco's parser stored keys as C strings: an escaped NUL ends the key.
std::string_view PocoKey(std::string_view key);

// The member name NextMember just read, as Poco kept it (only a name with
// escapes can hold a NUL).
inline std::string_view KeyRead(const Reader& r, std::string_view key) {
  return r.last_string_escaped() ? PocoKey(key) : key;
}

// The members of the object at the reader, in the order Poco kept them: a
// key given twice keeps its first position and its last value. Nulls are
// included.
std::vector<std::pair<std::string, Reader::Mark>> Members(Reader& r);

// "what[i]".
std::string Indexed(const std::string& what, size_t i);

// Marks of the fields of an object read again later; nullopt for absent
// and null fields.
using Field = std::optional<Reader::Mark>;

// The kind of the value at `m` (the reader is left there).
Kind KindAt(Reader& r, const Reader::Mark& m);

// The last value of `key` in the object at `obj`, nullopt when absent or
// null (Poco's obj->has(key) && !obj->get(key).isEmpty()).
Field Member(Reader& r, const Field& obj, std::string_view key);

// `value`, which must be an object, an array or a string, else FieldError
// "<where><key> is not an object" (array, string). StringOf reads the
// string ("" for no value).
Field ObjectOf(Reader& r, const Field& value, std::string_view key,
               const std::string& where);
Field ArrayOf(Reader& r, const Field& value, std::string_view key,
              const std::string& where);
std::string StringOf(Reader& r, const Field& value, std::string_view key,
                     const std::string& where);

// The same on Member(r, obj, key).
Field GetObject(Reader& r, const Field& obj, std::string_view key,
                const std::string& where);
Field GetArray(Reader& r, const Field& obj, std::string_view key,
               const std::string& where);
std::string GetString(Reader& r, const Field& obj, std::string_view key,
                      const std::string& where);

// The elements of the array at `arr`, nulls included.
std::vector<Reader::Mark> Elements(Reader& r, const Reader::Mark& arr);

// elements[i], which must be an object, else FieldError
// "<what>[i] is not an object".
Reader::Mark ObjectAt(Reader& r, const std::vector<Reader::Mark>& elements,
                      size_t i, const std::string& what);

// Whether the object at `obj` has a member.
bool HasMembers(Reader& r, const Reader::Mark& obj);

}  // namespace mlb::json
