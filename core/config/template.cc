#include "core/config/template.h"

#include <ctemplate/template.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlb {
namespace {

// A piece of a parsed marathon-lb template: literal text (braces already
// unescaped) or the name of a placeholder.
struct Segment {
  bool is_placeholder = false;
  std::string text;
};

// A ctemplate start/end marker pair.
struct Delimiters {
  std::string_view start;
  std::string_view end;
};

// Candidates in order of preference. ctemplate has no escape for its start
// marker, so the pair must not occur in any literal text; the last resort
// uses control characters that real HAProxy configs never contain.
constexpr std::array<Delimiters, 4> kDelimiters = {{
    {"<%", "%>"},
    {"<<@", "@>>"},
    {"[[%", "%]]"},
    {"\x01", "\x02"},
}};

std::string CtemplateName(size_t index) { return "v" + std::to_string(index); }

bool IsPlaceholderName(std::string_view s) {
  auto is_alpha = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  auto is_word = [&](std::string_view w) {
    return !w.empty() &&
           std::all_of(w.begin(), w.end(), [&](char c) {
             return is_alpha(c) || (c >= '0' && c <= '9');
           });
  };
  // Python's "{name[key]}" indexes into a mapping; marathon-lb templates use
  // it for the raw health check ("{healthCheck[path]}").
  const size_t bracket = s.find('[');
  if (bracket != std::string_view::npos) {
    if (s.back() != ']' ||
        !IsPlaceholderName(s.substr(0, bracket)) ||
        !is_word(s.substr(bracket + 1, s.size() - bracket - 2))) {
      return false;
    }
    return true;
  }
  return is_word(s) && is_alpha(s[0]);
}

// Parses Python str.format syntax restricted to "{name}" fields. Literal
// segments are merged so that no two are adjacent.
Status ParseFormat(std::string_view name, std::string_view text,
                   std::vector<Segment>* segments) {
  const std::string context(name);
  std::string literal;
  auto flush_literal = [&]() {
    if (!literal.empty()) {
      segments->push_back(Segment{false, std::move(literal)});
      literal.clear();
    }
  };

  size_t i = 0;
  while (i < text.size()) {
    const size_t brace = text.find_first_of("{}", i);
    if (brace == std::string_view::npos) {
      literal.append(text.substr(i));
      break;
    }
    literal.append(text.substr(i, brace - i));
    const bool doubled =
        brace + 1 < text.size() && text[brace + 1] == text[brace];
    if (doubled) {
      literal.push_back(text[brace]);
      i = brace + 2;
      continue;
    }
    if (text[brace] == '}') {
      return Status::Error(context,
                           "single '}' at offset " + std::to_string(brace));
    }
    // Like Python, count nested braces to find where the field ends, so
    // "{a:{b}}" is reported whole rather than as a stray '}'.
    size_t depth = 1;
    size_t close = brace + 1;
    for (; close < text.size(); ++close) {
      if (text[close] == '{') {
        ++depth;
      } else if (text[close] == '}' && --depth == 0) {
        break;
      }
    }
    if (close == text.size()) {
      return Status::Error(context,
                           "unclosed '{' at offset " + std::to_string(brace));
    }
    const std::string_view field = text.substr(brace + 1, close - brace - 1);
    if (!IsPlaceholderName(field)) {
      return Status::Error(context, "unsupported placeholder '{" +
                                        std::string(field) + "}' at offset " +
                                        std::to_string(brace) +
                                        ": only {name} and {name[key]} are supported");
    }
    flush_literal();
    segments->push_back(Segment{true, std::string(field)});
    i = close + 1;
  }
  flush_literal();
  return Status::OK();
}

// Returns the first candidate pair of which neither marker occurs in a
// literal segment, or nullptr. Markers cannot form across a segment boundary
// in a way that matters: ctemplate finds the first start marker, and the
// characters a literal could contribute never precede a real one.
const Delimiters* ChooseDelimiters(const std::vector<Segment>& segments) {
  for (const Delimiters& pair : kDelimiters) {
    const bool clash =
        std::any_of(segments.begin(), segments.end(), [&](const Segment& s) {
          return !s.is_placeholder &&
                 (s.text.find(pair.start) != std::string::npos ||
                  s.text.find(pair.end) != std::string::npos);
        });
    if (!clash) {
      return &pair;
    }
  }
  return nullptr;
}

// A placeholder name to look up in TemplateVars. Comparing the first bytes
// inline settles most comparisons between the few names of a template
// (cookieOptions, healthCheckOptions, host, ...) without calling memcmp;
// the order is std::string's.
struct PlaceholderKey {
  std::string_view name;

  static bool Less(std::string_view a, std::string_view b) {
    if (!a.empty() && !b.empty() && a[0] != b[0]) {
      return static_cast<unsigned char>(a[0]) <
             static_cast<unsigned char>(b[0]);
    }
    return a < b;
  }
  friend bool operator<(const PlaceholderKey& a, const std::string& b) {
    return Less(a.name, b);
  }
  friend bool operator<(const std::string& a, const PlaceholderKey& b) {
    return Less(a, b.name);
  }
};

// Whether n bytes at a and b are the same, compared as 8- or 4-byte words
// (the last word may overlap the one before): placeholder names are short,
// and a call to memcmp costs more than comparing them.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    uint64_t x;
    uint64_t y;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) {
        return false;
      }
    }
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    uint32_t x;
    uint32_t y;
    uint32_t z;
    uint32_t w;
    std::memcpy(&x, a, 4);
    std::memcpy(&y, b, 4);
    std::memcpy(&z, a + n - 4, 4);
    std::memcpy(&w, b + n - 4, 4);
    return x == y && z == w;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  return true;
}

// Copies n bytes, sizeof(Word) <= n <= 2 * sizeof(Word), as two words that
// may overlap: the first and the last.
template <typename Word>
inline void CopyTwoWords(char* to, const char* from, size_t n) {
  Word head;
  Word tail;
  std::memcpy(&head, from, sizeof(Word));
  std::memcpy(&tail, from + n - sizeof(Word), sizeof(Word));
  std::memcpy(to, &head, sizeof(Word));
  std::memcpy(to + n - sizeof(Word), &tail, sizeof(Word));
}

// Copies n bytes; the short pieces of a template (a few words, a value)
// without a call to memcpy.
inline void CopyBytes(char* to, const char* from, size_t n) {
  if (n > 16) {
    std::memcpy(to, from, n);
  } else if (n >= 8) {
    CopyTwoWords<uint64_t>(to, from, n);
  } else if (n >= 4) {
    CopyTwoWords<uint32_t>(to, from, n);
  } else {
    for (size_t i = 0; i < n; ++i) {
      to[i] = from[i];
    }
  }
}

// std::string's three-way order of a map key and a placeholder name. Most
// calls are settled inline: by the first byte, or (the usual case when the
// key is the name) by the length and the bytes.
int CompareKey(std::string_view key, std::string_view name) {
  if (!key.empty() && !name.empty() && key[0] != name[0]) {
    return static_cast<unsigned char>(key[0]) <
                   static_cast<unsigned char>(name[0])
               ? -1
               : 1;
  }
  if (key.size() == name.size() &&
      SameBytes(key.data(), name.data(), key.size())) {
    return 0;
  }
  return key.compare(name);
}

size_t Count(std::string_view s, char c) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), c));
}

}  // namespace

Template::~Template() = default;

Status Template::Compile(std::string_view name, std::string_view text,
                         bool verbatim, std::unique_ptr<Template>* out) {
  // The constructor is private, so std::make_unique cannot be used.
  std::unique_ptr<Template> tpl(new Template());
  tpl->name_ = std::string(name);
  tpl->source_ = std::string(text);
  tpl->verbatim_ = verbatim;
  tpl->source_newlines_ = Count(text, '\n');
  tpl->source_returns_ = Count(text, '\r');

  // Verbatim templates render to their source, so ctemplate has nothing to
  // add; skipping it also means no text can ever be rejected.
  if (verbatim || text.empty()) {
    *out = std::move(tpl);
    return Status::OK();
  }

  std::vector<Segment> segments;
  MLB_RETURN_IF_ERROR(ParseFormat(name, text, &segments));

  const Delimiters* delimiters = ChooseDelimiters(segments);
  if (delimiters == nullptr) {
    return Status::Error(
        tpl->name_,
        "ctemplate rejected the template: every delimiter pair (<% %>, "
        "<<@ @>>, [[% %]], \\x01 \\x02) occurs in the text");
  }

  // The delimiter switch sits at offset 0 and is followed directly by the
  // text, so it leaves no line of its own behind.
  std::string translated = "{{=";
  translated.append(delimiters->start);
  translated.push_back(' ');
  translated.append(delimiters->end);
  translated.append("=}}");
  for (const Segment& segment : segments) {
    if (!segment.is_placeholder) {
      translated.append(segment.text);
      tpl->literal_size_ += segment.text.size();
      tpl->parts_.push_back(
          Part{tpl->literals_.size(), segment.text.size(), -1});
      tpl->literals_.append(segment.text);
      continue;
    }
    // ctemplate sees each placeholder by its position ("v0", "v1", ...):
    // marathon-lb names such as "healthCheck[path]" are not ctemplate names.
    auto it = std::find(tpl->placeholders_.begin(), tpl->placeholders_.end(),
                        segment.text);
    if (it == tpl->placeholders_.end()) {
      it = tpl->placeholders_.insert(it, segment.text);
    }
    tpl->parts_.push_back(
        Part{0, 0, static_cast<int>(it - tpl->placeholders_.begin())});
    translated.append(delimiters->start);
    translated.append(CtemplateName(
        static_cast<size_t>(it - tpl->placeholders_.begin())));
    translated.append(delimiters->end);
  }

  tpl->uses_.assign(tpl->placeholders_.size(), 0);
  for (const Part& part : tpl->parts_) {
    if (part.placeholder >= 0) {
      ++tpl->uses_[static_cast<size_t>(part.placeholder)];
    }
  }
  tpl->sorted_.resize(tpl->placeholders_.size());
  for (size_t i = 0; i < tpl->sorted_.size(); ++i) {
    tpl->sorted_[i] = i;
  }
  const std::vector<std::string>& names = tpl->placeholders_;
  std::sort(tpl->sorted_.begin(), tpl->sorted_.end(),
            [&](size_t a, size_t b) { return names[a] < names[b]; });

  // DO_NOT_STRIP: every other mode eats the indentation and blank lines that
  // HAProxy configs are made of.
  tpl->compiled_.reset(ctemplate::Template::StringToTemplate(
      translated, ctemplate::DO_NOT_STRIP));
  if (tpl->compiled_ == nullptr) {
    return Status::Error(tpl->name_,
                         "ctemplate rejected the template: parse failed on "
                         "the translated text (its reason is on stderr)");
  }
  *out = std::move(tpl);
  return Status::OK();
}

bool Template::LookUp(const TemplateVars& vars,
                      const std::string** values) const {
  // A server line's map holds little more than the template's placeholders:
  // one ordered walk through both meets every name once, where a find() per
  // placeholder compares each against several keys. A map much larger than
  // the template (the health-check set for a one-placeholder label) is
  // searched instead.
  if (vars.size() > 2 * sorted_.size() + 2) {
    for (size_t i = 0; i < placeholders_.size(); ++i) {
      auto it = vars.find(PlaceholderKey{placeholders_[i]});
      if (it == vars.end()) {
        return false;
      }
      values[i] = &it->second;
    }
    return true;
  }
  auto it = vars.begin();
  for (const size_t i : sorted_) {
    const std::string& name = placeholders_[i];
    for (;; ++it) {
      if (it == vars.end()) {
        return false;
      }
      const int order = CompareKey(it->first, name);
      if (order == 0) {
        break;
      }
      if (order > 0) {
        return false;  // passed where the name would be
      }
    }
    values[i] = &it->second;
    ++it;
  }
  return true;
}

Status Template::Render(const TemplateVars& vars, std::string* out) const {
  if (verbatim_) {
    *out = source_;
    return Status::OK();
  }
  if (compiled_ == nullptr) {
    out->clear();
    return Status::OK();
  }
  // Every placeholder must have a value: a missing one would silently drop
  // parts of the HAProxy config.
  // On the stack for the usual few placeholders; else thread_local (Render
  // is const and may run on several threads), keeping its capacity.
  constexpr size_t kOnStack = 16;
  const std::string* on_stack[kOnStack];
  const std::string** values = on_stack;
  if (placeholders_.size() > kOnStack) {
    thread_local std::vector<const std::string*> on_heap;
    on_heap.resize(placeholders_.size());
    values = on_heap.data();
  }
  if (!LookUp(vars, values)) {
    // The first missing one in order of appearance (searched one by one,
    // which also fills `values` should the walk have missed nothing).
    for (size_t i = 0; i < placeholders_.size(); ++i) {
      auto it = vars.find(PlaceholderKey{placeholders_[i]});
      if (it == vars.end()) {
        return Status::Error(name_,
                             "unknown placeholder {" + placeholders_[i] + "}");
      }
      values[i] = &it->second;
    }
  }
  size_t size = literal_size_;
  bool aliased = false;
  for (size_t i = 0; i < placeholders_.size(); ++i) {
    size += values[i]->size() * uses_[i];
    aliased = aliased || values[i] == out;
  }
  // The parts in order, copied straight into *out (whose buffer the caller
  // may reuse); through a temporary when *out is one of the values. This is
  // what ctemplate's expansion of the translated template produced (literal
  // text as is, DO_NOT_STRIP), without its per-call dictionary look-ups.
  std::string temporary;
  std::string& result = aliased ? temporary : *out;
  // One size change, then plain copies: no capacity check per part.
  result.resize(size);
  char* to = result.data();
  for (const Part& part : parts_) {
    if (part.placeholder >= 0) {
      const std::string& value =
          *values[static_cast<size_t>(part.placeholder)];
      CopyBytes(to, value.data(), value.size());
      to += value.size();
    } else {
      CopyBytes(to, literals_.data() + part.offset, part.size);
      to += part.size;
    }
  }
  if (aliased) {
    *out = std::move(temporary);
  }
  return Status::OK();
}

std::string Template::FirstUnknownPlaceholder(
    const std::vector<std::string>& vocabulary) const {
  for (const std::string& placeholder : placeholders_) {
    if (std::find(vocabulary.begin(), vocabulary.end(), placeholder) !=
        vocabulary.end()) {
      continue;
    }
    // "name[*]" in the vocabulary admits "{name[key]}" for any key.
    const size_t bracket = placeholder.find('[');
    if (bracket != std::string::npos &&
        std::find(vocabulary.begin(), vocabulary.end(),
                  placeholder.substr(0, bracket) + "[*]") != vocabulary.end()) {
      continue;
    }
    return placeholder;
  }
  return "";
}

}  // namespace mlb
