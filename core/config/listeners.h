// The TCP/UDP ports the `bind` lines of an HAProxy config listen on, read as
// HAProxy reads its bind addresses, and whether two of them would share a
// port.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlb {

// A TCP/UDP address a `bind` line of the config listens on.
struct Listener {
  std::string section;  // "frontend marathon_https_in", "listen stats"
  std::string bind;     // the address word as written: "*:443"
  std::string address;  // canonical: "" = any address (*, 0.0.0.0, ::, or a
                        // host name, which may resolve to any of them)
  int first_port = 0;
  int last_port = 0;  // a range "10000-10010"; else == first_port
  bool udp = false;   // quic4@, udp@, ...
};

// The listeners of the `bind` lines of `text` (several sections, or one:
// lines before the first section line belong to `section`). Addresses that
// are not TCP/UDP ports (unix@, abns@, fd@, a path) are left out.
std::vector<Listener> BindListeners(std::string_view text,
                                    const std::string& section);
// The same, appended to *out (the generator reuses one vector).
void BindListeners(std::string_view text, std::string_view section,
                   std::vector<Listener>* out);

// Whether two listeners would share a port: same protocol, overlapping
// ports, and one of them on any address or both on the same one.
bool SharesPort(const Listener& a, const Listener& b);

// One address of a bind line ("*:80", "ipv4@10.0.0.1:443", "[::1]:8080",
// "quic4@:443", "stream+ip@[::1]:82") into *out; false when it is not a port
// (a socket, a path) or does not parse (HAProxy refuses it then).
bool ParseListener(std::string_view address, Listener* out);

// An IP literal (v4, v6, v6 in brackets) in its canonical form, or "".
std::string CanonicalAddress(std::string_view text);

// An IP address or network ("10.0.0.0/8", "fd00::/16"; no brackets) in
// its canonical form, or "" when `text` is neither.
std::string CanonicalNetwork(std::string_view text);

// Whether `name` is a host name: dot-separated labels of letters, digits,
// '-' and '_', none empty, longer than 63 or starting or ending with '-';
// 253 characters at most.
bool IsHostName(std::string_view name);

}  // namespace mlb
