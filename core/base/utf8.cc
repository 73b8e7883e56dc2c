#include "core/base/utf8.h"

#include <cstdio>

namespace mlb {
namespace {

// Invisible and space characters other than ASCII space and tab. They
// separate nothing (HAProxy, for one, separates words with ASCII space and tab
// only); they only make a value look like something it is not (a vhost that
// matches no request, a keyword hidden behind a no-break space, bidi controls
// that reorder what a reviewer sees).
struct CodePointRange {
  uint32_t first;
  uint32_t last;
  std::string_view name;
};
constexpr CodePointRange kRefusedCodePoints[] = {
    {0x00A0, 0x00A0, "no-break space"},
    {0x00AD, 0x00AD, "soft hyphen"},
    {0x061C, 0x061C, "bidi mark"},
    {0x115F, 0x1160, "Hangul filler"},
    {0x1680, 0x1680, "ogham space mark"},
    {0x180E, 0x180E, "mongolian vowel separator"},
    {0x2000, 0x200A, "Unicode space"},
    {0x200B, 0x200B, "zero width space"},
    {0x200C, 0x200D, "zero width joiner"},
    {0x200E, 0x200F, "bidi mark"},
    {0x2028, 0x2029, "Unicode line separator"},
    {0x202A, 0x202E, "bidi control"},
    {0x202F, 0x202F, "narrow no-break space"},
    {0x205F, 0x205F, "medium mathematical space"},
    {0x2060, 0x2060, "word joiner"},
    {0x2061, 0x2064, "invisible operator"},
    {0x2066, 0x2069, "bidi control"},
    {0x206A, 0x206F, "deprecated format character"},
    {0x3000, 0x3000, "ideographic space"},
    {0x3164, 0x3164, "Hangul filler"},
    {0xFEFF, 0xFEFF, "zero width no-break space"},
    {0xFFA0, 0xFFA0, "Hangul filler"},
    {0xE0001, 0xE0001, "language tag"},
    {0xE0020, 0xE007F, "tag character"},
};

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", cp);
  return buf;
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

const CodePointRange* RefusedCodePoint(uint32_t cp) {
  for (const CodePointRange& range : kRefusedCodePoints) {
    if (cp >= range.first && cp <= range.last) {
      return &range;
    }
  }
  return nullptr;
}

}  // namespace

bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  size_t len = 0;
  uint32_t value = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    *cp = c;
    ++*i;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, value = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, value = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, value = c & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (*i + len > s.size()) {
    return false;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char next = static_cast<unsigned char>(s[*i + k]);
    if ((next & 0xC0) != 0x80) {
      return false;
    }
    value = (value << 6) | (next & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return false;
  }
  *cp = value;
  *i += len;
  return true;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  size_t copied = 0;  // text[0, copied) is in out
  size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t start = i;
    if (!NextCodePoint(text, &i, &cp)) {
      out.append(text.substr(copied, start - copied));
      out += "\xef\xbf\xbd";  // U+FFFD
      i = start + 1;
      copied = i;
    }
  }
  if (copied == 0) {
    return std::string(text);
  }
  out.append(text.substr(copied));
  return out;
}

std::string Show(std::string_view value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    const size_t start = i;
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x",
                    static_cast<unsigned char>(value[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x80 && IsControl(cp)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", cp);
      out += buf;
    } else if (IsControl(cp) || RefusedCodePoint(cp) != nullptr) {
      char buf[12];
      std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      out += buf;
    } else {
      out.append(value.substr(start, i - start));
    }
  }
  return out;
}

std::string BadCharacter(std::string_view value, bool lines) {
  size_t i = 0;
  for (size_t n = 1; i < value.size(); ++n) {
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      return "is not UTF-8 at byte " + std::to_string(i + 1);
    }
    if (lines && (cp == '\n' || cp == '\t')) {
      continue;
    }
    if (IsControl(cp)) {
      const std::string what = cp == '\n'   ? "a newline"
                               : cp == '\r' ? "a carriage return"
                               : cp == '\t' ? "a tab"
                                            : "a control character";
      return "has " + what + " (" + CodePointName(cp) + ") at character " +
             std::to_string(n);
    }
    if (const CodePointRange* range = RefusedCodePoint(cp)) {
      return "has " + CodePointName(cp) + " (" + std::string(range->name) +
             ") at character " + std::to_string(n);
    }
  }
  return "";
}

}  // namespace mlb
