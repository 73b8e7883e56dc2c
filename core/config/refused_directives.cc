#include "core/config/refused_directives.h"

#include <utility>

#include "core/base/text.h"

namespace mlb {
namespace {

using Where = RefusedDirective::Where;

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
    // as certificates and never reach a client, and a certificate label
    // (MLB_LABEL_CERTIFICATE) names any certificate path by design.
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

}  // namespace

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

}  // namespace mlb
