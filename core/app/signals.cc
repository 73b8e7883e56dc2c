#include "core/app/signals.h"

#include <pthread.h>

#include <string>

#include "core/base/logging.h"

namespace mlb {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  return set;
}

int NextSignal() {
  const sigset_t set = HandledSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

void Stopping(int sig, HttpCancel* cancel) {
  Log().information(std::string("stopping on ") +
                    (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
  cancel->Cancel();
}

StopOnSignal::StopOnSignal(HttpCancel* cancel) : cancel_(cancel) {
  thread_ = std::thread([this] {
    while (true) {
      const int sig = NextSignal();
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) {
        return;  // the destructor's SIGUSR1
      }
      if (sig == SIGTERM || sig == SIGINT) {
        Stopping(sig, cancel_);
        stopped_ = true;
        changed_.notify_all();
        return;
      }
    }
  });
}

StopOnSignal::~StopOnSignal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    if (!stopped_) {
      pthread_kill(thread_.native_handle(), SIGUSR1);  // wakes its sigwait
    }
  }
  thread_.join();
}

bool StopOnSignal::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

bool StopOnSignal::WaitFor(std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [this] { return stopped_; });
}

}  // namespace mlb
