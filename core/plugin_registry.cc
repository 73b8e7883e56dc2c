#include "core/plugin_registry.h"

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

#ifndef MLB_BUILTIN_FAMILIES
#define MLB_BUILTIN_FAMILIES "frontends,backends,health_checks,sticky,redirect"
#endif

#ifndef MLB_PLUGIN_INSTALL_DIR
#define MLB_PLUGIN_INSTALL_DIR "/usr/local/lib/marathon-lb/plugins"
#endif

namespace mlb {
namespace {

// The v1 descriptor ends after create_family.
constexpr uint32_t kMinDescriptorSize =
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

Status CheckDescriptor(const mlb_plugin_descriptor& d) {
  if (d.abi_major != MLB_PLUGIN_ABI_MAJOR) {
    return Status::Error("built for plugin ABI " + std::to_string(d.abi_major) +
                         "." + std::to_string(d.abi_minor) +
                         ", this marathon-lb supports " +
                         std::to_string(MLB_PLUGIN_ABI_MAJOR) + ".x");
  }
  if (d.abi_minor > MLB_PLUGIN_ABI_MINOR) {
    return Status::Error("built for plugin ABI " + std::to_string(d.abi_major) +
                         "." + std::to_string(d.abi_minor) +
                         ", newer than this marathon-lb's " +
                         std::to_string(MLB_PLUGIN_ABI_MAJOR) + "." +
                         std::to_string(MLB_PLUGIN_ABI_MINOR));
  }
  if (d.struct_size < kMinDescriptorSize) {
    return Status::Error("descriptor is " + std::to_string(d.struct_size) +
                         " bytes, expected at least " +
                         std::to_string(kMinDescriptorSize));
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
  }
  if (d.create_family == nullptr) {
    return Status::Error("no create_family function");
  }
  return Status::OK();
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Status PluginRegistry::LoadFile(const std::string& path) {
  const auto refuse = [&path](const std::string& reason) {
    return Status::Error("plugin " + path, reason);
  };
  // 1. Inspect without running anything.
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return refuse(std::string("cannot be read: ") + std::strerror(errno));
  }
  try {
    boost::dll::library_info info(path);
    const std::vector<std::string> symbols = info.symbols();
    if (std::find(symbols.begin(), symbols.end(), "mlb_plugin") ==
        symbols.end()) {
      return refuse("not a marathon-lb template pack (no mlb_plugin symbol)");
    }
  } catch (const std::exception& e) {
    return refuse(std::string("not a readable shared object (") + e.what() +
                  ")");
  }
  // 2. Load.
  auto pack = std::make_unique<Pack>();
  pack->path = path;
  boost::dll::fs::error_code ec;
  pack->library.load(path, ec,
                     boost::dll::load_mode::rtld_now |
                         boost::dll::load_mode::rtld_local);
  if (ec) {
    return refuse("cannot be loaded: " + ec.message());
  }
  if (!pack->library.has("mlb_plugin")) {
    return refuse("mlb_plugin symbol not found after loading");
  }
  // 3. Check the descriptor.
  const auto& d = pack->library.get<const mlb_plugin_descriptor>("mlb_plugin");
  if (Status s = CheckDescriptor(d); !s.ok()) {
    return refuse(s.message());
  }
  pack->family = d.family;
  pack->pack = d.pack;
  pack->version = d.pack_version;
  pack->description = d.description != nullptr ? d.description : "";
  if (const Pack* other = FindFamily(pack->family)) {
    return refuse("family '" + pack->family + "' is already provided by " +
                  other->path + " (pack " + other->pack + ")");
  }
  // 4. Compile every default template, all or nothing.
  TemplateCatalog own;
  for (uint32_t i = 0; i < d.template_count; ++i) {
    const mlb_template_def& t = d.templates[i];
    Status s = own.AddPackTemplate(
        pack->family, pack->pack, t.name, t.text, t.flags,
        t.placeholders != nullptr ? t.placeholders : "",
        t.description != nullptr ? t.description : "");
    if (!s.ok()) {
      return refuse(s.message());
    }
    pack->templates.push_back(t.name);
  }
  if (Status s = catalog_.CheckCanMerge(own); !s.ok()) {
    return refuse(s.message());
  }
  // 5. Trusted: create the family.
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
  catalog_.Merge(std::move(own));
  packs_.push_back(std::move(pack));
  std::stable_sort(packs_.begin(), packs_.end(),
                   [](const auto& a, const auto& b) {
                     return a->family < b->family;
                   });
  return Status::OK();
}

Status PluginRegistry::LoadDirectories(const std::vector<std::string>& dirs,
                                       std::vector<std::string>* refusals) {
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
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      if (Status s = LoadFile(file); !s.ok()) {
        refusals->push_back(s.message());
      }
    }
  }
  if (packs_.empty()) {
    std::string where;
    for (const std::string& dir : dirs) {
      where += (where.empty() ? "" : ", ") + dir;
    }
    return Status::Error("no template packs could be loaded from " + where);
  }
  return Status::OK();
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
  std::string all;
  for (const std::string& family : families) {
    all += (all.empty() ? "" : ", ") + family;
  }
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
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));     // <build>/core
    dir = dir.substr(0, dir.rfind('/'));     // <build>
    if (IsDirectory(dir + "/meson-private") && IsDirectory(dir + "/plugins")) {
      return dir + "/plugins";
    }
  }
  return MLB_PLUGIN_INSTALL_DIR;
}

}  // namespace mlb
