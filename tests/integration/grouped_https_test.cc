// --group-https-by-vhost end to end, as marathon-lb 1.15: :443 is a TCP
// frontend that reads the SNI of the ClientHello and passes the connection
// over an abstract socket (abns@) to the TLS frontend of its vhost, which
// terminates TLS with the certificate of that vhost's ports and routes as
// the shared :443 frontend would. A real HAProxy on 127.0.0.1.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/haproxy/tls_certs.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"
#include "tests/support/tls_client.h"

namespace mlb::integration {
namespace {

class GroupedHttpsTest : public EndToEndTest {
 protected:
  void SetUp() override {
    EndToEndTest::SetUp();
    default_cert_ = dir_->File("lb.pem");
    ASSERT_TRUE(
        GenerateSelfSignedCertificate(default_cert_, "lb.test", 2).ok());
    http_port_ = FreePort();
    appid_port_ = FreePort();
    https_port_ = FreePort();
    WriteLoopbackFrontends(http_port_, appid_port_, https_port_);
    // As marathon-lb's HEAD, no mode in `defaults`: the vhost backends
    // (which say none) must be tcp, or HAProxy would read the ClientHello
    // as HTTP.
    std::string head = LoopbackHead(dir_->File("haproxy.sock"));
    head.erase(head.find("  mode http\n"), 12);
    WriteTemplate("HEAD", head);
    // The grouped :443 head, on 127.0.0.1.
    WriteTemplate("HTTPS_GROUPED_FRONTEND_HEAD",
                  "\nfrontend marathon_https_in\n"
                  "  bind 127.0.0.1:" + std::to_string(https_port_) + "\n"
                  "  mode tcp\n"
                  "  tcp-request inspect-delay 5s\n"
                  "  tcp-request content accept if { req_ssl_hello_type 1 }\n");
  }

  void TearDown() override {
    haproxy_.reset();
    echoes_.clear();
  }

  RunResult Poll(const std::string& state) {
    const std::string state_file = dir_->File("state.json");
    AtomicWrite(state_file, state);
    return RunBounded(
        {mlb_binary_, "poll", "--marathon", "file:" + state_file,
         "--haproxy-config", cfg_, "--group", "external", "--templates-dir",
         templates_dir_, "--plugin-dir", plugin_dir_, "--ssl-certs",
         default_cert_, "--syslog-socket", "/dev/null", "--command", "true",
         "--group-https-by-vhost"},
        dir_->File("marathon-lb.log"));
  }

  std::string HaproxyLog() const {
    return haproxy_ ? haproxy_->Output() : std::string("(not started)");
  }

  std::string default_cert_;
  int http_port_ = 0, appid_port_ = 0, https_port_ = 0;
  std::unique_ptr<ScopedProcess> haproxy_;
};

// Two vhosts, each with its own certificate: each SNI gets its vhost's
// certificate and backend; a path app on one of them routes by path over
// TLS; an SNI no vhost has is not answered.
TEST_F(GroupedHttpsTest, EachVhostTerminatesTlsWithItsOwnCertificate) {
  const std::string alpha_cert = dir_->File("alpha.pem");
  const std::string beta_cert = dir_->File("beta.pem");
  ASSERT_TRUE(GenerateSelfSignedCertificate(alpha_cert, "alpha.test", 2).ok());
  ASSERT_TRUE(GenerateSelfSignedCertificate(beta_cert, "beta.test", 2).ok());
  const int alpha = FreePort(), api = FreePort(), beta = FreePort();
  const std::string state = StateJson(
      {EchoApp("/alpha", alpha, "alpha", "127.0.0.2",
           {{"HAPROXY_0_VHOST", "alpha.test"},
            {"HAPROXY_0_SSL_CERT", alpha_cert}}),
       EchoApp("/api", api, "api", "127.0.0.3",
           {{"HAPROXY_0_VHOST", "alpha.test"}, {"HAPROXY_0_PATH", "/api"}}),
       EchoApp("/beta", beta, "beta", "127.0.0.4",
           {{"HAPROXY_0_VHOST", "beta.test"},
            {"HAPROXY_0_SSL_CERT", beta_cert}})});
  const RunResult run = Poll(state);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string config = ReadFile(cfg_);
  ASSERT_NE(config.find("  bind abns@alpha.test accept-proxy ssl crt " +
                        alpha_cert + "\n"),
            std::string::npos)
      << config;
  ASSERT_NE(config.find("  bind abns@beta.test accept-proxy ssl crt " +
                        beta_cert + "\n"),
            std::string::npos)
      << config;

  haproxy_ = StartLoopbackHaproxy(cfg_, dir_->File("haproxy.pid"),
                                  dir_->File("haproxy.log"),
                                  {http_port_, appid_port_, https_port_});
  const TlsReply a = HttpsGet("127.0.0.1", https_port_, "alpha.test",
                              "alpha.test");
  EXPECT_EQ(a.peer_cn, "alpha.test") << a.Describe() << HaproxyLog();
  EXPECT_EQ(a.status, 200) << a.Describe();
  EXPECT_EQ(a.backend, "alpha") << a.Describe();
  const TlsReply b = HttpsGet("127.0.0.1", https_port_, "beta.test",
                              "beta.test");
  EXPECT_EQ(b.peer_cn, "beta.test") << b.Describe();
  EXPECT_EQ(b.backend, "beta") << b.Describe();
  const TlsReply path = HttpsGet("127.0.0.1", https_port_, "alpha.test",
                                 "alpha.test", "/api/x");
  EXPECT_EQ(path.peer_cn, "alpha.test") << path.Describe();
  EXPECT_EQ(path.backend, "api") << path.Describe();
  // No vhost for this SNI: the TCP frontend has no backend for it, so the
  // connection is closed without a TLS session.
  const TlsReply unknown = HttpsGet("127.0.0.1", https_port_, "other.test",
                                    "other.test");
  EXPECT_FALSE(unknown.error.empty()) << unknown.Describe();
  EXPECT_EQ(unknown.status, 0) << unknown.Describe();
  // :80 is as without the flag.
  EXPECT_EQ(HttpGet("127.0.0.1", http_port_, "/", "beta.test").Backend(),
            "beta");
}

// Review 12c: a vhost's section name is also its abstract socket
// (abns@<name>), which HAProxy takes up to 107 bytes. Two vhosts of 133
// bytes with one 121-byte prefix get names cut to 74 bytes + ':' + a hash
// (sdk::VhostSectionName): HAProxy starts, and each SNI reaches its own
// vhost's backend through its own socket.
TEST_F(GroupedHttpsTest, ReviewCLongVhostsGetTheirOwnSocketsAndBackends) {
  const std::string prefix =
      std::string(60, 'a') + "." + std::string(60, 'b') + ".example.";
  const std::string one_vhost = prefix + "com";
  const std::string two_vhost = prefix + "org";
  const int one = FreePort(), two = FreePort();
  const std::string state = StateJson(
      {EchoApp("/one", one, "one", "127.0.0.2",
               {{"HAPROXY_0_VHOST", one_vhost}}),
       EchoApp("/two", two, "two", "127.0.0.3",
               {{"HAPROXY_0_VHOST", two_vhost}})});
  const RunResult run = Poll(state);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string config = ReadFile(cfg_);
  const std::string one_name = prefix.substr(0, 74) + ":";
  ASSERT_NE(config.find("  bind abns@" + one_name), std::string::npos)
      << config;
  EXPECT_EQ(config.find("abns@" + one_vhost), std::string::npos) << config;

  haproxy_ = StartLoopbackHaproxy(cfg_, dir_->File("haproxy.pid"),
                                  dir_->File("haproxy.log"),
                                  {http_port_, appid_port_, https_port_});
  const TlsReply a =
      HttpsGet("127.0.0.1", https_port_, one_vhost, one_vhost);
  EXPECT_EQ(a.status, 200) << a.Describe() << HaproxyLog();
  EXPECT_EQ(a.backend, "one") << a.Describe();
  const TlsReply b =
      HttpsGet("127.0.0.1", https_port_, two_vhost, two_vhost);
  EXPECT_EQ(b.status, 200) << b.Describe();
  EXPECT_EQ(b.backend, "two") << b.Describe();
}

}  // namespace
}  // namespace mlb::integration
