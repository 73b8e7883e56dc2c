// The Marathon API marathon-sim serves: /ping, /v2/info, /v2/apps,
// /v2/apps/<id>, /v2/tasks, /v2/events (Server-Sent Events) and
// /v2/eventSubscriptions.
#pragma once

#include "tools/marathon_sim/router.h"

namespace mlb::tools::sim {

// Adds the routes of Marathon's API to `router`.
void AddMarathonRoutes(Router* router);

}  // namespace mlb::tools::sim
