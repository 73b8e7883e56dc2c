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
// A value that is not a positive integer drops that service port with an
// error naming the label and the value (marathon-lb adds the app).
#include <string>

#include "mlb/plugin/sdk.h"

namespace {

namespace sdk = mlb::sdk;

// marathon-lb template syntax: {name} is a placeholder, {{ and }} are
// literal braces (HAProxy's anonymous ACL).
const mlb_template_def kTemplates[] = {
    {"BACKEND_RATE_LIMIT",
     "  stick-table type ip size 100k expire 30s store http_req_rate(10s)\n"
     "  http-request track-sc0 src\n"
     "  http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt "
     "{rateLimit} }}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend rateLimit",
     "rate limit of an http backend: {rateLimit} requests per 10 s per "
     "client IP"},
    {"BACKEND_TCP_RATE_LIMIT",
     "  stick-table type ip size 100k expire 30s store conn_rate(10s)\n"
     "  tcp-request content track-sc0 src\n"
     "  tcp-request content reject if {{ sc_conn_rate(0) gt {rateLimit} }}\n",
     MLB_TEMPLATE_OVERRIDABLE, "backend rateLimit",
     "rate limit of a tcp backend: {rateLimit} connections per 10 s per "
     "client IP"},
};

const mlb_label_def kLabels[] = {
    {"HAPROXY_{n}_RATE_LIMIT",
     "Requests per 10 s per client IP that port n's backend accepts; more "
     "are answered 429 (tcp mode: connections, refused). A positive integer."},
};

// The value as written, on one line: control characters as \xNN.
std::string Quote(const std::string& value) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

// "1".."999999999": digits only, no sign, no spaces, not zero.
bool IsPositiveInteger(const std::string& s) {
  if (s.empty() || s.size() > 9 || s[0] == '0') {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

class RateLimit : public sdk::Family {
 public:
  bool AddService(const sdk::ConfigView&, const sdk::ServiceView& svc,
                  sdk::Emitter& emit) override {
    if (svc.labels == nullptr) {
      return true;
    }
    const std::string label =
        "HAPROXY_" + std::to_string(svc.port_index) + "_RATE_LIMIT";
    const auto it = svc.labels->find(label);
    if (it == svc.labels->end()) {
      return true;
    }
    if (!IsPositiveInteger(it->second)) {
      emit.Fail("label " + label + ": " + Quote(it->second) +
                " is not a positive integer (requests per 10 s per client "
                "IP)");
      return false;
    }
    const sdk::Vars vars = {{"backend", svc.backend},
                            {"rateLimit", it->second}};
    std::string text;
    if (!emit.Render(svc.mode == "http" ? "BACKEND_RATE_LIMIT"
                                        : "BACKEND_TCP_RATE_LIMIT",
                     vars, &text)) {
      return false;
    }
    // After the backend's http options, before sticky and health checks.
    emit.Append(sdk::Backend(svc.backend), sdk::kSectionBackend,
                sdk::kLineHttpOptions + 1, text);
    return true;
  }
};

}  // namespace

MLB_DECLARE_PLUGIN_WITH_LABELS(
    "rate_limit", "com.example.rate_limit", "1.0.0",
    "example: per-client-IP request rate limit from HAPROXY_{n}_RATE_LIMIT",
    kTemplates, kLabels, RateLimit);
