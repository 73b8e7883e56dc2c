// The app definition of a blue/green deployment, as zdd.py prepares it:
// the colour alternates (blue, green, blue...), the id becomes
// "<id>-<colour>", the service port alternates between the group's alt
// port and its stable frontend port, and labels record the colour, the
// start time, the target and hybrid instance counts and the original id.
#pragma once

#include <string>
#include <vector>

#include "core/zdd/app_json.h"
#include "core/zdd/outcome.h"

namespace mlb::zdd {

// The labels of a deployment group. marathon-lb merges the apps of a group
// into one backend named "<group>_<HAPROXY_0_PORT>".
inline constexpr char kGroupLabel[] = "HAPROXY_DEPLOYMENT_GROUP";
inline constexpr char kAltPortLabel[] = "HAPROXY_DEPLOYMENT_ALT_PORT";
inline constexpr char kColourLabel[] = "HAPROXY_DEPLOYMENT_COLOUR";
inline constexpr char kStartedAtLabel[] = "HAPROXY_DEPLOYMENT_STARTED_AT";
inline constexpr char kTargetLabel[] = "HAPROXY_DEPLOYMENT_TARGET_INSTANCES";
inline constexpr char kNewInstancesLabel[] = "HAPROXY_DEPLOYMENT_NEW_INSTANCES";
inline constexpr char kAppIdLabel[] = "HAPROXY_APP_ID";
inline constexpr char kFrontendPortLabel[] = "HAPROXY_0_PORT";

struct PrepareOptions {
  int initial_instances = 1;  // --initial-instances
  int new_instances = 0;      // --new-instances: a hybrid deployment
};

// The app's label `name`, or "" (no labels, no such label, not a string).
std::string Label(const Object::Ptr& app, const std::string& name);

// An app definition zdd can deploy: an id and the group and alt port
// labels (exit 4 otherwise).
Outcome ValidateApp(const Object::Ptr& app);

// The app's first service port: of its (docker) portMappings, else its
// portDefinitions, else its ports (exit 4 if it has none).
Outcome ServicePort(const Object::Ptr& app, int* port);
// Sets that port where ServicePort() found it (or ports[0]).
void SetServicePort(Object::Ptr app, int port);

// The apps of `apps` in the group of `app`, oldest first (by their
// HAPROXY_DEPLOYMENT_STARTED_AT; none counts as the oldest).
std::vector<Object::Ptr> GroupApps(const std::vector<Object::Ptr>& apps,
                                   const std::string& group);

// The colour and the service port that follow the group's last deployment.
std::string NextColour(const Object::Ptr& last);
Outcome NextPort(const Object::Ptr& last, int* port);

// The definition to deploy: `app` (the definition file, left unchanged)
// prepared after `previous`, the group's apps oldest first (empty for a
// first deployment). `now` goes into HAPROXY_DEPLOYMENT_STARTED_AT.
Outcome PrepareDeploy(const Object::Ptr& app,
                      const std::vector<Object::Ptr>& previous,
                      const PrepareOptions& options, const std::string& now,
                      Object::Ptr* out);

// The local time as Python's datetime.now().isoformat() prints it:
// 2016-02-01T15:51:38.184623.
std::string IsoNowLocal();

}  // namespace mlb::zdd
