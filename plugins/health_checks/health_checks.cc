// Template family "health_checks": turns the Marathon health check chosen for
// a service port into backend options (httpchk) and per-server check options.
//
// As in marathon-lb 1.15: the TCP templates apply when the service is in tcp
// mode or the check's protocol is TCP/MESOS_TCP, the HTTP ones otherwise; an
// empty template adds nothing; the server templates are inline options
// (trimmed, prefixed with one space) that become the {healthCheckOptions} of
// every server line of the service.
#include <optional>
#include <string>

#include "health_checks_templates.h"
#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

// The placeholders every health-check template receives, for `check`.
sdk::Vars CheckVars(const sdk::HealthCheck& check) {
  sdk::Vars vars = {
      {"healthCheckPortIndex", sdk::PyStr(check.port_index)},
      {"healthCheckProtocol", check.protocol},
      {"healthCheckPath", check.path},
      {"healthCheckTimeoutSeconds", check.timeout_seconds},
      {"healthCheckIntervalSeconds", check.interval_seconds},
      {"healthCheckGracePeriodSeconds", check.grace_period_seconds},
      {"healthCheckMaxConsecutiveFailures", check.max_consecutive_failures},
      {"healthCheckFalls", check.max_consecutive_failures + 1},
      {"healthCheckIgnoreHttp1xx", sdk::PyStr(check.ignore_http1xx)},
      {"healthCheck", check.raw_repr}};
  for (const auto& [key, value] : check.raw_fields) {
    vars.Set("healthCheck[" + key + "]", value);
  }
  return vars;
}

// {healthCheckPort} and {healthCheckPortOptions} for `port`.
void SetPort(std::optional<int> port, sdk::Vars* vars) {
  vars->Set("healthCheckPort", sdk::PyStr(port));
  vars->Set("healthCheckPortOptions",
            port && *port != 0 ? " port " + std::to_string(*port) : "");
}

class HealthChecks : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    server_options_.clear();
    if (!svc.health_check) {
      return true;
    }
    const sdk::HealthCheck& check = *svc.health_check;
    const bool tcp = svc.mode == "tcp" || check.protocol == "TCP" ||
                     check.protocol == "MESOS_TCP";
    // The backend's {healthCheckPort} is its first server's port, the
    // servers' the check's own.
    sdk::Vars vars = CheckVars(check);
    SetPort(svc.servers.empty() ? std::nullopt
                                : std::optional<int>(svc.servers.front().port),
            &vars);
    if (!emit.Add(tcp ? BACKEND_TCP_HEALTHCHECK_OPTIONS
                      : BACKEND_HTTP_HEALTHCHECK_OPTIONS,
                  vars)) {
      return false;
    }
    SetPort(check.port, &vars);
    return emit.Render(tcp ? BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS
                           : BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS,
                       vars, &server_options_);
  }

  bool ServerOptions(const sdk::Service& svc, const sdk::Server&,
                     sdk::Vars& options, sdk::Emitter&) override {
    if (svc.health_check) {
      options.Set("healthCheckOptions", server_options_);
    }
    return true;
  }

 private:
  std::string server_options_;  // of the service being rendered
};

}  // namespace

MLB_DECLARE_PLUGIN("health_checks", "io.mlb.builtin", "2.0.0",
                   "marathon-lb health checks: httpchk and server check options",
                   kTemplates, MLB_NO_LABELS, HealthChecks);
