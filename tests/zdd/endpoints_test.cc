// zdd's Marathon endpoint: its credentials go to the Marathon it was given,
// and after a redirect to another host or port they do not (as 1.15's
// zdd.py, whose requests library drops them), while the redirect is still
// followed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/zdd/endpoints.h"
#include "tests/support/http_test_server.h"

namespace mlb::zdd {
namespace {

using Recorder = testing::MarathonRecorder;

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
