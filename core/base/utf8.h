// UTF-8 text values: decoding, the characters no value may carry (control,
// invisible and Unicode space characters) and a value shown on one log line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlb {

// Decodes the UTF-8 sequence at s[*i]; false (and *i unchanged) if invalid.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp);

// `text` with each byte that starts no valid UTF-8 sequence replaced by
// U+FFFD (as JSON exchanged between systems must be UTF-8, RFC 8259 8.1).
std::string ValidUtf8(std::string_view text);

// A value for one log line: control and refused characters escaped (\n, \t,
// \r, \xNN, \uXXXX), backslashes doubled, everything else as it is.
std::string Show(std::string_view value);

// Why `value` may not be used, naming the first bad character (counted in
// characters from 1), or "" if every character is acceptable: invalid UTF-8,
// a control character, or an invisible or Unicode space character:
//   "has U+00A0 (no-break space) at character 3"
// Tab and newline pass when `lines` (template text).
std::string BadCharacter(std::string_view value, bool lines);

}  // namespace mlb
