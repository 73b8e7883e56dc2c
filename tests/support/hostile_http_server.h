// A hostile HTTP peer on 127.0.0.1 for the clients' tests: it answers each
// connection with whatever bytes a script writes, as slowly as it likes (a
// status line one byte at a time, a body that never ends), which a Poco
// server cannot do. Plain POSIX sockets; every wait is bounded and ends when
// the server is destroyed.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mlb::testing {

class HostileHttpServer {
 public:
  // What a script writes with. Both return false once the peer is gone or
  // the server is stopping: the script should then return.
  class Writer {
   public:
    Writer(HostileHttpServer* server, int fd) : server_(server), fd_(fd) {}
    bool Send(std::string_view bytes) {
      while (!bytes.empty()) {
        if (server_->stopping_.load()) {
          return false;
        }
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 100) <= 0) {
          continue;  // the peer does not read yet: look at stopping_ again
        }
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          continue;
        }
        if (n <= 0) {
          return false;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    }
    // `bytes`, one byte every `every`.
    bool Trickle(std::string_view bytes, std::chrono::milliseconds every) {
      for (const char c : bytes) {
        if (!Send(std::string_view(&c, 1)) || !Pause(every)) {
          return false;
        }
      }
      return true;
    }
    // `chunk` again and again, at most `limit` bytes in all (a bound for the
    // test, far above any limit under test); false when the peer left.
    bool Repeat(std::string_view chunk, size_t limit) {
      for (size_t sent = 0; sent < limit; sent += chunk.size()) {
        if (!Send(chunk)) {
          return false;
        }
      }
      return true;
    }
    bool Pause(std::chrono::milliseconds duration) {
      std::unique_lock<std::mutex> lock(server_->mu_);
      return !server_->cv_.wait_for(lock, duration,
                                    [this] { return server_->stopping_.load(); });
    }

   private:
    HostileHttpServer* server_;
    int fd_;
  };

  // `script(writer, n)` answers connection n (from 0), after its request
  // head (up to the blank line) has been read.
  using Script = std::function<void(Writer& out, int n)>;

  explicit HostileHttpServer(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address),
                      &size) != 0) {
      throw std::runtime_error("HostileHttpServer: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~HostileHttpServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_.store(true);
    }
    cv_.notify_all();
    acceptor_.join();
    for (std::thread& t : connections_) {
      t.join();
    }
    ::close(listener_);
  }

  HostileHttpServer(const HostileHttpServer&) = delete;
  HostileHttpServer& operator=(const HostileHttpServer&) = delete;

  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The request heads received, in order.
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void Accept() {
    for (int n = 0; !stopping_.load();) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      connections_.emplace_back([this, fd, n] { Serve(fd, n); });
      ++n;
    }
  }

  void Serve(int fd, int n) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 &&
           !stopping_.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        continue;
      }
      const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        break;
      }
      head.append(buffer, static_cast<size_t>(got));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      heads_.push_back(head);
    }
    Writer writer(this, fd);
    script_(writer, n);
    ::close(fd);
  }

  const Script script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> heads_;  // guarded by mu_
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // the acceptor's
};

}  // namespace mlb::testing
