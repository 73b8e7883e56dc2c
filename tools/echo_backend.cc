// echo-backend: a tiny HTTP server that says who it is.
//
// Used as an app task behind HAProxy in tests and the demo.  Every request is
// answered 200 text/plain with body "NAME\n" and the header `X-Backend: NAME`,
// plus, for diagnostics, the request headers it saw:
//   X-Seen-Host            <- Host
//   X-Seen-Forwarded-For   <- X-Forwarded-For
//   X-Seen-Forwarded-Port  <- X-Forwarded-Port
// (each only when the request carried that header), and X-Seen-Path, the
// request target (path and query). A request with `X-Echo-Delay-Ms: N` is
// answered N ms late (at most 10 s).
//
// Usage:
//   echo-backend --name NAME --listen HOST:PORT [--listen HOST:PORT ...]
//                [--port-file PATH] [--quiet]
//
// Each --listen gets its own server; port 0 picks a free port.  The port file
// receives one "host:port" line per listener, in command-line order.

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tools/tool_support.h"

namespace mlb::tools {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr char kProgram[] = "echo-backend";
constexpr int kMaxThreads = 8;

class EchoHandler : public Poco::Net::HTTPRequestHandler {
 public:
  EchoHandler(const std::string& name, bool quiet)
      : name_(name), quiet_(quiet) {}

  void handleRequest(HTTPServerRequest& request,
                     HTTPServerResponse& response) override {
    // Drain any request body so keep-alive connections stay in sync.
    request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    // A request in flight for a while (tests of draining): at most 10 s.
    if (request.has("X-Echo-Delay-Ms")) {
      const long ms = std::strtol(request.get("X-Echo-Delay-Ms").c_str(),
                                  nullptr, 10);
      if (ms > 0) {
        usleep(static_cast<useconds_t>(std::min(ms, 10000L)) * 1000);
      }
    }

    const std::string body = name_ + "\n";
    response.setStatusAndReason(HTTPResponse::HTTP_OK);
    response.setContentType("text/plain; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.set("X-Backend", name_);
    Echo(request, "Host", "X-Seen-Host", response);
    Echo(request, "X-Forwarded-For", "X-Seen-Forwarded-For", response);
    Echo(request, "X-Forwarded-Port", "X-Seen-Forwarded-Port", response);
    response.set("X-Seen-Path", request.getURI());
    if (!quiet_) {
      LogLine(std::string(kProgram) + " " + name_ + ": " +
              request.clientAddress().toString() + " " + request.getMethod() +
              " " + request.getURI() + " 200");
    }
    response.sendBuffer(body.data(), body.size());
  }

 private:
  static void Echo(const HTTPServerRequest& request, const std::string& from,
                   const std::string& to, HTTPServerResponse& response) {
    if (request.has(from)) response.set(to, request.get(from));
  }

  const std::string name_;
  const bool quiet_;
};

// Every path, /health included, gets the same answer.
class EchoFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  EchoFactory(std::string name, bool quiet)
      : name_(std::move(name)), quiet_(quiet) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const HTTPServerRequest&) override {
    return new EchoHandler(name_, quiet_);
  }

 private:
  const std::string name_;
  const bool quiet_;
};

struct Options {
  std::string name;
  std::vector<std::string> listen;
  std::string port_file;
  bool quiet = false;
};

void PrintUsage(std::ostream& out) {
  out << "usage: " << kProgram
      << " --name NAME --listen HOST:PORT [--listen HOST:PORT ...]\n"
         "       [--port-file PATH] [--quiet]\n"
         "  --name NAME         identity sent as body and X-Backend header\n"
         "  --listen HOST:PORT  address to serve (repeatable; port 0 picks a "
         "free port)\n"
         "  --port-file PATH    write one host:port line per listener "
         "(atomically)\n"
         "  --quiet             do not log requests to stderr\n";
}

// Parses argv; returns 0 to continue, -1 after --help, or an exit code.
int ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(std::cout);
      return -1;
    }
    if (arg == "--quiet") {
      options->quiet = true;
      continue;
    }
    std::string value;
    const std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (arg == "--name" || arg == "--listen" || arg == "--port-file") {
      if (i + 1 >= argc) {
        std::cerr << kProgram << ": option " << arg << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    if (arg == "--name") {
      options->name = value;
    } else if (arg == "--listen") {
      options->listen.push_back(value);
    } else if (arg == "--port-file") {
      options->port_file = value;
    } else {
      std::cerr << kProgram << ": unknown argument '" << argv[i] << "'\n";
      PrintUsage(std::cerr);
      return 2;
    }
  }
  if (options->name.empty() || options->listen.empty()) {
    std::cerr << kProgram << ": --name and at least one --listen are required\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return 0;
}

// One bound socket with its server and threads.
struct Listener {
  Listener(const Poco::Net::ServerSocket& socket,
           Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
           Poco::Net::HTTPServerParams::Ptr params)
      : pool(kProgram, 1, kMaxThreads),
        server(std::move(factory), pool, socket, std::move(params)) {}

  Poco::ThreadPool pool;  // Must outlive `server`.
  Poco::Net::HTTPServer server;
};

int Run(int argc, char** argv) {
  Options options;
  if (int rc = ParseArgs(argc, argv, &options); rc != 0) {
    return rc < 0 ? 0 : rc;
  }

  const sigset_t stop_signals = BlockStopSignals();

  // Bind everything first, so a bad address fails before anything is served.
  std::vector<Poco::Net::ServerSocket> sockets;
  for (const std::string& listen : options.listen) {
    Poco::Net::ServerSocket socket;
    std::string error;
    if (!Bind(listen, &socket, &error)) {
      std::cerr << kProgram << " " << options.name << ": " << error << '\n';
      return 1;
    }
    sockets.push_back(socket);
  }

  Poco::Net::HTTPRequestHandlerFactory::Ptr factory =
      new EchoFactory(options.name, options.quiet);
  Poco::Net::HTTPServerParams::Ptr params = ServerParams(kMaxThreads);

  std::vector<std::unique_ptr<Listener>> listeners;
  std::string addresses;
  for (const Poco::Net::ServerSocket& socket : sockets) {
    listeners.push_back(std::make_unique<Listener>(socket, factory, params));
    listeners.back()->server.start();
    addresses += socket.address().toString() + "\n";
  }

  auto stop_all = [&listeners] {
    for (auto& listener : listeners) listener->server.stopAll(true);
    for (auto& listener : listeners) listener->pool.joinAll();
  };

  if (!options.port_file.empty()) {
    std::string error;
    if (!WriteFileAtomically(options.port_file, addresses, &error)) {
      std::cerr << kProgram << " " << options.name << ": port file: " << error
                << '\n';
      stop_all();
      return 1;
    }
  }
  for (const Poco::Net::ServerSocket& socket : sockets) {
    std::cout << kProgram << " " << options.name << " listening on "
              << socket.address().toString() << '\n';
  }
  std::cout << std::flush;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  if (!options.quiet) {
    LogLine(std::string(kProgram) + " " + options.name +
            ": received signal " + std::to_string(sig) + ", stopping");
  }
  stop_all();
  return 0;
}

}  // namespace
}  // namespace mlb::tools

int main(int argc, char** argv) {
  return mlb::tools::RunTool(mlb::tools::kProgram, mlb::tools::Run, argc, argv);
}
