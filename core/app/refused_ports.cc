#include "core/app/refused_ports.h"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "core/app/unbindable_ports.h"
#include "core/base/text.h"
#include "core/config/haproxy_words.h"

namespace mlb {
namespace {

// HAProxy's closing lines, which name no line of their own.
bool IsSummary(const std::string& message) {
  return message.find("Error(s) found in configuration file") !=
             std::string::npos ||
         message.find("Fatal errors found in configuration") !=
             std::string::npos ||
         message.find("Failed to initialize server(s) addr") !=
             std::string::npos;
}

// The lines [first, last) of the proxy `name` in `lines`: from its
// "frontend|backend|listen <name>" line to the next line that starts a
// section (anything not indented, comments aside).
bool FindProxy(const std::vector<std::string>& lines, const std::string& name,
               size_t* first, size_t* last) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::vector<std::string> words = Words(lines[i]);
    if (words.size() < 2 || words[1] != name ||
        (words[0] != "frontend" && words[0] != "backend" &&
         words[0] != "listen")) {
      continue;
    }
    size_t end = i + 1;
    while (end < lines.size() &&
           (lines[end].empty() || lines[end][0] == ' ' ||
            lines[end][0] == '\t' || lines[end][0] == '#')) {
      ++end;
    }
    *first = i;
    *last = end;
    return true;
  }
  return false;
}

// Whether a word HAProxy's message quotes (the token it refused, the
// directive, the address) comes from what `author` wrote in its labels: a
// word of the labels' values (placeholders left out, 3 characters or more)
// within the quoted word. An operator's template that HAProxy
// refuses fails every app that renders it, and is nobody's to drop for.
bool QuotesTheLabels(const std::vector<std::string>& quoted,
                     const ConfigAuthor& author) {
  std::string text = author.label_text;
  for (char& c : text) {
    if (c == ',' || c == '\n' || c == '\t' || c == '\r') {
      c = ' ';  // Words() splits on spaces
    }
  }
  for (const std::string& word : Words(text)) {
    if (word.size() < 2 || word.find('{') != std::string::npos ||
        word.find('}') != std::string::npos) {
      continue;
    }
    for (const std::string& q : quoted) {
      if (word.size() >= 3 && q.find(word) != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::vector<RefusedPort> FindRefusedPorts(const std::string& output,
                                          const std::string& text,
                                          const HaproxyConfig& config,
                                          std::vector<std::string>* unmatched) {
  // Only where HAProxy puts it: a word HAProxy quotes later in the message
  // may hold "[f:N]" too.
  static const std::regex kLine(R"(^(?:parsing )?\[[^\[\]]*:([0-9]+)\])");
  static const std::regex kProxy(R"((?:[Pp]roxy|backend|frontend|listen) '([^']+)')");
  static const std::regex kQuoted(R"('([^']*)')");
  const std::vector<int> authors = config.LineAuthors();
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      lines.push_back(line);
    }
  }
  std::vector<RefusedPort> out;
  std::set<int> found;
  const auto add = [&](int author, const std::string& message) {
    std::vector<std::string> quoted;
    for (auto it = std::sregex_iterator(message.begin(), message.end(),
                                        kQuoted);
         it != std::sregex_iterator(); ++it) {
      quoted.push_back((*it)[1].str());
    }
    if (author < 0 || static_cast<size_t>(author) >= config.authors().size() ||
        !QuotesTheLabels(quoted,
                         config.authors()[static_cast<size_t>(author)])) {
      unmatched->push_back(message);
      return;
    }
    if (found.insert(author).second) {
      const ConfigAuthor& a = config.authors()[static_cast<size_t>(author)];
      out.push_back({a.app_id, a.service_port, message});
    }
  };
  std::istringstream in(output);
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.find("[ALERT]") == std::string::npos) {
      continue;
    }
    std::string message = WithoutAlertPrefix(raw);
    if (message.rfind("config : ", 0) == 0) {
      message.erase(0, 9);  // the stage, the same on every line of -c
    }
    if (IsSummary(message)) {
      continue;
    }
    std::smatch m;
    if (std::regex_search(message, m, kLine)) {
      const size_t n = std::stoul(m[1].str());
      add(n >= 1 && n <= authors.size() ? authors[n - 1]
                                        : HaproxyConfig::kTheLb,
          message);
      continue;
    }
    size_t first = 0;
    size_t last = 0;
    if (!std::regex_search(message, m, kProxy) ||
        !FindProxy(lines, m[1].str(), &first, &last) ||
        last > authors.size()) {
      unmatched->push_back(message);
      continue;
    }
    const std::string proxy = m[1].str();
    // The words the message quotes, but the proxy's name: "nosuch".
    std::vector<std::string> quoted;
    for (auto it = std::sregex_iterator(message.begin(), message.end(),
                                        kQuoted);
         it != std::sregex_iterator(); ++it) {
      const std::string word = Lower((*it)[1].str());
      if (!word.empty() && word != Lower(proxy)) {
        quoted.push_back(word);  // compared with words as HAProxy reads them
      }
    }
    std::set<int> quoting;  // authors of the lines that carry one
    std::set<int> all;      // authors of the proxy's lines
    for (size_t i = first; i < last; ++i) {
      if (authors[i] != HaproxyConfig::kTheLb) {
        all.insert(authors[i]);  // the LB's own lines are nobody's fault
      }
      bool dollar = false;
      for (const std::string& word : Words(lines[i], &dollar)) {
        if (std::find(quoted.begin(), quoted.end(), word) != quoted.end()) {
          quoting.insert(authors[i]);
        }
      }
    }
    const std::set<int>& who = quoting.empty() ? all : quoting;
    add(who.size() == 1 ? *who.begin() : HaproxyConfig::kTheLb, message);
  }
  return out;
}

}  // namespace mlb
