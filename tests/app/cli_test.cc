// marathon-lb's flags: the same names and meanings as the Python tool.
#include "core/app/cli.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/base/logging.h"
#include "tests/support/cli_support.h"
#include "tests/support/service_account_keys.h"

namespace mlb {
namespace {

Status Parse(std::vector<std::string> args, CliOptions* out) {
  return testing::ParseCleanCommandLine(std::move(args), out);
}

TEST(CliTest, MarathonLbFlagsParse) {
  CliOptions o;
  ASSERT_TRUE(Parse({"poll", "--marathon", "http://m1:8080", "http://m2:8080",
                     "--group", "external", "--group", "internal",
                     "--haproxy-config", "/tmp/h.cfg", "-c", "sv reload haproxy",
                     "-H", "--dont-bind-http-https", "--ssl-certs", "/a.pem,/b.pem",
                     "--skip-validation", "--dry", "--log-level", "info",
                     "--syslog-socket", "/dev/null", "--plugin-dir", "/p1",
                     "--plugin-dir=/p2", "--templates-dir", "/t",
                     "--poll-interval", "30", "--lru-cache-capacity", "50"},
                    &o)
                  .ok());
  EXPECT_EQ(o.mode, "poll");
  EXPECT_EQ(o.marathon,
            (std::vector<std::string>{"http://m1:8080", "http://m2:8080"}));
  EXPECT_EQ(o.groups, (std::vector<std::string>{"external", "internal"}));
  EXPECT_EQ(o.haproxy_config, "/tmp/h.cfg");
  EXPECT_EQ(o.command, "sv reload haproxy");
  EXPECT_TRUE(o.health_check);
  EXPECT_TRUE(o.dont_bind_http_https);
  EXPECT_EQ(o.ssl_certs, "/a.pem,/b.pem");
  EXPECT_TRUE(o.skip_validation);
  EXPECT_TRUE(o.dry);
  EXPECT_EQ(o.log_level, "info");
  EXPECT_EQ(o.syslog_socket, "/dev/null");
  EXPECT_EQ(o.plugin_dirs, (std::vector<std::string>{"/p1", "/p2"}));
  EXPECT_EQ(o.templates_dir, "/t");
  EXPECT_EQ(o.poll_interval, 30);
  EXPECT_EQ(o.lru_cache_capacity, 50);
}

TEST(CliTest, DefaultsAreMarathonLbs) {
  CliOptions o;
  ASSERT_TRUE(Parse({"-m", "file:apps.json", "--group", "*"}, &o).ok());
  EXPECT_EQ(o.mode, "poll");
  EXPECT_EQ(o.haproxy_config, "/etc/haproxy/haproxy.cfg");
  EXPECT_EQ(o.templates_dir, "templates");
  EXPECT_EQ(o.syslog_socket, "/dev/log");
  EXPECT_EQ(o.log_level, "DEBUG");
  EXPECT_EQ(o.poll_interval, 0);
  EXPECT_FALSE(o.health_check);
}

TEST(CliTest, PollIntervalComesFromTheEnvironment) {
  setenv("POLL_INTERVAL", "15", 1);
  CliOptions o;
  ASSERT_TRUE(ParseCommandLine({"-m", "file:a", "--group", "g"}, &o).ok());
  EXPECT_EQ(o.poll_interval, 15);
  setenv("POLL_INTERVAL", "soon", 1);
  EXPECT_EQ(ParseCommandLine({"-m", "file:a", "--group", "g"}, &o).message(),
            "POLL_INTERVAL: not a number of seconds: 'soon'");
  unsetenv("POLL_INTERVAL");
}

TEST(CliTest, ErrorsNameTheFlag) {
  CliOptions o;
  EXPECT_EQ(Parse({"--marathon", "http://m"}, &o).message(),
            "--group: at least one is required");
  EXPECT_EQ(Parse({"tail", "-m", "x", "--group", "g"}, &o).message(),
            "mode tail: unknown (expected poll, sse, event, plugins or "
            "reference)");
  EXPECT_EQ(Parse({"event", "-m", "x", "--group", "g"}, &o).message(),
            "mode event: needs a callback URL: marathon-lb event "
            "http://HOST:PORT/ (or --listening URL)");
  EXPECT_EQ(Parse({"-m", "x", "--group", "g", "--poll-interval", "1m"}, &o)
                .message(),
            "--poll-interval: not a number of seconds: '1m'");
  EXPECT_EQ(Parse({"sse", "-m", "x", "--group", "g", "--callback-secret-file",
                   "s"},
                  &o)
                .message(),
            "--callback-secret-file: only for event mode (marathon-lb event "
            "URL)");
  ASSERT_TRUE(Parse({"event", "http://lb:8080/", "-m", "x", "--group", "g",
                     "--callback-secret-file", "s"},
                    &o)
                  .ok());
  EXPECT_EQ(o.callback_secret_file, "s");
  Status unknown = Parse({"--no-such-flag"}, &o);
  EXPECT_EQ(unknown.message().rfind("--no-such-flag: ", 0), 0u)
      << unknown.message();
}

// A password in a URL with a character RFC 3986 does not allow in the user
// information (a space, '"', '<') is refused, shown redacted: such a
// character would end the URL in a log line, and the redaction with it.
// Percent-encoded, it is taken (and decoded when sent); so is an
// upper-case scheme for --template-url (RFC 3986 3.1).
TEST(CliTest, AUrlPasswordMustBePercentEncoded) {
  CliOptions o;
  EXPECT_EQ(Parse({"-m", "http://alice:pa ss@m1:8080", "--group", "g"}, &o)
                .message(),
            "--marathon http://alice:***@m1:8080: its user information "
            "holds a character RFC 3986 does not allow there: "
            "percent-encode it (a space as %20, '@' as %40)");
  EXPECT_EQ(Parse({"-m", "http://m1", "--group", "g", "--template-url",
                   "https://bob:x\"y@t/t.tgz"},
                  &o)
                .message(),
            "--template-url https://bob:***@t/t.tgz: its user information "
            "holds a character RFC 3986 does not allow there: "
            "percent-encode it (a space as %20, '@' as %40)");
  ASSERT_TRUE(Parse({"-m", "http://alice:pa%20ss@m1:8080", "--group", "g",
                     "--template-url", "HTTPS://t/t.tgz"},
                    &o)
                  .ok());
  EXPECT_EQ(o.marathon[0], "http://alice:pa%20ss@m1:8080");
  EXPECT_EQ(o.template_url, "https://t/t.tgz");
  // A '%' that starts no escape is kept, as 1.15 keeps it.
  EXPECT_TRUE(Parse({"-m", "http://alice:50%off@m1", "--group", "g"}, &o)
                  .ok());
}

// An http(s) URL a '/' short has no user information to redact: refused,
// naming its scheme and nothing after it (review 15k).
TEST(CliTest, AnHttpUrlWithoutItsDoubleSlashIsRefusedUnshown) {
  CliOptions o;
  const Status single = Parse({"-m", "http:/alice:s3cret@m1", "--group", "g"},
                              &o);
  EXPECT_EQ(single.message(),
            "--marathon http:...: not a URL: expected "
            "http://HOST[:PORT][/PATH]");
  const Status none = Parse({"-m", "http://m1", "--group", "g",
                             "--template-url", "HTTPS:bob:pw@t/t.tgz"},
                            &o);
  EXPECT_EQ(none.message(),
            "--template-url https:...: not a URL: expected "
            "https://HOST[:PORT][/PATH]");
  EXPECT_EQ(none.message().find("pw"), std::string::npos);
  EXPECT_EQ(Parse({"-m", "http://m1", "--group", "g", "--template-url",
                   "ftp:bob:pw@t/t.tgz"},
                  &o)
                .message(),
            "--template-url: expected an http://, https:// or file:// URL: "
            "'ftp:...'");
  EXPECT_TRUE(Parse({"-m", "file:/var/apps.json", "--group", "g"}, &o).ok());
}

// marathon-lb 1.15's defaults and the flags the DC/OS package passes.
TEST(CliTest, MarathonLb115Flags) {
  CliOptions o;
  ASSERT_TRUE(Parse({"--group", "g"}, &o).ok());
  EXPECT_EQ(o.marathon, std::vector<std::string>{"http://master.mesos:8080"});
  EXPECT_FALSE(o.strict_mode);
  EXPECT_EQ(o.max_reload_retries, 10);
  EXPECT_EQ(o.reload_interval, 10);
  ASSERT_TRUE(Parse({"--group", "g", "-m", "http://m", "--strict-mode",
                     "--max-reload-retries", "-1", "--reload-interval", "3"},
                    &o)
                  .ok());
  EXPECT_EQ(o.marathon, std::vector<std::string>{"http://m"});
  EXPECT_TRUE(o.strict_mode);
  EXPECT_EQ(o.max_reload_retries, -1);
  EXPECT_EQ(o.reload_interval, 3);
  EXPECT_EQ(Parse({"--group", "g", "--max-reload-retries", "-2"}, &o)
                .message(),
            "--max-reload-retries: not a number (or -1): '-2'");
  EXPECT_EQ(Parse({"--group", "g", "--reload-interval", "soon"}, &o).message(),
            "--reload-interval: not a number of seconds from 1: 'soon'");
  EXPECT_EQ(Parse({"--group", "g", "--reload-interval", "0"}, &o).message(),
            "--reload-interval: not a number of seconds from 1: '0'");
  // --haproxy-map and --skip-config-cleanup (accepted, no effect).
  EXPECT_FALSE(o.haproxy_map);
  ASSERT_TRUE(
      Parse({"--group", "g", "--haproxy-map", "--skip-config-cleanup"}, &o)
          .ok());
  EXPECT_TRUE(o.haproxy_map);
}

// Review (fea31cf): --reload-interval 0 is accepted, and ConfigWriter then
// retries a failed reload with no pause at all: with --max-reload-retries -1
// and a reload an app makes fail (a bind the new worker cannot make), the
// controller fork-execs the reload command (or with --run-haproxy, has the
// HAProxy master re-execute) in a tight loop, forever. marathon-lb 1.15
// polled every 0.1 s between tries. The flag needs a floor.
TEST(CliTest, ReloadIntervalZeroIsRefused) {
  CliOptions o;
  const Status s =
      Parse({"--group", "g", "--max-reload-retries", "-1",
             "--reload-interval", "0"},
            &o);
  EXPECT_FALSE(s.ok()) << "accepted: reload_interval = " << o.reload_interval;
}

TEST(CliTest, AutoServicePortRange) {
  CliOptions o;
  ASSERT_TRUE(Parse({"--group", "g"}, &o).ok());
  EXPECT_EQ(o.archive_versions, 5);  // marathon-lb's default
  ASSERT_TRUE(Parse({"--group", "g", "--archive-versions", "0"}, &o).ok());
  EXPECT_EQ(o.archive_versions, 0);
  ASSERT_TRUE(Parse({"--group", "g"}, &o).ok());
  EXPECT_EQ(o.min_serv_port_ip_per_task, 10050);
  EXPECT_EQ(o.max_serv_port_ip_per_task, 10100);
  ASSERT_TRUE(Parse({"--group", "g", "--min-serv-port-ip-per-task", "0",
                     "--max-serv-port-ip-per-task", "0"},
                    &o)
                  .ok());
  EXPECT_EQ(Parse({"--group", "g", "--min-serv-port-ip-per-task", "0"}, &o)
                .message(),
            "--min-serv-port-ip-per-task 0 --max-serv-port-ip-per-task 10100: "
            "expected both 0, or a range from min to max");
  EXPECT_EQ(Parse({"--group", "g", "--min-serv-port-ip-per-task", "20000"}, &o)
                .message(),
            "--min-serv-port-ip-per-task 20000 --max-serv-port-ip-per-task "
            "10100: expected both 0, or a range from min to max");
  EXPECT_EQ(Parse({"--group", "g", "--max-serv-port-ip-per-task", "70000"}, &o)
                .message(),
            "--max-serv-port-ip-per-task: not a port number (or 0): '70000'");
}

TEST(CliTest, LiveModes) {
  CliOptions o;
  ASSERT_TRUE(Parse({"--sse", "-m", "http://m", "--group", "g",
                     "--max-backoff", "30", "--debounce-ms", "100",
                     "--admin-address", "127.0.0.1:9095", "--run-haproxy"},
                    &o)
                  .ok());
  EXPECT_EQ(o.mode, "sse");
  EXPECT_EQ(o.max_backoff, 30);
  EXPECT_EQ(o.debounce_ms, 100);
  EXPECT_EQ(o.admin_address, "127.0.0.1:9095");
  EXPECT_TRUE(o.run_haproxy);
  ASSERT_TRUE(Parse({"event", "http://127.0.0.1:8080/events", "-m", "http://m",
                     "--group", "g"},
                    &o)
                  .ok());
  EXPECT_EQ(o.callback_url, "http://127.0.0.1:8080/events");
  EXPECT_EQ(o.listening, "http://127.0.0.1:8080/events");
  // marathon-lb 2015: --listening alone means event mode.
  ASSERT_TRUE(Parse({"-m", "http://m", "--group", "g", "--listening",
                     "http://127.0.0.1:9000", "--callback-url",
                     "http://lb.example:9000"},
                    &o)
                  .ok());
  EXPECT_EQ(o.mode, "event");
  EXPECT_EQ(o.callback_url, "http://lb.example:9000");
  EXPECT_EQ(o.listening, "http://127.0.0.1:9000");
  EXPECT_EQ(Parse({"sse", "-m", "x", "--group", "g", "--max-backoff", "a"},
                  &o)
                .message(),
            "--max-backoff: not a number: 'a'");
}

TEST(CliTest, TemplateUrlAndPin) {
  CliOptions o;
  const std::string pin(64, 'a');
  ASSERT_TRUE(Parse({"-m", "file:a.json", "--group", "*", "--template-url",
                     "https://example.test/t.tgz", "--template-sha256", pin},
                    &o)
                  .ok());
  EXPECT_EQ(o.template_url, "https://example.test/t.tgz");
  EXPECT_EQ(o.template_sha256, pin);
  EXPECT_EQ(Parse({"-m", "file:a.json", "--group", "*", "--template-url",
                   "ftp://example.test/t.tgz"},
                  &o)
                .message(),
            "--template-url: expected an http://, https:// or file:// URL: "
            "'ftp://example.test/t.tgz'");
  EXPECT_EQ(Parse({"-m", "file:a.json", "--group", "*", "--template-url",
                   "file:///t.tgz", "--template-sha256", "abc"},
                  &o)
                .message(),
            "--template-sha256: expected 64 hex digits: 'abc'");
  EXPECT_EQ(Parse({"-m", "file:a.json", "--group", "*", "--template-sha256",
                   pin},
                  &o)
                .message(),
            "--template-sha256: needs --template-url");
  EXPECT_NE(FlagHelp().find("--template-url=URL"), std::string::npos);
  EXPECT_NE(FlagHelp().find("--template-sha256=HEX"), std::string::npos);
}

TEST(CliTest, FamilyPackChoosesAPackPerFamily) {
  CliOptions o;
  ASSERT_TRUE(Parse({"plugins", "--family-pack",
                     "backends=com.example.backends_alt", "--family-pack=x=y",
                     "--family-pack", "backends=com.example.backends_alt"},
                    &o)
                  .ok());
  EXPECT_EQ(o.family_packs,
            (std::map<std::string, std::string>{
                {"backends", "com.example.backends_alt"}, {"x", "y"}}));
  for (const char* bad : {"backends", "=pack", "backends="}) {
    EXPECT_EQ(Parse({"plugins", "--family-pack", bad}, &o).message(),
              std::string("--family-pack ") + bad +
                  ": expected FAMILY=PACK, e.g. "
                  "backends=com.example.backends_alt");
  }
  EXPECT_EQ(Parse({"plugins", "--family-pack", "backends=a", "--family-pack",
                   "backends=b"},
                  &o)
                .message(),
            "--family-pack backends=b: family backends was already given "
            "pack a");
}

TEST(CliTest, RenderThreads) {
  CliOptions o;
  ASSERT_TRUE(Parse({"-m", "file:a.json", "--group", "*"}, &o).ok());
  EXPECT_EQ(o.render_threads, 0);  // the cores, at most 4
  ASSERT_TRUE(
      Parse({"-m", "file:a.json", "--group", "*", "--render-threads", "1"}, &o)
          .ok());
  EXPECT_EQ(o.render_threads, 1);
  for (const char* bad : {"0", "65", "two"}) {
    CliOptions b;
    const Status s = Parse(
        {"-m", "file:a.json", "--group", "*", "--render-threads", bad}, &b);
    EXPECT_EQ(s.message(),
              std::string("--render-threads: not a number of threads from 1 "
                          "to 64: '") +
                  bad + "'");
  }
}

TEST(CliTest, LogLevelsAreMarathonLbs) {
  EXPECT_TRUE(SetupLogging("info", "/dev/null").ok());
  EXPECT_EQ(SetupLogging("info", "/dev/null", "%(asctime)s %(nmae)s").message(),
            "--log-format: '%(asctime)s %(nmae)s': unknown field %(nmae)");
  EXPECT_EQ(SetupLogging("info", "/dev/null", "50% %(message)s").message(),
            "--log-format: '50% %(message)s': '%' at character 3 starts no "
            "%(field)s");
  EXPECT_EQ(SetupLogging("info", "/dev/null", "%(message)").message(),
            "--log-format: '%(message)': %(message) has no 's' or 'd' after "
            "it");
  EXPECT_TRUE(SetupLogging("info", "/dev/null", kDefaultLogFormat).ok());
  EXPECT_EQ(Log().getLevel(), Poco::Message::PRIO_INFORMATION);
  EXPECT_EQ(SetupLogging("banana", "/dev/null").message(),
            "Invalid log level: BANANA");
}

// --version needs no other flag (main prints "marathon-lb VERSION").
TEST(CliTest, VersionAloneParses) {
  CliOptions o;
  ASSERT_TRUE(Parse({"--version"}, &o).ok());
  EXPECT_TRUE(o.version);
  EXPECT_TRUE(Parse({"--group", "g"}, &o).ok());
  EXPECT_FALSE(o.version);
}

TEST(CliTest, HelpListsEveryFlag) {
  const std::string help = FlagHelp();
  for (const char* flag :
       {"--marathon", "--haproxy-config", "--group", "--command",
        "--health-check", "--dont-bind-http-https", "--ssl-certs",
        "--skip-validation", "--dry", "--longhelp", "--log-level",
        "--syslog-socket", "--plugin-dir", "--templates-dir",
        "--poll-interval"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

TEST(CliTest, LabelPolicyDefaultsToRestricted) {
  CliOptions options;
  ASSERT_TRUE(
      ParseCommandLine({"--marathon", "http://m:8080", "--group", "g"}, &options)
          .ok());
  EXPECT_EQ(options.label_policy, LabelPolicy::kRestricted);
  ASSERT_TRUE(ParseCommandLine({"--marathon", "http://m:8080", "--group", "g",
                                "--label-policy", "deny"},
                               &options)
                  .ok());
  EXPECT_EQ(options.label_policy, LabelPolicy::kDeny);
  EXPECT_EQ(ParseCommandLine({"--marathon", "http://m:8080", "--group", "g",
                              "--label-policy", "off"},
                             &options)
                .message(),
            "--label-policy: 'off' is not allow, restricted or deny");
  EXPECT_NE(FlagHelp().find("--label-policy"), std::string::npos);
}

TEST(CliTest, DefaultSslCertMovesTheDefaultCertificate) {
  CliOptions options;
  ASSERT_TRUE(
      ParseCommandLine({"--marathon", "http://m", "--group", "g"}, &options)
          .ok());
  EXPECT_EQ(options.default_ssl_cert, "/etc/ssl/cert.pem");
  ASSERT_TRUE(ParseCommandLine({"--marathon", "http://m", "--group", "g",
                                "--default-ssl-cert", "/srv/tls/cert.pem"},
                               &options)
                  .ok());
  EXPECT_EQ(options.default_ssl_cert, "/srv/tls/cert.pem");
  EXPECT_NE(FlagHelp().find("--default-ssl-cert"), std::string::npos);
}

// --dcos-auth-credentials (marathon-lb 1.15): a DC/OS service account's
// JSON, from the flag or else $DCOS_SERVICE_ACCOUNT_CREDENTIAL, read at
// start-up in every mode; a bad one is a start-up error (exit 2) naming the
// source and the field.
std::string ServiceAccountJson(const std::string& uid = "mlb") {
  return testing::CredentialsJson(uid, testing::TestRsaKeys().private_pem,
                                  "https://leader.mesos/acs/api/v1/auth/login");
}

// --marathon-max-bytes and --marathon-total-timeout bound every Marathon
// read (issue 12, item 6); 0 lifts a limit.
TEST(CliTest, MarathonReadLimits) {
  CliOptions o;
  ASSERT_TRUE(Parse({"--group", "g"}, &o).ok());
  EXPECT_EQ(o.marathon_max_bytes, 268435456u);
  EXPECT_EQ(o.marathon_total_timeout, 120);
  ASSERT_TRUE(Parse({"--group", "g", "--marathon-max-bytes", "1048576",
                     "--marathon-total-timeout", "5"},
                    &o)
                  .ok());
  EXPECT_EQ(o.marathon_max_bytes, 1048576u);
  EXPECT_EQ(o.marathon_total_timeout, 5);
  ASSERT_TRUE(Parse({"--group", "g", "--marathon-max-bytes", "0",
                     "--marathon-total-timeout", "0"},
                    &o)
                  .ok());
  EXPECT_EQ(o.marathon_max_bytes, 0u);
  EXPECT_EQ(o.marathon_total_timeout, 0);
  EXPECT_EQ(Parse({"--group", "g", "--marathon-max-bytes", "1MB"}, &o)
                .message(),
            "--marathon-max-bytes: not a number of bytes: '1MB'");
  EXPECT_EQ(Parse({"--group", "g", "--marathon-max-bytes", "-1"}, &o)
                .message(),
            "--marathon-max-bytes: not a number of bytes: '-1'");
  EXPECT_EQ(Parse({"--group", "g", "--marathon-total-timeout", "1.5"}, &o)
                .message(),
            "--marathon-total-timeout: not a number: '1.5'");
}

TEST(CliTest, DcosAuthCredentialsAreReadInEveryMode) {
  const std::vector<std::vector<std::string>> kModes = {
      {"poll"}, {"sse"}, {"--sse"}, {"event", "http://127.0.0.1:9/"}};
  for (const std::vector<std::string>& mode : kModes) {
    std::vector<std::string> args = mode;
    for (const char* arg : {"--marathon", "http://m:8080", "--group", "g",
                            "--dcos-auth-credentials"}) {
      args.push_back(arg);
    }
    args.push_back(ServiceAccountJson());
    CliOptions o;
    const Status s = Parse(args, &o);
    ASSERT_TRUE(s.ok()) << mode[0] << ": " << s.message();
    EXPECT_EQ(o.dcos_credentials.uid, "mlb") << mode[0];
    EXPECT_EQ(o.dcos_credentials.private_key,
              testing::TestRsaKeys().private_pem);
    EXPECT_EQ(o.dcos_credentials.login_endpoint,
              "https://leader.mesos/acs/api/v1/auth/login");
  }
}

TEST(CliTest, DcosAuthCredentialsDefaultToTheEnvironment) {
  setenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL", ServiceAccountJson("env").c_str(),
         1);
  CliOptions o;
  ASSERT_TRUE(
      ParseCommandLine({"sse", "-m", "http://m:8080", "--group", "g"}, &o).ok());
  EXPECT_EQ(o.dcos_credentials.uid, "env");
  // Read, then taken out of the environment: no child inherits the secret.
  EXPECT_EQ(std::getenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL"), nullptr);
  // The flag wins.
  ASSERT_TRUE(ParseCommandLine({"sse", "-m", "http://m:8080", "--group", "g",
                                "--dcos-auth-credentials",
                                ServiceAccountJson("flag")},
                               &o)
                  .ok());
  EXPECT_EQ(o.dcos_credentials.uid, "flag");
  setenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL", "{\"uid\": \"env\"}", 1);
  EXPECT_EQ(ParseCommandLine({"sse", "-m", "http://m:8080", "--group", "g"}, &o)
                .message(),
            "DCOS_SERVICE_ACCOUNT_CREDENTIAL: field private_key: missing");
  unsetenv("DCOS_SERVICE_ACCOUNT_CREDENTIAL");
}

TEST(CliTest, BadDcosAuthCredentialsAreAStartUpError) {
  CliOptions o;
  const auto parse = [&](const std::string& json) {
    return Parse({"poll", "-m", "http://m:8080", "--group", "g",
                  "--dcos-auth-credentials", json},
                 &o)
        .message();
  };
  EXPECT_EQ(parse("uid=mlb"), "--dcos-auth-credentials: not valid JSON");
  EXPECT_EQ(parse(testing::CredentialsJson("mlb", "-----BEGIN RSA PRIVATE "
                                           "KEY-----\nAAAA\n",
                                           "http://iam/login")),
            "--dcos-auth-credentials: field private_key: not a PEM RSA private "
            "key (without a passphrase)");
  EXPECT_EQ(parse(testing::CredentialsJson(
                "mlb", testing::TestRsaKeys().private_pem, "leader.mesos")),
            "--dcos-auth-credentials: field login_endpoint: expected an "
            "http:// or https:// URL");
}

TEST(CliTest, BasicAuthWinsOverTheServiceAccountAsMarathonLb115) {
  for (const char* basic :
       {"--auth-credentials", "--marathon-auth-credential-file"}) {
    CliOptions o;
    // Not even read: a bad one is no error.
    const Status s = Parse({"sse", "-m", "http://m:8080", "--group", "g",
                            basic, "user:pass", "--dcos-auth-credentials",
                            "not JSON"},
                           &o);
    ASSERT_TRUE(s.ok()) << basic << ": " << s.message();
    EXPECT_EQ(o.dcos_credentials.uid, "") << basic;
  }
}

TEST(CliTest, HelpDescribesDcosAuthCredentials) {
  const std::string help = FlagHelp();
  for (const char* words :
       {"--dcos-auth-credentials", "$DCOS_SERVICE_ACCOUNT_CREDENTIAL",
        "uid", "private_key", "login_endpoint"}) {
    EXPECT_NE(help.find(words), std::string::npos) << words;
  }
}

}  // namespace
}  // namespace mlb
