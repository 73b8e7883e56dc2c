#include "core/base/text.h"

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

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(begin, s.find_last_not_of(" \t") - begin + 1));
}

}  // namespace mlb
