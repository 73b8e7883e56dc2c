// A zero-downtime blue/green deployment (marathon-lb 1.15's zdd.py, with a
// stricter rule for killing old tasks, see drain.h).
//
// 1. Read the app definition, check it (exit 4), list the apps of its
//    HAPROXY_DEPLOYMENT_GROUP in Marathon.
// 2. Two apps in the group: a deployment is under way; --resume continues
//    it, --complete-cur / --complete-prev finish a hybrid one towards the
//    newer / older colour; without one of them zdd refuses (exit 2).
//    Otherwise: prepare the next colour (prepare.h), print it, stop there
//    with --dry-run, else create it (after a yes unless --force).
// 3. The swap, one step per --step-delay: re-read both apps from Marathon;
//    wait while either has a deployment; ask every marathon-lb; kill the
//    old tasks no load balancer routes to any more (after --pre-kill-hook),
//    then grow the new app; when the new app has its target size and every
//    old task is drained, delete the old app. A step that finds nothing to
//    kill for --max-wait seconds ends zdd with exit 5, having killed
//    nothing in that step.
//
// Every decision is taken from what Marathon and the load balancers say
// now, never from what zdd remembers, so zdd may be stopped at any point
// and --resume picks up from the apps in Marathon.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/zdd/endpoints.h"
#include "core/zdd/outcome.h"
#include "core/zdd/prepare.h"

namespace mlb::zdd {

struct ZddOptions {
  std::string json_path;       // --json
  bool dry_run = false;        // --dry-run
  bool force = false;          // --force: no questions
  double step_delay = 5;       // --step-delay, seconds
  int initial_instances = 1;   // --initial-instances
  int linear_increase = 0;     // --linear-increase
  bool resume = false;         // --resume
  double max_wait = 300;       // --max-wait, seconds
  int new_instances = 0;       // --new-instances
  bool complete_cur = false;   // --complete-cur
  bool complete_prev = false;  // --complete-prev
  std::string pre_kill_hook;   // --pre-kill-hook
  int max_haproxy_pids = 2;    // --max-haproxy-pids
};

// What the deployment needs from the world besides Marathon and the load
// balancers; tests replace them.
struct ZddEnvironment {
  std::function<void(double seconds)> sleep;
  std::function<double()> now;  // seconds, monotonic
  // The operator's answer to a yes/no question (not asked with --force).
  std::function<bool(const std::string& question)> confirm;
  // Runs the pre-kill hook; *exit_code is its exit status.
  std::function<Status(const std::vector<std::string>& argv, int* exit_code)>
      run;
  std::function<std::string()> started_at = IsoNowLocal;
  std::ostream* out = nullptr;  // --dry-run's app definition
};

// The real clock, sleep, stdin questions and process runner; output to
// std::cout.
ZddEnvironment SystemEnvironment();

Outcome RunZdd(const ZddOptions& options, MarathonApi& marathon, LbProbe& lbs,
               const ZddEnvironment& env);

}  // namespace mlb::zdd
