// Marathon's REST API: GET /v2/apps?embed=apps.tasks and the event
// subscription calls, with marathon-lb 1.15's access rules.
//
// Each --marathon value is an http(s):// base URL or "file:PATH" (a saved
// /v2/apps response, for offline rendering). Requests go to the Marathon that
// answered last; on a connection error, a timeout or a 5xx answer the next
// one is tried, and the first that answers becomes the one used from then on
// (a dead leader is not tried first again). Redirects (Marathon >= 1.7
// non-leaders) are followed, up to 3; the credentials go along only to
// another --marathon host and never from https:// to http://. Every answer
// is bounded in size (max_bytes) and time (total_timeout_ms), an error
// body too (it is not read). GETs ask for gzip ("Accept-Encoding: gzip", as
// marathon-lb 1.15 did) and a gzip answer is inflated as it is read, the
// size limit counting the inflated bytes. TLS
// certificates are verified: against --marathon-ca-cert, or the system CAs.
// With a DC/OS service account (dcos_auth.h) every request carries its
// token; a 401 answer is followed by a new login and one retry of that
// request on that Marathon.
//
// Thread-safety: all methods may be called from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/http_client.h"
#include "core/base/status.h"
#include "core/marathon/apps.h"
#include "core/marathon/dcos_auth.h"

namespace mlb {

// 256 MiB: 22 times the 11.6 MB /v2/apps?embed=apps.tasks answer of a
// 5,000-app cluster, so about 100,000 such apps; a body that never ends is
// cut there instead of growing the process without bound.
constexpr uint64_t kDefaultMarathonMaxBytes = uint64_t{256} << 20;
// 120 s: a whole answer within two of marathon-lb's 46 s read timeouts plus
// room; a Marathon sending one byte per second no longer holds updates.
constexpr int kDefaultMarathonTotalTimeoutMs = 120000;

struct MarathonOptions {
  std::vector<std::string> urls;
  std::string user;      // basic auth; empty: none
  std::string password;
  // A DC/OS service account, in place of basic auth; null: none. Not owned:
  // it outlives the client.
  DcosAuth* dcos_auth = nullptr;
  std::string ca_cert;   // PEM bundle for https; empty: the system CAs
  int connect_timeout_ms = 3050;  // marathon-lb's 3.05 s
  int read_timeout_ms = 46000;    // and 46 s
  // A larger answer is an error (--marathon-max-bytes); 0: no limit.
  uint64_t max_bytes = kDefaultMarathonMaxBytes;
  // One request, redirects and the whole answer included
  // (--marathon-total-timeout); 0: no limit.
  int total_timeout_ms = kDefaultMarathonTotalTimeoutMs;
  // Once cancelled (from any thread; SIGTERM), a request in progress ends
  // at once with "stopped" and none other is sent, nor to the next URL.
  // Null: none. Not owned: it outlives the client.
  HttpCancel* cancel = nullptr;
};

// marathon-lb's credential flags: the first line of `file` (CR/LF stripped)
// wins over `inline_credentials`; either must be exactly "user:password".
//   "--marathon-auth-credential-file F: expected one line user:password"
//   "--auth-credentials: expected user:password"
Status ReadCredentials(const std::string& inline_credentials,
                       const std::string& file, std::string* user,
                       std::string* password);

class MarathonClient {
 public:
  explicit MarathonClient(MarathonOptions options);

  // GET /v2/apps?embed=apps.tasks (or reads the file:PATH). *source is the
  // URL that answered.
  Status FetchApps(std::string* json, std::string* source);

  // FetchApps() and ParseApps() in one: a file:PATH is read in chunks as it
  // is parsed, so the document is never held whole in memory. Errors as
  // from the two, a parse error with the source as context.
  Status FetchAndParseApps(std::vector<App>* apps,
                           std::vector<std::string>* warnings,
                           std::string* source);
  // The same, each app given to `sink` as soon as it is read (a retry
  // clears it first).
  Status FetchAndParseApps(AppSink* sink, std::vector<std::string>* warnings,
                           std::string* source);

  // GET /v2/apps<app_id>?embed=app.tasks, parsed. Error: an id with other
  // characters than Marathon allows (letters, digits, '.', '-', '/'), or
  // as from Request() and ParseApp(), the app id as context.
  // *gone (if given): Marathon answered 404, it has no such app.
  Status FetchApp(const std::string& app_id, App* app, bool* gone = nullptr);

  // One request with failover; `path` starts with '/'. Any 2xx is success.
  Status Request(const std::string& method, const std::string& path,
                 const std::string& body, std::string* response,
                 std::string* source);

  // Request() with the body of a 2xx answer given to `read_body` (with the
  // base URL that answered) as it arrives, rather than collected: its
  // Status is the result. An exception it lets through (a broken
  // connection) counts as that Marathon failing.
  using BodyReader =
      std::function<Status(std::istream& body, const std::string& base)>;
  Status RequestWith(const std::string& method, const std::string& path,
                     const std::string& body, const BodyReader& read_body,
                     std::string* source);

  // The Marathon base URL requests go to first.
  std::string CurrentUrl() const;
  const MarathonOptions& options() const { return options_; }

 private:
  MarathonOptions options_;
  HttpClient http_;
  mutable std::mutex mu_;
  size_t current_ = 0;  // guarded by mu_
};

// One-off fetch with a client of its own (tools and benchmarks).
Status FetchApps(const MarathonOptions& options, std::string* json,
                 std::string* source);
Status FetchAndParseApps(const MarathonOptions& options, std::vector<App>* apps,
                         std::vector<std::string>* warnings,
                         std::string* source);

}  // namespace mlb
