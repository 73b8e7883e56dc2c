#include "core/marathon/client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "core/base/files.h"

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
    : options_(std::move(options)) {}

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
    const size_t index = (start + n) % options_.urls.size();
    const std::string& base = options_.urls[index];
    Attempt attempt;
    try {
      Poco::URI uri(base);
      std::string prefix = uri.getPath();
      while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
      }
      uri.setPathEtc(prefix + path);
      for (int hop = 0; hop <= kMaxRedirects; ++hop) {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
          Poco::Net::initializeSSL();
          Poco::Net::Context::Ptr context = new Poco::Net::Context(
              Poco::Net::Context::TLS_CLIENT_USE, "", "", options_.ca_cert,
              Poco::Net::Context::VERIFY_STRICT, 9,
              /*loadDefaultCAs=*/options_.ca_cert.empty());
          session = std::make_unique<Poco::Net::HTTPSClientSession>(
              uri.getHost(), uri.getPort(), context);
        } else if (uri.getScheme() == "http") {
          session = std::make_unique<Poco::Net::HTTPClientSession>(
              uri.getHost(), uri.getPort());
        } else {
          return Status::Error(base, "only http://, https:// and file:PATH "
                                     "Marathon URLs are supported");
        }
        session->setTimeout(
            Poco::Timespan(options_.connect_timeout_ms * 1000L),
            Poco::Timespan(options_.read_timeout_ms * 1000L),
            Poco::Timespan(options_.read_timeout_ms * 1000L));
        Poco::Net::HTTPRequest request(method, uri.getPathEtc(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Accept", "application/json");
        request.set("User-Agent", "marathon-lb");
        std::string user = options_.user;
        std::string password = options_.password;
        if (user.empty() && !uri.getUserInfo().empty()) {
          SplitUserPassword(uri.getUserInfo(), &user, &password);
        }
        if (!user.empty()) {
          Poco::Net::HTTPBasicCredentials(user, password).authenticate(request);
        }
        if (!body.empty()) {
          request.setContentType("application/json");
          request.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        std::ostream& out = session->sendRequest(request);
        out << body;
        Poco::Net::HTTPResponse answer;
        std::istream& in = session->receiveResponse(answer);
        const int status = answer.getStatus();
        if (status / 100 == 2) {
          // A failure while reading the body throws, and the next Marathon
          // is tried; what the reader says of the body is the answer.
          const Status read = read_body(in, base);
          *source = base;
          {
            std::lock_guard<std::mutex> lock(mu_);
            current_ = index;
          }
          return read;
        }
        Poco::NullOutputStream discard;
        Poco::StreamCopier::copyStream(in, discard);
        if (status >= 300 && status < 400 && answer.has("Location")) {
          uri.resolve(answer.get("Location"));
          continue;  // same credentials to the leader
        }
        attempt.status = Status::Error(
            base, method + " " + path + ": HTTP " + std::to_string(status) +
                      " " + answer.getReason());
        attempt.try_next = status >= 500;
        break;
      }
      if (attempt.status.ok()) {
        attempt.status = Status::Error(base, "more than " +
                                                 std::to_string(kMaxRedirects) +
                                                 " redirects");
      }
    } catch (const Poco::Exception& e) {
      attempt.status = Status::Error(base, e.displayText());
      attempt.try_next = true;
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
