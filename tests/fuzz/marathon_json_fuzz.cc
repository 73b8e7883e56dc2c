// Fuzz target: Marathon's /v2/apps answer through ParseApps, the streaming
// reader (core/marathon/apps.cc, json_reader.cc).
//
// Invariants, on any bytes:
//   - an error is a Status with a message, and leaves no app and no warning;
//   - the document read in chunks (1, 7 and 4096 bytes) reads exactly as in
//     memory: same apps, warnings and error;
//   - the Poco-tree parser ParseApps replaced (tests/marathon/
//     apps_poco_oracle.cc) reads the same apps and warnings and refuses the
//     same documents (the reader's promise, json_reader.h), but for inputs
//     with a 0xFF byte (Poco took {"apps":[]} followed by 0xFF bytes);
//   - every app has an id, and its id and labels written back as JSON read
//     back the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/marathon/apps.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/marathon/apps_poco_oracle.h"

namespace mlb::fuzz {
namespace {

std::string Outcome(const Status& status, const std::vector<App>& apps,
                    const std::vector<std::string>& warnings) {
  return status.message() + "\n" +
         mlb::testing::DescribeApps(status, apps, warnings);
}

// The app's id and labels as a document of its own.
std::string IdAndLabels(const App& app) {
  std::string json = "{\"apps\":[{\"id\":" + JsonString(app.id) +
                     ",\"labels\":{";
  bool first = true;
  for (const auto& [key, value] : app.labels) {
    json += first ? "" : ",";
    json += JsonString(key) + ":" + JsonString(value);
    first = false;
  }
  return json + "}}]}";
}

void CheckRoundTrip(const App& app) {
  const std::string json = IdAndLabels(app);
  std::vector<App> again;
  std::vector<std::string> warnings;
  const Status status = ParseApps(json, &again, &warnings);
  Check(status.ok() && again.size() == 1 && warnings.empty() &&
            again[0].id == app.id && again[0].labels == app.labels,
        "an app's id and labels read back the same",
        json + "\n" + Outcome(status, again, warnings));
}

}  // namespace
}  // namespace mlb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlb;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<App> apps;
  std::vector<std::string> warnings;
  const Status status = ParseApps(text, &apps, &warnings);
  fuzz::Check(status.ok() || !status.message().empty(),
              "an error has a message", "");
  fuzz::Check(status.ok() || (apps.empty() && warnings.empty()),
              "an error leaves no app and no warning",
              fuzz::Outcome(status, apps, warnings));
  const std::string in_memory = fuzz::Outcome(status, apps, warnings);

  for (const size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    size_t at = 0;
    const AppSource source = [&](char* buffer, size_t want) {
      const size_t n = std::min(want, size - at);
      std::copy(text.data() + at, text.data() + at + n, buffer);
      at += n;
      return n;
    };
    std::vector<App> chunked_apps;
    std::vector<std::string> chunked_warnings;
    const Status chunked_status =
        ParseApps(source, chunk, &chunked_apps, &chunked_warnings);
    const std::string chunked =
        fuzz::Outcome(chunked_status, chunked_apps, chunked_warnings);
    fuzz::Check(chunked == in_memory,
                "read in chunks as in memory",
                "chunk " + std::to_string(chunk) + "\n-- in memory:\n" +
                    in_memory + "\n-- in chunks:\n" + chunked);
  }

  // Poco's parser accepts a document followed by 0xFF bytes, which the
  // reader refuses (corpus file poco_trailing_ff.json): no comparison there.
  if (text.find('\xff') != std::string_view::npos) {
    for (const App& app : apps) {
      fuzz::CheckRoundTrip(app);
    }
    return 0;
  }
  std::vector<App> poco_apps;
  std::vector<std::string> poco_warnings;
  const Status poco_status =
      mlb::testing::ParseAppsWithPoco(text, &poco_apps, &poco_warnings);
  const std::string streaming =
      mlb::testing::DescribeApps(status, apps, warnings);
  const std::string poco =
      mlb::testing::DescribeApps(poco_status, poco_apps, poco_warnings);
  fuzz::Check(streaming == poco, "read as the Poco tree reads it",
              "-- streaming:\n" + in_memory + "\n-- poco:\n" +
                  poco_status.message() + "\n" + poco);

  for (const App& app : apps) {
    fuzz::Check(!app.id.empty(), "every app has an id", in_memory);
    fuzz::CheckRoundTrip(app);
  }
  return 0;
}
