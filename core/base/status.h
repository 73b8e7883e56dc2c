// mlb::Status — the error-as-value type used by every fallible core function.
//
// A Status is either OK or carries a message that says what failed, where and
// why ("label HAPROXY_0_PORT on /web: not a port number: 'http'"). Messages are
// meant for operators and tests compare them verbatim.
#pragma once

#include <string>
#include <utility>

namespace mlb {

class [[nodiscard]] Status {
 public:
  // Where a failure's effect ends. A kService error drops one service port and
  // the rest of the config still renders; a kGlobal error aborts the whole
  // generation so the live config stays.
  enum class Scope { kGlobal, kService };

  Status() = default;
  static Status OK() { return Status(); }
  static Status Error(std::string message) {
    return Status(std::move(message), Scope::kGlobal);
  }
  // "context: detail", the house format for messages with a subject.
  static Status Error(const std::string& context, const std::string& detail) {
    return Status(context + ": " + detail, Scope::kGlobal);
  }
  static Status ServiceError(std::string message) {
    return Status(std::move(message), Scope::kService);
  }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }
  Scope scope() const { return scope_; }

  // Returns a copy whose message is prefixed with "context: ".
  Status WithContext(const std::string& context) const {
    if (ok()) {
      return *this;
    }
    return Status(context + ": " + message_, scope_);
  }

 private:
  Status(std::string message, Scope scope)
      : failed_(true), message_(std::move(message)), scope_(scope) {}

  bool failed_ = false;
  std::string message_;
  Scope scope_ = Scope::kGlobal;
};

}  // namespace mlb

// Returns early from the enclosing function when `expr` is not OK.
#define MLB_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::mlb::Status mlb_status_ = (expr);    \
    if (!mlb_status_.ok()) {               \
      return mlb_status_;                  \
    }                                      \
  } while (0)
