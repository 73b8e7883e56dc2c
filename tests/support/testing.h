// Shared helpers for the unit tests: the built-in packs from the build tree,
// a resolver that needs no DNS, and a one-call render of a Marathon state.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/marathon/apps.h"
#include "core/render/plugin_registry.h"
#include "core/model/services.h"
#include "core/render/update_pipeline.h"

namespace mlb::testing {

// The build tree's plugins/ (set by tests/meson.build).
inline std::string PluginDir() {
  const char* dir = std::getenv("MLB_PLUGIN_DIR");
  return dir != nullptr ? dir : "plugins";
}

inline std::string SourceDir() {
  const char* dir = std::getenv("MLB_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Loads the five built-in packs; fails the test if any is refused.
inline void LoadBuiltinPacks(PluginRegistry* registry) {
  std::vector<std::string> refusals;
  Status s = registry->LoadDirectories({PluginDir()}, &refusals);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(refusals.empty()) << refusals.front();
}

// Test fixtures that share one registry of the built-in packs per suite.
// Base is ::testing::Test or ::testing::TestWithParam<T>.
template <typename Base = ::testing::Test>
class WithBuiltinPacks : public Base {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    LoadBuiltinPacks(registry_);
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  static inline PluginRegistry* registry_ = nullptr;
};

// The review pack (tests/test_packs/review_pack.cc), as built.
inline std::string ReviewPackPath() {
  const char* path = std::getenv("MLB_REVIEW_PACK");
  return path != nullptr ? path : "tests/review_pack.so";
}

// Test fixtures that share one registry of the built-in packs and the
// review pack per suite.
template <typename Base = ::testing::Test>
class WithReviewPack : public Base {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    LoadBuiltinPacks(registry_);
    const Status s = registry_->LoadFile(ReviewPackPath());
    ASSERT_TRUE(s.ok()) << s.message();
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  static inline PluginRegistry* registry_ = nullptr;
};

// The value a pack sees for its label `name` ("HAPROXY_{n}_STICKY"), or
// null when the app does not set it.
inline const sdk::LabelValue* PackLabelValue(const PortLabels& labels,
                                             const std::string& name) {
  for (const sdk::LabelValue& v : labels.values) {
    if (v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

// A JSON string literal of `s`.
inline std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Names from a table; dotted-quad names resolve to themselves; others fail.
class FakeResolver : public HostResolver {
 public:
  explicit FakeResolver(std::map<std::string, std::string> hosts = {})
      : hosts_(std::move(hosts)) {}
  std::optional<std::string> Resolve(const std::string& host) override {
    if (auto it = hosts_.find(host); it != hosts_.end()) {
      return it->second;
    }
    if (!host.empty() && host.find_first_not_of("0123456789.") ==
                             std::string::npos) {
      return host;
    }
    return std::nullopt;
  }

 private:
  std::map<std::string, std::string> hosts_;
};

struct RenderResult {
  Status status;
  std::string text;
  std::string maps;  // each map file: "# <name>\n" and its lines
  std::vector<std::string> errors;    // dropped service ports
  std::vector<std::string> warnings;  // dropped tasks, ignored labels
};

struct RenderOptions {
  std::vector<std::string> groups = {"external"};
  bool health_check = false;
  bool strict_mode = false;
  int auto_port_min = 10050;  // --min/--max-serv-port-ip-per-task
  int auto_port_max = 10100;
  bool bind_http_https = true;
  bool haproxy_map = false;  // --haproxy-map
  std::string server_state_file;  // --run-haproxy's <config>.state
  bool group_https_by_vhost = false;  // --group-https-by-vhost
  std::string admin_address;  // where HAProxy reaches the admin server
  std::vector<std::string> ssl_certs = {"/etc/ssl/cert.pem"};
  std::map<std::string, std::string> hosts;  // for FakeResolver
  LabelPolicy label_policy = LabelPolicy::kRestricted;
};

inline ServiceOptions ServiceOptionsOf(const RenderOptions& options) {
  ServiceOptions so;
  so.groups = options.groups;
  so.health_check = options.health_check;
  so.strict_mode = options.strict_mode;
  so.auto_port_min = options.auto_port_min;
  so.auto_port_max = options.auto_port_max;
  so.label_policy = options.label_policy;
  return so;
}

inline sdk::Config ConfigOf(const RenderOptions& options) {
  sdk::Config view;
  view.bind_http_https = options.bind_http_https;
  view.ssl_certs = options.ssl_certs;
  view.haproxy_dir = "/etc/haproxy";
  view.haproxy_map = options.haproxy_map;
  view.server_state_file = options.server_state_file;
  view.group_https_by_vhost = options.group_https_by_vhost;
  view.admin_address = options.admin_address;
  return view;
}

// The service ports of `apps`, in the order of the config, as an update
// builds them (ServiceBuilder, ConfigOrder), without rendering them.
struct BuiltServices {
  std::vector<Service> services;
  std::vector<std::string> errors;    // dropped service ports
  std::vector<std::string> warnings;  // dropped tasks, ignored labels
};
inline BuiltServices BuildServices(const PluginRegistry& registry,
                                   const std::vector<App>& apps,
                                   const ServiceOptions& options,
                                   HostResolver& resolver,
                                   HealthCache& cache) {
  BuiltServices out;
  std::vector<Service> all;
  ServiceBuilder builder(options, registry.labels(), registry.catalog(),
                         resolver, cache);
  for (const App& app : apps) {
    builder.Add(app, &all, &out.errors, &out.warnings);
  }
  std::vector<const Service*> pointers;
  for (const Service& s : all) {
    pointers.push_back(&s);
  }
  for (const size_t i : ConfigOrder(pointers, &out.errors)) {
    out.services.push_back(std::move(all[i]));
  }
  return out;
}

// BuildServices() of the Marathon state `json` for group "external", with
// a resolver that needs no DNS, a fresh health cache and
// `check_certificate` (none: certificate labels are not checked).
inline BuiltServices BuildServicesOf(
    const PluginRegistry& registry, const std::string& json,
    std::function<Status(const std::string&)> check_certificate = nullptr) {
  std::vector<App> apps;
  std::vector<std::string> warnings;
  EXPECT_TRUE(ParseApps(json, &apps, &warnings).ok());
  ServiceOptions options;
  options.groups = {"external"};
  options.check_certificate = std::move(check_certificate);
  FakeResolver resolver;
  HealthCache cache;
  return BuildServices(registry, apps, options, resolver, cache);
}

// Marathon JSON -> HAProxy config text, as the controller's update makes it
// (UpdatePipeline on `threads` threads).
inline RenderResult RenderWithThreads(const PluginRegistry& registry,
                                    const std::string& json, int threads,
                                    const RenderOptions& options = {},
                                    UpdateResult* out = nullptr) {
  const ServiceOptions so = ServiceOptionsOf(options);
  const sdk::Config view = ConfigOf(options);
  FakeResolver resolver(options.hosts);
  HealthCache cache;
  UpdatePipeline pipeline(registry, view, so, resolver, cache, threads);
  UpdateResult result;
  RenderResult r;
  r.status = pipeline.Run(
      [&](AppSink* sink, std::vector<std::string>* warnings) {
        return ParseApps(json, sink, warnings);
      },
      &result);
  r.warnings = result.parse_warnings;
  if (!r.status.ok()) {
    return r;
  }
  r.errors = result.errors;
  r.warnings.insert(r.warnings.end(), result.warnings.begin(),
                    result.warnings.end());
  r.status = result.generated;
  r.errors.insert(r.errors.end(), result.generation.errors.begin(),
                  result.generation.errors.end());
  r.text = result.generation.config.Text();
  for (const MapFile& map : result.generation.config.maps()) {
    r.maps += "# " + map.name + "\n" + map.Text();
  }
  if (out != nullptr) {
    *out = std::move(result);
  }
  return r;
}

// RenderWithThreads() on one thread, checking on the way that two threads
// give the same config, errors and warnings: every render test is an
// equivalence test of the pipeline too.
inline RenderResult Render(const PluginRegistry& registry,
                           const std::string& json,
                           const RenderOptions& options = {}) {
  RenderResult r = RenderWithThreads(registry, json, 1, options);
  const RenderResult two = RenderWithThreads(registry, json, 2, options);
  EXPECT_EQ(two.status.ok(), r.status.ok()) << "2 threads";
  EXPECT_EQ(two.status.message(), r.status.message()) << "2 threads";
  EXPECT_EQ(two.text, r.text) << "2 threads";
  EXPECT_EQ(two.maps, r.maps) << "2 threads";
  EXPECT_EQ(two.errors, r.errors) << "2 threads";
  EXPECT_EQ(two.warnings, r.warnings) << "2 threads";
  return r;
}

// The config without the HEAD template (everything before the first blank
// line), which most tests do not care about.
inline std::string WithoutHead(const std::string& text) {
  const size_t at = text.find("\n\n");
  return at == std::string::npos ? "" : text.substr(at + 1);
}

}  // namespace mlb::testing
