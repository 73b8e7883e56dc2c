// The control API of marathon-sim for tests (never faulted, never behind
// --auth): POST /_sim/apps, POST /_sim/event, GET|POST /_sim/fault,
// GET /_sim/stats.
#pragma once

#include "tools/marathon_sim/router.h"

namespace mlb::tools::sim {

// Adds the /_sim routes to `router`.
void AddControlRoutes(Router* router);

}  // namespace mlb::tools::sim
