// How `marathon-lb zdd` ends: marathon-lb 1.15's zdd.py exit codes, each
// with the Status that says what failed.
#pragma once

#include <string>
#include <utility>

#include "core/base/status.h"

namespace mlb::zdd {

// zdd.py's exit codes, kept so that scripts written for it keep working.
enum class Exit : int {
  kSuccess = 0,
  kDeclined = 1,          // the operator answered no
  kUnknown = 2,           // anything else (a pre-kill hook that refused)
  kInvalidArgs = 3,       // flags that do not fit the group's state
  kMissingField = 4,      // the app definition lacks what zdd needs
  kLbEndpoint = 5,        // marathon-lb unreachable or never drained
  kMarathonEndpoint = 6,  // Marathon unreachable or answering errors
  kCreateFailed = 7,      // POST /v2/apps failed
  kDeleteFailed = 8,      // DELETE /v2/apps/<id> failed
  kScaleFailed = 9,       // scaling or killing tasks failed
};

// An exit code and, unless it is success, why.
class [[nodiscard]] Outcome {
 public:
  Outcome() = default;
  static Outcome Ok() { return Outcome(); }
  static Outcome Fail(Exit exit, Status status) {
    Outcome out;
    out.exit_ = exit;
    out.status_ = std::move(status);
    return out;
  }
  static Outcome Fail(Exit exit, const std::string& context,
                      const std::string& detail) {
    return Fail(exit, Status::Error(context, detail));
  }

  bool ok() const { return exit_ == Exit::kSuccess; }
  Exit exit() const { return exit_; }
  int code() const { return static_cast<int>(exit_); }
  const Status& status() const { return status_; }

 private:
  Exit exit_ = Exit::kSuccess;
  Status status_;
};

}  // namespace mlb::zdd

// Returns early from the enclosing function when `expr` is not a success.
#define MLB_ZDD_RETURN_IF_FAILED(expr)         \
  do {                                         \
    ::mlb::zdd::Outcome mlb_outcome_ = (expr); \
    if (!mlb_outcome_.ok()) {                  \
      return mlb_outcome_;                     \
    }                                          \
  } while (0)
