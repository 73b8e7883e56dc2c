// Shared by the fuzz targets (tests/fuzz/*_fuzz.cc): the invariant check
// that stops a run, and JSON string quoting.
//
// A target is a libFuzzer entry point, LLVMFuzzerTestOneInput. Built with
// -Dfuzzing=true (tools/fuzz) it is a libFuzzer binary; in every build it is
// also linked with replay_test.cc, which runs it once on every file of its
// corpus (tests/fuzz/corpus/<target>/) as one gtest each (suite fuzz_replay).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace mlb::fuzz {

// An invariant that does not hold: prints what and aborts, which libFuzzer
// reports as a crash (and saves the input) and fails the replay test.
inline void Check(bool holds, const std::string& what,
                  const std::string& detail) {
  if (!holds) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n%s\n", what.c_str(),
                 detail.c_str());
    std::abort();
  }
}

// `text` as a JSON string literal: quotes, backslashes and control
// characters escaped, everything else (valid UTF-8, as the reader checked)
// as is.
inline std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", byte);
      out += escape;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace mlb::fuzz
