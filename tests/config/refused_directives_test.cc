// core/config/refused_directives: each way a row of the refused-directive
// table matches the words of a line, and lines that match none.
#include "core/config/refused_directives.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config/haproxy_words.h"

namespace mlb {
namespace {

// "<hit>: <why>" for the row `line` hits, or "".
std::string Refusal(const std::string& line) {
  bool dollar = false;
  const std::vector<std::string> words = Words(line, &dollar);
  std::string hit;
  const RefusedDirective* row = RefusedIn(words, &hit);
  return row == nullptr ? "" : hit + ": " + std::string(row->why);
}

TEST(RefusedInTest, KeywordRows) {
  EXPECT_EQ(Refusal("lua-load /etc/x.lua"),
            "lua-load: loads or configures Lua code");
  EXPECT_EQ(Refusal("\\x6cua-load-per-thread /x"),
            "lua-load-per-thread: loads or configures Lua code");
  EXPECT_EQ(Refusal(".if defined(X)"),
            ".if: acts on the rest of the config file");
  EXPECT_EQ(Refusal("tune.ssl.default-dh-param 2048"),
            "tune.ssl.default-dh-param: changes the HAProxy process");
  EXPECT_EQ(Refusal("stats enable"),
            "stats: exposes HAProxy's statistics or admin interface");
  EXPECT_EQ(Refusal("errorfile 503 /etc/passwd"),
            "errorfile: reads a file of the LB host");
}

TEST(RefusedInTest, ArgumentRows) {
  EXPECT_EQ(Refusal("option external-check"),
            "option external-check: runs a program of the LB host");
  EXPECT_EQ(Refusal("option httpchk"), "");
  EXPECT_EQ(Refusal("http-request return status 200 file /etc/passwd"),
            "file: reads a file of the LB host");
  EXPECT_EQ(Refusal("acl bad src -f /etc/x.lst"),
            "-f: reads a file of the LB host");
  EXPECT_EQ(Refusal("bind *:443 ssl crt-list /etc/x"),
            "crt-list: reads a file of the LB host");
  EXPECT_EQ(Refusal("http-request set-map(/etc/x.map) a b"),
            "set-map(/etc/x.map): changes a map or ACL file loaded by the LB");
  EXPECT_EQ(Refusal("http-request use-service prometheus-exporter"),
            "use-service: serves HAProxy's data or Lua code");
}

TEST(RefusedInTest, CallRows) {
  EXPECT_EQ(Refusal("http-request set-var(txn.x) lua.fn"),
            "lua.fn: calls Lua code");
  EXPECT_EQ(Refusal("http-request set-header X %[src,lua.fn]"),
            "%[src,lua.fn]: calls Lua code");
  EXPECT_EQ(Refusal("http-request return lf-string \"a %[env(PASS)]\""),
            "a %[env(pass)]: reads an environment variable of the LB host");
  EXPECT_EQ(Refusal("http-request set-header X %[req.hdr(host),map(/x)]"),
            "%[req.hdr(host),map(/x)]: reads a file of the LB host");
  EXPECT_EQ(Refusal("http-request set-header X %[src,map_ip(/x)]"),
            "%[src,map_ip(/x)]: reads a file of the LB host");
  EXPECT_EQ(Refusal("http-request set-header X %[hostname]"), "");
}

TEST(RefusedInTest, SocketAndAddressRows) {
  EXPECT_EQ(Refusal("server s unix@/run/haproxy.sock"),
            "unix@/run/haproxy.sock: reaches a local socket of the LB host");
  EXPECT_EQ(Refusal("bind 1.2.3.4:80,stream+fd@3"),
            "1.2.3.4:80,stream+fd@3: reaches a local socket of the LB host");
  EXPECT_EQ(Refusal("server s /run/haproxy.sock"),
            "server /run/haproxy.sock: reaches a local socket of the LB host");
  EXPECT_EQ(Refusal("server s 10.0.0.1:80 check addr ipv4@/x"),
            "addr ipv4@/x: reaches a local socket of the LB host");
  EXPECT_EQ(Refusal("server s other@10.0.0.1:80"),
            "server other@10.0.0.1:80: is not an IP address (only ip@, "
            "ipv4@, ipv6@, udp@, tcp@, quic4@, ... are accepted)");
}

TEST(RefusedInTest, TrafficSettingsPass) {
  for (const char* line :
       {"bind *:443 ssl crt /etc/ssl/x.pem", "server s 10.0.0.1:80 check",
        "server s ipv4@10.0.0.1:80 source 10.0.0.2", "log ring@buf local0",
        "timeout server 30s", "balance roundrobin", "option httpchk GET /",
        "http-request set-header X-Forwarded-Port %[dst_port]",
        "acl host_a hdr(host) -i a.example.com", "bind quic4@:443 ssl"}) {
    EXPECT_EQ(Refusal(line), "") << line;
  }
}

}  // namespace
}  // namespace mlb
