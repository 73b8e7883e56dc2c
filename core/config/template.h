// One marathon-lb template, compiled once and rendered many times.
//
// Operators write templates in marathon-lb's syntax, which is a subset of
// Python's str.format: "{name}" is a placeholder, "{{" and "}}" are literal
// braces. Compile() translates that text into a ctemplate template (switching
// ctemplate's delimiters to a pair that appears nowhere in the literal text)
// and records the placeholder names. "Verbatim" templates (those marathon-lb
// never formatted, such as the global head) keep their braces as written.
//
// Thread-safety: a compiled Template is immutable; Render() may be called from
// several threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "mlb/plugin/sdk.h"

namespace ctemplate {
class Template;
}

namespace mlb {

class Template {
 public:
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  // Compiles `text`. `name` is only used in error messages (a template name,
  // or "label HAPROXY_0_<NAME>").
  //
  // Errors (exact message shapes, `<name>` as given):
  //   "<name>: single '}' at offset N"               lone closing brace
  //   "<name>: unclosed '{' at offset N"             '{' without a matching '}'
  //   "<name>: unsupported placeholder '{X}' at offset N: only {name} and
  //    {name[key]} are supported"
  //       for "{}", "{0}", "{a.b}", "{a!r}", "{a:>5}", names with spaces or
  //       other characters outside [A-Za-z0-9_] or starting with a digit.
  //   "{name[key]}" (Python's mapping index) is a placeholder of its own,
  //   named "name[key]".
  //   "<name>: ctemplate rejected the template: ..."  (should not happen)
  static Status Compile(std::string_view name, std::string_view text,
                        bool verbatim, std::unique_ptr<Template>* out);

  const std::string& name() const { return name_; }
  bool verbatim() const { return verbatim_; }
  // The original marathon-lb text.
  const std::string& source() const { return source_; }
  // Distinct placeholder names in order of first appearance.
  const std::vector<std::string>& placeholders() const { return placeholders_; }
  // True when the template renders to the empty string whatever the values.
  bool empty() const { return source_.empty(); }

  // Renders with `vars` (values inserted as they are: never re-parsed, never
  // escaped), appending to *out. Every placeholder must have a value in
  // `vars` (extra entries are ignored). A missing one fails with
  //   "<name>: unknown placeholder {X}"
  // naming the first missing placeholder in order of appearance; nothing is
  // appended then.
  Status Render(const sdk::Vars& vars, std::string* out) const;

  // A placeholder whose value, from Marathon, must stay one word of a
  // config line (CheckPlaceholderWords): its index in placeholders() and
  // what it is ("the health check path").
  struct Word {
    size_t placeholder;
    std::string what;
  };
  // Marks the placeholders of `words` (name, what) this template uses; a
  // name "x[*]" marks every {x[key]}. Call before the template is shared.
  void SetWords(const std::vector<std::pair<std::string, std::string>>& words);
  const std::vector<Word>& words() const { return words_; }

  // How many '\n' and '\r' the source text has: a rendering whose values
  // add none has as many (CheckRenderedLines compares the two per line).
  size_t source_newlines() const { return source_newlines_; }
  size_t source_returns() const { return source_returns_; }

  // Returns the first placeholder of this template that is not in
  // `vocabulary`, or "" when all are known. A vocabulary entry "name[*]"
  // admits every "name[key]".
  std::string FirstUnknownPlaceholder(
      const std::vector<std::string>& vocabulary) const;

 private:
  Template() = default;

  std::string name_;
  std::string source_;
  bool verbatim_ = false;
  size_t source_newlines_ = 0;
  size_t source_returns_ = 0;
  std::vector<std::string> placeholders_;
  std::vector<uint32_t> keys_;  // sdk::Vars::Key of each placeholder
  std::vector<Word> words_;
  // How many times each placeholder occurs in the text.
  std::vector<size_t> uses_;
  // Checked by ctemplate at Compile() (null: empty or verbatim); rendering
  // uses parts_, the same template as literal text and placeholder indexes.
  std::unique_ptr<ctemplate::Template> compiled_;
  // Literal text lives in literals_; a part is a slice of it or a
  // placeholder.
  struct Part {
    size_t offset = 0;     // literal: where in literals_
    size_t size = 0;       // literal: how many bytes
    int placeholder = -1;  // index in placeholders_, or -1 for literal text
  };
  std::vector<Part> parts_;
  std::string literals_;
  size_t literal_size_ = 0;
};

}  // namespace mlb
