// Fuzz target: marathon-lb's `{placeholder}` templates (Python str.format
// syntax) compiled into ctemplate templates (core/config/template.cc), and
// rendered.
//
// The input is the template text. Invariants:
//   - a verbatim template always compiles and renders to its text;
//   - a refused template has a message "<name>: <what> at offset N" (or
//     ctemplate's), naming the template;
//   - a compiled template renders, with every placeholder {p} given the
//     value "{p}", to its text with "{{" and "}}" read as "{" and "}" (what
//     Python's str.format gives); its placeholders are distinct and none is
//     unknown to a vocabulary of themselves;
//   - with one placeholder missing, rendering fails naming the first one
//     and appends nothing;
//   - values without a line end add none (CheckRenderedLines), and values
//     that are plain words pass CheckPlaceholderWords.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/template.h"
#include "core/model/label_policy.h"
#include "tests/fuzz/fuzz_support.h"

namespace mlb::fuzz {
namespace {

constexpr std::string_view kName = "HAPROXY_FUZZ";

// Python's str.format of a text without fields: "{{" is "{", "}}" is "}".
std::string Unescaped(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() &&
        text[i + 1] == text[i]) {
      ++i;
    }
  }
  return out;
}

void CheckVerbatim(std::string_view text) {
  std::unique_ptr<Template> tmpl;
  const Status status = Template::Compile(kName, text, true, &tmpl);
  Check(status.ok(), "a verbatim template compiles", status.message());
  std::string out;
  Check(tmpl->Render(sdk::Vars{}, &out).ok() && out == text,
        "a verbatim template renders to its text", out);
}

}  // namespace
}  // namespace mlb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlb;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::CheckVerbatim(text);

  std::unique_ptr<Template> tmpl;
  const Status status = Template::Compile(fuzz::kName, text, false, &tmpl);
  if (!status.ok()) {
    fuzz::Check(status.message().rfind(std::string(fuzz::kName) + ": ", 0) ==
                        0 &&
                    status.message().size() > fuzz::kName.size() + 2,
                "a refusal names the template", status.message());
    return 0;
  }
  fuzz::Check(tmpl->source() == text, "the source is kept", tmpl->source());

  const std::vector<std::string>& placeholders = tmpl->placeholders();
  fuzz::Check(std::set<std::string>(placeholders.begin(), placeholders.end())
                      .size() == placeholders.size(),
              "placeholders are distinct", "");
  fuzz::Check(tmpl->FirstUnknownPlaceholder(placeholders).empty(),
              "no placeholder is unknown to its own list", "");

  sdk::Vars as_written;
  sdk::Vars words;
  for (const std::string& name : placeholders) {
    fuzz::Check(!name.empty(), "a placeholder has a name", "");
    as_written.Set(name, "{" + name + "}");
    words.Set(name, "w");
  }
  std::string out;
  Status rendered = tmpl->Render(as_written, &out);
  fuzz::Check(rendered.ok(), "every placeholder has a value",
              rendered.message());
  fuzz::Check(out == fuzz::Unescaped(text),
              "placeholders rendered as written give the text unescaped",
              "rendered:\n" + out + "\nexpected:\n" + fuzz::Unescaped(text));

  out.clear();
  rendered = tmpl->Render(words, &out);
  fuzz::Check(rendered.ok(), "plain values render", rendered.message());
  const Status lines = CheckRenderedLines(*tmpl, words, out);
  fuzz::Check(lines.ok(), "values without a line end add none",
              lines.message());
  std::vector<std::pair<std::string, std::string>> all_words;
  for (const std::string& name : placeholders) {
    all_words.push_back({name, "a word"});
  }
  tmpl->SetWords(all_words);
  fuzz::Check(tmpl->words().size() == placeholders.size(),
              "every placeholder is marked a word", "");
  const Status word_check = CheckPlaceholderWords(*tmpl, words);
  fuzz::Check(word_check.ok(), "a plain word passes", word_check.message());

  if (!placeholders.empty()) {
    sdk::Vars missing_first;
    for (size_t i = 1; i < placeholders.size(); ++i) {
      missing_first.Set(placeholders[i], "v");
    }
    out = "kept";
    rendered = tmpl->Render(missing_first, &out);
    fuzz::Check(!rendered.ok() &&
                    rendered.message() ==
                        std::string(fuzz::kName) + ": unknown placeholder {" +
                            placeholders[0] + "}" &&
                    out == "kept",
                "a missing value is named and nothing is appended",
                rendered.message());
  }
  return 0;
}
