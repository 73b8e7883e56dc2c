// marathon-lb: wires the command line to the core and runs the chosen mode.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "core/app/cli.h"
#include "core/base/heap.h"
#include "core/base/logging.h"
#include "core/app/marathon_lb.h"
#include "core/app/reference.h"
#include "core/app/zdd_command.h"
#include "core/base/version.h"

// jemalloc's options for this program (MALLOC_CONF still overrides them):
// - thp:always: its memory in transparent huge pages where the kernel
//   allows them (/sys/kernel/mm/transparent_hugepage/enabled: always or
//   madvise). An update at 5,000 apps touches some 50 MB afresh; in 4 KB
//   pages that was about 11,000 page faults, a third of the CPU time of a
//   cold `poll` on a paravirtualized VM, and 3,600 in 2 MB pages, for some
//   10 MB more resident memory.
// - narenas:1: one arena for every thread. The reading thread allocates
//   the apps and a worker frees them; with an arena per thread the worker's
//   allocations took fresh (zeroed) pages while the reader's arena kept the
//   freed ones. A cold `poll` at 5,000 apps: 0.195 -> 0.182 s wall, 0.273
//   -> 0.265 s CPU (15 interleaved runs each). (docs/performance.md, issue
//   15.)
// - oversize_threshold:0: no separate arena for allocations of 8 MB and
//   more, so that every extent comes through arena 0 and its huge-page hook
//   (core/base/heap.h, installed first thing in main).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,narenas:1,oversize_threshold:0";
}

int main(int argc, char** argv) {
  const std::string heap = mlb::UseHugePageHeap();
  // `marathon-lb zdd ...`: a command of its own, stopped by ^C as any.
  if (argc > 1 && std::string(argv[1]) == "zdd") {
    return mlb::RunZddCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  mlb::MarathonLb::BlockSignals();
  mlb::CliOptions options;
  mlb::Status parsed =
      mlb::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc),
                            &options);
  if (!parsed.ok()) {
    std::cerr << "marathon-lb: " << parsed.message() << "\n"
              << "Try 'marathon-lb --help'.\n";
    return 2;
  }
  if (options.help) {
    std::cout << mlb::FlagHelp();
    return 0;
  }
  if (options.version) {
    std::cout << "marathon-lb " << mlb::Version() << "\n";
    return 0;
  }
  if (mlb::Status s = mlb::SetupLogging(options.log_level, options.syslog_socket,
                                         options.log_format);
      !s.ok()) {
    std::cerr << "marathon-lb: " << s.message() << "\n";
    return 2;
  }
  if (!heap.empty()) {
    mlb::Log().debug("heap in jemalloc's default pages: " + heap);
  }
  std::unique_ptr<mlb::MarathonLb> lb;
  if (mlb::Status s = mlb::MarathonLb::Create(options, &lb); !s.ok()) {
    mlb::Log().critical(s.message());
    return 1;
  }
  if (options.longhelp) {
    std::cout << lb->LongHelp();
    return 0;
  }
  if (options.mode == "reference") {
    std::cout << mlb::ReferenceMarkdown(lb->registry());
    return 0;
  }
  if (options.mode == "plugins") {
    std::cout << lb->DescribePlugins();
    return 0;
  }
  const int status = lb->Run();
  if (mlb::OneShot(options)) {
    // Nothing runs on and nothing is left to stop: the rest goes with the
    // process (tools/bench/process times a cold `poll`).
    lb->ReleaseBeforeExit();
    std::cout.flush();
    std::clog.flush();
    std::_Exit(status);
  }
  return status;
}
