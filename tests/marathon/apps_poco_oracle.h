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

}  // namespace mlb::testing
