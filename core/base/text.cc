#include "core/base/text.h"

#include <algorithm>

namespace mlb {

std::vector<std::string> Split(std::string_view s, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(separator, start);
    out.emplace_back(s.substr(start, at - start));
    if (at == std::string_view::npos) {
      return out;
    }
    start = at + 1;
  }
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while ((start = s.find_first_not_of(' ', start)) != std::string_view::npos) {
    const size_t end = std::min(s.find(' ', start), s.size());
    out.emplace_back(s.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts,
                 std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(begin, s.find_last_not_of(" \t") - begin + 1));
}

std::string CrLfToLf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      out.push_back(text[i]);
    }
  }
  return out;
}

namespace {

// How much of a URL's user information stays shown: "user:password" keeps
// "user:"; a user alone or with an empty password ("TOKEN", "TOKEN:", as
// curl -u TOKEN: sends a token) is a token and goes whole.
size_t KeptOfUserInfo(std::string_view info) {
  const size_t colon = info.find(':');
  if (colon == std::string_view::npos || colon + 1 == info.size()) {
    return 0;
  }
  return colon + 1;
}

}  // namespace

std::string RedactUrl(std::string_view text) {
  std::string out;
  size_t copied = 0;  // text[0, copied) is in out
  for (size_t scheme_end = text.find("://");
       scheme_end != std::string_view::npos;
       scheme_end = text.find("://", scheme_end + 3)) {
    const size_t start = scheme_end + 3;
    if (start <= copied) {
      continue;  // inside a password already redacted
    }
    // The authority ("user:password@host:port") ends where the path, the
    // query, the fragment or the surrounding text starts. Not at a "'":
    // RFC 3986 allows one in a password (review 15e); a URL in single
    // quotes then takes the quote into its host, which is only shown.
    size_t end = text.find_first_of("/?# \t\r\n\"<>", start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view authority = text.substr(start, end - start);
    const size_t at = authority.rfind('@');
    if (at == std::string_view::npos || at == 0) {
      continue;  // no user information, or an empty one
    }
    const size_t kept = KeptOfUserInfo(authority.substr(0, at));
    out.append(text.substr(copied, start + kept - copied));
    out += "***";
    copied = start + at;
  }
  out.append(text.substr(copied));
  return out;
}

std::string PercentDecode(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string_view UrlUserInfo(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  const size_t start = scheme_end + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.substr(start, end - start).rfind('@');
  return at == std::string_view::npos ? std::string_view()
                                      : url.substr(start, at);
}

std::string RedactUrlValue(std::string_view url) {
  const std::string_view info = UrlUserInfo(url);
  if (info.empty()) {
    return RedactUrl(url);  // no user information here; maybe further on
  }
  const size_t kept = KeptOfUserInfo(info);
  const size_t start = static_cast<size_t>(info.data() - url.data());
  return std::string(url.substr(0, start + kept)) + "***" +
         RedactUrl(url.substr(start + info.size()));
}

}  // namespace mlb
