// Template family "health_checks": turns the Marathon health check chosen for
// a service port into backend options (httpchk) and per-server check options.
//
// As in marathon-lb 1.15: the TCP templates apply when the service is in tcp
// mode or the check's protocol is TCP/MESOS_TCP, the HTTP ones otherwise; an
// empty template adds nothing; the server templates are inline options
// (trimmed, prefixed with one space) that become the {healthCheckOptions} of
// the server line.
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

// The placeholder set every health-check template receives. `port` is the
// value of {healthCheckPort}.
Vars HealthCheckVars(const HealthCheckView& check, std::optional<int> port) {
  const std::string port_options =
      port && *port != 0 ? " port " + std::to_string(*port) : "";
  Vars vars = {
      {"healthCheckPortIndex", sdk::PyStr(check.port_index)},
      {"healthCheckPort", sdk::PyStr(port)},
      {"healthCheckPortOptions", port_options},
      {"healthCheckProtocol", check.protocol},
      {"healthCheckPath", check.path},
      {"healthCheckTimeoutSeconds", std::to_string(check.timeout_seconds)},
      {"healthCheckIntervalSeconds", std::to_string(check.interval_seconds)},
      {"healthCheckGracePeriodSeconds",
       std::to_string(check.grace_period_seconds)},
      {"healthCheckMaxConsecutiveFailures",
       std::to_string(check.max_consecutive_failures)},
      {"healthCheckFalls", std::to_string(check.max_consecutive_failures + 1)},
      {"healthCheckIgnoreHttp1xx", sdk::PyStr(check.ignore_http1xx)},
      {"healthCheck", check.raw_repr},
  };
  for (const auto& [key, value] : check.raw_fields) {
    vars["healthCheck[" + key + "]"] = value;
  }
  return vars;
}

class HealthChecks : public sdk::Family {
 public:
  bool AddService(const ConfigView&, const ServiceView& svc,
                  Emitter& emit) override {
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
    std::string text;
    if (!emit.Render(name, HealthCheckVars(*svc.health_check, port), &text)) {
      return false;
    }
    if (!text.empty()) {
      emit.Append(sdk::Backend(svc.backend), sdk::kSectionBackend,
                  sdk::kLineHealthCheck, text);
    }
    return true;
  }

  bool ServerVars(const ConfigView&, const ServiceView& svc, const ServerView&,
                  Vars* vars, Emitter& emit) override {
    if (!svc.health_check) {
      return true;
    }
    const char* name = UsesTcpTemplates(svc)
                           ? "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS"
                           : "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS";
    // An inline template: already trimmed and space-prefixed.
    return emit.Render(
        name, HealthCheckVars(*svc.health_check, svc.health_check->port),
        &(*vars)["healthCheckOptions"]);
  }
};

}  // namespace

MLB_DECLARE_PLUGIN("health_checks", "io.mlb.builtin", "1.0.0",
                   "marathon-lb health checks: httpchk and server check options",
                   kTemplates, HealthChecks);
