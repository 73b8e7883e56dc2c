// Hostile review 12c of ebacb16 (issue 12): a tenant who controls one
// Marathon app's id and labels, on a load balancer shared with other teams,
// under the default --label-policy restricted, tries to take, redirect,
// deny or knock out another app's traffic or service port.
//
// FINDING tests fail on ebacb16 (each says attack, impact, expected
// behaviour); GUARD tests are attacks that the rule already stops (they
// pass). Helpers are copied from generated_names_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/hostile_render.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

using ::testing::HasSubstr;
using testing::RenderOptions;
using testing::RenderResult;

class GeneratedNamesReviewCTest : public testing::HostileRenderTest {};

struct TestApp {
  std::string id;
  std::string vhost;  // "" for none
  int port = 0;
};

// Apps with default templates, one task each.
std::string AppsJson(const std::vector<TestApp>& apps) {
  std::ostringstream out;
  out << R"({"apps": [)";
  for (size_t i = 0; i < apps.size(); ++i) {
    const TestApp& a = apps[i];
    out << (i ? "," : "") << R"({"id": ")" << a.id
        << R"(", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
        << R"( "HAPROXY_0_MODE": "http")";
    if (!a.vhost.empty()) {
      out << R"(, "HAPROXY_0_VHOST": ")" << a.vhost << '"';
    }
    out << R"(}, "ports": [)" << a.port << R"(], "tasks": [{"id": "t)" << i
        << R"(", "host": "agent1", "ports": [)" << 20000 + i
        << R"(], "state": "TASK_RUNNING"}]})";
  }
  out << "]}";
  return out.str();
}

// The apps of `apps` (an AppsJson document) followed by `more` (app
// objects, comma-separated).
std::string WithApps(const std::string& apps, const std::string& more) {
  return apps.substr(0, apps.size() - 2) + "," + more + "]}";
}

// The lines of the section that starts with `head`.
std::vector<std::string> SectionLines(const std::string& config,
                                      const std::string& head) {
  std::vector<std::string> lines;
  const size_t at = config.find("\n" + head + "\n");
  if (at == std::string::npos) {
    return lines;
  }
  std::istringstream in(config.substr(at + head.size() + 2));
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    lines.push_back(line);
  }
  return lines;
}

// Which backend HAProxy picks in `frontend` for a request whose `header`
// is `value`: the first "use_backend B if ACL" whose ACL has an
// "acl ACL hdr(<header>) -i ..." matching it; "" for none.
std::string Route(const std::vector<std::string>& frontend,
                  const std::string& header, const std::string& value) {
  std::map<std::string, std::set<std::string>> acls;
  const std::string match = " hdr(" + header + ") -i ";
  for (const std::string& line : frontend) {
    std::istringstream words(line);
    std::string kind, name;
    words >> kind >> name;
    const size_t at = line.find(match);
    if (kind == "acl" && at != std::string::npos) {
      std::istringstream values(line.substr(at + match.size()));
      for (std::string v; values >> v;) {
        acls[name].insert(v);
      }
    }
  }
  for (const std::string& line : frontend) {
    std::istringstream words(line);
    std::string kind, backend, if_word, acl;
    words >> kind >> backend >> if_word >> acl;
    if (kind == "use_backend" && if_word == "if" &&
        acls[acl].count(value) != 0) {
      return backend;
    }
  }
  return "";
}

std::vector<std::string> ErrorsOf(const RenderResult& r, const std::string& id) {
  std::vector<std::string> out;
  const std::string who = "app " + id + ", service port index ";
  for (const std::string& e : r.errors) {
    if (e.compare(0, who.size(), who) == 0) {
      out.push_back(e);
    }
  }
  return out;
}

// An app whose HAPROXY_0_HTTP_FRONTEND_ACL is the default text with
// `extra_acl_line` (JSON-escaped) between the acl and the use_backend.
std::string OverrideAppJson(const std::string& id, const std::string& vhost,
                            int port, const std::string& extra_acl_line) {
  return R"({"id": ")" + id +
         R"(", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
         R"( "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": ")" + vhost +
         R"(", "HAPROXY_0_HTTP_FRONTEND_ACL": "  acl host_{cleanedUpHostname})"
         R"( hdr(host) -i {hostname}\n)" + extra_acl_line +
         R"(\n  use_backend {backend} if host_{cleanedUpHostname}\n"},)"
         R"( "ports": [)" + std::to_string(port) +
         R"(], "tasks": [{"id": "t)" + std::to_string(port) +
         R"(", "host": "agent1", "ports": [)" + std::to_string(port + 10000) +
         R"(], "state": "TASK_RUNNING"}]})";
}

// GUARD (passes): a carriage return ends an HAProxy 2.6 line (checked
// with haproxy 2.6.12: `http-request deny<CR> if mine` denies every
// request, haproxy -c only warns), the rule's reader takes it as a
// character of a word. Attack: /zzz adds (JSON "\r", a raw CR in the
// label) `http-request redirect location http://evil.example/<CR> if
// host_{cleanedUpHostname}`: the rule would read an own condition, HAProxy
// an unconditioned redirect of every request on :80. Refused today before
// the shared-frontend rule (the label checks): /zzz's port is dropped
// naming the label and no CR reaches the config. Keep it so.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardACarriageReturnCannotCutTheConditionOff) {
  for (const std::string& line : {
           std::string("  http-request redirect location http://evil.example/"
                       "\\r if host_{cleanedUpHostname}"),
           std::string("  http-request deny\\r if host_{cleanedUpHostname}"),
       }) {
    SCOPED_TRACE(line);
    const std::string json =
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003, line));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(HaproxyRefusal(r.text), "");
    EXPECT_EQ(r.text.find('\r'), std::string::npos) << r.text;
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0], HasSubstr("HAPROXY_0_HTTP_FRONTEND_ACL"));
  }
}

// GUARD (passes): HAProxy 2.6 splits words on every isspace() character
// (checked: `http-request deny<VT>if mine` is valid), the rule's reader
// (SplitWords) and the assembler's ACL names only on space and tab.
// Attack: /zzz declares `acl host_shop_example_com_10001<VT> hdr(host) -i
// zzz.example.com` and `http-request redirect location
// http://evil.example/ if host_shop_example_com_10001<VT>` (JSON "\u000b";
// form feed the same). The rule would see an own ACL whose name ends with
// no port; HAProxy reads /shop's ACL, merged with /zzz's pattern (checked
// live on haproxy 2.6.12: a request for shop's host gets the 302 to
// evil.example). Refused today by the label checks: /zzz's port is dropped.
// Keep it so: any change that lets a VT or FF into a label's line reopens
// it.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardAVerticalTabCannotMakeAnotherAppsAclLookOwn) {
  for (const std::string space : {"\\u000b", "\\u000c"}) {
    SCOPED_TRACE(space);
    const std::string name = "host_shop_example_com_10001" + space;
    const std::string json = WithApps(
        AppsJson({{"/shop", "shop.example.com", 10001}}),
        OverrideAppJson("/zzz", "zzz.example.com", 10003,
                        "  acl " + name + " hdr(host) -i zzz.example.com\\n"
                        "  http-request redirect location http://evil.example/"
                        " if " + name));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(HaproxyRefusal(r.text), "");
    EXPECT_EQ(r.text.find("evil.example"), std::string::npos) << r.text;
    EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u) << r.text;
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
  }
}

// Review 12c (FINDING, high): the suffix form of the "own vhost" criterion
// has no label boundary. Attack: the tenant of /zzz sets HAPROXY_0_VHOST
// "xample.com" (a vhost nobody else holds, so nobody contests it) and adds
// to HAPROXY_0_HTTP_FRONTEND_ACL
//   http-request redirect location http://evil.example/ if
//     { hdr_end(host) -i xample.com }
// (also `hdr(host) -m end xample.com`, and `ssl_fc_sni -m end` on :443).
// OwnCriterion takes a suffix match whose value is an own vhost, so the
// rule accepts it; HAProxy runs every http-request rule of :80 before any
// use_backend, and "shop.example.com" ends with "xample.com". haproxy -c
// accepts the config.
// Impact: every request for /shop's vhost (and for any host ending in the
// chosen letters: a one-letter vhost "m" takes every .com) is redirected to
// the attacker: phishing, credential capture, outage.
// Expected: a suffix match counts as own only at a label boundary (a value
// starting with "." followed by an own vhost, the documented wildcard
// "*.{hostname}" shape); /zzz's port is dropped with the label named and
// evil.example is not in the config.
TEST_F(GeneratedNamesReviewCTest, ReviewCASuffixWithoutADotTakesHostsThatAreNotItsSubdomains) {
  for (const std::string& line : {
           std::string("  http-request redirect location http://evil.example/ "
                       "if {{ hdr_end(host) -i xample.com }}"),
           std::string("  http-request redirect location http://evil.example/ "
                       "if {{ hdr(host) -m end xample.com }}"),
           // The documented wildcard ACL, on a vhost that is not a parent
           // domain of the victim's.
           std::string("  acl zzz_wild hdr_end(host) -i {hostname}\\n"
                       "  http-request redirect location http://evil.example/ "
                       "if zzz_wild"),
       }) {
    SCOPED_TRACE(line);
    const std::string json =
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "xample.com", 10003, line));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(HaproxyRefusal(r.text), "");  // HAProxy takes it as written
    EXPECT_EQ(r.text.find("evil.example"), std::string::npos) << r.text;
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0],
                HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                          "--label-policy restricted: line "));
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
  }
}

// Review 12c (FINDING, freeze class, low): an empty vhost is an own
// vhost. Attack: /zzz sets HAPROXY_0_VHOST "zzz.example.com," (the label
// check refuses only hosts starting with '-'; Split keeps the empty host),
// so its own vhosts are {"zzz.example.com", ""}; its
// HAPROXY_0_HTTP_FRONTEND_ACL_ONLY (the template of a port with several
// vhosts) adds `http-request redirect location http://evil.example/ if
// { hdr_end(host) -i "" }`. OwnCriterion finds the value "" among the own
// vhosts and accepts the line (an empty suffix would match every Host).
// HAProxy 2.6 ends a line's words at an empty word, so it reads `{
// hdr_end(host) -i` and refuses the config ("missing closing '}' in
// condition"): not a capture, but every app's config is refused.
// Impact: haproxy -c fails; the last good config stays for every app.
// Expected: an empty host in HAPROXY_{n}_VHOST is refused (and "" is never
// an own value); /zzz's port is dropped, HAProxy accepts the rest.
TEST_F(GeneratedNamesReviewCTest, ReviewCAnEmptyVhostIsOwnAndFreezesEveryApp) {
  const std::string zzz =
      R"({"id": "/zzz", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
      R"( "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": "zzz.example.com,",)"
      R"( "HAPROXY_0_HTTP_FRONTEND_ACL_ONLY": "  acl host_{cleanedUpHostname})"
      R"( hdr(host) -i zzz.example.com\n  http-request redirect location)"
      R"( http://evil.example/ if {{ hdr_end(host) -i \"\" }}\n"},)"
      R"( "ports": [10003], "tasks": [{"id": "t3", "host": "agent1",)"
      R"( "ports": [20003], "state": "TASK_RUNNING"}]})";
  const RenderResult r =
      RenderApps(WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}), zzz));
  EXPECT_EQ(HaproxyRefusal(r.text), "");
  EXPECT_EQ(r.text.find("evil.example"), std::string::npos) << r.text;
  EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u) << r.text;
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});

  // Typed labels only (--label-policy deny): the empty vhost alone.
  RenderOptions deny;
  deny.label_policy = LabelPolicy::kDeny;
  const RenderResult typed = RenderApps(
      AppsJson({{"/shop", "shop.example.com", 10001},
                {"/zzz", "zzz.example.com,", 10003}}),
      deny);
  EXPECT_EQ(HaproxyRefusal(typed.text), "");
}

// Review 12c (FINDING, medium): the documented wildcard takes another
// team's subdomain, and a one-label vhost takes a whole TLD. Attack: /zzz
// holds zzz.example.com; another team's /api holds api.zzz.example.com.
// /zzz adds `http-request redirect location http://evil.example/ if
// { hdr_end(host) -i .zzz.example.com }` (marathon-lb's "every subdomain"
// override, accepted on purpose by ebacb16). Same with HAPROXY_0_VHOST
// "com" and `{ hdr_end(host) -i .com }`, `{ ssl_fc_sni -m end .com }`.
// haproxy -c accepts the config.
// Impact: /api's requests (or every .com vhost on the LB) are redirected
// to the attacker; a "redirect" needs no backend weight or id order, it runs
// before every use_backend.
// Expected: under restricted a suffix criterion is own only if no other
// service on the LB holds a vhost it matches (or wildcards are left to
// `allow`/an operator list); here /zzz is dropped with the label named and
// /api keeps its traffic.
TEST_F(GeneratedNamesReviewCTest, ReviewCTheDocumentedWildcardTakesAnotherTeamsSubdomain) {
  struct Case {
    std::string attacker_vhost;
    std::string line;
  };
  for (const Case& c : {
           Case{"zzz.example.com",
                "  http-request redirect location http://evil.example/ if "
                "{{ hdr_end(host) -i .zzz.example.com }}"},
           Case{"com",
                "  http-request redirect location http://evil.example/ if "
                "{{ hdr_end(host) -i .com }}"},
       }) {
    SCOPED_TRACE(c.line);
    const std::string json = WithApps(
        AppsJson({{"/api", "api.zzz.example.com", 10001}}),
        OverrideAppJson("/zzz", c.attacker_vhost, 10003, c.line));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(HaproxyRefusal(r.text), "");
    EXPECT_EQ(r.text.find("evil.example"), std::string::npos) << r.text;
    EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u) << r.text;
    EXPECT_EQ(ErrorsOf(r, "/api"), std::vector<std::string>{});
  }
}

// Review 12c (FINDING, medium): a custom ACL name is still first-come, so
// an app whose id sorts first knocks out an app that uses one. Attack: the
// shop team's /shop routes its API with its own ACL (`acl shop_api
// path_beg /api`, `use_backend {backend} if host_{cleanedUpHostname}
// shop_api`, a name readable by every tenant in Marathon). /aaa, sorting
// first, declares `acl shop_api hdr(host) -i aaa.example.com` in its
// HAPROXY_0_HTTP_FRONTEND_ACL: an acl line on its own vhost, accepted.
// Impact: /shop's service port is dropped ("already declared by app
// /aaa"); /aaa loses nothing. The reserved _<port> suffix of ebacb16 only
// protects generated names.
// Expected: the app that declared a name first does not win it from
// another app (e.g. a label's own ACL names must end with the service's
// own _<port>, or a clash drops both / the later-sorting one only when it
// is not the app whose other labels reference it); /shop keeps routing.
TEST_F(GeneratedNamesReviewCTest, ReviewCAFirstComeCustomAclNameKnocksOutTheAppThatUsesIt) {
  const std::string json =
      R"({"apps": [)" +
      OverrideAppJson("/aaa", "aaa.example.com", 10001,
                      "  acl shop_api hdr(host) -i aaa.example.com") +
      "," +
      OverrideAppJson("/shop", "shop.example.com", 10002,
                      "  acl shop_api path_beg /api\\n"
                      "  use_backend {backend} if host_{cleanedUpHostname} "
                      "shop_api") +
      "]}";
  const RenderResult r = RenderApps(json);
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{}) << r.text;
  EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                  "shop.example.com"),
            "shop_10002")
      << r.text;
}

// Review 12c (FINDING, freeze class; low: docs/security.md lists "a config
// HAProxy refuses for one app's sake" as not yet guaranteed). Attack: /zzz
// adds `acl or hdr(host) -i zzz.example.com` (or `OR`) to its
// HAPROXY_0_HTTP_FRONTEND_ACL. The shared-frontend rule skips acl lines,
// and an ACL named like the condition operator is an acl line on its own
// vhost. HAProxy 2.6 refuses the whole config ("acl name 'or' will never
// match"). Likewise `http-request deny \i\f host_{cleanedUpHostname}`:
// the rule's reader unescapes `\i\f` to "if" (a condition on the own
// ACL), HAProxy keeps the backslashes ("expects either 'if' or 'unless'
// ... but found '\i'").
// Impact: haproxy -c fails, the last good config stays for every app:
// no deploy, scale or task move of any team reaches HAProxy until /zzz is
// fixed.
// Expected: /zzz's port is dropped naming the label; HAProxy accepts the
// rest.
TEST_F(GeneratedNamesReviewCTest, ReviewCALineTheRuleReadsAsOwnButHaproxyRefusesFreezesEveryApp) {
  for (const std::string& line : {
           std::string("  acl or hdr(host) -i zzz.example.com"),
           std::string("  acl OR hdr(host) -i zzz.example.com"),
           std::string("  http-request deny \\\\i\\\\f host_{cleanedUpHostname}"),
       }) {
    SCOPED_TRACE(line);
    const std::string json =
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003, line));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(HaproxyRefusal(r.text), "");
    EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u) << r.text;
  }
}

// Review 12c (FINDING, freeze class, typed labels only: works under
// --label-policy deny). Attack: with --group-https-by-vhost, /zzz sets
// HAPROXY_0_VHOST to a valid host name longer than 107 bytes (two 60-letter
// labels + ".example.com"). VhostSectionName keeps a host name as is (the
// 255-character limit passes), and HTTPS_GROUPED_VHOST_FRONTEND_HEAD /
// _BACKEND_HEAD write `bind abns@<vhost>` and `server ... abns@<vhost>`;
// HAProxy 2.6 refuses an abstract socket name longer than 107 bytes
// ("socket path 'abns@...' too long (max 107)").
// Impact: haproxy -c fails, the last good config stays for every app until
// /zzz changes its vhost.
// Expected: the section (and socket) name fits 107 bytes (e.g. a hash
// beyond it) or /zzz's port is dropped naming HAPROXY_0_VHOST; HAProxy
// accepts the config.
TEST_F(GeneratedNamesReviewCTest, ReviewCALongVhostFreezesEveryAppUnderGroupHttpsByVhost) {
  const std::string vhost =
      std::string(60, 'a') + "." + std::string(60, 'b') + ".example.com";
  RenderOptions grouped;
  grouped.group_https_by_vhost = true;
  grouped.label_policy = LabelPolicy::kDeny;
  const RenderResult r = RenderApps(
      AppsJson({{"/shop", "shop.example.com", 10001},
                {"/zzz", vhost, 10003}}),
      grouped);
  EXPECT_EQ(HaproxyRefusal(r.text), "");
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
}

// GUARD (passes), typed labels only: with --group-https-by-vhost a vhost
// that is a host name names its TLS frontend and backend itself, so the
// vhost "stats" would open `frontend stats` / `backend stats` next to the
// LB's `listen stats` (:9090), and "marathon-http-in"-like names next to
// the shared frontends. The LB's names are taken first: only /zzz is
// dropped, and HAProxy accepts the config.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardAVhostCannotTakeTheLbsProxyNames) {
  RenderOptions grouped;
  grouped.group_https_by_vhost = true;
  grouped.label_policy = LabelPolicy::kDeny;
  const RenderResult r = RenderApps(
      AppsJson({{"/shop", "shop.example.com", 10001},
                {"/zzz", "stats", 10003}}),
      grouped);
  EXPECT_EQ(HaproxyRefusal(r.text), "");
  EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u) << r.text;
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
}

// Review 12c (FINDING, high: typed labels only, works under deny):
// generated names are injective only if service port numbers are unique,
// but a port is owned per listener (address:port). Attack
// (typed labels only, --label-policy deny): /com/shop (sorts before /shop)
// is given service port 10001 by Marathon too (an app may ask for a
// servicePort), binds it on HAPROXY_0_BIND_ADDR 127.0.0.2 (a listener
// /shop does not use) and sets HAPROXY_0_VHOST "shop.example": its vhost
// ACL is host_shop_example_com_shop_10001, /shop's name (vhost
// shop.example.com, id /shop, port 10001). /com/shop is the first holder
// of port 10001, so the name is its; /shop declares it second.
// Impact: /shop's service port is dropped ("acl
// host_shop_example_com_shop_10001 in frontend marathon_http_in is already
// declared by app /com/shop"); its vhost has no route. Needs Marathon to
// accept the attacker's servicePort 10001 (a servicePort an app asks for)
// and an id that sorts first; haproxy -c accepts the config.
// Expected: /shop keeps its vhost, /com/shop is the one dropped (two
// services on one port number are told apart in the names, or the later
// one on a port number Marathon gave the other is dropped).
TEST_F(GeneratedNamesReviewCTest, ReviewCASecondAppOnTheSamePortNumberTakesTheVhostAclName) {
  const std::string attacker =
      R"({"id": "/com/shop", "instances": 1, "labels": {"HAPROXY_GROUP":)"
      R"( "external", "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST":)"
      R"( "shop.example", "HAPROXY_0_BIND_ADDR": "127.0.0.2"}, "ports":)"
      R"( [10001], "tasks": [{"id": "t9", "host": "agent1", "ports": [20009],)"
      R"( "state": "TASK_RUNNING"}]})";
  RenderOptions deny;
  deny.label_policy = LabelPolicy::kDeny;
  const RenderResult r = RenderApps(
      WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}), attacker),
      deny);
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{}) << r.text;
  EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                  "shop.example.com"),
            "shop_10001")
      << r.text;
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

// GUARD (passes): shapes HAProxy would read as acting on other requests
// that the restricted rule refuses, each dropping /zzz with the label and
// the line named: directives that are not among the allowed actions but
// change every request of :80 (tcp-request, option, timeout, capture,
// http-after-response, http-response, stick, filter), a trailing `or` (an
// empty alternative HAProxy 2.6 evaluates as true: haproxy -c accepts
// `if own or`), `||` before the condition, a header occurrence fetch, a
// value after -i, a quoted `{`-less condition, and an ACL that the app
// declares once on its own vhost and once more broadly.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardLinesThatReachOtherRequestsAreRefused) {
  const std::string own = "host_{cleanedUpHostname}";
  for (const std::string& line : {
           "  tcp-request content reject if " + own,
           std::string("  tcp-request inspect-delay 5s"),
           std::string("  option http-server-close"),
           std::string("  timeout client 1ms"),
           std::string("  capture request header Authorization len 64"),
           "  http-after-response set-header X-A 1 if " + own,
           "  http-response set-header X-A 1 if " + own,
           std::string("  stick-table type ip size 1"),
           std::string("  filter compression"),
           "  http-request deny if " + own + " or",
           "  http-request deny if " + own + " || !" + own,
           std::string("  http-request deny if {{ hdr(host,1) -i "
                       "zzz.example.com }}"),
           std::string("  http-request deny if {{ hdr(host) zzz.example.com "
                       "-i shop.example.com }}"),
           std::string("  acl zzz_any hdr(host) -m found\\n"
                       "  acl zzz_any hdr(host) -i zzz.example.com\\n"
                       "  http-request deny if zzz_any"),
           std::string("  http-request redirect location http://evil.example/ "
                       "code 302 ignore-empty if ") + own,
           std::string("  use_backend {backend} if {{ hdr(x-marathon-app-id) "
                       "-i /shop }}"),
       }) {
    SCOPED_TRACE(line);
    const std::string json =
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003, line));
    const RenderResult r = RenderApps(json);
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0], HasSubstr("HAPROXY_0_HTTP_FRONTEND_ACL"));
    EXPECT_EQ(r.text.find("zzz"), std::string::npos) << r.text;
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "shop.example.com"),
              "shop_10001");
  }
}

// GUARD (passes): the error text of a dropped app names the app, the port
// index, the label, the line number, the frontend and the line as written.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardTheErrorNamesLabelLineAndFrontend) {
  const std::string json = WithApps(
      AppsJson({{"/shop", "shop.example.com", 10001}}),
      OverrideAppJson("/zzz", "zzz.example.com", 10003,
                      "  http-request deny if {{ hdr(host) -i "
                      "shop.example.com }}"));
  const RenderResult r = RenderApps(json);
  const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
  ASSERT_EQ(errors.size(), 1u) << r.text;
  EXPECT_THAT(errors[0],
              HasSubstr("app /zzz, service port index 0: label "
                        "HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                        "--label-policy restricted: line 2 in frontend "
                        "marathon_http_in is not limited to the app's own "
                        "vhosts or app id: every alternative of its condition "
                        "must test one of the app's vhosts or its app id"));
  EXPECT_THAT(errors[0],
              HasSubstr("http-request deny if { hdr(host) -i "
                        "shop.example.com }"));
}

// GUARD (passes): the :9091 override may not route another app's id, and
// the map-mode lookups (once per config) take no label (their catalog
// entries are not overridable), so a tenant's label never replaces the
// line every app's routing depends on.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardAppIdAndMapLinesStayOwn) {
  const std::string zzz =
      R"({"id": "/zzz", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
      R"( "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": "zzz.example.com",)"
      R"( "HAPROXY_0_HTTP_FRONTEND_APPID_ACL": "  acl app_{cleanedUpAppId})"
      R"( hdr(x-marathon-app-id) -i {appId}\n  use_backend {backend} if)"
      R"( app_{cleanedUpAppId}\n  http-request deny if {{ hdr(x-marathon-app-id))"
      R"( -i /shop }}\n"}, "ports": [10003], "tasks": [{"id": "t3",)"
      R"( "host": "agent1", "ports": [20003], "state": "TASK_RUNNING"}]})";
  const RenderResult r =
      RenderApps(WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}), zzz));
  const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
  ASSERT_EQ(errors.size(), 1u) << r.text;
  EXPECT_THAT(errors[0], HasSubstr("HAPROXY_0_HTTP_FRONTEND_APPID_ACL"));
  EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_appid_in"),
                  "x-marathon-app-id", "/shop"),
            "shop_10001")
      << r.text;

  RenderOptions map;
  map.haproxy_map = true;
  const std::string mapped =
      R"({"id": "/zzz", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
      R"( "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": "zzz.example.com",)"
      R"( "HAPROXY_0_MAP_HTTP_FRONTEND_ACL": "  use_backend zzz_10003 if)"
      R"( {{ hdr(host) -i zzz.example.com }}\n"}, "ports": [10003],)"
      R"( "tasks": [{"id": "t3", "host": "agent1", "ports": [20003],)"
      R"( "state": "TASK_RUNNING"}]})";
  const RenderResult m = RenderApps(
      WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}), mapped), map);
  EXPECT_NE(m.text.find("map("), std::string::npos) << m.text;
  EXPECT_EQ(m.text.find("use_backend zzz_10003 if"), std::string::npos)
      << m.text;
}

}  // namespace
}  // namespace mlb
