// Logging set-up: marathon-lb's --log-level names and --syslog-socket.
#pragma once

#include <Poco/Logger.h>

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace mlb {

// The logger every part of marathon-lb writes to.
Poco::Logger& Log();

// marathon-lb 1.15's --log-format default.
inline constexpr char kDefaultLogFormat[] = "%(asctime)-15s %(name)s: %(message)s";

// The --log-format that writes each record as one JSON object:
// {"time":"2026-12-06T06:22:06.763Z","level":"INFO","name":"marathon_lb",
//  "message":"..."} (time in UTC).
inline constexpr char kJsonLogFormat[] = "json";

// Console (stderr) always, each line as `format` says (Python logging's
// %(field)s syntax: asctime, msecs, name, levelname, levelno, message,
// process, thread, with an optional width such as %(asctime)-15s; %% is a
// '%'; or kJsonLogFormat); syslog datagrams to `syslog_socket` too unless
// it is /dev/null or absent. Every message is shown with the passwords of
// the URLs in it redacted (RedactUrl) and escaped (EscapeLogText; in JSON,
// as a JSON string). Errors: "Invalid log level: BANANA", "--log-format:
// ...".
Status SetupLogging(const std::string& level, const std::string& syslog_socket,
                    const std::string& format = kDefaultLogFormat);

// A message as one log record shows it: a line feed becomes the two
// characters backslash and n, a carriage return backslash and r, any other
// control character but tab backslash, x and two hex digits (ESC: \x1b),
// and in UTF-8 the C1 controls (NEL, CSI: \u0085, \u009b), the line and
// paragraph separators (\u2028, \u2029) and the bidi overrides and
// isolates (\u202a-\u202e, \u2066-\u2069) backslash, u and four hex
// digits, so that no input quoted in a message (an app id, a label, a
// health-check path, HAProxy's output, Marathon's reason phrase) can start
// a record of its own, drive a terminal or reorder what a reader sees.
std::string EscapeLogText(std::string_view text);

// `text` as a JSON string, quotes included: control characters as \n, \t,
// \r or \u00XX, and each byte that is not part of valid UTF-8 as \ufffd,
// so that the record is valid JSON whatever the message quotes.
std::string JsonQuote(std::string_view text);

}  // namespace mlb

// Logs `message` at Poco's `level` (debug, information, notice, warning,
// error) only when that level is on: the message expression is not
// evaluated otherwise, so a line that is off costs no formatting.
//   MLB_LOG(debug, url + ": ignoring " + type);
#define MLB_LOG(level, message)      \
  do {                               \
    if (::mlb::Log().level()) {      \
      ::mlb::Log().level(message);   \
    }                                \
  } while (false)
