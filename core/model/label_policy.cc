#include "core/model/label_policy.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/model/labels.h"
#include "core/config/template.h"
#include "core/base/text.h"

namespace mlb {
namespace {

// ---------------------------------------------------------------------------
// Characters

// Invisible and space characters other than ASCII space and tab, refused in
// every typed label and, under `restricted`, in template overrides. HAProxy
// separates words with ASCII space and tab only, so these never separate
// anything; they only make a value look like something it is not (a vhost
// that matches no request, a keyword hidden behind a no-break space that
// fails `haproxy -c` for every app, bidi controls that reorder what a
// reviewer sees).
struct CodePointRange {
  uint32_t first;
  uint32_t last;
  std::string_view name;
};
constexpr CodePointRange kRefusedCodePoints[] = {
    {0x00A0, 0x00A0, "no-break space"},
    {0x00AD, 0x00AD, "soft hyphen"},
    {0x1680, 0x1680, "ogham space mark"},
    {0x180E, 0x180E, "mongolian vowel separator"},
    {0x2000, 0x200A, "Unicode space"},
    {0x200B, 0x200B, "zero width space"},
    {0x200C, 0x200D, "zero width joiner"},
    {0x200E, 0x200F, "bidi mark"},
    {0x2028, 0x2029, "Unicode line separator"},
    {0x202A, 0x202E, "bidi control"},
    {0x202F, 0x202F, "narrow no-break space"},
    {0x205F, 0x205F, "medium mathematical space"},
    {0x2060, 0x2060, "word joiner"},
    {0x2066, 0x2069, "bidi control"},
    {0x3000, 0x3000, "ideographic space"},
    {0xFEFF, 0xFEFF, "zero width no-break space"},
};

// Decodes the UTF-8 sequence at s[*i]; false (and *i unchanged) if invalid.
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  size_t len = 0;
  uint32_t value = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    *cp = c;
    ++*i;
    return true;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2, value = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, value = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, value = c & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (*i + len > s.size()) {
    return false;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char next = static_cast<unsigned char>(s[*i + k]);
    if ((next & 0xC0) != 0x80) {
      return false;
    }
    value = (value << 6) | (next & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return false;
  }
  *cp = value;
  *i += len;
  return true;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", cp);
  return buf;
}

bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

const CodePointRange* RefusedCodePoint(uint32_t cp) {
  for (const CodePointRange& range : kRefusedCodePoints) {
    if (cp >= range.first && cp <= range.last) {
      return &range;
    }
  }
  return nullptr;
}

// A value for one log line: control and refused characters escaped (\n, \t,
// \r, \xNN, \uXXXX), backslashes doubled, everything else as it is.
std::string Show(std::string_view value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    const size_t start = i;
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x",
                    static_cast<unsigned char>(value[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp < 0x80 && IsControl(cp)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", cp);
      out += buf;
    } else if (IsControl(cp) || RefusedCodePoint(cp) != nullptr) {
      char buf[12];
      std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      out += buf;
    } else {
      out.append(value.substr(start, i - start));
    }
  }
  return out;
}

// Why `value` may not be used, naming the first bad character (counted in
// characters from 1), or "" if every character is acceptable. Tab and
// newline pass when `lines` (template text).
std::string BadCharacter(std::string_view value, bool lines) {
  size_t i = 0;
  for (size_t n = 1; i < value.size(); ++n) {
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      return "is not UTF-8 at byte " + std::to_string(i + 1);
    }
    if (lines && (cp == '\n' || cp == '\t')) {
      continue;
    }
    if (IsControl(cp)) {
      const std::string what = cp == '\n'   ? "a newline"
                               : cp == '\r' ? "a carriage return"
                               : cp == '\t' ? "a tab"
                                            : "a control character";
      return "has " + what + " (" + CodePointName(cp) + ") at character " +
             std::to_string(n);
    }
    if (const CodePointRange* range = RefusedCodePoint(cp)) {
      return "has " + CodePointName(cp) + " (" + std::string(range->name) +
             ") at character " + std::to_string(n);
    }
  }
  return "";
}

// Characters HAProxy's config reader gives a meaning to. A typed label that
// becomes one word of a config line (a vhost in an ACL, a certificate path
// after `crt`, a bind address) must not contain them: they would add words,
// cut the line short or change how the rest of the line is read.
struct StructureCharacter {
  char c;
  std::string_view why;
};
constexpr StructureCharacter kStructureCharacters[] = {
    {' ', "a space would add words to the HAProxy line"},
    {'#', "'#' starts an HAProxy comment"},
    {'"', "HAProxy reads quotes and backslashes as quoting"},
    {'\'', "HAProxy reads quotes and backslashes as quoting"},
    {'\\', "HAProxy reads quotes and backslashes as quoting"},
    {'{', "braces delimit HAProxy conditions"},
    {'}', "braces delimit HAProxy conditions"},
};

std::string BadWordCharacter(std::string_view value) {
  size_t i = 0;
  for (size_t n = 1; i < value.size(); ++n) {
    uint32_t cp = 0;
    if (!NextCodePoint(value, &i, &cp)) {
      return "";  // BadCharacter reported it
    }
    for (const StructureCharacter& s : kStructureCharacters) {
      if (cp == static_cast<unsigned char>(s.c)) {
        const std::string shown =
            s.c == ' ' ? "a space" : std::string("'") + s.c + "'";
        return "has " + shown + " at character " + std::to_string(n) + ": " +
               std::string(s.why);
      }
    }
  }
  return "";
}

// ---------------------------------------------------------------------------
// Template lines

// Splits one config line into words as HAProxy's reader does: words are
// separated by spaces and tabs; '#' outside quotes ends the line; "..." and
// '...' quote; a backslash escapes the next character, and \xHH is a byte.
// So `"lua-load"` and `\x6cua-load` are both the word lua-load. Sets *dollar
// when a '$' stands in double quotes (HAProxy expands environment variables
// there).
std::vector<std::string> Words(std::string_view line, bool* dollar) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.push_back(c);
      }
      continue;
    }
    if (c == '\\' && i + 1 < line.size()) {
      in_word = true;
      const char next = line[++i];
      if (next == 'x' && i + 2 < line.size() && HexValue(line[i + 1]) >= 0 &&
          HexValue(line[i + 2]) >= 0) {
        word.push_back(static_cast<char>(HexValue(line[i + 1]) * 16 +
                                         HexValue(line[i + 2])));
        i += 2;
      } else {
        word.push_back(next);
      }
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else {
        *dollar = *dollar || c == '$';
        word.push_back(c);
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) {
        words.push_back(Lower(word));
        word.clear();
        in_word = false;
      }
    } else if (c == '#') {
      break;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(Lower(word));
  }
  return words;
}

// HAProxy section keywords (2.0 to 3.2). A section line in a label ends the
// section the label belongs to and starts one the label controls: `program`
// makes the master process run a command, `global` takes process settings
// (lua-load, setenv, ...), `backend`/`listen` can capture other apps' traffic,
// `userlist`/`peers`/`resolvers`/`ring`/... talk to other hosts or files.
constexpr std::string_view kSections[] = {
    "global",    "defaults",   "frontend",       "backend",   "listen",
    "userlist",  "peers",      "resolvers",      "program",   "cache",
    "mailers",   "ring",       "http-errors",    "fcgi-app",  "log-forward",
    "crt-store", "traces",     "dynamic-update", "acme",      "namespace_list",
};

bool IsSection(const std::string& keyword) {
  for (std::string_view s : kSections) {
    if (keyword == s) {
      return true;
    }
  }
  return false;
}

// How a refused-directive row matches the words of a line.
enum class Where {
  kKeyword,  // the first word
  kArg,      // argument `arg` (1 = the word after the keyword) of `keyword`
  kAnyArg,   // any word after the keyword, whatever the keyword
  kCall,     // a sample fetch or converter call anywhere in an argument
  kSocket,   // an address anywhere in an argument (AddressElements)
  kAddress,  // an address in an address position (AddressArguments)
  kFamily,   // the same, naming an address family that is not IP
};

// `text` ending in '*' matches as a prefix.
struct RefusedDirective {
  Where where;
  std::string_view keyword;  // kKeyword, kArg
  int arg;                   // kArg
  std::string_view text;  // kAddress, kFamily: documentation only
  std::string_view why;
};

// The refused directives of `--label-policy restricted`. Per-app labels only
// ever land inside a frontend or backend, so anything below is either a
// global-only setting (which would make `haproxy -c` fail for every app) or
// something a proxy section can do to the LB host itself: run code, read or
// write its files, reach its local sockets, change the process. Traffic
// settings (timeouts, options, ACLs, http-request rules, balance, server
// options, certificates on bind/server lines) stay allowed.
constexpr RefusedDirective kRefusedDirectives[] = {
    // Config-file directives (.if/.elif/.else/.endif/.diag/...): an
    // unterminated .if would swallow the rest of the file, other apps'
    // sections included.
    {Where::kKeyword, "", 0, ".*", "acts on the rest of the config file"},
    // lua-load, lua-load-per-thread, lua-prepend-path, ...: Lua code runs
    // inside HAProxy with its privileges.
    {Where::kKeyword, "", 0, "lua-*", "loads or configures Lua code"},
    // Sample fetches, converters, actions and services named lua.<fn> run
    // the operator's Lua functions (upstream's include /_mlb_signal/*).
    {Where::kCall, "", 0, "lua.*", "calls Lua code"},
    // The env() sample fetch returns an environment variable of HAProxy,
    // i.e. of the LB (MARATHON_PASSWORD, ...): `lf-string %[env(X)]` sends
    // it to a client, `set-var(txn.x) env(X)` or `{ env(X) -m beg a }`
    // leak it bit by bit. (Not refused: `hostname`, `nbproc`, `proc`,
    // `thread`, `date`: facts about the LB, no secret and no file.)
    {Where::kCall, "", 0, "env(*",
     "reads an environment variable of the LB host"},
    // external-check command/path and `option external-check` run a program
    // of the LB host for every health check.
    {Where::kKeyword, "", 0, "external-check", "runs a program of the LB host"},
    {Where::kArg, "option", 1, "external-check",
     "runs a program of the LB host"},
    // Environment of the HAProxy process (and of programs it starts).
    {Where::kKeyword, "", 0, "setenv", "changes HAProxy's environment"},
    {Where::kKeyword, "", 0, "presetenv", "changes HAProxy's environment"},
    {Where::kKeyword, "", 0, "resetenv", "changes HAProxy's environment"},
    {Where::kKeyword, "", 0, "unsetenv", "changes HAProxy's environment"},
    // Lift the protections that keep Lua and checks from forking or
    // changing user.
    {Where::kKeyword, "", 0, "insecure-fork-wanted",
     "lets HAProxy start programs"},
    {Where::kKeyword, "", 0, "insecure-setuid-wanted",
     "lets HAProxy change its user"},
    // ssl-engine loads an OpenSSL engine: a shared library, i.e. native code
    // (the IngressNightmare pattern).
    {Where::kKeyword, "", 0, "ssl-engine", "loads a shared library"},
    {Where::kKeyword, "", 0, "ssl-provider*", "loads a shared library"},
    // Process settings of the global section.
    {Where::kKeyword, "", 0, "chroot", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "user", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "group", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "uid", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "gid", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "daemon", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "master-worker", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "mworker-max-reloads",
     "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "nbthread", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "nbproc", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "thread-groups", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "cpu-map", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "pidfile", "changes the HAProxy process"},
    {Where::kKeyword, "", 0, "tune.*", "changes the HAProxy process"},
    // stats socket is the admin CLI; a stats page in an app's own section
    // shows (and with `stats admin` changes) every app's servers.
    {Where::kKeyword, "", 0, "stats",
     "exposes HAProxy's statistics or admin interface"},
    // Files of the LB host: errorfile serves one as a response;
    // http-request return/deny `file`/`lf-file`/`errorfile` read one into
    // responses; ACL `-f` and map converters load one as patterns/values
    // (whose values can then be sent to a client); server-state files.
    {Where::kKeyword, "", 0, "errorfile", "reads a file of the LB host"},
    {Where::kAnyArg, "", 0, "errorfile", "reads a file of the LB host"},
    {Where::kAnyArg, "", 0, "file", "reads a file of the LB host"},
    {Where::kAnyArg, "", 0, "lf-file", "reads a file of the LB host"},
    {Where::kAnyArg, "", 0, "-f", "reads a file of the LB host"},
    {Where::kCall, "", 0, "map(*", "reads a file of the LB host"},
    {Where::kCall, "", 0, "map_*", "reads a file of the LB host"},
    // A crt-list is a text file of the LB host whose lines name
    // certificate files and options (and which HAProxy quotes in its errors:
    // `crt-list /etc/passwd` puts the first line of the file in the log and
    // fails `haproxy -c` for every app). Single certificates (`crt`,
    // `ca-file`, `ca-verify-file`, `crl-file`) stay allowed: they are parsed
    // as certificates and never reach a client, and the typed label
    // HAPROXY_{n}_SSL_CERT names any certificate path by design.
    {Where::kAnyArg, "", 0, "crt-list", "reads a file of the LB host"},
    // `ca-sign-file` (with generate-certificates) makes HAProxy mint a
    // certificate for any SNI, signed with a CA key of the LB host.
    {Where::kAnyArg, "", 0, "ca-sign-file",
     "signs certificates with a CA key of the LB host"},
    // set-map(<file>), del-map(<file>), add-acl(<file>), del-acl(<file>)
    // (http-request, http-response, http-after-response, tcp-request ...)
    // change, at run time, the map or pattern file loaded by other rules:
    // the operator's maps and other apps' ACLs.
    {Where::kAnyArg, "", 0, "set-map*",
     "changes a map or ACL file loaded by the LB"},
    {Where::kAnyArg, "", 0, "del-map*",
     "changes a map or ACL file loaded by the LB"},
    {Where::kAnyArg, "", 0, "add-acl*",
     "changes a map or ACL file loaded by the LB"},
    {Where::kAnyArg, "", 0, "del-acl*",
     "changes a map or ACL file loaded by the LB"},
    {Where::kKeyword, "", 0, "server-state-file",
     "reads a file of the LB host"},
    {Where::kKeyword, "", 0, "load-server-state-from-file",
     "reads a file of the LB host"},
    // Filters (spoe, opentracing, ...) read their own config files and
    // connect to agents.
    {Where::kKeyword, "", 0, "filter", "reads a file of the LB host"},
    // Built-in services: prometheus-exporter would publish every app's
    // metrics on this app's port; lua.* ones run Lua.
    {Where::kAnyArg, "", 0, "use-service",
     "serves HAProxy's data or Lua code"},
    // Local sockets and descriptors of the LB host: a server or log target
    // unix@/run/haproxy.sock reaches HAProxy's own CLI or master socket; a
    // bind on a path creates (or replaces) a file there. Matched in every
    // argument, in each element of a comma list (`bind a:1,unix@/x`) and
    // after HAProxy's socket-type prefixes (`stream+unix@`, `dgram+fd@`).
    {Where::kSocket, "", 0, "unix@*", "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "abns@*", "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "abnsz@*",
     "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "uxst@*", "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "uxdg@*", "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "fd@*", "reaches a local socket of the LB host"},
    {Where::kSocket, "", 0, "sockpair@*",
     "reaches a local socket of the LB host"},
    // In an address position (kAddressKeywords, kAddressOptions), a path is
    // a UNIX socket (`server s /run/haproxy.sock`, `bind 1.2.3.4:80,/x`,
    // `check addr /x`, `socks4 /x`), and a family other than the IP ones
    // (kIpFamilies) is refused too, whatever a later HAProxy adds.
    {Where::kAddress, "", 0, "/... or <family>@/...",
     "reaches a local socket of the LB host"},
    {Where::kFamily, "", 0, "",
     "is not an IP address (only ip@, ipv4@, ipv6@, udp@, tcp@, quic4@, ... "
     "are accepted)"},
};

// Where a line takes a network address (HAProxy 2.6 to 3.2): argument `arg`
// of `keyword` (0 = none), and, when `options`, the word after each of
// kAddressOptions on that line. Section-only keywords (peer, nameserver,
// mailer, dgram-bind) are listed although their sections are refused.
struct AddressKeyword {
  std::string_view keyword;
  int arg;
  bool options;
};
constexpr AddressKeyword kAddressKeywords[] = {
    {"bind", 1, false},             // bind <addr>[,<addr>...] [options]
    {"server", 2, true},            // server <name> <addr> [options]
    {"server-template", 3, true},   // server-template <p> <n> <addr> [...]
    {"default-server", 0, true},    // default-server [options]
    {"source", 1, true},            // source <addr> [usesrc <addr>]
    {"dispatch", 1, false},         // dispatch <addr>
    {"log", 1, false},              // log <target> ...
    {"log-stderr", 1, false},       // fcgi-app section
    {"tcp-check", 0, true},         // tcp-check connect addr <addr>
    {"http-check", 0, true},        // http-check connect addr <addr>
    {"peer", 2, true},              // peers section
    {"nameserver", 2, false},       // resolvers section
    {"mailer", 2, false},           // mailers section
    {"dgram-bind", 1, false},       // log-forward section
};
// Server and check options whose value is an address.
constexpr std::string_view kAddressOptions[] = {
    "addr", "source", "usesrc", "socks4", "agent-addr",
};
// Address families (the part before '@') that name an IP endpoint, and
// ring@ (a log target: a ring section of the operator's).
constexpr std::string_view kIpFamilies[] = {
    "ip",   "ipv4",  "ipv6",  "udp",   "udp4",   "udp6",   "tcp",
    "tcp4", "tcp6",  "quic4", "quic6", "mptcp",  "mptcp4", "mptcp6",
    "ring",
};

bool Matches(std::string_view pattern, const std::string& word) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return word.compare(0, pattern.size(), pattern) == 0;
  }
  return word == pattern;
}

// True when `word` calls `pattern` (lua.*, map_*, env() as a fetch or
// converter: at its start or after one of , [ ( or a quoted space (e.g.
// %[src,lua.fn], %{+Q}[env(X)], set-var(txn.x) lua.fn, "a %[env(X)]").
bool Calls(std::string_view pattern, const std::string& word) {
  for (size_t at = 0; at < word.size(); ++at) {
    if ((at == 0 || word[at - 1] == ',' || word[at - 1] == '[' ||
         word[at - 1] == '(' || word[at - 1] == ' ' || word[at - 1] == '\t') &&
        Matches(pattern, word.substr(at))) {
      return true;
    }
  }
  return false;
}

// The addresses of an address word, as HAProxy's address parser reads
// them: each element of a comma list, without the socket-type prefixes
// (`stream+`, `dgram+`, `quic+`, any `<name>+`) before its family:
// "1.2.3.4:80,stream+unix@/x" -> {"1.2.3.4:80", "unix@/x"}.
std::vector<std::string> AddressElements(const std::string& word) {
  std::vector<std::string> out;
  for (std::string element : Split(word, ',')) {
    element.erase(0, element.find_first_not_of(" \t"));
    while (true) {
      const size_t plus = element.find('+');
      if (plus == std::string::npos || plus == 0 ||
          element.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") !=
              plus) {
        break;
      }
      element.erase(0, plus + 1);
    }
    out.push_back(element);
  }
  return out;
}

// The words of a line in an address position (kAddressKeywords), each with
// what names it for the message ("server", "addr").
std::vector<std::pair<std::string, std::string>> AddressArguments(
    const std::vector<std::string>& words) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const AddressKeyword& k : kAddressKeywords) {
    if (words[0] != k.keyword) {
      continue;
    }
    if (k.arg > 0 && static_cast<size_t>(k.arg) < words.size()) {
      out.emplace_back(words[0], words[k.arg]);
    }
    for (size_t i = 1; k.options && i + 1 < words.size(); ++i) {
      for (std::string_view option : kAddressOptions) {
        if (words[i] == option) {
          out.emplace_back(words[i], words[i + 1]);
        }
      }
    }
  }
  return out;
}

// Whether an address is a path (a UNIX socket), also after a family:
// "/run/x.sock", "ipv4@/run/x.sock".
bool IsPath(const std::string& element) {
  return (!element.empty() && element[0] == '/') ||
         element.find("@/") != std::string::npos;
}

// Whether an address names a family (`<family>@...`) that is not IP.
bool NotIpFamily(const std::string& element) {
  const size_t at = element.find('@');
  if (at == std::string::npos) {
    return false;
  }
  for (std::string_view family : kIpFamilies) {
    if (element.compare(0, at, family) == 0 && at == family.size()) {
      return false;
    }
  }
  return true;
}

// The refused-directive row a line's words hit, and the word that did.
const RefusedDirective* RefusedIn(const std::vector<std::string>& words,
                                  std::string* hit) {
  for (const RefusedDirective& row : kRefusedDirectives) {
    switch (row.where) {
      case Where::kKeyword:
        if (Matches(row.text, words[0])) {
          *hit = words[0];
          return &row;
        }
        break;
      case Where::kArg:
        if (words[0] == row.keyword &&
            static_cast<size_t>(row.arg) < words.size() &&
            Matches(row.text, words[row.arg])) {
          *hit = words[0] + " " + words[row.arg];
          return &row;
        }
        break;
      case Where::kSocket:
        for (size_t i = 1; i < words.size(); ++i) {
          for (const std::string& element : AddressElements(words[i])) {
            if (Matches(row.text, element)) {
              *hit = words[i];
              return &row;
            }
          }
        }
        break;
      case Where::kAddress:
      case Where::kFamily:
        for (const auto& [what, word] : AddressArguments(words)) {
          for (const std::string& element : AddressElements(word)) {
            if (row.where == Where::kAddress ? IsPath(element)
                                             : NotIpFamily(element)) {
              *hit = what + " " + word;
              return &row;
            }
          }
        }
        break;
      case Where::kAnyArg:
      case Where::kCall:
        for (size_t i = 1; i < words.size(); ++i) {
          if (row.where == Where::kAnyArg ? Matches(row.text, words[i])
                                          : Calls(row.text, words[i])) {
            *hit = words[i];
            return &row;
          }
        }
        break;
    }
  }
  return nullptr;
}

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(begin, s.find_last_not_of(" \t") - begin + 1));
}

std::string Normalize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      out.push_back(text[i]);
    }
  }
  return out;
}

// One line of template text with its words; lines without words (blank,
// comments) are left out.
struct DirectiveLine {
  int number;        // from 1
  std::string text;  // trimmed
  std::vector<std::string> words;
  bool dollar = false;
};

std::vector<DirectiveLine> DirectiveLines(std::string_view text) {
  std::vector<DirectiveLine> out;
  int number = 0;
  for (const std::string& line : Split(text, '\n')) {
    ++number;
    DirectiveLine d;
    d.words = Words(line, &d.dollar);
    if (d.words.empty()) {
      continue;
    }
    d.number = number;
    d.text = Trim(line);
    out.push_back(std::move(d));
  }
  return out;
}

std::string Quoted(std::string_view line) { return "(\"" + Show(line) + "\")"; }

// Why the template override is refused under `restricted`, or "".
std::string RestrictedTemplateProblem(
    const std::string& label, std::string_view raw,
    const TemplateLabelInfo& tmpl,
    const std::map<std::string, std::string>& labels) {
  const std::string text = Normalize(raw);
  if (std::string bad = BadCharacter(text, true); !bad.empty()) {
    return "the value " + bad;
  }
  // Trimmed as the catalog trims one-line templates before splicing them.
  const size_t first = text.find_first_not_of(" \t\n\f\v");
  const size_t last = text.find_last_not_of(" \t\n\f\v");
  if (tmpl.inline_option && first != std::string::npos &&
      text.substr(first, last - first + 1).find('\n') != std::string::npos) {
    return tmpl.name + " is one line (spliced into the server line), but the "
           "value has a newline";
  }
  std::vector<std::string> opener;
  std::string opener_text;
  const std::vector<DirectiveLine> defaults = DirectiveLines(tmpl.replaced_text);
  if (!defaults.empty() && IsSection(defaults.front().words[0])) {
    opener = defaults.front().words;
    opener_text = defaults.front().text;
  }
  const std::vector<DirectiveLine> lines = DirectiveLines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const DirectiveLine& line = lines[i];
    const std::string at = "line " + std::to_string(line.number);
    if (IsSection(line.words[0])) {
      if (i == 0 && line.words == opener) {
        continue;
      }
      return at + " opens a section " + Quoted(line.text);
    }
    if (i == 0 && !opener.empty()) {
      return at + " is outside its section: " + tmpl.name +
             " must start with \"" + opener_text + "\" " + Quoted(line.text);
    }
    std::string hit;
    if (const RefusedDirective* row = RefusedIn(line.words, &hit)) {
      return at + " uses " + hit + ", which " + std::string(row->why) + " " +
             Quoted(line.text);
    }
    if (line.dollar) {
      return at + " reads an environment variable of the LB host " +
             Quoted(line.text);
    }
  }
  // A section head may be emptied only when its pack says which templates
  // render into that section and the app's labels empty them too (else
  // their lines would join the section before it); any other head may not
  // be: an empty backend head would put the port's servers into another
  // backend.
  if (lines.empty() && !opener.empty()) {
    if (tmpl.empty_with.empty()) {
      return "an empty " + tmpl.name +
             " would put the rest of its section into the previous section";
    }
    const std::string prefix = label.substr(0, label.size() - tmpl.name.size());
    for (const std::string& name : tmpl.empty_with) {
      const std::string body = prefix + name;
      auto it = labels.find(body);
      if (it == labels.end() || !DirectiveLines(Normalize(it->second)).empty()) {
        return "an empty " + tmpl.name + " needs an empty " + body +
               " too (its lines would join the previous section)";
      }
    }
  }
  return "";
}

std::string BindAddressProblem(std::string_view value);

// Why a typed label's value is refused, or "".
std::string TypedProblem(LabelKind kind, std::string_view value) {
  if (std::string bad = BadCharacter(value, false); !bad.empty()) {
    return "'" + Show(value) + "' " + bad;
  }
  if (kind != LabelKind::kWord && kind != LabelKind::kCertificate &&
      kind != LabelKind::kHostList && kind != LabelKind::kBindAddress) {
    return "";
  }
  if (std::string bad = BadWordCharacter(value); !bad.empty()) {
    return "'" + Show(value) + "' " + bad;
  }
  if (kind == LabelKind::kBindAddress) {
    return BindAddressProblem(value);
  }
  if (kind == LabelKind::kHostList) {
    for (const std::string& host : Split(value, ',')) {
      if (!host.empty() && host[0] == '-') {
        return "vhost '" + Show(host) +
               "' starts with '-': HAProxy would read an ACL flag";
      }
    }
  }
  return "";
}

}  // namespace

std::string_view LabelPolicyName(LabelPolicy policy) {
  switch (policy) {
    case LabelPolicy::kAllow:
      return "allow";
    case LabelPolicy::kRestricted:
      return "restricted";
    case LabelPolicy::kDeny:
      return "deny";
  }
  return "restricted";
}

Status ParseLabelPolicy(std::string_view text, LabelPolicy* out) {
  for (LabelPolicy p :
       {LabelPolicy::kAllow, LabelPolicy::kRestricted, LabelPolicy::kDeny}) {
    if (text == LabelPolicyName(p)) {
      *out = p;
      return Status::OK();
    }
  }
  return Status::Error("--label-policy", "'" + std::string(text) +
                                             "' is not allow, restricted or "
                                             "deny");
}

Status CheckRenderedLines(
    const Template& tmpl,
    const sdk::Vars& vars,
    std::string_view rendered) {
  if (tmpl.verbatim() || tmpl.placeholders().empty()) {
    return Status::OK();
  }
  // Runs for every server line: memchr rather than a loop over the bytes,
  // and the template's own counts were taken once, at Compile().
  auto count = [](std::string_view s, char c) {
    size_t n = 0;
    const char* p = s.data();
    const char* end = p + s.size();
    while (p != end &&
           (p = static_cast<const char*>(std::memchr(p, c, end - p)))) {
      ++n;
      ++p;
    }
    return n;
  };
  if (count(rendered, '\n') == tmpl.source_newlines() &&
      count(rendered, '\r') == tmpl.source_returns()) {
    return Status::OK();
  }
  for (const std::string& name : tmpl.placeholders()) {
    const std::string_view value = vars.Get(name);
    const size_t at = value.find_first_of("\r\n");
    if (at != std::string_view::npos) {
      return Status::ServiceError(
          "placeholder {" + name + "} has " +
          (value[at] == '\n' ? "a newline" : "a carriage return") + ": '" +
          Show(value) + "'");
    }
  }
  return Status::OK();
}

Status CheckLabel(LabelPolicy policy, const std::string& label, LabelKind kind,
                  std::string_view value, const TemplateLabelInfo* tmpl,
                  const std::map<std::string, std::string>& labels) {
  std::string problem;
  if (kind != LabelKind::kTemplate) {
    problem = TypedProblem(kind, value);
  } else if (policy == LabelPolicy::kDeny) {
    problem = "template overrides are not accepted";
  } else if (policy == LabelPolicy::kRestricted && tmpl != nullptr) {
    problem = RestrictedTemplateProblem(label, value, *tmpl, labels);
  }
  if (problem.empty()) {
    return Status::OK();
  }
  return Status::ServiceError("label " + label + " refused by --label-policy " +
                              std::string(LabelPolicyName(policy)) + ": " +
                              problem);
}

// ---------------------------------------------------------------------------
// What placeholder values make of a template (H1, H2), bind addresses and
// the ports `bind` lines listen on (H6).

namespace {

// ": {healthCheckPath} is 'file'" for the first placeholder of `source_line`
// whose value has `needle` (compared in lower case), else "".
std::string Culprit(const Template& tmpl, const sdk::Vars& vars,
                    std::string_view source_line, std::string_view needle) {
  if (needle.empty()) {
    return "";
  }
  // A value that is the word, else one that has it.
  for (const bool whole : {true, false}) {
    for (const std::string& name : tmpl.placeholders()) {
      if (!vars.Has(name) ||
          source_line.find("{" + name + "}") == std::string_view::npos) {
        continue;
      }
      const std::string value = Lower(vars.Get(name));
      if (whole ? value == needle : value.find(needle) != std::string::npos) {
        return ": {" + name + "} is '" + Show(vars.Get(name)) + "'";
      }
    }
  }
  return "";
}

// Why the rendered text of a template override is refused under
// `restricted`, or "". Lines without a placeholder are as the raw label was,
// and CheckLabel has read them.
std::string RenderedOverrideProblem(const Template& tmpl,
                                    const TemplateLabelInfo& info,
                                    const sdk::Vars& vars,
                                    std::string_view rendered) {
  const std::vector<std::string> source = Split(tmpl.source(), '\n');
  const std::vector<std::string> lines = Split(rendered, '\n');
  if (source.size() != lines.size()) {
    // A value added a line: CheckRenderedLines, which runs first, says so.
    return "the placeholder values change its lines";
  }
  std::vector<std::string> opener;
  const std::vector<DirectiveLine> replaced = DirectiveLines(info.replaced_text);
  if (!replaced.empty() && IsSection(replaced.front().words[0])) {
    opener = replaced.front().words;
  }
  for (size_t k = 0; k < lines.size(); ++k) {
    if (source[k].find('{') == std::string::npos) {
      continue;
    }
    const std::string at = "line " + std::to_string(k + 1) + " as rendered";
    const std::string& line = lines[k];
    if (std::string bad = BadCharacter(line, true); !bad.empty()) {
      return at + " " + bad + " " + Quoted(Trim(line));
    }
    bool dollar = false;
    const std::vector<std::string> words = Words(line, &dollar);
    if (words.empty()) {
      continue;
    }
    if (IsSection(words[0])) {
      bool unused = false;
      if (!opener.empty() && Words(source[k], &unused) == opener) {
        continue;  // the override's own section line, as CheckLabel saw it
      }
      return at + " opens a section" +
             Culprit(tmpl, vars, source[k], words[0]) + " " +
             Quoted(Trim(line));
    }
    std::string hit;
    if (const RefusedDirective* row = RefusedIn(words, &hit)) {
      const size_t space = hit.rfind(' ');
      const std::string needle =
          space == std::string::npos ? hit : hit.substr(space + 1);
      return at + " uses " + hit + ", which " + std::string(row->why) +
             Culprit(tmpl, vars, source[k], needle) + " " + Quoted(Trim(line));
    }
    if (dollar) {
      return at + " reads an environment variable of the LB host" +
             Culprit(tmpl, vars, source[k], "$") + " " + Quoted(Trim(line));
    }
  }
  return "";
}

void LowerInPlace(std::string* s) {
  for (char& c : *s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

// `word` in lower case is `lower`.
bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i] >= 'A' && word[i] <= 'Z'
                       ? static_cast<char>(word[i] - 'A' + 'a')
                       : word[i];
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

// IsSection() without a copy of the word.
bool IsSectionWord(std::string_view word) {
  for (std::string_view section : kSections) {
    if (EqualsLower(word, section)) {
      return true;
    }
  }
  return false;
}

bool IsHostNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// An IP literal (v4, v6, v6 in brackets), or "".
std::string CanonicalAddress(std::string_view text) {
  if (text.empty() || text == "*") {
    return "";
  }
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char buf[16];
  char out[64];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 &&
      inet_ntop(AF_INET, buf, out, sizeof(out)) != nullptr) {
    return out;
  }
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1 &&
      inet_ntop(AF_INET6, buf, out, sizeof(out)) != nullptr) {
    return out;
  }
  return "";
}

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  for (const std::string& label : Split(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsHostNameCharacter(c)) {
        return false;
      }
    }
  }
  return true;
}

// "N" or "N-M", 1..65535.
bool ParsePortRange(std::string_view text, int* first, int* last) {
  auto number = [](std::string_view s, int* out) {
    if (s.empty() || s.size() > 5) {
      return false;
    }
    int n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') {
        return false;
      }
      n = n * 10 + (c - '0');
    }
    *out = n;
    return n >= 1 && n <= 65535;
  };
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return number(text, first) && number(text, last);
  }
  return number(text.substr(0, dash), first) &&
         number(text.substr(dash + 1), last) && *first <= *last;
}

// One address of a bind line ("*:80", "ipv4@10.0.0.1:443", "[::1]:8080",
// "quic4@:443"); false when it is not a port (a socket, a path) or does not
// parse (HAProxy refuses it then).
bool ParseListener(std::string_view address, Listener* out) {
  std::string_view rest = address;
  // Socket-type prefixes: "stream+ipv4@...", "dgram+...", "quic+...".
  for (size_t plus = rest.find('+');
       plus != std::string_view::npos && plus > 0 &&
       rest.substr(0, plus).find_first_not_of(
           "abcdefghijklmnopqrstuvwxyz0123456789") == std::string_view::npos;
       plus = rest.find('+')) {
    const std::string_view type = rest.substr(0, plus);
    out->udp = out->udp || type == "dgram" || type == "quic";
    rest.remove_prefix(plus + 1);
  }
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view family = rest.substr(0, at + 1);
    constexpr std::string_view kTcp[] = {"ip@",    "ipv4@",   "ipv6@",
                                         "tcp@",   "tcp4@",   "tcp6@",
                                         "mptcp@", "mptcp4@", "mptcp6@"};
    constexpr std::string_view kUdp[] = {"udp@",  "udp4@",  "udp6@",
                                         "quic@", "quic4@", "quic6@"};
    bool known = false;
    for (std::string_view f : kTcp) {
      known = known || family == f;
    }
    for (std::string_view f : kUdp) {
      if (family == f) {
        known = true;
        out->udp = true;
      }
    }
    if (!known) {
      return false;
    }
    rest.remove_prefix(at + 1);
  }
  const size_t colon = rest.rfind(':');
  if (rest.empty() || rest[0] == '/' || colon == std::string_view::npos ||
      !ParsePortRange(rest.substr(colon + 1), &out->first_port,
                      &out->last_port)) {
    return false;
  }
  const std::string_view host = rest.substr(0, colon);
  out->address = CanonicalAddress(host);
  if (out->address == "0.0.0.0" || out->address == "::") {
    out->address.clear();  // any address; a host name is taken as any too
  }
  out->bind = std::string(address);
  return true;
}

std::string BindAddressProblem(std::string_view value) {
  if (value.empty() || value == "*" || !CanonicalAddress(value).empty()) {
    return "";
  }
  const std::string shown = "'" + Show(value) + "'";
  const std::string only =
      "; a bind address is an IP address, '*' or a host name";
  struct Refused {
    char c;
    std::string_view why;
  };
  constexpr Refused kRefused[] = {
      {'/', "a path binds a UNIX socket (a file of the LB host)"},
      {'@', "'@' selects a socket (unix@, abns@, fd@, ...)"},
      {',', "',' adds another address to the bind line"},
      {':', "':' adds a port (the port is the service port's)"},
  };
  for (size_t i = 0; i < value.size(); ++i) {
    for (const Refused& r : kRefused) {
      if (value[i] == r.c) {
        return shown + " has '" + std::string(1, r.c) + "' at character " +
               std::to_string(i + 1) + ": " + std::string(r.why) + only;
      }
    }
  }
  if (!IsHostName(value)) {
    return shown + " is not an IP address, '*' or a host name";
  }
  return "";
}

}  // namespace

std::string MarathonWordProblem(std::string_view value) {
  // Runs for every app and health check: most values are plain ASCII words.
  bool plain = true;
  for (const char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c >= 0x7F || c == '#' || c == '"' || c == '\'' ||
        c == '\\' || c == '{' || c == '}' || c == '$') {
      plain = false;
      break;
    }
  }
  if (plain) {
    return "";
  }
  if (std::string bad = BadCharacter(value, false); !bad.empty()) {
    return bad;
  }
  // BadWordCharacter's characters, and '$', whichever comes first.
  const size_t dollar = value.find('$');
  const std::string_view before = value.substr(0, dollar);
  if (std::string bad = BadWordCharacter(before); !bad.empty()) {
    return bad;
  }
  if (dollar != std::string_view::npos) {
    size_t i = 0;
    size_t n = 1;
    for (uint32_t cp = 0; i < dollar && NextCodePoint(value, &i, &cp);) {
      ++n;
    }
    return "has '$' at character " + std::to_string(n) +
           ": HAProxy expands environment variables after '$'";
  }
  return "";
}

Status CheckPlaceholderWords(const Template& tmpl, const sdk::Vars& vars) {
  for (const Template::Word& word : tmpl.words()) {
    const std::string& name = tmpl.placeholders()[word.placeholder];
    const std::string_view value = vars.Get(name);
    const std::string problem = MarathonWordProblem(value);
    if (!problem.empty()) {
      return Status::ServiceError("placeholder {" + name + "} (" + word.what +
                                  ") '" + Show(value) + "' " + problem);
    }
  }
  return Status::OK();
}

Status CheckRenderedOverride(const std::string& label, const Template& tmpl,
                             const TemplateLabelInfo& info,
                             const sdk::Vars& vars,
                             std::string_view rendered) {
  if (tmpl.verbatim() || tmpl.placeholders().empty()) {
    return Status::OK();  // rendered == the label CheckLabel read
  }
  const std::string problem =
      RenderedOverrideProblem(tmpl, info, vars, rendered);
  if (problem.empty()) {
    return Status::OK();
  }
  return Status::ServiceError("label " + label +
                              " refused by --label-policy restricted: " +
                              problem);
}

std::vector<Listener> BindListeners(std::string_view text,
                                    const std::string& section) {
  std::vector<Listener> out;
  BindListeners(text, section, &out);
  return out;
}

void BindListeners(std::string_view text, std::string_view section,
                   std::vector<Listener>* out) {
  // The section of the lines so far: `section`, or the words of the last
  // section line (views into `text`, made a string only when a listener
  // needs the name: this runs on every service's frontend text).
  std::string current;
  std::string_view line_words[2] = {section, {}};
  bool from_line = true;
  bool lower = false;  // line_words come from a section line
  auto add = [&](std::string_view addresses) {
    for (size_t from = 0; from <= addresses.size();) {
      size_t comma = addresses.find(',', from);
      if (comma == std::string_view::npos) {
        comma = addresses.size();
      }
      Listener l;
      if (ParseListener(addresses.substr(from, comma - from), &l)) {
        if (from_line) {
          current.assign(line_words[0]);
          if (!line_words[1].empty()) {
            current += ' ';
            current.append(line_words[1]);
          }
          if (lower) {
            LowerInPlace(&current);
          }
          from_line = false;
        }
        l.section = current;
        out->push_back(std::move(l));
      }
      from = comma + 1;
    }
  };
  // A line is split into words only if it has a quote or an escape (which
  // may hide a keyword); otherwise its first two words are read in place.
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    bool plain = true;
    for (const char c : line) {
      if (c == '"' || c == '\'' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (!plain) {
      bool dollar = false;
      const std::vector<std::string> words = Words(line, &dollar);
      if (words.empty()) {
        continue;
      }
      if (IsSection(words[0])) {
        current = words.size() > 1 ? words[0] + " " + words[1] : words[0];
        from_line = false;
      } else if (words[0] == "bind" && words.size() > 1) {
        add(words[1]);
      }
      continue;
    }
    std::string_view first_two[2];
    size_t i = 0;
    for (std::string_view& word : first_two) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
        ++i;
      }
      const size_t from = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t' &&
             line[i] != '#') {
        ++i;
      }
      word = line.substr(from, i - from);
    }
    if (first_two[0].empty()) {
      continue;
    }
    if (EqualsLower(first_two[0], "bind")) {
      if (!first_two[1].empty()) {
        std::string addresses(first_two[1]);
        LowerInPlace(&addresses);
        add(addresses);
      }
    } else if (IsSectionWord(first_two[0])) {
      line_words[0] = first_two[0];
      line_words[1] = first_two[1];
      from_line = true;
      lower = true;
    }
  }
}

bool SharesPort(const Listener& a, const Listener& b) {
  return a.udp == b.udp && a.first_port <= b.last_port &&
         b.first_port <= a.last_port &&
         (a.address.empty() || b.address.empty() || a.address == b.address);
}

}  // namespace mlb
