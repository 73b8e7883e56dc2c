// core/config/listeners: the ports the bind lines of a config text listen
// on, and which of them would share a port.
#include "core/config/listeners.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mlb {
namespace {

// The ports a config text binds, as HAProxy reads its bind lines.
TEST(BindListenersTest, ReadsEveryTcpAndUdpAddressOfEachBindLine) {
  const std::vector<Listener> listeners = BindListeners(
      "global\n  stats socket /run/x.sock\nlisten stats\n  bind "
      "0.0.0.0:9090\nfrontend f\n  bind *:80,ipv4@10.0.0.1:81,"
      "stream+ip@[::1]:82 ssl crt /x.pem\n  bind :::83\n  bind quic4@:443\n"
      "  bind unix@/x.sock\n  bind /tmp/y\n  bind fd@3\n  # bind *:84\n"
      "  bind 127.0.0.1:10000-10010\n  bind-process 1\n",
      "head");
  std::vector<std::string> shown;
  for (const Listener& l : listeners) {
    shown.push_back(l.section + " | " + l.bind + " | " + l.address + " | " +
                    std::to_string(l.first_port) + "-" +
                    std::to_string(l.last_port) + (l.udp ? " udp" : ""));
  }
  EXPECT_EQ(shown, (std::vector<std::string>{
                       "listen stats | 0.0.0.0:9090 |  | 9090-9090",
                       "frontend f | *:80 |  | 80-80",
                       "frontend f | ipv4@10.0.0.1:81 | 10.0.0.1 | 81-81",
                       "frontend f | stream+ip@[::1]:82 | ::1 | 82-82",
                       "frontend f | :::83 |  | 83-83",
                       "frontend f | quic4@:443 |  | 443-443 udp",
                       "frontend f | 127.0.0.1:10000-10010 | 127.0.0.1 | "
                       "10000-10010"}));
  auto at = [](const std::string& bind) {
    std::vector<Listener> l = BindListeners("  bind " + bind + "\n", "s");
    EXPECT_EQ(l.size(), 1u) << bind;
    return l.empty() ? Listener() : l[0];
  };
  EXPECT_TRUE(SharesPort(at("*:443"), at("10.0.0.1:443")));
  EXPECT_TRUE(SharesPort(at("lb.internal:443"), at("10.0.0.1:443")));
  EXPECT_TRUE(SharesPort(at("10.0.0.1:10005"), at("10.0.0.1:10000-10010")));
  EXPECT_TRUE(SharesPort(at("[::ffff:10.0.0.1]:80"), at("::ffff:10.0.0.1:80")));
  EXPECT_FALSE(SharesPort(at("10.0.0.1:443"), at("10.0.0.2:443")));
  EXPECT_FALSE(SharesPort(at("*:443"), at("quic4@:443")));
  EXPECT_FALSE(SharesPort(at("*:443"), at("*:444")));
}

TEST(ReadListenerTest, ReadsPortsTellsSocketsAndRefusesTheRest) {
  Listener l;
  ASSERT_EQ(ReadListener("dgram+ipv6@[::1]:53", &l), AddressKind::kPort);
  EXPECT_EQ(l.bind, "dgram+ipv6@[::1]:53");
  EXPECT_EQ(l.address, "::1");
  EXPECT_EQ(l.first_port, 53);
  EXPECT_TRUE(l.udp);
  for (const char* address :
       {"unix@/x.sock", "/tmp/y", "fd@3", "abns@x", "sockpair@4"}) {
    Listener out;
    EXPECT_EQ(ReadListener(address, &out), AddressKind::kSocket) << address;
  }
  // Each HAProxy 2.6 either refuses or binds a port of (checked with
  // haproxy -c: "19091x", "19091.5", "1e3" and "19091-19092x" pass, and
  // "19091-+19092" binds 19091-19092).
  for (const char* address :
       {"*:0", "*:65536", "*:90-80", "*:http", "10.0.0.1", "", "foo@1.2.3.4:80",
        "127.0.0.1:19091x", "127.0.0.1:19091.5", "*:1e3", "*:19091-19092x",
        "*:19091-+19092", "*:+19091", "*:-19091", "*:0x4a", "*:19091-",
        "*:19091:", "*: 80", "*:080x"}) {
    Listener out;
    EXPECT_EQ(ReadListener(address, &out), AddressKind::kUnreadable)
        << address;
  }
}

TEST(BindListenersTest, ListsTheAddressesItCannotRead) {
  std::vector<Listener> out;
  std::vector<std::string> unreadable;
  BindListeners(
      "frontend f\n  bind 127.0.0.1:19091x\n  bind *:80,*:1e3,unix@/x\n"
      "listen l\n  bind \"*:19092.5\"\n",
      "s", &out, &unreadable);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bind, "*:80");
  EXPECT_EQ(unreadable,
            (std::vector<std::string>{"127.0.0.1:19091x in frontend f",
                                      "*:1e3 in frontend f",
                                      "*:19092.5 in listen l"}));
}

// Review 12b GUARD: bind lines in the shapes HAProxy 2.6 reads with quotes,
// escapes, comments, tabs, environment variables and comma lists. For each,
// the ports HAProxy bound (checked: haproxy -c, then the listening sockets
// with ss) are all read, or the line has an address marathon-lb cannot
// read (and the service is dropped): no port HAProxy binds goes unseen.
TEST(BindListenersTest, ReviewGuardNoPortHaproxyBindsGoesUnseen) {
  const std::vector<std::pair<std::string, std::vector<int>>> shapes = {
      {"bind 127.0.0.1:18094#c", {18094}},
      {"bind \"127.0.0.1:18094\"#c", {18094}},
      {"bind 127.0.0.1:\"18094\"", {18094}},
      {"bind '127.0.0.1:18094'", {18094}},
      {"bind 127.0.0.1:18094\\ ", {18094}},
      {"bind\t127.0.0.1:18094", {18094}},
      {"bind ${NOPE_X}127.0.0.1:18094", {18094}},
      {"bind \"127.0.0.1:${MLBP}\"", {18096}},  // MLBP=18096
      {"bind 127.0.0.1:${MLBP}", {18096}},
      {"bind ${MLBA}", {18097}},  // MLBA="127.0.0.1:18097 ssl"
      {"bind 127.0.0.1:18094,", {18094}},
      {"bind 127.0.0.1:18094 #,127.0.0.1:18095", {18094}},
      {"bind 127.0.0.1:18094\"\",127.0.0.1:18095", {18094, 18095}},
      {"bind 127.0.0.1:18094 name x,127.0.0.1:18095", {18094}},
      {"bind 127.0.0.1:18094\\,127.0.0.1:18095", {18094, 18095}},
  };
  for (const auto& [line, bound] : shapes) {
    std::vector<Listener> out;
    std::vector<std::string> unreadable;
    BindListeners("frontend f\n  " + line + "\n", "s", &out, &unreadable);
    if (!unreadable.empty()) {
      continue;  // dropped: safe
    }
    std::vector<int> read;
    for (const Listener& l : out) {
      for (int port = l.first_port; port <= l.last_port; ++port) {
        read.push_back(port);
      }
    }
    EXPECT_EQ(read, bound) << line;
  }
}

// Review 12b (FINDING, low): an IPv4-mapped IPv6 address is not the IPv4
// address it maps. HAProxy binds both "[::ffff:127.0.0.1]:18093" and
// "127.0.0.1:18093" (SO_REUSEPORT), and Linux then gives every IPv4
// connection to the AF_INET socket, whichever section came first (checked
// with haproxy 2.6 and curl: all answers from the 127.0.0.1 frontend).
// Attack: app A binds its port on [::ffff:10.0.0.1] (HAPROXY_0_BIND_ADDR,
// with HAPROXY_0_PORT); app B, sorting later, binds 10.0.0.1 on the same
// port. SharesPort says they do not share, so B is kept.
// Impact: B takes all of A's traffic.
// Expected: a mapped address shares ports with the IPv4 address it maps
// (CanonicalNetwork already folds ::ffff:a.b.c.d to a.b.c.d).
TEST(BindListenersTest, ReviewAnIpv4MappedAddressSharesThePortsOfItsIpv4Address) {
  auto at = [](const std::string& bind) {
    std::vector<Listener> l = BindListeners("  bind " + bind + "\n", "s");
    EXPECT_EQ(l.size(), 1u) << bind;
    return l.empty() ? Listener() : l[0];
  };
  EXPECT_TRUE(SharesPort(at("[::ffff:10.0.0.1]:80"), at("10.0.0.1:80")));
  EXPECT_TRUE(SharesPort(at("ipv6@::ffff:10.0.0.1:80"), at("ipv4@10.0.0.1:80")));
}

TEST(CanonicalAddressTest, GivesIpLiteralsInOneForm) {
  EXPECT_EQ(CanonicalAddress("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(CanonicalAddress("[::1]"), "::1");
  EXPECT_EQ(CanonicalAddress("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(CanonicalAddress("::FFFF:10.0.0.1"), "::ffff:10.0.0.1");
  EXPECT_EQ(CanonicalAddress("*"), "");
  EXPECT_EQ(CanonicalAddress(""), "");
  EXPECT_EQ(CanonicalAddress("lb.internal"), "");
  EXPECT_EQ(CanonicalAddress("10.0.0.256"), "");
}

TEST(IsHostNameTest, DnsLabelsOnly) {
  EXPECT_TRUE(IsHostName("lb.internal"));
  EXPECT_TRUE(IsHostName("a-b_c.example.com"));
  EXPECT_TRUE(IsHostName(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(IsHostName(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(IsHostName(""));
  EXPECT_FALSE(IsHostName("a..b"));
  EXPECT_FALSE(IsHostName("-a.b"));
  EXPECT_FALSE(IsHostName("a-.b"));
  EXPECT_FALSE(IsHostName("a b"));
  EXPECT_FALSE(IsHostName("a.b."));
}

}  // namespace
}  // namespace mlb
