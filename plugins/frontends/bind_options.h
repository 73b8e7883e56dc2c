// HAPROXY_{n}_BIND_OPTIONS as the frontends family accepts it: the `bind`
// keywords of HAProxy 2.6 (configuration manual 5.1) that only shape the
// port's own listener. A keyword HAProxy does not know, or a bad argument,
// would make haproxy -c refuse every app's config, so the port is dropped
// instead; so is a keyword that hands the port key material or listeners of
// the load balancer (crt, crt-list, ca-sign-file, tls-ticket-keys,
// generate-certificates, namespace, id, the unix-socket and stats-socket
// options) or `ssl` (HAPROXY_{n}_SSL_CERT turns TLS on with a checked
// certificate). Cipher, curve and signature lists are left out too: OpenSSL
// decides which it takes, and one it refuses fails the whole config. A file
// (ca-file, crl-file) must exist, and `verify` other than none needs a
// ca-file, as HAProxy requires of a TLS bind.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

namespace frontends {

// What follows a keyword.
enum class BindArgument {
  kNone,     // a flag
  kWord,     // any one word
  kNumber,   // a number of at most 9 digits
  kTime,     // a number with an optional unit: 30s, 500ms
  kPath,     // an absolute file name
  kVerify,   // none, optional, required
  kVersion,  // SSLv3, TLSv1.0 ... TLSv1.3
  kAll,      // all (error ids depend on the OpenSSL HAProxy runs with)
};

struct BindKeyword {
  const char* name;
  BindArgument argument;
};

inline constexpr BindKeyword kBindKeywords[] = {
    {"accept-netscaler-cip", BindArgument::kNumber},
    {"accept-proxy", BindArgument::kNone},
    {"allow-0rtt", BindArgument::kNone},
    {"alpn", BindArgument::kWord},
    {"backlog", BindArgument::kNumber},
    {"ca-file", BindArgument::kPath},
    {"ca-ignore-err", BindArgument::kAll},
    {"ca-verify-file", BindArgument::kPath},
    {"crl-file", BindArgument::kPath},
    {"crt-ignore-err", BindArgument::kAll},
    {"defer-accept", BindArgument::kNone},
    {"force-sslv3", BindArgument::kNone},
    {"force-tlsv10", BindArgument::kNone},
    {"force-tlsv11", BindArgument::kNone},
    {"force-tlsv12", BindArgument::kNone},
    {"force-tlsv13", BindArgument::kNone},
    {"interface", BindArgument::kWord},
    {"maxconn", BindArgument::kNumber},
    {"mss", BindArgument::kNumber},
    {"name", BindArgument::kWord},
    {"nice", BindArgument::kNumber},
    {"no-ca-names", BindArgument::kNone},
    {"no-sslv3", BindArgument::kNone},
    {"no-tls-tickets", BindArgument::kNone},
    {"no-tlsv10", BindArgument::kNone},
    {"no-tlsv11", BindArgument::kNone},
    {"no-tlsv12", BindArgument::kNone},
    {"no-tlsv13", BindArgument::kNone},
    {"npn", BindArgument::kWord},
    {"prefer-client-ciphers", BindArgument::kNone},
    {"ssl-max-ver", BindArgument::kVersion},
    {"ssl-min-ver", BindArgument::kVersion},
    {"strict-sni", BindArgument::kNone},
    {"tcp-ut", BindArgument::kTime},
    {"tfo", BindArgument::kNone},
    {"transparent", BindArgument::kNone},
    {"v4v6", BindArgument::kNone},
    {"v6only", BindArgument::kNone},
    {"verify", BindArgument::kVerify},
};

inline bool IsDigits(std::string_view s) {
  return !s.empty() && s.size() <= 9 &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Why `argument` cannot follow a keyword wanting `kind`, or "".
inline std::string BindArgumentProblem(BindArgument kind,
                                       std::string_view argument) {
  switch (kind) {
    case BindArgument::kNone:
    case BindArgument::kWord:
      return "";
    case BindArgument::kNumber:
      return IsDigits(argument) ? "" : "is not a number";
    case BindArgument::kTime: {
      const size_t digits = argument.find_first_not_of("0123456789");
      const std::string_view unit =
          digits == std::string_view::npos ? "" : argument.substr(digits);
      const bool unit_ok = unit.empty() || unit == "us" || unit == "ms" ||
                           unit == "s" || unit == "m" || unit == "h" ||
                           unit == "d";
      return IsDigits(argument.substr(0, digits)) && unit_ok
                 ? ""
                 : "is not a time (a number, then us, ms, s, m, h or d)";
    }
    case BindArgument::kPath: {
      if (argument.empty() || argument[0] != '/') {
        return "is not an absolute file name";
      }
      struct stat st;
      return stat(std::string(argument).c_str(), &st) == 0 && S_ISREG(st.st_mode)
                 ? ""
                 : "is not a file of the load balancer";
    }
    case BindArgument::kAll:
      return argument == "all" ? "" : "is not all";
    case BindArgument::kVerify:
      return argument == "none" || argument == "optional" ||
                     argument == "required"
                 ? ""
                 : "is not none, optional or required";
    case BindArgument::kVersion:
      for (const char* v : {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}) {
        if (argument == v) {
          return "";
        }
      }
      return "is not SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3";
  }
  return "";
}

// Why the words of HAPROXY_{n}_BIND_OPTIONS cannot go on the port's bind
// line, or "".
inline std::string BindOptionsProblem(const std::vector<std::string_view>& words) {
  std::string_view verify;  // the argument of verify, unless none
  bool ca_file = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const BindKeyword* keyword = nullptr;
    for (const BindKeyword& k : kBindKeywords) {
      if (words[i] == k.name) {
        keyword = &k;
      }
    }
    if (keyword == nullptr) {
      return "has '" + std::string(words[i]) +
             "', which is not a bind option a port may set (HAProxy 2.6 "
             "bind keywords without certificates, keys, cipher lists, namespaces, "
             "ids or socket options; TLS: HAPROXY_{n}_SSL_CERT)";
    }
    if (keyword->argument == BindArgument::kNone) {
      continue;
    }
    if (i + 1 == words.size()) {
      return "has '" + std::string(words[i]) + "' without its argument";
    }
    const std::string problem =
        BindArgumentProblem(keyword->argument, words[i + 1]);
    if (!problem.empty()) {
      return "has '" + std::string(words[i]) + " " + std::string(words[i + 1]) +
             "': '" + std::string(words[i + 1]) + "' " + problem;
    }
    if (words[i] == "verify" && words[i + 1] != "none") {
      verify = words[i + 1];
    }
    ca_file = ca_file || words[i] == "ca-file";
    ++i;
  }
  if (!verify.empty() && !ca_file) {
    return "has 'verify " + std::string(verify) +
           "' without a ca-file to verify with";
  }
  return "";
}

}  // namespace frontends
