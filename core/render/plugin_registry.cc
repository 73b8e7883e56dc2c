#include "core/render/plugin_registry.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>

#include "core/base/utf8.h"
#include "core/render/pack_file.h"

#ifndef MLB_BUILTIN_FAMILIES
#define MLB_BUILTIN_FAMILIES "frontends,backends,health_checks,sticky,redirect"
#endif

#ifndef MLB_PLUGIN_INSTALL_DIR
#define MLB_PLUGIN_INSTALL_DIR "/usr/local/lib/marathon-lb/plugins"
#endif

namespace mlb {
namespace {

// ABI 2.0's descriptor ends after create_family.
constexpr uint32_t kDescriptorSize2_0 =
    offsetof(mlb_plugin_descriptor, create_family) + sizeof(void*);

bool IsName(const char* s, bool upper) {
  if (s == nullptr || *s == '\0') {
    return false;
  }
  for (const char* p = s; *p != '\0'; ++p) {
    const char c = *p;
    const bool letter = upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
    if (!letter && !(c >= '0' && c <= '9') && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsPrintable(const char* s) {
  if (s == nullptr || *s == '\0') {
    return false;
  }
  for (const char* p = s; *p != '\0'; ++p) {
    if (static_cast<unsigned char>(*p) < 0x20 || *p == 0x7f) {
      return false;
    }
  }
  return true;
}

std::string AbiText(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Only the first three fields are read before the version is known to be
// ours.
Status CheckDescriptor(const mlb_plugin_descriptor& d) {
  if (d.abi_major != MLB_PLUGIN_ABI_MAJOR) {
    return Status::Error("built for plugin ABI " +
                         AbiText(d.abi_major, d.abi_minor) +
                         "; this marathon-lb needs plugin ABI " +
                         std::to_string(MLB_PLUGIN_ABI_MAJOR) +
                         ".x: rebuild the pack with its mlb/plugin/sdk.h");
  }
  if (d.abi_minor > MLB_PLUGIN_ABI_MINOR) {
    return Status::Error("built for plugin ABI " +
                         AbiText(d.abi_major, d.abi_minor) +
                         ", newer than this marathon-lb's " +
                         AbiText(MLB_PLUGIN_ABI_MAJOR, MLB_PLUGIN_ABI_MINOR));
  }
  if (d.struct_size < kDescriptorSize2_0) {
    return Status::Error("descriptor is " + std::to_string(d.struct_size) +
                         " bytes, ABI " + AbiText(d.abi_major, d.abi_minor) +
                         " needs at least " +
                         std::to_string(kDescriptorSize2_0));
  }
  if (!IsName(d.family, false)) {
    return Status::Error("family name must be [a-z0-9_]+");
  }
  if (!IsPrintable(d.pack) || !IsPrintable(d.pack_version)) {
    return Status::Error("pack name and version must be non-empty and printable");
  }
  if (d.template_count > 0 && d.templates == nullptr) {
    return Status::Error("declares templates but has no template table");
  }
  for (uint32_t i = 0; i < d.template_count; ++i) {
    const mlb_template_def& t = d.templates[i];
    if (!IsName(t.name, true)) {
      return Status::Error("template #" + std::to_string(i) +
                           " has no valid name ([A-Z0-9_]+)");
    }
    if (t.text == nullptr) {
      return Status::Error(std::string("template ") + t.name + " has no text");
    }
    if (t.section > MLB_SECTION_NAMED ||
        (t.section == MLB_SECTION_NAMED && d.abi_minor < 2)) {  // 2.2's
      return Status::Error(std::string("template ") + t.name +
                           " has an unknown section (" +
                           std::to_string(t.section) + ")");
    }
    if ((t.flags & MLB_TEMPLATE_INLINE) != 0 && t.section != MLB_SECTION_NONE) {
      return Status::Error(std::string("template ") + t.name +
                           " is inline, so it has no section");
    }
    if ((t.flags & MLB_TEMPLATE_INLINE) == 0 && t.section == MLB_SECTION_NONE) {
      return Status::Error(std::string("template ") + t.name +
                           " has no section: only an inline template is "
                           "rendered into a placeholder value");
    }
  }
  if (d.label_count > 0 && d.labels == nullptr) {
    return Status::Error("declares labels but has no label table");
  }
  for (uint32_t i = 0; i < d.label_count; ++i) {
    if (!IsPrintable(d.labels[i].name)) {
      return Status::Error("label #" + std::to_string(i) + " has no name");
    }
  }
  if (d.create_family == nullptr) {
    return Status::Error("no create_family function");
  }
  return Status::OK();
}

// Whether a pack's label HAPROXY_{n}_<SUFFIX> and an overridable template
// <SUFFIX> meet (the label would read as an override of the template),
// naming both. A template no label may override leaves the name to the
// label (marathon-lb 1.15 has such a pair: a label and a template of one
// name, the template not overridable).
Status CheckLabelsAndTemplates(const LabelTable& labels,
                               const TemplateCatalog& catalog,
                               const std::string& new_pack) {
  constexpr std::string_view kPerPort = "HAPROXY_{n}_";
  for (const LabelSpec& label : labels.labels()) {
    if (label.kind == LabelKind::kTemplate ||
        label.name.compare(0, kPerPort.size(), kPerPort) != 0) {
      continue;
    }
    const TemplateCatalog::Entry* entry =
        catalog.Find(std::string_view(label.name).substr(kPerPort.size()));
    if (entry == nullptr || !entry->overridable) {
      continue;
    }
    if (label.pack == new_pack) {
      return Status::Error("label " + label.name + " would override template " +
                           entry->name + " of pack " + entry->pack +
                           " (family " + entry->family + ")");
    }
    return Status::Error(
        "template " + entry->name + " would take over label " + label.name +
        (label.family.empty() ? std::string(" of marathon-lb")
                              : " of pack " + label.pack + " (family " +
                                    label.family + ")"));
  }
  return Status::OK();
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

void PluginRegistry::ChoosePack(const std::string& family,
                                const std::string& pack) {
  choices_[family] = pack;
}

Status PluginRegistry::LoadFile(const std::string& path,
                                const std::string& dir) {
  std::unique_ptr<Pack> pack;
  MLB_RETURN_IF_ERROR(Open(path, dir, &pack));
  return Add(std::move(pack));
}

Status PluginRegistry::Refuse(const std::string& path,
                              const std::string& reason) {
  refusals_.push_back({path, reason});
  return Status::Error("plugin " + path, reason);
}

Status PluginRegistry::Open(const std::string& path, const std::string& dir,
                            std::unique_ptr<Pack>* out) {
  // 1. Judge the file, then inspect it without running anything.
  std::string real_path;
  if (Status s = CheckPackFile(path, &real_path); !s.ok()) {
    return Refuse(path, s.message());
  }
  try {
    boost::dll::library_info info(real_path);
    const std::vector<std::string> symbols = info.symbols();
    if (std::find(symbols.begin(), symbols.end(), "mlb_plugin") ==
        symbols.end()) {
      return Refuse(path,
                    "not a marathon-lb template pack (no mlb_plugin symbol)");
    }
  } catch (const std::exception& e) {
    return Refuse(path, std::string("not a readable shared object (") +
                            e.what() + ")");
  }
  // 2. Load.
  auto pack = std::make_unique<Pack>();
  pack->path = path;
  pack->dir = !dir.empty() ? dir
              : path.rfind('/') == std::string::npos
                  ? "."
                  : path.substr(0, path.rfind('/'));
  boost::dll::fs::error_code ec;
  pack->library.load(real_path, ec,
                     boost::dll::load_mode::rtld_now |
                         boost::dll::load_mode::rtld_local);
  if (ec) {
    return Refuse(path, "cannot be loaded: " + ec.message());
  }
  if (!pack->library.has("mlb_plugin")) {
    return Refuse(path, "mlb_plugin symbol not found after loading");
  }
  // 3. Check the descriptor.
  const auto& d = pack->library.get<const mlb_plugin_descriptor>("mlb_plugin");
  if (Status s = CheckDescriptor(d); !s.ok()) {
    return Refuse(path, s.message());
  }
  pack->descriptor = &d;
  pack->family = d.family;
  pack->pack = d.pack;
  pack->version = d.pack_version;
  pack->description = d.description != nullptr ? d.description : "";
  pack->abi = std::to_string(d.abi_major) + "." + std::to_string(d.abi_minor);
  pack->abi_minor = d.abi_minor;
  *out = std::move(pack);
  return Status::OK();
}

Status PluginRegistry::Add(std::unique_ptr<Pack> pack) {
  const std::string path = pack->path;
  const auto refuse = [this, &path](const std::string& reason) {
    return Refuse(path, reason);
  };
  const mlb_plugin_descriptor& d = *pack->descriptor;
  for (const auto* list : {&packs_, &unused_}) {
    for (const auto& other : *list) {
      if (other->family == pack->family && other->pack == pack->pack) {
        return refuse("family '" + pack->family + "' is already provided by " +
                      other->path + " (pack " + other->pack + ")");
      }
    }
  }
  // 4. Compile every default template and check every label, all or
  // nothing.
  TemplateCatalog own;
  for (uint32_t i = 0; i < d.template_count; ++i) {
    if (Status s = own.AddPackTemplate(pack->family, pack->pack,
                                       d.templates[i]);
        !s.ok()) {
      return refuse(s.message());
    }
    pack->templates.push_back(d.templates[i].name);
  }
  // A section head is emptied with the pack's own overridable templates.
  for (const auto& [name, entry] : own.entries()) {
    for (const std::string& body : entry.empty_with) {
      const TemplateCatalog::Entry* other = own.Find(body);
      if (other == nullptr) {
        return refuse("template " + name + " is emptied with " + body +
                      ", which is not a template of this pack");
      }
      if (!other->overridable) {
        return refuse("template " + name + " is emptied with " + body +
                      ", which no label may override");
      }
    }
  }
  LabelTable own_labels;
  for (uint32_t i = 0; i < d.label_count; ++i) {
    const mlb_label_def& l = d.labels[i];
    LabelSpec spec{l.name, static_cast<LabelKind>(l.kind), pack->family,
                   pack->pack,
                   l.description != nullptr ? l.description : ""};
    if (Status s = own_labels.Add(spec); !s.ok()) {
      return refuse(s.message());
    }
    pack->labels.push_back(std::move(spec));
  }
  // 5. Is it the pack of its family? A pack another one keeps out stays
  // loaded but unused; CheckChoices() tells whether that is an error.
  const auto choice = choices_.find(pack->family);
  const bool chosen =
      choice == choices_.end() ? FindFamily(pack->family) == nullptr
                               : choice->second == pack->pack;
  if (!chosen) {
    for (const LabelSpec& spec : pack->labels) {
      labels_.AddNotChosen(spec);
    }
    unused_.push_back(std::move(pack));
    return Status::OK();
  }
  if (Status s = catalog_.CheckCanMerge(own); !s.ok()) {
    return refuse(s.message());
  }
  LabelTable labels = labels_;
  for (const LabelSpec& spec : pack->labels) {
    if (Status s = labels.Add(spec); !s.ok()) {
      return refuse(s.message());
    }
  }
  for (const TemplateCatalog* templates : {&catalog_, &own}) {
    if (Status s = CheckLabelsAndTemplates(labels, *templates, pack->pack);
        !s.ok()) {
      return refuse(s.message());
    }
  }
  // Trusted: create the family.
  void* impl = nullptr;
  try {
    impl = d.create_family();
  } catch (...) {
    return refuse("create_family threw an exception");
  }
  if (impl == nullptr) {
    return refuse("create_family returned null");
  }
  pack->impl.reset(static_cast<sdk::Family*>(impl));
  pack->create_family = d.create_family;
  catalog_.Merge(std::move(own));
  labels_ = std::move(labels);
  for (const std::string& name : pack->templates) {
    pack->entries.push_back(catalog_.Find(name));
  }
  packs_.push_back(std::move(pack));
  std::stable_sort(packs_.begin(), packs_.end(),
                   [](const auto& a, const auto& b) {
                     return a->family < b->family;
                   });
  return Status::OK();
}

Status PluginRegistry::NewFamilies(
    std::vector<std::unique_ptr<sdk::Family>>* out) const {
  out->clear();
  for (const auto& pack : packs_) {
    void* impl = nullptr;
    try {
      impl = pack->create_family();
    } catch (...) {
      return Status::Error("plugin " + pack->path +
                           ": create_family threw an exception");
    }
    if (impl == nullptr) {
      return Status::Error("plugin " + pack->path +
                           ": create_family returned null");
    }
    out->emplace_back(static_cast<sdk::Family*>(impl));
  }
  return Status::OK();
}

Status PluginRegistry::CheckChoices() const {
  // Families served by several packs, none chosen.
  std::map<std::string, std::vector<const Pack*>> contenders;
  for (const auto& pack : unused_) {
    if (choices_.count(pack->family) == 0) {
      contenders[pack->family].push_back(pack.get());
    }
  }
  for (auto& [family, others] : contenders) {
    std::vector<const Pack*> all = {FindFamily(family)};
    all.insert(all.end(), others.begin(), others.end());
    std::vector<std::string> names;
    std::vector<std::string> flags;
    for (const Pack* pack : all) {
      names.push_back(pack->pack + " " + pack->version + " (" + pack->path +
                      ")");
      flags.push_back("--family-pack " + family + "=" + pack->pack);
    }
    const std::string last = names.back();
    names.pop_back();
    return Status::Error("family '" + family + "' is provided by " +
                         std::to_string(all.size()) + " packs: " +
                         Join(names, ", ") + " and " + last +
                         "; choose one with " + Join(flags, " or "));
  }
  for (const auto& [family, chosen] : choices_) {
    const std::string flag = "--family-pack " + family + "=" + chosen;
    const Pack* used = FindFamily(family);
    if (used != nullptr && used->pack == chosen) {
      continue;
    }
    std::vector<std::string> loaded;
    for (const auto* list : {&packs_, &unused_}) {
      for (const auto& pack : *list) {
        if (pack->family == family) {
          loaded.push_back(pack->pack + " from " + pack->path);
        }
      }
    }
    if (loaded.empty()) {
      return Status::Error(flag, "no template pack for family '" + family +
                                     "' was loaded");
    }
    return Status::Error(flag, "no loaded pack for family '" + family +
                                   "' is named " + chosen + " (loaded: " +
                                   Join(loaded, ", ") + ")");
  }
  return Status::OK();
}

Status PluginRegistry::LoadDirectories(const std::vector<std::string>& dirs,
                                       std::vector<std::string>* refusals) {
  std::vector<std::unique_ptr<Pack>> opened;
  for (const std::string& dir : dirs) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      return Status::Error("plugin directory " + dir, "cannot be read");
    }
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) {
        files.push_back(dir + "/" + name);
      }
    }
    closedir(d);
    if (Status s = CheckPluginDirectory(dir); !s.ok()) {
      const std::string reason = s.message() + "; none of its packs is loaded";
      refusals_.push_back({dir, reason});
      refusals->push_back("plugin directory " + dir + ": " + reason);
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      std::unique_ptr<Pack> pack;
      if (Status s = Open(file, dir, &pack); !s.ok()) {
        refusals->push_back(s.message());
        continue;
      }
      opened.push_back(std::move(pack));
    }
  }
  // The packs of the families marathon-lb cannot start without are added
  // first, so that a pack of another family that declares one of their
  // template or label names is the one refused, whatever the file names and
  // directory order; the others follow in the order found.
  const std::vector<std::string> builtin = BuiltinFamilies();
  std::stable_partition(opened.begin(), opened.end(), [&](const auto& pack) {
    return std::count(builtin.begin(), builtin.end(), pack->family) > 0;
  });
  for (auto& pack : opened) {
    if (Status s = Add(std::move(pack)); !s.ok()) {
      refusals->push_back(s.message());
    }
  }
  if (packs_.empty()) {
    return Status::Error("no template packs could be loaded from " +
                         Join(dirs, ", "));
  }
  return CheckChoices();
}

const PluginRegistry::Pack* PluginRegistry::FindFamily(
    const std::string& family) const {
  for (const auto& pack : packs_) {
    if (pack->family == family) {
      return pack.get();
    }
  }
  return nullptr;
}

Status PluginRegistry::RequireFamilies(
    const std::vector<std::string>& families) const {
  const std::string all = Join(families, ", ");
  for (const std::string& family : families) {
    if (FindFamily(family) == nullptr) {
      return Status::Error("no template pack for family '" + family +
                           "' was loaded (expected mlb_" + family +
                           ".so); marathon-lb needs one pack per family: " +
                           all);
    }
  }
  return Status::OK();
}

std::string PluginRegistry::Describe(bool default_dir) const {
  std::vector<const Pack*> all;
  for (const auto* list : {&packs_, &unused_}) {
    for (const auto& pack : *list) {
      all.push_back(pack.get());
    }
  }
  // By family; the pack in use first.
  std::stable_sort(all.begin(), all.end(), [](const Pack* a, const Pack* b) {
    return a->family < b->family;
  });
  std::ostringstream out;
  out << "Template packs (plugin ABI " << MLB_PLUGIN_ABI_MAJOR << "."
      << MLB_PLUGIN_ABI_MINOR << "):\n";
  for (const Pack* pack : all) {
    out << "\nfamily " << pack->family << ": " << pack->pack << " "
        << pack->version;
    if (pack->impl != nullptr) {
      out << ", in use\n";
    } else if (auto choice = choices_.find(pack->family);
               choice != choices_.end()) {
      out << ", not chosen (--family-pack " << pack->family << "="
          << choice->second << ")\n";
    } else {
      out << ", not used: " << FindFamily(pack->family)->pack
          << " provides the family too (choose with --family-pack)\n";
    }
    out << "  about:     "
        << (pack->description.empty() ? "-" : Show(pack->description))
        << "\n"
        << "  file:      " << pack->path << "\n"
        << "  found in:  "
        << (default_dir ? "default plugin dir " : "--plugin-dir ")
        << pack->dir << "\n"
        << "  ABI:       " << pack->abi << "\n"
        << "  templates: "
        << (pack->templates.empty() ? "none" : Join(pack->templates, " "))
        << "\n";
    std::vector<std::string> labels;
    for (const LabelSpec& label : pack->labels) {
      labels.push_back(label.name);
    }
    out << "  labels:    " << (labels.empty() ? "none" : Join(labels, " "))
        << "\n";
  }
  if (!refusals_.empty()) {
    out << "\nRefused files:\n";
    for (const Refusal& r : refusals_) {
      out << "  " << r.path << ": " << r.reason << "\n";
    }
  }
  return out.str();
}

std::vector<std::string> BuiltinFamilies() {
  std::vector<std::string> out;
  std::string list = MLB_BUILTIN_FAMILIES;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string DefaultPluginDir() {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    // <build>/core/marathon-lb, <build>/tools/bench/mlb_bench, ...: the
    // nearest ancestor that is a build tree.
    std::string dir(exe, static_cast<size_t>(n));
    for (int up = 0; up < 3 && dir.rfind('/') != std::string::npos; ++up) {
      dir = dir.substr(0, dir.rfind('/'));
      if (IsDirectory(dir + "/meson-private") &&
          IsDirectory(dir + "/plugins")) {
        return dir + "/plugins";
      }
    }
  }
  return MLB_PLUGIN_INSTALL_DIR;
}

}  // namespace mlb
