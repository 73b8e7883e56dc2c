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
  // The alphabet makes collisions common: the property was tested on both
  // sides.
  EXPECT_GT(dropped, 10);
  EXPECT_GT(routed, 400);
}

// The two shapes of the issue, with their exact errors: the app that sorts
// first keeps its routes, the other is dropped naming the ACL and the app.
TEST_F(GeneratedNamesTest, ACollidingAclNameDropsTheLaterServicePort) {
  const RenderResult r = RenderApps(AppsJson({{"/c/d", "a.b", 10001},
                                              {"/d", "a.b.c", 10002},
                                              {"/shop.v2", "", 10003},
                                              {"/shop/v2", "", 10004}}));
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /d, service port index 0: acl host_a_b_c_d in frontend "
                "marathon_http_in is already declared by app /c/d (HAProxy "
                "would merge the two, and one app would get the other's "
                "requests); service port skipped",
                "app /shop/v2, service port index 0: acl app__shop_v2 in "
                "frontend marathon_http_appid_in is already declared by app "
                "/shop.v2 (HAProxy would merge the two, and one app would get "
                "the other's requests); service port skipped"}));
  const std::vector<std::string> http =
      SectionLines(r.text, "frontend marathon_http_in");
  EXPECT_EQ(Route(http, "host", "a.b"), "c_d_10001");
  EXPECT_EQ(Route(http, "host", "a.b.c"), "");
  const std::vector<std::string> appid =
      SectionLines(r.text, "frontend marathon_http_appid_in");
  EXPECT_EQ(Route(appid, "x-marathon-app-id", "/shop.v2"), "shop.v2_10003");
  EXPECT_EQ(Route(appid, "x-marathon-app-id", "/shop/v2"), "");
  EXPECT_EQ(HaproxyRefusal(r.text), "");
}

}  // namespace
}  // namespace mlb
