// Which service port wrote a line `haproxy -c` refuses: HAProxy 2.6's
// messages (line numbers, or a proxy and the word it could not use) traced
// through the authors HaproxyConfig keeps for every run of text.
#include "core/app/refused_ports.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlb {
namespace {

// A config as the assembler builds it: the LB's head and :80 frontend,
// lines of /web and /shop in :80, and each app's own frontend and backend
// (with a server). /web's labels set a bind address; /shop's override its
// :80 lines.
HaproxyConfig Config() {
  HaproxyConfig config;
  const int web = config.AddAuthor({"/web", 10001, "nosuch.invalid\n\n"});
  const int shop = config.AddAuthor(
      {"/shop", 10002,
       "*\nshop.example.com\n  acl host_{cleanedUpHostname} hdr(host) -i "
       "{hostname}\n  use_backend nosuch if host_shop\n"});
  config.Append(config.Section("head", 0), "global\n  maxconn 50\n",  // 1-2
                HaproxyConfig::kTheLb);
  ConfigSection& http = config.Section("frontend marathon_http_in", 1);
  config.Append(http, "frontend marathon_http_in\n  bind 127.0.0.1:80\n",
                HaproxyConfig::kTheLb);                                // 3-4
  config.Append(http, "  acl host_web hdr(host) -i web.example.com\n",  // 5
                web);
  config.Append(http,
                "  acl host_shop hdr(host) -i shop.example.com\n"  // 6
                "  use_backend nosuch if host_shop\n",             // 7
                shop);
  config.Append(http, "  use_backend web_10001 if host_web\n", web);  // 8
  config.Append(config.Section("frontend web_10001", 2),
                "frontend web_10001\n  bind nosuch.invalid:10001\n",
                web);  // 9-10 (frontends come before backends)
  ConfigSection& backend = config.Section("backend web_10001", 3);
  config.Append(backend, "backend web_10001\n  balance roundrobin\n",
                web);  // 13-14
  backend.servers.push_back(
      {"s1", "127.0.0.1", 8080, 1, "  server s1 127.0.0.1:8080\n"});  // 15
  config.Append(config.Section("frontend shop_10002", 2),
                "frontend shop_10002\n  bind *:10002\n", shop);  // 11-12
  config.Finish();
  return config;
}

TEST(RefusedPortsTest, EveryLineHasTheAuthorThatWroteIt) {
  const HaproxyConfig config = Config();
  const std::vector<int> authors = config.LineAuthors();
  const int lb = HaproxyConfig::kTheLb;
  // Sections in rank order: head, :80, the frontends, the backend.
  EXPECT_EQ(authors, (std::vector<int>{lb, lb, lb, lb, 0, 1, 1, 0, 0, 0, 1, 1,
                                       0, 0, 0}));
  EXPECT_EQ(config.Text().substr(config.Text().rfind("backend")),
            "backend web_10001\n  balance roundrobin\n"
            "  server s1 127.0.0.1:8080\n");
}

// The shapes of HAProxy 2.6.12's alerts (measured): "parsing [file:N]",
// "[file:N]" on a server, and a proxy with the word it could not find.
TEST(RefusedPortsTest, TracesLinesAndProxiesToTheirServicePort) {
  const HaproxyConfig config = Config();
  const std::string output =
      "[NOTICE]   (24348) : haproxy version is 2.6.12-1+deb12u4\n"
      "[ALERT]    (24348) : config : parsing [/tmp/x/h.cfg:10] : 'bind' : "
      "invalid address: 'nosuch.invalid' in 'nosuch.invalid:10001'\n"
      "[ALERT]    (24348) : config : Proxy 'marathon_http_in': unable to "
      "find required use_backend: 'nosuch'.\n"
      "[ALERT]    (24348) : config : Error(s) found in configuration file : "
      "/tmp/x/h.cfg\n"
      "[ALERT]    (24348) : config : Fatal errors found in configuration.\n";
  std::vector<std::string> unmatched;
  const std::vector<RefusedPort> refused =
      FindRefusedPorts(output, config.Text(), config, &unmatched);
  ASSERT_EQ(refused.size(), 2u) << (unmatched.empty() ? "" : unmatched[0]);
  EXPECT_EQ(refused[0].app_id, "/web");
  EXPECT_EQ(refused[0].service_port, 10001);
  EXPECT_EQ(refused[0].haproxy_line,
            "parsing [/tmp/x/h.cfg:10] : 'bind' : invalid address: "
            "'nosuch.invalid' in 'nosuch.invalid:10001'");
  EXPECT_EQ(refused[1].app_id, "/shop");
  EXPECT_EQ(refused[1].service_port, 10002);
  EXPECT_EQ(refused[1].haproxy_line,
            "Proxy 'marathon_http_in': unable to find required "
            "use_backend: 'nosuch'.");
  EXPECT_TRUE(unmatched.empty()) << unmatched[0];
}

// A line an app's section holds but HAProxy refuses for a word of the
// operator's templates (no word it quotes comes from the app's labels)
// fails every app that renders the template: nobody's to drop.
TEST(RefusedPortsTest, LinesTheLabelsDidNotWriteAreNobodys) {
  const HaproxyConfig config = Config();
  const std::string output =
      "[ALERT]    (1) : config : parsing [h.cfg:14] : unknown keyword "
      "'balancex' in 'backend' section\n"
      "[ALERT]    (1) : config : [h.cfg:15] : 'server web_10001/s1' : "
      "unknown keyword 'no-such-keyword'.\n"
      "[ALERT]    (1) : config : parsing [h.cfg:12] : 'bind' : invalid port "
      "'0'\n"
      // A line number inside a word HAProxy quotes is not where it points.
      "[ALERT]    (1) : config : Proxy 'marathon_http_in': unable to find "
      "required use_backend: 'x[h.cfg:5]'.\n";
  std::vector<std::string> unmatched;
  const std::vector<RefusedPort> refused =
      FindRefusedPorts(output, config.Text(), config, &unmatched);
  EXPECT_TRUE(refused.empty()) << refused[0].haproxy_line;
  EXPECT_EQ(unmatched.size(), 4u);
}

// What the LB wrote, a proxy whose lines have several authors and no
// quoted word to tell them apart, or a line past the end is nobody's.
TEST(RefusedPortsTest, LeavesTheLbsLinesAndAmbiguousProxiesUnmatched) {
  const HaproxyConfig config = Config();
  const std::string output =
      "[ALERT]    (1) : config : parsing [h.cfg:2] : unknown keyword "
      "'maxconnx' in 'global' section\n"
      "[ALERT]    (1) : config : Proxy 'marathon_http_in': has no rule that "
      "can match.\n"
      "[ALERT]    (1) : config : parsing [h.cfg:99] : out of the file\n"
      "[ALERT]    (1) : config : something HAProxy does not locate\n";
  std::vector<std::string> unmatched;
  EXPECT_TRUE(
      FindRefusedPorts(output, config.Text(), config, &unmatched).empty());
  EXPECT_EQ(unmatched,
            (std::vector<std::string>{
                "parsing [h.cfg:2] : unknown keyword 'maxconnx' in 'global' "
                "section",
                "Proxy 'marathon_http_in': has no rule that can match.",
                "parsing [h.cfg:99] : out of the file",
                "something HAProxy does not locate"}));
}

}  // namespace
}  // namespace mlb
