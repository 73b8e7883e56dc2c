// One update, from Marathon's JSON to the config, with the apps built and
// rendered while the next ones are still being read.
//
// The calling thread reads the document (ParseApps through an AppSink) and
// queues each app as soon as it is read; worker threads take apps from the
// queue and, for each, build its service ports (ServiceBuilder) and render
// them (ServiceRenderer, with instances of the families of their own). When
// the document is read, the calling thread works on the queue too. Then it
// puts the services in (appId, servicePort) order, drops duplicate backends
// and commits the renders in that order (ConfigAssembler), on its own.
//
// The result is the one BuildServices() + Generate() give on the same apps,
// byte for byte, with the same errors and warnings in the same order
// (tests/render/update_pipeline_test.cc). Two things can only be known in order,
// and are settled at the commit: which service owns a port (one owner per
// port, first come) and what Emitter::ClaimOnce answers. A worker answers
// ClaimOnce as if every service it rendered before will be committed. When
// a render's answers no longer hold at its commit (a service of the same
// app with an http port was dropped for its port or backend name, or two
// apps claimed one key), the whole update is made again in order, reading
// the document again (UpdateResult::in_order): correct, at about twice the
// cost, and only for such a cluster.
//
// Memory: once an app is rendered, its tasks, labels and servers are freed
// and its services cut down to what the commit reads; the renders are held
// until the commit (they become the config, moved, not copied).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/render/generator.h"
#include "core/marathon/apps.h"
#include "core/render/plugin_registry.h"
#include "core/model/services.h"
#include "core/base/status.h"

namespace mlb {

struct UpdateResult {
  size_t apps = 0;                          // apps read
  std::vector<std::string> parse_warnings;  // ParseApps'
  std::vector<std::string> errors;          // ServiceList::errors
  std::vector<std::string> warnings;        // ServiceList::warnings
  size_t services = 0;                      // service ports built (kept)
  // Not ok when the generation failed as a whole (a template outside any
  // app, a family that throws): `generation` is then empty.
  Status generated;
  Generation generation;
  // The update was made again in order (see above): a render's ClaimOnce
  // answers no longer held.
  bool in_order = false;
};

class UpdatePipeline {
 public:
  // `threads`: threads that build and render, the caller's included; 1
  // runs everything on the calling thread (as BuildServices + Generate).
  UpdatePipeline(const PluginRegistry& registry, const sdk::ConfigView& config,
                 const ServiceOptions& options, HostResolver& resolver,
                 HealthCache& health_cache, int threads);

  // The threads to use by default: the machine's cores, at most 4.
  static int DefaultThreads();

  // Reads the document: ParseApps(text or source, sink, warnings).
  using Reader = std::function<Status(AppSink* sink,
                                      std::vector<std::string>* warnings)>;

  // Runs one update. Fails as the reader does (nothing is kept then) or
  // when a thread's families cannot be made (NewFamilies); a failure of the
  // generation is out->generated. An exception from the reader is rethrown
  // once the worker threads have stopped.
  Status Run(const Reader& read, UpdateResult* out);

 private:
  // BuildServices + Generate, reading the document again.
  Status RunInOrder(const Reader& read, UpdateResult* out);

  const PluginRegistry& registry_;
  const sdk::ConfigView& config_;
  const ServiceOptions& options_;
  HostResolver& resolver_;
  HealthCache& health_cache_;
  int threads_;
};

}  // namespace mlb
