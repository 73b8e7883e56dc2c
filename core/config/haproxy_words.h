// HAProxy config text read as HAProxy's config reader reads it: a line split
// into words (quotes, escapes, '#'), the directive lines of a text, the
// section keywords, and the characters the reader gives a meaning to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlb {

// Splits one config line into words as HAProxy's reader does: words are
// separated by spaces and tabs; '#' outside quotes ends the line; "..." and
// '...' quote; a backslash escapes the next character, and \xHH is a byte.
// So `"lua-load"` and `\x6cua-load` are both the word lua-load. Words are
// lower-cased. Sets *dollar when a '$' stands in double quotes (HAProxy
// expands environment variables there).
std::vector<std::string> Words(std::string_view line, bool* dollar);

// Words() without the lower-casing, for what HAProxy compares as written
// (ACL names are case-sensitive: acl Host_A and acl host_A are two ACLs).
std::vector<std::string> WordsAsWritten(std::string_view line, bool* dollar);

// WordsAsWritten(), and in *kept one flag per word: whether HAProxy 2.6
// reads the word differently. HAProxy translates only \<space>, \\, \#,
// \', \", \$ and \xHH; it keeps the backslash of any other pair (`\i\f` is
// the word \i\f to HAProxy, not `if`) and turns \t, \n and \r into
// control characters, where this reader drops the backslash. (\x with no
// two hex digits is an error there.)
std::vector<std::string> WordsAsWritten(std::string_view line, bool* dollar,
                                        std::vector<bool>* kept);

// One line of config text with its words.
struct DirectiveLine {
  int number;        // from 1
  std::string text;  // trimmed
  std::vector<std::string> words;
  bool dollar = false;
};

// The lines of `text` (split on '\n') that have words; lines without words
// (blank, comments) are left out.
std::vector<DirectiveLine> DirectiveLines(std::string_view text);

// Whether `keyword` (lower case) opens an HAProxy section (2.0 to 3.2:
// global, defaults, frontend, backend, listen, program, ...).
bool IsSection(const std::string& keyword);

// IsSection() of `word` in lower case, without a copy of the word.
bool IsSectionWord(std::string_view word);

// Why `value`, used as one word of a config line, is refused, or "": it has
// a character HAProxy's reader gives a meaning to (space, '#', quotes, '\',
// braces), e.g. "has a space at character 4: a space would add words to the
// HAProxy line". Invalid UTF-8 passes (BadCharacter reports it).
std::string BadWordCharacter(std::string_view value);

}  // namespace mlb
