#include "core/model/template_catalog.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/base/text.h"
#include "core/model/labels.h"

namespace mlb {
namespace {

constexpr size_t kMaxCachedLabelTemplates = 10000;

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}


std::string Trim(const std::string& s) {
  const char* kSpace = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string::npos) {
    return "";
  }
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Compiles `text` for `entry` and checks its placeholders. `subject` names
// the text in messages ("template file templates/HAPROXY_X").
Status CompileFor(const TemplateCatalog::Entry& entry,
                  const std::string& subject, const std::string& text,
                  Status::Scope scope, std::shared_ptr<const Template>* out,
                  bool is_default = false) {
  std::string source = text;
  if (entry.inline_option) {
    source = Trim(text);
    if (!source.empty()) {
      source = " " + source;
    }
  }
  std::unique_ptr<Template> compiled;
  const bool verbatim =
      entry.verbatim && !(entry.formatted_default &&
                          scope == Status::Scope::kGlobal && is_default);
  Status status = Template::Compile(subject, source, verbatim, &compiled);
  if (!status.ok()) {
    return scope == Status::Scope::kService
               ? Status::ServiceError(status.message())
               : status;
  }
  const std::string unknown = compiled->FirstUnknownPlaceholder(entry.vocabulary);
  if (!unknown.empty()) {
    const std::string message =
        subject + ": unknown placeholder {" + unknown + "} (" + entry.name +
        (entry.vocabulary.empty()
             ? " takes no placeholders)"
             : " supplies " + FormatVocabulary(entry.vocabulary) + ")");
    return scope == Status::Scope::kService ? Status::ServiceError(message)
                                            : Status::Error(message);
  }
  compiled->SetWords(entry.words);
  *out = std::move(compiled);
  return Status::OK();
}

}  // namespace

std::string FormatVocabulary(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "{" : ", {") + name + "}";
  }
  return out;
}

Status TemplateCatalog::AddPackTemplate(const std::string& family,
                                        const std::string& pack,
                                        const mlb_template_def& def) {
  const std::string name = def.name;
  if (auto it = entries_.find(name); it != entries_.end()) {
    return Status::Error("template " + name + " is already provided by pack " +
                         it->second.pack + " (family " + it->second.family +
                         ")");
  }
  Entry entry;
  entry.name = name;
  entry.family = family;
  entry.pack = pack;
  entry.description = def.description != nullptr ? def.description : "";
  entry.overridable = (def.flags & MLB_TEMPLATE_OVERRIDABLE) != 0;
  entry.verbatim = (def.flags & MLB_TEMPLATE_VERBATIM) != 0;
  entry.formatted_default =
      (def.flags & MLB_TEMPLATE_FORMATTED_DEFAULT) != 0;
  entry.inline_option = (def.flags & MLB_TEMPLATE_INLINE) != 0;
  entry.section = def.section;
  entry.order = def.order;
  entry.vocabulary = SplitWords(def.placeholders != nullptr ? def.placeholders
                                                            : "");
  for (const std::string& line :
       Split(def.words != nullptr ? def.words : "", '\n')) {
    const size_t eq = line.find('=');
    if (!line.empty()) {
      entry.words.emplace_back(line.substr(0, eq),
                               eq == std::string::npos ? line
                                                       : line.substr(eq + 1));
    }
  }
  entry.empty_with =
      SplitWords(def.empty_with != nullptr ? def.empty_with : "");
  for (const auto& [word, what] : entry.words) {
    // "x[key]" and "x[*]" name placeholders of a vocabulary with "x[*]".
    const std::string any_key = word.substr(0, word.find('[')) + "[*]";
    const auto has = [&](const std::string& name) {
      return std::find(entry.vocabulary.begin(), entry.vocabulary.end(),
                       name) != entry.vocabulary.end();
    };
    if (!has(word) && !(word.find('[') != std::string::npos && has(any_key))) {
      return Status::Error("template " + name + " declares the word " + word +
                           ", which is none of its placeholders");
    }
  }
  MLB_RETURN_IF_ERROR(CompileFor(entry, "default template " + name, def.text,
                                 Status::Scope::kGlobal, &entry.pack_default,
                                 /*is_default=*/true));
  entries_.emplace(name, std::move(entry));
  return Status::OK();
}

Status TemplateCatalog::CheckCanMerge(const TemplateCatalog& other) const {
  for (const auto& [name, entry] : other.entries_) {
    if (const Entry* mine = Find(name)) {
      return Status::Error("template " + name + " is already provided by pack " +
                           mine->pack + " (family " + mine->family + ")");
    }
  }
  return Status::OK();
}

void TemplateCatalog::Merge(TemplateCatalog&& other) {
  for (auto& [name, entry] : other.entries_) {
    entries_.emplace(name, std::move(entry));
  }
  other.entries_.clear();
}

Status TemplateCatalog::LoadDirectory(const std::string& dir,
                                      std::vector<std::string>* warnings) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return Status::OK();
  }
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    const std::string file = e->d_name;
    if (file.rfind("HAPROXY_", 0) == 0) {
      files.push_back(file);
    }
  }
  closedir(d);
  for (const std::string& file : files) {
    const std::string path = dir + "/" + file;
    auto it = entries_.find(file.substr(8));
    if (it == entries_.end()) {
      warnings->push_back("template file " + path +
                          " does not name a known template; ignored");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return Status::Error("template file " + path, "cannot be read");
    }
    Entry& entry = it->second;
    MLB_RETURN_IF_ERROR(CompileFor(entry, "template file " + path, text.str(),
                                   Status::Scope::kGlobal, &entry.file));
    entry.file_path = path;
  }
  return Status::OK();
}

Status TemplateCatalog::ReloadDirectories(const std::vector<std::string>& dirs,
                                          std::vector<std::string>* warnings) {
  std::map<std::string, std::pair<std::shared_ptr<const Template>, std::string>>
      before;
  for (auto& [name, entry] : entries_) {
    before[name] = {std::move(entry.file), std::move(entry.file_path)};
    entry.file = nullptr;
    entry.file_path.clear();
  }
  for (const std::string& dir : dirs) {
    Status s = LoadDirectory(dir, warnings);
    if (!s.ok()) {
      for (auto& [name, entry] : entries_) {
        entry.file = std::move(before[name].first);
        entry.file_path = std::move(before[name].second);
      }
      return s;
    }
  }
  return Status::OK();
}

Status TemplateCatalog::LoadEnvironment(std::vector<std::string>* warnings) {
  // The variables of marathon-lb's container (tools/container/run) that
  // share the prefix.
  static const std::set<std::string, std::less<>> kNotTemplates = {
      "HAPROXY_SSL_CERT", "HAPROXY_SYSLOGD", "HAPROXY_SYSCTL_PARAMS",
      "HAPROXY_SYSCTL_NONSTRICT"};
  for (char** env = environ; *env != nullptr; ++env) {
    const std::string_view entry(*env);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (name.rfind("HAPROXY_", 0) != 0 || kNotTemplates.count(name) > 0 ||
        entries_.count(name.substr(8)) > 0) {
      continue;
    }
    const std::string_view rest = name.substr(std::strlen("HAPROXY_SSL_CERT"));
    if (name.rfind("HAPROXY_SSL_CERT", 0) == 0 && !rest.empty() &&
        rest.find_first_not_of("0123456789") == std::string_view::npos) {
      continue;  // HAPROXY_SSL_CERT0 ... HAPROXY_SSL_CERT100
    }
    warnings->push_back("environment variable " + std::string(name) +
                        " names no template; ignored");
  }
  for (auto& [name, entry] : entries_) {
    const std::string variable = "HAPROXY_" + name;
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      continue;
    }
    std::string text = value;
    for (size_t at = text.find("\\n"); at != std::string::npos;
         at = text.find("\\n", at + 1)) {
      text.replace(at, 2, "\n");
    }
    MLB_RETURN_IF_ERROR(CompileFor(entry, "environment variable " + variable,
                                   text, Status::Scope::kGlobal, &entry.env));
  }
  return Status::OK();
}

const TemplateCatalog::Entry* TemplateCatalog::Find(
    std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

Status TemplateCatalog::CompileLabelOverride(
    const std::string& name, const std::string& label, const std::string& text,
    std::shared_ptr<const Template>* out) const {
  const Entry* entry = Find(name);
  if (entry == nullptr) {
    return Status::ServiceError("label " + label + ": no template " + name);
  }
  const std::string normalized = CrLfToLf(text);
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto key = std::make_pair(label, normalized);
  if (auto it = label_cache_.find(key); it != label_cache_.end()) {
    *out = it->second;
    return Status::OK();
  }
  MLB_RETURN_IF_ERROR(CompileFor(*entry, "label " + label, normalized,
                                 Status::Scope::kService, out));
  // Bounded: apps come and go over days of running.
  if (label_cache_.size() >= kMaxCachedLabelTemplates) {
    label_cache_.clear();
  }
  label_cache_.emplace(std::move(key), *out);
  return Status::OK();
}

TemplateCatalog::Resolved TemplateCatalog::Resolve(
    const Entry& entry, const PortLabels* labels) const {
  Resolved r;
  if (labels != nullptr && entry.overridable && !labels->templates.empty()) {
    if (auto it = labels->templates.find(entry.name);
        it != labels->templates.end()) {
      r.tmpl = it->second.get();
      r.source = Resolved::Source::kLabel;
      return r;
    }
  }
  if (entry.env) {
    r.tmpl = entry.env.get();
    r.source = Resolved::Source::kEnvironment;
  } else if (entry.file) {
    r.tmpl = entry.file.get();
    r.source = Resolved::Source::kFile;
  } else {
    r.tmpl = entry.pack_default.get();
  }
  return r;
}

std::string TemplateCatalog::Origin(const Entry& entry,
                                    const Resolved& resolved, int port_index) {
  switch (resolved.source) {
    case Resolved::Source::kLabel:
      return "label " + LabelName("HAPROXY_{n}_" + entry.name, port_index);
    case Resolved::Source::kEnvironment:
      return "environment variable HAPROXY_" + entry.name;
    case Resolved::Source::kFile:
      return "template file " + entry.file_path;
    case Resolved::Source::kDefault:
      break;
  }
  return "default template " + entry.name + " of pack " + entry.pack;
}

}  // namespace mlb
