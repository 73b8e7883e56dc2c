// Pieces shared by the small servers in tools/ (marathon-sim, echo-backend):
// logging, signal handling, binding, port files.
#pragma once

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>

namespace mlb::tools {

// One line to stderr, whole even with several threads logging.
inline void LogLine(const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::cerr << line << '\n' << std::flush;
}

// Blocks SIGINT and SIGTERM (call before any thread starts, so that every
// thread inherits the mask) and returns them for sigwait(). Their
// dispositions are reset first: a shell starts background jobs with SIGINT
// ignored, and an ignored signal is discarded instead of left pending.
inline sigset_t BlockStopSignals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

// "host:port", or a bare port on 127.0.0.1.
inline Poco::Net::SocketAddress ParseListen(const std::string& listen) {
  if (listen.find(':') == std::string::npos) {
    return Poco::Net::SocketAddress("127.0.0.1", listen);
  }
  return Poco::Net::SocketAddress(listen);
}

// Binds and listens. reuseAddress for quick restarts, but no SO_REUSEPORT: a
// second process on the same port must fail rather than share it.
inline bool Bind(const std::string& listen, Poco::Net::ServerSocket* socket,
                 std::string* error) {
  try {
    socket->bind(ParseListen(listen), /*reuseAddress=*/true,
                 /*reusePort=*/false);
    socket->listen(64);
    return true;
  } catch (const Poco::Exception& e) {
    *error = "cannot listen on '" + listen + "': " + e.displayText();
    return false;
  }
}

inline Poco::Net::HTTPServerParams::Ptr ServerParams(int max_threads) {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(max_threads);
  params->setMaxQueued(64);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(5, 0));
  return params;
}

// Writes `content` to `path` through a temporary file and rename(2), so that
// readers see either no file or the complete one.
inline bool WriteFileAtomically(const std::string& path,
                                const std::string& content,
                                std::string* error) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = "cannot create '" + tmp + "': " + std::strerror(errno);
      return false;
    }
    out << content;
    out.flush();
    if (!out) {
      *error = "cannot write '" + tmp + "': " + std::strerror(errno);
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename '" + tmp + "' to '" + path +
             "': " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// The body of a tool's main(): runs `run` and turns an exception that escaped
// it into one line on stderr and exit status 1.
inline int RunTool(const char* program, int (*run)(int, char**), int argc,
                   char** argv) {
  try {
    return run(argc, argv);
  } catch (const Poco::Exception& e) {
    std::cerr << program << ": " << e.displayText() << '\n';
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << '\n';
  }
  return 1;
}

}  // namespace mlb::tools
