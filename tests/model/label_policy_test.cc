// --label-policy: injection attempts through labels are refused with one exact
// line naming label, level and the offending line or character; every
// override marathon-lb documents still passes under the default level; a
// refused label drops only its own service port.
#include "core/model/label_policy.h"

#include <gtest/gtest.h>

#include <optional>

#include "core/model/labels.h"
#include "core/model/template_catalog.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using Labels = std::map<std::string, std::string>;

class LabelPolicyTest : public testing::WithBuiltinPacks<> {
 protected:
  // ParsePortLabels for port 0 under `policy`: "" when accepted, else the
  // error message.
  std::string Refusal(const Labels& labels,
                      LabelPolicy policy = LabelPolicy::kRestricted) {
    PortLabels out;
    std::vector<std::string> warnings;
    Status s = ParsePortLabels(labels, 0, registry_->labels(),
                               registry_->catalog(), &out,
                               &warnings, policy);
    return s.message();
  }
};

// In a userlist, `user` and `group` name the list's users: accepted, while
// their arguments are read like any other line's; anywhere else `user` is
// the HAProxy process's and refused.
TEST_F(LabelPolicyTest, UserAndGroupOnlyInsideAUserlist) {
  EXPECT_EQ(Refusal({{"HAPROXY_0_USERLIST_HEAD",
                      "\nuserlist user_{backend}\n  group admins\n"
                      "  user {user} password {passwd} groups admins\n"}}),
            "");
  EXPECT_EQ(Refusal({{"HAPROXY_0_USERLIST_HEAD",
                      "\nuserlist user_{backend}\n"
                      "  user a insecure-password %[env(MARATHON_PASSWORD)]\n"}}),
            "label HAPROXY_0_USERLIST_HEAD refused by --label-policy "
            "restricted: line 3 uses %[env(marathon_password)], which reads "
            "an environment variable of the LB host (\"user a "
            "insecure-password %[env(MARATHON_PASSWORD)]\")");
  EXPECT_EQ(Refusal({{"HAPROXY_0_BACKEND_HEAD",
                      "\nbackend {backend}\n  user root\n"}}),
            "label HAPROXY_0_BACKEND_HEAD refused by --label-policy "
            "restricted: line 3 uses user, which changes the HAProxy process "
            "(\"user root\")");
}

TEST_F(LabelPolicyTest, ParsesTheThreeLevels) {
  LabelPolicy p = LabelPolicy::kAllow;
  ASSERT_TRUE(ParseLabelPolicy("restricted", &p).ok());
  EXPECT_EQ(p, LabelPolicy::kRestricted);
  ASSERT_TRUE(ParseLabelPolicy("deny", &p).ok());
  EXPECT_EQ(p, LabelPolicy::kDeny);
  ASSERT_TRUE(ParseLabelPolicy("allow", &p).ok());
  EXPECT_EQ(p, LabelPolicy::kAllow);
  EXPECT_EQ(ParseLabelPolicy("Restricted", &p).message(),
            "--label-policy: 'Restricted' is not allow, restricted or deny");
}

struct Case {
  std::string label;
  std::string value;
  std::string expected;  // the whole message; "" = accepted
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

// ---------------------------------------------------------------------------
// Template overrides under `restricted`.

class RestrictedTemplateTest
    : public LabelPolicyTest,
      public ::testing::WithParamInterface<Case> {};

TEST_P(RestrictedTemplateTest, RefusesWithExactReason) {
  const Case& c = GetParam();
  EXPECT_EQ(Refusal({{c.label, c.value}}), c.expected) << QuoteValue(c.value);
}

const char kPrefix[] = " refused by --label-policy restricted: ";

Case Refused(const std::string& label, const std::string& value,
             const std::string& reason) {
  return {label, value, "label " + label + kPrefix + reason};
}

INSTANTIATE_TEST_SUITE_P(
    InjectionCorpus, RestrictedTemplateTest,
    ::testing::Values(
        Refused("HAPROXY_0_BACKEND_HEAD",
                "backend {backend}\n  balance {balance}\nprogram evil\n"
                "  command /bin/sh -c id\n",
                "line 3 opens a section (\"program evil\")"),
        Refused("HAPROXY_0_BACKEND_HEAD",
                "\nbackend {backend}\n  mode {mode}\nglobal\n  lua-load /x\n",
                "line 4 opens a section (\"global\")"),
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n"
                "global\n  lua-load /tmp/evil.lua\n",
                "line 4 opens a section (\"global\")"),
        // A second section line, or the right keyword with another name.
        Refused("HAPROXY_0_BACKEND_HEAD",
                "\nbackend {backend}\nbackend {backend}\n",
                "line 3 opens a section (\"backend {backend}\")"),
        Refused("HAPROXY_0_BACKEND_HEAD", "\nbackend evil_{backend}\n",
                "line 2 opens a section (\"backend evil_{backend}\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  option forwardfor\n  listen x\n",
                "line 2 opens a section (\"listen x\")"),
        // CRLF is read as LF, as marathon-lb does.
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  option forwardfor\r\nPeers p\r\n",
                "line 2 opens a section (\"Peers p\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  option forwardfor\n  lua-load /tmp/evil.lua\n",
                "line 2 uses lua-load, which loads or configures Lua code "
                "(\"lua-load /tmp/evil.lua\")"),
        // Tabs, case, quoting and escapes do not hide a keyword: HAProxy
        // reads all of these as lua-load.
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "\t\tLUA-LOAD /x.lua",
                "line 1 uses lua-load, which loads or configures Lua code "
                "(\"LUA-LOAD /x.lua\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  \"lua-load\" /x.lua",
                "line 1 uses lua-load, which loads or configures Lua code "
                "(\"\"lua-load\" /x.lua\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  \\x6cua-load /x.lua",
                "line 1 uses lua-load, which loads or configures Lua code "
                "(\"\\\\x6cua-load /x.lua\")"),
        // HAProxy has no line continuation: a trailing backslash does not
        // join the next line to this one.
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-header X a\\\nlua-load /x.lua",
                "line 2 uses lua-load, which loads or configures Lua code "
                "(\"lua-load /x.lua\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  lua-prepend-path /tmp/?",
                "line 1 uses lua-prepend-path, which loads or configures Lua "
                "code (\"lua-prepend-path /tmp/?\")"),
        // HAProxy ends a line at a lone CR: refused rather than guessed at.
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  option forwardfor\r  lua-load /x",
                "the value has a carriage return (U+000D) at character 20"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                std::string("  option forwardfor\0  lua-load /x", 33),
                "the value has a control character (U+0000) at character 20"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  option forwardfor\n\xc2\xa0lua-load /x",
                "the value has U+00A0 (no-break space) at character 21"),
        Refused("HAPROXY_0_BACKEND_HEAD",
                "\nbackend {backend}\n  option external-check\n"
                "  external-check command /bin/sh\n",
                "line 3 uses option external-check, which runs a program of "
                "the LB host (\"option external-check\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  external-check command /bin/true",
                "line 1 uses external-check, which runs a program of the LB "
                "host (\"external-check command /bin/true\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  setenv PATH /tmp",
                "line 1 uses setenv, which changes HAProxy's environment "
                "(\"setenv PATH /tmp\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  insecure-fork-wanted",
                "line 1 uses insecure-fork-wanted, which lets HAProxy start "
                "programs (\"insecure-fork-wanted\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  ssl-engine evil",
                "line 1 uses ssl-engine, which loads a shared library "
                "(\"ssl-engine evil\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  user root",
                "line 1 uses user, which changes the HAProxy process "
                "(\"user root\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  stats admin if TRUE",
                "line 1 uses stats, which exposes HAProxy's statistics or "
                "admin interface (\"stats admin if TRUE\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  .if 0",
                "line 1 uses .if, which acts on the rest of the config file "
                "(\".if 0\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  http-request lua.evil",
                "line 1 uses lua.evil, which calls Lua code "
                "(\"http-request lua.evil\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request use-service lua.getconfig",
                "line 1 uses lua.getconfig, which calls Lua code "
                "(\"http-request use-service lua.getconfig\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-var(txn.x) lua.fetch",
                "line 1 uses lua.fetch, which calls Lua code "
                "(\"http-request set-var(txn.x) lua.fetch\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-header X %[src,lua.conv]",
                "line 1 uses %[src,lua.conv], which calls Lua code "
                "(\"http-request set-header X %[src,lua.conv]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  tcp-request content lua.x",
                "line 1 uses lua.x, which calls Lua code "
                "(\"tcp-request content lua.x\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request use-service prometheus-exporter",
                "line 1 uses use-service, which serves HAProxy's data or Lua "
                "code (\"http-request use-service prometheus-exporter\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  errorfile 503 /etc/shadow",
                "line 1 uses errorfile, which reads a file of the LB host "
                "(\"errorfile 503 /etc/shadow\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request return status 200 file /etc/passwd",
                "line 1 uses file, which reads a file of the LB host "
                "(\"http-request return status 200 file /etc/passwd\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-header X %[str(root),map(/etc/passwd)]",
                "line 1 uses %[str(root),map(/etc/passwd)], which reads a file "
                "of the LB host (\"http-request set-header X "
                "%[str(root),map(/etc/passwd)]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  acl bad src -f /etc/hosts",
                "line 1 uses -f, which reads a file of the LB host "
                "(\"acl bad src -f /etc/hosts\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  filter spoe config /x",
                "line 1 uses filter, which reads a file of the LB host "
                "(\"filter spoe config /x\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server {serverName} unix@/run/haproxy.master.sock\n",
                "line 1 uses unix@/run/haproxy.master.sock, which reaches a "
                "local socket of the LB host (\"server {serverName} "
                "unix@/run/haproxy.master.sock\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server {serverName} /var/run/haproxy/socket\n",
                "line 1 uses server /var/run/haproxy/socket, which reaches a "
                "local socket of the LB host (\"server {serverName} "
                "/var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind /etc/haproxy/haproxy.cfg\n",
                "line 3 uses bind /etc/haproxy/haproxy.cfg, which reaches a "
                "local socket of the LB host (\"bind "
                "/etc/haproxy/haproxy.cfg\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-response set-header X-Leak \"${MARATHON_PASSWORD}\"",
                "line 1 reads an environment variable of the LB host "
                "(\"http-response set-header X-Leak "
                "\"${MARATHON_PASSWORD}\"\")"),
        // One-line templates are spliced into the server line: a newline
        // would end it and start a line of the label's choosing.
        Refused("HAPROXY_0_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
                "  check inter 2s\n  http-request deny\n",
                "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS is one line (spliced "
                "into the server line), but the value has a newline"),
        // A head that does not open its section writes into the one before
        // (another app's backend).
        Refused("HAPROXY_0_BACKEND_HEAD", "  timeout server 30m\n",
                "line 1 is outside its section: BACKEND_HEAD must start with "
                "\"backend {backend}\" (\"timeout server 30m\")"),
        Refused("HAPROXY_0_BACKEND_HEAD", "",
                "an empty BACKEND_HEAD would put the rest of its section into "
                "the previous section"),
        Refused("HAPROXY_0_FRONTEND_HEAD", "\n",
                "an empty FRONTEND_HEAD needs an empty "
                "HAPROXY_0_FRONTEND_BACKEND_GLUE too (its lines would join the "
                "previous section)")));

// The review's inputs for the env() fetch (H3), local sockets in every
// address position (H4), bind address lists (H5) and files of the LB host
// read or changed by bind options and map/ACL actions (H7).
const char kEnvWhy[] = ", which reads an environment variable of the LB host ";
const char kSocketWhy[] = ", which reaches a local socket of the LB host ";

INSTANTIATE_TEST_SUITE_P(
    ReviewCorpus, RestrictedTemplateTest,
    ::testing::Values(
        // H3: env() as a fetch, wherever a sample expression starts.
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request return status 200 content-type text/plain "
                "lf-string %[env(PATH)]\n",
                std::string("line 1 uses %[env(path)]") + kEnvWhy +
                    "(\"http-request return status 200 content-type "
                    "text/plain lf-string %[env(PATH)]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-var(txn.s) env(MARATHON_PASSWORD)\n",
                std::string("line 1 uses env(marathon_password)") + kEnvWhy +
                    "(\"http-request set-var(txn.s) env(MARATHON_PASSWORD)\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request deny if { env(MARATHON_PASSWORD) -m beg a }\n",
                std::string("line 1 uses env(marathon_password)") + kEnvWhy +
                    "(\"http-request deny if { env(MARATHON_PASSWORD) -m beg "
                    "a }\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-var-fmt(txn.s) \"id %{+Q}[env(HOME)]\"\n",
                std::string("line 1 uses id %{+q}[env(home)]") + kEnvWhy +
                    "(\"http-request set-var-fmt(txn.s) \"id "
                    "%{+Q}[env(HOME)]\"\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-response set-header X %[src,lower]%[\\x45NV(X)]\n",
                std::string("line 1 uses %[src,lower]%[env(x)]") + kEnvWhy +
                    "(\"http-response set-header X "
                    "%[src,lower]%[\\\\x45NV(X)]\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
                "  check sni env(HOSTNAME)",
                std::string("line 1 uses env(hostname)") + kEnvWhy +
                    "(\"check sni env(HOSTNAME)\")"),
        // H4: local sockets behind socket-type prefixes, and paths in
        // every address position.
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server adm stream+unix@/var/run/haproxy/socket\n",
                std::string("line 1 uses stream+unix@/var/run/haproxy/socket") +
                    kSocketWhy +
                    "(\"server adm stream+unix@/var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server adm dgram+unix@/var/run/haproxy/socket\n",
                std::string("line 1 uses dgram+unix@/var/run/haproxy/socket") +
                    kSocketWhy +
                    "(\"server adm dgram+unix@/var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server adm stream+abns@haproxy-master\n",
                std::string("line 1 uses stream+abns@haproxy-master") +
                    kSocketWhy + "(\"server adm stream+abns@haproxy-master\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  log dgram+unix@/dev/log local0\n",
                std::string("line 1 uses dgram+unix@/dev/log") + kSocketWhy +
                    "(\"log dgram+unix@/dev/log local0\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS", "  log /dev/log local0\n",
                std::string("line 1 uses log /dev/log") + kSocketWhy +
                    "(\"log /dev/log local0\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server-template adm 1 /var/run/haproxy/socket\n",
                std::string("line 1 uses server-template "
                            "/var/run/haproxy/socket") +
                    kSocketWhy +
                    "(\"server-template adm 1 /var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
                "  option tcp-check\n  tcp-check connect addr "
                "stream+unix@/var/run/haproxy/socket\n",
                std::string("line 2 uses stream+unix@/var/run/haproxy/socket") +
                    kSocketWhy +
                    "(\"tcp-check connect addr "
                    "stream+unix@/var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
                "  http-check connect addr /tmp/x.sock port 80\n",
                std::string("line 1 uses addr /tmp/x.sock") + kSocketWhy +
                    "(\"http-check connect addr /tmp/x.sock port 80\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server s 127.0.0.1:80 socks4 /tmp/x.sock\n",
                std::string("line 1 uses socks4 /tmp/x.sock") + kSocketWhy +
                    "(\"server s 127.0.0.1:80 socks4 /tmp/x.sock\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server s 127.0.0.1:80 check addr /tmp/x.sock\n",
                std::string("line 1 uses addr /tmp/x.sock") + kSocketWhy +
                    "(\"server s 127.0.0.1:80 check addr /tmp/x.sock\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server s 127.0.0.1:80 agent-check agent-addr /tmp/a.sock\n",
                std::string("line 1 uses agent-addr /tmp/a.sock") + kSocketWhy +
                    "(\"server s 127.0.0.1:80 agent-check agent-addr "
                    "/tmp/a.sock\")"),
        Refused("HAPROXY_0_BACKEND_HEAD",
                "backend {backend}\n  default-server source /tmp/x.sock\n",
                std::string("line 2 uses source /tmp/x.sock") + kSocketWhy +
                    "(\"default-server source /tmp/x.sock\")"),
        Refused("HAPROXY_0_BACKEND_HEAD",
                "backend {backend}\n  source 0.0.0.0 usesrc /tmp/x.sock\n",
                std::string("line 2 uses usesrc /tmp/x.sock") + kSocketWhy +
                    "(\"source 0.0.0.0 usesrc /tmp/x.sock\")"),
        Refused("HAPROXY_0_BACKEND_HEAD",
                "backend {backend}\n  dispatch /tmp/x.sock\n",
                std::string("line 2 uses dispatch /tmp/x.sock") + kSocketWhy +
                    "(\"dispatch /tmp/x.sock\")"),
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server s stream+ipv4@/var/run/haproxy/socket\n",
                std::string("line 1 uses server "
                            "stream+ipv4@/var/run/haproxy/socket") +
                    kSocketWhy +
                    "(\"server s stream+ipv4@/var/run/haproxy/socket\")"),
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind \"127.0.0.1:1, /tmp/b.sock\"\n",
                std::string("line 3 uses bind 127.0.0.1:1, /tmp/b.sock") +
                    kSocketWhy + "(\"bind \"127.0.0.1:1, /tmp/b.sock\"\")"),
        // A family HAProxy may add later is not guessed at.
        Refused("HAPROXY_0_BACKEND_SERVER_OPTIONS",
                "  server s newfamily@x:80\n",
                "line 1 uses server newfamily@x:80, which is not an IP "
                "address (only ip@, ipv4@, ipv6@, udp@, tcp@, quic4@, ... are "
                "accepted) (\"server s newfamily@x:80\")"),
        // H5: each address of a bind list.
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind "
                "{bindAddr}:{servicePort},/tmp/created.sock\n",
                std::string("line 3 uses bind "
                            "{bindaddr}:{serviceport},/tmp/created.sock") +
                    kSocketWhy +
                    "(\"bind {bindAddr}:{servicePort},/tmp/created.sock\")"),
        Refused("HAPROXY_0_HTTP_FRONTEND_ACL",
                "  bind 127.0.0.1:1,/tmp/bind2.sock,127.0.0.1\n",
                std::string("line 1 uses bind "
                            "127.0.0.1:1,/tmp/bind2.sock,127.0.0.1") +
                    kSocketWhy +
                    "(\"bind 127.0.0.1:1,/tmp/bind2.sock,127.0.0.1\")"),
        Refused("HAPROXY_0_HTTPS_FRONTEND_ACL", "  bind 127.0.0.1:1,fd@3\n",
                std::string("line 1 uses 127.0.0.1:1,fd@3") + kSocketWhy +
                    "(\"bind 127.0.0.1:1,fd@3\")"),
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind :10001,sockpair@4\n",
                std::string("line 3 uses :10001,sockpair@4") + kSocketWhy +
                    "(\"bind :10001,sockpair@4\")"),
        // H7: a list file of certificates; a CA key that signs for any
        // name; map and ACL files changed at run time.
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind {bindAddr}:{servicePort} ssl "
                "crt-list /etc/passwd\n",
                "line 3 uses crt-list, which reads a file of the LB host "
                "(\"bind {bindAddr}:{servicePort} ssl crt-list /etc/passwd\")"),
        Refused("HAPROXY_0_FRONTEND_HEAD",
                "\nfrontend {backend}\n  bind {bindAddr}:{servicePort} ssl "
                "crt {sslCert} generate-certificates ca-sign-file "
                "/etc/ssl/ca.pem\n",
                "line 3 uses ca-sign-file, which signs certificates with a CA "
                "key of the LB host (\"bind {bindAddr}:{servicePort} ssl crt "
                "{sslCert} generate-certificates ca-sign-file "
                "/etc/ssl/ca.pem\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-request set-map(/etc/haproxy/x.map) %[src] %[src]\n",
                "line 1 uses set-map(/etc/haproxy/x.map), which changes a map "
                "or ACL file loaded by the LB (\"http-request "
                "set-map(/etc/haproxy/x.map) %[src] %[src]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-response del-map(/etc/haproxy/x.map) %[src]\n",
                "line 1 uses del-map(/etc/haproxy/x.map), which changes a map "
                "or ACL file loaded by the LB (\"http-response "
                "del-map(/etc/haproxy/x.map) %[src]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  tcp-request content add-acl(/etc/haproxy/allow.acl) %[src]\n",
                "line 1 uses add-acl(/etc/haproxy/allow.acl), which changes a "
                "map or ACL file loaded by the LB (\"tcp-request content "
                "add-acl(/etc/haproxy/allow.acl) %[src]\")"),
        Refused("HAPROXY_0_BACKEND_HTTP_OPTIONS",
                "  http-after-response DEL-ACL(/etc/haproxy/allow.acl) %[src]\n",
                "line 1 uses del-acl(/etc/haproxy/allow.acl), which changes a "
                "map or ACL file loaded by the LB (\"http-after-response "
                "DEL-ACL(/etc/haproxy/allow.acl) %[src]\")")));

// What the rules above leave alone: facts about the LB that are no secret,
// IP addresses in every address position, bind lists of IP addresses,
// single certificates, `log global` and network log targets.
INSTANTIATE_TEST_SUITE_P(
    NearMisses, RestrictedTemplateTest,
    ::testing::Values(
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  http-response set-header X-LB %[hostname]-%[nbproc]-%[thread]\n"
             "  http-request set-var(txn.env) str(environment)\n"
             "  http-request redirect location /env(x)/ if { path /old }\n"
             "  log global\n  log 127.0.0.1:514 local0\n"
             "  log ipv4@10.0.0.1:514 len 1024 local0\n"
             "  log stdout format raw local0\n",
             ""},
        Case{"HAPROXY_0_BACKEND_SERVER_OPTIONS",
             "  server {serverName} {host_ipv4}:{port} check addr 10.0.0.1 "
             "port 8080 source ip@10.0.0.2 socks4 10.0.0.3:1080 agent-check "
             "agent-addr 10.0.0.4 agent-port 1\n",
             ""},
        Case{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
             "  option tcp-check\n  tcp-check connect addr 10.0.0.1 port 80\n"
             "  http-check connect addr ipv4@10.0.0.2 port 80\n",
             ""},
        Case{"HAPROXY_0_FRONTEND_HEAD",
             "\nfrontend {backend}\n  bind "
             "{bindAddr}:{servicePort},ipv6@[::1]:{servicePort},"
             "stream+ipv4@127.0.0.2:{servicePort} ssl crt {sslCert} ca-file "
             "/etc/ssl/ca.pem crl-file /etc/ssl/crl.pem ca-verify-file "
             "/etc/ssl/ca2.pem verify optional\n  mode {mode}\n",
             ""}));

// Every override example of marathon-lb's documentation (README, Longhelp,
// the DC/OS "advanced" and "configuration" pages) whose template this
// project has, plus common production overrides. All must pass.
const Case kDocumentedOverrides[] = {
        // README "Overridable Templates": disable http-keep-alive.
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  option forwardfor\n  no option http-keep-alive\n  http-request "
             "set-header X-Forwarded-Port %[dst_port]\n  http-request "
             "add-header X-Forwarded-Proto https if { ssl_fc }\n",
             ""},
        // DC/OS "Creating a sample per-app template" (odd indentation).
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  option forwardfor\n  no option http-keep-alive\n      "
             "http-request set-header X-Forwarded-Port %[dst_port]\n  "
             "http-request add-header X-Forwarded-Proto https if { ssl_fc }\n",
             ""},
        // "Adding HTTP headers to the health check".
        Case{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
             "  option  httpchk GET {healthCheckPath} HTTP/1.1\\r\\nHost:\\ "
             "www\n  timeout check {healthCheckTimeoutSeconds}s\n",
             ""},
        // "Setting timeout for long-lived socket connections".
        Case{"HAPROXY_0_BACKEND_HEAD",
             "backend {backend}\n  balance {balance}\n  mode {mode}\n  timeout "
             "server 30m\n  timeout client 30m\n",
             ""},
        // "Terminating SSL requests at an Elastic Load Balancer".
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  acl is_proxy_https hdr(X-Forwarded-Proto) https\n  redirect "
             "scheme https unless { ssl_fc } or is_proxy_https\n",
             ""},
        // "Resolving virtual hosts": every subdomain of a domain.
        Case{"HAPROXY_0_HTTP_FRONTEND_ACL",
             "  acl host_{cleanedUpHostname} hdr_end(host) -i {hostname}\n  "
             "use_backend {backend} if host_{cleanedUpHostname}\n",
             ""},
        Case{"HAPROXY_0_HTTPS_FRONTEND_ACL",
             "  use_backend {backend} if {{ ssl_fc_sni -m end .{hostname} }}\n",
             ""},
        // "Enabling HAProxy logging".
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  option httplog\n  option forwardfor\n  http-request set-header "
             "X-Forwarded-Port %[dst_port]\n  http-request add-header "
             "X-Forwarded-Proto https if { ssl_fc }\n",
             ""},
        // Longhelp "Example:" blocks.
        Case{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
             "  option  httpchk GET {healthCheckPath}\n  timeout check "
             "{healthCheckTimeoutSeconds}s\n",
             ""},
        Case{"HAPROXY_0_BACKEND_TCP_HEALTHCHECK_OPTIONS",
             "  timeout check {healthCheckTimeoutSeconds}s\n", ""},
        Case{"HAPROXY_0_BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
             "  check inter {healthCheckIntervalSeconds}s fall "
             "{healthCheckFalls}\n",
             ""},
        Case{"HAPROXY_0_BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS",
             "  check inter {healthCheckIntervalSeconds}s fall "
             "{healthCheckFalls}\n",
             ""},
        // Longhelp (1.x) default of BACKEND_SERVER_OPTIONS, and server
        // options people add to it: weight, maxconn, TLS to the backend with
        // a CA and a client certificate, PROXY protocol.
        Case{"HAPROXY_0_BACKEND_SERVER_OPTIONS",
             "  server {serverName} "
             "{host_ipv4}:{port}{cookieOptions}{healthCheckOptions}"
             "{otherOptions}\n",
             ""},
        Case{"HAPROXY_0_BACKEND_SERVER_OPTIONS",
             "  server {serverName} {host_ipv4}:{port} id "
             "{serverId}{cookieOptions}{healthCheckOptions}{otherOptions} "
             "weight 10 maxconn 200\n",
             ""},
        Case{"HAPROXY_0_BACKEND_SERVER_OPTIONS",
             "  server {serverName} {host_ipv4}:{port}{healthCheckOptions} ssl "
             "verify required ca-file /etc/ssl/certs/ca.pem crt "
             "/etc/ssl/client.pem send-proxy-v2 inter 5s rise 2\n",
             ""},
        // 2015 FRONTEND_HEAD (sslCertOptions) and one with a timeout.
        Case{"HAPROXY_0_FRONTEND_HEAD",
             "\nfrontend {backend}\n  bind "
             "{bindAddr}:{servicePort}{sslCertOptions}\n  mode {mode}\n",
             ""},
        Case{"HAPROXY_0_FRONTEND_HEAD",
             "\nfrontend {backend}\n  bind "
             "{bindAddr}:{servicePort}{sslCert}{bindOptions} accept-proxy\n  "
             "mode {mode}\n  timeout client 30m\n  option tcplog\n",
             ""},
        Case{"HAPROXY_0_BACKEND_HEAD",
             "\n# long polling\nbackend {backend}\n  balance leastconn\n  mode "
             "{mode}\n  hash-type consistent\n  option httpchk HEAD /\n  "
             "http-check expect status 200\n  timeout queue 5s\n  "
             "retries 2\n",
             ""},
        Case{"HAPROXY_0_BACKEND_HTTP_OPTIONS",
             "  acl network_allowed src 10.0.0.0/8 192.168.0.0/16\n  "
             "http-request allow if network_allowed\n  http-request deny\n  "
             "http-request redirect location /app code 301 if { path / }\n  "
             "http-response set-header Strict-Transport-Security "
             "\"max-age=15768000\"\n  compression algo gzip\n",
             ""},
        Case{"HAPROXY_0_BACKEND_STICKY_OPTIONS",
             "  cookie SRV insert indirect nocache httponly secure\n", ""},
        Case{"HAPROXY_0_BACKEND_REDIRECT_HTTP_TO_HTTPS",
             "  redirect scheme https code 308 if !{{ ssl_fc }} "
             "host_{cleanedUpHostname}\n",
             ""},
        Case{"HAPROXY_0_HTTP_FRONTEND_APPID_ACL",
             "  acl app_{cleanedUpAppId} hdr(x-marathon-app-id) -i {appId}\n  "
             "use_backend {backend} if app_{cleanedUpAppId}\n",
             ""},
        Case{"HAPROXY_0_FRONTEND_BACKEND_GLUE",
             "  # routed\n  use_backend {backend}\n", ""}};
INSTANTIATE_TEST_SUITE_P(DocumentedOverrides, RestrictedTemplateTest,
                         ::testing::ValuesIn(kDocumentedOverrides));

// "Disabling service port binding": both labels empty.
TEST_F(LabelPolicyTest, EmptyFrontendWithEmptyGluePasses) {
  EXPECT_EQ(Refusal({{"HAPROXY_0_FRONTEND_HEAD", ""},
                     {"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""}}),
            "");
  EXPECT_EQ(Refusal({{"HAPROXY_0_FRONTEND_HEAD", ""},
                     {"HAPROXY_0_FRONTEND_BACKEND_GLUE", "  use_backend x\n"}}),
            "label HAPROXY_0_FRONTEND_HEAD refused by --label-policy "
            "restricted: an empty FRONTEND_HEAD needs an empty "
            "HAPROXY_0_FRONTEND_BACKEND_GLUE too (its lines would join the "
            "previous section)");
}

// The default text of every overridable template, given as a label, passes.
TEST_F(LabelPolicyTest, EveryDefaultTemplateAsALabelPasses) {
  int checked = 0;
  for (const auto& [name, entry] : registry_->catalog().entries()) {
    if (!entry.overridable) {
      continue;
    }
    ++checked;
    EXPECT_EQ(Refusal({{"HAPROXY_0_" + name, entry.pack_default->source()}}),
              "")
        << name;
  }
  EXPECT_EQ(checked, 33);
}

// ---------------------------------------------------------------------------
// Typed labels, at every level.

class TypedLabelTest : public LabelPolicyTest,
                       public ::testing::WithParamInterface<Case> {};

TEST_P(TypedLabelTest, SameRefusalAtEveryLevel) {
  const Case& c = GetParam();
  for (LabelPolicy policy :
       {LabelPolicy::kAllow, LabelPolicy::kRestricted, LabelPolicy::kDeny}) {
    std::string expected = c.expected;
    if (!expected.empty()) {
      expected = "label " + c.label + " refused by --label-policy " +
                 std::string(LabelPolicyName(policy)) + ": " + expected;
    }
    EXPECT_EQ(Refusal({{c.label, c.value}}, policy), expected)
        << QuoteValue(c.value) << " at " << LabelPolicyName(policy);
  }
}

INSTANTIATE_TEST_SUITE_P(
    InjectionCorpus, TypedLabelTest,
    ::testing::Values(
        Case{"HAPROXY_0_VHOST", "a.com\n  acl x always_true",
             "'a.com\\n  acl x always_true' has a newline (U+000A) at "
             "character 6"},
        Case{"HAPROXY_0_VHOST", "shop.example.com\xc2\xa0",
             "'shop.example.com\\u00a0' has U+00A0 (no-break space) at "
             "character 17"},
        Case{"HAPROXY_0_VHOST", "a.com\xe2\x80\x83",
             "'a.com\\u2003' has U+2003 (Unicode space) at character 6"},
        Case{"HAPROXY_0_VHOST", "a\xe2\x80\x8b.com",
             "'a\\u200b.com' has U+200B (zero width space) at character 2"},
        Case{"HAPROXY_0_VHOST", "\xef\xbb\xbf" "a.com",
             "'\\ufeffa.com' has U+FEFF (zero width no-break space) at "
             "character 1"},
        Case{"HAPROXY_0_VHOST", "a.com\xe3\x80\x80",
             "'a.com\\u3000' has U+3000 (ideographic space) at character 6"},
        Case{"HAPROXY_0_VHOST", "a.com\xe2\x80\xaf",
             "'a.com\\u202f' has U+202F (narrow no-break space) at character "
             "6"},
        Case{"HAPROXY_0_VHOST", "a.com\xc2\x85",
             "'a.com\\u0085' has a control character (U+0085) at character 6"},
        Case{"HAPROXY_0_VHOST", "a.com\x7f",
             "'a.com\\x7f' has a control character (U+007F) at character 6"},
        Case{"HAPROXY_0_VHOST", "a.com\xff",
             "'a.com\\xff' is not UTF-8 at byte 6"},
        Case{"HAPROXY_0_VHOST", "a.com b.com",
             "'a.com b.com' has a space at character 6: a space would add "
             "words to the HAProxy line"},
        Case{"HAPROXY_0_VHOST", "a.com#x",
             "'a.com#x' has '#' at character 6: '#' starts an HAProxy "
             "comment"},
        Case{"HAPROXY_0_VHOST", "a.com,}",
             "'a.com,}' has '}' at character 7: braces delimit HAProxy "
             "conditions"},
        Case{"HAPROXY_0_VHOST", "a.com\\ x",
             "'a.com\\\\ x' has '\\' at character 6: HAProxy reads quotes "
             "and backslashes as quoting"},
        Case{"HAPROXY_0_VHOST", "\"a.com",
             "'\"a.com' has '\"' at character 1: HAProxy reads quotes and "
             "backslashes as quoting"},
        Case{"HAPROXY_0_VHOST", "a.com,-f",
             "host '-f' starts with '-': HAProxy would read an ACL flag"},
        Case{"HAPROXY_0_BIND_ADDR", "1.2.3.4\r",
             "'1.2.3.4\\r' has a carriage return (U+000D) at character 8"},
        Case{"HAPROXY_0_BIND_ADDR", "1.2.3.4\t",
             "'1.2.3.4\\t' has a tab (U+0009) at character 8"},
        // A bind address is an IP address, '*' or a host name: a path or
        // unix@ binds a socket (creating or replacing a file), a comma adds
        // addresses, a port takes another one (the review's H6 values).
        Case{"HAPROXY_0_BIND_ADDR", "/tmp/victim",
             "'/tmp/victim' has '/' at character 1: a path binds a UNIX "
             "socket (a file of the LB host); a bind address is an IP "
             "address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "unix@/tmp/x.sock",
             "'unix@/tmp/x.sock' has '@' at character 5: '@' selects a "
             "socket (unix@, abns@, fd@, ...); a bind address is an IP "
             "address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "abns@x",
             "'abns@x' has '@' at character 5: '@' selects a socket (unix@, "
             "abns@, fd@, ...); a bind address is an IP address, '*' or a "
             "host name"},
        Case{"HAPROXY_0_BIND_ADDR", "127.0.0.1:1,/tmp/bind2.sock,127.0.0.1",
             "'127.0.0.1:1,/tmp/bind2.sock,127.0.0.1' has ':' at character "
             "10: ':' adds a port (the port is the service port's); a bind "
             "address is an IP address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "127.0.0.1:1,fd@3,127.0.0.1",
             "'127.0.0.1:1,fd@3,127.0.0.1' has ':' at character 10: ':' adds "
             "a port (the port is the service port's); a bind address is an "
             "IP address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "0.0.0.0:443,0.0.0.0",
             "'0.0.0.0:443,0.0.0.0' has ':' at character 8: ':' adds a port "
             "(the port is the service port's); a bind address is an IP "
             "address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "a.com,b.com",
             "'a.com,b.com' has ',' at character 6: ',' adds another address "
             "to the bind line; a bind address is an IP address, '*' or a "
             "host name"},
        Case{"HAPROXY_0_BIND_ADDR", "ipv4@10.0.0.1",
             "'ipv4@10.0.0.1' has '@' at character 5: '@' selects a socket "
             "(unix@, abns@, fd@, ...); a bind address is an IP address, '*' "
             "or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "-lb.internal",
             "'-lb.internal' is not an IP address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "a..b",
             "'a..b' is not an IP address, '*' or a host name"},
        Case{"HAPROXY_0_BIND_ADDR", "1.2.3.4 ssl",
             "'1.2.3.4 ssl' has a space at character 8: a space would add "
             "words to the HAProxy line"},
        Case{"HAPROXY_0_SSL_CERT", "/a.pem\x01",
             "'/a.pem\\x01' has a control character (U+0001) at character 7"},
        Case{"HAPROXY_0_SSL_CERT", "/a.pem ca-file /etc/shadow",
             "'/a.pem ca-file /etc/shadow' has a space at character 7: a "
             "space would add words to the HAProxy line"},
        Case{"HAPROXY_0_PORT", "80\n",
             "'80\\n' has a newline (U+000A) at character 3"},
        Case{"HAPROXY_0_MODE", "http\xc2\xa0",
             "'http\\u00a0' has U+00A0 (no-break space) at character 5"},
        Case{"HAPROXY_0_STICKY", "true\n",
             "'true\\n' has a newline (U+000A) at character 5"},
        Case{"HAPROXY_GROUP", "external\nx",
             "'external\\nx' has a newline (U+000A) at character 9"}));

INSTANTIATE_TEST_SUITE_P(
    RealisticValues, TypedLabelTest,
    ::testing::Values(
        Case{"HAPROXY_0_VHOST", "*.example.com", ""},
        Case{"HAPROXY_0_VHOST", "a.example.com,b.example.com,test", ""},
        Case{"HAPROXY_0_VHOST", "Shop.Example.com:8080", ""},
        Case{"HAPROXY_0_VHOST", "xn--bcher-kva.example,b\xc3\xbc" "cher.example",
             ""},
        Case{"HAPROXY_0_VHOST", "my_service.internal", ""},
        Case{"HAPROXY_0_SSL_CERT", "/etc/ssl/certs/nginx.mesosphere.com", ""},
        Case{"HAPROXY_0_SSL_CERT", "/etc/ssl/private/site-1_2024.pem", ""},
        Case{"HAPROXY_0_BIND_ADDR", "0.0.0.0", ""},
        Case{"HAPROXY_0_BIND_ADDR", "::", ""},
        Case{"HAPROXY_0_BIND_ADDR", "*", ""},
        Case{"HAPROXY_0_BIND_ADDR", "", ""},
        Case{"HAPROXY_0_BIND_ADDR", "10.0.0.1", ""},
        Case{"HAPROXY_0_BIND_ADDR", "fe80::1", ""},
        Case{"HAPROXY_0_BIND_ADDR", "[::1]", ""},
        Case{"HAPROXY_0_BIND_ADDR", "lb-1.internal", ""},
        Case{"HAPROXY_0_BIND_ADDR", "my_host.example.com", ""},
        Case{"HAPROXY_0_PORT", " 8080 ", ""},
        Case{"HAPROXY_0_MODE", "HTTP", ""},
        Case{"HAPROXY_0_STICKY", "yes", ""},
        Case{"HAPROXY_GROUP", "external,internal", ""},
        Case{"HAPROXY_GROUP", "external, internal", ""}));

// ---------------------------------------------------------------------------
// Levels.

TEST_F(LabelPolicyTest, DenyRefusesEveryTemplateOverrideButKeepsTypedLabels) {
  EXPECT_EQ(Refusal({{"HAPROXY_0_BACKEND_HEAD",
                      "\nbackend {backend}\n  balance {balance}\n"}},
                    LabelPolicy::kDeny),
            "label HAPROXY_0_BACKEND_HEAD refused by --label-policy deny: "
            "template overrides are not accepted");
  EXPECT_EQ(Refusal({{"HAPROXY_0_FRONTEND_BACKEND_GLUE", ""}},
                    LabelPolicy::kDeny),
            "label HAPROXY_0_FRONTEND_BACKEND_GLUE refused by --label-policy "
            "deny: template overrides are not accepted");
  EXPECT_EQ(Refusal({{"HAPROXY_0_VHOST", "*.example.com"},
                     {"HAPROXY_0_STICKY", "true"}},
                    LabelPolicy::kDeny),
            "");
  // Labels of other ports, and non-overridable templates, are not its
  // business.
  EXPECT_EQ(Refusal({{"HAPROXY_1_BACKEND_HEAD", ""}, {"HAPROXY_0_HEAD", "x"}},
                    LabelPolicy::kDeny),
            "");
}

// `allow` is marathon-lb: the operator accepts that label authors can run
// code in the load balancer.
TEST_F(LabelPolicyTest, AllowAcceptsTemplatesAsMarathonLbDoes) {
  EXPECT_EQ(Refusal({{"HAPROXY_0_BACKEND_HEAD",
                      "backend {backend}\n  balance {balance}\nprogram evil\n"
                      "  command /bin/sh -c id\n"}},
                    LabelPolicy::kAllow),
            "");
  EXPECT_EQ(Refusal({{"HAPROXY_0_BACKEND_HEAD", ""}}, LabelPolicy::kAllow), "");
}

// ---------------------------------------------------------------------------
// Through BuildServices: a refused label drops its own service port only.

TEST_F(LabelPolicyTest, RefusedLabelDropsOnlyItsServicePort) {
  testing::RenderResult r = testing::Render(*registry_, R"({"apps": [
      {"id": "/x", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_BACKEND_HEAD":
           "backend {backend}\n  balance {balance}\nprogram evil\n  command id\n",
         "HAPROXY_1_VHOST": "x.example.com"},
       "ports": [10001, 10002],
       "tasks": [{"host": "1.1.1.1", "ports": [31001, 31002]}]},
      {"id": "/y", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_VHOST": "y.example.com\u00a0"},
       "ports": [10003], "tasks": [{"host": "1.1.1.2", "ports": [31003]}]},
      {"id": "/z", "labels": {"HAPROXY_GROUP": "external"},
       "ports": [10004], "tasks": [{"host": "1.1.1.3", "ports": [31004]}]}]})");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /x, service port index 0: label HAPROXY_0_BACKEND_HEAD "
                "refused by --label-policy restricted: line 3 opens a section "
                "(\"program evil\"); service port skipped",
                "app /y, service port index 0: label HAPROXY_0_VHOST refused "
                "by --label-policy restricted: 'y.example.com\\u00a0' has "
                "U+00A0 (no-break space) at character 14; service port "
                "skipped"}));
  EXPECT_EQ(r.text.find("program"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("backend x_10001"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("y.example.com"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nbackend x_10002\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("hdr(host) -i x.example.com\n"), std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("\nbackend z_10004\n"), std::string::npos) << r.text;
}

// The review's bind list in a shared frontend template and env() leak,
// through BuildServices: each drops its own port; nothing reaches the
// config; the other app keeps routing.
TEST_F(LabelPolicyTest, ReviewInputsDropOnlyTheirServicePorts) {
  testing::RenderResult r = testing::Render(*registry_, R"({"apps": [
      {"id": "/b", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_VHOST": "b.example.com",
         "HAPROXY_0_HTTP_FRONTEND_ACL":
           "  bind 127.0.0.1:10099,/tmp/created.sock\n  use_backend {backend}\n",
         "HAPROXY_1_BACKEND_HTTP_OPTIONS":
           "  http-request return status 200 lf-string %[env(MARATHON_PASSWORD)]\n"},
       "ports": [10001, 10002],
       "tasks": [{"host": "1.1.1.1", "ports": [31001, 31002]}]},
      {"id": "/z", "labels": {"HAPROXY_GROUP": "external"},
       "ports": [10004], "tasks": [{"host": "1.1.1.3", "ports": [31004]}]}]})");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /b, service port index 0: label "
                "HAPROXY_0_HTTP_FRONTEND_ACL refused by --label-policy "
                "restricted: line 1 uses bind "
                "127.0.0.1:10099,/tmp/created.sock, which reaches a local "
                "socket of the LB host (\"bind "
                "127.0.0.1:10099,/tmp/created.sock\"); service port skipped",
                "app /b, service port index 1: label "
                "HAPROXY_1_BACKEND_HTTP_OPTIONS refused by --label-policy "
                "restricted: line 1 uses %[env(marathon_password)], which "
                "reads an environment variable of the LB host (\"http-request "
                "return status 200 lf-string %[env(MARATHON_PASSWORD)]\"); "
                "service port skipped"}));
  EXPECT_EQ(r.text.find("created.sock"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("env("), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("backend b_1000"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nbackend z_10004\n"), std::string::npos) << r.text;
}

// A placeholder value may not add lines either, at every level: Marathon's
// health-check path is the app owner's text too.
TEST_F(LabelPolicyTest, PlaceholderValueWithANewlineDropsItsServicePort) {
  testing::RenderResult r = testing::Render(*registry_, R"({"apps": [
      {"id": "/h", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_VHOST": "h.example.com",
         "HAPROXY_1_VHOST": "h1.example.com",
         "HAPROXY_1_BACKEND_HTTP_HEALTHCHECK_OPTIONS":
           "  option httpchk GET {healthCheck[path]}\n"},
       "healthChecks": [{"protocol": "HTTP", "portIndex": 0,
                         "path": "/\n  lua-load /x.lua"},
                        {"protocol": "HTTP", "portIndex": 1,
                         "path": "/\r  lua-load /y.lua"}],
       "ports": [10001, 10002],
       "tasks": [{"host": "1.1.1.1", "ports": [31001, 31002]}]},
      {"id": "/z", "labels": {"HAPROXY_GROUP": "external"},
       "ports": [10004], "tasks": [{"host": "1.1.1.3", "ports": [31004]}]}]})");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /h, service port index 0: default template "
                "BACKEND_HTTP_HEALTHCHECK_OPTIONS of pack io.mlb.builtin: "
                "placeholder {healthCheckPath} has a newline: "
                "'/\\n  lua-load /x.lua'; service port skipped",
                "app /h, service port index 1: label "
                "HAPROXY_1_BACKEND_HTTP_HEALTHCHECK_OPTIONS: placeholder "
                "{healthCheck[path]} has a carriage return: "
                "'/\\r  lua-load /y.lua'; service port skipped"}));
  EXPECT_EQ(r.text.find("lua-load"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nbackend z_10004\n"), std::string::npos) << r.text;
}

// ---------------------------------------------------------------------------
// What placeholder values make of a template (review H1, H2).

using testing::JsonString;

// The reviewer's state: /evil with `labels` and, if `path` is set, an HTTP
// health check with that path; /good next to it.
std::string EvilAndGood(const Labels& labels,
                        const std::optional<std::string>& path = {}) {
  std::string json =
      R"({"apps": [{"id": "/evil", "labels": {"HAPROXY_GROUP": "external")";
  for (const auto& [key, value] : labels) {
    json += ", " + JsonString(key) + ": " + JsonString(value);
  }
  json += R"(}, "ports": [10001],
       "tasks": [{"host": "1.1.1.1", "ports": [31000]}])";
  if (path) {
    json += R"(, "healthChecks": [{"protocol": "HTTP", "portIndex": 0, )"
            R"("path": )" +
            JsonString(*path) + "}]";
  }
  json += R"(},
      {"id": "/good", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_VHOST": "good.example.com"},
       "ports": [10002], "tasks": [{"host": "1.1.1.2", "ports": [32000]}]}]})";
  return json;
}

struct RenderedCase {
  std::string name;
  Labels labels;
  std::optional<std::string> path;
  std::string expected;  // the whole error line
  std::string payload;   // must not be in the config
};

void PrintTo(const RenderedCase& c, std::ostream* os) { *os << c.name; }

class RenderedOverrideTest
    : public LabelPolicyTest,
      public ::testing::WithParamInterface<RenderedCase> {};

TEST_P(RenderedOverrideTest, RefusedWithTheLabelAndWhatItRenderedTo) {
  const RenderedCase& c = GetParam();
  testing::RenderResult r =
      testing::Render(*registry_, EvilAndGood(c.labels, c.path));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, std::vector<std::string>{c.expected});
  EXPECT_EQ(r.text.find(c.payload), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("evil_10001"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nbackend good_10002\n"), std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("hdr(host) -i good.example.com\n"), std::string::npos)
      << r.text;
}

const char kEvil[] = "app /evil, service port index 0: label HAPROXY_0_";
const char kRestricted[] = " refused by --label-policy restricted: ";
const char kSkipped[] = "; service port skipped";

// Every H1 example of the review: the label passes the check of its raw
// text (the refused word is not in it), the rendered text does not.
INSTANTIATE_TEST_SUITE_P(
    ReviewH1, RenderedOverrideTest,
    ::testing::Values(
        RenderedCase{
            "FileReadThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  http-request return status 200 content-type text/plain "
              "{healthCheckPath} /etc/shadow\n"}},
            "file",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 1 as rendered uses file, which reads a file of the LB "
                "host: {healthCheckPath} is 'file' (\"http-request return "
                "status 200 content-type text/plain file /etc/shadow\")" +
                kSkipped,
            "/etc/shadow"},
        RenderedCase{
            "AdminSocketThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  server adm {healthCheckPath}\n"}},
            "unix@/var/run/haproxy/socket",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 1 as rendered uses unix@/var/run/haproxy/socket, which "
                "reaches a local socket of the LB host: {healthCheckPath} is "
                "'unix@/var/run/haproxy/socket' (\"server adm "
                "unix@/var/run/haproxy/socket\")" +
                kSkipped,
            "server adm"},
        RenderedCase{
            "EnvironmentThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  http-request return status 200 content-type text/plain "
              "lf-string \"{healthCheckPath}\"\n"}},
            "${PATH}",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 1 as rendered reads an environment variable of the LB "
                "host: {healthCheckPath} is '${PATH}' (\"http-request return "
                "status 200 content-type text/plain lf-string \"${PATH}\"\")" +
                kSkipped,
            "${PATH}"},
        RenderedCase{
            "FileReadThroughVhost",
            {{"HAPROXY_0_VHOST", "file"},
             {"HAPROXY_0_HTTP_FRONTEND_ACL",
              "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\n"
              "  http-request return status 200 content-type text/plain "
              "{hostname} /etc/shadow if host_{cleanedUpHostname}\n"
              "  use_backend {backend} if host_{cleanedUpHostname}\n"}},
            std::nullopt,
            std::string(kEvil) + "HTTP_FRONTEND_ACL" + kRestricted +
                "line 1 as rendered uses file, which reads a file of the LB "
                "host: {hostname} is 'file' (\"acl host_file_evil_10001 hdr(host) "
                "-i file\")" +
                kSkipped,
            "/etc/shadow"},
        RenderedCase{
            "ProgramSectionThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_SERVER_OPTIONS", ""},
             {"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  option  httpchk GET /\n{healthCheckPath}\n  command "
              "/bin/touch /tmp/x\n"}},
            "program pwn",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 2 as rendered opens a section: {healthCheckPath} is "
                "'program pwn' (\"program pwn\")" +
                kSkipped,
            "program"},
        // The reviewer's other placeholder cases.
        RenderedCase{
            "LuaThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  http-request {healthCheckPath}\n"}},
            "lua.x",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 1 as rendered uses lua.x, which calls Lua code: "
                "{healthCheckPath} is 'lua.x' (\"http-request lua.x\")" +
                kSkipped,
            "lua.x"},
        RenderedCase{
            "ConditionalBlockThroughHealthCheckPath",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "{healthCheckPath}\n"}},
            ".if defined(NOPE)",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 1 as rendered uses .if, which acts on the rest of the "
                "config file: {healthCheckPath} is '.if defined(NOPE)' "
                "(\".if defined(NOPE)\")" +
                kSkipped,
            ".if"},
        // Any field of the Marathon health check can fill an override.
        RenderedCase{
            "EnvironmentThroughAHealthCheckField",
            {{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
              "  option  httpchk GET /\n  http-response set-header X "
              "\"{healthCheck[protocol]}{healthCheckPath}\"\n"}},
            "$",
            std::string(kEvil) + "BACKEND_HTTP_HEALTHCHECK_OPTIONS" +
                kRestricted +
                "line 2 as rendered reads an environment variable of the LB "
                "host: {healthCheckPath} is '$' (\"http-response set-header "
                "X \"HTTP$\"\")" +
                kSkipped,
            "HTTP$"}));

// Overrides that pass as written still pass as rendered, with realistic
// values in every placeholder: the section head of a head template is the
// override's own.
class RenderedDocumentedOverrideTest : public RestrictedTemplateTest {};

// An http app and a tcp app (each template renders for one of them) with
// the label `label` = `value` on their port 0.
std::string HttpAndTcpApp(const std::string& label, const std::string& value) {
  return
      R"({"apps": [{"id": "/web", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_VHOST": "www.example.com", "HAPROXY_0_STICKY": "true",
         "HAPROXY_0_REDIRECT_TO_HTTPS": "true", )" +
      JsonString(label) + ": " + JsonString(value) + R"(},
       "ports": [10001], "tasks": [{"host": "1.1.1.1", "ports": [31000]}],
       "healthChecks": [{"protocol": "HTTP", "portIndex": 0,
                         "path": "/health?full=1"}]},
      {"id": "/db", "labels": {"HAPROXY_GROUP": "external",
         "HAPROXY_0_MODE": "tcp", )" +
      JsonString(label) + ": " + JsonString(value) + R"(},
       "ports": [10002], "tasks": [{"host": "1.1.1.2", "ports": [32000]}],
       "healthChecks": [{"protocol": "TCP", "portIndex": 0}]}]})";
}

TEST_P(RenderedDocumentedOverrideTest, AlsoPassesAsRendered) {
  const Case& c = GetParam();
  testing::RenderResult r =
      testing::Render(*registry_, HttpAndTcpApp(c.label, c.value));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, std::vector<std::string>{}) << QuoteValue(c.value);
  EXPECT_NE(r.text.find("\nbackend web_10001\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nbackend db_10002\n"), std::string::npos) << r.text;
}

INSTANTIATE_TEST_SUITE_P(DocumentedOverrides, RenderedDocumentedOverrideTest,
                         ::testing::ValuesIn(kDocumentedOverrides));

TEST_F(LabelPolicyTest, EveryDefaultTemplateAsALabelAlsoPassesAsRendered) {
  int checked = 0;
  for (const auto& [name, entry] : registry_->catalog().entries()) {
    if (!entry.overridable) {
      continue;
    }
    ++checked;
    testing::RenderResult r = testing::Render(
        *registry_, HttpAndTcpApp("HAPROXY_0_" + name,
                                  entry.pack_default->source()));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.errors, std::vector<std::string>{}) << name;
    EXPECT_NE(r.text.find("\nbackend web_10001\n"), std::string::npos)
        << name;
  }
  EXPECT_EQ(checked, 33);
}

// Under `allow` the rendered text is the operator's risk, as the label is.
TEST_F(LabelPolicyTest, AllowDoesNotReadTheRenderedOverride) {
  testing::RenderOptions options;
  options.label_policy = LabelPolicy::kAllow;
  testing::RenderResult r = testing::Render(
      *registry_,
      EvilAndGood({{"HAPROXY_0_BACKEND_HTTP_HEALTHCHECK_OPTIONS",
                    "  http-request return status 200 content-type "
                    "text/plain {healthCheckPath} /etc/shadow\n"}},
                  "file"),
      options);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, std::vector<std::string>{});
  EXPECT_NE(r.text.find("text/plain file /etc/shadow\n"), std::string::npos)
      << r.text;
}

struct PathCase {
  std::string path;
  std::string problem;  // "" = accepted
};

void PrintTo(const PathCase& c, std::ostream* os) {
  *os << QuoteValue(c.path);
}

class HealthCheckPathTest : public LabelPolicyTest,
                            public ::testing::WithParamInterface<PathCase> {};

// The default template puts the path on `option httpchk` as one word: at
// every level, a path that is not one word drops its service port.
TEST_P(HealthCheckPathTest, SameAtEveryLevel) {
  const PathCase& c = GetParam();
  for (LabelPolicy policy :
       {LabelPolicy::kAllow, LabelPolicy::kRestricted, LabelPolicy::kDeny}) {
    testing::RenderOptions options;
    options.label_policy = policy;
    testing::RenderResult r =
        testing::Render(*registry_, EvilAndGood({}, c.path), options);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NE(r.text.find("\nbackend good_10002\n"), std::string::npos);
    if (c.problem.empty()) {
      EXPECT_EQ(r.errors, std::vector<std::string>{});
      EXPECT_NE(r.text.find("  option  httpchk GET " + c.path + "\n"),
                std::string::npos)
          << r.text;
      continue;
    }
    EXPECT_EQ(r.errors,
              std::vector<std::string>{
                  "app /evil, service port index 0: default template "
                  "BACKEND_HTTP_HEALTHCHECK_OPTIONS of pack io.mlb.builtin: "
                  "placeholder {healthCheckPath} (the health check path) " +
                  c.problem + kSkipped})
        << LabelPolicyName(policy);
    EXPECT_EQ(r.text.find("evil_10001"), std::string::npos) << r.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    ReviewH2, HealthCheckPathTest,
    ::testing::Values(
        // The review's leak: HAProxy expands ${...} inside double quotes.
        PathCase{"\"/leak?${MARATHON_PASSWORD}\"",
                 "'\"/leak?${MARATHON_PASSWORD}\"' has '\"' at character 1: "
                 "HAProxy reads quotes and backslashes as quoting"},
        PathCase{"/leak?${MARATHON_PASSWORD}",
                 "'/leak?${MARATHON_PASSWORD}' has '$' at character 7: "
                 "HAProxy expands environment variables after '$'"},
        PathCase{"'/x'",
                 "''/x'' has ''' at character 1: HAProxy reads quotes and "
                 "backslashes as quoting"},
        PathCase{"/a\\x20b",
                 "'/a\\\\x20b' has '\\' at character 3: HAProxy reads quotes "
                 "and backslashes as quoting"},
        PathCase{"/ HTTP/1.1",
                 "'/ HTTP/1.1' has a space at character 2: a space would add "
                 "words to the HAProxy line"},
        PathCase{"/#x",
                 "'/#x' has '#' at character 2: '#' starts an HAProxy "
                 "comment"},
        PathCase{"/\tx", "'/\\tx' has a tab (U+0009) at character 2"},
        PathCase{"/\x01",
                 "'/\\x01' has a control character (U+0001) at character 2"},
        PathCase{"/a\xc2\xa0",
                 "'/a\\u00a0' has U+00A0 (no-break space) at character 3"}));

INSTANTIATE_TEST_SUITE_P(
    RealisticPaths, HealthCheckPathTest,
    ::testing::Values(PathCase{"/", ""}, PathCase{"/health", ""},
                      PathCase{"/api/v1/status?full=true&x=%20", ""},
                      PathCase{"/_status/ping;jsessionid=1", ""},
                      PathCase{"/b\xc3\xbc" "cher", ""}));

// The app id is a word too (backend names, {appId}).
TEST_F(LabelPolicyTest, AppIdThatIsNotOneWordDropsItsPorts) {
  testing::RenderResult r = testing::Render(*registry_, R"({"apps": [
      {"id": "/a b", "labels": {"HAPROXY_GROUP": "external"},
       "ports": [10001], "tasks": [{"host": "1.1.1.1", "ports": [31000]}]},
      {"id": "/z", "labels": {"HAPROXY_GROUP": "external"},
       "ports": [10004], "tasks": [{"host": "1.1.1.3", "ports": [31004]}]}]})");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors, std::vector<std::string>{
                          "app /a b, service port index 0: app id '/a b' has a "
                          "space at character 3: a space would add words to "
                          "the HAProxy line; service port skipped"});
  EXPECT_NE(r.text.find("\nbackend z_10004\n"), std::string::npos) << r.text;
}

// ---------------------------------------------------------------------------
// Ports (review H6): a service may not bind a port of the LB's own
// frontends, nor one an earlier service binds.

std::string TcpApp(const std::string& id, int port, const Labels& labels) {
  std::string json = "{\"id\": " + JsonString(id) +
                     ", \"labels\": {\"HAPROXY_GROUP\": \"external\"";
  for (const auto& [key, value] : labels) {
    json += ", " + JsonString(key) + ": " + JsonString(value);
  }
  return json + "}, \"ports\": [" + std::to_string(port) +
         "], \"tasks\": [{\"host\": \"1.1.1.1\", \"ports\": [31000]}]}";
}

std::string State(const std::vector<std::string>& apps) {
  std::string json = "{\"apps\": [";
  for (size_t i = 0; i < apps.size(); ++i) {
    json += (i ? ", " : "") + apps[i];
  }
  return json + "]}";
}

TEST_F(LabelPolicyTest, ServicePortOfTheLbsOwnFrontendsIsDropped) {
  testing::RenderResult r = testing::Render(
      *registry_,
      State({TcpApp("/p443", 10001, {{"HAPROXY_0_PORT", "443"}}),
             TcpApp("/p80", 10002,
                    {{"HAPROXY_0_PORT", "80"},
                     {"HAPROXY_0_BIND_ADDR", "127.0.0.1"}}),
             TcpApp("/p9090", 9090, {}),
             TcpApp("/p9091", 10003, {{"HAPROXY_0_PORT", "9091"}}),
             TcpApp("/good", 10004, {})}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /p443, service port index 0: bind *:443 in frontend "
                "p443_443 would share port 443 with frontend "
                "marathon_https_in (bind *:443); service port skipped",
                "app /p80, service port index 0: bind 127.0.0.1:80 in "
                "frontend p80_80 would share port 80 with frontend "
                "marathon_http_in (bind *:80); service port skipped",
                "app /p9090, service port index 0: bind *:9090 in frontend "
                "p9090_9090 would share port 9090 with listen stats (bind "
                "0.0.0.0:9090); service port skipped",
                "app /p9091, service port index 0: bind *:9091 in frontend "
                "p9091_9091 would share port 9091 with frontend "
                "marathon_http_appid_in (bind *:9091); service port "
                "skipped"}));
  for (const char* gone : {"p443", "p80", "p9090", "p9091"}) {
    EXPECT_EQ(r.text.find(gone), std::string::npos) << gone << "\n" << r.text;
  }
  EXPECT_NE(r.text.find("\nfrontend good_10004\n  bind *:10004\n"),
            std::string::npos)
      << r.text;
}

// Without the :80/:443 frontends (--dont-bind-http-https) those ports are
// free for a service; the others are still the LB's.
TEST_F(LabelPolicyTest, PortsOfFrontendsThatAreNotBoundAreFree) {
  testing::RenderOptions options;
  options.bind_http_https = false;
  testing::RenderResult r = testing::Render(
      *registry_,
      State({TcpApp("/p443", 10001, {{"HAPROXY_0_PORT", "443"}}),
             TcpApp("/p9091", 10003, {{"HAPROXY_0_PORT", "9091"}})}),
      options);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                "app /p9091, service port index 0: bind *:9091 in frontend "
                "p9091_9091 would share port 9091 with frontend "
                "marathon_http_appid_in (bind *:9091); service port skipped"});
  EXPECT_NE(r.text.find("\nfrontend p443_443\n  bind *:443\n"),
            std::string::npos)
      << r.text;
}

// Two apps on one port: the first in (appId, servicePort) order keeps it.
// Other addresses of one port do not collide.
TEST_F(LabelPolicyTest, SecondAppOnAPortIsDropped) {
  testing::RenderResult r = testing::Render(
      *registry_,
      State({TcpApp("/b", 10001, {}), TcpApp("/a", 10001, {}),
             TcpApp("/c", 10005, {{"HAPROXY_0_BIND_ADDR", "10.0.0.1"}}),
             TcpApp("/d", 10005, {{"HAPROXY_0_BIND_ADDR", "10.0.0.2"}}),
             TcpApp("/e", 10005, {{"HAPROXY_0_BIND_ADDR", "10.0.0.1"}}),
             TcpApp("/f", 10001, {{"HAPROXY_0_BIND_ADDR", "10.0.0.1"}})}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /b, service port index 0: bind *:10001 in frontend "
                "b_10001 would share port 10001 with app /a, service port "
                "index 0 (bind *:10001 in frontend a_10001); service port "
                "skipped",
                "app /e, service port index 0: bind 10.0.0.1:10005 in "
                "frontend e_10005 would share port 10005 with app /c, "
                "service port index 0 (bind 10.0.0.1:10005 in frontend "
                "c_10005); service port skipped",
                "app /f, service port index 0: bind 10.0.0.1:10001 in "
                "frontend f_10001 would share port 10001 with app /a, "
                "service port index 0 (bind *:10001 in frontend a_10001); "
                "service port skipped"}));
  EXPECT_NE(r.text.find("\nfrontend a_10001\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nfrontend c_10005\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("\nfrontend d_10005\n"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("b_10001"), std::string::npos) << r.text;
}

// A port Marathon assigned to one app stays that app's: another app whose id
// sorts first cannot take it with HAPROXY_{n}_PORT or an extra `bind` and so
// evict the owner (the claimer is dropped, not the owner).
TEST_F(LabelPolicyTest, PortMarathonAssignedToAnotherAppCannotBeTaken) {
  testing::RenderResult r = testing::Render(
      *registry_,
      State({TcpApp("/evil-bind", 10001,
                    {{"HAPROXY_0_FRONTEND_HEAD",
                      "\nfrontend {backend}\n  bind "
                      "{bindAddr}:{servicePort},*:10002\n  mode {mode}\n"}}),
             TcpApp("/evil-label", 10003, {{"HAPROXY_0_PORT", "10002"}}),
             TcpApp("/evil-v6", 10004,
                    {{"HAPROXY_0_PORT", "10002"},
                     {"HAPROXY_0_BIND_ADDR", "::ffff:127.0.0.1"}}),
             TcpApp("/good", 10002, {})}));
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /evil-bind, service port index 0: bind *:10002 in "
                "frontend evil-bind_10001 would take port 10002, which "
                "Marathon assigned to app /good, service port index 0; "
                "service port skipped",
                "app /evil-label, service port index 0: bind *:10002 in "
                "frontend evil-label_10002 would take port 10002, which "
                "Marathon assigned to app /good, service port index 0; "
                "service port skipped",
                "app /evil-v6, service port index 0: bind "
                "::ffff:127.0.0.1:10002 in frontend evil-v6_10002 would take "
                "port 10002, which Marathon assigned to app /good, service "
                "port index 0; service port skipped"}));
  EXPECT_NE(r.text.find("\nfrontend good_10002\n  bind *:10002\n"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(r.text.find("evil"), std::string::npos) << r.text;
}

// A template override that binds a port is held to the same rule, wherever
// it writes its `bind` (under allow too). Under restricted, a `bind` in a
// frontend the apps share is refused before: it is not a line a label may
// put there.
TEST_F(LabelPolicyTest, OverrideThatBindsASharedPortIsDropped) {
  const std::string acl_error_restricted =
      "app /acl, service port index 0: label HAPROXY_0_HTTP_FRONTEND_ACL "
      "refused by --label-policy restricted: line 1 in frontend "
      "marathon_http_in is not limited to the app's own vhosts or app id: a "
      "label's line in a frontend the apps share is `acl`, or use_backend, "
      "redirect or http-request auth, redirect, set-header, add-header, "
      "del-header, deny, allow or tarpit, with `if` and a condition on them "
      "(HAProxy runs it for every request of the frontend) "
      "(\"bind 127.0.0.1:9089-9091\"); service port skipped";
  const std::string acl_error_allow =
      "app /acl, service port index 0: bind 127.0.0.1:9089-9091 in "
      "frontend marathon_http_in would share port 9090 with listen "
      "stats (bind 0.0.0.0:9090); service port skipped";
  for (const LabelPolicy policy :
       {LabelPolicy::kRestricted, LabelPolicy::kAllow}) {
    SCOPED_TRACE(std::string(LabelPolicyName(policy)));
    testing::RenderOptions options;
    options.label_policy = policy;
    testing::RenderResult r = testing::Render(
        *registry_,
        State({TcpApp("/head", 10001,
                      {{"HAPROXY_0_FRONTEND_HEAD",
                        "\nfrontend {backend}\n  bind "
                        "{bindAddr}:{servicePort}\n  bind 0.0.0.0:443\n  mode "
                        "{mode}\n"}}),
               TcpApp("/acl", 10002,
                      {{"HAPROXY_0_VHOST", "acl.example.com"},
                       {"HAPROXY_0_MODE", "http"},
                       {"HAPROXY_0_HTTP_FRONTEND_ACL",
                        "  bind 127.0.0.1:9089-9091\n  use_backend "
                        "{backend}\n"}})}),
        options);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.errors,
              (std::vector<std::string>{
                  policy == LabelPolicy::kAllow ? acl_error_allow
                                                : acl_error_restricted,
                  "app /head, service port index 0: bind 0.0.0.0:443 in "
                  "frontend head_10001 would share port 443 with frontend "
                  "marathon_https_in (bind *:443); service port skipped"}));
    EXPECT_EQ(r.text.find("9089"), std::string::npos) << r.text;
    EXPECT_EQ(r.text.find("0.0.0.0:443"), std::string::npos) << r.text;
  }
}

}  // namespace
}  // namespace mlb
