// Line-based unified diff, used to log every config change.
#pragma once

#include <string>
#include <string_view>

namespace mlb {

// Returns a unified diff (as `diff -u` prints it, 3 lines of context) that turns
// `before` into `after`, with "--- <before_label>" / "+++ <after_label>"
// headers and "@@ -a,b +c,d @@" hunk headers. Returns "" when the texts are
// equal. A missing final newline is treated like GNU diff does
// ("\ No newline at end of file").
std::string UnifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label,
                        std::string_view after_label);

}  // namespace mlb
