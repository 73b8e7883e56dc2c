// TLS end to end (docs/tls.md): marathon-lb writes the :443 certificates
// from HAPROXY_SSL_CERT / HAPROXY_SSL_CERT<i> or generates a self-signed
// one, checks every certificate file it names, and a real HAProxy on
// 127.0.0.1 serves them. An in-process TLS client sends SNI and reports the
// CN of the certificate HAProxy presented and which echo backend answered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "core/haproxy/tls_certs.h"
#include "tests/support/end_to_end_test.h"
#include "tests/support/integration_support.h"
#include "tests/support/tls_client.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char kGroup[] = "external";

// A PEM as it is usually put in a Marathon app's env: newlines as "\n".
std::string Escaped(const std::string& pem) {
  std::string out;
  for (const char c : pem) {
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

int FileMode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777)
                                      : -1;
}

std::map<std::string, std::string> Labels(
    std::map<std::string, std::string> extra) {
  extra.emplace("HAPROXY_GROUP", kGroup);
  extra.emplace("HAPROXY_0_BIND_ADDR", "127.0.0.1");
  return extra;
}

class TlsTest : public EndToEndTest {
 protected:
  // One certificate per name for the suite (2048-bit keys are slow-ish).
  static void SetUpTestSuite() {
    try {
      suite_dir_ = new TempDir();
      for (const char* name : {"default.test", "a.test", "b.test"}) {
        const std::string path = suite_dir_->File(std::string(name) + ".pem");
        const Status s = GenerateSelfSignedCertificate(path, name, 2);
        if (!s.ok()) {
          suite_error_ = s.message();
          return;
        }
      }
    } catch (const std::exception& e) {
      suite_error_ = e.what();
    }
  }

  static void TearDownTestSuite() {
    delete suite_dir_;
    suite_dir_ = nullptr;
  }

  static std::string Cert(const std::string& name) {
    return suite_dir_->File(name + ".pem");
  }

  void SetUp() override {
    ASSERT_EQ(suite_error_, "");
    EndToEndTest::SetUp();
    state_file_ = dir_->File("state.json");
    http_port_ = FreePort();
    appid_port_ = FreePort();
    https_port_ = FreePort();
    WriteLoopbackFrontends(http_port_, appid_port_, https_port_);
  }

  void TearDown() override {
    unsetenv("HAPROXY_SSL_CERT");
    for (int i = 0; i <= 100; ++i) {
      unsetenv(("HAPROXY_SSL_CERT" + std::to_string(i)).c_str());
    }
    lb_.reset();
    haproxy_.reset();
    echoes_.clear();
  }

  std::string StateFile(const std::string& state) {
    AtomicWrite(state_file_, state);
    return "file:" + state_file_;
  }

  std::vector<std::string> MarathonLbArgv(
      const std::string& marathon, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        mlb_binary_,        "poll",         "--marathon",   marathon,
        "--haproxy-config", cfg_,           "--group",      kGroup,
        "--templates-dir",  templates_dir_, "--plugin-dir", plugin_dir_,
        "--syslog-socket",  "/dev/null",    "--command",    "true"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // One `marathon-lb poll` update into cfg_ (no --ssl-certs unless given).
  RunResult RunMarathonLb(const std::string& marathon,
                          const std::vector<std::string>& extra) {
    return RunBounded(
        MarathonLbArgv(marathon, extra),
        dir_->File("marathon-lb-" + std::to_string(++mlb_runs_) + ".log"));
  }

  void StartHaproxy() {
    haproxy_ = StartLoopbackHaproxy(cfg_, dir_->File("haproxy.pid"),
                                    dir_->File("haproxy.log"),
                                    {appid_port_, https_port_});
  }

  // Through the :443 frontend.
  TlsReply Via443(const std::string& sni) {
    return HttpsGet("127.0.0.1", https_port_, sni,
                    sni.empty() ? "lb.test" : sni);
  }

  // Two apps, /a (vhost a.test) and /b (vhost b.test), each with its own
  // HAPROXY_0_SSL_CERT and echo backend; /a's label cert is `a_cert`.
  std::string TwoApps(const std::string& a_cert) {
    a_port_ = FreePort();
    b_port_ = FreePort();
    const int a_task = StartEcho("a", "127.0.0.2");
    const int b_task = StartEcho("b", "127.0.0.3");
    return StateFile(
        StateJson({AppJson("/a", {a_port_},
                           Labels({{"HAPROXY_0_VHOST", "a.test"},
                                   {"HAPROXY_0_SSL_CERT", a_cert}}),
                           {{"127.0.0.2", {a_task}}}),
                   AppJson("/b", {b_port_},
                           Labels({{"HAPROXY_0_VHOST", "b.test"},
                                   {"HAPROXY_0_SSL_CERT", Cert("b.test")}}),
                           {{"127.0.0.3", {b_task}}})}));
  }

  static TempDir* suite_dir_;
  static std::string suite_error_;

  std::string state_file_;
  int http_port_ = 0, appid_port_ = 0, https_port_ = 0;
  int a_port_ = 0, b_port_ = 0;
  int mlb_runs_ = 0;
  std::unique_ptr<ScopedProcess> haproxy_;
  std::unique_ptr<ScopedProcess> lb_;  // a long-running marathon-lb
};

TempDir* TlsTest::suite_dir_ = nullptr;
std::string TlsTest::suite_error_;

// HAPROXY_{n}_BIND_OPTIONS reaches the port's own TLS listener: with
// `ca-file ... verify required` a client without a certificate is turned
// away in the handshake, while the other app's port still answers.
TEST_F(TlsTest, BindOptionsMakeAPortRequireClientCertificates) {
  a_port_ = FreePort();
  b_port_ = FreePort();
  const int a_task = StartEcho("a", "127.0.0.2");
  const int b_task = StartEcho("b", "127.0.0.3");
  const std::string marathon = StateFile(StateJson(
      {AppJson("/a", {a_port_},
               Labels({{"HAPROXY_0_SSL_CERT", Cert("a.test")},
                       {"HAPROXY_0_BIND_OPTIONS",
                        "ca-file " + Cert("default.test") +
                            " verify required"}}),
               {{"127.0.0.2", {a_task}}}),
       AppJson("/b", {b_port_}, Labels({{"HAPROXY_0_SSL_CERT", Cert("b.test")}}),
               {{"127.0.0.3", {b_task}}})}));
  const RunResult run =
      RunMarathonLb(marathon, {"--ssl-certs", Cert("default.test")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasLine(ReadFile(cfg_),
                      "  bind 127.0.0.1:" + std::to_string(a_port_) +
                          " ssl crt " + Cert("a.test") + " ca-file " +
                          Cert("default.test") + " verify required"))
      << ReadFile(cfg_);
  StartHaproxy();
  // TLS 1.3 refuses the client after the handshake: no response at all.
  const TlsReply refused = HttpsGet("127.0.0.1", a_port_, "a.test", "a.test");
  EXPECT_THAT(refused.error, ::testing::AnyOf(HasSubstr("TLS handshake"),
                                              HasSubstr("no HTTP response")))
      << refused.Describe();
  EXPECT_EQ(refused.status, 0);
  EXPECT_EQ(HttpsGet("127.0.0.1", b_port_, "b.test", "b.test").Describe(),
            "cn b.test, HTTP 200, backend 'b'");
}

// HAPROXY_SSL_CERT (escaped newlines, as in a Marathon env) is the default
// :443 certificate, HAPROXY_SSL_CERT0/1 are picked by SNI; each app's own
// frontend presents its HAPROXY_0_SSL_CERT.
TEST_F(TlsTest, SniPicksCertificateAndBackend) {
  const std::string marathon = TwoApps(Cert("a.test"));
  setenv("HAPROXY_SSL_CERT", Escaped(ReadFile(Cert("default.test"))).c_str(),
         1);
  setenv("HAPROXY_SSL_CERT0", Escaped(ReadFile(Cert("a.test"))).c_str(), 1);
  setenv("HAPROXY_SSL_CERT1", ReadFile(Cert("b.test")).c_str(), 1);
  std::filesystem::create_directory(dir_->File("ssl"));
  const std::string cert = dir_->File("ssl/cert.pem");

  const RunResult run = RunMarathonLb(marathon, {"--default-ssl-cert", cert});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasMessage(run.output, "wrote HAPROXY_SSL_CERT to " + cert))
      << run.output;
  EXPECT_TRUE(HasMessage(
      run.output, "wrote HAPROXY_SSL_CERT1 to " + dir_->File("ssl/cert1.pem")))
      << run.output;
  EXPECT_EQ(ReadFile(cert), ReadFile(Cert("default.test")) + "\n");
  EXPECT_EQ(ReadFile(dir_->File("ssl/cert0.pem")),
            ReadFile(Cert("a.test")) + "\n");
  EXPECT_EQ(FileMode(cert), 0600);
  EXPECT_EQ(FileMode(dir_->File("ssl/cert0.pem")), 0600);
  const std::string cfg = ReadFile(cfg_);
  for (const std::string& line : std::vector<std::string>{
           "  bind 127.0.0.1:" + std::to_string(https_port_) + " ssl crt " +
               cert + " crt " + dir_->File("ssl/cert0.pem") + " crt " +
               dir_->File("ssl/cert1.pem"),
           "  bind 127.0.0.1:" + std::to_string(a_port_) + " ssl crt " +
               Cert("a.test"),
           "  bind 127.0.0.1:" + std::to_string(b_port_) + " ssl crt " +
               Cert("b.test"),
       }) {
    EXPECT_TRUE(HasLine(cfg, line)) << "missing line: " << line << "\n" << cfg;
  }

  StartHaproxy();
  const TlsReply a = Via443("a.test");
  EXPECT_EQ(a.Describe(), "cn a.test, HTTP 200, backend 'a'");
  const TlsReply b = Via443("b.test");
  EXPECT_EQ(b.Describe(), "cn b.test, HTTP 200, backend 'b'");
  // An unknown name, or none, gets the default certificate and no backend.
  const TlsReply unknown = Via443("c.test");
  EXPECT_EQ(unknown.Describe(), "cn default.test, HTTP 503, backend ''");
  const TlsReply none = Via443("");
  EXPECT_EQ(none.Describe(), "cn default.test, HTTP 503, backend ''");
  // The apps' own frontends terminate TLS with their label certificate.
  EXPECT_EQ(HttpsGet("127.0.0.1", a_port_, "", "x").Describe(),
            "cn a.test, HTTP 200, backend 'a'");
  EXPECT_EQ(HttpsGet("127.0.0.1", b_port_, "b.test", "b.test").Describe(),
            "cn b.test, HTTP 200, backend 'b'");
}

// A label naming a missing file drops that app's port, with the reason in
// marathon-lb's log; the other app still answers over HTTPS.
TEST_F(TlsTest, MissingLabelCertificateDropsOnlyThatPort) {
  const std::string missing = dir_->File("missing.pem");
  const std::string marathon = TwoApps(missing);
  const RunResult run =
      RunMarathonLb(marathon, {"--ssl-certs", Cert("default.test")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(
      HasMessage(run.output,
                 "app /a, service port index 0: label HAPROXY_0_SSL_CERT: "
                 "certificate " +
                     missing +
                     ": cannot read: No such file or directory; service "
                     "port skipped"))
      << run.output;
  const std::string cfg = ReadFile(cfg_);
  EXPECT_THAT(cfg, Not(HasSubstr("a_" + std::to_string(a_port_))));
  EXPECT_THAT(cfg, HasSubstr("backend b_" + std::to_string(b_port_)));

  StartHaproxy();
  EXPECT_EQ(Via443("b.test").Describe(),
            "cn default.test, HTTP 200, backend 'b'");
  EXPECT_EQ(HttpsGet("127.0.0.1", b_port_, "b.test", "b.test").Describe(),
            "cn b.test, HTTP 200, backend 'b'");
  EXPECT_EQ(Via443("a.test").Describe(),
            "cn default.test, HTTP 503, backend ''");
  EXPECT_FALSE(Accepts("127.0.0.1", a_port_));
}

// Neither --ssl-certs nor HAPROXY_SSL_CERT: a self-signed certificate (CN *)
// is generated at the default path once, and HAProxy serves it.
TEST_F(TlsTest, SelfSignedDefaultCertificateIsGeneratedOnce) {
  const std::string marathon = TwoApps(Cert("a.test"));
  const std::string cert = dir_->File("cert.pem");
  const RunResult first = RunMarathonLb(marathon, {"--default-ssl-cert", cert});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(HasMessage(first.output,
                         "generated a self-signed certificate (CN *, 2048-bit "
                         "RSA, 3650 days) in " +
                             cert +
                             ": neither --ssl-certs nor HAPROXY_SSL_CERT is "
                             "set"))
      << first.output;
  EXPECT_TRUE(HasLine(
      ReadFile(cfg_),
      "  bind 127.0.0.1:" + std::to_string(https_port_) + " ssl crt " + cert));
  const std::string generated = ReadFile(cert);

  const RunResult second =
      RunMarathonLb(marathon, {"--default-ssl-cert", cert});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, Not(HasSubstr("generated")));
  EXPECT_EQ(ReadFile(cert), generated);

  StartHaproxy();
  EXPECT_EQ(Via443("a.test").Describe(), "cn *, HTTP 200, backend 'a'");
}

// A --ssl-certs file that is not there stops marathon-lb before it writes
// anything.
TEST_F(TlsTest, MissingSslCertsFileFailsAtStartUp) {
  const std::string missing = dir_->File("missing.pem");
  const RunResult run =
      RunMarathonLb(StateFile(StateJson({})),
                    {"--ssl-certs", Cert("a.test") + "," + missing});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(HasMessage(run.output, "--ssl-certs: certificate " + missing +
                                         ": cannot read: No such file or "
                                         "directory"))
      << run.output;
  EXPECT_FALSE(FileExists(cfg_));
}

// A :443 certificate that disappears while marathon-lb runs: updates fail
// and the live config stays until the file is back.
TEST_F(TlsTest, VanishedSslCertsFileKeepsTheLiveConfig) {
  const std::string cert = dir_->File("live.pem");
  WriteFile(cert, ReadFile(Cert("default.test")));
  const int a_task = StartEcho("a", "127.0.0.2");
  const int a_port = FreePort();
  const std::string app_a =
      AppJson("/a", {a_port}, Labels({{"HAPROXY_0_VHOST", "a.test"}}),
              {{"127.0.0.2", {a_task}}});
  const std::string marathon = StateFile(StateJson({app_a}));
  lb_ = std::make_unique<ScopedProcess>(
      MarathonLbArgv(marathon, {"--ssl-certs", cert, "--poll-interval", "1"}),
      dir_->File("marathon-lb-live.log"));
  ASSERT_TRUE(WaitUntil([&] { return FileExists(cfg_); }, Millis(10000)))
      << lb_->Output();
  const std::string live = ReadFile(cfg_);

  ASSERT_EQ(unlink(cert.c_str()), 0);
  const int b_port = FreePort();
  StateFile(StateJson(
      {app_a, AppJson("/b", {b_port}, Labels({}), {{"127.0.0.2", {a_task}}})}));
  const std::string error =
      "config not generated, the live config stays: --ssl-certs: "
      "certificate " +
      cert + ": cannot read: No such file or directory";
  EXPECT_TRUE(WaitUntil([&] { return HasMessage(lb_->Output(), error); },
                        Millis(10000)))
      << lb_->Output();
  EXPECT_EQ(ReadFile(cfg_), live);
  EXPECT_TRUE(lb_->Running());

  WriteFile(cert, ReadFile(Cert("default.test")));
  EXPECT_TRUE(WaitUntil(
      [&] {
        return ReadFile(cfg_).find("b_" + std::to_string(b_port)) !=
               std::string::npos;
      },
      Millis(10000)))
      << lb_->Output();
}

}  // namespace
}  // namespace mlb::integration
