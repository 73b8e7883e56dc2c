#include "core/haproxy/live_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/base/text.h"

namespace mlb {
namespace {

constexpr char kAdded[] = "New server registered.";
constexpr char kDeleted[] = "Server deleted.";
constexpr char kBusy[] =
    "Server still has connections attached to it, cannot remove it.";
constexpr char kNoSuchServer[] = "No such server.";

// "backend web_80" -> "web_80"; "" for other sections.
std::string BackendName(const std::string& section_key) {
  const std::string prefix = "backend ";
  return section_key.rfind(prefix, 0) == 0 ? section_key.substr(prefix.size())
                                           : "";
}

// The non-empty lines of a runtime answer, trimmed.
std::vector<std::string> AnswerLines(const std::string& reply) {
  std::vector<std::string> out;
  for (const std::string& line : Split(reply, '\n')) {
    std::string t = Trim(line);
    if (!t.empty()) {
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool AllAre(const std::vector<std::string>& lines, const char* text) {
  return !lines.empty() &&
         std::all_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l == text; });
}

// "10.0.0.1:31000" or "[::1]:80": an IP literal and a port.
bool IsAddressAndPort(const std::string& word) {
  const size_t colon = word.rfind(':');
  if (colon == std::string::npos || colon + 1 == word.size() ||
      word.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return false;
  }
  std::string host = word.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Whether the backend section `text` gives servers without a cookie of
// their own a dynamic one: a `cookie ... dynamic` line and a
// `dynamic-cookie-key`. Then a server added live, which HAProxy 2.6 takes
// without a `cookie`, gets one from `enable dynamic-cookie backend`
// (measured: the servers with a cookie of their own keep it).
bool HasDynamicCookies(const std::string& text) {
  bool dynamic = false;
  bool key = false;
  for (const std::string& line : Split(text, '\n')) {
    const std::vector<std::string> words = Words(line);
    if (words.empty()) {
      continue;
    }
    if (words[0] == "cookie") {
      dynamic = std::find(words.begin(), words.end(), "dynamic") != words.end();
    } else if (words[0] == "dynamic-cookie-key" && words.size() == 2) {
      key = true;
    }
  }
  return dynamic && key;
}

// Whether words[i], "cookie", is the server's cookie option: the only
// "cookie" of the line, where a keyword goes. It is when the word before is
// the address, a number or duration (always some keyword's argument), or a
// keyword that takes none (or, if it was an argument, the one it ended).
// After another word it may be that word's argument (`sni cookie`: the
// fetch named cookie), and the words alone do not say.
bool IsCookieOption(const std::vector<std::string>& words, size_t i) {
  static const std::set<std::string> kFlags = {
      "check",        "check-ssl",      "check-send-proxy", "backup",
      "ssl",          "no-ssl",         "send-proxy",       "send-proxy-v2",
      "non-stick",    "tfo",            "allow-0rtt",       "no-tls-tickets",
      "no-check",     "no-backup",      "no-send-proxy",    "no-verifyhost",
      "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn"};
  if (std::count(words.begin(), words.end(), "cookie") != 1 ||
      i + 1 >= words.size() || i < 3) {
    return false;
  }
  if (i == 3) {
    return true;  // after the address
  }
  static const std::set<std::string> kUnits = {"us", "ms", "s",
                                               "m",  "h",  "d"};
  const std::string& before = words[i - 1];
  const size_t digits = before.find_first_not_of("0123456789");
  const bool number = digits != 0 && (digits == std::string::npos ||
                                      kUnits.count(before.substr(digits)) == 1);
  return number || kFlags.count(before) == 1;
}

// A sample expression with no argument that could name a proxy: the
// request's Host header, or a constant string.
bool IsPlainSampleFetch(const std::string& word) {
  if (word == "req.hdr(host)" || word == "hdr(host)") {
    return true;
  }
  return word.rfind("str(", 0) == 0 && word.back() == ')' &&
         word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
                                "rstuvwxyz0123456789._:-",
                                4) == word.size() - 1;
}

// The commands that add the server `line` of `backend` live; error when
// the runtime API cannot take it. With `dynamic_cookies`
// (HasDynamicCookies) the line's `cookie VALUE` is left out and the
// backend's dynamic cookies recomputed after.
Status AddCommands(const std::string& backend, const ServerEntry& server,
                   bool dynamic_cookies, LiveServerStep* step) {
  const std::string where = "server " + server.name + " of backend " + backend;
  std::string line = server.line;
  if (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  // One plain line: the commands are joined with ';' and HAProxy's runtime
  // CLI has no quoting of its own for these.
  if (line.find_first_of("\n;\"'\\#$") != std::string::npos) {
    return Status::Error(where, "its line has several lines, quotes, escapes "
                                "or ';', which the runtime API cannot take");
  }
  std::replace(line.begin(), line.end(), '\t', ' ');
  const std::vector<std::string> words = Words(line);
  if (words.size() < 3 || words[0] != "server" || words[1] != server.name) {
    return Status::Error(where, "its line does not start with 'server " +
                                    server.name + " ADDRESS'");
  }
  // HAProxy's CLI reads at most 64 words a command and drops the rest
  // without a word (the config's lines take 64 too): "add server B/S ADDR"
  // leaves 60 for the options.
  if (words.size() - 3 > 60) {
    return Status::Error(where, "more options than a runtime command can "
                                "carry (60 words)");
  }
  // `add server` resolves no name: a host name would leave it without an
  // address.
  if (!IsAddressAndPort(words[2])) {
    return Status::Error(where, "'" + words[2] +
                                    "' is not an IP address and port");
  }
  bool check = false;
  bool cookie = false;
  std::string options;
  for (size_t i = 3; i < words.size(); ++i) {
    if (words[i] == "cookie" && !IsCookieOption(words, i)) {
      // Review 16a: "sni cookie check-sni nbsrv(x)" is sni's fetch
      // `cookie`; taken for the option, it and the word after would be
      // dropped and another line sent than the one checked.
      return Status::Error(where, "'cookie' where it may be another "
                                  "option's argument: the file, reloaded, "
                                  "says what it means");
    }
    if (words[i].find('(') != std::string::npos &&
        !IsPlainSampleFetch(words[i])) {
      // Review 16a: `add server` never resolves the proxy an expression's
      // argument names (nbsrv(b), be_conn(b), a table); HAProxy 2.6's
      // worker died on the first connection to such a server, even with
      // the backend there.
      return Status::Error(where, "a sample expression ('" + words[i] +
                                      "') that may name a proxy, which "
                                      "HAProxy's runtime API never resolves");
    }
    if (words[i] == "track" || words[i] == "resolvers") {
      // Another proxy's server, or a resolvers section: what the file,
      // reloaded, resolves.
      return Status::Error(where, "'" + words[i] +
                                      "' names another section of the "
                                      "config");
    }
    if (words[i] == "cookie") {
      // Measured: "'cookie' option is not accepted for dynamic server".
      if (!dynamic_cookies) {
        return Status::Error(where,
                             "HAProxy 2.6 refuses 'cookie' on a server added "
                             "through the runtime API, and the backend has "
                             "no dynamic cookies ('cookie ... dynamic' and "
                             "'dynamic-cookie-key') to give it one");
      }
      cookie = true;
      ++i;  // and its value
      continue;
    }
    if (words[i].find("<<") != std::string::npos) {
      // On HAProxy's CLI, "<<" starts a payload: the rest of the exchange.
      return Status::Error(where, "'<<' means a payload to HAProxy's CLI");
    }
    if (words[i] == "disabled") {
      // A keyword (the server in maintenance: a blue/green task draining)
      // or another option's argument: the words alone do not say which.
      return Status::Error(where, "'disabled' in its line: the file, "
                                  "reloaded, says what it means");
    }
    if (words[i] == "agent-check") {
      // Measured on 2.6: added live and enabled, its agent starts down and
      // the server with it until the agent answers; from the file it
      // starts up.
      return Status::Error(where, "an agent check starts otherwise on a "
                                  "server added through the runtime API");
    }
    check = check || words[i] == "check";
    options += " " + words[i];
  }
  const std::string id = backend + "/" + server.name;
  step->kind = LiveServerStep::Kind::kAdd;
  step->backend = backend;
  step->server = server.name;
  step->line = server.line;
  // A new server starts in maintenance, its checks off.
  step->commands.push_back("add server " + id + " " + words[2] + options);
  if (check) {
    step->commands.push_back("enable health " + id);
  }
  step->commands.push_back("enable server " + id);
  if (cookie) {
    step->commands.push_back("enable dynamic-cookie backend " + backend);
  }
  return Status::OK();
}

// Whether `text` has a default-server line: HAProxy applies those to the
// servers of the file only, never to one added through the runtime API.
bool HasDefaultServer(const std::string& text) {
  for (const std::string& line : Split(text, '\n')) {
    const std::vector<std::string> words = Words(line);
    if (!words.empty() && words[0] == "default-server") {
      return true;
    }
  }
  return false;
}

// Whether a default-server line reaches every backend: in `defaults` (or
// another section that is neither a frontend nor a backend).
bool DefaultServerOutsideBackends(const HaproxyConfig& config) {
  for (const ConfigSection& section : config.sections()) {
    if (section.key.rfind("backend ", 0) != 0 &&
        section.key.rfind("frontend ", 0) != 0 &&
        HasDefaultServer(section.text)) {
      return true;
    }
  }
  return false;
}

// The service port that wrote `section` (its first run), or none.
std::pair<std::string, int> Author(const HaproxyConfig& config,
                                   const ConfigSection& section) {
  if (section.runs.empty() || section.runs.front().author < 0 ||
      static_cast<size_t>(section.runs.front().author) >=
          config.authors().size()) {
    return {"", 0};
  }
  const ConfigAuthor& author = config.authors()[section.runs.front().author];
  return {author.app_id, author.service_port};
}

// A server name HAProxy's CLI reads as one: "add server B/S" splits at '/'.
bool PlainServerName(const std::string& name) {
  return !name.empty() &&
         name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                                "vwxyz0123456789_.:-") == std::string::npos;
}

// The steps of one backend's servers (`diff`), the additions into out, the
// removals into *removals. With `checked`, each added server's line must
// have the shape (CheckedServerShape) of one of those.
Status PlanBackend(const ConfigSection* old_section,
                   const ConfigSection* new_section,
                   const ConfigChanges::Servers& diff,
                   bool defaults_have_default_server,
                   const std::vector<ServerEntry>* checked, LiveChange* out,
                   std::vector<LiveServerStep>* removals) {
  const std::string backend = BackendName(diff.backend);
  if (backend.empty() || old_section == nullptr || new_section == nullptr) {
    return Status::Error(diff.backend,
                         "servers changed outside a backend section");
  }
  if (!diff.added.empty() &&
      (defaults_have_default_server || HasDefaultServer(new_section->text))) {
    return Status::Error(
        "backend " + backend,
        "default-server options apply to it, which HAProxy does not give "
        "a server added through the runtime API");
  }
  for (const std::string& name : diff.added) {
    if (std::find(diff.removed.begin(), diff.removed.end(), name) !=
        diff.removed.end()) {
      return Status::Error("server " + name + " of backend " + backend,
                           "its options changed");
    }
    const auto entry =
        std::find_if(new_section->servers.begin(), new_section->servers.end(),
                     [&](const ServerEntry& s) { return s.name == name; });
    if (entry == new_section->servers.end()) {
      return Status::Error("server " + name + " of backend " + backend,
                           "listed as added but not in the new config");
    }
    if (checked != nullptr) {
      // Sent before haproxy -c reads the file: only a line HAProxy has
      // checked in this backend already, but for its name, address, id,
      // port and cookie values (review 15e: `add server` takes lines the
      // config parser refuses, and one crashed the worker).
      const std::string shape = CheckedServerShape(entry->line);
      if (!PlainServerName(name) || shape.empty() ||
          std::none_of(checked->begin(), checked->end(),
                       [&](const ServerEntry& s) {
                         return CheckedServerShape(s.line) == shape;
                       })) {
        return Status::Error("server " + name + " of backend " + backend,
                             "no server of the backend has had its options "
                             "checked by haproxy -c");
      }
    }
    LiveServerStep step;
    MLB_RETURN_IF_ERROR(AddCommands(
        backend, *entry, HasDynamicCookies(new_section->text), &step));
    out->steps.push_back(std::move(step));
    ++out->added;
  }
  for (const std::string& name : diff.removed) {
    const auto entry =
        std::find_if(old_section->servers.begin(), old_section->servers.end(),
                     [&](const ServerEntry& s) { return s.name == name; });
    LiveServerStep step;
    step.line = entry != old_section->servers.end() ? entry->line : "";
    step.kind = LiveServerStep::Kind::kRemove;
    step.backend = backend;
    step.server = name;
    const std::string id = backend + "/" + name;
    // In maintenance first: `del server` takes no other; the requests in
    // flight finish.
    step.commands = {"set server " + id + " state maint", "del server " + id};
    removals->push_back(std::move(step));
    ++out->removed;
  }
  return Status::OK();
}

}  // namespace

Status PlanLiveChange(const HaproxyConfig& before, const HaproxyConfig& after,
                      const ConfigChanges& changes, LiveChange* out) {
  *out = LiveChange();
  if (!changes.ServersOnly()) {
    return Status::Error("not a change of servers only: " + changes.Summary());
  }
  const bool defaults_have_default_server = DefaultServerOutsideBackends(after);
  std::vector<LiveServerStep> removals;
  for (const ConfigChanges::Servers& diff : changes.servers) {
    MLB_RETURN_IF_ERROR(PlanBackend(before.Find(diff.backend),
                                    after.Find(diff.backend), diff,
                                    defaults_have_default_server,
                                    /*checked=*/nullptr, out, &removals));
  }
  // New servers answer before old ones leave.
  for (LiveServerStep& step : removals) {
    out->steps.push_back(std::move(step));
  }
  return Status::OK();
}

Status PlanLiveChangeOfApps(const HaproxyConfig& live,
                            const HaproxyConfig& apps, LiveChange* out) {
  *out = LiveChange();
  // Looked for (over every section) only once a server is to be added.
  std::optional<bool> defaults_have_default_server;
  ConfigChanges changes;
  std::vector<LiveServerStep> removals;
  for (const ConfigSection& section : apps.sections()) {
    if (BackendName(section.key).empty()) {
      continue;  // frontends and the rest: the update after says
    }
    const ConfigSection* old_section = live.Find(section.key);
    if (old_section == nullptr) {
      return Status::Error(section.key, "not in the live config");
    }
    // The backend of the same service port: another app's backend of the
    // same name is not this app's to change.
    if (Author(live, *old_section) != Author(apps, section)) {
      return Status::Error(section.key,
                           "written by another service port in the live "
                           "config");
    }
    if (old_section->text != section.text) {
      return Status::Error(section.key, "its lines other than servers changed");
    }
    ConfigChanges::Servers diff = CompareServers(*old_section, section);
    if (diff.added.empty() && diff.removed.empty()) {
      continue;
    }
    if (!diff.added.empty() && !defaults_have_default_server.has_value()) {
      defaults_have_default_server = DefaultServerOutsideBackends(live);
    }
    MLB_RETURN_IF_ERROR(PlanBackend(old_section, &section, diff,
                                    defaults_have_default_server.value_or(false),
                                    &old_section->servers, out, &removals));
    changes.servers.push_back(std::move(diff));
  }
  for (LiveServerStep& step : removals) {
    out->steps.push_back(std::move(step));
  }
  out->summary = changes.Summary();
  return Status::OK();
}

std::string CheckedServerShape(std::string line) {
  if (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  std::replace(line.begin(), line.end(), '\t', ' ');
  const std::vector<std::string> words = Words(line);
  if (words.size() < 3) {
    return "";
  }
  std::string shape = words[0];  // the name and address left out
  for (size_t i = 3; i < words.size(); ++i) {
    shape += ' ';
    shape += words[i];
    if (i + 1 == words.size()) {
      break;
    }
    const std::string& value = words[i + 1];
    const bool number = !value.empty() && value.size() <= 5 &&
                        value.find_first_not_of("0123456789") ==
                            std::string::npos &&
                        std::stoi(value) <= 65535;
    if ((words[i] == "cookie" && IsCookieOption(words, i)) ||
        (number && (words[i] == "id" || words[i] == "port"))) {
      shape += " *";
      ++i;
    }
  }
  return shape;
}

Status LiveServers::Apply(const LiveChange& change, LiveReport* report) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const LiveServerStep& step : change.steps) {
    const std::string id = step.backend + "/" + step.server;
    std::string reply;
    if (step.kind == LiveServerStep::Kind::kRemove) {
      MLB_RETURN_IF_ERROR(send_(step.commands, &reply));
      const std::vector<std::string> lines = AnswerLines(reply);
      if (AllAre(lines, kBusy)) {
        pending_[id] = step.line;
      } else if (AllAre(lines, kDeleted) || AllAre(lines, kNoSuchServer)) {
        ++report->deleted;
      } else {
        return Status::Error("HAProxy's runtime API refused to remove server " +
                             id + ": " + Join(lines, " "));
      }
      ++report->removed;
      continue;
    }
    const auto pending = pending_.find(id);
    if (pending != pending_.end()) {
      // Still there in maintenance, waiting for its connections to end:
      // back to service, if with the same options.
      if (pending->second != step.line) {
        return Status::Error("server " + id +
                             " comes back with other options while its "
                             "connections of before still end");
      }
      MLB_RETURN_IF_ERROR(send_({"set server " + id + " state ready"}, &reply));
      const std::vector<std::string> lines = AnswerLines(reply);
      if (!lines.empty()) {
        return Status::Error("HAProxy's runtime API refused to set server " +
                             id + " ready: " + Join(lines, " "));
      }
      pending_.erase(pending);
      ++report->added;
      continue;
    }
    MLB_RETURN_IF_ERROR(send_(step.commands, &reply));
    const std::vector<std::string> lines = AnswerLines(reply);
    if (lines.size() != 1 || lines[0] != kAdded) {
      return Status::Error("HAProxy's runtime API refused '" +
                           step.commands.front() + "': " + Join(lines, " "));
    }
    ++report->added;
  }
  return Status::OK();
}

Status LiveServers::Delete(const std::string& backend,
                           const std::string& server, bool* gone) {
  const std::string id = backend + "/" + server;
  std::string reply;
  MLB_RETURN_IF_ERROR(send_({"del server " + id}, &reply));
  const std::vector<std::string> lines = AnswerLines(reply);
  if (AllAre(lines, kDeleted) || AllAre(lines, kNoSuchServer)) {
    *gone = true;
    return Status::OK();
  }
  *gone = false;
  if (AllAre(lines, kBusy)) {
    return Status::OK();
  }
  return Status::Error("HAProxy's runtime API refused to delete server " + id +
                       ": " + Join(lines, " "));
}

void LiveServers::RetryDeletes(LiveReport* report) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = pending_.begin(); it != pending_.end();) {
    const size_t slash = it->first.find('/');
    bool gone = false;
    const Status s = Delete(it->first.substr(0, slash),
                            it->first.substr(slash + 1), &gone);
    if (!s.ok()) {
      // Nothing to do about it but keep trying; the next reload removes it.
      report->errors.push_back(s.message());
      ++it;
      continue;
    }
    if (gone) {
      ++report->deleted;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mlb
