#include "core/render/renderer.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include "core/base/text.h"
#include "core/config/haproxy_words.h"
#include "core/model/label_policy.h"
#include "core/model/labels.h"

namespace mlb {
namespace {

// The sections of the config, by MLB_SECTION_* kind: the key of the
// section a template's text goes to (its kind is its rank: the order of
// sections). A service's own sections are keyed by its backend name, and
// their text must open them with their key: "backend web_80".
struct SectionKind {
  const char* key;  // the whole key, or the prefix of the service's name
  bool per_service;
};
constexpr SectionKind kSectionKinds[] = {
    {"", false},                                // MLB_SECTION_NONE
    {"head", false},                            // MLB_SECTION_HEAD
    {"userlist user_", true},                   // MLB_SECTION_USERLIST
    {"frontend marathon_http_in", false},       // MLB_SECTION_HTTP_FRONTEND
    {"frontend marathon_http_appid_in", false},  // MLB_SECTION_APPID_FRONTEND
    {"frontend marathon_https_in", false},      // MLB_SECTION_HTTPS_FRONTEND
    {"frontend ", true},                        // MLB_SECTION_FRONTEND
    {"backend ", true},                         // MLB_SECTION_BACKEND
    {"", false},  // MLB_SECTION_NAMED: keyed by the name AddTo gives
};
constexpr uint32_t kSectionKindCount =
    sizeof(kSectionKinds) / sizeof(kSectionKinds[0]);

// Lines a template-override label put into a frontend the services share
// (:80, :443, :9091, a vhost's TLS frontend).
struct SharedOverride {
  std::string section;
  std::string label;  // HAPROXY_<n>_<NAME>
  std::string text;
};

}  // namespace

bool IsServiceSection(int rank) {
  return rank >= 0 && static_cast<uint32_t>(rank) < kSectionKindCount &&
         kSectionKinds[rank].per_service;
}


// What the emitters of one renderer share: the service being rendered and
// its text so far.
struct ServiceRenderer::State {
  State(const TemplateCatalog& catalog, const sdk::Config& config)
      : catalog(catalog), config(config) {
    for (uint32_t kind = 0; kind < kSectionKindCount; ++kind) {
      keys[kind] = kSectionKinds[kind].key;
    }
  }

  // One section's text of the current service at one order.
  struct Piece {
    uint32_t kind;
    int order;
    std::string name;  // of a named section
    std::string text;
  };

  // Starts a service (null: Begin, or Finish with `finish`).
  void Start(const Service* s, ServiceRender* render,
             const Collection* finish = nullptr) {
    service = s;
    out = render;
    shared_overrides.clear();
    collection = finish;
    error = Status::OK();
    used = 0;
    for (uint32_t kind = 0; kind < kSectionKindCount; ++kind) {
      if (kSectionKinds[kind].per_service && s != nullptr) {
        keys[kind] = kSectionKinds[kind].key + s->view.backend;
      }
    }
  }

  // The text of section `kind` (named: `name`) at `order`, to append to.
  std::string& PieceFor(uint32_t kind, int order,
                        std::string_view name = {}) {
    for (size_t i = 0; i < used; ++i) {
      if (pieces[i].kind == kind && pieces[i].order == order &&
          pieces[i].name == name) {
        return pieces[i].text;
      }
    }
    if (used == pieces.size()) {
      pieces.emplace_back();
    }
    Piece& piece = pieces[used++];
    piece.kind = kind;
    piece.order = order;
    piece.name = name;
    piece.text.clear();
    return piece.text;
  }

  // The pieces into out->sections: in order (equal orders as added), one
  // section per key in order of first use; empty pieces add nothing. Fails
  // when a section of the service does not start with its own line (its
  // first lines would join the section before it in the config), or has
  // servers but no text.
  Status Seal() {
    order_index.resize(used);
    for (size_t i = 0; i < used; ++i) {
      order_index[i] = i;
    }
    std::stable_sort(order_index.begin(), order_index.end(),
                     [&](size_t a, size_t b) {
                       return pieces[a].order < pieces[b].order;
                     });
    std::vector<ServiceRender::Section>& sections = out->sections;
    for (const size_t i : order_index) {
      const Piece& piece = pieces[i];
      if (piece.text.empty()) {
        continue;
      }
      const std::string& key =
          piece.kind == MLB_SECTION_NAMED ? piece.name : keys[piece.kind];
      const int rank = static_cast<int>(piece.kind);
      auto it = std::find_if(
          sections.begin(), sections.end(),
          [&](const ServiceRender::Section& s) {
            return s.key == key && s.rank == rank;
          });
      if (it == sections.end()) {
        sections.push_back({key, static_cast<int>(piece.kind), piece.text});
      } else {
        it->text += piece.text;
      }
    }
    if (service != nullptr) {
      for (const ServiceRender::Section& s : sections) {
        if (IsServiceSection(s.rank)) {
          MLB_RETURN_IF_ERROR(CheckOpens(s));
        }
      }
      for (const ServiceRender::Servers& run : out->servers) {
        const bool has_text = std::any_of(
            sections.begin(), sections.end(),
            [&](const ServiceRender::Section& s) { return s.key == run.section; });
        if (!has_text) {
          return Status::ServiceError(run.section +
                                      " has servers but no section line");
        }
      }
    }
    out->listeners.clear();
    std::vector<std::string> unreadable;
    for (const ServiceRender::Section& s : sections) {
      if (s.text.find("bind") != std::string::npos) {
        BindListeners(s.text, s.key, &out->listeners, &unreadable);
      }
    }
    if (service != nullptr && !unreadable.empty()) {
      // HAProxy reads a port from "*:19091x" (19091) or "*:1e3" (1): a
      // port it binds that the owner check did not see could be the LB's
      // own or another app's.
      return Status::ServiceError(
          "bind " + unreadable.front() +
          " is neither a socket nor an address with a port of digits "
          "(1-65535, or a range N-M): the port HAProxy would bind cannot "
          "be checked");
    }
    return Status::OK();
  }

  // Whether the first directive line of `s` is its own section line.
  static Status CheckOpens(const ServiceRender::Section& s) {
    // Most often the first line is the key itself: its words are the key's,
    // whatever they are, without splitting either (a key that starts with
    // a letter has a first word: "backend web_80").
    if (!s.key.empty() && std::isalpha(static_cast<unsigned char>(s.key[0])) &&
        s.text.compare(0, s.key.size(), s.key) == 0 &&
        (s.text.size() == s.key.size() || s.text[s.key.size()] == '\n')) {
      return Status::OK();
    }
    bool dollar = false;
    const std::vector<std::string> key = Words(s.key, &dollar);
    for (size_t start = 0; start < s.text.size();) {
      size_t end = s.text.find('\n', start);
      if (end == std::string::npos) {
        end = s.text.size();
      }
      const std::string_view line =
          std::string_view(s.text).substr(start, end - start);
      start = end + 1;
      const std::vector<std::string> words = Words(line, &dollar);
      if (words.empty()) {
        continue;
      }
      if (words == key) {
        return Status::OK();
      }
      return Status::ServiceError(
          s.key + " starts with \"" + Trim(line) +
          "\": that line would join the section before it");
    }
    return Status::OK();
  }

  const TemplateCatalog& catalog;
  const sdk::Config& config;
  const Service* service = nullptr;  // null during Begin and Finish
  const Collection* collection = nullptr;  // during Finish
  ServiceRender* out = nullptr;
  Status error;                       // why the last family failed
  std::string keys[kSectionKindCount];  // section keys of the service
  // Under --label-policy restricted, the lines each template-override label
  // of the service put into a frontend the services share, for
  // CheckSharedOverrides.
  std::vector<SharedOverride> shared_overrides;
  std::vector<Piece> pieces;          // [0, used): the current service's
  size_t used = 0;
  std::vector<size_t> order_index;
  sdk::Vars options;                  // of the current server
  std::vector<std::string> maps;      // declared during Begin
};

namespace {

// Why `file` cannot name a map beside the config, or "".
std::string MapFileProblem(std::string_view file) {
  if (file.empty() || file.size() > 255) {
    return "must have 1 to 255 characters";
  }
  if (file[0] == '.') {
    return "may not start with '.'";
  }
  for (const char c : file) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return std::string("has '") + c +
             "': a map is a plain file name (letters, digits, '.', '_', '-')";
    }
  }
  return "";
}

// Why `name` cannot name a named section (an HAProxy proxy name), or "".
std::string SectionNameProblem(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return "must have 1 to 255 characters";
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
          c == ':')) {
      return std::string("has '") + c +
             "': HAProxy names have letters, digits, '.', '_', '-', ':'";
    }
  }
  return "";
}

// Why `word` cannot be the key or the value of a map line, or "".
std::string MapWordProblem(std::string_view word) {
  if (word.empty()) {
    return "is empty";
  }
  if (word[0] == '#') {
    return "starts with '#', which makes the line a comment";
  }
  for (const char c : word) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return "has a space or a control character";
    }
  }
  return "";
}

}  // namespace

// The sdk::Emitter of one family: its template ids are its pack's.
class ServiceRenderer::Emitter : public sdk::Emitter {
 public:
  Emitter(const PluginRegistry::Pack& pack, State& state)
      : pack_(pack), state_(state) {}

  const sdk::Config& config() const override { return state_.config; }

  bool Add(sdk::TemplateId id, const sdk::Vars& vars) override {
    const TemplateCatalog::Entry* entry = Entry(id);
    if (entry == nullptr) {
      return false;
    }
    const uint32_t kind = entry->section;
    if (kind == MLB_SECTION_NONE || kind >= kSectionKindCount) {
      return Fail(Status::Error("template " + entry->name +
                                " has no section: render it with "
                                "Emitter::Render"));
    }
    if (kind == MLB_SECTION_NAMED) {
      return Fail(Status::Error("template " + entry->name +
                                " goes to a named section: add it with "
                                "Emitter::AddTo"));
    }
    if (kSectionKinds[kind].per_service && state_.service == nullptr) {
      return Fail(Status::Error("template " + entry->name +
                                " goes to a service's section: add it "
                                "from AddService, not Begin"));
    }
    return RenderChecked(*entry, vars, &state_.PieceFor(kind, entry->order),
                         SharedFrontend(kind));
  }

  bool Render(sdk::TemplateId id, const sdk::Vars& vars,
              std::string* out) override {
    const TemplateCatalog::Entry* entry = Entry(id);
    return entry != nullptr && RenderChecked(*entry, vars, out);
  }

  bool AddServer(const sdk::Server& server, sdk::TemplateId id,
                 const sdk::Vars& vars) override {
    const TemplateCatalog::Entry* entry = Entry(id);
    if (entry == nullptr) {
      return false;
    }
    if (state_.service == nullptr || entry->section != MLB_SECTION_BACKEND) {
      return Fail(Status::Error("template " + entry->name +
                                " renders server lines: it goes to a "
                                "backend, from AddServer"));
    }
    // The servers of a service go to one backend: one list per run.
    std::vector<ServiceRender::Servers>& runs = state_.out->servers;
    const std::string& section = state_.keys[MLB_SECTION_BACKEND];
    if (runs.empty() || runs.back().section != section) {
      runs.push_back({section, {}});
      runs.back().entries.reserve(state_.service->view.servers.size());
    }
    ServerEntry& added = runs.back().entries.emplace_back();
    if (!RenderChecked(*entry, vars, &added.line)) {
      runs.back().entries.pop_back();
      return false;
    }
    added.name = server.name;
    added.address = server.ip;
    added.port = server.port;
    added.id = server.id;
    return true;
  }

  bool Fail(const std::string& message) override {
    const std::string why =
        message.empty() ? "template family " + pack_.family +
                              " failed without saying why"
                        : message;
    return Fail(state_.service != nullptr ? Status::ServiceError(why)
                                          : Status::Error(why));
  }

  void SetRouteWeight(long long weight) override {
    if (state_.service != nullptr) {
      state_.out->route_weight = weight;
    }
  }

  bool DeclareMap(std::string_view file) override {
    if (state_.service != nullptr || state_.collection != nullptr) {
      return Fail(Status::Error("template family " + pack_.family +
                                " declared map " + std::string(file) +
                                " after Begin"));
    }
    const std::string problem = MapFileProblem(file);
    if (!problem.empty()) {
      return Fail(Status::Error("template family " + pack_.family + ": map '" +
                                std::string(file) + "' " + problem));
    }
    if (std::find(state_.maps.begin(), state_.maps.end(), file) ==
        state_.maps.end()) {
      state_.maps.emplace_back(file);
      state_.out->maps.emplace_back(file);
    }
    return true;
  }

  bool AddMapEntry(std::string_view file, std::string_view key,
                   std::string_view value) override {
    if (state_.service == nullptr) {
      return Fail(Status::Error("template family " + pack_.family +
                                " added to map " + std::string(file) +
                                " from Begin, not AddService"));
    }
    if (std::find(state_.maps.begin(), state_.maps.end(), file) ==
        state_.maps.end()) {
      return Fail(Status::Error("template family " + pack_.family +
                                " added to map " + std::string(file) +
                                ", which it did not declare in Begin"));
    }
    for (const std::string_view word : {key, value}) {
      const std::string problem = MapWordProblem(word);
      if (!problem.empty()) {
        return Fail(Status::ServiceError(
            "map " + std::string(file) + ": " +
            (word.data() == key.data() ? "key '" : "value '") +
            std::string(word) + "' " + problem));
      }
    }
    // HAProxy reads a map file line by line into a buffer of tune.bufsize
    // (16384) bytes: a longer line would be read as two, the second an
    // entry the app chose.
    constexpr size_t kMaxMapLine = 16383;  // with its '\n'
    if (key.size() + value.size() + 2 > kMaxMapLine) {
      return Fail(Status::ServiceError(
          "map " + std::string(file) + ": the line for key '" +
          std::string(key.substr(0, 64)) + (key.size() > 64 ? "..." : "") +
          "' has " + std::to_string(key.size() + value.size() + 2) +
          " bytes, more than the " + std::to_string(kMaxMapLine) +
          " HAProxy reads as one line"));
    }
    state_.out->map_entries.push_back(
        {std::string(file), std::string(key), std::string(value)});
    return true;
  }

  bool AddOnce(std::string_view key, sdk::TemplateId id, const sdk::Vars& vars,
               long long weight) override {
    const TemplateCatalog::Entry* entry = Entry(id);
    if (entry == nullptr) {
      return false;
    }
    const uint32_t kind = entry->section;
    if (state_.service == nullptr || kind == MLB_SECTION_NONE ||
        kind == MLB_SECTION_NAMED || kind >= kSectionKindCount ||
        kSectionKinds[kind].per_service) {
      return Fail(Status::Error("template " + entry->name +
                                " is added once per config from AddService, "
                                "into a section the services share"));
    }
    ServiceRender::Once once;
    if (!RenderChecked(*entry, vars, &once.text, SharedFrontend(kind))) {
      return false;
    }
    once.key = pack_.family + "/" + std::string(key);
    once.section = state_.keys[kind];
    once.rank = static_cast<int>(kind);
    once.weight = weight;
    state_.out->once.push_back(std::move(once));
    return true;
  }

  bool AddTo(std::string_view section, std::string_view what,
             sdk::TemplateId id, const sdk::Vars& vars) override {
    const TemplateCatalog::Entry* entry = Entry(id);
    if (entry == nullptr) {
      return false;
    }
    const uint32_t kind = entry->section;
    if ((state_.service == nullptr && state_.collection == nullptr) ||
        kind == MLB_SECTION_NONE || kind == MLB_SECTION_HEAD ||
        kind >= kSectionKindCount || kSectionKinds[kind].per_service) {
      return Fail(Status::Error(
          "template " + entry->name + " cannot go to named section " +
          std::string(section) +
          ": AddTo takes, from AddService or Finish, a template of a named "
          "section or of a frontend the services share"));
    }
    // The name comes from Marathon (a vhost) more often than not.
    const std::string problem = SectionNameProblem(section);
    if (problem.empty() && what.empty()) {
      return Fail(Status::Error("template family " + pack_.family +
                                ": named section " + std::string(section) +
                                " stands for nothing (an empty `what`)"));
    }
    if (!problem.empty()) {
      const std::string why = "named section '" + std::string(section) +
                              "' (" + std::string(what) + ") " + problem;
      return Fail(state_.service != nullptr ? Status::ServiceError(why)
                                            : Status::Error(why));
    }
    std::vector<ServiceRender::Claim>& claims = state_.out->claims;
    auto it = std::find_if(
        claims.begin(), claims.end(),
        [&](const ServiceRender::Claim& c) { return c.name == section; });
    if (it == claims.end()) {
      claims.push_back({std::string(section), std::string(what)});
    } else if (it->what != what) {
      const std::string why = "named section " + it->name + " stands for " +
                              it->what + " and for " + std::string(what);
      return Fail(state_.service != nullptr ? Status::ServiceError(why)
                                            : Status::Error(why));
    }
    return RenderChecked(
        *entry, vars,
        &state_.PieceFor(MLB_SECTION_NAMED, entry->order, section), section);
  }

  void Collect(std::string_view key, std::string_view value) override {
    if (state_.service != nullptr) {
      state_.out->collected.emplace_back(pack_.family + "/" + std::string(key),
                                         std::string(value));
    }
  }

  std::vector<std::string> Collected(std::string_view key) const override {
    if (state_.collection == nullptr) {
      return {};
    }
    auto it = state_.collection->find(pack_.family + "/" + std::string(key));
    return it == state_.collection->end() ? std::vector<std::string>()
                                          : it->second;
  }

  // The error of a family that returned false.
  Status TakeError() {
    if (state_.error.ok()) {
      return Status::Error("template family " + pack_.family +
                           " failed without saying why");
    }
    return std::move(state_.error);
  }

 private:
  bool Fail(Status error) {
    state_.error = std::move(error);
    return false;
  }

  // The pack's template `id`, or null (and the error recorded).
  const TemplateCatalog::Entry* Entry(sdk::TemplateId id) {
    if (id < pack_.entries.size()) {
      return pack_.entries[id];
    }
    Fail(Status::Error("template family " + pack_.family + " (pack " +
                       pack_.pack + ") has no template " +
                       std::to_string(id)));
    return nullptr;
  }

  // The key of the frontend the services share that templates of `kind`
  // go to (:80, :443, :9091), or "".
  std::string_view SharedFrontend(uint32_t kind) const {
    return kind == MLB_SECTION_HTTP_FRONTEND ||
                   kind == MLB_SECTION_HTTPS_FRONTEND ||
                   kind == MLB_SECTION_APPID_FRONTEND
               ? std::string_view(state_.keys[kind])
               : std::string_view();
  }

  // Renders `entry` for the current service (or Begin), appending to *out,
  // with the checks of label_policy.h on what a service's values and labels
  // made of it. On failure nothing is appended. `shared_frontend`: the
  // frontend other services share that *out goes to, if any (a label's
  // lines there are checked once the service's lines are all rendered:
  // CheckSharedOverrides).
  bool RenderChecked(const TemplateCatalog::Entry& entry,
                     const sdk::Vars& vars, std::string* out,
                     std::string_view shared_frontend = {}) {
    const Service* service = state_.service;
    const TemplateCatalog::Resolved r = state_.catalog.Resolve(
        entry, service != nullptr ? &service->port_labels : nullptr);
    const bool from_label =
        r.source == TemplateCatalog::Resolved::Source::kLabel;
    const size_t start = out->size();
    Status s = r.tmpl->Render(vars, out);
    if (!s.ok()) {
      return Fail(from_label ? Status::ServiceError(s.message()) : s);
    }
    if (service == nullptr) {
      return true;
    }
    // A service's placeholder values may not add lines, nor, under
    // `restricted`, make a label's lines refused ones; Marathon values used
    // as words must be one word.
    const std::string_view rendered =
        std::string_view(*out).substr(start);
    const int index = service->view.port_index;
    s = CheckRenderedLines(*r.tmpl, vars, rendered);
    if (s.ok() && from_label &&
        service->port_labels.policy == LabelPolicy::kRestricted) {
      s = CheckRenderedOverride(
          LabelName("HAPROXY_{n}_" + entry.name, index), *r.tmpl,
          TemplateOverrideInfo(state_.catalog, entry.name), vars, rendered);
      if (!s.ok()) {
        out->resize(start);
        return Fail(std::move(s));  // names the label
      }
      if (!shared_frontend.empty()) {
        state_.shared_overrides.push_back(
            {std::string(shared_frontend),
             LabelName("HAPROXY_{n}_" + entry.name, index),
             std::string(rendered)});
      }
    }
    if (s.ok() && !r.tmpl->words().empty()) {
      s = CheckPlaceholderWords(*r.tmpl, vars);
    }
    if (!s.ok()) {
      out->resize(start);
      return Fail(Status::ServiceError(
          TemplateCatalog::Origin(entry, r, index) + ": " + s.message()));
    }
    return true;
  }

  const PluginRegistry::Pack& pack_;
  State& state_;
};

ServiceRenderer::ServiceRenderer(const PluginRegistry& registry,
                                 const sdk::Config& config,
                                 std::vector<sdk::Family*> families)
    : registry_(registry),
      families_(std::move(families)),
      state_(std::make_unique<State>(registry.catalog(), config)) {
  for (const auto& pack : registry.packs()) {
    emitters_.push_back(std::make_unique<Emitter>(*pack, *state_));
  }
}

ServiceRenderer::~ServiceRenderer() = default;

std::vector<sdk::Family*> ServiceRenderer::RegistryFamilies(
    const PluginRegistry& registry) {
  std::vector<sdk::Family*> families;
  for (const auto& pack : registry.packs()) {
    families.push_back(pack->impl.get());
  }
  return families;
}

template <typename Call>
Status ServiceRenderer::ForEachFamily(Call call, uint32_t min_abi_minor) {
  for (size_t i = 0; i < families_.size(); ++i) {
    const PluginRegistry::Pack& pack = *registry_.packs()[i];
    if (pack.abi_minor < min_abi_minor) {
      continue;  // its vtable has no such method
    }
    bool ok = false;
    try {
      ok = call(*families_[i], *emitters_[i]);
    } catch (const std::exception& e) {
      return Status::Error("template family " + pack.family + " (" +
                           pack.path + ") threw: " + e.what());
    } catch (...) {
      return Status::Error("template family " + pack.family + " (" +
                           pack.path + ") threw");
    }
    // A failure the Emitter recorded stands even if the family went on.
    if (!ok || !state_->error.ok()) {
      return emitters_[i]->TakeError();
    }
  }
  return Status::OK();
}

void ServiceRenderer::Begin(ServiceRender* out) {
  *out = ServiceRender();
  state_->Start(nullptr, out);
  state_->maps.clear();
  out->status = ForEachFamily(
      [](sdk::Family& f, Emitter& emit) { return f.Begin(emit); });
  if (out->status.ok()) {
    out->status = state_->Seal();
  }
}

namespace {

// Under --label-policy restricted: why a label's lines in a frontend the
// services share act on requests that are not `view`'s (label_policy.h,
// SharedSectionOverrideProblem), or OK. `render`: all the service's lines;
// the host suffixes the rule took as own go to its `suffixes`, for the
// assembler to hold against the other apps' vhosts.
Status CheckSharedOverrides(
    const sdk::Service& view,
    const std::vector<SharedOverride>& overrides,
    ServiceRender* render) {
  if (overrides.empty()) {
    return Status::OK();
  }
  const OwnRequests own = {view.vhosts, view.app_id, view.service_port};
  for (const auto& o : overrides) {
    // All the service's lines in that frontend: an ACL it uses may come
    // from another of its templates.
    std::string section_text;
    for (const ServiceRender::Section& section : render->sections) {
      if (section.key == o.section) {
        section_text += section.text;
      }
    }
    for (const ServiceRender::Once& once : render->once) {
      if (once.section == o.section) {
        section_text += once.text;
      }
    }
    // The lines no label wrote: the section's text without each label's
    // (a label's text is in it as rendered).
    std::string other_text = section_text;
    for (const auto& label : overrides) {
      const size_t at = label.section == o.section && !label.text.empty()
                            ? other_text.find(label.text)
                            : std::string::npos;
      if (at != std::string::npos) {
        other_text.erase(at, label.text.size());
      }
    }
    std::vector<HostSuffix> suffixes;
    const std::string problem = SharedSectionOverrideProblem(
        o.text, o.section, section_text, other_text, own, &suffixes);
    if (!problem.empty()) {
      return Status::ServiceError("label " + o.label +
                                  " refused by --label-policy restricted: " +
                                  problem);
    }
    for (HostSuffix& suffix : suffixes) {
      render->suffixes.push_back({o.label, o.section, suffix.line,
                                  std::move(suffix.value),
                                  std::move(suffix.text)});
    }
  }
  return Status::OK();
}

}  // namespace

void ServiceRenderer::Render(const Service& service, ServiceRender* out) {
  *out = ServiceRender();
  state_->Start(&service, out);
  const sdk::Service& view = service.view;
  Status s = ForEachFamily([&](sdk::Family& f, Emitter& emit) {
    return f.AddService(view, emit);
  });
  sdk::Vars& options = state_->options;
  for (size_t i = 0; s.ok() && i < view.servers.size(); ++i) {
    const sdk::Server& server = view.servers[i];
    options.Clear();
    s = ForEachFamily([&](sdk::Family& f, Emitter& emit) {
      return f.ServerOptions(view, server, options, emit);
    });
    if (s.ok()) {
      s = ForEachFamily([&](sdk::Family& f, Emitter& emit) {
        return f.AddServer(view, server, options, emit);
      });
    }
  }
  if (s.ok()) {
    s = state_->Seal();
  }
  if (s.ok()) {
    s = CheckSharedOverrides(view, state_->shared_overrides, out);
  }
  out->status = std::move(s);
}

void ServiceRenderer::Finish(const Collection& collected, ServiceRender* out) {
  *out = ServiceRender();
  state_->Start(nullptr, out, &collected);
  out->status = ForEachFamily(
      [](sdk::Family& f, Emitter& emit) { return f.Finish(emit); },
      2);  // Family::Finish came with ABI 2.2
  if (out->status.ok()) {
    out->status = state_->Seal();
  }
  state_->collection = nullptr;
}

}  // namespace mlb
