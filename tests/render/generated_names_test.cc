// Generated names never hand one app's traffic to another (issue 12, item 1).
//
// marathon-lb names a vhost's ACL cleaned(vhost) + "_" + the app id path
// ("a.b.c" of /d and "a.b" of /c/d both give host_a_b_c_d), and an app id's
// ACL on :9091 "app_" + cleaned(app id) (/shop.v2 and /shop/v2 both give
// app__shop_v2). HAProxy ORs the declarations of one ACL name in a proxy, so
// the app whose use_backend comes first would get both apps' requests. The
// assembler keeps an ACL name of a shared section to the app that declared it
// first and drops the later service port with an error.
//
// The property, over random app ids and hosts drawn from a small alphabet
// (so that collisions are frequent): evaluating the rendered :80 and :9091
// frontends as HAProxy does (the first use_backend whose ACL matches), every
// app that was not dropped gets its own host and its own app id, and every
// dropped app was dropped for an ACL name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
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

class GeneratedNamesTest : public testing::HostileRenderTest {};

struct TestApp {
  std::string id;
  std::string vhost;  // "" for none
  int port = 0;
};

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
// "acl ACL hdr(<header>) -i ..." matching it (HAProxy ORs the declarations
// of one name); "" for none.
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

// Random ids and hosts from a few pieces that clean to the same names.
std::vector<TestApp> RandomApps(std::mt19937* rng) {
  static const char* kIdPieces[] = {"a", "b", "c", "a.b", "b.c", "a-b"};
  static const char* kHostPieces[] = {"a", "b", "c", "a-b", "b_c"};
  const auto pick = [rng](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(*rng);
  };
  std::vector<TestApp> apps;
  std::set<std::string> ids, hosts;
  for (int i = 0; apps.size() < 24 && i < 200; ++i) {
    TestApp app;
    for (size_t n = 1 + pick(3); n > 0; --n) {
      app.id += std::string("/") + kIdPieces[pick(6)];
    }
    for (size_t n = 1 + pick(3); n > 0; --n) {
      app.vhost += (app.vhost.empty() ? "" : ".") +
                   std::string(kHostPieces[pick(5)]);
    }
    if (!ids.insert(app.id).second) {
      continue;
    }
    if (!hosts.insert(app.vhost).second) {
      app.vhost.clear();  // one vhost, two apps: issue 12 item 3, not here
    }
    app.port = 10000 + static_cast<int>(apps.size());
    apps.push_back(app);
  }
  return apps;
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

// `apps` (an AppsJson document) with one more app, `app` (its JSON).
std::string WithApp(const std::string& apps, const std::string& app) {
  return apps.substr(0, apps.size() - 2) + "," + app + "]}";
}

TEST_F(GeneratedNamesTest, EveryAppKeepsItsHostAndItsAppIdUnderRandomNames) {
  int dropped = 0;
  int routed = 0;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const std::vector<TestApp> apps = RandomApps(&rng);
    const RenderResult r = RenderApps(AppsJson(apps));
    const std::vector<std::string> http =
        SectionLines(r.text, "frontend marathon_http_in");
    const std::vector<std::string> appid =
        SectionLines(r.text, "frontend marathon_http_appid_in");
    for (const TestApp& app : apps) {
      const std::string who = "app " + app.id + ", service port index 0: ";
      std::string error;
      for (const std::string& e : r.errors) {
        if (e.compare(0, who.size(), who) == 0) {
          error = e;
        }
      }
      if (!error.empty()) {
        EXPECT_THAT(error, HasSubstr(": acl ")) << "seed " << seed;
        ++dropped;
        continue;
      }
      const std::string own = "_" + std::to_string(app.port);
      EXPECT_THAT(Route(appid, "x-marathon-app-id", app.id),
                  ::testing::EndsWith(own))
          << "seed " << seed << ", app " << app.id << "\n" << r.text;
      if (!app.vhost.empty()) {
        EXPECT_THAT(Route(http, "host", app.vhost), ::testing::EndsWith(own))
            << "seed " << seed << ", app " << app.id << " on " << app.vhost
            << "\n" << r.text;
      }
      ++routed;
    }
  }
  // The alphabet makes marathon-lb 1.15's names collide often (HAProxy
  // would merge them; the first-come rule dropped more than 10 ports over
  // these seeds); names that end with the service port drop none.
  EXPECT_EQ(dropped, 0);
  EXPECT_GT(routed, 900);
}

// The two shapes of the issue: marathon-lb 1.15 named both vhost ACLs
// host_a_b_c_d and both app id ACLs app__shop_v2, so HAProxy would merge
// them. Names end with the service port: each app keeps its own routes.
TEST_F(GeneratedNamesTest, NamesThatCollidedInMarathonLb115AreDistinct) {
  const RenderResult r = RenderApps(AppsJson({{"/c/d", "a.b", 10001},
                                              {"/d", "a.b.c", 10002},
                                              {"/shop.v2", "", 10003},
                                              {"/shop/v2", "", 10004}}));
  EXPECT_EQ(r.errors, std::vector<std::string>{});
  const std::vector<std::string> http =
      SectionLines(r.text, "frontend marathon_http_in");
  EXPECT_THAT(http, ::testing::Contains(
                        "  acl host_a_b_c_d_10001 hdr(host) -i a.b"));
  EXPECT_THAT(http, ::testing::Contains(
                        "  acl host_a_b_c_d_10002 hdr(host) -i a.b.c"));
  EXPECT_EQ(Route(http, "host", "a.b"), "c_d_10001");
  EXPECT_EQ(Route(http, "host", "a.b.c"), "d_10002");
  const std::vector<std::string> appid =
      SectionLines(r.text, "frontend marathon_http_appid_in");
  EXPECT_EQ(Route(appid, "x-marathon-app-id", "/shop.v2"), "shop.v2_10003");
  EXPECT_EQ(Route(appid, "x-marathon-app-id", "/shop/v2"), "shop_v2_10004");
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

// Review 12b (FINDING, high; fixed: ForEachAcl splits a line with quotes or
// escapes as HAProxy does): the ACL ownership check read the name as the
// raw word after "acl", HAProxy after unquoting. `acl "host_x"`,
// `acl 'host_x'` and `acl host_"x"` all declare host_x in HAProxy 2.6
// (checked: haproxy -c accepts them and a request for the added host is
// answered by the first app's use_backend). Attack: /zzz (sorts last, any
// policy that takes overrides; security.md says the name rule holds even
// under allow) adds `acl "host_shop_example_com_shop" hdr(host) -i
// www.example.com` to its HTTP_FRONTEND_ACL.
// Impact: HAProxy ORs it into /shop's ACL; /shop's use_backend comes first,
// so www.example.com (app /www's vhost) is answered by /shop: a third
// party's traffic handed over, the exact merge the rule forbids.
// Expected: /zzz's service port is dropped with the "already declared by
// app /shop" error, and the quoted declaration is not in the config.
TEST_F(GeneratedNamesTest, ReviewAQuotedAclNameIsStillTheFirstAppsName) {
  for (const LabelPolicy policy :
       {LabelPolicy::kRestricted, LabelPolicy::kAllow}) {
    for (const std::string& spelling :
         {std::string(R"(\"host_shop_example_com_shop_10001\")"),
          std::string("'host_shop_example_com_shop_10001'"),
          std::string(R"(host_shop_\"example_com_shop_10001\")")}) {
      SCOPED_TRACE(std::string(LabelPolicyName(policy)) + " " + spelling);
      RenderOptions options;
      options.label_policy = policy;
      const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001},
                                         {"/www", "www.example.com", 10002}});
      const std::string json =
          WithApp(apps, OverrideAppJson("/zzz", "zzz.example.com", 10003,
                                        "  acl " + spelling +
                                            " hdr(host) -i www.example.com"));
      const RenderResult r = RenderApps(json, options);
      const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
      ASSERT_EQ(errors.size(), 1u) << r.text;
      EXPECT_THAT(errors[0], HasSubstr("host_shop_example_com_shop"));
      // Only /www's own ACL names www.example.com.
      size_t declarations = 0;
      for (size_t at = r.text.find("hdr(host) -i www.example.com");
           at != std::string::npos;
           at = r.text.find("hdr(host) -i www.example.com", at + 1)) {
        ++declarations;
      }
      EXPECT_EQ(declarations, 1u) << r.text;
    }
  }
}

// Review 12b (FINDING, high): first-come ACL ownership lets a tenant knock
// another app out with typed labels alone (works under --label-policy deny).
// Attack: the tenant of /example/com/... sets HAPROXY_0_VHOST "shop" on
// /example/com/shop, whose vhost ACL is host_ + "shop" + "_" +
// "example_com_shop" = host_shop_example_com_shop, the ACL name of the
// shop team's /shop with vhost shop.example.com; its id sorts first, so it
// owns the name and /shop's service port is dropped.
// Impact: any tenant who can pick an app id and a vhost takes another team's
// vhost off the load balancer (security.md: "a tenant can only lose its own
// service ports").
// Expected: generated names are injective (or the app whose vhost the name
// was made from keeps it): both apps route their own vhost, no error.
TEST_F(GeneratedNamesTest, ReviewAnAppThatSortsFirstCannotKnockOutAnotherAppsVhost) {
  RenderOptions options;
  options.label_policy = LabelPolicy::kDeny;  // typed labels only
  const RenderResult r =
      RenderApps(AppsJson({{"/example/com/shop", "shop", 10001},
                           {"/shop", "shop.example.com", 10002}}),
                 options);
  EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
  const std::vector<std::string> http =
      SectionLines(r.text, "frontend marathon_http_in");
  EXPECT_EQ(Route(http, "host", "shop.example.com"), "shop_10002") << r.text;
  EXPECT_EQ(Route(http, "host", "shop"), "example_com_shop_10001");
}


// Review 12b (FINDING, high): the same knock-out through the named sections
// of --group-https-by-vhost, with one typed label and any app id that sorts
// first. A vhost's TLS frontend is named CleanName(vhost): "shop_example_com"
// (a legal vhost, '_' is taken) claims the section of "shop.example.com"
// first, and "shop.10002" claims the name of /shop's backend shop_10002.
// Impact: /shop (the owner of shop.example.com) loses its service port to
// an unrelated tenant's app /aaa.
// Expected: /shop keeps routing; if a name must go, the app that made the
// colliding name from a look-alike vhost loses it, not its victim.
TEST_F(GeneratedNamesTest, ReviewALookAlikeVhostCannotKnockOutAGroupedHttpsVhost) {
  RenderOptions options;
  options.group_https_by_vhost = true;
  options.label_policy = LabelPolicy::kDeny;
  for (const char* look_alike : {"shop_example_com", "shop.10002"}) {
    SCOPED_TRACE(look_alike);
    const RenderResult r =
        RenderApps(AppsJson({{"/aaa", look_alike, 10001},
                             {"/shop", "shop.example.com", 10002}}),
                   options);
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
    EXPECT_THAT(r.text, HasSubstr("\nbackend shop_10002\n"));
  }
}


// Review 12b GUARD: HAProxy's ACL names are case-sensitive (haproxy 2.6:
// "acl Host_A" and "acl host_A" are two ACLs), so a name that differs from
// another app's only in case is not a clash, and does not reach it: /www
// keeps www.example.com and HAProxy accepts the config. Under --label-policy
// allow: under restricted a label's ACL names end with its own port
// (ReviewCFixALabelsAclNamesInSharedFrontendsEndWithItsPort), which this
// name does not.
TEST_F(GeneratedNamesTest, ReviewGuardAclNamesDifferingInCaseAreDistinct) {
  RenderOptions allow;
  allow.label_policy = LabelPolicy::kAllow;
  const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001},
                                     {"/www", "www.example.com", 10002}});
  const std::string json =
      WithApp(apps, OverrideAppJson("/zzz", "zzz.example.com", 10003,
                                    "  acl HOST_SHOP_EXAMPLE_COM_SHOP "
                                    "hdr(host) -i www.example.com"));
  const RenderResult r = RenderApps(json, allow);
  EXPECT_EQ(r.errors, std::vector<std::string>{});
  const std::vector<std::string> http =
      SectionLines(r.text, "frontend marathon_http_in");
  EXPECT_EQ(Route(http, "host", "www.example.com"), "www_10002");
  EXPECT_EQ(Route(http, "host", "shop.example.com"), "shop_10001");
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}


// Review 12b GUARD: a later app cannot take an earlier app's ACL name by
// writing it unquoted with a higher HAPROXY_0_BACKEND_WEIGHT (which puts its
// lines first in the frontend): ownership follows the id order of the
// check, not the order of the lines.
TEST_F(GeneratedNamesTest, ReviewGuardWeightDoesNotBuyAnAclName) {
  const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001}});
  std::string evil = OverrideAppJson(
      "/zzz", "zzz.example.com", 10003,
      "  acl host_shop_example_com_shop_10001 hdr(host) -i "
      "shop.example.com\\n"
      "  use_backend {backend} if host_shop_example_com_shop_10001");
  evil.replace(evil.find(R"("HAPROXY_0_MODE")"), 0,
               R"("HAPROXY_0_BACKEND_WEIGHT": "100", )");
  RenderOptions allow;  // the name rule holds under every policy
  allow.label_policy = LabelPolicy::kAllow;
  const RenderResult r = RenderApps(WithApp(apps, evil), allow);
  const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
  ASSERT_EQ(errors.size(), 1u) << r.text;
  EXPECT_THAT(errors[0], HasSubstr("acl host_shop_example_com_shop_10001 in frontend "
                                   "marathon_http_in is already declared by "
                                   "app /shop"));
  EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                  "shop.example.com"),
            "shop_10001");
}


// Review 12b (FINDING, high): under the default --label-policy restricted,
// a tenant's template override that lands in a shared frontend may carry
// http-request rules for any host. HAProxy runs every http-request rule of
// marathon_http_in before any use_backend, so the order of apps and weights
// does not matter. Attack: /zzz (sorts last) sets HAPROXY_0_HTTP_FRONTEND_ACL
// to its two template lines plus
// `http-request redirect location http://evil.example/ if { hdr(host) -i
// shop.example.com }` (braces doubled in the template text).
// Impact: every request for /shop's vhost is redirected to the attacker
// (phishing, credential capture); "no app takes another's traffic" does not
// hold for the default policy.
// Expected: an override's lines in a shared frontend may act only on the
// app's own vhosts (or http-request rules are refused there): /zzz's port is
// dropped and the redirect is not in the config.
TEST_F(GeneratedNamesTest, ReviewAnOverrideInASharedFrontendCannotRedirectAnotherVhost) {
  const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001}});
  const std::string json =
      WithApp(apps, OverrideAppJson(
                        "/zzz", "zzz.example.com", 10003,
                        "  http-request redirect location http://evil.example/ "
                        "if {{ hdr(host) -i shop.example.com }}"));
  const RenderResult r = RenderApps(json);
  EXPECT_EQ(ErrorsOf(r, "/zzz").size(), 1u);
  EXPECT_EQ(r.text.find("evil.example"), std::string::npos) << r.text;
}


// Review 12b (FINDING, high): the override form of the knock-out, for any
// app id that sorts before the victim's, under the default policy. Attack:
// /aaa adds `acl host_shop_example_com_shop hdr(host) -i aaa.example.com`
// (the name /shop will need, computable from its id and vhost) to its
// HAPROXY_0_HTTP_FRONTEND_ACL. /aaa declared it first, so it owns it.
// Impact: /shop's service port is dropped; /aaa loses nothing.
// Expected: an app may not declare, in a shared frontend, an ACL name that
// is generated for another app (or a tenant's own ACL names live in a
// namespace of their own, e.g. prefixed with the backend name); /shop keeps
// routing and /aaa's port is the one dropped.
TEST_F(GeneratedNamesTest, ReviewAnOverrideCannotReserveAnotherAppsAclName) {
  const std::string shop = AppsJson({{"/shop", "shop.example.com", 10002}});
  const std::string json =
      R"({"apps": [)" +
      OverrideAppJson("/aaa", "aaa.example.com", 10001,
                      "  acl host_shop_example_com_shop_10002 hdr(host) -i "
                      "aaa.example.com") +
      "," + shop.substr(std::string(R"({"apps": [)").size());
  // The name rule holds under every policy; under restricted the label is
  // refused before (its ACL names must end with its own port, _10001).
  for (const LabelPolicy policy :
       {LabelPolicy::kAllow, LabelPolicy::kRestricted}) {
    SCOPED_TRACE(std::string(LabelPolicyName(policy)));
    RenderOptions options;
    options.label_policy = policy;
    const RenderResult r = RenderApps(json, options);
    EXPECT_EQ(ErrorsOf(r, "/shop"), std::vector<std::string>{});
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "shop.example.com"),
              "shop_10002")
        << r.text;
    const std::vector<std::string> errors = ErrorsOf(r, "/aaa");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_EQ(errors[0],
              policy == LabelPolicy::kAllow
                  ? "app /aaa, service port index 0: acl "
                    "host_shop_example_com_shop_10002 in frontend "
                    "marathon_http_in ends with _10002, which names the ACLs "
                    "of app /shop's service port 10002; service port skipped"
                  : "app /aaa, service port index 0: label "
                    "HAPROXY_0_HTTP_FRONTEND_ACL refused by --label-policy "
                    "restricted: line 2 in frontend marathon_http_in "
                    "declares ACL 'host_shop_example_com_shop_10002': in a "
                    "frontend the apps share, the name of an ACL a label "
                    "declares ends with _10001 (its service port), e.g. "
                    "host_shop_example_com_shop_10002_10001, so that no "
                    "other app holds it (\"acl "
                    "host_shop_example_com_shop_10002 hdr(host) -i "
                    "aaa.example.com\"); service port skipped");
  }
}

// Under --label-policy restricted, a label's lines in a frontend the apps
// share act only on the app's own requests: each shape below (a foreign
// host, no condition, `unless`, a negated own ACL, an alternative without
// an own term, a matching flag or fetch that widens the match, a
// predefined ACL, an own-named ACL on paths only, an argument spelled "if"
// that leaves HAProxy no condition) drops /zzz's port with the label named,
// and /shop keeps its vhost. Under allow (1.15) they are taken as written.
TEST_F(GeneratedNamesTest, ALabelsLinesInASharedFrontendActOnlyOnItsOwnVhosts) {
  const std::string foreign = "{{ hdr(host) -i shop.example.com }}";
  const std::vector<std::pair<std::string, std::string>> shapes = {
      {"  http-request redirect location http://evil.example/ if " + foreign,
       "every alternative of its condition must test one of the app's "
       "vhosts or its app id"},
      {"  http-request deny", "a label's line in a frontend the apps share "
                              "is `acl`, or use_backend"},
      {"  http-request deny unless host_{cleanedUpHostname}",
       "a label's line in a frontend the apps share is `acl`"},
      {"  http-request deny if !host_{cleanedUpHostname}",
       "every alternative of its condition"},
      {"  http-request deny if ! host_{cleanedUpHostname}",
       "every alternative of its condition"},
      {"  http-request deny if host_{cleanedUpHostname} || " + foreign,
       "every alternative of its condition"},
      {"  http-request deny if host_{cleanedUpHostname} or " + foreign,
       "every alternative of its condition"},
      {"  http-request deny if {{ hdr(host) -m beg zzz }}",
       "every alternative of its condition"},
      {"  http-request deny if {{ hdr_dom(host) -i zzz.example.com }}",
       "every alternative of its condition"},
      {"  http-request deny if {{ hdr(host) }}",
       "every alternative of its condition"},
      {"  http-request deny if {{ hdr_end(host) -i example.com }}",
       "every alternative of its condition"},
      {"  http-request deny if {{ ssl_fc_sni -m end .example.com }}",
       "every alternative of its condition"},
      {"  http-request deny if TRUE",
       "`TRUE` is not an ACL the app declares in this frontend"},
      {"  use_backend {backend} if " + foreign,
       "every alternative of its condition"},
      {"  acl zzz_paths_10003 path_beg /\\n  http-request deny if "
       "zzz_paths_10003",
       "every alternative of its condition"},
      {"  http-request return status 200 content-type if string "
       "host_{cleanedUpHostname}",
       "a label's line in a frontend the apps share is `acl`"},
      // HAProxy reads a header named "if" with the value of the app's ACL
      // name, and the foreign condition.
      {"  http-request add-header if host_{cleanedUpHostname} if " + foreign,
       "every alternative of its condition"},
  };
  for (const auto& [line, why] : shapes) {
    SCOPED_TRACE(line);
    const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001}});
    const std::string json = WithApp(
        apps, OverrideAppJson("/zzz", "zzz.example.com", 10003, line));
    const RenderResult r = RenderApps(json);
    const std::vector<std::string> errors = ErrorsOf(r, "/zzz");
    ASSERT_EQ(errors.size(), 1u) << r.text;
    EXPECT_THAT(errors[0],
                HasSubstr("label HAPROXY_0_HTTP_FRONTEND_ACL refused by "
                          "--label-policy restricted: line "));
    EXPECT_THAT(errors[0],
                HasSubstr(" in frontend marathon_http_in is not limited to "
                          "the app's own vhosts or app id: "));
    EXPECT_THAT(errors[0], HasSubstr(why));
    EXPECT_EQ(r.text.find("zzz"), std::string::npos) << r.text;
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "shop.example.com"),
              "shop_10001");

    RenderOptions allow;
    allow.label_policy = LabelPolicy::kAllow;
    EXPECT_EQ(ErrorsOf(RenderApps(json, allow), "/zzz"),
              std::vector<std::string>{});
  }
}

// The forms marathon-lb's own templates use stay open to a label under
// restricted: rules conditioned on the app's host ACL (also next to a
// negated or a foreign term in the same alternative, or in every
// alternative), on its vhost written out, the auth and redirect lines of
// 1.15's templates; HAProxy accepts the config.
TEST_F(GeneratedNamesTest, ALabelsLinesOnItsOwnVhostsAreTaken) {
  for (const std::string& line : {
           std::string("  http-request set-header X-App zzz if "
                       "host_{cleanedUpHostname}"),
           std::string("  http-request deny if {{ hdr(host) -i "
                       "shop.example.com }} host_{cleanedUpHostname}"),
           std::string("  http-request deny if {{ hdr(host) -i "
                       "zzz.example.com }} || host_{cleanedUpHostname}"),
           std::string("  http-request deny deny_status 403 if "
                       "{{ req.hdr(host) -m str zzz.example.com }}"),
           // marathon-lb's documented wildcard: the vhost's subdomains.
           std::string("  http-request set-header X-Sub 1 if "
                       "{{ hdr_end(host) -i .zzz.example.com }}"),
           std::string("  redirect scheme https code 301 if !{{ ssl_fc }} "
                       "host_{cleanedUpHostname}"),
           std::string("  http-request redirect prefix /v2 code 302 if "
                       "host_{cleanedUpHostname} !{{ path_beg /v2 }}"),
           std::string("  acl zzz_auth_10003 http_auth(zzz_users)\\n"
                       "  http-request auth realm \\\"zzz\\\" if "
                       "host_{cleanedUpHostname} !zzz_auth_10003"),
       }) {
    SCOPED_TRACE(line);
    const std::string apps = AppsJson({{"/shop", "shop.example.com", 10001}});
    const std::string json = WithApp(
        apps, OverrideAppJson("/zzz", "zzz.example.com", 10003, line));
    const RenderResult r = RenderApps(json);
    EXPECT_EQ(r.errors, std::vector<std::string>{});
    EXPECT_EQ(Route(SectionLines(r.text, "frontend marathon_http_in"), "host",
                    "zzz.example.com"),
              "zzz_10003");
    if (line.find("http_auth") == std::string::npos) {
      EXPECT_EQ(HaproxyRefusal(r.text), "");
    }
  }
}

}  // namespace
}  // namespace mlb
