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

#include <cstddef>
#include <cstdint>
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

class Reader {
 public:
  // Poco's default nesting limit, kept so that the same documents pass.
  static constexpr int kMaxDepth = 128;

  // Where a value starts, to come back to it with Seek().
  struct Mark {
    size_t offset = 0;
    int depth = 0;
  };

  explicit Reader(std::string_view text);

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  // The start of the next value (whitespace skipped).
  Mark Here();
  // Returns to a value marked before; it is read again from its start.
  void Seek(const Mark& mark);

  // Skips whitespace and classifies the next value without consuming it.
  // kBad at the end of the text or on a byte no value starts with.
  Kind Peek();

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
  bool NextElement();

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
    // The common case of compact JSON: no whitespace at all.
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ') {
      const char c = *p_;
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      ++p_;
    }
  }
  // Consumes '{' or '[' and opens a container one level deeper.
  void Open(uint8_t state);
  // Past the closing quote of the string that starts at p_ (its opening
  // quote), checking it; returns whether it has escapes.
  bool ScanString();
  // Decodes the escapes of [from, to) (checked) into scratch_.
  void DecodeString(const char* from, const char* to);
  // Consumes `word` (true, false or null) or fails.
  void SkipLiteral(const char* word, size_t size);
  // Checks the multi-byte UTF-8 sequence at p_ and moves past it.
  void CheckUtf8();

  const char* begin_;
  const char* p_;
  const char* end_;
  int depth_ = 0;
  bool last_escaped_ = false;
  uint8_t state_[kMaxDepth + 1] = {};
  std::string scratch_;
};

}  // namespace mlb::json
