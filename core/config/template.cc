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
  for (const std::string& placeholder : tpl->placeholders_) {
    tpl->keys_.push_back(sdk::Vars::Key(placeholder));
  }

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

Status Template::Render(const sdk::Vars& vars, std::string* out) const {
  if (verbatim_) {
    out->append(source_);
    return Status::OK();
  }
  if (compiled_ == nullptr) {
    return Status::OK();
  }
  // Every placeholder must have a value: a missing one would silently drop
  // parts of the HAProxy config. The first missing one in order of
  // appearance is named.
  constexpr size_t kOnStack = 16;
  std::string_view on_stack[kOnStack];
  std::vector<std::string_view> on_heap;
  std::string_view* values = on_stack;
  if (placeholders_.size() > kOnStack) {
    on_heap.resize(placeholders_.size());
    values = on_heap.data();
  }
  size_t size = literal_size_;
  for (size_t i = 0; i < placeholders_.size(); ++i) {
    const int at = vars.Find(placeholders_[i], keys_[i]);
    if (at < 0) {
      return Status::Error(name_,
                           "unknown placeholder {" + placeholders_[i] + "}");
    }
    values[i] = vars.value(static_cast<size_t>(at));
    size += values[i].size() * uses_[i];
  }
  // The parts in order: what ctemplate's expansion of the translated
  // template gives (literal text as is, DO_NOT_STRIP). One size change, then
  // plain copies.
  const size_t start = out->size();
  out->resize(start + size);
  char* to = out->data() + start;
  for (const Part& part : parts_) {
    const std::string_view piece =
        part.placeholder >= 0
            ? values[static_cast<size_t>(part.placeholder)]
            : std::string_view(literals_).substr(part.offset, part.size);
    std::memcpy(to, piece.data(), piece.size());
    to += piece.size();
  }
  return Status::OK();
}

void Template::SetWords(
    const std::vector<std::pair<std::string, std::string>>& words) {
  words_.clear();
  for (size_t i = 0; i < placeholders_.size(); ++i) {
    const std::string& placeholder = placeholders_[i];
    const size_t bracket = placeholder.find('[');
    for (const auto& [name, what] : words) {
      // "name[*]" marks every {name[key]}.
      const bool every_key =
          bracket != std::string::npos &&
          name == placeholder.substr(0, bracket) + "[*]";
      if (placeholder == name || every_key) {
        words_.push_back({i, what});
        break;
      }
    }
  }
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
