// The refused directives of `--label-policy restricted` and their matcher:
// what a line of an app's template override may not do to the LB host (run
// code, read or write its files, reach its local sockets, change the HAProxy
// process), read from the words of the line (Words(), haproxy_words.h).
// Traffic settings (timeouts, options, ACLs, http-request rules, balance,
// server options, certificates on bind/server lines) are not in the table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlb {

// One row of the table. `text` ending in '*' matches as a prefix.
struct RefusedDirective {
  // How the row matches the words of a line.
  enum class Where {
    kKeyword,  // the first word
    kArg,      // argument `arg` (1 = the word after the keyword) of `keyword`
    kAnyArg,   // any word after the keyword, whatever the keyword
    kCall,     // a sample fetch or converter call anywhere in an argument
    kSocket,   // an address anywhere in an argument (any element of a list)
    kAddress,  // an address in an address position (bind, server, addr, ...)
    kFamily,   // the same, naming an address family that is not IP
  };
  Where where;
  std::string_view keyword;  // kKeyword, kArg
  int arg;                   // kArg
  std::string_view text;     // kAddress, kFamily: documentation only
  std::string_view why;      // "reads a file of the LB host"
};

// The row the words of a line hit, or null; *hit is set to what hit it: the
// word ("lua-load"), or the keyword and its argument ("option
// external-check", "server /run/haproxy.sock"). `words` are those of
// Words() (lower case) and not empty.
const RefusedDirective* RefusedIn(const std::vector<std::string>& words,
                                  std::string* hit);

}  // namespace mlb
