// marathon-lb: wires the command line to the core and runs the chosen mode.
#include <iostream>
#include <memory>

#include "core/app/cli.h"
#include "core/base/logging.h"
#include "core/app/marathon_lb.h"
#include "core/app/reference.h"
#include "core/app/zdd_command.h"
#include "core/base/version.h"

int main(int argc, char** argv) {
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
  return lb->Run();
}
