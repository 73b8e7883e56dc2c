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

#include "core/base/sha256.h"
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

// Review 12c (FINDING, freeze class, low; fixed): an empty vhost was an
// own vhost. Attack: /zzz sets HAPROXY_0_VHOST "zzz.example.com," (the label
// check refuses only hosts starting with '-'; Split kept the empty host), so
// its own vhosts were {"zzz.example.com", ""}; its
// HAPROXY_0_HTTP_FRONTEND_ACL_ONLY (the template of a port with several
// vhosts) adds `http-request redirect location http://evil.example/ if
// { hdr_end(host) -i "" }`. OwnCriterion found the value "" among the own
// vhosts and accepted the line (an empty suffix would match every Host).
// HAProxy 2.6 ends a line's words at an empty word, so it reads `{
// hdr_end(host) -i` and refuses the config ("missing closing '}' in
// condition"): not a capture, but every app's config is refused.
// Impact: haproxy -c fails; the last good config stays for every app.
// Fixed as the lead decided (not the review's "refuse the port"): an empty
// host is left out of the vhost list with a warning naming the app and the
// label, "" is never an own value, and a label's line in a shared frontend
// with an empty word is refused. So "zzz.example.com," is the one vhost
// zzz.example.com (its ACL_ONLY label is not used: a port with one vhost
// renders HTTP_FRONTEND_ACL), and with a third host the label's line is
// refused; HAProxy accepts the rest either way.
TEST_F(GeneratedNamesReviewCTest, ReviewCAnEmptyVhostIsOwnAndFreezesEveryApp) {
  const auto zzz = [](const std::string& vhost) {
    return R"({"id": "/zzz", "instances": 1, "labels": {"HAPROXY_GROUP":)"
           R"( "external", "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": ")" +
           vhost +
           R"(", "HAPROXY_0_HTTP_FRONTEND_ACL_ONLY": "  acl)"
           R"( host_{cleanedUpHostname} hdr(host) -i {hostname}\n)"
           R"(  http-request redirect location http://evil.example/ if)"
           R"( {{ hdr_end(host) -i \"\" }}\n"}, "ports": [10003], "tasks":)"
           R"( [{"id": "t3", "host": "agent1", "ports": [20003], "state":)"
           R"( "TASK_RUNNING"}]})";
  };
  const RenderResult one = RenderApps(WithApps(
      AppsJson({{"/shop", "shop.example.com", 10001}}), zzz("zzz.example.com,")));
  EXPECT_EQ(HaproxyRefusal(one.text), "");
  EXPECT_EQ(one.text.find("evil.example"), std::string::npos) << one.text;
  EXPECT_EQ(ErrorsOf(one, "/zzz"), std::vector<std::string>{});
  EXPECT_EQ(ErrorsOf(one, "/shop"), std::vector<std::string>{});
  EXPECT_THAT(one.warnings,
              ::testing::Contains(
                  "app /zzz, service port index 0: HAPROXY_0_VHOST "
                  "'zzz.example.com,' has an empty host name (a trailing or "
                  "doubled comma): left out"));
  EXPECT_EQ(Route(SectionLines(one.text, "frontend marathon_http_in"), "host",
                  "zzz.example.com"),
            "zzz_10003")
      << one.text;

  const RenderResult two = RenderApps(
      WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
               zzz("zzz.example.com,,www.zzz.example.com")));
  EXPECT_EQ(HaproxyRefusal(two.text), "");
  EXPECT_EQ(two.text.find("evil.example"), std::string::npos) << two.text;
  const std::vector<std::string> errors = ErrorsOf(two, "/zzz");
  ASSERT_EQ(errors.size(), 1u) << two.text;
  EXPECT_THAT(errors[0], HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL_ONLY "
                                   "refused by --label-policy restricted: "
                                   "line 2 in frontend marathon_http_in"));
  EXPECT_EQ(ErrorsOf(two, "/shop"), std::vector<std::string>{});

  // Typed labels only (--label-policy deny): the empty vhost alone.
  RenderOptions deny;
  deny.label_policy = LabelPolicy::kDeny;
  const RenderResult typed = RenderApps(
      AppsJson({{"/shop", "shop.example.com", 10001},
                {"/zzz", "zzz.example.com,", 10003}}),
      deny);
  EXPECT_EQ(HaproxyRefusal(typed.text), "");
  EXPECT_EQ(typed.errors, std::vector<std::string>{});
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

// Review 12c (FINDING, medium; fixed): a custom ACL name was first-come,
// so an app whose id sorts first knocked out an app that uses one. Attack:
// the shop team's /shop routes its API with its own ACL (`acl shop_api
// path_beg /api`, `use_backend {backend} if host_{cleanedUpHostname}
// shop_api`, a name readable by every tenant in Marathon). /aaa, sorting
// first, declares `acl shop_api hdr(host) -i aaa.example.com` in its
// HAPROXY_0_HTTP_FRONTEND_ACL: an acl line on its own vhost, accepted.
// Impact: /shop's service port was dropped ("already declared by app
// /aaa"); /aaa lost nothing. The reserved _<port> suffix of ebacb16 only
// protected generated names.
// Fixed as the lead decided: under restricted, the name of an ACL a label
// declares in a shared frontend ends with "_<its service port>", which
// names belong to the holder of that port whoever sorts first
// (ConfigAssembler::CheckAcls). So /shop writes shop_api_10002; /aaa can
// neither declare shop_api_10002 (another app's port) nor a port-less
// name (its label is refused, and so would /shop's be).
TEST_F(GeneratedNamesReviewCTest, ReviewCAFirstComeCustomAclNameKnocksOutTheAppThatUsesIt) {
  for (const std::string name : {"shop_api", "shop_api_10002"}) {
    SCOPED_TRACE(name);
    const std::string json =
        R"({"apps": [)" +
        OverrideAppJson("/aaa", "aaa.example.com", 10001,
                        "  acl " + name + " hdr(host) -i aaa.example.com") +
        "," +
        OverrideAppJson("/shop", "shop.example.com", 10002,
                        "  acl shop_api_10002 path_beg /api\\n"
                        "  use_backend {backend} if host_{cleanedUpHostname} "
                        "shop_api_10002") +
        "]}";
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{}) << r.text;
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "shop.example.com"),
              "shop_10002")
        << r.text;
    const std::vector<std::string> errors = ErrorsOf(r, "/aaa");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0], HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL refused "
                                     "by --label-policy restricted: line 2 in "
                                     "frontend marathon_http_in declares ACL '" +
                                     name + "'"));
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
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

// Review 12c (high: typed labels only, works under deny): generated names
// are injective only if service port numbers are unique, but a port is
// owned per listener (address:port). Attack: /com/shop (sorts before
// /shop) binds port 10001 on HAPROXY_0_BIND_ADDR 127.0.0.2 (a listener
// /shop does not use) and sets HAPROXY_0_VHOST "shop.example": its vhost
// ACL is host_shop_example_com_shop_10001, /shop's name (vhost
// shop.example.com, id /shop, port 10001).
//
// GUARD (passes): when /com/shop asks for the port with HAPROXY_0_PORT
// (any app can), the name and the port stay with /shop, the service
// Marathon assigned the port to (AssignedPorts::NameOwner): /com/shop is
// the one dropped, naming the port.
TEST_F(GeneratedNamesReviewCTest, ReviewCGuardAPortLabelDoesNotTakeAnotherAppsNames) {
  const std::string attacker =
      R"({"id": "/com/shop", "instances": 1, "labels": {"HAPROXY_GROUP":)"
      R"( "external", "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST":)"
      R"( "shop.example", "HAPROXY_0_BIND_ADDR": "127.0.0.2",)"
      R"( "HAPROXY_0_PORT": "10001"}, "ports": [10009], "tasks": [{"id":)"
      R"( "t9", "host": "agent1", "ports": [20009], "state":)"
      R"( "TASK_RUNNING"}]})";
  for (const LabelPolicy policy : {LabelPolicy::kDeny, LabelPolicy::kRestricted,
                                   LabelPolicy::kAllow}) {
    SCOPED_TRACE(std::string(LabelPolicyName(policy)));
    RenderOptions options;
    options.label_policy = policy;
    const RenderResult r = RenderApps(
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}), attacker),
        options);
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{}) << r.text;
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "shop.example.com"),
              "shop_10001")
        << r.text;
    EXPECT_EQ(ErrorsOf(r, "/com/shop"),
              std::vector<std::string>{
                  "app /com/shop, service port index 0: bind 127.0.0.2:10001 "
                  "in frontend com_shop_10001 would take port 10001, which "
                  "Marathon assigned to app /shop, service port index 0; "
                  "service port skipped"});
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
}

// Review 12c (FINDING, high), the remaining case: Marathon itself gives
// /com/shop the service port 10001 too (no HAPROXY_0_PORT). Neither app is
// then more the port's owner than the other, and the first in (app id,
// port) order keeps the names ending with _10001: /shop is dropped.
// Not fixed: Marathon refuses a service port another app has ("Marathon
// requires unique service ports", as zdd.py's HAPROXY_DEPLOYMENT_ALT_PORT
// works around), so this needs a Marathon that breaks that rule or a
// source other than Marathon (docs/security.md, "Not yet guaranteed"). What
// this test holds: one of the two is dropped with the clash named, the
// ACL is never shared by the two, and HAProxy accepts the config.
TEST_F(GeneratedNamesReviewCTest, ReviewCTwoAppsMarathonGaveOnePortNumberRelyOnUniqueServicePorts) {
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
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                "app /shop, service port index 0: acl "
                "host_shop_example_com_shop_10001 in frontend "
                "marathon_http_in is already declared by app /com/shop "
                "(HAProxy would merge the two, and one app would get the "
                "other's requests); service port skipped"});
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

// ---------------------------------------------------------------------------
// The fixes of review 12c, over their classes.

// An app with `label` = `value` (JSON-escaped) on port 0.
std::string LabelAppJson(const std::string& id, const std::string& vhost,
                         int port, const std::string& label,
                         const std::string& value) {
  return R"({"id": ")" + id +
         R"(", "instances": 1, "labels": {"HAPROXY_GROUP": "external",)"
         R"( "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST": ")" + vhost +
         R"(", ")" + label + R"(": ")" + value + R"("}, "ports": [)" +
         std::to_string(port) + R"(], "tasks": [{"id": "t)" +
         std::to_string(port) + R"(", "host": "agent1", "ports": [)" +
         std::to_string(port + 10000) +
         R"(], "state": "TASK_RUNNING"}]})";
}

// Under restricted, a suffix match (hdr_end(host), -m end, ssl_fc_sni -m
// end) of the app's vhost or of "." and it is the app's own only if no
// vhost of another app of the update ends with it: else the port with the
// wildcard is dropped, naming the label, the line, the suffix and the vhost
// it would take, whichever app sorts first (a specific vhost beats a
// wildcard).
TEST_F(GeneratedNamesReviewCTest, ReviewCFixASuffixThatMatchesAnotherAppsVhostIsRefused) {
  struct Case {
    std::string wild_vhost;
    std::string label;
    std::string value;
    std::string suffix;  // in the error
  };
  const std::string acl = "HAPROXY_0_HTTP_FRONTEND_ACL";
  for (const Case& c : {
           // The documented wildcard ACL, on a parent domain of the victim.
           Case{"example.com", acl,
                "  acl host_{cleanedUpHostname} hdr_end(host) -i {hostname}\\n"
                "  use_backend {backend} if host_{cleanedUpHostname}\\n",
                "example.com"},
           // Without a label boundary.
           Case{"op.example.com", acl,
                "  acl host_{cleanedUpHostname} req.hdr_end(host) -i "
                "{hostname}\\n  use_backend {backend} if "
                "host_{cleanedUpHostname}\\n",
                "op.example.com"},
           Case{"example.com", acl,
                "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\\n"
                "  http-request deny if {{ hdr(host) -m end .example.com }}\\n"
                "  use_backend {backend} if host_{cleanedUpHostname}\\n",
                ".example.com"},
           // An own ACL with an exact and a suffix value.
           Case{"example.com", acl,
                "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\\n"
                "  acl wild_{backend} hdr_end(host) -i .{hostname}\\n"
                "  use_backend {backend} if host_{cleanedUpHostname} or "
                "wild_{backend}\\n",
                ".example.com"},
           // The documented SNI wildcard on :443.
           Case{"example.com", "HAPROXY_0_HTTPS_FRONTEND_ACL",
                "  use_backend {backend} if {{ ssl_fc_sni -m end .{hostname} "
                "}}\\n",
                ".example.com"},
           // A TLD vhost.
           Case{"com", acl,
                "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\\n"
                "  http-request redirect location http://evil.example/ if "
                "{{ hdr_end(host) -i .com }}\\n"
                "  use_backend {backend} if host_{cleanedUpHostname}\\n",
                ".com"},
       }) {
    // The wildcard's app sorts before the victim, and after it.
    for (const std::string wild_id : {"/aaa", "/zzz"}) {
      SCOPED_TRACE(wild_id + " " + c.value);
      const std::string json =
          R"({"apps": [)" +
          LabelAppJson(wild_id, c.wild_vhost, 10003, c.label, c.value) + "," +
          LabelAppJson("/shop", "SHOP.example.com", 10001, "HAPROXY_0_STICKY",
                       "false") +
          "]}";
      const RenderResult r = RenderApps(json);
      const std::vector<std::string> errors = ErrorsOf(r, wild_id);
      ASSERT_EQ(errors.size(), 1u) << r.text;
      EXPECT_THAT(errors[0],
                  HasSubstr("label " + c.label +
                            " refused by --label-policy restricted: line "));
      EXPECT_THAT(errors[0],
                  HasSubstr(": the suffix '" + c.suffix +
                            "' also matches the vhost shop.example.com of "
                            "app /shop, service port index 0 (a wildcard may "
                            "not take another app's vhost)"));
      EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
      EXPECT_EQ(r.text.find(wild_id.substr(1) + "_10003"), std::string::npos)
          << r.text;
      EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"),
                      "host", "shop.example.com"),
                "shop_10001");
      EXPECT_EQ(HaproxyRefusal(r.text), "");
    }
  }
  // The whole message.
  const RenderResult r = RenderApps(
      R"({"apps": [)" +
      LabelAppJson("/aaa", "example.com", 10003, acl,
                   "  acl host_{cleanedUpHostname} hdr_end(host) -i "
                   "{hostname}\\n  use_backend {backend} if "
                   "host_{cleanedUpHostname}\\n") +
      "," +
      LabelAppJson("/shop", "shop.example.com", 10001, "HAPROXY_0_STICKY",
                   "false") +
      "]}");
  EXPECT_EQ(ErrorsOf(r, "/aaa"),
            std::vector<std::string>{
                "app /aaa, service port index 0: label "
                "HAPROXY_0_HTTP_FRONTEND_ACL refused by --label-policy "
                "restricted: line 1 in frontend marathon_http_in: the suffix "
                "'example.com' also matches the vhost shop.example.com of app "
                "/shop, service port index 0 (a wildcard may not take another "
                "app's vhost) (\"acl host_example_com_aaa_10003 hdr_end(host) "
                "-i example.com\"); service port skipped"});
}

// The documented wildcards stay the app's when no other app's vhost ends
// with them: a vhost that only looks alike, another port of the same app,
// and an app without a vhost.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixASuffixNoOtherAppsVhostEndsWithIsTaken) {
  const std::string wildcard =
      "  acl host_{cleanedUpHostname} hdr_end(host) -i .{hostname}\\n"
      "  use_backend {backend} if host_{cleanedUpHostname}\\n";
  const std::string same_app_two_ports =
      R"({"id": "/zzz", "instances": 1, "labels": {"HAPROXY_GROUP":)"
      R"( "external", "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST":)"
      R"( "zzz.example.com", "HAPROXY_0_HTTP_FRONTEND_ACL": ")" +
      wildcard +
      R"(", "HAPROXY_1_VHOST": "api.zzz.example.com"}, "ports": [10003,)"
      R"( 10004], "tasks": [{"id": "t3", "host": "agent1", "ports": [20003,)"
      R"( 20004], "state": "TASK_RUNNING"}]})";
  const std::string json =
      R"({"apps": [)" +
      LabelAppJson("/shop", "myzzz.example.com", 10001, "HAPROXY_0_STICKY",
                   "false") +
      "," +
      LabelAppJson("/www", "zzz.example.com.evil", 10002, "HAPROXY_0_STICKY",
                   "false") +
      "," + same_app_two_ports + "]}";
  const RenderResult r = RenderApps(json);
  EXPECT_EQ(r.errors, std::vector<std::string>{}) << r.text;
  EXPECT_THAT(r.text, HasSubstr("  acl host_zzz_example_com_zzz_10003 "
                                "hdr_end(host) -i .zzz.example.com\n"));
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

// Under restricted, the ACL names HAProxy refuses (haproxy -c would refuse
// every app's config) are refused in any override, as written or as
// rendered, naming the label: `or` in any case, characters outside letters,
// digits, '-', '_', '.', ':', a backslash HAProxy keeps, an empty name.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixAclNamesHaproxyRefusesAreRefused) {
  struct Case {
    std::string label;
    std::string name;  // JSON-escaped
    std::string shown;
  };
  const std::string acl = "HAPROXY_0_HTTP_FRONTEND_ACL";
  const std::string options = "HAPROXY_0_BACKEND_HTTP_OPTIONS";
  for (const Case& c : {
           Case{acl, "or", "'or'"},
           Case{acl, "oR", "'oR'"},
           Case{acl, "||", "'||'"},
           Case{acl, "a/b_10003", "'a/b_10003'"},
           Case{acl, "a@b_10003", "'a@b_10003'"},
           Case{acl, "m\\\\ine_10003", "'mine_10003'"},
           Case{acl, "\\\"\\\"", "without a name"},
           Case{acl, "\u00e9_10003", "'\u00e9_10003'"},
           Case{options, "OR", "'OR'"},
           Case{options, "a+b", "'a+b'"},
           Case{options, "a\\\\b", "'ab'"},
           // As rendered: the placeholder's value puts the '.' and the
           // name is fine; a '{{' renders to a '{'.
           Case{acl, "x{{_10003", "'x{_10003'"},
       }) {
    SCOPED_TRACE(c.label + " " + c.name);
    const std::string value =
        c.label == acl
            ? "  acl host_{cleanedUpHostname} hdr(host) -i {hostname}\\n"
              "  acl " + c.name + " hdr(host) -i zzz.example.com\\n"
              "  use_backend {backend} if host_{cleanedUpHostname}\\n"
            : "  acl " + c.name + " path_beg /x\\n";
    const std::string json =
        R"({"apps": [)" +
        LabelAppJson("/shop", "shop.example.com", 10001, "HAPROXY_0_STICKY",
                     "false") +
        "," + LabelAppJson("/zzz", "zzz.example.com", 10003, c.label, value) +
        "]}";
    const RenderResult r = RenderApps(json);
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0], HasSubstr("label " + c.label +
                                     " refused by --label-policy restricted"));
    EXPECT_THAT(errors[0], HasSubstr("declares " +
                                     std::string(c.shown == "without a name"
                                                     ? "an ACL "
                                                     : "ACL ") +
                                     c.shown));
    EXPECT_THAT(errors[0], HasSubstr("a name HAProxy refuses (haproxy -c "
                                     "would refuse the whole config)"));
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
  // Names HAProxy takes.
  for (const std::string name : {"a.b-c:d_10003", "Or_10003", "if_10003"}) {
    SCOPED_TRACE(name);
    const RenderResult r = RenderApps(
        R"({"apps": [)" +
        LabelAppJson("/zzz", "zzz.example.com", 10003, acl,
                     "  acl host_{cleanedUpHostname} hdr(host) -i "
                     "{hostname}\\n  acl " + name +
                     " path_beg /x\\n  use_backend {backend} if "
                     "host_{cleanedUpHostname} " + name + "\\n") +
        "]}");
    EXPECT_EQ(r.errors, std::vector<std::string>{}) << r.text;
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
}

// Under restricted, a label's line in a shared frontend is read as HAProxy
// reads it or refused: a word with a backslash HAProxy keeps (`\i\f` is not
// `if` there, `\o\r` not `or`, `m\ine` not the ACL mine) or an empty word
// (HAProxy stops reading the line there).
TEST_F(GeneratedNamesReviewCTest, ReviewCFixWordsHaproxyReadsOtherwiseAreRefused) {
  const std::string own = "host_{cleanedUpHostname}";
  for (const std::string& line : std::vector<std::string>{
           "  http-request deny \\\\i\\\\f " + own,
           "  http-request deny i\\\\f " + own,
           "  http-request deny \\\\u\\\\n\\\\l\\\\e\\\\s\\\\s " + own,
           "  http-request deny if " + own + " \\\\o\\\\r " + own,
           "  http-request deny if hos\\\\t_{cleanedUpHostname}",
           "  use_backend {backend} if {{ hdr(host) -i zzz.example.com "
           "\\\"\\\" }}",
           "  http-request deny if " + own + " ''",
           "  acl x_10003 hdr(host) -i zzz.example\\\\.com",
       }) {
    SCOPED_TRACE(line);
    const RenderResult r = RenderApps(
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003, line)));
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0],
                HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                          "--label-policy restricted: line 2 in frontend "
                          "marathon_http_in is not limited to the app's own "
                          "vhosts or app id: word "));
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
  // Escapes HAProxy translates as this reader does are taken.
  for (const std::string& line : {
           "  http-request deny \\\\x69f " + own,
           "  http-request deny \\\"if\\\" " + own,
       }) {
    SCOPED_TRACE(line);
    const RenderResult r = RenderApps(
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003, line)));
    EXPECT_EQ(r.errors, std::vector<std::string>{}) << r.text;
    EXPECT_EQ(HaproxyRefusal(r.text), "");
  }
}

// Under restricted, the ACLs a label declares in a shared frontend end with
// "_<its service port>", the names no other app can hold: the error says so
// and shows the form.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixALabelsAclNamesInSharedFrontendsEndWithItsPort) {
  for (const std::string name :
       {"api", "api_1000", "api_100031", "api10003", "api_10003x",
        "host_zzz_example_com_zzz", "_10003"}) {
    SCOPED_TRACE(name);
    const RenderResult r = RenderApps(
        WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
                 OverrideAppJson("/zzz", "zzz.example.com", 10003,
                                 "  acl " + name + " path_beg /api")));
    EXPECT_EQ(ErrorsOf(r, "/zzz"),
              std::vector<std::string>{
                  "app /zzz, service port index 0: label "
                  "HAPROXY_0_HTTP_FRONTEND_ACL refused by --label-policy "
                  "restricted: line 2 in frontend marathon_http_in declares "
                  "ACL '" + name + "': in a frontend the apps share, the name "
                  "of an ACL a label declares ends with _10003 (its service "
                  "port), e.g. " + name + "_10003, so that no other app holds "
                  "it (\"acl " + name + " path_beg /api\"); service port "
                  "skipped"});
  }
  // The generated names and a name of the app's own end with its port.
  const RenderResult r = RenderApps(
      WithApps(AppsJson({{"/shop", "shop.example.com", 10001}}),
               OverrideAppJson("/zzz", "zzz.example.com", 10003,
                               "  acl api_10003 path_beg /api\\n"
                               "  use_backend {backend} if "
                               "host_{cleanedUpHostname} api_10003")));
  EXPECT_EQ(r.errors, std::vector<std::string>{}) << r.text;
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

// An empty host in HAPROXY_{n}_VHOST (trailing, leading or doubled comma,
// or only commas) is left out with a warning, at every level.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixEmptyHostsAreLeftOutOfTheVhosts) {
  struct Case {
    std::string label;
    std::vector<std::string> routed;
  };
  for (const Case& c : {
           Case{"zzz.example.com,", {"zzz.example.com"}},
           Case{",zzz.example.com", {"zzz.example.com"}},
           Case{"zzz.example.com,,a.zzz.example.com",
                {"zzz.example.com", "a.zzz.example.com"}},
           Case{",", {}},
       }) {
    for (const LabelPolicy policy : {LabelPolicy::kAllow,
                                     LabelPolicy::kRestricted,
                                     LabelPolicy::kDeny}) {
      SCOPED_TRACE(c.label + " " + std::string(LabelPolicyName(policy)));
      RenderOptions options;
      options.label_policy = policy;
      const RenderResult r = RenderApps(
          AppsJson({{"/shop", "shop.example.com", 10001},
                    {"/zzz", c.label, 10003}}),
          options);
      EXPECT_EQ(r.errors, std::vector<std::string>{});
      EXPECT_THAT(r.warnings,
                  ::testing::Contains(
                      "app /zzz, service port index 0: HAPROXY_0_VHOST '" +
                      c.label +
                      "' has an empty host name (a trailing or doubled "
                      "comma): left out"));
      for (const std::string& host : c.routed) {
        EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"),
                        "host", host),
                  "zzz_10003")
            << r.text;
      }
      EXPECT_EQ(r.text.find("-i \n"), std::string::npos) << r.text;
      EXPECT_EQ(HaproxyRefusal(r.text), "");
    }
  }
}

// --group-https-by-vhost: a vhost's section (and abns@ socket) name is at
// most 107 bytes, HAProxy's limit; up to it names are unchanged, beyond it
// a prefix, ':' and 32 hex digits of the vhost's SHA-256, so that vhosts
// with one long prefix keep distinct names; HAProxy accepts the config.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixLongVhostsGetShortDistinctSectionNames) {
  const std::string a60(60, 'a');
  const std::string exact = a60 + "." + std::string(30, 'b') + ".example.com";
  const std::string at_limit =
      a60 + "." + std::string(34, 'b') + ".example.com";
  const std::string long1 = a60 + "." + std::string(60, 'b') + ".example.com";
  const std::string long2 = a60 + "." + std::string(60, 'b') + ".example.org";
  EXPECT_EQ(at_limit.size(), 107u);
  EXPECT_EQ(sdk::VhostSectionName(exact), exact);
  EXPECT_EQ(sdk::VhostSectionName(at_limit), at_limit);
  EXPECT_EQ(sdk::VhostSectionName("a_b"), "_615f62_");
  const std::string name1 = sdk::VhostSectionName(long1);
  const std::string name2 = sdk::VhostSectionName(long2);
  EXPECT_EQ(name1.size(), 107u);
  EXPECT_EQ(name1.substr(0, 75), long1.substr(0, 74) + ":");
  EXPECT_NE(name1, name2);
  EXPECT_EQ(name1.substr(75),
            sdk::detail::Sha256Hex(long1).substr(0, 32));
  // A hex-form name beyond the limit (a vhost with an '_').
  const std::string hexed = sdk::VhostSectionName(std::string(60, '_'));
  EXPECT_EQ(hexed.size(), 107u);
  EXPECT_EQ(hexed.substr(0, 3), "_5f");
  EXPECT_EQ(hexed[74], ':');

  RenderOptions grouped;
  grouped.group_https_by_vhost = true;
  grouped.label_policy = LabelPolicy::kDeny;
  const RenderResult r = RenderApps(
      AppsJson({{"/shop", "shop.example.com", 10001},
                {"/x", long1, 10002},
                {"/y", long2, 10003},
                {"/z", at_limit, 10004}}),
      grouped);
  EXPECT_EQ(r.errors, std::vector<std::string>{});
  EXPECT_THAT(r.text, HasSubstr("\nfrontend " + name1 + "\n"));
  EXPECT_THAT(r.text, HasSubstr("  bind abns@" + name1 + " accept-proxy"));
  EXPECT_THAT(r.text, HasSubstr("\nbackend " + name2 + "\n"));
  EXPECT_THAT(r.text, HasSubstr("\nfrontend " + at_limit + "\n"));
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

// The SDK's SHA-256 (headers only, for the names above) is the core's.
TEST_F(GeneratedNamesReviewCTest, ReviewCFixTheSdksSha256IsSha256) {
  static const char kHex[] = "0123456789abcdef";
  for (const std::string& data :
       {std::string(), std::string("abc"), std::string(55, 'x'),
        std::string(56, 'x'), std::string(64, 'y'), std::string(300, 'z')}) {
    std::string expected;
    for (const uint8_t byte : Sha256(data)) {
      expected.push_back(kHex[byte >> 4]);
      expected.push_back(kHex[byte & 0xF]);
    }
    EXPECT_EQ(sdk::detail::Sha256Hex(data), expected) << data.size();
  }
  EXPECT_EQ(sdk::detail::Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Found while fixing review 12c (FINDING, high; fixed): rule 7
// reads a label's `acl` lines only through the label lines that use them,
// but the app's default lines in the same frontend use ACLs too. Attack:
// /aaa (sorts first) has two vhosts, so its :80 lines are
// HTTP_FRONTEND_ACL_ONLY per vhost and the default ROUTING_ONLY
// (`use_backend aaa_10001 if host_..._10001`); its ACL_ONLY label adds a
// second declaration of that ACL, `hdr_end(host) -i .com`. HAProxy ORs the
// declarations, and the default use_backend (not a label line, not
// checked) sends every .com host to /aaa before /shop's rule.
// Expected: /aaa's port is dropped naming the label (a label may not add a
// criterion that is not own to an ACL its app's other lines use); /shop
// keeps shop.example.com.
TEST_F(GeneratedNamesReviewCTest, ReviewCALabelAclWidensAnAclTheDefaultLinesUse) {
  const std::string aaa =
      R"({"id": "/aaa", "instances": 1, "labels": {"HAPROXY_GROUP":)"
      R"( "external", "HAPROXY_0_MODE": "http", "HAPROXY_0_VHOST":)"
      R"( "aaa.example.com,www.aaa.example.com",)"
      R"( "HAPROXY_0_HTTP_FRONTEND_ACL_ONLY": "  acl)"
      R"( host_{cleanedUpHostname} hdr(host) -i {hostname}\n  acl)"
      R"( host_{cleanedUpHostname} hdr_end(host) -i .com\n"}, "ports":)"
      R"( [10001], "tasks": [{"id": "t1", "host": "agent1", "ports":)"
      R"( [20001], "state": "TASK_RUNNING"}]})";
  const RenderResult r = RenderApps(
      R"({"apps": [)" + aaa + "," +
      LabelAppJson("/shop", "shop.example.com", 10002, "HAPROXY_0_STICKY",
                   "false") +
      "]}");
  EXPECT_THAT(r.text, ::testing::Not(HasSubstr("hdr_end(host) -i .com")))
      << r.text;
  const std::vector<std::string> errors = ErrorsOf(r, "/aaa");
  ASSERT_EQ(errors.size(), 1u) << r.text;
  EXPECT_THAT(errors[0],
              HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL_ONLY refused by "
                        "--label-policy restricted: line 2 in frontend "
                        "marathon_http_in is not limited to the app's own "
                        "vhosts or app id: it adds a criterion that is not "
                        "the app's own to ACL "
                        "'host_aaa_example_com_aaa_10001', which the app's "
                        "other lines in this frontend use"));
  EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                  "shop.example.com"),
            "shop_10002");
  EXPECT_EQ(HaproxyRefusal(r.text), "");

  // A label's own ACL that no template line uses may be anything (it only
  // counts where the label's lines use it, with an own term).
  const RenderResult own = RenderApps(
      R"({"apps": [)" +
      OverrideAppJson("/zzz", "zzz.example.com", 10003,
                      "  acl api_10003 path_beg /api\\n"
                      "  use_backend {backend} if host_{cleanedUpHostname} "
                      "api_10003") +
      "]}");
  EXPECT_EQ(own.errors, std::vector<std::string>{});
}

}  // namespace
}  // namespace mlb
