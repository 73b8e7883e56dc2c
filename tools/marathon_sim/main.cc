// marathon-sim: a small Marathon REST API simulator.
//
// Serves the apps and tasks described by a JSON state file shaped like
// Marathon's `GET /v2/apps?embed=apps.tasks` response.  The file is the
// source of truth and is re-read on every request, so a test changes the
// simulated cluster by renaming a new file over it.  The simulator also
// watches the file and, like Marathon, publishes events on its event bus
// when the state changes: to Server-Sent Events streams (/v2/events) and to
// registered HTTP callbacks (/v2/eventSubscriptions).
//
// Usage:
//   marathon-sim --state FILE [--listen HOST:PORT] [--port-file PATH]
//                [--keepalive-ms N] [--watch-ms N] [--auth USER:PASS]
//                [--task-ports HOST:PORT,... [--task-start-ms N]
//                 [--kill-grace-ms N]]
//                [--service-account UID:PUBLIC_KEY_PEM_FILE [--token-ttl-s N]]
//                [--tls-cert PEM [--tls-key PEM]] [--no-gzip]
//
// With --tls-cert every endpoint (REST, the /v2/events stream, /_sim) is
// served over https only. GET /v2/apps is gzip-compressed for a request
// with "Accept-Encoding: gzip" (as Marathon does), unless --no-gzip.
//
// Marathon endpoints:
//   GET  /ping                 -> "pong"
//   GET  /v2/info              -> {"name":"marathon",...}
//   GET  /v2/apps              -> {"apps":[...]} (tasks only with
//                                 embed=apps.tasks)
//   GET  /v2/apps/<id>         -> {"app":{...}}  (tasks embedded)
//   GET  /v2/tasks             -> {"tasks":[...]} (every task, with appId)
//   GET  /v2/events            -> text/event-stream (event_type= filters)
//   GET|POST|DELETE /v2/eventSubscriptions[?callbackUrl=URL]
//   POST /acs/api/v1/auth/login  with --service-account: DC/OS IAM's login;
//                                every other endpoint then wants its token
//                                (service_account.h, with its /_sim routes)
//
// Control endpoints for tests (never faulted, never behind --auth):
//   POST /_sim/apps            body {"apps":[...]}: replace the state, emit
//                              the events Marathon would emit
//   POST /_sim/event           body: one raw event, published as is
//   GET|POST /_sim/fault       stall / drop / down_ms / redirect / status /
//                              clear
//   GET  /_sim/stats           counters
//
// Scheduler mode (--task-ports ADDR,...; scheduler.h): POST /v2/apps,
// PUT|DELETE /v2/apps/<id> and POST /v2/tasks/delete as Marathon, with
// tasks served by the simulator on the pool's addresses.
//
// Structure (tools/marathon_sim/): one Endpoint subclass per resource
// (marathon_endpoints.cc, control_endpoints.cc) and a Router (router.cc) that
// maps a request path to a freshly created endpoint.  Services shared by the
// endpoints live in SimContext (context.h): the state file (state.cc), the
// state tracker that turns its changes into events (state_tracker.cc), the
// event bus (event_bus.cc), callbacks (callbacks.cc), faults (faults.cc) and
// counters (stats.cc), and in scheduler mode the scheduler (scheduler.cc).
// This file: the command line and the process.

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <exception>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "tools/marathon_sim/context.h"
#include "tools/marathon_sim/router.h"
#include "tools/marathon_sim/scheduler.h"
#include "tools/marathon_sim/sim.h"
#include "tools/tool_support.h"

namespace mlb::tools::sim {
namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: " << kProgram
      << " --state FILE [--listen HOST:PORT] [--port-file PATH]\n"
         "       [--keepalive-ms N] [--watch-ms N] [--auth USER:PASS]\n"
         "       [--service-account UID:PUBLIC_KEY_PEM_FILE [--token-ttl-s N]]\n"
         "       [--tls-cert PEM [--tls-key PEM]] [--no-gzip]\n"
         "  --state FILE        JSON like Marathon's GET "
         "/v2/apps?embed=apps.tasks;\n"
         "                      re-read on every request\n"
         "  --listen HOST:PORT  address to bind (default 127.0.0.1:0; port 0 "
         "picks a free port)\n"
         "  --port-file PATH    write the bound host:port to PATH "
         "(atomically)\n"
         "  --keepalive-ms N    /v2/events keep-alive comment after N ms "
         "without\n"
         "                      output (default 1000; 0: none)\n"
         "  --watch-ms N        look for rewrites of the state file every N "
         "ms and\n"
         "                      publish their events (default 200; 0: off)\n"
         "  --auth USER:PASS    require HTTP basic auth outside /_sim\n"
         "  --task-ports LIST   scheduler mode: comma-separated HOST:PORT "
         "addresses\n"
         "                      new tasks listen on (POST /v2/apps, PUT and "
         "DELETE\n"
         "                      /v2/apps/<id>, POST /v2/tasks/delete)\n"
         "  --task-start-ms N   a new task is staged this long (default 300)\n"
         "  --kill-grace-ms N   a killed task is TASK_KILLING this long "
         "(default 500)\n"
         "  --service-account UID:PUBLIC_KEY_PEM_FILE\n"
         "                      DC/OS service-account mode: logins at\n"
         "                      POST /acs/api/v1/auth/login (an RS256 JWT of UID,\n"
         "                      verified with the key), 'Authorization: token=T'\n"
         "                      required outside /_sim\n"
         "  --token-ttl-s N     lifetime of a login's token (default 3600)\n"
         "  --tls-cert PEM      serve https only: the certificate (chain), and "
         "its\n"
         "                      key too unless --tls-key\n"
         "  --tls-key PEM       the private key of --tls-cert\n"
         "  --no-gzip           never gzip GET /v2/apps (by default it is "
         "gzipped\n"
         "                      when the request has Accept-Encoding: gzip)\n";
}

bool ParseMillis(const std::string& option, const std::string& text,
                 int* value) {
  std::size_t used = 0;
  long parsed = -1;
  try {
    parsed = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || parsed < 0 || parsed > 3600000) {
    std::cerr << kProgram << ": option " << option
              << " needs a number of milliseconds from 0 to 3600000, got '"
              << text << "'\n";
    return false;
  }
  *value = static_cast<int>(parsed);
  return true;
}

// Parses argv; returns 0 to continue, or an exit code.
int ParseArgs(int argc, char** argv, Options* options) {
  const std::set<std::string> with_value = {"--state",     "--listen",
                                            "--port-file", "--keepalive-ms",
                                            "--watch-ms",  "--auth",
                                            "--task-ports",
                                            "--task-start-ms",
                                            "--kill-grace-ms",
                                            "--service-account",
                                            "--token-ttl-s", "--tls-cert",
                                            "--tls-key"};
  bool token_ttl_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(std::cout);
      return -1;
    }
    std::string value;
    const std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (with_value.count(arg) > 0) {
      if (i + 1 >= argc) {
        std::cerr << kProgram << ": option " << arg << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    if (arg == "--state") {
      options->state_file = value;
    } else if (arg == "--listen") {
      options->listen = value;
    } else if (arg == "--port-file") {
      options->port_file = value;
    } else if (arg == "--keepalive-ms") {
      if (!ParseMillis(arg, value, &options->keepalive_ms)) return 2;
    } else if (arg == "--watch-ms") {
      if (!ParseMillis(arg, value, &options->watch_ms)) return 2;
    } else if (arg == "--auth") {
      if (value.find(':') == std::string::npos) {
        std::cerr << kProgram << ": option --auth needs USER:PASS\n";
        return 2;
      }
      options->auth = value;
    } else if (arg == "--task-ports") {
      std::size_t start = 0;
      while (start <= value.size()) {
        std::size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        const std::string address = value.substr(start, comma - start);
        if (address.find(':') == std::string::npos) {
          std::cerr << kProgram << ": option --task-ports needs HOST:PORT "
                    << "addresses, got '" << address << "'\n";
          return 2;
        }
        options->task_ports.push_back(address);
        start = comma + 1;
      }
    } else if (arg == "--task-start-ms") {
      if (!ParseMillis(arg, value, &options->task_start_ms)) return 2;
    } else if (arg == "--kill-grace-ms") {
      if (!ParseMillis(arg, value, &options->kill_grace_ms)) return 2;
    } else if (arg == "--service-account") {
      std::string error;
      if (!ParseServiceAccount(value, &options->service_account, &error)) {
        std::cerr << kProgram << ": " << error << '\n';
        return 2;
      }
    } else if (arg == "--tls-cert") {
      options->tls_cert = value;
    } else if (arg == "--tls-key") {
      options->tls_key = value;
    } else if (arg == "--no-gzip") {
      options->gzip = false;
    } else if (arg == "--token-ttl-s") {
      const std::size_t digits = value.find_first_not_of("0123456789");
      if (value.empty() || value.size() > 7 || digits != std::string::npos ||
          std::stoi(value) < 1) {
        std::cerr << kProgram << ": option --token-ttl-s needs a number of "
                  << "seconds from 1 to 9999999, got '" << value << "'\n";
        return 2;
      }
      options->service_account.token_ttl_s = std::stoi(value);
      token_ttl_given = true;
    } else {
      std::cerr << kProgram << ": unknown argument '" << argv[i] << "'\n";
      PrintUsage(std::cerr);
      return 2;
    }
  }
  if (token_ttl_given && options->service_account.uid.empty()) {
    std::cerr << kProgram << ": --token-ttl-s needs --service-account\n";
    return 2;
  }
  if (!options->service_account.uid.empty() && !options->auth.empty()) {
    std::cerr << kProgram
              << ": --service-account and --auth exclude each other\n";
    return 2;
  }
  if (!options->tls_key.empty() && options->tls_cert.empty()) {
    std::cerr << kProgram << ": --tls-key needs --tls-cert\n";
    return 2;
  }
  if (options->state_file.empty()) {
    std::cerr << kProgram << ": --state FILE is required\n";
    PrintUsage(std::cerr);
    return 2;
  }
  return 0;
}

int Run(int argc, char** argv) {
  Options options;
  if (int rc = ParseArgs(argc, argv, &options); rc != 0) {
    return rc < 0 ? 0 : rc;
  }

  const sigset_t stop_signals = BlockStopSignals();

  Poco::Net::ServerSocket socket;
  std::string error;
  if (!options.tls_cert.empty()) {
    // The handshake happens in the worker thread, on the first read.
    try {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Ptr tls = new Poco::Net::Context(
          Poco::Net::Context::TLS_SERVER_USE,
          options.tls_key.empty() ? options.tls_cert : options.tls_key,
          options.tls_cert, "", Poco::Net::Context::VERIFY_NONE);
      socket = Poco::Net::SecureServerSocket(tls);
    } catch (const Poco::Exception& e) {
      std::cerr << kProgram << ": --tls-cert " << options.tls_cert << ": "
                << e.displayText() << '\n';
      return 1;
    }
  }
  if (!Bind(options.listen, &socket, &error)) {
    std::cerr << kProgram << ": " << error << '\n';
    return 1;
  }
  const std::string bound = socket.address().toString();

  SimContext context(options);
  context.tracker.Init();
  context.callbacks.Start();
  std::unique_ptr<Scheduler> scheduler;
  if (!options.task_ports.empty()) {
    scheduler = std::make_unique<Scheduler>(
        context, SchedulerOptions{options.task_ports, options.task_start_ms,
                                  options.kill_grace_ms});
    context.scheduler = scheduler.get();
  }

  Poco::Net::HTTPServerParams::Ptr params = ServerParams(kMaxThreads);
  params->setSoftwareVersion(std::string(kProgram) + "/" + kVersion);

  Poco::ThreadPool pool(kProgram, 1, kMaxThreads);
  Poco::Net::HTTPServer server(BuildRouter(context), pool, socket, params);
  server.start();
  context.tracker.StartWatching(options.watch_ms);
  if (scheduler != nullptr) scheduler->Start();

  auto stop = [&] {
    // Streams notice the bus stopping within kStreamTick; stopAll(true)
    // shuts down every other connection.
    context.bus.Stop();
    if (scheduler != nullptr) scheduler->Stop();
    server.stopAll(true);
    pool.joinAll();
    context.tracker.StopWatching();
    context.callbacks.Stop();
  };

  if (!options.port_file.empty()) {
    if (!WriteFileAtomically(options.port_file, bound + "\n", &error)) {
      std::cerr << kProgram << ": port file: " << error << '\n';
      stop();
      return 1;
    }
  }
  std::cout << kProgram << " listening on "
            << (options.tls_cert.empty() ? "http" : "https") << "://" << bound
            << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  LogLine(std::string(kProgram) + ": received signal " + std::to_string(sig) +
          ", stopping");
  stop();
  return 0;
}

}  // namespace
}  // namespace mlb::tools::sim

int main(int argc, char** argv) {
  return mlb::tools::RunTool(mlb::tools::sim::kProgram, mlb::tools::sim::Run,
                             argc, argv);
}
