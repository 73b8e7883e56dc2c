// Every template marathon-lb knows, by name, and the one resolver that picks
// the text a template renders with.
//
// The catalog is filled from the loaded template packs (each pack declares its
// templates with their default text, flags and placeholder vocabulary) and
// then from the operator's templates directory (files named HAPROXY_<NAME>,
// as in marathon-lb). Precedence per template and service port:
//   HAPROXY_{n}_<NAME> label  >  templates/HAPROXY_<NAME> file  >  pack default
// Only templates flagged overridable take labels.
//
// Thread-safety: fill it once at start-up; afterwards Find/Resolve are const
// and CompileLabelOverride locks its cache.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/config/template.h"

namespace mlb {

struct PortLabels;

class TemplateCatalog {
 public:
  struct Entry {
    std::string name;
    std::string family;
    std::string pack;
    std::string description;
    bool overridable = false;
    bool verbatim = false;
    bool inline_option = false;  // MLB_TEMPLATE_INLINE
    std::vector<std::string> vocabulary;  // placeholders the pack supplies
    std::shared_ptr<const Template> pack_default;
    std::shared_ptr<const Template> file;  // null without a templates/ file
    std::string file_path;
    std::shared_ptr<const Template> env;  // null without $HAPROXY_<NAME>
  };

  // An app label a pack declared it reads (ABI 1.1), e.g.
  // HAPROXY_{n}_MAXCONN. The pack parses it; the catalog only knows it.
  struct PackLabel {
    std::string name;    // "HAPROXY_{n}_MAXCONN"
    std::string family;
    std::string pack;
    std::string description;
  };

  // Where the text of a resolved template came from, for error messages.
  struct Resolved {
    const Template* tmpl = nullptr;
    Status::Scope scope = Status::Scope::kGlobal;  // kService for labels
    std::string origin;  // "label HAPROXY_0_X", "template file F", "pack P"
  };

  // Registers a pack's template. Fails if the name is taken (naming both
  // packs), if the default does not compile, or if it uses a placeholder
  // outside its own vocabulary.
  Status AddPackTemplate(const std::string& family, const std::string& pack,
                         const std::string& name, const std::string& text,
                         uint32_t flags, const std::string& vocabulary,
                         const std::string& description);

  // Registers a label a pack reads. Fails unless `name` is
  // HAPROXY_{n}_<SUFFIX> (SUFFIX [A-Z0-9_]+), or if it is one of
  // marathon-lb's own labels or already declared.
  Status AddPackLabel(const std::string& family, const std::string& pack,
                      const std::string& name, const std::string& description);

  // Checks that no template or label of `other` is already here (naming both
  // packs), and that no label suffix of one is a template name of the other
  // (it would read as a template override), then Merge() moves them in.
  Status CheckCanMerge(const TemplateCatalog& other) const;
  void Merge(TemplateCatalog&& other);

  // Reads HAPROXY_<NAME> files from `dir` (a missing dir means no overrides).
  // A file for an unknown template adds a warning; a file that does not
  // compile or uses a placeholder its template does not supply is an error
  // naming the file.
  Status LoadDirectory(const std::string& dir,
                       std::vector<std::string>* warnings);

  // Replaces every template file override with the files of `dirs`, read in
  // order (a later dir's file wins). On error the overrides stay as they were.
  Status ReloadDirectories(const std::vector<std::string>& dirs,
                           std::vector<std::string>* warnings);

  // Reads non-empty $HAPROXY_<NAME> variables; the two characters "\n" in
  // them stand for a newline. Errors name the variable.
  Status LoadEnvironment();

  const Entry* Find(std::string_view name) const;
  // The pack label HAPROXY_{n}_<suffix>, or nullptr.
  const PackLabel* FindPackLabel(std::string_view suffix) const;
  // By suffix ("MAXCONN").
  const std::map<std::string, PackLabel, std::less<>>& pack_labels() const {
    return pack_labels_;
  }
  const std::map<std::string, Entry, std::less<>>& entries() const {
    return entries_;
  }

  // Compiles the text of label `label` overriding template `name` (CRLF is
  // read as LF, as marathon-lb does) and checks it against the template's
  // vocabulary. Results are cached by (label, text). Errors are kService:
  //   "label HAPROXY_0_BACKEND_HEAD: unknown placeholder {colour} (BACKEND_HEAD
  //    supplies {backend}, {balance}, {mode})"
  Status CompileLabelOverride(const std::string& name, const std::string& label,
                              const std::string& text,
                              std::shared_ptr<const Template>* out) const;

  // The text template `name` renders with for a service port with `labels`
  // (nullptr outside a service). Unknown names give tmpl == nullptr.
  Resolved Resolve(std::string_view name, const PortLabels* labels,
                   int port_index) const;

 private:
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, PackLabel, std::less<>> pack_labels_;
  mutable std::mutex cache_mu_;
  mutable std::map<std::pair<std::string, std::string>,
                   std::shared_ptr<const Template>>
      label_cache_;
};

// "{a}, {b}, {c}"
std::string FormatVocabulary(const std::vector<std::string>& names);

}  // namespace mlb
