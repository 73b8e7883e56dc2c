// Template family "health_checks": turns the Marathon health check chosen for
// a service port into backend options (httpchk) and per-server check options.
//
// As in marathon-lb 1.15: the TCP templates apply when the service is in tcp
// mode or the check's protocol is TCP/MESOS_TCP, the HTTP ones otherwise; an
// empty template adds nothing; the server templates are inline options
// (trimmed, prefixed with one space) that become the {healthCheckOptions} of
// every server line of the service. With
// HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX (Service::check_ports) each
// server is checked on a port of its own: " port N" in its options.
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
    server_template_ = tcp ? BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS
                           : BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS;
    vars_ = CheckVars(check);
    // The backend's {healthCheckPort}: the port its first server is checked
    // on (with HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX), else that
    // server's port.
    std::optional<int> first_port;
    if (!svc.servers.empty()) {
      first_port = svc.CheckPort(svc.servers.front())
                       .value_or(svc.servers.front().port);
    }
    SetPort(first_port, &vars_);
    if (!emit.Add(tcp ? BACKEND_TCP_HEALTHCHECK_OPTIONS
                      : BACKEND_HTTP_HEALTHCHECK_OPTIONS,
                  vars_)) {
      return false;
    }
    if (!svc.check_ports.empty()) {
      return true;  // each server has its own port: ServerOptions renders
    }
    // The servers' {healthCheckPort} is the check's own port: one text for
    // all of them.
    SetPort(check.port, &vars_);
    return emit.Render(server_template_, vars_, &server_options_);
  }

  bool ServerOptions(const sdk::Service& svc, const sdk::Server& server,
                     sdk::Vars& options, sdk::Emitter& emit) override {
    if (!svc.health_check) {
      return true;
    }
    if (!svc.check_ports.empty()) {
      sdk::Vars vars = vars_;
      SetPort(svc.CheckPort(server), &vars);
      server_options_.clear();
      if (!emit.Render(server_template_, vars, &server_options_)) {
        return false;
      }
    }
    options.Set("healthCheckOptions", server_options_);
    return true;
  }

 private:
  // Of the service being rendered:
  sdk::TemplateId server_template_ = 0;
  sdk::Vars vars_;              // its check's placeholders
  std::string server_options_;  // its servers' {healthCheckOptions}
};

}  // namespace

MLB_DECLARE_PLUGIN("health_checks", "io.mlb.builtin", "2.0.0",
                   "marathon-lb health checks: httpchk and server check options",
                   kTemplates, MLB_NO_LABELS, HealthChecks);
