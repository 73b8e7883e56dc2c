// Loading template packs: the five built-in packs from the build tree, and
// every kind of pack that must be refused, each with its exact reason.
#include "core/plugin_registry.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/testing.h"

namespace mlb {
namespace {

std::string Plugin(const std::string& family) {
  return testing::PluginDir() + "/mlb_" + family + ".so";
}

std::string BadPlugin(const std::string& name) {
  const char* dir = std::getenv("MLB_BAD_PLUGIN_DIR");
  return std::string(dir != nullptr ? dir : ".") + "/" + name + ".so";
}

TEST(PluginRegistryTest, LoadsTheFiveBuiltinFamiliesFromTheBuildTree) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  std::vector<std::string> families;
  for (const auto& pack : registry.packs()) {
    families.push_back(pack->family);
    EXPECT_EQ(pack->pack, "io.mlb.builtin");
    EXPECT_EQ(pack->path, Plugin(pack->family));
    EXPECT_NE(pack->impl, nullptr);
  }
  EXPECT_EQ(families, (std::vector<std::string>{"backends", "frontends",
                                                "health_checks", "redirect",
                                                "sticky"}));
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
      {"BACKEND_HEAD", "backends"},
      {"BACKEND_HTTP_OPTIONS", "backends"},
      {"BACKEND_SERVER_OPTIONS", "backends"},
      {"BACKEND_HTTP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_TCP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS", "health_checks"},
      {"BACKEND_STICKY_OPTIONS", "sticky"},
      {"BACKEND_REDIRECT_HTTP_TO_HTTPS", "redirect"},
  };
  EXPECT_EQ(registry.catalog().entries().size(), owners.size());
  for (const auto& [name, family] : owners) {
    const TemplateCatalog::Entry* entry = registry.catalog().Find(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_EQ(entry->family, family) << name;
  }
  // marathon-lb's 14 per-port overridable templates of 2015, plus the two
  // multi-vhost ones of 1.15.
  int overridable = 0;
  for (const auto& [name, entry] : registry.catalog().entries()) {
    overridable += entry.overridable ? 1 : 0;
  }
  EXPECT_EQ(overridable, 16);
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
  EXPECT_EQ(registry.packs().size(), 5u);
  EXPECT_EQ(registry.catalog().Find("FINE_TEMPLATE"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    BadPacks, RefusedPluginTest,
    ::testing::Values(
        Refusal{"bad_foreign",
                "not a marathon-lb template pack (no mlb_plugin symbol)"},
        Refusal{"bad_abi_major",
                "built for plugin ABI 2.0, this marathon-lb supports 1.x"},
        Refusal{"bad_abi_minor",
                "built for plugin ABI 1.7, newer than this marathon-lb's 1.0"},
        Refusal{"bad_family_name", "family name must be [a-z0-9_]+"},
        Refusal{"bad_no_factory", "no create_family function"},
        Refusal{"bad_unclosed_template",
                "default template BAD_TEMPLATE: unclosed '{' at offset 14"},
        Refusal{"bad_unknown_placeholder",
                "default template BAD_TEMPLATE: unknown placeholder {backnd} "
                "(BAD_TEMPLATE supplies {backend})"},
        Refusal{"bad_duplicate_template",
                "template BACKEND_HEAD is already provided by pack "
                "io.mlb.builtin (family backends)"}),
    [](const ::testing::TestParamInfo<Refusal>& info) {
      return std::string(info.param.plugin);
    });

TEST(PluginRegistryTest, SecondPackForAFamilyIsRefusedNamingBoth) {
  PluginRegistry registry;
  testing::LoadBuiltinPacks(&registry);
  const std::string path = Plugin("backends");
  Status s = registry.LoadFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "plugin " + path + ": family 'backends' is already "
                         "provided by " + path + " (pack io.mlb.builtin)");
}

TEST(PluginRegistryTest, FileThatIsNotASharedObjectIsRefused) {
  const std::string path = ::testing::TempDir() + "/junk.so";
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
                         "plugin ABI 2.0, this marathon-lb supports 1.x");
}

TEST(PluginRegistryTest, EveryBuiltinFamilyIsRequired) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(Plugin("frontends")).ok());
  ASSERT_TRUE(registry.LoadFile(Plugin("backends")).ok());
  EXPECT_EQ(registry.RequireFamilies(BuiltinFamilies()).message(),
            "no template pack for family 'health_checks' was loaded (expected "
            "mlb_health_checks.so); marathon-lb needs one pack per family: "
            "frontends, backends, health_checks, sticky, redirect");
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

}  // namespace
}  // namespace mlb
