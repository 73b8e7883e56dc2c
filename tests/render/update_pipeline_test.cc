// UpdatePipeline (core/render/update_pipeline.h) gives the same config,
// errors and warnings, byte for byte, whatever the threads and the order the
// apps come in. Every test of tests/ that renders through testing::Render()
// checks one thread against two on its own state; here are the states made
// to stress it: many apps in random order, services dropped at the commit,
// documents that fail or restart halfway, families and readers that throw.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>

#include "tests/support/testing.h"

namespace mlb {
namespace {

class UpdatePipelineTest : public testing::WithBuiltinPacks<> {
 protected:
  // The pipeline on `threads` threads gives what it gives on one.
  void ExpectSame(const std::string& json, int threads) {
    const testing::RenderResult one =
        testing::RenderWithThreads(*registry_, json, 1, options_);
    const testing::RenderResult many =
        testing::RenderWithThreads(*registry_, json, threads, options_);
    EXPECT_EQ(many.status.ok(), one.status.ok());
    EXPECT_EQ(many.status.message(), one.status.message());
    EXPECT_EQ(many.text, one.text);
    EXPECT_EQ(many.errors, one.errors);
    EXPECT_EQ(many.warnings, one.warnings);
  }

  testing::RenderOptions options_;
};

// One app with `ports` service ports, `tasks` tasks on agents 10.0.0.x.
std::string App(const std::string& id, const std::vector<int>& ports,
                int tasks, const std::string& labels) {
  std::string json = R"({"id": ")" + id + R"(", "labels": {)" + labels +
                     R"(}, "ports": [)";
  for (size_t i = 0; i < ports.size(); ++i) {
    json += (i ? ", " : "") + std::to_string(ports[i]);
  }
  json += R"(], "tasks": [)";
  for (int t = 0; t < tasks; ++t) {
    json += std::string(t ? ", " : "") + R"({"id": ")" + id.substr(1) + "." +
            std::to_string(t) + R"(", "host": "10.0.0.)" +
            std::to_string(1 + t % 7) + R"(", "state": "TASK_RUNNING", "ports": [)";
    for (size_t i = 0; i < ports.size(); ++i) {
      json += (i ? ", " : "") + std::to_string(31000 + 10 * t + int(i));
    }
    json += "]}";
  }
  return json + "]}";
}

std::string Document(const std::vector<std::string>& apps) {
  std::string json = R"({"apps": [)";
  for (size_t i = 0; i < apps.size(); ++i) {
    json += (i ? ", " : "") + apps[i];
  }
  return json + "]}";
}

// A random cluster: http and tcp apps, vhosts (some shared), several ports,
// groups, sticky, redirects, a few broken labels and port clashes, in a
// random order.
std::string RandomCluster(unsigned seed, int apps) {
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<std::string> out;
  for (int a = 0; a < apps; ++a) {
    const std::string id = "/team" + std::to_string(pick(5)) + "/app" +
                           std::to_string(a);
    std::vector<int> ports;
    const int count = 1 + pick(3);
    for (int p = 0; p < count; ++p) {
      ports.push_back(10000 + 3 * a + p);
    }
    std::string labels = pick(10) ? R"("HAPROXY_GROUP": "external")"
                                  : R"("HAPROXY_GROUP": "internal")";
    if (pick(2)) {
      labels += R"(, "HAPROXY_0_VHOST": "h)" + std::to_string(pick(apps)) +
                R"(.example.com")";
    }
    if (count > 1 && pick(2)) {
      labels += R"(, "HAPROXY_1_MODE": "http")";
    }
    if (pick(8) == 0) {
      labels += R"(, "HAPROXY_0_STICKY": "true")";
    }
    if (pick(8) == 0) {
      labels += R"(, "HAPROXY_0_REDIRECT_TO_HTTPS": "true")";
    }
    if (pick(15) == 0) {  // another app's Marathon port: dropped at commit
      labels += R"(, "HAPROXY_0_PORT": ")" +
                std::to_string(10000 + 3 * pick(apps)) + R"(")";
    }
    if (pick(20) == 0) {  // a template with an unknown placeholder
      labels += R"(, "HAPROXY_0_BACKEND_HEAD": "backend {nosuch}\n")";
    }
    out.push_back(App(id, ports, pick(6), labels));
  }
  std::shuffle(out.begin(), out.end(), rng);
  return Document(out);
}

TEST_F(UpdatePipelineTest, RandomClustersGiveOneConfigOnAnyThreads) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::string json = RandomCluster(seed, 150);
    for (const int threads : {2, 4}) {
      SCOPED_TRACE(std::to_string(threads) + " threads");
      ExpectSame(json, threads);
    }
  }
}

TEST_F(UpdatePipelineTest, AppsInReverseOrderGiveTheSortedConfig) {
  std::vector<std::string> apps;
  for (int a = 40; a > 0; --a) {
    apps.push_back(App("/app" + std::to_string(a), {10000 + a}, 2,
                       R"("HAPROXY_GROUP": "external")"));
  }
  const std::string json = Document(apps);
  ExpectSame(json, 2);
  const testing::RenderResult r = testing::RenderWithThreads(*registry_, json, 2);
  EXPECT_LT(r.text.find("\nbackend app1_10001\n"),
            r.text.find("\nbackend app2_10002\n"));
}

// The :9091 app-id rule goes to the first http port of the app
// (sdk::Service::first_http_port), here its second service port, the first
// being tcp. When that port is dropped at the commit (HAPROXY_1_PORT names
// the port Marathon gave /b), the app has no app-id rule until it is fixed:
// the error says why.
TEST_F(UpdatePipelineTest, AppIdRuleIsTheFirstHttpPorts) {
  const std::string fine = Document({App(
      "/a", {10001, 10002, 10003}, 1,
      R"("HAPROXY_GROUP": "external", "HAPROXY_1_MODE": "http",
         "HAPROXY_2_MODE": "http")")});
  const testing::RenderResult r = testing::Render(*registry_, fine);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_NE(r.text.find("  acl app__a_10002 hdr(x-marathon-app-id) -i /a\n"
                        "  use_backend a_10002 if app__a_10002\n"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(r.text.find("use_backend a_10003 if app__a"), std::string::npos);

  const std::string clash = Document(
      {App("/a", {10001, 10002, 10003}, 1,
           R"("HAPROXY_GROUP": "external", "HAPROXY_1_MODE": "http",
              "HAPROXY_2_MODE": "http", "HAPROXY_1_PORT": "9000")"),
       App("/b", {9000}, 1, R"("HAPROXY_GROUP": "external")")});
  ExpectSame(clash, 2);
  const testing::RenderResult dropped = testing::Render(*registry_, clash);
  EXPECT_EQ(dropped.errors,
            (std::vector<std::string>{
                "app /a, service port index 1: bind *:9000 in frontend "
                "a_9000 would take port 9000, which Marathon assigned to app "
                "/b, service port index 0; service port skipped"}));
  EXPECT_EQ(dropped.text.find("app__a"), std::string::npos) << dropped.text;
  EXPECT_NE(dropped.text.find("\nbackend a_10003\n"), std::string::npos);
}

TEST_F(UpdatePipelineTest, DuplicateBackendsAreDroppedAsInOrder) {
  // /a/b and /a_b share the backend name a_b_10001; /a's second port names
  // its first one's.
  const std::string json = Document(
      {App("/a_b", {10001}, 1, R"("HAPROXY_GROUP": "external")"),
       App("/a/b", {10001}, 1, R"("HAPROXY_GROUP": "external")"),
       App("/a", {10010, 10011}, 1,
           R"("HAPROXY_GROUP": "external", "HAPROXY_1_PORT": "10010")")});
  ExpectSame(json, 2);
  const testing::RenderResult r = testing::RenderWithThreads(*registry_, json, 2);
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "app /a, service port index 1: backend a_10010 is already "
                "used by app /a, service port index 0; service port skipped",
                "app /a_b, service port index 0: backend a_b_10001 is already "
                "used by app /a/b, service port index 0; service port "
                "skipped"}));
}

// /status vhost_conflicts: every vhost that service ports of more than one
// app name, with the apps in config order; one app naming a vhost on two
// ports is no conflict.
TEST_F(UpdatePipelineTest, VhostsThatSeveralAppsNameAreListed) {
  const std::string json = Document(
      {App("/shop", {10001}, 1,
           R"("HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "shop.test")"),
       App("/mallory", {10002}, 1,
           R"("HAPROXY_GROUP": "external",
              "HAPROXY_0_VHOST": "blog.test,shop.test")"),
       App("/blog", {10003, 10004}, 1,
           R"("HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "blog.test",
              "HAPROXY_1_VHOST": "own.test,OWN.test")"),
       App("/alone", {10005}, 1,
           R"("HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "own2.test")")});
  UpdateResult result;
  testing::RenderWithThreads(*registry_, json, 2, options_, &result);
  EXPECT_EQ(result.vhost_conflicts,
            (std::vector<std::string>{
                "vhost blog.test: app /blog (service port 10003), app "
                "/mallory (service port 10002)",
                "vhost shop.test: app /mallory (service port 10002), app "
                "/shop (service port 10001)"}));
}

TEST_F(UpdatePipelineTest, MalformedDocumentFailsAndKeepsNothing) {
  std::vector<std::string> apps;
  for (int a = 0; a < 200; ++a) {
    apps.push_back(App("/app" + std::to_string(a), {10000 + a}, 1,
                       R"("HAPROXY_GROUP": "external")"));
  }
  std::string json = Document(apps);
  json.insert(json.size() - 40, "\x01");  // a control byte in the last app
  ExpectSame(json, 2);
  const testing::RenderResult r = testing::RenderWithThreads(*registry_, json, 2);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message().rfind("Marathon JSON: ", 0), 0u)
      << r.status.message();
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.text.empty());
}

TEST_F(UpdatePipelineTest, ALaterAppsMemberReplacesTheFirst) {
  const std::string first =
      App("/first", {10001}, 1, R"("HAPROXY_GROUP": "external")");
  const std::string second =
      App("/second", {10002}, 1, R"("HAPROXY_GROUP": "external")");
  const std::string json =
      R"({"apps": [)" + first + R"(], "apps": [)" + second + "]}";
  ExpectSame(json, 2);
  const testing::RenderResult r = testing::RenderWithThreads(*registry_, json, 2);
  EXPECT_EQ(r.text.find("first"), std::string::npos);
  EXPECT_NE(r.text.find("\nbackend second_10002\n"), std::string::npos);
}

// A reader that starts again (MarathonClient retrying another Marathon
// after a broken body) clears what it gave before.
TEST_F(UpdatePipelineTest, ReaderThatStartsAgainKeepsOnlyTheSecondRead) {
  std::vector<std::string> broken;
  for (int a = 0; a < 100; ++a) {
    broken.push_back(App("/broken" + std::to_string(a), {20000 + a}, 1,
                         R"("HAPROXY_GROUP": "external")"));
  }
  const std::string good = Document(
      {App("/good", {10001}, 2, R"("HAPROXY_GROUP": "external")")});
  testing::FakeResolver resolver;
  HealthCache cache;
  ServiceOptions so;
  so.groups = {"external"};
  sdk::Config view;
  view.ssl_certs = {"/etc/ssl/cert.pem"};
  UpdatePipeline pipeline(*registry_, view, so, resolver, cache, 2);
  UpdateResult result;
  const Status s = pipeline.Run(
      [&](AppSink* sink, std::vector<std::string>* warnings) {
        EXPECT_TRUE(ParseApps(Document(broken), sink, warnings).ok());
        sink->Clear();
        return ParseApps(good, sink, warnings);
      },
      &result);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(result.generated.ok());
  EXPECT_EQ(result.apps, 1u);
  const std::string text = result.generation.config.Text();
  EXPECT_EQ(text.find("broken"), std::string::npos);
  EXPECT_EQ(text, testing::RenderWithThreads(*registry_, good, 1).text);
}

// A family that throws (a pack bug) fails the whole generation, whichever
// thread rendered the app; each thread renders with instances of its own.
TEST_F(UpdatePipelineTest, FamilyThatThrowsFailsTheGenerationOnAnyThread) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const char* dir = std::getenv("MLB_BAD_PLUGIN_DIR");
  const std::string pack =
      std::string(dir != nullptr ? dir : ".") + "/throwing_pack.so";
  const Status loaded = registry.LoadFile(pack);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  std::vector<std::string> apps;
  for (int a = 0; a < 300; ++a) {
    apps.push_back(App("/app" + std::to_string(a), {10000 + a}, 1,
                       R"("HAPROXY_GROUP": "external")"));
  }
  const testing::RenderResult fine =
      testing::RenderWithThreads(registry, Document(apps), 2);
  ASSERT_TRUE(fine.status.ok()) << fine.status.message();
  // Every service went through an instance of the pack: the registry's
  // (created first) on the calling thread, or the worker's own. Which
  // thread gets which app depends on timing.
  size_t rendered = 0;
  for (size_t at = fine.text.find("  # instance "); at != std::string::npos;
       at = fine.text.find("  # instance ", at + 1)) {
    ++rendered;
  }
  EXPECT_EQ(rendered, 300u);
  // A rendering thread's families are instances of their own.
  std::vector<std::unique_ptr<sdk::Family>> first;
  std::vector<std::unique_ptr<sdk::Family>> second;
  ASSERT_TRUE(registry.NewFamilies(&first).ok());
  ASSERT_TRUE(registry.NewFamilies(&second).ok());
  ASSERT_EQ(first.size(), registry.packs().size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_NE(first[i].get(), second[i].get());
    EXPECT_NE(first[i].get(), registry.packs()[i]->impl.get());
  }

  for (const size_t at : {size_t{0}, size_t{150}, size_t{299}}) {
    std::vector<std::string> with_boom = apps;
    with_boom[at] = App("/boom", {20000}, 1, R"("HAPROXY_GROUP": "external")");
    const std::string json = Document(with_boom);
    for (const int threads : {1, 2, 4}) {
      const testing::RenderResult r =
          testing::RenderWithThreads(registry, json, threads);
      ASSERT_FALSE(r.status.ok());
      EXPECT_EQ(r.status.message(),
                "template family throwing (" + pack + ") threw: boom");
    }
  }
}

// An exception from the reader (a broken connection the client did not
// catch) leaves Run() once the workers are stopped, as it left the update
// before.
TEST_F(UpdatePipelineTest, ReaderExceptionIsRethrownAfterTheWorkersStop) {
  std::vector<std::string> apps;
  for (int a = 0; a < 200; ++a) {
    apps.push_back(App("/app" + std::to_string(a), {10000 + a}, 3,
                       R"("HAPROXY_GROUP": "external")"));
  }
  const std::string json = Document(apps);
  testing::FakeResolver resolver;
  HealthCache cache;
  ServiceOptions so;
  so.groups = {"external"};
  sdk::Config view;
  UpdatePipeline pipeline(*registry_, view, so, resolver, cache, 2);
  UpdateResult result;
  EXPECT_THROW(pipeline.Run(
                   [&](AppSink* sink, std::vector<std::string>* warnings) {
                     EXPECT_TRUE(ParseApps(json, sink, warnings).ok());
                     throw std::runtime_error("connection reset");
                     return Status::OK();
                   },
                   &result),
               std::runtime_error);
}

// A resolver that throws for one agent: an exception that is no family's,
// raised on whichever thread builds that app.
class ThrowingResolver : public HostResolver {
 public:
  std::optional<std::string> Resolve(const std::string& host) override {
    if (host == "bad.agent") {
      throw std::runtime_error("resolver broke");
    }
    return host;
  }
};

TEST_F(UpdatePipelineTest, ExceptionWhileBuildingIsRethrownNotFatal) {
  std::vector<std::string> apps;
  for (int a = 0; a < 300; ++a) {
    apps.push_back(App("/app" + std::to_string(a), {10000 + a}, 2,
                       R"("HAPROXY_GROUP": "external")"));
  }
  const std::string bad =
      R"({"id": "/bad", "labels": {"HAPROXY_GROUP": "external"},
          "ports": [20000], "tasks": [{"id": "bad.1", "host": "bad.agent",
          "state": "TASK_RUNNING", "ports": [31000]}]})";
  for (const size_t at : {size_t{0}, size_t{150}, size_t{299}}) {
    std::vector<std::string> with_bad = apps;
    with_bad[at] = bad;
    const std::string json = Document(with_bad);
    for (const int threads : {1, 2, 4}) {
      ThrowingResolver resolver;
      HealthCache cache;
      ServiceOptions so;
      so.groups = {"external"};
      sdk::Config view;
      UpdatePipeline pipeline(*registry_, view, so, resolver, cache, threads);
      UpdateResult result;
      EXPECT_THROW(pipeline.Run(
                       [&](AppSink* sink, std::vector<std::string>* warnings) {
                         return ParseApps(json, sink, warnings);
                       },
                       &result),
                   std::runtime_error)
          << "app " << at << ", " << threads << " threads";
    }
  }
}

TEST_F(UpdatePipelineTest, DefaultThreadsAreTheCoresUpToFour) {
  const int threads = UpdatePipeline::DefaultThreads();
  EXPECT_GE(threads, 1);
  EXPECT_LE(threads, 4);
}

}  // namespace
}  // namespace mlb
