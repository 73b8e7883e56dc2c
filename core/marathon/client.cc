#include "core/marathon/client.h"

#include <Poco/Exception.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "core/base/files.h"
#include "core/base/logging.h"
#include "core/base/text.h"

namespace mlb {
namespace {

constexpr int kMaxRedirects = 3;
// Bytes read at a time when parsing as the document is read.
constexpr size_t kParseChunk = 256 * 1024;

bool SplitUserPassword(const std::string& text, std::string* user,
                       std::string* password) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
    return false;
  }
  *user = text.substr(0, colon);
  *password = text.substr(colon + 1);
  return true;
}

// A non-leader Marathon (>= 1.7) redirects to the leader, another host,
// which wants the same credentials: they go to the hosts of the --marathon
// list only (a configured Marathon), never to any other host nor from
// https:// to plain http:// (issue 12, item 9).
HttpClientOptions HttpOptionsFor(const MarathonOptions& options) {
  HttpClientOptions http;
  http.user = options.user;
  http.password = options.password;
  http.credentials_to_other_hosts = false;
  http.credentials_to_plain_http = false;
  for (const std::string& url : options.urls) {
    const std::string host = HostAndPortOf(url);
    if (!host.empty()) {
      http.credential_hosts.push_back(host);
    }
  }
  http.max_redirects = kMaxRedirects;
  http.connect_timeout = std::chrono::milliseconds(options.connect_timeout_ms);
  http.read_timeout = std::chrono::milliseconds(options.read_timeout_ms);
  http.total_timeout = std::chrono::milliseconds(options.total_timeout_ms);
  http.max_body_bytes = options.max_bytes;
  http.total_timeout_flag = "--marathon-total-timeout";
  http.max_body_bytes_flag = "--marathon-max-bytes";
  http.ca_file = options.ca_cert;
  http.cancel = options.cancel;
  return http;
}

// A failure after which the next Marathon is worth a try.
struct Attempt {
  Status status;
  bool try_next = false;
};

}  // namespace

Status ReadCredentials(const std::string& inline_credentials,
                       const std::string& file, std::string* user,
                       std::string* password) {
  if (!file.empty()) {
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return Status::Error("--marathon-auth-credential-file " + file,
                           "cannot be read");
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
      line.pop_back();
    }
    if (!SplitUserPassword(line, user, password)) {
      return Status::Error("--marathon-auth-credential-file " + file,
                           "expected one line user:password");
    }
    return Status::OK();
  }
  if (!inline_credentials.empty() &&
      !SplitUserPassword(inline_credentials, user, password)) {
    return Status::Error("--auth-credentials", "expected user:password");
  }
  return Status::OK();
}

MarathonClient::MarathonClient(MarathonOptions options)
    : options_(std::move(options)), http_(HttpOptionsFor(options_)) {}

std::string MarathonClient::CurrentUrl() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_.urls.empty() ? "" : options_.urls[current_];
}

Status MarathonClient::FetchApps(std::string* json, std::string* source) {
  const std::string first = CurrentUrl();
  if (first.rfind("file:", 0) == 0) {
    *source = first;
    if (!ReadWholeFile(first.substr(5), json).ok()) {
      return Status::Error(first, "cannot be read");
    }
    return Status::OK();
  }
  return Request("GET", "/v2/apps?embed=apps.tasks", "", json, source);
}

Status MarathonClient::FetchAndParseApps(std::vector<App>* apps,
                                         std::vector<std::string>* warnings,
                                         std::string* source) {
  AppVectorSink sink(apps);
  return FetchAndParseApps(&sink, warnings, source);
}

Status MarathonClient::FetchAndParseApps(AppSink* apps,
                                         std::vector<std::string>* warnings,
                                         std::string* source) {
  const std::string first = CurrentUrl();
  if (first.rfind("file:", 0) != 0) {
    // The body is parsed as it arrives.
    const size_t warnings_before = warnings->size();
    return RequestWith(
        "GET", "/v2/apps?embed=apps.tasks", "",
        [&](std::istream& in, const std::string& base) {
          // A retry (after a failure mid-body) starts again from scratch.
          warnings->resize(warnings_before);
          apps->Clear();
          const Status parsed = ParseApps(
              [&](char* buffer, size_t size) {
                in.read(buffer, static_cast<std::streamsize>(size));
                return static_cast<size_t>(in.gcount());
              },
              kParseChunk, apps, warnings);
          return parsed.WithContext(base);
        },
        source);
  }
  *source = first;
  const std::string path = first.substr(5);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::Error("file:" + path, "cannot be read");
  }
  bool failed = false;
  Status parsed = ParseApps(
      [&](char* buffer, size_t size) {
        const size_t n = std::fread(buffer, 1, size, file);
        failed = failed || (n < size && std::ferror(file) != 0);
        return n;
      },
      kParseChunk, apps, warnings);
  std::fclose(file);
  if (failed) {
    apps->Clear();
    return Status::Error("file:" + path, "cannot be read");
  }
  return parsed.WithContext(*source);
}

Status MarathonClient::FetchApp(const std::string& app_id, App* app,
                                bool* gone) {
  if (gone != nullptr) {
    *gone = false;
  }
  const bool plain =
      app_id.size() > 1 && app_id[0] == '/' &&
      std::all_of(app_id.begin(), app_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
               c == '-' || c == '/';
      });
  if (!plain) {
    return Status::Error("app " + app_id, "not an app id Marathon allows");
  }
  std::string body;
  std::string source;
  const Status got = Request("GET", "/v2/apps" + app_id + "?embed=app.tasks",
                             "", &body, &source);
  if (!got.ok()) {
    // Request() names the answer's status line: "...: HTTP 404 Not Found".
    if (gone != nullptr) {
      *gone = got.message().find(": HTTP 404 ") != std::string::npos;
    }
    return got.WithContext("app " + app_id);
  }
  return ParseApp(body, app).WithContext("app " + app_id + " from " + source);
}

Status MarathonClient::Request(const std::string& method,
                               const std::string& path,
                               const std::string& body, std::string* response,
                               std::string* source) {
  return RequestWith(method, path, body,
                     [&](std::istream& in, const std::string&) {
                       std::string text;
                       Poco::StreamCopier::copyToString(in, text);
                       *response = std::move(text);
                       return Status::OK();
                     },
                     source);
}

Status MarathonClient::RequestWith(const std::string& method,
                                   const std::string& path,
                                   const std::string& body,
                                   const BodyReader& read_body,
                                   std::string* source) {
  if (options_.urls.empty()) {
    return Status::Error("no --marathon URL given");
  }
  size_t start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    start = current_;
  }
  std::string failures;
  for (size_t n = 0; n < options_.urls.size(); ++n) {
    if (options_.cancel != nullptr && options_.cancel->cancelled()) {
      return Status::Error("Marathon request " + method + " " + path +
                           " stopped" +
                           (failures.empty() ? "" : " (" + failures + ")"));
    }
    const size_t index = (start + n) % options_.urls.size();
    const std::string& base = options_.urls[index];
    // What messages say of it: a password in it is not shown.
    const std::string shown = RedactUrl(base);
    HttpRequest request;
    request.method = method;
    request.headers = {{"Accept", "application/json"}};
    request.body = body;
    request.content_type = body.empty() ? "" : "application/json";
    // As marathon-lb 1.15 (requests' default): Marathon gzips its JSON,
    // about a fifth on the wire; inflated as it is parsed.
    request.accept_gzip = method == "GET";
    Attempt attempt;
    try {
      Poco::URI uri(base);
      if (uri.getScheme() != "http" && uri.getScheme() != "https") {
        return Status::Error(shown, "only http://, https:// and file:PATH "
                                    "Marathon URLs are supported");
      }
      std::string prefix = uri.getPath();
      while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
      }
      uri.setPathEtc(prefix + path);
      request.url = uri.toString();
    } catch (const Poco::Exception& e) {
      attempt.status = Status::Error(shown, RedactUrl(e.displayText()));
      attempt.try_next = true;
    }
    if (attempt.status.ok()) {
      if (options_.dcos_auth != nullptr) {
        // A login failure is not this Marathon's: the next would fare no
        // better.
        MLB_RETURN_IF_ERROR(options_.dcos_auth->Authorization(
            &request.authorization, options_.cancel));
      }
      HttpResponse response;
      // Whether read_body returned (its Status is then the answer), rather
      // than threw: a size limit, the deadline or a broken connection.
      bool body_read = false;
      const auto send = [&] {
        body_read = false;
        return http_.Send(
            request,
            [&](const HttpResponse&, std::istream& in) {
              const Status read = read_body(in, shown);
              body_read = true;
              return read;
            },
            &response);
      };
      Status sent = send();
      if (sent.ok() && response.status == 401 &&
          options_.dcos_auth != nullptr) {
        // The token expired early or was revoked: one new login, one retry.
        Log().warning(method + " " + response.url + ": " +
                      response.StatusLine() + "; logging in to DC/OS again");
        MLB_RETURN_IF_ERROR(options_.dcos_auth->Renew(
            request.authorization, &request.authorization, options_.cancel));
        sent = send();
      }
      if (response.ok() && !response.transport_failed && body_read) {
        // The body was read: what the reader says of it is the answer.
        *source = base;
        {
          std::lock_guard<std::mutex> lock(mu_);
          current_ = index;
        }
        return sent;
      }
      if (!sent.ok()) {
        attempt.status = Status::Error(shown, RedactUrl(sent.message()));
        attempt.try_next = response.transport_failed;
      } else {
        attempt.status = Status::Error(
            shown, method + " " + path + ": " + response.StatusLine());
        attempt.try_next = response.status >= 500;
      }
    }
    failures += (failures.empty() ? "" : "; ") + attempt.status.message();
    if (!attempt.try_next) {
      break;
    }
  }
  return Status::Error("Marathon request " + method + " " + path + " failed: " +
                       failures);
}

Status FetchApps(const MarathonOptions& options, std::string* json,
                 std::string* source) {
  return MarathonClient(options).FetchApps(json, source);
}

Status FetchAndParseApps(const MarathonOptions& options, std::vector<App>* apps,
                         std::vector<std::string>* warnings,
                         std::string* source) {
  return MarathonClient(options).FetchAndParseApps(apps, warnings, source);
}

}  // namespace mlb
