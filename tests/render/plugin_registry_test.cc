// Loading template packs: the six built-in packs from the build tree, and
// every kind of pack that must be refused, each with its exact reason.
#include "core/render/plugin_registry.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "tests/support/temp_dir.h"
#include "tests/support/testing.h"

namespace mlb {
namespace {

std::string Plugin(const std::string& family) {
  return testing::PluginDir() + "/mlb_" + family + ".so";
}

std::string BadPlugin(const std::string& name) {
  const char* dir = std::getenv("MLB_BAD_PLUGIN_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/" + name + ".so";
}

std::string EnvPath(const char* variable) {
  const char* path = std::getenv(variable);
  return path != nullptr ? path : variable;
}

// The example packs of plugins/examples/, as built.
std::string RateLimitPack() { return EnvPath("MLB_RATE_LIMIT_PACK"); }
std::string BackendsAltPack() { return EnvPath("MLB_BACKENDS_ALT_PACK"); }

std::string DirOf(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

TEST(PluginRegistryTest, LoadsTheSixBuiltinFamiliesFromTheBuildTree) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  std::vector<std::string> families;
  for (const auto& pack : registry.packs()) {
    families.push_back(pack->family);
    EXPECT_EQ(pack->pack, "io.mlb.builtin");
    EXPECT_EQ(pack->path, Plugin(pack->family));
    EXPECT_EQ(pack->dir, testing::PluginDir());
    EXPECT_EQ(pack->abi, "2.3");
    EXPECT_NE(pack->impl, nullptr);
  }
  EXPECT_TRUE(registry.unused().empty());
  EXPECT_TRUE(registry.refusals().empty());
  EXPECT_EQ(families, (std::vector<std::string>{"auth", "backends",
                                                "frontends", "health_checks",
                                                "redirect", "sticky"}));
}

TEST(PluginRegistryTest, EachFamilyOwnsItsTemplates) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const std::map<std::string, std::string> owners = {
      {"HEAD", "frontends"},
      {"HTTP_FRONTEND_HEAD", "frontends"},
      {"HTTP_FRONTEND_APPID_HEAD", "frontends"},
      {"HTTPS_FRONTEND_HEAD", "frontends"},
      {"FRONTEND_HEAD", "frontends"},
      {"FRONTEND_BACKEND_GLUE", "frontends"},
      {"HTTP_FRONTEND_ACL", "frontends"},
      {"HTTP_FRONTEND_ACL_ONLY", "frontends"},
      {"HTTP_FRONTEND_ROUTING_ONLY", "frontends"},
      {"HTTPS_FRONTEND_ACL", "frontends"},
      {"HTTP_FRONTEND_APPID_ACL", "frontends"},
      {"HTTP_FRONTEND_ACL_WITH_PATH", "frontends"},
      {"HTTP_FRONTEND_ACL_ONLY_WITH_PATH", "frontends"},
      {"HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH", "frontends"},
      {"HTTPS_FRONTEND_ACL_ONLY_WITH_PATH", "frontends"},
      {"HTTPS_FRONTEND_ACL_WITH_PATH", "frontends"},
      {"MAP_HTTP_FRONTEND_ACL", "frontends"},
      {"MAP_HTTP_FRONTEND_ACL_ONLY", "frontends"},
      {"MAP_HTTPS_FRONTEND_ACL", "frontends"},
      {"MAP_HTTP_FRONTEND_APPID_ACL", "frontends"},
      {"HTTPS_GROUPED_FRONTEND_HEAD", "frontends"},
      {"HTTPS_GROUPED_VHOST_FRONTEND_ACL", "frontends"},
      {"HTTPS_GROUPED_VHOST_BACKEND_HEAD", "frontends"},
      {"HTTPS_GROUPED_VHOST_FRONTEND_HEAD", "frontends"},
      {"GLOBAL_DEFAULT_OPTIONS", "frontends"},
      {"BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH", "redirect"},
      {"HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH", "auth"},
      {"HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH", "auth"},
      {"HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH", "auth"},
      {"HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH", "auth"},
      {"HTTPS_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH", "auth"},
      {"HTTPS_FRONTEND_AUTH_ACL_ONLY", "auth"},
      {"HTTPS_FRONTEND_AUTH_REQUEST_ONLY", "auth"},
      {"BACKEND_HEAD", "backends"},
      {"BACKEND_HTTP_OPTIONS", "backends"},
      {"BACKEND_SERVER_OPTIONS", "backends"},
      {"BACKEND_HSTS_OPTIONS", "backends"},
      {"HTTP_BACKEND_PROXYPASS_GLUE", "backends"},
      {"HTTP_BACKEND_REVPROXY_GLUE", "backends"},
      {"HTTP_BACKEND_REDIR", "backends"},
      {"HTTP_BACKEND_NETWORK_ALLOWED_ACL", "backends"},
      {"HTTP_BACKEND_ACL_ALLOW_DENY", "backends"},
      {"TCP_BACKEND_NETWORK_ALLOWED_ACL", "backends"},
      {"TCP_BACKEND_ACL_ALLOW_DENY", "backends"},
      {"BACKEND_HTTP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_TCP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_STICKY_OPTIONS", "sticky"},
      {"BACKEND_REDIRECT_HTTP_TO_HTTPS", "redirect"},
      {"USERLIST_HEAD", "auth"},
      {"HTTP_FRONTEND_ACL_WITH_AUTH", "auth"},
      {"HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH", "auth"},
      {"HTTPS_FRONTEND_ACL_WITH_AUTH", "auth"},
  };
  EXPECT_EQ(registry.catalog().entries().size(), owners.size());
  for (const auto& [name, family] : owners) {
    const TemplateCatalog::Entry* entry = registry.catalog().Find(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_EQ(entry->family, family) << name;
  }
  // marathon-lb's 14 per-port overridable templates of 2015, plus the two
  // multi-vhost ones, the four auth ones, the ten path ones, HSTS and the
  // two http glues of 1.15.
  int overridable = 0;
  for (const auto& [name, entry] : registry.catalog().entries()) {
    overridable += entry.overridable ? 1 : 0;
  }
  EXPECT_EQ(overridable, 33);
  EXPECT_TRUE(registry.catalog().Find("HEAD")->verbatim);
  EXPECT_FALSE(registry.catalog().Find("HEAD")->overridable);
}

struct Refusal {
  const char* plugin;
  const char* reason;
};

class RefusedPluginTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusedPluginTest, IsRefusedNamingFileAndReason) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const std::string path = BadPlugin(GetParam().plugin);
  Status s = registry.LoadFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "plugin " + path + ": " + GetParam().reason);
  EXPECT_EQ(registry.packs().size(), 6u);
  EXPECT_EQ(registry.catalog().Find("FINE_TEMPLATE"), nullptr);
  EXPECT_EQ(registry.labels().Find("HAPROXY_{n}_FINE_LABEL"), nullptr);
  ASSERT_EQ(registry.refusals().size(), 1u);
  EXPECT_EQ(registry.refusals()[0].path, path);
  EXPECT_EQ(registry.refusals()[0].reason, GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    BadPacks, RefusedPluginTest,
    ::testing::Values(
        Refusal{"bad_foreign",
                "not a marathon-lb template pack (no mlb_plugin symbol)"},
        Refusal{"bad_abi_major",
                "built for plugin ABI 3.3; this marathon-lb needs plugin ABI "
                "2.x: rebuild the pack with its mlb/plugin/sdk.h"},
        Refusal{"abi_1_1_pack",
                "built for plugin ABI 1.1; this marathon-lb needs plugin ABI "
                "2.x: rebuild the pack with its mlb/plugin/sdk.h"},
        Refusal{"bad_abi_minor",
                "built for plugin ABI 2.10, newer than this marathon-lb's 2.3"},
        Refusal{"bad_family_name", "family name must be [a-z0-9_]+"},
        Refusal{"bad_no_factory", "no create_family function"},
        Refusal{"bad_unclosed_template",
                "default template BAD_TEMPLATE: unclosed '{' at offset 14"},
        Refusal{"bad_unknown_placeholder",
                "default template BAD_TEMPLATE: unknown placeholder {backnd} "
                "(BAD_TEMPLATE supplies {backend})"},
        Refusal{"bad_duplicate_template",
                "template BACKEND_HEAD is already provided by pack "
                "io.mlb.builtin (family backends)"},
        Refusal{"bad_label_name",
                "label 'RATE_LIMIT' is not named HAPROXY_{n}_[A-Z0-9_]+ or "
                "HAPROXY_[A-Z0-9_]+"},
        Refusal{"bad_label_kind",
                "label HAPROXY_{n}_FINE_LABEL has no kind a pack may declare "
                "(kind 99)"},
        Refusal{"bad_section",
                "template BAD_TEMPLATE has an unknown section (42)"},
        Refusal{"bad_inline_section",
                "template BAD_TEMPLATE is inline, so it has no section"},
        Refusal{"bad_core_label",
                "label HAPROXY_{n}_VHOST is marathon-lb's own"},
        Refusal{"bad_label_is_template",
                "label HAPROXY_{n}_BACKEND_HEAD would override template "
                "BACKEND_HEAD of pack io.mlb.builtin (family backends)"},
        Refusal{"bad_short_descriptor",
                "descriptor is 80 bytes, ABI 2.3 needs at least 88"},
        Refusal{"bad_template_is_label",
                "template STICKY would take over label HAPROXY_{n}_STICKY of "
                "pack io.mlb.builtin (family sticky)"},
        Refusal{"bad_taken_label",
                "label HAPROXY_{n}_STICKY is already declared by pack "
                "io.mlb.builtin (family sticky)"}),
    [](const ::testing::TestParamInfo<Refusal>& info) {
      return std::string(info.param.plugin);
    });

TEST(PluginRegistryTest, SamePackTwiceForAFamilyIsRefusedNamingBoth) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const std::string path = Plugin("backends");
  Status s = registry.LoadFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "plugin " + path + ": family 'backends' is already "
                         "provided by " + path + " (pack io.mlb.builtin)");
  EXPECT_TRUE(registry.CheckChoices().ok());
}

// A pack label and a template of the same suffix meet whichever loads
// first: the second pack is refused, naming the first.
TEST(PluginRegistryTest, LabelAndTemplateMeetInEitherLoadOrder) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(BadPlugin("bad_label_is_template")).ok());
  std::vector<std::string> refusals;
  const Status s = registry.LoadDirectories({testing::PluginDir()}, &refusals);
  EXPECT_TRUE(s.ok()) << s.message();  // the other packs load
  EXPECT_EQ(refusals,
            (std::vector<std::string>{
                "plugin " + Plugin("backends") +
                ": template BACKEND_HEAD would take over label "
                "HAPROXY_{n}_BACKEND_HEAD of pack test.bad (family "
                "test_family)"}));
  EXPECT_EQ(registry.FindFamily("backends"), nullptr);
  EXPECT_EQ(registry.catalog().Find("BACKEND_HEAD"), nullptr);
  EXPECT_NE(registry.labels().Find("HAPROXY_{n}_BACKEND_HEAD"), nullptr);
}

// A directory of packs that each declare a name of a built-in pack, and a
// pack of a new family, listed before the built-in directory: whatever the
// order, each conflicting pack is refused alone, naming its file and the
// name; the built-in packs and the new one load and render.
class ConflictingPacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.File("packs");
    std::filesystem::create_directory(dir_);
    for (const char* bad : {"bad_duplicate_template", "bad_label_is_template",
                            "bad_taken_label", "bad_template_is_label"}) {
      std::filesystem::copy_file(BadPlugin(bad), dir_ + "/" + bad + ".so");
    }
  }

  std::string Refusal(const char* bad, const std::string& reason) const {
    return "plugin " + dir_ + "/" + bad + ".so: " + reason;
  }

  testing::TempDir tmp_;
  std::string dir_;
};

TEST_F(ConflictingPacksTest, AreRefusedAloneBeforeOrAfterTheBuiltinDir) {
  std::filesystem::copy_file(RateLimitPack(), dir_ + "/rate_limit.so");
  for (const auto& dirs :
       {std::vector<std::string>{dir_, testing::PluginDir()},
        std::vector<std::string>{testing::PluginDir(), dir_}}) {
    PluginRegistry registry;
    std::vector<std::string> refusals;
    const Status s = registry.LoadDirectories(dirs, &refusals);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(
        refusals,
        (std::vector<std::string>{
            Refusal("bad_duplicate_template",
                    "template BACKEND_HEAD is already provided by pack "
                    "io.mlb.builtin (family backends)"),
            Refusal("bad_label_is_template",
                    "label HAPROXY_{n}_BACKEND_HEAD would override template "
                    "BACKEND_HEAD of pack io.mlb.builtin (family backends)"),
            Refusal("bad_taken_label",
                    "label HAPROXY_{n}_STICKY is already declared by pack "
                    "io.mlb.builtin (family sticky)"),
            Refusal("bad_template_is_label",
                    "template STICKY would take over label HAPROXY_{n}_STICKY "
                    "of pack io.mlb.builtin (family sticky)")}));
    ASSERT_TRUE(registry.RequireFamilies(BuiltinFamilies()).ok());
    ASSERT_NE(registry.FindFamily("rate_limit"), nullptr);
    EXPECT_EQ(registry.catalog().Find("BACKEND_HEAD")->pack, "io.mlb.builtin");

    const testing::RenderResult r = testing::Render(
        registry,
        R"({"apps": [{"id": "/web", "labels": {"HAPROXY_GROUP": "external",
            "HAPROXY_0_MODE": "http", "HAPROXY_0_STICKY": "true",
            "HAPROXY_0_RATE_LIMIT": "5"}, "portDefinitions": [{"port":
            10000}], "tasks": [{"id": "web.1", "host": "10.0.0.1", "ports":
            [31000], "servicePorts": [10000], "state": "TASK_RUNNING"}]}]})");
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_NE(r.text.find("\nbackend web_10000\n"), std::string::npos)
        << r.text;
    EXPECT_NE(r.text.find("  cookie mesosphere_server_id insert indirect "
                          "nocache dynamic\n"),
              std::string::npos)
        << r.text;
    EXPECT_NE(r.text.find("sc_http_req_rate(0) gt 5"), std::string::npos)
        << r.text;
  }
}

// A pack chosen to replace a built-in family keeps the built-in pack's
// names (the documented override); a pack of another family that declares
// one of them is refused, naming the chosen pack.
TEST_F(ConflictingPacksTest, ChosenReplacementOfABuiltinFamilyStillLoads) {
  std::filesystem::copy_file(BackendsAltPack(), dir_ + "/backends_alt.so");
  PluginRegistry registry;
  registry.ChoosePack("backends", "com.example.backends_alt");
  std::vector<std::string> refusals;
  const Status s =
      registry.LoadDirectories({dir_, testing::PluginDir()}, &refusals);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_FALSE(refusals.empty());
  EXPECT_EQ(refusals[0], Refusal("bad_duplicate_template",
                                 "template BACKEND_HEAD is already provided by "
                                 "pack com.example.backends_alt (family "
                                 "backends)"));
  EXPECT_EQ(registry.FindFamily("backends")->pack, "com.example.backends_alt");
  EXPECT_TRUE(registry.RequireFamilies(BuiltinFamilies()).ok());
}

std::string ReviewPack(const std::string& name) {
  return BadPlugin(name);
}

// A pack that is loaded but not chosen declares nothing: its labels are not
// read (an app that sets one gets the warning of an unknown label), and
// they take no name from the chosen pack, in either load order.
TEST(PluginRegistryTest, LabelsOfAPackNotChosenAreNotDeclared) {
  for (const bool alt_first : {false, true}) {
    for (const char* chosen : {"test.review", "test.review_alt"}) {
      PluginRegistry registry;
      registry.ChoosePack("review", chosen);
      std::vector<std::string> files = {ReviewPack("review_pack"),
                                        ReviewPack("review_alt_pack")};
      if (alt_first) {
        std::swap(files[0], files[1]);
      }
      for (const std::string& file : files) {
        const Status s = registry.LoadFile(file);
        ASSERT_TRUE(s.ok()) << s.message();
      }
      ASSERT_TRUE(registry.CheckChoices().ok());
      const bool alt = std::string(chosen) == "test.review_alt";
      EXPECT_EQ(registry.labels().Find("HAPROXY_{n}_REVIEW_ALT_ONLY") !=
                    nullptr,
                alt)
          << chosen;
      const LabelSpec* shared = registry.labels().Find("HAPROXY_{n}_REVIEW_DO");
      ASSERT_NE(shared, nullptr);
      EXPECT_EQ(shared->pack, chosen);
      ASSERT_EQ(registry.unused().size(), 1u);
      EXPECT_EQ(registry.unused()[0]->impl, nullptr);
    }
  }
}

TEST(PluginRegistryTest, PackLabelsAreDeclaredInTheLabelTable) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  ASSERT_TRUE(registry.LoadFile(RateLimitPack()).ok());
  const PluginRegistry::Pack* pack = registry.FindFamily("rate_limit");
  ASSERT_NE(pack, nullptr);
  EXPECT_EQ(pack->abi, "2.3");
  ASSERT_EQ(pack->labels.size(), 1u);
  EXPECT_EQ(pack->labels[0].name, "HAPROXY_{n}_RATE_LIMIT");
  const LabelSpec* label = registry.labels().Find("HAPROXY_{n}_RATE_LIMIT");
  ASSERT_NE(label, nullptr);
  EXPECT_EQ(label->kind, LabelKind::kInteger);
  EXPECT_EQ(label->family, "rate_limit");
  EXPECT_EQ(label->pack, "com.example.rate_limit");
  EXPECT_EQ(pack->templates, (std::vector<std::string>{
                                 "BACKEND_RATE_LIMIT",
                                 "BACKEND_TCP_RATE_LIMIT"}));
}

// Two packs for one family, no --family-pack: an error naming both files and
// the flag, whichever order they load in.
TEST(PluginRegistryTest, TwoPacksForAFamilyNeedAChoice) {
  const std::string expected =
      "family 'backends' is provided by 2 packs: io.mlb.builtin 2.0.0 (" +
      Plugin("backends") + ") and com.example.backends_alt 1.0.0 (" +
      BackendsAltPack() +
      "); choose one with --family-pack backends=io.mlb.builtin or "
      "--family-pack backends=com.example.backends_alt";
  PluginRegistry registry;
  std::vector<std::string> refusals;
  Status s = registry.LoadDirectories(
      {testing::PluginDir(), DirOf(BackendsAltPack())}, &refusals);
  EXPECT_EQ(s.message(), expected);
  EXPECT_TRUE(refusals.empty());

  PluginRegistry by_file;
  ASSERT_TRUE(by_file.LoadFile(Plugin("backends")).ok());
  ASSERT_TRUE(by_file.LoadFile(BackendsAltPack()).ok());
  EXPECT_EQ(by_file.CheckChoices().message(), expected);
}

TEST(PluginRegistryTest, ChosenPackServesTheFamilyTheOtherIsNotChosen) {
  for (const bool alt_first : {false, true}) {
    PluginRegistry registry;
    registry.ChoosePack("backends", "com.example.backends_alt");
    std::vector<std::string> dirs = {testing::PluginDir(),
                                     DirOf(BackendsAltPack())};
    if (alt_first) {
      std::swap(dirs[0], dirs[1]);
    }
    std::vector<std::string> refusals;
    Status s = registry.LoadDirectories(dirs, &refusals);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(refusals.empty());
    const PluginRegistry::Pack* used = registry.FindFamily("backends");
    ASSERT_NE(used, nullptr);
    EXPECT_EQ(used->pack, "com.example.backends_alt");
    EXPECT_EQ(registry.catalog().Find("BACKEND_HEAD")->pack,
              "com.example.backends_alt");
    ASSERT_EQ(registry.unused().size(), 1u);
    EXPECT_EQ(registry.unused()[0]->path, Plugin("backends"));
    EXPECT_EQ(registry.unused()[0]->impl, nullptr);
    EXPECT_EQ(registry.packs().size(), 6u);
    EXPECT_TRUE(registry.RequireFamilies(BuiltinFamilies()).ok());

    const testing::RenderResult r = testing::Render(
        registry, R"({"apps": [{"id": "/web", "labels": {"HAPROXY_GROUP":
            "external"}, "portDefinitions": [{"port": 10000}], "tasks": [{"id":
            "web.1", "host": "10.0.0.1", "ports": [31000], "servicePorts":
            [10000], "state": "TASK_RUNNING"}]}]})");
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NE(r.text.find("\nbackend web_10000\n  balance leastconn\n  mode "
                          "tcp\n  server 10_0_0_1_31000 10.0.0.1:31000 id "),
              std::string::npos)
        << r.text;
  }
}

TEST(PluginRegistryTest, ChoosingTheBuiltinPackKeepsTheAltOneOut) {
  PluginRegistry registry;
  registry.ChoosePack("backends", "io.mlb.builtin");
  std::vector<std::string> refusals;
  Status s = registry.LoadDirectories(
      {DirOf(BackendsAltPack()), testing::PluginDir()}, &refusals);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(registry.FindFamily("backends")->path, Plugin("backends"));
  ASSERT_EQ(registry.unused().size(), 1u);
  EXPECT_EQ(registry.unused()[0]->pack, "com.example.backends_alt");
}

TEST(PluginRegistryTest, ChoiceOfAPackThatIsNotLoadedIsAnError) {
  PluginRegistry typo;
  typo.ChoosePack("backends", "com.typo");
  std::vector<std::string> refusals;
  EXPECT_EQ(typo.LoadDirectories({testing::PluginDir(),
                                  DirOf(BackendsAltPack())},
                                 &refusals)
                .message(),
            "--family-pack backends=com.typo: no loaded pack for family "
            "'backends' is named com.typo (loaded: io.mlb.builtin from " +
                Plugin("backends") + ", com.example.backends_alt from " +
                BackendsAltPack() + ")");

  PluginRegistry no_family;
  no_family.ChoosePack("rate_limit", "com.example.rate_limit");
  EXPECT_EQ(no_family.LoadDirectories({testing::PluginDir()}, &refusals)
                .message(),
            "--family-pack rate_limit=com.example.rate_limit: no template "
            "pack for family 'rate_limit' was loaded");

  // A choice for a family only one pack provides is fine if it names it.
  PluginRegistry single;
  single.ChoosePack("rate_limit", "com.example.rate_limit");
  ASSERT_TRUE(single.LoadDirectories({DirOf(RateLimitPack())}, &refusals)
                  .ok());
}

TEST(PluginRegistryTest, DescribeListsPacksInUseNotChosenAndRefused) {
  const std::string junk_dir = ::testing::TempDir() + "/describe_junk";
  ASSERT_EQ(system(("rm -rf " + junk_dir + " && mkdir -p " + junk_dir).c_str()),
            0);
  testing::WriteFile(junk_dir + "/junk.so", "not an ELF file\n");
  ASSERT_EQ(system(("cp " + BadPlugin("bad_abi_major") + " " + junk_dir)
                       .c_str()),
            0);
  PluginRegistry registry;
  registry.ChoosePack("backends", "com.example.backends_alt");
  std::vector<std::string> refusals;
  const std::string builtin = testing::PluginDir();
  const std::string alt = DirOf(BackendsAltPack());
  const std::string limit = DirOf(RateLimitPack());
  Status s = registry.LoadDirectories({builtin, alt, limit, junk_dir},
                                      &refusals);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(refusals.size(), 2u);
  const std::string junk_reason = refusals[1].substr(
      ("plugin " + junk_dir + "/junk.so: ").size());
  EXPECT_EQ(registry.Describe(false),
            "Template packs (plugin ABI 2.3):\n"
            "\n"
            "family auth: io.mlb.builtin 2.0.0, in use\n"
            "  about:     marathon-lb HTTP basic auth on the vhosts of a "
            "port\n"
            "  file:      " + builtin + "/mlb_auth.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: HTTPS_FRONTEND_ACL_WITH_AUTH "
            "HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH "
            "HTTPS_FRONTEND_AUTH_ACL_ONLY HTTPS_FRONTEND_AUTH_REQUEST_ONLY "
            "HTTPS_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH "
            "HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH "
            "HTTP_FRONTEND_ACL_WITH_AUTH HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH "
            "HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH "
            "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH USERLIST_HEAD\n"
            "  labels:    HAPROXY_{n}_AUTH\n"
            "\n"
            "family backends: com.example.backends_alt 1.0.0, in use\n"
            "  about:     example: backends balanced by least connections\n"
            "  file:      " + alt + "/backends_alt.so\n"
            "  found in:  --plugin-dir " + alt + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_HEAD BACKEND_HTTP_OPTIONS "
            "BACKEND_SERVER_OPTIONS\n"
            "  labels:    none\n"
            "\n"
            "family backends: io.mlb.builtin 2.0.0, not chosen (--family-pack "
            "backends=com.example.backends_alt)\n"
            "  about:     marathon-lb backends: head, balance, http "
            "options, allowed source networks, server lines\n"
            "  file:      " + builtin + "/mlb_backends.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_HEAD BACKEND_HSTS_OPTIONS "
            "BACKEND_HTTP_OPTIONS "
            "BACKEND_SERVER_OPTIONS HTTP_BACKEND_ACL_ALLOW_DENY "
            "HTTP_BACKEND_NETWORK_ALLOWED_ACL HTTP_BACKEND_PROXYPASS_GLUE "
            "HTTP_BACKEND_REDIR HTTP_BACKEND_REVPROXY_GLUE "
            "TCP_BACKEND_ACL_ALLOW_DENY TCP_BACKEND_NETWORK_ALLOWED_ACL\n"
            "  labels:    HAPROXY_{n}_USE_HSTS "
            "HAPROXY_{n}_HTTP_BACKEND_PROXYPASS_PATH "
            "HAPROXY_{n}_HTTP_BACKEND_REVPROXY_PATH "
            "HAPROXY_{n}_HTTP_BACKEND_REDIR HAPROXY_{n}_BALANCE "
            "HAPROXY_{n}_BACKEND_NETWORK_ALLOWED_ACL\n"
            "\n"
            "family frontends: io.mlb.builtin 2.0.0, in use\n"
            "  about:     marathon-lb frontends: :80 vhosts, :443 SNI, :9091 "
            "app id, one frontend per service port\n"
            "  file:      " + builtin + "/mlb_frontends.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: FRONTEND_BACKEND_GLUE FRONTEND_HEAD "
            "GLOBAL_DEFAULT_OPTIONS HEAD "
            "HTTPS_FRONTEND_ACL HTTPS_FRONTEND_ACL_ONLY_WITH_PATH "
            "HTTPS_FRONTEND_ACL_WITH_PATH HTTPS_FRONTEND_HEAD "
            "HTTPS_GROUPED_FRONTEND_HEAD HTTPS_GROUPED_VHOST_BACKEND_HEAD "
            "HTTPS_GROUPED_VHOST_FRONTEND_ACL HTTPS_GROUPED_VHOST_FRONTEND_HEAD "
            "HTTP_FRONTEND_ACL HTTP_FRONTEND_ACL_ONLY "
            "HTTP_FRONTEND_ACL_ONLY_WITH_PATH HTTP_FRONTEND_ACL_WITH_PATH "
            "HTTP_FRONTEND_APPID_ACL HTTP_FRONTEND_APPID_HEAD "
            "HTTP_FRONTEND_HEAD HTTP_FRONTEND_ROUTING_ONLY "
            "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH MAP_HTTPS_FRONTEND_ACL "
            "MAP_HTTP_FRONTEND_ACL MAP_HTTP_FRONTEND_ACL_ONLY "
            "MAP_HTTP_FRONTEND_APPID_ACL\n"
            "  labels:    HAPROXY_{n}_SSL_CERT HAPROXY_{n}_PATH "
            "HAPROXY_{n}_BIND_OPTIONS HAPROXY_{n}_BACKEND_WEIGHT\n"
            "\n"
            "family health_checks: io.mlb.builtin 2.0.0, in use\n"
            "  about:     marathon-lb health checks: httpchk and "
            "server check options\n"
            "  file:      " + builtin + "/mlb_health_checks.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_HTTP_HEALTHCHECK_OPTIONS "
            "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS "
            "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS "
            "BACKEND_TCP_HEALTHCHECK_OPTIONS\n"
            "  labels:    none\n"
            "\n"
            "family rate_limit: com.example.rate_limit 1.0.0, in use\n"
            "  about:     example: per-client-IP request rate limit "
            "from HAPROXY_{n}_RATE_LIMIT\n"
            "  file:      " + limit + "/rate_limit.so\n"
            "  found in:  --plugin-dir " + limit + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_RATE_LIMIT BACKEND_TCP_RATE_LIMIT\n"
            "  labels:    HAPROXY_{n}_RATE_LIMIT\n"
            "\n"
            "family redirect: io.mlb.builtin 2.0.0, in use\n"
            "  about:     marathon-lb HTTP to HTTPS redirects\n"
            "  file:      " + builtin + "/mlb_redirect.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_REDIRECT_HTTP_TO_HTTPS "
            "BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH\n"
            "  labels:    HAPROXY_{n}_REDIRECT_TO_HTTPS\n"
            "\n"
            "family sticky: io.mlb.builtin 2.0.0, in use\n"
            "  about:     marathon-lb sticky sessions: cookie insertion\n"
            "  file:      " + builtin + "/mlb_sticky.so\n"
            "  found in:  --plugin-dir " + builtin + "\n"
            "  ABI:       2.3\n"
            "  templates: BACKEND_STICKY_OPTIONS\n"
            "  labels:    HAPROXY_{n}_STICKY\n"
            "\n"
            "Refused files:\n"
            "  " + junk_dir + "/bad_abi_major.so: built for plugin ABI 3.3; "
            "this marathon-lb needs plugin ABI 2.x: rebuild the pack with its "
            "mlb/plugin/sdk.h\n"
            "  " + junk_dir + "/junk.so: " + junk_reason + "\n");
  EXPECT_EQ(junk_reason.rfind("not a readable shared object (", 0), 0u)
      << junk_reason;
  // Without --plugin-dir, the directory is the built-in default.
  EXPECT_NE(registry.Describe(true).find("  found in:  default plugin dir " +
                                         builtin + "\n"),
            std::string::npos);
}

TEST(PluginRegistryTest, FileThatIsNotASharedObjectIsRefused) {
  // Not straight in /tmp: a pack's own directory may not be world-writable.
  testing::TempDir tmp;
  const std::string path = tmp.File("junk.so");
  testing::WriteFile(path, "this is not an ELF file\n");
  PluginRegistry registry;
  Status s = registry.LoadFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("plugin " + path + ": not a readable shared "
                              "object (", 0),
            0u)
      << s.message();
}

TEST(PluginRegistryTest, DirectoryWithBadPackStillLoadsTheGoodOnes) {
  const std::string dir = ::testing::TempDir() + "/mixed_plugins";
  std::remove((dir + "/junk.so").c_str());
  ASSERT_EQ(system(("mkdir -p " + dir + " && cp " + Plugin("backends") + " " +
                    BadPlugin("bad_abi_major") + " " + dir)
                       .c_str()),
            0);
  PluginRegistry registry;
  std::vector<std::string> refusals;
  Status s = registry.LoadDirectories({dir}, &refusals);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(registry.packs().size(), 1u);
  EXPECT_EQ(registry.packs()[0]->family, "backends");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0], "plugin " + dir + "/bad_abi_major.so: built for "
                         "plugin ABI 3.3; this marathon-lb needs plugin ABI "
                         "2.x: rebuild the pack with its mlb/plugin/sdk.h");
}

TEST(PluginRegistryTest, EveryBuiltinFamilyIsRequired) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(Plugin("frontends")).ok());
  ASSERT_TRUE(registry.LoadFile(Plugin("backends")).ok());
  EXPECT_EQ(registry.RequireFamilies(BuiltinFamilies()).message(),
            "no template pack for family 'health_checks' was loaded (expected "
            "mlb_health_checks.so); marathon-lb needs one pack per family: "
            "frontends, backends, health_checks, sticky, redirect, auth");
  PluginRegistry full;
  testing::LoadBuiltinPacks(&full);
  EXPECT_TRUE(full.RequireFamilies(BuiltinFamilies()).ok());
}

TEST(PluginRegistryTest, NoPackAtAllIsAnError) {
  const std::string dir = ::testing::TempDir() + "/no_plugins";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  PluginRegistry registry;
  std::vector<std::string> refusals;
  Status s = registry.LoadDirectories({dir}, &refusals);
  EXPECT_EQ(s.message(), "no template packs could be loaded from " + dir);
}

// ---------------------------------------------------------------------------
// Review defects: descriptors the loader accepts today and should refuse.
// The exact reason is the lead's to choose; each must name the template or
// label at fault.

struct ShouldRefuse {
  const char* plugin;
  const char* names;  // what the reason must mention
};

class ShouldRefuseTest : public ::testing::TestWithParam<ShouldRefuse> {};

TEST_P(ShouldRefuseTest, IsRefusedNamingTheCulprit) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const Status s = registry.LoadFile(BadPlugin(GetParam().plugin));
  EXPECT_FALSE(s.ok()) << GetParam().plugin << " was accepted";
  EXPECT_NE(s.message().find(GetParam().names), std::string::npos)
      << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    ReviewDefects, ShouldRefuseTest,
    ::testing::Values(
        // An app-level label named like port 0's override of BACKEND_HEAD:
        // the app's HAPROXY_0_BACKEND_HEAD is then read both as a TEXT label
        // (a multi-line override is refused for its newline) and as the
        // override. The per-port form is refused (bad_label_is_template).
        ShouldRefuse{"bad_app_label_is_template", "HAPROXY_0_BACKEND_HEAD"},
        // An app-level label named like port 1's HAPROXY_{n}_VHOST: read
        // with the pack's kind as well as the core's.
        ShouldRefuse{"bad_app_label_is_core", "HAPROXY_1_VHOST"},
        // A template named like a core label's suffix: HAPROXY_0_PORT is
        // always the port, so the template can never be overridden.
        ShouldRefuse{"bad_template_is_core_label", "PORT"},
        // Neither inline nor in a section: Emitter::Add always fails on it
        // (kGlobal: the whole generation), and rendered into another
        // template, its line end is refused there.
        ShouldRefuse{"bad_sectionless", "BAD_TEMPLATE"},
        // `words` naming a placeholder the template does not have (a typo):
        // the one-word check of the health-check path silently goes away.
        ShouldRefuse{"bad_word_unknown", "healthCheckPth"},
        // empty_with naming no template: an app empties the head with a
        // label of that name, which nothing reads (a warning), and the
        // rest of the section joins the previous one.
        ShouldRefuse{"bad_empty_with_unknown", "NO_SUCH_TEMPLATE"},
        // empty_with naming a template no label may override: the app's
        // HAPROXY_0_BAD_BODY="" satisfies the check and is ignored (a
        // warning); BAD_BODY still renders, without its head.
        ShouldRefuse{"bad_empty_with_fixed", "BAD_BODY"}),
    [](const ::testing::TestParamInfo<ShouldRefuse>& info) {
      return std::string(info.param.plugin);
    });

}  // namespace
}  // namespace mlb
