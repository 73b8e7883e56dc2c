#include "core/base/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SplitterChannel.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace mlb {
namespace {

// RFC 3164 datagrams to a local syslog socket such as /dev/log.
class UnixSyslogChannel : public Poco::Channel {
 public:
  explicit UnixSyslogChannel(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  ~UnixSyslogChannel() override {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  void log(const Poco::Message& msg) override {
    if (fd_ < 0) {
      return;
    }
    // Facility user (1); severity from the Poco priority.
    static const int kSeverity[] = {0, 0, 2, 3, 4, 5, 6, 7, 7};
    const int severity = kSeverity[msg.getPriority()];
    const std::string line = "<" + std::to_string(8 + severity) +
                             ">marathon-lb: " + msg.getText();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    sendto(fd_, line.data(), line.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

Poco::Logger& Log() { return Poco::Logger::get("marathon_lb"); }

Status SetupLogging(const std::string& level, const std::string& syslog_socket) {
  std::string upper;
  for (char c : level) {
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  int priority = 0;
  if (upper == "CRITICAL") {
    priority = Poco::Message::PRIO_CRITICAL;
  } else if (upper == "ERROR") {
    priority = Poco::Message::PRIO_ERROR;
  } else if (upper == "WARNING") {
    priority = Poco::Message::PRIO_WARNING;
  } else if (upper == "INFO") {
    priority = Poco::Message::PRIO_INFORMATION;
  } else if (upper == "DEBUG") {
    priority = Poco::Message::PRIO_DEBUG;
  } else if (upper == "NOTSET") {
    priority = Poco::Message::PRIO_TRACE;
  } else {
    return Status::Error("Invalid log level: " + upper);
  }
  Poco::AutoPtr<Poco::SplitterChannel> splitter(new Poco::SplitterChannel);
  Poco::AutoPtr<Poco::PatternFormatter> format(
      new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S,%i %s: %t"));
  format->setProperty("times", "local");
  Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel);
  Poco::AutoPtr<Poco::FormattingChannel> formatted(
      new Poco::FormattingChannel(format, console));
  splitter->addChannel(formatted);
  struct stat st;
  if (syslog_socket != "/dev/null" && stat(syslog_socket.c_str(), &st) == 0 &&
      S_ISSOCK(st.st_mode)) {
    Poco::AutoPtr<UnixSyslogChannel> syslog(new UnixSyslogChannel(syslog_socket));
    splitter->addChannel(syslog);
  }
  Log().setChannel(splitter);
  Log().setLevel(priority);
  return Status::OK();
}

}  // namespace mlb
