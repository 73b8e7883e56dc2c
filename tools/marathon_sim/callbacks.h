// The HTTP callbacks of marathon-sim (/v2/eventSubscriptions): the registered
// URLs and the thread that POSTs each published event to them.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tools/marathon_sim/stats.h"

namespace mlb::tools::sim {

// Only http://127.0.0.0/8 callbacks: the simulator must not reach out of the
// machine.  Returns false and sets `*error` otherwise.
bool ValidateCallbackUrl(const std::string& url, std::string* error);

class Callbacks {
 public:
  explicit Callbacks(Stats& stats) : stats_(stats) {}
  ~Callbacks() { Stop(); }
  Callbacks(const Callbacks&) = delete;
  Callbacks& operator=(const Callbacks&) = delete;

  void Start();

  // Stops the delivery thread; deliveries still queued are abandoned.
  void Stop();

  // Returns false if `url` was already registered.
  bool Add(const std::string& url);
  // Returns false if `url` was not registered.
  bool Remove(const std::string& url);
  std::vector<std::string> Urls() const;

  // Queues `body` (one event as JSON) for every registered URL.
  void Enqueue(const std::string& body);

 private:
  void Run();

  static bool Post(const std::string& url, const std::string& body,
                   std::string* error);

  Stats& stats_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> urls_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mlb::tools::sim
