// zdd's Marathon endpoint: its credentials go to the Marathon it was given,
// and after a redirect to another host or port they do not (as 1.15's
// zdd.py, whose requests library drops them), while the redirect is still
// followed.
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/zdd/endpoints.h"
#include "tests/support/http_test_server.h"

namespace mlb::zdd {
namespace {

using testing::SeenRequest;
using testing::TestHttpServer;

// A Marathon answering every request with 200 {"apps": []}, or with a 307
// to `redirect_to` + the request's target.
class Recorder {
 public:
  explicit Recorder(std::string redirect_to = "")
      : redirect_to_(std::move(redirect_to)),
        server_([this](Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res, int) {
          if (!redirect_to_.empty()) {
            res.setStatusAndReason(
                Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
            res.set("Location", redirect_to_ + req.getURI());
            res.setContentLength(0);
            res.send();
            return;
          }
          res.setContentType("application/json");
          res.send() << R"({"apps": []})";
        }) {}
  std::string url() const { return server_.url(); }
  std::string Authorization(size_t i) {
    const std::vector<SeenRequest> seen = server_.requests();
    return i < seen.size() ? seen[i].Header("Authorization") : "(no request)";
  }

 private:
  const std::string redirect_to_;
  TestHttpServer server_;  // last: stops first
};

TEST(ZddEndpointsTest, CredentialsDoNotFollowARedirectToAnotherHost) {
  Recorder other;
  Recorder marathon(other.url());
  HttpEndpointOptions options;
  options.marathon = marathon.url();
  options.user = "mlb";
  options.password = "secret";
  std::vector<Poco::JSON::Object::Ptr> apps;
  const Outcome outcome = NewHttpMarathonApi(options)->ListApps(&apps);
  EXPECT_TRUE(outcome.ok()) << outcome.status().message();
  EXPECT_EQ(marathon.Authorization(0), "Basic bWxiOnNlY3JldA==");  // mlb:secret
  EXPECT_EQ(other.Authorization(0), "");
}

}  // namespace
}  // namespace mlb::zdd
