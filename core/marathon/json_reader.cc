#include "core/marathon/json_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/base/text.h"

namespace mlb::json {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The first byte at or after `s` that ends the plain run of a string: a
// quote, a backslash, a control character or a non-ASCII byte (which needs
// its UTF-8 checked). Returns `end` when there is none. Inlined: it runs
// for every string, most of them short.
__attribute__((always_inline)) inline const char* FindSpecial(const char* s,
                                                              const char* end) {
#ifdef __SSE2__
  // Sixteen bytes per step: most of Marathon's JSON is string contents.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  // A signed compare: bytes 0x80-0xFF are negative, so "< 0x20" catches
  // them together with the control characters.
  const __m128i space = _mm_set1_epi8(0x20);
  while (end - s >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
        _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) {
      return s + __builtin_ctz(static_cast<unsigned>(mask));
    }
    s += 16;
  }
#endif
  for (; s < end; ++s) {
    const unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
      return s;
    }
  }
  return end;
}

// Reads four hex digits at `s` (end checked by the caller); -1 if one is not.
long Hex4(const char* s) {
  long value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = HexValue(s[i]);
    if (digit < 0) {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

// A double from JSON's number syntax (already checked), false when it is
// too large for a double: Poco refused those. from_chars rounds correctly,
// like the double-conversion code Poco used.
bool ParseDouble(const char* begin, const char* end, double* value) {
  const std::from_chars_result r = std::from_chars(begin, end, *value);
  if (r.ec != std::errc::result_out_of_range) {
    return true;
  }
  // Out of range: the decimal exponent of the first significant digit
  // tells overflow from underflow (which Poco read as zero).
  const bool negative = *begin == '-';
  const char* s = negative ? begin + 1 : begin;
  const char* mantissa_end = s;
  while (mantissa_end < end && *mantissa_end != 'e' && *mantissa_end != 'E') {
    ++mantissa_end;
  }
  const char* point = s;
  while (point < mantissa_end && *point != '.') {
    ++point;
  }
  long lead = 0;
  for (const char* t = s; t < mantissa_end; ++t) {
    if (*t != '.' && *t != '0') {
      lead = t < point ? static_cast<long>(point - t - 1)
                       : -static_cast<long>(t - point);
      break;
    }
  }
  long exponent = 0;
  if (mantissa_end < end) {
    const char* t = mantissa_end + 1;
    const bool exponent_negative = *t == '-';
    for (; t < end; ++t) {
      if (IsDigit(*t) && exponent < 1000000) {
        exponent = exponent * 10 + (*t - '0');
      }
    }
    if (exponent_negative) {
      exponent = -exponent;
    }
  }
  if (lead + exponent > 0) {
    return false;
  }
  *value = negative ? -0.0 : 0.0;
  return true;
}

}  // namespace

Reader::Reader(std::string_view text)
    : data_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

Reader::Reader(Source source, size_t chunk)
    : data_(nullptr),
      p_(nullptr),
      end_(nullptr),
      source_(std::move(source)),
      chunk_(chunk == 0 ? 1 : chunk) {
  data_ = p_ = end_ = buf_.data();
  streaming_ = true;
}

void Reader::SkipSpaceSlow() {
  while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ') {
    const char c = *p_;
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return;
    }
    ++p_;
  }
  if (p_ == end_ && streaming_) {
    SkipSpaceStreaming();
  }
}

void Reader::SkipSpaceStreaming() {
  while (p_ == end_ && More()) {
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ') {
      const char c = *p_;
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      ++p_;
    }
  }
}

void Reader::PreScan() {
  const char* const b = buf_.data();
  const size_t n = buf_.size();
  size_t i = scanned_;
  while (i < n) {
    if (scan_in_string_) {
      if (scan_escape_) {
        scan_escape_ = false;
        ++i;
        continue;
      }
      // The next quote or backslash.
      const char* q = static_cast<const char*>(memchr(b + i, '"', n - i));
      const size_t stop = q == nullptr ? n : static_cast<size_t>(q - b);
      const char* bs = static_cast<const char*>(memchr(b + i, '\\', stop - i));
      if (bs != nullptr) {
        i = static_cast<size_t>(bs - b) + 1;
        scan_escape_ = true;
        continue;
      }
      if (q == nullptr) {
        i = n;
        break;
      }
      scan_in_string_ = false;
      i = stop + 1;
      continue;
    }
    switch (b[i]) {
      case '"':
        scan_in_string_ = true;
        break;
      case '{':
      case '[':
        if (++scan_depth_ <= 2) {
          safe_ = i + 1;
        }
        break;
      case '}':
      case ']':
        if (--scan_depth_ <= 2) {
          safe_ = i + 1;
        }
        break;
      case ',':
      case ':':
        if (scan_depth_ <= 2) {
          safe_ = i + 1;
        }
        break;
      default:
        break;
    }
    ++i;
  }
  scanned_ = i;
}

bool Reader::More() {
  size_t p = static_cast<size_t>(p_ - data_);    // buffer indexes
  size_t end = static_cast<size_t>(end_ - data_);
  bool more = true;
  while (safe_ <= end) {
    if (source_done_) {
      // The end of the document: the reader gets all of it.
      more = buf_.size() > end;
      safe_ = buf_.size();
      break;
    }
    // Drop what is behind both the reader and the pin, when that is at
    // least half of the buffer (so each byte moves about once).
    const size_t keep = pin_ == kNoPin ? p : std::min(p, pin_ - base_);
    if (keep > 0 && keep >= buf_.size() / 2) {
      buf_.erase(0, keep);
      base_ += keep;
      scanned_ -= keep;
      safe_ = safe_ > keep ? safe_ - keep : 0;
      p -= keep;
      end -= keep;
    }
    const size_t size = buf_.size();
    buf_.resize(size + chunk_);
    const size_t got = source_(&buf_[size], chunk_);
    buf_.resize(size + got);
    if (got == 0) {
      source_done_ = true;
    } else {
      PreScan();
    }
  }
  data_ = buf_.data();
  p_ = data_ + p;
  end_ = data_ + (more ? safe_ : end);
  return more;
}

void Reader::Fail(const char* reason) const { FailAt(p_, reason); }

void Reader::FailAt(const char* at, const char* reason) const {
  std::string text = reason;
  if (at >= end_) {
    text = "unexpected end of text (" + text + ")";
  }
  throw SyntaxError{std::move(text),
                    base_ + static_cast<size_t>(at - data_)};
}

Reader::Mark Reader::Here() {
  SkipSpace();
  return Mark{offset(), depth_};
}

void Reader::Seek(const Mark& mark) {
  p_ = data_ + (mark.offset - base_);
  depth_ = mark.depth;
}

void Reader::Open(uint8_t state) {
  if (depth_ >= kMaxDepth) {
    Fail("objects and arrays nested deeper than 128 levels");
  }
  ++p_;
  state_[++depth_] = state;
}

void Reader::EnterObject() {
  SkipSpace();
  if (p_ == end_ || *p_ != '{') {
    Fail("expected an object");
  }
  Open(kFresh | kIsObject);
}

void Reader::EnterArray() {
  SkipSpace();
  if (p_ == end_ || *p_ != '[') {
    Fail("expected an array");
  }
  Open(kFresh);
}

void Reader::CheckUtf8() {
  // Well-formed UTF-8 (RFC 3629): the second byte's range depends on the
  // first, which rules out overlong forms, surrogates and code points above
  // U+10FFFF.
  const unsigned char* s = reinterpret_cast<const unsigned char*>(p_);
  const unsigned char* end = reinterpret_cast<const unsigned char*>(end_);
  const unsigned char c = s[0];
  int length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) {
      low = 0xA0;
    } else if (c == 0xED) {
      high = 0x9F;
    }
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) {
      low = 0x90;
    } else if (c == 0xF4) {
      high = 0x8F;
    }
  } else {
    Fail("invalid UTF-8 in string");
  }
  if (end - s < length) {
    Fail("invalid UTF-8 in string");
  }
  if (s[1] < low || s[1] > high) {
    Fail("invalid UTF-8 in string");
  }
  for (int i = 2; i < length; ++i) {
    if (s[i] < 0x80 || s[i] > 0xBF) {
      Fail("invalid UTF-8 in string");
    }
  }
  p_ += length;
}

// Inline: it runs for every string and member name, and most of them are
// plain, which takes a few instructions here.
inline bool Reader::ScanString() {
  // Most strings are plain: the first special byte is the closing quote.
  const char* q = FindSpecial(p_ + 1, end_);
  if (__builtin_expect(q != end_ && *q == '"', 1)) {
    p_ = q + 1;
    return false;
  }
  const char* opening = p_;
  p_ = q;
  return ScanStringRest(opening);
}

bool Reader::ScanStringRest(const char* opening) {
  bool escaped = false;
  for (;; p_ = FindSpecial(p_, end_)) {
    if (p_ == end_) {
      FailAt(opening, "unterminated string");
    }
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return escaped;
    }
    if (c == '\\') {
      escaped = true;
      if (end_ - p_ < 2) {
        FailAt(opening, "unterminated string");
      }
      switch (p_[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          p_ += 2;
          continue;
        case 'u':
          break;
        default:
          Fail("invalid escape in string");
      }
      // Digit by digit: a byte that is not a hex digit makes the escape
      // invalid even where the text ends a few bytes later. A streaming
      // reader's text may end right after the closing quote of "\u0", and
      // it must say what the whole document says.
      for (int i = 2; i < 6; ++i) {
        if (p_ + i == end_) {
          FailAt(opening, "unterminated string");
        }
        if (HexValue(p_[i]) < 0) {
          Fail("invalid \\u escape in string");
        }
      }
      const long cp = Hex4(p_ + 2);
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        Fail("\\u escape of a lone low surrogate");
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (end_ - p_ < 12 || p_[6] != '\\' || p_[7] != 'u') {
          Fail("\\u escape of a high surrogate without its low surrogate");
        }
        const long low = Hex4(p_ + 8);
        if (low < 0xDC00 || low > 0xDFFF) {
          Fail("\\u escape of a high surrogate without its low surrogate");
        }
        p_ += 12;
      } else {
        p_ += 6;
      }
      continue;
    }
    if (c < 0x20) {
      Fail("unescaped control character in string");
    }
    CheckUtf8();
  }
}

inline void Reader::SkipLiteral(const char* word, size_t size) {
  if (static_cast<size_t>(end_ - p_) < size) {
    Fail("invalid literal");
  }
  for (size_t i = 0; i < size; ++i) {
    if (p_[i] != word[i]) {
      Fail("invalid literal");
    }
  }
  p_ += size;
}

template <bool kDecode>
inline bool Reader::NextName(std::string_view* key) {
  // Compact JSON: ',' (or nothing before the first member), a plain name
  // and ':' right after it. Anything else takes the general path below,
  // from the same place.
  uint8_t& state = state_[depth_];
  const char* name = nullptr;
  if ((state & kFresh) != 0) {
    if (p_ < end_ && *p_ == '"') {
      name = p_ + 1;
    }
  } else if (end_ - p_ >= 2 && p_[0] == ',' && p_[1] == '"') {
    name = p_ + 2;
  }
  if (name != nullptr) {
    const char* close = FindSpecial(name, end_);
    if (end_ - close >= 2 && close[0] == '"' && close[1] == ':') {
      state &= static_cast<uint8_t>(~kFresh);
      if (kDecode) {
        last_escaped_ = false;
        *key = std::string_view(name, static_cast<size_t>(close - name));
      }
      p_ = close + 2;
      return true;
    }
  }
  return NextNameSlow<kDecode>(key);
}

template <bool kDecode>
bool Reader::NextNameSlow(std::string_view* key) {
  SkipSpace();
  uint8_t& state = state_[depth_];
  if (p_ == end_) {
    Fail("expected a member or '}'");
  }
  if (*p_ == '}') {
    ++p_;
    --depth_;
    return false;
  }
  if (state & kFresh) {
    state &= static_cast<uint8_t>(~kFresh);
  } else {
    if (*p_ != ',') {
      Fail("expected ',' or '}' after an object member");
    }
    ++p_;
    SkipSpace();
  }
  if (p_ == end_ || *p_ != '"') {
    Fail("expected a member name (a string)");
  }
  const char* start = p_ + 1;
  const bool escaped = ScanString();
  if (kDecode) {
    last_escaped_ = escaped;
    if (escaped) {
      DecodeString(start, p_ - 1);
      *key = scratch_;
    } else {
      *key = std::string_view(start, static_cast<size_t>(p_ - 1 - start));
    }
  }
  // Compact JSON: the colon right after the name.
  if (p_ == end_ || *p_ != ':') {
    SkipSpace();
    if (p_ == end_ || *p_ != ':') {
      Fail("expected ':' after a member name");
    }
  }
  ++p_;
  return true;
}

bool Reader::NextMember(std::string_view* key) { return NextName<true>(key); }

void Reader::DecodeString(const char* from, const char* to) {
  // Escapes were checked by ScanString.
  scratch_.clear();
  while (from < to) {
    const char* slash = static_cast<const char*>(
        std::memchr(from, '\\', static_cast<size_t>(to - from)));
    if (slash == nullptr) {
      scratch_.append(from, to);
      return;
    }
    scratch_.append(from, slash);
    const char e = slash[1];
    from = slash + 2;
    switch (e) {
      case 'b':
        scratch_.push_back('\b');
        break;
      case 'f':
        scratch_.push_back('\f');
        break;
      case 'n':
        scratch_.push_back('\n');
        break;
      case 'r':
        scratch_.push_back('\r');
        break;
      case 't':
        scratch_.push_back('\t');
        break;
      case 'u': {
        unsigned long cp = static_cast<unsigned long>(Hex4(slash + 2));
        from = slash + 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const unsigned long low = static_cast<unsigned long>(Hex4(slash + 8));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          from = slash + 12;
        }
        AppendUtf8(cp, &scratch_);
        break;
      }
      default:  // '"', '\\', '/'
        scratch_.push_back(e);
        break;
    }
  }
}

std::string_view Reader::ReadString() {
  SkipSpace();
  if (p_ == end_ || *p_ != '"') {
    Fail("expected a string");
  }
  const char* start = p_ + 1;
  last_escaped_ = ScanString();
  if (!last_escaped_) {
    return std::string_view(start, static_cast<size_t>(p_ - 1 - start));
  }
  DecodeString(start, p_ - 1);
  return scratch_;
}

Number Reader::ReadNumber() {
  SkipSpace();
  const char* start = p_;
  const char* s = p_;
  const bool negative = s < end_ && *s == '-';
  if (negative) {
    ++s;
  }
  if (s == end_ || !IsDigit(*s)) {
    FailAt(s, "expected a digit");
  }
  uint64_t magnitude = 0;
  bool overflow = false;
  if (*s == '0') {
    ++s;
  } else {
    // 19 digits always fit uint64: no overflow check for those.
    const char* no_overflow = s + std::min<ptrdiff_t>(end_ - s, 19);
    for (; s < no_overflow && IsDigit(*s); ++s) {
      magnitude = magnitude * 10 + static_cast<unsigned>(*s - '0');
    }
    for (; s < end_ && IsDigit(*s); ++s) {
      const unsigned digit = static_cast<unsigned>(*s - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        overflow = true;
      } else {
        magnitude = magnitude * 10 + digit;
      }
    }
  }
  bool is_double = false;
  if (s < end_ && *s == '.') {
    ++s;
    if (s == end_ || !IsDigit(*s)) {
      FailAt(s, "expected a digit after the decimal point");
    }
    while (s < end_ && IsDigit(*s)) {
      ++s;
    }
    is_double = true;
  }
  if (s < end_ && (*s == 'e' || *s == 'E')) {
    ++s;
    if (s < end_ && (*s == '+' || *s == '-')) {
      ++s;
    }
    if (s == end_ || !IsDigit(*s)) {
      FailAt(s, "expected a digit in the exponent");
    }
    while (s < end_ && IsDigit(*s)) {
      ++s;
    }
    is_double = true;
  }
  p_ = s;
  Number n;
  if (is_double) {
    n.type = Number::kDouble;
    if (!ParseDouble(start, s, &n.d)) {
      FailAt(start, "number out of the range of doubles");
    }
    return n;
  }
  constexpr uint64_t kInt64Max =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (overflow || (negative && magnitude > kInt64Max + 1)) {
    FailAt(start, "integer out of the range of 64-bit integers");
  }
  if (negative) {
    n.i = magnitude == kInt64Max + 1 ? std::numeric_limits<int64_t>::min()
                                     : -static_cast<int64_t>(magnitude);
  } else if (magnitude <= kInt64Max) {
    n.i = static_cast<int64_t>(magnitude);
  } else {
    n.type = Number::kUint;
    n.u = magnitude;
  }
  return n;
}

bool Reader::ReadBool() {
  SkipSpace();
  if (p_ < end_ && *p_ == 't') {
    SkipLiteral("true", 4);
    return true;
  }
  if (p_ < end_ && *p_ == 'f') {
    SkipLiteral("false", 5);
    return false;
  }
  Fail("expected true or false");
}

void Reader::ReadNull() {
  SkipSpace();
  SkipLiteral("null", 4);
}

bool Reader::SkipNull() {
  SkipSpace();
  if (p_ < end_ && *p_ == 'n') {
    SkipLiteral("null", 4);
    return true;
  }
  return false;
}

inline bool Reader::QuickNumber() {
  // Most skipped numbers are short integers, which cannot be out of range
  // (18 digits always fit int64): only their syntax needs checking here.
  const char* s = p_;
  if (*s == '-') {
    ++s;
  }
  const char* digits = s;
  while (s < end_ && IsDigit(*s)) {
    ++s;
  }
  const size_t n = static_cast<size_t>(s - digits);
  if (n != 0 && n <= 18 && (n == 1 || *digits != '0') && s < end_ &&
      *s != '.' && *s != 'e' && *s != 'E') {
    p_ = s;
    return true;
  }
  return false;
}

bool Reader::QuickIntegers() {
  // [short integer, ...] written compactly, like a task's servicePorts.
  const char* const opening = p_;
  ++p_;
  for (;;) {
    if (p_ == end_ || !(*p_ == '-' || IsDigit(*p_)) || !QuickNumber()) {
      break;
    }
    // QuickNumber() leaves p_ before more text.
    if (*p_ == ']') {
      ++p_;
      return true;
    }
    if (*p_ != ',') {
      break;
    }
    ++p_;
  }
  p_ = opening;
  return false;
}

inline void Reader::SkipNumber() {
  // Anything but a short integer (a fraction, an exponent, a long or
  // malformed number, or one at the end of the text) takes the full check.
  if (!QuickNumber()) {
    ReadNumber();
  }
}

void Reader::SkipValue() {
  // Scalars first: most skipped values are plain strings and short
  // integers, checked here in a few instructions.
  SkipSpace();
  if (p_ != end_) {
    const char c = *p_;
    if (c == '"') {
      const char* close = FindSpecial(p_ + 1, end_);
      if (close != end_ && *close == '"') {
        p_ = close + 1;
        return;
      }
    } else if (c == '-' || IsDigit(c)) {
      if (QuickNumber()) {
        return;
      }
    } else if ((c == '[' || c == '{') && end_ - p_ >= 2 &&
               p_[1] == (c == '[' ? ']' : '}') && depth_ < kMaxDepth) {
      // An empty array or object (the depth limit applies to those too).
      p_ += 2;
      return;
    } else if (c == '[' && depth_ < kMaxDepth && QuickIntegers()) {
      return;
    } else if (c == 'n') {
      SkipLiteral("null", 4);
      return;
    } else if (c == 't') {
      SkipLiteral("true", 4);
      return;
    } else if (c == 'f') {
      SkipLiteral("false", 5);
      return;
    }
  }
  SkipAny();
}

void Reader::SkipAny() {
  const int base = depth_;
  for (;;) {
    SkipSpace();
    if (p_ == end_) {
      Fail("expected a value");
    }
    switch (*p_) {
      case '{':
        Open(kFresh | kIsObject);
        break;
      case '[':
        Open(kFresh);
        break;
      case '"':
        ScanString();
        break;
      case 't':
        SkipLiteral("true", 4);
        break;
      case 'f':
        SkipLiteral("false", 5);
        break;
      case 'n':
        SkipLiteral("null", 4);
        break;
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        SkipNumber();
        break;
      default:
        Fail("expected a value");
    }
    // Move to the next value of the innermost open container, closing the
    // containers that end here; done when back at the starting depth.
    // Member names are checked but not decoded: nobody reads them.
    for (;;) {
      if (depth_ == base) {
        return;
      }
      std::string_view key;
      const bool more = (state_[depth_] & kIsObject) != 0
                            ? NextName<false>(&key)
                            : NextElement();
      if (more) {
        break;
      }
    }
  }
}

void Reader::ExpectEnd() {
  SkipSpace();
  if (p_ != end_) {
    Fail("unexpected data after the top-level value");
  }
}

}  // namespace mlb::json
