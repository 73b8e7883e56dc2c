// Fetches GET /v2/apps?embed=apps.tasks from Marathon.
//
// Each --marathon value is an http:// base URL or "file:PATH" (a saved
// response, for offline rendering). URLs are tried in order; a connection
// error, a timeout or a non-2xx answer moves on to the next one.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace mlb {

struct MarathonOptions {
  std::vector<std::string> urls;
  int connect_timeout_ms = 3050;  // marathon-lb's 3.05 s
  int read_timeout_ms = 46000;    // and 46 s
};

// On success *json holds the body and *source the URL that answered.
Status FetchApps(const MarathonOptions& options, std::string* json,
                 std::string* source);

}  // namespace mlb
