#include "core/zdd/endpoints.h"

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>

namespace mlb::zdd {
namespace {

using std::chrono::milliseconds;

std::string Trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

class HttpMarathonApi : public MarathonApi {
 public:
  explicit HttpMarathonApi(const HttpEndpointOptions& options)
      : base_(Trimmed(options.marathon)), http_(ClientOptions(options)) {}

  Outcome ListApps(std::vector<Object::Ptr>* apps) override {
    std::string body;
    int status = 0;
    MLB_ZDD_RETURN_IF_FAILED(
        Call("GET", "/v2/apps", "", Exit::kMarathonEndpoint, &status, &body));
    Object::Ptr root;
    const Status parsed = ParseObject(body, "GET /v2/apps", &root);
    if (!parsed.ok()) {
      return Outcome::Fail(Exit::kMarathonEndpoint, parsed);
    }
    const Array::Ptr list = ArrayMember(root, "apps");
    if (list.isNull()) {
      return Outcome::Fail(Exit::kMarathonEndpoint, "GET /v2/apps",
                           "no \"apps\" array in the answer");
    }
    apps->clear();
    for (size_t i = 0; i < list->size(); ++i) {
      const Object::Ptr app = list->getObject(static_cast<unsigned>(i));
      if (!app.isNull()) {
        apps->push_back(app);
      }
    }
    return Outcome::Ok();
  }

  Outcome GetApp(const std::string& id, Object::Ptr* app) override {
    std::string body;
    int status = 0;
    const Outcome got = Call("GET", "/v2/apps" + id, "",
                             Exit::kMarathonEndpoint, &status, &body);
    if (status == 404) {
      *app = nullptr;
      return Outcome::Ok();
    }
    MLB_ZDD_RETURN_IF_FAILED(got);
    Object::Ptr root;
    const Status parsed = ParseObject(body, "GET /v2/apps" + id, &root);
    if (!parsed.ok()) {
      return Outcome::Fail(Exit::kMarathonEndpoint, parsed);
    }
    *app = ObjectMember(root, "app");
    if (app->isNull()) {
      return Outcome::Fail(Exit::kMarathonEndpoint, "GET /v2/apps" + id,
                           "no \"app\" object in the answer");
    }
    return Outcome::Ok();
  }

  Outcome CreateApp(const Object::Ptr& app) override {
    int status = 0;
    std::string body;
    return Call("POST", "/v2/apps", CompactJson(app), Exit::kCreateFailed,
                &status, &body);
  }

  Outcome ScaleApp(const std::string& id, int instances) override {
    int status = 0;
    std::string body;
    return Call("PUT", "/v2/apps" + id,
                "{\"instances\": " + std::to_string(instances) + "}",
                Exit::kScaleFailed, &status, &body);
  }

  Outcome KillTasks(const std::vector<std::string>& ids) override {
    Array::Ptr list = new Array;
    for (const std::string& id : ids) {
      list->add(id);
    }
    Object::Ptr request = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    request->set("ids", list);
    int status = 0;
    std::string body;
    return Call("POST", "/v2/tasks/delete?scale=true", CompactJson(request),
                Exit::kScaleFailed, &status, &body);
  }

  Outcome DeleteApp(const std::string& id) override {
    int status = 0;
    std::string body;
    return Call("DELETE", "/v2/apps" + id, "", Exit::kDeleteFailed, &status,
                &body);
  }

 private:
  static HttpClientOptions ClientOptions(const HttpEndpointOptions& options) {
    HttpClientOptions http;
    http.user = options.user;
    http.password = options.password;
    // As 1.15's zdd.py (requests): a redirect to another host or port is
    // followed without them.
    http.credentials_to_other_hosts = false;
    http.ca_file = options.ca_cert;
    http.connect_timeout = milliseconds(3050);
    http.read_timeout = milliseconds(46000);
    return http;
  }

  Outcome Call(const std::string& method, const std::string& path,
               const std::string& body, Exit failure, int* status,
               std::string* answer) {
    HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    request.headers = {{"Accept", "application/json"}};
    request.body = body;
    request.content_type = body.empty() ? "" : "application/json";
    // As the Marathon client: Marathon's JSON gzipped, inflated as read.
    request.accept_gzip = method == "GET";
    HttpResponse response;
    const Status sent = http_.Fetch(request, answer, &response);
    *status = response.status;
    const std::string what = method + " " + base_ + path;
    if (!sent.ok()) {
      return Outcome::Fail(failure, what, sent.message());
    }
    if (!response.ok()) {
      return Outcome::Fail(failure, what, response.StatusLine());
    }
    return Outcome::Ok();
  }

  const std::string base_;
  HttpClient http_;
};

class HttpLbProbe : public LbProbe {
 public:
  explicit HttpLbProbe(const HttpEndpointOptions& options)
      : urls_(options.marathon_lb), http_(ClientOptions()) {}

  std::vector<LbView> Observe() override {
    std::vector<LbView> views;
    for (const std::string& given : urls_) {
      std::vector<std::string> expanded;
      const Status resolved = ExpandLbUrl(given, &expanded);
      if (!resolved.ok()) {
        LbView view;
        view.url = given;
        view.error = resolved;
        views.push_back(view);
        continue;
      }
      for (const std::string& url : expanded) {
        views.push_back(Ask(url));
      }
    }
    return views;
  }

 private:
  static HttpClientOptions ClientOptions() {
    HttpClientOptions http;
    http.max_redirects = 0;
    http.connect_timeout = milliseconds(2000);
    http.read_timeout = milliseconds(5000);
    http.total_timeout = milliseconds(10000);
    http.max_body_bytes = 64 << 20;
    return http;
  }

  Status Get(const std::string& url, std::string* body) {
    HttpRequest request;
    request.url = url;
    HttpResponse response;
    MLB_RETURN_IF_ERROR(http_.Fetch(request, body, &response).WithContext(url));
    if (!response.ok()) {
      return Status::Error(url, response.StatusLine());
    }
    return Status::OK();
  }

  LbView Ask(const std::string& url) {
    LbView view;
    view.url = url;
    std::string pids;
    view.error = Get(url + "/_haproxy_getpids", &pids);
    if (!view.error.ok()) {
      return view;
    }
    std::istringstream words(pids);
    std::string word;
    view.pids = 0;
    while (words >> word) {
      ++view.pids;
    }
    std::string csv;
    view.error = Get(url + "/haproxy?stats;csv", &csv);
    if (view.error.ok()) {
      view.error = ParseStatsCsv(csv, &view.rows).WithContext(url);
    }
    return view;
  }

  const std::vector<std::string> urls_;
  HttpClient http_;
};

}  // namespace

std::unique_ptr<MarathonApi> NewHttpMarathonApi(
    const HttpEndpointOptions& options) {
  return std::make_unique<HttpMarathonApi>(options);
}

std::unique_ptr<LbProbe> NewHttpLbProbe(const HttpEndpointOptions& options) {
  return std::make_unique<HttpLbProbe>(options);
}

Status ExpandLbUrl(const std::string& url, std::vector<std::string>* out) {
  out->clear();
  try {
    const Poco::URI uri(url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      return Status::Error("--marathon-lb " + url,
                           "expected an http:// or https:// URL");
    }
    std::set<std::string> addresses;
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(uri.getHost(), literal)) {
      addresses.insert(uri.getHost());
    } else {
      const Poco::Net::HostEntry entry =
          Poco::Net::DNS::hostByName(uri.getHost());
      for (const Poco::Net::IPAddress& address : entry.addresses()) {
        if (address.family() == Poco::Net::IPAddress::IPv4) {
          addresses.insert(address.toString());
        }
      }
    }
    if (addresses.empty()) {
      return Status::Error("--marathon-lb " + url,
                           "host " + uri.getHost() + " has no IPv4 address");
    }
    for (const std::string& address : addresses) {
      Poco::URI one(uri);
      one.setHost(address);
      one.setPort(uri.getPort());
      out->push_back(Trimmed(one.toString()));
    }
  } catch (const Poco::Exception& e) {
    return Status::Error("--marathon-lb " + url, e.displayText());
  }
  return Status::OK();
}

}  // namespace mlb::zdd
