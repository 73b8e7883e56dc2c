// Loads template packs (.so files) and is the one place the core reaches
// template families through.
//
// Loading a pack, step by step, each step with its own refusal message
// ("plugin <path>: <reason>"):
//   1. inspect the ELF symbol table without running any of its code: a file
//      without an `mlb_plugin` symbol is not a marathon-lb pack;
//   2. dlopen it (RTLD_NOW | RTLD_LOCAL), so missing dependencies show now;
//   3. check the descriptor: ABI major equal and minor not newer than ours,
//      struct size, family and pack names, every template name and text;
//   4. compile every default template into the catalog;
//   5. only then call create_family.
// A refused pack is left out; the others still load. A second pack for a
// family already provided is refused naming both files. Packs are never
// unloaded: the registry keeps each library open for its own lifetime.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/template_catalog.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

class PluginRegistry {
 public:
  struct Pack {
    std::string path;
    std::string family;
    std::string pack;
    std::string version;
    std::string description;
    std::vector<std::string> templates;
    // Declared before `impl` so that the Family is destroyed first.
    boost::dll::shared_library library;
    std::unique_ptr<sdk::Family> impl;
  };

  PluginRegistry() = default;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every *.so in `dirs` (in order; names sorted within a dir).
  // Refusals go to *refusals. Fails only if no pack at all could be loaded.
  Status LoadDirectories(const std::vector<std::string>& dirs,
                         std::vector<std::string>* refusals);

  // Fails unless a pack is loaded for every family in `families`:
  //   "no template pack for family 'redirect' was loaded (expected
  //    mlb_redirect.so); marathon-lb needs one pack per family: backends, ..."
  Status RequireFamilies(const std::vector<std::string>& families) const;

  // Loads one file. On refusal returns "plugin <path>: <reason>".
  Status LoadFile(const std::string& path);

  // Packs in call order: sorted by family name.
  const std::vector<std::unique_ptr<Pack>>& packs() const { return packs_; }
  const Pack* FindFamily(const std::string& family) const;

  TemplateCatalog& catalog() { return catalog_; }
  const TemplateCatalog& catalog() const { return catalog_; }

 private:
  TemplateCatalog catalog_;
  std::vector<std::unique_ptr<Pack>> packs_;
};

// The families marathon-lb ships a pack for (from the build).
std::vector<std::string> BuiltinFamilies();

// The directory marathon-lb loads packs from without --plugin-dir: the build
// tree's plugins/ when the binary runs from a build tree, else the install
// directory.
std::string DefaultPluginDir();

}  // namespace mlb
