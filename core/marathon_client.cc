#include "core/marathon_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <fstream>
#include <sstream>

namespace mlb {
namespace {

Status FetchFile(const std::string& path, std::string* json) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error("file:" + path, "cannot be read");
  }
  std::stringstream out;
  out << in.rdbuf();
  *json = out.str();
  return Status::OK();
}

Status FetchHttp(const MarathonOptions& options, const std::string& base,
                 std::string* json) {
  try {
    Poco::URI uri(base);
    if (uri.getScheme() != "http") {
      return Status::Error(base, "only http:// URLs and file:PATH are supported");
    }
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(options.connect_timeout_ms * 1000L),
                       Poco::Timespan(options.read_timeout_ms * 1000L),
                       Poco::Timespan(options.read_timeout_ms * 1000L));
    std::string path = uri.getPath();
    while (!path.empty() && path.back() == '/') {
      path.pop_back();
    }
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
                                   path + "/v2/apps?embed=apps.tasks",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    request.set("User-Agent", "marathon-lb");
    if (!uri.getUserInfo().empty()) {
      const std::string& info = uri.getUserInfo();
      const size_t colon = info.find(':');
      Poco::Net::HTTPBasicCredentials(info.substr(0, colon),
                                      colon == std::string::npos
                                          ? ""
                                          : info.substr(colon + 1))
          .authenticate(request);
    }
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(body, text);
    if (response.getStatus() / 100 != 2) {
      return Status::Error(base, "HTTP " + std::to_string(response.getStatus()) +
                                     " " + response.getReason());
    }
    *json = std::move(text);
    return Status::OK();
  } catch (const Poco::Exception& e) {
    return Status::Error(base, e.displayText());
  }
}

}  // namespace

Status FetchApps(const MarathonOptions& options, std::string* json,
                 std::string* source) {
  if (options.urls.empty()) {
    return Status::Error("no --marathon URL given");
  }
  std::string failures;
  for (const std::string& url : options.urls) {
    Status s = url.rfind("file:", 0) == 0 ? FetchFile(url.substr(5), json)
                                          : FetchHttp(options, url, json);
    if (s.ok()) {
      *source = url;
      return s;
    }
    failures += (failures.empty() ? "" : "; ") + s.message();
  }
  return Status::Error("cannot fetch apps from Marathon: " + failures);
}

}  // namespace mlb
