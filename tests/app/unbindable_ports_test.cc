// Which service port a failed reload could not bind: HAProxy 2.6's "cannot
// bind socket" line matched against the rendered frontends.
#include "core/app/unbindable_ports.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlb {
namespace {

// A config with the shared app-id frontend and two apps' frontends.
HaproxyConfig Config() {
  HaproxyConfig config;
  config.Section("frontend marathon_http_appid_in", 1).text =
      "frontend marathon_http_appid_in\n  bind 127.0.0.1:9091\n";
  config.Section("frontend web_10001", 2).text =
      "frontend web_10001\n  bind 127.0.0.1:10001\n  mode http\n";
  config.Section("frontend db_10002", 2).text =
      "frontend db_10002\n  bind *:10002\n  mode tcp\n";
  config.Finish();
  return config;
}

const std::vector<BuiltServicePort> kPorts = {
    {"/web", 10001, "web_10001"}, {"/db", 10002, "db_10002"}};

// The lines as HAProxy 2.6.12 writes them on a failed reload (measured).
TEST(UnbindablePortsTest, FindsTheServicePortWhoseFrontendHaproxyNames) {
  const std::string output =
      "[NOTICE]   (10854) : Reloading HAProxy\n"
      "[ALERT]    (10854) : Binding [/x/haproxy.cfg:9] for frontend "
      "web_10001: cannot bind socket (Address already in use) for "
      "[127.0.0.1:10001]\n"
      "[ALERT]    (10854) : Binding [/x/haproxy.cfg:14] for frontend "
      "db_10002: cannot bind socket (Address already in use) for "
      "[0.0.0.0:10002]\n"
      "[ALERT]    (10854) : [haproxy.main()] Some protocols failed to start "
      "their listeners! Exiting.\n";
  std::vector<std::string> unmatched;
  const std::vector<UnbindablePort> found =
      FindUnbindablePorts(output, Config(), kPorts, &unmatched);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].app_id, "/web");
  EXPECT_EQ(found[0].service_port, 10001);
  EXPECT_EQ(found[0].haproxy_line,
            "Binding [/x/haproxy.cfg:9] for frontend web_10001: cannot bind "
            "socket (Address already in use) for [127.0.0.1:10001]");
  EXPECT_EQ(found[1].app_id, "/db");
  EXPECT_EQ(found[1].service_port, 10002);
  EXPECT_TRUE(unmatched.empty());
}

// A listener no app's frontend binds (a shared frontend, another address)
// is nobody's to drop.
TEST(UnbindablePortsTest, LeavesListenersOfNoServicePortUnmatched) {
  const std::string output =
      "[ALERT]    (1) : Binding [/x/haproxy.cfg:2] for frontend "
      "marathon_http_appid_in: cannot bind socket (Address already in use) "
      "for [127.0.0.1:9091]\n"
      "[ALERT]    (1) : Binding [/x/haproxy.cfg:9] for frontend web_10001: "
      "cannot bind socket (Cannot assign requested address) for "
      "[127.0.0.2:10001]\n";
  std::vector<std::string> unmatched;
  EXPECT_TRUE(FindUnbindablePorts(output, Config(), kPorts, &unmatched).empty());
  EXPECT_EQ(unmatched,
            (std::vector<std::string>{
                "Binding [/x/haproxy.cfg:2] for frontend marathon_http_appid_in: "
                "cannot bind socket (Address already in use) for "
                "[127.0.0.1:9091]",
                "Binding [/x/haproxy.cfg:9] for frontend web_10001: cannot "
                "bind socket (Cannot assign requested address) for "
                "[127.0.0.2:10001]"}));
}

}  // namespace
}  // namespace mlb
