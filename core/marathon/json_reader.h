// A pull reader for JSON text held in memory.
//
// Built for ParseApps: Marathon's /v2/apps answer is tens of megabytes of
// which marathon-lb reads a few percent, so the reader never builds a tree.
// The caller walks the document (EnterObject/NextMember, EnterArray/
// NextElement), reads the values it wants and skips the others; skipping
// allocates nothing, and strings without escapes are returned as views into
// the input.
//
// The reader is strict (RFC 8259) and checks everything it passes over,
// skipped values included, so a document it accepts is one Poco's parser
// (which marathon-lb used before) accepts too, and the other way round:
//   - strings: escapes \" \\ \/ \b \f \n \r \t \uXXXX, surrogate pairs
//     decoded to UTF-8, lone surrogates refused; raw bytes must be valid
//     UTF-8 (no overlong forms, no surrogates) and no control character;
//   - numbers: JSON's grammar; an integer (no fraction, no exponent) must
//     fit int64 or uint64, other numbers a double (underflow reads as 0);
//   - at most kMaxDepth nested objects and arrays;
//   - after the top-level value only whitespace.
// A violation throws SyntaxError with the byte offset where it was found.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mlb::json {

// Malformed JSON: what was wrong and the offset (in bytes) where.
struct SyntaxError {
  std::string reason;
  size_t offset = 0;
};

// The kind of a value, known from its first byte.
enum class Kind {
  kObject,
  kArray,
  kString,
  kNumber,
  kTrue,
  kFalse,
  kNull,
  kBad
};

// A number as JSON wrote it: integers that fit int64 stay integers (kInt),
// larger positive ones that fit uint64 are kUint, anything with a fraction or
// an exponent is a double. (This is how Poco classified numbers, and the
// messages of ParseApps depend on it.)
struct Number {
  enum Type { kInt, kUint, kDouble };
  Type type = kInt;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

// The kind of value that starts with each byte (kBad for most), so that
// Peek() is a table look-up.
constexpr std::array<Kind, 256> MakeKindTable() {
  std::array<Kind, 256> kinds{};
  for (Kind& kind : kinds) {
    kind = Kind::kBad;
  }
  kinds['{'] = Kind::kObject;
  kinds['['] = Kind::kArray;
  kinds['"'] = Kind::kString;
  kinds['t'] = Kind::kTrue;
  kinds['f'] = Kind::kFalse;
  kinds['n'] = Kind::kNull;
  kinds['-'] = Kind::kNumber;
  for (char digit = '0'; digit <= '9'; ++digit) {
    kinds[static_cast<unsigned char>(digit)] = Kind::kNumber;
  }
  return kinds;
}
inline constexpr std::array<Kind, 256> kKindOf = MakeKindTable();

class Reader {
 public:
  // Poco's default nesting limit, kept so that the same documents pass.
  static constexpr int kMaxDepth = 128;

  // Where a value starts, to come back to it with Seek().
  struct Mark {
    size_t offset = 0;
    int depth = 0;
  };

  // Fills up to `size` bytes at `buffer`; returns how many, 0 at the end.
  using Source = std::function<size_t(char* buffer, size_t size)>;

  explicit Reader(std::string_view text);
  // Reads the document from `source` in chunks of about `chunk` bytes,
  // keeping in memory only the part not yet read (see Pin()). The document
  // is accepted or refused exactly as the same bytes in memory would be,
  // with the same messages and offsets.
  //
  // How: a light pre-scan (strings and nesting only) finds the points
  // right after a '{', '[', ',', ':', ']' or '}' at nesting depth 2 or less
  // (between the elements of {"apps": [...]}, say), and the reader is given
  // text up to the last such point. So a chunk boundary never falls inside a
  // token or inside an element at depth 3: the reader only runs out of text
  // where it skips whitespace, and that is where it asks for more.
  Reader(Source source, size_t chunk);

  // Offsets of the document (not of the buffer).
  size_t offset() const { return base_ + static_cast<size_t>(p_ - data_); }
  // Streaming: text from `offset` on stays available to Seek() (e.g. the
  // start of the element being read) until Unpin(); text before both the
  // pin and the current position may be dropped when more is read.
  void Pin(size_t offset) { pin_ = offset; }
  void Unpin() { pin_ = kNoPin; }
  // The start of the next value (whitespace skipped).
  Mark Here();
  // Returns to a value marked before; it is read again from its start.
  void Seek(const Mark& mark);

  // Skips whitespace and classifies the next value without consuming it.
  // kBad at the end of the text or on a byte no value starts with.
  Kind Peek() {
    SkipSpace();
    if (p_ == end_) {
      return Kind::kBad;
    }
    return kKindOf[static_cast<unsigned char>(*p_)];
  }

  // Objects:
  //   reader.EnterObject();
  //   std::string_view key;
  //   while (reader.NextMember(&key)) { read or skip exactly one value }
  // The key view stays valid until the next string is read.
  void EnterObject();
  bool NextMember(std::string_view* key);
  // Arrays:
  //   reader.EnterArray();
  //   while (reader.NextElement()) { read or skip exactly one value }
  void EnterArray();
  bool NextElement() {
    SkipSpace();
    uint8_t& state = state_[depth_];
    if (p_ == end_) {
      Fail("expected an element or ']'");
    }
    if (*p_ == ']') {
      // After a ',' the caller reads a value, so a ']' here never follows
      // one.
      ++p_;
      --depth_;
      return false;
    }
    if (state & kFresh) {
      state &= static_cast<uint8_t>(~kFresh);
      return true;
    }
    if (*p_ != ',') {
      Fail("expected ',' or ']' after an array element");
    }
    ++p_;
    return true;
  }

  // The decoded string. The view points into the input when the string has
  // no escapes, else into a buffer of the reader that the next string read
  // overwrites.
  std::string_view ReadString();
  // Whether the last string read (a value or a member name) had escapes:
  // only such a string can contain a NUL, say.
  bool last_string_escaped() const { return last_escaped_; }
  Number ReadNumber();
  bool ReadBool();
  void ReadNull();
  // Skips one value of any kind, checking it all the same.
  void SkipValue();
  // True (and consumed) when the next value is null.
  bool SkipNull();

  // After the top-level value: fails unless only whitespace is left.
  void ExpectEnd();

  [[noreturn]] void Fail(const char* reason) const;
  [[noreturn]] void FailAt(const char* at, const char* reason) const;

 private:
  // State of one open container (state_[depth]): whether it has had no
  // member or element yet, and whether it is an object.
  enum : uint8_t { kFresh = 1, kIsObject = 2 };

  void SkipSpace() {
    // The common case of compact JSON: no whitespace at all, one test.
    if (__builtin_expect(
            p_ != end_ && static_cast<unsigned char>(*p_) > ' ', 1)) {
      return;
    }
    SkipSpaceSlow();
  }
  // SkipSpace() at whitespace, a control character or the end of the text.
  void SkipSpaceSlow();
  // SkipSpace() at the end of the text given so far: asks for more.
  void SkipSpaceStreaming();
  // Streaming: reads until the text given to the reader grows (false at the
  // end of the document).
  bool More();
  // Pre-scans buf_ from scanned_ on, moving safe_ to the last safe point.
  void PreScan();

  static constexpr size_t kNoPin = static_cast<size_t>(-1);
  // Consumes '{' or '[' and opens a container one level deeper.
  void Open(uint8_t state);
  // Past the closing quote of the string that starts at p_ (its opening
  // quote), checking it; returns whether it has escapes.
  bool ScanString();
  // ScanString() from p_ at the first byte of the string that is not plain
  // text (a quote, backslash, control or non-ASCII byte, or the end).
  bool ScanStringRest(const char* opening);
  // NextMember(); with kDecode false the name is checked but not decoded
  // and *key is left alone (for SkipValue).
  template <bool kDecode>
  bool NextName(std::string_view* key);
  // NextName() in general (whitespace, escapes, errors).
  template <bool kDecode>
  bool NextNameSlow(std::string_view* key);
  // SkipValue() of a number: checked like ReadNumber(), value not kept.
  void SkipNumber();
  // Consumes a short integer (up to 18 digits, no fraction or exponent)
  // followed by more text; false, having consumed nothing, otherwise.
  bool QuickNumber();
  // At a '[': consumes an array of short integers with no whitespace (all
  // checked) and returns true; else consumes nothing and returns false.
  bool QuickIntegers();
  // SkipValue() of any value, containers included.
  void SkipAny();
  // Decodes the escapes of [from, to) (checked) into scratch_.
  void DecodeString(const char* from, const char* to);
  // Consumes `word` (true, false or null) or fails.
  void SkipLiteral(const char* word, size_t size);
  // Checks the multi-byte UTF-8 sequence at p_ and moves past it.
  void CheckUtf8();

  const char* data_;  // document offset base_
  size_t base_ = 0;
  const char* p_;
  const char* end_;
  int depth_ = 0;
  bool last_escaped_ = false;
  uint8_t state_[kMaxDepth + 1] = {};
  std::string scratch_;

  // Streaming only.
  bool streaming_ = false;
  Source source_;
  size_t chunk_ = 0;
  std::string buf_;        // document bytes [base_, base_ + buf_.size())
  size_t pin_ = kNoPin;    // document offset kept for Seek()
  size_t scanned_ = 0;     // buf_ index the pre-scan has reached
  size_t safe_ = 0;        // buf_ index of the last safe point
  int scan_depth_ = 0;
  bool scan_in_string_ = false;
  bool scan_escape_ = false;
  bool source_done_ = false;
};

}  // namespace mlb::json
