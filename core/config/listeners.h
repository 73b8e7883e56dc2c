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
// are not TCP/UDP ports (unix@, abns@, fd@, sockpair@, a path) are left
// out; those that are neither (AddressKind::kUnreadable) go to *unreadable
// when it is given, as "<address> in <section>".
std::vector<Listener> BindListeners(std::string_view text,
                                    const std::string& section);
// The same, appended to *out (the generator reuses one vector).
void BindListeners(std::string_view text, std::string_view section,
                   std::vector<Listener>* out,
                   std::vector<std::string>* unreadable = nullptr);

// Whether two listeners would share a port: same protocol, overlapping
// ports, and one of them on any address or both on the same one.
bool SharesPort(const Listener& a, const Listener& b);

// What one address of a bind line is.
enum class AddressKind {
  kPort,        // "*:80", "ipv4@10.0.0.1:443", "[::1]:8080", "quic4@:443"
  kSocket,      // "unix@/x.sock", "/x.sock", "abns@x", "fd@3", "sockpair@4"
  kUnreadable,  // anything else: HAProxy may still bind a port of it
                // ("*:19091x" binds 19091, "*:1e3" binds 1, "*:80-+90"
                // binds 80-90), so its port cannot be checked
};

// One address of a bind line into *out (when a port). A port is exactly
// decimal digits, 1-65535, or a range N-M of them with N <= M.
AddressKind ReadListener(std::string_view address, Listener* out);

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
