#include "core/config/haproxy_words.h"

#include <cstdint>

#include "core/base/text.h"
#include "core/base/utf8.h"

namespace mlb {
namespace {

// HAProxy section keywords (2.0 to 3.2). A line that starts with one ends
// the section before it and opens another: `program` makes the master
// process run a command, `global` takes process settings (lua-load, setenv,
// ...), `backend`/`listen` can capture traffic, `userlist`/`peers`/
// `resolvers`/`ring`/... talk to other hosts or files.
constexpr std::string_view kSections[] = {
    "global",    "defaults",   "frontend",       "backend",   "listen",
    "userlist",  "peers",      "resolvers",      "program",   "cache",
    "mailers",   "ring",       "http-errors",    "fcgi-app",  "log-forward",
    "crt-store", "traces",     "dynamic-update", "acme",      "namespace_list",
};

// Characters HAProxy's config reader gives a meaning to. In a value that
// becomes one word of a config line (a vhost in an ACL, a certificate path
// after `crt`, a bind address) they would add words, cut the line short or
// change how the rest of the line is read.
struct StructureCharacter {
  char c;
  std::string_view why;
};
constexpr StructureCharacter kStructureCharacters[] = {
    {' ', "a space would add words to the HAProxy line"},
    {'#', "'#' starts an HAProxy comment"},
    {'"', "HAProxy reads quotes and backslashes as quoting"},
    {'\'', "HAProxy reads quotes and backslashes as quoting"},
    {'\\', "HAProxy reads quotes and backslashes as quoting"},
    {'{', "braces delimit HAProxy conditions"},
    {'}', "braces delimit HAProxy conditions"},
};

}  // namespace

namespace {

// `kept`, if set, gets one flag per word: whether HAProxy 2.6 reads it
// differently (an escape it does not translate, see WordsAsWritten).
std::vector<std::string> SplitWords(std::string_view line, bool lower,
                                    bool* dollar,
                                    std::vector<bool>* kept = nullptr) {
  const auto done = [lower](const std::string& word) {
    return lower ? Lower(word) : word;
  };
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool word_kept = false;
  char quote = 0;
  const auto push = [&]() {
    words.push_back(done(word));
    if (kept != nullptr) {
      kept->push_back(word_kept);
    }
    word.clear();
    word_kept = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      in_word = true;
      const char next = line[++i];
      if (next == 'x' && i + 2 < line.size() && HexValue(line[i + 1]) >= 0 &&
          HexValue(line[i + 2]) >= 0) {
        word.push_back(static_cast<char>(HexValue(line[i + 1]) * 16 +
                                         HexValue(line[i + 2])));
        i += 2;
      } else {
        // HAProxy translates \<space>, \\, \#, \', \", \$ and \xHH as
        // read here; it keeps the backslash of any other pair (\i\f is the
        // word \i\f) and turns \t, \n, \r into control characters.
        word_kept = word_kept || (next != ' ' && next != '\\' &&
                                  next != '#' && next != '\'' &&
                                  next != '"' && next != '$');
        word.push_back(next);
      }
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else {
        *dollar = *dollar || c == '$';
        word.push_back(c);
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) {
        push();
        in_word = false;
      }
    } else if (c == '#') {
      break;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) {
    push();
  }
  return words;
}

}  // namespace

std::vector<std::string> Words(std::string_view line, bool* dollar) {
  return SplitWords(line, /*lower=*/true, dollar);
}

std::vector<std::string> WordsAsWritten(std::string_view line, bool* dollar) {
  return SplitWords(line, /*lower=*/false, dollar);
}

std::vector<std::string> WordsAsWritten(std::string_view line, bool* dollar,
                                        std::vector<bool>* kept) {
  kept->clear();
  return SplitWords(line, /*lower=*/false, dollar, kept);
}

std::vector<DirectiveLine> DirectiveLines(std::string_view text) {
  std::vector<DirectiveLine> out;
  int number = 0;
  for (const std::string& line : Split(text, '\n')) {
    ++number;
    DirectiveLine d;
    d.words = Words(line, &d.dollar);
    if (d.words.empty()) {
      continue;
    }
    d.number = number;
    d.text = Trim(line);
    out.push_back(std::move(d));
  }
  return out;
}

bool IsSection(const std::string& keyword) {
  for (std::string_view s : kSections) {
    if (keyword == s) {
      return true;
    }
  }
  return false;
}

bool IsSectionWord(std::string_view word) {
  for (std::string_view section : kSections) {
    if (EqualsLower(word, section)) {
      return true;
    }
  }
  return false;
}

std::string BadWordCharacter(std::string_view value) {
  size_t i = 0;
  for (size_t n = 1; i < value.size(); ++n) {
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      return "";  // BadCharacter reported it
    }
    for (const StructureCharacter& s : kStructureCharacters) {
      if (cp == static_cast<unsigned char>(s.c)) {
        const std::string shown =
            s.c == ' ' ? "a space" : std::string("'") + s.c + "'";
        return "has " + shown + " at character " + std::to_string(n) + ": " +
               std::string(s.why);
      }
    }
  }
  return "";
}

}  // namespace mlb
