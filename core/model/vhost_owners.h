// --vhost-owners FILE: which apps may serve which hosts, for a load
// balancer shared by teams that do not trust each other with their hosts.
// marathon-lb 1.15 lets any app name any vhost (two apps naming one share
// it: the highest route weight, then app id order, wins the
// rules that overlap), which stays the default. With the file, a vhost
// that a line of it covers is served only by the apps under that line's
// app id prefixes; another app naming it loses the service port, with an
// error that names the vhost and the line.
//
// The file, one rule per line ('#' starts a comment):
//   <domain> <app id prefix> [<app id prefix> ...]
//   shop.example.com     /shop
//   *.shop.example.com   /shop /shop-canary
//   *.example.com        /platform
//   *                    /platform
// A domain is a host name (that host only), "*." and a host name (its
// subdomains, not itself) or "*" (every host no other line covers). The
// line that covers a host is the exact one, else the longest "*." one,
// else "*"; a host no line covers is anyone's. A prefix covers the app id
// itself and the ids under it ("/shop" covers /shop and /shop/web, not
// /shopping); "/" covers every app.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"

namespace mlb {

class VhostOwners {
 public:
  // Reads the rules of `text`; `file` names it in errors ("owners.txt
  // line 3: ...").
  static Status Parse(const std::string& text, const std::string& file,
                      VhostOwners* out);
  // Parse() of the file at `path`.
  static Status Load(const std::string& path, VhostOwners* out);

  // OK when `app_id` may serve `vhost` (lower case; a trailing '.' and a
  // ":port" are the host's), else why not: "vhost
  // shop.example.com belongs to /shop (--vhost-owners owners.txt line 1)".
  Status Check(const std::string& app_id, const std::string& vhost) const;

  size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string domain;  // "shop.example.com", ".example.com" or "" for "*"
    std::vector<std::string> prefixes;
    int line = 0;
  };
  // The rule that covers `host`, or null.
  const Rule* Covering(const std::string& host) const;

  std::string file_;
  std::vector<Rule> rules_;
};

}  // namespace mlb
