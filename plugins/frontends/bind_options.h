// HAPROXY_{n}_BIND_OPTIONS as the frontends family accepts it: the `bind`
// keywords of HAProxy 2.6 (configuration manual 5.1) that only shape the
// port's own listener. A keyword HAProxy does not know, or a bad argument,
// would make haproxy -c refuse every app's config, so the port is dropped
// instead; so is a keyword that hands the port key material or listeners of
// the load balancer (crt, crt-list, ca-sign-file, tls-ticket-keys,
// generate-certificates, namespace, id, the unix-socket and stats-socket
// options) or `ssl` (HAPROXY_{n}_SSL_CERT turns TLS on with a checked
// certificate). Cipher, curve and signature lists are left out too: OpenSSL
// decides which it takes, and one it refuses fails the whole config; so are
// force-* and no-tlsv1x (TLS versions: ssl-min-ver and ssl-max-ver, TLSv1.2
// or TLSv1.3). Numbers are held to HAProxy's ranges; a ca-file or crl-file
// must be a PEM file; `verify` other than none needs a ca-file; TLS options
// need the port's HAPROXY_{n}_SSL_CERT (on a plain listener HAProxy would
// ignore them: `verify required` would let anyone in).
#pragma once

#include <sys/stat.h>

#include <fstream>

#include <string>
#include <string_view>
#include <vector>

namespace frontends {

// What follows a keyword.
enum class BindArgument {
  kNone,      // a flag
  kWord,      // any one word
  kProtocols, // ALPN/NPN names separated by ',', each of 1 to 255 bytes
  kNice,      // 0..1024
  kMss,       // 1..65535
  kPositive,  // 1..999999999
  kCount,     // 0..999999999
  kTime,      // a number with an optional unit: 30s, 500ms; at most 2^31 ms
  kPem,       // an absolute name of a PEM file (certificates, CRLs)
  kVerify,    // none, optional, required
  kVersion,   // TLSv1.2, TLSv1.3
  kAll,       // all (error ids depend on the OpenSSL HAProxy runs with)
};

struct BindKeyword {
  const char* name;
  BindArgument argument;
  bool tls;  // only on a TLS listener: needs HAPROXY_{n}_SSL_CERT
};

inline constexpr BindKeyword kBindKeywords[] = {
    {"accept-netscaler-cip", BindArgument::kPositive, false},
    {"accept-proxy", BindArgument::kNone, false},
    {"allow-0rtt", BindArgument::kNone, true},
    {"alpn", BindArgument::kProtocols, true},
    {"backlog", BindArgument::kCount, false},
    {"ca-file", BindArgument::kPem, true},
    {"ca-ignore-err", BindArgument::kAll, true},
    {"ca-verify-file", BindArgument::kPem, true},
    {"crl-file", BindArgument::kPem, true},
    {"crt-ignore-err", BindArgument::kAll, true},
    {"defer-accept", BindArgument::kNone, false},
    {"interface", BindArgument::kWord, false},
    {"maxconn", BindArgument::kCount, false},
    {"mss", BindArgument::kMss, false},
    {"name", BindArgument::kWord, false},
    {"nice", BindArgument::kNice, false},
    {"no-ca-names", BindArgument::kNone, true},
    {"no-tls-tickets", BindArgument::kNone, true},
    {"npn", BindArgument::kProtocols, true},
    {"prefer-client-ciphers", BindArgument::kNone, true},
    {"ssl-max-ver", BindArgument::kVersion, true},
    {"ssl-min-ver", BindArgument::kVersion, true},
    {"strict-sni", BindArgument::kNone, true},
    {"tcp-ut", BindArgument::kTime, false},
    {"tfo", BindArgument::kNone, false},
    {"transparent", BindArgument::kNone, false},
    {"v4v6", BindArgument::kNone, false},
    {"v6only", BindArgument::kNone, false},
    {"verify", BindArgument::kVerify, true},
};

// A number of at most 9 digits in [min, max].
inline bool InRange(std::string_view s, long min, long max) {
  if (s.empty() || s.size() > 9 ||
      s.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  const long n = std::stol(std::string(s));
  return n >= min && n <= max;
}

// Whether the file `path` holds PEM data (a certificate or a CRL): HAProxy
// refuses a ca-file or crl-file without any.
inline bool HasPem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(65536, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("-----BEGIN ") != std::string::npos;
}

// Why `argument` cannot follow a keyword wanting `kind`, or "".
inline std::string BindArgumentProblem(BindArgument kind,
                                       std::string_view argument) {
  switch (kind) {
    case BindArgument::kNone:
    case BindArgument::kWord:
      return "";
    case BindArgument::kProtocols: {
      size_t start = 0;
      while (true) {
        const size_t comma = argument.find(',', start);
        const size_t end = comma == std::string_view::npos ? argument.size() : comma;
        if (end == start || end - start > 255) {
          return "is not a list of protocol names of 1 to 255 bytes";
        }
        if (comma == std::string_view::npos) {
          return "";
        }
        start = comma + 1;
      }
    }
    case BindArgument::kNice:
      return InRange(argument, 0, 1024) ? "" : "is not a number from 0 to 1024";
    case BindArgument::kMss:
      return InRange(argument, 1, 65535) ? "" : "is not a number from 1 to 65535";
    case BindArgument::kPositive:
      return InRange(argument, 1, 999999999) ? "" : "is not a number from 1";
    case BindArgument::kCount:
      return InRange(argument, 0, 999999999) ? "" : "is not a number";
    case BindArgument::kTime: {
      const size_t digits = argument.find_first_not_of("0123456789");
      const std::string_view number = argument.substr(0, digits);
      const std::string_view unit =
          digits == std::string_view::npos ? "" : argument.substr(digits);
      long per_unit = -1;  // milliseconds
      if (unit.empty() || unit == "ms") {
        per_unit = 1;
      } else if (unit == "us") {
        per_unit = 0;
      } else if (unit == "s") {
        per_unit = 1000;
      } else if (unit == "m") {
        per_unit = 60000;
      } else if (unit == "h") {
        per_unit = 3600000;
      } else if (unit == "d") {
        per_unit = 86400000;
      }
      if (per_unit < 0 || !InRange(number, 0, 999999999) ||
          std::stol(std::string(number)) * per_unit > 2147483647L) {
        return "is not a time (a number, then us, ms, s, m, h or d) of at "
               "most 2147483647 ms";
      }
      return "";
    }
    case BindArgument::kPem: {
      if (argument.empty() || argument[0] != '/') {
        return "is not an absolute file name";
      }
      struct stat st;
      const std::string path(argument);
      if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return "is not a file of the load balancer";
      }
      return HasPem(path) ? "" : "holds no PEM certificate or CRL";
    }
    case BindArgument::kVerify:
      return argument == "none" || argument == "optional" ||
                     argument == "required"
                 ? ""
                 : "is not none, optional or required";
    case BindArgument::kVersion:
      return argument == "TLSv1.2" || argument == "TLSv1.3"
                 ? ""
                 : "is not TLSv1.2 or TLSv1.3";
    case BindArgument::kAll:
      return argument == "all" ? "" : "is not all";
  }
  return "";
}

// Why the words of HAPROXY_{n}_BIND_OPTIONS cannot go on the port's bind
// line, or "". `tls`: the port has HAPROXY_{n}_SSL_CERT, so its listener
// terminates TLS.
inline std::string BindOptionsProblem(const std::vector<std::string_view>& words,
                                      bool tls) {
  std::string_view verify;  // the argument of verify, unless none
  std::string_view min_version, max_version;
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
             "bind keywords without certificates, keys, cipher lists, "
             "namespaces, ids or socket options; TLS: HAPROXY_{n}_SSL_CERT)";
    }
    if (keyword->tls && !tls) {
      return "has '" + std::string(words[i]) +
             "', which only a TLS port takes: set HAPROXY_{n}_SSL_CERT";
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
    if (words[i] == "ssl-min-ver") {
      min_version = words[i + 1];
    }
    if (words[i] == "ssl-max-ver") {
      max_version = words[i + 1];
    }
    ca_file = ca_file || words[i] == "ca-file";
    ++i;
  }
  if (!verify.empty() && !ca_file) {
    return "has 'verify " + std::string(verify) +
           "' without a ca-file to verify with";
  }
  if (!min_version.empty() && !max_version.empty() && min_version > max_version) {
    return "has ssl-min-ver " + std::string(min_version) + " above ssl-max-ver " +
           std::string(max_version) + ": no TLS version is left";
  }
  return "";
}

}  // namespace frontends
