// Loads template packs (.so files) and is the one place the core reaches
// template families through.
//
// Loading a pack, step by step, each step with its own refusal message
// ("plugin <path>: <reason>"):
//   1. judge the file before any of its code can run (pack_file.h: a
//      regular file, owned by root or marathon-lb's user and writable by no
//      one else, in directories that are too), then inspect its ELF symbol
//      table: a file without an `mlb_plugin` symbol is not a marathon-lb
//      pack;
//   2. dlopen it (RTLD_NOW | RTLD_LOCAL), so missing dependencies show now;
//   3. check the descriptor: ABI major equal and minor not newer than ours,
//      struct size, family and pack names, every template's name, text and
//      section, every label's name;
//   4. compile every default template, check every label's name and kind;
//   5. pick the pack for its family (below), merge its templates into the
//      catalog and its labels into the label table (no label may read as
//      an override of a template), and only then call create_family.
// A refused pack is left out; the others still load. LoadDirectories()
// takes steps 1 to 3 for every file first, then steps 4 and 5 for the packs
// of the built-in families before the others, so a pack that declares a
// name of a built-in family's pack is refused alone and cannot keep
// marathon-lb from starting.
//
// One pack serves a family. When several loaded packs provide one, the
// operator picks with --family-pack FAMILY=PACK (ChoosePack, before loading);
// the others are kept, unused, as "not chosen". Without a choice, loading
// them all is an error naming every file and the flag to use
// (CheckChoices). Two files of the same pack for a family: the second is
// refused. Packs are never unloaded: the registry keeps each library open
// for its own lifetime.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/model/labels.h"
#include "core/model/template_catalog.h"
#include "mlb/plugin/sdk.h"

namespace mlb {

class PluginRegistry {
 public:
  struct Pack {
    std::string path;
    std::string dir;  // the directory it was found in
    std::string family;
    std::string pack;
    std::string version;
    std::string description;
    std::string abi;  // "2.0": what the pack was built for
    uint32_t abi_minor = 0;  // of `abi`
    std::vector<std::string> templates;  // in the descriptor's order
    // The catalog's entries of `templates`: a template's id is its index.
    // Set when the pack is in use.
    std::vector<const TemplateCatalog::Entry*> entries;
    std::vector<LabelSpec> labels;
    // Declared before `impl` so that the Family is destroyed first.
    boost::dll::shared_library library;
    std::unique_ptr<sdk::Family> impl;  // null unless the pack is in use
    void* (*create_family)() = nullptr;  // the descriptor's
    const mlb_plugin_descriptor* descriptor = nullptr;  // in `library`
  };

  struct Refusal {
    std::string path;
    std::string reason;
  };

  PluginRegistry() = default;
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // --family-pack FAMILY=PACK: when several loaded packs provide `family`,
  // use the one named `pack`. Call before loading.
  void ChoosePack(const std::string& family, const std::string& pack);

  // Loads every *.so in `dirs` (in order; names sorted within a dir; the
  // packs of built-in families merged first). A directory that fails the
  // owner and mode checks of pack_file.h is refused whole. Refusals go to
  // *refusals ("plugin <path>: <reason>", "plugin directory <dir>:
  // <reason>; none of its packs is loaded") and to refusals().
  // Fails if no pack at all could be loaded, or as CheckChoices() does.
  Status LoadDirectories(const std::vector<std::string>& dirs,
                         std::vector<std::string>* refusals);

  // Fails, for the first family in name order, if several loaded packs
  // provide a family and no ChoosePack picked one:
  //   "family 'backends' is provided by 2 packs: io.mlb.builtin 1.0.0
  //    (A/mlb_backends.so) and com.example.backends_alt 1.0.0
  //    (B/backends_alt.so); choose one with --family-pack
  //    backends=io.mlb.builtin or --family-pack
  //    backends=com.example.backends_alt"
  // or if a choice names a pack that is not loaded:
  //   "--family-pack backends=com.typo: no loaded pack for family
  //    'backends' is named com.typo (loaded: io.mlb.builtin from
  //    A/mlb_backends.so, ...)"
  //   "--family-pack nosuch=x: no template pack for family 'nosuch' was
  //    loaded"
  Status CheckChoices() const;

  // Fails unless a pack is loaded for every family in `families`:
  //   "no template pack for family 'redirect' was loaded (expected
  //    mlb_redirect.so); marathon-lb needs one pack per family: backends, ..."
  Status RequireFamilies(const std::vector<std::string>& families) const;

  // Loads one file, found in `dir` (default: the file's directory). On
  // refusal returns "plugin <path>: <reason>". A pack that another pack of
  // its family keeps out (see above) loads fine and is not used.
  Status LoadFile(const std::string& path, const std::string& dir = "");

  // The packs in use, in call order: sorted by family name.
  const std::vector<std::unique_ptr<Pack>>& packs() const { return packs_; }
  // Loaded but not used: another pack serves their family (chosen with
  // ChoosePack, or contending with it when there is no choice).
  const std::vector<std::unique_ptr<Pack>>& unused() const { return unused_; }
  const std::vector<Refusal>& refusals() const { return refusals_; }
  const Pack* FindFamily(const std::string& family) const;

  // Another instance of every family in use, in packs() order, for a
  // rendering thread of its own (sdk.h: "Threads"). Fails, naming the pack,
  // if a create_family throws or returns null.
  Status NewFamilies(std::vector<std::unique_ptr<sdk::Family>>* out) const;

  // `marathon-lb plugins`: every pack in use and not chosen, with its file,
  // the directory it was found in, templates and labels; then the refused
  // files. `default_dir`: the directories are the built-in default, not
  // --plugin-dir.
  std::string Describe(bool default_dir) const;

  TemplateCatalog& catalog() { return catalog_; }
  const TemplateCatalog& catalog() const { return catalog_; }
  // The core's labels and those of the packs in use.
  const LabelTable& labels() const { return labels_; }

 private:
  // Steps 1 to 3 of loading (above) for one file: the pack, checked alone.
  Status Open(const std::string& path, const std::string& dir,
              std::unique_ptr<Pack>* out);
  // Steps 4 and 5: the pack among the others.
  Status Add(std::unique_ptr<Pack> pack);
  // Records a refusal and returns "plugin <path>: <reason>".
  Status Refuse(const std::string& path, const std::string& reason);

  TemplateCatalog catalog_;
  LabelTable labels_;
  std::map<std::string, std::string> choices_;  // family -> pack
  std::vector<std::unique_ptr<Pack>> packs_;
  std::vector<std::unique_ptr<Pack>> unused_;
  std::vector<Refusal> refusals_;
};

// The families marathon-lb ships a pack for (from the build).
std::vector<std::string> BuiltinFamilies();

// The directory marathon-lb loads packs from without --plugin-dir: the build
// tree's plugins/ when the binary runs from a build tree, else the install
// directory.
std::string DefaultPluginDir();

}  // namespace mlb
