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
// One thread (threads = 1) runs the same steps on the calling thread; the
// config, errors and warnings are the same on any number of threads, byte
// for byte and in the same order (tests/render/update_pipeline_test.cc).
// Which service owns a port is only known in order, and is settled at the
// commit.
//
// Memory: once an app is rendered, its tasks, labels and servers are freed
// and its services cut down to what the commit reads; the renders are held
// until the commit (they become the config, moved, not copied).
#pragma once

#include <functional>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/render/assembler.h"
#include "core/marathon/apps.h"
#include "core/render/plugin_registry.h"
#include "core/model/services.h"
#include "core/base/status.h"

namespace mlb {

// A service port of an app, as it is built: (app id, service port) and the
// backend (and frontend) name the config gives it.
struct BuiltServicePort {
  std::string app_id;
  int service_port = 0;
  std::string backend;
};

// A service port left out of updates because HAProxy could not take it
// (see MarathonLb): it refused the lines it rendered, or could not bind it.
struct SkippedPort {
  std::string reason;
  // A hash of the service's render (its server lines left out) when it was
  // left out; 0: not known yet, the next update sets it. Once the render
  // differs (its app's labels or ports changed), it is tried again.
  uint64_t render_hash = 0;
  bool refused = false;  // by haproxy -c; else HAProxy could not bind it
};

// Service ports left out of an update, by (app id, service port).
using SkippedServicePorts = std::map<std::pair<std::string, int>, SkippedPort>;

struct UpdateResult {
  size_t apps = 0;                          // apps read
  std::vector<std::string> parse_warnings;  // ParseApps'
  std::vector<std::string> errors;    // service ports dropped before render
  std::vector<std::string> warnings;  // dropped tasks, ignored labels
  // Skipped service ports whose render changed, tried again (Skip).
  std::vector<std::string> retried;
  size_t services = 0;                      // service ports built (kept)
  // Vhosts that service ports of several apps name (marathon-lb 1.15
  // shares them: the highest route weight, then app id
  // order, wins the rules that overlap), one line each (see
  // UpdatePipeline).
  std::vector<std::string> vhost_conflicts;
  // (app id, service port) of the ports HAPROXY_{n}_ENABLED (or
  // --strict-mode) leaves out, in app order.
  std::vector<std::pair<std::string, int>> disabled;
  // Every service port built, the skipped ones too, in config order.
  std::vector<BuiltServicePort> service_ports;
  // Not ok when the generation failed as a whole (a template outside any
  // app, a family that fails in Begin or throws): `generation` is then
  // empty, and when Begin failed the document was not read.
  Status generated;
  Generation generation;
};

class UpdatePipeline {
 public:
  // `threads`: threads that build and render, the caller's included; 1
  // runs everything on the calling thread.
  UpdatePipeline(const PluginRegistry& registry, const sdk::Config& config,
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

  // Service ports Run() leaves out, each with the error "app <id>, service
  // port <port>: <reason>; service port skipped", unless its render changed
  // since (SkippedPort::render_hash): Run() then removes it from *skip and
  // lists it in UpdateResult::retried. Null: none. Must outlive Run().
  void Skip(SkippedServicePorts* skip) { skip_ = skip; }

 private:
  const PluginRegistry& registry_;
  const sdk::Config& config_;
  const ServiceOptions& options_;
  HostResolver& resolver_;
  HealthCache& health_cache_;
  int threads_;
  SkippedServicePorts* skip_ = nullptr;
};

}  // namespace mlb
