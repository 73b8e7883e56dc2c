// Example template pack: family "rate_limit", which marathon-lb's core has
// never heard of. Built out of tree with nothing but mlb/plugin/sdk.h
// (docs/plugin-sdk.md shows how).
//
// An app opts in per service port with the label
//   HAPROXY_{n}_RATE_LIMIT=N   (requests per 10 s per client IP, N >= 1)
// and that port's backend then counts requests per source address in a
// stick-table and answers 429 once a client exceeds N within 10 s:
//   stick-table type ip size 100k expire 30s store http_req_rate(10s)
//   http-request track-sc0 src
//   http-request deny deny_status 429 if { sc_http_req_rate(0) gt N }
// A tcp-mode port counts connections instead (BACKEND_TCP_RATE_LIMIT). Both
// templates are overridable like marathon-lb's own: a templates/ file
// HAPROXY_BACKEND_RATE_LIMIT, or a label HAPROXY_{n}_BACKEND_RATE_LIMIT.
// marathon-lb reads the label as an integer (a value that is not one drops
// the port, naming the label); the pack refuses one below 1.
#include <string>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

// The templates, by id: their index in kTemplates.
enum : sdk::TemplateId { BACKEND_RATE_LIMIT, BACKEND_TCP_RATE_LIMIT };

// marathon-lb template syntax: {name} is a placeholder, {{ and }} are
// literal braces (HAProxy's anonymous ACL). Both go to the service's
// backend, after its http options (order 30) and before sticky (40).
const mlb_template_def kTemplates[] = {
    {"BACKEND_RATE_LIMIT",
     "  stick-table type ip size 100k expire 30s store http_req_rate(10s)\n"
     "  http-request track-sc0 src\n"
     "  http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt "
     "{rateLimit} }}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend rateLimit",
     "rate limit of an http backend: {rateLimit} requests per 10 s per "
     "client IP",
     MLB_SECTION_BACKEND, 31, "", ""},
    {"BACKEND_TCP_RATE_LIMIT",
     "  stick-table type ip size 100k expire 30s store conn_rate(10s)\n"
     "  tcp-request content track-sc0 src\n"
     "  tcp-request content reject if {{ sc_conn_rate(0) gt {rateLimit} }}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend rateLimit",
     "rate limit of a tcp backend: {rateLimit} connections per 10 s per "
     "client IP",
     MLB_SECTION_BACKEND, 31, "", ""},
};

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_RATE_LIMIT", MLB_LABEL_INTEGER,
     "Requests per 10 s per client IP that port n's backend accepts; more "
     "are answered 429 (tcp mode: connections, refused). At least 1."},
};

class RateLimit : public sdk::Family {
 public:
  bool AddService(const sdk::Service& svc, sdk::Emitter& emit) override {
    const sdk::LabelValue* limit = svc.Label("HAPROXY_{n}_RATE_LIMIT");
    if (limit == nullptr) {
      return true;
    }
    if (limit->number < 1) {
      return emit.Fail("label " + limit->label + ": " +
                       std::to_string(limit->number) +
                       " is below 1 (requests per 10 s per client IP)");
    }
    return emit.Add(
        svc.mode == "http" ? BACKEND_RATE_LIMIT : BACKEND_TCP_RATE_LIMIT,
        {{"backend", svc.backend}, {"rateLimit", limit->number}});
  }
};

}  // namespace

MLB_DECLARE_PLUGIN(
    "rate_limit", "com.example.rate_limit", "1.0.0",
    "example: per-client-IP request rate limit from HAPROXY_{n}_RATE_LIMIT",
    kTemplates, MLB_LABELS(kLabels), RateLimit);
