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

}  // namespace mlb
