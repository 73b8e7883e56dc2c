// The one HTTP client: HTTP/1.1 on Poco, for Marathon's REST API, its event
// stream and template archive downloads.
//
// Each Send() is one exchange on a connection of its own (Connection: close):
// http:// or https:// (the certificate verified against `ca_file` or the
// system CAs, and its name checked against the host), redirects followed by
// hand as the options say, the body of a 2xx answer streamed to a reader.
// The TCP connect is done by hand too, so that an HttpCancel can abort it.
//
// Thread-safety: Send() and Fetch() may be called from several threads at
// once, each with its own HttpCancel (if any).
#pragma once

#include <Poco/AutoPtr.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/base/version.h"

namespace Poco::Net {
class Context;
}  // namespace Poco::Net

namespace mlb {

// Lets another thread abort the exchange in progress (connecting, the TLS
// handshake, waiting for the headers, reading the body): the socket is shut
// down, so a blocked call returns at once, and Send() returns "stopped".
// Once cancelled it stays cancelled. One exchange at a time may use it.
class HttpCancel {
 public:
  HttpCancel() = default;
  ~HttpCancel();
  HttpCancel(const HttpCancel&) = delete;
  HttpCancel& operator=(const HttpCancel&) = delete;

  // From any thread.
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }

  // For HttpClient: the socket of the exchange in progress. A dup() of the
  // descriptor is kept, so that a shutdown(2) from another thread can never
  // hit a descriptor that was closed and reused meanwhile.
  void Watch(int fd);
  void Unwatch();

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  int fd_ = -1;  // guarded by mu_
};

// Resolves a host name into its addresses, numeric ("10.0.0.2", "::1"),
// for HttpClientOptions::resolver; an error is the reason alone.
using HttpResolver = std::function<Status(
    const std::string& host, std::vector<std::string>* addresses)>;

struct HttpClientOptions {
  // Basic auth. When `user` is empty, the user info of the request URL
  // (http://user:password@host/), if any, is used.
  std::string user;
  std::string password;
  // Whether the credentials go along when a redirect leads to another host
  // or port, and when it leads from https:// to http://. Once dropped they
  // stay dropped.
  bool credentials_to_other_hosts = false;
  bool credentials_to_plain_http = false;
  // Other hosts that are trusted with the credentials all the same (a
  // Marathon non-leader redirects to the leader, another configured
  // Marathon), as "host:port" (e.g. "10.0.0.2:8080"; the host as the URL
  // has it, compared without case).
  std::vector<std::string> credential_hosts;

  // Redirects (301, 302, 303, 307 and 308 with a Location; a 303 turns the
  // request into a GET without a body) followed at most: one more is an
  // error, "more than N redirects"; with 0, "HTTP 307 Temporary Redirect to
  // URL not followed".
  int max_redirects = 3;
  // A redirect from https:// to http:// is an error instead of followed.
  bool refuse_https_to_http = false;

  // The host name's lookup and the TCP connect; more than 0. The lookup
  // runs on a thread of its own, left to finish alone when the connect
  // timeout (cut to the deadlines below) passes first, "resolving HOST
  // took longer than N ms", or the exchange is cancelled, "stopped"; its
  // failure is "resolving HOST: REASON". A literal IP address is not
  // looked up.
  std::chrono::milliseconds connect_timeout{10000};
  // The lookup of a host name: getaddrinfo(3) when unset (the first IPv4
  // address is used, else the first). Since it may outlive the exchange,
  // it must own (by value, by shared_ptr) whatever it uses.
  HttpResolver resolver;
  // Each wait for the peer until the response headers are in (the TLS
  // handshake, sending, the headers); 0: no limit.
  std::chrono::milliseconds read_timeout{60000};
  // Each wait for body bytes after the headers (the idle timeout of a
  // stream); unset: read_timeout; 0: no limit.
  std::optional<std::chrono::milliseconds> body_read_timeout;
  // The whole exchange, redirects and body included; 0: no limit. Every wait
  // above is cut to the time left, and the socket is shut down when it is
  // over, so a peer trickling its headers byte by byte is cut off too:
  // "no complete answer within N ms".
  std::chrono::milliseconds total_timeout{0};
  // The same for the exchange up to the final answer's headers (redirects
  // included), the body not counted: for a stream, whose body has no end.
  // The socket is shut down when it is over, so a peer trickling its head is
  // cut: "no answer head within N ms". 0: no limit.
  std::chrono::milliseconds head_timeout{0};
  // A larger body (by Content-Length, or as counted) is an error,
  // "larger than N bytes"; 0: no limit.
  uint64_t max_body_bytes = 0;
  // The flags that set the two limits above, if any: the errors then name
  // them, "larger than N bytes (--flag)", "no complete answer within N ms
  // (--flag)".
  std::string max_body_bytes_flag;
  std::string total_timeout_flag;
  std::string head_timeout_flag;

  // PEM bundle of the CAs for https; empty: the system CAs.
  std::string ca_file;
  std::string user_agent = std::string("marathon-lb/") + Version();

  // Called before a redirect is followed, with the URL that answered, its
  // status line ("HTTP 307 Temporary Redirect") and the URL it leads to
  // (URLs without user info).
  std::function<void(const std::string& from, const std::string& status_line,
                     const std::string& to)>
      on_redirect;
  // Not owned; may be null.
  HttpCancel* cancel = nullptr;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http(s)://[user:password@]host[:port][/path][?query]
  // Sent besides Host, User-Agent, Authorization and Connection.
  std::vector<std::pair<std::string, std::string>> headers;
  // The Authorization value (e.g. "token=..."), sent in place of the basic
  // credentials and, like them, dropped on redirects as the options say.
  // Empty: the basic credentials, if any.
  std::string authorization;
  std::string body;          // sent with a Content-Length when not empty
  std::string content_type;  // of `body`; empty: no Content-Type
  // Sends "Accept-Encoding: gzip"; a body with "Content-Encoding: gzip" (or
  // x-gzip) is then inflated as it is read (never whole in memory), and
  // max_body_bytes counts the inflated bytes; another Content-Encoding (but
  // identity) is an error. Without it the body is given as sent, whatever
  // its Content-Encoding (a server may label a .tar.gz download gzip).
  bool accept_gzip = false;
};

struct HttpResponse {
  // The URL of the last request sent or attempted, without user info.
  std::string url;
  int status = 0;  // 0: no answer
  std::string reason;
  // The headers of the answer, in order (a name may repeat: Set-Cookie).
  std::vector<std::pair<std::string, std::string>> headers;
  // The exchange ended by a network failure (DNS, connect, TLS, a timeout, a
  // broken or truncated connection, an exception out of the body reader)
  // rather than by an answer: another server may do better.
  bool transport_failed = false;

  bool ok() const { return status / 100 == 2; }
  // "HTTP 404 Not Found".
  std::string StatusLine() const;
};

// Reads the body of a 2xx answer as it arrives. The stream throws (badbit is
// in its exception mask) on a network failure, a timeout or when the body
// breaks the options' limits; a reader may also read its streambuf directly.
// Its Status is Send()'s result.
using HttpBodyReader =
    std::function<Status(const HttpResponse& response, std::istream& body)>;

// "host:port" of an http(s):// URL, the host lower-cased and the port
// explicit or the scheme's (as HttpClientOptions::credential_hosts wants);
// empty if `url` is not one.
std::string HostAndPortOf(const std::string& url);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and follows redirects. On the final answer *response
  // holds its status, and for a 2xx answer `read_body` has been called; a
  // non-2xx answer is not an error here (its body is not read). Errors carry
  // no URL (response->url names the one that failed): "connect: Connection
  // refused", "connect timed out after N ms", "resolving HOST took longer
  // than N ms", "resolving HOST: Name or service not known", "HTTP 307 Temporary Redirect
  // without a Location header", "more than N redirects", "redirect to URL
  // refused (only http and https)", "redirect from https to URL refused",
  // "larger than N bytes", "connection closed after N of M bytes", "no
  // complete answer within N ms", "no answer head within N ms", "stopped",
  // for a gzip body "gzip body larger than N bytes inflated", "gzip body
  // corrupt: ZLIB'S REASON", "gzip body truncated after N bytes",
  // "unsupported Content-Encoding: X", a Poco exception's text (for a
  // certificate that fails verification, with OpenSSL's reason appended:
  // "...: certificate verify failed (self-signed certificate)"), or
  // what `read_body` returned.
  Status Send(const HttpRequest& request, const HttpBodyReader& read_body,
              HttpResponse* response) const;

  // Send() with the body of a 2xx answer collected into *body.
  Status Fetch(const HttpRequest& request, std::string* body,
               HttpResponse* response) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  // The TLS client context, made on first use.
  Status TlsContext(Poco::AutoPtr<Poco::Net::Context>* out) const;

  const HttpClientOptions options_;
  mutable std::mutex mu_;
  mutable Poco::AutoPtr<Poco::Net::Context> context_;  // guarded by mu_
};

}  // namespace mlb
