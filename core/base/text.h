// Small byte-level text helpers shared by the JSON reader, the HAProxy config
// reader, the labels, the certificate environment reader and whatever prints
// digests. ASCII only: no locale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlb {

// The value of one hex digit, or -1.
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Lower-case hex of `size` bytes at `data`, two digits a byte:
// {0x01, 0xab} -> "01ab".
inline std::string Hex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

// The same for the bytes of a string.
inline std::string Hex(std::string_view bytes) {
  return Hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Appends code point `cp` (at most 0x10FFFF) as UTF-8.
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | ((cp >> 18) & 0x07)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// `s` with ASCII letters lower-cased.
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Lower-cases the ASCII letters of *s.
inline void LowerInPlace(std::string* s) {
  for (char& c : *s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

// `word` in lower case is `lower`.
inline bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i] >= 'A' && word[i] <= 'Z'
                       ? static_cast<char>(word[i] - 'A' + 'a')
                       : word[i];
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

// `s` split on `separator`, nothing trimmed: "a,,b" -> {"a", "", "b"}.
std::vector<std::string> Split(std::string_view s, char separator);

// The words of `s`, separated by one or more spaces: " a  b" -> {"a", "b"}.
std::vector<std::string> Words(std::string_view s);

// `parts` with `separator` between them.
std::string Join(const std::vector<std::string>& parts,
                 std::string_view separator);

// `s` without the spaces and tabs at its ends.
std::string Trim(std::string_view s);

// `text` with every CR LF read as LF, as marathon-lb reads label templates.
std::string CrLfToLf(std::string_view text);

// `text` with the password of every URL in it replaced by ***:
// "GET http://lb:s3cret@m1:8080/v2/apps: HTTP 500" ->
// "GET http://lb:***@m1:8080/v2/apps: HTTP 500". For everything marathon-lb
// shows (log lines, error messages, /status), never for what it sends. The
// user stays, to tell which credentials were used. A user information
// without a ':' or with an empty password is a token (https://TOKEN@host/
// t.tgz, https://TOKEN:@host/t.tgz) and is replaced whole:
// "https://***@host/t.tgz".
std::string RedactUrl(std::string_view text);

// `text` with each %HH (two hex digits) decoded to its byte, any other '%'
// kept as it is: Python's urllib.parse.unquote, which marathon-lb 1.15
// (requests) applies to the user and password of a URL.
std::string PercentDecode(std::string_view text);

// The user information of `url`, one URL and nothing else (a flag's value):
// what comes between "://" and the last '@' ahead of the path, query or
// fragment, whatever bytes it holds; "" for none.
std::string_view UrlUserInfo(std::string_view url);

// `url`, one URL and nothing else, with its password replaced by *** (a
// user information without a ':', a token, whole): unlike RedactUrl, a
// space or a quote in the password does not end it.
std::string RedactUrlValue(std::string_view url);

}  // namespace mlb
