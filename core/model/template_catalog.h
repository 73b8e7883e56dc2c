// Every template marathon-lb knows, by name, and the one resolver that picks
// the text a template renders with.
//
// The catalog is filled from the loaded template packs (each pack declares
// its templates: default text, flags, placeholders, section) and then from
// the operator's templates directory (files named HAPROXY_<NAME>, as in
// marathon-lb) and $HAPROXY_<NAME> variables. Precedence per template and
// service port:
//   HAPROXY_{n}_<NAME> label > $HAPROXY_<NAME> > templates/HAPROXY_<NAME>
//   file > pack default
// Only templates flagged overridable take labels.
//
// Thread-safety: fill it once at start-up (template files are reloaded only
// between updates); afterwards Find/Resolve are const and
// CompileLabelOverride locks its cache.
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
#include "mlb/plugin/sdk.h"

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
    // MLB_TEMPLATE_FORMATTED_DEFAULT: a verbatim template whose pack
    // default has placeholders.
    bool formatted_default = false;
    bool inline_option = false;  // MLB_TEMPLATE_INLINE
    uint32_t section = MLB_SECTION_NONE;
    int order = 0;
    std::vector<std::string> vocabulary;  // placeholders the pack supplies
    // Placeholders whose value must stay one config word, and what each is.
    std::vector<std::pair<std::string, std::string>> words;
    std::vector<std::string> empty_with;  // see mlb_template_def
    std::shared_ptr<const Template> pack_default;
    std::shared_ptr<const Template> file;  // null without a templates/ file
    std::string file_path;
    std::shared_ptr<const Template> env;  // null without $HAPROXY_<NAME>
  };

  // The text a template renders with for one service port, and where it
  // came from.
  struct Resolved {
    enum class Source { kLabel, kEnvironment, kFile, kDefault };
    const Template* tmpl = nullptr;
    Source source = Source::kDefault;
  };

  // Registers a pack's template. Fails if the name is taken (naming both
  // packs), if the default does not compile, or if it uses a placeholder
  // outside its own vocabulary.
  Status AddPackTemplate(const std::string& family, const std::string& pack,
                         const mlb_template_def& def);

  // Checks that no template of `other` is already here (naming both packs),
  // then Merge() moves them in.
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
  // them stand for a newline. Errors name the variable. A variable
  // HAPROXY_<X> that names no template (and is none of the container's own,
  // e.g. HAPROXY_SSL_CERT) gets a warning in *warnings: a misspelt template
  // name would otherwise go unnoticed.
  Status LoadEnvironment(std::vector<std::string>* warnings);

  const Entry* Find(std::string_view name) const;
  const std::map<std::string, Entry, std::less<>>& entries() const {
    return entries_;
  }

  // Compiles the text of label `label` overriding template `name` (CRLF is
  // read as LF, as marathon-lb does) and checks it against the template's
  // vocabulary. Results are cached by (label, text). Errors are kService:
  //   "label HAPROXY_0_<NAME>: unknown placeholder {colour} (<NAME> supplies
  //    {backend}, {mode})"
  Status CompileLabelOverride(const std::string& name, const std::string& label,
                              const std::string& text,
                              std::shared_ptr<const Template>* out) const;

  // The text `entry` renders with for a service port with `labels` (null
  // outside a service).
  Resolved Resolve(const Entry& entry, const PortLabels* labels) const;

  // Where a resolved text came from, for messages: "label HAPROXY_0_X",
  // "environment variable HAPROXY_X", "template file F", "default template X
  // of pack P".
  static std::string Origin(const Entry& entry, const Resolved& resolved,
                            int port_index);

 private:
  std::map<std::string, Entry, std::less<>> entries_;
  mutable std::mutex cache_mu_;
  mutable std::map<std::pair<std::string, std::string>,
                   std::shared_ptr<const Template>>
      label_cache_;
};

// "{a}, {b}, {c}"
std::string FormatVocabulary(const std::vector<std::string>& names);

}  // namespace mlb
