#include "core/base/logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Message.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Formatter.h>
#include <Poco/LocalDateTime.h>
#include <Poco/SplitterChannel.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <vector>

#include "core/base/text.h"
#include "core/base/utf8.h"

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
                             ">marathon-lb: " +
                             EscapeLogText(RedactUrl(msg.getText()));
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

// Python's level name for a Poco priority (fatal, critical, error, warning,
// notice, information, debug, trace).
const char* LevelName(const Poco::Message& msg) {
  static const char* kNames[] = {"",        "CRITICAL", "CRITICAL",
                                 "ERROR",   "WARNING",  "INFO",
                                 "INFO",    "DEBUG",    "DEBUG"};
  return kNames[std::clamp(static_cast<int>(msg.getPriority()), 0, 8)];
}

// A record as one JSON object, for --log-format json.
class JsonFormatter : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override {
    text += "{\"time\":\"";
    text += Poco::DateTimeFormatter::format(msg.getTime(),
                                            "%Y-%m-%dT%H:%M:%S.%iZ");
    text += "\",\"level\":\"";
    text += LevelName(msg);
    text += "\",\"name\":";
    text += JsonQuote(msg.getSource());
    text += ",\"message\":";
    text += JsonQuote(RedactUrl(msg.getText()));
    text += '}';
  }
};

// A line as Python's logging.Formatter(format) writes it, for --log-format.
class PythonFormatter : public Poco::Formatter {
 public:
  struct Piece {
    std::string text;   // literal text, or the field's name
    bool field = false;
    int width = 0;      // minimum width; negative: left-aligned
  };

  // Parses `format`; "" or why it cannot be used.
  static std::string Parse(const std::string& format,
                           std::vector<Piece>* out) {
    static const char* kFields[] = {"asctime",  "msecs",   "name",
                                    "levelname", "levelno", "message",
                                    "process",  "thread"};
    std::string literal;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') {
        literal += format[i];
        continue;
      }
      if (i + 1 < format.size() && format[i + 1] == '%') {
        literal += '%';
        ++i;
        continue;
      }
      const size_t close = format.find(')', i);
      if (i + 1 >= format.size() || format[i + 1] != '(' ||
          close == std::string::npos) {
        return "'%' at character " + std::to_string(i + 1) +
               " starts no %(field)s";
      }
      Piece piece;
      piece.field = true;
      piece.text = format.substr(i + 2, close - i - 2);
      size_t j = close + 1;
      const size_t spec = j;
      while (j < format.size() && (format[j] == '-' || std::isdigit(
                                       static_cast<unsigned char>(format[j])))) {
        ++j;
      }
      if (j >= format.size() || (format[j] != 's' && format[j] != 'd')) {
        return "%(" + piece.text + ") has no 's' or 'd' after it";
      }
      if (j > spec) {
        // An optional '-' and one to three digits: "-20", "8".
        const std::string width = format.substr(spec, j - spec);
        const size_t digits = width[0] == '-' ? 1 : 0;
        if (width.size() == digits || width.size() - digits > 3 ||
            width.find('-', digits) != std::string::npos) {
          return "%(" + piece.text + ") has a bad width '" + width + "'";
        }
        piece.width = std::stoi(width);
      }
      if (std::find(std::begin(kFields), std::end(kFields), piece.text) ==
          std::end(kFields)) {
        return "unknown field %(" + piece.text + ")";
      }
      if (!literal.empty()) {
        out->push_back({std::move(literal), false, 0});
        literal.clear();
      }
      out->push_back(std::move(piece));
      i = j;
    }
    if (!literal.empty()) {
      out->push_back({std::move(literal), false, 0});
    }
    return "";
  }

  explicit PythonFormatter(std::vector<Piece> pieces)
      : pieces_(std::move(pieces)) {}

  void format(const Poco::Message& msg, std::string& text) override {
    for (const Piece& piece : pieces_) {
      if (!piece.field) {
        text += piece.text;
        continue;
      }
      std::string value = Field(piece.text, msg);
      const size_t width = static_cast<size_t>(std::abs(piece.width));
      if (value.size() < width) {
        const std::string pad(width - value.size(), ' ');
        value = piece.width < 0 ? value + pad : pad + value;
      }
      text += value;
    }
  }

 private:
  static std::string Field(const std::string& name, const Poco::Message& msg) {
    if (name == "message") {
      return EscapeLogText(RedactUrl(msg.getText()));
    }
    if (name == "name") {
      return msg.getSource();
    }
    if (name == "levelname") {
      return LevelName(msg);
    }
    if (name == "levelno") {
      static const int kNumbers[] = {0, 50, 50, 40, 30, 20, 20, 10, 10};
      return std::to_string(
          kNumbers[std::clamp(static_cast<int>(msg.getPriority()), 0, 8)]);
    }
    if (name == "process") {
      return std::to_string(getpid());
    }
    if (name == "thread") {
      return std::to_string(msg.getTid());
    }
    const Poco::LocalDateTime now(msg.getTime());
    if (name == "msecs") {
      return std::to_string(now.millisecond());
    }
    return Poco::DateTimeFormatter::format(now, "%Y-%m-%d %H:%M:%S,%i");
  }

  std::vector<Piece> pieces_;
};

}  // namespace

Poco::Logger& Log() {
  // Looked up once: Logger::get takes a global lock.
  static Poco::Logger& logger = Poco::Logger::get("marathon_lb");
  return logger;
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    uint32_t cp = 0;
    if (!NextCodePoint(text, &i, &cp)) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == '"' || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[cp >> 4]);
      out.push_back(kHex[cp & 0xf]);
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  out.push_back('"');
  return out;
}

namespace {

// The code point of the UTF-8 sequence at text[i] that EscapeLogText
// escapes (see logging.h), and its length in *n; 0 for any other.
uint32_t EscapedCodePoint(std::string_view text, size_t i, size_t* n) {
  const auto byte = [&](size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (byte(0) == 0xc2 && byte(1) >= 0x80 && byte(1) <= 0x9f) {
    *n = 2;
    return byte(1);  // U+0080..U+009F
  }
  if (byte(0) == 0xe2 && (byte(1) == 0x80 || byte(1) == 0x81)) {
    const uint32_t cp = 0x2000 + ((byte(1) & 0x3f) << 6) + (byte(2) & 0x3f);
    if ((byte(2) & 0xc0) == 0x80 &&
        ((cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))) {
      *n = 3;
      return cp;
    }
  }
  return 0;
}

}  // namespace

std::string EscapeLogText(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  // The bytes that start something escaped (most messages have none).
  const auto special = [](unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f || c == 0xc2 || c == 0xe2;
  };
  size_t first = 0;
  while (first < text.size() &&
         !special(static_cast<unsigned char>(text[first]))) {
    ++first;
  }
  std::string out(text.substr(0, first));
  if (first == text.size()) {
    return out;
  }
  out.reserve(text.size() + 16);
  for (size_t i = first; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    if (!special(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x80) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else if (const uint32_t cp = EscapedCodePoint(text, i, &n); cp != 0) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) {
        out.push_back(kHex[(cp >> shift) & 0xf]);
      }
      i += n - 1;
    } else {
      out.push_back(static_cast<char>(c));  // another character
    }
  }
  return out;
}

Status SetupLogging(const std::string& level, const std::string& syslog_socket,
                    const std::string& format) {
  std::vector<PythonFormatter::Piece> pieces;
  if (format != kJsonLogFormat) {
    if (std::string bad = PythonFormatter::Parse(format, &pieces);
        !bad.empty()) {
      return Status::Error("--log-format", "'" + format + "': " + bad);
    }
  }
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
  Poco::AutoPtr<Poco::Formatter> formatter;
  if (format == kJsonLogFormat) {
    formatter = new JsonFormatter;
  } else {
    formatter = new PythonFormatter(std::move(pieces));
  }
  Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel);
  Poco::AutoPtr<Poco::FormattingChannel> formatted(
      new Poco::FormattingChannel(formatter, console));
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
