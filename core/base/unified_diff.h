// Line-based unified diff, used to log every config change.
#pragma once

#include <optional>
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

// The same diff as UnifiedDiff(head + before + tail, head + after + tail),
// made from the lines of the windows `before` and `after` only: the common
// `head` and `tail` are scanned once and nothing of them is kept, so the
// memory used is that of the windows. Give the windows a few common lines
// on either side of what changed: a change that is (or, as diff -u slides
// it, would become) closer than 3 lines to an edge of a window with more
// text beyond it, or that the search could pair with lines of the tail,
// makes it return std::nullopt (then diff a wider window or the whole
// texts). `head` must end with a newline, and the windows too when `tail`
// is not empty.
std::optional<std::string> UnifiedDiffOfWindows(
    std::string_view head, std::string_view before, std::string_view after,
    std::string_view tail, std::string_view before_label,
    std::string_view after_label);

}  // namespace mlb
