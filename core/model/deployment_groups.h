// HAPROXY_DEPLOYMENT_GROUP: marathon-lb 1.15's blue/green merge.
//
// A zero-downtime deploy runs two apps side by side (".../x-blue" and
// ".../x-green"), both labelled HAPROXY_DEPLOYMENT_GROUP=x. marathon-lb shows
// them to HAProxy as one app "/x": one backend with the tasks of both, some
// of the old app's tasks drained (rendered disabled) as the new app's become
// healthy. The merge runs once every app of an update is read, before the
// apps become service ports (core/render/update_pipeline.cc holds the
// labelled apps back until then).
//
// The rules, in the apps' document (Marathon) order, as 1.15:
//   - the group's id is the label's value with a leading '/' added;
//   - the apps of one group merge pairwise: the app with the later
//     HAPROXY_DEPLOYMENT_STARTED_AT is the new one (a missing label is the
//     oldest time; on a tie the app merged so far is the new one);
//   - when the new app has HAPROXY_DEPLOYMENT_NEW_INSTANCES (any value: zdd
//     always writes it), the two swap if the old app was scaled
//     (versionInfo.lastScalingAt) more recently, and the target is the new
//     app's HAPROXY_DEPLOYMENT_TARGET_INSTANCES; otherwise the target is 1;
//   - healthy new = the new app's tasks with a passing health check result
//     (its `instances` if it has no health checks);
//   - drained = min(old tasks, healthy new, max(0, healthy new + old
//     instances - target)) of the old tasks, in task id order;
//   - the merged app is the old app (its labels, ports, checks) with the old
//     tasks (by task id) and then the new ones.
// Differences, for a shared load balancer: a group whose id is another
// app's (one not in the group) is refused, as is a group id that is not a
// Marathon path; an app whose STARTED_AT or (hybrid) TARGET_INSTANCES
// cannot be read leaves the group (1.15 failed the whole update); 1.15 read
// the health checks of whichever app came second, this reads the new app's.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/marathon/apps.h"

namespace mlb {

inline constexpr std::string_view kDeploymentGroupLabel =
    "HAPROXY_DEPLOYMENT_GROUP";

// Whether `app` belongs to a deployment group (it sets the label).
bool InDeploymentGroup(const App& app);

// Merges `apps` (every app that sets the label, in document order) into one
// app per group, in the order of each group's first app. `other_ids` are the
// ids of the apps not in any group. An app or a group left out adds a line
// to *errors:
//   "app /x-green: label HAPROXY_DEPLOYMENT_STARTED_AT: 'soon' is not an ISO
//    8601 time; the app is left out of deployment group /x"
//   "deployment group /web: app /web, which is not in the group, has this
//    id; the group's apps /web-blue, /web-green are left out"
std::vector<App> MergeDeploymentGroups(std::vector<App> apps,
                                       const std::set<std::string>& other_ids,
                                       std::vector<std::string>* errors);

// A point in time read from ISO 8601 text ("2016-02-01T15:51:38.184623",
// "2016-02-01T15:51:38.184Z", "2016-02-01T17:51:38+02:00", "2016-02-01"):
// microseconds since 1970 in UTC (a time without an offset is taken as UTC).
// False when `text` is not such a time.
bool ParseIsoTime(std::string_view text, long long* micros);

}  // namespace mlb
