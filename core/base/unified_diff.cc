// Myers' O((N+M)D) difference algorithm in its linear-space form (find the
// middle snake, split, repeat), followed by a pass that slides change groups
// the way `diff -u` presents them, and GNU-compatible hunk formatting.
#include "core/base/unified_diff.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <functional>
#include <utility>
#include <vector>

namespace mlb {
namespace {

constexpr std::ptrdiff_t kContext = 3;
// Sentinel for backward-search diagonals outside the current range.
constexpr std::ptrdiff_t kFar = std::numeric_limits<std::ptrdiff_t>::max();

// Splits `text` into lines that keep their '\n'; only the last may lack it.
// Keeping the terminator makes "x" at EOF differ from "x\n", as in GNU diff.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// Computes which lines of `a` are deleted and which of `b` are inserted in a
// shortest edit script (shortest up to the cost cap, see below).
class EditScript {
 public:
  // `a` and `b` are the parts of two files between their common prefix
  // and suffix; `total` is the size of the whole files (n + m), which sets
  // the search cap, so that the script is the one the whole files give:
  // Run() strips a common prefix and suffix first anyway, and the search is
  // the same on a box whatever its offset.
  EditScript(std::basic_string_view<int> a, std::basic_string_view<int> b,
             std::ptrdiff_t total)
      : a_(a), b_(b), total_(total) {}

  // Fills `deleted` (size a.size()) and `inserted` (size b.size()).
  void Run(std::vector<char>* deleted, std::vector<char>* inserted);

 private:
  struct Box {
    std::ptrdiff_t x_begin, x_end, y_begin, y_end;
  };
  struct Split {
    std::ptrdiff_t x, y;
  };

  Split FindMiddle(const Box& box);

  std::basic_string_view<int> a_;
  std::basic_string_view<int> b_;
  std::ptrdiff_t total_;
  // Furthest-reaching x per diagonal k = x - y, indexed by k + offset_.
  std::vector<std::ptrdiff_t> forward_;
  std::vector<std::ptrdiff_t> backward_;
  std::ptrdiff_t offset_ = 0;
  // Above this many search rounds within one box the best partial path is
  // taken as the split: the script may then be slightly longer than minimal
  // but the cost stays bounded for configs that changed almost entirely.
  std::ptrdiff_t max_rounds_ = 0;
};

void EditScript::Run(std::vector<char>* deleted, std::vector<char>* inserted) {
  const auto n = static_cast<std::ptrdiff_t>(a_.size());
  const auto m = static_cast<std::ptrdiff_t>(b_.size());
  deleted->assign(a_.size(), 0);
  inserted->assign(b_.size(), 0);
  offset_ = m + 1;
  forward_.assign(static_cast<size_t>(n + m + 3), 0);
  backward_.assign(static_cast<size_t>(n + m + 3), 0);
  max_rounds_ = 1;
  for (std::ptrdiff_t size = total_; size > 0; size >>= 2) {
    max_rounds_ <<= 1;  // about sqrt(n + m)
  }
  max_rounds_ = std::max<std::ptrdiff_t>(max_rounds_, 1024);

  auto replace_all = [&](const Box& box) {
    for (std::ptrdiff_t x = box.x_begin; x < box.x_end; ++x) {
      (*deleted)[x] = 1;
    }
    for (std::ptrdiff_t y = box.y_begin; y < box.y_end; ++y) {
      (*inserted)[y] = 1;
    }
  };

  // An explicit stack: the recursion is shallow when the search succeeds,
  // but capped splits may be lopsided.
  std::vector<Box> pending = {{0, n, 0, m}};
  while (!pending.empty()) {
    Box box = pending.back();
    pending.pop_back();
    while (box.x_begin < box.x_end && box.y_begin < box.y_end &&
           a_[box.x_begin] == b_[box.y_begin]) {
      ++box.x_begin;
      ++box.y_begin;
    }
    while (box.x_begin < box.x_end && box.y_begin < box.y_end &&
           a_[box.x_end - 1] == b_[box.y_end - 1]) {
      --box.x_end;
      --box.y_end;
    }
    if (box.x_begin == box.x_end || box.y_begin == box.y_end) {
      replace_all(box);
      continue;
    }
    const Split split = FindMiddle(box);
    const bool at_corner =
        (split.x == box.x_begin && split.y == box.y_begin) ||
        (split.x == box.x_end && split.y == box.y_end);
    if (at_corner) {
      // Cannot happen for a stripped box, but splitting there would loop
      // forever; replacing the whole box is always a valid script.
      replace_all(box);
      continue;
    }
    pending.push_back({box.x_begin, split.x, box.y_begin, split.y});
    pending.push_back({split.x, box.x_end, split.y, box.y_end});
  }
}

// Runs the forward search from the top-left corner and the backward search
// from the bottom-right corner one edit at a time until they overlap; the
// overlap lies on a shortest path, so it splits the box into two independent
// halves of about half the cost each. `box` has no common prefix or suffix,
// so the split is never a corner and both halves are strictly smaller.
EditScript::Split EditScript::FindMiddle(const Box& box) {
  std::ptrdiff_t* fwd = forward_.data() + offset_;
  std::ptrdiff_t* bwd = backward_.data() + offset_;
  const std::ptrdiff_t k_min = box.x_begin - box.y_end;
  const std::ptrdiff_t k_max = box.x_end - box.y_begin;
  const std::ptrdiff_t f_mid = box.x_begin - box.y_begin;
  const std::ptrdiff_t b_mid = box.x_end - box.y_end;
  // With an odd delta the paths can only meet after a forward step.
  const bool odd = ((f_mid - b_mid) & 1) != 0;
  std::ptrdiff_t f_lo = f_mid, f_hi = f_mid, b_lo = b_mid, b_hi = b_mid;
  fwd[f_mid] = box.x_begin;
  bwd[b_mid] = box.x_end;

  for (std::ptrdiff_t round = 1;; ++round) {
    // Widen the forward diagonal range, with sentinels just outside it.
    if (f_lo > k_min) {
      fwd[--f_lo - 1] = -1;
    } else {
      ++f_lo;
    }
    if (f_hi < k_max) {
      fwd[++f_hi + 1] = -1;
    } else {
      --f_hi;
    }
    for (std::ptrdiff_t k = f_hi; k >= f_lo; k -= 2) {
      const std::ptrdiff_t from_left = fwd[k - 1];
      const std::ptrdiff_t from_above = fwd[k + 1];
      std::ptrdiff_t x = from_left >= from_above ? from_left + 1 : from_above;
      std::ptrdiff_t y = x - k;
      while (x < box.x_end && y < box.y_end && a_[x] == b_[y]) {
        ++x;
        ++y;
      }
      fwd[k] = x;
      if (odd && k >= b_lo && k <= b_hi && bwd[k] <= x) {
        return {x, y};
      }
    }

    if (b_lo > k_min) {
      bwd[--b_lo - 1] = kFar;
    } else {
      ++b_lo;
    }
    if (b_hi < k_max) {
      bwd[++b_hi + 1] = kFar;
    } else {
      --b_hi;
    }
    for (std::ptrdiff_t k = b_hi; k >= b_lo; k -= 2) {
      const std::ptrdiff_t from_left = bwd[k - 1];
      const std::ptrdiff_t from_above = bwd[k + 1];
      std::ptrdiff_t x = from_left < from_above ? from_left : from_above - 1;
      std::ptrdiff_t y = x - k;
      while (x > box.x_begin && y > box.y_begin && a_[x - 1] == b_[y - 1]) {
        --x;
        --y;
      }
      bwd[k] = x;
      if (!odd && k >= f_lo && k <= f_hi && x <= fwd[k]) {
        return {x, y};
      }
    }

    if (round >= max_rounds_) {
      // Too expensive: split where either search got furthest. Any point of
      // the box is a valid split; this one keeps the work done so far.
      Split best{-1, -1};
      std::ptrdiff_t best_progress = -1;
      for (std::ptrdiff_t k = f_lo; k <= f_hi; k += 2) {
        const std::ptrdiff_t x = std::min(fwd[k], box.x_end);
        const std::ptrdiff_t y = x - k;
        if (y < box.y_begin || y > box.y_end ||
            (x == box.x_end && y == box.y_end)) {
          continue;
        }
        const std::ptrdiff_t progress = (x - box.x_begin) + (y - box.y_begin);
        if (progress > best_progress) {
          best_progress = progress;
          best = {x, y};
        }
      }
      for (std::ptrdiff_t k = b_lo; k <= b_hi; k += 2) {
        const std::ptrdiff_t x = std::max(bwd[k], box.x_begin);
        const std::ptrdiff_t y = x - k;
        if (y < box.y_begin || y > box.y_end ||
            (x == box.x_begin && y == box.y_begin)) {
          continue;
        }
        const std::ptrdiff_t progress = (box.x_end - x) + (box.y_end - y);
        if (progress > best_progress) {
          best_progress = progress;
          best = {x, y};
        }
      }
      if (best_progress > 0) {
        return best;
      }
    }
  }
}

// Slides each run of changed lines of one file up as far as equal lines
// allow, then down as far as possible (absorbing runs it meets on the way),
// and finally back up to the lowest position where its end lines up with a
// change in the other file, if there is one. That yields the fewest, most
// readable hunks, e.g. a new backend block shows as one whole block. Every
// slide swaps a changed line for an equal unchanged one, so the script stays
// valid and no longer.
//
// When the lines are a window of longer files, `open_top` / `open_bottom`
// say that more lines lie above / below it. A slide that runs into such an
// edge might have gone on in the whole file: it sets *escaped, and the
// result is then not to be trusted.
void Compact(const std::vector<int>& lines, std::vector<char>* changed,
             const std::vector<char>& other_changed, bool open_top,
             bool open_bottom, bool* escaped) {
  auto& mine = *changed;
  const auto end = static_cast<std::ptrdiff_t>(lines.size());
  const auto other_end = static_cast<std::ptrdiff_t>(other_changed.size());
  auto is_changed = [&](std::ptrdiff_t i) {
    return i >= 0 && i < end && mine[i] != 0;
  };
  auto other_is_changed = [&](std::ptrdiff_t j) {
    return j >= 0 && j < other_end && other_changed[j] != 0;
  };

  // `j` tracks the position in the other file that corresponds to `i`: both
  // skip the same number of unchanged lines.
  std::ptrdiff_t i = 0;
  std::ptrdiff_t j = 0;
  while (true) {
    while (i < end && !is_changed(i)) {
      while (other_is_changed(j)) {
        ++j;
      }
      ++i;
      ++j;
    }
    if (i == end) {
      break;
    }
    std::ptrdiff_t start = i;
    while (is_changed(i)) {
      ++i;
    }
    while (other_is_changed(j)) {
      ++j;
    }
    // Now [start, i) is a run and j is just past the other file's changes
    // opposite it.
    std::ptrdiff_t aligned;
    std::ptrdiff_t length;
    do {
      length = i - start;
      while (start > 0 && lines[start - 1] == lines[i - 1]) {
        mine[--start] = 1;
        mine[--i] = 0;
        while (is_changed(start - 1)) {
          --start;
        }
        // j moves to the partner of the first unchanged line after the run.
        do {
          --j;
        } while (other_is_changed(j));
      }
      if (open_top && start == 0) {
        *escaped = true;
        return;
      }
      // The run's end lines up with a change opposite when a changed line
      // of the other file sits just before j.
      aligned = other_is_changed(j - 1) ? i : end;
      while (i < end && lines[start] == lines[i]) {
        mine[start++] = 0;
        mine[i++] = 1;
        while (is_changed(i)) {
          ++i;
        }
        ++j;
        while (other_is_changed(j)) {
          ++j;
          aligned = i;
        }
      }
      if (open_bottom && i == end) {
        *escaped = true;
        return;
      }
    } while (length != i - start);
    while (aligned < i) {
      mine[--start] = 1;
      mine[--i] = 0;
      do {
        --j;
      } while (other_is_changed(j));
    }
  }
}

struct Change {
  std::ptrdiff_t line0, deleted, line1, inserted;
};

// GNU's range notation: "first,count", just "first" for one line, and for an
// empty range the number of the line before it with ",0".
void AppendRange(std::ptrdiff_t start, std::ptrdiff_t count,
                 std::string* out) {
  if (count == 0) {
    out->append(std::to_string(start)).append(",0");
  } else if (count == 1) {
    out->append(std::to_string(start + 1));
  } else {
    out->append(std::to_string(start + 1))
        .append(",")
        .append(std::to_string(count));
  }
}

void AppendLine(char prefix, std::string_view line, std::string* out) {
  out->push_back(prefix);
  out->append(line);
  if (line.empty() || line.back() != '\n') {
    out->append("\n\\ No newline at end of file\n");
  }
}

size_t CountLines(std::string_view text) {
  const auto newlines =
      static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// The diff of common_head + before + common_tail against common_head + after
// + common_tail, from the lines of `before` and `after` only (the common
// parts are read once, line by line, and nothing of them is kept). Returns
// false when the result might differ from the one the whole texts give; with
// an empty head and tail it never does.
bool DiffWindows(std::string_view common_head, std::string_view before,
                 std::string_view after, std::string_view common_tail,
                 std::string_view before_label, std::string_view after_label,
                 std::string* result) {
  result->clear();
  if (before == after) {
    return true;
  }
  const bool open_top = !common_head.empty();
  const bool open_bottom = !common_tail.empty();
  // Lines must not straddle the edges of the windows.
  if ((open_top && common_head.back() != '\n') ||
      (open_bottom && ((!before.empty() && before.back() != '\n') ||
                       (!after.empty() && after.back() != '\n')))) {
    return false;
  }
  const std::vector<std::string_view> lines0 = SplitLines(before);
  const std::vector<std::string_view> lines1 = SplitLines(after);
  const auto head_lines =
      static_cast<std::ptrdiff_t>(CountLines(common_head));
  const auto tail_lines =
      static_cast<std::ptrdiff_t>(CountLines(common_tail));

  // Number the distinct lines so the search compares ints, and count how
  // often each occurs in each file. The numbering is an open-addressing
  // table of line numbers (4 bytes a slot) rather than a node-based map of
  // views: a config of 250,000 lines would need 15 MB of nodes for it.
  std::vector<int> ids0, ids1;
  std::vector<int> count0, count1;
  std::vector<std::string_view> distinct;  // by id
  size_t slots = 16;
  while (slots < 2 * (lines0.size() + lines1.size())) {
    slots *= 2;
  }
  std::vector<int> table(slots, -1);  // id, -1 for a free slot
  const std::hash<std::string_view> hash;
  auto number = [&](const std::vector<std::string_view>& lines,
                    std::vector<int>* out, std::vector<int>* counts) {
    out->reserve(lines.size());
    for (std::string_view line : lines) {
      size_t slot = hash(line) & (slots - 1);
      while (table[slot] >= 0 &&
             distinct[static_cast<size_t>(table[slot])] != line) {
        slot = (slot + 1) & (slots - 1);
      }
      if (table[slot] < 0) {
        table[slot] = static_cast<int>(distinct.size());
        distinct.push_back(line);
        count0.push_back(0);
        count1.push_back(0);
      }
      out->push_back(table[slot]);
      ++(*counts)[table[slot]];
    }
  };
  number(lines0, &ids0, &count0);
  number(lines1, &ids1, &count1);
  // A line of the common head or tail occurs in both files: a line of the
  // windows equal to one of them is in both files too.
  auto count_common = [&](std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      const size_t nl = text.find('\n', start);
      const size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
      const std::string_view line = text.substr(start, end - start);
      start = end;
      size_t slot = hash(line) & (slots - 1);
      while (table[slot] >= 0 &&
             distinct[static_cast<size_t>(table[slot])] != line) {
        slot = (slot + 1) & (slots - 1);
      }
      if (table[slot] >= 0) {
        ++count0[table[slot]];
        ++count1[table[slot]];
      }
    }
  };
  count_common(common_head);
  count_common(common_tail);
  std::vector<int>().swap(table);
  std::vector<std::string_view>().swap(distinct);

  // A line that never occurs in the other file is certainly changed. Leaving
  // such lines out of the search keeps it cheap when most lines are new
  // (fresh server addresses) without changing the result's length.
  std::vector<char> changed0(ids0.size(), 0), changed1(ids1.size(), 0);
  std::vector<int> kept0, kept1;
  std::vector<size_t> index0, index1;
  auto filter = [](const std::vector<int>& line_ids,
                   const std::vector<int>& other_counts,
                   std::vector<char>* changed, std::vector<int>* kept,
                   std::vector<size_t>* index) {
    for (size_t i = 0; i < line_ids.size(); ++i) {
      if (other_counts[line_ids[i]] == 0) {
        (*changed)[i] = 1;
      } else {
        kept->push_back(line_ids[i]);
        index->push_back(i);
      }
    }
  };
  filter(ids0, count1, &changed0, &kept0, &index0);
  filter(ids1, count0, &changed1, &kept1, &index1);

  // The search only over what lies between the common prefix and suffix
  // (its tables are two words per line of what it searches).
  size_t prefix = 0;
  while (prefix < kept0.size() && prefix < kept1.size() &&
         kept0[prefix] == kept1[prefix]) {
    ++prefix;
  }
  // Past the end of one window (but not of both) the whole files would
  // go on comparing into the tail.
  if (open_bottom && (prefix == kept0.size()) != (prefix == kept1.size())) {
    return false;
  }
  size_t suffix = 0;
  while (suffix < kept0.size() - prefix && suffix < kept1.size() - prefix &&
         kept0[kept0.size() - 1 - suffix] == kept1[kept1.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<char> deleted, inserted;
  EditScript(std::basic_string_view<int>(kept0.data() + prefix,
                                         kept0.size() - prefix - suffix),
             std::basic_string_view<int>(kept1.data() + prefix,
                                         kept1.size() - prefix - suffix),
             static_cast<std::ptrdiff_t>(kept0.size() + kept1.size()) +
                 2 * (head_lines + tail_lines))
      .Run(&deleted, &inserted);
  for (size_t i = 0; i < deleted.size(); ++i) {
    changed0[index0[prefix + i]] = deleted[i];
  }
  for (size_t i = 0; i < inserted.size(); ++i) {
    changed1[index1[prefix + i]] = inserted[i];
  }

  bool escaped = false;
  Compact(ids0, &changed0, changed1, open_top, open_bottom, &escaped);
  if (!escaped) {
    Compact(ids1, &changed1, changed0, open_top, open_bottom, &escaped);
  }
  if (escaped) {
    return false;
  }

  // Collect change groups: maximal runs between lines both files keep.
  const auto n0 = static_cast<std::ptrdiff_t>(lines0.size());
  const auto n1 = static_cast<std::ptrdiff_t>(lines1.size());
  std::vector<Change> changes;
  for (std::ptrdiff_t i = 0, j = 0; i < n0 || j < n1;) {
    if (i < n0 && j < n1 && !changed0[i] && !changed1[j]) {
      ++i;
      ++j;
      continue;
    }
    Change change{i, 0, j, 0};
    while (i < n0 && changed0[i]) {
      ++i;
    }
    while (j < n1 && changed1[j]) {
      ++j;
    }
    change.deleted = i - change.line0;
    change.inserted = j - change.line1;
    changes.push_back(change);
  }
  if (changes.empty()) {
    return true;
  }
  // The context of the first and last change must lie within the windows.
  if (open_top && changes.front().line0 < kContext) {
    return false;
  }
  if (open_bottom &&
      n0 - (changes.back().line0 + changes.back().deleted) < kContext) {
    return false;
  }

  std::string& out = *result;
  out.append("--- ").append(before_label).append("\n");
  out.append("+++ ").append(after_label).append("\n");
  for (size_t first = 0; first < changes.size();) {
    // Changes closer than two contexts share a hunk (GNU: gap < 2 * 3 + 1).
    size_t last = first;
    while (last + 1 < changes.size() &&
           changes[last + 1].line0 -
                   (changes[last].line0 + changes[last].deleted) <=
               2 * kContext) {
      ++last;
    }
    const Change& head = changes[first];
    const Change& tail = changes[last];
    const std::ptrdiff_t lead = std::min(kContext, head.line0);
    const std::ptrdiff_t tail_end0 = tail.line0 + tail.deleted;
    const std::ptrdiff_t trail = std::min(kContext, n0 - tail_end0);
    const std::ptrdiff_t begin0 = head.line0 - lead;
    const std::ptrdiff_t begin1 = head.line1 - lead;
    const std::ptrdiff_t end0 = tail_end0 + trail;
    const std::ptrdiff_t end1 = tail.line1 + tail.inserted + trail;

    out.append("@@ -");
    AppendRange(head_lines + begin0, end0 - begin0, &out);
    out.append(" +");
    AppendRange(head_lines + begin1, end1 - begin1, &out);
    out.append(" @@\n");

    std::ptrdiff_t pos0 = begin0;
    for (size_t c = first; c <= last; ++c) {
      const Change& change = changes[c];
      for (; pos0 < change.line0; ++pos0) {
        AppendLine(' ', lines0[pos0], &out);
      }
      for (std::ptrdiff_t k = 0; k < change.deleted; ++k) {
        AppendLine('-', lines0[change.line0 + k], &out);
      }
      for (std::ptrdiff_t k = 0; k < change.inserted; ++k) {
        AppendLine('+', lines1[change.line1 + k], &out);
      }
      pos0 = change.line0 + change.deleted;
    }
    for (; pos0 < end0; ++pos0) {
      AppendLine(' ', lines0[pos0], &out);
    }
    first = last + 1;
  }
  return true;
}

}  // namespace

std::string UnifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label,
                        std::string_view after_label) {
  std::string out;
  DiffWindows({}, before, after, {}, before_label, after_label, &out);
  return out;
}

std::optional<std::string> UnifiedDiffOfWindows(
    std::string_view head, std::string_view before, std::string_view after,
    std::string_view tail, std::string_view before_label,
    std::string_view after_label) {
  std::string out;
  if (!DiffWindows(head, before, after, tail, before_label, after_label,
                   &out)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace mlb
