// HAProxy 2.6's `balance` line as the backends family accepts it from
// HAPROXY_{n}_BALANCE: a value HAProxy would refuse in the config would make
// haproxy -c refuse every app's, so the family drops the port instead.
#pragma once

#include <string_view>
#include <vector>

namespace backends {

// The balance algorithms a label may choose, as HAProxy 2.6 takes them
// (`balance hash <expression>` is left out: an expression may read the LB's
// environment or files).
inline constexpr char kBalanceHelp[] =
    "roundrobin, static-rr, leastconn, first, source, random[(<n>)], "
    "uri [whole] [path-only] [len <n>] [depth <n>], url_param <name> "
    "[check_post], hdr(<name>) [use_domain_only], rdp-cookie[(<name>)]";

// A header, parameter or cookie name.
inline bool IsName(std::string_view s) {
  return !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_.-") ==
                           std::string_view::npos;
}

// A positive number of at most 5 digits.
inline bool IsCount(std::string_view s) {
  return !s.empty() && s.size() < 6 &&
         s.find_first_not_of("0123456789") == std::string_view::npos &&
         s.find_first_not_of('0') != std::string_view::npos;
}

// "name(arg)" -> arg, when `word` is that call of `name`; else false.
inline bool Call(std::string_view word, std::string_view name,
                 std::string_view* arg) {
  if (word.size() < name.size() + 2 || word.substr(0, name.size()) != name ||
      word[name.size()] != '(' || word.back() != ')') {
    return false;
  }
  *arg = word.substr(name.size() + 1, word.size() - name.size() - 2);
  return true;
}

// Whether HAProxy 2.6 takes `balance <words>` (a label's value would
// otherwise make haproxy -c refuse every app's config).
inline bool IsBalance(const std::vector<std::string_view>& w) {
  std::string_view arg;
  if (w.empty()) {
    return false;
  }
  if (w.size() == 1) {
    for (const char* plain : {"roundrobin", "static-rr", "leastconn", "first",
                              "source", "random", "uri", "rdp-cookie"}) {
      if (w[0] == plain) {
        return true;
      }
    }
  }
  if (w.size() == 1 && Call(w[0], "random", &arg)) {
    return IsCount(arg);
  }
  if (w.size() == 1 && Call(w[0], "rdp-cookie", &arg)) {
    return IsName(arg);
  }
  if (Call(w[0], "hdr", &arg)) {
    return IsName(arg) && (w.size() == 1 ||
                           (w.size() == 2 && w[1] == "use_domain_only"));
  }
  if (w[0] == "url_param") {
    return w.size() >= 2 && IsName(w[1]) &&
           (w.size() == 2 || (w.size() == 3 && w[2] == "check_post"));
  }
  if (w[0] == "uri") {
    for (size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "len" || w[i] == "depth") {
        if (++i == w.size() || !IsCount(w[i])) {
          return false;
        }
      } else if (w[i] != "whole" && w[i] != "path-only") {
        return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace backends
