// The routing marathon-lb 1.15 produces for the 2015 label set, checked line
// by line on small Marathon states. Expected texts follow marathon-lb 1.15's
// generation and its own test cases; the server ids and cookie hashes are
// the values marathon-lb's tests pin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "tests/support/testing.h"

namespace mlb {
namespace {

using testing::Render;
using testing::RenderOptions;
using testing::WithoutHead;

class RoutingTest : public testing::WithBuiltinPacks<> {
 protected:

  // Renders `json` with agent1 -> 1.1.1.1 and returns the config minus HEAD.
  std::string Config(const std::string& json, RenderOptions options = {}) {
    options.hosts.emplace("agent1", "1.1.1.1");
    options.hosts.emplace("agent2", "1.1.1.2");
    testing::RenderResult r = Render(*registry_, json, options);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    errors_ = r.errors;
    warnings_ = r.warnings;
    return WithoutHead(r.text);
  }

  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

constexpr char kEmptyFrontends[] =
    "\nfrontend marathon_http_in\n"
    "  bind *:80\n"
    "  mode http\n"
    "\nfrontend marathon_http_appid_in\n"
    "  bind *:9091\n"
    "  mode http\n"
    "\nfrontend marathon_https_in\n"
    "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
    "  mode http\n";

constexpr char kHttpOptions[] =
    "  option forwardfor\n"
    "  http-request set-header X-Forwarded-Port %[dst_port]\n"
    "  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n";

// An app with one port, one task on agent1:1024, and extra JSON fields.
std::string App(const std::string& labels, const std::string& extra = "") {
  return R"({"id": "/nginx", "labels": {"HAPROXY_GROUP": "external")" +
         labels + R"(}, "ports": [10000],
      "tasks": [{"id": "nginx.1", "host": "agent1", "ports": [1024],
                 "state": "TASK_RUNNING"}])" +
         extra + "}";
}

std::string Apps(const std::string& apps) {
  return R"({"apps": [)" + apps + "]}";
}

const char kHttpCheck[] = R"(, "healthChecks": [{"protocol": "HTTP",
    "portIndex": 0, "path": "/", "timeoutSeconds": 10, "intervalSeconds": 2,
    "maxConsecutiveFailures": 10, "gracePeriodSeconds": 10}])";

TEST_F(RoutingTest, NoAppsGivesTheThreeSharedFrontends) {
  EXPECT_EQ(Config(Apps("")), kEmptyFrontends);
}

TEST_F(RoutingTest, SeveralCertificatesAllGoOnThe443Bind) {
  RenderOptions options;
  options.ssl_certs = {"/etc/haproxy/mysite1.com", "/etc/haproxy/mysite2.com"};
  EXPECT_NE(Config(Apps(""), options)
                .find("  bind *:443 ssl crt /etc/haproxy/mysite1.com crt "
                      "/etc/haproxy/mysite2.com\n"),
            std::string::npos);
}

TEST_F(RoutingTest, HttpHealthCheckMakesAnHttpServiceWithChecks) {
  EXPECT_EQ(Config(Apps(App("", kHttpCheck))),
            std::string(
                "\nfrontend marathon_http_in\n"
                "  bind *:80\n"
                "  mode http\n"
                "\nfrontend marathon_http_appid_in\n"
                "  bind *:9091\n"
                "  mode http\n"
                "  acl app__nginx_10000 hdr(x-marathon-app-id) -i /nginx\n"
                "  use_backend nginx_10000 if app__nginx_10000\n"
                "\nfrontend marathon_https_in\n"
                "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
                "  mode http\n"
                "\nfrontend nginx_10000\n"
                "  bind *:10000\n"
                "  mode http\n"
                "  use_backend nginx_10000\n"
                "\nbackend nginx_10000\n"
                "  balance roundrobin\n"
                "  mode http\n") +
                kHttpOptions +
                "  option  httpchk GET /\n"
                "  timeout check 10s\n"
                "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 check "
                "inter 2s fall 11\n");
}

TEST_F(RoutingTest, SingleVhostRoutesByHostOn80AndBySniOn443) {
  const std::string config =
      Config(Apps(App(R"(, "HAPROXY_0_VHOST": "test.example.com")")));
  EXPECT_NE(config.find("\nfrontend marathon_http_in\n"
                        "  bind *:80\n"
                        "  mode http\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i "
                        "test.example.com\n"
                        "  use_backend nginx_10000 if "
                        "host_test_example_com_nginx_10000\n"
                        "\nfrontend marathon_http_appid_in\n"
                        "  bind *:9091\n"
                        "  mode http\n"
                        "  acl app__nginx_10000 hdr(x-marathon-app-id) -i /nginx\n"
                        "  use_backend nginx_10000 if app__nginx_10000\n"
                        "\nfrontend marathon_https_in\n"
                        "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
                        "  mode http\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni "
                        "test.example.com }\n"
                        "\nfrontend nginx_10000\n"
                        "  bind *:10000\n"
                        "  mode http\n"),
            std::string::npos)
      << config;
}

// --haproxy-map (marathon-lb 1.15's test_config_haproxy_map_auth_noauth and
// _hybrid cases): a plain vhost is a map line, an auth or path port keeps its
// ACLs, before the map lookup (weight -1) unless its own weight is lower;
// the lookup of each frontend is written once; HAPROXY_{n}_MAP_* labels are
// ignored with a warning, as 1.15 ignored them.
TEST_F(RoutingTest, HaproxyMapKeepsAuthAndPathAclsAroundTheLookup) {
  const auto app = [](const std::string& id, int port,
                      const std::string& labels) {
    return R"({"id": ")" + id +
           R"(", "labels": {"HAPROXY_GROUP": "external")" + labels +
           R"(}, "ports": [)" + std::to_string(port) +
           R"(], "tasks": [{"id": "t.1", "host": "agent1",
           "ports": [1024], "state": "TASK_RUNNING"}]})";
  };
  RenderOptions options;
  options.haproxy_map = true;
  testing::RenderResult maps;
  const std::string config = Config(
      Apps(app("/a-auth", 10001, R"(, "HAPROXY_0_VHOST": "shared.test",
                  "HAPROXY_0_AUTH": "r:u:p")") +
           "," +
           app("/b-plain", 10002, R"(, "HAPROXY_0_VHOST": "shared.test,www.test",
                  "HAPROXY_0_MAP_HTTP_FRONTEND_ACL": "  use_backend x\n")") +
           "," +
           app("/c-low", 10003, R"(, "HAPROXY_0_VHOST": "low.test",
                  "HAPROXY_0_PATH": "/x", "HAPROXY_0_BACKEND_WEIGHT": "-5")")),
      options);
  const size_t http = config.find("\nfrontend marathon_http_in\n");
  const size_t appid = config.find("\nfrontend marathon_http_appid_in\n");
  const size_t https = config.find("\nfrontend marathon_https_in\n");
  const size_t end = config.find("\nfrontend a-auth_10001\n");
  EXPECT_EQ(config.substr(http, appid - http),
            "\nfrontend marathon_http_in\n"
            "  bind *:80\n"
            "  mode http\n"
            "  acl host_shared_test_a-auth_10001 hdr(host) -i shared.test\n"
            "  acl auth_a-auth_10001 http_auth(user_a-auth_10001)\n"
            "  http-request auth realm \"r\" if host_shared_test_a-auth_10001 "
            "!auth_a-auth_10001\n"
            "  use_backend a-auth_10001 if host_shared_test_a-auth_10001\n"
            "  use_backend %[req.hdr(host),lower,regsub(:.*$,,),"
            "map(/etc/haproxy/domain2backend.map)]\n"
            "  acl host_low_test_c-low_10003 hdr(host) -i low.test\n"
            "  acl path_c-low_10003 path_beg /x\n"
            "  use_backend c-low_10003 if host_low_test_c-low_10003 "
            "path_c-low_10003\n")
      << config;
  EXPECT_EQ(config.substr(appid, https - appid),
            "\nfrontend marathon_http_appid_in\n"
            "  bind *:9091\n"
            "  mode http\n"
            "  use_backend %[req.hdr(x-marathon-app-id),lower,"
            "map(/etc/haproxy/app2backend.map)]\n")
      << config;
  EXPECT_EQ(config.substr(https, end - https),
            "\nfrontend marathon_https_in\n"
            "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
            "  mode http\n"
            "  acl auth_a-auth_10001 http_auth(user_a-auth_10001)\n"
            "  http-request auth realm \"r\" if { ssl_fc_sni shared.test } "
            "!auth_a-auth_10001\n"
            "  use_backend a-auth_10001 if { ssl_fc_sni shared.test }\n"
            "  use_backend %[ssl_fc_sni,lower,"
            "map(/etc/haproxy/domain2backend.map)]\n"
            "  acl path_c-low_10003 path_beg /x\n"
            "  use_backend c-low_10003 if { ssl_fc_sni low.test } "
            "path_c-low_10003\n")
      << config;
  EXPECT_EQ(errors_, std::vector<std::string>());
  EXPECT_EQ(warnings_, (std::vector<std::string>{
                           "label HAPROXY_0_MAP_HTTP_FRONTEND_ACL: template "
                           "MAP_HTTP_FRONTEND_ACL cannot be overridden per "
                           "app; ignored"}));
  options.hosts.emplace("agent1", "1.1.1.1");
  const testing::RenderResult r = Render(
      *registry_,
      Apps(app("/a-auth", 10001, R"(, "HAPROXY_0_VHOST": "shared.test",
                  "HAPROXY_0_AUTH": "r:u:p")") +
           "," + app("/b-plain", 10002, R"(, "HAPROXY_0_VHOST": "shared.test,www.test")")),
      options);
  EXPECT_EQ(r.maps,
            "# domain2backend.map\n"
            "shared.test b-plain_10002\n"
            "www.test b-plain_10002\n"
            "# app2backend.map\n"
            "/a-auth a-auth_10001\n"
            "/b-plain b-plain_10002\n");
}

// HAPROXY_GLOBAL_DEFAULT_OPTIONS (marathon-lb 1.15's
// TestAdditionalOptions): the default HEAD's `option` lines, items trimmed,
// once each, sorted; an operator's HEAD is used as it is, braces and all.
TEST_F(RoutingTest, GlobalDefaultOptionsMakeTheDefaultHeadsOptionLines) {
  const auto head = [](const std::string& options,
                       const std::string& head_file) {
    const std::string dir = ::testing::TempDir() + "/global_default_options";
    EXPECT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
    if (!head_file.empty()) {
      testing::WriteFile(dir + "/HAPROXY_HEAD", head_file);
    }
    PluginRegistry registry;
    testing::LoadBuiltinPacks(&registry);
    std::vector<std::string> warnings;
    EXPECT_TRUE(registry.catalog().LoadDirectory(dir, &warnings).ok());
    if (!options.empty()) {
      setenv("HAPROXY_GLOBAL_DEFAULT_OPTIONS", options.c_str(), 1);
    }
    const Status s = registry.catalog().LoadEnvironment(&warnings);
    unsetenv("HAPROXY_GLOBAL_DEFAULT_OPTIONS");
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(warnings, std::vector<std::string>());
    const testing::RenderResult r = Render(registry, Apps(""));
    return r.text.substr(0, r.text.find("\nfrontend marathon_http_in"));
  };
  const std::string tail = "  timeout tarpit 60s\n";
  std::string text = head("", "");
  EXPECT_NE(text.find(tail + "  option dontlognull\n"
                             "  option http-server-close\n"
                             "  option redispatch\n"
                             "listen stats\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("if { path /metrics }"), std::string::npos) << text;
  text = head(" httplog, tcplog,httplog,,", "");
  EXPECT_NE(text.find(tail + "  option httplog\n  option tcplog\nlisten stats\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(head("httplog", "global\n  # mine {x}\n"), "global\n  # mine {x}\n");
}

// HAPROXY_{n}_BIND_OPTIONS (marathon-lb 1.15): appended to the port's own
// bind line, after its certificate.
TEST_F(RoutingTest, BindOptionsGoOnThePortsOwnBindLine) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_BIND_OPTIONS": "alpn h2,http/1.1  accept-proxy",
          "HAPROXY_0_SSL_CERT": "/etc/ssl/a.pem")")));
  EXPECT_NE(config.find("\nfrontend nginx_10000\n"
                        "  bind *:10000 ssl crt /etc/ssl/a.pem alpn "
                        "h2,http/1.1 accept-proxy\n"),
            std::string::npos)
      << config;
  EXPECT_EQ(errors_, std::vector<std::string>());
}

// A bind option HAProxy would refuse (the whole config with it), or one
// that reaches past the port (certificates, keys, namespaces, listener ids,
// TLS without HAPROXY_{n}_SSL_CERT's checks), drops only its port.
TEST_F(RoutingTest, BindOptionsThatReachPastThePortDropIt) {
  const std::string kRefused =
      "which is not a bind option a port may set (HAProxy 2.6 bind keywords "
      "without certificates, keys, cipher lists, namespaces, ids or socket "
      "options; TLS: HAPROXY_{n}_SSL_CERT)";
  for (const auto& [value, why] : std::vector<std::pair<std::string, std::string>>{
           {"ssl", "has 'ssl', " + kRefused},
           {"crt /etc/ssl/other.pem", "has 'crt', " + kRefused},
           {"crt-list /etc/x", "has 'crt-list', " + kRefused},
           {"namespace other", "has 'namespace', " + kRefused},
           {"id 7", "has 'id', " + kRefused},
           {"ciphers HIGH", "has 'ciphers', " + kRefused},
           {"force-tlsv12", "has 'force-tlsv12', " + kRefused},
           {"no-tlsv13", "has 'no-tlsv13', " + kRefused},
           {"expose-fd listeners", "has 'expose-fd', " + kRefused},
           {"maxconn", "has 'maxconn' without its argument"},
           {"maxconn many", "has 'maxconn many': 'many' is not a number"},
           {"tcp-ut 5x", "has 'tcp-ut 5x': '5x' is not a time (a number, "
                         "then us, ms, s, m, h or d) of at most 2147483647 ms"},
           {"ssl-min-ver TLSv1.0", "has 'ssl-min-ver TLSv1.0': 'TLSv1.0' is "
                                   "not TLSv1.2 or TLSv1.3"},
           {"ca-file /no/such/ca.pem verify required",
            "has 'ca-file /no/such/ca.pem': '/no/such/ca.pem' is not a file "
            "of the load balancer"},
           {"ca-file ca.pem", "has 'ca-file ca.pem': 'ca.pem' is not an "
                              "absolute file name"},
           {"verify required", "has 'verify required' without a ca-file to "
                               "verify with"},
           {"ca-ignore-err 1,2", "has 'ca-ignore-err 1,2': '1,2' is not all"}}) {
    Config(Apps(App(R"(, "HAPROXY_0_SSL_CERT": "/etc/ssl/a.pem",
                       "HAPROXY_0_BIND_OPTIONS": )" +
                    testing::JsonString(value))));
    EXPECT_EQ(errors_, (std::vector<std::string>{
                           "app /nginx, service port index 0: label "
                           "HAPROXY_0_BIND_OPTIONS: '" + value + "' " + why +
                           "; service port skipped"}))
        << value;
  }
  // TLS options on a port without a certificate: HAProxy would ignore them.
  Config(Apps(App(R"(, "HAPROXY_0_BIND_OPTIONS": "alpn h2")")));
  EXPECT_EQ(errors_, (std::vector<std::string>{
                         "app /nginx, service port index 0: label "
                         "HAPROXY_0_BIND_OPTIONS: 'alpn h2' has 'alpn', which "
                         "only a TLS port takes: set HAPROXY_{n}_SSL_CERT; "
                         "service port skipped"}));
}

// With --run-haproxy marathon-lb saves the servers' state before each
// reload; the default HEAD then names the file and loads it (marathon-lb
// 1.15's server-state-file / load-server-state-from-file).
TEST_F(RoutingTest, DefaultHeadLoadsTheServerStateMarathonLbSaves) {
  RenderOptions options;
  options.server_state_file = "/lb/haproxy.cfg.state";
  const std::string with = Render(*registry_, Apps(""), options).text;
  EXPECT_NE(with.find("  mworker-max-reloads 3\n"
                      "  server-state-file /lb/haproxy.cfg.state\n"
                      "defaults\n"
                      "  load-server-state-from-file global\n"
                      "  log global\n"),
            std::string::npos)
      << with;
  const std::string without = Render(*registry_, Apps("")).text;
  EXPECT_NE(without.find("  mworker-max-reloads 3\ndefaults\n  log global\n"),
            std::string::npos)
      << without;
}

// With an admin address (sse, event), the default HEAD's :9090 listener
// passes marathon-lb 1.15's admin paths to marathon-lb's admin server;
// without one the listener ends as before.
TEST_F(RoutingTest, DefaultHeadRoutesTheAdminPathsToTheAdminServer) {
  RenderOptions options;
  options.admin_address = "127.0.0.1:9089";
  const std::string with = Render(*registry_, Apps(""), options).text;
  EXPECT_NE(with.find("  http-request use-service prometheus-exporter if { "
                      "path /metrics }\n"
                      "  use_backend marathon_lb_admin if { path "
                      "/_haproxy_getconfig /_haproxy_getvhostmap "
                      "/_haproxy_getappmap /_haproxy_getpids "
                      "/_mlb_signal/hup /_mlb_signal/usr1 }\n"
                      "backend marathon_lb_admin\n"
                      "  mode http\n"
                      "  server marathon_lb 127.0.0.1:9089 maxconn 8\n"
                      "\nfrontend marathon_http_in\n"),
            std::string::npos)
      << with;
  const std::string without = Render(*registry_, Apps("")).text;
  EXPECT_NE(without.find("  http-request use-service prometheus-exporter if "
                         "{ path /metrics }\n"
                         "\nfrontend marathon_http_in\n"),
            std::string::npos)
      << without;
  EXPECT_EQ(without.find("marathon_lb_admin"), std::string::npos);
}

// HAPROXY_DEPLOYMENT_GROUP as marathon-lb 1.15's test_zdd_app: /nginx-blue
// (older, two tasks) and /nginx-green (newer, one healthy task of two) are
// one app /nginx on HAPROXY_0_PORT 10000, with the old app's health check;
// one old task (the lowest task id) is disabled.
TEST_F(RoutingTest, DeploymentGroupMergesBlueAndGreenAndDisablesOneOldTask) {
  const std::string check = R"(, "healthChecks": [{"protocol": "HTTP",
      "path": "/", "portIndex": 0, "timeoutSeconds": 15,
      "intervalSeconds": 3, "maxConsecutiveFailures": 10}])";
  const auto app = [&](const std::string& colour, int service_port,
                       const std::string& started, const std::string& tasks) {
    return R"({"id": "/nginx-)" + colour + R"(", "instances": 2,
        "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_DEPLOYMENT_GROUP": "nginx",
          "HAPROXY_DEPLOYMENT_COLOUR": ")" + colour + R"(",
          "HAPROXY_DEPLOYMENT_STARTED_AT": ")" + started + R"(",
          "HAPROXY_DEPLOYMENT_TARGET_INSTANCES": "2",
          "HAPROXY_DEPLOYMENT_ALT_PORT": "10001",
          "HAPROXY_0_PORT": "10000"},
        "ports": [)" + std::to_string(service_port) + "]" + check +
           R"(, "tasks": [)" + tasks + "]}";
  };
  const std::string blue = app(
      "blue", 10000, "2016-02-01T15:51:38.184623",
      R"({"id": "nginx-blue.b", "host": "agent1", "ports": [31002],
          "healthCheckResults": [{"alive": true}]},
         {"id": "nginx-blue.a", "host": "agent2", "ports": [31001],
          "healthCheckResults": [{"alive": true}]})");
  const std::string green = app(
      "green", 10001, "2016-02-01T16:03:12.000000",
      R"({"id": "nginx-green.a", "host": "agent1", "ports": [31003],
          "healthCheckResults": [{"alive": true}]},
         {"id": "nginx-green.b", "host": "agent2", "ports": [31004]})");
  const std::string config = Config(Apps(green + "," + blue));
  const size_t at = config.find("\nbackend nginx_10000\n");
  ASSERT_NE(at, std::string::npos) << config;
  EXPECT_EQ(config.substr(at),
            std::string("\nbackend nginx_10000\n"
                        "  balance roundrobin\n"
                        "  mode http\n") +
                kHttpOptions +
                "  option  httpchk GET /\n"
                "  timeout check 15s\n"
                "  server agent1_1_1_1_1_31002 1.1.1.1:31002 id 15481 check "
                "inter 3s fall 11\n"
                "  server agent1_1_1_1_1_31003 1.1.1.1:31003 id 4975 check "
                "inter 3s fall 11\n"
                "  server agent2_1_1_1_2_31001 1.1.1.2:31001 id 31488 check "
                "inter 3s fall 11 disabled\n"
                "  server agent2_1_1_1_2_31004 1.1.1.2:31004 id 2152 check "
                "inter 3s fall 11\n");
  EXPECT_NE(config.find("  acl app__nginx_10000 hdr(x-marathon-app-id) -i /nginx\n"
                        "  use_backend nginx_10000 if app__nginx_10000\n"),
            std::string::npos)
      << config;
  EXPECT_TRUE(errors_.empty()) << errors_.front();
}

TEST_F(RoutingTest, VhostIsLowerCased) {
  const std::string config =
      Config(Apps(App(R"(, "HAPROXY_0_VHOST": "www.Example.COM")")));
  EXPECT_NE(config.find("  acl host_www_example_com_nginx_10000 hdr(host) -i "
                        "www.example.com\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("if { ssl_fc_sni www.example.com }"), std::string::npos);
}

TEST_F(RoutingTest, CommaSeparatedVhostsShareOneAclName) {
  const std::string config =
      Config(Apps(App(R"(, "HAPROXY_0_VHOST": "test.example.com,test")")));
  EXPECT_NE(config.find("  mode http\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i "
                        "test.example.com\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i test\n"
                        "  use_backend nginx_10000 if "
                        "host_test_example_com_nginx_10000\n\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  use_backend nginx_10000 if { ssl_fc_sni "
                        "test.example.com }\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni test }\n"),
            std::string::npos)
      << config;
}

TEST_F(RoutingTest, RedirectToHttpsGoesInTheVhostFrontend) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "test.example.com",
         "HAPROXY_0_REDIRECT_TO_HTTPS": "true")")));
  EXPECT_NE(config.find("  mode http\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i "
                        "test.example.com\n"
                        "  use_backend nginx_10000 if "
                        "host_test_example_com_nginx_10000\n"
                        "  redirect scheme https code 301 if !{ ssl_fc } "
                        "host_test_example_com_nginx_10000\n\n"),
            std::string::npos)
      << config;
  // The service's own frontend stays head + glue: no `bind *:80` there (the
  // 2015 behaviour).
  EXPECT_NE(config.find("\nfrontend nginx_10000\n"
                        "  bind *:10000\n"
                        "  mode http\n"
                        "  use_backend nginx_10000\n\n"),
            std::string::npos)
      << config;
}

TEST_F(RoutingTest, RedirectWithSeveralVhostsHasNoUseBackendOn80) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "test.example.com,test",
         "HAPROXY_0_REDIRECT_TO_HTTPS": "yes")")));
  EXPECT_NE(config.find("  mode http\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i "
                        "test.example.com\n"
                        "  acl host_test_example_com_nginx_10000 hdr(host) -i test\n"
                        "  redirect scheme https code 301 if !{ ssl_fc } "
                        "host_test_example_com_nginx_10000\n\n"),
            std::string::npos)
      << config;
}

TEST_F(RoutingTest, StickyAddsCookieLineAndHashedCookiePerServer) {
  EXPECT_NE(Config(Apps(App(R"(, "HAPROXY_0_STICKY": "true")")))
                .find("\nbackend nginx_10000\n"
                      "  balance roundrobin\n"
                      "  mode tcp\n"
                      "  cookie mesosphere_server_id insert indirect nocache "
                      "dynamic\n"
                      "  dynamic-cookie-key marathon-lb\n"
                      "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 "
                      "check cookie d6ad48c81f\n"),
            std::string::npos);
}

TEST_F(RoutingTest, TcpHealthCheckOnVhostServiceUsesTcpTemplates) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "test.example.com")",
      R"(, "healthChecks": [{"protocol": "TCP", "portIndex": 0,
          "timeoutSeconds": 10, "intervalSeconds": 2,
          "maxConsecutiveFailures": 10}])")));
  EXPECT_NE(config.find(std::string("\nbackend nginx_10000\n"
                                    "  balance roundrobin\n"
                                    "  mode http\n") +
                        kHttpOptions +
                        "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 "
                        "check inter 2s fall 11\n"),
            std::string::npos)
      << config;
  EXPECT_EQ(config.find("httpchk"), std::string::npos);
}

TEST_F(RoutingTest, CommandHealthCheckWithoutPortIndexIsNoCheck) {
  const std::string config = Config(Apps(App(
      "", R"(, "healthChecks": [{"protocol": "COMMAND",
          "command": {"value": "true"}, "intervalSeconds": 2}])")));
  EXPECT_NE(config.find("\nbackend nginx_10000\n"
                        "  balance roundrobin\n"
                        "  mode tcp\n"
                        "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363\n"),
            std::string::npos)
      << config;
  EXPECT_EQ(config.find("app__nginx_10000"), std::string::npos);
}

TEST_F(RoutingTest, HealthCheckWithPortAddsPortOption) {
  EXPECT_NE(Config(Apps(App("", R"(, "healthChecks": [{"protocol": "HTTP",
          "port": 1024, "timeoutSeconds": 10, "intervalSeconds": 2,
          "maxConsecutiveFailures": 10}])")))
                .find("  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 "
                      "check inter 2s fall 11 port 1024\n"),
            std::string::npos);
}

// HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX: marathon-lb's
// test_config_simple_app_healthcheck_port_using_another_portindex, as
// Marathon JSON (agent1 at marathon-lb's 192.0.2.1, so the ids are its).
TEST_F(RoutingTest, HealthCheckPortIndexChecksServersOnThatPort) {
  RenderOptions options;
  options.hosts.emplace("agent1", "192.0.2.1");
  const std::string check = R"("path": "/", "protocol": "HTTP",
      "gracePeriodSeconds": 10, "intervalSeconds": 2, "timeoutSeconds": 10,
      "maxConsecutiveFailures": 10)";
  EXPECT_EQ(
      Config(Apps(R"({"id": "/nginx", "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": "1"},
          "ports": [10000, 10001],
          "healthChecks": [{"portIndex": 0, )" + check + R"(},
                           {"portIndex": 1, )" + check + R"(}],
          "tasks": [{"id": "nginx.1", "host": "agent1", "ports": [1024, 1025]}]})"),
             options),
      std::string("\nfrontend marathon_http_in\n"
                  "  bind *:80\n"
                  "  mode http\n"
                  "\nfrontend marathon_http_appid_in\n"
                  "  bind *:9091\n"
                  "  mode http\n"
                  "  acl app__nginx_10000 hdr(x-marathon-app-id) -i /nginx\n"
                  "  use_backend nginx_10000 if app__nginx_10000\n"
                  "\nfrontend marathon_https_in\n"
                  "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
                  "  mode http\n"
                  "\nfrontend nginx_10000\n"
                  "  bind *:10000\n"
                  "  mode http\n"
                  "  use_backend nginx_10000\n"
                  "\nfrontend nginx_10001\n"
                  "  bind *:10001\n"
                  "  mode http\n"
                  "  use_backend nginx_10001\n"
                  "\nbackend nginx_10000\n"
                  "  balance roundrobin\n"
                  "  mode http\n") +
          kHttpOptions +
          "  option  httpchk GET /\n"
          "  timeout check 10s\n"
          "  server agent1_192_0_2_1_1024 192.0.2.1:1024 id 18199 check inter "
          "2s fall 11 port 1025\n"
          "\nbackend nginx_10001\n"
          "  balance roundrobin\n"
          "  mode http\n" +
          kHttpOptions +
          "  option  httpchk GET /\n"
          "  timeout check 10s\n"
          "  server agent1_192_0_2_1_1025 192.0.2.1:1025 id 22260 check inter "
          "2s fall 11\n");
  EXPECT_TRUE(errors_.empty());
}

// Each server is checked on its own task's port of the index, and the
// backend's {healthCheckPort} is the first server's: two tasks on one agent
// whose ports sort in opposite orders (marathon-lb 1.15 paired the servers
// of the two ports by position, checking 1024 on the other task's 1025).
// A borrowed TCP check leaves the port tcp: the TCP templates.
TEST_F(RoutingTest, HealthCheckPortIndexPairsEachServerWithItsOwnTask) {
  const std::string config = Config(Apps(R"({"id": "/db",
      "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": "1",
          "HAPROXY_0_BACKEND_TCP_HEALTHCHECK_OPTIONS":
              "  option tcp-check\n  tcp-check connect port {healthCheckPort}\n"},
      "ports": [10000, 10001],
      "healthChecks": [{"protocol": "TCP", "portIndex": 1, "intervalSeconds": 2,
                        "maxConsecutiveFailures": 10}],
      "tasks": [{"id": "db.1", "host": "agent1", "ports": [1024, 1027]},
                {"id": "db.2", "host": "agent1", "ports": [1026, 1025]}]})"));
  const std::string backend = config.substr(config.find("\nbackend db_10000\n"));
  EXPECT_EQ(backend.substr(0, backend.find("\nbackend db_10001\n")),
            "\nbackend db_10000\n"
            "  balance roundrobin\n"
            "  mode tcp\n"
            "  option tcp-check\n"
            "  tcp-check connect port 1027\n"
            "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 check inter 2s "
            "fall 11 port 1027\n"
            "  server agent1_1_1_1_1_1026 1.1.1.1:1026 id 29649 check inter 2s "
            "fall 11 port 1025\n");
  EXPECT_TRUE(errors_.empty()) << errors_[0];
}

// A borrowed HTTP-family check makes the port http, over HAPROXY_{n}_MODE
// (marathon-lb 1.15), with a warning; {healthCheckPort} in a server template.
TEST_F(RoutingTest, HealthCheckPortIndexBorrowedHttpCheckOverridesModeTcp) {
  const std::string config = Config(Apps(R"({"id": "/web",
      "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "tcp",
          "HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX": "1",
          "HAPROXY_0_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS":
              "  check port {healthCheckPort} inter {healthCheckIntervalSeconds}s\n"},
      "ports": [10000, 10001],
      "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 1,
                        "path": "/health", "intervalSeconds": 2,
                        "timeoutSeconds": 1}],
      "tasks": [{"id": "web.1", "host": "agent1", "ports": [1024, 1025]}]})"));
  EXPECT_NE(config.find("\nfrontend web_10000\n"
                        "  bind *:10000\n"
                        "  mode http\n"
                        "  use_backend web_10000\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find(std::string("\nbackend web_10000\n"
                                    "  balance roundrobin\n"
                                    "  mode http\n") +
                        kHttpOptions +
                        "  option  httpchk GET /health\n"
                        "  timeout check 1s\n"
                        "  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363 "
                        "check port 1025 inter 2s\n"),
            std::string::npos)
      << config;
  EXPECT_EQ(warnings_,
            std::vector<std::string>{
                "app /web, service port index 0: HAPROXY_0_MODE ignored: the "
                "port takes the MESOS_HTTP health check of port index 1 "
                "(HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX), which makes it "
                "http"});
}

TEST_F(RoutingTest, ModeLabelWinsOverVhostAndHealthCheck) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example.com", "HAPROXY_0_MODE": "TCP")",
      kHttpCheck)));
  EXPECT_NE(config.find("\nfrontend nginx_10000\n  bind *:10000\n  mode tcp\n"),
            std::string::npos)
      << config;
  // tcp service: no app-id route, TCP check templates (empty backend part).
  EXPECT_EQ(config.find("app__nginx_10000"), std::string::npos);
  EXPECT_EQ(config.find("httpchk"), std::string::npos);
}

// marathon-lb 1.15 would send the vhost from the http frontends to a tcp
// backend, which HAProxy rejects for the whole config. The port stays, in tcp
// mode, without vhost routing, and the operator is told why.
TEST_F(RoutingTest, TcpModeWithVhostKeepsThePortWithoutVhostRouting) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "cache.example.com", "HAPROXY_0_MODE": "tcp")")));
  EXPECT_EQ(config.find("cache.example.com"), std::string::npos) << config;
  EXPECT_NE(config.find("\nfrontend nginx_10000\n  bind *:10000\n  mode tcp\n"),
            std::string::npos);
  EXPECT_EQ(errors_, std::vector<std::string>());
  EXPECT_EQ(warnings_, (std::vector<std::string>{
                           "app /nginx, service port index 0: HAPROXY_0_VHOST "
                           "ignored: vhost routing needs http mode, and "
                           "HAPROXY_0_MODE is tcp"}));
}

TEST_F(RoutingTest, PortBindAddrAndCertLabelsShapeTheServiceFrontend) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_PORT": "10500", "HAPROXY_0_BIND_ADDR": "127.0.0.2",
         "HAPROXY_0_SSL_CERT": "/etc/x.pem")")));
  EXPECT_NE(config.find("\nfrontend nginx_10500\n"
                        "  bind 127.0.0.2:10500 ssl crt /etc/x.pem\n"
                        "  mode tcp\n"
                        "  use_backend nginx_10500\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("\nbackend nginx_10500\n"), std::string::npos);
}

TEST_F(RoutingTest, GroupsSelectApps) {
  const std::string apps = Apps(
      R"({"id": "/ext", "labels": {"HAPROXY_GROUP": "internal,external"},
          "ports": [1], "tasks": [{"host": "agent1", "ports": [5]}]},
         {"id": "/int", "labels": {"HAPROXY_GROUP": "internal"},
          "ports": [2], "tasks": [{"host": "agent1", "ports": [6]}]},
         {"id": "/none", "ports": [3],
          "tasks": [{"host": "agent1", "ports": [7]}]})");
  std::string config = Config(apps);
  EXPECT_NE(config.find("backend ext_1\n"), std::string::npos);
  EXPECT_EQ(config.find("backend int_2\n"), std::string::npos);
  EXPECT_EQ(config.find("backend none_3\n"), std::string::npos);
  RenderOptions all;
  all.groups = {"*"};
  config = Config(apps, all);
  EXPECT_NE(config.find("backend ext_1\n"), std::string::npos);
  EXPECT_NE(config.find("backend int_2\n"), std::string::npos);
  EXPECT_NE(config.find("backend none_3\n"), std::string::npos);
}

// HAPROXY_{n}_GROUP replaces HAPROXY_GROUP for its port only (set but empty,
// it is the one group ""); a port of another group is not read at all, so
// its bad labels are no error here.
TEST_F(RoutingTest, PortGroupReplacesTheAppGroupForItsPort) {
  const std::string apps = Apps(
      R"({"id": "/mixed", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_1_GROUP": "internal", "HAPROXY_1_PORT": "bad",
            "HAPROXY_2_GROUP": ""},
          "ports": [1, 2, 3], "tasks": [{"host": "agent1", "ports": [5, 6, 7]}]},
         {"id": "/inner", "labels": {"HAPROXY_GROUP": "internal",
            "HAPROXY_0_GROUP": "internal,external"},
          "ports": [4, 5], "tasks": [{"host": "agent1", "ports": [8, 9]}]})");
  std::string config = Config(apps);
  EXPECT_EQ(errors_, std::vector<std::string>{});
  EXPECT_NE(config.find("\nbackend mixed_1\n"), std::string::npos);
  EXPECT_EQ(config.find("mixed_2"), std::string::npos) << config;
  EXPECT_EQ(config.find("mixed_3"), std::string::npos) << config;
  EXPECT_NE(config.find("\nbackend inner_4\n"), std::string::npos);
  EXPECT_EQ(config.find("inner_5"), std::string::npos) << config;
  RenderOptions internal;
  internal.groups = {"internal"};
  config = Config(apps, internal);
  EXPECT_EQ(errors_, std::vector<std::string>{
                         "app /mixed, service port index 1: label "
                         "HAPROXY_1_PORT: 'bad' is not a port number "
                         "(1-65535); service port skipped"});
  EXPECT_EQ(config.find("mixed_1"), std::string::npos) << config;
  EXPECT_NE(config.find("\nbackend inner_4\n"), std::string::npos);
  EXPECT_NE(config.find("\nbackend inner_5\n"), std::string::npos);
  RenderOptions empty_group;
  empty_group.groups = {""};
  config = Config(apps, empty_group);
  EXPECT_NE(config.find("\nbackend mixed_3\n"), std::string::npos);
  EXPECT_EQ(config.find("mixed_1"), std::string::npos) << config;
}

// HAPROXY_{n}_ENABLED: false (anything but true/t/yes/y) hides its port;
// under --strict-mode only ports with ENABLED true are exposed.
TEST_F(RoutingTest, EnabledAndStrictMode) {
  const std::string apps = Apps(
      R"({"id": "/e", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_0_ENABLED": "false", "HAPROXY_1_ENABLED": "Yes",
            "HAPROXY_3_ENABLED": "off"},
          "ports": [1, 2, 3, 4],
          "tasks": [{"host": "agent1", "ports": [5, 6, 7, 8]}]})");
  std::string config = Config(apps);
  EXPECT_EQ(config.find("e_1"), std::string::npos) << config;
  EXPECT_NE(config.find("\nbackend e_2\n"), std::string::npos);
  EXPECT_NE(config.find("\nbackend e_3\n"), std::string::npos);
  EXPECT_EQ(config.find("e_4"), std::string::npos) << config;
  RenderOptions strict;
  strict.strict_mode = true;
  config = Config(apps, strict);
  EXPECT_EQ(config.find("e_1"), std::string::npos) << config;
  EXPECT_NE(config.find("\nbackend e_2\n"), std::string::npos);
  EXPECT_EQ(config.find("e_3"), std::string::npos) << config;
  EXPECT_EQ(config.find("e_4"), std::string::npos) << config;
}

// HAPROXY_{n}_BALANCE: the backend's algorithm, with its arguments; a value
// HAProxy would refuse drops the port (haproxy -c would refuse them all;
// tests/render/exposure_review_test.cc checks them against haproxy -c).
TEST_F(RoutingTest, BalanceLabel) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_BALANCE": "url_param  userid check_post")")));
  EXPECT_NE(config.find("\nbackend nginx_10000\n"
                        "  balance url_param userid check_post\n"
                        "  mode tcp\n"),
            std::string::npos)
      << config;
  config = Config(Apps(App(R"x(, "HAPROXY_0_BALANCE": "hdr(host)")x")));
  EXPECT_NE(config.find("  balance hdr(host)\n"), std::string::npos);
  config = Config(Apps(App(R"(, "HAPROXY_0_BALANCE": "fastest")")));
  EXPECT_EQ(config.find("nginx_10000"), std::string::npos) << config;
  EXPECT_EQ(errors_, std::vector<std::string>{
                         "app /nginx, service port index 0: label "
                         "HAPROXY_0_BALANCE: 'fastest' is not one of "
                         "roundrobin, static-rr, leastconn, first, source, "
                         "random[(<n>)], uri [whole] [path-only] [len <n>] "
                         "[depth <n>], url_param <name> [check_post], "
                         "hdr(<name>) [use_domain_only], "
                         "rdp-cookie[(<name>)]; service port skipped"});
}

// HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL: one ACL per network, then the
// rule that refuses the rest, after the http options and before the sticky
// cookie (http); tcp-request rules in tcp mode.
TEST_F(RoutingTest, NetworkAllowedAclInHttpAndTcpBackends) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example.com", "HAPROXY_0_STICKY": "t",
           "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "10.0.0.0/8  192.168.1.1")")));
  EXPECT_NE(config.find(std::string("\nbackend nginx_10000\n"
                                    "  balance roundrobin\n"
                                    "  mode http\n") +
                        kHttpOptions +
                        "  acl network_allowed src 10.0.0.0/8\n"
                        "  acl network_allowed src 192.168.1.1\n"
                        "  http-request allow if network_allowed\n"
                        "  http-request deny\n"
                        "  cookie mesosphere_server_id insert indirect "
                        "nocache dynamic\n"),
            std::string::npos)
      << config;
  config = Config(Apps(App(
      R"(, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "fd00::/16")")));
  EXPECT_NE(config.find("\nbackend nginx_10000\n"
                        "  balance roundrobin\n"
                        "  mode tcp\n"
                        "  acl network_allowed src fd00::/16\n"
                        "  tcp-request content accept if network_allowed\n"
                        "  tcp-request content reject\n"
                        "  server "),
            std::string::npos)
      << config;
  // A value that is not a network list drops the port: the label narrows
  // who may connect, so it is never ignored.
  config = Config(Apps(App(
      R"(, "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL": "10.0.0.0/8 office")")));
  EXPECT_EQ(config.find("nginx_10000"), std::string::npos) << config;
  EXPECT_EQ(errors_,
            std::vector<std::string>{
                "app /nginx, service port index 0: label "
                "HAPROXY_0_BACKEND_NETWORK_ALLOWED_ACL: '10.0.0.0/8 office' "
                "has 'office', which is not an IP address or network "
                "(address/prefix); service port skipped"});
}

// HAPROXY_{n}_AUTH as marathon-lb 1.15 renders it: a userlist after HEAD,
// the vhost routed behind the 401 challenge on :80 and :443; the service
// port and :9091 are not behind auth (as in 1.15).
TEST_F(RoutingTest, AuthPutsTheVhostBehindBasicAuth) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example.com", "HAPROXY_0_MODE": "http",
           "HAPROXY_0_AUTH": "Secret Zone:alice:$5$salt$hash")")));
  EXPECT_EQ(errors_, std::vector<std::string>{});
  EXPECT_EQ(config.substr(0, config.find("\nfrontend marathon_http_appid_in")),
            "\nuserlist user_nginx_10000\n"
            "  user alice password $5$salt$hash\n"
            "\nfrontend marathon_http_in\n"
            "  bind *:80\n"
            "  mode http\n"
            "  acl host_a_example_com_nginx_10000 hdr(host) -i a.example.com\n"
            "  acl auth_nginx_10000 http_auth(user_nginx_10000)\n"
            "  http-request auth realm \"Secret Zone\" if "
            "host_a_example_com_nginx_10000 !auth_nginx_10000\n"
            "  use_backend nginx_10000 if host_a_example_com_nginx_10000\n");
  EXPECT_NE(config.find("\nfrontend marathon_https_in\n"
                        "  bind *:443 ssl crt /etc/ssl/cert.pem\n"
                        "  mode http\n"
                        "  acl auth_nginx_10000 "
                        "http_auth(user_nginx_10000)\n"
                        "  http-request auth realm \"Secret Zone\" if { "
                        "ssl_fc_sni a.example.com } !auth_nginx_10000\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni "
                        "a.example.com }\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  use_backend nginx_10000 if app__nginx_10000\n"),
            std::string::npos);
}

// Several vhosts: their ACLs, then one auth rule and the routing on :80;
// one auth block per vhost on :443. With a redirect, :80 only redirects.
TEST_F(RoutingTest, AuthWithSeveralVhostsAndWithRedirect) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example.com,b.example.com",
           "HAPROXY_0_AUTH": "r:u:p")")));
  EXPECT_NE(config.find("  acl host_a_example_com_nginx_10000 hdr(host) -i "
                        "a.example.com\n"
                        "  acl host_a_example_com_nginx_10000 hdr(host) -i "
                        "b.example.com\n"
                        "  acl auth_nginx_10000 "
                        "http_auth(user_nginx_10000)\n"
                        "  http-request auth realm \"r\" if "
                        "host_a_example_com_nginx_10000 !auth_nginx_10000\n"
                        "  use_backend nginx_10000 if "
                        "host_a_example_com_nginx_10000\n"),
            std::string::npos)
      << config;
  for (const char* vhost : {"a.example.com", "b.example.com"}) {
    EXPECT_NE(config.find(std::string("  http-request auth realm \"r\" if { "
                                      "ssl_fc_sni ") +
                          vhost + " } !auth_nginx_10000\n"
                                  "  use_backend nginx_10000 if { ssl_fc_sni " +
                          vhost + " }\n"),
              std::string::npos)
        << config;
  }
  config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example.com", "HAPROXY_0_AUTH": "r:u:p",
           "HAPROXY_0_REDIRECT_TO_HTTPS": "true")")));
  EXPECT_NE(config.find("  acl host_a_example_com_nginx_10000 hdr(host) -i "
                        "a.example.com\n"
                        "  use_backend nginx_10000 if "
                        "host_a_example_com_nginx_10000\n"
                        "  redirect scheme https code 301 if !{ ssl_fc } "
                        "host_a_example_com_nginx_10000\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  http-request auth realm \"r\" if { ssl_fc_sni "
                        "a.example.com } !auth_nginx_10000\n"),
            std::string::npos)
      << config;
}

// A value auth cannot honour drops the port: the label narrows who may
// reach the vhost, so it is never ignored (marathon-lb 1.15 stopped every
// update on a malformed one).
TEST_F(RoutingTest, AuthThatCannotBeHonouredDropsThePort) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"realm:user", "expected realm:user:password-hash"},
      {"a:b:c:d", "expected realm:user:password-hash"},
      {"r::hash", "the user is empty"},
      {"r:u:", "the password hash is empty"},
      {"my \\\"realm:u:p",
       "the realm has '\"', which HAProxy would read as part of the config "
       "line"},
      {"$HOME:u:p",
       "the realm has '$', which HAProxy would read as part of the config "
       "line"},
      {"r:u v:p",
       "the user has ' ', which HAProxy would read as part of the config "
       "line"},
      {"r:u:p#x",
       "the password hash has '#', which HAProxy would read as part of the "
       "config line"},
  };
  for (const auto& [value, why] : cases) {
    const std::string config = Config(Apps(App(
        R"(, "HAPROXY_0_VHOST": "a.example.com", "HAPROXY_0_AUTH": ")" +
        value + "\"")));
    EXPECT_EQ(config.find("nginx_10000"), std::string::npos) << value;
    EXPECT_EQ(errors_, std::vector<std::string>{
                           "app /nginx, service port index 0: label "
                           "HAPROXY_0_AUTH: " + why + "; service port skipped"})
        << value;
  }
}

// HAPROXY_{n}_PATH (marathon-lb 1.15): apps sharing a vhost by path. The
// path makes the port's weight 1, so its rules come before the catch-all of
// /aaa-web (weight 0), which sorts first by app id, on :80 and on :443.
TEST_F(RoutingTest, PathSharesAVhostAndComesBeforeTheCatchAll) {
  const std::string config = Config(Apps(
      R"({"id": "/aaa-web", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_0_VHOST": "example.com"},
          "ports": [10000], "tasks": [{"host": "agent1", "ports": [1024]}]},
         {"id": "/zzz-api", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_0_VHOST": "example.com", "HAPROXY_0_PATH": "-i /api"},
          "ports": [10001], "tasks": [{"host": "agent1", "ports": [1025]}]})"));
  EXPECT_EQ(errors_, std::vector<std::string>{});
  EXPECT_NE(config.find("\nfrontend marathon_http_in\n"
                        "  bind *:80\n"
                        "  mode http\n"
                        "  acl host_example_com_zzz-api_10001 hdr(host) -i "
                        "example.com\n"
                        "  acl path_zzz-api_10001 path_beg -i /api\n"
                        "  use_backend zzz-api_10001 if "
                        "host_example_com_zzz-api_10001 path_zzz-api_10001\n"
                        "  acl host_example_com_aaa-web_10000 hdr(host) -i "
                        "example.com\n"
                        "  use_backend aaa-web_10000 if "
                        "host_example_com_aaa-web_10000\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  mode http\n"
                        "  acl path_zzz-api_10001 path_beg -i /api\n"
                        "  use_backend zzz-api_10001 if { ssl_fc_sni "
                        "example.com } path_zzz-api_10001\n"
                        "  use_backend aaa-web_10000 if { ssl_fc_sni "
                        "example.com }\n"),
            std::string::npos)
      << config;
}

// HAPROXY_{n}_BACKEND_WEIGHT orders the vhost rules, highest first; equal
// weights keep the app id order.
TEST_F(RoutingTest, BackendWeightOrdersTheVhostRules) {
  std::string apps;
  const std::vector<std::pair<std::string, std::string>> weights = {
      {"a", "5"}, {"b", "0"}, {"c", "10"}, {"d", "-1"}, {"e", "5"}};
  for (size_t i = 0; i < weights.size(); ++i) {
    apps += std::string(i ? "," : "") + R"({"id": "/)" + weights[i].first +
            R"(", "labels": {"HAPROXY_GROUP": "external",
              "HAPROXY_0_VHOST": ")" + weights[i].first + R"(.example",
              "HAPROXY_0_BACKEND_WEIGHT": ")" + weights[i].second + R"("},
            "ports": [)" + std::to_string(10000 + i) + R"(],
            "tasks": [{"host": "agent1", "ports": [1024]}]})";
  }
  const std::string config = Config(Apps(apps));
  std::vector<size_t> http, https;
  for (const char* app : {"c", "a", "e", "b", "d"}) {
    http.push_back(config.find(std::string("  acl host_") + app + "_example_" +
                               app + "_1000"));
    https.push_back(config.find(std::string("if { ssl_fc_sni ") + app +
                                ".example }"));
  }
  for (size_t i = 0; i < http.size(); ++i) {
    ASSERT_NE(http[i], std::string::npos) << i << config;
    ASSERT_NE(https[i], std::string::npos) << i << config;
    if (i > 0) {
      EXPECT_LT(http[i - 1], http[i]) << i;
      EXPECT_LT(https[i - 1], https[i]) << i;
    }
  }
}

// PATH with a redirect (the 301 only for the path), with auth, and with
// several vhosts, as marathon-lb 1.15 renders them.
TEST_F(RoutingTest, PathWithRedirectAuthAndSeveralVhosts) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example", "HAPROXY_0_PATH": "/p",
           "HAPROXY_0_REDIRECT_TO_HTTPS": "true", "HAPROXY_0_AUTH": "r:u:h")")));
  EXPECT_NE(config.find("  acl host_a_example_nginx_10000 hdr(host) -i a.example\n"
                        "  acl path_nginx_10000 path_beg /p\n"
                        "  redirect scheme https code 301 if !{ ssl_fc } "
                        "host_a_example_nginx_10000 path_nginx_10000\n"
                        "\nfrontend marathon_http_appid_in\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  acl path_nginx_10000 path_beg /p\n"
                        "  acl auth_nginx_10000 "
                        "http_auth(user_nginx_10000)\n"
                        "  http-request auth realm \"r\" if { ssl_fc_sni "
                        "a.example } path_nginx_10000 !auth_nginx_10000\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni a.example "
                        "} path_nginx_10000\n"),
            std::string::npos)
      << config;

  config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example", "HAPROXY_0_PATH": "/p",
           "HAPROXY_0_AUTH": "r:u:h")")));
  EXPECT_NE(config.find("  acl host_a_example_nginx_10000 hdr(host) -i a.example\n"
                        "  acl auth_nginx_10000 "
                        "http_auth(user_nginx_10000)\n"
                        "  acl path_nginx_10000 path_beg /p\n"
                        "  http-request auth realm \"r\" if "
                        "host_a_example_nginx_10000 path_nginx_10000 "
                        "!auth_nginx_10000\n"
                        "  use_backend nginx_10000 if host_a_example_nginx_10000 "
                        "path_nginx_10000\n"),
            std::string::npos)
      << config;

  config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example,b.example", "HAPROXY_0_PATH": "/p")")));
  EXPECT_NE(config.find("  acl path_nginx_10000 path_beg /p\n"
                        "  acl host_a_example_nginx_10000 hdr(host) -i a.example\n"
                        "  acl host_a_example_nginx_10000 hdr(host) -i b.example\n"
                        "  use_backend nginx_10000 if host_a_example_nginx_10000 "
                        "path_nginx_10000\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("  acl path_nginx_10000 path_beg /p\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni a.example "
                        "} path_nginx_10000\n"
                        "  use_backend nginx_10000 if { ssl_fc_sni b.example "
                        "} path_nginx_10000\n"),
            std::string::npos)
      << config;

  config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example,b.example", "HAPROXY_0_PATH": "/p",
           "HAPROXY_0_AUTH": "r:u:h")")));
  EXPECT_NE(config.find("  acl path_nginx_10000 path_beg /p\n"
                        "  acl auth_nginx_10000 "
                        "http_auth(user_nginx_10000)\n"
                        "  acl host_a_example_nginx_10000 hdr(host) -i a.example\n"
                        "  acl host_a_example_nginx_10000 hdr(host) -i b.example\n"
                        "  http-request auth realm \"r\" if "
                        "host_a_example_nginx_10000 path_nginx_10000 "
                        "!auth_nginx_10000\n"
                        "  use_backend nginx_10000 if host_a_example_nginx_10000 "
                        "path_nginx_10000\n"),
            std::string::npos)
      << config;
}

// HAPROXY_{n}_USE_HSTS: the HSTS header first among the http options
// (HAProxy 2.6's http-response set-header for 1.15's rspadd); nothing in
// tcp mode.
TEST_F(RoutingTest, UseHstsAddsTheHeaderInHttpMode) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_MODE": "http", "HAPROXY_0_USE_HSTS": "true")")));
  EXPECT_NE(config.find(std::string("\nbackend nginx_10000\n"
                                    "  balance roundrobin\n"
                                    "  mode http\n"
                                    "  http-response set-header "
                                    "Strict-Transport-Security "
                                    "max-age=15768000\n") +
                        kHttpOptions),
            std::string::npos)
      << config;
  config = Config(Apps(App(R"(, "HAPROXY_0_USE_HSTS": "true")")));
  EXPECT_EQ(config.find("Strict-Transport-Security"), std::string::npos);
}

// IP-per-task apps Marathon reports without service ports (Marathon issue
// 3636) get them from 10050..10100 as marathon-lb 1.15 assigns them: the
// first free of SHA-1("<app id>-<container port>-<i>") mod the range size
// (values computed with Python's hashlib), apps taken in app id order
// whatever Marathon's order; a range used up leaves the port out.
TEST_F(RoutingTest, IpPerTaskAppsWithoutServicePortsGetAutoAssignedOnes) {
  const auto app = [](const std::string& id, const std::string& ports) {
    return R"({"id": ")" + id + R"(", "labels": {"HAPROXY_GROUP": "external"},
        "ipAddress": {"discovery": {"ports": [)" + ports + R"(]}},
        "tasks": [{"host": "agent1", "state": "TASK_RUNNING",
                   "ipAddresses": [{"ipAddress": "10.0.0.5"}]}]})";
  };
  const std::string apps = Apps(
      app("/b-ippt", R"({"number": 8080})") + "," +
      app("/a-ippt", R"({"number": 80}, {"number": 81})"));
  std::string config = Config(apps);
  EXPECT_EQ(errors_, std::vector<std::string>{});
  for (const char* section :
       {"\nfrontend a-ippt_10074\n  bind *:10074\n",
        "\nfrontend a-ippt_10085\n  bind *:10085\n",
        "\nfrontend b-ippt_10100\n  bind *:10100\n",
        "\nbackend a-ippt_10085\n  balance roundrobin\n  mode tcp\n"
        "  server agent1_10_0_0_5_80 10.0.0.5:80 id ",
        "\nbackend a-ippt_10074\n  balance roundrobin\n  mode tcp\n"
        "  server agent1_10_0_0_5_81 10.0.0.5:81 id "}) {
    EXPECT_NE(config.find(section), std::string::npos) << section << config;
  }
  // One port for two apps: /a-ippt (first by id) gets it.
  RenderOptions one;
  one.auto_port_min = 10000;
  one.auto_port_max = 10000;
  config = Config(Apps(app("/y", R"({"number": 80})") + "," +
                       app("/x", R"({"number": 80})")),
                  one);
  EXPECT_NE(config.find("\nbackend x_10000\n"), std::string::npos) << config;
  EXPECT_EQ(config.find("backend y_"), std::string::npos) << config;
  EXPECT_EQ(errors_, std::vector<std::string>{
                         "app /y, service port index 0: service port 0 is "
                         "outside 1..65535; service port skipped"});
  // 0 and 0: no service ports, no services (marathon-lb's "disabled").
  RenderOptions none;
  none.auto_port_min = 0;
  none.auto_port_max = 0;
  config = Config(apps, none);
  EXPECT_EQ(config.find("ippt"), std::string::npos) << config;
}

// The http rewrites of 1.15, in its order after the http options, written
// with HAProxy 2.6's http-request/http-response rules where 1.15 used
// reqirep and rspirep; {hostname} is the whole VHOST label (None without).
TEST_F(RoutingTest, ProxypassRevproxyAndRootRedirect) {
  std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_VHOST": "a.example",
           "HAPROXY_0_HTTP_BACKEND_PROXYPASS_PATH": "/api",
           "HAPROXY_0_HTTP_BACKEND_REVPROXY_PATH": "/app",
           "HAPROXY_0_HTTP_BACKEND_REDIR": "/home")")));
  EXPECT_NE(config.find(std::string(kHttpOptions) +
                        "  http-request set-header Host a.example\n"
                        "  http-request replace-path ^/api/?(.*) /\\1\n"
                        "  acl hdr_location res.hdr(Location) -m found\n"
                        "  http-response replace-header Location "
                        "^(https?://a.example(:[0-9]+)?)?(/.*) /app if "
                        "hdr_location\n"
                        "  acl is_root path -i /\n"
                        "  acl is_domain hdr(host) -i a.example\n"
                        "  redirect code 301 location /home if is_domain "
                        "is_root\n"
                        "  server "),
            std::string::npos)
      << config;
  config = Config(Apps(App(
      R"(, "HAPROXY_0_MODE": "http",
           "HAPROXY_0_HTTP_BACKEND_PROXYPASS_PATH": "/api")")));
  EXPECT_NE(config.find("  http-request set-header Host None\n"),
            std::string::npos);
  config = Config(Apps(App(
      R"(, "HAPROXY_0_HTTP_BACKEND_PROXYPASS_PATH": "/api")")));  // tcp
  EXPECT_EQ(config.find("replace-path"), std::string::npos);
}

TEST_F(RoutingTest, ServicesAreSortedByAppIdThenServicePort) {
  const std::string config = Config(Apps(
      R"({"id": "/b", "labels": {"HAPROXY_GROUP": "external"},
          "ports": [20, 10], "tasks": [{"host": "agent1", "ports": [5, 6]}]},
         {"id": "/a", "labels": {"HAPROXY_GROUP": "external",
                                 "HAPROXY_0_PORT": "30"},
          "ports": [1], "tasks": [{"host": "agent1", "ports": [7]}]})"));
  const size_t a30 = config.find("\nfrontend a_30\n");
  const size_t b10 = config.find("\nfrontend b_10\n");
  const size_t b20 = config.find("\nfrontend b_20\n");
  const size_t backend_a30 = config.find("\nbackend a_30\n");
  ASSERT_NE(a30, std::string::npos);
  EXPECT_LT(a30, b10);
  EXPECT_LT(b10, b20);
  EXPECT_LT(b20, backend_a30);
  EXPECT_LT(config.find("\nbackend b_10\n"), config.find("\nbackend b_20\n"));
}

TEST_F(RoutingTest, ServersAreSortedByAgentHostThenPortWithStableIds) {
  const std::string config = Config(Apps(
      R"({"id": "/s", "labels": {"HAPROXY_GROUP": "external"}, "ports": [8080],
          "tasks": [{"host": "agent2", "ports": [2000]},
                    {"host": "agent1", "ports": [3000]},
                    {"host": "agent1", "ports": [1000]}]})"));
  // Ids are SHA-256(name) mod 32767 (the values marathon-lb gives these
  // names), so they do not depend on the order Marathon lists the tasks in.
  EXPECT_NE(config.find("  mode tcp\n"
                        "  server agent1_1_1_1_1_1000 1.1.1.1:1000 id 10547\n"
                        "  server agent1_1_1_1_1_3000 1.1.1.1:3000 id 27124\n"
                        "  server agent2_1_1_1_2_2000 1.1.1.2:2000 id 4818\n"),
            std::string::npos)
      << config;
}

TEST_F(RoutingTest, FirstHttpPortOfAnAppOwnsTheAppIdRoute) {
  const std::string config = Config(Apps(
      R"({"id": "/two", "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_0_MODE": "http", "HAPROXY_1_MODE": "http"},
          "ports": [8081, 8080], "tasks": [{"host": "agent1", "ports": [5, 6]}]})"));
  EXPECT_NE(config.find("  acl app__two_8080 hdr(x-marathon-app-id) -i /two\n"
                        "  use_backend two_8080 if app__two_8080\n\n"),
            std::string::npos)
      << config;
  EXPECT_EQ(config.find("use_backend two_8081 if app__two"), std::string::npos);
}

TEST_F(RoutingTest, DontBindHttpHttpsKeepsOnlyTheAppIdFrontend) {
  RenderOptions options;
  options.bind_http_https = false;
  const std::string config = Config(
      Apps(App(R"(, "HAPROXY_0_VHOST": "test.example.com")")), options);
  EXPECT_EQ(config.find("marathon_http_in"), std::string::npos);
  EXPECT_EQ(config.find("marathon_https_in"), std::string::npos);
  EXPECT_EQ(config.find("host_test_example_com"), std::string::npos);
  EXPECT_EQ(config.find("\nfrontend marathon_http_appid_in\n"
                        "  bind *:9091\n"
                        "  mode http\n"
                        "  acl app__nginx_10000 hdr(x-marathon-app-id) -i /nginx\n"),
            0u)
      << config;
}

TEST_F(RoutingTest, HealthCheckObjectIsAvailableAsInPython) {
  const std::string config = Config(Apps(App(
      R"(, "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS":
           "  option httpchk GET {healthCheck[path]}\n  # {healthCheck}\n")",
      R"(, "healthChecks": [{"protocol": "HTTP", "portIndex": 0,
          "path": "/status", "intervalSeconds": 2, "ignoreHttp1xx": false}])")));
  EXPECT_NE(config.find("  option httpchk GET /status\n"
                        "  # {'protocol': 'HTTP', 'portIndex': 0, 'path': "
                        "'/status', 'intervalSeconds': 2, 'ignoreHttp1xx': "
                        "False}\n"),
            std::string::npos)
      << config;
}

TEST_F(RoutingTest, MissingHealthCheckFieldDropsOnlyThatPort) {
  Config(Apps(App(
      R"(, "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS":
           "  # {healthCheck[command]}\n")",
      R"(, "healthChecks": [{"protocol": "HTTP", "portIndex": 0}])")));
  EXPECT_EQ(errors_, (std::vector<std::string>{
                         "app /nginx, service port index 0: label "
                         "HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS: unknown "
                         "placeholder {healthCheck[command]}; service port "
                         "skipped"}));
}

// Server check options are trimmed and space-prefixed before their
// placeholders are filled, so an empty leading placeholder leaves two spaces,
// exactly as marathon-lb writes it.
TEST_F(RoutingTest, ServerHealthCheckOptionsAreTrimmedBeforeFormatting) {
  EXPECT_NE(Config(Apps(App(
                R"(, "HAPROXY_0_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS":
                     "  {healthCheckPortOptions} check inter {healthCheckIntervalSeconds}s  \n")",
                R"(, "healthChecks": [{"protocol": "HTTP", "port": 8080,
                    "intervalSeconds": 2}])")))
                .find("  server agent1_1_1_1_1_1024 1.1.1.1:1024 id 28363  "
                      "port 8080 check inter 2s\n"),
            std::string::npos);
}

TEST_F(RoutingTest, LabelTemplateOverridesOnePortOnly) {
  const std::string config = Config(Apps(
      R"({"id": "/o", "labels": {"HAPROXY_GROUP": "external",
          "HAPROXY_1_BACKEND_HEAD":
              "\nbackend {backend}\n  balance leastconn\n  mode {mode}\n"},
          "ports": [1, 2], "tasks": [{"host": "agent1", "ports": [5, 6]}]})"));
  EXPECT_NE(config.find("\nbackend o_1\n  balance roundrobin\n  mode tcp\n"),
            std::string::npos)
      << config;
  EXPECT_NE(config.find("\nbackend o_2\n  balance leastconn\n  mode tcp\n"),
            std::string::npos)
      << config;
}


// --group-https-by-vhost (marathon-lb 1.15's test_group_https_by_vhost): the
// built-in packs, a 2.2 pack with a Finish, and a pack
// built for ABI 2.1 whose Finish would fail the generation if called.
class GroupedHttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    testing::LoadBuiltinPacks(registry_);
    for (const char* variable :
         {"MLB_GROUPED_TEST_PACK", "MLB_GROUPED_ABI_2_1_PACK"}) {
      const char* path = std::getenv(variable);
      const Status s = registry_->LoadFile(path != nullptr ? path : variable);
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  // The config minus HEAD, rendered on 1 and 2 threads (Render compares
  // them), with --group-https-by-vhost unless `options` says otherwise.
  std::string Config(const std::string& json, bool grouped = true,
                     RenderOptions options = {}) {
    options.hosts.emplace("agent1", "1.1.1.1");
    options.group_https_by_vhost = grouped;
    testing::RenderResult r = Render(*registry_, json, options);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    errors_ = r.errors;
    maps_ = r.maps;
    return WithoutHead(r.text);
  }

  // An app `id` with one port `port` and one task on agent1.
  static std::string PortApp(const std::string& id, int port,
                             const std::string& labels) {
    return R"({"id": ")" + id +
           R"(", "labels": {"HAPROXY_GROUP": "external", )" + labels +
           R"(}, "ports": [)" + std::to_string(port) +
           R"(], "tasks": [{"id": "t.1", "host": "agent1", "ports": [)" +
           std::to_string(port + 20000) + R"(], "state": "TASK_RUNNING"}]})";
  }

  static inline PluginRegistry* registry_ = nullptr;
  std::vector<std::string> errors_;
  std::string maps_;
};

// Two apps on a.test (one with its own certificate and bind options), two on
// b.test (the weight-99 one first), an app on c.test and a.test, and d.test,
// whose only port empties its routing line: its frontend has no lines.
const char kGroupedApps[] =
    R"({"apps": [)"
    R"({"id": "/app1", "labels": {"HAPROXY_GROUP": "external",
        "HAPROXY_0_VHOST": "a.test", "HAPROXY_0_SSL_CERT": "/etc/cert",
        "HAPROXY_0_BIND_OPTIONS": "verify none"}, "ports": [10001],
      "tasks": [{"id": "t.1", "host": "agent1", "ports": [31001],
                 "state": "TASK_RUNNING"}]},)"
    R"({"id": "/app2", "labels": {"HAPROXY_GROUP": "external",
        "HAPROXY_0_VHOST": "b.test"}, "ports": [10002],
      "tasks": [{"id": "t.2", "host": "agent1", "ports": [31002],
                 "state": "TASK_RUNNING"}]},)"
    R"({"id": "/app3", "labels": {"HAPROXY_GROUP": "external",
        "HAPROXY_0_VHOST": "b.test", "HAPROXY_0_PATH": "/api",
        "HAPROXY_0_BACKEND_WEIGHT": "99"}, "ports": [10003],
      "tasks": [{"id": "t.3", "host": "agent1", "ports": [31003],
                 "state": "TASK_RUNNING"}]},)"
    R"({"id": "/app4", "labels": {"HAPROXY_GROUP": "external",
        "HAPROXY_0_VHOST": "c.test,a.test", "HAPROXY_0_PATH": "/x"},
      "ports": [10004],
      "tasks": [{"id": "t.4", "host": "agent1", "ports": [31004],
                 "state": "TASK_RUNNING"}]},)"
    R"({"id": "/app5", "labels": {"HAPROXY_GROUP": "external",
        "HAPROXY_0_VHOST": "d.test", "HAPROXY_0_HTTPS_FRONTEND_ACL": ""},
      "ports": [10005],
      "tasks": [{"id": "t.5", "host": "agent1", "ports": [31005],
                 "state": "TASK_RUNNING"}]})"
    R"(]})";

TEST_F(GroupedHttpsTest, TcpSplitterThenOneTlsFrontendPerVhostInNameOrder) {
  const std::string config = Config(kGroupedApps);
  EXPECT_TRUE(errors_.empty()) << errors_.front();
  const size_t begin = config.find("\nfrontend marathon_https_in\n");
  const size_t end = config.find("\nfrontend app1_10001\n");
  ASSERT_NE(begin, std::string::npos) << config;
  ASSERT_NE(end, std::string::npos) << config;
  EXPECT_EQ(config.substr(begin, end - begin),
            "\nfrontend marathon_https_in\n"
            "  bind *:443\n"
            "  mode tcp\n"
            "  tcp-request inspect-delay 5s\n"
            "  tcp-request content accept if { req_ssl_hello_type 1 }\n"
            "  use_backend a.test if { req_ssl_sni -i a.test }\n"
            "  use_backend b.test if { req_ssl_sni -i b.test }\n"
            "  use_backend c.test if { req_ssl_sni -i c.test }\n"
            "  use_backend d.test if { req_ssl_sni -i d.test }\n"
            "\nbackend a.test\n"
            "  server loopback-for-tls abns@a.test send-proxy-v2\n"
            "\nfrontend a.test\n"
            "  mode http\n"
            "  bind abns@a.test accept-proxy ssl crt /etc/cert verify none\n"
            "  acl path_app4_10004 path_beg /x\n"
            "  use_backend app4_10004 if { ssl_fc_sni a.test } path_app4_10004\n"
            "  use_backend app1_10001 if { ssl_fc_sni a.test }\n"
            "\nbackend b.test\n"
            "  server loopback-for-tls abns@b.test send-proxy-v2\n"
            "\nfrontend b.test\n"
            "  mode http\n"
            "  bind abns@b.test accept-proxy ssl crt /etc/ssl/cert.pem\n"
            "  acl path_app3_10003 path_beg /api\n"
            "  use_backend app3_10003 if { ssl_fc_sni b.test } path_app3_10003\n"
            "  use_backend app2_10002 if { ssl_fc_sni b.test }\n"
            "\nbackend c.test\n"
            "  server loopback-for-tls abns@c.test send-proxy-v2\n"
            "\nfrontend c.test\n"
            "  mode http\n"
            "  bind abns@c.test accept-proxy ssl crt /etc/ssl/cert.pem\n"
            "  acl path_app4_10004 path_beg /x\n"
            "  use_backend app4_10004 if { ssl_fc_sni c.test } path_app4_10004\n"
            "\nbackend d.test\n"
            "  server loopback-for-tls abns@d.test send-proxy-v2\n"
            "\nfrontend d.test\n"
            "  mode http\n"
            "  bind abns@d.test accept-proxy ssl crt /etc/ssl/cert.pem\n");
  // Everything else is as without the flag: :80, :9091, the services.
  const std::string plain = Config(kGroupedApps, false);
  const size_t plain_begin = plain.find("\nfrontend marathon_https_in\n");
  const size_t plain_end = plain.find("\nfrontend app1_10001\n");
  ASSERT_NE(plain_end, std::string::npos) << plain;
  EXPECT_EQ(config.substr(0, begin), plain.substr(0, plain_begin));
  EXPECT_EQ(config.substr(end), plain.substr(plain_end));
  EXPECT_NE(plain.substr(plain_begin, plain_end - plain_begin),
            config.substr(begin, end - begin));
}

TEST_F(GroupedHttpsTest, CertificatesAndBindOptionsOfEveryPortOfTheVhost) {
  // In the order of the ports (app id, service port) that first set them,
  // each once; the global list only when no port sets one.
  const std::string config = Config(
      "{\"apps\": [" +
      PortApp("/p1", 10001,
              R"("HAPROXY_0_VHOST": "s.test", "HAPROXY_0_SSL_CERT": "/c/2.pem",
                 "HAPROXY_0_BIND_OPTIONS": "verify none")") +
      "," +
      PortApp("/p2", 10002,
              R"("HAPROXY_0_VHOST": "s.test", "HAPROXY_0_SSL_CERT": "/c/1.pem",
                 "HAPROXY_0_BIND_OPTIONS": "alpn h2")") +
      "," +
      PortApp("/p3", 10003,
              R"("HAPROXY_0_VHOST": "s.test", "HAPROXY_0_SSL_CERT": "/c/2.pem",
                 "HAPROXY_0_BIND_OPTIONS": "verify none")") +
      "]}");
  EXPECT_NE(config.find("  bind abns@s.test accept-proxy ssl crt /c/2.pem crt "
                        "/c/1.pem verify none alpn h2\n"),
            std::string::npos)
      << config;
}

TEST_F(GroupedHttpsTest, AuthRoutingGoesToTheVhostFrontend) {
  const std::string config = Config(
      "{\"apps\": [" +
      PortApp("/secret", 10001,
              R"("HAPROXY_0_VHOST": "s.test",
                 "HAPROXY_0_AUTH": "realm:user:hash")") +
      "]}");
  EXPECT_NE(config.find("\nfrontend s.test\n"
                        "  mode http\n"
                        "  bind abns@s.test accept-proxy ssl crt "
                        "/etc/ssl/cert.pem\n"
                        "  acl auth_secret_10001 http_auth(user_secret_10001)\n"
                        "  http-request auth realm \"realm\" if { ssl_fc_sni "
                        "s.test } !auth_secret_10001\n"
                        "  use_backend secret_10001 if { ssl_fc_sni s.test }\n"),
            std::string::npos)
      << config;
}

TEST_F(GroupedHttpsTest, HaproxyMapStillWritesTheMapButEachVhostHasItsLine) {
  RenderOptions options;
  options.haproxy_map = true;
  const std::string config = Config(
      "{\"apps\": [" +
          PortApp("/m1", 10001, R"("HAPROXY_0_VHOST": "m.test,n.test")") +
          "," + PortApp("/m2", 10002, R"("HAPROXY_0_VHOST": "o.test")") +
          "]}",
      true, options);
  EXPECT_EQ(maps_,
            "# domain2backend.map\n"
            "m.test m1_10001\n"
            "n.test m1_10001\n"
            "o.test m2_10002\n"
            "# app2backend.map\n"
            "/m1 m1_10001\n"
            "/m2 m2_10002\n");
  EXPECT_EQ(config.find("map(/etc/haproxy/domain2backend.map)]\n\nbackend"),
            std::string::npos)
      << config;
  for (const char* vhost : {"m", "n", "o"}) {
    const std::string backend = std::string(vhost) == "o" ? "m2_10002"
                                                          : "m1_10001";
    EXPECT_NE(config.find(std::string("  bind abns@") + vhost +
                          ".test accept-proxy ssl crt /etc/ssl/cert.pem\n"
                          "  use_backend " + backend + " if { ssl_fc_sni " +
                          vhost + ".test }\n"),
              std::string::npos)
        << vhost << "\n" << config;
  }
}

TEST_F(GroupedHttpsTest, WithoutHttpHttpsBindingTheFlagDoesNothing) {
  RenderOptions options;
  options.bind_http_https = false;
  const std::string json =
      "{\"apps\": [" + PortApp("/w", 10001, R"("HAPROXY_0_VHOST": "w.test")") +
      "]}";
  const std::string grouped = Config(json, true, options);
  EXPECT_EQ(grouped, Config(json, false, options));
  EXPECT_EQ(grouped.find("abns@"), std::string::npos);
}

// A vhost's TLS frontend is named by VhostSectionName: a host name as
// written, any other vhost by its bytes in hex. No vhost can take the name
// of a backend (a_b_10000 ends with its port) or of another vhost
// (marathon-lb 1.15 named both a.b and a_b "a_b", and a.b.10000 like the
// backend a_b_10000): both ports keep routing, in either id order.
TEST_F(GroupedHttpsTest, VhostsNeverTakeTheNameOfABackendOrOfAnotherVhost) {
  for (const std::string& other : {std::string("/z"), std::string("/0")}) {
    SCOPED_TRACE(other);
    const std::string config =
        Config("{\"apps\": [" +
               PortApp("/a/b", 10000, R"("HAPROXY_0_VHOST": "x.test")") + "," +
               PortApp(other, 10001, R"("HAPROXY_0_VHOST": "a.b.10000")") +
               "," + PortApp("/one", 10002, R"("HAPROXY_0_VHOST": "a.b")") +
               "," + PortApp("/two", 10003, R"("HAPROXY_0_VHOST": "a_b")") +
               "]}");
    EXPECT_EQ(errors_, std::vector<std::string>{});
    EXPECT_NE(config.find("  use_backend a.b if { req_ssl_sni -i a.b }\n"
                          "  use_backend a.b.10000 if { req_ssl_sni -i "
                          "a.b.10000 }\n"
                          "  use_backend _615f62_ if { req_ssl_sni -i a_b }\n"
                          "  use_backend x.test if { req_ssl_sni -i x.test }\n"),
              std::string::npos)
        << config;
    for (const char* section :
         {"\nbackend a_b_10000\n", "\nfrontend a.b.10000\n",
          "\nbackend a.b.10000\n", "\nfrontend _615f62_\n",
          "\nfrontend a.b\n"}) {
      EXPECT_NE(config.find(section), std::string::npos) << section;
    }
  }
}

// The LB's own section names stay the LB's: a vhost named like one drops
// its port.
TEST_F(GroupedHttpsTest, VhostNamedLikeASectionOfTheLbDropsThePort) {
  Config("{\"apps\": [" +
         PortApp("/m", 10001, R"("HAPROXY_0_VHOST": "stats")") + "]}");
  EXPECT_EQ(errors_,
            std::vector<std::string>{
                "app /m, service port index 0: named section stats "
                "(vhost stats) would have the name of listen stats; service "
                "port skipped"});
}

TEST_F(GroupedHttpsTest, FinishIsNotCalledOnAPackBuiltForAbi21) {
  // The 2.1 pack's Finish would fail every generation.
  bool loaded = false;
  for (const auto& pack : registry_->packs()) {
    loaded = loaded || (pack->family == "grouped_abi_2_1" && pack->abi == "2.1");
  }
  EXPECT_TRUE(loaded);
  Config("{\"apps\": [" + PortApp("/f", 10001, R"("HAPROXY_0_VHOST": "f.test")") +
         "]}");
  EXPECT_TRUE(errors_.empty());
}

// ---------------------------------------------------------------------------
// Review (review-parity): hostile labels and Marathon JSON against today's
// --haproxy-map and HAPROXY_{n}_BIND_OPTIONS. Each test fails until the
// defect it is named after is fixed.

// HAProxy 2.6 reads a map file with fgets() into a buffer of tune.bufsize
// (16384) bytes: a line of more than 16382 characters (plus '\n') is read as
// two lines, and the second one is a map entry of its own. An app id (or a
// vhost) that long lets its app write any key it likes into the map, e.g.
// "/victim" -> its own backend, ahead of the victim's own line (the first
// line of a key wins). Every line marathon-lb writes into a map must fit
// HAProxy's line buffer; a key that cannot drops its port.
TEST_F(RoutingTest, MapLineLongerThanHaproxyLineBufferSplitsIntoAnInjectedEntry) {
  const std::string attacker = "/" + std::string(16382, 'a') + "/victim";
  const auto app = [](const std::string& id, int port,
                      const std::string& labels) {
    return R"({"id": ")" + id +
           R"(", "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "http")" +
           labels + R"(}, "ports": [)" + std::to_string(port) +
           R"(], "tasks": [{"id": "t.1", "host": "agent1",
           "ports": [1024], "state": "TASK_RUNNING"}]})";
  };
  RenderOptions options;
  options.haproxy_map = true;
  options.hosts.emplace("agent1", "1.1.1.1");
  const testing::RenderResult r = Render(
      *registry_,
      Apps(app(attacker, 10001, "") + "," +
           app("/tenant", 10002, R"(, "HAPROXY_0_VHOST": ")" +
                                     std::string(16383, 'x') +
                                     R"(victim.test")") +
           "," +
           app("/victim", 10003, R"(, "HAPROXY_0_VHOST": "victim.test")")),
      options);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  size_t longest = 0;
  std::istringstream lines(r.maps);
  for (std::string line; std::getline(lines, line);) {
    longest = std::max(longest, line.size());
  }
  EXPECT_LE(longest, 16382u)
      << "a map line HAProxy reads as two lines (the second: an entry the "
         "app chose)";
  // The attackers' ports are dropped; the victim's lines are the only
  // ones for its id and vhost.
  const std::string expected =
      "# domain2backend.map\nvictim.test victim_10003\n"
      "# app2backend.map\n/victim victim_10003\n";
  EXPECT_TRUE(r.maps == expected)
      << "maps (" << r.maps.size() << " bytes) begin: " << r.maps.substr(0, 120);
  EXPECT_EQ(r.errors.size(), 2u);
  for (const std::string& e : r.errors) {
    EXPECT_THAT(e, ::testing::EndsWith("; service port skipped")) << e.substr(0, 200);
  }
}

// Bind options that pass BindOptionsProblem but that HAProxy 2.6 refuses
// (haproxy -c fails for the whole config, every app's update with it):
// numbers out of HAProxy's range, a time that overflows, an ALPN name longer
// than 255, a ca-file/crl-file that is a file but no certificate, and TLS
// version settings that leave no version on a TLS port. Each must drop only
// its port, like the values BindOptionsThatReachPastThePortDropIt lists.
TEST_F(RoutingTest, BindOptionsHaproxyRefusesAreAcceptedAndFailEveryAppsConfig) {
  std::vector<std::string> accepted;
  for (const std::string& value : std::vector<std::string>{
           "nice 2000", "mss 0", "mss 70000", "accept-netscaler-cip 0",
           "tcp-ut 999999999d", "alpn " + std::string(256, 'h'),
           "ca-file /etc/passwd", "crl-file /etc/passwd",
           "ca-verify-file /etc/passwd",
           "ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2", "force-sslv3",
           "ssl-min-ver SSLv3 ssl-max-ver SSLv3",
           "no-tlsv10 no-tlsv11 no-tlsv12 no-tlsv13"}) {
    const std::string config = Config(Apps(App(
        R"(, "HAPROXY_0_SSL_CERT": "/etc/ssl/a.pem", "HAPROXY_0_BIND_OPTIONS": )" +
        testing::JsonString(value))));
    if (errors_.empty()) {
      accepted.push_back(value);  // haproxy -c then refuses every app's config
      continue;
    }
    ASSERT_EQ(errors_.size(), 1u) << value;
    EXPECT_THAT(errors_[0],
                ::testing::StartsWith(
                    "app /nginx, service port index 0: label "
                    "HAPROXY_0_BIND_OPTIONS: '" + value + "' "))
        << value;
    EXPECT_THAT(errors_[0], ::testing::EndsWith("; service port skipped"))
        << value;
    EXPECT_EQ(config.find("\nfrontend nginx_10000\n"), std::string::npos)
        << value;
  }
  EXPECT_EQ(accepted, std::vector<std::string>{});
}

// "ca-file ... verify required" asks HAProxy to require client
// certificates, which it only does on a TLS bind. Without
// HAPROXY_{n}_SSL_CERT the bind is plain: HAProxy takes the options and
// ignores them, and the port answers anyone, in clear. A label that narrows
// exposure is never ignored (README): the port must be dropped, as a
// "verify required" without a ca-file is.
TEST_F(RoutingTest, BindOptionsVerifyRequiredWithoutSslCertExposesThePortToAnyone) {
  const std::string value =
      "ca-file /etc/ssl/certs/ca-certificates.crt verify required";
  const std::string config = Config(
      Apps(App(R"(, "HAPROXY_0_BIND_OPTIONS": )" + testing::JsonString(value))));
  ASSERT_EQ(errors_.size(), 1u) << config;
  EXPECT_THAT(errors_[0],
              ::testing::StartsWith("app /nginx, service port index 0: label "
                                    "HAPROXY_0_BIND_OPTIONS: '" + value + "' "));
  EXPECT_THAT(errors_[0], ::testing::EndsWith("; service port skipped"));
  EXPECT_EQ(config.find("  bind *:10000 ca-file"), std::string::npos) << config;
}

}  // namespace
}  // namespace mlb
