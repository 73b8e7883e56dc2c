#include "core/config/listeners.h"

#include <arpa/inet.h>

#include "core/base/text.h"
#include "core/config/haproxy_words.h"

namespace mlb {
namespace {

bool IsHostNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
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

}  // namespace

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

std::string CanonicalNetwork(std::string_view text) {
  if (text.empty() || text.front() == '[') {
    return "";
  }
  const size_t slash = text.find('/');
  std::string address = CanonicalAddress(text.substr(0, slash));
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.0) is the IPv4 address it
  // maps, and its prefix counts 96 bits more: ::ffff:10.0.0.0/8 would be
  // ::/8, every IPv4 source.
  const bool mapped = address.rfind("::ffff:", 0) == 0 &&
                      address.find('.') != std::string::npos;
  if (mapped) {
    address = address.substr(7);
  }
  if (address.empty() || slash == std::string_view::npos) {
    return address;
  }
  const std::string_view prefix = text.substr(slash + 1);
  int bits = 0;
  if (prefix.empty() || prefix.size() > 3 ||
      prefix.find_first_not_of("0123456789") != std::string_view::npos) {
    return "";
  }
  bits = std::stoi(std::string(prefix)) - (mapped ? 96 : 0);
  const int max_prefix = address.find(':') == std::string::npos ? 32 : 128;
  if (bits < 0 || bits > max_prefix) {
    return "";
  }
  return address + "/" + std::to_string(bits);
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

AddressKind ReadListener(std::string_view address, Listener* out) {
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
  if (!rest.empty() && rest[0] == '/') {
    return AddressKind::kSocket;
  }
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view family = rest.substr(0, at + 1);
    constexpr std::string_view kSockets[] = {"unix@", "abns@", "fd@",
                                             "sockpair@"};
    for (std::string_view f : kSockets) {
      if (family == f) {
        return AddressKind::kSocket;
      }
    }
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
      return AddressKind::kUnreadable;
    }
    rest.remove_prefix(at + 1);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos ||
      !ParsePortRange(rest.substr(colon + 1), &out->first_port,
                      &out->last_port)) {
    return AddressKind::kUnreadable;
  }
  const std::string_view host = rest.substr(0, colon);
  out->address = CanonicalAddress(host);
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) takes the IPv4 address's
  // connections: HAProxy binds both (SO_REUSEPORT) and Linux gives every
  // IPv4 connection to the AF_INET socket. So it is the address it maps,
  // and port ownership sees one listener.
  if (out->address.rfind("::ffff:", 0) == 0 &&
      out->address.find('.') != std::string::npos) {
    out->address = out->address.substr(7);
  }
  if (out->address == "0.0.0.0" || out->address == "::") {
    out->address.clear();  // any address; a host name is taken as any too
  }
  out->bind = std::string(address);
  return AddressKind::kPort;
}

std::vector<Listener> BindListeners(std::string_view text,
                                    const std::string& section) {
  std::vector<Listener> out;
  BindListeners(text, section, &out);
  return out;
}

void BindListeners(std::string_view text, std::string_view section,
                   std::vector<Listener>* out,
                   std::vector<std::string>* unreadable) {
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
      const std::string_view address = addresses.substr(from, comma - from);
      const AddressKind kind = ReadListener(address, &l);
      if (kind != AddressKind::kSocket) {
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
      }
      if (kind == AddressKind::kPort) {
        l.section = current;
        out->push_back(std::move(l));
      } else if (kind == AddressKind::kUnreadable && unreadable != nullptr) {
        unreadable->push_back(std::string(address) + " in " + current);
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
