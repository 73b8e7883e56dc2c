#include "core/render/update_pipeline.h"

#include "core/config/template.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "core/model/deployment_groups.h"

namespace mlb {
namespace {

// One app and what was made of it.
struct Work {
  size_t index = 0;   // in the document
  uint64_t epoch = 0;  // AppSink::Clear() count when it was read
  App app;            // freed once its services are rendered
  // In service port order, once rendered only with what the commit reads
  // (Slim).
  std::vector<Service> services;
  std::vector<ServiceRender> renders;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  // (app id, service port) left out by HAPROXY_{n}_ENABLED.
  std::vector<std::pair<std::string, int>> disabled;
};

// A rendered service cut down to what ConfigAssembler and BackendNames read
// (ids, ports, vhosts): its servers and labels are not needed any more, nor
// kept (most of an update's memory otherwise).
void Slim(Service* service) {
  Service slim;
  slim.view.app_id = std::move(service->view.app_id);
  slim.view.backend = std::move(service->view.backend);
  slim.view.port_index = service->view.port_index;
  slim.view.service_port = service->view.service_port;
  // VhostConflicts, and a wildcard a label took as own is held against
  // every vhost of the update (ConfigAssembler::CheckSuffixes).
  slim.view.vhosts = std::move(service->view.vhosts);
  slim.port_labels.port = service->port_labels.port;
  const sdk::Service& view = service->view;
  slim.label_text = view.bind_addr + '\n' + view.vhost_label + '\n';
  for (const sdk::LabelValue& label : view.labels) {
    slim.label_text += label.text;
    slim.label_text += '\n';
  }
  for (const auto& [name, override] : service->port_labels.templates) {
    if (override != nullptr) {
      slim.label_text += override->source();
      slim.label_text += '\n';
    }
  }
  *service = std::move(slim);
}

// What one thread builds and renders with.
class Worker {
 public:
  Worker(const PluginRegistry& registry, const sdk::Config& config,
         std::vector<sdk::Family*> families, const ServiceOptions& options,
         HostResolver& resolver, HealthCache& health_cache, std::mutex* shared)
      : builder_(options, registry.labels(), registry.catalog(), resolver,
                 health_cache, shared),
        renderer_(registry, config, std::move(families)) {}

  ServiceRenderer& renderer() { return renderer_; }

  void Process(Work* w) {
    std::vector<int> disabled;
    builder_.Add(w->app, &w->services, &w->errors, &w->warnings, &disabled);
    for (const int port : disabled) {
      w->disabled.emplace_back(w->app.id, port);
    }
    w->renders.resize(w->services.size());
    for (size_t i = 0; i < w->services.size(); ++i) {
      renderer_.Render(w->services[i], &w->renders[i]);
      Slim(&w->services[i]);
    }
    // w->app is freed by the thread that read it (Board).
  }

 private:
  ServiceBuilder builder_;
  ServiceRenderer renderer_;
};

// The queue between the reader and the workers, and the finished work.
class Board : public AppSink {
 public:
  // `reader`: the reading thread's worker. `capacity` 0: no worker
  // threads, the reader does every app as it is read.
  Board(size_t capacity, Worker* reader, const AutoServicePorts& auto_ports)
      : capacity_(capacity), reader_(reader), auto_ports_(auto_ports) {}

  // AppSink, on the reading thread.
  void Add(App app) override {
    FreeDone();
    auto w = std::make_unique<Work>();
    w->app = std::move(app);
    {
      std::lock_guard<std::mutex> lock(mu_);
      w->index = next_index_++;
      w->epoch = epoch_;
      if (InDeploymentGroup(w->app)) {
        grouped_.push_back(std::move(w));  // merged after the reading
        return;
      }
      other_ids_.push_back(w->app.id);
      if (auto_ports_.Wants(w->app)) {
        held_.push_back(std::move(w));  // its ports come after the reading
        return;
      }
      if (queue_.size() < capacity_) {
        queue_.push_back(std::move(w));
        ready_.notify_one();
        return;
      }
    }
    // The workers are behind (or there are none): the reader does this app
    // itself rather than wait.
    reader_->Process(w.get());
    Finish(std::move(w));
  }

  void Clear() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++epoch_;
    next_index_ = 0;
    queue_.clear();
    held_.clear();
    grouped_.clear();
    other_ids_.clear();
  }

  // After the reading: the apps of the deployment groups merged, each
  // group's as one app (deployment_groups.h), with the errors of the merge.
  std::vector<std::unique_ptr<Work>> TakeMergedGroups(
      bool named_members, std::vector<std::string>* errors) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::unique_ptr<Work>> out;
    if (grouped_.empty()) {
      return out;
    }
    std::vector<App> apps;
    apps.reserve(grouped_.size());
    for (auto& w : grouped_) {
      apps.push_back(std::move(w->app));
    }
    grouped_.clear();
    const std::set<std::string> others(other_ids_.begin(), other_ids_.end());
    for (App& app : MergeDeploymentGroups(std::move(apps), others,
                                          named_members, errors)) {
      auto w = std::make_unique<Work>();
      w->index = next_index_++;
      w->epoch = epoch_;
      w->app = std::move(app);
      out.push_back(std::move(w));
    }
    return out;
  }

  // After the reading: the apps that want auto-assigned service ports, in
  // app id order.
  std::vector<std::unique_ptr<Work>> TakeHeld() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::unique_ptr<Work>> out = std::move(held_);
    held_.clear();
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a->app.id < b->app.id;
    });
    return out;
  }

  // The next app to work on; null once the reading is over and the queue
  // is empty.
  std::unique_ptr<Work> Take() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (queue_.empty()) {
      return nullptr;
    }
    std::unique_ptr<Work> w = std::move(queue_.front());
    queue_.pop_front();
    return w;
  }

  // A finished app. Its App goes back to the reader, which frees it with
  // the next app it reads: memory is freed by the thread that allocated it,
  // so that the threads do not contend for the allocator's structures.
  void Finish(std::unique_ptr<Work> w) {
    std::lock_guard<std::mutex> lock(mu_);
    garbage_.push_back(std::move(w->app));
    finished_.push_back(std::move(w));
  }

  // On the reading thread: frees the apps the workers are done with.
  void FreeDone() {
    std::vector<App> garbage;
    {
      std::lock_guard<std::mutex> lock(mu_);
      garbage.swap(garbage_);
    }
  }

  void CloseReading() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    ready_.notify_all();
  }

  // Stops the work after an exception (the first one is kept).
  void Abort(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_ == nullptr) {
      error_ = error;
    }
    queue_.clear();
    done_ = true;
    ready_.notify_all();
  }
  std::exception_ptr error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  // After every thread stopped: the work of the last epoch, in document
  // order.
  std::vector<std::unique_ptr<Work>> TakeFinished() {
    std::vector<std::unique_ptr<Work>> out;
    for (auto& w : finished_) {
      if (w->epoch == epoch_) {
        out.push_back(std::move(w));
      }
    }
    finished_.clear();
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->index < b->index; });
    return out;
  }

 private:
  const size_t capacity_;
  Worker* reader_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Work>> queue_;
  std::vector<std::unique_ptr<Work>> finished_;
  std::vector<std::unique_ptr<Work>> held_;  // for AutoServicePorts
  // HAPROXY_DEPLOYMENT_GROUP apps, in document order, and the ids of the
  // others (a group may not take one).
  std::vector<std::unique_ptr<Work>> grouped_;
  std::vector<std::string> other_ids_;
  const AutoServicePorts& auto_ports_;
  std::vector<App> garbage_;  // read by the reader, done with by a worker
  size_t next_index_ = 0;
  uint64_t epoch_ = 0;
  bool done_ = false;
  std::exception_ptr error_;  // Abort()'s
};

// A service and its render, from the workers.
// A hash of what a service rendered, its server lines left out (tasks come
// and go; a refusal is about the service's labels and templates).
uint64_t RenderHash(const ServiceRender& render) {
  const std::hash<std::string_view> hash;
  uint64_t h = 0;
  const auto mix = [&](std::string_view text) {
    h = (h ^ hash(text)) * 0x100000001b3ULL + text.size();
  };
  for (const ServiceRender::Section& s : render.sections) {
    mix(s.key);
    mix(s.text);
  }
  for (const ServiceRender::Once& once : render.once) {
    mix(once.section);
    mix(once.text);
  }
  return h == 0 ? 1 : h;  // 0 is "not known yet"
}

// The vhosts that service ports of more than one app name, one line each:
// "vhost v.test: app /a (service port 10001), app /b (service port
// 10002)", in vhost order, the apps in config order.
std::vector<std::string> VhostConflicts(
    const std::vector<const Service*>& services) {
  std::map<std::string, std::vector<const sdk::Service*>> holders;
  for (const Service* s : services) {
    for (const std::string& vhost : s->view.vhosts) {
      holders[vhost].push_back(&s->view);
    }
  }
  std::vector<std::string> out;
  for (const auto& [vhost, views] : holders) {
    bool shared = false;
    for (const sdk::Service* v : views) {
      shared = shared || v->app_id != views[0]->app_id;
    }
    if (!shared) {
      continue;
    }
    std::string line = "vhost " + vhost + ":";
    for (size_t i = 0; i < views.size(); ++i) {
      line += std::string(i ? "," : "") + " app " + views[i]->app_id +
              " (service port " + std::to_string(views[i]->service_port) +
              ")";
    }
    out.push_back(std::move(line));
  }
  return out;
}

struct Item {
  Service* service;
  ServiceRender* render;
};

// Commits the renders of `items` in `order` (`services` the same) after the
// Begin render `global`, then the Finish render of `renderer` (the one
// whose Begin render `global` is).
Status Commit(const std::vector<const Service*>& services,
              const std::vector<size_t>& order, const std::vector<Item>& items,
              ServiceRender* global, ServiceRenderer& renderer,
              Generation* out) {
  ConfigAssembler assembler(services);
  MLB_RETURN_IF_ERROR(assembler.Begin(std::move(*global)));
  for (const size_t i : order) {
    MLB_RETURN_IF_ERROR(assembler.Add(*items[i].service, items[i].render));
    *items[i].render = ServiceRender();  // freed as it is committed
  }
  ServiceRender finish;
  renderer.Finish(assembler.collected(), &finish);
  return assembler.Finish(std::move(finish), out);
}

// Apps queued before the reader does one itself: enough to keep a worker
// busy through an app with many tasks, few enough to hold little memory.
constexpr size_t kQueueCapacity = 64;

}  // namespace

UpdatePipeline::UpdatePipeline(const PluginRegistry& registry,
                               const sdk::Config& config,
                               const ServiceOptions& options,
                               HostResolver& resolver, HealthCache& health_cache,
                               int threads)
    : registry_(registry),
      config_(config),
      options_(options),
      resolver_(resolver),
      health_cache_(health_cache),
      threads_(std::max(1, threads)) {}

int UpdatePipeline::DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, 4u));
}

Status UpdatePipeline::Run(const Reader& read, UpdateResult* out) {
  *out = UpdateResult();
  std::mutex shared;  // the resolver, the health cache, certificate checks
  std::mutex* guard = threads_ > 1 ? &shared : nullptr;

  // The calling thread's worker uses the registry's families; its
  // Begin render is the one that goes into the config.
  Worker main(registry_, config_, ServiceRenderer::RegistryFamilies(registry_),
              options_, resolver_, health_cache_, guard);
  ServiceRender global;
  main.renderer().Begin(&global);
  if (!global.status.ok()) {  // no config can be made: nothing to read
    out->generated = std::move(global.status);
    return Status::OK();
  }

  // Each thread has families of its own, and calls Begin on them as
  // the host always does (their text is the main one's).
  std::vector<std::vector<std::unique_ptr<sdk::Family>>> owned(
      static_cast<size_t>(threads_ - 1));
  std::vector<std::unique_ptr<Worker>> workers;
  for (auto& families : owned) {
    MLB_RETURN_IF_ERROR(registry_.NewFamilies(&families));
    std::vector<sdk::Family*> raw;
    for (const auto& f : families) {
      raw.push_back(f.get());
    }
    workers.push_back(std::make_unique<Worker>(registry_, config_,
                                               std::move(raw), options_,
                                               resolver_, health_cache_, guard));
    ServiceRender ignored;
    workers.back()->renderer().Begin(&ignored);
    if (!ignored.status.ok()) {
      out->generated = std::move(ignored.status);
      return Status::OK();
    }
  }

  AutoServicePorts auto_ports(options_.auto_port_min, options_.auto_port_max);
  Board board(workers.empty() ? 0 : kQueueCapacity, &main, auto_ports);
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&board, w = worker.get()] {
      try {
        while (std::unique_ptr<Work> work = board.Take()) {
          w->Process(work.get());
          board.Finish(std::move(work));
        }
      } catch (...) {  // not a family's (those are caught): a bug, or memory
        board.Abort(std::current_exception());
      }
    });
  }
  // An exception (from the reader, or from building an app on this thread)
  // leaves Run() as it left the update before, once the workers are stopped.
  Status parsed;
  try {
    parsed = read(&board, &out->parse_warnings);
    if (!parsed.ok()) {
      board.Clear();  // the workers finish what they hold, and nothing more
    }
    board.CloseReading();
    while (parsed.ok() && board.error() == nullptr) {
      std::unique_ptr<Work> work = board.Take();
      if (work == nullptr) {
        break;
      }
      main.Process(work.get());
      board.Finish(std::move(work));
    }
  } catch (...) {
    board.Abort(std::current_exception());
  }
  board.CloseReading();
  for (std::thread& t : threads) {
    t.join();
  }
  board.FreeDone();
  if (board.error() != nullptr) {
    std::rethrow_exception(board.error());
  }
  // IP-per-task apps without service ports: ports by app id order, so that
  // they do not depend on the threads or on Marathon's order.
  std::vector<std::string> merge_errors;
  if (parsed.ok()) {
    // Blue/green groups merge before service ports are assigned, as 1.15.
    std::vector<std::unique_ptr<Work>> held = board.TakeHeld();
    // Under --label-policy allow anyone may join a group, as in 1.15.
    const bool named_members = options_.label_policy != LabelPolicy::kAllow;
    for (std::unique_ptr<Work>& work :
         board.TakeMergedGroups(named_members, &merge_errors)) {
      if (auto_ports.Wants(work->app)) {
        held.push_back(std::move(work));
      } else {
        main.Process(work.get());
        board.Finish(std::move(work));
      }
    }
    std::stable_sort(held.begin(), held.end(),
                     [](const auto& a, const auto& b) {
                       return a->app.id < b->app.id;
                     });
    for (std::unique_ptr<Work>& work : held) {
      auto_ports.Assign(&work->app);
      main.Process(work.get());
      board.Finish(std::move(work));
    }
    board.FreeDone();
  }
  if (!parsed.ok()) {
    out->parse_warnings.clear();
    return parsed;
  }

  // On this thread from here: the services in the order of the config,
  // committed one by one.
  std::vector<std::unique_ptr<Work>> done = board.TakeFinished();
  out->apps = done.size();
  out->errors = std::move(merge_errors);
  std::vector<Item> items;
  for (const auto& w : done) {
    for (std::string& e : w->errors) {
      out->errors.push_back(std::move(e));
    }
    for (std::string& e : w->warnings) {
      out->warnings.push_back(std::move(e));
    }
    for (auto& port : w->disabled) {
      out->disabled.push_back(std::move(port));
    }
    for (size_t i = 0; i < w->services.size(); ++i) {
      items.push_back({&w->services[i], &w->renders[i]});
    }
  }
  std::vector<const Service*> all;
  all.reserve(items.size());
  for (const Item& item : items) {
    all.push_back(item.service);
  }
  if (skip_ != nullptr && !skip_->empty()) {
    std::vector<Item> kept;
    std::vector<const Service*> kept_all;
    for (size_t i = 0; i < items.size(); ++i) {
      const auto& view = all[i]->view;
      const auto it = skip_->find({view.app_id, view.service_port});
      if (it != skip_->end()) {
        // Its labels too: a server option is in no line of the render.
        const uint64_t hash =
            RenderHash(*items[i].render) ^
            std::hash<std::string>()(items[i].service->label_text);
        if (it->second.render_hash != 0 && it->second.render_hash != hash) {
          // Its app changed since HAProxy refused it: tried again.
          out->retried.push_back("app " + view.app_id + ", service port " +
                                 std::to_string(view.service_port) +
                                 " changed and is tried again (was: " +
                                 it->second.reason + ")");
          skip_->erase(it);
        } else {
          it->second.render_hash = hash;
          out->service_ports.push_back(
              {view.app_id, view.service_port, view.backend});
          out->errors.push_back("app " + view.app_id + ", service port " +
                                std::to_string(view.service_port) + ": " +
                                it->second.reason + "; service port skipped");
          continue;
        }
      }
      kept.push_back(items[i]);
      kept_all.push_back(all[i]);
    }
    items = std::move(kept);
    all = std::move(kept_all);
  }
  const std::vector<size_t> order = ConfigOrder(all, &out->errors);
  std::vector<const Service*> services;
  services.reserve(order.size());
  out->service_ports.reserve(out->service_ports.size() + order.size());
  for (const size_t i : order) {
    services.push_back(all[i]);
    out->service_ports.push_back({all[i]->view.app_id,
                                  all[i]->view.service_port,
                                  all[i]->view.backend});
  }
  out->services = services.size();
  // The vhost conflicts only read the services: on another thread, while
  // this one commits.
  std::exception_ptr failed;
  std::thread conflicts;
  if (threads_ > 1) {
    conflicts = std::thread([&] {
      try {
        out->vhost_conflicts = VhostConflicts(services);
      } catch (...) {  // memory
        failed = std::current_exception();
      }
    });
  } else {
    out->vhost_conflicts = VhostConflicts(services);
  }
  try {
    out->generated = Commit(services, order, items, &global, main.renderer(),
                            &out->generation);
  } catch (...) {
    if (conflicts.joinable()) {
      conflicts.join();
    }
    throw;
  }
  if (conflicts.joinable()) {
    conflicts.join();
  }
  if (failed != nullptr) {
    std::rethrow_exception(failed);
  }
  return Status::OK();
}

}  // namespace mlb
