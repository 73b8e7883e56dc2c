// ParseApps as it was before the streaming reader: a Poco::JSON tree, then
// the fields read from it. Tests only, as the reference behaviour.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/marathon/apps.h"

namespace mlb::testing {

Status ParseAppsWithPoco(std::string_view json, std::vector<App>* apps,
                         std::vector<std::string>* warnings);

// Everything a ParseApps produced, as text, so that a mismatch of two
// readings shows where (apps_test.cc, tests/fuzz/marathon_json_fuzz.cc).
std::string DescribeApps(const Status& status, const std::vector<App>& apps,
                         const std::vector<std::string>& warnings);

}  // namespace mlb::testing
