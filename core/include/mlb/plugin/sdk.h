// marathon-lb template-pack SDK: the only header a template pack includes.
//
// A template pack is a shared object that marathon-lb loads at run time from
// a --plugin-dir. It provides one template family (frontends, backends, ...,
// or one of its own) and declares everything it reads and writes:
//   - its templates: name, default text, flags, placeholders, and the section
//     of the config their text goes to (mlb_template_def);
//   - the app labels it reads, each with a kind (mlb_label_def). marathon-lb
//     checks every declared label by its kind and the --label-policy before
//     the pack sees it, drops the service port with an error naming the app
//     and the label when the value is bad, and hands the pack typed values
//     (Service::Flag, Service::Text, Service::Number).
// It exports one symbol, `mlb_plugin`, a plain C descriptor
// (MLB_DECLARE_PLUGIN). The host checks the descriptor and compiles every
// default template before it calls any code of the pack; then it calls
// `create_family` for a Family object, which it keeps (and the library) for
// the life of the process.
//
// A Family decides when its templates apply and fills their placeholders; it
// never writes config text itself. It asks the Emitter to render a template
// (by its index in the pack's template table) into the template's section;
// the Emitter applies the operator's precedence (HAPROXY_{n}_<NAME> label >
// $HAPROXY_<NAME> > templates/HAPROXY_<NAME> file > the pack's default) and
// the label policy.
//
// Compatibility: the descriptor is C; the Family interface uses C++ standard
// library types, so a pack is built with the same compiler and standard
// library as marathon-lb (g++ / libstdc++ on Debian 12). No exception may
// leave a Family method: report failures with Emitter::Fail.
//
// ABI versions: a major bump breaks packs and the host refuses a pack built
// for another major version, naming both; a minor bump only appends fields
// to the descriptor (read only when the pack's struct_size covers them),
// virtual methods at the end of Emitter, or fields at the end of Config or Service
// (which only marathon-lb makes; a pack reads them by reference). A virtual
// method appended to Family (which the pack makes) is called only on packs
// whose descriptor says they were built for the minor version that added it.
//   2.0  typed labels, templates with their section, placeholder sets (Vars)
//   2.1  label kinds MLB_LABEL_WORDS and MLB_LABEL_NETWORK_LIST,
//        Emitter::SetRouteWeight
//   2.2  HAProxy map files (Emitter::DeclareMap, AddMapEntry), lines shared
//        by the services of a frontend (Emitter::AddOnce), Config::haproxy_map,
//        Config::server_state_file,
//        MLB_TEMPLATE_FORMATTED_DEFAULT, Service::check_ports and
//        Service::CheckPort (HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX),
//        sections the services share under a name the family gives
//        (MLB_SECTION_NAMED, Emitter::AddTo), values collected across
//        services (Emitter::Collect, Collected) and Family::Finish (called
//        only on packs built for 2.2 or later), Config::group_https_by_vhost
//   2.3  Service::draining and Service::Draining (HAPROXY_DEPLOYMENT_GROUP),
//        Config::admin_address
// docs/plugin-sdk.md is the guide for pack authors.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#define MLB_PLUGIN_ABI_MAJOR 2u
#define MLB_PLUGIN_ABI_MINOR 3u

#define MLB_PLUGIN_EXPORT __attribute__((visibility("default")))

extern "C" {

// mlb_template_def.flags
#define MLB_TEMPLATE_OVERRIDABLE 1u  // HAPROXY_{n}_<NAME> labels may replace it
#define MLB_TEMPLATE_VERBATIM 2u     // inserted as is: no {placeholders}
// Part of another line (the server health-check options): rendered with
// Emitter::Render into a placeholder value, never into a section; its text
// is trimmed and, when not empty, prefixed with one space.
#define MLB_TEMPLATE_INLINE 4u
// (ABI 2.2) With VERBATIM: the pack's default text is formatted with its
// {placeholders} (as marathon-lb built its global section); an operator's text (file,
// environment) is still inserted as is.
#define MLB_TEMPLATE_FORMATTED_DEFAULT 8u

// mlb_template_def.section: the config section Emitter::Add appends the
// template's text to. Sections are written in this order; the sections of
// services in (app id, service port) order.
#define MLB_SECTION_NONE 0u            // inline templates
#define MLB_SECTION_HEAD 1u            // global, defaults, listen stats
#define MLB_SECTION_USERLIST 2u        // the service's userlist
#define MLB_SECTION_HTTP_FRONTEND 3u   // frontend marathon_http_in (:80)
#define MLB_SECTION_APPID_FRONTEND 4u  // frontend marathon_http_appid_in (:9091)
#define MLB_SECTION_HTTPS_FRONTEND 5u  // frontend marathon_https_in (:443)
#define MLB_SECTION_FRONTEND 6u        // the service's own frontend
#define MLB_SECTION_BACKEND 7u         // the service's backend
// (ABI 2.2) A section the services share under a name the family gives
// (Emitter::AddTo), such as the TLS frontend of one vhost. Named sections
// are written after marathon_https_in and before the services' own
// sections, in name order (byte order). The name is the HAProxy name of the
// frontend and/or backend its text declares ("frontend <name>",
// "backend <name>"), and Family::Finish opens it: its text from Finish
// comes first, then the services' lines, ordered by route weight as in the
// :80 and :443 frontends. Its text must start with a "frontend", "backend"
// or "listen" line of that name.
#define MLB_SECTION_NAMED 8u

struct mlb_template_def {
  const char* name;          // "MY_TEMPLATE": file HAPROXY_MY_TEMPLATE
  const char* text;          // default text, marathon-lb syntax
  uint32_t flags;            // MLB_TEMPLATE_*
  const char* placeholders;  // space-separated names the pack supplies;
                             // "name[*]" admits every {name[key]}
  const char* description;   // one line for --longhelp
  uint32_t section;          // MLB_SECTION_*
  // Where one service's text goes among its other text in that section:
  // lower first, equal in the order the family added it.
  int32_t order;
  // Placeholders whose value (from Marathon) must stay one word of a config
  // line, each "name=what it is", separated by '\n': a value with a space,
  // a quote, a backslash, a brace, '#', '$', a control or an invisible
  // character drops the service port, naming `what`.
  const char* words;
  // Space-separated templates an app label must empty together with this
  // one when it empties this one (a section head whose lines would
  // otherwise join the previous section).
  const char* empty_with;
};

// mlb_label_def.kind: how marathon-lb reads and checks a label's value. Every
// kind refuses control characters and invisible or Unicode space characters.
#define MLB_LABEL_BOOL 1u     // true/t/yes/y (any case) is true, else false
#define MLB_LABEL_INTEGER 2u  // Python's int(): spaces, a sign, digits
#define MLB_LABEL_PORT 3u     // an integer 1..65535
#define MLB_LABEL_WORD 4u     // one word of a config line: no space, quote,
                              // backslash, brace or '#'
#define MLB_LABEL_HOST_LIST 5u  // words separated by ',', lower-cased; none
                                // starts with '-'
#define MLB_LABEL_CERTIFICATE 6u  // a word naming a certificate file of the
                                  // LB host; the file is checked
#define MLB_LABEL_TEXT 7u         // one line of text
#define MLB_LABEL_WORDS 8u  // WORDs separated by spaces; handed over with
                            // single spaces between them (ABI 2.1)
#define MLB_LABEL_NETWORK_LIST 9u  // IP addresses or networks (address/
                                   // prefix) separated by spaces, at least
                                   // one; handed over canonical, with single
                                   // spaces between them (ABI 2.1)

struct mlb_label_def {
  // "HAPROXY_{n}_MAXCONN": per service port n; without "{n}" the label
  // is the app's ("HAPROXY_X").
  const char* name;
  uint32_t kind;            // MLB_LABEL_*
  const char* description;  // one line for --longhelp
};

struct mlb_plugin_descriptor {
  // Never reorder these three: the host reads them before anything else.
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;

  const char* family;        // e.g. "backends", or a family of the pack's own
  const char* pack;          // reverse-DNS pack name, e.g. "io.mlb.builtin"
  const char* pack_version;  // e.g. "2.0.0"
  const char* description;
  const struct mlb_template_def* templates;
  uint32_t template_count;
  const struct mlb_label_def* labels;
  uint32_t label_count;
  // Returns a new mlb::sdk::Family (as void*); the host owns it.
  void* (*create_family)(void);
};

}  // extern "C"

namespace mlb {
namespace sdk {

// A template of the pack: its index in the pack's mlb_template_def table.
using TemplateId = uint32_t;

// The values of a template's placeholders: a small flat set of (name,
// value) pairs. Names and values are copied in; the usual handful lives
// inside the object, so filling one costs no heap allocation.
//   sdk::Vars vars = {{"backend", svc.backend}, {"port", server.port}};
class Vars {
 public:
  // A value given as text or as a number (written in decimal).
  class Value {
   public:
    Value(std::string_view text) : text_(text) {}
    Value(const std::string& text) : text_(text) {}
    Value(const char* text) : text_(text) {}
    Value(int number) { Format(number); }
    Value(long number) { Format(number); }
    Value(long long number) { Format(number); }
    Value(unsigned number) { Format(number); }
    Value(unsigned long number) { Format(number); }
    Value(unsigned long long number) { Format(number); }
    Value(bool) = delete;  // say "True"/"False", "true", "1": which?
    Value(const Value& other) { *this = other; }
    Value& operator=(const Value& other) {
      if (other.text_.data() == other.digits_) {
        std::memcpy(digits_, other.digits_, sizeof(digits_));
        text_ = std::string_view(digits_, other.text_.size());
      } else {
        text_ = other.text_;
      }
      return *this;
    }
    std::string_view text() const { return text_; }

   private:
    template <typename T>
    void Format(T number) {
      const std::to_chars_result r =
          std::to_chars(digits_, digits_ + sizeof(digits_), number);
      text_ = std::string_view(digits_, static_cast<size_t>(r.ptr - digits_));
    }
    char digits_[24];
    std::string_view text_;
  };

  Vars() = default;
  Vars(std::initializer_list<std::pair<std::string_view, Value>> values) {
    for (const auto& [name, value] : values) {
      Set(name, value);
    }
  }

  // Sets `name` to `value`; a later Set of the same name wins. The name and
  // the value may be views of this set's own text.
  void Set(std::string_view name, const Value& value) {
    std::string_view text = value.text();
    if (Owns(name) || Owns(text)) {  // Append may move the text they view
      const std::string copy = std::string(name) + std::string(text);
      Set(std::string_view(copy).substr(0, name.size()),
          std::string_view(copy).substr(name.size()));
      return;
    }
    Entry e;
    e.key = Key(name);
    e.name_offset = Append(name);
    e.name_size = static_cast<uint32_t>(name.size());
    e.value_offset = Append(text);
    e.value_size = static_cast<uint32_t>(text.size());
    if (count_ < kInlineEntries) {
      inline_entries_[count_] = e;
    } else {
      if (count_ == kInlineEntries) {
        heap_entries_.assign(inline_entries_, inline_entries_ + count_);
      }
      heap_entries_.push_back(e);
    }
    ++count_;
  }

  // The value of `name`, or "" when it is not set.
  std::string_view Get(std::string_view name) const {
    const int i = Find(name, Key(name));
    return i < 0 ? std::string_view() : value(static_cast<size_t>(i));
  }
  bool Has(std::string_view name) const { return Find(name, Key(name)) >= 0; }

  // The index of the value of `name` (whose Key() is `key`), or -1.
  int Find(std::string_view name, uint32_t key) const {
    const Entry* e = entries();
    const char* text = this->text();
    for (size_t i = count_; i-- > 0;) {
      if (e[i].key == key && e[i].name_size == name.size() &&
          std::memcmp(text + e[i].name_offset, name.data(), name.size()) == 0) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  // The entries in the order they were set, those a later Set replaced
  // included.
  size_t size() const { return count_; }
  std::string_view name(size_t i) const {
    const Entry& e = entries()[i];
    return std::string_view(text() + e.name_offset, e.name_size);
  }
  std::string_view value(size_t i) const {
    const Entry& e = entries()[i];
    return std::string_view(text() + e.value_offset, e.value_size);
  }

  void Clear() {
    count_ = 0;
    text_size_ = 0;
    heap_entries_.clear();
    heap_text_.clear();
  }

  // What Find() compares before the names: their length, first and last
  // character.
  static uint32_t Key(std::string_view name) {
    if (name.empty()) {
      return 0;
    }
    return static_cast<uint32_t>(name.size()) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(name.front())) << 8 |
           static_cast<unsigned char>(name.back());
  }

 private:
  static constexpr size_t kInlineEntries = 16;
  static constexpr size_t kInlineText = 512;
  struct Entry {
    uint32_t key;
    uint32_t name_offset;
    uint32_t name_size;
    uint32_t value_offset;
    uint32_t value_size;
  };

  const Entry* entries() const {
    return count_ <= kInlineEntries ? inline_entries_ : heap_entries_.data();
  }
  const char* text() const {
    return text_size_ <= kInlineText ? inline_text_ : heap_text_.data();
  }

  // Whether `s` is a view of this set's text.
  bool Owns(std::string_view s) const {
    const char* begin = text();
    return !s.empty() && s.data() >= begin && s.data() < begin + text_size_;
  }

  // Appends `s` to the text; returns where it starts.
  uint32_t Append(std::string_view s) {
    const size_t at = text_size_;
    if (at + s.size() <= kInlineText) {
      if (!s.empty()) {
        std::memcpy(inline_text_ + at, s.data(), s.size());
      }
    } else {
      if (at <= kInlineText) {
        heap_text_.assign(inline_text_, at);
      }
      heap_text_.append(s.data(), s.size());
    }
    text_size_ = at + s.size();
    return static_cast<uint32_t>(at);
  }

  size_t count_ = 0;
  size_t text_size_ = 0;
  Entry inline_entries_[kInlineEntries];
  char inline_text_[kInlineText];
  std::vector<Entry> heap_entries_;  // all entries, past kInlineEntries
  std::string heap_text_;            // all text, past kInlineText
};

// A Marathon health check, as chosen for one service port.
struct HealthCheck {
  std::string protocol;  // HTTP, HTTPS, TCP, COMMAND, MESOS_HTTP, ...
  std::optional<int> port_index;
  std::optional<int> port;
  std::string path = "/";
  int timeout_seconds = 20;
  int interval_seconds = 60;
  int grace_period_seconds = 300;
  int max_consecutive_failures = 3;
  std::optional<bool> ignore_http1xx;
  // The raw Marathon object, for {healthCheck} (Python's repr of the dict)
  // and {healthCheck[key]} (Python's str of one field).
  std::string raw_repr;
  std::map<std::string, std::string> raw_fields;
};

// One task of a service: one `server` line.
struct Server {
  std::string host;  // Mesos agent host as Marathon reports it
  std::string ip;    // address HAProxy connects to
  int port = 0;
  std::string name;  // stable server name, e.g. "agent1_10_0_0_1_31000"
  int id = 0;        // stable server id, 1..32766
};

// A declared label present on the app, as marathon-lb read it.
struct LabelValue {
  std::string name;       // as declared: "HAPROXY_{n}_MAXCONN"
  std::string label;      // as the app wrote it: "HAPROXY_1_MAXCONN"
  uint32_t kind = 0;      // MLB_LABEL_*
  std::string text;       // the value (HOST_LIST: lower-cased)
  bool flag = false;      // BOOL
  long long number = 0;   // INTEGER, PORT
};

// The words of a WORDS or NETWORK_LIST label's text, which the host hands
// over with single spaces between them: "10.0.0.0/8 127.0.0.1" ->
// {"10.0.0.0/8", "127.0.0.1"}. The views point into `text`.
inline std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    out.push_back(text.substr(0, space));
    text = space == std::string_view::npos ? std::string_view()
                                           : text.substr(space + 1);
  }
  return out;
}

// One service port of one app that passed the group and label checks.
struct Service {
  std::string app_id;    // "/web/front"
  std::string backend;   // "web_front_10001": the name of its sections
  int port_index = 0;    // n in HAPROXY_{n}_*
  int service_port = 0;  // after HAPROXY_{n}_PORT
  std::string mode;      // "http" or "tcp"
  std::string bind_addr = "*";      // HAPROXY_{n}_BIND_ADDR
  std::string vhost_label;          // HAPROXY_{n}_VHOST, lower-cased; "" if unset
  std::vector<std::string> vhosts;  // vhost_label split on ','
  // The first http-mode service port of its app (in service port order).
  bool first_http_port = false;
  std::optional<HealthCheck> health_check;
  std::vector<Server> servers;      // sorted by (host, port)
  // The declared labels (of every loaded pack) present on the app, read for
  // this port.
  std::vector<LabelValue> labels;
  // (ABI 2.2) With HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX=k and a health
  // check: per server of `servers` (same order), the port its task has at
  // port index k, where HAProxy checks it. Empty otherwise.
  std::vector<int> check_ports;
  // (ABI 2.3) HAPROXY_DEPLOYMENT_GROUP: per server of `servers` (same
  // order), 1 for an old blue/green task being drained (marathon-lb 1.15
  // renders its server line ` disabled`). Empty when no server drains.
  std::vector<uint8_t> draining;

  // (ABI 2.2) The port in check_ports of `server`, an element of `servers`
  // (the server Family::ServerOptions and AddServer are given); nullopt when
  // check_ports is empty.
  std::optional<int> CheckPort(const Server& server) const {
    const std::less<const Server*> before;
    if (check_ports.size() != servers.size() ||
        before(&server, servers.data()) ||
        !before(&server, servers.data() + servers.size())) {
      return std::nullopt;
    }
    return check_ports[static_cast<size_t>(&server - servers.data())];
  }

  // (ABI 2.3) Whether `server`, an element of `servers`, is an old task of a
  // blue/green deployment group being drained.
  bool Draining(const Server& server) const {
    const std::less<const Server*> before;
    if (draining.size() != servers.size() || before(&server, servers.data()) ||
        !before(&server, servers.data() + servers.size())) {
      return false;
    }
    return draining[static_cast<size_t>(&server - servers.data())] != 0;
  }

  // Label `name` ("HAPROXY_{n}_MAXCONN", as declared), or null when the app
  // does not set it.
  const LabelValue* Label(std::string_view name) const {
    for (const LabelValue& label : labels) {
      if (label.name == name) {
        return &label;
      }
    }
    return nullptr;
  }
  // A BOOL label; false when not set.
  bool Flag(std::string_view name) const {
    const LabelValue* label = Label(name);
    return label != nullptr && label->flag;
  }
  // A label's text; "" when not set.
  std::string_view Text(std::string_view name) const {
    const LabelValue* label = Label(name);
    return label == nullptr ? std::string_view() : label->text;
  }
  // An INTEGER or PORT label; `otherwise` when not set.
  long long Number(std::string_view name, long long otherwise) const {
    const LabelValue* label = Label(name);
    return label == nullptr ? otherwise : label->number;
  }
};

// Generation-wide settings from the command line.
struct Config {
  bool bind_http_https = true;
  std::vector<std::string> ssl_certs;  // --ssl-certs, defaults applied
  std::string haproxy_dir;             // directory of --haproxy-config
  bool haproxy_map = false;            // --haproxy-map (ABI 2.2)
  // (ABI 2.2) Where marathon-lb saves the servers' state before each reload
  // of the HAProxy it runs (--run-haproxy), for the config's
  // server-state-file; "" when it saves none.
  std::string server_state_file;
  // --group-https-by-vhost (ABI 2.2): :443 is a TCP frontend that passes
  // each TLS connection, by SNI, to a TLS frontend of its vhost.
  bool group_https_by_vhost = false;
  // (ABI 2.3) Where HAProxy reaches marathon-lb's admin server
  // (--admin-address in sse and event mode), as a server address:
  // "127.0.0.1:9089"; "" when there is none.
  std::string admin_address;
};

// Host services offered to a Family during one generation. Each Family
// instance has an Emitter of its own, which knows the pack's templates.
class Emitter {
 public:
  virtual ~Emitter() = default;

  virtual const Config& config() const = 0;

  // Renders template `id` with `vars` and appends the text to the
  // template's section: during Family::Begin the global one, during
  // AddService the current service's. False on failure (the error is
  // recorded; return false then).
  virtual bool Add(TemplateId id, const Vars& vars) = 0;

  // Renders template `id` with `vars`, appending the text to *out (an inline
  // template's text, used as a placeholder value of another template).
  virtual bool Render(TemplateId id, const Vars& vars, std::string* out) = 0;

  // Renders template `id` with `vars` as the `server` line of `server`, into
  // the current service's backend.
  virtual bool AddServer(const Server& server, TemplateId id,
                         const Vars& vars) = 0;

  // Records why the family fails and returns false. During AddService,
  // ServerOptions and AddServer it drops the current service port only;
  // during Begin it fails the whole generation (the live config stays).
  virtual bool Fail(const std::string& message) = 0;

  // (ABI 2.1) Where the current service's lines go among every service's
  // lines in the shared :80 and :443 frontends (marathon-lb's vhost rule
  // order): higher first; equal weights keep the (app id, service port)
  // order. 0 unless a family sets it during AddService; the last one wins.
  virtual void SetRouteWeight(long long weight) = 0;

  // (ABI 2.2) From Begin: this generation writes the HAProxy map file
  // `file` (a plain name such as "domain2backend.map") in the directory of
  // the config (Config::haproxy_dir), even when it stays empty. The config
  // and its maps are checked by `haproxy -c` and put in place together.
  virtual bool DeclareMap(std::string_view file) = 0;

  // (ABI 2.2) From AddService: the line "key value" in the declared map
  // `file`. Lines keep the order of services; a line equal to an earlier
  // one is written once. Key and value are one word each (no space,
  // control character or leading '#'), else the service port is dropped.
  virtual bool AddMapEntry(std::string_view file, std::string_view key,
                           std::string_view value) = 0;

  // (ABI 2.2) From AddService: renders template `id` (of a shared section:
  // :80, :443, :9091) as a line the services share, such as a map lookup:
  // only the first service (in app id, service port order) that adds a
  // line under `key` puts it in the config; later ones are dropped. In :80
  // and :443 it goes among the services' lines with route weight `weight`.
  virtual bool AddOnce(std::string_view key, TemplateId id, const Vars& vars,
                       long long weight) = 0;

  // (ABI 2.2) Renders template `id` into the named section `section`
  // (MLB_SECTION_NAMED): a template declared for a named section, or for a
  // section the services share (:80, :9091, :443), whose text then goes
  // to `section` instead. From AddService: the service's lines there, which
  // are put among every service's lines by route weight; from Finish: the
  // section's opening text (in call order), which comes first.
  // `what` says what the section stands for ("vhost www.example.com"):
  // every call for one section gives the same `what`. A service port whose
  // named section has another `what` than an earlier service's, or the
  // name of an earlier service's own sections (its backend name), or of a
  // frontend or backend of the global part, is dropped with an error naming
  // both; so is a service port whose backend name is an earlier service's
  // named section.
  virtual bool AddTo(std::string_view section, std::string_view what,
                     TemplateId id, const Vars& vars) = 0;

  // (ABI 2.2) From AddService: remembers `value` under `key` (the family's
  // own keys: families do not see each other's) for Family::Finish.
  virtual void Collect(std::string_view key, std::string_view value) = 0;

  // (ABI 2.2) From Finish: the values collected under `key` by the service
  // ports that are in the config (not those dropped), each once, in the
  // order of the first service port (app id, service port) that collected
  // it, and for one service port in the order it collected them.
  virtual std::vector<std::string> Collected(std::string_view key) const = 0;
};

// A template family. Each generation calls, on each instance: Begin; then
// for each service it renders, AddService, and for each of its servers
// ServerOptions (on every family) and then AddServer (on every family, with
// what every family's ServerOptions set). Once every service is in the
// config, it calls Finish on one instance of each family. Families are
// called in the order of their names. A method returns false after a
// failed Emitter call or Emitter::Fail.
//
// Threads: the host may create several instances (create_family once per
// rendering thread) and render different services on each at once; one
// instance is only ever called from one thread. So instances share no
// mutable state, and nothing carries from one service to the next
// (docs/plugin-sdk.md, "Threads").
class Family {
 public:
  virtual ~Family() = default;
  virtual bool Begin(Emitter&) { return true; }
  virtual bool AddService(const Service&, Emitter&) { return true; }
  // Sets placeholder values for the server line of `server` (an element of
  // the service's `servers`, as in AddServer) in *options (cookieOptions,
  // healthCheckOptions, ...).
  virtual bool ServerOptions(const Service&, const Server&, Vars& /*options*/,
                             Emitter&) {
    return true;
  }
  // Adds the server line of `server`, given every family's options.
  virtual bool AddServer(const Service&, const Server&,
                         const Vars& /*options*/, Emitter&) {
    return true;
  }
  // (ABI 2.2) Called once per generation, on one instance, after every
  // service port is in the config (or dropped): adds what depends on all of
  // them, from what they collected (Emitter::Collected), into the global
  // sections and named sections (Emitter::AddTo). A failure fails the
  // generation (the live config stays). Called only on packs built for ABI
  // 2.2 or later (mlb_plugin_descriptor.abi_minor >= 2): a pack built for
  // 2.0 or 2.1 has no such method in its vtable.
  virtual bool Finish(Emitter&) { return true; }
};

// marathon-lb's name cleaning, re.sub("[^a-zA-Z0-9-]", "_", s): one '_' per
// Unicode code point (UTF-8 continuation bytes do not add underscores).
inline std::string CleanName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-') {
      out.push_back(ch);
    } else if ((c & 0xC0) != 0x80) {
      out.push_back('_');
    }
  }
  return out;
}

// App id without its leading '/', remaining '/' as '_': "/web/front" ->
// "web_front".
inline std::string AppIdPath(std::string_view app_id) {
  std::string out(!app_id.empty() && app_id[0] == '/' ? app_id.substr(1)
                                                       : app_id);
  for (char& c : out) {
    if (c == '/') {
      c = '_';
    }
  }
  return out;
}

// The names marathon-lb generates for a service are injective: two
// distinct inputs never give one name, so that no app can declare, with its
// own id and vhost, a name HAProxy would merge with another app's (it ORs
// the ACLs of one name in a proxy) or that another app needs. marathon-lb
// 1.15's names were not ("a.b.c" of /d and "a.b" of /c/d both gave
// host_a_b_c_d): the names of a service end with "_<service port>", which
// no other service has.

// {cleanedUpHostname}: the name of a service's vhost ACL, shared by all its
// vhosts: cleaned first vhost + '_' + app id path + '_' + service port
// ("www_example_com_web_front_10000"). Two apps sharing a vhost get
// distinct ACLs (as in marathon-lb 1.15), and the service port makes the
// name injective (1.15 had no port).
inline std::string VhostAclName(const Service& svc) {
  return CleanName(svc.vhosts.empty() ? "" : svc.vhosts.front()) + "_" +
         AppIdPath(svc.app_id) + "_" + std::to_string(svc.service_port);
}

// {cleanedUpAppId}: the name of the :9091 ACL of an app: cleaned app id +
// '_' + service port ("_web_front_10000"; 1.15 had no port, so /a.b and
// /a/b shared one ACL).
inline std::string AppIdAclName(const Service& svc) {
  return CleanName(svc.app_id) + "_" + std::to_string(svc.service_port);
}

// --group-https-by-vhost: the name of a vhost's TLS frontend and of the
// backend that leads to it. A host name ([a-z0-9.-], vhosts are lower
// case) is its own name: it has no '_', so it is no backend's name (those
// end with "_<port>"), and no other vhost's. Any other vhost is named by
// its bytes in hex between underscores ("_615f62_" for "a_b"): never a host
// name, never a backend's (which ends with a digit). 1.15 used the cleaned
// vhost, which "shop_example_com" or "shop.10002" could take from
// "shop.example.com" or from the backend shop_10002.
//
// The name is also the abstract socket between the two (`abns@<name>`),
// which HAProxy 2.6 takes up to 107 bytes ("socket path ... too long (max
// 107)", which fails haproxy -c for every app). A longer name is cut to its
// first 74 bytes, then ':' and the first 16 bytes of the SHA-256 of the
// vhost in hex (107 bytes): ':' is in no other name (host names, the hex
// form and backend names have none), and the hash keeps distinct vhosts
// apart (no one can make a vhost whose name is another's).
namespace detail {

// SHA-256 (FIPS 180-4) of `data`, for the long names above (the SDK is
// headers only: packs do not link the core's).
inline std::string Sha256Hex(std::string_view data) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
      0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
      0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
      0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
      0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
      0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
      0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
      0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  // The message, a 1 bit, zeros, and its length in bits (big-endian), in
  // whole 64-byte blocks.
  std::string m(data);
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  m.push_back(static_cast<char>(0x80));
  while (m.size() % 64 != 56) {
    m.push_back('\0');
  }
  for (int i = 7; i >= 0; --i) {
    m.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }
  const auto rotr = [](uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
  };
  for (size_t block = 0; block < m.size(); block += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = 0;
      for (int j = 0; j < 4; ++j) {
        w[i] = (w[i] << 8) | static_cast<unsigned char>(m[block + 4 * i + j]);
      }
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 =
          rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 =
          rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5],
             g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
                          ((e & f) ^ (~e & g)) + k[i] + w[i];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
                          ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (const uint32_t word : h) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      out.push_back(kHex[(word >> shift) & 0xF]);
    }
  }
  return out;
}

}  // namespace detail

// The longest VhostSectionName: HAProxy's limit for an abns@ socket name.
inline constexpr size_t kMaxVhostSectionName = 107;

inline std::string VhostSectionName(std::string_view vhost) {
  bool host_name = !vhost.empty();
  for (const char c : vhost) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-')) {
      host_name = false;
    }
  }
  std::string out;
  if (host_name) {
    out = std::string(vhost);
  } else {
    static const char kHex[] = "0123456789abcdef";
    out = "_";
    for (const char ch : vhost) {
      const unsigned char c = static_cast<unsigned char>(ch);
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
    out.push_back('_');
  }
  if (out.size() <= kMaxVhostSectionName) {
    return out;
  }
  constexpr size_t kHashHex = 32;  // 128 bits of SHA-256
  out.resize(kMaxVhostSectionName - kHashHex - 1);
  out.push_back(':');
  out += detail::Sha256Hex(vhost).substr(0, kHashHex);
  return out;
}

// (ABI 2.2) --group-https-by-vhost: adds template `id` to the TLS frontend
// of `vhost`, the named section VhostSectionName(vhost), which stands for
// "vhost <vhost>" (Emitter::AddTo). The families that route a vhost on :443
// and the one that opens its sections (in Finish) all add through this.
inline bool AddToVhostSection(Emitter& emit, std::string_view vhost,
                              TemplateId id, const Vars& vars) {
  return emit.AddTo(VhostSectionName(vhost), "vhost " + std::string(vhost), id,
                    vars);
}

// Python's rendering of optional values: None when absent.
inline std::string PyStr(const std::optional<int>& v) {
  return v ? std::to_string(*v) : "None";
}
inline std::string PyStr(const std::optional<bool>& v) {
  return v ? (*v ? "True" : "False") : "None";
}

}  // namespace sdk
}  // namespace mlb

// Declares the pack descriptor. Use once per pack, at namespace scope:
//   MLB_DECLARE_PLUGIN("limits", "com.example.limits", "1.0.0", "…",
//                      kTemplates, MLB_LABELS(kLabels), Limits)
// `templates` is an array of mlb_template_def, `labels` of mlb_label_def
// (their sizes are taken with sizeof); a pack without labels passes
// MLB_NO_LABELS.
#define MLB_DECLARE_PLUGIN(family, pack, version, description, templates,   \
                           labels, FamilyClass)                             \
  static void* mlb_create_family_() {                                       \
    return static_cast< ::mlb::sdk::Family*>(new FamilyClass());            \
  }                                                                         \
  extern "C" MLB_PLUGIN_EXPORT const mlb_plugin_descriptor mlb_plugin;      \
  extern "C" const mlb_plugin_descriptor mlb_plugin = {                     \
      MLB_PLUGIN_ABI_MAJOR,                                                 \
      MLB_PLUGIN_ABI_MINOR,                                                 \
      sizeof(mlb_plugin_descriptor),                                        \
      family,                                                               \
      pack,                                                                 \
      version,                                                              \
      description,                                                          \
      templates,                                                            \
      sizeof(templates) / sizeof((templates)[0]),                           \
      (labels).data,                                                        \
      (labels).count,                                                       \
      &mlb_create_family_}

// The labels argument of MLB_DECLARE_PLUGIN: MLB_LABELS(kLabels) for an
// array of mlb_label_def, MLB_NO_LABELS for none.
namespace mlb {
namespace sdk {
struct LabelTable {
  const mlb_label_def* data;
  uint32_t count;
};
}  // namespace sdk
}  // namespace mlb
#define MLB_LABELS(array) \
  (::mlb::sdk::LabelTable{array, sizeof(array) / sizeof((array)[0])})
#define MLB_NO_LABELS (::mlb::sdk::LabelTable{nullptr, 0})
