// Template family "health_checks": turns the Marathon health check chosen for
// a service port into backend options (httpchk) and per-server check options.
//
// As in marathon-lb 1.15: the TCP templates apply when the service is in tcp
// mode or the check's protocol is TCP/MESOS_TCP, the HTTP ones otherwise; an
// empty template adds nothing; the server templates are inline options
// (trimmed, prefixed with one space) that become the {healthCheckOptions} of
// the server line.
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "health_checks_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

using mlb::sdk::ConfigView;
using mlb::sdk::Emitter;
using mlb::sdk::HealthCheckView;
using mlb::sdk::ServerView;
using mlb::sdk::ServiceView;
using mlb::sdk::Vars;
namespace sdk = mlb::sdk;

#define MLB_HEALTH_CHECK_VARS                                                \
  "healthCheckPortIndex healthCheckPort healthCheckPortOptions "             \
  "healthCheckProtocol healthCheckPath healthCheckTimeoutSeconds "           \
  "healthCheckIntervalSeconds healthCheckGracePeriodSeconds "                \
  "healthCheckMaxConsecutiveFailures healthCheckFalls "                      \
  "healthCheckIgnoreHttp1xx healthCheck healthCheck[*]"

const mlb_template_def kTemplates[] = {
    {"BACKEND_HTTP_HEALTHCHECK_OPTIONS",
     kTemplate_BACKEND_HTTP_HEALTHCHECK_OPTIONS, MLB_TEMPLATE_OVERRIDABLE,
     MLB_HEALTH_CHECK_VARS, "backend options for an HTTP health check"},
    {"BACKEND_TCP_HEALTHCHECK_OPTIONS",
     kTemplate_BACKEND_TCP_HEALTHCHECK_OPTIONS, MLB_TEMPLATE_OVERRIDABLE,
     MLB_HEALTH_CHECK_VARS, "backend options for a TCP health check"},
    {"BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
     kTemplate_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS,
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_INLINE, MLB_HEALTH_CHECK_VARS,
     "server check options for an HTTP health check"},
    {"BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS",
     kTemplate_BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS,
     MLB_TEMPLATE_OVERRIDABLE | MLB_TEMPLATE_INLINE, MLB_HEALTH_CHECK_VARS,
     "server check options for a TCP health check"},
};

bool UsesTcpTemplates(const ServiceView& svc) {
  const std::string& protocol = svc.health_check->protocol;
  return svc.mode == "tcp" || protocol == "TCP" || protocol == "MESOS_TCP";
}

// The placeholder set every health-check template receives, in one map
// updated in place from one service to the next: its nodes and their
// buffers are reused, where building it afresh meant some twenty strings
// allocated and freed twice per service.
class CheckVars {
 public:
  CheckVars() {
    for (size_t i = 0; i < kFixedCount; ++i) {
      fixed_[i] = &vars_[kFixedNames[i]];
    }
  }

  const Vars& vars() const { return vars_; }

  // The values for `check`, with `port` as {healthCheckPort}.
  void Set(const HealthCheckView& check, std::optional<int> port) {
    *fixed_[kPortIndex] = sdk::PyStr(check.port_index);
    *fixed_[kProtocol] = check.protocol;
    *fixed_[kPath] = check.path;
    SetNumber(check.timeout_seconds, fixed_[kTimeout]);
    SetNumber(check.interval_seconds, fixed_[kInterval]);
    SetNumber(check.grace_period_seconds, fixed_[kGracePeriod]);
    SetNumber(check.max_consecutive_failures, fixed_[kMaxFailures]);
    SetNumber(check.max_consecutive_failures + 1, fixed_[kFalls]);
    *fixed_[kIgnoreHttp1xx] = sdk::PyStr(check.ignore_http1xx);
    *fixed_[kRepr] = check.raw_repr;
    // {healthCheck[key]} for exactly the keys of this check: entries of the
    // previous check that this one lacks go.
    std::vector<Vars::iterator> raw;
    raw.reserve(check.raw_fields.size());
    for (const auto& [key, value] : check.raw_fields) {
      name_.assign("healthCheck[");
      name_ += key;
      name_ += ']';
      auto [it, inserted] = vars_.try_emplace(name_);
      it->second = value;
      raw.push_back(it);
    }
    for (const Vars::iterator& it : raw_) {
      if (std::find(raw.begin(), raw.end(), it) == raw.end()) {
        vars_.erase(it);
      }
    }
    raw_.swap(raw);
    SetPort(port);
  }

  // The two placeholders that depend on the port.
  void SetPort(std::optional<int> port) {
    *fixed_[kPort] = sdk::PyStr(port);
    std::string& options = *fixed_[kPortOptions];
    options.clear();
    if (port && *port != 0) {
      options = " port ";
      AppendNumber(*port, &options);
    }
  }

 private:
  enum Fixed : size_t {
    kPortIndex,
    kPort,
    kPortOptions,
    kProtocol,
    kPath,
    kTimeout,
    kInterval,
    kGracePeriod,
    kMaxFailures,
    kFalls,
    kIgnoreHttp1xx,
    kRepr,
    kFixedCount
  };
  static constexpr const char* kFixedNames[kFixedCount] = {
      "healthCheckPortIndex",
      "healthCheckPort",
      "healthCheckPortOptions",
      "healthCheckProtocol",
      "healthCheckPath",
      "healthCheckTimeoutSeconds",
      "healthCheckIntervalSeconds",
      "healthCheckGracePeriodSeconds",
      "healthCheckMaxConsecutiveFailures",
      "healthCheckFalls",
      "healthCheckIgnoreHttp1xx",
      "healthCheck",
  };

  static void AppendNumber(int value, std::string* out) {
    char digits[16];
    const std::to_chars_result r =
        std::to_chars(digits, digits + sizeof(digits), value);
    out->append(digits, r.ptr);
  }
  static void SetNumber(int value, std::string* out) {
    out->clear();
    AppendNumber(value, out);
  }

  Vars vars_;
  std::string* fixed_[kFixedCount];
  std::vector<Vars::iterator> raw_;  // the {healthCheck[key]} entries
  std::string name_;                 // scratch for their names
};

class HealthChecks : public sdk::Family {
 public:
  bool AddService(const ConfigView&, const ServiceView& svc,
                  Emitter& emit) override {
    server_options_ready_ = false;
    if (!svc.health_check) {
      return true;
    }
    // The backend-level {healthCheckPort} is the first server's port.
    std::optional<int> port;
    if (!svc.servers.empty()) {
      port = svc.servers.front().port;
    }
    const char* name = UsesTcpTemplates(svc)
                           ? "BACKEND_TCP_HEALTHCHECK_OPTIONS"
                           : "BACKEND_HTTP_HEALTHCHECK_OPTIONS";
    // Kept for the server options of this service, which differ only in
    // the port.
    vars_.Set(*svc.health_check, port);
    if (!emit.Render(name, vars_.vars(), &text_)) {
      return false;
    }
    if (!text_.empty()) {
      emit.Append(sdk::Backend(svc.backend), sdk::kSectionBackend,
                  sdk::kLineHealthCheck, text_);
    }
    return true;
  }

  bool ServerVars(const ConfigView&, const ServiceView& svc, const ServerView&,
                  Vars* vars, Emitter& emit) override {
    if (!svc.health_check) {
      return true;
    }
    // The options depend on the service only (its check, its mode), not on
    // the server: rendered for the first server of the service, when they
    // always were (so a failure still shows at the same point), and reused
    // for the others. AddService, which the host calls before the servers
    // of each service, forgets them and sets vars_.
    if (!server_options_ready_) {
      const char* name = UsesTcpTemplates(svc)
                             ? "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS"
                             : "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS";
      // An inline template: already trimmed and space-prefixed.
      vars_.SetPort(svc.health_check->port);
      if (!emit.Render(name, vars_.vars(), &server_options_)) {
        return false;
      }
      server_options_ready_ = true;
    }
    // The key and value copied straight into the new entry (operator[]
    // made the key from the literal, then assigned the value).
    vars->insert_or_assign(options_key_, server_options_);
    return true;
  }

 private:
  CheckVars vars_;  // of the current service
  std::string text_;
  bool server_options_ready_ = false;
  std::string server_options_;
  const std::string options_key_ = "healthCheckOptions";
};

}  // namespace

MLB_DECLARE_PLUGIN("health_checks", "io.mlb.builtin", "1.0.0",
                   "marathon-lb health checks: httpchk and server check options",
                   kTemplates, HealthChecks);
